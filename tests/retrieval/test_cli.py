"""`index` / `search` commands through typer's CliRunner."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from apps.retrieval_cmd import make_app

runner = CliRunner()


def test_index_then_search_json(tmp_path):
    src = tmp_path / "proj"
    src.mkdir()
    (src / "geo.py").write_text("def haversine_distance(lat1, lon1, lat2, lon2):\n    'Great-circle distance.'\n")
    (src / "notes.md").write_text("# Setup\ninstall things\n")
    app = make_app()
    result = runner.invoke(app, ["index", str(src), "--name", "proj", "--no-dense"])
    assert result.exit_code == 0, result.output
    assert "2 sources" in result.output
    result = runner.invoke(app, ["search", "great circle distance", "--name", "proj", "--k", "1", "--json"])
    assert result.exit_code == 0, result.output
    hits = json.loads(result.output)
    assert len(hits) == 1 and hits[0]["meta"]["qualname"] == "haversine_distance"
    assert set(hits[0]) == {"text", "source", "score", "meta"}
    again = runner.invoke(app, ["index", str(src), "--name", "proj", "--no-dense"])
    assert "0 re-chunked" in again.output
    human = runner.invoke(app, ["search", "setup", "--name", "proj"])
    assert human.exit_code == 0 and "notes.md:1-2" in human.output


def _one_line_error(result) -> None:
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output


def test_bad_input_is_a_one_line_error_with_exit_code_2(tmp_path):
    app = make_app()
    for args in (["index", str(tmp_path / "missing")],
                 ["index"],
                 ["index", str(tmp_path), "--name", "../escape"],
                 ["search", "q", "--name", "never-built"],
                 ["search", "   "],
                 ["search", "q", "--mode", "nonsense"],
                 ["search", "q", "--k", "0"]):
        if args[0] == "search" and args[1] == "q" and "--mode" in args:
            runner.invoke(app, ["index", str(tmp_path), "--name", "default", "--no-dense"])
        result = runner.invoke(app, args)
        _one_line_error(result)
        assert result.output.strip().count("\n") == 0 and result.output.startswith("error: ")


def test_search_with_benchmark_applies_leakage_guard(fake_mbpp):
    app = make_app()
    result = runner.invoke(app, ["index", "--examples", "all", "--data-dir", str(fake_mbpp), "--no-dense"])
    assert result.exit_code == 2  # "all" is not a benchmark
    result = runner.invoke(app, ["index", "--examples", "mbpp", "--name", "pool", "--data-dir", str(fake_mbpp), "--no-dense"])
    assert result.exit_code == 0, result.output
    out = runner.invoke(app, ["search", "widget 602", "--name", "pool", "--benchmark", "mbpp+",
                              "--data-dir", str(fake_mbpp), "--k", "20", "--json"])
    assert out.exit_code == 0, out.output
    assert 602 not in {h["meta"]["task_id"] for h in json.loads(out.output)}


def test_a_disk_fault_is_a_runtime_error_with_exit_code_1(tmp_path):
    """An index folder that cannot be written (here: a file in its place) is not bad input."""
    (tmp_path / "notes.md").write_text("# Setup\ninstall things\n")
    blocked = tmp_path / "indexes"
    blocked.write_text("a file where the index folder should be")
    result = runner.invoke(make_app(), ["index", str(tmp_path / "notes.md"), "--no-dense", "--index-dir", str(blocked)])
    assert result.exit_code == 1, result.output
    assert "check the disk" in result.output and "Traceback" not in result.output
