"""Backend fixtures. Docker and bwrap tests skip with the reason when the backend is
unavailable, and FAIL instead when CODELOOP_REQUIRE_SANDBOXES=1 (CI sets it)."""

from __future__ import annotations

import os

import pytest

from sandbox import make_sandbox, probe

BACKEND_NAMES = ("docker", "bwrap", "process")


def require_or_skip(name: str) -> None:
    """Fail (CI) or skip (elsewhere) when backend `name` cannot run here."""
    reason = probe(name)
    if reason is None:
        return
    if os.environ.get("CODELOOP_REQUIRE_SANDBOXES") == "1":
        pytest.fail(f"{name} sandbox required (CODELOOP_REQUIRE_SANDBOXES=1) but unavailable: {reason}",
                    pytrace=False)
    pytest.skip(f"{name} sandbox unavailable: {reason}")


@pytest.fixture(scope="module", params=BACKEND_NAMES)
def sandbox(request):
    """One instance per backend for the whole module (docker's warm container is reused)."""
    require_or_skip(request.param)
    sb = make_sandbox(request.param)
    yield sb
    sb.close()
