"""Running a build: open or create the build directory's memory, decide whether a resume
may continue, run the graph, and report requirement → instruction → files/tests.

Resume rules: a changed spec is refused unless `replan`; a working tree that differs from
the last commit codeloop made is refused unless `force` — except the files of a step that
was interrupted (the registry lists them), which are put back so the step reruns. Finished
instructions are never redone unless `from_step` says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from agents.build.graph import build_build_graph, build_recursion_limit
from agents.build.parse import parse_plan
from agents.build.state import BuildConfig, BuildMemory
from agents.usage import merge_usage
from memory import registry as reg
from memory.files import FileStore
from sandbox.base import Sandbox
from serving.base import LLM
from serving.tokens import TokenCounter
from settings.errors import BadInput
from workspace.git import GitRepo


class BuildError(BadInput):
    """The build cannot start or continue as asked (one-line reason, exit code 2)."""


@dataclass(frozen=True)
class BuildOptions:
    program: Path | None = None  # a hand-written instruction list instead of the planner's
    replan: bool = False  # plan again (required when the spec changed)
    force: bool = False  # adopt a working tree that differs from the last step's commit
    from_step: int = 0  # redo from this instruction on
    resume: bool = True  # False: start over even when a registry exists


@dataclass
class BuildResult:
    green: bool
    registry: reg.Registry
    seconds: float
    usage: dict = field(default_factory=dict)
    events: list = field(default_factory=list)

    def table(self) -> list[dict]:
        """Requirement → instructions → files/tests, one row per requirement."""
        rows = []
        for req in self.registry.requirements:
            steps = [i for i in self.registry.instructions if req["id"] in i.covers]
            files = sorted({f for i in steps for f in i.files_touched})
            rows.append({"requirement": req["id"], "text": req["text"],
                         "instructions": [f"{i.id}:{i.status}" for i in steps], "files": files,
                         "tests": [f"{i.id}:{i.verdict or '-'} {i.tests.get('passed', 0)}p/"
                                   f"{i.tests.get('failed', 0) + i.tests.get('errors', 0)}f" for i in steps]})
        return rows

    def totals(self) -> dict:
        keys = ("calls", "prompt_tokens", "completion_tokens")
        return {k: int(sum(s.get(k, 0) for s in self.usage.values())) for k in keys}


def read_spec(spec_path: Path) -> str:
    if not spec_path.is_file():
        raise FileNotFoundError(f"spec not found: {spec_path}")
    text = spec_path.read_text(encoding="utf-8", errors="replace")
    if not text.strip():
        raise BuildError(f"spec is empty: {spec_path}")
    return text


def adopt_lost_commit(repo: GitRepo, registry: reg.Registry) -> None:
    """A kill between our commit and the registry save leaves HEAD one codeloop commit
    ahead: adopt it (it holds a step's finished files)."""
    head = repo.head()
    if head and head != registry.last_commit() and repo.parent() == registry.last_commit() \
            and repo.subject().startswith("codeloop "):
        unlinked = [i for i in registry.instructions if i.status in ("done", "failed") and not i.commit]
        if unlinked:
            unlinked[-1].commit = head
        registry.head = head


def settle_tree(repo: GitRepo, registry: reg.Registry, force: bool) -> None:
    """Refuse foreign changes (unless `force`: commit them); undo an interrupted step."""
    adopt_lost_commit(repo, registry)
    changed = repo.changed_paths()
    unlinked = [i for i in registry.instructions if i.status in ("done", "failed") and not i.commit]
    running = [i for i in registry.instructions if i.status == "running"]
    ours = {p for i in unlinked + running for p in i.files_touched}
    foreign = [p for p in changed if p not in ours]
    moved = repo.head() != registry.last_commit()
    if (foreign or moved) and not force:
        what = (f"HEAD {repo.head()[:10]} is not the last step's commit {registry.last_commit()[:10]}" if moved
                else f"files changed since the last step's commit: {', '.join(foreign[:5])}"
                + (" …" if len(foreign) > 5 else ""))
        raise BuildError(f"{what}; commit or revert them, or pass --force to continue from this tree")
    if unlinked:  # killed after the verdict, before the commit: its files are finished work
        unlinked[-1].commit = registry.head = repo.commit_all(f"codeloop step {unlinked[-1].id}: (resumed)")
    for ins in running:  # killed mid-step: put its files back and run it again from the start
        repo.restore([p for p in repo.changed_paths() if p in ins.files_touched])
        fresh = reg.Instruction(id=ins.id, text=ins.text, covers=ins.covers, tokens=ins.tokens, seconds=ins.seconds)
        registry.instructions[registry.instructions.index(ins)] = fresh
    if force and (foreign or moved):
        registry.head = repo.commit_all("codeloop: adopt the working tree (--force)")


def open_memory(spec_path: Path, out: Path, counter: TokenCounter, options: BuildOptions) -> BuildMemory:
    """The build directory's memory, ready for the graph (created, resumed or re-planned)."""
    spec = read_spec(spec_path)
    if out.exists() and not out.is_dir():
        raise BuildError(f"--out is not a directory: {out}")
    repo, store = GitRepo(out), FileStore(out)
    repo.ensure()
    path = out / reg.REGISTRY_PATH
    registry = reg.load(path) if options.resume and path.exists() else None
    if registry is not None:
        if registry.spec_sha256 != reg.spec_digest(spec) and not options.replan:
            raise BuildError(f"the spec changed since this build began ({registry.spec_path}); pass --replan to plan "
                             f"again from it, or --no-resume to start over")
        settle_tree(repo, registry, options.force)
        if options.replan:
            registry = replanned(registry, spec_path, spec)
    else:
        if repo.head() and repo.changed_paths() and not options.force:
            raise BuildError(f"{out} has uncommitted changes; commit them or pass --force")
        registry = reg.new_registry(str(spec_path), spec)
        registry.base_commit = registry.head = repo.commit_all(f"codeloop: base for {spec_path.name}")
    if options.program is not None and not registry.instructions:
        use_program(registry, options.program)
    if options.from_step:
        if not 1 <= options.from_step <= len(registry.instructions):
            raise BuildError(f"--from-step {options.from_step}: the program has {len(registry.instructions)} steps")
        registry.reset_from(options.from_step)
    memory = BuildMemory(registry, store, repo, spec, counter)
    memory.save()
    return memory


def replanned(old: reg.Registry, spec_path: Path, spec: str) -> reg.Registry:
    """A fresh program for the (changed) spec, building on the files already committed."""
    registry = reg.new_registry(str(spec_path), spec)
    registry.base_commit = registry.head = old.last_commit()
    return registry


def use_program(registry: reg.Registry, program: Path) -> None:
    """A hand-written program: numbered steps with `(covers: R1, R2)`; all requirements covered."""
    if not program.is_file():
        raise FileNotFoundError(f"program not found: {program}")
    steps = parse_plan(program.read_text(encoding="utf-8", errors="replace"))
    if not steps:
        raise BuildError(f"{program}: no numbered steps (write `1. text (covers: R1, R2)` per line)")
    registry.set_instructions(steps)
    if registry.uncovered():
        raise BuildError(f"{program} leaves requirements uncovered: {', '.join(registry.uncovered())}")


def run_build(spec_path: Path, out: Path, llm: LLM, sandbox: Sandbox, counter: TokenCounter,
              config: BuildConfig | None = None, options: BuildOptions | None = None,
              on_event: Callable[[dict], None] | None = None) -> BuildResult:
    """Build (or resume building) the program `spec_path` describes into `out`;
    `on_event` sees each node's events as they happen (progress display)."""
    config, options = config or BuildConfig(), options or BuildOptions()
    started = time.perf_counter()
    memory = open_memory(spec_path, out, counter, options)
    graph = build_build_graph(llm, sandbox, memory, config)
    limit = build_recursion_limit(config.max_steps + len(memory.registry.requirements), config)
    usage: dict = {}
    events: list[dict] = []
    for chunk in graph.stream({"step": 0, "final_round": 0}, {"recursion_limit": limit}, stream_mode="updates"):
        for update in chunk.values():
            usage = merge_usage(usage, (update or {}).get("usage"))
            for event in (update or {}).get("events", []):
                events.append(event)
                if on_event is not None:
                    on_event(event)
    green = memory.registry.final.get("verdict") == "green"
    return BuildResult(green, memory.registry, time.perf_counter() - started, usage, events)
