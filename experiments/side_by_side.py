"""Do attempts trained side by side (vmapped) succeed more often than attempts trained alone?

Each attempt number a of one seed trains for a fixed number of steps from the product's
parameters for attempt a (`Trainer.fresh_parameters`) on a data stream of its own
(`random_stream(seed, DATA, a)`), so that both modes see the same initialisations and the same
batches: `--mode side-by-side` trains them K at a time in the product's vmapped step
(`parallel_attempts` = K), `--mode alone` one at a time in the plain step. Everything else is
the product's `Trainer.step` at the task's defaults: the entropy schedule, the curriculum, the
recent error. Every `evaluation.every` steps an attempt whose recent error is 0 counts as
right fuzzily, and is then given the solved check; no rounding of inputs, no restarts. Each
attempt's recent error at the end is kept too: a frequent outcome to compare the two modes
by, where solves are rare.

    python experiments/side_by_side.py OUT.json --mode alone --attempts 0-639
    python experiments/side_by_side.py OUT.json --mode side-by-side --attempts 0-639
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time

from nram import use_single_threaded_xla

use_single_threaded_xla()

from nram import config, tasks, train  # noqa: E402
from nram.train import Stream, random_stream  # noqa: E402


class PairedTrainer(train.Trainer):
    """The product's trainer, with one data stream per attempt number instead of one shared."""

    def use(self, numbers: list[int]) -> None:
        fresh = [self.fresh_parameters(number) for number in numbers]
        self.models = train.stack([model for model, _ in fresh])
        self.opt_states = train.stack([opt_state for _, opt_state in fresh])
        self.progress = train.Progress()
        self.attempts = [self.new_attempt(number) for number in numbers]
        self.streams = [random_stream(self.config.seed, Stream.DATA, n) for n in numbers]

    def draw(self) -> list[tasks.Batch]:
        pairs = zip(self.attempts, self.streams, strict=True)
        return [self.sample_for(attempt, rng) for attempt, rng in pairs]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--mode", choices=["alone", "side-by-side"], required=True)
    parser.add_argument("--task", default="swap")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--attempts", default="0-63", help="attempt numbers, FIRST-LAST")
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--side-by-side", type=int, default=32, help="K")
    args = parser.parse_args()

    first, last = (int(x) for x in args.attempts.split("-"))
    numbers = list(range(first, last + 1))
    group = 1 if args.mode == "alone" else args.side_by_side
    resolved = config.resolve(
        args.task, assignments=[f"seed={args.seed}", f"parallel_attempts={group}"]
    )
    right, solved = {}, {}  # attempt number -> the first step it was right fuzzily / solved
    final = {}  # attempt number -> its recent error after the last step
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as run_dir:
        trainer = PairedTrainer(resolved, run_dir)
        for start in range(0, len(numbers), group):
            trainer.use(numbers[start : start + group])
            for step in range(1, args.steps + 1):
                trainer.step()
                if step % resolved.evaluation.every:
                    continue
                for index, attempt in enumerate(trainer.attempts):
                    if attempt.number in solved or attempt.recent_error != 0.0:
                        continue
                    right.setdefault(attempt.number, step)
                    if trainer.check_solved(index)[0]:
                        solved[attempt.number] = step
            final |= {attempt.number: attempt.recent_error for attempt in trainer.attempts}
            if (start + group) % 32 == 0 or start + group >= len(numbers):
                print(
                    f"{start + group} attempts, {len(right)} right fuzzily, "
                    f"{len(solved)} solved, {time.perf_counter() - started:.0f} s",
                    flush=True,
                )
    with open(args.out, "w") as handle:
        json.dump(vars(args) | {"right": right, "solved": solved, "final": final}, handle)


if __name__ == "__main__":
    main()
