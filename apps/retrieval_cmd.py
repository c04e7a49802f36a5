"""`codeloop index` and `codeloop search`: build and query local retrieval indexes.

The functions below are plain typer commands; `register(app)` mounts them on the main
CLI as top-level commands. Library errors become one-line messages: exit code 2 for bad
input, 1 for a runtime fault such as a full disk (apps/errors.py).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Optional

import typer

from apps.errors import fail, fail_for
from apps.options import DataDirOption, IndexDirOption
from retrieval.corpora import CorpusError
from retrieval.dense import DenseUnavailable


def index_command(
    paths: Annotated[Optional[list[Path]], typer.Argument(help="Files or directories to index.")] = None,
    name: Annotated[str, typer.Option("--name", "-n", help="Index name.")] = "default",
    dense: Annotated[Optional[bool], typer.Option("--dense/--no-dense", help="Embed chunks too (default: if the dense extra is installed).")] = None,
    stdlib: Annotated[bool, typer.Option("--stdlib", help="Index the standard library's docstrings instead of PATHs.")] = False,
    examples: Annotated[Optional[str], typer.Option("--examples", metavar="BENCHMARK", help="Index the solved MBPP example pool, leakage-guarded for BENCHMARK (mbpp, mbpp+, humaneval, …).")] = None,
    data_dir: DataDirOption = None,
    index_dir: IndexDirOption = None,
) -> None:
    """Build or incrementally update a retrieval index (unchanged files are skipped)."""
    from retrieval import api

    try:
        if sum([bool(paths), stdlib, examples is not None]) != 1:
            fail("give PATHs, or --stdlib, or --examples BENCHMARK (exactly one)")
        if stdlib:
            stats = api.index_stdlib(name if name != "default" else "stdlib", index_dir, dense)
        elif examples is not None:
            stats = api.index_examples(examples, data_dir, None if name == "default" else name, index_dir, dense)
        else:
            stats = api.index_paths(paths, name, index_dir, dense)
    except (CorpusError, DenseUnavailable, ValueError) as exc:
        fail(str(exc))
    except OSError as exc:  # a path that is not there (bad input) or a disk fault (runtime)
        fail_for(exc)
    typer.echo(f"{stats.sources} sources, {stats.chunks} chunks "
               f"({len(stats.rechunked)} re-chunked, {len(stats.removed)} removed, {stats.embedded} embedded) "
               f"in {stats.seconds:.1f}s, {stats.bytes / 1e6:.1f} MB")


def search_command(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    k: Annotated[int, typer.Option("--k", "-k", help="Number of hits (1-1000).")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    name: Annotated[str, typer.Option("--name", "-n", help="Index name.")] = "default",
    mode: Annotated[str, typer.Option("--mode", help="auto, bm25, dense or hybrid.")] = "auto",
    benchmark: Annotated[Optional[str], typer.Option("--benchmark", help="Drop this benchmark's evaluation problems (leakage guard).")] = None,
    data_dir: DataDirOption = None,
    index_dir: IndexDirOption = None,
) -> None:
    """Search an index; prints hits with their source, or JSON with --json."""
    from retrieval import api
    from retrieval.leakage import LeakageGuard, evaluation_ids

    if not query.strip():
        fail("empty query")
    if not 1 <= k <= 1000:
        fail(f"--k must be between 1 and 1000, got {k}")
    try:
        retriever = api.open_index(name, index_dir, mode)
        if benchmark:
            retriever = LeakageGuard(retriever, evaluation_ids(benchmark, data_dir))
        hits = retriever.search(query, k)
    except (DenseUnavailable, ValueError) as exc:
        fail(str(exc))
    except OSError as exc:  # IndexNotFound (bad input) or a disk fault (runtime)
        fail_for(exc)
    if as_json:
        typer.echo(json.dumps([asdict(h) for h in hits], ensure_ascii=False, indent=2))
        return
    if not hits:
        typer.echo("no hits")
    for n, hit in enumerate(hits, start=1):
        typer.echo(f"{n}. {hit.source}  (score {hit.score:.4f})")
        for line in hit.text.splitlines()[:12]:
            typer.echo(f"    {line}")


def register(app: typer.Typer) -> None:
    """Mount `index` and `search` as top-level commands of `app`."""
    app.command("index")(index_command)
    app.command("search")(search_command)


def make_app() -> typer.Typer:
    """A standalone app with just these two commands (tests, `python -m apps.retrieval_cmd`)."""
    app = typer.Typer(no_args_is_help=True, add_completion=False, help="Local retrieval indexes.")
    register(app)
    return app


if __name__ == "__main__":
    make_app()()
