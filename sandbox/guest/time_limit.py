"""Runs INSIDE the sandbox, stdlib only: one time limit per test for the programs we ship
there (the tester's harness, the benchmark check programs). Their hosts put this file's
source before the program's own (agents/tester.py, eval/harness.py); importing it has no
side effects.

SIGALRM raises `TestTimeout` in the main thread after the given seconds. It is a
BaseException so that a candidate's own `except Exception` cannot swallow it.
"""

import contextlib
import signal


class TestTimeout(BaseException):
    """Raised by the alarm when a test runs past its limit."""

    __test__ = False  # not a pytest test class, whatever imports it


def _on_alarm(signum, frame):
    raise TestTimeout()


@contextlib.contextmanager
def time_limit(seconds):
    """Run the body with an alarm after `seconds`; the alarm is off again when it ends.
    The handler is set each time: candidate code may have replaced it."""
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
