"""A sweep's specification: the settings x seeds to run, from the command line and sweep files.

Settings come from, in order: the general and per-task defaults, the sweep's default
`patience`, --config files, the sweep file's [base] table, fixed --set values, then the swept
values (a --set with several comma-separated values, or [grid]/[random] tables). Every
setting's config is resolved here, so that a bad setting is an error before anything runs.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from nram import config as configuration
from nram.config import TrainConfig
from nram.errors import ConfigError
from nram.sweep.scheduler import Asha

# Steps without a curriculum promotion before a sweep gives up on a run: runs either clear
# every level in a burst or sit on a flat plateau (docs/sweeps.md measures the saving).
DEFAULT_PATIENCE = 1000
DEFAULT_SEEDS = 10


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
    scheduler: Asha | None = None  # stops the runs that fall behind (nram.sweep.scheduler)

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
        spec = {
            "task": self.task,
            "seeds": self.seeds,
            "settings": [
                {"values": setting.values, "config": _without_seed(config)}
                for setting, config in zip(self.settings, self.configs, strict=True)
            ],
        }
        if self.scheduler:
            spec["scheduler"] = self.scheduler.as_dict()
        return spec

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


def flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"noise": {"eta": [0, 0.3]}} -> {"noise.eta": [0, 0.3]}; a range table stays whole."""
    flat: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, dict) and not ({"low", "high"} & value.keys()):
            flat |= flatten(value, f"{prefix}{key}.")
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
    scheduler: Asha | None = None,
    plugins: list[str] | tuple[str, ...] = (),
) -> SweepSpec:
    """Turn the command line (and an optional sweep file) into a checked SweepSpec.

    A --set NAME=V with one value fixes a setting for every run; NAME=V1,V2 makes it a grid
    axis (or, with random_count, a set to sample from); NAME=LOW:HIGH / log:LOW:HIGH is a
    range for random search. Every resulting config is resolved now, so that an unknown
    setting or a bad value is an error before anything runs. `plugins` (--plugin files) are
    recorded in every run's config, for the workers to import.
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
    axes = flatten(file.get("grid", {})) | flatten(random_table) | swept
    known = configuration.valid_names()
    for name in axes:
        if name not in known:
            raise ConfigError(f"unknown setting {name!r}; valid settings: {', '.join(known)}")

    # The base: defaults, the sweep's patience, files, [base], fixed --set, then --patience.
    base = replace(configuration.resolve(task, plugins=plugins), patience=DEFAULT_PATIENCE)
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
    return SweepSpec(task, replace(base, seed=0), settings, seed_list, configs, scheduler)


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


def seed_text(seeds: list[int]) -> str:
    """Seeds as --seeds would write them: a range where they are one (0-9), else a list."""
    if seeds and seeds == list(range(seeds[0], seeds[0] + len(seeds))):
        return f"{seeds[0]}-{seeds[-1]}"
    return ",".join(map(str, seeds))
