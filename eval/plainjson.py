"""Plain data as JSON, with tags for what JSON cannot hold; stdlib only.

The check programs (`plus_harness.py`) include this file's source and `encode` each output
of the code under test; the host `decode`s them and compares (`eval.compare`). Neither
side uses eval or pickle, so an output is data and nothing else: an object with a lying
`__eq__`, a subclass with overridden methods or an unknown type cannot reach the host.

Shapes: None, bool, str and small ints and finite floats are themselves; a list is a JSON
list; everything else is `{"$": TAG, "v": ...}` — int (big, as hex), float (inf, -inf,
nan), complex, tuple, set, frozenset, dict (a list of [key, value] pairs), bytes,
bytearray (base64), opaque (a type we do not encode: equal to nothing) and sha256 (the
digest of a value whose encoding is over `MAX_INLINE` characters: equal only to a value
with the same encoding). Dict items and set members are sorted by their encoding, so
equal values of the same types encode to the same text and their digests match.
Only exact built-in types are encoded as themselves; subclasses of list, tuple, dict, set
and frozenset (namedtuple, Counter, OrderedDict, ...) are read through the base type's own
methods; subclasses of scalars (numpy scalars, IntEnum, str subclasses) are opaque.
Importing this module has no side effects.
"""

import base64
import hashlib
import json
import math

MAX_DEPTH = 100
MAX_INLINE = 64 * 1024
_SMALL_INT = 2 ** 63


class Unencodable(Exception):
    """A value this format does not carry (too deep, or a foreign object inside a container)."""


def _tag(name, value):
    return {"$": name, "v": value}


def _text(enc):
    return json.dumps(enc, sort_keys=True, ensure_ascii=True, allow_nan=False, separators=(",", ":"))


def _scalar(x):
    """The encoding of a scalar of an exact built-in type, or None when `x` is not one."""
    t = type(x)
    if x is None or t is bool or t is str:
        return [x]
    if t is int:
        return [x if -_SMALL_INT < x < _SMALL_INT else _tag("int", hex(x))]
    if t is float:
        return [x if math.isfinite(x) else _tag("float", repr(x))]
    if t is complex:
        return [_tag("complex", [_enc(x.real, 1), _enc(x.imag, 1)])]
    if t is bytes or t is bytearray:
        return [_tag(t.__name__, base64.b64encode(bytes(x)).decode("ascii"))]
    return None


def _members(items, depth):
    encoded = [_enc(i, depth + 1) for i in items]
    return sorted(encoded, key=_text)


def _enc(x, depth):
    if depth > MAX_DEPTH:
        raise Unencodable("nested too deeply")
    scalar = _scalar(x)
    if scalar is not None:
        return scalar[0]
    # isinstance, then the base type's own methods: a subclass cannot lie about its contents
    if isinstance(x, list):
        return [_enc(list.__getitem__(x, i), depth + 1) for i in range(list.__len__(x))]
    if isinstance(x, tuple):
        return _tag("tuple", [_enc(tuple.__getitem__(x, i), depth + 1) for i in range(tuple.__len__(x))])
    if isinstance(x, dict):
        pairs = [[_enc(k, depth + 1), _enc(v, depth + 1)] for k, v in dict.items(x)]
        return _tag("dict", sorted(pairs, key=lambda kv: _text(kv[0])))
    if isinstance(x, frozenset):
        return _tag("frozenset", _members(frozenset.__iter__(x), depth))
    if isinstance(x, set):
        return _tag("set", _members(set.__iter__(x), depth))
    raise Unencodable(type(x).__name__)


def encode(x, max_inline=MAX_INLINE):
    """The tagged JSON form of `x` (a JSON-ready value). A value this format cannot carry
    becomes an `opaque` tag (equal to nothing); one whose text is longer than `max_inline`
    becomes its `sha256` tag."""
    try:
        enc = _enc(x, 0)
    except (Unencodable, RecursionError, ValueError) as exc:
        return _tag("opaque", str(exc)[:80])
    if type(enc) in (list, dict, str):  # a long str too: HumanEval/15 returns megabytes
        text = _text(enc)
        if len(text) > max_inline:
            return _tag("sha256", hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest())
    return enc


def digest(enc):
    """The sha256 tag value of an encoding (how `encode` shortens a long one)."""
    return hashlib.sha256(_text(enc).encode("utf-8", "surrogatepass")).hexdigest()


class Opaque:
    """A decoded output of a type the format does not carry: equal to nothing, not None."""

    __hash__ = object.__hash__

    def __init__(self, name=""):
        self.name = name

    def __eq__(self, other):
        return False

    def __repr__(self):
        return f"<opaque {self.name}>"


class Digest:
    """A decoded long output: only its digest is known (compared by `eval.compare`)."""

    __hash__ = None

    def __init__(self, hexdigest):
        self.hexdigest = hexdigest

    def __eq__(self, other):
        return isinstance(other, Digest) and other.hexdigest == self.hexdigest

    def __repr__(self):
        return f"<sha256 {self.hexdigest[:12]}>"


class DecodeError(ValueError):
    """Text that is not a well-formed encoding."""


def _float_tag(v):
    if v not in ("inf", "-inf", "nan"):
        raise DecodeError(f"bad float tag {v!r}")
    return float(v)


def _dec(e, depth):
    if depth > MAX_DEPTH + 2:
        raise DecodeError("nested too deeply")
    t = type(e)
    if e is None or t in (bool, str, int, float):
        return e
    if t is list:
        return [_dec(i, depth + 1) for i in e]
    if t is not dict or set(e) != {"$", "v"}:
        raise DecodeError("not an encoding")
    tag, v = e["$"], e["v"]
    if tag == "int" and type(v) is str:
        return int(v, 16)
    if tag == "float" and type(v) is str:
        return _float_tag(v)
    if tag == "complex" and type(v) is list and len(v) == 2:
        re, im = (_dec(i, depth + 1) for i in v)
        if type(re) is not float or type(im) is not float:
            raise DecodeError("bad complex")
        return complex(re, im)
    if tag in ("bytes", "bytearray") and type(v) is str:
        raw = base64.b64decode(v, validate=True)
        return raw if tag == "bytes" else bytearray(raw)
    if tag == "opaque" and type(v) is str:
        return Opaque(v)
    if tag == "sha256" and type(v) is str:
        return Digest(v)
    if type(v) is not list:
        raise DecodeError(f"bad tag {tag!r}")
    items = [_dec(i, depth + 1) for i in v]
    if tag == "tuple":
        return tuple(items)
    if tag in ("set", "frozenset"):
        return (set if tag == "set" else frozenset)(items)
    if tag == "dict" and all(type(kv) is list and len(kv) == 2 for kv in items):
        return {k: val for k, val in items}
    raise DecodeError(f"bad tag {tag!r}")


def decode(enc):
    """The Python value of an encoding (builtins, `Opaque` or `Digest`); raises DecodeError
    for anything else (an unhashable set member or dict key included)."""
    try:
        return _dec(enc, 0)
    except DecodeError:
        raise
    except (TypeError, ValueError, RecursionError) as exc:
        raise DecodeError(f"{type(exc).__name__}: {exc}") from None
