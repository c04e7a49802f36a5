"""Runs a scripted build and SIGKILLs itself on a given model call (for the kill -9 test).

usage: python -m tests.agents.build.kill_worker SPEC OUT KILL_AT_CALL
"""

import os
import signal
import sys
from pathlib import Path

from agents.build.run import run_build
from serving.tokens import CharCounter
from sandbox.process import ProcessSandbox
from serving.fake import FakeLLM
from tests.agents.build.fixtures import ADD, BAD_MUL, PLAN


class DyingLLM(FakeLLM):
    def __init__(self, outputs, kill_at):
        super().__init__(outputs)
        self.kill_at = kill_at

    def complete(self, messages, **kwargs):
        if len(self.calls) + 1 == self.kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        return super().complete(messages, **kwargs)


if __name__ == "__main__":
    spec, out, kill_at = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    run_build(spec, out, DyingLLM([PLAN, ADD, BAD_MUL], kill_at), ProcessSandbox(), CharCounter())
