"""Uncertainty of benchmark numbers: 95% intervals for pass@1 and a paired test between runs.

- One sample per task: pass@1 is a binomial proportion over tasks; its interval is the
  Wilson score interval (good coverage at small n and near 0 or 1, unlike p ± 1.96·se).
- Several samples per task: pass@1 is the mean over tasks of each task's share of passing
  samples. Samples of one task are not independent (an easy task passes every time), so a
  binomial interval over all samples would be too narrow; instead a percentile bootstrap
  resamples *tasks* (2000 resamples, fixed seed: the same records always give the same
  interval). When every task has the same share (all 0 or all 1) the bootstrap interval
  collapses to a point; that is a known weakness of the percentile bootstrap.
- Two runs on the same tasks: McNemar's exact test on the tasks only one of them solved.

Standard library only.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from eval.runstore import check_of

RESAMPLES = 2000
SEED = 0


def wilson_interval(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval (low, high) for `successes` out of `n` (n >= 1).

    The bounds are the proportions p0 at which the score statistic
    |p̂ - p0| / sqrt(p0 (1 - p0) / n) equals `z`."""
    if n < 1 or not 0 <= successes <= n:
        raise ValueError(f"need n >= 1 and 0 <= successes <= n, got successes={successes} n={n}")
    p = successes / n
    denom = 1 + z * z / n
    center = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # clamp: at 0/n and n/n the bound is exactly 0 or 1 but floats land a hair outside
    return max(0.0, center - half), min(1.0, center + half)


def bootstrap_mean_interval(values: Sequence[float], *, level: float = 0.95, resamples: int = RESAMPLES,
                            seed: int = SEED) -> tuple[float, float]:
    """Percentile bootstrap interval (low, high) for the mean of `values` (one per task):
    `resamples` means of len(values) draws with replacement; the bounds are the
    (1-level)/2 and (1+level)/2 quantiles of those means. Deterministic for a given seed."""
    if not values:
        raise ValueError("need at least one value")
    rng = random.Random(seed)  # private generator: callers' use of `random` does not change the result
    n = len(values)
    means = sorted(sum(rng.choices(values, k=n)) / n for _ in range(resamples))
    alpha = (1 - level) / 2
    # the epsilon stops float error (a product landing at 49.999… or 1950.000…1) moving an index
    low = means[max(0, math.floor(alpha * resamples + 1e-9))]
    high = means[min(resamples - 1, math.ceil((1 - alpha) * resamples - 1e-9) - 1)]
    return low, high


def pass1_interval(by_task: Mapping[str, Iterable[bool]]) -> tuple[tuple[float, float], str]:
    """95% interval for pass@1 of `by_task` (task id -> pass/fail of each sample) and the
    method used: "wilson" when every task has one sample, else "bootstrap" over tasks."""
    counts = [(len(s), sum(bool(x) for x in s)) for s in (list(v) for v in by_task.values())]
    if not counts or any(n == 0 for n, _ in counts):
        raise ValueError("need at least one task, each with at least one sample")
    if all(n == 1 for n, _ in counts):
        return wilson_interval(sum(c for _, c in counts), len(counts)), "wilson"
    return bootstrap_mean_interval([c / n for n, c in counts]), "bootstrap"


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value: under "both runs equally good" each of the b + c
    discordant tasks (b: only A solved, c: only B solved) is a fair coin, so
    p = min(1, 2 · Σ_{i ≤ min(b, c)} C(b+c, i) / 2^(b+c)); 1.0 when b + c == 0."""
    if b < 0 or c < 0:
        raise ValueError(f"counts must be >= 0, got b={b} c={c}")
    n = b + c
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(b, c) + 1))
    return min(1.0, 2 * tail / 2**n)  # exact integers; int / int rounds once, even for large n


def _first_sample_passed(records: Iterable[dict]) -> dict[str, bool]:
    """task id -> whether its lowest-numbered sample passed (sample 0 in a complete run)."""
    first: dict[str, tuple[int, bool]] = {}
    for r in records:
        sample = int(r.get("sample", 0))
        if r["task_id"] not in first or sample < first[r["task_id"]][0]:
            # same reading as eval.summary.passed; not imported so this module stays standalone
            first[r["task_id"]] = (sample, bool(check_of(r).get("passed")))
    return {task: ok for task, (_, ok) in first.items()}


def paired_comparison(run_a_records: Iterable[dict], run_b_records: Iterable[dict]) -> dict:
    """Compare run B with run A on the tasks both have records for.

    A task counts as solved when its sample 0 passed (the lowest sample present if 0 is
    missing). With one sample per task that is pass@1 itself; with several it is one draw
    per task, which keeps the McNemar test valid (a majority vote would measure something
    else than pass@1), at the cost of ignoring the other samples — so for multi-sample runs
    the pass@1 here can differ from the table's mean over samples.

    Returns tasks, both, only_a, only_b, neither, `pass@1_a`, `pass@1_b`, difference
    (B - A; None without shared tasks) and p_value (McNemar exact on only_a vs only_b)."""
    a, b = _first_sample_passed(run_a_records), _first_sample_passed(run_b_records)
    shared = a.keys() & b.keys()
    cells: dict[tuple[bool, bool], int] = defaultdict(int)
    for task in shared:
        cells[a[task], b[task]] += 1
    n = len(shared)
    pa = (cells[True, True] + cells[True, False]) / n if n else None
    pb = (cells[True, True] + cells[False, True]) / n if n else None
    return {
        "tasks": n,
        "both": cells[True, True],
        "only_a": cells[True, False],
        "only_b": cells[False, True],
        "neither": cells[False, False],
        "pass@1_a": pa,
        "pass@1_b": pb,
        "difference": None if pa is None else pb - pa,
        "p_value": mcnemar_exact(cells[True, False], cells[False, True]),
    }
