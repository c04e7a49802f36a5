"""The tagged JSON encoding of outputs (`eval.guest.plainjson`): round trips, what stays opaque,
long outputs as digests, malformed text refused."""

import json
import math
from collections import Counter, OrderedDict, namedtuple

import pytest

from eval.guest.plainjson import DecodeError, Digest, Opaque, decode, encode


def roundtrip(x):
    return decode(json.loads(json.dumps(encode(x), allow_nan=False)))


@pytest.mark.parametrize("value", [
    None, True, 0, -5, 2 ** 200, -(3 ** 300), 1.5, -0.0, "é\ud800", [1, [2, "x"]], (1, (2,)), (),
    {1: "a", (2, 3): [4]}, {1, 2, 3}, frozenset({(1, 2)}), b"\x00\xff", bytearray(b"ab"), 2 + 3j,
    {"$": "tuple", "v": []},  # a dict that looks like a tag is still a dict
])
def test_round_trip_keeps_value_and_type(value):
    back = roundtrip(value)
    assert back == value and type(back) is type(value)


def test_non_finite_floats():
    assert roundtrip(math.inf) == math.inf and roundtrip(-math.inf) == -math.inf
    assert math.isnan(roundtrip(math.nan))
    assert json.dumps(encode([math.nan]), allow_nan=False)  # strict JSON


def test_container_subclasses_are_read_through_the_base_type():
    Point = namedtuple("Point", "x y")
    assert roundtrip(Point(1, 2)) == (1, 2) and type(roundtrip(Point(1, 2))) is tuple
    assert roundtrip(Counter("aab")) == {"a": 2, "b": 1}
    assert roundtrip(OrderedDict(a=1)) == {"a": 1}

    class Liar(list):
        def __iter__(self):
            return iter([1, 2, 3])

        def __len__(self):
            return 3

    assert roundtrip(Liar([9])) == [9]


def test_foreign_objects_are_opaque_and_equal_nothing():
    class X:
        __eq__ = lambda *a: True  # noqa: E731
    class MyInt(int):
        __eq__ = lambda *a: True  # noqa: E731
    for value in (X(), MyInt(3), [1, X()], iter([1]), lambda: 1):
        back = roundtrip(value)
        assert back != value and back != 3 and back != [1, 1]
    assert isinstance(roundtrip(X()), Opaque)


def test_deep_and_cyclic_values_are_opaque():
    deep = []
    for _ in range(500):
        deep = [deep]
    cyclic = []
    cyclic.append(cyclic)
    assert isinstance(roundtrip(deep), Opaque) and isinstance(roundtrip(cyclic), Opaque)


def test_long_values_travel_as_digests():
    big, same = "x" * 100_000, "".join(["x"] * 100_000)
    assert encode(big)["$"] == "sha256" and encode(big) == encode(same)
    assert encode({3, 1, 2} | set(range(20_000))) == encode(set(range(20_000)))  # order-free
    assert isinstance(decode(encode(big)), Digest)


@pytest.mark.parametrize("text", [
    '{"$": "eval", "v": "1"}', '{"$": "float", "v": "1e999"}', '{"$": "set", "v": [[1]]}',
    '{"$": "dict", "v": [[1]]}', '{"a": 1}', '{"$": "bytes", "v": "!!"}',
])
def test_malformed_encodings_are_refused(text):
    with pytest.raises(DecodeError):
        decode(json.loads(text))


def test_ints_beyond_the_str_digit_limit_are_carried():
    # HumanEval/139 and /83 return ints of tens of thousands of digits: str() refuses them
    huge = 7 ** 40_000
    assert roundtrip(huge) == huge and roundtrip([huge, 1]) == [huge, 1]
    larger = 7 ** 200_000  # its hex is over the inline limit: a fingerprint
    assert isinstance(roundtrip(larger), Digest)
    assert encode(larger) == encode(7 ** 200_000) and encode(larger) != encode(larger + 1)
