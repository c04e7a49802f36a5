"""Confined file access under a root folder the user chose (a repository, a build directory).

Everything below the root is untrusted: a cloned repository may hold symlinks (into `.git`,
out to a shell rc file, dangling towards a file it wants created), a model reply names
whatever path it likes, and a resumed run directory may have been edited. So:

- `confine` turns a user- or model-given name into a root-relative path, refusing anything
  outside the root, anything inside `.git` (at any depth) or codeloop's private folders,
  and any symlink on the way (checked with `lstat`, component by component, not lexically);
- the I/O functions walk to the file's folder one component at a time with `O_NOFOLLOW`
  directory descriptors, so a link swapped in after the check is not followed either;
  reads open with `O_NOFOLLOW`, whole-file writes go to a temp file in the same folder and
  `os.replace` it (a rename replaces, never follows, what is at the destination), backups
  are created new (`O_CREAT | O_EXCL | O_NOFOLLOW`), appends refuse anything but a file.

The root itself is trusted as given (links above it are the user's own setup). POSIX only.
"""

from __future__ import annotations

import errno
import os
import stat
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from settings.errors import BadInput

PRIVATE = (".git", ".codeloop")  # codeloop's and git's own state: never a file to edit
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)  # NONBLOCK: a FIFO never hangs


class UnsafePath(BadInput):
    """A path that leaves the root, goes through a symlink, or names private state."""


def confine(root: Path, name: str | os.PathLike, *, private: tuple[str, ...] = PRIVATE,
            label: str = "the folder") -> str:
    """`name` (relative to `root`, or absolute under it) as a root-relative POSIX path.

    Refuses paths outside `root`, any component named `.git`, a first component in
    `private`, and any existing component that is a symlink or (before the last) not a
    folder. Components that do not exist yet are fine (a new file)."""
    root = Path(root)
    text = os.fspath(name)
    if not text.strip() or "\x00" in text:
        raise UnsafePath(f"{text!r}: not a file name")
    raw = Path(text)
    parts = _normalize((raw if raw.is_absolute() else root / raw).parts)
    if parts[:len(root.parts)] != list(root.parts):
        raise UnsafePath(f"{text}: outside {label} ({root})")
    rel = parts[len(root.parts):]
    if not rel:
        raise UnsafePath(f"{text}: the root folder itself, not a file")
    if any(part.casefold() == ".git" for part in rel):
        raise UnsafePath(f"{text}: inside .git/, which codeloop never edits")
    if rel[0].casefold() in {p.casefold() for p in private}:
        raise UnsafePath(f"{text}: inside {rel[0]}/, which codeloop never edits")
    probe = root
    for i, part in enumerate(rel):
        probe = probe / part
        mode = _lstat_mode(probe)
        if mode is None:
            break
        if stat.S_ISLNK(mode):
            link = "/".join(rel[:i + 1])
            raise UnsafePath(f"{text}: goes through a symlink ({link}); codeloop does not follow links")
        if i < len(rel) - 1 and not stat.S_ISDIR(mode):
            raise UnsafePath(f"{text}: {'/'.join(rel[:i + 1])} is not a folder")
    return "/".join(rel)


def kind(root: Path, rel: str) -> str:
    """What is at `rel` without following links: file | dir | link | other | missing
    (UnsafePath when a folder on the way is a link)."""
    try:
        with _parent(root, rel, create=False) as (dir_fd, leaf):
            mode = os.lstat(leaf, dir_fd=dir_fd).st_mode
    except FileNotFoundError:
        return "missing"
    for test, name in ((stat.S_ISLNK, "link"), (stat.S_ISREG, "file"), (stat.S_ISDIR, "dir")):
        if test(mode):
            return name
    return "other"


def read_bytes(root: Path, rel: str, *, max_bytes: int | None = None) -> bytes | None:
    """The bytes of regular file `rel`, or None when it does not exist. Refuses links,
    non-files and files over `max_bytes`."""
    try:
        with _parent(root, rel, create=False) as (dir_fd, leaf):
            fd = os.open(leaf, _READ_FLAGS, dir_fd=dir_fd)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _refusal(rel, exc) from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise UnsafePath(f"{rel}: not a regular file")
        if max_bytes is not None and info.st_size > max_bytes:
            raise UnsafePath(f"{rel}: larger than {max_bytes // 1024} KiB")
        return handle.read() if max_bytes is None else handle.read(max_bytes + 1)[:max_bytes]


def read_text(root: Path, rel: str, *, max_bytes: int | None = None) -> str | None:
    """`read_bytes` decoded as UTF-8 (UnsafePath when it is not UTF-8 text)."""
    data = read_bytes(root, rel, max_bytes=max_bytes)
    if data is None:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise UnsafePath(f"{rel}: not a UTF-8 text file") from None


