"""The embedded model server: llama-cpp-python's OpenAI-compatible server on 127.0.0.1.

Why llama-cpp-python's server rather than upstream `llama-server`: it installs from PyPI
(one portable source build, no toolchain download), applies the GGUF's chat template and
reuses the KV state of the previous request up to the longest common prefix, so prefix
caching works out of the box. It serves one sequence at a time; upstream `llama-server`
(parallel slots) is the upgrade path for batch throughput.
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

import httpx

from serving.models import ModelError

log = logging.getLogger(__name__)

DEFAULT_PORT = 8765


class ServerStartError(ModelError):
    """The embedded server could not be started (port taken, crashed, never healthy)."""


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
    """The model id an OpenAI-compatible server at `base_url` serves, or None if none answers."""
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


class EmbeddedServer:
    """Start/stop one llama.cpp server process for a local GGUF model.

    Use as a context manager; `reuse=True` adopts a server already serving the same model
    alias on the port instead of failing."""

    def __init__(
        self,
        model_path: Path,
        alias: str,
        *,
        port: int = DEFAULT_PORT,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        log_path: Path | None = None,
        reuse: bool = True,
    ) -> None:
        self.model_path = Path(model_path)
        self.alias = alias
        self.port = port
        self.n_ctx = n_ctx
        self.n_threads = n_threads or max(1, min(os.cpu_count() or 1, 8))
        self.log_path = log_path
        self.reuse = reuse
        self.process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def command(self) -> list[str]:
        """The server command line; listens on 127.0.0.1 only.

        Prefix reuse against the previous request is built into llama.cpp's context and stays
        on. The extra RAM prompt cache (`--cache true`) is off: measured with 0.3.36 it grew the
        server by ~60 MB per distinct prompt even with `--cache_size` capped at 256 MB
        (SmolLM2, 40 requests: 2.97 GB vs 0.47 GB without it), reaching 18.8 GB in a batch."""
        return [
            sys.executable, "-m", "llama_cpp.server",
            "--model", str(self.model_path),
            "--model_alias", self.alias,
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--n_ctx", str(self.n_ctx),
            "--n_threads", str(self.n_threads),
            "--cache", "false",
        ]  # fmt: skip

    def start(self, timeout_s: float = 180.0) -> str:
        """Start (or adopt) the server and wait until it answers; return its base URL."""
        if port_in_use(self.port):
            running = served_model(self.base_url)
            if self.reuse and running == self.alias:
                log.info("reusing the %s server already on port %d", self.alias, self.port)
                return self.base_url
            what = f"a server for {running!r}" if running is not None else "another program"
            raise ServerStartError(f"port {self.port} is already in use by {what}; choose another with --port")
        try:
            import llama_cpp.server  # noqa: F401  (only to give a clear error before spawning)
        except ImportError as exc:
            raise ServerStartError(
                "the embedded server needs llama-cpp-python: run scripts/setup.sh or pip install 'codeloop[server]'"
            ) from exc
        log_file = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        try:
            self.process = subprocess.Popen(
                self.command(), stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,  # Ctrl-C in the terminal reaches us, and we stop it in order
                preexec_fn=_die_with_parent,
            )  # fmt: skip
        finally:
            if log_file is not subprocess.DEVNULL:
                log_file.close()
        self._wait_healthy(timeout_s)
        return self.base_url

    def _wait_healthy(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerStartError(f"the model server exited with code {self.process.returncode}{self._log_hint()}")
            if served_model(self.base_url) is not None:
                log.info("model server ready at %s (pid %d)", self.base_url, self.process.pid)
                return
            time.sleep(0.25)
        self.stop()
        raise ServerStartError(f"the model server did not become healthy within {timeout_s:.0f}s{self._log_hint()}")

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

    def __enter__(self) -> "EmbeddedServer":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
