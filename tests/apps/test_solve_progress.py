"""`codeloop solve` shows what the agents do while they do it (issue 17, item 4): plain trace
lines when not a TTY, a spinner on one, nothing with --quiet, JSON unchanged."""

import io
import json

from rich.console import Console

import apps.solve_cmd as solve_cmd
from apps.cli import app
from apps.solve_cmd import LiveTrace

GOOD = "```python\ndef add(a, b):\n    return a + b\n```"
TASK = "Write add(a, b).\nassert add(1, 2) == 3\n"


def solve(runner, server, *extra):
    return runner.invoke(app, ["solve", TASK, "--base-url", server.base_url, "--sandbox", "process", *extra],
                         catch_exceptions=False)


def test_trace_lines_are_printed_as_the_events_arrive(runner, stub_server, monkeypatch):
    seen_when: list[tuple[str, int]] = []
    server = stub_server([GOOD] * 3)
    real_event = LiveTrace.event

    def spy(self, event):  # what had been written when each event arrived
        real_event(self, event)
        seen_when.append((event["agent"], len(server.requests)))

    monkeypatch.setattr(LiveTrace, "event", spy)
    result = solve(runner, server)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.index("trace") < out.index("coder: 1 candidate(s)") < out.index("sampler:") < out.index("selector:")
    assert out.index("selector:") < out.index(" code ") < out.index("def add") < out.index("visible tests: passed")
    assert out.count("coder: 1 candidate(s)") == 1  # shown live, not again in the report
    assert ("coder", 1) in seen_when  # the coder's line came before the sampler's request


def test_quiet_hides_the_trace(runner, stub_server):
    result = solve(runner, stub_server([GOOD] * 3), "--quiet")
    assert result.exit_code == 0, result.output
    assert "coder:" not in result.stdout and "def add" in result.stdout and "visible tests: passed" in result.stdout


def test_json_output_is_unchanged_and_machine_only(runner, stub_server):
    result = solve(runner, stub_server([GOOD] * 3), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)  # nothing but the JSON document on stdout
    assert [e["agent"] for e in data["events"]][:3] == ["planner", "retriever", "coder"]


def test_on_a_terminal_a_spinner_runs_and_lines_print_above_it():
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=100, color_system=None)
    live = LiveTrace(console)
    live.start()
    assert live.status is not None
    live.phase("the agents are working")
    live.event({"agent": "coder", "samples": 1, "distinct": 1})
    live.stop()
    assert "coder: 1 candidate(s) from one prompt (1 distinct)" in buf.getvalue() and live.status is None


def test_not_shown_means_no_output_at_all():
    buf = io.StringIO()
    live = LiveTrace(Console(file=buf, force_terminal=True), show=False)
    live.start()
    live.event({"agent": "coder", "samples": 1, "distinct": 1})
    live.stop()
    assert buf.getvalue() == "" and solve_cmd.trace_line({"agent": "x", "k": 1}) == "x: k=1"
