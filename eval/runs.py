"""Whole-run operations: re-evaluate a run directory (`codeloop eval`) and load runs for
reports. `eval.json` holds the re-checked verdicts and the summary; records stay as written.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from eval.evaluate import Evaluator
from eval.problems import load_benchmark
from eval.runstore import RunDirError, read_meta, read_records
from eval.samples import write_samples
from eval.summary import summarize

EVAL_FILE = "eval.json"


@dataclass
class Run:
    """A loaded run: its directory, metadata, records (verdicts from eval.json when present)."""

    path: Path
    meta: dict
    records: list[dict]
    warnings: list[str]

    @property
    def label(self) -> str:
        """How reports name this run: directory name, mode and model."""
        model = self.meta.get("served_model") or self.meta.get("model") or "default model"
        return f"{self.path.name} ({self.meta.get('mode', '?')}, {model})"


def load_run(run_dir: Path) -> Run:
    """Load a run directory; raises RunDirError when it is not one."""
    run_dir = Path(run_dir)
    meta = read_meta(run_dir)
    if meta is None:
        raise RunDirError(f"{run_dir} is not a run directory (no meta.json)")
    loaded = read_records(run_dir)
    records = loaded.effective()
    eval_path = run_dir / EVAL_FILE
    if eval_path.exists():
        verdicts = json.loads(eval_path.read_text(encoding="utf-8")).get("verdicts", {})
        records = [{**r, "verdict": verdicts.get(f"{r['task_id']}#{r.get('sample', 0)}", r.get("verdict"))}
                   for r in records]
    return Run(run_dir, meta, records, loaded.problems)


def evaluate_run(run_dir: Path, evaluator: Evaluator, *, data_dir: str | None = None, workers: int = 2) -> dict:
    """Re-check every record's completion in the sandbox; write and return eval.json
    (and rewrite samples.jsonl)."""
    run = load_run(run_dir)
    problems = {p.task_id: p for p in load_benchmark(run.meta["bench"], data_dir)}
    records = [r for r in run.records if r["task_id"] in problems]
    unknown = sorted({r["task_id"] for r in run.records} - set(problems))
    verdicts = evaluator.check_many(((problems[r["task_id"]], r.get("completion") or "") for r in records), workers)
    checked = []
    for record, verdict in zip(records, verdicts):
        checked.append({**record, "verdict": verdict})
    result = {
        "bench": run.meta["bench"],
        "summary": summarize(checked),
        "verdicts": {f"{r['task_id']}#{r.get('sample', 0)}": r["verdict"] for r in checked},
        "warnings": run.warnings + [f"unknown task id {t} skipped" for t in unknown],
    }
    write_samples(run_dir)  # also brings samples.jsonl up to date after an interrupted batch
    tmp = Path(run_dir) / (EVAL_FILE + ".tmp")
    tmp.write_text(json.dumps(result, indent=1), encoding="utf-8")
    os.replace(tmp, Path(run_dir) / EVAL_FILE)
    return result
