"""The pipeline's LangGraph checkpoints: the one way to open them, and a serializer that
revives only the types the graph state holds.

A run directory is untrusted input (docs/ARCHITECTURE.md, Threat model): its `checkpoints.sqlite` may come from
someone else's run or have been edited. LangGraph's `JsonPlusSerializer` revives a msgpack
"ext" value by importing whatever module and name the payload gives and calling it, so a
crafted checkpoint runs `os.system(...)` when a batch resumes (issue 28). Here:

- LangGraph's own allow-list (`allowed_msgpack_modules`) names exactly `ALLOWED_TYPES`,
  JSON constructors get no allow-list and pickle stays off;
- every blob is checked before LangGraph decodes it: a value that names any other type, or
  a format other than msgpack, raises `UnsafeCheckpoint` (a one-line `BadInput`) instead of
  being revived or quietly degraded to its raw data;
- `verify_checkpoints` checks a whole file up front, so a batch refuses a tampered run
  directory before it starts (its finished records stay as they are).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import ormsgpack
from langgraph.checkpoint.serde import jsonplus
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite import SqliteSaver

from eval.runstore import RunDirError
from settings.errors import BadInput

# The types a checkpoint may revive besides plain data. The solve graph's state is plain
# data only (agents/state.py: dicts, lists, strings, numbers; a node's error is stored as its
# repr): the checkpoints of full runs hold no msgpack extension value at all. So nothing is
# allowed; a new state field of another type fails the resume tests, and may be added here
# only if it is data-only (its constructor cannot reach the host).
ALLOWED_TYPES: frozenset[tuple[str, str]] = frozenset()
_ALLOWED_METHODS: frozenset[tuple[str, str, str]] = frozenset()  # (module, name, method): none either
_CONSTRUCTORS = {jsonplus.EXT_CONSTRUCTOR_SINGLE_ARG, jsonplus.EXT_CONSTRUCTOR_POS_ARGS,
                 jsonplus.EXT_CONSTRUCTOR_KW_ARGS, jsonplus.EXT_PYDANTIC_V1, jsonplus.EXT_PYDANTIC_V2}
# "msgpack" is what this LangGraph writes; the others carry no code. "json" (old
# LangChain constructors) and "pickle" are refused.
_PLAIN_FORMATS = {"null", "bytes", "bytearray"}

# How long a write waits for another process holding the checkpoint file (sqlite's default, 5 s,
# is short enough for a busy machine to turn into "database is locked").
CHECKPOINT_BUSY_S = 120.0


class UnsafeCheckpoint(RunDirError, BadInput):
    """A checkpoint that names a type outside `ALLOWED_TYPES` (or is not msgpack): refused.
    A `RunDirError`, so the batch runner stops instead of recording it as a task's error."""


def _refuse(what: str) -> UnsafeCheckpoint:
    return UnsafeCheckpoint(f"checkpoint holds {what}, which codeloop does not load (a tampered run directory?)")


def _shown(name: str) -> str:
    """A name from the file, safe to print on one line (it is the attacker's text)."""
    return name if name.isprintable() and len(name) <= 80 else repr(name[:80])


def _checker(refused: list[str]):
    """An ormsgpack ext hook that walks nested values and refuses a type not allowed: it notes
    why in `refused` (ormsgpack replaces a hook's exception with its own) and stops."""
    def unpack(data: bytes):
        return ormsgpack.unpackb(data, ext_hook=hook, option=ormsgpack.OPT_NON_STR_KEYS)

    def refuse(what: str) -> UnsafeCheckpoint:
        refused.append(what)
        return UnsafeCheckpoint(what)

    def hook(code: int, data: bytes) -> None:
        if code == jsonplus.EXT_DELTA_SNAPSHOT:
            unpack(data)
            return None
        if code not in _CONSTRUCTORS and code != jsonplus.EXT_METHOD_SINGLE_ARG:
            raise refuse(f"msgpack extension type {code}")
        parts = unpack(data)
        if not isinstance(parts, (list, tuple)) or len(parts) < 3 or not all(isinstance(p, str) for p in parts[:2]):
            raise refuse(f"a malformed msgpack extension value (type {code})")
        if code == jsonplus.EXT_METHOD_SINGLE_ARG:
            method = parts[3] if len(parts) > 3 else None
            if (parts[0], parts[1], method) not in _ALLOWED_METHODS:
                raise refuse(f"a call of {_shown(parts[0])}.{_shown(parts[1])}.{_shown(str(method))}")
        elif (parts[0], parts[1]) not in ALLOWED_TYPES:
            raise refuse(f"an object of type {_shown(parts[0])}.{_shown(parts[1])}")
        return None

    return unpack


