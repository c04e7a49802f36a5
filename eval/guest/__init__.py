"""Runs inside the sandbox; imports only the standard library.

Shipped as source text (never imported by the host to run it): the host reads these files and
sends them into the sandbox as the programs it runs there. The host may import the shared
helpers (`plainjson` decodes what the sandbox encoded; `mbpp_inputs` rebuilds the same inputs on
both sides). tests/test_guest_code.py checks the imports."""
