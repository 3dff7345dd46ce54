"""Every training setting, its default, and the per-task defaults — in one readable place.

A run is described by one `TrainConfig`: a few top-level settings and a handful of sections.
Settings are addressed by dotted names (`lr`, `machine.width`, `noise.eta`) on the command
line (`--set noise.eta=0`) and as TOML tables (`[noise] eta = 0`). `PER_TASK` holds the
settings that differ from the general defaults for each task. docs/configuration.md lists
every setting and says why each default is what it is.
"""

from __future__ import annotations

import dataclasses
import json
import math
import operator
import tomllib
import types
import typing
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from nram.curriculum import CurriculumConfig
from nram.errors import ConfigError, NramError, file_errors
from nram.machine import MachineConfig


@dataclass(frozen=True)
class Horizon:
    """Timesteps an example of difficulty n gets: T(n) = max(minimum, scale * n + offset).

    `climb_scale` and `climb_offset`, where set, replace `scale` and `offset` for training
    examples below the curriculum's top level: a horizon for the climb, and T(n) at the top
    and in every evaluation. Ours, not the paper's (docs/configuration.md)."""

    scale: int = 1
    offset: int = 2
    minimum: int = 1
    climb_scale: int | None = None
    climb_offset: int | None = None

    def __call__(self, difficulty: int) -> int:
        return max(self.minimum, self.scale * difficulty + self.offset)

    def climbing(self) -> Horizon:
        """The horizon below the top level (this one where neither climb setting is set)."""
        return Horizon(
            scale=self.scale if self.climb_scale is None else self.climb_scale,
            offset=self.offset if self.climb_offset is None else self.climb_offset,
            minimum=self.minimum,
        )


@dataclass(frozen=True)
class Clip:
    activation: float | None = 10.0  # C1: d(loss)/d(activation) clipped to [-C1, C1]
    global_norm: float | None = 10.0  # C2: parameter gradient rescaled to L2 norm <= C2


@dataclass(frozen=True)
class Noise:
    """Gradient noise, variance eta / (1 + t)^gamma (Neelakantan et al. 2015); eta=0: off."""

    eta: float = 0.01
    gamma: float = 0.55


@dataclass(frozen=True)
class Entropy:
    """Bonus on the entropy of the controller's selectors: weight * 0.5^(step / half_life).

    `sharpen` is ours, not the paper's: once the curriculum is at its top level and the recent
    training error is below the promotion threshold, the entropy is penalised with this weight
    instead of rewarded, so that a fuzzy program that is right only as a soft superposition
    is pushed to the hard choices the discretised machine makes (docs/results.md). 0: the
    paper's schedule throughout."""

    weight: float = 0.03
    half_life: float = 2000.0
    sharpen: float = 0.01


@dataclass(frozen=True)
class NumericsSettings:
    renormalise: bool = True
    log_eps: float = 1e-6  # every log is log(max(x, log_eps))
    loss: str = "expected"  # "expected" (the paper's) or "footnote"
    # Ours, not the paper's: once a solved check fails while the attempt is exact fuzzily at
    # every training difficulty, its controller sees round(P(r_i = 0)) for the rest of the
    # attempt, as the discretised controller does, and the attempt gets `restart_after` more
    # steps. A fuzzy program can be exact while
    # relying on a soft input (P = 0.07 where the discretised machine gives 0): docs/ideas.md.
    harden_inputs: bool = False
    # Ours: while training, the controller sees P(r_i = 0) plus Gaussian noise of this
    # standard deviation (not once its inputs are rounded), so that it cannot tell the steps
    # apart by small differences between soft inputs (docs/ideas.md). 0: none.
    input_noise: float = 0.0


@dataclass(frozen=True)
class Evaluation:
    every: int = 50  # at the top level, check "solved" every this many steps
    examples: int = 32  # examples per difficulty in that check, fuzzy and discretised
    # That check also asks for error 0 at 2x, ceil(stretch / 2)x and stretch x the top
    # difficulty (M and T scaled): a fuzzy program can be exact at the training sizes and
    # drift on longer runs. 7 puts the largest check past 100 for the easy tasks (why not
    # less: docs/configuration.md). 1: the training sizes only.
    stretch: int = 7


