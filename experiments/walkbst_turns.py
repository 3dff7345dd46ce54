"""A walkbst model's fuzzy and discretised error by the number of turns on the path.

Samples `--examples` fresh examples at each difficulty 3..n_max in the training memory, runs
the model (best.npz by default) on them, and prints the error for each path length k (the
turns d_1..d_k before the path's 0): a program that follows the path in a loop is as right at
k = 5 as at k = 1; one that has learnt a few turns unrolled is not. With `--all-attempts`,
one row per attempt of latest.npz (each at its curriculum level), fuzzy only.

    python experiments/walkbst_turns.py RUN --checkpoint latest
    python experiments/walkbst_turns.py RUN --all-attempts
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
parser.add_argument("--all-attempts", action="store_true")
parser.add_argument("--plugin", action="append", default=[], help="plugin files the run used")
parser.add_argument("--examples", type=int, default=250)
parser.add_argument("--seed", type=int, default=5)
args = parser.parse_args()

config = RunDirectory(args.run).read_config(args.plugin)
difficulties = np.repeat(np.arange(3, config.max_difficulty + 1), args.examples).astype(np.int32)
# Always real walkbst, whatever variant the run trained on (the same layout and machine).
batch = tasks.get("walkbst").sample_batch(
    np.random.default_rng(args.seed), difficulties, config.memory_size
)
horizons = np.array([config.horizon(int(n)) for n in difficulties], np.int32)
numerics = Numerics(activation_clip=None, renormalise=config.numerics.renormalise)
turns = np.argmax(batch.memory[:, PATH_START:] == 0, axis=1)
lengths = np.unique(turns)


def errors(model: train.NRAM, discrete: bool) -> np.ndarray:
    """Wrong cells of each example (walkbst scores one)."""
    return evaluate.wrong_cells_per_example(
        model, batch, horizons, discrete=discrete, numerics=numerics
    )


if args.all_attempts:
    path = RunDirectory(args.run).checkpoint("latest")
    levels = [a["curriculum"]["level"] for a in checkpoint.read_header(path)["attempts"]]
    print("fuzzy error by turns k = " + " ".join(f"{k:>5}" for k in lengths) + "    all")
    for index, level in enumerate(levels):
        model, _ = train.load_model(args.run, "latest", args.plugin, attempt=index)
        wrong = errors(model, discrete=False)
        by_turns = " ".join(f"{wrong[turns == k].mean():5.2f}" for k in lengths)
        print(f"attempt {index:>2} (level {level:>2}):     {by_turns}  {wrong.mean():5.3f}")
else:
    model, _ = train.load_model(args.run, args.checkpoint, args.plugin)
    fuzzy, discrete = errors(model, discrete=False), errors(model, discrete=True)
    print(f"{'turns':>5} {'examples':>8} {'fuzzy':>7} {'discretised':>11}")
    for k in lengths:
        chosen = turns == k
        print(
            f"{k:>5} {int(chosen.sum()):>8} {fuzzy[chosen].mean():>7.3f} "
            f"{discrete[chosen].mean():>11.3f}"
        )
    print(f"{'all':>5} {turns.size:>8} {fuzzy.mean():>7.3f} {discrete.mean():>11.3f}")
