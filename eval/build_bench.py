"""The build benchmark: build each spec in eval/specs/ and score the result with the
spec's hidden acceptance tests, run in the sandbox over the built project.

The hidden tests run with the project's conftest.py, ini files, plugins and modules that
shadow pytest out of play (`guest/acceptance_runner.py`); a project whose imported code tampers
with pytest in memory can still forge outcomes (see eval/README.md).

Per spec: features % (acceptance tests passed), the project's own tests, lines of code,
tokens, LLM calls, wall time, steps that overflowed and restarted. The builder is passed
in (apps/ wires `codeloop build` to it), so eval/ does not depend on agents/. Results are
appended to `OUT/results.jsonl` as each spec finishes: a crash loses no finished spec,
and a rerun skips specs already scored.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from codetext.tree import walk_files
from sandbox.base import Limits, Sandbox
from settings.errors import BadInput
from workspace.pytest_run import run_pytest

SPECS_DIR = Path(__file__).with_name("specs")
RUNNER_SOURCE = Path(__file__).parent / "guest" / "acceptance_runner.py"  # runs in the sandbox, stdlib + pytest
ACCEPTANCE_DIR = "_acceptance"  # where the hidden tests go in the sandbox, beside the project
RUNNER_DIR = "_codeloop"  # the runner and its empty ini: ours, never the project's
TOKEN_FILE = ".codeloop-acceptance-token"  # as in guest/acceptance_runner.py
RESERVED = (ACCEPTANCE_DIR, RUNNER_DIR, TOKEN_FILE)  # a project's files there are dropped
RESULT_MARK = "__CODELOOP_ACCEPTANCE__ "  # as in guest/acceptance_runner.py
MAX_FILE_BYTES = 256 * 1024


@dataclass(frozen=True)
class SpecCase:
    name: str
    spec: Path
    acceptance: Path  # folder of pytest files the agents never see


def discover(root: Path = SPECS_DIR, only: list[str] | None = None) -> list[SpecCase]:
    """The spec folders under `root` (those with spec.md and acceptance/), sorted by name."""
    cases = [SpecCase(d.name, d / "spec.md", d / "acceptance") for d in sorted(root.iterdir())
             if (d / "spec.md").is_file() and (d / "acceptance").is_dir()]
    if only:
        unknown = set(only) - {c.name for c in cases}
        if unknown:
            raise BadInput(f"no such spec in {root}: {', '.join(sorted(unknown))}")
        cases = [c for c in cases if c.name in only]
    return cases


def project_files(out: Path) -> dict[str, str]:
    """The built project's text files (not git's or codeloop's own)."""
    files = {}
    for path in walk_files(out):
        if path.stat().st_size <= MAX_FILE_BYTES and path.suffix != ".pyc":
            files[path.relative_to(out).as_posix()] = path.read_text(encoding="utf-8", errors="replace")
    return files


def lines_of_code(files: dict[str, str]) -> dict:
    """Non-blank lines of Python: the program's and its tests'."""
    count = {"code": 0, "tests": 0}
    for path, text in files.items():
        if path.endswith(".py"):
            kind = "tests" if path.startswith("tests/") or path.rsplit("/", 1)[-1].startswith("test_") else "code"
            count[kind] += sum(1 for line in text.splitlines() if line.strip())
    return count


def run_tests(sandbox: Sandbox, files: dict[str, str], paths: list[str], timeout_s: float) -> dict:
    """pytest over `paths` in the sandbox (workspace/pytest_run.py): passed/total from the
    JUnit outcomes."""
    result = run_pytest(sandbox, files, paths=paths, timeout_s=timeout_s, locate=False).result
    # only the JUnit outcomes count: pytest's summary line is the project's stdout, forgeable
    passed = sum(1 for t in result.tests if t.outcome == "passed")
    return {"passed": passed, "total": len(result.tests), "timed_out": result.timed_out,
            "exit_code": result.exit_code}


def _reserved(path: str) -> bool:
    return path.split("/", 1)[0] in RESERVED