@dataclass(frozen=True)
class Init:
    """Where every attempt's parameters start: the default random initialisation, or a
    hand-written program (`nram.programs`) built into the MLP, each circuit's choices `margin`
    logits above the rest, plus Gaussian noise of standard deviation `perturb` on every
    weight. To ask whether training keeps a right program (docs/programs.md)."""

    program: str = ""  # a shipped program's name, e.g. "swap-repeat2"; "": random
    margin: float = 3.0
    perturb: float = 0.0


@dataclass(frozen=True)
class TrainConfig:
    task: str = "copy"
    seed: int = 0
    steps: int = 20000  # upper bound; a run stops earlier once solved
    max_seconds: float = 0.0  # training wall-time budget, summed over resumes (0: none)
    batch_size: int = 32
    lr: float = 3e-3
    memory_size: int = 0  # set per task (PER_TASK)
    max_difficulty: int = 0  # set per task: the paper's training complexity
    checkpoint_every: int = 500
    log_every: int = 10
    # Start afresh (new parameters and optimiser, curriculum from the bottom, same data stream)
    # when the level has not risen, or the top level not been solved, for this many steps; a
    # run is then a sequence of attempts, like the paper's restarts (0: never). Ours, not the
    # paper's: docs/configuration.md.
    restart_after: int = 500
    # Attempts trained side by side, in one vmapped step; each restarts on its own, and the
    # run is solved when one of them is. On a CPU, Swap's small attempts train 1.8 times as
    # fast this way (docs/speed.md). Ours, not the paper's.
    parallel_attempts: int = 1
    # Stop a run whose curriculum level has not risen for this many steps (0: never).
    patience: int = 0
    # Python files imported first (e.g. to register modules of one's own).
    plugins: tuple[str, ...] = ()
    horizon: Horizon = field(default_factory=Horizon)
    machine: MachineConfig = field(default_factory=lambda: MachineConfig(width=256))
    clip: Clip = field(default_factory=Clip)
    noise: Noise = field(default_factory=Noise)
    entropy: Entropy = field(default_factory=Entropy)
    numerics: NumericsSettings = field(default_factory=NumericsSettings)
    curriculum: CurriculumConfig = field(default_factory=CurriculumConfig)
    evaluation: Evaluation = field(default_factory=Evaluation)
    init: Init = field(default_factory=Init)


# Per task, beyond the general defaults: a memory with slack over the layout's minimum at the
# paper's training complexity (without it the natural algorithm can wrap round mod M), and
# whatever else measurement said; the reasons are in docs/configuration.md.
# The top difficulty defaults to the paper's (Table 1): `task.paper_max_difficulty`.
# A plugin's task brings its own, in the same shape, as `task.defaults` (docs/plugins.md).
# Gradient noise is off for the four easy tasks: it held Copy seeds back.
EASY = {"noise": {"eta": 0.0}}


def two_pass_recipe(memory_size: int, registers: int, offset: int) -> dict[str, Any]:
    """Listk's recipe on a task's two-pass program machine (R `registers`, the module sequence
    twice per step, T(n) = n + `offset`: docs/programs.md): width 64, batch 8, no noise, the
    curriculum without its lookahead (level D trains on d <= D), attempts of 3,000 steps
    (listk's first seeds left level 2 after 1,700-2,700), and rounded controller inputs once
    right fuzzily (docs/ideas.md)."""
    return {
        "memory_size": memory_size,
        "batch_size": 8,
        "machine": {"registers": registers, "repeat": 2, "width": 64},
        "horizon": {"scale": 1, "offset": offset, "minimum": 1},
        "noise": {"eta": 0.0},
        "curriculum": {"lookahead": False, "uniform_share": 0.0},
        "numerics": {"harden_inputs": True},
        "restart_after": 3000,
        "steps": 1_000_000,
    }


