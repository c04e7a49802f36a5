"""Where codeloop keeps things and how it is configured: the one cache root (`cache.py`), the
one table of knobs (`knobs.py`) and the one configuration generated from it (`config.py`:
flags > CODELOOP_* env > config files > defaults).

A leaf package: it imports no other codeloop package, so every layer can use it."""

from settings.cache import CACHE_ENV, KINDS, cache_path, cache_root

__all__ = ["CACHE_ENV", "KINDS", "cache_path", "cache_root"]
