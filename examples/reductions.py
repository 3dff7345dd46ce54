"""Two tasks that did not train with these defaults (docs/plugins.md): cell 0 := the largest
element of A (`maximum`), and cell 0 := the sum of A mod M (`sum`).

Layout at difficulty n (n >= 1), in a memory of M >= n + 2 cells:

    0, A[0], ..., A[n-1], 0, ...

the elements uniform in {1..M-1} and every cell after them 0; cell 0 is scored. Seed 0 of
`maximum` found a fuzzy trick instead of a program (12 attempts, none solved); seed 0 of `sum`
stayed at level 3 (8 attempts in 4,000 steps, when we stopped it):

    nram --plugin examples/reductions.py train maximum --seed 0
    nram --plugin examples/reductions.py train sum --seed 0
"""

from __future__ import annotations

import numpy as np

from nram import tasks
from nram.errors import TaskError


class Reduction(tasks.Task):
    """The layout above; a subclass says how A is reduced to cell 0's value."""

    paper_max_difficulty = 15  # the top difficulty a run trains to, as for Copy
    defaults = {"memory_size": 24, "noise": {"eta": 0.0}}  # as examples/delete.py

    def reduce(self, rows: np.ndarray, memory_size: int) -> np.ndarray:
        """Cell 0's value for each row of (B, M) memories (every cell but A's is 0)."""
        raise NotImplementedError

    def _min_memory(self, difficulty: int) -> int:
        return difficulty + 2  # cell 0, the n elements, the 0 after them

    def _sample_batch(
        self, rng: np.random.Generator, n: np.ndarray, memory_size: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        column = np.arange(memory_size)[None, :]
        elements = rng.integers(1, memory_size, size=(n.size, memory_size))
        memory = np.where((column >= 1) & (column <= n[:, None]), elements, 0)
        target = np.zeros_like(memory)
        target[:, 0] = self.reduce(memory, memory_size)
        return memory, target, np.broadcast_to(column == 0, memory.shape)

    def _run(self, memory: np.ndarray) -> None:
        # Walk A from cell 1 up to the 0 after it, then reduce what was read.
        for end in range(1, memory.size):
            if memory[end] == 0:
                memory[0] = self.reduce(memory[None, 1:end], memory.size)[0]
                return
        raise TaskError(f"{self.name}: the array has no 0 after it")

    def _scored_cells(self, memory: np.ndarray, difficulty: int) -> np.ndarray:
        return np.array([0])


class Maximum(Reduction):
    name = "maximum"

    def reduce(self, rows: np.ndarray, memory_size: int) -> np.ndarray:
        return rows.max(axis=1, initial=0)


class Sum(Reduction):
    name = "sum"

    def reduce(self, rows: np.ndarray, memory_size: int) -> np.ndarray:
        return rows.sum(axis=1) % memory_size  # as the ADD module, mod M


tasks.register(Maximum())
tasks.register(Sum())
