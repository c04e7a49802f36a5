"""Reports comparing runs: a markdown table and PNG plots (pass@1 per benchmark, tokens per
solved task, seconds per task). Plots need matplotlib (the `eval` extra)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from eval.runs import Run
from eval.summary import summarize

PLOTS = ("pass_at_1.png", "tokens_per_solved.png", "seconds_per_task.png")


def _fmt(value, pattern: str) -> str:
    return "–" if value is None else format(value, pattern)


def on_common_tasks(runs: Sequence[Run]) -> list[Run]:
    """The runs restricted to the tasks every run of the same benchmark has a record for,
    so a pipeline run over 60 tasks compares with a baseline over all 164 on those 60."""
    shared: dict[str, set] = {}
    for run in runs:
        ids = {r["task_id"] for r in run.records}
        bench = run.meta.get("bench", "?")
        shared[bench] = shared[bench] & ids if bench in shared else ids
    return [replace(run, records=[r for r in run.records if r["task_id"] in shared[run.meta.get("bench", "?")]])
            for run in runs]


def report_rows(runs: Sequence[Run]) -> list[dict]:
    """One row of numbers per run (the summary plus its identity)."""
    rows = []
    for run in runs:
        s = summarize(run.records)
        rows.append({"label": run.label, "path": str(run.path), "bench": run.meta.get("bench", "?"),
                     "mode": run.meta.get("mode", "?"),
                     "model": run.meta.get("served_model") or run.meta.get("model", ""), **s})
    return rows


def markdown_table(rows: Sequence[dict]) -> str:
    """The comparison table in GitHub markdown."""
    head = ("| run | bench | mode | tasks | passed | pass@1 | base pass@1 | tokens/task | tokens/solved "
            "| calls/task | cached share | s/task | sandbox share | errors |")
    lines = [head, "|" + "---|" * 14]
    for r in rows:
        t, n = r["tokens"], r["records"] or 1
        cached = t["cached_tokens"] / t["prompt_tokens"] if t["prompt_tokens"] else None
        lines.append(
            f"| {r['label']} | {r['bench']} | {r['mode']} | {r['records']} | {r['passed']} "
            f"| {_fmt(r.get('pass@1'), '.1%')} | {_fmt(r['base'].get('pass@1'), '.1%')} "
            f"| {r['tokens_per_task']:.0f} | {_fmt(r['tokens_per_solved'], '.0f')} "
            f"| {t['calls'] / n:.2f} | {_fmt(cached, '.1%')} "
            f"| {r['seconds_per_task']:.1f} | {r['sandbox_share']:.1%} | {r['errors']} |"
        )
    return "\n".join(lines) + "\n"


def agent_table(rows: Sequence[dict]) -> str:
    """Per-agent totals of each run: calls, tokens, seconds (where the solver reported them)."""
    lines = ["| run | agent | calls | prompt tokens | completion tokens | cached | seconds |", "|" + "---|" * 7]
    for r in rows:
        for name, a in sorted(r["agents"].items()):
            lines.append(f"| {r['label']} | {name} | {a.get('calls', 0)} | {a.get('prompt_tokens', 0)} "
                         f"| {a.get('completion_tokens', 0)} | {a.get('cached_tokens', 0)} | {a.get('seconds', 0):.1f} |")
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
        values = []
        for bench in benches:
            match = [r for r in rows if r["bench"] == bench and f"{r['mode']} · {r['model'] or '?'}" == label]
            value = match[-1].get(key) if match else None
            values.append(value if value is not None else 0.0)
        ax.bar([b + i * width for b in range(len(benches))], values, width, label=label)
    ax.set_xticks([b + width * (len(labels) - 1) / 2 for b in range(len(benches))], benches)
    if key == "pass@1":
        ax.set_ylim(0, 1)
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_report(runs: Sequence[Run], out_dir: Path) -> tuple[Path, list[Path]]:
    """Write report.md and the PNG plots into `out_dir`; returns their paths."""
    try:
        import matplotlib  # noqa: F401
    except ImportError as exc:
        raise RuntimeError("plots need matplotlib: pip install 'codeloop[eval]'") from exc
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = report_rows(runs)
    plots = [out_dir / name for name in PLOTS]
    _bar_plot(rows, "pass@1", "pass@1 per benchmark", "pass@1", plots[0])
    _bar_plot(rows, "tokens_per_solved", "tokens per solved task", "tokens", plots[1])
    _bar_plot(rows, "seconds_per_task", "seconds per task", "seconds", plots[2])
    text = "# codeloop run report\n\n" + markdown_table(rows) + "\n" + "".join(
        f"![{p.stem}]({p.name})\n" for p in plots) + "\n## Per agent\n\n" + agent_table(rows)
    warnings = [w for run in runs for w in run.warnings]
    if warnings:
        text += "\n## Warnings\n\n" + "".join(f"- {w}\n" for w in warnings)
    md = out_dir / "report.md"
    md.write_text(text, encoding="utf-8")
    return md, plots
