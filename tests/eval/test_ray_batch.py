"""`codeloop batch --ray`: the batch on a real two-node Ray cluster on loopback, used as a
person would (the CLI as a subprocess), against the thread pool on the same tasks.

The model is langchain_core's FakeListChatModel behind `--llm langchain:MODULE:make`, always
giving the same answer: one code block holding the first tasks' functions, the even ones
right and the odd ones wrong. The sanitiser keeps the asked task's function, so every
record's verdict is fixed whichever node or order solves it: runs can be compared record
by record.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from benchmarks.support.ray_cluster import start_cluster
from benchmarks.support.stub_model_server import launch as launch_stub
from eval.problems import load_benchmark
from eval.runstore import read_records

pytestmark = pytest.mark.ray

N_TASKS = 6
CODELOOP = Path(sys.executable).with_name("codeloop")  # the venv's console script


def factory_module(problems, delay_s: float) -> str:
    """A --llm factory whose model answers every call with the same block (see the docstring)."""
    parts = []
    for i, p in enumerate(problems):
        body = p.canonical_solution if i % 2 == 0 else "    return None\n"
        parts.append(p.prompt + body)
    answer = "```python\n" + "\n\n".join(parts) + "```"
    return ("from langchain_core.language_models import FakeListChatModel\n\n"
            f"ANSWER = {answer!r}\n\n\n"
            f"def make():\n    return FakeListChatModel(responses=[ANSWER], sleep={delay_s!r})\n")


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory):
    """`ray_fast` and `ray_slow` (1 s a call) factory modules, importable on every node."""
    folder = tmp_path_factory.mktemp("ray_models")
    problems = load_benchmark("humaneval")[:N_TASKS]
    (folder / "ray_fast.py").write_text(factory_module(problems, 0.0))
    (folder / "ray_slow.py").write_text(factory_module(problems, 1.0))
    return folder


@pytest.fixture(scope="module")
def cluster(models_dir, tmp_path_factory):
    """Head + one worker node, each 1 CPU; stopped (by process group) after the module."""
    cache = tmp_path_factory.mktemp("ray_cache")
    # a dead node is noticed in about a second, not Ray's default 15 s: the kill test is short
    quick = {"RAY_health_check_period_ms": "300", "RAY_health_check_timeout_ms": "1000",
             "RAY_health_check_failure_threshold": "3"}
    cluster = start_cluster(2, port=6391, worker_ports=20000, pythonpath=[models_dir],
                            extra_env={"CODELOOP_CACHE_DIR": str(cache), "XDG_CACHE_HOME": str(cache), **quick})
    yield cluster
    cluster.stop()


def cli_env(models_dir, tmp_path) -> dict:
    env = dict(os.environ, CODELOOP_OFFLINE="1", CODELOOP_CACHE_DIR=str(tmp_path / "cache"),
               XDG_CACHE_HOME=str(tmp_path / "cache"), RAY_USAGE_STATS_ENABLED="0", RAY_AUTH_MODE="disabled")
    env["PYTHONPATH"] = os.pathsep.join([str(models_dir), env.get("PYTHONPATH", "")]).strip(os.pathsep)
    env.pop("CODELOOP_RAY_ADDRESS", None)
    return env


def batch_args(out, model: str, *extra, limit: int = N_TASKS, mode: str = "baseline") -> list[str]:
    return [str(CODELOOP), "batch", "humaneval", "--limit", str(limit), "--samples", "2", "--mode", mode,
            "--sandbox", "process", "--llm", f"langchain:{model}:make", "--out", str(out), "--json", *extra]


def outcome(run_dir) -> dict:
    """What a run decided, per (task, sample): the answer and its verdict (not timings or nodes)."""
    return {(r["task_id"], r["sample"]): (r["completion"], r["verdict"]["passed"], r["verdict"]["status"],
                                          r["exit_status"]) for r in read_records(run_dir).records}


def test_ray_run_equals_the_thread_pool_and_resumes(cluster, models_dir, tmp_path):
    env = cli_env(models_dir, tmp_path)
    local = subprocess.run(batch_args(tmp_path / "local", "ray_fast", "--workers", "2"), env=env,
                           capture_output=True, text=True, timeout=300)
    assert local.returncode == 0, local.stderr
    # the address from CODELOOP_RAY_ADDRESS, as from --ray
    remote = subprocess.run(batch_args(tmp_path / "ray", "ray_fast", "--workers", "2"),
                            env=env | {"CODELOOP_RAY_ADDRESS": cluster.address}, capture_output=True, text=True,
                            timeout=300)
    assert remote.returncode == 0, remote.stderr
    assert "ray: 2 node(s), 2 worker(s) each" in remote.stderr
    expected = outcome(tmp_path / "local")
    assert len(expected) == N_TASKS * 2
    assert sorted(v[1] for v in expected.values()).count(True) == N_TASKS  # even tasks pass, odd fail
    assert outcome(tmp_path / "ray") == expected
    records = read_records(tmp_path / "ray").records
    assert len({r["ray_node"] for r in records}) == 2, "both nodes solved pairs"
    summary = json.loads(remote.stdout)
    assert (summary["records"], summary["passed"], summary["new_records"]) == (N_TASKS * 2, N_TASKS, N_TASKS * 2)
    meta = json.loads((tmp_path / "ray" / "meta.json").read_text())
    assert meta["served_model"] == json.loads((tmp_path / "local" / "meta.json").read_text())["served_model"]
    # a resume on the cluster finds nothing left to do; report reads the run like any other
    again = subprocess.run(batch_args(tmp_path / "ray", "ray_fast", "--ray", cluster.address), env=env,
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["skipped"] == N_TASKS * 2 and len(read_records(tmp_path / "ray").records) == 12


def test_killing_a_nodes_raylet_mid_run_loses_nothing(cluster, models_dir, tmp_path):
    victim = cluster.add_node("victim")  # a third node, killed below; the other two carry on
    cluster.wait_for_nodes(3)
    env = cli_env(models_dir, tmp_path)
    out = tmp_path / "run"
    proc = subprocess.Popen(batch_args(out, "ray_slow", "--workers", "2", "--ray", cluster.address), env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while len(read_records(out).records) < 2 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert proc.poll() is None, proc.communicate()[1]
        victim.kill_raylet()
        stdout, stderr = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
        victim.stop()
    assert proc.returncode == 0, stderr
    assert "ray: 3 node(s)" in stderr
    assert "lost its actor on node" in stderr, stderr  # pairs really were taken from the dead node
    counts = Counter((r["task_id"], r["sample"]) for r in read_records(out).records)
    assert len(counts) == N_TASKS * 2 and max(counts.values()) == 1, counts  # none lost, none twice
    assert json.loads(stdout)["passed"] == N_TASKS
    assert all(r["exit_status"] == "ok" for r in read_records(out).records)


def test_ctrl_c_keeps_what_finished_and_a_resume_completes(cluster, models_dir, tmp_path):
    env = cli_env(models_dir, tmp_path)
    out = tmp_path / "run"
    proc = subprocess.Popen(batch_args(out, "ray_slow", "--ray", cluster.address), env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while len(read_records(out).records) < 2 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    kept = read_records(out)
    assert 2 <= len(kept.records) < N_TASKS * 2 and kept.problems == []
    resumed = subprocess.run(batch_args(out, "ray_slow", "--ray", cluster.address), env=env, capture_output=True,
                             text=True, timeout=300)  # the same model: it is part of the run's identity
    assert resumed.returncode == 0, resumed.stderr
    counts = Counter((r["task_id"], r["sample"]) for r in read_records(out).records)
    assert len(counts) == N_TASKS * 2 and max(counts.values()) == 1
    assert json.loads(resumed.stdout)["skipped"] == len(kept.records)


def test_nodes_share_one_server_through_base_url(cluster, models_dir, tmp_path):
    # the multi-machine setup: every node's actor talks to one OpenAI-compatible server
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = launch_stub(port, 0.3)
    try:
        out = tmp_path / "run"
        args = [a for a in batch_args(out, "ray_fast", "--ray", cluster.address, "--workers", "2")
                if not a.startswith("--llm") and a != "langchain:ray_fast:make"]
        done = subprocess.run([*args, "--base-url", f"http://127.0.0.1:{port}/v1"], env=cli_env(models_dir, tmp_path),
                              capture_output=True, text=True, timeout=300)
    finally:
        server.kill()
        server.wait()
    assert done.returncode == 0, done.stderr
    records = read_records(out).records
    assert len(records) == N_TASKS * 2 and all(r["raw"] == f"answer from {server.pid}" for r in records)
    assert len({r["ray_node"] for r in records}) == 2
    assert json.loads((out / "meta.json").read_text())["served_model"] == "stub"


def test_shared_server_gone_stops_the_batch_and_a_resume_finishes(cluster, models_dir, tmp_path):
    # a --base-url server no node owns dies mid-run: exit 1 with one line, no errored or
    # doubled record (not "lost actors" retried on every node); the resume does the rest
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    out, env = tmp_path / "run", cli_env(models_dir, tmp_path)
    args = [a for a in batch_args(out, "ray_fast", "--ray", cluster.address, "--workers", "1")
            if not a.startswith("--llm") and a != "langchain:ray_fast:make"]
    args += ["--base-url", f"http://127.0.0.1:{port}/v1"]
    server = launch_stub(port, 0.5)
    batch = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    while len(read_records(out).records) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    server.kill()
    server.wait()
    _, err = batch.communicate(timeout=300)
    assert batch.returncode == 1, err
    assert "stopped answering" in err and "Traceback" not in err
    kept = read_records(out).records
    assert 2 <= len(kept) < N_TASKS * 2 and not [r for r in kept if r["exit_status"] == "error"]
    server = launch_stub(port)
    try:
        resumed = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
    finally:
        server.kill()
        server.wait()
    assert resumed.returncode == 0, resumed.stderr
    counts = Counter((r["task_id"], r["sample"]) for r in read_records(out).records)
    assert len(counts) == N_TASKS * 2 and max(counts.values()) == 1


def test_without_ray_flag_ray_is_not_imported(models_dir, tmp_path):
    code = ("import sys; from apps.cli import main; sys.argv = sys.argv[1:]\n"
            "try:\n    main()\nexcept SystemExit as e:\n    assert e.code in (0, None), e.code\n"
            "assert 'ray' not in sys.modules, 'ray imported'\n")
    args = batch_args(tmp_path / "run", "ray_fast")
    done = subprocess.run([sys.executable, "-c", code, *args], env=cli_env(models_dir, tmp_path),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


def test_missing_ray_extra_is_one_line_naming_it(models_dir, tmp_path):
    # sys.modules["ray"] = None makes `import ray` fail as it does where the extra is not installed
    code = ("import sys; sys.modules['ray'] = None; from apps.cli import main; sys.argv = sys.argv[1:]; main()")
    args = batch_args(tmp_path / "run", "ray_fast", "--ray", "auto")
    done = subprocess.run([sys.executable, "-c", code, *args], env=cli_env(models_dir, tmp_path),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2
    assert done.stderr.strip() == "error: --ray needs the ray extra: pip install 'codeloop[ray]'"


def test_no_cluster_at_the_address_is_one_line(models_dir, tmp_path):
    args = batch_args(tmp_path / "run", "ray_fast", "--ray", "127.0.0.1:6399")  # nothing listens there
    done = subprocess.run(args, env=cli_env(models_dir, tmp_path), capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines[-1].startswith("error: cannot join the Ray cluster at '127.0.0.1:6399'")
    assert "Traceback" not in done.stderr


def test_a_config_file_names_the_cluster(models_dir, tmp_path):
    # `ray_address` in the user's codeloop.toml is --ray's default, like every setting
    # (settings/config.py; a project's own file may name a cluster only once trusted)
    user = tmp_path / "xdg" / "codeloop" / "codeloop.toml"
    user.parent.mkdir(parents=True)
    user.write_text('ray_address = "127.0.0.1:6399"\n')
    env = cli_env(models_dir, tmp_path) | {"XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    done = subprocess.run(batch_args(tmp_path / "run", "ray_fast"), env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and "cannot join the Ray cluster at '127.0.0.1:6399'" in done.stderr, done.stderr
    shown = subprocess.run([str(CODELOOP), "config"], env=env, cwd=tmp_path,
                           capture_output=True, text=True, timeout=120)
    assert "ray_address" in shown.stdout and "127.0.0.1:6399" in shown.stdout, shown.stdout


def test_ray_local_runs_the_pipeline_like_the_thread_pool(models_dir, tmp_path):
    # `--ray local`: no cluster to set up; Ray starts here for the run and stops after it.
    # The pipeline mode: its SolveConfig and retrieval choice travel to the node.
    env = cli_env(models_dir, tmp_path)
    done = subprocess.run(batch_args(tmp_path / "ray", "ray_fast", "--ray", "local", limit=2, mode="pipeline"),
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "ray: 1 node(s)" in done.stderr
    assert json.loads(done.stdout)["records"] == 4  # 2 tasks x 2 samples
    local = subprocess.run(batch_args(tmp_path / "local", "ray_fast", limit=2, mode="pipeline"), env=env,
                           capture_output=True, text=True, timeout=300)
    assert local.returncode == 0, local.stderr
    assert outcome(tmp_path / "ray") == outcome(tmp_path / "local")
    meta = [json.loads((tmp_path / run / "meta.json").read_text()) for run in ("ray", "local")]
    assert meta[0]["variant"] == meta[1]["variant"] and meta[0]["variant"]


def test_a_job_carries_the_settings_and_the_users_key_but_nothing_else(monkeypatch, tmp_path):
    """Nodes on other machines get the driver's resolved settings plus the user's server key
    and [llm] arguments (not knobs, so `settings_env` alone would drop them); other
    variables of the driver stay home."""
    from eval.ray_batch import job_env
    from settings.config import load_report

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CODELOOP_MAX_REPAIRS", "5")
    environ = {"CODELOOP_API_KEY": "sk-user", "CODELOOP_LLM_ARGS": '{"model": "m"}', "HOME_SECRET": "x"}
    env = job_env(load_report(), environ)
    assert env["CODELOOP_MAX_REPAIRS"] == "5"
    assert env["CODELOOP_API_KEY"] == "sk-user" and env["CODELOOP_LLM_ARGS"] == '{"model": "m"}'
    assert "HOME_SECRET" not in env
    assert "CODELOOP_API_KEY" not in job_env(load_report(), {})
