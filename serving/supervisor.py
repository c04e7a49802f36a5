"""Keeping a long batch or chat alive when its model server dies.

`SupervisedLLM` wraps the HTTP client of a server: when a call loses the connection and
the server process that we started is gone (killed, crashed, OOM), it starts the server
again — at most `max_restarts` times per session, with a growing pause between tries —
and retries the call, so the task goes on. A server we do not own (`--base-url`, or one
adopted on the port) is not ours to restart: losing it raises `ServerLost`, which a batch
treats as fatal (its finished records are kept; the run resumes once the server is back).
"""

from __future__ import annotations

import logging
import subprocess
import threading
import time

from serving.base import Completion, LLMError, Message, ServerLost
from serving.embedded import ManagedServer, ServerStartError
from serving.openai_client import OpenAICompatibleLLM, ServerUnreachable

log = logging.getLogger(__name__)


class SupervisedLLM:
    """An `LLM` over `client` that restarts `server` (when we started it) after it dies.

    Safe to share between threads: one thread restarts, the others wait for it and retry."""

    def __init__(self, client: OpenAICompatibleLLM, server: ManagedServer | None = None, *,
                 max_restarts: int = 3, backoff_s: float = 1.0) -> None:
        self.client = client
        self.server = server if server is not None and server.process is not None else None
        self.max_restarts = max_restarts
        self.backoff_s = backoff_s
        self.restarts: list[float] = []  # seconds each restart took (the fault table reads them)
        self._generation = 0  # bumped by each restart, so concurrent callers restart once
        self._lock = threading.Lock()
        if self.server is not None:
            client.alive = self._alive

    def __getattr__(self, name: str):
        """Everything else (model, traits, base_url, close, streaming) is the client's."""
        return getattr(self.client, name)

    def _alive(self) -> bool:
        process = self.server.process if self.server is not None else None
        return process is not None and process.poll() is None

    def _died(self, grace_s: float = 1.0) -> bool:
        """Whether the server we own has exited, waiting up to `grace_s` for it: a killed
        server's sockets close while its process is still exiting, so a lost connection can
        arrive a moment before `poll()` sees the death."""
        if self.server.process is None:
            return True
        try:
            self.server.process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            return False
        return True

    def complete(self, messages: list[Message], **kwargs) -> Completion:
        """`client.complete`, retried after a restart when the server we own has died (a
        streamed call's `on_delta` first gets an empty delta: its text so far is void)."""
        while True:
            generation = self._generation
            try:
                return self.client.complete(messages, **kwargs)
            except ServerUnreachable as exc:
                self._recover(generation, exc)
            if kwargs.get("on_delta") is not None:
                kwargs["on_delta"]("")

    def revive(self) -> None:
        """Restart the server we own if its process has died (a chat between two turns, whose
        streamed requests go to the server directly); nothing when it lives or is not ours."""
        if self.server is None or self._alive():
            return
        self._recover(self._generation, ServerUnreachable(f"the model server at {self.client.base_url} is gone"))

    def _recover(self, generation: int, exc: LLMError) -> None:
        """Restart the server (once for all threads that saw it die), or raise `ServerLost`."""
        if self.server is None:
            raise ServerLost(f"the model server at {self.client.base_url} stopped answering ({exc}); it is not "
                             "one codeloop started, so start it again and rerun (finished records are kept)") from exc
        with self._lock:
            if generation != self._generation:  # another thread already restarted it
                return
            if not self._died():  # the process lives: a network hiccup, not a death; let the caller retry
                raise exc
            if len(self.restarts) >= self.max_restarts:
                raise ServerLost(f"the model server died again after {self.max_restarts} restarts ({exc}); see its "
                                 f"log {self.server.log_path} and rerun (finished records are kept)") from exc
            self._restart(exc)
            self._generation += 1

    def _restart(self, exc: LLMError) -> None:
        pause = self.backoff_s * 2 ** len(self.restarts)
        code = self.server.process.returncode if self.server.process is not None else None
        log.warning("the model server died (exit code %s: %s); restarting it in %.0f s (%d of %d)", code, exc,
                    pause, len(self.restarts) + 1, self.max_restarts)
        started = time.monotonic()
        time.sleep(pause)
        self.server.stop()  # reap the dead process (and its group)
        self.server.reuse = False  # whatever answers on the port now is not the server we lost
        try:
            self.server.start()
        except ServerStartError as start_exc:
            self.restarts.append(time.monotonic() - started)
            raise ServerLost(f"the model server died and could not be restarted: {start_exc}") from start_exc
        self.restarts.append(time.monotonic() - started)
        log.warning("model server restarted in %.1f s", self.restarts[-1])
