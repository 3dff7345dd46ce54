"""The tasks by name: the ten of the paper (Appendix A; docs/spec.md §13), and any a plugin
file registers (docs/plugins.md).

``get("copy").sample(rng, difficulty=5, memory_size=12)`` gives one ``Example``;
``get("copy").sample_batch(rng, np.array([1, 3, 5]), 12)`` a ``Batch`` for the machine.
``register(MyTask())`` adds a task of one's own, once `nram.tasks.plugin.check` has found it
sound; ``names()`` lists every task registered now.
"""

from __future__ import annotations

from nram.errors import TaskError
from nram.tasks.arrays import Access, Copy, Increment, Permutation, Reverse, Swap
from nram.tasks.base import Batch, Example, Task
from nram.tasks.lists import ListK, ListSearch
from nram.tasks.merge import Merge
from nram.tasks.plugin import check
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

# The paper's ten, in its order; they cannot be replaced or unregistered.
PAPER_TASKS: tuple[str, ...] = tuple(_TASKS)


def names() -> tuple[str, ...]:
    """Every task registered now: the paper's ten, then the plugins' in registration order."""
    return tuple(_TASKS)


def get(name: str) -> Task:
    """The task called ``name`` (one of ``names()``)."""
    try:
        return _TASKS[name]
    except KeyError:
        raise TaskError(f"unknown task {name!r}; valid tasks: {', '.join(names())}") from None


def register(task: Task) -> Task:
    """Add a task of one's own under ``task.name``, after checking it (`plugin.check`: its
    attributes, and sampled batches against its own ``solve`` and ``mask``). Returns it."""
    if not isinstance(task, Task):
        raise TaskError(
            f"register takes an instance of a subclass of nram.tasks.Task, got {task!r}"
        )
    if task.name in _TASKS:
        kind = "one of the paper's tasks" if task.name in PAPER_TASKS else "registered already"
        raise TaskError(f"cannot register task {task.name!r}: it is {kind}")
    check(task)
    _TASKS[task.name] = task
    return task


def unregister(name: str) -> None:
    """Remove a task of one's own (tests register and remove theirs)."""
    if name in PAPER_TASKS:
        raise TaskError(f"{name!r} is one of the paper's tasks; only plugins' can be removed")
    get(name)  # an unknown name fails here, with the valid ones
    del _TASKS[name]


__all__ = [
    "PAPER_TASKS",
    "Batch",
    "Example",
    "Task",
    "get",
    "names",
    "register",
    "unregister",
]
