"""Attempt-steps per second with K attempts side by side (`parallel_attempts`), per task.

The whole of `Trainer.step` (each attempt's batch sampled, the one jitted step over the K
attempts, the metric sync and each attempt's curriculum update), at a task's defaults with
only `parallel_attempts` changed. Compilation is excluded (a warm-up runs first). The
variants are timed in turn, round after round, and each one's fastest round is reported, as
the machine drifts between a fast and a slow regime (docs/speed.md).

    python benchmarks/attempts.py [--task swap] [--attempts 1,4,8,16,32] [--steps 100]
"""

from __future__ import annotations

import argparse
import tempfile
import time

from nram import use_single_threaded_xla

use_single_threaded_xla()

from nram import config, train  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--task", default="swap")
parser.add_argument("--attempts", default="1,4,8,16,32")
parser.add_argument("--steps", type=int, default=100)
parser.add_argument("--rounds", type=int, default=3)
args = parser.parse_args()

counts = [int(count) for count in args.attempts.split(",")]
trainers = {}
with tempfile.TemporaryDirectory() as root:
    for count in counts:
        resolved = config.resolve(args.task, assignments=[f"parallel_attempts={count}"])
        trainers[count] = train.Trainer(resolved, f"{root}/{count}")
        trainers[count].step()  # compiles
    fastest = {count: float("inf") for count in counts}
    for _ in range(args.rounds):
        for count, trainer in trainers.items():
            start = time.perf_counter()
            for _ in range(args.steps):
                trainer.step()
            fastest[count] = min(fastest[count], (time.perf_counter() - start) / args.steps)

header = f"{'attempts':>8} {'ms/step':>8} {'steps/s':>8} {'attempt-steps/s':>16} {'gain':>6}"
print(f"{args.task}: {header}")
for count in counts:
    seconds = fastest[count]
    gain = (count / seconds) / (counts[0] / fastest[counts[0]])
    print(
        f"{'':{len(args.task) + 1}} {count:>8} {1e3 * seconds:>8.2f} {1 / seconds:>8.1f} "
        f"{count / seconds:>16.0f} {gain:>5.2f}x"
    )
