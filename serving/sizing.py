"""How big to make llama-server: parallel slots, context per slot, host prompt cache, threads.

Chosen from the machine's cores and memory; explicit values (flags, CODELOOP_PARALLEL,
CODELOOP_CACHE_RAM_MIB) win. Measured on the 2-core, 24 GiB machines here with the 1.5B
model (benchmarks/reports/serving-2026-11-27.md): aggregate generation at 1/2/4/8 concurrent
sequences was 13.0/13.1/15.7/13.4 tok/s — two cores are compute-bound, so batching adds
little — and 4 slots was the best; 4 slots also let n <= 4 samples share one prompt
evaluation. More cores (or a GPU) gain more from slots, hence 2 per core.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from settings.config import current

# KV cache bytes per token, an upper bound for the models we register and up to 7B Qwen2.5
# (28 layers x 2 x 512 x f16 = 56 KiB); used only to keep slots x context inside memory.
KV_BYTES_PER_TOKEN = 64 * 1024
# Share of available memory the KV cache may take; the weights and the OS need the rest.
KV_MEMORY_SHARE = 0.25
# llama-server's own default host prompt cache is 8 GiB: far too much beside a sandbox and
# a 24 GiB machine's other work. An eighth of RAM, at most 2 GiB, holds hundreds of prompts.
CACHE_RAM_MAX_MIB = 2048
MAX_PARALLEL = 16


@dataclass(frozen=True)
class Sizing:
    """llama-server's size: `parallel` slots of `ctx_per_slot` tokens, `cache_ram_mib` of
    host prompt cache, `threads` for decoding."""

    parallel: int
    ctx_per_slot: int
    cache_ram_mib: int
    threads: int

    @property
    def ctx_total(self) -> int:
        """The KV cache size llama-server is given (-c): split evenly between the slots."""
        return self.parallel * self.ctx_per_slot


def memory_mib() -> tuple[int, int]:
    """(total, available) memory in MiB from /proc/meminfo; a 8 GiB guess elsewhere."""
    try:
        info = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())
        total = int(info["MemTotal"].split()[0]) // 1024
        return total, int(info.get("MemAvailable", info["MemTotal"]).split()[0]) // 1024
    except (OSError, KeyError, ValueError):
        return 8192, 4096


def preferred_parallel(cores: int) -> int:
    """Slots for `cores` CPU cores before memory is considered: 4 per core pair, at least 4
    (so n=4 samples share one prompt evaluation even on 2 cores), at most MAX_PARALLEL."""
    return max(4, min(MAX_PARALLEL, 2 * cores))


def choose(ctx_per_slot: int = 4096, *, parallel: int | None = None, cache_ram_mib: int | None = None,
           cores: int | None = None, memory: tuple[int, int] | None = None) -> Sizing:
    """The sizing for this machine (or the given `cores`/`memory` (total, available) MiB)."""
    cores = cores or os.cpu_count() or 1
    total_mib, available_mib = memory or memory_mib()
    configured = current() if parallel is None or cache_ram_mib is None else None
    if parallel is None:  # not given: the `parallel` setting (CODELOOP_PARALLEL, a config file)
        parallel = configured.parallel
    if parallel is None:
        fits = int(available_mib * KV_MEMORY_SHARE * 1024 * 1024 // (KV_BYTES_PER_TOKEN * ctx_per_slot))
        parallel = max(1, min(preferred_parallel(cores), fits))
    if parallel < 1:
        raise ValueError(f"parallel slots must be at least 1, got {parallel}")
    if cache_ram_mib is None:  # the `cache_ram_mib` setting (CODELOOP_CACHE_RAM_MIB, a config file)
        cache_ram_mib = configured.cache_ram_mib
    if cache_ram_mib is None:
        cache_ram_mib = min(CACHE_RAM_MAX_MIB, total_mib // 8)
    return Sizing(parallel, ctx_per_slot, cache_ram_mib, max(1, min(cores, 8)))
