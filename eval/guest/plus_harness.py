"""Runs code on EvalPlus inputs and reports its outputs as plain data; runs INSIDE the
sandbox, stdlib only.

`eval.plus` builds a program from sandbox/guest/time_limit.py, `harness_io.py`, `plainjson.py`,
`mbpp_inputs.py`, this file's source and a call `main({...payload...})`; the result line
carries the run's token (see `harness_io.py`). This program never decides a verdict: it
calls the code on every input, each call under its own time limit, and reports each output
`encode`d (tagged JSON, `plainjson.py`), in input order. The host compares them with the
expected outputs (`eval.compare`) in its own interpreter, so a candidate that walks the
stack to `finish` or patches this program can only report outputs it could have returned.
The expected outputs never enter the sandbox of a check. Two modes:

- `groundtruth`: the canonical solution's outputs, each call's time and the time spent
  encoding outputs (a check's whole-run limit allows for it: Mbpp/255's answers are 1 GB
  of text, fingerprinted in tens of seconds).
- `check`: one stamped line `{"i", "out"}` per input as soon as it is answered (outputs
  written before a whole-run timeout still count), up to the first input that raises or
  runs past its limit; then `{"done": true, "error": None | {"input", "reason"}}`.

Importing this module has no side effects.
"""

import copy
import io
import json
import sys
import time

NOT_NONE_TASKS = {"check_str", "text_match_three", "text_starta_endb"}
SET_TASKS = {"similar_elements", "find_char_long", "common_in_nested_lists", "extract_singly",
             "larg_nnum", "intersection_array", "find_dissimilar", "Diff"}


class _Sink(io.TextIOBase):
    """Discards what the code under test prints (unbounded output must not fill memory)."""

    def write(self, s):
        return len(s)


class _SomeObject:
    """Stands for a non-None, non-bool answer of a "not None" task (a match object, say)."""


def _shape(p, out):
    """What the host's oracle needs of `out` (called under the time limit: it may iterate
    candidate objects). MBPP set-valued tasks compare as sets, "not None" tasks only ask
    whether the answer is None (or a bool)."""
    if p["dataset"] != "mbpp":
        return out
    if p["entry_point"] in SET_TASKS and not isinstance(out, (set, frozenset)):
        return set(out)
    if p["entry_point"] in NOT_NONE_TASKS and out is not None and type(out) is not bool:
        return _SomeObject()
    return out


def _reference(p, out):
    """The canonical output as the host compares it ("not None" tasks: a bool)."""
    if p["dataset"] == "mbpp" and p["entry_point"] in NOT_NONE_TASKS:
        return out is not None
    if p["dataset"] == "mbpp" and p["entry_point"] in SET_TASKS:
        try:
            return set(out)
        except TypeError:
            return out
    return out


def _load(p, code):
    namespace = {"__name__": "__candidate__"}
    exec(compile(code, "<solution>", "exec"), namespace)
    return namespace[p["entry_point"]]


def _groundtruth(p, inputs):
    fn = _load(p, p["code"])
    outputs, times, encoding = [], [], 0.0
    for args in inputs:
        args = copy.deepcopy(args)
        start = time.perf_counter()
        out = fn(*args)
        times.append(time.perf_counter() - start)
        start = time.perf_counter()
        outputs.append(encode(_reference(p, out)))  # noqa: F821 — from plainjson.py, placed before this file
        encoding += time.perf_counter() - start
    return {"times": times, "outputs": outputs, "encode_s": encoding}


def _emit(channel, token, obj):
    """One token-stamped line now: outputs already written survive a later timeout."""
    channel.write(RESULT_MARK + token + " " + json.dumps(obj) + "\n")  # noqa: F821 — harness_io.py
    channel.flush()


def _check(p, inputs, channel, token):
    """Write {"i", "out"} for each input in order, up to the first that raises or runs past
    its limit; return the final {"error": None | {"input", "reason"}}."""
    try:
        fn = _load(p, p["code"])
    except BaseException as exc:
        return {"error": {"input": None, "reason": f"load: {type(exc).__name__}: {exc}"[:300]}}
    for i, args in enumerate(inputs):
        try:
            with time_limit(p["limits"][i]):  # noqa: F821 — from sandbox/guest/time_limit.py, placed before this file
                out = _shape(p, fn(*copy.deepcopy(args)))
        except TestTimeout:  # noqa: F821
            return {"error": {"input": i, "reason": f"timeout ({p['limits'][i]:.2f} s)"}}
        except BaseException as exc:
            return {"error": {"input": i, "reason": f"{type(exc).__name__}: {exc}"[:300]}}
        _emit(channel, token, {"i": i, "out": encode(out)})  # noqa: F821 — from plainjson.py
    return {"error": None}


def main(p):
    """Run the payload `p` (see `eval.plus.build_program`)."""
    token = take_token()  # noqa: F821 — defined by harness_io.py, placed before this file
    channel = open_channel()  # noqa: F821
    sys.stdout = sys.stderr = _Sink()
    sys.stdin = io.StringIO("")
    inputs, _ = all_inputs(p["dataset"], p["task_num"], p["inputs_json"])  # noqa: F821 — mbpp_inputs.py
    if p["mode"] == "groundtruth":
        finish(channel, token, _groundtruth(p, inputs), 0)  # noqa: F821
    finish(channel, token, {"done": True, **_check(p, inputs, channel, token)}, 0)  # noqa: F821
