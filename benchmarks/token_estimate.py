"""How wrong are character-based token estimates? 200 agent prompts against the server's tokenizer.

    CODELOOP_DATA_DIR=../shared/data/benchmarks nice -n 19 .venv/bin/python -m benchmarks.token_estimate \
        [--model smollm2-135m] [--port 8801] [--base-url URL]

Prompts: the coder's messages for the first 80 HumanEval and 80 MBPP+ tasks, and 40 repair
prompts (HumanEval 80-119: the canonical code and a failure report). Truth: the server's
`/tokenize` of each message's text, and of the whole chat-templated prompt
(`/apply-template`, then `/tokenize`) — what a budget really has to hold. Estimates:
characters/4 (chat's `/tokens`, FakeLLM, LangChainLLM without usage) and the memory control
unit's `CharCounter` (characters/3.5, plus `MESSAGE_OVERHEAD` per message for the whole
prompt). Prints one markdown table: mean signed error, mean absolute error, the worst
under-count (a budget that under-counts overflows the context) and how often it under-counts.
Starts llama-server for `--model` on `--port` (≥ 8800 by default) unless `--base-url` is given.
"""

from __future__ import annotations

import argparse
import math
import statistics

import httpx

from agents.coder import coder_messages
from agents.repair import repair_messages
from agents.task import task_from_problem
from eval.problems import load_benchmark
from memory.context_budget import MESSAGE_OVERHEAD, messages_tokens
from serving.embedded import port_in_use
from serving.tokens import CharCounter

FEEDBACK = ("Traceback (most recent call last):\n  File \"check.py\", line 12, in <module>\n"
            "    assert candidate([1, 2, 3]) == [3, 2, 1]\nAssertionError\n")


def prompts() -> list[tuple[str, list[dict]]]:
    """(kind, messages) for the 200 prompts."""
    humaneval, mbpp = load_benchmark("humaneval"), load_benchmark("mbpp+")
    out = [("coder/humaneval", coder_messages(task_from_problem(p))) for p in humaneval[:80]]
    out += [("coder/mbpp+", coder_messages(task_from_problem(p))) for p in mbpp[:80]]
    out += [("repair/humaneval", repair_messages(task_from_problem(p), p.prompt + p.canonical_solution, FEEDBACK))
            for p in humaneval[80:120]]
    return out


class Tokenizer:
    """The server's tokenizer: `/tokenize` and `/apply-template` of llama-server."""

    def __init__(self, base_url: str) -> None:
        from serving.server_keys import auth_headers

        self.root = base_url.rstrip("/").removesuffix("/v1")
        self.http = httpx.Client(timeout=60, headers=auth_headers(base_url))  # the key of a server we started

    def count(self, text: str) -> int:
        reply = self.http.post(self.root + "/tokenize", json={"content": text})
        reply.raise_for_status()
        return len(reply.json()["tokens"])

    def prompt(self, messages: list[dict]) -> int:
        reply = self.http.post(self.root + "/apply-template", json={"messages": messages})
        reply.raise_for_status()
        return self.count(reply.json()["prompt"])


def errors(estimates: list[int], truth: list[int]) -> dict:
    rel = [(e - t) / t for e, t in zip(estimates, truth) if t]
    return {"mean": statistics.mean(rel), "abs": statistics.mean(abs(r) for r in rel), "worst_under": min(rel),
            "under": sum(r < 0 for r in rel) / len(rel)}


def row(name: str, e: dict) -> str:
    return (f"| {name} | {e['mean']:+.1%} | {e['abs']:.1%} | {e['worst_under']:+.1%} | {e['under']:.0%} |")


def measure(base_url: str, label: str) -> None:
    tok = Tokenizer(base_url)
    items = prompts()
    texts = list(dict.fromkeys(m["content"] for _, messages in items for m in messages))  # the system prompt once
    truth_text = [tok.count(t) for t in texts]
    truth_prompt = [tok.prompt(messages) for _, messages in items]
    chars = CharCounter(3.5)
    print(f"\n{label}: {len(items)} prompts, {len(texts)} distinct message texts; prompt tokens: median "
          f"{statistics.median(truth_prompt):.0f}, max {max(truth_prompt)}; characters per token "
          f"(message texts) {sum(map(len, texts)) / sum(truth_text):.2f}\n")
    print("| estimate | mean error | mean abs error | worst under-count | under-counts |")
    print("|---|---|---|---|---|")
    print(row("message text: chars/4", errors([(len(t) + 3) // 4 for t in texts], truth_text)))
    print(row("message text: chars/3.5 (CharCounter)", errors([chars.count(t) for t in texts], truth_text)))
    print(row("whole prompt: chars/4, no template", errors(
        [sum((len(m["content"]) + 3) // 4 for m in msgs) for _, msgs in items], truth_prompt)))
    print(row(f"whole prompt: CharCounter + {MESSAGE_OVERHEAD}/message (messages_tokens)", errors(
        [messages_tokens(chars, msgs) for _, msgs in items], truth_prompt)))
    by_kind: dict[str, list[float]] = {}
    for (kind, msgs), t in zip(items, truth_prompt):
        by_kind.setdefault(kind, []).append((math.fsum(len(m["content"]) for m in msgs)) / t)
    print("\ncharacters per prompt token by kind: "
          + ", ".join(f"{k} {statistics.mean(v):.2f}" for k, v in by_kind.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2-135m", help="registry name or .gguf path")
    parser.add_argument("--port", type=int, default=None, help="port for the server (default: first free from 8800)")
    parser.add_argument("--base-url", default=None, help="a running llama-server instead")
    args = parser.parse_args()
    if args.base_url:
        measure(args.base_url, args.base_url)
        return
    from serving.session import start_server

    port = args.port or next(p for p in range(8800, 8900) if not port_in_use(p))
    server, _ = start_server(args.model, port=port, n_ctx=2048, parallel=1)
    try:
        measure(server.base_url, f"{args.model} (llama-server on port {port})")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
