"""benchmarks/ is a package of scripts run as `python -m benchmarks.NAME` from the repository
root: each imports without side effects and has `main()`, none edits `sys.path` or imports from
tests/, none is named like a product package or module, it is never installed, and its run
records are gzipped and cited by a report."""

import ast
import json
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "benchmarks"
SCRIPTS = sorted(p.stem for p in BENCH.glob("*.py") if p.stem != "__init__")
SUPPORT = sorted(p.stem for p in (BENCH / "support").glob("*.py") if p.stem != "__init__")


def product_packages() -> list[str]:
    """The installed packages: pyproject's packages.find include list, without its globs."""
    include = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]["include"]
    return [name.rstrip("*") for name in include]


def test_every_module_imports_without_side_effects_and_every_script_has_main(tmp_path):
    # One fresh interpreter imports them all, from an empty folder with the repo on PYTHONPATH and an
    # argument no script takes: a module that parsed arguments, printed or wrote a file at import fails.
    modules = [f"benchmarks.{name}" for name in SCRIPTS] + [f"benchmarks.support.{name}" for name in SUPPORT]
    code = ("import importlib, json, sys\n"
            f"mods = {{m: importlib.import_module(m) for m in {modules!r}}}\n"
            "sys.stderr.write(json.dumps({m: callable(getattr(mod, 'main', None)) for m, mod in mods.items()}))\n")
    done = subprocess.run([sys.executable, "-c", code, "--no-such-flag"], cwd=tmp_path, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "HOME": str(tmp_path)}, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout == "" and list(tmp_path.iterdir()) == []
    has_main = json.loads(done.stderr.strip().splitlines()[-1])
    assert [m for m in modules if m.startswith("benchmarks.support.") is has_main[m]] == []  # scripts only


def test_scripts_answer_help_when_run_as_modules():
    for name in ("pipeline_paths", "sandbox_bench", "serving_bench"):  # a few: each is a fresh interpreter
        done = subprocess.run([sys.executable, "-m", f"benchmarks.{name}", "--help"], cwd=REPO, capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0 and done.stdout.startswith("usage:"), (name, done.stderr[-500:])


def test_no_sys_path_edits_and_no_imports_from_tests():
    files = sorted(BENCH.rglob("*.py")) + sorted(BENCH.rglob("*.sh"))
    assert len(files) > len(SCRIPTS)
    assert [str(f.relative_to(REPO)) for f in files if "sys.path" in f.read_text()] == []
    from_tests = []
    for path in BENCH.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            from_tests += [f"{path.name}: {n}" for n in names if n == "tests" or n.startswith("tests.")]
    assert from_tests == []


def test_no_script_is_named_like_a_product_package_or_module():
    packages = product_packages()
    assert "benchmarks" not in packages and "sandbox" in packages  # never installed; the list is read right
    names = set(packages) | {p.stem for package in packages for p in (REPO / package).rglob("*.py")}
    assert sorted(set(SCRIPTS) & names) == []


def test_run_records_are_gzipped_and_each_run_is_cited_by_a_report():
    root = BENCH / "runs"
    runs = sorted({p.parent for name in ("meta.json", "records.jsonl*") for p in root.rglob(name)})
    assert len(runs) > 10 and [p for p in root.rglob("*.jsonl")] == []  # records.jsonl.gz, samples.jsonl.gz
    assert [r.name for r in runs if not (r / "records.jsonl.gz").exists()] == []
    reports = "\n".join(p.read_text() for p in (BENCH / "reports").glob("*.md"))
    # a report names the run, or the folder that holds it, as benchmarks/runs/NAME
    assert [r.name for r in runs if f"benchmarks/runs/{r.relative_to(root).parts[0]}" not in reports] == []
