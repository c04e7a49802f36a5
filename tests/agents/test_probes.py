"""Selection by execution: probe inputs, the runner's probe outputs, output clusters."""

from __future__ import annotations

import ast
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from agents.clusters import output_clusters
from agents.probes import literal, probe_inputs, seed_inputs, variants
from agents.task import Task
from agents.tester import runner_script

REPO = Path(__file__).resolve().parents[2]



def task(asserts=(), doctests="", entry="f"):
    return Task("def f(...): ...", entry, list(asserts), doctests)


# --- probe inputs -------------------------------------------------------------------


def test_seeds_come_from_asserts_and_doctests_literal_positional_calls_only():
    t = task(["assert f([1, 2], 3) == 4", "assert f(x) == 1", "assert f(1, k=2) == 0", "assert g(5) == 5",
              "assert f(-2, 'a') == f(0, 'b')"], ">>> f((1, 2), {'a': 1})\n3\n")
    assert seed_inputs(t) == [([1, 2], 3), (-2, "a"), (0, "b"), ((1, 2), {"a": 1})]


def test_originals_first_then_mutations_all_literal_tuples():
    t = task(["assert f([1, 2, 3], 2) == 5", "assert f([], 0) == 0"])
    probes = probe_inputs(t)
    assert probes[:2] == ["([1, 2, 3], 2)", "([], 0)"]
    assert len(probes) == len(set(probes)) == 30
    for text in probes:
        args = ast.literal_eval(text)
        assert isinstance(args, tuple) and len(args) == 2
        assert isinstance(args[0], list) and isinstance(args[1], int)


def test_every_seed_contributes_mutations():
    t = task(["assert f(1) == 1", "assert f('ab') == 1"])
    probes = [ast.literal_eval(p)[0] for p in probe_inputs(t, limit=8)]
    assert any(isinstance(p, int) for p in probes[2:]) and any(isinstance(p, str) for p in probes[2:])


@pytest.mark.parametrize("value, expected", [
    (7, {8, 6, 0, -7, 14}),
    (True, {False}),
    (2.5, {3.5, 1.5, 0.0, -2.5, 5.0, 1.25}),
    ("abc", {"", "cba", "ABC", "abcabc"}),
    ([3, 1, 2], {(), (2, 1, 3), (1, 2, 3)}),
    ((3, 1), {(), (1, 3)}),
    ({"a": 1, "b": 2}, {()}),
])
def test_type_aware_mutations(value, expected):
    got = variants(value, random.Random(0))
    normal = {tuple(v) if isinstance(v, (list, tuple, dict)) else v for v in got}
    assert expected <= normal
    if isinstance(value, str):
        assert any(len(v) == 2 for v in got) and any(len(v) == 4 and v != value * 2 for v in got)
    if isinstance(value, (list, tuple)):
        assert all(type(v) is type(value) for v in got)
        assert any(len(v) == len(value) - 1 for v in got) and any(len(v) == len(value) + 1 for v in got)
    if isinstance(value, dict):
        assert any(len(v) == 1 for v in got) and any(v.keys() == value.keys() and v != value for v in got)


def test_nested_elements_are_mutated_recursively():
    got = variants([[1, 2], [3]], random.Random(0))
    inner = [e for v in got for e in v]
    assert all(isinstance(e, list) for e in inner)
    assert any(e not in ([1, 2], [3]) for e in inner)  # an element changed, not just moved


def test_deterministic_and_seeded():
    t = task(["assert f([1, 2, 3], 'xy', 2.5, {'k': [1]}) == 0"], ">>> f([0], '', 0.0, {})\n0\n")
    assert probe_inputs(t) == probe_inputs(t)
    # a new interpreter (other hash seed) gives the same list too
    code = ("from agents.probes import probe_inputs; from agents.task import Task; "
            "print(probe_inputs(Task('', 'f', [\"assert f({'b', 'a', 'c'}, 'xy') == 0\"], '')))")
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"},
                           cwd=REPO).stdout for seed in ("1", "2")}
    assert len(outs) == 1 and "{'a', 'b', 'c'}" in outs.pop()
    assert probe_inputs(t, seed=1) != probe_inputs(t, seed=0)


