"""The model's own tokenizer, read from its GGUF file: the token counter for servers without
a tokenize endpoint (and for runs without a server), instead of a characters-per-token guess.

A GGUF file carries its tokenizer (vocabulary, merges, special tokens) in its metadata;
`transformers` rebuilds a fast tokenizer from it (`AutoTokenizer.from_pretrained(folder,
gguf_file=name)`, reading the metadata with the `gguf` package), with no download. Both are
the `tokenizer` extra. When the extra is missing or the file's tokenizer cannot be rebuilt,
counting falls back to the character estimate, said once in the log.
"""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)

EXTRA_HINT = "pip install -e '.[tokenizer]'"


class TokenizerUnavailable(Exception):
    """The GGUF's tokenizer cannot be loaded here (extra missing, or an unsupported file)."""


def load_gguf_tokenizer(path: Path):
    """A transformers tokenizer rebuilt from the GGUF file at `path`, offline."""
    try:
        import gguf  # noqa: F401  (transformers reads the GGUF metadata with it)
        from transformers import AutoTokenizer
    except ImportError as exc:
        raise TokenizerUnavailable(f"counting with the model's own tokenizer needs the tokenizer extra: "
                                   f"{EXTRA_HINT}") from exc
    try:
        return AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name, local_files_only=True)
    except Exception as exc:  # transformers raises many kinds for a GGUF it cannot read
        raise TokenizerUnavailable(f"cannot rebuild the tokenizer of {path.name}: "
                                   f"{exc.__class__.__name__}: {exc}".splitlines()[0]) from exc


class GGUFTokenCounter:
    """Counts tokens with the tokenizer inside a GGUF file (loaded on the first count, which
    takes seconds); `fallback` answers when it cannot be loaded. Counts exclude the BOS and
    other special tokens, as llama-server's `/tokenize` does by default."""

    def __init__(self, path: str | Path, fallback=None) -> None:
        from memory.context_budget import CharCounter

        self.path = Path(path)
        self.fallback = fallback or CharCounter()
        self._tokenizer = None
        self._failed = False

    def count(self, text: str) -> int:
        """Tokens in `text` by the GGUF's tokenizer (the fallback's estimate without it)."""
        if self._tokenizer is None and not self._failed:
            try:
                self._tokenizer = load_gguf_tokenizer(self.path)
            except TokenizerUnavailable as exc:
                log.info("%s; estimating tokens from characters", exc)
                self._failed = True
        if self._tokenizer is None:
            return self.fallback.count(text)
        return len(self._tokenizer(text, add_special_tokens=False)["input_ids"])


def gguf_counter(model: str | Path | None) -> GGUFTokenCounter | None:
    """The counter for a model name or .gguf path whose file is on this machine, or None
    (nothing is downloaded for counting)."""
    if not model:
        return None
    from serving.models import ModelError, resolve

    try:
        return GGUFTokenCounter(resolve(str(model), download=False))
    except ModelError as exc:
        log.info("no local GGUF for %s (%s): no tokenizer to count with", model, exc)
        return None
