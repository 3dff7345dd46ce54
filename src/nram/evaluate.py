"""Evaluation: the paper's error, and exact-match, per difficulty, fuzzy and discretised.

Error is the paper's metric: wrong scored cells / all scored cells, after argmax of every
cell at the read-out step (the first step with f_t >= 0.5, else the last). Exact-match is the
share of examples with every scored cell right. Beyond the training sizes the memory and the
horizon are scaled: M(n) keeps the training run's slack over the layout's minimum, and
T(n) is the run's horizon rule applied to n.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax import Array

from nram import loss, machine, tasks
from nram.config import TrainConfig
from nram.errors import NramError, file_errors
from nram.machine import NRAM, Numerics
from nram.tasks import Batch


@dataclass(frozen=True)
class DifficultyResult:
    difficulty: int
    memory_size: int
    timesteps: int
    discrete: bool
    examples: int
    error: float  # wrong scored cells / scored cells
    exact: float  # share of examples entirely right

    def as_dict(self) -> dict:
        return self.__dict__.copy()

    @staticmethod
    def of(
        difficulty: int,
        memory_size: int,
        timesteps: int,
        discrete: bool,
        wrong: np.ndarray,
        scored: np.ndarray,
    ) -> DifficultyResult:
        """The paper's error and exact-match from each example's wrong and scored cells."""
        return DifficultyResult(
            difficulty=difficulty,
            memory_size=memory_size,
            timesteps=timesteps,
            discrete=discrete,
            examples=len(wrong),
            error=float(wrong.sum() / scored.sum()),
            exact=float(np.mean(wrong == 0)),
        )


def memory_size_for(config: TrainConfig, difficulty: int) -> int:
    """The training memory within the training sizes; beyond, the layout's minimum + slack."""
    task = tasks.get(config.task)
    slack = config.memory_size - task.min_memory(config.max_difficulty)
    return max(config.memory_size, task.min_memory(difficulty) + slack)


@eqx.filter_jit
def _run_and_count_wrong(
    model: NRAM,
    memory: Array,
    target: Array,
    mask: Array,
    horizon: Array,
    timesteps: int,
    discrete: bool,
    numerics: Numerics,
) -> Array:
    """Wrong scored cells of each example of a batch: int (B,)."""
    outcome = machine.run_batch(
        model, memory, target, horizon, timesteps=timesteps, discrete=discrete, numerics=numerics
    )
    return jax.vmap(loss.wrong_cells)(outcome, target, mask)


def wrong_cells_per_example(
    model: NRAM,
    batch: Batch,
    horizons: np.ndarray,
    *,
    discrete: bool,
    numerics: Numerics,
    chunk: int = 256,
) -> np.ndarray:
    """Wrong scored cells per example, in chunks that bound the memory the run needs."""
    timesteps = int(horizons.max())
    results = []
    for start in range(0, len(horizons), chunk):
        part = slice(start, start + chunk)
        results.append(
            np.asarray(
                _run_and_count_wrong(
                    model,
                    jnp.asarray(batch.memory[part]),
                    jnp.asarray(batch.target[part]),
                    jnp.asarray(batch.mask[part]),
                    jnp.asarray(horizons[part]),
                    timesteps,
                    discrete,
                    numerics,
                )
            )
        )
    return np.concatenate(results)


def measure(
    model: NRAM,
    config: TrainConfig,
    difficulties: list[int],
    *,
    examples: int,
    discrete: bool,
    rng: np.random.Generator,
    memory_size: int | None = None,
    timesteps: int | None = None,
) -> list[DifficultyResult]:
    """Error and exact-match at each difficulty on `examples` fresh examples."""
    task = tasks.get(config.task)
    numerics = Numerics(activation_clip=None, renormalise=config.numerics.renormalise)
    results = []
    # Difficulties that share a memory size run as one batch (one compilation).
    groups: dict[int, list[int]] = {}
    for difficulty in difficulties:
        size = memory_size or memory_size_for(config, difficulty)
        groups.setdefault(size, []).append(difficulty)
    for size, group in groups.items():
        levels = np.repeat(np.array(group, dtype=np.int32), examples)
        batch = task.sample_batch(rng, levels, size)
        horizons = np.array([timesteps or config.horizon(int(d)) for d in levels], dtype=np.int32)
        wrong = wrong_cells_per_example(
            model, batch, horizons, discrete=discrete, numerics=numerics
        )
        scored = batch.mask.sum(axis=1)
        for difficulty in group:
            chosen = levels == difficulty
            results.append(
                DifficultyResult.of(
                    difficulty,
                    size,
                    int(horizons[chosen].max()),
                    discrete,
                    wrong[chosen],
                    scored[chosen],
                )
            )
    return sorted(results, key=lambda result: result.difficulty)


