"""What `nram.tasks.register` checks of a task of one's own before any run trains on it.

A plugin's task (docs/plugins.md) is checked once, when it registers: its name and
difficulties, that it fills in what a task provides, that ``min_memory`` never shrinks as the
difficulty grows (``max_difficulty`` relies on it), and that batches sampled at every
difficulty up to its top one, in the smallest memory that fits and in a larger one, agree
with its own reference algorithm (``solve``) and scored cells (``mask``). Every batch a task
samples, then and later, is also checked for shape, integer values in Z_M and a mask that
scores a cell (``Task.sample_batch``).
"""

from __future__ import annotations

import re

import numpy as np

from nram.errors import TaskError
from nram.tasks.base import Task

NAME = re.compile(r"[a-z][a-z0-9_]*")  # run directories and program files are named after it
PROVIDED = {
    "_sample_batch": "the batch sampler",
    "_run": "the reference algorithm",
    "_scored_cells": "the scored cells",
    "_min_memory": "the smallest memory for a difficulty",
}
EXAMPLES_PER_DIFFICULTY = 4
LARGER_MEMORY = 5  # cells beyond the smallest memory: a sampler must use the size it is given


def check(task: Task) -> None:
    """Raise `TaskError`, naming the task, at the first thing wrong with it."""
    _check_attributes(task)
    top = task.paper_max_difficulty
    difficulties = np.arange(task.min_difficulty, top + 1)
    sizes = [task.min_memory(int(n)) for n in range(task.min_difficulty, top + 2)]
    if any(size < 2 for size in sizes) or sizes != sorted(sizes):
        raise TaskError(
            f"{task.name}: min_memory must be >= 2 and never shrink as the difficulty grows; "
            f"for difficulties {task.min_difficulty}..{top + 1} it gives {sizes}"
        )
    rng = np.random.default_rng(0)
    examples = np.repeat(difficulties, EXAMPLES_PER_DIFFICULTY)
    for memory_size in (sizes[-2], sizes[-2] + LARGER_MEMORY):
        batch = task.sample_batch(rng, examples, memory_size)
        for memory, target, mask, difficulty in zip(
            batch.memory, batch.target, batch.mask, batch.difficulty, strict=True
        ):
            _check_example(task, memory, target, mask, int(difficulty))


def _check_attributes(task: Task) -> None:
    if not isinstance(task.name, str) or not NAME.fullmatch(task.name):
        raise TaskError(
            f"a task's name must be lower-case letters, digits and _, starting with a letter; "
            f"got {task.name!r} ({type(task).__name__})"
        )
    for method, what in PROVIDED.items():
        if getattr(type(task), method) is getattr(Task, method):
            raise TaskError(f"{task.name}: {type(task).__name__} does not define {method} ({what})")
    low, top = task.min_difficulty, task.paper_max_difficulty
    if not all(isinstance(value, int) and not isinstance(value, bool) for value in (low, top)):
        raise TaskError(
            f"{task.name}: min_difficulty and paper_max_difficulty must be integers, got "
            f"{low!r} and {top!r}"
        )
    if low < 0 or top < low:
        raise TaskError(
            f"{task.name}: need 0 <= min_difficulty <= paper_max_difficulty, got {low} and {top}"
        )
    if not isinstance(task.defaults, dict):
        raise TaskError(f"{task.name}: defaults must be a dict of settings, got {task.defaults!r}")


def _check_example(
    task: Task, memory: np.ndarray, target: np.ndarray, mask: np.ndarray, difficulty: int
) -> None:
    where = f"at difficulty {difficulty}, memory_size {memory.size}"
    scored = task.mask(memory, difficulty)
    if not np.array_equal(scored, mask):
        raise TaskError(
            f"{task.name}: the sampler scores cells {np.flatnonzero(mask).tolist()} but mask() "
            f"gives {np.flatnonzero(scored).tolist()} {where}"
        )
    solved = task.solve(memory)
    wrong = np.flatnonzero(mask & (solved != target))
    if wrong.size:
        cell = int(wrong[0])
        raise TaskError(
            f"{task.name}: the sampler's target disagrees with solve() {where}: cell {cell} "
            f"should be {int(solved[cell])} by solve(), the sampler says {int(target[cell])}"
        )
