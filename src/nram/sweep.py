"""Sweeps: many seeds and settings of one task, and their success rates.

NRAM training is a lottery (the paper: about 11% of seeds solve a hard task with its best
settings), so one never trains one model: one runs a grid (or a random sample) of settings,
each with many seeds, and reads success rates. Each (setting, seed) is an ordinary run
directory under one sweep directory:

  SWEEP_DIR/sweep.json          the spec: task, seeds, and each setting's full config
  SWEEP_DIR/s00-seed3/          a run directory (config.json, metrics.jsonl, result.json, ...)
            generalisation.json a solved model's error at a larger difficulty (e.g. 50)
  SWEEP_DIR/summary.{csv,md,png} the success table, and success rate per setting as a plot

Settings come from, in order: the general and per-task defaults, the sweep's default
`patience` (below), --config files, the sweep file's [base] table, fixed --set values, then
the swept values (a --set with several comma-separated values, or [grid]/[random] tables).

Resuming: starting the same sweep again (same command, same sweep directory) skips runs that
have ended (result.json with a final reason), resumes the others from their latest.npz and
starts those never started; a different spec in an existing sweep directory is refused.

Stopping the hopeless early: runs either clear every curriculum level in a burst or sit on a
flat plateau (TRAINING-NOTES), so a sweep stops a run whose level has not risen for
`patience` steps (DEFAULT_PATIENCE; `--patience 0` turns it off). docs/sweeps.md measures the
saving.
"""

from __future__ import annotations

import argparse
import csv
import fcntl
import hashlib
import json
import math
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from nram import config as configuration
from nram.config import ConfigError, TrainConfig
from nram.sweep_backends import (
    Job,
    Outcome,
    final_result,
    needs_work,
    read_json,
    run_local,
    run_ray,
)

# Steps without a curriculum promotion before a sweep gives up on a run (docs/sweeps.md).
DEFAULT_PATIENCE = 1000
DEFAULT_SEEDS = 10
SPEC_FILE = "sweep.json"


# --- the spec: settings × seeds ----------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    """One point of the search: the swept settings' values, as --set would write them."""

    values: dict[str, str]

    @property
    def label(self) -> str:
        return " ".join(f"{name}={value}" for name, value in self.values.items()) or "defaults"


@dataclass(frozen=True)
class SweepSpec:
    task: str
    base: TrainConfig  # every setting not swept (seed aside)
    settings: list[Setting]
    seeds: list[int]
    configs: list[TrainConfig] = field(repr=False)  # per setting, with seed 0

    def run_name(self, index: int, seed: int) -> str:
        width = max(2, len(str(len(self.settings) - 1)))
        return f"s{index:0{width}d}-seed{seed}"

    def runs(self) -> list[tuple[int, int, str]]:
        """(setting index, seed, run directory name) for every run, setting by setting."""
        return [
            (index, seed, self.run_name(index, seed))
            for index in range(len(self.settings))
            for seed in self.seeds
        ]

    def as_dict(self) -> dict[str, Any]:
        """What sweep.json holds, and what a restarted sweep must match."""
        return {
            "task": self.task,
            "seeds": self.seeds,
            "settings": [
                {"values": setting.values, "config": _without_seed(config)}
                for setting, config in zip(self.settings, self.configs, strict=True)
            ],
        }

    def digest(self) -> str:
        return hashlib.sha256(json.dumps(self.as_dict(), sort_keys=True).encode()).hexdigest()[:8]


def _without_seed(config: TrainConfig) -> dict[str, Any]:
    plain = configuration.as_dict(config)
    plain.pop("seed")
    return plain


def parse_seeds(text: str | int | list[int]) -> list[int]:
    """`20` -> 0..19; `5-9` -> 5..9; `1,4,7-9` -> 1,4,7,8,9; a TOML list as it is."""
    if isinstance(text, list):
        seeds = text
    elif isinstance(text, int) and not isinstance(text, bool):
        seeds = list(range(text)) if text > 0 else []
    else:
        text = str(text).strip()
        seeds = list(range(_integer(text, text))) if text.isdigit() else []
        for part in text.split(",") if text and not text.isdigit() else []:
            low, dash, high = part.strip().partition("-")
            if not dash:
                seeds.append(_integer(low, text))
            elif _integer(high, text) < _integer(low, text):
                raise ConfigError(f"seed range {part.strip()!r} runs backwards")
            else:
                seeds += range(_integer(low, text), _integer(high, text) + 1)
    if not seeds:
        raise ConfigError(f"no seeds in {text!r}: expected a count >= 1, a range or a list")
    if any(not isinstance(seed, int) or isinstance(seed, bool) or seed < 0 for seed in seeds):
        raise ConfigError(f"seeds must be integers >= 0, got {text!r}")
    if len(set(seeds)) != len(seeds):
        raise ConfigError(f"seeds repeat in {text!r}")
    return seeds


