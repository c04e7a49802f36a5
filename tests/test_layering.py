"""No package of codeloop imports a package that imports it back (directly or through
others): the layers stay a DAG, so each can be read, tested and replaced on its own."""

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("agents", "apps", "codetext", "eval", "memory", "retrieval", "sandbox", "serving", "settings")


def imported_packages(package: str) -> set[str]:
    """The other codeloop packages `package` imports anywhere (module level or inside functions)."""
    found = set()
    for path in (REPO / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            found |= {name.split(".")[0] for name in names} & set(PACKAGES)
    return found - {package}


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle as a path [a, b, ..., a], or [] when the graph has none."""
    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> list[str]:
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return path[path.index(nxt):] + [nxt] if nxt in path else [node, nxt]
            if nxt not in state and (cycle := visit(nxt, path + [nxt])):
                return cycle
        state[node] = "done"
        return []

    for start in sorted(graph):
        if start not in state and (cycle := visit(start, [start])):
            return cycle
    return []


def test_find_cycle_sees_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) == []


def test_the_packages_import_each_other_without_cycles():
    graph = {p: imported_packages(p) for p in PACKAGES if (REPO / p).is_dir()}
    assert "agents" in graph["apps"] and "sandbox" in graph["eval"]  # the scan does see imports
    assert find_cycle(graph) == [], graph
    assert "agents" not in graph["eval"] and "eval" not in graph["codetext"]
    assert graph["settings"] == set()  # the cache root and configuration: usable from every layer
