"""Faults a long batch must survive, injected while `codeloop batch` runs as a person runs
it (a subprocess): the model server it does not own dies, the disk fills up or turns
read-only, a crash left a torn last line. Each ends in one `error:` line with exit code 1
(or a warning and a redo), and no record is lost, half-written or duplicated."""

import json
import os
import signal
import subprocess
from collections import Counter

import pytest

from benchmarks.support.batch_cli import batch_args, cli, cli_env, tally, wait_records
from benchmarks.support.stub_model_server import launch as start_stub
from eval.runstore import lock_run_dir, read_records
from tests.conftest import free_port


@pytest.fixture
def env(tmp_path, data_dir):
    return cli_env(tmp_path / "cache", data_dir)


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error:")]


def test_a_model_server_we_do_not_own_dies_mid_batch(tmp_path, env):
    port, out = free_port(), tmp_path / "run"
    url = f"http://127.0.0.1:{port}/v1"
    stub = start_stub(port, delay_s=0.3)
    proc = cli(*batch_args(out, url), env=env)
    wait_records(out, 2)
    stub.kill()  # kill -9 of the server given with --base-url
    stub.wait()
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 1, stderr
    assert "Traceback" not in stderr
    (line,) = error_lines(stderr)
    assert f"the model server at {url} stopped answering" in line and "start it again and rerun" in line
    kept = read_records(out).records
    assert 2 <= len(kept) < 6 and all(r["exit_status"] == "ok" for r in kept), "no errored record for a lost server"
    stub = start_stub(port)  # the server is back: the same command resumes
    try:
        again = cli(*batch_args(out, url), env=env)
        _, stderr = again.communicate(timeout=120)
    finally:
        stub.kill()
        stub.wait()
    assert again.returncode == 0, stderr
    assert tally(out, 6) == (0, 0)  # nothing lost, nothing twice


