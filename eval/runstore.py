"""A run directory: `meta.json` plus `records.jsonl`, one JSON line per (task, sample).

Appends are crash-safe: each record is one `os.write` of a whole line to a file opened
with O_APPEND, followed by fsync, so a `kill -9` leaves either the whole line or none of
it. A line cut short by a crash (or edited by hand) is reported with its line number and
skipped (so a resume redoes that task); the other lines are kept, and the next append
starts on a fresh line. A full or read-only disk is a `RunDirWriteError`, and an append
it interrupts is cut back off, so a torn line can only come from a crash. A record
with `exit_status: "error"` (model server down, sandbox failure) does not count as done:
a resume retries it and the new record supersedes it (`LoadedRecords.effective`).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import gzip
import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

RECORDS = "records.jsonl"
META = "meta.json"
LOCK = ".lock"  # held (flock) by the one batch writing the directory; holds its pid
CHECKPOINTS = "checkpoints.sqlite"  # the pipeline's per-(task, sample) threads still in flight
# A record's check (eval/evaluate.py) lives under this field: its name in every run directory
# since the first, so old records keep reading. (`solver_verdict` is the agents' own word.)
CHECK_FIELD = "verdict"


def check_of(record: dict) -> dict:
    """A record's check: passed, base, plus, status, detail, seconds ({} when it has none)."""
    return record.get(CHECK_FIELD) or {}


class RunDirError(Exception):
    """The run directory cannot be used (unreadable, or made for a different batch)."""


class RunDirWriteError(RunDirError):
    """The run directory cannot be written (disk full, read-only): a runtime fault, not bad
    input. Nothing half-written is left behind; a rerun resumes after the last whole record."""


class RunDirBusy(RunDirError):
    """Another process is running a batch in the run directory (bad input: wait or use another --out)."""


@contextlib.contextmanager
def lock_run_dir(run_dir: Path):
    """Hold the run directory for one batch: `flock` on `.lock` (released by the kernel when
    the process dies, so a `kill -9` leaves no stale lock). A second batch on the same
    directory would solve the same missing pairs and append duplicates: it gets `RunDirBusy`."""
    path = Path(run_dir) / LOCK
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise _write_error(path, exc) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EACCES):
                raise _write_error(path, exc) from None
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            raise RunDirBusy(f"run directory {run_dir} in use by pid {holder} (another `codeloop batch`); "
                             "wait for it to finish or use another --out") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _write_error(path: Path, exc: OSError) -> RunDirWriteError:
    why = exc.strerror or str(exc)
    return RunDirWriteError(f"cannot write {path}: {why}; free some space or make it writable, then rerun "
                            "the same command (it resumes after the last whole record)")


@dataclass
class LoadedRecords:
    """Valid records in file order, and `problems`: 'line N: why' for each bad line."""

    records: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def effective(self) -> list[dict]:
        """One record per (task_id, sample): the last one written. Only an errored record is
        ever followed by another (a resume retries errors), so this drops superseded errors."""
        latest: dict[tuple[str, int], dict] = {}
        for r in self.records:
            latest[(r["task_id"], int(r.get("sample", 0)))] = r
        return list(latest.values())

    def done(self) -> set[tuple[str, int]]:
        """(task_id, sample) pairs finished: recorded, and not with an error (those are retried)."""
        return {(r["task_id"], int(r.get("sample", 0))) for r in self.effective() if r.get("exit_status") != "error"}


