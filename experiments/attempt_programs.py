"""One attempt's discretised program at chosen steps of a run, as `nram program` prints it.

Trains TASK with the given settings from scratch, in this process (no run directory is kept),
and at each of STEPS prints the program of the attempt in lane LANE of `parallel_attempts`
(with its number, curriculum level and recent training error), on 10 sample inputs per
difficulty of DIFFICULTIES. It takes `nram train`'s steps with the same settings (the same
initialisations, data and updates) but none of its restarts or solved checks, so the two agree
until an attempt restarts or reaches the top level.

    python experiments/attempt_programs.py listk --lane 13 --steps 1000,2600,2660,2750 \\
        --difficulties 1,2,3 --set parallel_attempts=20 --set ...
"""

from __future__ import annotations

import argparse
import tempfile

from nram import use_single_threaded_xla

use_single_threaded_xla()

from nram import config, program, train  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("task")
parser.add_argument("--lane", type=int, default=0)
parser.add_argument("--steps", required=True, help="comma-separated steps")
parser.add_argument("--difficulties", default="1,2,3")
parser.add_argument("--set", action="append", default=[], dest="assignments")
args = parser.parse_args()

resolved = config.resolve(args.task, assignments=args.assignments)
marks = sorted(int(step) for step in args.steps.split(","))
difficulties = [int(difficulty) for difficulty in args.difficulties.split(",")]
with tempfile.TemporaryDirectory() as run_dir:
    trainer = train.Trainer(resolved, run_dir)
    for mark in marks:
        while trainer.progress.step < mark:
            trainer.step()
        attempt = trainer.attempts[args.lane]
        text, _ = program.learned_program(trainer.model(args.lane), resolved, difficulties)
        print(
            f"=== step {mark}: attempt {attempt.number}, level {attempt.curriculum.level}, "
            f"recent error {attempt.recent_error:.3f}"
        )
        print(text, flush=True)
