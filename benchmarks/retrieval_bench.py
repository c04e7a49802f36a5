"""Retrieval benchmark: build time/size, load time, query latency, recall@5. Prints tables.

    .venv/bin/python -m benchmarks.retrieval_bench [--chunks 50000] [--queries 100] [--out DIR]

Corpora: (1) the installed interpreter's stdlib docstrings (BM25 and dense builds, both
measured in full); (2) a 50k-chunk code corpus = the first 50k chunks of the stdlib's
own .py files. For (2) the dense build is *extrapolated* from the embedding throughput on
a sample (embedding 50k code chunks on 2 cores takes tens of minutes), and the FAISS
latency uses 50k vectors made from the sample's real embeddings tiled with noise (flat
search cost depends only on count and dimension). rank-bm25 is timed next to bm25s to
justify the choice. Needs the `dense` extra.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sysconfig
import tempfile
import time
from pathlib import Path

import numpy as np

from retrieval.bm25 import BM25Index
from retrieval.corpora import documents_from_paths, stdlib_documents
from retrieval.dense import MiniLMEmbedder
from retrieval.labelled import QUERIES, in_test_corpus, recall_at_k
from retrieval.local import LocalIndex
from retrieval.store import _chunks_for, _index_text, build_index
from retrieval.tokens import tokenize

EXTRA_QUERIES = ["parse command line arguments", "open a gzip file for reading", "thread pool executor submit",
                 "compare two sequences and return ratio", "encode unicode string to bytes utf-8",
                 "socket connect timeout", "sqlite cursor execute", "format a traceback as string",
                 "HTTPServer request handler", "abstract base class register", "event loop run until complete",
                 "read configuration ini file sections", "email message attachment", "decimal rounding context",
                 "weak reference callback", "shutil copytree ignore patterns"]


def pct(values: list[float], q: float) -> float:
    """q-th percentile (0-100) in milliseconds of `values` given in seconds."""
    return float(np.percentile(np.asarray(values) * 1000, q))


def timed(fn, queries, k=5) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU seconds per query. CPU time is reported too because these
    machines are shared: wall time under load mostly measures waiting for a core."""
    wall, cpu = [], []
    for q in queries:
        t, c = time.perf_counter(), time.process_time()
        fn(q, k)
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return wall, cpu


def dir_mb(path: Path, pattern: str = "*") -> float:
    return sum(p.stat().st_size for p in path.rglob(pattern) if p.is_file()) / 1e6


def stdlib_docs_section(work: Path, embedder) -> list[str]:
    rows = []
    docs = list(stdlib_documents())
    bm = build_index(docs, work / "stdlib-bm25")
    rows.append(f"| stdlib docs, BM25 only | {bm.chunks} | {bm.seconds:.1f} s | {bm.bytes / 1e6:.1f} MB |")
    dn = build_index(docs, work / "stdlib-dense", embedder)
    rows.append(f"| stdlib docs, BM25 + dense | {dn.chunks} | {dn.seconds:.1f} s ({dn.embedded} embedded) | {dn.bytes / 1e6:.1f} MB |")
    again = build_index(docs, work / "stdlib-dense", embedder)
    rows.append(f"| stdlib docs, unchanged re-index | {again.chunks} | {again.seconds:.1f} s ({again.embedded} embedded) | |")
    return rows


