"""Benchmarks: scripts that measure codeloop and print markdown tables, run from the
repository root as `python -m benchmarks.NAME` (see benchmarks/README.md for the list).

Not a product package: it is not installed, and no product package imports it. Dated
results live in `reports/`, the run records they cite in `runs/`, and helpers shared with
the tests (a stand-in model server, `codeloop batch` as a subprocess, a local Ray cluster)
in `support/`.
"""
