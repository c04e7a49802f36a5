"""Runs inside the sandbox (never imported by codeloop itself): checks `solution.py`
against the tests in `tests.json` — the task's visible asserts and doctest examples, and
the generated asserts — one at a time, each under its own time limit.

It prints a readable report, a `N passed, N failed` line for the visible tests and, last,
one `@@CODELOOP_RESULT@@ {json}` line with every test's outcome (the tester parses it to
compute agreement between candidates). Exit code 0 only when every visible test passes.

Probes (selection by execution, agents/guest/tester_probes.py): when tests.json carries `entry_point` and `probes` (the
literals of argument tuples), the entry point is then called on each, and the result
JSON gets `outputs`: one signature per probe — the normalized repr of the result, or
`!ExceptionName`, `!timeout`, `!skipped` (the time for all probes was spent) or `!exit`
(the process died). The probes run in a forked child process with its own time limits,
so they never change the visible results, the report or the exit code.
"""

import ast
import contextlib
import doctest
import io
import json
import math
import os
import sys
import time
import traceback

# `time_limit` and `TestTimeout` come from sandbox/guest/time_limit.py and `run_probes` from
# agents/guest/tester_probes.py, both placed before this file (agents/tester.py `runner_script`).
MARKER = "@@CODELOOP_RESULT@@"
MAX_MESSAGE = 600  # per test: enough for an assertion and a short traceback


def _traceback(exc_type, exc, tb):
    """The traceback without this runner's or doctest's own frames (they would only
    distract the repair agent), at most the last 4 frames."""
    frames = [f for f in traceback.extract_tb(tb) if not f.filename.endswith(("run_tests.py", "doctest.py"))]
    for frame in frames:  # the work dir differs per run: a path in the report would hide a repeated failure
        frame.filename = os.path.basename(frame.filename) if frame.filename.startswith("/") else frame.filename
    lines = ["Traceback (most recent call last):\n", *traceback.format_list(frames[-4:]),
             *traceback.format_exception_only(exc_type, exc)]
    return "".join(lines).rstrip()


def _tail(text, limit=MAX_MESSAGE):
    """The end of `text`, cut at a line start."""
    if len(text) <= limit:
        return text
    cut = text[-limit:]
    return "..." + cut[cut.find("\n"):] if "\n" in cut else cut


def _left_value(source, namespace):
    """For `assert f(x) == y`, the value `f(x)` actually produced (for the report)."""
    try:
        test = ast.parse(source).body[0].test
        if isinstance(test, ast.Compare) and len(test.ops) == 1:
            return repr(eval(compile(ast.Expression(test.left), "<assert>", "eval"), dict(namespace)))
    except BaseException:  # the report is best effort; the failure itself is already known
        pass
    return None


def _limited(func, seconds):
    """Run `func()` with candidate output captured and an alarm after `seconds`;
    return (status, message, captured stdout)."""
    captured = io.StringIO()
    try:
        with time_limit(seconds), contextlib.redirect_stdout(captured):  # noqa: F821 — time_limit.py is placed before this file
            message = func()
        status = "pass"
    except TestTimeout:  # noqa: F821
        status, message = "timeout", f"stopped after {seconds:g} s: the code is too slow or loops forever"
    except AssertionError:
        status, message = "fail", ""
    except BaseException as exc:  # noqa: BLE001 - any error in the candidate is a failed test
        status, message = "error", _traceback(type(exc), exc, exc.__traceback__)
    return status, message or "", captured.getvalue()


def _close_floats(source, namespace):
    """For `assert a == b` where a float is involved: True when a and b are close.
    Generated tests often write a float result to a few digits; that is not a bug."""
    test = ast.parse(source).body[0].test
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    env = dict(namespace)
    left = eval(compile(ast.Expression(test.left), "<assert>", "eval"), env)
    right = eval(compile(ast.Expression(test.comparators[0]), "<assert>", "eval"), env)
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (left, right))
    has_float = isinstance(left, float) or isinstance(right, float)
    return numbers and has_float and math.isclose(left, right, rel_tol=1e-6, abs_tol=1e-9)


