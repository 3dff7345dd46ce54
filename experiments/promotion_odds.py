"""How often the curriculum promotes a program that is wrong on a fixed share p of the examples
at its level: the real `Curriculum` with a task's settings, fed made-up errors.

A program wrong on each example at d = D with probability p, independently, is trained at
level D for up to `--batches` batches of the task's batch size; the curriculum's promotion
test (the pooled error of the last `window` batches' examples at d = D below `threshold`) is
checked after every batch, as in training. Printed per window and p: the share of `--trials`
such programs promoted within the budget, and the median number of batches it took.

    python experiments/promotion_odds.py walkbst --level 4 --windows 10,50
    python experiments/promotion_odds.py walkbst --set batch_size=32

The test pools about window x batch_size x (share of the batch at d = D) examples, 60 at
walkbst's defaults, and is retried after every batch, so a program well above the threshold
passes it by chance sooner or later.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

import numpy as np

from nram import config as nram_config
from nram import tasks
from nram.curriculum import Curriculum

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("task")
parser.add_argument("--level", type=int, default=4, help="the level D the program sits at")
parser.add_argument("--windows", default="10,50", help="comma-separated curriculum.window values")
parser.add_argument("--errors", default="0.02,0.04,0.06,0.085,0.12,0.15,0.2")
parser.add_argument("--batches", type=int, default=3000, help="budget, in batches")
parser.add_argument("--trials", type=int, default=200)
parser.add_argument("--set", action="append", default=[], dest="assignments")
parser.add_argument("--plugin", action="append", default=[], help="plugin files to load")
args = parser.parse_args()

config = nram_config.resolve(args.task, assignments=args.assignments, plugins=args.plugin)
low = tasks.get(config.task).min_difficulty


def batches_to_promote(error: float, window: int, trial: int) -> int | None:
    """Batches until promotion of a program wrong with probability `error` per example."""
    rng = np.random.default_rng(trial)
    curriculum = Curriculum(
        replace(config.curriculum, window=window), low, config.max_difficulty, level=args.level
    )
    for batch in range(1, args.batches + 1):
        difficulties = curriculum.sample(rng, config.batch_size)
        errors = (rng.random(config.batch_size) < error).astype(np.float64)
        if curriculum.record(difficulties, errors):
            return batch
    return None


print(
    f"{args.task}: batch {config.batch_size}, threshold {config.curriculum.threshold}, "
    f"level {args.level}, {args.trials} programs per row, {args.batches} batches each"
)
print("| window | error p at d = D | promoted | median batches to promotion |")
print("|---|---|---|---|")
for window in (int(w) for w in args.windows.split(",")):
    for error in (float(p) for p in args.errors.split(",")):
        taken = [batches_to_promote(error, window, trial) for trial in range(args.trials)]
        promoted = [batches for batches in taken if batches is not None]
        median = f"{np.median(promoted):.0f}" if promoted else "-"
        print(f"| {window} | {error:g} | {len(promoted) / args.trials:.2f} | {median} |")
