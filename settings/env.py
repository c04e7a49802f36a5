"""The one yes/no parser: every boolean setting (through `Settings`, settings/knobs.py) and
the few third-party variables codeloop reads (HF_HUB_OFFLINE) go through `yes_no`. No heavy
imports, so any layer may use it."""

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
    """A yes/no environment variable read with `yes_no` (unset or empty is no)."""
    return yes_no(os.environ.get(var, ""), var)
