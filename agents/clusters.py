"""Clusters of candidates by their outputs on the probe inputs (selection by execution).

Candidates that return the same thing on every probe input (agents/probes.py) behave the
same as far as we can tell; the biggest group of agreeing samples is the likeliest to be
right (AlphaCode, CodeT and MBR-exec select this way). A cluster's size counts samples:
a candidate stands for `copies` identical samples.
"""

from __future__ import annotations


def output_key(cand: dict) -> tuple:
    """What a candidate is clustered by: its output signatures, in probe order. Every
    failure ("!ValueError", "!timeout", ...) counts as the same non-value: mutated inputs
    are often invalid, and two right solutions may reject one in different ways."""
    return tuple("!" if out.startswith("!") else out for out in cand.get("outputs") or ())


def cluster_size(cluster: list[dict]) -> int:
    """How many samples a cluster holds (each candidate counts its `copies`, default 1)."""
    return sum(c.get("copies", 1) for c in cluster)


def output_clusters(cands: list[dict]) -> list[list[dict]]:
    """`cands` grouped by identical outputs, largest cluster first (by summed `copies`;
    equal sizes keep the order in which their first candidate appears). Inside a cluster
    the candidates keep their order.

    Candidates without outputs (no probe inputs for the task, or a run that died before
    reporting) all share the key `()` and so fall into ONE cluster: without outputs there
    is no evidence that they differ, and with no probes at all every candidate lands
    there, which leaves the choice to the other signals (visible and generated tests).
    Callers choose which candidates to pass (e.g. only those passing the visible tests)."""
    groups: dict[tuple, list[dict]] = {}
    for cand in cands:
        groups.setdefault(output_key(cand), []).append(cand)
    ordered = list(groups.values())  # dicts keep insertion order: first appearance
    return sorted(ordered, key=cluster_size, reverse=True)  # sorted() is stable: ties keep that order
