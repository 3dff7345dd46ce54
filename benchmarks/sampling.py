"""How long batched sampling takes, per task, at the paper's training sizes.

For each task: a batch of 32 difficulties uniform over [min_difficulty, n_max], n_max from the
paper's Table 1, in memory_size = min_memory(n_max) + 2; prints the median microseconds per
``sample_batch`` call. A training step is ~5 ms at M = 12 and ~20 ms at M ~ 31, and data should
cost under 10% of it.

    python benchmarks/sampling.py [--batch-size 32] [--repeats 300]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from nram import tasks


def median_microseconds(
    task: tasks.Task, batch_size: int, memory_size: int, n_max: int, repeats: int
) -> float:
    rng = np.random.default_rng(0)
    timings = []
    for _ in range(repeats):
        difficulties = rng.integers(task.min_difficulty, n_max + 1, size=batch_size)
        start = time.perf_counter()
        task.sample_batch(rng, difficulties, memory_size)
        timings.append(time.perf_counter() - start)
    return float(np.median(timings) * 1e6)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=300)
    args = parser.parse_args()

    print(f"{'task':<12} {'n_max':>5} {'M':>4} {'median us/batch':>16}  (batch {args.batch_size})")
    for name in tasks.PAPER_TASKS:
        task = tasks.get(name)
        n_max = task.paper_max_difficulty
        memory_size = task.min_memory(n_max) + 2
        micros = median_microseconds(task, args.batch_size, memory_size, n_max, args.repeats)
        print(f"{name:<12} {n_max:>5} {memory_size:>4} {micros:>16.1f}")


if __name__ == "__main__":
    main()
