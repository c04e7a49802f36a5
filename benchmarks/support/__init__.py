"""Helpers the benchmark scripts share with the tests (tests may import them; nothing here
imports from tests/): `codeloop batch` as a subprocess, a stand-in model server, a local
Ray cluster, the sandbox rows of the fault table."""
