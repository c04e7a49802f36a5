"""`ast.parse` that is safe to call from several threads at once.

CPython 3.11 and 3.12 keep the AST constructor's recursion counter in interpreter-wide
state. Two threads turning parse trees into `ast` objects at the same moment (a garbage
collection inside one conversion can hand the GIL to the other) corrupt each other's
count, and the parse fails with `SystemError: AST constructor recursion depth mismatch`
(python/cpython#106905). The pipeline tests candidates on a thread pool and batches solve
tasks on one, so a benchmark task errored that way. Every parse in codeloop's process goes
through `parse_python`, which takes one lock; the sandbox harness runs in its own process.
"""

from __future__ import annotations

import ast
import threading

# One lock for the process: the state it guards is the interpreter's, not ours.
_PARSE_LOCK = threading.Lock()


def parse_python(source: str | bytes, filename: str = "<unknown>", mode: str = "exec") -> ast.AST:
    """`ast.parse(source, filename, mode)`, one thread at a time (see the module docstring).
    Source nested deeper than CPython's parser goes (`-` × 100000 `1`, `1+1+…` × 200000: it
    raises MemoryError or RecursionError) is a SyntaxError here: text from a task, a task
    file or a model is untrusted, and every caller already treats "does not parse" calmly."""
    with _PARSE_LOCK:
        try:
            return ast.parse(source, filename, mode)
        except (RecursionError, MemoryError):
            raise SyntaxError("nested too deeply to parse") from None
