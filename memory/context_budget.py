"""The control unit's context budget: what enters each model call, and what happens when
it would not fit.

A step's prompt is built from sections in priority order (the instruction and its
requirements always whole; the files it names, the file index, the spec overview and the
previous summary excerpted as needed) so that prompt + answer + a reserve (~15 % of the
context) never exceed the server's context. Tokens are counted by the one token counter
(serving/tokens.py: the server's tokenizer, else the model's GGUF tokenizer, else an estimate
from characters), which the caller hands in.

Within a step, each repair adds an exchange (answer, test report). When the conversation
no longer fits, `fit_exchanges` drops the oldest exchanges; the build graph then asks for a
progress summary and restarts the step from a fresh context (bounded restarts), as L2MAC
does.
"""

from __future__ import annotations

from dataclasses import dataclass

from serving.base import Message
from serving.tokens import TokenCounter

MESSAGE_OVERHEAD = 8  # chat-template tokens around each message (role markers, newlines)
OMITTED = "… ({n} lines omitted to fit the context) …"
MARKER_CHARS = len(OMITTED) + 8


class ContextOverflow(Exception):
    """Even with every flexible section cut, the required parts do not fit the budget."""


@dataclass(frozen=True)
class Budget:
    """The context window split: prompt + answer room + reserve = n_ctx."""

    n_ctx: int = 4096
    max_tokens: int = 1024  # room kept for the answer
    reserve_frac: float = 0.15  # margin for tokenizer/template differences

    @property
    def prompt_limit(self) -> int:
        """The most prompt tokens one call may send."""
        return self.n_ctx - self.max_tokens - int(self.n_ctx * self.reserve_frac)


@dataclass
class Section:
    """One part of a step prompt. `shrink` orders what is cut first (higher first);
    0 means never cut (the instruction, its requirements)."""

    title: str
    text: str
    shrink: int = 0
    fence: str = ""  # e.g. "python": the text is shown as a fenced block

    def render(self) -> str:
        body = f"```{self.fence}\n{self.text.rstrip()}\n```" if self.fence else self.text.rstrip()
        return f"## {self.title}\n{body}\n" if self.title else body + "\n"


def messages_tokens(counter: TokenCounter, messages: list[Message]) -> int:
    """Prompt tokens of a chat, template overhead included."""
    return sum(counter.count(m["content"]) + MESSAGE_OVERHEAD for m in messages) + MESSAGE_OVERHEAD


def excerpt(text: str, max_chars: int) -> str:
    """`text` cut to about `max_chars`: its head and tail lines with a marker between
    (the head holds imports and docstrings, the tail the latest definitions)."""
    if len(text) <= max_chars:
        return text
    lines = text.splitlines()
    head: list[str] = []
    tail: list[str] = []
    max_chars -= MARKER_CHARS  # the marker line counts too: the result stays within max_chars
    room = max_chars // 2
    for line in lines:
        if len(line) + 1 > room:
            break
        head.append(line)
        room -= len(line) + 1
    room += max_chars - max_chars // 2
    for line in reversed(lines[len(head):]):
        if len(line) + 1 > room:
            break
        tail.append(line)
        room -= len(line) + 1
    omitted = len(lines) - len(head) - len(tail)
    return "\n".join([*head, OMITTED.format(n=omitted), *reversed(tail)])


def compose(counter: TokenCounter, sections: list[Section], allowance: int) -> tuple[str, list[str]]:
    """Render `sections` within `allowance` tokens; returns the text and the titles cut.

    Flexible sections are cut (highest `shrink` first), each down to nothing if needed;
    counting is repeated after each cut because the tokens per character vary."""
    cut: list[str] = []
    work = [Section(s.title, s.text, s.shrink, s.fence) for s in sections]
    limits = {id(s): len(s.text) for s in work}  # chars each section may keep; cut from its original
    originals = {id(s): s.text for s in work}
    for _ in range(8):
        text = "\n".join(s.render() for s in work if s.text.strip())
        used = counter.count(text)
        if used <= allowance:
            return text, cut
        # characters to remove: the excess at this text's own chars/token, plus 10 % margin
        need = int((used - allowance) * len(text) / max(used, 1) * 1.1) + 1
        flexible = sorted((s for s in work if s.shrink and s.text), key=lambda s: -s.shrink)
        if not flexible:
            raise ContextOverflow(f"the step's required parts need {used} tokens, the budget is {allowance}")
        for section in flexible:
            if need <= 0:
                break
            keep = max(0, min(limits[id(section)], len(section.text)) - need)
            keep = keep if keep >= 200 else 0  # a tiny excerpt helps no one
            need -= len(section.text) - keep
            limits[id(section)] = keep
            section.text = excerpt(originals[id(section)], keep) if keep else ""
            if section.title not in cut:
                cut.append(section.title)
    raise ContextOverflow(f"could not fit the step into {allowance} tokens")


def fit_exchanges(counter: TokenCounter, budget: Budget, messages: list[Message], head: int) -> tuple[list[Message], int]:
    """Drop the oldest exchanges (assistant answer + user report pairs after the first
    `head` messages) until the chat fits; returns the chat and how many were dropped.

    The last user message always stays. ContextOverflow when even that does not fit."""
    kept = list(messages)
    dropped = 0
    while messages_tokens(counter, kept) > budget.prompt_limit:
        if len(kept) - head < 3:  # only the final request is left after the head
            raise ContextOverflow(f"the step's context does not fit {budget.prompt_limit} prompt tokens")
        del kept[head:head + 2]
        dropped += 1
    return kept, dropped