def solved_checks(config: TrainConfig) -> list[tuple[list[int], int | None]]:
    """The sizes `solved` checks, in order: (difficulties, memory size; None: scaled with the
    difficulty). Every difficulty up to the maximum in the training memory, then 2x,
    ceil(stretch / 2)x and stretch x the maximum (those up to stretch)."""
    task = tasks.get(config.task)
    checks = [(list(range(task.min_difficulty, config.max_difficulty + 1)), config.memory_size)]
    # Several sizes, because a program can be exact at the largest and wrong in between
    # (Increment models that wrap round mod M: docs/results.md).
    stretch = config.evaluation.stretch
    for factor in sorted({2, math.ceil(stretch / 2), stretch} & set(range(2, stretch + 1))):
        checks.append(([factor * config.max_difficulty], None))
    return checks


def solved(
    model: NRAM, config: TrainConfig, rng: np.random.Generator, examples: int
) -> tuple[bool, float]:
    """Error 0 at every size of `solved_checks`, fuzzy and discretised (the project's
    definition of solved, docs/spec.md §15), with M and T scaled beyond the training sizes.
    Returns (solved, worst error seen)."""
    worst = 0.0
    for difficulties, memory_size in solved_checks(config):
        for discrete in (False, True):
            results = measure(
                model,
                config,
                difficulties,
                examples=examples,
                discrete=discrete,
                rng=rng,
                memory_size=memory_size,
            )
            worst = max(worst, max(result.error for result in results))
        if worst > 0.0:
            break
    return worst == 0.0, worst


def fuzzily_right(
    model: NRAM, config: TrainConfig, rng: np.random.Generator, examples: int
) -> bool:
    """Error 0 at every training difficulty with the fuzzy machine, in the training memory:
    the first part of `solved` (`numerics.harden_inputs` asks it when the rest fails)."""
    difficulties, memory_size = solved_checks(config)[0]
    results = measure(
        model,
        config,
        difficulties,
        examples=examples,
        discrete=False,
        rng=rng,
        memory_size=memory_size,
    )
    return all(result.error == 0.0 for result in results)


def describe_solved_checks(config: TrainConfig) -> str:
    """The difficulties `solved` checks, e.g. "1..15, 30, 60, 105"."""
    return format_difficulties([n for group, _ in solved_checks(config) for n in group])


def format_difficulties(values: list[int]) -> str:
    """[1, 2, ..., 15, 30, 60] -> "1..15, 30, 60": runs of three or more as a range."""
    parts: list[str] = []
    start = 0
    for end in range(1, len(values) + 1):
        if end < len(values) and values[end] == values[end - 1] + 1:
            continue
        run = values[start:end]
        parts += [f"{run[0]}..{run[-1]}"] if len(run) > 2 else [str(value) for value in run]
        start = end
    return ", ".join(parts)


FUZZY_MAX_MEMORY = 1024
"""The largest M the report runs the fuzzy machine at: its memory is M x M floats per example
(x 256 examples per chunk, 1 GiB at M = 1024); beyond, only the integer machine runs."""


