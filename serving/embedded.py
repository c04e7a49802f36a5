"""A model server process that codeloop starts, adopts or stops: one lifecycle for every engine.

`ManagedServer(engine, port=...)` runs `engine.command(port)` on 127.0.0.1 with a fresh
API key (serving/server_keys.py), waits until `/v1/models` answers, and stops only what it
started (process group, SIGTERM then SIGKILL; the child also dies with its parent).

A server already on the port is adopted instead of starting a second one only when it
proves to be one codeloop started: it refuses a request without the key and one with a
wrong key, and answers one with the key from the port's key file, serving the same model.
Anything else on the port (another program, an impostor that answers every request) is a
one-line `PortInUse`: it would see every prompt and write the code. Engines are in
serving/engines.py.
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

from serving import server_keys
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

    def auth(self, key: str, key_file: Path) -> tuple[list[str], dict[str, str]]:
        """Extra arguments and environment that make the server demand `key` (also in the
        0600 `key_file`) on every request; never the key itself on the command line, which
        other local users can read in /proc. (An engine without `auth` runs keyless, and
        such a server is never adopted.)"""


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


def _bearer(key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"} if key else {}


def _models_status(base_url: str, key: str | None, timeout_s: float = 2.0) -> int | None:
    """The HTTP status of GET /models with `key` (None: no key at all), None if nothing answers."""
    try:
        return httpx.get(base_url + "/models", headers=_bearer(key), timeout=timeout_s).status_code
    except httpx.HTTPError:
        return None


def served_model(base_url: str, timeout_s: float = 2.0, api_key: str | None = None) -> str | None:
    """The model id an OpenAI-compatible server at `base_url` serves, or None if none answers
    (llama-server answers 503 while it loads the model: not yet healthy; 401 without the key)."""
    try:
        response = httpx.get(base_url + "/models", headers=_bearer(api_key), timeout=timeout_s)
        if response.status_code == 200:
            data = response.json().get("data") or []
            return data[0].get("id") if data else ""
    except (httpx.HTTPError, ValueError, AttributeError):
        pass
    return None


def _die_with_parent() -> None:
    """Runs in the child before exec: ask Linux to SIGTERM it when codeloop dies, even by kill -9."""
    if sys.platform.startswith("linux"):
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class ManagedServer:
    """Start/stop one server process for `engine`. Use as a context manager; `reuse=True`
    adopts a server codeloop started on the port for the same model alias (proven with its
    key) instead of failing."""

    def __init__(self, engine: Engine, *, port: int = DEFAULT_PORT, log_path: Path | None = None,
                 reuse: bool = True) -> None:
        self.engine = engine
        self.port = port
        self.log_path = log_path
        self.reuse = reuse
        self.process: subprocess.Popen | None = None
        self.api_key: str | None = None  # what the server wants; kept across restarts (clients hold it)
        self.key_file: Path | None = None  # where other commands find it (None: keyless)

    @property
    def alias(self) -> str:
        return self.engine.alias

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self, timeout_s: float | None = None) -> str:
        """Start (or adopt) the server and wait until it answers; return its base URL."""
        if port_in_use(self.port):
            if self.reuse:
                return self._adopt()
            raise PortInUse(f"port {self.port} is already in use by {self._holder()}; choose another with --port")
        self.engine.check()
        staged, extra_args, env = self._keyed()
        command = self.engine.command(self.port) + extra_args
        log.info("starting %s: %s", self.engine.name, " ".join(command))
        log_file = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        healthy = False
        try:
            self.process = subprocess.Popen(
                command, stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                start_new_session=True,  # Ctrl-C in the terminal reaches us, and we stop it in order
                preexec_fn=_die_with_parent,
            )  # fmt: skip
            self._wait_healthy(timeout_s or self.engine.startup_timeout_s)
            healthy = True
        except OSError as exc:
            raise ServerStartError(f"cannot run {command[0]}: {exc}") from exc
        finally:
            if log_file is not subprocess.DEVNULL:
                log_file.close()
            if staged is not None and not healthy:
                staged.unlink(missing_ok=True)  # the launch failed: leave a running server's key alone
        if staged is not None:
            self.key_file = server_keys.publish_key(staged, self.port)
        server_keys.remember(self.base_url, self.api_key)
        return self.base_url

    def _keyed(self) -> tuple[Path | None, list[str], dict[str, str] | None]:
        """A key for this launch (the same one on a restart), staged in its own 0600 file, and
        the engine's arguments and environment that make the server demand it."""
        auth = getattr(self.engine, "auth", None)
        if auth is None:
            log.warning("%s takes no API key: it can serve this command but is never adopted", self.engine.name)
            return None, [], None
        self.api_key = self.api_key or server_keys.new_key()
        staged = server_keys.stage_key(self.port, self.api_key)
        extra_args, extra_env = auth(self.api_key, staged)
        return staged, list(extra_args), ({**os.environ, **extra_env} if extra_env else None)

    def _adopt(self) -> str:
        """Adopt the server on the port if it proves to be one codeloop started for this model
        (see the module docstring); else a one-line `PortInUse` saying what holds the port."""
        path = server_keys.key_file(self.port)
        key = server_keys.read_key(path)
        not_ours = f"port {self.port} is taken by a server codeloop did not start"
        fix = "stop it, or choose another port with --port"
        for probe in (None, server_keys.new_key()):  # no key, then a wrong one: both must be refused
            status = _models_status(self.base_url, probe)
            if status is None:
                raise PortInUse(f"port {self.port} is already in use by another program; {fix}")
            if status < 300:
                raise PortInUse(f"{not_ours} (it answers requests that lack codeloop's key); {fix}")
            if status not in (401, 403):  # llama-server answers 503 to everything while it loads
                raise PortInUse(f"port {self.port} is in use by a server that is not ready or not codeloop's "
                                f"(HTTP {status}): wait for it to load, {fix}")
            if key is None:
                raise PortInUse(f"{not_ours} (there is no key file {path}); {fix}")
        running = served_model(self.base_url, api_key=key)
        if running is None:
            raise PortInUse(f"{not_ours} (it refuses the key in {path}); {fix}")
        if running != self.alias:
            raise PortInUse(f"port {self.port} is already in use by a server for {running!r}; choose another with --port")
        log.info("reusing the %s server already on port %d (key %s)", self.alias, self.port, path)
        self.api_key, self.key_file = key, path
        server_keys.remember(self.base_url, key)
        return self.base_url

    def _holder(self) -> str:
        """What holds the port, asked without any key (a key goes only to a server proven ours)."""
        running = served_model(self.base_url)
        if running is not None:
            return f"a server for {running!r}"
        return "a server that wants an API key" if _models_status(self.base_url, None) in (401, 403) else \
            "another program"

    def _wait_healthy(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                self.process = None
                raise ServerStartError(f"the {self.engine.name} server exited with code {code}{self._log_hint()}")
            if served_model(self.base_url, api_key=self.api_key) is not None:
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
        """Stop a server this object started (never one it merely reused) and remove its key file."""
        proc, self.process = self.process, None
        if proc is None:
            return
        try:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(grace_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        except ProcessLookupError:
            pass
        finally:
            if self.key_file is not None and self.api_key:
                server_keys.remove_key(self.key_file, self.api_key)

    def __enter__(self) -> "ManagedServer":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
