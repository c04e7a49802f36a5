"""The file store: confined paths, caps, the index, and the git repository under it."""

import os

import pytest

from memory import files
from memory.files import FileStore, FileStoreError
from workspace.git import GitRepo


@pytest.mark.parametrize("bad", ["../x.py", "/etc/passwd", "a/../../x", "", "a\x00b", ".git/config",
                                 ".codeloop/registry.json", "a\\..\\b", "."])
def test_escaping_and_private_paths_are_refused(tmp_path, bad):
    store = FileStore(tmp_path)
    with pytest.raises(FileStoreError):
        store.write(bad, "x")


def test_symlinks_out_are_refused_for_read_and_write(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("s")
    root = tmp_path / "root"
    root.mkdir()
    os.symlink(outside, root / "link")
    store = FileStore(root)
    with pytest.raises(FileStoreError, match="symlink"):
        store.read("link/secret.txt")
    with pytest.raises(FileStoreError, match="symlink"):
        store.write("link/new.py", "x")
    assert not (outside / "new.py").exists()
    assert store.list() == []  # the link is not followed when listing either


def test_size_and_count_caps(tmp_path, monkeypatch):
    store = FileStore(tmp_path)
    with pytest.raises(FileStoreError, match="bytes"):
        store.write("big.py", "x" * (files.MAX_FILE_BYTES + 1))
    monkeypatch.setattr(files, "MAX_FILES", 2)
    store.write("a.py", "")
    store.write("b.py", "")
    store.write("a.py", "# rewrite is fine")
    with pytest.raises(FileStoreError, match="already has 2 files"):
        store.write("c.py", "")


def test_write_list_delete_snapshot(tmp_path):
    store = FileStore(tmp_path)
    assert store.write("./pkg//mod.py", "x = 1\n") == "pkg/mod.py"
    store.write("README.md", "# Hi\n")
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "m.pyc").write_bytes(b"\0")
    assert store.list() == ["README.md", "pkg/mod.py"]
    assert store.snapshot() == {"README.md": "# Hi\n", "pkg/mod.py": "x = 1\n"}
    store.delete("pkg/mod.py")
    assert store.list() == ["README.md"]


def test_index_has_summaries_and_symbols_without_a_model(tmp_path):
    store = FileStore(tmp_path)
    store.write("todo/store.py", '"""JSON-backed storage for todo items.\n\nMore."""\nimport json\n'
                'PATH = "x"\nlimit = 3\n\ndef load(path, strict):\n    pass\n\n'
                'class Store:\n    def __init__(self):\n        pass\n    def add(self, t):\n        pass\n'
                '    def _hidden(self):\n        pass\n')
    store.write("broken.py", "def f(:\n")
    store.write("notes.txt", "\n\nfirst line\nsecond\n")
    index = {e.path: e for e in store.index()}
    entry = index["todo/store.py"]
    assert entry.summary == "JSON-backed storage for todo items."
    assert entry.symbols == ["PATH", "load(path, strict)", "class Store(__init__, add)"]
    assert entry.render().startswith("todo/store.py (17 lines) — JSON-backed")
    assert index["broken.py"].summary == "(does not parse: line 1)"
    assert index["notes.txt"].summary == "first line"


def test_git_commits_changes_and_restores(tmp_path):
    repo = GitRepo(tmp_path)
    repo.ensure()
    store = FileStore(tmp_path)
    store.write("a.py", "a = 1\n")
    (tmp_path / ".codeloop").mkdir()
    (tmp_path / ".codeloop" / "registry.json").write_text("{}")
    first = repo.commit_all("step 1")
    assert first and repo.changed_paths() == []  # .codeloop is ignored
    store.write("a.py", "a = 2\n")
    store.write("new/b.py", "b = 1\n")
    assert repo.changed_paths() == ["a.py", "new/b.py"]
    repo.restore(["a.py", "new/b.py"])
    assert repo.changed_paths() == [] and store.read("a.py") == "a = 1\n"
    assert repo.commit_all("empty step") != first
