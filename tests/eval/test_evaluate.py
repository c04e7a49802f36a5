"""Verdicts from the sandboxed evaluator, for each kind of benchmark test."""

from eval.problems import get_problem


def fn(name: str, body: str) -> str:
    return f"def {name}(*args):\n    {body}\n"


def test_humaneval_pass_and_fail(data_dir, evaluator):
    # With HumanEval+'s file at hand, HumanEval is judged on the host on its original inputs.
    p = get_problem("humaneval:HumanEval/0", data_dir)
    assert p.differential and p.base_inputs and not p.plus_inputs
    assert evaluator.check(p, p.canonical_solution)["passed"]  # a body-only completion works (prompt first)
    full = p.prompt + p.canonical_solution
    assert evaluator.check(p, full)["status"] == "pass"        # and so does a full function
    bad = evaluator.check(p, fn("has_close_elements", "return True"))
    assert bad == {**bad, "status": "fail", "passed": False, "base": False, "plus": None}
    assert bad["detail"].startswith("input ") and "wrong answer" in bad["detail"]
    assert evaluator.check(p, "   ")["detail"] == "empty completion"


def test_humaneval_without_humaneval_plus_data_runs_its_check(tmp_path, evaluator):
    # No HumanEval+ file: the benchmark's own check(candidate) runs next to the candidate.
    p = get_problem("humaneval:HumanEval/0", tmp_path)
    assert not p.differential
    assert evaluator.check(p, p.canonical_solution)["passed"]
    bad = evaluator.check(p, fn("has_close_elements", "return True"))
    assert not bad["passed"] and "AssertionError" in bad["detail"]


def test_mbpp_asserts(data_dir, evaluator):
    p = get_problem("mbpp:Mbpp/11", data_dir)
    assert evaluator.check(p, p.canonical_solution)["passed"]
    assert not evaluator.check(p, fn("remove_Occ", "return ''"))["passed"]


def test_plus_base_and_extra_inputs(data_dir, evaluator):
    p = get_problem("humaneval+:HumanEval/0", data_dir)
    good = evaluator.check(p, p.canonical_solution)
    assert good == {**good, "passed": True, "base": True, "plus": True, "status": "pass"}
    # Right on the original short inputs, wrong on longer extra ones: looks at 6 numbers only.
    sloppy = ("def has_close_elements(numbers, threshold):\n"
              "    numbers = numbers[:6]\n"
              "    return any(abs(a - b) < threshold for i, a in enumerate(numbers) for b in numbers[i + 1:])\n")
    v = evaluator.check(p, sloppy)
    assert v["base"] is True and v["plus"] is False and not v["passed"] and v["detail"].startswith("input ")


def test_plus_timeout_is_per_input(data_dir, evaluator):
    p = get_problem("humaneval+:HumanEval/0", data_dir)
    v = evaluator.check(p, fn("has_close_elements", "while True: pass"))
    assert v["status"] == "timeout" and not v["passed"] and v["seconds"] < 10


def test_find_zero_special_oracle(data_dir, evaluator):
    # HumanEval/32 accepts any root, not only the canonical one: Newton from another start.
    p = get_problem("humaneval+:HumanEval/32", data_dir)
    newton = (
        "def find_zero(xs):\n"
        "    x = 0.7\n"
        "    for _ in range(200):\n"
        "        f = sum(c * x ** i for i, c in enumerate(xs))\n"
        "        d = sum(i * c * x ** (i - 1) for i, c in enumerate(xs) if i)\n"
        "        if d == 0:\n            x += 0.1\n            continue\n"
        "        x -= f / d\n"
        "    return x\n"
    )
    assert evaluator.check(p, p.canonical_solution)["passed"]
    assert evaluator.check(p, fn("find_zero", "return 12345.0"))["passed"] is False
    assert evaluator.check(p, newton)["base"]


def test_mbpp_plus_inputs_are_tuples_again(data_dir, evaluator):
    # Mbpp/2 stores tuples as JSON lists; `a + (x,)` only works when they are tuples again.
    # Its outputs are compared as sets (EvalPlus's oracle), so order does not matter.
    p = get_problem("mbpp+:Mbpp/2", data_dir)
    code = ("def similar_elements(a, b):\n"
            "    a = a + ()\n"
            "    return tuple(sorted(set(a) & set(b), reverse=True))\n")
    assert evaluator.check(p, code)["passed"]
    assert not evaluator.check(p, fn("similar_elements", "return ()"))["passed"]


def test_candidate_output_and_exit_do_not_fool_the_check(data_dir, evaluator):
    p = get_problem("mbpp+:Mbpp/2", data_dir)
    noisy = p.canonical_solution.replace("def similar_elements(test_tup1, test_tup2):\n",
                                         "def similar_elements(test_tup1, test_tup2):\n  print('x' * 1_000_000)\n")
    assert noisy != p.canonical_solution and evaluator.check(p, noisy)["passed"]
    # A top-level exit is test code: the sanitiser drops it and the right function passes;
    # an exit the function itself makes is a fail (tests/eval/test_false_passes.py has the rest).
    assert evaluator.check(p, "import sys\nsys.exit(0)\n" + p.canonical_solution)["passed"]
    quitter = "import sys\ndef similar_elements(a, b):\n    sys.exit(0)\n"
    assert not evaluator.check(p, quitter)["passed"]


def test_check_many_keeps_order(data_dir, evaluator):
    p = get_problem("humaneval:HumanEval/2")
    items = [(p, p.canonical_solution), (p, fn("truncate_number", "return -1")), (p, p.canonical_solution)]
    assert [v["passed"] for v in evaluator.check_many(items, workers=2)] == [True, False, True]


def test_ground_truth_is_cached(data_dir, sandbox, tmp_path):
    from eval.plus import ground_truth

    p = get_problem("mbpp+:Mbpp/3", data_dir)
    first = ground_truth(p, sandbox, tmp_path)
    assert len(first.times) == len(p.base_inputs) + len(p.plus_inputs)
    assert len(list(tmp_path.glob("mbppplus-*.json"))) == 1
    assert ground_truth(p, sandbox, tmp_path) == first
    assert all(limit >= 1.0 for limit in first.time_limits())