def code_corpus(n_chunks: int) -> list[dict]:
    """The first `n_chunks` chunks of the stdlib's .py files (sorted walk)."""
    records: list[dict] = []
    for doc in documents_from_paths([sysconfig.get_paths()["stdlib"]]):
        records.extend(_chunks_for(doc))
        if len(records) >= n_chunks:
            break
    return records[:n_chunks]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=50_000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--sample", type=int, default=500, help="chunks embedded to extrapolate the 50k dense build")
    parser.add_argument("--threads", type=int, default=None, help="torch threads for batch embedding")
    parser.add_argument("--out", type=Path, default=None, help="keep indexes here (default: a temp dir)")
    args = parser.parse_args()
    work = args.out or Path(tempfile.mkdtemp(prefix="codeloop-retrieval-bench-"))
    embedder = MiniLMEmbedder(threads=args.threads)
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start\n")

    build_rows = ["| corpus | chunks | build time | size on disk |", "|---|---|---|---|"]
    build_rows += stdlib_docs_section(work, embedder)

    t = time.perf_counter()
    records = code_corpus(args.chunks)
    chunk_s = time.perf_counter() - t
    texts = [_index_text(r) for r in records]
    t = time.perf_counter()
    bm25 = BM25Index.build(texts)
    bm25_s = time.perf_counter() - t
    bm25.save(work / "code50k" / "bm25")
    t = time.perf_counter()
    from rank_bm25 import BM25Okapi  # only to justify the library choice

    rank = BM25Okapi([tokenize(x) or [""] for x in texts])
    rank_build_s = time.perf_counter() - t
    sample = texts[:: max(1, len(texts) // args.sample)][: args.sample]
    t = time.perf_counter()
    sample_vecs = embedder.encode(sample)
    per_chunk = (time.perf_counter() - t) / len(sample)
    rng = np.random.default_rng(0)
    vectors = np.tile(sample_vecs, (len(texts) // len(sample) + 1, 1))[: len(texts)]
    vectors = vectors + rng.normal(0, 0.05, vectors.shape).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    np.save(work / "code50k" / "vectors.npy", vectors.astype(np.float32))
    build_rows.append(f"| {len(texts)} code chunks: read + chunk | {len(texts)} | {chunk_s:.1f} s | |")
    build_rows.append(f"| {len(texts)} code chunks: BM25 fit (bm25s) | {len(texts)} | {bm25_s:.1f} s | {dir_mb(work / 'code50k' / 'bm25'):.1f} MB |")
    build_rows.append(f"| {len(texts)} code chunks: BM25 fit (rank-bm25) | {len(texts)} | {rank_build_s:.1f} s | (in memory only) |")
    build_rows.append(f"| {len(texts)} code chunks: dense embed, **extrapolated** from {len(sample)} | {len(texts)} | "
                      f"~{per_chunk * len(texts) / 60:.0f} min ({1 / per_chunk:.0f} chunks/s) | {vectors.nbytes / 1e6:.1f} MB vectors |")

    index = LocalIndex(records, bm25, vectors, embedder.name, "hybrid", embedder)
    queries = ([q for q, _ in QUERIES] + EXTRA_QUERIES) * (args.queries // (len(QUERIES) + len(EXTRA_QUERIES)) + 1)
    queries = queries[: args.queries]
    index.search("warm up the model and faiss", 5)
    dense_only = LocalIndex(records, bm25, vectors, embedder.name, "dense", embedder)
    dense_only._dense = index._dense
    bm25_only = LocalIndex(records, bm25, None, None, "bm25")
    lat = {
        "BM25 (bm25s)": timed(bm25_only.search, queries),
        "BM25 (rank-bm25, 20 queries)": timed(lambda q, k: rank.get_top_n(tokenize(q), texts, n=k), queries[:20]),
        "dense (encode + FAISS flat)": timed(dense_only.search, queries),
        "FAISS search alone": timed(lambda q, k: index._dense.top(vectors[hash(q) % len(vectors)], k), queries),
        "hybrid (BM25 + dense + RRF)": timed(index.search, queries),
    }
    lat_rows = [f"| mode ({len(texts)} chunks, k=5) | wall p50 | wall p95 | CPU p50 | CPU p95 |", "|---|---|---|---|---|"]
    lat_rows += [f"| {name} | {pct(w, 50):.1f} ms | {pct(w, 95):.1f} ms | {pct(c, 50):.1f} ms | {pct(c, 95):.1f} ms |"
                 for name, (w, c) in lat.items()]

    load_rows = ["| index | open (load) time |", "|---|---|"]
    for name in ("stdlib-dense",):
        t = time.perf_counter()
        LocalIndex.load(work / name, mode="hybrid", embedder=embedder)
        load_rows.append(f"| {name} | {(time.perf_counter() - t) * 1000:.0f} ms |")
    t = time.perf_counter()
    BM25Index.load(work / "code50k" / "bm25")
    np.load(work / "code50k" / "vectors.npy", mmap_mode="r")
    load_rows.append(f"| {len(texts)}-chunk BM25 + vectors (mmap) | {(time.perf_counter() - t) * 1000:.0f} ms |")

    small = [d for d in stdlib_documents() if in_test_corpus(d.source)]
    build_index(small, work / "small", embedder)
    rec_rows = [f"| mode | recall@5, {len(QUERIES)} queries, small corpus ({len(small)} docs) | same, all stdlib docs |",
                "|---|---|---|"]
    for mode in ("bm25", "dense", "hybrid"):
        a = recall_at_k(LocalIndex.load(work / "small", mode=mode, embedder=embedder).search)
        b = recall_at_k(LocalIndex.load(work / "stdlib-dense", mode=mode, embedder=embedder).search)
        rec_rows.append(f"| {mode} | {a:.3f} | {b:.3f} |")

    for table in (build_rows, load_rows, lat_rows, rec_rows):
        print("\n".join(table) + "\n")
    print(f"load average at end {os.getloadavg()[0]:.1f}; indexes in {work}")
    if args.out is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
