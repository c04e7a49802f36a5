"""The build graph's state, its bounds, and the memory the nodes share.

The graph state holds only the current step's conversation and routing facts. What must
survive a crash lives in memory/: the registry (saved after every change) and the file
store (a git repository with one commit per finished instruction). So the build needs no
LangGraph checkpoint: resuming rebuilds the state from the registry.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, TypedDict

from agents.sampling import GREEDY_TEMPERATURE
from agents.usage import merge_usage
from memory import registry as reg
from memory.context_budget import Budget
from memory.files import FileStore
from serving.base import Message
from serving.tokens import TokenCounter
from workspace.git import GitRepo


@dataclass(frozen=True)
class BuildConfig:
    """Bounds for one build. Defaults suit the 1.5B model on a 4k context and a 2-core CPU."""

    max_steps: int = 6  # planner's upper bound on instructions
    max_repairs: int = 2  # repair answers per instruction after the coder's
    max_restarts: int = 2  # context-overflow restarts per instruction
    final_rounds: int = 2  # repair rounds on the full suite at the end
    max_tokens: int = 1536  # per answer (whole files are long)
    summary_tokens: int = 160
    temperature: float = GREEDY_TEMPERATURE  # every build call is greedy (agents/sampling.py)
    n_ctx: int = 4096
    reserve_frac: float = 0.15
    test_timeout_s: float = 60.0  # one pytest run of the project; a timeout is a failure
    test_memory_mb: int = 1024

    @property
    def budget(self) -> Budget:
        return Budget(self.n_ctx, self.max_tokens, self.reserve_frac)


class BuildState(TypedDict, total=False):
    step: int  # the instruction being worked on (0: none)
    chat: list[Message]  # the current step's conversation (replaced, never merged)
    head: int  # how many leading chat messages are the step's fixed context
    answer: str  # the last answer's text
    verdict: str  # the last check: green | red | syntax | no-tests | timeout | overflow | invalid
    report: str  # the last check's failures, for repair
    final_round: int  # repair rounds used on the full suite
    usage: Annotated[dict, merge_usage]
    events: Annotated[list[dict], operator.add]


@dataclass
class BuildMemory:
    """What the nodes share: the registry (and where it is saved), the file store, the
    repository, the spec text and the token counter. Nodes change the registry and call
    `save()` right away, so a kill loses at most the step in progress."""

    registry: reg.Registry
    store: FileStore
    repo: GitRepo
    spec: str
    counter: TokenCounter

    @property
    def registry_path(self) -> Path:
        return self.store.root / reg.REGISTRY_PATH

    def save(self) -> None:
        reg.save(self.registry, self.registry_path)
