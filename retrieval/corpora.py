"""Corpora to index: the user's files, the standard library's docs, solved MBPP examples.

All three produce `Document`s for `store.build_index`. None of them imports or runs the
code it reads (the stdlib docs come from parsing sources with `ast`).
"""

from __future__ import annotations

import ast
import json
import logging
import os
import sys
import sysconfig
from collections.abc import Iterable, Iterator
from pathlib import Path

from codetext.pyast import parse_python
from codetext.tree import SKIP_DIRS, walk_files
from eval.data import ENV_VAR as ENV_DATA_DIR
from eval.data import resolve_data_dir  # one convention for where benchmark files live
from retrieval.leakage import POOL_TASK_IDS
from retrieval.store import Document
from settings.errors import BadInput

log = logging.getLogger(__name__)

TEXT_SUFFIXES = {".py", ".pyi", ".md", ".markdown", ".rst", ".txt", ".toml", ".cfg", ".ini", ".yaml", ".yml"}
MAX_FILE_BYTES = 1_000_000  # larger files are data or generated, not useful context


class CorpusError(BadInput):
    """Bad corpus input (missing path, missing data file)."""


def iter_files(paths: Iterable[str | os.PathLike]) -> Iterator[Path]:
    """Text files under `paths` (files taken as given; dirs walked, skipping VCS/venv/build)."""
    for raw in paths:
        path = Path(raw).expanduser()
        if not path.exists():
            raise CorpusError(f"no such file or directory: {raw}")
        if path.is_file():
            yield path.resolve()
            continue
        for candidate in walk_files(path, SKIP_DIRS, skip_hidden=True):
            if candidate.suffix.lower() in TEXT_SUFFIXES:
                yield candidate.resolve()


def documents_from_paths(paths: Iterable[str | os.PathLike]) -> Iterator[Document]:
    """One document per readable text file; binary, huge or undecodable files are skipped."""
    for path in iter_files(paths):
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                log.info("skipping large file %s", path)
                continue
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            log.info("skipping unreadable file %s", path)
            continue
        yield Document(str(path), text, {"kind": "file"})


def _signature(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    return f"({ast.unparse(node.args)})"


def _docs_of_module(name: str, tree: ast.Module) -> Iterator[tuple[str, str]]:
    """(qualified name, rendered doc) for a module and its public classes/functions/methods."""
    doc = ast.get_docstring(tree)
    if doc:
        yield name, f"module {name}\n\n{doc}"
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("_"):
            if (doc := ast.get_docstring(node)):
                yield f"{name}.{node.name}", f"{name}.{node.name}{_signature(node)}\n\n{doc}"
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            cdoc = ast.get_docstring(node) or ""
            yield f"{name}.{node.name}", f"class {name}.{node.name}\n\n{cdoc}".rstrip()
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and not item.name.startswith("_"):
                    if (mdoc := ast.get_docstring(item)):
                        q = f"{name}.{node.name}.{item.name}"
                        yield q, f"{q}{_signature(item)}\n\n{mdoc}"


def stdlib_documents(stdlib_dir: str | os.PathLike | None = None) -> Iterator[Document]:
    """Docstrings of the installed interpreter's public standard-library modules.

    Sources are parsed, never imported (importing e.g. `antigravity` has side effects).
    C modules without Python source (e.g. `math`) have no docs here.
    """
    root = Path(stdlib_dir or sysconfig.get_paths()["stdlib"])
    public = {m for m in sys.stdlib_module_names if not m.startswith("_")}
    seen: set[str] = set()
    skip = {"test", "idlelib", "lib2to3", "turtledemo", "ensurepip", "tkinter", "this", "antigravity"}
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if rel.parts[0] not in {f"{m}.py" for m in public} | public or rel.parts[0].removesuffix(".py") in skip:
            continue
        if any(p.startswith("_") and p != "__init__.py" for p in rel.parts) or "tests" in rel.parts:
            continue
        module = ".".join(rel.with_suffix("").parts).removesuffix(".__init__")
        try:
            tree = parse_python(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, OSError):
            continue
        for qualname, text in _docs_of_module(module, tree):
            if qualname in seen:  # e.g. a property's setter: the getter's doc is enough
                continue
            seen.add(qualname)
            yield Document(f"stdlib:{qualname}", text, {"kind": "doc", "qualname": qualname}, whole=True)


def render_example(row: dict) -> str:
    """A solved MBPP task as text: problem statement, reference solution, one test."""
    tests = row.get("test_list") or []
    code = row["code"].replace("\r\n", "\n").replace("\t", "    ")
    parts = [f"Problem: {row['text']}", "Solution:", code]
    if tests:
        parts += ["Example test:", tests[0]]
    return "\n".join(parts)


def mbpp_example_documents(data_dir: str | os.PathLike | None = None,
                           banned: frozenset[tuple[str, int]] = frozenset()) -> Iterator[Document]:
    """The solved-example pool: MBPP prompt+train tasks (ids 1–10, 601–974), minus `banned`.

    Pass `banned=leakage.evaluation_ids(benchmark, data_dir)` when building a pool for a
    benchmark run: MBPP+ evaluates some tasks (e.g. Mbpp/602) that sit in MBPP's train split.
    """
    path = resolve_data_dir(data_dir) / "mbpp.jsonl"
    if not path.exists():
        raise CorpusError(f"{path} not found; pass a data dir or set ${ENV_DATA_DIR}")
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            tid = int(row["task_id"])
            if tid not in POOL_TASK_IDS or ("mbpp", tid) in banned:
                continue
            meta = {"kind": "example", "benchmark": "mbpp", "task_id": tid}
            yield Document(f"mbpp:{tid}", render_example(row), meta, whole=True)
