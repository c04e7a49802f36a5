"""workspace/files.py: confined paths and link-free I/O under a root folder."""

import os
import stat

import pytest

from workspace import files as safefs
from workspace.files import UnsafePath


@pytest.fixture
def root(tmp_path):
    folder = tmp_path / "root"
    (folder / "src").mkdir(parents=True)
    (folder / "src" / "a.py").write_text("A = 1\n")
    (tmp_path / "outside").mkdir()
    return folder


def test_confine_accepts_plain_paths_and_new_files(root):
    assert safefs.confine(root, "src/a.py") == "src/a.py"
    assert safefs.confine(root, root / "src" / "./b.py") == "src/b.py"
    assert safefs.confine(root, "new/dir/c.py") == "new/dir/c.py"
    assert safefs.confine(root, ".codeloop/x", private=()) == ".codeloop/x"


@pytest.mark.parametrize("name, why", [
    ("../outside/x", "outside"), ("/etc/passwd", "outside"), ("src/../../x", "outside"),
    (".git/config", ".git"), ("sub/.GIT/config", ".git"), (".codeloop/chat.jsonl", ".codeloop"),
    ("", "not a file name"), (".", "root folder itself"), ("src/a.py/x", "not a folder"),
])
def test_confine_refusals(root, name, why):
    with pytest.raises(UnsafePath, match=why.replace(".", r"\.")):
        safefs.confine(root, name)


def test_confine_refuses_any_link_on_the_way_even_one_leading_inside(root):
    (root / "cfg").symlink_to("src/a.py")  # stays inside: still refused (the .git/config trick)
    (root / "lib").symlink_to("src")
    (root / "gone").symlink_to("../outside/new")
    for name in ("cfg", "lib/a.py", "gone"):
        with pytest.raises(UnsafePath, match="symlink"):
            safefs.confine(root, name)


def test_reads_never_follow_links_nor_hang_on_fifos(root, tmp_path):
    (tmp_path / "outside" / "secret").write_text("s3cret")
    (root / "link").symlink_to(tmp_path / "outside" / "secret")
    (root / "dirlink").symlink_to(tmp_path / "outside")
    os.mkfifo(root / "fifo")
    assert safefs.read_text(root, "src/a.py") == "A = 1\n" and safefs.read_text(root, "nope") is None
    for rel in ("link", "dirlink/secret", "fifo"):
        with pytest.raises(UnsafePath):
            safefs.read_text(root, rel)
    with pytest.raises(UnsafePath, match="larger than"):
        safefs.read_text(root, "src/a.py", max_bytes=2)
    assert [safefs.kind(root, r) for r in ("src", "src/a.py", "link", "fifo", "x")] == [
        "dir", "file", "link", "other", "missing"]


def test_write_replaces_atomically_keeps_the_mode_and_refuses_links(root, tmp_path):
    script = root / "src" / "a.py"
    script.chmod(0o750)
    safefs.write_text(root, "src/a.py", "A = 2\n")
    assert script.read_text() == "A = 2\n" and stat.S_IMODE(script.stat().st_mode) == 0o750
    safefs.write_text(root, "new/deep/b.py", "B\n")
    assert (root / "new" / "deep" / "b.py").read_text() == "B\n"
    (root / "dangling").symlink_to(tmp_path / "outside" / "created")
    (root / "linked").symlink_to(tmp_path / "outside")
    for rel in ("dangling", "linked/created"):
        with pytest.raises(UnsafePath):
            safefs.write_text(root, rel, "x")
    assert list((tmp_path / "outside").iterdir()) == []
    assert sorted(p.name for p in (root / "src").iterdir()) == ["a.py"]  # no temp file left behind


def test_create_is_create_new_and_append_refuses_links(root, tmp_path):
    (root / "a.bak").symlink_to(tmp_path / "outside" / "created")
    assert safefs.create_text(root, "a.bak", "old") is False
    assert safefs.create_text(root, "b.bak", "old") is True and (root / "b.bak").read_text() == "old"
    assert safefs.create_text(root, "b.bak", "other") is False
    safefs.append_text(root, "state/log", "one\n")
    safefs.append_text(root, "state/log", "two\n")
    assert (root / "state" / "log").read_text() == "one\ntwo\n"
    (root / "state" / "rc").symlink_to(tmp_path / "outside" / "rc")
    with pytest.raises(UnsafePath):
        safefs.append_text(root, "state/rc", "evil\n")
    assert list((tmp_path / "outside").iterdir()) == []


def test_remove_removes_the_link_not_its_target(root, tmp_path):
    target = tmp_path / "outside" / "keep"
    target.write_text("k")
    (root / "link").symlink_to(target)
    safefs.remove(root, "link")
    safefs.remove(root, "missing")
    assert not os.path.lexists(root / "link") and target.read_text() == "k"


@pytest.mark.parametrize("rel", ["/abs", "../x", "a/../../x", ""])
def test_io_refuses_paths_that_are_not_inside(root, rel):
    with pytest.raises(UnsafePath):
        safefs.write_text(root, rel, "x")
