"""Differential-test harness for EvalPlus problems; runs INSIDE the sandbox, stdlib only.

`eval.plus` builds a program from sandbox/time_limit.py, `harness_io.py`, this file's source
and a call `main({...payload...})`; results carry the run's token (see `harness_io.py`).
Importing this module has no side effects. Two modes:

- `groundtruth`: run the canonical solution on every input; print the outputs (pickled,
  base64) and each call's time. The host never unpickles them — they are only pasted into
  later check programs, which run in the sandbox too.
- `check`: run the candidate on base inputs, then plus inputs, each under its own time
  limit, stopping at the first failure; write a result line and exit 0 only if all passed.

A few problems have huge outputs (HumanEval/15 returns strings of megabytes): when the
pickled outputs exceed `MAX_EMBED` bytes, `groundtruth` reports only the times and the
check program recomputes each expected output with the canonical solution, in its own
namespace, right before the candidate's call (same semantics, more time, tiny programs).

Comparison follows EvalPlus v0.3.1 (`evalplus/eval/__init__.py`): exact equality, an
absolute tolerance for floats (1e-6 when the data says 0), and its special oracles
(HumanEval/32 `find_zero` by polynomial residual; MBPP 164, 295, 558, 581, set-valued and
"not None" tasks). MBPP+ inputs are stored as JSON lists and converted back to tuples,
sets and complex numbers per task, as EvalPlus's `mbpp_deserialize_inputs` does.
"""

import base64
import copy
import io
import json
import math
import pickle
import sys
import time

MAX_EMBED = 2 * 1024 * 1024

MBPP_NOT_NONE = {"check_str", "text_match_three", "text_starta_endb"}
MBPP_SET_EQ = {"similar_elements", "find_char_long", "common_in_nested_lists", "extract_singly",
               "larg_nnum", "intersection_array", "find_dissimilar", "Diff"}


def _tuples(x):
    return tuple(x) if isinstance(x, list) else x


def _all_tuples(x):
    return tuple(_all_tuples(i) for i in x) if isinstance(x, list) else x


def _convert_args(num, args):
    """One MBPP+ argument list back to the types the task expects (by task number)."""
    if num in (2, 116, 132, 143, 222, 261, 273, 394, 399, 421, 424, 429, 470, 560, 579, 596, 616, 630,
               726, 740, 744, 809):
        return [_tuples(a) for a in args]
    if num in (63, 64, 70, 94, 120, 237, 272, 299, 400, 409, 417, 438, 473, 614, 780):
        return [[_tuples(i) for i in a] for a in args]
    if num in (75, 413, 444, 753):
        return [[_tuples(i) for i in args[0]], args[1]]
    if num in (106, 750):
        return [args[0], tuple(args[1])]
    if num == 115:
        return [[set(i) if isinstance(i, list) and i else {} for i in args[0]]]
    if num == 124:
        return [float(args[0]), complex(args[1])]
    if num in (250, 405, 446, 617, 720, 763, 808):
        return [tuple(args[0]), *args[1:]]
    if num in (259, 401, 445):
        return [tuple(_tuples(i) for i in a) for a in args]
    if num == 278:
        return [tuple(_tuples(i) for i in args[0])]
    if num == 307:
        return [tuple(args[0]), *args[1:]]
    if num == 722:
        return [{k: tuple(v) for k, v in args[0].items()}, *args[1:]]
    if num == 252:
        return [complex(args[0])]
    if num in (580, 615, 791):
        return list(_all_tuples(args))
    return args


def _is_floats(x):
    if isinstance(x, float):
        return True
    return isinstance(x, (list, tuple)) and len(x) > 0 and all(isinstance(i, float) for i in x)


def _close(out, exp, atol, rtol=1e-7):
    """numpy.allclose(out, exp, rtol, atol) semantics without numpy (the sandbox may lack it):
    elementwise |out - exp| <= atol + rtol * |exp|; equal infinities match, NaN never does."""
    if isinstance(out, (list, tuple)) and isinstance(exp, (list, tuple)):
        return len(out) == len(exp) and all(_close(o, e, atol, rtol) for o, e in zip(out, exp))
    numbers = (int, float, complex)
    if not isinstance(out, numbers) or not isinstance(exp, numbers):
        return False
    if out == exp:
        return True
    try:
        return abs(out - exp) <= atol + rtol * abs(exp)
    except (OverflowError, TypeError):
        return False


def _poly(xs, x):
    return sum(c * math.pow(x, i) for i, c in enumerate(xs))


