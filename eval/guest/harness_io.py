"""Proof that the tests finished; runs INSIDE the sandbox, stdlib only.

Every check program starts with sandbox/guest/time_limit.py's source, then this file's (then a harness,
then `main(...)`).
The host writes a per-run secret token into `TOKEN_FILE` next to the program; the
program reads it and deletes the file *before* any candidate code runs, so the token is
not in the candidate's source, files or environment. A verdict counts only when the
result line carries that token. A candidate that ends the process early (`sys.exit`,
`os._exit`, `unittest.main()`, an `atexit` hook, closing stdout) therefore produces no
token and cannot pass, whatever its exit code.

Results go to a private duplicate of the original stdout; file descriptor 1 itself is
pointed at /dev/null, so candidate output can neither flood nor forge the result channel.
Importing this module has no side effects.
"""

import json
import os
import sys

RESULT_MARK = "__CODELOOP_RESULT__ "
TOKEN_FILE = "token.txt"
_exit = os._exit  # bound now: a candidate may replace os._exit later


def take_token():
    """Read the run's token and delete its file (before any candidate code runs)."""
    with open(TOKEN_FILE, encoding="utf-8") as fh:
        token = fh.read().strip()
    os.unlink(TOKEN_FILE)
    return token


def open_channel():
    """A private copy of stdout for the result line; fd 1 then leads to /dev/null."""
    sys.stdout.flush()
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)
    return channel


def finish(channel, token, result, code):
    """Write the token-stamped result line and end the process at once: no atexit hook,
    thread or buffered candidate output runs after the verdict."""
    channel.write(RESULT_MARK + token + " " + json.dumps(result) + "\n")
    channel.flush()
    _exit(code)
