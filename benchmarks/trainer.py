"""Steps per second of the whole training loop at each easy task's defaults.

Everything a training step costs in `nram train`: curriculum sampling, batch sampling, the
jitted step, the metric sync and the curriculum update. Compilation is excluded (a warm-up
runs first); the run directory is a temporary one and nothing is saved.

    python benchmarks/trainer.py [--steps 100] [--tasks access,increment,copy,reverse]
"""

from __future__ import annotations

import argparse
import tempfile
import time

from nram import use_single_threaded_xla

use_single_threaded_xla()

from nram import config, train  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--steps", type=int, default=100)
parser.add_argument("--tasks", default="access,increment,copy,reverse")
args = parser.parse_args()

print(f"{'task':<10} {'M':>4} {'T':>4} {'steps/s':>8} {'ms/step':>8}")
for task in args.tasks.split(","):
    resolved = config.resolve(task)
    with tempfile.TemporaryDirectory() as run_dir:
        trainer = train.Trainer(resolved, run_dir)
        trainer.step()  # compiles
        start = time.perf_counter()
        for _ in range(args.steps):
            trainer.step()
        seconds = time.perf_counter() - start
    print(
        f"{task:<10} {resolved.memory_size:>4} {trainer.settings.timesteps:>4} "
        f"{args.steps / seconds:>8.1f} {1e3 * seconds / args.steps:>8.2f}"
    )
