"""The sandbox rows of the fault table (benchmarks/faults.py): the docker backend's container
removed mid-run and its engine gone, the bwrap binary removed, a sandbox that fails for one
task of a batch. Each function returns its rows (fault, what the user saw, records lost,
duplicated, time to recover)."""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from eval.runstore import read_records

Row = tuple[str, str, str, str, str]


def docker_killed() -> list[Row]:
    """The docker backend's container removed mid-run, then its engine unreachable."""
    rows: list[Row] = []
    from sandbox import Limits, make_sandbox, probe

    if probe("docker"):
        return [("docker container killed mid-run", f"not measured: {probe('docker')}", "-", "-", "-")]
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
        rows.append(("docker container removed (`docker rm -f`) mid-run", f"run ok={res[0].ok}, "
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
        rows.append(("docker engine unreachable (dockerd down, simulated)", saw, "0", "0", "next record, after one retry"))
    finally:
        box.close()
    return rows


def bwrap_gone() -> list[Row]:
    """The bwrap binary removed between runs: found again on PATH, else a sandbox error."""
    rows: list[Row] = []
    from sandbox import Limits, SandboxUnavailable, make_sandbox, probe

    if probe("bwrap"):
        return [("bwrap binary gone mid-run", f"not measured: {probe('bwrap')}", "-", "-", "-")]
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
    rows.append(("bwrap binary removed mid-run (another on PATH)", f"run ok={res.ok}, found again at {found}",
                 "0", "0", "next run (one PATH lookup)"))
    rows.append(("bwrap binary removed, none left on PATH", saw + " → record status sandbox-error, batch goes on",
                 "0", "0", "-"))
    return rows


def sandbox_error_batch(data_dir: str, work: Path) -> list[Row]:
    """A sandbox that fails for one task mid-batch: a sandbox-error record, retried by a rerun."""
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
            """The process sandbox's run, except for the second call."""
            self.calls += 1
            if self.calls == 2:
                raise SandboxUnavailable("bwrap disappeared (simulated)")
            return self.inner.run(files, command, limits)

        def close(self) -> None:
            """Close the process sandbox."""
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
    return [("sandbox fails for one task mid-batch", f"{first.new_records} records, statuses {statuses}; batch "
             "went on (exit 1: 1 errored record)", str(lost), str(dup),
             f"rerun retried the errored one: {time.monotonic() - start:.1f} s")]


def tally_effective(out: Path, n: int) -> tuple[int, int]:
    """(tasks without an ok record, duplicates) over the run's effective (latest) records."""
    effective = read_records(out).effective()
    ok = [r for r in effective if r["exit_status"] == "ok"]
    return n - len(ok), len(effective) - len({(r["task_id"], r["sample"]) for r in effective})
