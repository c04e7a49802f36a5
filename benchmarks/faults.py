"""The fault table (issue 16): each fault injected into a real run, what the user saw,
records lost and duplicated (goal 0 each), and the time to recover. Prints markdown.

    .venv/bin/python benchmarks/faults.py [--data-dir DIR] [--skip-smoke]

Batches run as a person runs them (`codeloop batch` subprocesses, baseline mode, the
process sandbox) against a stand-in model server (tests/serving/stub_model_server.py) on a
free port; the embedded-server row kills a real llama-server serving the smoke model.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


from eval.runstore import read_records  # noqa: E402
from serving.embedded import free_port  # noqa: E402
from tests.serving.stub_model_server import launch as stub  # noqa: E402

ROWS: list[tuple[str, str, str, str, str]] = []


def cli(args: list, env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "from apps.cli import main; main()", *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)


def batch(out: Path, url: str, n: int) -> list:
    return ["batch", "humaneval", "--limit", n, "--mode", "baseline", "--base-url", url, "--out", out,
            "--sandbox", "process"]


def seen(proc_stderr: str, code: int) -> str:
    lines = [line for line in proc_stderr.splitlines() if line.startswith(("error:", "warning:"))]
    tb = " + TRACEBACK" if "Traceback" in proc_stderr else ""
    return f"exit {code}: `{(lines[0] if lines else '(no message)')[:230]}`{tb}"


def tally(out: Path, n: int) -> tuple[int, int]:
    counts = Counter((r["task_id"], r["sample"]) for r in read_records(out).records)
    return n - len(counts), sum(c - 1 for c in counts.values())


def wait_records(out: Path, k: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while len(read_records(out).records) < k and time.monotonic() < deadline:
        time.sleep(0.05)


def server_not_ours(env: dict, work: Path) -> None:
    n, port, out = 8, free_port(), work / "lost"
    url = f"http://127.0.0.1:{port}/v1"
    server = stub(port, 0.3)
    proc = cli(batch(out, url, n), env)
    wait_records(out, 2)
    server.kill()
    killed = time.monotonic()
    _, err = proc.communicate()
    told = time.monotonic() - killed
    server = stub(port)
    start = time.monotonic()
    again = cli(batch(out, url, n), env)
    again.communicate()
    server.kill()
    lost, dup = tally(out, n)
    ROWS.append(("--base-url server killed (kill -9) mid-batch", seen(err, proc.returncode), str(lost), str(dup),
                 f"error after {told:.1f} s (client retries); rerun once it is back: {time.monotonic() - start:.1f} s"))


def torn_line(env: dict, work: Path) -> None:
    n, port, out = 4, free_port(), work / "torn"
    url = f"http://127.0.0.1:{port}/v1"
    server = stub(port)
    cli(batch(out, url, n), env).communicate()
    path = out / "records.jsonl"
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:-1]) + lines[-1][: len(lines[-1]) // 2])
    start = time.monotonic()
    again = cli(batch(out, url, n), env)
    _, err = again.communicate()
    server.kill()
    lost, dup = tally(out, n)
    ROWS.append(("torn last line (crash mid-append), then resume", seen(err, again.returncode), str(lost), str(dup),
                 f"resume redid the torn task: {time.monotonic() - start:.1f} s"))


def disk(env: dict, work: Path) -> None:
    if os.geteuid() != 0:
        ROWS.append(("disk full / read-only run dir", "not measured (needs root for a small tmpfs)", "-", "-", "-"))
        return
    n, port, mount = 20, free_port(), work / "disk"
    url = f"http://127.0.0.1:{port}/v1"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], check=True)
    server = stub(port)
    try:
        out = mount / "run"
        (mount / "filler").write_bytes(b"x" * 56 * 1024)
        full = cli(batch(out, url, n), env)
        _, err = full.communicate()
        torn = not (out / "records.jsonl").read_bytes().endswith(b"\n")
        saw_full = seen(err, full.returncode) + (" TORN LINE LEFT" if torn else "")
        (mount / "filler").unlink()
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        ro = cli(batch(out, url, n), env)
        _, err = ro.communicate()
        saw_ro = seen(err, ro.returncode)
        subprocess.run(["mount", "-o", "remount,rw", str(mount)], check=True)
        start = time.monotonic()
        cli(batch(out, url, n), env).communicate()
        lost, dup = tally(out, n)
        took = time.monotonic() - start
    finally:
        server.kill()
        subprocess.run(["umount", "-l", str(mount)], check=False)
    ROWS.append(("disk full mid-batch (64 KiB tmpfs)", saw_full, str(lost), str(dup), f"rerun with space: {took:.1f} s"))
    ROWS.append(("read-only run dir", saw_ro, "0", "0", "rerun once writable (same row above)"))


def docker_killed() -> None:
    from sandbox import Limits, make_sandbox, probe

    if probe("docker"):
        ROWS.append(("docker container killed mid-run", f"not measured: {probe('docker')}", "-", "-", "-"))
        return
    box = make_sandbox("docker")
    try:
        slow = ["python", "-c", "import time; time.sleep(2); print('done')"]
        box.run({}, ["true"], Limits())
        (cid,) = box.container_ids
        res = []
        start = time.monotonic()
        worker = threading.Thread(target=lambda: res.append(box.run({}, slow, Limits(timeout_s=30))))
        worker.start()
        time.sleep(0.8)
        box.client.api.remove_container(cid, force=True)
        worker.join()
        took = time.monotonic() - start
        ROWS.append(("docker container removed (`docker rm -f`) mid-run", f"run ok={res[0].ok}, "
                     f"stdout {res[0].stdout.strip()!r}; a warning in the log", "0", "0",
                     f"{took:.1f} s for a 2 s run (run again in a new container)"))
        import docker

        real, box.client = box.client, docker.DockerClient(base_url="unix:///nonexistent.sock", version="1.41")
        try:
            box.run({}, ["true"], Limits())
            saw = "no error?"
        except Exception as exc:  # noqa: BLE001 - reported as seen
            saw = f"{type(exc).__name__}: {str(exc)[:90]} → record status sandbox-error, batch goes on"
        box.client = real
        ROWS.append(("docker engine unreachable (dockerd down, simulated)", saw, "0", "0", "next record, after one retry"))
    finally:
        box.close()


def bwrap_gone() -> None:
    from sandbox import Limits, SandboxUnavailable, make_sandbox, probe

    if probe("bwrap"):
        ROWS.append(("bwrap binary gone mid-run", f"not measured: {probe('bwrap')}", "-", "-", "-"))
        return
    bindir = Path(tempfile.mkdtemp(prefix="codeloop-faults-bin-"))
    bindir.chmod(0o755)
    old_path = os.environ["PATH"]
    try:
        (bindir / "bwrap").symlink_to(subprocess.run(["which", "bwrap"], capture_output=True, text=True).stdout.strip())
        os.environ["PATH"] = f"{bindir}:{old_path}"
        box = make_sandbox("bwrap")
        (bindir / "bwrap").unlink()
        res = box.run({}, ["python", "-c", "print('ok')"], Limits())
        found = box.bwrap
        os.environ["PATH"] = str(bindir)
        box.bwrap = str(bindir / "bwrap")
        try:
            box.run({}, ["true"], Limits())
            saw = "no error?"
        except SandboxUnavailable as exc:
            saw = f"SandboxUnavailable: {str(exc)[:100]}"
    finally:
        os.environ["PATH"] = old_path
        subprocess.run(["rm", "-rf", str(bindir)], check=False)
    ROWS.append(("bwrap binary removed mid-run (another on PATH)", f"run ok={res.ok}, found again at {found}",
                 "0", "0", "next run (one PATH lookup)"))
    ROWS.append(("bwrap binary removed, none left on PATH", saw + " → record status sandbox-error, batch goes on",
                 "0", "0", "-"))


def sandbox_error_batch(data_dir: str, work: Path) -> None:
    from eval.baseline import make_baseline_solver
    from eval.batch import BatchConfig, run_batch
    from eval.evaluate import Evaluator
    from eval.problems import load_benchmark
    from sandbox import SandboxUnavailable, make_sandbox
    from serving.fake import FakeLLM

    class DiesOnce:  # the sandbox fails for the second check only
        name = "process"

        def __init__(self) -> None:
            self.inner, self.calls = make_sandbox("process"), 0

        def run(self, files, command, limits):
            self.calls += 1
            if self.calls == 2:
                raise SandboxUnavailable("bwrap disappeared (simulated)")
            return self.inner.run(files, command, limits)

        def close(self) -> None:
            self.inner.close()

    problems = load_benchmark("humaneval", Path(data_dir))[:4]
    answers = [f"```python\n{p.prompt}{p.canonical_solution}```" for p in problems]
    out, box = work / "sandbox-error", DiesOnce()
    config = BatchConfig("humaneval", "baseline")
    first = run_batch(problems, make_baseline_solver(FakeLLM(answers)), out, Evaluator(box), config)
    statuses = [r["verdict"]["status"] for r in read_records(out).records]
    start = time.monotonic()
    run_batch(problems, make_baseline_solver(FakeLLM(answers)), out, Evaluator(box), config)
    lost, dup = tally_effective(out, 4)
    box.close()
    ROWS.append(("sandbox fails for one task mid-batch", f"{first.new_records} records, statuses {statuses}; batch "
                 "went on (exit 1: 1 errored record)", str(lost), str(dup),
                 f"rerun retried the errored one: {time.monotonic() - start:.1f} s"))


def tally_effective(out: Path, n: int) -> tuple[int, int]:
    effective = read_records(out).effective()
    ok = [r for r in effective if r["exit_status"] == "ok"]
    return n - len(ok), len(effective) - len({(r["task_id"], r["sample"]) for r in effective})


def checkpoints() -> None:
    from agents.solver import solve_task
    from agents.state import SolveConfig
    from agents.task import task_from_text
    from sandbox import make_sandbox
    from serving.fake import FakeLLM

    box = make_sandbox("process")
    db = Path(tempfile.mkdtemp(prefix="codeloop-faults-ckpt-")) / "checkpoints.sqlite"
    add = task_from_text("Write add(a, b) that returns a + b.\nassert add(1, 2) == 3\n")
    sub = task_from_text("Write sub(a, b) that returns a - b.\nassert sub(5, 2) == 3\n")
    solve_task(add, FakeLLM(["```python\ndef add(a, b):\n    return a + b\n```"]), box, SolveConfig.v1(), checkpoint=db)
    b_llm = FakeLLM(["```python\ndef sub(a, b):\n    return a - b\n```"])
    got = solve_task(sub, b_llm, box, SolveConfig.v1(), checkpoint=db).code.split("(")[0]
    box.close()
    ROWS.append(("second task on the same checkpoint file, no thread id", f"task B returned `{got}` "
                 f"(before the fix: `def add`, A's code, with no model call)", "-", "-", "-"))


def embedded_killed() -> None:
    from serving.session import llm_session

    port = free_port()
    with llm_session("smollm2-135m", port=port, parallel=1) as llm:
        ask = [{"role": "user", "content": "Write a long story about a cat."}]
        llm.complete(ask, max_tokens=4)
        victim = llm.server.process.pid
        timer = threading.Timer(1.0, os.kill, (victim, signal.SIGKILL))
        start = time.monotonic()
        timer.start()
        out = llm.complete(ask, max_tokens=48)
        took = time.monotonic() - start
        ROWS.append(("embedded llama-server (smoke model) kill -9 mid-request",
                     f"call returned {out.usage.completion_tokens} tokens after 1 restart "
                     f"(pid {victim} → {llm.server.process.pid}); a warning in the log", "0", "0",
                     f"{took:.1f} s for the call (restart {llm.restarts[0]:.1f} s incl. 1 s backoff)"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data" / "benchmarks"))
    parser.add_argument("--skip-smoke", action="store_true", help="Skip the row that needs the smoke model.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="codeloop-faults-") as tmp:
        work = Path(tmp)
        env = dict(os.environ, CODELOOP_CACHE_DIR=str(work / "cache"), CODELOOP_OFFLINE="1",
                   CODELOOP_DATA_DIR=args.data_dir)
        if not args.skip_smoke:
            embedded_killed()
        server_not_ours(env, work)
        docker_killed()
        bwrap_gone()
        sandbox_error_batch(args.data_dir, work)
        checkpoints()
        disk(env, work)
        torn_line(env, work)
    print("| fault injected | what the user saw | records lost | duplicated | time to recover |")
    print("|---|---|---|---|---|")
    for row in ROWS:
        print("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")


if __name__ == "__main__":
    main()
