"""docs/ARCHITECTURE.md cannot rot silently: every repository path it names exists, every
`python -m benchmarks.X` it shows is a module, and every "docs/ARCHITECTURE.md, <section>"
pointer in the code names a section the doc has."""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "ARCHITECTURE.md"
TOP = ("agents", "apps", "codetext", "eval", "memory", "retrieval", "sandbox", "serving", "settings", "workspace",
       "benchmarks", "tests", "docs", "scripts")
# A path starts at a top-level folder not glued to a longer word or path ("x/agents/" is not one).
PATH = re.compile(r"(?<![\w./-])((?:%s)/[\w./-]*)" % "|".join(TOP))
POINTER = re.compile(r"docs/ARCHITECTURE\.md, ([A-Z][\w ]*[\w])")
SOURCES = ("*.py", "*.toml", "*.md", "*.sh", "Makefile")
SKIP = {".venv", ".git", "__pycache__", "build", "codeloop.egg-info", "node_modules"}


def named_paths(text: str) -> set[str]:
    """The repository paths a markdown text names (in backticks, links or diagrams)."""
    return {match.rstrip(".") for match in PATH.findall(text)}


def headings(text: str) -> list[str]:
    """The titles of the `##`/`###` sections of a markdown text."""
    return [line.lstrip("#").strip() for line in text.splitlines() if re.match(r"#{2,3} ", line)]


def source_files() -> list[Path]:
    """The tracked-looking text files of the tree a pointer could live in."""
    found = []
    for pattern in SOURCES:
        found += [p for p in REPO.rglob(pattern) if not SKIP & set(p.relative_to(REPO).parts)]
    return found


def test_named_paths_sees_paths_only():
    text = "`agents/graph.py`, in `tests/security/`. `apps/<name>_cmd.py` and x/agents/y, agents alone"
    assert named_paths(text) == {"agents/graph.py", "tests/security/", "apps/"}


def test_every_path_the_doc_names_exists():
    missing = sorted(p for p in named_paths(DOC.read_text(encoding="utf-8")) if not (REPO / p).exists())
    assert missing == [], f"docs/ARCHITECTURE.md names paths that do not exist: {missing}"


def test_every_benchmark_module_the_doc_shows_exists():
    modules = re.findall(r"python -m benchmarks\.(\w+)", DOC.read_text(encoding="utf-8"))
    assert [m for m in modules if not (REPO / "benchmarks" / f"{m}.py").exists()] == []


def test_the_doc_has_the_sections_a_newcomer_needs():
    titles = headings(DOC.read_text(encoding="utf-8"))
    for needed in ("Layers", "Solve", "Build", "Chat and fix", "Batch", "Threat model", "Conventions",
                   "Where does a change go"):
        assert needed in titles


def test_every_pointer_into_the_doc_names_a_section():
    titles = headings(DOC.read_text(encoding="utf-8"))
    pointers = {(path.relative_to(REPO).as_posix(), cited) for path in source_files()
                for cited in POINTER.findall(path.read_text(encoding="utf-8", errors="replace"))}
    assert pointers, "no docstring points at docs/ARCHITECTURE.md"
    dangling = sorted((path, cited) for path, cited in pointers
                      if not any(cited == t or cited.startswith(t + " ") for t in titles))
    assert dangling == [], f"pointers to sections docs/ARCHITECTURE.md lacks: {dangling}"


def test_no_code_cites_the_external_design_note():
    cites = [path.relative_to(REPO).as_posix() for path in source_files()
             if path.suffix in (".py", ".toml") and re.search(r"DESIGN(\.md)? §", path.read_text(encoding="utf-8"))]
    assert cites == [], f"cite docs/ARCHITECTURE.md instead: {cites}"
