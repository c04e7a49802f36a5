"""Plain data as JSON, with tags for what JSON cannot hold; stdlib only.

The check programs (`plus_harness.py`) include this file's source and `encode` each output
of the code under test; the host `decode`s them and compares (`eval.compare`). Neither
side uses eval or pickle, so an output is data and nothing else: an object with a lying
`__eq__`, a subclass with overridden methods or an unknown type cannot reach the host.

Shapes: None, bool, str and small ints and finite floats are themselves; a list is a JSON
list; everything else is `{"$": TAG, "v": ...}` — int (big, as hex), float (inf, -inf,
nan), complex, tuple, set, frozenset, dict (a list of [key, value] pairs), bytes,
bytearray (base64), opaque (a type we do not encode: equal to nothing) and sha256 (the
fingerprint of a value whose canonical text is over `MAX_INLINE` characters: equal only to
the same fingerprint). Dict items and set members are sorted by their encoding, so equal
values of the same types encode to the same text and their fingerprints match. Nested
lists/tuples of plain scalars are fingerprinted from their items' `repr`, streamed (C speed,
never held whole: an MBPP+ answer is a list of 1.6 million 77-tuples, 1 GB of text);
anything else from the encoding's text.
Only exact built-in types are encoded as themselves; subclasses of list, tuple, dict, set
and frozenset (namedtuple, Counter, OrderedDict, ...) are read through the base type's own
methods; subclasses of scalars (numpy scalars, IntEnum, str subclasses) are opaque.
Importing this module has no side effects.
"""

import base64
import hashlib
import itertools
import json
import math

MAX_DEPTH = 100
MAX_INLINE = 64 * 1024
_SMALL_INT = 2 ** 63
_REPR_SCALARS = frozenset({int, float, complex, str, bytes, bool, type(None)})
_SEQUENCES = (list, tuple)


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


def _repr_safe(x):
    """True when `x` is nested exact lists/tuples of exact plain scalars, whose `repr` is
    canonical. Checked a level at a time with C-speed type scans; a level of scalars is
    only scanned, never copied (an MBPP+ answer holds 128 million strings)."""
    allowed = _REPR_SCALARS.union(_SEQUENCES)
    level = [x]
    for _ in range(MAX_DEPTH):
        types = set(map(type, level))
        if not types <= allowed:
            return False
        seqs = level if types <= set(_SEQUENCES) else [i for i in level if type(i) in _SEQUENCES]
        if not seqs:
            return True
        inner = set(map(type, itertools.chain.from_iterable(seqs)))
        if inner <= _REPR_SCALARS:
            return True
        level = list(itertools.chain.from_iterable(seqs))
    return False


_SLICE = 4096


def _pieces(x):
    """The canonical text of a repr-safe value, in pieces: a sequence's type and length,
    then the repr of each slice of `_SLICE` items (fixed cut points: equal values cut alike)."""
    if type(x) in _SEQUENCES:
        yield f"{type(x).__name__}/{len(x)}:"
        for start in range(0, len(x), _SLICE):
            yield repr(x[start:start + _SLICE])
    else:
        yield repr(x)


def _long_repr_digest(x, max_inline):
    """The fingerprint of a repr-safe value whose canonical text is over `max_inline`
    characters, else None. Streams: the text is never held whole."""
    held, size, digest = [], 0, None
    for piece in _pieces(x):
        if digest is None:
            held.append(piece)
            size += len(piece)
            if size > max_inline:
                digest = hashlib.sha256()
                for old in held:
                    digest.update(old.encode("utf-8", "surrogatepass"))
                held = None
        else:
            digest.update(piece.encode("utf-8", "surrogatepass"))
    return None if digest is None else "r:" + digest.hexdigest()


def encode(x, max_inline=MAX_INLINE):
    """The tagged JSON form of `x` (a JSON-ready value). A value this format cannot carry
    becomes an `opaque` tag (equal to nothing); one whose canonical text is longer than
    `max_inline` becomes a `sha256` tag: equal values of equal types always make the same
    choice, so a long value only ever meets another fingerprint."""
    try:
        if _repr_safe(x):
            try:
                long = _long_repr_digest(x, max_inline)
                return _tag("sha256", long) if long else _enc(x, 0)
            except ValueError:
                pass  # an int beyond str()'s digit limit (HumanEval/139): the path below writes it in hex
        enc = _enc(x, 0)
        text = _text(enc)
        if len(text) > max_inline:
            return _tag("sha256", "j:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest())
        return enc
    except (Unencodable, RecursionError, ValueError) as exc:
        return _tag("opaque", str(exc)[:80])


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
