"""Each attempt of a run's latest.npz: its fuzzy error at every training difficulty.

For runs that train attempts side by side (`parallel_attempts` > 1): one row per attempt,
its curriculum level, and its fuzzy error on `--examples` fresh examples at each difficulty
min..n_max (the training memory and horizon). A program right at one size and wrong at the
others shows as one low number in a row; a loop, as a row of zeros. Works with or without
the curriculum, so runs with and without it compare on the same footing.

    python experiments/attempt_sizes.py RUN [--examples 100] [--plugin FILE]
"""

from __future__ import annotations

import argparse

import numpy as np

from nram import use_single_threaded_xla

use_single_threaded_xla()

from nram import checkpoint, evaluate, tasks, train  # noqa: E402
from nram.rundir import RunDirectory  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("run")
parser.add_argument("--examples", type=int, default=100)
parser.add_argument("--plugin", action="append", default=[], help="plugin files the run used")
parser.add_argument("--seed", type=int, default=5)
args = parser.parse_args()

config = RunDirectory(args.run).read_config(args.plugin)
difficulties = list(range(tasks.get(config.task).min_difficulty, config.max_difficulty + 1))
header = checkpoint.read_header(RunDirectory(args.run).checkpoint("latest"))
levels = [attempt["curriculum"]["level"] for attempt in header["attempts"]]
print("fuzzy error at n =      " + " ".join(f"{n:>5}" for n in difficulties) + "   mean")
for index, level in enumerate(levels):
    model, _ = train.load_model(args.run, "latest", args.plugin, attempt=index)
    results = evaluate.measure(
        model,
        config,
        difficulties,
        examples=args.examples,
        discrete=False,
        rng=np.random.default_rng(args.seed),  # the same examples for every attempt
        memory_size=config.memory_size,
    )
    errors = [result.error for result in results]
    row = " ".join(f"{error:5.2f}" for error in errors)
    print(f"attempt {index:>2} (level {level:>2}): {row}  {np.mean(errors):5.3f}")