def run_assert(source, namespace, seconds, float_tolerance=False):
    """One assert line → a result dict (`float_tolerance`: `==` on floats means close)."""
    status, message, out = _limited(lambda: exec(compile(source, "<test>", "exec"), dict(namespace)), seconds)
    if status == "fail" and float_tolerance and _limited(lambda: _close_floats(source, namespace), seconds)[1] is True:
        status = "pass"
    if status == "fail":
        status, message = "fail", ""
        got = _limited(lambda: _left_value(source, namespace), min(seconds, 1.0))[1]
        if got:
            message = f"actual value of the left side: {got}"
    return {"source": source, "ok": status == "pass", "status": status, "message": _tail(message),
            "stdout": out[-300:]}


class _RecordingRunner(doctest.DocTestRunner):
    """A doctest runner that keeps one result per example."""

    def __init__(self):
        super().__init__(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
        self.results = []

    def _record(self, example, ok, status, message):
        source = ">>> " + example.source.rstrip("\n") + ("\n" + example.want.rstrip("\n") if example.want else "")
        self.results.append({"source": source, "ok": ok, "status": status, "message": _tail(message),
                             "stdout": ""})

    def report_success(self, out, test, example, got):
        self._record(example, True, "pass", "")

    def report_failure(self, out, test, example, got):
        self._record(example, False, "fail", f"expected {example.want.strip()!r}, got {got.strip()!r}")

    def report_unexpected_exception(self, out, test, example, exc_info):
        self._record(example, False, "error", _traceback(*exc_info))


def run_doctests(examples, namespace, seconds):
    """The `>>>` examples (they share state, so they run as one doctest) → result dicts."""
    if not examples.strip():
        return []
    test = doctest.DocTestParser().get_doctest(examples, dict(namespace), "examples", "task", 0)
    runner = _RecordingRunner()
    status, message, _ = _limited(lambda: runner.run(test, out=lambda text: None, clear_globs=False), seconds)
    results = runner.results
    if status != "pass":  # timed out or crashed: the examples not reached count as failed
        for example in test.examples[len(results):]:
            runner._record(example, False, status, message)
    return results


def run_asserts(sources, namespace, seconds, deadline, float_tolerance=False):
    """Each assert line → a result dict; those still waiting when `deadline` passed are "not run"."""
    spent = "not run: the time for all tests was spent"
    return [run_assert(source, namespace, seconds, float_tolerance) if time.monotonic() < deadline
            else {"source": source, "ok": False, "status": "not run", "message": spent, "stdout": ""}
            for source in sources]


def _print_failures(title, results):
    """The report's line (and message) for each failed test."""
    for r in results:
        if not r["ok"]:
            print(f"{title} {r['status'].upper()}: {r['source']}" + (f"\n  {r['message']}" if r["message"] else ""))


def main():
    """Check solution.py against tests.json; print the report and the result line."""
    with open("tests.json", encoding="utf-8") as fh:
        tests = json.load(fh)
    per_test = float(tests.get("per_test_s", 5.0))
    status, message, _ = _limited(lambda: __import__("solution"), per_test)
    if status != "pass":
        print(message or status)
        print("ERROR: importing the solution failed")
        print("0 passed, 1 failed")
        print(MARKER, json.dumps({"import_error": message or status, "visible": [], "generated": []}))
        sys.exit(1)
    # tests may use `math` (MBPP+ prompts write `assert math.isclose(...)`) without the
    # solution importing it; the benchmarks' own harnesses import it too
    namespace = {"math": math} | vars(sys.modules["solution"])
    deadline = time.monotonic() + float(tests.get("total_s", 20.0))
    visible = run_asserts(tests.get("asserts", []), namespace, per_test, deadline)
    visible += run_doctests(tests.get("doctests", ""), namespace, per_test)
    generated = run_asserts(tests.get("generated", []), namespace, per_test, deadline, float_tolerance=True)
    _print_failures("VISIBLE", visible)
    _print_failures("GENERATED", generated)
    passed = sum(r["ok"] for r in visible)
    print(f"{passed} passed, {len(visible) - passed} failed")
    outputs = run_probes(namespace, tests.get("entry_point", ""), tests.get("probes", []),  # noqa: F821 — tester_probes.py
                         float(tests.get("probe_s", 1.0)), float(tests.get("probes_total_s", 5.0)))
    print(MARKER, json.dumps({"import_error": "", "visible": visible, "generated": generated, "outputs": outputs}))
    sys.exit(0 if passed == len(visible) else 1)


if __name__ == "__main__":
    main()
