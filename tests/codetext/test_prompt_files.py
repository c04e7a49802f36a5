"""The one prompt-file loader (codetext/prompts.py) reads every package's prompts/ folder."""

import pytest

from codetext.prompts import complete_function_template, package_prompt, render_prompt


def test_each_package_reads_its_own_prompt_files():
    assert "{prompt}" in complete_function_template()
    assert "{instruction}" in package_prompt("agents.build", "coder")
    assert package_prompt("agents", "system").strip()


def test_render_fills_placeholders_and_ends_with_one_newline():
    text = render_prompt("agents.build", "repair", report="E   assert 1 == 2")
    assert "E   assert 1 == 2" in text and "{report}" not in text and text.endswith("\n") and not text.endswith("\n\n")


def test_a_missing_prompt_file_is_an_error():
    with pytest.raises(FileNotFoundError):
        package_prompt("agents.build", "no_such_prompt")
