"""`codeloop sandbox check`: which backends work here, why not, and known host risks."""

from __future__ import annotations

import gzip
import os
import re
import shutil
import subprocess
from dataclasses import asdict, dataclass, field

from sandbox import BACKENDS, probe

LEAKY_VESSELS = "CVE-2024-21626"
RUNC_FIXED = (1, 1, 12)  # upstream release with the Leaky Vessels fix
CHANGELOG = "/usr/share/doc/runc/changelog.Debian.gz"


@dataclass
class BackendStatus:
    """One backend's verdict for this machine."""

    name: str
    available: bool
    reason: str = ""
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return asdict(self)


SEARCH_PATH = "/usr/sbin:/usr/bin:/sbin:/bin:/usr/local/bin:/usr/local/sbin"


def runc_status(search_path: str = SEARCH_PATH, changelog: str = CHANGELOG) -> tuple[bool | None, str]:
    """(fixed?, explanation) for runc and Leaky Vessels; None when it cannot be told."""
    runc = shutil.which("runc", path=search_path)
    if runc is None:
        return None, "runc not found on this host (remote engine?): cannot check " + LEAKY_VESSELS
    try:
        out = subprocess.run([runc, "--version"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"cannot run {runc} --version: {exc}"
    match = re.search(r"runc version (\d+)\.(\d+)\.(\d+)(\S*)", out)
    if not match:
        return None, f"unrecognised runc version output: {out.strip()[:80]!r}"
    version = tuple(int(x) for x in match.groups()[:3])
    label = ".".join(match.groups()[:3]) + match.group(4)
    if version >= RUNC_FIXED:
        return True, f"runc {label} includes the {LEAKY_VESSELS} (Leaky Vessels) fix (>= 1.1.12)"
    # Distributions backport the fix without bumping the upstream version: trust the
    # installed package's own changelog.
    try:
        with gzip.open(changelog, "rt", errors="replace") as fh:
            if LEAKY_VESSELS in fh.read():
                return True, f"runc {label}: upstream < 1.1.12 but the distribution backported the {LEAKY_VESSELS} fix"
    except OSError:
        pass
    return False, f"runc {label} is VULNERABLE to {LEAKY_VESSELS} (Leaky Vessels): upgrade to >= 1.1.12"


def check_all() -> list[BackendStatus]:
    """Probe every backend, strongest first."""
    statuses = []
    for name in BACKENDS:
        reason = probe(name)
        status = BackendStatus(name=name, available=reason is None, reason=reason or "")
        if name == "docker" and reason is None:
            fixed, text = runc_status()
            status.notes.append(text)
            if fixed is False:
                status.notes.append("WARNING: a container escape is possible with this runc")
        if name == "process":
            from sandbox.process import GAPS, ProcessSandbox

            status.notes.append("weak: " + "; ".join(GAPS))
            if reason is None and ProcessSandbox().run_as is None and os.geteuid() == 0:
                status.notes.append("runs code as root here (the interpreter is not reachable by nobody): "
                                    "no process-count limit")
        statuses.append(status)
    return statuses
