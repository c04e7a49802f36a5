"""Sandboxes for untrusted code: docker (strongest), bwrap, process (weakest).

`make_sandbox("auto")` picks the strongest backend that works here and records why
the stronger ones were skipped in the sandbox's `selection` attribute.
"""

from __future__ import annotations

import importlib
import inspect
import logging
from functools import cache
from importlib import resources

from sandbox.base import InvalidLimits, Limits, RunResult, Sandbox, SandboxError, SandboxUnavailable, TestOutcome

__all__ = [
    "BACKENDS", "InvalidLimits", "Limits", "RunResult", "Sandbox", "SandboxError", "SandboxUnavailable",
    "TestOutcome", "backend_class", "make_sandbox", "probe", "time_limit_source",
]

log = logging.getLogger(__name__)

# name -> "module:Class", strongest first (the order `auto` tries them in).
BACKENDS: dict[str, str] = {
    "docker": "sandbox.docker_backend:DockerSandbox",
    "bwrap": "sandbox.bwrap:BwrapSandbox",
    "process": "sandbox.process:ProcessSandbox",
}


@cache  # package data, read once
def time_limit_source() -> str:
    """The source of sandbox/guest/time_limit.py (`time_limit`, `TestTimeout`): the start of every
    program we ship into the sandbox that runs tests under a time limit."""
    return resources.files("sandbox.guest").joinpath("time_limit.py").read_text(encoding="utf-8")


def backend_class(name: str) -> type:
    """Import and return the class behind a backend name."""
    if name not in BACKENDS:
        raise SandboxError(f"unknown sandbox backend {name!r} (choose from auto, {', '.join(BACKENDS)})")
    module, _, cls = BACKENDS[name].partition(":")
    try:
        return getattr(importlib.import_module(module), cls)
    except ImportError as exc:
        raise SandboxUnavailable(f"{name} backend cannot be imported: {exc}") from exc


def probe(name: str, **opts) -> str | None:
    """None when backend `name` can run here, else a one-line reason why not."""
    try:
        cls = backend_class(name)
    except SandboxUnavailable as exc:
        return str(exc)
    check = getattr(cls, "probe", None)
    return check(**_accepted(check, opts)) if check else None


def make_sandbox(name: str = "auto", **opts) -> Sandbox:
    """Create a sandbox by backend name, or the strongest available one for `auto`.

    A named backend that cannot run raises `SandboxUnavailable` with the reason;
    `auto` falls back (docker, then bwrap, then process with a warning) and stores the
    reasons in `sandbox.selection`.
    """
    if name != "auto":
        sandbox = backend_class(name)(**_accepted(backend_class(name), opts))
        sandbox.selection = f"{name}: requested"
        return sandbox
    skipped = []
    for candidate in BACKENDS:
        why = probe(candidate, **opts)
        if why is None:
            cls = backend_class(candidate)
            sandbox = cls(**_accepted(cls, opts))
            note = "; ".join(skipped)
            sandbox.selection = f"auto chose {candidate}" + (f" ({note})" if note else "")
            if candidate == "process":
                log.warning("no isolating sandbox available, falling back to the process backend "
                            "(no network or filesystem isolation): %s", note)
            return sandbox
        skipped.append(f"{candidate} unavailable: {why}")
    raise SandboxUnavailable("no sandbox backend works here: " + "; ".join(skipped))


def _accepted(func, opts: dict) -> dict:
    """The subset of `opts` that `func` (a class or function) accepts, so `auto` can pass
    one set of options to whichever backend it picks."""
    params = inspect.signature(func).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return dict(opts)
    return {k: v for k, v in opts.items() if k in params}
