"""Time and peak memory of the integer machine on Copy at difficulty 1,000 / 10,000 / 100,000,
and how the cost grows with M.

    python benchmarks/discrete.py                 # the paper's Copy circuit, written by hand
    python benchmarks/discrete.py --run RUN_DIR   # a trained run (M and T scaled as in eval)

Per difficulty n: M = evaluate.memory_size_for(config, n), T = config.horizon(n); one example
is sampled, then run (the run alone is timed; sampling is not). Peak memory is tracemalloc's
peak during the run: the Python list of M ints dominates it. The second table holds the
number of steps fixed and grows M: time per step must stay flat (no O(M) or O(M^2) per step).
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np

from nram import config as configuration
from nram import discrete, evaluate, program, tasks
from nram.modules import PAPER_MODULES, sequence

PAPER_COPY = """
when r1 = 0, r2 = 0, r3 = 0, r4 = 0:
  r2 <- DEC(READ(r4));  r4 <- ONE;  WRITE(ADD(r4, r2), READ(r4))
otherwise:
  r3 <- r4;  r4 <- MIN(INC(r3), r2);  WRITE(ADD(r4, r2), READ(r4))
"""


def hand_built() -> tuple[discrete.NRAM, configuration.TrainConfig]:
    config = configuration.resolve(
        "copy", assignments=["machine.width=16", "horizon.scale=2", "horizon.offset=1"]
    )
    table = program.parse(PAPER_COPY, sequence(PAPER_MODULES), 4)
    return discrete.mlp_model(table, config.machine), config


def measure(machine: discrete.IntegerMachine, memory: list[int], horizon: int):
    """(execution, seconds, peak bytes): timed without tracemalloc (it slows Python down
    several-fold), then run again under it for the peak."""
    start = time.perf_counter()
    execution = machine.run(memory, horizon)
    seconds = time.perf_counter() - start
    tracemalloc.start()
    machine.run(memory, horizon)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return execution, seconds, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", help="a trained run directory (default: the paper's circuit)")
    parser.add_argument("--difficulty", type=int, action="append")
    args = parser.parse_args()
    if args.run:
        from nram import train

        model, config = train.load_model(args.run)
        source = f"trained run {args.run}"
    else:
        model, config = hand_built()
        source = "the paper's Copy circuit (hand-written)"
    task = tasks.get(config.task)
    machine = discrete.IntegerMachine.of(model)
    print(f"{config.task}: {source}, {config.machine.controller} controller")
    print(
        f"{'n':>8} {'M':>8} {'T':>8} {'steps':>8} {'seconds':>8} {'us/step':>8} "
        f"{'peak MiB':>9} {'solved':>7}"
    )
    rng = np.random.default_rng(0)
    for n in args.difficulty or [1_000, 10_000, 100_000]:
        size, horizon = evaluate.memory_size_for(config, n), config.horizon(n)
        example = task.sample(rng, n, size)
        execution, seconds, peak = measure(machine, example.memory.tolist(), horizon)
        final = np.array(execution.memory)
        right = np.array_equal(final[example.mask], example.target[example.mask])
        print(
            f"{n:>8,} {size:>8,} {horizon:>8,} {execution.steps:>8,} {seconds:>8.3f} "
            f"{1e6 * seconds / execution.steps:>8.2f} {peak / 2**20:>9.1f} {str(right):>7}"
        )

    # Fixed work, growing memory: one difficulty-100,000 example in ever larger memories.
    # A run copies its input memory (O(M)); a one-step run measures that, and the rest,
    # divided by the steps, is the cost of a step: flat in M.
    print("\nsame work (one difficulty-100,000 example), growing M:")
    print(f"{'M':>10} {'steps':>6} {'seconds':>8} {'setup s':>8} {'us/step':>8} {'peak MiB':>9}")
    example = task.sample(rng, 100_000, task.min_memory(100_000))
    horizon = config.horizon(100_000)
    for size in (task.min_memory(100_000), 1_000_000, 5_000_000):
        memory = example.memory.tolist() + [0] * (size - example.memory.size)
        execution, _, peak = measure(machine, memory, horizon)
        seconds = min(timed(machine, memory, horizon) for _ in range(3))
        setup = min(timed(machine, memory, 1) for _ in range(3))
        per_step = 1e6 * (seconds - setup) / max(execution.steps - 1, 1)
        print(
            f"{size:>10,} {execution.steps:>6,} {seconds:>8.4f} {setup:>8.4f} {per_step:>8.2f} "
            f"{peak / 2**20:>9.1f}"
        )


def timed(machine: discrete.IntegerMachine, memory: list[int], horizon: int) -> float:
    start = time.perf_counter()
    machine.run(memory, horizon)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
