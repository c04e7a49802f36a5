"""Embedded model server benchmark: load time, prompt and generation speed, prefix-cache effect.

Usage: .venv/bin/python benchmarks/serving.py [--model NAME] [--repeats N]
Prints a markdown table. Time to first token is measured as the latency of a request
with max_tokens=1 (prompt processing plus one token), which needs no streaming support.
The server does not report cached tokens, so the cache share is read from its log
(serving/server_log.py); server memory is its resident set size before and after.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from serving.embedded import EmbeddedServer, free_port  # noqa: E402
from serving.models import DEFAULT_MODEL, resolve  # noqa: E402
from serving.openai_client import OpenAICompatibleLLM  # noqa: E402
from serving.server_log import prefix_reuse_from_file  # noqa: E402

# ~460 tokens of stable instructions, like a real agent's system prompt.
SYSTEM = (
    "You are an expert Python programmer working inside an automated code generation loop. "
    "Follow the rules below exactly. Write complete, self-contained code. Use only the standard library. "
    "Prefer clear names, small functions and docstrings. Never print debugging output. "
) * 8


def ttft(llm: OpenAICompatibleLLM, system: str, question: str) -> tuple[float, int]:
    """Latency of a one-token answer, and the prompt's token count."""
    completion = llm.complete(
        [{"role": "system", "content": system}, {"role": "user", "content": question}], max_tokens=1
    )
    return completion.latency_s, completion.usage.prompt_tokens


def rss_mb(pid: int) -> int:
    """Resident set size of process `pid` in MiB (Linux)."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) // 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    path = resolve(args.model)
    log = Path(tempfile.mkdtemp()) / "server.log"
    server = EmbeddedServer(path, args.model, port=free_port(), reuse=False, log_path=log)
    started = time.perf_counter()
    server.start()
    load_s = time.perf_counter() - started
    llm = OpenAICompatibleLLM(server.base_url, model=args.model)
    try:
        rss_before = rss_mb(server.process.pid)
        rows = measure(llm, args.repeats)
        rows.append(("server RSS after load → after all requests", f"{rss_before} → {rss_mb(server.process.pid)} MiB"))
    finally:
        llm.close()
        server.stop()
    reuse = prefix_reuse_from_file(log)
    rows.append(("prompt tokens served from the prefix cache (server log)",
                 f"{reuse.reused_tokens}/{reuse.reused_tokens + reuse.evaluated_tokens} ({reuse.share:.0%}) "
                 f"over {reuse.requests} requests"))
    print(f"\nmodel: {args.model} ({path.name}), threads: {server.n_threads}\n")
    print("| measure | value |\n|---|---|")
    print(f"| load time (start → healthy) | {load_s:.1f} s |")
    for name, value in rows:
        print(f"| {name} | {value} |")


def measure(llm: OpenAICompatibleLLM, repeats: int) -> list[tuple[str, str]]:
    cold, warm, older, prompt_tps = [], [], [], []
    for _ in range(repeats):
        # A nonce at the very start makes the whole prompt new to the cache: a cold request.
        system = f"[session {uuid.uuid4()}] " + SYSTEM
        latency, prompt_tokens = ttft(llm, system, "Write a function that reverses a string.")
        cold.append(latency)
        prompt_tps.append(prompt_tokens / latency)
        latency, _ = ttft(llm, system, "Write a function that checks for palindromes.")
        warm.append(latency)
        other = f"[other {uuid.uuid4()}] " + SYSTEM
        ttft(llm, other, "Write a function that sums a list.")  # displaces the prefix from the live context
        latency, _ = ttft(llm, system, "Write a function that counts vowels.")
        older.append(latency)
    gen = llm.complete(
        [{"role": "user", "content": "Write a Python function that parses an ISO date, with a docstring."}],
        max_tokens=128,
    )
    gen_tps = gen.usage.completion_tokens / gen.latency_s
    med = statistics.median
    return [
        ("prompt tokens in the long prompt", str(prompt_tokens)),
        ("prompt processing (cold)", f"{med(prompt_tps):.1f} tok/s"),
        ("generation (128 tokens, incl. short prompt)", f"{gen_tps:.1f} tok/s"),
        ("TTFT, cold prompt (median)", f"{med(cold):.2f} s"),
        ("TTFT, system prompt just seen (median)", f"{med(warm):.2f} s"),
        ("TTFT, system prompt seen two requests ago (reuse covers the last request only)", f"{med(older):.2f} s"),
        ("speed-up just seen / cold", f"{med(cold) / med(warm):.1f}x"),
    ]


if __name__ == "__main__":
    main()
