"""Batch progress on stderr (`codeloop batch`, thread pool or Ray): a bar with ETA on a
terminal, one line per record otherwise."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from eval.runstore import check_of
from eval.summary import passed


class ProgressFeed:
    """Batch progress on stderr: a bar with ETA on a terminal, one line per record otherwise
    (background runs), nothing but the start-up notes with --json on a terminal."""

    def __init__(self, console: Console, title: str, out: Path, *, quiet: bool) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.console, self.out = console, out
        self.lines = not console.is_terminal
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[passed]} passed"), TimeRemainingColumn(),
                                 console=console, disable=quiet or self.lines)
        self.bar = self.progress.add_task(title, total=None, passed=0)
        self.todo = self.done = self.passed = 0

    def __enter__(self) -> "ProgressFeed":
        self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.stop()

    def start(self, todo: int, skipped: int) -> None:
        """Called once the run directory is read: how much is left, how much was done."""
        self.todo = todo
        self.progress.update(self.bar, total=todo)
        if skipped:
            self.console.print(f"resuming {self.out}: {skipped} records already done", markup=False, highlight=False)

    def record(self, record: dict) -> None:
        """Called after each record is safely written."""
        self.done += 1
        self.passed += passed(record)
        self.progress.update(self.bar, advance=1, passed=self.passed)
        if self.lines:
            self.console.print(f"[{self.done}/{self.todo}] {record['task_id']}#{record['sample']} "
                               f"{check_of(record).get('status')} {record['seconds']['total']:.1f} s "
                               f"({self.passed} passed)", markup=False, highlight=False)
