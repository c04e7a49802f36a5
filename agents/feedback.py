"""The test report repair sees: real failures (which test, assertion, actual value,
traceback, timeout), with the task's own tests marked authoritative and generated tests
marked as possibly wrong."""

from __future__ import annotations

from sandbox.base import RunResult

MAX_FAILURES = 6  # per section: a long list crowds the code out of a 4k context
LABELS = {"fail": "FAILED", "error": "ERROR", "timeout": "TIMEOUT", "not run": "NOT RUN"}


def _lines(results: list[dict]) -> list[str]:
    lines = []
    for r in [r for r in results if not r["ok"]][:MAX_FAILURES]:
        lines.append(f"{LABELS.get(r['status'], 'FAILED')}: {r['source']}")
        if r.get("message"):
            lines.append("  " + r["message"].replace("\n", "\n  "))
        if r.get("stdout", "").strip():
            lines.append("  printed: " + r["stdout"].strip()[-200:])
    return lines


def killed_report(result: RunResult, timeout_s: float) -> str:
    """The run ended before the runner could report: what stopped it."""
    if result.timed_out:
        return (f"The tests were stopped after {timeout_s:g} s: the code is too slow or loops forever.\n"
                f"{result.stdout[-1500:]}").rstrip()
    if result.oom_killed:
        return "The tests ran out of memory."
    text = (result.stdout.strip() + "\n" + result.stderr.strip()).strip()
    return text or f"The tests failed with exit code {result.exit_code} and no output."


def failure_report(result: RunResult, parsed: dict | None, timeout_s: float) -> str:
    """Readable failures for repair; `parsed` is the runner's JSON result (None if it died)."""
    if parsed is None:
        return killed_report(result, timeout_s)
    if parsed.get("import_error"):
        return "Importing the code failed:\n" + parsed["import_error"]
    sections = []
    visible, generated = parsed["visible"], parsed["generated"]
    if visible:
        passed = sum(r["ok"] for r in visible)
        head = f"The task's own tests (authoritative): {passed} passed, {len(visible) - passed} failed"
        sections.append("\n".join([head, *_lines(visible)]))
    if generated and not all(r["ok"] for r in generated):
        passed = sum(r["ok"] for r in generated)
        head = (f"Generated tests (written from the description; a failing one may itself be wrong): "
                f"{passed} passed, {len(generated) - passed} failed")
        sections.append("\n".join([head, *_lines(generated)]))
    return "\n\n".join(sections)
