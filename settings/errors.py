"""`BadInput`: the one mark of an error the user made, usable from every layer.

The CLI edge (apps/errors.py) turns a `BadInput` — a bad flag, variable, file or task —
into a one-line error with exit code 2 (bad usage). Everything else that goes wrong while
a command runs (the model server died, the sandbox failed, the disk is full, a bug) exits
with code 1, so scripts can tell "fix your command" from "the run failed".
"""


class BadInput(ValueError):
    """The user's input is wrong (a flag, an environment variable, a file, a task): exit code 2.
    A `ValueError`, so code that catches ValueError still catches it."""
