"""kill -9 a batch at arbitrary moments, resume it: no record lost, none duplicated."""

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from eval.runstore import read_records

WORKER = Path(__file__).with_name("batch_worker.py")


def start(run_dir, cache, n, samples):
    return subprocess.Popen([sys.executable, str(WORKER), str(run_dir), str(cache), str(n), str(samples)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def test_kill_dash_nine_then_resume(tmp_path, gt_cache):
    n, samples = 12, 2
    rng = random.Random(4)
    kills = 0
    for _ in range(3):
        proc = start(tmp_path, gt_cache, n, samples)
        deadline = time.monotonic() + 60
        # Wait for some progress past what is already recorded, then kill at a random moment.
        before = len(read_records(tmp_path).records)
        while len(read_records(tmp_path).records) < before + 2 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(rng.uniform(0, 0.15))
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait(timeout=30)
    final = start(tmp_path, gt_cache, n, samples)
    assert final.wait(timeout=120) == 0
    loaded = read_records(tmp_path)
    counts = Counter((r["task_id"], r["sample"]) for r in loaded.records)
    assert kills >= 1
    assert len(counts) == n * samples, "a finished record was lost"
    assert max(counts.values()) == 1, f"duplicated: {[k for k, c in counts.items() if c > 1]}"
    assert loaded.problems == []  # appends are whole lines: a kill leaves no partial line
