"""Intervals, McNemar's test and paired comparisons (eval.stats), and how `codeloop report`
shows them. Expected numbers are worked out by hand or by brute force, not by the code under test."""

import itertools
import json
import math
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

import apps.batch_cmd as batch_cmd
from eval.stats import bootstrap_mean_interval, mcnemar_exact, paired_comparison, pass1_interval, wilson_interval
from eval.summary import summarize

Z = 1.96


# --- Wilson ---------------------------------------------------------------------------------

def test_wilson_seven_of_ten_matches_published_value():
    low, high = wilson_interval(7, 10)
    assert low == pytest.approx(0.3968, abs=1e-4) and high == pytest.approx(0.8922, abs=1e-4)


@pytest.mark.parametrize("s,n", [(1, 3), (7, 10), (10, 20), (113, 164), (300, 378)])
def test_wilson_bounds_solve_the_score_equation(s, n):
    # Definition of the Wilson interval: the p0 where (p̂ - p0)² = z² p0 (1 - p0) / n.
    p = s / n
    for p0 in wilson_interval(s, n):
        assert (p - p0) ** 2 == pytest.approx(Z * Z * p0 * (1 - p0) / n, rel=1e-9)
    low, high = wilson_interval(s, n)
    assert low < p < high


def test_wilson_at_the_edges():
    assert wilson_interval(0, 10) == pytest.approx((0.0, Z * Z / (10 + Z * Z)))  # closed form for 0/n
    assert wilson_interval(10, 10) == pytest.approx((10 / (10 + Z * Z), 1.0))
    for bad in [(1, 0), (-1, 5), (6, 5)]:
        with pytest.raises(ValueError):
            wilson_interval(*bad)


# --- McNemar --------------------------------------------------------------------------------

def brute_force_p(b, c):
    """Share of all 2^n coin-flip outcomes at least as far from n/2 as b is."""
    n = b + c
    extreme = sum(abs(sum(flips) - n / 2) >= abs(b - n / 2) for flips in itertools.product((0, 1), repeat=n))
    return extreme / 2**n


def test_mcnemar_known_values():
    assert mcnemar_exact(1, 9) == pytest.approx(22 / 1024) == pytest.approx(0.02148, abs=1e-5)
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(0, 6) == pytest.approx(2 / 64)
    assert mcnemar_exact(5, 5) == 1.0  # the doubled tail passes 1: capped


@pytest.mark.parametrize("b,c", [(b, c) for b in range(8) for c in range(8)])
def test_mcnemar_matches_brute_force_and_is_symmetric(b, c):
    assert mcnemar_exact(b, c) == pytest.approx(min(1.0, brute_force_p(b, c)))
    assert mcnemar_exact(b, c) == mcnemar_exact(c, b)


def test_mcnemar_large_counts_agree_with_normal_approximation():
    # 500 vs 600 discordant tasks: continuity-corrected z = 99 / sqrt(1100) = 2.985, p ≈ 0.0028
    p = mcnemar_exact(500, 600)
    normal = math.erfc(99 / math.sqrt(1100) / math.sqrt(2))
    assert p == pytest.approx(normal, rel=0.05)
    assert mcnemar_exact(0, 1100) == pytest.approx(0.0) and mcnemar_exact(600, 600) == 1.0
    with pytest.raises(ValueError):
        mcnemar_exact(-1, 2)


# --- bootstrap and the pass@1 interval ------------------------------------------------------

def test_bootstrap_is_deterministic_and_close_to_wilson_for_many_tasks():
    values = [1.0] * 70 + [0.0] * 30
    first = bootstrap_mean_interval(values)
    assert first == bootstrap_mean_interval(values)  # fixed seed
    wlow, whigh = wilson_interval(70, 100)  # (0.604, 0.781): the two methods agree at this size
    assert first[0] == pytest.approx(wlow, abs=0.02) and first[1] == pytest.approx(whigh, abs=0.02)
    assert bootstrap_mean_interval([0.5] * 8) == (0.5, 0.5)  # no spread between tasks: no width
    with pytest.raises(ValueError):
        bootstrap_mean_interval([])


def test_pass1_interval_picks_wilson_for_one_sample_and_bootstrap_for_several():
    single = {f"t{i}": [i < 7] for i in range(10)}
    assert pass1_interval(single) == (wilson_interval(7, 10), "wilson")
    # shares 1, 0.5, 0 repeated: pass@1 0.5; resampling tasks spreads it, about ±1.96·0.41/√30
    several = {f"t{i}": [[True, True], [True, False], [False, False]][i % 3] for i in range(30)}
    (low, high), method = pass1_interval(several)
    assert method == "bootstrap" and low < 0.5 < high
    assert high - low == pytest.approx(2 * 1.96 * math.sqrt(1 / 6) / math.sqrt(30), rel=0.2)


# --- paired comparison ----------------------------------------------------------------------

def rec(task, passed, sample=0):
    return {"task_id": task, "sample": sample, "verdict": {"passed": passed, "base": passed},
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "cached_tokens": 0, "calls": 1},
            "seconds": {"total": 1.0, "eval": 0.1}}


def ab_records():
    """20 shared tasks: A solves 0-9, B solves 1-18 (both 9, only A 1, only B 9, neither 1);
    B also has tasks 20-24 that A lacks."""
    a = [rec(f"T/{i}", i < 10) for i in range(20)]
    b = [rec(f"T/{i}", 1 <= i <= 18) for i in range(25)]
    return a, b


