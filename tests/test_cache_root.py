"""One cache root (issue 17, item 3): $CODELOOP_CACHE_DIR moves models, the llama-server
build, benchmark data, ground truth, indexes, logs and the sandbox root filesystem; `codeloop
cache` shows them and `codeloop cache clean` removes only codeloop's own folders."""

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from apps.cli import app
from settings import cache

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def root(tmp_path, monkeypatch):
    for var in ("CODELOOP_DATA_DIR", "CODELOOP_INDEX_DIR", "CODELOOP_SANDBOX_ROOTFS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("CODELOOP_CACHE_DIR", str(tmp_path / "root"))
    return tmp_path / "root"


def test_the_cache_root_moves_everything(root):
    from eval.data import resolve_data_dir
    from eval.plus import default_cache_dir
    from retrieval.api import index_root
    from sandbox.image import rootfs_home
    from serving.llama_server import cached_binary
    from serving.models import cache_dir
    from serving.session import server_log_path

    places = {"models": cache_dir(), "bin": cached_binary(), "benchmarks": resolve_data_dir(),
              "groundtruth": default_cache_dir(), "indexes": index_root(), "logs": server_log_path(8799),
              "sandbox": rootfs_home()}
    for kind, place in places.items():
        assert place.is_relative_to(root / kind), (kind, place)
    assert {e.kind for e in cache.entries()} == set(cache.KINDS) >= set(places)


def test_without_the_variable_the_user_cache_dir_is_the_root(monkeypatch, tmp_path):
    monkeypatch.delenv("CODELOOP_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.cache_root() == tmp_path / "xdg" / "codeloop"
    assert cache.cache_path("models") == tmp_path / "xdg" / "codeloop" / "models"


def test_nothing_else_resolves_a_cache_dir_on_its_own():
    """platformdirs / XDG_CACHE_HOME / ~/.cache appear only in settings/ (cache.py; config.py
    for the user config dir)."""
    pattern = re.compile(r"platformdirs|user_cache_dir|site_cache_dir|XDG_CACHE_HOME|[\"']\.cache[\"/']")
    offenders = []
    for package in ("agents", "apps", "codetext", "eval", "memory", "retrieval", "sandbox", "serving"):
        for path in (REPO / package).rglob("*.py"):
            if pattern.search(path.read_text(encoding="utf-8")):
                offenders.append(str(path.relative_to(REPO)))
    setup = (REPO / "scripts/setup.sh").read_text()
    assert offenders == [] and "XDG_CACHE_HOME" not in setup and "settings.cache" in setup


def test_cache_command_shows_each_kind_with_its_size(root):
    (root / "models").mkdir(parents=True)
    (root / "models" / "m.gguf").write_bytes(b"x" * 2048)
    (root / "logs").mkdir()
    (root / "logs" / "server.log").write_text("hello")
    result = CliRunner().invoke(app, ["cache"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"cache root: {root}" in result.stdout
    assert re.search(r"models\s+2\.0 KiB\s+1 files\s+" + re.escape(str(root / "models")), result.stdout)
    data = json.loads(CliRunner().invoke(app, ["cache", "--json"]).stdout)
    sizes = {e["kind"]: e["bytes"] for e in data["entries"]}
    assert data["root"] == str(root) and sizes["models"] == 2048 and sizes["logs"] == 5 and sizes["indexes"] == 0


def test_clean_removes_only_named_kinds_and_never_follows_links(root, tmp_path):
    outside = tmp_path / "precious"
    outside.mkdir()
    (outside / "keep.txt").write_text("mine")
    (root / "models").mkdir(parents=True)
    (root / "models" / "m.gguf").write_text("weights")
    (root / "models" / "link").symlink_to(outside)  # a link inside a cache folder
    (root / "indexes").symlink_to(outside)  # a cache folder that is a link
    (root / "notes.txt").write_text("not ours")
    runner = CliRunner()
    refused = runner.invoke(app, ["cache", "clean", "models"])
    assert refused.exit_code == 2 and refused.stderr.startswith("error: refusing to remove without --yes")
    assert (root / "models" / "m.gguf").exists()
    assert runner.invoke(app, ["cache", "clean", "nonsense", "--yes"]).exit_code == 2
    done = runner.invoke(app, ["cache", "clean", "models", "indexes", "--yes"])
    assert done.exit_code == 0, done.output
    assert not (root / "models").exists() and not (root / "indexes").exists()
    assert (outside / "keep.txt").read_text() == "mine" and (root / "notes.txt").exists()
    assert "nothing to remove" in runner.invoke(app, ["cache", "clean", "models", "--yes"]).stdout


def test_remove_refuses_anything_but_a_cache_folder(tmp_path):
    entry = cache.Entry("models", tmp_path / "elsewhere", 0, 0, "")
    with pytest.raises(ValueError, match="not a codeloop cache folder"):
        cache.remove(entry)
