"""Copies of one trained model, each perturbed, trained side by side: how many climb past it?

Loads a run's model (best.npz by default; of latest.npz, the leading attempt), makes
`--attempts` copies with Gaussian noise of standard deviation `--perturb` on every weight (a
different draw per copy; at 0 the copies differ only in their batches), starts each copy's
curriculum at `--level`, and trains them side by side with the run's settings (and any
`--set` on top) for `--steps` steps, without restarts or solved checks, each copy on its own
batches from the run's seed's data stream. Every `--every` steps it prints each copy's
curriculum level and its training error over those steps; at the end, the copies counted by
the highest level each reached. A diagnostic for restarting stuck attempts from the leader
(population-based training): if no copy of a stuck model climbs, copying it is no use.

At the top level, `--evaluate N` also gives each copy's fuzzy and discretised error at every
training difficulty on N fresh examples per difficulty, and whether it passes the solved
check, and the fuzzy error at each difficulty; `--hardened` makes the copies' controllers see
rounded inputs from the start (`numerics.harden_inputs`). `--plugin FILE` loads plugin tasks,
so that `--set task=NAME` can train the copies on another task of the same layout. Which
setting takes a model at the top lower:

    python experiments/clone_attempts.py RUN --level 3 --perturb 0.05 --steps 3000
    python experiments/clone_attempts.py RUN --checkpoint latest --level 10 --perturb 0 \\
        --attempts 8 --steps 2000 --evaluate 100 --set lr=1e-3

`--save DIR` keeps the copies as a run directory (latest.npz with every copy, best.npz with
the leading one), so that a copy can be trained on a third task in turn.
"""

from __future__ import annotations

import argparse
import tempfile
from collections import Counter

import numpy as np

from nram import use_single_threaded_xla

use_single_threaded_xla()

import jax  # noqa: E402

from nram import config as nram_config  # noqa: E402
from nram import evaluate, tasks, train  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("run")
parser.add_argument("--checkpoint", default="best")
parser.add_argument("--attempts", type=int, default=20)
parser.add_argument("--perturb", type=float, default=0.05)
parser.add_argument("--level", type=int, required=True)
parser.add_argument("--steps", type=int, default=3000)
parser.add_argument("--every", type=int, default=250)
parser.add_argument("--evaluate", type=int, default=0, metavar="N", help="examples per size")
parser.add_argument("--hardened", action="store_true")
parser.add_argument("--set", action="append", default=[], dest="assignments")
parser.add_argument("--plugin", action="append", default=[], help="plugin files to load")
parser.add_argument("--save", metavar="DIR", help="keep the copies as a run directory here")
args = parser.parse_args()

nram_config.load_plugins(args.plugin)
model, run_config = train.load_model(args.run, args.checkpoint)
fixed = [f"parallel_attempts={args.attempts}", "restart_after=0", f"steps={args.steps}"]
config = nram_config.override(run_config, assignments=fixed + args.assignments)


def perturbed(number: int) -> train.NRAM:
    """Copy `number` of the model: every weight plus noise of `--perturb`, its own draw."""
    return train.perturb(
        model, args.perturb, jax.random.fold_in(jax.random.key(config.seed), number)
    )


def sampling_and_keeping(trainer: train.Trainer, kept: list[tasks.Batch]) -> None:
    """The trainer samples as before, and keeps its last batches (for their masks) in
    `kept`."""
    sample = trainer.sample

    def sample_and_keep() -> tuple[list[tasks.Batch], train.StepBatch]:
        batches, stacked = sample()
        kept[:] = batches
        return batches, stacked

    trainer.sample = sample_and_keep


def report(trainer: train.Trainer, index: int) -> str:
    """Copy `index`'s fuzzy and discretised error over the training difficulties, on
    `--evaluate` fresh examples each (the mean, and the fuzzy one per difficulty), and its
    solved check."""
    difficulties = list(range(1, config.max_difficulty + 1))
    rng = np.random.default_rng(1000 + index)
    errors = []  # fuzzy, then discretised: per difficulty
    for discrete in (False, True):
        results = evaluate.measure(
            trainer.model(index),
            config,
            difficulties,
            examples=args.evaluate,
            discrete=discrete,
            rng=rng,
            memory_size=config.memory_size,
        )
        errors.append([result.error for result in results])
    fuzzy, discretised = errors
    solved, worst = trainer.check_solved(index)
    return (
        f"copy {index}: fuzzy {100 * np.mean(fuzzy):.2f}%, discretised "
        f"{100 * np.mean(discretised):.2f}% (mean over n = 1..{config.max_difficulty}); solved "
        f"check: {solved} (worst {worst:.3f}); fuzzy by n: "
        + " ".join(f"{error:.2f}" for error in fuzzy)
    )


with tempfile.TemporaryDirectory() as scratch:
    trainer = train.Trainer(config, args.save or scratch)
    if args.save:
        trainer.run.create()  # refuses a directory that holds anything
    trainer.models = train.stack([perturbed(number) for number in range(args.attempts)])
    for attempt in trainer.attempts:
        attempt.curriculum.level = args.level
        attempt.hardened = args.hardened
    batches: list[tasks.Batch] = []
    sampling_and_keeping(trainer, batches)
    wrong, scored = np.zeros(args.attempts), np.zeros(args.attempts)
    while trainer.progress.step < args.steps:
        metrics = trainer.step()
        wrong += metrics.wrong.sum(axis=1)
        scored += [batch.mask.sum() for batch in batches]
        if trainer.progress.step % args.every == 0:
            levels = [attempt.curriculum.level for attempt in trainer.attempts]
            errors = " ".join(f"{100 * e:5.2f}" for e in wrong / np.maximum(scored, 1))
            step = trainer.progress.step
            print(f"step {step}: levels {levels} training error (%) {errors}", flush=True)
            wrong[:], scored[:] = 0, 0
    # Without restarts a copy's level only rises: its last is its highest.
    highest = Counter(attempt.curriculum.level for attempt in trainer.attempts)
    print(f"copies by highest level: {dict(sorted(highest.items()))}")
    for index in range(args.attempts) if args.evaluate else ():
        print(report(trainer, index), flush=True)
    if args.save:  # for `nram program`, `nram eval` or another clone_attempts.py
        trainer.run.write_config(config)
        trainer.save("latest")
        trainer.save_model("best", trainer.leader())
