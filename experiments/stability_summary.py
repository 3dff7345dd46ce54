"""The stability table of docs/programs.md: for every run started from a hand-written program
(`init.program`), whether training kept that program or slid into another, and how it ended.

    python experiments/stability_summary.py SWEEP_DIR [SWEEP_DIR...]

A run keeps its program when the final model's circuit, on every zero-pattern the program
uses at difficulties 1..n_max, prints the same as the program's (dead modules aside).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from nram import programs, tasks, train
from nram.discrete import compile_mlp, zero_pattern
from nram.evaluate import memory_size_for
from nram.program import condition, format_circuit
from nram.rundir import RunDirectory


def used_patterns(program: programs.Program, config) -> list[int]:
    """The zero-patterns the program reaches on sample inputs at 1..n_max."""
    task = tasks.get(program.task)
    rng = np.random.default_rng(0)
    reached: set[int] = set()
    for difficulty in range(task.min_difficulty, config.max_difficulty + 1):
        for _ in range(10):
            size = memory_size_for(config, difficulty)
            example = task.sample(rng, difficulty, size)
            run = program.machine().run(
                example.memory.tolist(), program.horizon(difficulty), record=True
            )
            reached |= {zero_pattern(step.registers) for step in run.trace}
    return sorted(reached)


def verdict(run_dir: Path) -> dict:
    model, config = train.load_model(run_dir, "latest")
    program = programs.get(config.init.program)
    result = RunDirectory(run_dir).read_result() or {}
    final = compile_mlp(model)
    modules = program.modules
    registers = program.config.registers
    changed = [
        (pattern, format_circuit(final.circuits[pattern], modules))
        for pattern in used_patterns(program, config)
        if format_circuit(final.circuits[pattern], modules)
        != format_circuit(program.table.circuits[pattern], modules)
    ]
    return {
        "program": program.name,
        "margin": config.init.margin,
        "perturb": config.init.perturb,
        "seed": config.seed,
        "solved": result.get("solved"),
        "step": result.get("step"),
        "level": result.get("level"),
        "error": result.get("error"),
        "verdict": "keeps it"
        if not changed
        else f"{'another right' if result.get('solved') else 'another'} program "
        f"({len(changed)} of its circuits differ)",
        "changed": [f"when {condition(p, registers)}: {text}" for p, text in changed],
    }


def cell(runs: list[dict]) -> str:
    """One start of the pivot table: how its runs (seeds) ended."""
    kept = sum(run["verdict"] == "keeps it" for run in runs)
    solved = [run for run in runs if run["solved"]]
    if len(solved) == len(runs):
        steps = "-".join(sorted({str(run["step"]) for run in solved}))
        text = f"solved {len(solved)}/{len(runs)} ({steps} steps)"
        return text + ("" if kept == len(runs) else ", another right program")
    levels = "-".join(sorted({str(run["level"]) for run in runs}))
    errors = [run["error"] for run in runs if run["error"] is not None]
    return f"slid: level {levels}, error {min(errors):.2f}-{max(errors):.2f}"


def pivot(rows: list[dict]) -> None:
    """Programs down, starts across."""
    starts = sorted({(row["perturb"], -row["margin"]) for row in rows})
    names = sorted({row["program"] for row in rows})
    heading = [f"margin {-m:g}" + (f", noise {p:g}" if p else "") for p, m in starts]
    print("| program | " + " | ".join(heading) + " |")
    print("|---|" + "---|" * len(starts))
    for name in names:
        cells = [
            cell(
                [r for r in rows if r["program"] == name and (r["perturb"], -r["margin"]) == start]
            )
            for start in starts
        ]
        print(f"| {name} | " + " | ".join(cells) + " |")
    print()


def main(paths: list[str]) -> None:
    rows = []
    for sweep in paths:
        for run_dir in sorted(Path(sweep).iterdir()):
            if (run_dir / "latest.npz").exists():
                rows.append(verdict(run_dir))
    pivot(rows)
    print("| program | margin | noise | seed | solved (step) | level | error | ends at |")
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        solved = f"yes ({row['step']})" if row["solved"] else "no"
        error = "-" if row["error"] is None else f"{row['error']:.3f}"
        print(
            f"| {row['program']} | {row['margin']:g} | {row['perturb']:g} | {row['seed']} | "
            f"{solved} | {row['level']} | {error} | {row['verdict']} |"
        )
    print()
    for row in rows:
        for line in row["changed"]:
            print(
                f"{row['program']} margin {row['margin']:g} noise {row['perturb']:g} "
                f"seed {row['seed']}: {line}"
            )


if __name__ == "__main__":
    main(sys.argv[1:])
