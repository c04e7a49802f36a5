"""workspace/edits.py: the one whole-file answer parser (chat, fix, the build)."""

import pytest

from workspace.edits import CUT_OFF, NO_PATH, parse_edits, parse_files, scan


@pytest.mark.parametrize("reply, default, expected", [
    ("calc.py\n```python\nx = 1\n```\n", "", [("calc.py", "x = 1\n")]),
    ("**src/app.py**\n```\ny = 2\n```", "", [("src/app.py", "y = 2\n")]),
    ("File: a.py\n```python\n1\n```\nand again\na.py\n```python\n2\n```", "", [("a.py", "2\n")]),
    ("```python b.py\nz = 3\n```", "", [("b.py", "z = 3\n")]),
    ("Here:\n```python\nw = 4\n```", "only.py", [("only.py", "w = 4\n")]),
    ("Here:\n```python\nw = 4\n```", "", []),
    ("calc.py\n```python\nx = 1\n", "", []),  # cut off: not a whole file
])
def test_parse_edits(reply, default, expected):
    assert [(e.path, e.text) for e in parse_edits(reply, default)] == expected


def test_files_by_path_comment_heading_or_line_end_and_blocks_without_paths_are_noted():
    answer = ("```python\n# file: pkg/a.py\nA = 1\n```\n"
              "**`pkg/b.py`**\n```python\nB = 2\n```\n"
              "### ./README.md\n```\n# Title\n```\n"
              "Here is the updated `pkg/c.py`:\n```python\n\nC = 3\n\n```\n"
              "```python\nprint('orphan')\n```\nSUMMARY: wrote a and b")
    files, notes = parse_files(answer)
    assert files == {"pkg/a.py": "A = 1\n", "pkg/b.py": "B = 2\n", "README.md": "# Title\n", "pkg/c.py": "C = 3\n"}
    assert notes == [NO_PATH]


def test_a_path_inside_a_line_counts_only_with_a_known_ending_and_the_build_keeps_a_cut_off_block():
    files, notes = parse_files("Updated to version 1.0:\n```\nx\n```\n`main.py`\n```python\nprint(1)\n")
    assert files == {"main.py": "print(1)\n"} and notes == [NO_PATH]  # its tests say what is missing


def test_the_chat_never_reads_a_path_from_a_files_own_text_or_from_prose():
    """A user's file that starts with a `# name.py` comment keeps it, and "I changed the call
    in setup.py:" does not send the chat's one file elsewhere (the build reads both)."""
    header = "```python\n# helpers.py\nX = 1\n```\n"
    assert [(e.path, e.text) for e in parse_edits(header, "app.py")] == [("app.py", "# helpers.py\nX = 1\n")]
    assert parse_files(header)[0] == {"helpers.py": "X = 1\n"}
    prose = "I changed the call in setup.py:\n```python\nrun()\n```\n"
    assert [e.path for e in parse_edits(prose, "app.py")] == ["app.py"]
    assert list(parse_files(prose)[0]) == ["setup.py"]
    _, notes = scan("calc.py\n```python\nx = 1\n")
    assert notes == [CUT_OFF]
