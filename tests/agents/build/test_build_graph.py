"""The build graph's shape (pinned by a Mermaid snapshot) and its pure routing, and the
parsing of plans and file answers."""

from pathlib import Path

from agents.build.graph import build_build_graph, route_after_final, route_after_repair
from agents.build.parse import parse_plan, parse_summary, paths_in
from agents.build.state import BuildConfig

SNAPSHOT = Path(__file__).with_name("graph.mermaid.snapshot")


def test_graph_shape_matches_the_snapshot():
    assert build_build_graph(None, None, None).get_graph().draw_mermaid() == SNAPSHOT.read_text()


def test_routes():
    final = route_after_final(BuildConfig(final_rounds=2))
    assert final({"verdict": "green", "final_round": 0}) == "done"
    assert final({"verdict": "red", "final_round": 1}) == "final_repair"
    assert final({"verdict": "red", "final_round": 2}) == "done"
    assert route_after_repair({"verdict": "overflow"}) == "finish_step"
    assert route_after_repair({"verdict": ""}) == "tester"


def test_plan_lines_with_and_without_covers_tags():
    text = ("Plan:\n1. Create store.py (covers: R1, R2)\n2) **Add the CLI** [covers R3 and R4]\n"
            "Step 3: Wire main.py to R5\n- not a step\n4. Write tests for everything (Covers: R6)")
    assert parse_plan(text) == [
        ("Create store.py. Write and run tests for it.", ["R1", "R2"]),
        ("Add the CLI. Write and run tests for it.", ["R3", "R4"]),
        ("Wire main.py to R5. Write and run tests for it.", ["R5"]),
        ("Write tests for everything", ["R6"]),
    ]


def test_the_summary_line_is_read_after_the_files():
    # the files themselves are read by workspace/edits.py (tests/workspace/test_edits.py)
    answer = "```python\n# file: pkg/a.py\nA = 1\n```\n**SUMMARY**: wrote a\nSUMMARY: wrote a and b\n"
    assert parse_summary(answer) == "wrote a and b" and parse_summary("no summary here") == ""


def test_paths_in_finds_named_files_only():
    known = ["todo/store.py", "todo/cli.py", "tests/test_store.py"]
    assert paths_in("Extend store.py and tests/test_store.py; the restore() helper", known) == [
        "todo/store.py", "tests/test_store.py"]
