"""Replay a sweep's attempts under a shorter `restart_after`: which would still have reached
the top level, and how many attempt-steps they would have cost.

    python experiments/restart_replay.py SWEEP_DIR... [--restart-after 500,1000,2000,3000]

Reads each run's `metrics.jsonl` (runs of one attempt at a time, `parallel_attempts` = 1) and,
per attempt, the step at which it first reached each level. Under a rule R, an attempt ends R
steps after a promotion that no further promotion followed within R steps; an attempt at the
top (the highest level any attempt of the sweep reached) ends where it ended. It prints, per
R, the attempt-steps spent, the attempts that reach the top (as seed/attempt) and the tops
per 100,000 attempt-steps. A replay, not a run: it assumes an attempt's path up to its cut is
the one it took, and the attempts the saved steps would have paid for are not seen.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from nram.rundir import RunDirectory


def level_timelines(lines: list[dict]) -> dict[int, tuple[dict[int, int], int]]:
    """Per attempt: the steps into the attempt at which it was first logged at each level, and
    the steps it ran. The lines are in step order, an attempt's lines consecutive."""
    start: dict[int, int] = {}
    attempts: dict[int, tuple[dict[int, int], int]] = {}
    for line in lines:
        attempt = line["attempt"]
        into = line["step"] - start.setdefault(attempt, line["step"])
        firsts, _ = attempts.get(attempt, ({}, 0))
        firsts.setdefault(line["level"], into)
        attempts[attempt] = (firsts, into)
    return attempts


def replay(firsts: dict[int, int], length: int, top: int, restart_after: int) -> tuple[int, int]:
    """(steps the attempt would run, highest level it would reach) under `restart_after`."""
    levels = sorted(firsts)
    for level, following in zip(levels, levels[1:], strict=False):
        if firsts[following] - firsts[level] > restart_after:
            return firsts[level] + restart_after, level
    if levels[-1] == top:
        return length, top
    return min(length, firsts[levels[-1]] + restart_after), levels[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sweeps", nargs="+", type=Path)
    parser.add_argument("--restart-after", default="500,1000,1500,2000,3000")
    args = parser.parse_args()
    rules = [int(value) for value in args.restart_after.split(",")]

    for sweep in args.sweeps:
        attempts = []  # (label, level firsts, length)
        top = 0
        for run in sorted(path for path in sweep.glob("s*-seed*") if path.is_dir()):
            lines = RunDirectory(run).read_metrics()
            top = max([top] + [line["level"] for line in lines])
            seed = run.name.split("seed")[-1]
            for attempt, (firsts, length) in level_timelines(lines).items():
                attempts.append((f"{seed}/{attempt}", firsts, length))
        print(f"{sweep}: {len(attempts)} attempts, top level {top}")
        for rule in rules:
            spent, tops = 0, []
            for label, firsts, length in attempts:
                steps, level = replay(firsts, length, top, rule)
                spent += steps
                if level == top:
                    tops.append(label)
            rate = 100_000 * len(tops) / max(spent, 1)
            print(
                f"  restart_after {rule:5d}: {spent:8d} attempt-steps, {len(tops)} at the top "
                f"({', '.join(tops) or '-'}), {rate:.2f} per 100,000 steps"
            )


if __name__ == "__main__":
    main()
