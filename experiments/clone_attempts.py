"""Copies of one trained model, each perturbed, trained side by side: how many climb past it?

Loads a run's model (best.npz by default), makes `--attempts` copies with Gaussian noise of
standard deviation `--perturb` on every weight (a different draw per copy; at 0 the copies
differ only in their batches), starts each copy's curriculum at `--level`, and trains them
side by side with the run's settings (and any `--set` on top) for `--steps` steps, without
restarts or solved checks, each copy on its own batches from the run's seed's data stream.
Every `--every` steps it prints each copy's curriculum level; at the end, the copies counted
by the highest level each reached. A diagnostic for restarting stuck attempts from the
leader (population-based training): if no copy of a stuck model climbs, copying it is no use.

    python experiments/clone_attempts.py RUN --level 3 --perturb 0.05 --steps 3000
"""

from __future__ import annotations

import argparse
import tempfile
from collections import Counter

from nram import use_single_threaded_xla

use_single_threaded_xla()

import jax  # noqa: E402

from nram import config as nram_config  # noqa: E402
from nram import train  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("run")
parser.add_argument("--checkpoint", default="best")
parser.add_argument("--attempts", type=int, default=20)
parser.add_argument("--perturb", type=float, default=0.05)
parser.add_argument("--level", type=int, required=True)
parser.add_argument("--steps", type=int, default=3000)
parser.add_argument("--every", type=int, default=250)
parser.add_argument("--set", action="append", default=[], dest="assignments")
args = parser.parse_args()

model, run_config = train.load_model(args.run, args.checkpoint)
fixed = [f"parallel_attempts={args.attempts}", "restart_after=0", f"steps={args.steps}"]
config = nram_config.override(run_config, assignments=fixed + args.assignments)


def perturbed(number: int) -> train.NRAM:
    """Copy `number` of the model: every weight plus noise of `--perturb`, its own draw."""
    return train.perturb(
        model, args.perturb, jax.random.fold_in(jax.random.key(config.seed), number)
    )


with tempfile.TemporaryDirectory() as run_dir:
    trainer = train.Trainer(config, run_dir)
    trainer.models = train.stack([perturbed(number) for number in range(args.attempts)])
    for attempt in trainer.attempts:
        attempt.curriculum.level = args.level
    while trainer.progress.step < args.steps:
        trainer.step()
        if trainer.progress.step % args.every == 0:
            levels = [attempt.curriculum.level for attempt in trainer.attempts]
            errors = [f"{a.recent_error:.2f}" for a in trainer.attempts]
            step = trainer.progress.step
            print(f"step {step}: levels {levels} recent errors {errors}", flush=True)
    # Without restarts a copy's level only rises: its last is its highest.
    highest = Counter(attempt.curriculum.level for attempt in trainer.attempts)
    print(f"copies by highest level: {dict(sorted(highest.items()))}")