def _integer(part: str, seeds: str) -> int:
    try:
        return int(part)
    except ValueError:
        raise ConfigError(
            f"cannot read seeds {seeds!r}: expected a count (20), a range (0-19) or a list "
            "(1,4,7-9)"
        ) from None


def _text(value: Any) -> str:
    """A TOML value as the text --set would take."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):  # a list-valued setting (machine.modules): comma-separated
        return ",".join(_text(item) for item in value)
    return str(value)


def _is_list_setting(name: str) -> bool:
    """Settings whose one value is a comma-separated list (machine.modules, plugins): on the
    command line their commas do not make a grid; sweep them from a file's [grid]."""
    value: Any = TrainConfig()
    for part in name.split("."):
        value = getattr(value, part, None)
    return isinstance(value, tuple)


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"noise": {"eta": [0, 0.3]}} -> {"noise.eta": [0, 0.3]}; a range table stays whole."""
    flat: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, dict) and not ({"low", "high"} & value.keys()):
            flat |= _flatten(value, f"{prefix}{key}.")
        else:
            flat[prefix + key] = value
    return flat


@dataclass(frozen=True)
class Range:
    """A random-search range: uniform (log-uniform if `log`) on [low, high]; integers stay
    integers when both ends are."""

    low: float
    high: float
    log: bool = False

    def sample(self, rng: random.Random) -> str:
        if self.log:
            value = math.exp(rng.uniform(math.log(self.low), math.log(self.high)))
        else:
            value = rng.uniform(self.low, self.high)
        if isinstance(self.low, int) and isinstance(self.high, int):
            return str(round(value))
        return f"{value:.3g}"


def _parse_range(name: str, value: Any) -> Range:
    """A range from TOML ({low=, high=, log=}) or from --set (LOW:HIGH or log:LOW:HIGH)."""
    if isinstance(value, dict):
        unknown = value.keys() - {"low", "high", "log"}
        if unknown or not {"low", "high"} <= value.keys():
            raise ConfigError(f"range for {name} needs low and high (and optionally log)")
        low, high, log = value["low"], value["high"], bool(value.get("log", False))
    else:
        parts = str(value).split(":")
        log = parts[0] == "log"
        parts = parts[1:] if log else parts
        if len(parts) != 2:
            raise ConfigError(f"range for {name}: expected LOW:HIGH or log:LOW:HIGH, got {value!r}")
        try:
            low, high = (
                int(part) if part.strip().lstrip("-").isdigit() else float(part) for part in parts
            )
        except ValueError:
            raise ConfigError(f"range for {name}: cannot read {value!r} as numbers") from None
    if not all(isinstance(end, int | float) and not isinstance(end, bool) for end in (low, high)):
        raise ConfigError(f"range for {name}: low and high must be numbers")
    if not low < high:
        raise ConfigError(f"range for {name}: low must be below high, got {low} and {high}")
    if log and low <= 0:
        raise ConfigError(f"log range for {name} must be positive, got low {low}")
    return Range(low, high, log)


def _values(name: str, value: Any) -> list[str]:
    """The values of one swept setting: a TOML list, or comma-separated text."""
    items = value if isinstance(value, list) else str(value).split(",")
    values = [_text(item).strip() for item in items]
    if not values or any(not item for item in values):
        raise ConfigError(f"empty value list for {name}: give at least one value, e.g. {name}=1,2")
    return values


def build_spec(
    task: str | None,
    *,
    sweep_file: str | None = None,
    config_files: list[str] | tuple[str, ...] = (),
    assignments: list[str] | tuple[str, ...] = (),
    seeds: str | None = None,
    random_count: int | None = None,
    random_seed: int | None = None,
    patience: int | None = None,
) -> SweepSpec:
    """Turn the command line (and an optional sweep file) into a checked SweepSpec.

    A --set NAME=V with one value fixes a setting for every run; NAME=V1,V2 makes it a grid
    axis (or, with random_count, a set to sample from); NAME=LOW:HIGH / log:LOW:HIGH is a
    range for random search. Every resulting config is resolved now, so that an unknown
    setting or a bad value is an error before anything runs.
    """
    file = configuration.load_toml(sweep_file) if sweep_file else {}
    unknown = file.keys() - {"task", "seeds", "base", "grid", "random"}
    if unknown:
        raise ConfigError(
            f"{sweep_file}: unknown keys {sorted(unknown)}; a sweep file has task, seeds, "
            "[base], and [grid] or [random]"
        )
    if "grid" in file and "random" in file:
        raise ConfigError(f"{sweep_file}: give [grid] or [random], not both")
    if task and file.get("task") and file["task"] != task:
        raise ConfigError(f"{sweep_file} sweeps {file['task']}, not {task}")
    task = task or file.get("task")
    if not task:
        raise ConfigError("name a task (e.g. nram sweep copy) or set task in the sweep file")

    # Split --set into fixed values and swept ones.
    fixed: list[str] = []
    swept: dict[str, Any] = {}
    for assignment in assignments:
        name, text = configuration.parse_assignment(assignment)
        if ("," in text or ":" in text) and not _is_list_setting(name):
            swept[name] = text
        elif not text:
            raise ConfigError(f"no value for {name}: give one, e.g. --set {name}=1")
        else:
            fixed.append(f"{name}={text}")
    random_table = dict(file.get("random", {}))
    if random_count is None and "random" in file:
        if "count" not in random_table:
            raise ConfigError(f"{sweep_file}: [random] needs count = N (or --random N)")
        random_count = random_table["count"]
    if random_seed is None:
        random_seed = random_table.get("seed", 0)
    random_table.pop("count", None)
    random_table.pop("seed", None)
    axes = _flatten(file.get("grid", {})) | _flatten(random_table) | swept
    known = configuration.valid_names()
    for name in axes:
        if name not in known:
            raise ConfigError(f"unknown setting {name!r}; valid settings: {', '.join(known)}")

    # The base: defaults, the sweep's patience, files, [base], fixed --set, then --patience.
    base = replace(configuration.resolve(task), patience=DEFAULT_PATIENCE)
    base = configuration.override(base, files=config_files)
    base = configuration.apply_mapping(base, file.get("base", {}))
    base = configuration.override(base, assignments=fixed)
    if patience is not None:
        if patience < 0:
            raise ConfigError(f"--patience must be >= 0, got {patience}")
        base = replace(base, patience=patience)

    if random_count is not None:
        settings = _random_settings(axes, random_count, random_seed)
    else:
        settings = _grid_settings(axes)
    configs = []
    for setting in settings:
        assigned = [f"{name}={value}" for name, value in setting.values.items()]
        configs.append(replace(configuration.override(base, assignments=assigned), seed=0))
    seed_list = parse_seeds(seeds if seeds is not None else file.get("seeds", DEFAULT_SEEDS))
    return SweepSpec(task, replace(base, seed=0), settings, seed_list, configs)


def _grid_settings(axes: dict[str, Any]) -> list[Setting]:
    grid: list[dict[str, str]] = [{}]
    for name, value in axes.items():
        if isinstance(value, dict) or (isinstance(value, str) and ":" in value):
            raise ConfigError(f"{name} is a range: ranges need random search (--random N)")
        grid = [point | {name: item} for point in grid for item in _values(name, value)]
    return [Setting(point) for point in grid]


def _random_settings(axes: dict[str, Any], count: int, seed: int) -> list[Setting]:
    if not isinstance(count, int) or count < 1:
        raise ConfigError(f"random search needs a count >= 1, got {count!r}")
    if not axes:
        raise ConfigError("random search needs something to sample: a range or a value list")
    samplers: dict[str, Callable[[random.Random], str]] = {}
    for name, value in axes.items():
        if isinstance(value, dict) or (isinstance(value, str) and ":" in value):
            samplers[name] = _parse_range(name, value).sample
        else:
            choices = _values(name, value)
            samplers[name] = lambda rng, choices=choices: rng.choice(choices)
    rng = random.Random(seed)
    return [Setting({name: sample(rng) for name, sample in samplers.items()}) for _ in range(count)]


# --- the sweep directory -----------------------------------------------------------------


def default_sweep_dir(spec: SweepSpec) -> Path:
    """sweeps/TASK-DIGEST: the same command finds the same directory (and resumes it)."""
    return Path("sweeps") / f"{spec.task}-{spec.digest()}"


def claim_sweep_dir(spec: SweepSpec, sweep_dir: Path) -> Any:
    """Write sweep.json, or check it matches; hold a lock so that no second sweep process
    works in the same directory. Returns the open lock file (keep it until done)."""
    sweep_dir.mkdir(parents=True, exist_ok=True)
    lock = open(sweep_dir / ".lock", "w")  # noqa: SIM115 - held for the whole sweep
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        raise ConfigError(f"another sweep process is working in {sweep_dir}") from None
    wanted = spec.as_dict()
    stored = read_json(sweep_dir / SPEC_FILE)
    if stored is None:
        if any(path.name not in (".lock", ".jax-cache") for path in sweep_dir.iterdir()):
            lock.close()
            raise ConfigError(f"{sweep_dir} is not empty and has no {SPEC_FILE}: not a sweep")
        (sweep_dir / SPEC_FILE).write_text(json.dumps(wanted, indent=2) + "\n")
    elif stored != json.loads(json.dumps(wanted)):
        lock.close()
        raise ConfigError(
            f"{sweep_dir} holds a different sweep ({_difference(stored, wanted)}); run the "
            "same command to resume it, or choose another --sweep-dir"
        )
    return lock


def _difference(stored: dict[str, Any], wanted: dict[str, Any]) -> str:
    if stored.get("task") != wanted["task"]:
        return f"task {stored.get('task')}, not {wanted['task']}"
    if stored.get("seeds") != wanted["seeds"]:
        return f"seeds {_seed_text(stored.get('seeds', []))}, not {_seed_text(wanted['seeds'])}"
    old, new = stored.get("settings", []), wanted["settings"]
    if [s["values"] for s in old] != [s["values"] for s in new]:
        labels = lambda settings: "; ".join(Setting(s["values"]).label for s in settings)
        return f"settings [{labels(old)}], not [{labels(new)}]"
    for before, after in zip(old, new, strict=True):
        flat_before = _flatten(before["config"])
        flat_after = _flatten(after["config"])
        for name in sorted(flat_before.keys() | flat_after.keys()):
            if flat_before.get(name) != flat_after.get(name):
                return f"{name} = {flat_before.get(name)!r}, not {flat_after.get(name)!r}"
    return "a different spec"


def _seed_text(seeds: list[int]) -> str:
    if seeds and seeds == list(range(seeds[0], seeds[0] + len(seeds))):
        return f"{seeds[0]}-{seeds[-1]}"
    return ",".join(map(str, seeds))


# --- running it --------------------------------------------------------------------------


@dataclass
class RunRecord:
    setting: int
    seed: int
    name: str
    outcome: Outcome | None = None  # None: not finished


@dataclass
class SweepReport:
    spec: SweepSpec
    sweep_dir: Path
    records: list[RunRecord]
    completed: bool  # every run has ended
    wall_seconds: float
    rows: list[dict[str, Any]] = field(default_factory=list)  # the success table


def run_sweep(
    spec: SweepSpec,
    sweep_dir: str | Path,
    *,
    backend: str = "local",
    workers: int | None = None,
    address: str | None = None,
    max_runs: int | None = None,
    generalisation: int = 50,
    eval_examples: int = 32,
    compile_cache: str | Path | None = "default",
    log: Callable[[str], None] = print,
) -> SweepReport:
    """Run (or resume) the sweep, print a line per finished run, write and return the table.

    compile_cache: a directory for JAX's persistent compilation cache shared by the runs;
    "default" is SWEEP_DIR/.jax-cache (unless JAX_COMPILATION_CACHE_DIR is set), None is off.
    """
    sweep_dir = Path(sweep_dir)
    if compile_cache == "default":
        compile_cache = os.environ.get("JAX_COMPILATION_CACHE_DIR") or sweep_dir / ".jax-cache"
    cache = str(Path(compile_cache).resolve()) if compile_cache else None
    workers = workers or os.cpu_count() or 1
    if workers < 1:
        raise ConfigError(f"--workers must be >= 1, got {workers}")
    if backend not in ("local", "ray"):
        raise ConfigError(f"unknown backend {backend!r}; valid backends: local, ray")
    lock = claim_sweep_dir(spec, sweep_dir)
    started = time.perf_counter()
    try:
        records, jobs = [], []
        for index, seed, name in spec.runs():
            record = RunRecord(index, seed, name)
            config = replace(spec.configs[index], seed=seed)
            job = Job(
                name,
                str(sweep_dir / name),
                configuration.as_dict(config),
                generalisation,
                eval_examples,
                cache,
            )
            if needs_work(job):
                jobs.append(job)
            else:
                record.outcome = _outcome_on_disk(sweep_dir / name, job)
            records.append(record)
        earlier = len(records) - len(jobs)
        if max_runs is not None:
            jobs = jobs[:max_runs]
        log(
            f"sweep {sweep_dir}: {spec.task}, {len(spec.settings)} setting(s) x "
            f"{len(spec.seeds)} seed(s) = {len(records)} runs; {earlier} done before, "
            f"{len(jobs)} to run on {workers} {backend} worker(s)"
        )
        live = LiveTable(records, spec, log)
        if jobs and backend == "local":
            run_local(jobs, min(workers, len(jobs)), live.started, live.done)
        elif jobs:
            run_ray(jobs, address, workers, live.started, live.done)
        report = SweepReport(
            spec,
            sweep_dir,
            records,
            completed=all(r.outcome is not None and r.outcome.final for r in records),
            wall_seconds=time.perf_counter() - started,
        )
        report.rows = success_table(report)
        write_summary(report)
        return report
    finally:
        lock.close()


def _outcome_on_disk(run_dir: Path, job: Job) -> Outcome:
    from nram.sweep_backends import cpu_seconds, saved_generalisation

    result = final_result(run_dir)
    report = saved_generalisation(run_dir, job.generalisation, job.eval_examples)
    return Outcome(job.key, result, report, cpu_seconds=cpu_seconds(run_dir))


class LiveTable:
    """One line per finished run, with the sweep's running totals."""

    def __init__(self, records: list[RunRecord], spec: SweepSpec, log: Callable[[str], None]):
        self.by_name = {record.name: record for record in records}
        self.spec = spec
        self.log = log
        self.in_flight = 0

    def started(self, job: Job) -> None:
        self.in_flight += 1

    def done(self, outcome: Outcome) -> None:
        self.in_flight -= 1
        record = self.by_name[outcome.key]
        if outcome.final:
            record.outcome = outcome
        records = self.by_name.values()
        finished = [r for r in records if r.outcome is not None and r.outcome.final]
        solved = sum(r.outcome.result["solved"] for r in finished)
        totals = (
            f"[{len(finished):>3}/{len(records)} done, {self.in_flight} in flight, {solved} solved]"
        )
        setting = self.spec.settings[record.setting].label
        self.log(f"{totals} {record.name} ({setting}): {_describe(outcome)}")


