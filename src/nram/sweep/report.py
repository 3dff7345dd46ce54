"""A sweep's report: the success table per setting, summary.csv and .md, and the plot."""

from __future__ import annotations

import csv
import math
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nram.sweep.job import JobOutcome
from nram.sweep.spec import SweepSpec


@dataclass
class RunRecord:
    """A run's place in the sweep, and its outcome once it has one."""

    setting: int
    seed: int
    name: str
    outcome: JobOutcome | None = None  # None: not finished


@dataclass
class SweepReport:
    """A sweep's runs, their outcomes and the success table built from them."""

    spec: SweepSpec
    sweep_dir: Path
    records: list[RunRecord]
    completed: bool  # every run has ended
    wall_seconds: float
    rows: list[dict[str, Any]] = field(default_factory=list)  # the success table


def success_table(report: SweepReport) -> list[dict[str, Any]]:
    """Per setting: seeds solved / run, time to solve, best error, and generalisation."""
    rows = []
    groups = [
        [r for r in report.records if r.setting == index]
        for index in range(len(report.spec.settings))
    ]
    for index, group in enumerate(groups):
        rows.append(_row(report.spec.settings[index].label, group))
    if len(groups) > 1:
        rows.append(_row("all", report.records))
    return rows


def _row(label: str, records: list[RunRecord]) -> dict[str, Any]:
    results = [r.outcome.result for r in records if r.outcome is not None and r.outcome.final]
    solved = [r for r in records if r.outcome and r.outcome.final and r.outcome.result["solved"]]
    evaluated = [r.outcome.generalisation for r in solved if r.outcome.generalisation]
    finished = [r.outcome for r in records if r.outcome is not None and r.outcome.final]
    # CPU time as the OS measured it; a run without that record counts its training time.
    cpu_hours = sum(o.cpu_seconds or o.result["seconds"] for o in finished) / 3600
    median = lambda values: statistics.median(values) if values else math.nan
    mean = lambda values: statistics.fmean(values) if values else math.nan
    return {
        "setting": label,
        "solved": len(solved),
        "finished": len(results),
        "runs": len(records),
        "success_rate": len(solved) / len(results) if results else math.nan,
        "median_steps_to_solve": median([r.outcome.result["step"] for r in solved]),
        "median_seconds_to_solve": median([r.outcome.result["seconds"] for r in solved]),
        "best_error": min(
            (result["error"] for result in results if result["error"] is not None),
            default=math.nan,
        ),
        "best_level": max((result["level"] for result in results), default=0),
        "plateau_stops": sum(result["reason"] == "plateau" for result in results),
        "pruned": sum(result["reason"] == "pruned" for result in results),
        "generalisation_difficulty": evaluated[0]["difficulty"] if evaluated else None,
        "generalisation_fuzzy_error": mean([g["fuzzy_error"] for g in evaluated]),
        "generalisation_discrete_error": mean([g["discrete_error"] for g in evaluated]),
        "generalisation_perfect": sum(
            g["fuzzy_error"] == 0 and g["discrete_error"] == 0 for g in evaluated
        ),
        "cpu_hours": cpu_hours,
        "solved_per_cpu_hour": len(solved) / cpu_hours if cpu_hours > 0 else math.nan,
    }


COLUMNS = [  # (key, heading, format)
    ("setting", "setting", "{}"),
    ("solved", "solved", "{}"),
    ("finished", "/ run", "{}"),
    ("median_steps_to_solve", "median steps", "{:.0f}"),
    ("median_seconds_to_solve", "median s", "{:.0f}"),
    ("best_error", "best error", "{:.3f}"),
    ("best_level", "best level", "{}"),
    ("plateau_stops", "plateau stops", "{}"),
    ("pruned", "pruned", "{}"),
    ("generalisation_fuzzy_error", "gen. error fuzzy", "{:.3f}"),
    ("generalisation_discrete_error", "gen. error discrete", "{:.3f}"),
    ("generalisation_perfect", "gen. perfect", "{}"),
    ("cpu_hours", "CPU h", "{:.3f}"),
    ("solved_per_cpu_hour", "solved / CPU h", "{:.1f}"),
]


def _cell(row: dict[str, Any], key: str, template: str) -> str:
    value = row[key]
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return template.format(value)


def markdown_table(report: SweepReport) -> str:
    difficulty = next(
        (
            row["generalisation_difficulty"]
            for row in report.rows
            if row["generalisation_difficulty"]
        ),
        None,
    )
    headings = [
        heading.replace("gen.", f"d={difficulty}") if difficulty else heading
        for _, heading, _ in COLUMNS
    ]
    lines = ["| " + " | ".join(headings) + " |", "|" + "---|" * len(COLUMNS)]
    for row in report.rows:
        lines.append("| " + " | ".join(_cell(row, key, fmt) for key, _, fmt in COLUMNS) + " |")
    return "\n".join(lines)


def write_summary(report: SweepReport) -> None:
    """summary.csv, summary.md and summary.png in the sweep directory."""
    if not report.rows:
        return
    with open(report.sweep_dir / "summary.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(report.rows[0]))
        writer.writeheader()
        writer.writerows(report.rows)
    pending = sum(r.outcome is None or not r.outcome.final for r in report.records)
    note = f"\n\n{pending} run(s) not finished yet." if pending else ""
    (report.sweep_dir / "summary.md").write_text(
        f"# Sweep of {report.spec.task}: {report.sweep_dir}\n\n{markdown_table(report)}{note}\n"
    )
    plot_success(report, report.sweep_dir / "summary.png")


def plot_success(report: SweepReport, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [row for row in report.rows if row["setting"] != "all"]
    figure, axes = plt.subplots(figsize=(7, 1.5 + 0.4 * len(rows)))
    rates = [0.0 if math.isnan(row["success_rate"]) else row["success_rate"] for row in rows]
    positions = range(len(rows))
    axes.barh(positions, rates, color="tab:blue")
    for position, row, rate in zip(positions, rows, rates, strict=True):
        axes.text(rate + 0.01, position, f"{row['solved']}/{row['finished']}", va="center")
    axes.set_yticks(list(positions), [row["setting"] for row in rows])
    axes.invert_yaxis()
    axes.set_xlim(0, 1.15)
    axes.set_xlabel("seeds solved (share of finished runs)")
    axes.set_title(f"{report.spec.task}: success rate per setting")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
