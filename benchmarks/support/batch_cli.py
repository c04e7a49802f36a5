"""`codeloop batch` as a person runs it (a subprocess), shared by the fault tests
(tests/eval/test_faults_cli.py) and the fault table (benchmarks/faults.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from eval.runstore import read_records

REPO = Path(__file__).resolve().parents[2]


def cli(*args, env: dict | None = None, **kw) -> subprocess.Popen:
    """`codeloop ARGS` in a fresh process of this interpreter, from the repository root,
    its output captured as text."""
    kw.setdefault("cwd", REPO)
    return subprocess.Popen([sys.executable, "-c", "from apps.cli import main; main()", *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, **kw)


def cli_env(cache: Path, data_dir: str | Path) -> dict:
    """The environment of such a run: its own cache root, offline, the benchmark data given."""
    return dict(os.environ, CODELOOP_CACHE_DIR=str(cache), CODELOOP_OFFLINE="1", CODELOOP_DATA_DIR=str(data_dir))


def batch_args(out: Path, url: str, limit: int = 6, mode: str = "baseline") -> list:
    """A `mode` batch of the first `limit` HumanEval tasks against the server at `url`."""
    return ["batch", "humaneval", "--limit", limit, "--mode", mode, "--base-url", url, "--out", out,
            "--sandbox", "process"]


def tally(out: Path, n: int) -> tuple[int, int]:
    """(records lost, records duplicated) of a run of `n` tasks, over every line written."""
    counts = Counter((r["task_id"], r["sample"]) for r in read_records(out).records)
    return n - len(counts), sum(c - 1 for c in counts.values())


def wait_records(out: Path, k: int, timeout: float = 60) -> None:
    """Wait until the run at `out` holds `k` records (or `timeout` seconds passed)."""
    deadline = time.monotonic() + timeout
    while len(read_records(out).records) < k and time.monotonic() < deadline:
        time.sleep(0.05)
