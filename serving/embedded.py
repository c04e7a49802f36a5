"""A model server process that codeloop starts, adopts or stops: one lifecycle for every engine.

`ManagedServer(engine, port=...)` runs `engine.command(port)` on 127.0.0.1, waits until
`/v1/models` answers, adopts a server already serving the same model on the port instead
of starting a second one, and stops only what it started (process group, SIGTERM then
SIGKILL; the child also dies with its parent). Engines are in serving/engines.py.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Protocol

import httpx

from serving.models import ModelError
from serving.openai_client import ServerTraits
from settings.errors import BadInput

log = logging.getLogger(__name__)

DEFAULT_PORT = 8765


class ServerStartError(ModelError):
    """A model server could not be started (program missing, port taken, crashed, never healthy)."""


class PortInUse(ServerStartError, BadInput):
    """The port asked for is taken by something else: the user's choice (exit code 2)."""


class EngineMissing(ServerStartError, BadInput):
    """The chosen engine's program or extra is not installed here: fix the set-up or the
    --engine choice (exit code 2)."""


class Engine(Protocol):
    """A launchable OpenAI-compatible server program for one model."""

    name: str  # as chosen with --engine
    alias: str  # the model id the server advertises (and that a reused server must match)
    traits: ServerTraits  # what its chat endpoint does beyond the OpenAI schema
    startup_timeout_s: float

    def check(self) -> None:
        """Raise `ServerStartError` naming the fix (setup script, extra) when the program is missing."""

    def command(self, port: int) -> list[str]:
        """The command line that serves the model on 127.0.0.1:`port`."""


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """True when something already listens on host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def served_model(base_url: str, timeout_s: float = 2.0) -> str | None:
    """The model id an OpenAI-compatible server at `base_url` serves, or None if none answers
    (llama-server answers 503 while it loads the model: not yet healthy)."""
    try:
        response = httpx.get(base_url + "/models", timeout=timeout_s)
        if response.status_code == 200:
            data = response.json().get("data") or []
            return data[0].get("id") if data else ""
    except (httpx.HTTPError, ValueError):
        pass
    return None


def _die_with_parent() -> None:
    """Runs in the child before exec: ask Linux to SIGTERM it when codeloop dies, even by kill -9."""
    if sys.platform.startswith("linux"):
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class ManagedServer:
    """Start/stop one server process for `engine`. Use as a context manager; `reuse=True`
    adopts a server already serving the same model alias on the port instead of failing."""

    def __init__(self, engine: Engine, *, port: int = DEFAULT_PORT, log_path: Path | None = None,
                 reuse: bool = True) -> None:
        self.engine = engine
        self.port = port
        self.log_path = log_path
        self.reuse = reuse
        self.process: subprocess.Popen | None = None

    @property
    def alias(self) -> str:
        return self.engine.alias

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self, timeout_s: float | None = None) -> str:
        """Start (or adopt) the server and wait until it answers; return its base URL."""
        if port_in_use(self.port):
            running = served_model(self.base_url)
            if self.reuse and running == self.alias:
                log.info("reusing the %s server already on port %d", self.alias, self.port)
                return self.base_url
            what = f"a server for {running!r}" if running is not None else "another program"
            raise PortInUse(f"port {self.port} is already in use by {what}; choose another with --port")
        self.engine.check()
        command = self.engine.command(self.port)
        log.info("starting %s: %s", self.engine.name, " ".join(command))
        log_file = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        try:
            self.process = subprocess.Popen(
                command, stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,  # Ctrl-C in the terminal reaches us, and we stop it in order
                preexec_fn=_die_with_parent,
            )  # fmt: skip
        except OSError as exc:
            raise ServerStartError(f"cannot run {command[0]}: {exc}") from exc
        finally:
            if log_file is not subprocess.DEVNULL:
                log_file.close()
        self._wait_healthy(timeout_s or self.engine.startup_timeout_s)
        return self.base_url

    def _wait_healthy(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                self.process = None
                raise ServerStartError(f"the {self.engine.name} server exited with code {code}{self._log_hint()}")
            if served_model(self.base_url) is not None:
                log.info("%s ready at %s (pid %d)", self.engine.name, self.base_url, self.process.pid)
                return
            time.sleep(0.25)
        self.stop()
        raise ServerStartError(f"the {self.engine.name} server did not become healthy within {timeout_s:.0f}s{self._log_hint()}")

    def _log_hint(self) -> str:
        if not self.log_path or not self.log_path.exists():
            return ""
        tail = self.log_path.read_text(errors="replace").strip().splitlines()[-1:]
        return f" (log {self.log_path}: {tail[0][:200] if tail else 'empty'})"

    def stop(self, grace_s: float = 10.0) -> None:
        """Stop a server this object started (never one it merely reused)."""
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(grace_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        except ProcessLookupError:
            pass

    def __enter__(self) -> "ManagedServer":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
