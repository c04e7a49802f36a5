"""Whole-run operations: re-evaluate a run directory (`codeloop eval`), re-score its
answers on another benchmark with the same task ids (`codeloop eval RUN --bench B --out D`,
e.g. humaneval+ answers on HumanEval's original tests), and load runs for reports.
`eval.json` holds the fresh checks (under "verdicts", its on-disk name) and the summary;
records stay as written.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from eval.evaluate import Evaluator
from eval.problems import load_benchmark
from eval.runstore import (CHECK_FIELD, RecordWriter, RunDirError, check_of, has_records, read_meta, read_records,
                           write_meta)
from eval.samples import write_samples
from eval.summary import summarize

EVAL_FILE = "eval.json"


@dataclass
class Run:
    """A loaded run: its directory, metadata, records (checks from eval.json when present)."""

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
        checks = json.loads(eval_path.read_text(encoding="utf-8")).get("verdicts", {})
        records = [{**r, CHECK_FIELD: checks.get(f"{r['task_id']}#{r.get('sample', 0)}", r.get(CHECK_FIELD))}
                   for r in records]
    return Run(run_dir, meta, records, loaded.problems)


def _check_records(run: Run, bench: str, evaluator: Evaluator, data_dir, workers: int) -> tuple[list, list]:
    """(records with fresh checks for the task ids `bench` has, warnings)."""
    problems = {p.task_id: p for p in load_benchmark(bench, data_dir)}
    records = [r for r in run.records if r["task_id"] in problems]
    unknown = sorted({r["task_id"] for r in run.records} - set(problems))
    checks = evaluator.check_many(((problems[r["task_id"]], r.get("completion") or "") for r in records), workers)
    checked = [{**record, CHECK_FIELD: check} for record, check in zip(records, checks)]
    return checked, run.warnings + [f"unknown task id {t} skipped" for t in unknown]


def evaluate_run(run_dir: Path, evaluator: Evaluator, *, data_dir: str | None = None, workers: int = 2) -> dict:
    """Re-check every record's completion in the sandbox; write and return eval.json
    (and rewrite samples.jsonl)."""
    run = load_run(run_dir)
    checked, warnings = _check_records(run, run.meta["bench"], evaluator, data_dir, workers)
    result = {
        "bench": run.meta["bench"],
        "summary": summarize(checked),
        "verdicts": {f"{r['task_id']}#{r.get('sample', 0)}": check_of(r) for r in checked},
        "warnings": warnings,
    }
    write_samples(run_dir)  # also brings samples.jsonl up to date after an interrupted batch
    tmp = Path(run_dir) / (EVAL_FILE + ".tmp")
    tmp.write_text(json.dumps(result, indent=1), encoding="utf-8")
    os.replace(tmp, Path(run_dir) / EVAL_FILE)
    return result


def rescore_run(run_dir: Path, bench: str, out_dir: Path, evaluator: Evaluator, *, data_dir: str | None = None,
                workers: int = 2) -> dict:
    """Check a run's answers against benchmark `bench` (same task ids) and write the result
    as a new run directory `out_dir` (meta says where the answers came from). Model usage
    is copied; the check's seconds replace the old ones. Returns {bench, summary, warnings}."""
    out_dir = Path(out_dir)
    if read_meta(out_dir) is not None or has_records(out_dir):
        raise RunDirError(f"{out_dir} already holds a run; choose another --out")
    run = load_run(run_dir)
    checked, warnings = _check_records(run, bench, evaluator, data_dir, workers)
    if not checked:
        raise RunDirError(f"no task of {run_dir} ({run.meta.get('bench')}) is in {bench}")
    write_meta(out_dir, {**run.meta, "bench": bench, "rescored_from": str(run_dir)})
    with RecordWriter(out_dir) as writer:
        for record in checked:
            seconds = dict(record.get("seconds") or {})
            seconds["eval"] = check_of(record)["seconds"]
            seconds["total"] = round(seconds.get("solve", 0.0) + seconds["eval"], 3)
            writer.append({**record, "benchmark": bench, "seconds": seconds})
    write_samples(out_dir)
    return {"bench": bench, "summary": summarize(checked), "warnings": warnings}
