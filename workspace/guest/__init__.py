"""Runs inside the sandbox; imports only the standard library.

Shipped as source text, never imported by the host: workspace/pytest_run.py reads
`pytest_problems.py` and sends it into the sandbox as the pytest plugin that locates each
failure. tests/test_guest_code.py checks the imports."""
