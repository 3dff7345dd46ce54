"""A task the paper does not have, as a plugin file: delete the element at address k.

Layout at difficulty n (n >= 1), in a memory of M >= n + 2 cells:

    k, A[0], ..., A[n-1], 0, ...

the elements uniform in {1..M-1} at cells 1..n, k uniform in {1..n} (an absolute address, as
in Access), every cell after A 0. The output: the element at cell k is gone, the ones after it
moved down one cell, and the array's 0 with them: cells k..n hold the old cells k+1..n+1.
Cells 1..n are scored. Train it, then evaluate it and read the program it learned
(docs/plugins.md has what these printed):

    nram --plugin examples/delete.py train delete --seed 0
    nram --plugin examples/delete.py eval runs/delete-seed0 --difficulty 15,50,100
    nram --plugin examples/delete.py program runs/delete-seed0
"""

from __future__ import annotations

import numpy as np

from nram import tasks
from nram.errors import TaskError


class Delete(tasks.Task):
    name = "delete"
    paper_max_difficulty = 15  # the top difficulty a run trains to, as for Copy
    # As the paper's easy tasks (config.PER_TASK): slack over the smallest memory (17 at
    # n = 15), no gradient noise.
    defaults = {"memory_size": 24, "noise": {"eta": 0.0}}

    def _min_memory(self, difficulty: int) -> int:
        return difficulty + 2  # k, the n elements, the 0 after them

    def _sample_batch(
        self, rng: np.random.Generator, n: np.ndarray, memory_size: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        column = np.arange(memory_size)[None, :]
        in_array = (column >= 1) & (column <= n[:, None])
        memory = np.where(in_array, rng.integers(1, memory_size, size=in_array.shape), 0)
        k = rng.integers(1, n + 1)
        memory[:, 0] = k
        # Cell i >= k takes cell i + 1 (the last cell takes the 0 beyond the memory).
        shifted = np.concatenate([memory[:, 1:], np.zeros_like(memory[:, :1])], axis=1)
        target = np.where(column >= k[:, None], shifted, memory)
        return memory, target, in_array

    def _run(self, memory: np.ndarray) -> None:
        # Move every cell after k down one, up to and including the array's 0.
        address = int(memory[0])
        while address + 1 < memory.size:
            memory[address] = memory[address + 1]
            if memory[address] == 0:
                return
            address += 1
        raise TaskError("delete: the array has no 0 after it")

    def _scored_cells(self, memory: np.ndarray, difficulty: int) -> np.ndarray:
        return np.arange(1, difficulty + 1)


tasks.register(Delete())
