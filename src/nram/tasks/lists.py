"""The linked-list tasks: ListK and ListSearch (docs/spec.md §13).

Layout: ``head, x, out=0`` in cells 0..2, then n nodes of two adjacent cells (next, value) at
uniformly random non-overlapping places in cells >= 3, in random order; the last node's next
is NULL (0); node values are uniform in {1..M-1}; every other cell is trash (uniform in Z_M).
"""

from __future__ import annotations

import numpy as np

from nram.errors import TaskError
from nram.tasks.base import Task, batch_rows, place_blocks

Arrays = tuple[np.ndarray, np.ndarray, np.ndarray]
NODE_WIDTH = 2  # (next, value)
HEADER_CELLS = 3  # head, k or v, out
OUT_CELL = 2


def sample_lists(
    rng: np.random.Generator, n: np.ndarray, memory_size: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Trash-filled (B, M) memories holding one list each, with cell 0 = head and cells 1, 2
    left for the caller. Returns (memory, addresses, values): node i (in list order) of row b
    sits at ``addresses[b, i]`` and holds ``values[b, i]``; entries past n[b] are padding."""
    batch = n.size
    addresses = place_blocks(rng, np.full(batch, HEADER_CELLS), n, NODE_WIDTH, memory_size)
    max_length = addresses.shape[1]
    in_list = np.arange(max_length) < n[:, None]
    values = rng.integers(1, memory_size, size=(batch, max_length))
    # next of node i is the address of node i+1; the last node (and the padding) gets NULL.
    successor = np.concatenate([addresses[:, 1:], np.full((batch, 1), memory_size)], axis=1)
    next_pointer = np.where(np.arange(max_length) < n[:, None] - 1, successor, 0)

    memory = rng.integers(0, memory_size, size=(batch, memory_size + 1))  # +1: dump column
    rows = batch_rows(batch)
    memory[rows, addresses] = next_pointer
    memory[rows, np.where(in_list, addresses + 1, memory_size)] = values
    memory = memory[:, :memory_size]
    memory[:, 0] = addresses[:, 0]
    memory[:, OUT_CELL] = 0
    return memory, addresses, values


def walk(memory: np.ndarray, hops: int) -> int:
    """Address of the node ``hops`` links after the head."""
    node = memory[0]
    for _ in range(hops):
        node = memory[node]
        if node == 0:
            raise TaskError("list is shorter than the requested number of hops")
    return int(node)


class ListK(Task):
    """``head, k, out=0`` + nodes: cell 2 := value of the node k hops from the head."""

    name = "listk"
    paper_max_difficulty = 10

    def _min_memory(self, difficulty: int) -> int:
        return 2 * difficulty + HEADER_CELLS

    def _sample_batch(self, rng: np.random.Generator, n: np.ndarray, memory_size: int) -> Arrays:
        memory, _, values = sample_lists(rng, n, memory_size)
        k = rng.integers(0, n)
        memory[:, 1] = k
        scored = np.zeros_like(memory, dtype=bool)
        scored[:, OUT_CELL] = True
        target = np.zeros_like(memory)
        target[:, OUT_CELL] = values[np.arange(n.size), k]
        return memory, target, scored

    def _run(self, memory: np.ndarray) -> None:
        node = walk(memory, int(memory[1]))
        memory[OUT_CELL] = memory[(node + 1) % memory.size]

    def _scored_cells(self, memory: np.ndarray, difficulty: int) -> np.ndarray:
        return np.array([OUT_CELL])


class ListSearch(Task):
    """``head, v, out=0`` + nodes, v the value of a uniform node:
    cell 2 := address of the first node (from the head) whose value is v."""

    name = "listsearch"
    paper_max_difficulty = 6

    def _min_memory(self, difficulty: int) -> int:
        return 2 * difficulty + HEADER_CELLS

    def _sample_batch(self, rng: np.random.Generator, n: np.ndarray, memory_size: int) -> Arrays:
        memory, addresses, values = sample_lists(rng, n, memory_size)
        rows = np.arange(n.size)
        wanted = values[rows, rng.integers(0, n)]
        memory[:, 1] = wanted
        in_list = np.arange(values.shape[1]) < n[:, None]
        first_match = np.argmax((values == wanted[:, None]) & in_list, axis=1)
        scored = np.zeros_like(memory, dtype=bool)
        scored[:, OUT_CELL] = True
        target = np.zeros_like(memory)
        target[:, OUT_CELL] = addresses[rows, first_match]
        return memory, target, scored

    def _run(self, memory: np.ndarray) -> None:
        wanted, node = memory[1], memory[0]
        for _ in range(memory.size):  # a list in M cells has fewer than M nodes
            if node == 0:
                break
            if memory[(node + 1) % memory.size] == wanted:
                memory[OUT_CELL] = node
                return
            node = memory[node]
        raise TaskError(f"listsearch: no node with value {wanted} on the list")

    def _scored_cells(self, memory: np.ndarray, difficulty: int) -> np.ndarray:
        return np.array([OUT_CELL])