def _describe(outcome: Outcome) -> str:
    if outcome.error:
        return f"failed ({outcome.error}); it is retried next time"
    result = outcome.result or {}
    if outcome.interrupted:
        return f"interrupted at step {result.get('step', '?')}; resumes next time"
    resumed = ", resumed" if outcome.resumed else ""
    if result["solved"]:
        text = f"solved at step {result['step']} ({result['seconds']:.0f} s{resumed})"
        if outcome.generalisation:
            g = outcome.generalisation
            text += (
                f"; at difficulty {g['difficulty']} error {g['fuzzy_error']:.3f} fuzzy, "
                f"{g['discrete_error']:.3f} discretised"
            )
        return text
    return (
        f"not solved ({result['reason']}) at step {result['step']}, level "
        f"{result['level']}, error {result['error']:.3f} ({result['seconds']:.0f} s{resumed})"
    )


# --- the success table -------------------------------------------------------------------


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
        "best_error": min((result["error"] for result in results), default=math.nan),
        "best_level": max((result["level"] for result in results), default=0),
        "plateau_stops": sum(result["reason"] == "plateau" for result in results),
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


# --- the command -------------------------------------------------------------------------


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "sweep",
        help="many seeds and settings of a task, and their success rates",
        description="Train TASK for every setting x seed (grid or random search), each run a "
        "run directory under one sweep directory; print a line per finished run and, at the "
        "end, the success table (also summary.csv/.md/.png in the sweep directory). Run the "
        "same command again to resume an interrupted sweep.",
        epilog="examples:\n"
        "  nram sweep access --seeds 10\n"
        "  nram sweep copy --seeds 0-19 --set lr=1e-3,3e-3 --set noise.eta=0,0.3\n"
        "  nram sweep copy --random 8 --set lr=log:1e-4:1e-2 --set entropy.weight=0,0.03\n"
        "  nram sweep --sweep sweeps/swap-lstm.toml --backend ray --address auto\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("task", nargs="?", help="the task (or task = ... in --sweep FILE)")
    parser.add_argument(
        "--seeds", help=f"a count (20), a range (0-19) or a list (1,4,7-9); default {DEFAULT_SEEDS}"
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        dest="assignments",
        metavar="NAME=VALUES",
        help="fix a setting (lr=1e-3) or sweep it "
        "(lr=1e-3,3e-3; with --random also lr=log:1e-4:1e-2 or LOW:HIGH)",
    )
    parser.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="FILE.toml",
        help="TOML file of base settings (may repeat)",
    )
    parser.add_argument(
        "--sweep",
        dest="sweep_file",
        metavar="FILE.toml",
        help="sweep file: task, seeds, [base], and [grid] or [random]",
    )
    parser.add_argument(
        "--random",
        type=int,
        metavar="N",
        dest="random_count",
        help="random search: sample N settings from the swept values/ranges",
    )
    parser.add_argument("--random-seed", type=int, help="seed of that sample (default 0)")
    parser.add_argument(
        "--patience",
        type=int,
        help="stop a run after this many steps "
        f"without a curriculum promotion; 0: never (default {DEFAULT_PATIENCE})",
    )
    parser.add_argument(
        "--sweep-dir",
        help="where the runs go (default sweeps/TASK-DIGEST, the same for the same command)",
    )
    parser.add_argument("--backend", choices=["local", "ray"], default="local")
    parser.add_argument("--workers", type=int, help="parallel runs (default: the CPU count)")
    parser.add_argument("--address", help="Ray cluster address (default: start a local one)")
    parser.add_argument("--max-runs", type=int, help="start at most this many runs now")
    parser.add_argument(
        "--generalisation",
        type=int,
        default=50,
        metavar="DIFFICULTY",
        help="evaluate solved models at this difficulty (0: skip; default 50)",
    )
    parser.add_argument(
        "--eval-examples", type=int, default=32, help="examples for that evaluation (default 32)"
    )
    parser.add_argument(
        "--compile-cache",
        default="default",
        metavar="DIR",
        help="JAX compilation cache the runs share (default SWEEP_DIR/.jax-cache; "
        "'off': every run compiles)",
    )
    parser.set_defaults(handler=run_command)