def test_a_torn_last_line_is_reported_and_its_task_redone(tmp_path, env):
    port, out = free_port(), tmp_path / "run"
    url = f"http://127.0.0.1:{port}/v1"
    stub = start_stub(port)
    try:
        first = cli(*batch_args(out, url, limit=3), env=env)
        assert first.wait(timeout=120) == 0
        records = out / "records.jsonl"
        lines = records.read_bytes().splitlines(keepends=True)
        torn_task = json.loads(lines[-1])["task_id"]
        records.write_bytes(b"".join(lines[:-1]) + lines[-1][: len(lines[-1]) // 2])  # a crash mid-append
        again = cli(*batch_args(out, url, limit=3), env=env)
        _, stderr = again.communicate(timeout=120)
    finally:
        stub.kill()
        stub.wait()
    assert again.returncode == 0, stderr
    assert "line 3: malformed record skipped" in stderr and "resuming" in stderr
    loaded = read_records(out)
    assert [r["task_id"] for r in loaded.records][-1] == torn_task  # redone, once
    counts = Counter((r["task_id"], r["sample"]) for r in loaded.records)
    assert len(counts) == 3 and max(counts.values()) == 1


@pytest.fixture
def small_disk(tmp_path):
    """A 64 KiB tmpfs (root only): filled to leave two pages free, remountable read-only."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_disk_full_then_read_only_run_dir(small_disk, env, tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}/v1"
    out = small_disk / "run"
    filler = small_disk / "filler"
    filler.write_bytes(b"x" * (64 - 12) * 1024)  # leaves three 4 KiB pages: meta.json, .lock, a few records
    stub = start_stub(port)
    try:
        full = cli(*batch_args(out, url, limit=20), env=env)
        _, stderr = full.communicate(timeout=180)
        assert full.returncode == 1, stderr
        assert "Traceback" not in stderr
        (line,) = error_lines(stderr)
        assert "No space left on device" in line and "rerun" in line
        data = (out / "records.jsonl").read_bytes()
        assert data.endswith(b"\n"), "a half-written record was left behind"
        kept = read_records(out)
        assert loaded_ok(kept) and 0 < len(kept.records) < 20
        filler.unlink()  # space again, but the disk turns read-only
        subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
        ro = cli(*batch_args(out, url, limit=20), env=env)
        _, stderr = ro.communicate(timeout=120)
        assert ro.returncode == 1 and "Traceback" not in stderr, stderr
        (line,) = error_lines(stderr)
        assert "Read-only file system" in line
        subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
        done = cli(*batch_args(out, url, limit=20), env=env)
        _, stderr = done.communicate(timeout=180)
        assert done.returncode == 0, stderr
    finally:
        stub.kill()
        stub.wait()
    counts = Counter((r["task_id"], r["sample"]) for r in read_records(out).records)
    assert len(counts) == 20 and max(counts.values()) == 1


def loaded_ok(loaded) -> bool:
    return loaded.problems == [] and all(r["exit_status"] == "ok" for r in loaded.records)


def test_runtime_faults_exit_1_and_bad_input_exit_2(tmp_path, env):
    dead = f"http://127.0.0.1:{free_port()}/v1"
    solve = cli("solve", "Write add(a, b).", "--base-url", dead, env=env)
    _, stderr = solve.communicate(timeout=60)
    assert solve.returncode == 1 and "Traceback" not in stderr, stderr
    (line,) = error_lines(stderr)
    assert "no OpenAI-compatible server" in line and "check --base-url, then run the command again" in line
    bad = cli("batch", "no-such-bench", env=env)
    _, stderr = bad.communicate(timeout=60)
    assert bad.returncode == 2 and error_lines(stderr), stderr


def test_a_second_batch_on_a_run_directory_in_use_is_refused(tmp_path, env):
    # Two batches on one --out would both solve the missing pairs and append duplicates.
    port, out = free_port(), tmp_path / "run"
    stub = start_stub(port, delay_s=1.0)  # 6 tasks: seconds for the second batch to start meanwhile
    try:
        first = cli(*batch_args(out, f"http://127.0.0.1:{port}/v1"), env=env)
        wait_records(out, 1)
        second = cli(*batch_args(out, f"http://127.0.0.1:{port}/v1"), env=env)
        stdout, stderr = second.communicate(timeout=60)
        assert second.returncode == 2, stderr
        assert first.poll() is None, "the first batch was meant to be still running"
        assert "Traceback" not in stderr and stdout == ""
        assert error_lines(stderr) == [f"error: run directory {out} in use by pid {first.pid} (another `codeloop "
                                       "batch`); wait for it to finish or use another --out"]
        _, stderr = first.communicate(timeout=120)
        assert first.returncode == 0, stderr
    finally:
        stub.kill()
        stub.wait()
    pairs = Counter((r["task_id"], r["sample"]) for r in read_records(out).records)
    assert len(pairs) == 6 and set(pairs.values()) == {1}  # each pair once: the second batch wrote nothing


def test_a_run_directory_in_use_is_refused_before_any_model_server_starts(tmp_path, env):
    # The lock comes first: the refused batch must not spend minutes starting (or probing) a
    # model server. Nothing listens on this port, so a late lock would fail on the server instead.
    out = tmp_path / "run"
    with lock_run_dir(out):
        refused = cli(*batch_args(out, f"http://127.0.0.1:{free_port()}/v1"), env=env)
        _, stderr = refused.communicate(timeout=60)
    assert refused.returncode == 2, stderr
    assert error_lines(stderr) == [f"error: run directory {out} in use by pid {os.getpid()} (another `codeloop "
                                   "batch`); wait for it to finish or use another --out"]


@pytest.mark.parametrize("mode", ["baseline", "pipeline"])
def test_ctrl_c_stops_the_batch_keeps_what_finished_and_the_rerun_completes(tmp_path, env, mode):
    port, out = free_port(), tmp_path / "run"
    url = f"http://127.0.0.1:{port}/v1"
    args = batch_args(out, url, mode=mode)
    stub = start_stub(port, delay_s=0.5)
    try:
        proc = cli(*args, env=env)
        wait_records(out, 1)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
        assert proc.returncode == 130 and "Traceback" not in stderr, stderr
        kept = read_records(out).records
        assert 1 <= len(kept) < 6 and all(r["exit_status"] == "ok" for r in kept), "Ctrl-C is not a task error"
        again = cli(*args, env=env)
        _, stderr = again.communicate(timeout=180)
    finally:
        stub.kill()
        stub.wait()
    assert again.returncode == 0, stderr
    assert tally(out, 6) == (0, 0)  # nothing lost, nothing twice
