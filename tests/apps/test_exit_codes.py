"""Exit code 2 only for bad input; 1 for a runtime fault (model, sandbox, disk) or a bug."""

import errno

import pytest

from apps.errors import exit_code_for
from agents.task import TaskError
from eval.taskfile import TaskFileError
from sandbox.base import InvalidLimits, SandboxError, SandboxUnavailable
from serving.base import LLMError, ServerLost
from serving.embedded import ServerStartError
from serving.models import ModelError
from settings.errors import BadInput


@pytest.mark.parametrize("exc", [BadInput("--x must be 1"), TaskError("empty task"), TaskFileError("line 2: bad"),
                                 ModelError("unknown model 'x'"), InvalidLimits("timeout_s=0"),
                                 FileNotFoundError("task file not found: t.md")])
def test_bad_input_is_2(exc):
    assert exit_code_for(exc) == (2, str(exc))


@pytest.mark.parametrize("exc, hint", [
    (LLMError("500 from server"), "check the model server"),
    (ServerStartError("the llama-server server exited with code 1"), "could not start"),
    (SandboxError("docker engine error"), "codeloop sandbox check"),
    (SandboxUnavailable("bwrap disappeared"), "codeloop sandbox check"),
    (OSError(errno.ENOSPC, "No space left on device"), "check the disk"),
])
def test_runtime_faults_are_1_and_say_what_to_do(exc, hint):
    code, message = exit_code_for(exc)
    assert code == 1 and hint in message and "\n" not in message


def test_server_lost_keeps_its_own_advice_and_a_bare_value_error_is_a_bug():
    assert exit_code_for(ServerLost("gone; start it again and rerun")) == (1, "gone; start it again and rerun")
    code, message = exit_code_for(ValueError("math domain error"))
    assert code == 1 and message.startswith("internal error: ValueError: math domain error")
