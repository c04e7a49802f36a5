"""Reports comparing runs: a markdown table with 95% intervals, a paired comparison of runs
on the same benchmark, and PNG plots (pass@1 per benchmark, tokens per solved task, seconds
per task). Plots need matplotlib (the `eval` extra)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from eval.recheck import Run
from eval.stats import paired_comparison
from eval.summary import summarize

PLOTS = ("pass_at_1.png", "tokens_per_solved.png", "seconds_per_task.png")
EXTRA_KS = ("pass@5", "pass@10")  # columns shown only when some run has enough samples

CI_NOTE = ("pass@1 [95% interval]: Wilson score interval over tasks for one sample per task; "
           "percentile bootstrap over tasks (2000 resamples, seed 0) for several.\n")
PAIRED_NOTE = ("Each run against the first run of its benchmark (A), on the tasks both have; a task is solved "
               "when its sample 0 passed. won = only B solved, lost = only A solved; p: exact McNemar test "
               "(two-sided) on won vs lost.\n")


def _fmt(value, pattern: str) -> str:
    return "–" if value is None else format(value, pattern)


def _with_ci(value, ci) -> str:
    """`68.9% [61.4–75.5]`, or just the value when there is no interval."""
    if value is None or not ci:
        return _fmt(value, ".1%")
    return f"{value:.1%} [{ci[0] * 100:.1f}–{ci[1] * 100:.1f}]"


def _fmt_p(p: float) -> str:
    # three significant digits, so a tiny p stays readable (4.2e-05) instead of 0.0000
    return format(p, ".3g")


def bench_of(run: Run) -> str:
    """The run's benchmark as reports name and group it: a built-in name, or for a task file
    its file name and content hash — the same file run from two checkouts is one benchmark."""
    bench, digest = run.meta.get("bench", "?"), run.meta.get("bench_sha256", "")
    return f"{Path(bench).name} ({digest[:8]})" if digest else bench


def on_common_tasks(runs: Sequence[Run]) -> list[Run]:
    """The runs restricted to the tasks every run of the same benchmark has a record for,
    so a pipeline run over 60 tasks compares with a baseline over all 164 on those 60."""
    shared: dict[str, set] = {}
    for run in runs:
        ids = {r["task_id"] for r in run.records}
        bench = bench_of(run)
        shared[bench] = shared[bench] & ids if bench in shared else ids
    return [replace(run, records=[r for r in run.records if r["task_id"] in shared[bench_of(run)]])
            for run in runs]


def report_rows(runs: Sequence[Run]) -> list[dict]:
    """One row of numbers per run (the summary, with its pass@1 intervals, plus its identity)."""
    rows = []
    for run in runs:
        s = summarize(run.records)
        rows.append({"label": run.label, "path": str(run.path), "bench": bench_of(run),
                     "mode": run.meta.get("mode", "?"),
                     "model": run.meta.get("served_model") or run.meta.get("model", ""), **s})
    return rows


def paired_rows(runs: Sequence[Run]) -> list[dict]:
    """For each benchmark with two runs or more: the first run (A) against each later one (B),
    on the tasks both have (eval.stats.paired_comparison)."""
    first: dict[str, Run] = {}
    rows = []
    for run in runs:
        bench = bench_of(run)
        if bench not in first:
            first[bench] = run
            continue
        ref = first[bench]
        rows.append({"bench": bench, "a": ref.label, "b": run.label, "a_path": str(ref.path), "b_path": str(run.path),
                     **paired_comparison(ref.records, run.records)})
    return rows


def markdown_table(rows: Sequence[dict]) -> str:
    """The comparison table in GitHub markdown; pass@5 / pass@10 columns only when a run has them."""
    extra = [k for k in EXTRA_KS if any(k in r for r in rows)]
    head = ("| run | bench | mode | tasks | passed | pass@1 | base pass@1 | " + "".join(f"{k} | " for k in extra)
            + "tokens/task | tokens/solved | calls/task | cached share | s/task | time model/sandbox/other | errors |")
    lines = [head, "|" + "---|" * (14 + len(extra))]
    for r in rows:
        t, n = r["tokens"], r["records"] or 1
        cached = t["cached_tokens"] / t["prompt_tokens"] if t["prompt_tokens"] else None
        lines.append(
            f"| {r['label']} | {r['bench']} | {r['mode']} | {r['records']} | {r['passed']} "
            f"| {_with_ci(r.get('pass@1'), r.get('pass@1_ci'))} "
            f"| {_with_ci(r['base'].get('pass@1'), r['base'].get('pass@1_ci'))} "
            + "".join(f"| {_fmt(r.get(k), '.1%')} " for k in extra)
            + f"| {r['tokens_per_task']:.0f} | {_fmt(r['tokens_per_solved'], '.0f')} "
            f"| {t['calls'] / n:.2f} | {_fmt(cached, '.1%')} "
            f"| {r['seconds_per_task']:.1f} | {_split(r)} | {r['errors']} |"
        )
    return "\n".join(lines) + "\n"


def _split(row: dict) -> str:
    """`62% / 9% / 29%`: shares of wall time spent on the model, in the sandbox, elsewhere."""
    return " / ".join(f"{row[k]:.0%}" for k in ("model_share", "sandbox_share", "other_share"))


def paired_table(paired: Sequence[dict]) -> str:
    """The paired comparisons in GitHub markdown (see PAIRED_NOTE for how to read them)."""
    lines = ["| bench | A | B | tasks | A pass@1 | B pass@1 | B − A | won | lost | McNemar p |", "|" + "---|" * 10]
    for p in paired:
        diff = "–" if p["difference"] is None else f"{p['difference'] * 100:+.1f} pp"
        lines.append(f"| {p['bench']} | {p['a']} | {p['b']} | {p['tasks']} | {_fmt(p['pass@1_a'], '.1%')} "
                     f"| {_fmt(p['pass@1_b'], '.1%')} | {diff} | {p['only_b']} | {p['only_a']} "
                     f"| {_fmt_p(p['p_value'])} |")
    return "\n".join(lines) + "\n"


def comparison_text(rows: Sequence[dict], paired: Sequence[dict]) -> str:
    """The table, its interval note and (when there are pairs) the paired section: what
    `codeloop report` prints and what report.md holds above its plots."""
    text = markdown_table(rows) + "\n" + CI_NOTE
    if paired:
        text += "\n## Paired comparison\n\n" + PAIRED_NOTE + "\n" + paired_table(paired)
    return text


def agent_table(rows: Sequence[dict]) -> str:
    """Per-agent totals of each run: calls, tokens, seconds (where the solver reported them)."""
    lines = ["| run | agent | calls | prompt tokens | completion tokens | cached | seconds | model s | sandbox s |",
             "|" + "---|" * 9]
    for r in rows:
        for name, a in sorted(r["agents"].items()):
            lines.append(f"| {r['label']} | {name} | {a.get('calls', 0)} | {a.get('prompt_tokens', 0)} "
                         f"| {a.get('completion_tokens', 0)} | {a.get('cached_tokens', 0)} | {a.get('seconds', 0):.1f} "
                         f"| {a.get('model_s', 0):.1f} | {a.get('sandbox_s', 0):.1f} |")
    return "\n".join(lines) + "\n"


def _bar_plot(rows: Sequence[dict], key: str, title: str, ylabel: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    benches = sorted({r["bench"] for r in rows})
    labels = list(dict.fromkeys(f"{r['mode']} · {r['model'] or '?'}" for r in rows))
    width = 0.8 / max(1, len(labels))
    fig, ax = plt.subplots(figsize=(max(5, 1.6 * len(benches) * max(1, len(labels)) / 2 + 3), 4))
    for i, label in enumerate(labels):
        values, errs = [], ([], [])  # errs: distances down and up to the 95% interval (pass@1 only)
        for bench in benches:
            match = [r for r in rows if r["bench"] == bench and f"{r['mode']} · {r['model'] or '?'}" == label]
            value = match[-1].get(key) if match else None
            ci = match[-1].get(f"{key}_ci") if match and value is not None else None
            values.append(value if value is not None else 0.0)
            # max(0, ..): matplotlib rejects negative error lengths, and a bootstrap bound can touch the mean
            errs[0].append(max(0.0, value - ci[0]) if ci else 0.0)
            errs[1].append(max(0.0, ci[1] - value) if ci else 0.0)
        ax.bar([b + i * width for b in range(len(benches))], values, width, label=label,
               yerr=errs if any(errs[0] + errs[1]) else None, capsize=3)
    ax.set_xticks([b + width * (len(labels) - 1) / 2 for b in range(len(benches))], benches)
    if key == "pass@1":
        ax.set_ylim(0, 1)
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_report(runs: Sequence[Run], out_dir: Path, rows: Sequence[dict] | None = None,
                 paired: Sequence[dict] | None = None) -> tuple[Path, list[Path]]:
    """Write report.md and the PNG plots into `out_dir`; returns their paths. `rows` and
    `paired` (report_rows / paired_rows of `runs`) are computed here when not given."""
    try:
        import matplotlib  # noqa: F401
    except ImportError as exc:
        raise RuntimeError("plots need matplotlib: pip install 'codeloop[eval]'") from exc
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = report_rows(runs) if rows is None else rows
    paired = paired_rows(runs) if paired is None else paired
    plots = [out_dir / name for name in PLOTS]
    _bar_plot(rows, "pass@1", "pass@1 per benchmark", "pass@1", plots[0])
    _bar_plot(rows, "tokens_per_solved", "tokens per solved task", "tokens", plots[1])
    _bar_plot(rows, "seconds_per_task", "seconds per task", "seconds", plots[2])
    text = "# codeloop run report\n\n" + comparison_text(rows, paired) + "\n" + "".join(
        f"![{p.stem}]({p.name})\n" for p in plots) + "\n## Per agent\n\n" + agent_table(rows)
    warnings = [w for run in runs for w in run.warnings]
    if warnings:
        text += "\n## Warnings\n\n" + "".join(f"- {w}\n" for w in warnings)
    md = out_dir / "report.md"
    md.write_text(text, encoding="utf-8")
    return md, plots
