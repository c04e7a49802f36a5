"""The instruction registry: the build's plan as an ordered prompt program, persisted.

L2MAC keeps its prompt program in memory only, so a crash loses it. Here every state
change is written atomically (temp file, fsync, rename) to `DIR/.codeloop/registry.json`,
so a `kill -9` at any point leaves either the old or the new registry, never half of one.
The registry is the build's checkpoint: resuming re-reads it and continues with the first
instruction that is not done.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from settings.errors import BadInput

SCHEMA = 1
KIND = "codeloop-build-registry"  # tells our file apart from any other registry.json
STATUSES = ("pending", "running", "done", "failed")
REGISTRY_PATH = Path(".codeloop") / "registry.json"

# "1. text", "2) text", "R3: text" or "- text" at the start of a line
_NUMBERED = re.compile(r"^\s*(?:R?\d+[.):]|\(\d+\))\s+(.+)$")
_BULLET = re.compile(r"^\s*[-*]\s+(.+)$")


class RegistryError(BadInput):
    """The registry file is unreadable, corrupt, from another tool, or another schema."""


@dataclass
class Instruction:
    """One step of the prompt program and what happened when it ran."""

    id: int
    text: str
    covers: list[str] = field(default_factory=list)  # requirement ids, e.g. ["R1", "R3"]
    status: str = "pending"
    attempts: int = 0  # coder + repair answers tested in this step
    restarts: int = 0  # context overflows that restarted the step
    summary: str = ""
    files_touched: list[str] = field(default_factory=list)
    tests: dict = field(default_factory=dict)  # {passed, failed, errors, collected}
    tokens: int = 0
    seconds: float = 0.0
    verdict: str = ""  # green | red | syntax | no-tests | timeout | overflow
    commit: str = ""

    @classmethod
    def from_dict(cls, data: dict) -> "Instruction":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class Registry:
    """The spec's requirements, the instructions covering them, and the build's progress."""

    spec_path: str
    spec_sha256: str
    requirements: list[dict]  # [{id: "R1", text}]
    instructions: list[Instruction] = field(default_factory=list)
    final: dict = field(default_factory=dict)  # the whole suite at the end: {verdict, rounds, tests}
    base_commit: str = ""  # the commit the build started from
    head: str = ""  # the commit the next step builds on (the last one codeloop made or adopted)

    # -- queries ---------------------------------------------------------------
    def uncovered(self) -> list[str]:
        """Requirement ids no instruction covers, in spec order."""
        covered = {rid for ins in self.instructions for rid in ins.covers}
        return [r["id"] for r in self.requirements if r["id"] not in covered]

    def next_open(self) -> Instruction | None:
        """The first instruction not yet finished (pending, or running when interrupted)."""
        return next((i for i in self.instructions if i.status in ("pending", "running")), None)

    def get(self, instruction_id: int) -> Instruction:
        for ins in self.instructions:
            if ins.id == instruction_id:
                return ins
        raise KeyError(f"no instruction {instruction_id}")

    def last_commit(self) -> str:
        """The commit the working tree should match: `head`, else the last step's, else the base."""
        done = [i.commit for i in self.instructions if i.commit]
        return self.head or (done[-1] if done else self.base_commit)

    def requirement_texts(self, ids: list[str]) -> list[str]:
        """`Rn: text` lines for the given ids, in spec order."""
        wanted = set(ids)
        return [f"{r['id']}: {r['text']}" for r in self.requirements if r["id"] in wanted]

    # -- changes ---------------------------------------------------------------
    def set_instructions(self, steps: list[tuple[str, list[str]]]) -> None:
        """Replace the program with `(text, covers)` steps, numbered from 1; unknown ids dropped."""
        known = {r["id"] for r in self.requirements}
        self.instructions = [Instruction(id=n, text=text, covers=[c for c in covers if c in known])
                             for n, (text, covers) in enumerate(steps, start=1)]
        self.final = {}

    def reset_from(self, step: int) -> None:
        """Mark instruction `step` and every later one pending again (for `--from-step`)."""
        self.instructions = [Instruction(id=i.id, text=i.text, covers=i.covers) if i.id >= step else i
                             for i in self.instructions]
        self.final = {}

    def to_dict(self) -> dict:
        return {"kind": KIND, "schema": SCHEMA, **asdict(self)}


def spec_digest(text: str) -> str:
    """sha256 of the spec text (what decides whether a resume may continue)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_requirements(spec: str) -> list[dict]:
    """The spec's requirements `R1…Rn`: its numbered items, or its bullets when it has none.

    An indented line right after an item continues it. A spec with neither numbered items
    nor bullets is one requirement (the whole text), so coverage checks still work."""
    for pattern in (_NUMBERED, _BULLET):
        items: list[str] = []
        continuing = False
        for line in spec.splitlines():
            match = pattern.match(line)
            if match:
                items.append(match.group(1).strip())
                continuing = True
            elif continuing and line.startswith((" ", "\t")) and line.strip():
                items[-1] += " " + line.strip()
            else:
                continuing = False
        if items:
            return [{"id": f"R{n}", "text": text} for n, text in enumerate(items, start=1)]
    text = " ".join(spec.split())
    return [{"id": "R1", "text": text}] if text else []


def new_registry(spec_path: str, spec_text: str) -> Registry:
    """A registry with the spec's requirements and no instructions yet."""
    return Registry(spec_path=spec_path, spec_sha256=spec_digest(spec_text),
                    requirements=parse_requirements(spec_text))


def save(registry: Registry, path: Path) -> None:
    """Write `registry` to `path` atomically: the old file stays whole until the rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(registry.to_dict(), indent=1, ensure_ascii=False)
    fd, tmp = tempfile.mkstemp(prefix=".registry-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load(path: Path) -> Registry:
    """Read a registry; any problem is a `RegistryError` with a one-line reason."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise RegistryError(f"{path}: not a readable registry ({exc.__class__.__name__}); "
                            f"use --no-resume to start over") from exc
    if not isinstance(data, dict) or data.get("kind") != KIND:
        raise RegistryError(f"{path}: not a codeloop build registry; use --no-resume to start over")
    if data.get("schema") != SCHEMA:
        raise RegistryError(f"{path}: registry schema {data.get('schema')!r}, this codeloop reads {SCHEMA}; "
                            f"use --no-resume to start over")
    try:
        registry = Registry(
            spec_path=str(data["spec_path"]), spec_sha256=str(data["spec_sha256"]),
            requirements=[{"id": str(r["id"]), "text": str(r["text"])} for r in data["requirements"]],
            instructions=[Instruction.from_dict(i) for i in data["instructions"]],
            final=dict(data.get("final") or {}), base_commit=str(data.get("base_commit", "")),
            head=str(data.get("head", "")))
    except (KeyError, TypeError, AttributeError) as exc:
        raise RegistryError(f"{path}: registry is missing or mangles a field ({exc}); "
                            f"use --no-resume to start over") from exc
    bad = [i.id for i in registry.instructions if i.status not in STATUSES]
    if bad:
        raise RegistryError(f"{path}: instruction(s) {bad} have an unknown status")
    return registry
