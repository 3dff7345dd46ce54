"""The six array tasks: Access, Increment, Copy, Reverse, Swap, Permutation (docs/spec.md §13).

Each lays out one array A of n elements (uniform in {1..M-1} unless stated) next to a few
header cells; cells outside the layout are 0. Samplers draw a full (B, M) block of random
elements and keep the cells each row's layout uses, so rows of mixed difficulty cost one
vectorised pass.
"""

from __future__ import annotations

import numpy as np

from nram.errors import TaskError
from nram.tasks.base import Task, batch_rows, random_permutations

Arrays = tuple[np.ndarray, np.ndarray, np.ndarray]


def _columns(memory_size: int) -> np.ndarray:
    return np.arange(memory_size)[None, :]


class Access(Task):
    """``k, A[0..n-1], 0``: cell 0 := mem[k], k an absolute address uniform in {1..n}."""

    name = "access"
    paper_max_difficulty = 20

    def _min_memory(self, difficulty: int) -> int:
        return difficulty + 2

    def _sample_batch(self, rng: np.random.Generator, n: np.ndarray, memory_size: int) -> Arrays:
        col = _columns(memory_size)
        elements = rng.integers(1, memory_size, size=(n.size, memory_size))
        memory = np.where((col >= 1) & (col <= n[:, None]), elements, 0)
        k = rng.integers(1, n + 1)
        memory[:, 0] = k
        target = np.zeros_like(memory)
        target[:, 0] = memory[np.arange(n.size), k]
        return memory, target, np.broadcast_to(col == 0, memory.shape)

    def _run(self, memory: np.ndarray) -> None:
        memory[0] = memory[memory[0]]

    def _scored_cells(self, memory: np.ndarray, difficulty: int) -> np.ndarray:
        return np.array([0])


class Increment(Task):
    """``A[0..n-1], 0`` with elements in {1..M-2}: cell i := A[i] + 1."""

    name = "increment"
    paper_max_difficulty = 15

    def _min_memory(self, difficulty: int) -> int:
        return max(difficulty + 1, 3)  # M >= 3 so that {1..M-2} is not empty

    def _sample_batch(self, rng: np.random.Generator, n: np.ndarray, memory_size: int) -> Arrays:
        col = _columns(memory_size)
        in_array = col < n[:, None]
        elements = rng.integers(1, memory_size - 1, size=(n.size, memory_size))
        memory = np.where(in_array, elements, 0)
        return memory, memory + 1, in_array

    def _run(self, memory: np.ndarray) -> None:
        # Walk the array up to its NULL terminator; elements <= M-2 never wrap round to 0.
        for address in range(memory.size):
            if memory[address] == 0:
                return
            memory[address] = (memory[address] + 1) % memory.size
        raise TaskError("increment: the array has no NULL terminator")

    def _scored_cells(self, memory: np.ndarray, difficulty: int) -> np.ndarray:
        return np.arange(difficulty)


class Copy(Task):
    """``p, A[0..n-1]`` with p = n+1: cell p+i := A[i]."""

    name = "copy"
    paper_max_difficulty = 15

    def _min_memory(self, difficulty: int) -> int:
        return 2 * difficulty + 1

    def _source_cell(self, n: np.ndarray, cell: np.ndarray) -> np.ndarray:
        """The input cell whose value output cell ``cell`` (>= p = n+1) receives."""
        return cell - n

    def _sample_batch(self, rng: np.random.Generator, n: np.ndarray, memory_size: int) -> Arrays:
        col = _columns(memory_size)
        n_col = n[:, None]
        elements = rng.integers(1, memory_size, size=(n.size, memory_size))
        memory = np.where((col >= 1) & (col <= n_col), elements, 0)
        memory[:, 0] = n + 1
        scored = (col >= n_col + 1) & (col <= 2 * n_col)
        source = np.clip(self._source_cell(n_col, col), 0, memory_size - 1)
        target = np.take_along_axis(memory, source, axis=1)
        return memory, target, scored

    def _run(self, memory: np.ndarray) -> None:
        p = memory[0]
        for i in range(p - 1):  # the array A fills cells 1..p-1
            memory[(p + i) % memory.size] = memory[1 + i]

    def _scored_cells(self, memory: np.ndarray, difficulty: int) -> np.ndarray:
        return np.arange(difficulty + 1, 2 * difficulty + 1)