def run_command(args: argparse.Namespace) -> int:
    if args.max_runs is not None and args.max_runs < 0:
        raise ConfigError(f"--max-runs must be >= 0, got {args.max_runs}")
    if args.eval_examples < 1:
        raise ConfigError(f"--eval-examples must be >= 1, got {args.eval_examples}")
    spec = build_spec(
        args.task,
        sweep_file=args.sweep_file,
        config_files=args.config,
        assignments=args.assignments,
        seeds=args.seeds,
        random_count=args.random_count,
        random_seed=args.random_seed,
        patience=args.patience,
    )
    sweep_dir = Path(args.sweep_dir) if args.sweep_dir else default_sweep_dir(spec)
    report = run_sweep(
        spec,
        sweep_dir,
        backend=args.backend,
        workers=args.workers,
        address=args.address,
        max_runs=args.max_runs,
        generalisation=args.generalisation,
        eval_examples=args.eval_examples,
        compile_cache=None if args.compile_cache == "off" else args.compile_cache,
        log=lambda line: print(line, flush=True),
    )
    print()
    print(markdown_table(report))
    total = next(row for row in reversed(report.rows))
    print(
        f"\n{total['solved']} of {total['finished']} finished runs solved; "
        f"{total['cpu_hours']:.3f} CPU-hours, "
        f"{report.wall_seconds / 60:.1f} min wall time; tables and plot in {sweep_dir}/summary.*"
    )
    if not report.completed:
        print("not every run has ended: run the same command again to carry on", file=sys.stderr)
    return 0