def write_text(root: Path, rel: str, text: str) -> None:
    """Replace (or create) file `rel` with `text`: a temp file in the same folder, then
    `os.replace`. Missing folders are created; a symlink at `rel` is refused, not replaced.
    An existing file keeps its permission bits."""
    data = text.encode("utf-8")
    with _parent(root, rel, create=True) as (dir_fd, leaf):
        mode = _leaf_mode(dir_fd, leaf, rel)
        tmp = _create_temp(dir_fd, leaf)
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_NOFOLLOW, dir_fd=dir_fd)
            with os.fdopen(fd, "wb") as handle:
                if mode is not None:
                    os.fchmod(handle.fileno(), stat.S_IMODE(mode))
                handle.write(data)
            os.replace(tmp, leaf, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        except BaseException:
            _unlink_quietly(dir_fd, tmp)
            raise


def create_text(root: Path, rel: str, text: str) -> bool:
    """Create file `rel` with `text` only if nothing (not even a dangling link) is there;
    False when something is."""
    with _parent(root, rel, create=True) as (dir_fd, leaf):
        try:
            fd = os.open(leaf, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o666, dir_fd=dir_fd)
        except FileExistsError:
            return False
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
    return True


def append_text(root: Path, rel: str, text: str) -> None:
    """Append `text` to regular file `rel` (created when missing); refuses links and
    anything that is not a regular file."""
    with _parent(root, rel, create=True) as (dir_fd, leaf):
        try:
            fd = os.open(leaf, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK, 0o666,
                         dir_fd=dir_fd)
        except OSError as exc:
            raise _refusal(rel, exc) from None
        with os.fdopen(fd, "ab") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise UnsafePath(f"{rel}: not a regular file")
            handle.write(text.encode("utf-8"))


def remove(root: Path, rel: str) -> None:
    """Remove file (or link) `rel` itself; a missing one is fine. Never follows a link."""
    try:
        with _parent(root, rel, create=False) as (dir_fd, leaf):
            mode = os.lstat(leaf, dir_fd=dir_fd).st_mode
            if not stat.S_ISDIR(mode):
                os.unlink(leaf, dir_fd=dir_fd)
    except FileNotFoundError:
        return


def make_dirs(root: Path, rel: str) -> None:
    """Create folder `rel` and its parents under `root`, refusing links on the way."""
    with _walk(root, _checked(rel).split("/"), create=True):
        pass


@contextmanager
def _parent(root: Path, rel: str, *, create: bool):
    """An `O_NOFOLLOW` descriptor of `rel`'s folder (created when `create`) and the last
    component's name."""
    parts = _checked(rel).split("/")
    with _walk(root, parts[:-1], create=create) as fd:
        yield fd, parts[-1]


@contextmanager
def _walk(root: Path, parts: list[str], *, create: bool):
    """A descriptor of folder `root/parts…`, opened one component at a time with
    `O_NOFOLLOW` (so no link is followed, even one swapped in after a check)."""
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0))  # the root: trusted as given
    try:
        for i, part in enumerate(parts):
            try:
                nxt = os.open(part, _DIR_FLAGS, dir_fd=fd)
            except FileNotFoundError:
                if not create:
                    raise
                _mkdir_quietly(fd, part)
                nxt = _open_dir(fd, part, parts, i)
            except OSError as exc:
                raise _refusal("/".join(parts[:i + 1]), exc) from None
            os.close(fd)
            fd = nxt
        yield fd
    finally:
        os.close(fd)


def _open_dir(fd: int, part: str, parts: list[str], i: int) -> int:
    try:
        return os.open(part, _DIR_FLAGS, dir_fd=fd)
    except OSError as exc:
        raise _refusal("/".join(parts[:i + 1]), exc) from None


def _mkdir_quietly(fd: int, part: str) -> None:
    try:
        os.mkdir(part, dir_fd=fd)
    except FileExistsError:
        pass  # made meanwhile: opened (and checked) next


def _leaf_mode(dir_fd: int, leaf: str, rel: str) -> int | None:
    """The mode of an existing regular file at `leaf` (None when absent); refuses the rest."""
    try:
        mode = os.lstat(leaf, dir_fd=dir_fd).st_mode
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(mode):
        raise UnsafePath(f"{rel}: is a symlink; codeloop does not write through links")
    if not stat.S_ISREG(mode):
        raise UnsafePath(f"{rel}: not a regular file")
    return mode


def _create_temp(dir_fd: int, leaf: str) -> str:
    """A new, empty temp file next to `leaf` (its name)."""
    for attempt in range(100):
        name = f".{leaf}.{os.getpid()}.{attempt}.codeloop-tmp"
        try:
            os.close(os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o666, dir_fd=dir_fd))
            return name
        except FileExistsError:
            continue
    raise UnsafePath(f"{leaf}: cannot create a temp file next to it")


def _unlink_quietly(dir_fd: int, name: str) -> None:
    try:
        os.unlink(name, dir_fd=dir_fd)
    except OSError:
        pass


def _checked(rel: str) -> str:
    """A root-relative path the I/O functions accept: relative, no `..`, no empty name."""
    path = PurePosixPath(rel)
    if not rel or "\x00" in rel or path.is_absolute() or ".." in path.parts or not path.parts:
        raise UnsafePath(f"{rel!r}: not a path inside the folder")
    return "/".join(path.parts)


def _refusal(rel: str, exc: OSError) -> UnsafePath:
    """An OSError from an `O_NOFOLLOW` open as a one-line refusal (ELOOP/ENOTDIR: a link)."""
    if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
        return UnsafePath(f"{rel}: is a symlink, or goes through one (or a file where a folder should be); "
                          "codeloop does not follow links")
    if exc.errno == errno.ENXIO:
        return UnsafePath(f"{rel}: not a regular file")
    return UnsafePath(f"{rel}: {exc.strerror or exc}")


def _lstat_mode(path: Path) -> int | None:
    try:
        return os.lstat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return None


def _normalize(parts: tuple[str, ...]) -> list[str]:
    """Resolve `.` and `..` without touching the disk (links are checked separately)."""
    out: list[str] = []
    for part in parts:
        if part == "..":
            if len(out) > 1:
                out.pop()
        elif part != ".":
            out.append(part)
    return out
