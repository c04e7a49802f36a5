"""Host-side verdicts for EvalPlus-style checks: the candidate's outputs (plain data, decoded
by `eval.guest.plainjson`) against the expected outputs of the canonical solution.

The sandboxed check program only runs the candidate and reports what it returned; whether
that is right is decided here, in an interpreter the candidate never touched, so walking
the stack to the harness, patching builtins or returning an object whose `__eq__` lies
cannot make a wrong answer pass.

The rules follow EvalPlus v0.3.1 (`evalplus/eval/__init__.py`, re-implemented): exact
equality first; for floats (and lists/tuples of floats) an absolute tolerance — the
problem's `atol`, 1e-6 when that is 0 — with numpy.allclose's semantics (same type, same
length, |out - exp| <= atol + 1e-7 * |exp|, infinities equal, NaN never); and its special
oracles: HumanEval/32 `find_zero` by the polynomial's residual at the answer; MBPP
`are_equivalent` (any answer), `sum_div` (0 accepted), `surface_Area` and
`digit_distance_nums` (a second reference formula), set-valued tasks (compared as sets)
and "not None" tasks (a match object stands for True).
"""

from __future__ import annotations

import math

from eval.guest.plainjson import DecodeError, Digest, decode

MBPP_NOT_NONE = frozenset({"check_str", "text_match_three", "text_starta_endb"})
MBPP_SET_EQ = frozenset({"similar_elements", "find_char_long", "common_in_nested_lists", "extract_singly",
                         "larg_nnum", "intersection_array", "find_dissimilar", "Diff"})
RTOL = 1e-7
FLOAT_ATOL = 1e-6


def is_floats(x) -> bool:
    """A float, or a non-empty list/tuple of floats (EvalPlus tolerates only these)."""
    if isinstance(x, float):
        return True
    return isinstance(x, (list, tuple)) and len(x) > 0 and all(isinstance(i, float) for i in x)


def close(out, exp, atol: float, rtol: float = RTOL) -> bool:
    """numpy.allclose(out, exp, rtol, atol) on numbers and nested lists/tuples, without numpy."""
    if isinstance(out, (list, tuple)) and isinstance(exp, (list, tuple)):
        return len(out) == len(exp) and all(close(o, e, atol, rtol) for o, e in zip(out, exp))
    numbers = (int, float, complex)
    if not isinstance(out, numbers) or not isinstance(exp, numbers):
        return False
    if out == exp:
        return True
    try:
        return abs(out - exp) <= atol + rtol * abs(exp)
    except (OverflowError, TypeError):
        return False


def poly(xs: list, x: float) -> float:
    """HumanEval/32's polynomial: sum of xs[i] * x**i."""
    return sum(c * math.pow(x, i) for i, c in enumerate(xs))


def _surface_area(base_edge, height):
    slant = math.sqrt((base_edge / 2) ** 2 + height ** 2)
    return round(base_edge ** 2 + 4 * (base_edge * slant) / 2)


def _digit_distance(a, b):
    x, y = str(a), str(b)
    width = max(len(x), len(y))
    return sum(abs(int(p) - int(q)) for p, q in zip(x.zfill(width), y.zfill(width)))


def _mbpp_oracle(entry_point: str, out, exp, args, exact: bool, atol: float) -> bool:
    if entry_point == "are_equivalent":
        return True
    if entry_point == "sum_div":
        return exact or out == 0
    if entry_point == "surface_Area":
        return exact or abs(out - _surface_area(*args)) <= atol
    if entry_point == "digit_distance_nums":
        return exact or out == _digit_distance(*args)
    if entry_point in MBPP_SET_EQ:
        return set(out) == set(exp)
    if entry_point in MBPP_NOT_NONE:
        return out == exp if isinstance(out, bool) else exp == (out is not None)
    return exact


def matches(spec: dict, out, exp, args: list) -> bool:
    """Is decoded output `out` right for expected `exp` on `args`? `spec` has the problem's
    dataset ("humaneval" | "mbpp"), entry_point and atol. Raises nothing it can avoid: an
    output of the wrong shape for an oracle is a wrong answer."""
    ep, atol = spec["entry_point"], spec["atol"]
    try:
        if spec["dataset"] == "humaneval" and ep == "find_zero":
            return abs(poly(*args, out)) <= atol
        exact = out == exp
        if spec["dataset"] == "mbpp":
            exact = _mbpp_oracle(ep, out, exp, args, exact, atol)
        if atol == 0 and is_floats(exp):
            atol = FLOAT_ATOL
        if not exact and atol != 0:
            return type(out) is type(exp) and close(out, exp, atol)
        return bool(exact)
    except Exception:  # noqa: BLE001 — e.g. arithmetic on a string: the output is wrong
        return False


def output_matches(spec: dict, out_enc, exp_enc, args: list) -> bool:
    """`matches` on encodings. A long output travels as its fingerprint, and equal values of
    equal types always travel the same way: two fingerprints must be the same string,
    a fingerprint never equals a value (exact equality; no tolerance or oracle applies to
    megabyte outputs)."""
    try:
        out, exp = decode(out_enc), decode(exp_enc)
    except DecodeError:
        return False
    if isinstance(out, Digest) or isinstance(exp, Digest):
        return out == exp
    return matches(spec, out, exp, args)


def collect(lines: list) -> dict | None:
    """The check program's stamped lines as {"outputs", "error", "finished"}: outputs bound
    to their input index (lines {"i": n, "out": ...} must come as 0, 1, 2, ...), then the
    final {"done": true, "error": ...}. None when the lines break that shape."""
    outputs, error, finished = [], None, False
    for line in lines:
        if finished or not isinstance(line, dict):
            return None
        if "i" in line and line.get("i") == len(outputs) and "out" in line and len(line) == 2:
            outputs.append(line["out"])
        elif line.get("done") is True:
            error, finished = line.get("error"), True
        else:
            return None
    return {"outputs": outputs, "error": error, "finished": finished}


def judge(spec: dict, result: dict, expected: list, inputs: list, n_base: int) -> dict:
    """The verdict of one check run. `result` is `collect`'s: `outputs` (one encoding per
    input, in input order), `error` (None, or {"input", "reason"}: the input that raised or
    timed out) and `finished` (False when the run was cut short: a whole-run timeout, a
    crash, an early exit). Returns {"base", "plus", "failed_input", "reason", "finished"}:
    the first input whose output is wrong or missing fails; an unfinished run with no wrong
    output so far has reason "" and keeps `base` when every base input was answered right."""
    outputs, error = result.get("outputs"), result.get("error")
    finished = result.get("finished", True)
    if not isinstance(outputs, list) or len(outputs) > len(expected):
        return _verdict(None, n_base, "malformed result")
    for i, out_enc in enumerate(outputs):
        if not output_matches(spec, out_enc, expected[i], inputs[i]):
            return _verdict(i, n_base, "wrong answer")
    if not finished:
        return {"base": len(outputs) >= n_base, "plus": False, "failed_input": None, "reason": "",
                "finished": False}
    if error is None and len(outputs) != len(expected):
        return _verdict(len(outputs), n_base, "malformed result: outputs missing")
    if error is not None:
        where = error.get("input") if isinstance(error, dict) else None
        reason = str(error.get("reason", "error") if isinstance(error, dict) else "error")[:300]
        return _verdict(where if where == len(outputs) else None, n_base, reason)
    return {"base": True, "plus": True, "failed_input": None, "reason": "", "finished": True}


def _verdict(index: int | None, n_base: int, reason: str) -> dict:
    return {"base": index is not None and index >= n_base, "plus": False, "failed_input": index, "reason": reason,
            "finished": True}
