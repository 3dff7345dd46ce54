"""One results-table row per sweep: every solved run evaluated at n_max, 50 and 100 on 50
fresh examples each (`nram eval`), fuzzy and discretised; the worst error over the solved
runs is reported, as in docs/results.md's table.

    python experiments/evaluate_solved.py SWEEP_DIR...
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path


def median(values: list[float]) -> str:
    return f"{statistics.median(values):.0f}" if values else "–"


for sweep in map(Path, sys.argv[1:]):
    runs = sorted(path for path in sweep.glob("s*-seed*") if (path / "result.json").exists())
    results = [json.loads((run / "result.json").read_text()) for run in runs]
    config = json.loads((runs[0] / "config.json").read_text())
    n_max = config["max_difficulty"]
    solved = [run for run, result in zip(runs, results, strict=True) if result["solved"]]
    seconds = [result["seconds"] for result in results if result["solved"]]
    steps = [result["step"] for result in results if result["solved"]]
    errors: dict[tuple[int, str], list[float]] = {}
    for run in solved:
        command = ["nram", "eval", str(run), "--difficulty", f"{n_max},50,100"]
        output = subprocess.run(
            [*command, "--examples", "50", "--json"], capture_output=True, text=True, check=True
        )
        for row in json.loads(output.stdout)["results"]:
            for mode in ("fuzzy", "discrete"):
                errors.setdefault((row["difficulty"], mode), []).append(row[mode]["error"])
    cells = " | ".join(
        f"{max(errors[d, 'fuzzy']):.3f} / {max(errors[d, 'discrete']):.3f}" if solved else "–"
        for d in (n_max, 50, 100)
    )
    restarts = sum(result.get("restarts", 0) for result in results)
    slowest = f"{max(seconds):.0f} s" if seconds else "–"
    print(
        f"| {config['task']} | {len(solved)} / {len(runs)} | {median(seconds)} s | {slowest} "
        f"| {median(steps)} | {restarts} | {cells} |",
        flush=True,
    )
    evaluation = {f"{d}-{mode}": values for (d, mode), values in errors.items()}
    (sweep / "evaluation.json").write_text(json.dumps(evaluation, indent=1))