def _surface_area(base_edge, height):
    slant = math.sqrt((base_edge / 2) ** 2 + height ** 2)
    return round(base_edge ** 2 + 4 * (base_edge * slant) / 2)


def _digit_distance(a, b):
    x, y = str(a), str(b)
    width = max(len(x), len(y))
    return sum(abs(int(p) - int(q)) for p, q in zip(x.zfill(width), y.zfill(width)))


def _matches(p, out, exp, args):
    """True when candidate output `out` is accepted for expected `exp` on `args`."""
    ep, atol = p["entry_point"], p["atol"]
    if p["dataset"] == "humaneval" and ep == "find_zero":
        return abs(_poly(*args, out)) <= atol
    exact = out == exp
    if not isinstance(exact, bool):  # e.g. an array-like result: insist on a plain answer
        exact = False
    if p["dataset"] == "mbpp":
        if ep == "are_equivalent":
            exact = True
        elif ep == "sum_div":
            exact = exact or out == 0
        elif ep == "surface_Area":
            exact = exact or abs(out - _surface_area(*args)) <= atol
        elif ep == "digit_distance_nums":
            exact = exact or out == _digit_distance(*args)
        elif ep in MBPP_SET_EQ:
            exact = set(out) == set(exp)
        elif ep in MBPP_NOT_NONE:
            exact = out == exp if isinstance(out, bool) else exp == (out is not None)
    if atol == 0 and _is_floats(exp):
        atol = 1e-6
    if not exact and atol != 0:  # EvalPlus: same type, same length, then np.allclose
        return type(out) is type(exp) and _close(out, exp, atol)
    return bool(exact)


class _Sink(io.TextIOBase):
    """Discards what the code under test prints (unbounded output must not fill memory)."""

    def write(self, s):
        return len(s)


def _reference(p, out):
    return out is not None if p["dataset"] == "mbpp" and p["entry_point"] in MBPP_NOT_NONE else out


def _load(p, code):
    namespace = {"__name__": "__candidate__"}
    exec(compile(code, "<solution>", "exec"), namespace)
    return namespace[p["entry_point"]]


def _inputs(p):
    base, plus = json.loads(p["inputs_json"])
    if p["dataset"] == "mbpp":
        base = [_convert_args(p["task_num"], a) for a in base]
        plus = [_convert_args(p["task_num"], a) for a in plus]
    return base + plus, len(base)


def main(p):
    """Run the payload `p` (see `eval.plus.build_program`)."""
    token = take_token()  # noqa: F821 — defined by harness_io.py, placed before this file
    channel = open_channel()  # noqa: F821
    sys.stdout = sys.stderr = _Sink()
    sys.stdin = io.StringIO("")
    inputs, n_base = _inputs(p)
    if p["mode"] == "groundtruth":
        fn = _load(p, p["code"])
        outputs, times = [], []
        for args in inputs:
            args = copy.deepcopy(args)
            start = time.perf_counter()
            out = fn(*args)
            times.append(time.perf_counter() - start)
            outputs.append(_reference(p, out))
        blob = base64.b64encode(pickle.dumps(outputs)).decode()
        finish(channel, token, {"times": times, "expected": blob if len(blob) <= MAX_EMBED else ""}, 0)
    expected = pickle.loads(base64.b64decode(p["expected"])) if p["expected"] else None
    reference = None if expected is not None else _load(p, p["canonical"])
    try:
        fn = _load(p, p["code"])
    except BaseException as exc:
        finish(channel, token, {"base": False, "plus": False, "failed_input": None,
                         "reason": f"load: {type(exc).__name__}: {exc}"[:300]}, 1)
    for i, args in enumerate(inputs):
        reason = "wrong answer"
        exp = expected[i] if expected is not None else _reference(p, reference(*copy.deepcopy(args)))
        try:
            with time_limit(p["limits"][i]):  # noqa: F821 — from sandbox/time_limit.py, placed before this file
                out = fn(*copy.deepcopy(args))
            ok = _matches(p, out, exp, args)
        except TestTimeout:  # noqa: F821
            ok, reason = False, f"timeout ({p['limits'][i]:.2f} s)"
        except BaseException as exc:
            ok, reason = False, f"{type(exc).__name__}: {exc}"[:300]
        if not ok:
            finish(channel, token, {"base": i >= n_base, "plus": False, "failed_input": i,
                             "reason": reason}, 1)
    finish(channel, token, {"base": True, "plus": True, "failed_input": None, "reason": ""}, 0)
