"""The host's comparison rules (EvalPlus v0.3.1, `eval.compare`), called directly on plain values,
and MBPP+ input conversion (`eval.guest.mbpp_inputs`)."""

import math

from eval.compare import matches as _matches
from eval.guest.mbpp_inputs import convert_args as _convert_args


def p(entry_point, dataset="mbpp", atol=0.0):
    return {"entry_point": entry_point, "dataset": dataset, "atol": atol}


def test_exact_and_float_tolerance():
    assert _matches(p("f"), [1, 2], [1, 2], [])
    assert not _matches(p("f"), [1, 2], (1, 2), [])
    assert _matches(p("f"), 0.1 + 0.2, 0.3, [])                     # atol 0 becomes 1e-6 for floats
    assert not _matches(p("f"), 0.3001, 0.3, [])
    assert _matches(p("f", atol=1e-4), [1.00001, 2.0], [1.0, 2.0], [])
    assert not _matches(p("f", atol=1e-4), 3, 3.00001, [])            # int for float: type differs
    assert _matches(p("f", atol=1e-4), [math.inf, 1.00001], [math.inf, 1.0], [])
    assert not _matches(p("f"), math.nan, math.nan, [])


def test_mbpp_special_oracles():
    assert _matches(p("similar_elements"), (5, 4), (4, 5), [])
    assert _matches(p("check_str"), "a match object", True, [])
    assert not _matches(p("check_str"), None, True, [])
    assert _matches(p("sum_div"), 0, 7, [])
    assert _matches(p("are_equivalent"), False, True, [])
    assert _matches(p("find_zero", dataset="humaneval", atol=1e-4), 1.0, 0.5, [[-1, 1]])  # x = 1 is a root
    assert not _matches(p("find_zero", dataset="humaneval", atol=1e-4), 2.0, 1.0, [[-1, 1]])


def test_mbpp_inputs_get_their_types_back():
    assert _convert_args(2, [[3, 4], [5, 6]]) == [(3, 4), (5, 6)]
    assert _convert_args(106, [[1, 2], [3]]) == [[1, 2], (3,)]
    assert _convert_args(124, [3, 4]) == [3.0, complex(4)]
    assert _convert_args(580, [[1, [2, 3]]]) == [(1, (2, 3))]
    assert _convert_args(722, [{"a": [1, 2]}, 3]) == [{"a": (1, 2)}, 3]
    assert _convert_args(11, [[1], "x"]) == [[1], "x"]                # most tasks: unchanged


def test_judge_binds_each_output_to_its_input():
    from eval.compare import judge
    from eval.guest.plainjson import encode

    spec = p("f")
    expected = [encode(x) for x in (1, 2, 3)]
    inputs = [[0], [1], [2]]
    assert judge(spec, {"outputs": expected, "error": None}, expected, inputs, 2)["plus"] is True
    wrong_plus = judge(spec, {"outputs": [encode(1), encode(2), encode(4)], "error": None}, expected, inputs, 2)
    assert wrong_plus == {"base": True, "plus": False, "failed_input": 2, "reason": "wrong answer", "finished": True}
    # fewer outputs than inputs with no error, more than inputs, or not a list: no pass
    assert judge(spec, {"outputs": expected[:2], "error": None}, expected, inputs, 2)["failed_input"] == 2
    assert not judge(spec, {"outputs": expected * 2, "error": None}, expected, inputs, 2)["plus"]
    assert not judge(spec, {"passed": True, "plus": True}, expected, inputs, 2)["plus"]  # the old pass line
    raised = judge(spec, {"outputs": expected[:1], "error": {"input": 1, "reason": "ValueError: x"}},
                   expected, inputs, 2)
    assert raised == {"base": False, "plus": False, "failed_input": 1, "reason": "ValueError: x", "finished": True}
    # cut short (a whole-run timeout) after every base input was answered right: base holds
    cut = judge(spec, {"outputs": expected[:2], "error": None, "finished": False}, expected, inputs, 2)
    assert cut == {"base": True, "plus": False, "failed_input": None, "reason": "", "finished": False}


def test_collect_binds_lines_to_input_indexes():
    from eval.compare import collect

    ok = collect([{"i": 0, "out": 1}, {"i": 1, "out": 2}, {"done": True, "error": None}])
    assert ok == {"outputs": [1, 2], "error": None, "finished": True}
    assert collect([{"i": 0, "out": 1}]) == {"outputs": [1], "error": None, "finished": False}
    assert collect([{"i": 1, "out": 2}]) is None                        # out of order
    assert collect([{"i": 0, "out": 1}, {"i": 0, "out": 1}]) is None    # twice
    assert collect([{"done": True, "error": None}, {"i": 0, "out": 1}]) is None  # after the end
    assert collect([None]) is None and collect([{"passed": True}]) is None


def test_long_outputs_compare_by_digest():
    from eval.compare import output_matches
    from eval.guest.plainjson import encode

    big = "ab" * 100_000
    assert output_matches(p("f"), encode(big), encode("".join(["ab"] * 100_000)), [])
    assert not output_matches(p("f"), encode(big + "c"), encode(big), [])
    assert not output_matches(p("f"), encode("ab"), encode(big), [])
