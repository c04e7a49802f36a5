"""A repository cannot swap the model: a file named like a registered model in the working
directory is never loaded in its place (issue 28: nothing in a repo picks a model file)."""

from serving import models
from serving.models import REGISTRY, ModelError, resolve


def test_a_planted_file_named_like_a_registered_model_is_not_loaded(tmp_path, monkeypatch):
    monkeypatch.setenv("CODELOOP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    name = next(iter(REGISTRY))
    (tmp_path / name).write_bytes(b"GGUF planted by the repository")
    try:
        chosen = resolve(name, download=False)
    except ModelError as exc:  # not downloaded into the cache: the registered model is asked for
        assert "not downloaded" in str(exc)
    else:
        assert chosen == models.cached_path(REGISTRY[name])


def test_an_explicit_gguf_path_is_still_a_path(tmp_path):
    model = tmp_path / "mine.gguf"
    model.write_bytes(b"GGUF")
    assert resolve(str(model), download=False) == model
