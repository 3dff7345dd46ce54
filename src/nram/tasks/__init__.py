"""The ten tasks of the paper (Appendix A; docs/spec.md §13), by name.

``get("copy").sample(rng, difficulty=5, memory_size=12)`` gives one ``Example``;
``get("copy").sample_batch(rng, np.array([1, 3, 5]), 12)`` a ``Batch`` for the machine.
"""

from __future__ import annotations

from nram.errors import TaskError
from nram.tasks.arrays import Access, Copy, Increment, Permutation, Reverse, Swap
from nram.tasks.base import Batch, Example, Task
from nram.tasks.lists import ListK, ListSearch
from nram.tasks.merge import Merge
from nram.tasks.walkbst import WalkBST

_TASKS: dict[str, Task] = {
    task.name: task
    for task in (
        Access(),
        Increment(),
        Copy(),
        Reverse(),
        Swap(),
        Permutation(),
        ListK(),
        ListSearch(),
        Merge(),
        WalkBST(),
    )
}

NAMES: tuple[str, ...] = tuple(_TASKS)


def get(name: str) -> Task:
    """The task called ``name`` (one of ``NAMES``)."""
    try:
        return _TASKS[name]
    except KeyError:
        raise TaskError(f"unknown task {name!r}; valid tasks: {', '.join(NAMES)}") from None


__all__ = ["NAMES", "Batch", "Example", "Task", "get"]
