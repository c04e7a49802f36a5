"""Bounded capture of a child's output: never holds more than the cap in memory."""

from __future__ import annotations


class CappedBuffer:
    """Keeps the first and the last bytes of a stream, up to `cap` bytes in total.

    The head shows how the run started and the tail keeps the traceback, which is what
    the repair agent needs most; everything in between is counted and dropped as it
    arrives, so 10 MB of output never sits in memory.
    """

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self._head_cap = cap // 2
        self._tail_cap = cap - self._head_cap
        self._head = bytearray()
        self._tail = bytearray()
        self.total = 0

    def feed(self, data: bytes) -> None:
        """Append a chunk, dropping the middle once the cap is exceeded."""
        self.total += len(data)
        room = self._head_cap - len(self._head)
        if room > 0:
            self._head += data[:room]
            data = data[room:]
        if data:
            self._tail += data[-self._tail_cap:]
            # Trim in amortised batches: slicing a bytearray on every small chunk is O(n^2).
            if len(self._tail) > 2 * self._tail_cap:
                del self._tail[: len(self._tail) - self._tail_cap]

    @property
    def truncated(self) -> bool:
        """True when some bytes were dropped."""
        return self.total > self.cap

    def text(self) -> str:
        """The kept bytes as text, with a marker where the middle was dropped."""
        tail = bytes(self._tail[-self._tail_cap:]) if self._tail else b""
        if not self.truncated:
            return (bytes(self._head) + tail).decode("utf-8", "replace")
        dropped = self.total - len(self._head) - len(tail)
        marker = f"\n...[codeloop: {dropped} bytes of output dropped]...\n".encode()
        return (bytes(self._head) + marker + tail).decode("utf-8", "replace")
