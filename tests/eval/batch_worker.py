"""A batch run in a child process, for the kill -9 test: FakeLLM answers, a slow model.

Usage: python batch_worker.py RUN_DIR GT_CACHE N_PROBLEMS SAMPLES
"""

import sys
import time
from pathlib import Path

from eval.baseline import make_baseline_solver
from eval.batch import BatchConfig, run_batch
from eval.evaluate import Evaluator
from eval.problems import load_benchmark
from sandbox import make_sandbox
from serving.fake import FakeLLM


class SlowFake(FakeLLM):
    """FakeLLM that takes a moment per call, so a kill lands mid-batch."""

    def complete(self, messages, **kwargs):
        time.sleep(0.05)
        return super().complete(messages, **kwargs)


def main() -> None:
    run_dir, cache, n, samples = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    problems = load_benchmark("humaneval")[:n]
    # Every call gets a correct answer for *some* problem; the test checks records, not verdicts.
    outputs = [f"```python\n{p.prompt}{p.canonical_solution}```" for p in problems for _ in range(samples)]
    box = make_sandbox("process")
    run_batch(problems, make_baseline_solver(SlowFake(outputs)), run_dir, Evaluator(box, cache_dir=cache),
              BatchConfig("humaneval", "baseline", samples), workers=2)
    box.close()


if __name__ == "__main__":
    main()
