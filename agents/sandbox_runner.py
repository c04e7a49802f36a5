"""Runs inside the sandbox (never imported by codeloop itself): checks `solution.py`
against the visible tests in `tests.json` and prints a readable report for the repair
agent, ending with a `N passed, N failed` line. Exit code 0 only when all pass.
"""

import ast
import doctest
import json
import sys
import traceback


def _left_value(source, namespace):
    """For `assert f(x) == y`, the value `f(x)` actually produced (for the report)."""
    try:
        test = ast.parse(source).body[0].test
        if isinstance(test, ast.Compare) and len(test.ops) == 1:
            return repr(eval(compile(ast.Expression(test.left), "<assert>", "eval"), dict(namespace)))
    except Exception:  # the report is best effort; the failure itself is already known
        pass
    return None


def run_asserts(asserts, namespace):
    passed = failed = 0
    for source in asserts:
        try:
            exec(compile(source, "<test>", "exec"), dict(namespace))
            passed += 1
        except AssertionError:
            failed += 1
            got = _left_value(source, namespace)
            print(f"FAILED: {source}" + (f"\n  actual value of the left side: {got}" if got is not None else ""))
        except BaseException as exc:  # noqa: BLE001 - any error in the candidate is a failed test
            failed += 1
            tb = traceback.format_exception(type(exc), exc, exc.__traceback__, limit=-4)
            print(f"ERROR: {source}\n" + "".join(tb).rstrip())
    return passed, failed


def run_doctests(examples, namespace):
    if not examples.strip():
        return 0, 0
    test = doctest.DocTestParser().get_doctest(examples, dict(namespace), "examples", "task", 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test, out=sys.stdout.write)
    result = runner.summarize(verbose=False)
    return result.attempted - result.failed, result.failed


def main():
    with open("tests.json", encoding="utf-8") as fh:
        tests = json.load(fh)
    try:
        import solution
    except BaseException as exc:  # noqa: BLE001
        traceback.print_exception(type(exc), exc, exc.__traceback__, limit=-4, file=sys.stdout)
        print("ERROR: importing the solution failed")
        print("0 passed, 1 failed")
        sys.exit(1)
    namespace = vars(solution)
    a_passed, a_failed = run_asserts(tests.get("asserts", []), namespace)
    d_passed, d_failed = run_doctests(tests.get("doctests", ""), namespace)
    passed, failed = a_passed + d_passed, a_failed + d_failed
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
