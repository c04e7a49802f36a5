"""Reading yes/no environment variables one way everywhere (no heavy imports: the library
code that reads `CODELOOP_*` directly uses it)."""

from __future__ import annotations

import os

NO = ("", "0", "false", "no", "off")


def env_flag(var: str) -> bool:
    """A yes/no environment variable: unset, empty, `0`, `false`, `no` or `off` is no; the
    configuration exports a config file's `false` as `0` (settings/config.py)."""
    return os.environ.get(var, "").strip().lower() not in NO
