"""Host side of the check programs: assemble one, run it in the sandbox with a fresh
secret token, and accept its result line only when that line carries the token.

A check program is sandbox/guest/time_limit.py + `harness_io.py` + helper modules (the plus
harness's `plainjson.py`, `mbpp_inputs.py`) + a harness (`base_harness.py`,
`plus_harness.py`) + `main(payload)`; all but the first are eval/guest/'s (run in the
sandbox). The token travels in a file the program deletes before candidate code runs (see
`harness_io.py`); a run that ends without the stamped line has no result, even with exit code 0.
"""

from __future__ import annotations

import json
import secrets
from functools import cache
from pathlib import Path

from sandbox import time_limit_source
from sandbox.base import Limits, RunResult, Sandbox

GUEST = Path(__file__).parent / "guest"  # the programs' parts: stdlib-only files run in the sandbox
RESULT_MARK = "__CODELOOP_RESULT__ "
TOKEN_FILE = "token.txt"  # the same names as in harness_io.py (which runs in the sandbox)
PROGRAM_FILE = "check.py"


@cache  # package files, read once
def _source(name: str) -> str:
    return (GUEST / name).read_text(encoding="utf-8")


def build_program(harness: str, payload: dict, modules: tuple[str, ...] = ()) -> str:
    """The self-contained check program: the per-test time limit, token I/O, the named
    helper modules (stdlib-only files of eval/guest/), the harness file, the call."""
    parts = [time_limit_source(), _source("harness_io.py"), *(_source(m) for m in modules), _source(harness)]
    return "\n\n".join(parts) + f"\n\nmain({payload!r})\n"


def parse_result(run: RunResult, token: str) -> dict | None:
    """The result line stamped with `token`, or None when the run wrote none."""
    return run.marked_json(f"{RESULT_MARK}{token} ")


def stamped_lines(run: RunResult, token: str) -> list:
    """Every well-formed JSON value on a stdout line stamped with `token`, in order."""
    mark, values = f"{RESULT_MARK}{token} ", []
    for line in run.stdout.splitlines():
        if line.startswith(mark):
            try:
                values.append(json.loads(line[len(mark):]))
            except (ValueError, RecursionError):
                values.append(None)  # a torn or hostile line: judged as malformed
    return values


def run_program_lines(sandbox: Sandbox, program: str, limits: Limits) -> tuple[list, RunResult]:
    """Run a check program that streams results with a new token; (its stamped lines, the run)."""
    token = secrets.token_hex(16)
    run = sandbox.run({PROGRAM_FILE: program, TOKEN_FILE: token}, ["python", PROGRAM_FILE], limits)
    return stamped_lines(run, token), run


def run_program(sandbox: Sandbox, program: str, limits: Limits) -> tuple[dict | None, RunResult]:
    """Run a check program with a new token; returns (its result or None, the run)."""
    token = secrets.token_hex(16)
    run = sandbox.run({PROGRAM_FILE: program, TOKEN_FILE: token}, ["python", PROGRAM_FILE], limits)
    return parse_result(run, token), run