def test_paired_comparison_counts_shared_tasks_only():
    a, b = ab_records()
    got = paired_comparison(a, b)
    assert (got["tasks"], got["both"], got["only_a"], got["only_b"], got["neither"]) == (20, 9, 1, 9, 1)
    assert (got["pass@1_a"], got["pass@1_b"]) == (0.5, 0.9)
    assert got["difference"] == pytest.approx(0.4)
    assert got["p_value"] == pytest.approx(22 / 1024)
    reverse = paired_comparison(b, a)
    assert (reverse["only_a"], reverse["only_b"], reverse["p_value"]) == (9, 1, got["p_value"])
    assert reverse["difference"] == pytest.approx(-0.4)


def test_paired_comparison_uses_sample_zero_of_multi_sample_runs():
    a = [rec("T/0", True, 1), rec("T/0", False, 0), rec("T/1", True, 0), rec("T/1", False, 1)]
    b = [rec("T/0", True, 0), rec("T/1", True, 0), rec("T/2", True, 0)]
    got = paired_comparison(a, b)
    assert (got["tasks"], got["only_b"], got["both"], got["only_a"]) == (2, 1, 1, 0)
    empty = paired_comparison(a, [rec("X/9", True)])
    assert (empty["tasks"], empty["difference"], empty["p_value"]) == (0, None, 1.0)


def test_summary_intervals_and_pass_at_k_only_where_samples_allow():
    one = summarize(rec(f"T/{i}", i < 7) for i in range(10))
    assert one["pass@1_ci"] == pytest.approx((0.3968, 0.8922), abs=1e-4) and one["ci_method"] == "wilson"
    assert one["base"]["pass@1_ci"] == one["pass@1_ci"] and "pass@5" not in one
    five = summarize(rec(f"T/{t}", s < t, s) for t in range(4) for s in range(5))  # task t: t of 5 pass
    assert five["ci_method"] == "bootstrap" and five["pass@1"] == pytest.approx((0 + 1 + 2 + 3) / 20)
    assert five["pass@5"] == pytest.approx(3 / 4)  # every task with a pass has pass@5 = 1
    assert "pass@10" not in five and "pass@100" not in five
    assert summarize([]).get("pass@1_ci") is None


# --- `codeloop report` ----------------------------------------------------------------------

def write_run(path: Path, bench: str, records: list[dict], mode: str = "pipeline") -> Path:
    path.mkdir(parents=True)
    (path / "meta.json").write_text(json.dumps({"bench": bench, "mode": mode}))
    (path / "records.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


@pytest.fixture()
def runs(tmp_path):
    a, b = ab_records()
    five = [rec(f"M/{t}", s < t, s) for t in range(4) for s in range(5)]
    return (write_run(tmp_path / "ref", "humaneval", a, "baseline"), write_run(tmp_path / "new", "humaneval", b),
            write_run(tmp_path / "mbpp", "mbpp+", five))


def report(*args):
    app = typer.Typer()
    batch_cmd.register(app)
    return CliRunner().invoke(app, ["report", *map(str, args)])


def test_report_prints_intervals_and_paired_section(runs, tmp_path):
    pytest.importorskip("matplotlib")
    r = report(*runs, "--out", tmp_path / "rep")
    assert r.exit_code == 0, r.output
    table = r.stdout.split("\n\n")[0]
    header, _, ref, new, mbpp = table.splitlines()
    assert "| pass@5 |" in header and "pass@10" not in header  # only the mbpp+ run has 5 samples
    assert "| 20 | 10 | 50.0% [29.9–70.1] | 50.0% [29.9–70.1] | – |" in ref  # Wilson 10/20; no pass@5
    assert "| 25 | 18 | 72.0% [52.4–85.7] |" in new  # all 25 of its tasks without --common
    assert "| 20 | 6 | 30.0% [" in mbpp and "| 75.0% |" in mbpp  # bootstrap CI; pass@5
    assert "## Paired comparison" in r.stdout
    pairs = [line for line in r.stdout.splitlines() if line.startswith("| humaneval | ref")]
    assert len(pairs) == 1  # mbpp+ has one run: nothing to pair
    assert "| 20 | 50.0% | 90.0% | +40.0 pp | 9 | 1 | 0.0215 |" in pairs[0]
    # report.md holds exactly what was printed (above its plots)
    printed = r.stdout.rsplit("report: ", 1)[0]
    assert printed in (tmp_path / "rep" / "report.md").read_text()


def test_report_common_and_json_carry_the_same_numbers(runs, tmp_path):
    pytest.importorskip("matplotlib")
    r = report(runs[0], runs[1], "--common", "--json", "--out", tmp_path / "rep")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    ref, new = out["rows"]
    assert (ref["tasks"], new["tasks"]) == (20, 20)  # cut to the shared tasks
    assert new["pass@1"] == 0.9 and new["pass@1_ci"] == pytest.approx(wilson_interval(18, 20))
    assert ref["base"]["pass@1_ci"] == pytest.approx([0.2993, 0.7007], abs=1e-4)
    [pair] = out["paired"]
    assert (pair["only_b"], pair["only_a"], pair["tasks"]) == (9, 1, 20)
    assert pair["p_value"] == pytest.approx(0.021484375)
    md = (tmp_path / "rep" / "report.md").read_text()
    assert "| 20 | 18 | 90.0% [69.9–97.2] |" in md and "| +40.0 pp | 9 | 1 | 0.0215 |" in md


def test_single_run_has_no_paired_section(runs, tmp_path):
    pytest.importorskip("matplotlib")
    r = report(runs[0], "--out", tmp_path / "rep")
    assert r.exit_code == 0, r.output
    assert "Paired comparison" not in r.stdout and "pass@5" not in r.stdout
    assert "Wilson score interval" in r.stdout
