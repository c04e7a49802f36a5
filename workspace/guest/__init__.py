"""Runs inside the sandbox; imports only the standard library.

Shipped as source text (never imported by the host to run it): the pytest plugin that reports
each failure of a sandboxed pytest run (`pytest_problems.py`). tests/test_guest_code.py checks
the imports."""
