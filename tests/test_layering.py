"""The layers stay a DAG, between packages and between files: no package of codeloop imports a
package that imports it back, and no module imports a module that imports it back (directly or
through others, at module level or inside a function), so each can be read, tested and replaced
on its own, and an import inside a function is never there only to hide a cycle."""

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("agents", "apps", "codetext", "eval", "memory", "retrieval", "sandbox", "serving", "settings",
            "workspace")
# Trees that are not part of the product: a product module importing them breaks an install.
NOT_PRODUCT = {"tests", "benchmarks"}


def imported_names(tree: ast.AST, module: str, is_package: bool) -> set[str]:
    """The dotted names a parsed module imports anywhere: `import a.b` gives a.b, `from a import
    b, c` gives a.b and a.c (submodule or not: resolve() tells), relative imports made absolute."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = module.split(".")
                parent = parts[: len(parts) - node.level + (1 if is_package else 0)]
                base = ".".join(parent + ([base] if base else []))
            # each name is a submodule or something of `base`: resolve() tells which
            names |= {f"{base}.{alias.name}" if base else alias.name for alias in node.names}
    return {name for name in names if name}


def product_modules() -> dict[str, Path]:
    """Every module of the product packages by dotted name (a package is its __init__.py)."""
    modules = {}
    for package in PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            parts = path.relative_to(REPO).with_suffix("").parts
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The module an imported dotted name lands in: the longest prefix that is a module
    (`from pkg import mod` is pkg/mod.py, `from pkg.mod import func` is pkg/mod.py)."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        if (candidate := ".".join(parts[:end])) in modules:
            return candidate
    return None


def file_graph() -> dict[str, set[str]]:
    """module -> the product modules it imports (module level and inside functions)."""
    modules = product_modules()
    graph = {}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = imported_names(tree, module, path.name == "__init__.py")
        graph[module] = {resolve(name, modules) for name in names} - {module, None}
    return graph


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
            found |= {name.split(".")[0] for name in names} & (set(PACKAGES) | NOT_PRODUCT)
    return found - {package}


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle as a path [a, b, ..., a], or [] when the graph has none."""
    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> list[str]:
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
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


def test_imports_resolve_to_files():
    modules = {"p": Path("p/__init__.py"), "p.mod": Path("p/mod.py"), "p.sub": Path("p/sub/__init__.py"),
               "p.sub.deep": Path("p/sub/deep.py")}
    source = ("import p.sub.deep\nfrom p import mod\nfrom p.mod import f\n"
              "def g():\n    from . import deep, Other\n    from .. import Name\n")
    names = imported_names(ast.parse(source), "p.sub.x", is_package=False)
    assert {resolve(n, modules) for n in names} == {"p.sub.deep", "p.mod", "p.sub", "p"}
    assert resolve("p.mod.f", modules) == "p.mod" and resolve("os.path", modules) is None
    # in a package's __init__, `from . import x` is relative to the package itself
    assert "p.sub.deep" in imported_names(ast.parse("from . import deep"), "p.sub", is_package=True)


def test_the_packages_import_each_other_without_cycles():
    graph = {p: imported_packages(p) for p in PACKAGES if (REPO / p).is_dir()}
    assert "agents" in graph["apps"] and "sandbox" in graph["eval"]  # the scan does see imports
    assert find_cycle(graph) == [], graph
    assert "agents" not in graph["eval"] and "eval" not in graph["codetext"]
    assert graph["settings"] == set()  # the cache root and configuration: usable from every layer
    # the workspace toolkit sits below the doors and the agent loops
    assert graph.get("workspace", set()) <= {"settings", "sandbox", "codetext", "serving"}, graph["workspace"]


def test_product_packages_never_import_tests_or_benchmarks():
    offenders = {p: imported_packages(p) & NOT_PRODUCT for p in PACKAGES if (REPO / p).is_dir()}
    assert {p: found for p, found in offenders.items() if found} == {}


def test_the_files_import_each_other_without_cycles():
    graph = file_graph()
    assert "agents.graph" in graph["apps.solve_cmd"] or any(  # the scan does see file imports
        target.startswith("agents.") for target in graph["apps.solve_cmd"])
    cycle = find_cycle(graph)
    assert cycle == [], "import cycle between files: " + " -> ".join(cycle)
