"""Each attempt of a permutation run's latest.npz: its fuzzy error on involutions and on the
other permutations.

At n = 2 every permutation is an involution (P[P[i]] = i), and at n = 3 four of the six are.
On an involution, gathering (cell 1+i := A[P[i]], the task) and scattering (cell 1+P[j] :=
A[j]) give the same memory, and so do the programs that branch on P's values. An attempt much
better on the involutions than on the rest at n = 3 has learnt one of those, not the gather.
Scores the model on permutation itself (the paper's layout), whatever task the run trained on.

    python experiments/permutation_involutions.py RUN [--examples 400] [--plugin FILE]
"""

from __future__ import annotations

import argparse

import numpy as np

from nram import use_single_threaded_xla

use_single_threaded_xla()

from nram import checkpoint, evaluate, tasks, train  # noqa: E402
from nram.machine import Numerics  # noqa: E402
from nram.rundir import RunDirectory  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("run")
parser.add_argument("--examples", type=int, default=400)
parser.add_argument("--sizes", default="2,3,4", help="comma-separated n")
parser.add_argument("--plugin", action="append", default=[], help="plugin files the run used")
parser.add_argument("--seed", type=int, default=7)
args = parser.parse_args()

config = RunDirectory(args.run).read_config(args.plugin)
permutation = tasks.get("permutation")
numerics = Numerics(activation_clip=None, renormalise=config.numerics.renormalise)
header = checkpoint.read_header(RunDirectory(args.run).checkpoint("latest"))
levels = [attempt["curriculum"]["level"] for attempt in header["attempts"]]
sizes = [int(n) for n in args.sizes.split(",")]

# The same examples for every attempt.
batches = {
    n: permutation.sample_batch(
        np.random.default_rng(args.seed), np.full(args.examples, n), config.memory_size
    )
    for n in sizes
}
involution = {
    n: np.array([all(row[row[i]] == i for i in range(n)) for row in batch.memory[:, 1 : n + 1]])
    for n, batch in batches.items()
}
print(
    "examples, involutions / the others: "
    + ", ".join(f"n = {n}: {involution[n].sum()} / {(~involution[n]).sum()}" for n in sizes)
)
for index, level in enumerate(levels):
    model, _ = train.load_model(args.run, "latest", args.plugin, attempt=index)
    cells = []
    for n, batch in batches.items():
        horizons = np.full(args.examples, config.horizon(n), dtype=np.int32)
        wrong = evaluate.wrong_cells_per_example(
            model, batch, horizons, discrete=False, numerics=numerics
        )
        error = wrong / n
        others = f"{error[~involution[n]].mean():.2f}" if (~involution[n]).any() else "   -"
        cells.append(f"n = {n}: {error[involution[n]].mean():.2f} / {others}")  # fuzzy error
    print(f"attempt {index:>2} (level {level:>2}): " + "   ".join(cells), flush=True)