PER_TASK: dict[str, dict[str, Any]] = {
    "access": {"memory_size": 24, **EASY},
    # lr 1e-3, entropy 0.01 and longer attempts: no variant measured better; a lottery, not
    # a tuned result (docs/results.md).
    "increment": {
        "memory_size": 18,
        "lr": 1e-3,
        "restart_after": 1000,
        "entropy": {"weight": 0.01},
        **EASY,
    },
    "copy": {"memory_size": 32, **EASY},
    "reverse": {"memory_size": 32, **EASY},
    # Swap: the one-pass program's machine (3 registers, 5 steps), none of the two things that
    # push a right program away (noise, the curriculum's fixed-address level 2), many short,
    # cheap attempts, 32 at a time, and rounded controller inputs once right fuzzily
    # (docs/ideas.md).
    "swap": {
        "memory_size": 24,
        "batch_size": 8,
        "machine": {"registers": 3, "width": 64},
        "horizon": {"scale": 0, "offset": 5, "minimum": 1},
        "noise": {"eta": 0.0},
        "curriculum": {"enabled": False},
        "numerics": {"harden_inputs": True},
        "restart_after": 600,
        "parallel_attempts": 32,
        "steps": 1_000_000,
    },
    # Permutation and listk: listk's recipe on their two-pass program machines; on it
    # permutation's attempts climb past level 2, where on the one-pass machine none did
    # (docs/results.md).
    "permutation": two_pass_recipe(memory_size=14, registers=2, offset=1),
    "listk": two_pass_recipe(memory_size=24, registers=2, offset=1),
    # One READ per step, so T must cover the reads an algorithm needs: that count + 1, as
    # n + 2 is for Copy (p, then n elements).
    # head, v, then each node's value and (but the last's) next: 2n + 1 reads.
    "listsearch": {"memory_size": 16, "horizon": {"scale": 2, "offset": 2}},
    # Merge and walkbst: listk's recipe on their two-pass program machines, and no entropy
    # bonus, under which more attempts climb past level 2 (docs/ideas.md). Merge's horizon is
    # T(10) = 12 at every training size, so that it does not tell the machine the size, and
    # n + 2 beyond (docs/results.md).
    "merge": two_pass_recipe(memory_size=26, registers=4, offset=2)
    | {"entropy": {"weight": 0.0}, "horizon": {"scale": 1, "offset": 2, "minimum": 12}},
    # Walkbst's loops take two steps a turn: T(n) = 2n + 1 at the top and in evaluation, the
    # climb at n + 2, on which its attempts found them; the controller's input weights start
    # at 0; and its inputs never rounded, which broke a loop at the top (docs/ideas.md). A
    # dotted name sets one field and keeps the recipe's others.
    "walkbst": two_pass_recipe(memory_size=44, registers=3, offset=2)
    | {
        "entropy": {"weight": 0.0},
        "machine.input_scale": 0.0,
        "horizon": {"scale": 2, "offset": 1, "minimum": 1, "climb_scale": 1, "climb_offset": 2},
        "numerics": {"harden_inputs": False},
    },
}


# --- reading and writing settings --------------------------------------------------------


def as_dict(config: Any) -> dict[str, Any]:
    """The config as plain nested dicts (tuples become lists), ready for JSON or TOML."""
    return json_ready(dataclasses.asdict(config))


def json_ready(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(item) for item in value]
    return value