class Reverse(Copy):
    """``p, A[0..n-1]`` with p = n+1 (as copy): cell p+i := A[n-1-i]."""

    name = "reverse"
    paper_max_difficulty = 15

    def _source_cell(self, n: np.ndarray, cell: np.ndarray) -> np.ndarray:
        return 2 * n + 1 - cell  # output p+i reads A[n-1-i], which sits at cell n-i

    def _run(self, memory: np.ndarray) -> None:
        p = memory[0]
        length = p - 1
        for i in range(length):
            memory[(p + i) % memory.size] = memory[length - i]


class Swap(Task):
    """``p, q, A[0..n-1], 0`` with p < q absolute addresses in {2..n+1}: swap cells p, q."""

    name = "swap"
    min_difficulty = 2
    paper_max_difficulty = 20

    def _min_memory(self, difficulty: int) -> int:
        return difficulty + 3

    def _sample_batch(self, rng: np.random.Generator, n: np.ndarray, memory_size: int) -> Arrays:
        col = _columns(memory_size)
        in_array = (col >= 2) & (col <= n[:, None] + 1)
        elements = rng.integers(1, memory_size, size=(n.size, memory_size))
        memory = np.where(in_array, elements, 0)
        # Two distinct offsets in {0..n-1}: draw the second among the n-1 others.
        first = rng.integers(0, n)
        second = rng.integers(0, n - 1)
        second = second + (second >= first)
        p, q = np.minimum(first, second) + 2, np.maximum(first, second) + 2
        memory[:, 0], memory[:, 1] = p, q
        rows = np.arange(n.size)
        target = memory.copy()
        target[rows, p], target[rows, q] = memory[rows, q], memory[rows, p]
        return memory, target, in_array

    def _run(self, memory: np.ndarray) -> None:
        p, q = memory[0], memory[1]
        memory[p], memory[q] = memory[q], memory[p]

    def _scored_cells(self, memory: np.ndarray, difficulty: int) -> np.ndarray:
        return np.arange(2, difficulty + 2)


class Permutation(Task):
    """``a, P[0..n-1], A[0..n-1]`` with a = n+1, P a permutation of {0..n-1}:
    cell 1+i := A[P[i]] = mem[a + P[i]]."""

    name = "permutation"
    paper_max_difficulty = 6

    def _min_memory(self, difficulty: int) -> int:
        return 2 * difficulty + 1

    def _sample_batch(self, rng: np.random.Generator, n: np.ndarray, memory_size: int) -> Arrays:
        col = _columns(memory_size)
        n_col = n[:, None]
        in_permutation = (col >= 1) & (col <= n_col)
        in_array = (col >= n_col + 1) & (col <= 2 * n_col)
        permutation = random_permutations(rng, n, memory_size)  # P[i] = permutation[:, i]
        permutation_cells = np.take_along_axis(
            permutation, np.clip(col - 1, 0, memory_size - 1).repeat(n.size, axis=0), axis=1
        )
        elements = rng.integers(1, memory_size, size=(n.size, memory_size))
        memory = np.where(in_permutation, permutation_cells, np.where(in_array, elements, 0))
        memory[:, 0] = n + 1
        source = np.where(in_permutation, n_col + 1 + memory, 0)  # cell 1+i reads a + P[i]
        target = memory[batch_rows(n.size), source]
        return memory, target, in_permutation

    def _run(self, memory: np.ndarray) -> None:
        a = memory[0]
        for i in range(a - 1):  # P fills cells 1..a-1
            memory[1 + i] = memory[(a + memory[1 + i]) % memory.size]

    def _scored_cells(self, memory: np.ndarray, difficulty: int) -> np.ndarray:
        return np.arange(1, difficulty + 1)
