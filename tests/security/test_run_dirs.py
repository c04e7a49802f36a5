"""Issue 28, item 5: a run directory is untrusted. A `checkpoints.sqlite` whose LangGraph
payload names `os.system` (LangGraph's serializer imports and calls whatever module and name
a msgpack extension value gives) must be refused with one line when the batch resumes —
not executed — and the run's finished records stay as they were."""

import contextlib
import enum
import json
import sqlite3

import pytest
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from typer.testing import CliRunner

from agents.checkpoints import UnsafeCheckpoint, check_blob, verify_checkpoints
from agents.solver import solve_task
from agents.state import SolveConfig
from agents.task import task_from_text
from eval.runstore import CHECKPOINTS, RECORDS, read_records
from serving.fake import FakeLLM, FakeLLMExhausted

ADD = ('def add(a, b):\n    """Return a + b.\n    >>> add(1, 2)\n    3\n    """\n',
       "def check(candidate):\n    assert candidate(1, 2) == 3\n")
SUB = ('def sub(a, b):\n    """Return a - b.\n    >>> sub(3, 1)\n    2\n    """\n',
       "def check(candidate):\n    assert candidate(3, 1) == 2\n")
ADD_CODE = "```python\ndef add(a, b):\n    return a + b\n```"
SUB_CODE = "```python\ndef sub(a, b):\n    return a - b\n```"


def evil_value(marker):
    """An object the real serializer encodes as `os.system("touch MARKER")`: LangGraph writes
    an Enum as (module, class name, value) and revives it by calling module.name(value)."""
    class Evil(enum.Enum):
        CMD = f"touch {marker}"

    Evil.__module__, Evil.__name__, Evil.__qualname__ = "os", "system", "system"
    return Evil.CMD


def tamper(checkpoints, marker) -> int:
    """Plant the payload in every stored checkpoint (as an attacker editing the file would)."""
    serde = JsonPlusSerializer(allowed_msgpack_modules=True)  # the attacker's own tool: anything goes
    with contextlib.closing(sqlite3.connect(checkpoints)) as db, db:
        rows = db.execute("select rowid, type, checkpoint from checkpoints").fetchall()
        for rowid, kind, blob in rows:
            value = serde.loads_typed((kind, blob)) | {"planted": evil_value(marker)}
            db.execute("update checkpoints set type = ?, checkpoint = ? where rowid = ?",
                       (*serde.dumps_typed(value), rowid))
    return len(rows)


@pytest.fixture(scope="module")
def sandbox():
    from sandbox import make_sandbox

    box = make_sandbox("process")
    yield box
    box.close()


def batch(app, tasks, out, *more):
    return CliRunner().invoke(app, ["batch", str(tasks), "--mode", "pipeline", "--out", str(out),
                                    "--sandbox", "process", "--retrieval", "none", *more])


@pytest.fixture()
def half_done_run(app, fake_session, tmp_path):
    """A pipeline run of two tasks: `add` finished, `sub` cut off (the model gone) with its
    checkpoint thread left in the run directory, as a resume would find it."""
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text("".join(json.dumps({"task_id": f"T/{i}", "prompt": p, "entry_point": name, "test": t}) + "\n"
                             for i, (name, (p, t)) in enumerate([("add", ADD), ("sub", SUB)])))
    out = tmp_path / "run"
    fake_session([ADD_CODE] * 20)  # more than add's pipeline asks for
    assert batch(app, tasks, out, "--tasks", "T/0").exit_code == 0
    fake_session([])  # sub's first model call finds no answer: the task errors mid-graph
    second = batch(app, tasks, out, "--tasks", "T/1")
    assert second.exit_code == 1, second.output
    assert [r["exit_status"] for r in read_records(out).effective()] == ["ok", "error"]
    return tasks, out


def test_a_tampered_checkpoint_is_refused_not_run(app, fake_session, half_done_run, tmp_path):
    tasks, out = half_done_run
    marker = tmp_path / "MARKER"
    assert tamper(out / CHECKPOINTS, marker) > 0
    records = (out / RECORDS).read_bytes()
    llm = fake_session([SUB_CODE] * 20)
    r = batch(app, tasks, out)
    assert not marker.exists()  # os.system never ran
    assert r.exit_code == 2, r.output
    errors = [line for line in r.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and r.stderr.strip().splitlines()[-1] == errors[0], r.stderr  # after the progress line
    assert "checkpoints.sqlite" in errors[0] and "os.system" in errors[0] and "Traceback" not in r.output
    assert (out / RECORDS).read_bytes() == records and llm.remaining == 20  # records kept, nothing solved


def test_an_untouched_checkpoint_still_resumes(app, fake_session, half_done_run):
    tasks, out = half_done_run
    fake_session([SUB_CODE] * 20)
    r = batch(app, tasks, out)
    assert r.exit_code == 0, r.output
    assert [r["exit_status"] for r in read_records(out).effective()] == ["ok", "ok"]


def test_solve_task_refuses_a_tampered_checkpoint_file(sandbox, tmp_path):
    """The library path (a checkpoint file handed to `solve_task`) loads through the same
    strict serializer: the resume raises, the payload is not called."""
    task, db, marker = task_from_text(SUB[0]), tmp_path / CHECKPOINTS, tmp_path / "MARKER"
    with pytest.raises(FakeLLMExhausted):  # the run stops at its first call, leaving a checkpoint
        solve_task(task, FakeLLM([]), sandbox, SolveConfig.v1(), checkpoint=db, thread_id="t")
    tamper(db, marker)
    with pytest.raises(UnsafeCheckpoint, match="os.system"):
        solve_task(task, FakeLLM([SUB_CODE]), sandbox, SolveConfig.v1(), checkpoint=db, thread_id="t")
    assert not marker.exists()


@pytest.mark.parametrize("kind", ["pickle", "json", "exotic"])
def test_formats_that_can_carry_code_are_refused(kind):
    with pytest.raises(UnsafeCheckpoint, match=kind):
        check_blob(kind, b"\x80\x04N.")


def test_plain_data_passes_the_check():
    kind, blob = JsonPlusSerializer().dumps_typed({"task": {"prompt": "x"}, "attempts": [1, 2.5, None, True]})
    check_blob(kind, blob)


def test_a_file_that_is_not_a_checkpoint_database_is_one_line(tmp_path):
    path = tmp_path / CHECKPOINTS
    path.write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(UnsafeCheckpoint, match="not a checkpoint file") as info:
        verify_checkpoints(path)
    assert "\n" not in str(info.value)
