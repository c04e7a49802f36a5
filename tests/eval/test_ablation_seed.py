"""`python -m benchmarks.ablation_seed`: an ablation run starts with the default run's records of the
tasks its setting cannot change, and the batch then runs only the others."""

import json
import subprocess
import sys
from pathlib import Path

from eval.runstore import read_records, write_meta

REPO = Path(__file__).resolve().parents[2]


def record(task_id: str, stop: str = "solved", agents=("coder", "tester"), status: str = "ok") -> dict:
    events = [{"agent": a} for a in agents]
    return {"task_id": task_id, "sample": 0, "exit_status": status, "completion": "", "verdict": {"passed": True},
            "trace": {"stop": stop, "events": events}}


def default_run(tmp_path: Path, records: list[dict]) -> Path:
    run = tmp_path / "humaneval-pipeline"
    write_meta(run, {"bench": "humaneval", "mode": "pipeline", "samples": 1, "model": ""})
    (run / "records.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    return run


def seed(run: Path, setting: str, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "benchmarks.ablation_seed", str(run), setting, str(out)], cwd=REPO,
                          capture_output=True, text=True)


def test_visible_tests_ablation_reruns_tasks_whose_tests_change(tmp_path):
    run = default_run(tmp_path, [
        record("HumanEval/0"),  # `>>>` examples only: the first extractor found them too
        record("HumanEval/73"),  # its examples are written `f(x) == y`: none without them
        record("HumanEval/1", agents=("examples", "coder")),  # (as if) the model rewrote prose examples
        record("HumanEval/2", status="error"),
    ])
    r = seed(run, "visible_tests=doctest", tmp_path / "ablate")
    assert r.returncode == 0, r.stderr
    assert "CODELOOP_VISIBLE_TESTS=doctest codeloop batch humaneval --out" in r.stdout
    copied = read_records(tmp_path / "ablate").effective()
    assert [(c["task_id"], c["copied_from"]) for c in copied] == [("HumanEval/0", "humaneval-pipeline")]
    changed = json.loads((tmp_path / "ablate" / "ablation.json").read_text())["changed"]
    assert changed == {"HumanEval/73": "visible tests 3 → 0", "HumanEval/1": "the model rewrote its prose examples",
                       "HumanEval/2": "errored in the default run"}


def test_repair_ablation_reruns_tasks_whose_answer_failed_its_visible_tests(tmp_path):
    run = default_run(tmp_path, [record("HumanEval/0"), record("HumanEval/1", stop="wrong-answer"),
                                 record("HumanEval/2", stop="untested"), record("HumanEval/3", stop="stuck")])
    r = seed(run, "repair_runtime_only=0", tmp_path / "ablate")
    assert r.returncode == 0, r.stderr
    assert [c["task_id"] for c in read_records(tmp_path / "ablate").effective()] == ["HumanEval/0", "HumanEval/2"]
    assert "2 records copied, 2 tasks to run" in r.stdout
    again = seed(run, "repair_runtime_only=0", tmp_path / "ablate")  # never mixes into existing records
    assert again.returncode == 1 and "already holds records" in again.stderr


def test_unknown_setting_is_one_line(tmp_path):
    r = seed(default_run(tmp_path, [record("HumanEval/0")]), "adaptive=0", tmp_path / "x")
    assert r.returncode == 1 and r.stderr.strip().startswith("error: setting must be one of")
    assert len(r.stderr.strip().splitlines()) == 1