def report(
    model: NRAM,
    config: TrainConfig,
    difficulties: list[int],
    *,
    examples: int,
    rng: np.random.Generator,
    memory_size: int | None = None,
    timesteps: int | None = None,
) -> dict:
    """Fuzzy and discretised results per difficulty, as a JSON-ready dict:

    {"task": str, "examples": int,
     "results": [{"difficulty": int, "memory_size": int, "timesteps": int,
                  "fuzzy": {"error": float, "exact": float} or null,
                  "discrete": {"error": float, "exact": float}}, ...]}

    The discretised figures come from the integer machine (`nram.discrete`: the same
    outputs as `machine.run(discrete=True)`, at any M, without compiling); the fuzzy ones
    are null where M > FUZZY_MAX_MEMORY, too large for the fuzzy machine.
    """
    from nram import discrete as integer_machine  # it imports this module

    fuzzy_rng, discrete_rng = (np.random.default_rng(rng.integers(2**63)) for _ in range(2))
    fits = [
        d for d in difficulties if (memory_size or memory_size_for(config, d)) <= FUZZY_MAX_MEMORY
    ]
    fuzzy = {
        result.difficulty: result
        for result in (
            measure(
                model,
                config,
                fits,
                examples=examples,
                discrete=False,
                rng=fuzzy_rng,
                memory_size=memory_size,
                timesteps=timesteps,
            )
            if fits
            else []
        )
    }
    rows = []
    for result in integer_machine.measure_on_integers(
        model,
        config,
        sorted(difficulties),
        examples=examples,
        rng=discrete_rng,
        memory_size=memory_size,
        timesteps=timesteps,
    ):
        soft = fuzzy.get(result.difficulty)
        rows.append(
            {
                "difficulty": result.difficulty,
                "memory_size": result.memory_size,
                "timesteps": result.timesteps,
                "fuzzy": {"error": soft.error, "exact": soft.exact} if soft else None,
                "discrete": {"error": result.error, "exact": result.exact},
            }
        )
    return {"task": config.task, "examples": examples, "results": rows}


def format_table(report: dict) -> str:
    header = (
        f"{'difficulty':>10} {'M':>6} {'T':>6} {'fuzzy error':>12} {'fuzzy exact':>12} "
        f"{'discrete error':>15} {'discrete exact':>15}"
    )
    lines = [f"{report['task']}: {report['examples']} examples per difficulty", header]
    for row in report["results"]:
        fuzzy = (  # null where M is too large for the fuzzy machine
            f"{row['fuzzy']['error']:>12.4f} {row['fuzzy']['exact']:>12.3f} "
            if row["fuzzy"]
            else f"{'-':>12} {'-':>12} "
        )
        lines.append(
            f"{row['difficulty']:>10} {row['memory_size']:>6} {row['timesteps']:>6} "
            f"{fuzzy}"
            f"{row['discrete']['error']:>15.4f} {row['discrete']['exact']:>15.3f}"
        )
    return "\n".join(lines)


def plot(report: dict, path: str) -> None:
    """Error against difficulty, fuzzy and discretised (like the paper's Fig. 3)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = report["results"]
    difficulties = [row["difficulty"] for row in rows]
    figure, axes = plt.subplots(figsize=(6, 3.5))
    for mode, marker in (("fuzzy", "o"), ("discrete", "s")):
        errors = [row[mode]["error"] if row[mode] else np.nan for row in rows]  # null: not run
        axes.plot(difficulties, errors, marker=marker, label=mode)
    axes.set_xlabel("difficulty")
    axes.set_ylabel("error (wrong scored cells / scored cells)")
    axes.set_ylim(-0.02, 1.02)
    axes.set_title(f"{report['task']}: generalisation")
    axes.grid(alpha=0.3)
    axes.legend()
    figure.tight_layout()
    save_figure(figure, path, dpi=120)


def save_figure(figure: Any, path: str, dpi: int) -> None:
    """Write a figure to a user's path and close it; a format matplotlib does not write, or a
    path the OS refuses, is one line naming the file."""
    import matplotlib.pyplot as plt

    formats = figure.canvas.get_supported_filetypes()
    suffix = Path(path).suffix.lstrip(".").lower()
    try:
        if suffix and suffix not in formats:
            raise NramError(
                f"cannot write {path}: a picture is one of .{', .'.join(sorted(formats))}"
            )
        with file_errors(path, "write"):
            figure.savefig(path, dpi=dpi)
    finally:
        plt.close(figure)
