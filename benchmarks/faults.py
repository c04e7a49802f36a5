"""The fault table (issue 16): each fault injected into a real run, what the user saw,
records lost and duplicated (goal 0 each), and the time to recover. Prints markdown.

    .venv/bin/python -m benchmarks.faults [--data-dir DIR] [--skip-smoke]

Batches run as a person runs them (`codeloop batch` subprocesses, baseline mode, the
process sandbox) against a stand-in model server (benchmarks/support/stub_model_server.py) on a
free port; the embedded-server row kills a real llama-server serving the smoke model.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.support.batch_cli import batch_args, cli, cli_env, tally, wait_records
from benchmarks.support.faults_sandbox import bwrap_gone, docker_killed, sandbox_error_batch
from benchmarks.support.stub_model_server import launch as stub
from serving.embedded import free_port

REPO = Path(__file__).resolve().parents[1]

ROWS: list[tuple[str, str, str, str, str]] = []  # one per fault: the table's columns


def batch(out: Path, url: str, n: int, env: dict) -> subprocess.Popen:
    """`codeloop batch` of `n` HumanEval tasks against `url`, writing to `out`, started."""
    return cli(*batch_args(out, url, n), env=env)


def seen(proc_stderr: str, code: int) -> str:
    """What the user saw: the exit code and the first error/warning line (flagging a traceback)."""
    lines = [line for line in proc_stderr.splitlines() if line.startswith(("error:", "warning:"))]
    tb = " + TRACEBACK" if "Traceback" in proc_stderr else ""
    return f"exit {code}: `{(lines[0] if lines else '(no message)')[:230]}`{tb}"


def server_not_ours(env: dict, work: Path) -> None:
    """A --base-url server killed mid-batch: the batch stops with exit 1; a rerun resumes."""
    n, port, out = 8, free_port(), work / "lost"
    url = f"http://127.0.0.1:{port}/v1"
    server = stub(port, 0.3)
    proc = batch(out, url, n, env)
    wait_records(out, 2, timeout=120)
    server.kill()
    killed = time.monotonic()
    _, err = proc.communicate()
    told = time.monotonic() - killed
    server = stub(port)
    start = time.monotonic()
    again = batch(out, url, n, env)
    again.communicate()
    server.kill()
    lost, dup = tally(out, n)
    ROWS.append(("--base-url server killed (kill -9) mid-batch", seen(err, proc.returncode), str(lost), str(dup),
                 f"error after {told:.1f} s (client retries); rerun once it is back: {time.monotonic() - start:.1f} s"))


def torn_line(env: dict, work: Path) -> None:
    """A crash mid-append left half a last line: the resumed batch redoes that task."""
    n, port, out = 4, free_port(), work / "torn"
    url = f"http://127.0.0.1:{port}/v1"
    server = stub(port)
    batch(out, url, n, env).communicate()
    path = out / "records.jsonl"
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:-1]) + lines[-1][: len(lines[-1]) // 2])
    start = time.monotonic()
    again = batch(out, url, n, env)
    _, err = again.communicate()
    server.kill()
    lost, dup = tally(out, n)
    ROWS.append(("torn last line (crash mid-append), then resume", seen(err, again.returncode), str(lost), str(dup),
                 f"resume redid the torn task: {time.monotonic() - start:.1f} s"))


def disk(env: dict, work: Path) -> None:
    """The run directory's disk fills up, then turns read-only (a 64 KiB tmpfs; root only)."""
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
        full = batch(out, url, n, env)
        _, err = full.communicate()
        torn = not (out / "records.jsonl").read_bytes().endswith(b"\n")
        saw_full = seen(err, full.returncode) + (" TORN LINE LEFT" if torn else "")
        (mount / "filler").unlink()
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        ro = batch(out, url, n, env)
        _, err = ro.communicate()
        saw_ro = seen(err, ro.returncode)
        subprocess.run(["mount", "-o", "remount,rw", str(mount)], check=True)
        start = time.monotonic()
        batch(out, url, n, env).communicate()
        lost, dup = tally(out, n)
        took = time.monotonic() - start
    finally:
        server.kill()
        subprocess.run(["umount", "-l", str(mount)], check=False)
    ROWS.append(("disk full mid-batch (64 KiB tmpfs)", saw_full, str(lost), str(dup), f"rerun with space: {took:.1f} s"))
    ROWS.append(("read-only run dir", saw_ro, "0", "0", "rerun once writable (same row above)"))


def checkpoints() -> None:
    """Two tasks on one checkpoint file without a thread id: B must not get A's answer."""
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
    """The embedded llama-server (smoke model) killed mid-request: restarted, the call retried."""
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
    """Inject every fault and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data" / "benchmarks"))
    parser.add_argument("--skip-smoke", action="store_true", help="Skip the row that needs the smoke model.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="codeloop-faults-") as tmp:
        work = Path(tmp)
        env = cli_env(work / "cache", args.data_dir)
        if not args.skip_smoke:
            embedded_killed()
        server_not_ours(env, work)
        ROWS.extend(docker_killed() + bwrap_gone() + sandbox_error_batch(args.data_dir, work))
        checkpoints()
        disk(env, work)
        torn_line(env, work)
    print("| fault injected | what the user saw | records lost | duplicated | time to recover |")
    print("|---|---|---|---|---|")
    for row in ROWS:
        print("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")


if __name__ == "__main__":
    main()
