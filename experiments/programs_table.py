"""The table of docs/programs.md: each shipped program's machine, the circuits it uses and the
steps it takes at n_max, beside the task's training defaults.

    python experiments/programs_table.py
"""

from __future__ import annotations

import numpy as np

from nram import config, programs, tasks
from nram.discrete import zero_pattern
from nram.evaluate import memory_size_for


def main() -> None:
    print(
        "| program | R | repeat | T(n) | circuits used | steps at n_max (max) "
        "| T(n_max) - 1 enough? | training default: R, repeat, T(n) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name in programs.NAMES:
        program = programs.get(name)
        task = tasks.get(program.task)
        default = config.resolve(program.task)
        top = default.max_difficulty
        rng = np.random.default_rng(0)
        patterns, longest, shorter_fails = set(), 0, False
        for difficulty in range(task.min_difficulty, top + 1):
            for _ in range(200):
                example = task.sample(rng, difficulty, memory_size_for(default, difficulty))
                run = program.machine().run(
                    example.memory.tolist(), program.horizon(difficulty), record=True
                )
                patterns |= {zero_pattern(step.registers) for step in run.trace}
                if difficulty == top:
                    longest = max(longest, run.steps)
                    cut = program.machine().run(example.memory.tolist(), program.horizon(top) - 1)
                    final = np.array(cut.memory)
                    expected = task.solve(example.memory)
                    shorter_fails |= bool((final != expected)[example.mask].any())
        horizon = programs.describe_horizon(program.horizon).removeprefix("T(n) = ")
        trained = programs.describe_horizon(default.horizon).removeprefix("T(n) = ")
        if default.horizon.minimum > 1 and default.horizon.scale:
            trained = f"max({default.horizon.minimum}, {trained})"
        machine = default.machine
        print(
            f"| {name} | {program.config.registers} | {program.config.repeat} | {horizon} | "
            f"{len(patterns)} | {longest} | {'no' if shorter_fails else 'yes'} | "
            f"{machine.registers}, {machine.repeat}, {trained} |"
        )


if __name__ == "__main__":
    main()