def read_records(run_dir: Path) -> LoadedRecords:
    """Load the run's records, reporting malformed lines: `records.jsonl.gz` first (a finished
    part compressed for committing; a resumed batch appends to a new `records.jsonl`), then
    `records.jsonl`. Missing files: nothing loaded."""
    loaded = LoadedRecords()
    for path in (Path(run_dir) / (RECORDS + ".gz"), Path(run_dir) / RECORDS):
        if path.exists():
            try:
                with (gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")) as fh:
                    _read_lines(fh, path, loaded)
            except (OSError, EOFError) as exc:  # a truncated or corrupt .gz: what was read stays
                loaded.problems.append(f"{path}: unreadable after {len(loaded.records)} records ({exc})")
    return loaded


def has_records(run_dir: Path) -> bool:
    """Whether the run directory has a records file (plain or gzipped), without reading it."""
    return any((Path(run_dir) / name).exists() for name in (RECORDS, RECORDS + ".gz"))


def _read_lines(fh, path: Path, loaded: LoadedRecords) -> None:
    for number, raw in enumerate(fh, start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
            if not isinstance(record, dict) or "task_id" not in record:
                raise ValueError("not a record object with a task_id")
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            loaded.problems.append(f"{path}: line {number}: malformed record skipped ({str(exc)[:80]})")
            continue
        loaded.records.append(record)


class RecordWriter:
    """Appends records to `records.jsonl`; use from one thread (the batch's main loop)."""

    def __init__(self, run_dir: Path) -> None:
        self.path = Path(run_dir) / RECORDS
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as exc:
            raise _write_error(self.path, exc) from None
        try:
            # A crash mid-line leaves no trailing newline: start a new line so the next record
            # is not glued onto the broken one.
            size = os.fstat(self._fd).st_size
            if size:
                with open(self.path, "rb") as fh:
                    fh.seek(size - 1)
                    if fh.read(1) != b"\n":
                        self._write(b"\n")
        except BaseException as exc:
            os.close(self._fd)  # no writer comes back to close it
            if isinstance(exc, OSError):
                raise _write_error(self.path, exc) from None
            raise

    def append(self, record: dict) -> None:
        """Write one record as one line and make it durable before returning. When the disk
        refuses (full, read-only), whatever part of the line got written is cut off again and
        `RunDirWriteError` says so: the file never ends in half a record of ours."""
        self._write((json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8"))

    def _write(self, data: bytes) -> None:
        size = os.fstat(self._fd).st_size
        try:
            written = os.write(self._fd, data)
            while written < len(data):  # a short write: the disk filled up mid-line
                written += os.write(self._fd, data[written:])
            os.fsync(self._fd)
        except OSError as exc:
            with contextlib.suppress(OSError):  # cut our partial line off again
                os.ftruncate(self._fd, size)
                os.fsync(self._fd)
            raise _write_error(self.path, exc) from None

    def close(self) -> None:
        """Close the file."""
        os.close(self._fd)

    def __enter__(self) -> "RecordWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def read_meta(run_dir: Path) -> dict | None:
    """The run's metadata, or None when the directory has none yet."""
    path = Path(run_dir) / META
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RunDirError(f"{path} is unreadable: {exc}") from exc


def write_meta(run_dir: Path, meta: dict) -> None:
    """Write metadata atomically (temp file, fsync, rename)."""
    path = Path(run_dir) / META
    tmp = path.with_suffix(".json.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(meta, fh, indent=2)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise _write_error(path, exc) from None


def archive_records(run_dir: Path) -> Path | None:
    """Move existing records aside (for --redo); nothing is deleted. Returns the new path.
    The checkpoints of unfinished tasks go aside with them: a redo must not resume them."""
    path = Path(run_dir) / RECORDS
    stamp = _free_stamp(Path(run_dir))
    for name in (CHECKPOINTS, CHECKPOINTS + "-wal", CHECKPOINTS + "-shm"):
        checkpoints = Path(run_dir) / name
        if checkpoints.exists():
            os.replace(checkpoints, checkpoints.with_name(f"{stamp}.{name}"))
    if not path.exists():
        return None
    target = path.with_name(f"records.{stamp}.jsonl")
    os.replace(path, target)
    return target


def _free_stamp(run_dir: Path) -> str:
    """A time stamp no archive in `run_dir` uses yet (two redos within a second must not
    overwrite the first one's archive): the time, then the time with -2, -3, ..."""
    base = time.strftime("%Y%m%dT%H%M%S")
    taken = {p.name for p in run_dir.glob(f"*{base}*")} if run_dir.is_dir() else set()
    stamp, n = base, 1
    while any(stamp in name.split(".") for name in taken):
        n += 1
        stamp = f"{base}-{n}"
    return stamp
