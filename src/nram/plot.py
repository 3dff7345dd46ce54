"""`nram plot`: training curves of one or more runs, as one PNG.

Each run's metrics.jsonl (one line of averages every `log_every` steps) drawn in three rows:
the loss the optimiser minimises (NLL - lambda_t * entropy: negative where the entropy bonus
outweighs the NLL) with the NLL beside it, the training error (wrong scored cells / scored
cells, fuzzy), and the curriculum level, up to the run's top difficulty. The left column
is against the step, the right against training time. Runs are overlaid, one colour each; a
sweep directory stands for its runs. A dotted line marks where a run started a new attempt
(a restart: `restart_after`), a star where a run was solved.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nram.errors import RunError
from nram.rundir import RunDirectory


@dataclass(frozen=True)
class Curves:
    """What the plot needs of one run."""

    label: str
    lines: list[dict[str, Any]]  # metrics.jsonl
    top_level: int  # the run's max_difficulty
    solved: bool

    def column(self, name: str) -> list[float]:
        return [line[name] for line in self.lines]

    def attempt_starts(self) -> list[int]:
        """Indices of the lines where a new attempt shows first."""
        return [
            index
            for index in range(1, len(self.lines))
            if self.lines[index]["attempt"] != self.lines[index - 1]["attempt"]
        ]


def run_directories(paths: list[str]) -> list[RunDirectory]:
    """The runs named: a run directory (it has metrics.jsonl) is itself; any other directory
    stands for the runs directly inside it (a sweep), in name order."""
    runs = []
    for path in map(Path, paths):
        if RunDirectory(path).metrics_path.exists():
            runs.append(RunDirectory(path))
            continue
        inside = sorted(p for p in path.iterdir() if p.is_dir()) if path.is_dir() else []
        found = [RunDirectory(p) for p in inside if RunDirectory(p).metrics_path.exists()]
        if not found:
            raise RunError(f"no run in {path}: no metrics.jsonl there or in a directory in it")
        runs += found
    return runs


def curves_of(runs: list[RunDirectory]) -> list[Curves]:
    """Each run's curves, labelled by its directory's name (with its parent's, if two runs
    share a name)."""
    names = [run.path.name for run in runs]
    curves = []
    for run in runs:
        lines = run.read_metrics()
        if not lines:
            raise RunError(f"{run.metrics_path} is empty: the run has not logged a line yet")
        config = run.read("config.json") or {}
        label = run.path.name
        if names.count(label) > 1:
            label = f"{run.path.parent.name}/{label}"
        top_level = config.get("max_difficulty", max(line["level"] for line in lines))
        solved = bool((run.read_result() or {}).get("solved"))
        curves.append(Curves(label, lines, top_level, solved))
    return curves


def draw(curves: list[Curves], path: str) -> None:
    """Loss and NLL, error and level (rows) against step and training time (columns)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(3, 2, figsize=(11, 8.5), sharex="col")
    for index, run in enumerate(curves):
        colour = f"C{index % 10}"
        for column, x_name in enumerate(("step", "seconds")):
            x = run.column(x_name)
            loss_axes, error_axes, level_axes = axes[:, column]
            loss_axes.plot(x, run.column("loss"), color=colour, linewidth=1, label=run.label)
            loss_axes.plot(x, run.column("nll"), color=colour, linewidth=1, linestyle="--")
            error_axes.plot(x, run.column("error"), color=colour, linewidth=1)
            level_axes.plot(x, run.column("level"), color=colour, linewidth=1.2)
            level_axes.axhline(run.top_level, color="grey", linewidth=0.6, linestyle=":")
            for start in run.attempt_starts():
                for row in axes[:, column]:
                    row.axvline(x[start], color=colour, linewidth=0.8, linestyle=":")
            if run.solved:
                level_axes.plot(x[-1], run.lines[-1]["level"], "*", color=colour, markersize=12)
    axes[0, 0].set_ylabel("loss = NLL - λ·entropy (solid)\nNLL (dashed)")
    axes[1, 0].set_ylabel("training error")
    axes[2, 0].set_ylabel("curriculum level")
    axes[2, 0].set_xlabel("step")
    axes[2, 1].set_xlabel("training time (s)")
    for row in axes.flat:
        row.grid(alpha=0.3)
    axes[0, 0].legend(fontsize=8, loc="upper right")
    figure.suptitle(
        "dotted vertical: a new attempt (restart); dotted horizontal: top level; star: solved",
        fontsize=9,
    )
    figure.tight_layout()
    figure.savefig(path, dpi=72)
    plt.close(figure)


# --- the command --------------------------------------------------------------------------------


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "plot",
        help="training curves of runs as a PNG: loss, error and level against step and time",
        description="Draw each run's metrics.jsonl: the loss (NLL minus the entropy term) and "
        "the NLL, the training error and the curriculum level, against the step and against "
        "training time, several runs overlaid; restarts and solved runs marked.",
    )
    parser.add_argument(
        "runs", nargs="+", metavar="RUN", help="run directories, or sweep directories (their runs)"
    )
    parser.add_argument("--out", required=True, metavar="FILE.png", help="the picture to write")
    parser.set_defaults(handler=run_plot)


def run_plot(args: argparse.Namespace) -> int:
    curves = curves_of(run_directories(args.runs))
    draw(curves, args.out)
    print(f"{len(curves)} run(s) drawn to {args.out}", file=sys.stderr)
    return 0
