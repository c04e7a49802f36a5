"""A real Ray cluster on this machine for tests and benchmarks: a head node plus more
`ray start --address ...` nodes, each its own raylet with small resources.

Every node is started in a new session, so its daemons (raylet, agents, the workers the
raylet starts) share one process group: a node is killed by that group's id, never by name
(`ray stop` would end every Ray process of the user). Ports stay clear of 8765-8799: the
head listens on `port`, workers use their own range, the rest are ephemeral.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

RAY = Path(sys.executable).with_name("ray")


@dataclass
class Node:
    """One `ray start` process group."""

    name: str
    pgid: int

    def raylet_pid(self) -> int | None:
        """The raylet of this node (None once it is gone)."""
        out = subprocess.run(["pgrep", "-g", str(self.pgid), "-f", "raylet/raylet"], capture_output=True, text=True)
        pids = out.stdout.split()
        return int(pids[0]) if pids else None

    def kill_raylet(self) -> None:
        """kill -9 the node's raylet: to the cluster the node is gone."""
        pid = self.raylet_pid()
        if pid is not None:
            os.kill(pid, signal.SIGKILL)

    def stop(self) -> None:
        """End every process of this node: its process group, and the workers its raylet
        started (they run in process groups of their own)."""
        raylet = self.raylet_pid()
        workers = subprocess.run(["pgrep", "-P", str(raylet)], capture_output=True, text=True).stdout.split() \
            if raylet else []
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for pid in map(int, workers):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, sig)
            try:
                os.killpg(self.pgid, sig)
            except ProcessLookupError:
                return
            time.sleep(1.0)


@dataclass
class LocalCluster:
    """Head plus worker nodes on loopback; `address` is what `--ray` takes."""

    port: int
    env: dict
    temp_dir: Path
    nodes: list[Node] = field(default_factory=list)
    _next_worker_port: int = 0

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _start(self, name: str, args: list[str]) -> Node:
        first = self._next_worker_port
        self._next_worker_port += 100
        common = ["--node-ip-address", "127.0.0.1", "--num-cpus", "1", "--object-store-memory", str(80 * 2**20),
                  "--min-worker-port", str(first), "--max-worker-port", str(first + 99),
                  "--dashboard-agent-listen-port", str(first - 1), "--disable-usage-stats"]
        # ray start returns once the node's daemons run; they keep its process group
        proc = subprocess.Popen([str(RAY), "start", *args, *common], env=self.env, start_new_session=True,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        output, _ = proc.communicate(timeout=180)
        node = Node(name, proc.pid)
        self.nodes.append(node)
        if proc.returncode != 0:
            raise RuntimeError(f"ray start ({name}) failed: {output[-2000:]}")
        return node

    def start_head(self) -> Node:
        return self._start("head", ["--head", "--port", str(self.port), "--temp-dir", str(self.temp_dir),
                                    "--include-dashboard", "false", "--dashboard-port", str(self.port + 1)])

    def add_node(self, name: str) -> Node:
        """Another raylet joining the head: a second "machine"."""
        return self._start(name, ["--address", self.address])

    def wait_for_nodes(self, count: int, timeout_s: float = 60.0) -> None:
        """Until `count` nodes are alive (a node registers shortly after `ray start` returns)."""
        probe = ("import ray,sys; ray.init(address=sys.argv[1], logging_level='ERROR'); "
                 "print(sum(n['Alive'] for n in ray.nodes()))")
        deadline = time.monotonic() + timeout_s
        seen = ""
        while time.monotonic() < deadline:
            out = subprocess.run([sys.executable, "-c", probe, self.address], env=self.env, capture_output=True,
                                 text=True, timeout=120)
            seen = out.stdout.strip().splitlines()[-1:] or out.stderr.strip().splitlines()[-1:]
            if out.stdout.strip().isdigit() and int(out.stdout.strip()) >= count:
                return
            time.sleep(1.0)
        raise RuntimeError(f"the Ray cluster did not reach {count} live nodes (last probe: {seen})")

    def stop(self) -> None:
        """Stop every node this cluster started, newest first, and remove its temp dir."""
        for node in reversed(self.nodes):
            node.stop()
        shutil.rmtree(self.temp_dir, ignore_errors=True)


def start_cluster(nodes: int = 2, *, port: int = 6391, worker_ports: int = 20000, extra_env: dict | None = None,
                  pythonpath: list[Path] = ()) -> LocalCluster:
    """A head plus `nodes - 1` worker nodes. `pythonpath`: folders every node's workers can
    import from (e.g. a test's --llm factory module)."""
    # A short temp dir: Ray's unix socket paths must stay under ~107 characters.
    temp_dir = Path(tempfile.mkdtemp(prefix="clray", dir="/tmp"))
    # loopback only: no token authentication (Ray turns it on when ~/.ray/auth_token exists)
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0", RAY_AUTH_MODE="disabled", **(extra_env or {}))
    env["PYTHONPATH"] = os.pathsep.join([*map(str, pythonpath), env.get("PYTHONPATH", "")]).strip(os.pathsep)
    cluster = LocalCluster(port, env, temp_dir, _next_worker_port=worker_ports)
    try:
        cluster.start_head()
        for i in range(1, nodes):
            cluster.add_node(f"node{i}")
        cluster.wait_for_nodes(nodes)
    except BaseException:
        cluster.stop()
        raise
    return cluster
