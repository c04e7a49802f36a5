"""Guest code — what runs INSIDE the sandbox, shipped there as source text — lives in a `guest/`
folder of its package and imports only the standard library: no codeloop package (the sandbox
has none of them), no third-party package (the sandbox's interpreter may lack it)."""

import ast
import sys
from pathlib import Path

from tests.test_layering import PACKAGES, REPO

# What a guest program may import beyond the standard library, and why the sandbox has it.
ALSO_ALLOWED = {
    "eval/guest/acceptance_runner.py": {"pytest"},  # it drives pytest, which the build's sandbox image installs
}


def foreign_imports(source: str, also_allowed: frozenset[str] | set[str] = frozenset()) -> list[str]:
    """The imports in `source` (anywhere in it) that are not the standard library's; a relative
    import (it would need a host package around it) shows as its dots and name."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = ["." * node.level + (node.module or "")]
        else:
            continue
        found += [name for name in names if name.startswith(".")
                  or name.split(".")[0] not in sys.stdlib_module_names | set(also_allowed)]
    return found


def guest_files() -> list[Path]:
    """Every module under a `guest/` folder of a product package."""
    return sorted(path for package in PACKAGES for path in (REPO / package).rglob("guest/**/*.py"))


def test_foreign_imports_sees_a_planted_violation():
    source = ("import json, os.path\nfrom collections import deque\nimport numpy\n"
              "def main():\n    from eval.harness import RESULT_MARK\n    from . import sibling\n    import pytest\n")
    assert sorted(foreign_imports(source)) == [".", "eval.harness", "numpy", "pytest"]
    assert sorted(foreign_imports(source, {"pytest", "numpy"})) == [".", "eval.harness"]
    assert foreign_imports("import sys\nfrom json import dumps\n") == []


def test_guest_code_imports_only_the_standard_library():
    files = guest_files()
    folders = {str(path.parent.relative_to(REPO)) for path in files}
    assert {"agents/guest", "eval/guest", "sandbox/guest"} <= folders  # the scan does see them
    offenders = {}
    for path in files:
        name = str(path.relative_to(REPO))
        if bad := foreign_imports(path.read_text(encoding="utf-8"), ALSO_ALLOWED.get(name, set())):
            offenders[name] = bad
    assert offenders == {}, f"guest code importing beyond the standard library: {offenders}"


def test_each_guest_folder_says_what_it_is():
    for folder in {path.parent for path in guest_files()}:
        init = folder / "__init__.py"
        assert init.is_file(), f"{folder.relative_to(REPO)} has no __init__.py"
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
        assert "inside the sandbox" in doc.lower() and "standard library" in doc, init
