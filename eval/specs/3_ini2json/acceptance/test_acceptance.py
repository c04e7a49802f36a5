import json

import pytest

from ini2json.cli import main
from ini2json.parser import parse_ini, to_json

SAMPLE = """
; a comment
name = demo

[db]
  host = localhost
port = 5432
ratio = 1.5
debug = TRUE
# another comment
title = "42"
"""


def test_sections_and_default():
    data = parse_ini(SAMPLE)
    assert list(data) == ["default", "db"]
    assert data["default"] == {"name": "demo"}


def test_no_default_without_keys():
    assert parse_ini("[a]\nx = y\n") == {"a": {"x": "y"}}


def test_typed_values():
    db = parse_ini(SAMPLE)["db"]
    assert db == {"host": "localhost", "port": 5432, "ratio": 1.5, "debug": True, "title": "42"}
    assert parse_ini("[s]\nflag = False\n")["s"]["flag"] is False


def test_bad_line_names_its_number():
    with pytest.raises(ValueError, match="line 3"):
        parse_ini("[a]\nx = 1\nthis is wrong\n")


def test_to_json_keeps_order():
    text = to_json("[b]\nz = 1\na = 2\n", indent=2)
    assert json.loads(text) == {"b": {"z": 1, "a": 2}}
    assert text.index('"z"') < text.index('"a"')


def test_cli_stdout_and_output(tmp_path, capsys):
    src = tmp_path / "in.ini"
    src.write_text("[a]\nx = 1\n")
    assert main([str(src)]) == 0
    assert json.loads(capsys.readouterr().out) == {"a": {"x": 1}}
    out = tmp_path / "out.json"
    assert main([str(src), "--output", str(out), "--indent", "4"]) == 0
    assert json.loads(out.read_text()) == {"a": {"x": 1}}
    assert '\n    "a"' in out.read_text()


def test_cli_errors(tmp_path, capsys):
    assert main([str(tmp_path / "missing.ini")]) == 2
    assert capsys.readouterr().err.startswith("error:")
    bad = tmp_path / "bad.ini"
    bad.write_text("nonsense\n")
    assert main([str(bad)]) == 2
    assert capsys.readouterr().err.startswith("error:")
