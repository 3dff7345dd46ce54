"""A walkbst model's fuzzy and discretised error by the number of turns on the path.

Samples `--examples` fresh examples at each difficulty 3..n_max in the training memory, runs
the model (best.npz by default) on them, and prints the error for each path length k (the
turns d_1..d_k before the path's 0): a program that follows the path in a loop is as right at
k = 5 as at k = 1; one that has learnt a few turns unrolled is not. With `--all-attempts`,
one row per attempt of latest.npz (each at its curriculum level), fuzzy only. `--extra-steps
E,...` runs the examples for T(n) + E steps instead of the run's T(n), one table per E: a loop
cut short by the horizon is wrong on the longest paths at E = 0 and right once it has the
steps; a program of a few unrolled turns stays wrong. `--by-size` prints the fuzzy error by
difficulty n (rows) and turns k (columns) instead, where a loop cut short shows as a staircase:
wrong exactly where T(n) is too short for k turns.

    python experiments/walkbst_turns.py RUN --checkpoint latest
    python experiments/walkbst_turns.py RUN --all-attempts
    python experiments/walkbst_turns.py RUN --extra-steps 0,2,4
    python experiments/walkbst_turns.py RUN --by-size
"""

from __future__ import annotations

import argparse

import numpy as np

from nram import use_single_threaded_xla

use_single_threaded_xla()

from nram import checkpoint, evaluate, tasks, train  # noqa: E402
from nram.machine import Numerics  # noqa: E402
from nram.rundir import RunDirectory  # noqa: E402
from nram.tasks.walkbst import PATH_START  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("run")
parser.add_argument("--checkpoint", default="best")
kind = parser.add_mutually_exclusive_group()
kind.add_argument("--all-attempts", action="store_true")
kind.add_argument("--by-size", action="store_true", help="fuzzy error by n and turns")
parser.add_argument("--plugin", action="append", default=[], help="plugin files the run used")
parser.add_argument("--examples", type=int, default=250)
parser.add_argument("--seed", type=int, default=5)
parser.add_argument("--extra-steps", default="0", help="comma-separated steps added to T(n)")
args = parser.parse_args()

config = RunDirectory(args.run).read_config(args.plugin)
difficulties = np.repeat(np.arange(3, config.max_difficulty + 1), args.examples).astype(np.int32)
# Always real walkbst, whatever variant the run trained on (the same layout and machine).
batch = tasks.get("walkbst").sample_batch(
    np.random.default_rng(args.seed), difficulties, config.memory_size
)
horizons = np.array([config.horizon(int(n)) for n in difficulties], np.int32)
extra_steps = [int(extra) for extra in args.extra_steps.split(",")]
numerics = Numerics(activation_clip=None, renormalise=config.numerics.renormalise)
turns = np.argmax(batch.memory[:, PATH_START:] == 0, axis=1)
lengths = np.unique(turns)


def errors(model: train.NRAM, discrete: bool, extra: int) -> np.ndarray:
    """Wrong cells of each example (walkbst scores one), run for T(n) + extra steps."""
    return evaluate.wrong_cells_per_example(
        model, batch, horizons + extra, discrete=discrete, numerics=numerics
    )


if args.all_attempts:  # every attempt of latest.npz, each at its curriculum level
    header = checkpoint.read_header(RunDirectory(args.run).checkpoint("latest"))
    levels = [attempt["curriculum"]["level"] for attempt in header["attempts"]]
    models = [
        train.load_model(args.run, "latest", args.plugin, attempt=index)[0]
        for index in range(len(levels))
    ]
else:
    model, _ = train.load_model(args.run, args.checkpoint, args.plugin)
for extra in extra_steps:
    if len(extra_steps) > 1:
        print(f"T(n) + {extra} steps:")
    if args.all_attempts:
        print("fuzzy error by turns k = " + " ".join(f"{k:>5}" for k in lengths) + "    all")
        for index, (level, model) in enumerate(zip(levels, models, strict=True)):
            wrong = errors(model, discrete=False, extra=extra)
            by_turns = " ".join(f"{wrong[turns == k].mean():5.2f}" for k in lengths)
            print(f"attempt {index:>2} (level {level:>2}):     {by_turns}  {wrong.mean():5.3f}")
    elif args.by_size:
        wrong = errors(model, discrete=False, extra=extra)
        print("fuzzy error, n \\ k " + " ".join(f"{k:>5}" for k in lengths) + "   steps")
        for n in np.unique(difficulties):
            cells = [wrong[(difficulties == n) & (turns == k)] for k in lengths]
            row = " ".join(f"{c.mean():5.2f}" if c.size else "    -" for c in cells)
            print(f"{n:>17}   {row}  {config.horizon(int(n)) + extra:>5}")
    else:
        fuzzy = errors(model, discrete=False, extra=extra)
        discrete = errors(model, discrete=True, extra=extra)
        print(f"{'turns':>5} {'examples':>8} {'fuzzy':>7} {'discretised':>11}")
        for k in lengths:
            chosen = turns == k
            print(
                f"{k:>5} {int(chosen.sum()):>8} {fuzzy[chosen].mean():>7.3f} "
                f"{discrete[chosen].mean():>11.3f}"
            )
        print(f"{'all':>5} {turns.size:>8} {fuzzy.mean():>7.3f} {discrete.mean():>11.3f}")
