"""`codeloop batch | eval | report`: benchmark runs, their pass@k, and reports comparing them.

`register(app)` adds the three commands to the main typer app. Heavy imports (model
server, agent graph, matplotlib) happen inside the commands, so `--help` stays fast.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from dataclasses import asdict, replace
from pathlib import Path

import typer
from rich.console import Console

from apps.batch_progress import ProgressFeed
from apps.batch_setup import make_solver, open_llm  # module names here: tests replace open_llm
from apps.errors import cli_errors, fail
from apps.options import (BaseUrlOption, BatchMode, CandidatesOption, ConfirmSamplesOption, DataDirOption,
                          ExploreSamplesOption, GenTestsOption, LlmOption, MaxCallsOption, MaxRepairsOption,
                          ModelOption, PortOption, RayAddressOption, RepairSamplesOption, RetrievalOption,
                          SampleTemperatureOption, SandboxOption, pipeline_overrides, resolved)
from eval.data import BenchmarkDataError
from eval.plus import GroundTruthError
from eval.problems import LOADERS, load_benchmark, only_tasks
from eval.runstore import CHECKPOINTS, RunDirError, RunDirWriteError, lock_run_dir, read_records
from eval.summary import summarize

MODES = ("pipeline", "baseline")


@contextlib.contextmanager
def eval_errors() -> Iterator[None]:
    """Our domain errors become one-line errors like apps.errors': exit code 2 for a bad run
    directory or benchmark file, 1 when the run directory cannot be written (disk full)."""
    with cli_errors():
        try:
            yield
        except RunDirWriteError as exc:
            fail(str(exc), 1)
        except (BenchmarkDataError, RunDirError, GroundTruthError) as exc:
            fail(str(exc))


def pipeline_config(samples: int, overrides: dict | None = None, settings=None):
    """The pipeline's SolveConfig from the resolved `settings` (default: settings.config.current():
    CODELOOP_CANDIDATES, a config file's max_repairs, … select the variant, for ablations,
    without a flag per knob), the batch's temperature, then `overrides` (the typed flags)."""
    from agents.state import SolveConfig
    from settings.config import current

    return SolveConfig.from_settings(current() if settings is None else settings,
                                     temperature=0.0 if samples == 1 else 0.8, **(overrides or {}))


def _summary_lines(summary: dict) -> list[str]:
    def _pass_at(summary: dict, k: str) -> str:  # `pass@1 68.9% [95% CI 61.4–75.5]` where there is an interval
        ci = summary.get(f"{k}_ci")
        return f"{k} {summary[k]:.1%}" + (f" [95% CI {ci[0] * 100:.1f}–{ci[1] * 100:.1f}]" if ci else "")

    ks = [k for k in summary if k.startswith("pass@") and k[5:].isdigit()]  # not pass@1_ci
    lines = [f"{summary['passed']}/{summary['records']} passed; " + ", ".join(_pass_at(summary, k) for k in ks)]
    if summary["base"].get("pass@1") is not None and summary["base_passed"] != summary["passed"]:
        lines.append(f"base tests only: {summary['base_passed']} passed, {_pass_at(summary['base'], 'pass@1')}")
    t = summary["tokens"]
    lines.append(f"tokens: {t['prompt_tokens']} prompt + {t['completion_tokens']} completion ({t['cached_tokens']} "
                 f"cached) in {t['calls']} calls; {summary['seconds_per_task']:.1f} s/task (model "
                 f"{summary['model_share']:.0%}, sandbox {summary['sandbox_share']:.0%}, other "
                 f"{summary['other_share']:.0%}); {summary['errors']} errored")
    return lines


