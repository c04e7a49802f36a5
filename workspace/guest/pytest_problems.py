"""A pytest plugin shipped into the sandbox as `codeloop_problems.py` (never imported by
codeloop itself): after the run it prints one marker line with every failure's test id,
the failing line in the test's own file (the assert or the call that raised) and the
crash line (where the exception was raised), as root-relative paths.

Written against pytest's public report objects only; stdlib only.
"""

import json
import os
import re

MARKER = "@@CODELOOP_PROBLEMS@@"
_found = []


def _rel(path):
    path = str(path)
    rel = os.path.relpath(os.path.abspath(path), os.getcwd())
    return path if rel.startswith("..") else rel.replace(os.sep, "/")


def _message(report):
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None and crash.message:
        return crash.message.splitlines()[0][:300]
    text = str(report.longrepr).strip().splitlines()
    errors = [line for line in text if line.startswith("E ")]
    return (errors[-1][1:].strip() if errors else (text[-1] if text else "failed"))[:300]


def _test_line(report, test_file):
    """The last traceback line inside the test's own file (1-based), or None."""
    entries = getattr(getattr(report.longrepr, "reprtraceback", None), "reprentries", None) or []
    line = None
    for entry in entries:
        loc = getattr(entry, "reprfileloc", None)
        if loc is not None and _rel(loc.path) == test_file:
            line = loc.lineno
    return line


def _record(report, when):
    test_file = report.nodeid.split("::")[0]
    crash = getattr(report.longrepr, "reprcrash", None)
    item = {"id": report.nodeid, "when": when, "file": test_file, "message": _message(report)}
    item["line"] = _test_line(report, test_file)
    if crash is not None:
        item["crash_file"], item["crash_line"] = _rel(crash.path), crash.lineno
    if item["line"] is None:
        # collection errors carry no structured traceback: take "path:line" from the text
        match = re.search(r"([\w./-]+\.py):(\d+)", str(report.longrepr))
        if match:
            item["file"], item["line"] = _rel(match.group(1)), int(match.group(2))
        elif report.location:
            item["line"] = (report.location[1] or 0) + 1
    _found.append(item)


def pytest_runtest_logreport(report):
    if report.failed:
        _record(report, report.when)


def pytest_collectreport(report):
    if report.failed:
        _record(report, "collect")


def pytest_sessionfinish(session, exitstatus):
    print("\n" + MARKER + json.dumps(_found), flush=True)
