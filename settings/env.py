"""The one yes/no parser of codeloop's own values: every boolean setting (through
`Settings`, settings/knobs.py) goes through `yes_no`; a third-party variable codeloop reads
(HF_HUB_OFFLINE) is read as its owner reads it (`env_flag`). No heavy imports, so any layer
may use it."""

from __future__ import annotations

import os

from settings.errors import BadInput

YES = frozenset({"1", "true", "yes", "on", "y", "t"})
NO = frozenset({"", "0", "false", "no", "off", "n", "f"})


def yes_no(value: str | bool, what: str = "value") -> bool:
    """A yes/no value: 1/true/yes/on (y, t) is yes, 0/false/no/off (n, f) or empty is no,
    any case; anything else is a one-line BadInput naming `what` (e.g. the variable)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in YES:
        return True
    if text in NO:
        return False
    raise BadInput(f"{what}={value!r} is not yes or no (use 1/0, true/false, yes/no, on/off)")


def env_flag(var: str) -> bool:
    """A third-party yes/no variable (HF_HUB_OFFLINE) read as its owner reads it: one of the
    YES spellings is yes, anything else is no, never an error (codeloop's own knobs are
    strict: `yes_no`)."""
    return os.environ.get(var, "").strip().lower() in YES