def batch(
    ctx: typer.Context,
    bench: str = typer.Argument(..., help=f"Benchmark: {', '.join(LOADERS)}; or a .jsonl file of your own "
                                          "tasks (HumanEval or MBPP rows)."),
    limit: int = typer.Option(None, "--limit", min=1, help="Only the first N problems."),
    tasks: str = typer.Option(None, "--tasks", metavar="IDS", help="Only these task ids: comma-separated, or "
                                                                   "@FILE with one per line."),
    mode: BatchMode = typer.Option("pipeline", "--mode", help="pipeline | baseline (one plain model call)."),
    samples: int = typer.Option(1, "--samples", min=1, max=200, help="Samples per problem (k for pass@k)."),
    workers: int = typer.Option(1, "--workers", min=1, max=64, help="Problems solved in parallel."),
    out: Path = typer.Option(None, "--out", help="Run directory (default runs/BENCH-MODE)."),
    redo: bool = typer.Option(False, "--redo", help="Start over (old records are moved aside, not deleted)."),
    data_dir: DataDirOption = None,
    model: ModelOption = None,
    base_url: BaseUrlOption = None,
    llm_spec: LlmOption = None,
    port: PortOption = 8765,
    sandbox: SandboxOption = "auto",
    retrieval: RetrievalOption = "none",
    candidates: CandidatesOption = None,
    gen_tests: GenTestsOption = None,
    max_repairs: MaxRepairsOption = None,
    max_calls: MaxCallsOption = None,
    confirm_samples: ConfirmSamplesOption = None,
    explore_samples: ExploreSamplesOption = None,
    sample_temperature: SampleTemperatureOption = None,
    repair_samples: RepairSamplesOption = None,
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary at the end."),
    ray_address: RayAddressOption = None,
) -> None:
    """Run a benchmark: resumable, one fsync'd record per task and sample, checked in the sandbox."""
    from eval.batch import BatchConfig, check_identity, run_batch_locked
    from eval.evaluate import Evaluator
    from eval.taskfile import is_task_file, task_file_path, task_file_sha256
    from retrieval.api import retriever_for
    from sandbox import make_sandbox

    retriever = None
    with eval_errors():
        if mode not in MODES:
            fail(f"--mode must be one of {', '.join(MODES)}, got {mode!r}")
        bench_sha256, label = "", bench  # label: the default --out's name
        if bench not in LOADERS and is_task_file(bench):  # a missing file: TaskFileError, one line
            label, bench, bench_sha256 = Path(bench).stem, str(task_file_path(bench)), task_file_sha256(bench)
        elif bench not in LOADERS:
            fail(f"unknown benchmark {bench!r}; known: {', '.join(LOADERS)}, or a .jsonl task file")
        if mode == "pipeline" and not ray_address:  # with --ray each node builds its own
            retriever = retriever_for(retrieval, bench, data_dir)  # ValueError (bad choice): one-line error
        problems = load_benchmark(bench, data_dir)
        problems = (only_tasks(problems, tasks) if tasks else problems)[:limit]
        out = out or Path("runs") / f"{label.replace('+', 'plus')}-{mode}"
        flags = pipeline_overrides(ctx, candidates=candidates, gen_tests=gen_tests, max_repairs=max_repairs,
                                   max_calls=max_calls, confirm_samples=confirm_samples,
                                   explore_samples=explore_samples, sample_temperature=sample_temperature,
                                   repair_samples=repair_samples)
        solve_config = pipeline_config(samples, flags, resolved(ctx)) if mode == "pipeline" else None
        variant = asdict(solve_config) | {"retrieval": retrieval} if solve_config else {}
        config = BatchConfig(bench, mode, samples, model=llm_spec or model or "", variant=variant,
                             bench_sha256=bench_sha256)
        if not redo:
            check_identity(out, config)  # before minutes of model start-up, not after
        err = Console(stderr=True, soft_wrap=True)  # log lines must not be wrapped
        if ray_address:
            from apps.batch_ray import NodeSetup, batch_on_ray

            setup = NodeSetup(mode, samples, solve_config, retrieval, bench, str(data_dir) if data_dir else None,
                              sandbox, model, base_url, port, llm_spec)
            with ProgressFeed(err, bench, out, quiet=as_json) as feed:
                outcome = batch_on_ray(ray_address, problems, out, config, setup, workers=workers, redo=redo,
                                       feed=feed, err=err)
        else:
            llm_kw = {"llm_spec": llm_spec} if llm_spec else {}  # stand-ins for open_llm (tests) take three
            with lock_run_dir(out):  # before the model server starts: a second batch here is refused at once
                box = make_sandbox(sandbox)
                try:
                    with open_llm(model, base_url, port, **llm_kw) as llm, \
                            ProgressFeed(err, bench, out, quiet=as_json) as feed:
                        config = replace(config, served_model=str(getattr(llm, "model", "") or ""))
                        solver = make_solver(mode, llm, box, samples, solve_config, retriever, out / CHECKPOINTS)
                        try:
                            outcome = run_batch_locked(problems, solver, out, Evaluator(box), config, workers=workers,
                                                       redo=redo, on_start=feed.start, on_record=feed.record)
                        finally:  # the pipeline's shared checkpoint connection
                            getattr(solver, "close", lambda: None)()
                finally:
                    box.close()
        for warning in outcome.warnings:
            err.print(f"warning: {warning}", markup=False, highlight=False)
        summary = summarize(read_records(out).effective())
        if as_json:
            print(json.dumps({"run_dir": str(out), "new_records": outcome.new_records, "skipped": outcome.skipped,
                              "warnings": outcome.warnings, **summary}, indent=2))
        else:
            print(f"{bench} {mode} -> {out}")
            print("\n".join(_summary_lines(summary)))
    if outcome.errors:  # a task failed to run (not: its answer failed the tests)
        fail(f"{outcome.errors} of {outcome.new_records} new records errored (their `error` field says why); "
             "run the same command again to retry them", 1)


