"""workspace/edits.py: the one whole-file answer parser (chat, fix, the build)."""

import pytest

from workspace.edits import CUT_OFF, NO_PATH, parse_edits, parse_files


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


def test_a_path_inside_a_line_counts_only_with_a_known_ending_and_a_cut_off_block_is_noted():
    files, notes = parse_files("Updated to version 1.0:\n```\nx\n```\n`main.py`\n```python\nprint(1)\n")
    assert files == {} and notes == [NO_PATH, CUT_OFF]
