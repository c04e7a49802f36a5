"""Re-judges committed runs with the current checker and counts the verdicts that move.

    .venv/bin/python -m benchmarks.rescore_check [--out /tmp/rescore] [RUN_NAME …]

Each run under benchmarks/runs/ is rescored on its own benchmark into `--out/RUN_NAME`
(never into the committed run directory); the table gives pass (and base) counts before
and after, the tasks whose verdict changed, and the minutes it took. Used when the checker
itself changes (issue 28: HumanEval+/MBPP+ judged on the host from plain-data outputs) to
show that honest answers keep their verdicts. Needs the benchmark data
(`$CODELOOP_DATA_DIR` or `--data-dir`) and a sandbox.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from eval.evaluate import Evaluator
from eval.recheck import load_run, rescore_run
from eval.runstore import check_of
from sandbox import make_sandbox

REPO = Path(__file__).resolve().parents[1]

RUNS = ["humanevalplus-pipeline", "humanevalplus-baseline", "humaneval-pipeline", "humaneval-baseline",
        "mbppplus-pipeline", "mbppplus-baseline"]


def verdicts(records: list[dict]) -> dict[str, tuple[bool, bool]]:
    """task id -> (passed, base passed)."""
    return {r["task_id"]: (bool((check_of(r) or {}).get("passed")), bool((check_of(r) or {}).get("base")))
            for r in records}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="*", default=RUNS)
    parser.add_argument("--out", type=Path, default=Path("/tmp/rescore"))
    parser.add_argument("--data-dir", default=os.environ.get("CODELOOP_DATA_DIR"))
    parser.add_argument("--sandbox", default="auto")
    parser.add_argument("--workers", type=int, default=2)
    opts = parser.parse_args()
    box = make_sandbox(opts.sandbox)
    evaluator = Evaluator(box, cache_dir=opts.out / "groundtruth")
    print(f"sandbox: {box.name}\n\n| run | tasks | pass before → after | base before → after | changed | minutes |")
    print("|---|---|---|---|---|---|")
    for name in opts.runs:
        run_dir = REPO / "benchmarks" / "runs" / name
        old = load_run(run_dir)
        start = time.time()
        rescore_run(run_dir, old.meta["bench"], opts.out / name, evaluator, data_dir=opts.data_dir,
                    workers=opts.workers)
        before, after = verdicts(old.records), verdicts(load_run(opts.out / name).records)
        changed = sorted(t for t in before if before[t] != after.get(t))
        count = lambda table, i: sum(v[i] for v in table.values())  # noqa: E731
        print(f"| {name} | {len(before)} | {count(before, 0)} → {count(after, 0)} | {count(before, 1)} → "
              f"{count(after, 1)} | {', '.join(changed) or 'none'} | {(time.time() - start) / 60:.1f} |", flush=True)
    box.close()


if __name__ == "__main__":
    main()
