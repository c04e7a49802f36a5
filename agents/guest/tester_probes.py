"""Probes, run inside the sandbox as part of the tester's program (agents/tester.py
`runner_script` places this file between sandbox/guest/time_limit.py and agents/guest/tester_harness.py;
never imported by codeloop itself): the entry point called on each probe's arguments in a
forked child, each result turned into a short output signature that compares equal for
results that are equal in the usual ways."""

import ast
import contextlib
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

MAX_SIGNATURE = 200  # a longer output signature keeps its start and a digest of the whole


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
        with time_limit(seconds), contextlib.redirect_stdout(io.StringIO()):  # noqa: F821 — time_limit.py is placed before this file
            return signature(func(*args))  # the signature too: repr of a huge result takes time
    except TestTimeout:  # noqa: F821
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
        except TestTimeout:  # noqa: F821 — the alarm fired just as the call returned
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
