"""What a user waits for at the repo doors, per source tree, side by side; prints a markdown table.

    .venv/bin/python -m benchmarks.door_latency [--runs 10] [--sandbox bwrap] [--tree OLD_TREE] [--tree .]

Each tree is a codeloop source checkout (e.g. `git archive COMMIT | tar -x -C /tmp/old`)
run with this venv's dependencies: the CLI is started as `python -c 'from apps.cli import main'`
with the tree first on PYTHONPATH. In one throwaway git repository (a module and ten pytest
tests) it times, as subprocesses, `codeloop config` (start-up and configuration) and
`codeloop test` (git listing, the sandboxed pytest run, the report). Runs of the trees are
interleaved so a busy neighbour slows all of them alike. The repo-safety work (issue 28)
must not make these slower in a way a user notices.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MODULE = "def add(a, b):\n    return a + b\n"
TESTS = "from calc import add\n\n" + "\n".join(
    f"def test_add_{i}():\n    assert add({i}, 1) == {i + 1}\n" for i in range(10))
CLI = "import sys; sys.argv[0] = 'codeloop'; from apps.cli import main; main()"


def make_repo(root: Path) -> Path:
    """A committed git repository with calc.py and ten passing tests."""
    repo = root / "repo"
    repo.mkdir()
    (repo / "calc.py").write_text(MODULE)
    (repo / "test_calc.py").write_text(TESTS)
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost"]
    for args in (["init", "-q"], ["add", "."], ["commit", "-qm", "start"]):
        subprocess.run([*git, *args], cwd=repo, check=True)
    return repo


def timed(tree: Path, repo: Path, args: list[str], env: dict[str, str]) -> float:
    """Wall seconds of one CLI run from `tree` in `repo` (a failed run stops the benchmark)."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", CLI, *args], cwd=repo, capture_output=True, text=True,
                          env=env | {"PYTHONPATH": str(tree)})
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{tree}: codeloop {' '.join(args)} exited {done.returncode}: {done.stderr.strip()[-300:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", action="append", type=Path, help="a codeloop source tree (repeat; default: this one)")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--sandbox", default="auto")
    opts = parser.parse_args()
    trees = [t.resolve() for t in (opts.tree or [Path(__file__).resolve().parents[1]])]
    doors = {"config": ["config"], "test": ["test", "--sandbox", opts.sandbox]}
    with tempfile.TemporaryDirectory() as tmp:
        repo = make_repo(Path(tmp))
        # the user's own config stays out of it; the sandbox and cache settings stay the machine's
        env = os.environ | {"XDG_CONFIG_HOME": str(Path(tmp) / "config")}
        times: dict[tuple[str, Path], list[float]] = {(d, t): [] for d in doors for t in trees}
        for tree in trees:  # warm-up: imports compiled, sandbox image in the page cache
            for args in doors.values():
                timed(tree, repo, args, env)
        for _ in range(opts.runs):
            for door, args in doors.items():
                for tree in trees:
                    times[(door, tree)].append(timed(tree, repo, args, env))
    print("| door | tree | runs | median s | p90 s | vs first tree |\n|---|---|---|---|---|---|")
    for door in doors:
        first = statistics.median(times[(door, trees[0])])
        for tree in trees:
            values = sorted(times[(door, tree)])
            median = statistics.median(values)
            p90 = values[min(len(values) - 1, round(0.9 * len(values)) - 1)]
            print(f"| `codeloop {' '.join(doors[door])}` | {tree} | {len(values)} | {median:.3f} | {p90:.3f} "
                  f"| {median / first:.2f}× |")


if __name__ == "__main__":
    main()
