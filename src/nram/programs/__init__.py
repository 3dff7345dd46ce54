"""Hand-written programs for the ten tasks: the paper's algorithms as runnable, checked text.

Each program is a file `NAME.nram` in this package, in the notation `nram program` prints and
`program.parse` reads: blocks of `when r1 = 0, r2 != 0:` (or `otherwise:`) followed by the
circuit the controller chooses for those zero-patterns. Its header states the machine it
needs, in two lines that this module reads:

    # machine: registers = 2, repeat = 2
    # horizon: T(n) = 3

(`modules = ...` may name another module sequence; the paper's 14 are the default.) The rest
of the header says, in prose, why the program needs what it needs. NAME is the task's name
(its smallest program for one pass of the module sequence per step) or TASK-VARIANT for
another machine, e.g. `swap-repeat2`.

    >>> import numpy as np
    >>> from nram import programs, tasks
    >>> swap = programs.get("swap")
    >>> example = tasks.get("swap").sample(np.random.default_rng(0), 5, 8)
    >>> swap.run(example.memory, 5) == tasks.get("swap").solve(example.memory).tolist()
    True
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources

import numpy as np

from nram import config as configuration
from nram import discrete, modules, tasks
from nram.config import Horizon, TrainConfig
from nram.discrete import CircuitTable, IntegerMachine, mlp_model
from nram.errors import ProgramError
from nram.machine import NRAM, MachineConfig
from nram.program import parse


@dataclass(frozen=True)
class Program:
    """A hand-written program: its circuit table and the machine and horizon it needs."""

    name: str
    task: str
    text: str
    config: MachineConfig  # an MLP of width 2^R: one hidden unit per zero-pattern
    horizon: Horizon
    table: CircuitTable

    @property
    def modules(self) -> tuple[modules.Module, ...]:
        return modules.sequence(self.config.modules, self.config.repeat)

    def machine(self) -> IntegerMachine:
        return IntegerMachine(self.modules, self.config.registers, self.table)

    def run(self, memory: Sequence[int], difficulty: int) -> list[int]:
        """The final memory after T(difficulty) steps (or the step that halts), at any M."""
        return self.machine().run([int(v) for v in memory], self.horizon(difficulty)).memory

    def model(self, margin: float = 30.0, width: int | None = None) -> NRAM:
        """The program as an MLP controller for the fuzzy machine: each zero-pattern's circuit
        as one-hot logits times `margin` (`discrete.mlp_model`); `width` >= 2^R."""
        config = self.config if width is None else replace(self.config, width=width)
        return mlp_model(self.table, config, margin)

    def settings(self) -> list[str]:
        """The program's machine and horizon as --set assignments for `nram train`."""
        return [
            f"machine.registers={self.config.registers}",
            f"machine.repeat={self.config.repeat}",
            f"machine.modules={','.join(self.config.modules)}",
            f"horizon.scale={self.horizon.scale}",
            f"horizon.offset={self.horizon.offset}",
            f"horizon.minimum={self.horizon.minimum}",
        ]

    def train_config(self) -> TrainConfig:
        """The task's training defaults with this program's machine and horizon."""
        return configuration.resolve(self.task, assignments=self.settings())


def describe_horizon(horizon: Horizon) -> str:
    """A horizon as the header writes it: `T(n) = 2n + 1`."""
    scale = {0: "", 1: "n"}.get(horizon.scale, f"{horizon.scale}n")
    offset = horizon.offset
    if not scale:
        text = str(max(offset, horizon.minimum))
    elif offset:
        text = f"{scale} {'+' if offset > 0 else '-'} {abs(offset)}"
    else:
        text = scale
    return f"T(n) = {text}"


def check(
    program: Program, difficulties: list[int], *, examples: int, rng: np.random.Generator
) -> dict:
    """The program's error per difficulty on fresh examples, on the integer machine, with M
    scaled as `nram eval` scales it (the task's training memory, then the layout's minimum
    plus the same slack): a report in `evaluate.report`'s shape, the fuzzy column empty."""
    results = discrete.measure_on_integers(
        program.model(), program.train_config(), difficulties, examples=examples, rng=rng
    )
    rows = [
        {
            "difficulty": result.difficulty,
            "memory_size": result.memory_size,
            "timesteps": result.timesteps,
            "fuzzy": None,
            "discrete": {"error": result.error, "exact": result.exact},
        }
        for result in results
    ]
    return {"task": program.task, "examples": examples, "results": rows}


_AFFINE = re.compile(r"(?:(\d*)n)?([+-]?\d+)?")


def parse_horizon(text: str) -> Horizon:
    """`T(n) = 2n + 1`, `T(n) = n`, `T(n) = 5` as a Horizon (scale, offset, minimum 1)."""
    left, equals, right = text.partition("=")
    compact = right.replace(" ", "")
    match = _AFFINE.fullmatch(compact)
    if left.strip() != "T(n)" or not equals or not compact or not match:
        raise ProgramError(f"cannot read the horizon {text.strip()!r}; write e.g. T(n) = 2n + 1")
    coefficient, constant = match.groups()
    scale = 0 if "n" not in compact else int(coefficient or 1)
    return Horizon(scale=scale, offset=int(constant or 0), minimum=1)


def parse_header(text: str) -> tuple[MachineConfig, Horizon]:
    """The machine and horizon a program's header states (`# machine:`, `# horizon:`)."""
    settings: dict[str, str] = {}
    horizon = None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("# machine:"):
            for part in line.removeprefix("# machine:").split(","):
                key, equals, value = part.partition("=")
                if not equals:
                    raise ProgramError(
                        f"cannot read {part.strip()!r} in {line!r}: write key = value"
                    )
                settings[key.strip()] = value.strip()
        elif line.startswith("# horizon:"):
            horizon = parse_horizon(line.removeprefix("# horizon:"))
    unknown = settings.keys() - {"registers", "repeat", "modules"}
    if unknown:
        valid = "registers, repeat, modules"
        raise ProgramError(f"unknown machine setting(s) {sorted(unknown)}; valid: {valid}")
    if "registers" not in settings or horizon is None:
        raise ProgramError(
            "a program's header needs `# machine: registers = R` and `# horizon: T(n) = ...`"
        )
    registers = int(settings["registers"])
    names = settings.get("modules", "paper")
    sequence = modules.PAPER_MODULES if names == "paper" else tuple(names.split())
    config = MachineConfig(
        registers=registers,
        modules=sequence,
        repeat=int(settings.get("repeat", 1)),
        controller="mlp",
        width=2**registers,
    )
    return config, horizon


def load(text: str, name: str, task: str) -> Program:
    """A program from its text (header and circuits)."""
    tasks.get(task)  # an unknown task fails here, clearly
    config, horizon = parse_header(text)
    table = parse(text, modules.sequence(config.modules, config.repeat), config.registers)
    return Program(name, task, text, config, horizon, table)


def _files() -> dict[str, str]:
    folder = resources.files(__name__)
    return {
        entry.name.removesuffix(".nram"): entry.read_text()
        for entry in folder.iterdir()
        if entry.name.endswith(".nram")
    }


NAMES: tuple[str, ...] = tuple(sorted(_files(), key=lambda n: (n.split("-")[0], n)))
"""Every shipped program: one per task (its name), and variants TASK-VARIANT."""


@cache
def get(name: str) -> Program:
    """The shipped program NAME (one of NAMES): a task's name, or TASK-VARIANT."""
    files = _files()
    if name not in files:
        raise ProgramError(f"no program {name!r}; shipped programs: {', '.join(NAMES)}")
    return load(files[name], name, name.split("-")[0])
