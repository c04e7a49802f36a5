"""One walk of a source tree (codetext/tree.py) for every walker: what it skips."""

import os

from codetext.tree import NOT_SOURCE_DIRS, SKIP_DIRS, walk_files


def make(root, *names):
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x = 1\n")


def rel(root, **kwargs):
    return [p.relative_to(root).as_posix() for p in walk_files(root, **kwargs)]


def test_tool_folders_and_symlinks_are_skipped_in_sorted_order(tmp_path):
    make(tmp_path, "b.py", "a.py", "pkg/z.py", "pkg/__pycache__/z.pyc", ".git/config", ".venv/lib/site.py",
         "node_modules/m.js", ".codeloop/registry.json", "build/gen.py", ".github/ci.yml")
    os.symlink(tmp_path / "pkg", tmp_path / "link")
    os.symlink(tmp_path / "a.py", tmp_path / "alias.py")
    assert rel(tmp_path) == ["a.py", "b.py", ".github/ci.yml", "build/gen.py", "pkg/z.py"]
    assert rel(tmp_path, skip=SKIP_DIRS, skip_hidden=True) == ["a.py", "b.py", "pkg/z.py"]


def test_build_output_is_skipped_only_for_foreign_repositories():
    assert {"build", "dist"} <= SKIP_DIRS and not {"build", "dist"} & NOT_SOURCE_DIRS
    assert NOT_SOURCE_DIRS < SKIP_DIRS
