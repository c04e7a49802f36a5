"""The host's comparison rules (EvalPlus v0.3.1, `eval.compare`), called directly on plain values,
and MBPP+ input conversion (`eval.mbpp_inputs`)."""

import math

from eval.compare import matches as _matches
from eval.mbpp_inputs import convert_args as _convert_args


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