def test_limit_and_no_tests():
    t = task(["assert f(5) == 5"])
    assert len(probe_inputs(t, limit=3)) == 3
    assert probe_inputs(t, limit=0) == []
    assert probe_inputs(task()) == []
    assert probe_inputs(task(["assert f(x) == 1"])) == []
    assert probe_inputs(task(["assert f(1) == 1"], entry="")) == []


def test_inputs_stay_small():
    t = task(["assert f(10) == 55", "assert f('abcdefghijklmnop', [1] * 20) == 0"])
    for text in probe_inputs(t, limit=200):
        args = ast.literal_eval(text)
        assert all(abs(a) <= 20 for a in args if isinstance(a, int))
        assert all(len(a) <= 24 for a in args if isinstance(a, (str, list)))


def test_ints_keep_the_seeds_sign():
    def ints(asserts):
        return [ast.literal_eval(p)[0] for p in probe_inputs(task(asserts), limit=200)]
    assert min(ints(["assert f(5) == 5", "assert f(2) == 1"])) == 1
    assert min(ints(["assert f(5) == 5", "assert f(0) == 1"])) == 0
    assert min(ints(["assert f(5) == 5", "assert f(-3) == 1"])) < 0
    assert min(ast.literal_eval(p)[0][0] for p in probe_inputs(task(["assert f([5]) == 5"]), limit=200)
               if ast.literal_eval(p)[0]) < 1  # only top-level arguments are held to it


def test_strings_with_words_get_word_level_mutations_first():
    got = variants("three one five", random.Random(0))
    assert got[0] == "five one three" and len(got[1].split()) == 2 and len(got[2].split()) == 4


def test_literal_is_stable_for_sets():
    assert literal(({"b", "a"}, set(), (1,), {"k": {2, 1}})) == "({'a', 'b'}, set(), (1,), {'k': {1, 2}})"


# --- the runner's probe outputs -------------------------------------------------------


def run_runner(tmp_path, code, probes, asserts=("assert f(1) is not None",), probe_s=0.5, total_s=3.0):
    (tmp_path / "solution.py").write_text(code)
    (tmp_path / "run_tests.py").write_text(runner_script())
    tests = {"asserts": list(asserts), "doctests": "", "generated": [], "per_test_s": 2.0, "total_s": 4.0,
             "entry_point": "f", "probes": probes, "probe_s": probe_s, "probes_total_s": total_s}
    (tmp_path / "tests.json").write_text(json.dumps(tests))
    proc = subprocess.run([sys.executable, "run_tests.py"], cwd=tmp_path, capture_output=True, text=True, timeout=30)
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith("@@CODELOOP_RESULT@@")
    return proc.returncode, json.loads(last.split(" ", 1)[1])


def test_runner_records_outputs_exceptions_and_timeouts(tmp_path):
    code = ("def f(x):\n"
            "    print('noise')\n"
            "    if x == 0:\n        raise ZeroDivisionError\n"
            "    if x == -1:\n        while True: pass\n"
            "    if x == 2:\n        return {3.0, 0.1 + 0.2}\n"
            "    return [x] * x\n")
    rc, result = run_runner(tmp_path, code, ["(1,)", "(0,)", "(-1,)", "(2,)", "(300,)", "('a', 'b')"])
    assert rc == 0 and [r["ok"] for r in result["visible"]] == [True]
    out = result["outputs"]
    assert out[:4] == ["[1]", "!ZeroDivisionError", "!timeout", "{0.3, 3}"]
    assert len(out[4]) <= 200 and "...#" in out[4]
    assert out[5] == "!TypeError"


def test_runner_probes_get_fresh_arguments(tmp_path):
    code = "def f(xs):\n    xs.append(1)\n    return len(xs)\n"
    rc, result = run_runner(tmp_path, code, ["([],)", "([],)", "([5],)"], asserts=["assert f([]) == 1"])
    assert result["outputs"] == ["1", "1", "2"]