def eval_run(
    run_dir: Path = typer.Argument(..., help="A run directory written by `codeloop batch`."),
    data_dir: DataDirOption = None,
    sandbox: SandboxOption = "auto",
    workers: int = typer.Option(2, "--workers", min=1, max=64, help="Checks run in parallel."),
    bench: str = typer.Option(None, "--bench", help="Score the answers on this benchmark instead (same task ids, "
                                                    "e.g. humaneval for a humaneval+ run); needs --out."),
    out: Path = typer.Option(None, "--out", help="With --bench: the new run directory to write."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Re-check every completion of a run in the sandbox and report pass@k (writes eval.json),
    or with --bench/--out score them on another benchmark into a new run directory."""
    from eval.evaluate import Evaluator
    from eval.recheck import evaluate_run, rescore_run
    from sandbox import make_sandbox

    with eval_errors():
        if not run_dir.is_dir():
            fail(f"run directory not found: {run_dir}")
        if (bench is None) != (out is None):
            fail("--bench and --out go together (score a run's answers on another benchmark into a new run)")
        if bench is not None and bench not in LOADERS:
            fail(f"unknown benchmark {bench!r}; known: {', '.join(LOADERS)}")
        box = make_sandbox(sandbox)
        try:
            if bench is None:
                result = evaluate_run(run_dir, Evaluator(box), data_dir=data_dir, workers=workers)
            else:
                result = rescore_run(run_dir, bench, out, Evaluator(box), data_dir=data_dir, workers=workers)
        finally:
            box.close()
        for warning in result["warnings"]:
            print(f"warning: {warning}", file=sys.stderr)
        if as_json:
            print(json.dumps({"run_dir": str(out or run_dir), "bench": result["bench"], **result["summary"]}, indent=2))
        else:
            print(f"{out or run_dir} ({result['bench']})")
            print("\n".join(_summary_lines(result["summary"])))


def report(
    run_dirs: list[Path] = typer.Argument(..., help="Run directories to compare."),
    out: Path = typer.Option(Path("report"), "--out", help="Where report.md and the PNG plots go."),
    common: bool = typer.Option(False, "--common", help="Compare only the tasks all runs of a benchmark share."),
    as_json: bool = typer.Option(False, "--json", help="Print the rows as JSON."),
) -> None:
    """Compare runs: a markdown table with 95% intervals for pass@1, a paired comparison (won/lost,
    McNemar p) of each run against the first run of its benchmark, and PNG plots."""
    from eval.report import comparison_text, on_common_tasks, paired_rows, report_rows, write_report
    from eval.recheck import load_run

    with eval_errors():
        runs = []
        for run_dir in run_dirs:
            if not run_dir.is_dir():
                fail(f"run directory not found: {run_dir}")
            runs.append(load_run(run_dir))
        if common:
            runs = on_common_tasks(runs)
        rows, paired = report_rows(runs), paired_rows(runs)  # once: the file and the output show the same
        try:
            md, plots = write_report(runs, out, rows, paired)
        except RuntimeError as exc:
            fail(str(exc))
        if as_json:
            print(json.dumps({"report": str(md), "plots": [str(p) for p in plots], "rows": rows, "paired": paired},
                             indent=2))
        else:
            print(comparison_text(rows, paired), end="")
            print(f"report: {md}")


def register(app: typer.Typer) -> None:
    """Add `batch`, `eval` and `report` to the main CLI."""
    app.command()(batch)
    app.command("eval")(eval_run)
    app.command()(report)
