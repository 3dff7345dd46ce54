"""Per run of the given sweep directories, its attempts side by side counted by the highest
curriculum level each reached, and the lowest recent training error any of them logged at the
run's highest level (from the `each_attempt` field of `metrics.jsonl`, which runs with
`parallel_attempts` > 1 log every `log_every` steps).

    python experiments/attempt_levels.py SWEEP_DIR... [--until STEP]

prints, per run: its settings' label, the attempts begun, "levels" as level: count, the lowest
recent error at the top level reached, and how the run ended. `--until STEP` reads only the
lines up to that step, so that runs cut off at different steps compare at the same one.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from nram.rundir import RunDirectory


def attempt_levels(lines: list[dict]) -> tuple[dict[int, int], float]:
    """The highest level of each attempt number, and the lowest recent error logged at the
    highest level of all."""
    highest: dict[int, int] = {}
    for line in lines:
        each = line["each_attempt"]
        for number, level in zip(each["attempt"], each["level"], strict=True):
            highest[number] = max(highest.get(number, 0), level)
    top = max(highest.values())
    errors = [
        error
        for line in lines
        for level, error in zip(
            line["each_attempt"]["level"], line["each_attempt"]["recent_error"], strict=True
        )
        if level == top and error is not None
    ]
    return highest, min(errors, default=float("nan"))


parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("sweeps", nargs="+", metavar="SWEEP_DIR")
parser.add_argument("--until", type=int, default=None, metavar="STEP")
args = parser.parse_args()

for sweep in args.sweeps:
    settings = json.loads((Path(sweep) / "sweep.json").read_text())["settings"]
    for run in sorted(Path(sweep).glob("s*-seed*")):
        directory = RunDirectory(run)
        lines = [
            line
            for line in directory.read_metrics()
            if "each_attempt" in line and (args.until is None or line["step"] <= args.until)
        ]
        if not lines:
            continue
        highest, lowest = attempt_levels(lines)
        counts = sorted(Counter(highest.values()).items())
        result = directory.read_result() or {}
        values = settings[int(run.name[1:3])]["values"]  # run sNN-seedS: setting NN
        print(
            f"{Path(sweep).name} {run.name} {values} steps {lines[-1]['step']}"
            f" attempts {len(highest)} levels {dict(counts)} lowest error at the top"
            f" {lowest:.3f} ended: {result.get('reason', 'running')}"
            f"{' SOLVED' if result.get('solved') else ''}"
        )