def test_probes_never_change_the_verdict(tmp_path):
    failing = "import os\ndef f(x):\n    if x == 9:\n        os._exit(0)\n    return x\n"
    rc, result = run_runner(tmp_path, failing, ["(1,)", "(9,)", "(2,)"], asserts=["assert f(1) == 2"])
    assert rc == 1 and [r["ok"] for r in result["visible"]] == [False]
    assert result["outputs"] == ["1", "!exit", "!skipped"]


def test_runner_caps_the_time_for_all_probes(tmp_path):
    code = "import time\ndef f(x):\n    time.sleep(x)\n    return x\n"
    rc, result = run_runner(tmp_path, code, ["(0.4,)"] * 4 + ["(0,)"], probe_s=1.0, total_s=1.0)
    assert result["outputs"][:2] == ["0.4", "0.4"] and result["outputs"][-1] == "!skipped"


def test_runner_without_probes_has_empty_outputs(tmp_path):
    rc, result = run_runner(tmp_path, "def f(x):\n    return x\n", [])
    assert rc == 0 and result["outputs"] == []


def test_tester_returns_outputs_through_the_process_sandbox():
    from agents.state import SolveConfig
    from agents.tester import invalid_candidate, run_candidate, test_files
    from sandbox import make_sandbox

    t = Task("def f(xs):\n    '''>>> f([1, 2])\n    3\n    '''\n", "f", ["assert f([4]) == 4"], ">>> f([1, 2])\n3\n")
    config = SolveConfig()
    tests = json.loads(test_files(t, "", [], config)["tests.json"])
    assert tests["entry_point"] == "f" and tests["probes"] == probe_inputs(t) and tests["probe_s"] > 0
    sandbox = make_sandbox("process")
    try:
        good = run_candidate(sandbox, t, "def f(xs):\n    return sum(xs)\n", [], config)
        other = run_candidate(sandbox, t, "def f(xs):\n    return sum(xs) if len(xs) < 2 else 3\n", [], config)
        broken = run_candidate(sandbox, t, "def f(xs):\n    import os; os._exit(3)\n", [], config)
    finally:
        sandbox.close()
    assert good["verdict"] == other["verdict"] == "passed"
    assert len(good["outputs"]) == len(tests["probes"]) and good["outputs"][:2] == ["4", "3"]
    assert good["outputs"] != other["outputs"]
    assert broken["outputs"] == []
    assert invalid_candidate("no code", t, [])["outputs"] == []


# --- clusters -------------------------------------------------------------------------


def cand(name, outputs, copies=1):
    return {"name": name, "outputs": outputs, "copies": copies}


def names(clusters):
    return [[c["name"] for c in cl] for cl in clusters]


def test_clusters_by_exact_outputs_largest_first():
    cands = [cand("a", ["1", "2"]), cand("b", ["1", "3"]), cand("c", ["1", "3"]), cand("d", ["1", "2", "x"])]
    assert names(output_clusters(cands)) == [["b", "c"], ["a"], ["d"]]


def test_clusters_weigh_copies_and_keep_first_appearance_on_ties():
    cands = [cand("a", ["1"]), cand("b", ["2"], copies=3), cand("c", ["1"]), cand("d", ["3"], copies=2)]
    assert names(output_clusters(cands)) == [["b"], ["a", "c"], ["d"]]
    assert names(output_clusters([cand("x", ["1"]), cand("y", ["2"])])) == [["x"], ["y"]]
    assert names(output_clusters([{"name": "z", "outputs": ["1"]}, cand("w", ["2"])])) == [["z"], ["w"]]


def test_candidates_without_outputs_share_one_cluster():
    cands = [cand("a", []), cand("b", []), {"name": "c"}, cand("d", ["1"], copies=2)]
    assert names(output_clusters(cands)) == [["a", "b", "c"], ["d"]]
    assert output_clusters([]) == []


def test_clusters_treat_every_failure_signature_alike():
    from agents.clusters import output_clusters

    raises_value = {"outputs": ["1", "!ValueError"], "copies": 1}
    raises_index = {"outputs": ["1", "!IndexError"], "copies": 1}
    other_value = {"outputs": ["2", "!timeout"], "copies": 1}
    assert [len(c) for c in output_clusters([raises_value, raises_index, other_value])] == [2, 1]
