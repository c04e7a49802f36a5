"""Runs inside the sandbox (never imported by codeloop itself): checks `solution.py`
against the tests in `tests.json` — the task's visible asserts and doctest examples, and
the generated asserts — one at a time, each under its own time limit.

It prints a readable report, a `N passed, N failed` line for the visible tests and, last,
one `@@CODELOOP_RESULT@@ {json}` line with every test's outcome (the tester parses it to
compute agreement between candidates). Exit code 0 only when every visible test passes.

Probes (selection by execution): when tests.json carries `entry_point` and `probes` (the
literals of argument tuples), the entry point is then called on each, and the result
JSON gets `outputs`: one signature per probe — the normalized repr of the result, or
`!ExceptionName`, `!timeout`, `!skipped` (the time for all probes was spent) or `!exit`
(the process died). The probes run in a forked child process with its own time limits,
so they never change the visible results, the report or the exit code.
"""

import ast
import contextlib
import doctest
import hashlib
import io
import json
import math
import os
import re
import select
import signal
import sys
import time
import traceback

# `time_limit` and `TestTimeout` come from sandbox/time_limit.py, placed before this file
# (agents/tester.py `runner_script`).
MARKER = "@@CODELOOP_RESULT@@"
MAX_MESSAGE = 600  # per test: enough for an assertion and a short traceback
MAX_SIGNATURE = 200  # a longer output signature keeps its start and a digest of the whole


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
        with time_limit(seconds), contextlib.redirect_stdout(captured):
            message = func()
        status = "pass"
    except TestTimeout:
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


def _normal(value, depth=0):
    """The text of a probe's result, equal for results that compare equal in the usual
    ways: set elements and dict items sorted, floats to 9 significant digits (an integral
    float reads like the int), object addresses dropped."""
    if depth > 50:
        raise RecursionError("output nested too deeply")
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return repr(value)
        value = float(f"{value:.9g}") + 0.0  # + 0.0: -0.0 reads as 0.0
        return repr(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, (list, tuple)):
        inner = ", ".join(_normal(v, depth + 1) for v in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner}{',' if len(value) == 1 else ''})"
    if isinstance(value, (set, frozenset)):
        return "{" + ", ".join(sorted(_normal(v, depth + 1) for v in value)) + "}"
    if isinstance(value, dict):
        items = sorted(f"{_normal(k, depth + 1)}: {_normal(v, depth + 1)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    return re.sub(r" at 0x[0-9a-fA-F]+", "", repr(value))


def signature(value):
    """A probe result → a short string (long ones: their start and a digest of the whole)."""
    text = _normal(value)
    if len(text) > MAX_SIGNATURE:
        text = text[:MAX_SIGNATURE - 20] + "...#" + hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:16]
    return text


def probe_once(func, probe, seconds):
    """Call `func` on a fresh copy of the arguments written in `probe` → its signature."""
    try:
        args = ast.literal_eval(probe)
    except Exception:  # noqa: BLE001 - the host sends literals; anything else is skipped
        return "!badinput"
    if not isinstance(args, tuple):
        return "!badinput"
    try:
        with time_limit(seconds), contextlib.redirect_stdout(io.StringIO()):
            return signature(func(*args))  # the signature too: repr of a huge result takes time
    except TestTimeout:
        return "!timeout"
    except BaseException as exc:  # noqa: BLE001 - an exception is the candidate's answer
        return "!" + type(exc).__name__


def probe_outputs(func, probes, per_probe, total):
    """Signatures of `func` on every probe, one by one, within `total` seconds for all."""
    deadline = time.monotonic() + total
    for probe in probes:
        left = deadline - time.monotonic()
        if left <= 0.01:
            yield "!skipped"
            continue
        try:
            yield probe_once(func, probe, min(per_probe, left))
        except TestTimeout:  # the alarm fired just as the call returned
            yield "!timeout"


def run_probes(namespace, name, probes, per_probe, total):
    """The probe signatures, computed in a forked child so that nothing a candidate does on
    them (loops in C code, os._exit, crashes, changed globals) reaches the test results.
    The child writes one JSON line per probe; it is killed a little after `total` s."""
    func = namespace.get(name)
    if not probes:
        return []
    if not callable(func):
        return ["!missing"] * len(probes)
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        read_fd, write_fd = os.pipe()
        pid = os.fork()
    except OSError:  # no fork allowed here: run them in this process
        return list(probe_outputs(func, probes, per_probe, total))
    if pid == 0:  # the child: its own output goes nowhere, only the pipe reaches the parent
        try:
            os.close(read_fd)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            for output in probe_outputs(func, probes, per_probe, total):
                os.write(write_fd, (json.dumps(output) + "\n").encode())
        finally:
            os._exit(0)
    os.close(write_fd)
    data, killed = b"", False
    deadline = time.monotonic() + total + 1.0
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([read_fd], [], [], left)[0]:
            os.kill(pid, signal.SIGKILL)
            killed = True
            break
        chunk = os.read(read_fd, 65536)
        if not chunk:
            break
        data += chunk
    os.close(read_fd)
    os.waitpid(pid, 0)
    outputs = [json.loads(line) for line in data.split(b"\n")[:-1]][:len(probes)]
    if len(outputs) < len(probes):  # the child died or was stopped during the next probe
        outputs.append("!timeout" if killed else "!exit")
    return outputs + ["!skipped"] * (len(probes) - len(outputs))


def _not_run(sources, why):
    return [{"source": s, "ok": False, "status": "not run", "message": why, "stdout": ""} for s in sources]


def _print_failures(title, results):
    for r in results:
        if not r["ok"]:
            print(f"{title} {r['status'].upper()}: {r['source']}" + (f"\n  {r['message']}" if r["message"] else ""))


def main():
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
    visible = []
    for source in tests.get("asserts", []):
        visible.append(run_assert(source, namespace, per_test) if time.monotonic() < deadline
                       else _not_run([source], "not run: the time for all tests was spent")[0])
    visible += run_doctests(tests.get("doctests", ""), namespace, per_test)
    generated = []
    for source in tests.get("generated", []):
        generated.append(run_assert(source, namespace, per_test, float_tolerance=True) if time.monotonic() < deadline
                         else _not_run([source], "not run: the time for all tests was spent")[0])
    _print_failures("VISIBLE", visible)
    _print_failures("GENERATED", generated)
    passed = sum(r["ok"] for r in visible)
    print(f"{passed} passed, {len(visible) - passed} failed")
    outputs = run_probes(namespace, tests.get("entry_point", ""), tests.get("probes", []),
                         float(tests.get("probe_s", 1.0)), float(tests.get("probes_total_s", 5.0)))
    print(MARKER, json.dumps({"import_error": "", "visible": visible, "generated": generated, "outputs": outputs}))
    sys.exit(0 if passed == len(visible) else 1)


if __name__ == "__main__":
    main()
