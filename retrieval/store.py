"""Persistent, incrementally rebuilt indexes: chunks + BM25 (+ optional dense vectors).

Layout of an index directory:
  manifest.json   format version, embedding model (or null), per-source content sha256
  chunks.jsonl    one chunk per line (text, source, line span, kind, meta, text hash)
  bm25/           bm25s files (memory-mapped on load)
  vectors.npy     float32 embeddings aligned with chunks.jsonl (dense indexes only)

Rebuilding re-chunks only sources whose content hash changed and embeds only chunk texts
not embedded before; BM25 is re-fitted over all chunks because its idf statistics are
global (a few seconds even at 50k chunks). A new build is written next to the old one and
swapped in, so a crash never leaves a half-written index.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from retrieval.bm25 import BM25Index
from retrieval.chunking import Chunk, chunk_document
from retrieval.dense import Embedder

log = logging.getLogger(__name__)
FORMAT_VERSION = 1


@dataclass
class Document:
    """A unit of indexing with a stable `source` id; `whole=True` skips chunking."""

    source: str
    text: str
    meta: dict = field(default_factory=dict)
    whole: bool = False


@dataclass
class BuildStats:
    """What a build did; `rechunked` lists the sources that were (re)processed."""

    sources: int = 0
    chunks: int = 0
    rechunked: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    embedded: int = 0
    seconds: float = 0.0
    bytes: int = 0


def content_hash(text: str, meta: dict | None = None) -> str:
    """sha256 of a document's text and metadata (metadata changes must re-index too)."""
    h = hashlib.sha256(text.encode("utf-8", "surrogatepass"))
    h.update(json.dumps(meta or {}, sort_keys=True, default=str).encode())
    return h.hexdigest()


def _chunks_for(doc: Document) -> list[dict]:
    """Chunk one document into JSON-ready records."""
    if doc.whole:
        lines = doc.text.count("\n") + 1
        chunks = [Chunk(doc.text, doc.source, 1, lines, doc.meta.get("kind", "text"), {})]
    else:
        chunks = chunk_document(doc.text, doc.source)
    records = []
    for c in chunks:
        rec = asdict(c)
        rec["meta"] = {**doc.meta, **c.meta}
        rec["whole"] = doc.whole
        rec["hash"] = hashlib.sha256(c.text.encode("utf-8", "surrogatepass")).hexdigest()
        records.append(rec)
    return records


def read_manifest(directory: Path) -> dict | None:
    """The manifest of the index in `directory`, or None if there is no usable index."""
    path = directory / "manifest.json"
    if not path.exists():
        return None
    try:
        manifest = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    return manifest if manifest.get("version") == FORMAT_VERSION else None


def read_chunks(directory: Path) -> list[dict]:
    """All chunk records of the index in `directory`."""
    with open(directory / "chunks.jsonl", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def build_index(documents, directory: Path, embedder: Embedder | None = None) -> BuildStats:
    """Build or incrementally update the index in `directory` from `documents`.

    `embedder=None` builds a BM25-only index. Sources absent from `documents` are dropped.
    """
    started = time.perf_counter()
    directory = Path(directory)
    model = embedder.name if embedder is not None else None
    old = read_manifest(directory)
    old_sources: dict = old["sources"] if old else {}
    old_chunks = read_chunks(directory) if old else []
    by_source: dict[str, list[dict]] = {}
    for rec in old_chunks:
        by_source.setdefault(rec["source"], []).append(rec)
    old_vectors: dict[str, np.ndarray] = {}
    if old and model and old.get("model") == model and (directory / "vectors.npy").exists():
        matrix = np.load(directory / "vectors.npy", mmap_mode="r")
        old_vectors = {rec["hash"]: matrix[i] for i, rec in enumerate(old_chunks)}

    stats = BuildStats()
    sources: dict[str, dict] = {}
    records: list[dict] = []
    for doc in documents:
        if doc.source in sources:
            raise ValueError(f"duplicate source in corpus: {doc.source}")
        digest = content_hash(doc.text, doc.meta)
        sources[doc.source] = {"sha256": digest}
        if old_sources.get(doc.source, {}).get("sha256") == digest:
            records.extend(by_source.get(doc.source, []))
        else:
            stats.rechunked.append(doc.source)
            records.extend(_chunks_for(doc))
    stats.removed = sorted(set(old_sources) - set(sources))

    tmp = directory.with_name(directory.name + ".building")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    with open(tmp / "chunks.jsonl", "w", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    BM25Index.build([_index_text(r) for r in records]).save(tmp / "bm25")
    if embedder is not None:
        missing = sorted({r["hash"]: r for r in records if r["hash"] not in old_vectors}.values(),
                         key=lambda r: r["hash"])
        fresh = embedder.encode([_index_text(r) for r in missing]) if missing else None
        new_vectors = {r["hash"]: fresh[i] for i, r in enumerate(missing)}
        stats.embedded = len(missing)
        matrix = np.zeros((len(records), embedder.dim), dtype=np.float32)
        for i, rec in enumerate(records):
            matrix[i] = new_vectors.get(rec["hash"], old_vectors.get(rec["hash"]))
        np.save(tmp / "vectors.npy", matrix)
    manifest = {"version": FORMAT_VERSION, "model": model, "sources": sources}
    (tmp / "manifest.json").write_text(json.dumps(manifest))
    _swap(tmp, directory)

    stats.sources, stats.chunks = len(sources), len(records)
    stats.bytes = sum(p.stat().st_size for p in directory.rglob("*") if p.is_file())
    stats.seconds = time.perf_counter() - started
    log.info("indexed %d sources (%d re-chunked), %d chunks, %d embedded, in %.1fs",
             stats.sources, len(stats.rechunked), stats.chunks, stats.embedded, stats.seconds)
    return stats


def _index_text(rec: dict) -> str:
    """What BM25 and the embedder see: the text plus its qualified name / section title."""
    label = rec["meta"].get("qualname") or rec["meta"].get("section") or ""
    return f"{label}\n{rec['text']}" if label and label != "<module>" else rec["text"]


def _swap(new: Path, target: Path) -> None:
    """Replace `target` by `new` with two renames, so readers never see a partial index."""
    old = target.with_name(target.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    new.rename(target)
    shutil.rmtree(old, ignore_errors=True)
