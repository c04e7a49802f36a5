"""Seed an ablation run with the default run's records of the tasks its setting cannot change.

Turning off one step of the pipeline (issue 13's ablation rows) changes the flow only on
some tasks:

- `visible_tests=doctest|none` (step 1): tasks whose visible tests differ from the
  default's, and tasks where the default run's model rewrote prose examples as asserts
  (the ablation does not make that call);
- `repair_runtime_only=0` (step 4: wrong answers are repaired too): tasks whose default
  answer did not pass its visible tests (stop other than solved / untested) — on the
  others the repair agent never runs under either setting.

On every other task the ablation runs the same graph on the same inputs, so a new record
would be another draw of the same thing. This script copies the default run's record of
those tasks (marked `copied_from`) into the new run directory; `codeloop batch` then skips
them (it resumes) and runs only the changed tasks, with the setting's variable set:

    .venv/bin/python -m benchmarks.ablation_seed benchmarks/runs/humanevalplus-pipeline \\
        visible_tests=doctest benchmarks/runs/humanevalplus-ablate-visible-doctest
    CODELOOP_VISIBLE_TESTS=doctest codeloop batch humaneval+ --out benchmarks/runs/humanevalplus-ablate-visible-doctest

Prints the changed tasks with the reason and the batch command; writes `ablation.json`.
Needs CODELOOP_DATA_DIR (or the cache) for the benchmark's prompts.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from agents.task import VISIBLE_TEST_LEVELS, task_from_problem, with_visible_tests
from benchmarks.pipeline_paths import agent_events
from eval.problems import load_benchmark
from eval.recheck import load_run
from eval.runstore import RecordWriter, has_records

# setting -> its environment variable (settings/knobs.py: CODELOOP_<NAME>) and allowed values
SETTINGS = {"visible_tests": ("CODELOOP_VISIBLE_TESTS", VISIBLE_TEST_LEVELS[1:]),
            "repair_runtime_only": ("CODELOOP_REPAIR_RUNTIME_ONLY", ("0",))}


def why_changed(record: dict, problem, setting: str, value: str) -> str:
    """Why the setting changes this task's flow ("" when it does not)."""
    if record.get("exit_status", "ok") != "ok":
        return "errored in the default run"
    if setting == "visible_tests":
        task = task_from_problem(problem)
        fewer = with_visible_tests(task, value)
        if (fewer.asserts, fewer.doctests) != (task.asserts, task.doctests):
            return f"visible tests {len(task.asserts) + bool(task.doctests)} → {len(fewer.asserts) + bool(fewer.doctests)}"
        return "the model rewrote its prose examples" if agent_events(record, "examples") else ""
    stop = (record.get("trace") or {}).get("stop", "")
    return f"stop {stop}" if stop not in ("solved", "untested") else ""


def seed(default_run: Path, setting: str, value: str, out: Path) -> dict:
    """Copy the unchanged tasks' records into `out`; the changed tasks and why."""
    if has_records(out):
        raise SystemExit(f"error: {out} already holds records; choose another directory")
    run = load_run(default_run)
    problems = {p.task_id: p for p in load_benchmark(run.meta["bench"])}
    changed, copied = {}, 0
    with RecordWriter(out) as writer:
        for record in run.records:
            reason = why_changed(record, problems[record["task_id"]], setting, value)
            if reason:
                changed[record["task_id"]] = reason
            else:
                writer.append(record | {"copied_from": default_run.name})
                copied += 1
    summary = {"default_run": str(default_run), "bench": run.meta["bench"], "setting": f"{setting}={value}", "copied": copied, "changed": changed}
    (out / "ablation.json").write_text(json.dumps(summary, indent=1) + "\n")
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("default_run", type=Path)
    parser.add_argument("setting", help="visible_tests=doctest|none or repair_runtime_only=0")
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    setting, _, value = args.setting.partition("=")
    if setting not in SETTINGS or value not in SETTINGS[setting][1]:
        raise SystemExit(f"error: setting must be one of visible_tests=doctest|none, repair_runtime_only=0; "
                         f"got {args.setting!r}")
    summary = seed(args.default_run, setting, value, args.out)
    for task_id, reason in summary["changed"].items():
        print(f"{task_id}: {reason}")
    print(f"{summary['copied']} records copied, {len(summary['changed'])} tasks to run:\n"
          f"    {SETTINGS[setting][0]}={value} codeloop batch {summary['bench']} --out {args.out}")


if __name__ == "__main__":
    main()