def run_hidden_tests(sandbox: Sandbox, project: dict[str, str], hidden: dict[str, str], timeout_s: float) -> dict:
    """pytest over the hidden tests with the project's conftest, ini files, plugins and
    shadow modules out of play (eval/guest/acceptance_runner.py); outcomes count only when
    stamped with this run's token. Project files in the reserved folders are dropped."""
    token = secrets.token_hex(16)
    files = {path: text for path, text in project.items() if not _reserved(path)}
    files |= {f"{ACCEPTANCE_DIR}/{name}": text for name, text in hidden.items()}
    files |= {f"{RUNNER_DIR}/runner.py": RUNNER_SOURCE.read_text(encoding="utf-8"),
              f"{RUNNER_DIR}/pytest.ini": "[pytest]\n", TOKEN_FILE: token}
    result = sandbox.run(files, ["python", f"{RUNNER_DIR}/runner.py", ACCEPTANCE_DIR],
                         Limits(timeout_s=timeout_s, memory_mb=1024))
    report = result.marked_json(f"{RESULT_MARK}{token} ")
    tests = report.get("tests") if isinstance(report, dict) else None
    tests = [t for t in tests if isinstance(t, dict)] if isinstance(tests, list) else []
    return {"passed": sum(1 for t in tests if t.get("outcome") == "passed"), "total": len(tests),
            "timed_out": result.timed_out, "exit_code": result.exit_code}


def acceptance_check(sandbox: Sandbox, out: Path, case: SpecCase, timeout_s: float = 120.0) -> dict:
    """The hidden acceptance tests over the built project; features % = passed / total."""
    hidden = {p.name: p.read_text(encoding="utf-8") for p in sorted(case.acceptance.glob("*.py"))}
    total = sum(text.count("\ndef test_") + text.startswith("def test_") for text in hidden.values())
    outcome = run_hidden_tests(sandbox, project_files(out), hidden, timeout_s)
    # a test file that fails to import reports one error, not its tests: count them all as failed
    outcome["total"] = max(outcome["total"], total)
    outcome["features_pct"] = round(100.0 * outcome["passed"] / outcome["total"], 1) if outcome["total"] else 0.0
    return outcome


def done_names(results: Path) -> set[str]:
    if not results.exists():
        return set()
    return {json.loads(line)["spec"] for line in results.read_text().splitlines() if line.strip()}


def bench(cases: list[SpecCase], out_root: Path, build: Callable[[Path, Path], dict], sandbox: Sandbox,
          redo: bool = False) -> list[dict]:
    """Build and score every case; `build(spec, out_dir)` returns the build's own facts
    (green, tokens, calls, steps, restarts, error). Returns all rows in `results.jsonl`."""
    out_root.mkdir(parents=True, exist_ok=True)
    results = out_root / "results.jsonl"
    finished = set() if redo else done_names(results)
    for case in cases:
        if case.name in finished:
            continue
        out = out_root / case.name
        started = time.perf_counter()
        facts = build(case.spec, out)
        minutes = round((time.perf_counter() - started) / 60, 2)
        files = project_files(out) if out.is_dir() else {}
        own = run_tests(sandbox, files, ["tests"], 120.0) if files else {"passed": 0, "total": 0}
        row = {"spec": case.name, **facts, "minutes": minutes, "loc": lines_of_code(files),
               "own_tests": {"passed": own["passed"], "total": own["total"]},
               "acceptance": acceptance_check(sandbox, out, case) if files else {"passed": 0, "total": 0,
                                                                                 "features_pct": 0.0}}
        with results.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(row) + "\n")
    return [json.loads(line) for line in results.read_text().splitlines() if line.strip()]


def markdown(rows: list[dict]) -> str:
    """A table per spec and the total features %."""
    lines = ["| spec | features % | acceptance | own tests | green | LOC code/tests | tokens | calls | "
             "restarts | minutes |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        a, o, loc = r["acceptance"], r["own_tests"], r["loc"]
        lines.append(f"| {r['spec']} | {a['features_pct']} | {a['passed']}/{a['total']} | {o['passed']}/{o['total']} "
                     f"| {r.get('green')} | {loc['code']}/{loc['tests']} | {r.get('tokens', 0)} | {r.get('calls', 0)} "
                     f"| {r.get('restarts', 0)} | {r['minutes']} |")
    passed, total = sum(r["acceptance"]["passed"] for r in rows), sum(r["acceptance"]["total"] for r in rows)
    lines.append(f"\nTotal features: {passed}/{total} = {100.0 * passed / total if total else 0:.1f} %")
    return "\n".join(lines) + "\n"
