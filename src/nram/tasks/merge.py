"""Merge (docs/spec.md §13): merge two sorted arrays, each closed by a guardian.

Layout: ``a, b, o, A, G, B, G`` with a = 3, b = a + len(A) + 1, o = b + len(B) + 1; A and B
sorted non-decreasing with elements in {1..M-2}, so the guardian G = M-1 is larger than every
element; len(A) uniform in {1..n-1}; cells after the second guardian are 0. The output
sorted(A + B) goes to cells o..o+n-1 (o = n+5).
"""

from __future__ import annotations

import numpy as np

from nram.errors import TaskError
from nram.tasks.base import Task, batch_rows

Arrays = tuple[np.ndarray, np.ndarray, np.ndarray]
FIRST_ARRAY = 3  # a


class Merge(Task):
    """``a, b, o, A, G, B, G``: cells o..o+n-1 := sorted(A + B), n = len(A) + len(B)."""

    name = "merge"
    min_difficulty = 2
    paper_max_difficulty = 10

    def _min_memory(self, difficulty: int) -> int:
        return 2 * difficulty + 5

    def _sample_batch(self, rng: np.random.Generator, n: np.ndarray, memory_size: int) -> Arrays:
        batch, max_n = n.size, int(n.max())
        guardian = memory_size - 1
        length_a = rng.integers(1, n)[:, None]
        n_col = n[:, None]
        index = np.arange(max_n)[None, :]
        # Which array element i belongs to: 0 for A, 1 for B, 2 for padding past n.
        segment = (index >= length_a).astype(np.int64) + (index >= n_col)
        elements = rng.integers(1, guardian, size=(batch, max_n))
        # Sorting by (segment, value) sorts A and B each in place, keeping A before B.
        sorted_elements = np.sort(segment * memory_size + elements, axis=1) % memory_size
        # Element i of A sits at 3+i; element j of B at b+j = 3+len(A)+1+j, i.e. skip one G.
        element_cell = FIRST_ARRAY + index + (index >= length_a)
        element_cell = np.where(index < n_col, element_cell, memory_size)  # padding -> dump

        memory = np.zeros((batch, memory_size + 1), dtype=np.int64)
        rows = batch_rows(batch)
        memory[rows, element_cell] = sorted_elements
        memory[rows, FIRST_ARRAY + length_a] = guardian
        memory[rows, n_col + 4] = guardian  # after B, which ends at cell n+3
        memory = memory[:, :memory_size]
        memory[:, 0] = FIRST_ARRAY
        memory[:, 1] = FIRST_ARRAY + length_a[:, 0] + 1
        memory[:, 2] = n + 5

        col = np.arange(memory_size)[None, :]
        scored = (col >= n_col + 5) & (col < 2 * n_col + 5)
        merged = np.sort(np.where(index < n_col, elements, memory_size), axis=1)
        source = np.clip(col - n_col - 5, 0, max_n - 1)
        target = np.take_along_axis(merged, source, axis=1)
        return memory, target, scored

    def _run(self, memory: np.ndarray) -> None:
        size = memory.size
        guardian = size - 1
        a, b, out = memory[0], memory[1], memory[2]
        for _ in range(size):  # n < M outputs at most
            if memory[a] == guardian and memory[b] == guardian:
                return
            if memory[a] <= memory[b]:  # ties from A first: a stable merge
                memory[out] = memory[a]
                a = (a + 1) % size
            else:
                memory[out] = memory[b]
                b = (b + 1) % size
            out = (out + 1) % size
        raise TaskError("merge: the arrays are not closed by guardians M-1")

    def _scored_cells(self, memory: np.ndarray, difficulty: int) -> np.ndarray:
        return np.arange(difficulty + 5, 2 * difficulty + 5)
