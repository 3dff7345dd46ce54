"""When do the attempts that solve part from the rest?

Reads every finished run of the given sweep directories (`metrics.jsonl`: a line every 10
steps, with the attempt it belongs to; with attempts side by side, each attempt's recent
error under `each_attempt`: its last 10 batches' mean error per example, where one attempt's
line pools the wrong cells of its last 10 steps, so compare runs of one kind) and prints, for
windows of steps counted from each attempt's start, the spread of all attempts' mean logged
training error beside the solved attempts' own, and the share of attempts no worse than the
worst solved one. Runs with the curriculum are not comparable this way (their errors are per
level).

    python experiments/attempt_errors.py SWEEP_DIR [SWEEP_DIR ...]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from nram import checkpoint
from nram.rundir import RunDirectory

WINDOWS = [(40, 100), (100, 150), (150, 200), (200, 250), (250, 300), (350, 400), (500, 600)]


def attempt_errors(sweep_dirs: list[str]) -> tuple[dict, set]:
    """(run, attempt) -> [(step within the attempt, logged error)], and the solved ones."""
    errors: dict[tuple[str, int], list[tuple[int, float]]] = {}
    solved = set()
    for sweep_dir in sweep_dirs:
        for run in sorted(Path(sweep_dir).glob("s*-seed*")):
            directory = RunDirectory(run)
            result = directory.read_result()
            if result is None:
                continue
            starts: dict[int, int] = {}
            last = None
            for logged in directory.read_metrics():
                each = logged.get("each_attempt")
                pairs = (
                    zip(each["attempt"], each["recent_error"], strict=True)
                    if each
                    else [(logged["attempt"], logged.get("error"))]
                )
                for attempt, error in pairs:
                    if error is None:
                        continue
                    start = starts.setdefault(attempt, logged["step"] - 10)
                    errors.setdefault((str(run), attempt), []).append(
                        (logged["step"] - start, error)
                    )
                last = logged["attempt"]
            if result["solved"]:
                # The attempt that solved is best.npz's (older runs' headers lack it: the last).
                header = checkpoint.read_header(run / "best.npz")
                solved.add((str(run), header.get("attempt", last)))
    return errors, solved


def mean_in(series: list[tuple[int, float]], low: int, high: int) -> float:
    inside = [error for step, error in series if low < step <= high]
    return float(np.mean(inside)) if inside else float("nan")


def main() -> None:
    errors, solved = attempt_errors(sys.argv[1:])
    print(f"{len(errors)} attempts, {len(solved)} solved")
    for low, high in WINDOWS:
        every = np.array([mean_in(series, low, high) for series in errors.values()])
        every = every[~np.isnan(every)]
        mine = sorted(mean_in(errors[key], low, high) for key in solved)
        quartiles = np.round(np.percentile(every, [10, 25, 50, 75]), 3)
        kept = float(np.mean(every <= np.nanmax(mine)))
        print(
            f"steps {low:>3}-{high:<3}  all (10/25/50/75%) {quartiles}  "
            f"solved {np.round(mine, 3)}  share <= worst solved {kept:.3f}"
        )


if __name__ == "__main__":
    main()
