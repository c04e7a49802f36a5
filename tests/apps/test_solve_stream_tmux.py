"""`codeloop solve` in a real terminal shows the model's tokens as they arrive: tmux runs it
against a loopback server that streams one word every 0.3 s, capture-pane reads the screen
while the coder is still writing, and the report then names the time to first token."""

import os
import re
import shutil
import time

import pytest

from tests.apps.test_chat_tmux import CODELOOP, Tmux
from tests.sse_stub import StreamingStub

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (scripts/setup.sh --tests installs it)")

CODE = ("```python\ndef add(a, b):\n    # adding the two numbers\n    first = a\n    second = b\n"
        "    total = first + second\n    return total\n```")
TASK = "Write add(a, b).\nassert add(1, 2) == 3\n"


def test_tokens_appear_while_the_coder_writes(tmp_path):
    server = StreamingStub([CODE], delay_s=0.3)
    (tmp_path / "task.txt").write_text(TASK)
    env = {"CODELOOP_CACHE_DIR": str(tmp_path / "cache"), "CODELOOP_OFFLINE": "1", "TERM": "xterm-256color",
           "PATH": os.environ["PATH"], "CODELOOP_CONFIRM_SAMPLES": "0"}  # greedy only: one streamed call
    tmux = Tmux(f"{CODELOOP} solve --file task.txt --base-url {server.base_url} --sandbox process", tmp_path, env)
    try:
        partial = []  # screens taken while the coder was still writing
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            screen = tmux.screen()
            if "coder: 1 candidate(s)" in screen:
                break
            if "coder is writing" in screen:
                partial.append(screen)
            time.sleep(0.1)
        tmux.wait_for("repair attempts")
        assert tmux.dead()
        final = " ".join(tmux.screen().split())  # the report, with rich's line wrapping undone
    finally:
        tmux.kill()
        server.close()
    assert server.requests and server.requests[0]["stream"] is True
    # while it wrote, the screen held a growing part of the code, not yet all of it
    early = [s for s in partial if "def add(a, b):" in s and "return total" not in s]
    assert early, "no screen showed part of the code while it was being written"
    assert any("total = first + second" in s for s in partial[partial.index(early[0]):])
    # the format, not the figure: on a loaded machine the first token may well take over 1 s
    assert re.search(r"coder: 1 candidate\(s\) from one prompt \(1 distinct\); first token \d+\.\d\d s", final)
    assert re.search(r"first token after \d+\.\d\d s \(mean of 1 streamed call\)", final)
    assert "visible tests: passed" in final and "coder is writing" not in final