def _field_types(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _parse_value(text: str, kind: Any, name: str) -> Any:
    """Parse a command-line string into the setting's type."""
    origin = typing.get_origin(kind)
    if origin in (types.UnionType, typing.Union):
        options = [arg for arg in typing.get_args(kind) if arg is not type(None)]
        if text.strip().lower() in ("none", "null", "off"):
            return None
        return _parse_value(text, options[0], name)
    if origin is tuple:
        return tuple(item.strip() for item in text.split(",") if item.strip())
    try:
        if kind is bool:
            lowered = text.strip().lower()
            if lowered in ("true", "1", "yes", "on"):
                return True
            if lowered in ("false", "0", "no", "off"):
                return False
            raise ValueError
        if kind is int:
            return int(text)
        if kind is float:
            return float(text)
        if kind is str:
            return text
    except ValueError:
        pass
    raise ConfigError(f"setting {name}: cannot read {text!r} as {getattr(kind, '__name__', kind)}")


def _check_value(value: Any, kind: Any, name: str) -> Any:
    """Check (and lightly coerce) a value that came from TOML."""
    origin = typing.get_origin(kind)
    if origin in (types.UnionType, typing.Union):
        if value is None or (isinstance(value, str) and value.lower() == "none"):
            return None  # TOML has no null: "none" stands for it
        options = [arg for arg in typing.get_args(kind) if arg is not type(None)]
        return _check_value(value, options[0], name)
    if origin is tuple and isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if (
        isinstance(kind, type)
        and isinstance(value, kind)
        and not (kind is int and isinstance(value, bool))
    ):
        return value
    raise ConfigError(f"setting {name}: expected {getattr(kind, '__name__', kind)}, got {value!r}")


def settings(config: Any, prefix: str = "") -> dict[str, Any]:
    """Every setting of `config` by its dotted name."""
    found: dict[str, Any] = {}
    for item in fields(config):
        value = getattr(config, item.name)
        if dataclasses.is_dataclass(value):
            found |= settings(value, f"{prefix}{item.name}.")
        else:
            found[prefix + item.name] = value
    return found


def valid_names() -> list[str]:
    return list(settings(TrainConfig()))


def set_value(config: Any, dotted: str, value: Any, *, from_text: bool, prefix: str = "") -> Any:
    """A copy of `config` with the setting `dotted` changed (`prefix`: its section, if any)."""
    head, _, rest = dotted.partition(".")
    name = prefix + dotted
    known = {item.name for item in fields(config)}
    if head not in known:
        raise ConfigError(f"unknown setting {name!r}; valid settings: {', '.join(valid_names())}")
    current = getattr(config, head)
    if dataclasses.is_dataclass(current):
        if not rest:
            raise ConfigError(f"{name} is a section; set one of its fields, e.g. {name}.<name>")
        changed = set_value(current, rest, value, from_text=from_text, prefix=f"{prefix}{head}.")
        return _replace(config, head, changed)
    if rest:
        raise ConfigError(f"unknown setting {name!r}: {prefix}{head} is not a section")
    kind = _field_types(type(config))[head]
    parsed = _parse_value(value, kind, name) if from_text else _check_value(value, kind, name)
    return _replace(config, head, parsed)


def _replace(config: Any, name: str, value: Any) -> Any:
    try:
        return replace(config, **{name: value})
    except NramError as error:  # a section's own validation (e.g. an unknown module)
        raise ConfigError(str(error)) from None


def apply_mapping(config: Any, mapping: dict[str, Any], prefix: str = "") -> Any:
    """Apply a nested mapping (a parsed TOML file) of settings."""
    for key, value in mapping.items():
        if isinstance(value, dict):
            config = apply_mapping(config, value, f"{prefix}{key}.")
        else:
            config = set_value(config, prefix + key, value, from_text=False)
    return config


def load_toml(path: str | Path) -> dict[str, Any]:
    if not Path(path).exists():
        raise ConfigError(f"no such config file: {path}")
    try:
        with file_errors(path, "read", ConfigError), open(path, "rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path} is not valid TOML: {error}") from None


def parse_assignment(text: str) -> tuple[str, str]:
    name, equals, value = text.partition("=")
    if not equals or not name.strip():
        raise ConfigError(f"expected NAME=VALUE, got {text!r} (e.g. --set lr=1e-3)")
    return name.strip(), value.strip()


def resolve(
    task: str,
    *,
    files: list[str] | tuple[str, ...] = (),
    assignments: list[str] | tuple[str, ...] = (),
    seed: int | None = None,
    plugins: list[str] | tuple[str, ...] = (),
) -> TrainConfig:
    """General defaults, then the task's, then TOML files, then NAME=VALUE assignments.
    `plugins` (--plugin files) are imported first and recorded in the config, so that a run
    of a plugin's task or modules loads them again when it resumes or is evaluated."""
    load_plugins(plugins)
    config = _with_task_defaults(task)
    for path in files:
        config = apply_mapping(config, load_toml(path))
    for assignment in assignments:
        config = set_value(config, *parse_assignment(assignment), from_text=True)
    if seed is not None:
        config = replace(config, seed=seed)
    recorded = dict.fromkeys(absolute_paths(plugins) + config.plugins)  # each file once
    config = replace(config, plugins=tuple(recorded))
    load_plugins(config.plugins)
    return validate(config)


def _with_task_defaults(task: str) -> TrainConfig:
    """The general defaults, then the task's: its paper's top difficulty and the smallest
    memory that holds it, then PER_TASK for the paper's tasks or the task's own `defaults` for
    a plugin's (a bad one names its task)."""
    from nram import tasks

    if task not in tasks.names():
        raise ConfigError(f"unknown task {task!r}; valid tasks: {', '.join(tasks.names())}")
    task_object = tasks.get(task)
    top = task_object.paper_max_difficulty
    defaults = {
        "max_difficulty": top,
        "memory_size": task_object.min_memory(top),
        **PER_TASK.get(task, task_object.defaults),
    }
    try:
        return apply_mapping(TrainConfig(task=task), defaults)
    except ConfigError as error:
        raise ConfigError(f"task {task}'s defaults: {error}") from None


# What every number among the settings must be, besides finite: `validate` refuses anything
# else by name. The task's sizes, the horizon and the curriculum's shares are checked there
# too. The machine and curriculum sections, used on their own as well, check their own fields.
RANGES: dict[str, tuple[str, float]] = {
    "seed": (">=", 0),
    "steps": (">=", 1),
    "max_seconds": (">=", 0),
    "batch_size": (">=", 1),
    "lr": (">", 0),
    "checkpoint_every": (">=", 1),
    "log_every": (">=", 1),
    "restart_after": (">=", 0),
    "parallel_attempts": (">=", 1),
    "patience": (">=", 0),
    "horizon.scale": (">=", 0),
    "horizon.climb_scale": (">=", 0),
    "clip.activation": (">", 0),
    "clip.global_norm": (">", 0),
    "noise.eta": (">=", 0),
    "noise.gamma": (">=", 0),
    "entropy.weight": (">=", 0),
    "entropy.half_life": (">", 0),
    "entropy.sharpen": (">=", 0),
    "numerics.log_eps": (">", 0),
    "numerics.input_noise": (">=", 0),
    "curriculum.threshold": (">=", 0),
    "evaluation.every": (">=", 1),
    "evaluation.examples": (">=", 1),
    "evaluation.stretch": (">=", 1),
    "init.margin": (">", 0),
    "init.perturb": (">=", 0),
}
COMPARE = {">=": operator.ge, ">": operator.gt}


def validate(config: TrainConfig) -> TrainConfig:
    """Check a complete config: every number in its range, the sizes fit the task, every
    training difficulty gets a step. Settings are applied one at a time (--set, TOML,
    config.json in field order), so rules between settings are checked here, never before."""
    from nram import tasks

    for name, value in settings(config).items():
        _check_range(name, value)
    task = tasks.get(config.task)
    if config.max_difficulty < task.min_difficulty:
        raise ConfigError(
            f"max_difficulty must be >= {task.min_difficulty} for {config.task}, "
            f"got {config.max_difficulty}"
        )
    needed = task.min_memory(config.max_difficulty)
    if config.memory_size < needed:
        raise ConfigError(
            f"{config.task} at max_difficulty {config.max_difficulty} needs memory_size >= "
            f"{needed}, got {config.memory_size}"
        )
    _check_horizon(config.horizon, task.min_difficulty, config.max_difficulty)
    _check_horizon(config.horizon.climbing(), task.min_difficulty, config.max_difficulty, "climb_")
    shares = config.curriculum.uniform_share + config.curriculum.near_share
    if shares > 1:
        raise ConfigError(
            "curriculum.uniform_share + curriculum.near_share must be <= 1, got "
            f"{config.curriculum.uniform_share} + {config.curriculum.near_share}"
        )
    if config.numerics.loss not in ("expected", "footnote"):
        raise ConfigError(
            f"numerics.loss must be expected or footnote, got {config.numerics.loss!r}"
        )
    if config.init.program:
        _check_init_program(config)
    return config


def _check_init_program(config: TrainConfig) -> None:
    """A program to start from must be the task's and fit the machine being trained."""
    from nram import programs

    program = programs.get(config.init.program)
    if program.task != config.task:
        raise ConfigError(f"init.program {program.name} solves {program.task}, not {config.task}")
    machine = config.machine
    needed = [
        setting
        for setting, ours, theirs in zip(
            program.settings()[:3],
            (machine.registers, machine.repeat, machine.modules),
            (program.config.registers, program.config.repeat, program.config.modules),
            strict=True,
        )
        if ours != theirs
    ]
    if machine.controller != "mlp":
        needed.append("machine.controller=mlp")
    if machine.width < program.config.width:
        needed.append(f"machine.width={program.config.width}")
    if needed:
        raise ConfigError(
            f"init.program {program.name} needs {' '.join('--set ' + n for n in needed)}"
        )


def _check_range(name: str, value: Any) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{name} must be a finite number, got {value}")
    if name in RANGES and value is not None:
        comparison, bound = RANGES[name]
        if not COMPARE[comparison](value, bound):
            off = " (or none: off)" if name.startswith("clip.") else ""
            raise ConfigError(f"{name} must be {comparison} {bound}{off}, got {value}")


def _check_horizon(horizon: Horizon, low: int, high: int, prefix: str = "") -> None:
    """T(n) >= 1 at every training difficulty; T grows with n (scale >= 0), so beyond too.
    `prefix` "climb_": the climb's horizon, named by its own settings."""
    scale, offset = f"horizon.{prefix}scale", f"horizon.{prefix}offset"
    for difficulty in (low, high):  # T is max(minimum, a line): its least is at an end
        if horizon(difficulty) < 1:
            raise ConfigError(
                f"the horizon T(n) = max(horizon.minimum, {scale} * n + {offset}) "
                f"gives T({difficulty}) = {horizon(difficulty)} steps; every difficulty "
                f"{low}..{high} needs T(n) >= 1: raise horizon.minimum or {offset}"
            )


def override(
    config: TrainConfig,
    *,
    files: list[str] | tuple[str, ...] = (),
    assignments: list[str] | tuple[str, ...] = (),
    keep: tuple[str, ...] = (),
) -> TrainConfig:
    """`config` with TOML files and NAME=VALUE assignments applied on top; the settings in
    `keep` may not change (a resumed run's task and seed: what makes it the run it is)."""
    changed = config
    for path in files:
        changed = apply_mapping(changed, load_toml(path))
    for assignment in assignments:
        changed = set_value(changed, *parse_assignment(assignment), from_text=True)
    for name in keep:
        if getattr(changed, name) != getattr(config, name):
            raise ConfigError(
                f"{name} cannot change a run: it is {getattr(config, name)} there; "
                f"start a new run for another {name}"
            )
    load_plugins(changed.plugins)
    return validate(changed)


def from_dict(mapping: dict[str, Any], plugins: list[str] | tuple[str, ...] = ()) -> TrainConfig:
    """Rebuild a config saved by `as_dict` (a run directory's config.json). `plugins`, if
    any, take the place of the plugin files it records: a run whose plugin file has moved is
    used by naming the file anew (--plugin)."""
    if plugins:
        mapping = {**mapping, "plugins": list(absolute_paths(plugins))}
    load_plugins(mapping.get("plugins", ()))
    return validate(apply_mapping(TrainConfig(task=mapping.get("task", "copy")), mapping))


def absolute_paths(paths: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Paths as a run records them: absolute, so that any working directory finds them."""
    return tuple(str(Path(path).resolve()) for path in paths)


_LOADED_PLUGINS: set[str] = set()


def load_plugins(paths: list[str] | tuple[str, ...]) -> None:
    """Import each Python file once (a user's modules and tasks register themselves on
    import). A bad module or task in it is an error that names the file."""
    import importlib.util

    for path in paths:
        resolved = str(Path(path).resolve())
        if not Path(resolved).is_file():  # even if imported before: a run must not record it
            raise ConfigError(
                f"plugin {path} does not exist (if it has moved, name it anew: nram --plugin "
                "FILE.py ...)"
            )
        if resolved in _LOADED_PLUGINS:
            continue
        spec = importlib.util.spec_from_file_location(
            f"nram_plugin_{len(_LOADED_PLUGINS)}", resolved
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except SyntaxError as error:  # bad input; any other exception is the plugin's bug
            raise ConfigError(f"plugin {path} line {error.lineno}: {error.msg}") from None
        except NramError as error:
            raise type(error)(f"plugin {path}: {error}") from None
        _LOADED_PLUGINS.add(resolved)


def to_toml(config: Any) -> str:
    """The config as TOML that `--config` reads back (a None setting is written "none")."""
    plain, nested = [], []
    for key, value in as_dict(config).items():
        if isinstance(value, dict):
            lines = [f"{name} = {_toml_value(item)}" for name, item in value.items()]
            nested.append(f"\n[{key}]\n" + "\n".join(lines))
        else:
            plain.append(f"{key} = {_toml_value(value)}")
    return "\n".join(plain) + "\n" + "\n".join(nested) + "\n"


def _toml_value(value: Any) -> str:
    if value is None:
        return '"none"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, float) and value == float("inf"):
        return "inf"
    return repr(value)
