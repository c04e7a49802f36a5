"""The package mirror this machine's own apt already uses, for debootstrap.

No mirror host is written in the code: a machine may reach only its configured mirror (or a
proxy of it), and that is what apt's sources say. Both formats are read: one-line
`sources.list` entries and deb822 `.sources` stanzas.
"""

from __future__ import annotations

import re
from pathlib import Path

# Schemes debootstrap can fetch from; others (cdrom:, mirror+file:, tor+http:) are skipped.
_SCHEMES = ("http://", "https://", "file:/")


def one_line_entries(text: str) -> list[tuple[list[str], str, list[str]]]:
    """(types, URI, suites) of each entry in one-line `sources.list` text."""
    entries = []
    for line in text.splitlines():
        line = re.sub(r"\[[^\]]*\]", " ", line.split("#", 1)[0])  # drop comments and [options]
        words = line.split()
        if len(words) >= 3:
            entries.append(([words[0]], words[1], [words[2]]))
    return entries


def deb822_entries(text: str) -> list[tuple[list[str], str, list[str]]]:
    """(types, first URI, suites) of each enabled stanza in deb822 `.sources` text."""
    entries = []
    for stanza in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        key = None
        for line in stanza.splitlines():
            if line.startswith("#") or not line.strip():
                continue
            if line[0].isspace() and key:  # a continuation line of a multi-line field
                fields[key] += " " + line.strip()
            elif ":" in line:
                key, _, value = line.partition(":")
                key = key.strip().lower()
                fields[key] = value.strip()
        uris = fields.get("uris", "").split()
        if uris and fields.get("enabled", "yes").lower() != "no":
            entries.append((fields.get("types", "").split(), uris[0], fields.get("suites", "").split()))
    return entries


def mirror_for(suite: str, apt_dir: Path = Path("/etc/apt")) -> str | None:
    """The first configured `deb` mirror that serves `suite`, or None (debootstrap's default).

    Read in apt's order: sources.list, then sources.list.d/ by name. Only a mirror that
    lists the very suite qualifies: a security archive or another distribution's mirror
    would not hold it.
    """
    files = [apt_dir / "sources.list"] + sorted(
        p for p in (apt_dir / "sources.list.d").glob("*") if p.suffix in (".list", ".sources"))
    for path in files:
        try:
            text = path.read_text(errors="replace")
        except OSError:
            continue
        parse = deb822_entries if path.suffix == ".sources" else one_line_entries
        for types, uri, suites in parse(text):
            if "deb" in types and suite in suites and uri.startswith(_SCHEMES):
                return uri
    return None