def check_blob(kind: str, data: bytes | None) -> None:
    """Raise `UnsafeCheckpoint` unless the typed blob (LangGraph's `(type, bytes)`) decodes to
    plain data and allowed types only. Decoding here constructs nothing."""
    if kind in _PLAIN_FORMATS:
        return
    if kind != "msgpack":
        raise _refuse(f"a {kind!r} value")
    refused: list[str] = []
    try:
        _checker(refused)(data or b"")
    except (ormsgpack.MsgpackDecodeError, UnsafeCheckpoint, RecursionError, MemoryError, ValueError, TypeError):
        raise _refuse(refused[0] if refused else "undecodable data") from None


class StrictSerializer(JsonPlusSerializer):
    """`JsonPlusSerializer` in strict mode: LangGraph's allow-list set to `ALLOWED_TYPES` (empty:
    its built-in safe types only), no JSON constructors, no pickle, and each blob checked by
    `check_blob` before LangGraph decodes it (LangGraph alone would return a blocked value's
    raw data and go on; a run directory with one is refused instead)."""

    def __init__(self) -> None:
        super().__init__(pickle_fallback=False, allowed_json_modules=None, allowed_msgpack_modules=ALLOWED_TYPES)

    def loads_typed(self, data: tuple[str, bytes]):
        """Decode a stored value, or raise `UnsafeCheckpoint` (nothing is constructed then)."""
        check_blob(*data)
        return super().loads_typed(data)


def open_checkpoints(path: str | Path) -> SqliteSaver:
    """One saver for many solves (a batch's worker threads): one connection with a long busy
    timeout, its tables set up once, the strict serializer. SqliteSaver serialises its use
    with its own lock, so the threads share it; close it with `saver.conn.close()`."""
    conn = sqlite3.connect(str(path), check_same_thread=False, timeout=CHECKPOINT_BUSY_S)
    saver = SqliteSaver(conn, serde=StrictSerializer())
    saver.setup()
    return saver


@contextlib.contextmanager
def checkpoints_at(path: str | Path) -> Iterator[SqliteSaver]:
    """`open_checkpoints(path)` as a context: the connection is closed at the end."""
    saver = open_checkpoints(path)
    try:
        yield saver
    finally:
        saver.conn.close()


def verify_checkpoints(path: str | Path) -> None:
    """Check every stored value of the checkpoint file at `path` (none there: nothing to
    check). Raises `UnsafeCheckpoint` naming the file and the thread on the first value that
    is not plain data and allowed types; opens the file read-only and changes nothing."""
    path = Path(path)
    if not path.exists():
        return
    try:
        with contextlib.closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
            tables = {row[0] for row in db.execute("select name from sqlite_master where type = 'table'")}
            queries = [q for table, q in (("checkpoints", "select thread_id, type, checkpoint from checkpoints"),
                                          ("writes", "select thread_id, type, value from writes")) if table in tables]
            for query in queries:
                for thread, kind, blob in db.execute(query):
                    try:
                        check_blob(kind, blob)
                    except UnsafeCheckpoint as exc:
                        raise UnsafeCheckpoint(f"{path}: thread {thread!r}: {exc}; move the file aside to "
                                               "restart the unfinished tasks") from None
    except sqlite3.DatabaseError as exc:
        raise UnsafeCheckpoint(f"{path}: not a checkpoint file ({exc})") from None
