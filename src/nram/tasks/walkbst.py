"""WalkBST (docs/spec.md §13): follow a path of left/right turns down a binary search tree.

Layout: ``root, out=0, d_1..d_k, 0`` then n nodes of three adjacent cells (value, left, right)
at uniformly random non-overlapping places after the path's terminator, in random order;
every other cell is trash. The tree is the BST of n distinct values in {1..M-1} inserted in
random order; a missing child is NULL (0). The path is a prefix, of length uniform in
{0..L}, of a random walk from the root that picks uniformly among a node's children until it
reaches a leaf after L steps. **Decision:** d_i = 1 is left and 2 is right (so the child
pointer of node x for turn d is cell x + d), keeping 0 free to end the path.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from nram.errors import TaskError
from nram.tasks.base import Task, batch_rows, place_blocks

Arrays = tuple[np.ndarray, np.ndarray, np.ndarray]
NODE_WIDTH = 3  # (value, left, right)
OUT_CELL = 1
PATH_START = 2
LEFT, RIGHT = 1, 2


def build_bsts(values: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Child indices (left, right), -1 if none, of the BSTs made by inserting ``values[b, i]``
    for i = 0, 1, ... < n[b] (node 0 is the root).

    Inserting x into a BST makes it a child of its predecessor or its successor among the keys
    already there — whichever was inserted later (it is the deeper of the two) — so all
    parents follow from (B, N, N) comparisons, with no per-example loop.
    """
    batch, width = values.shape
    index = np.arange(width)
    earlier = (index[None, :] < index[:, None])[None] & (index < n[:, None])[:, None, :]
    mine, other = values[:, :, None], values[:, None, :]
    below, above = earlier & (other < mine), earlier & (other > mine)
    predecessor = np.argmax(np.where(below, other, -1), axis=2)
    successor = np.argmin(np.where(above, other, np.iinfo(np.int64).max), axis=2)
    has_predecessor, has_successor = below.any(axis=2), above.any(axis=2)
    # The later-inserted one is the parent; a right child of its predecessor, else a left one.
    is_right_child = has_predecessor & (~has_successor | (predecessor > successor))
    is_left_child = has_successor & ~is_right_child
    in_tree = index[None, :] < n[:, None]

    rows = batch_rows(batch)
    children = np.full((batch, 2, width + 1), -1, dtype=np.int64)  # last column: dump
    node = np.broadcast_to(index, (batch, width))
    children[rows, 0, np.where(is_left_child & in_tree, successor, width)] = node
    children[rows, 1, np.where(is_right_child & in_tree, predecessor, width)] = node
    return children[:, 0, :width], children[:, 1, :width]


class Walk(NamedTuple):
    """Trees and paths, one per example: n nodes, values (B, max n) in insertion order (node 0
    the root), child indices (-1: none), the turns of a walk (0 past its end), how many of
    them make the path, and the node the path ends at."""

    n: np.ndarray
    values: np.ndarray
    left: np.ndarray
    right: np.ndarray
    turns: np.ndarray
    path_length: np.ndarray
    end_node: np.ndarray


def lay_out(rng: np.random.Generator, walk: Walk, memory_size: int) -> Arrays:
    """Memory, target and scored cells: trash, the header, the nodes after the terminator."""
    n, values, left, right, turns, path_length, end_node = walk
    batch, max_n = n.size, int(n.max())
    rows = np.arange(batch)
    memory = rng.integers(0, memory_size, size=(batch, memory_size + 1))  # +1: dump
    header_end = PATH_START + path_length  # the terminator's cell
    addresses = place_blocks(rng, header_end + 1, n, NODE_WIDTH, memory_size)
    node_address = np.concatenate([addresses, np.zeros((batch, 1), np.int64)], axis=1)
    left_pointer = node_address[batch_rows(batch), left]  # child -1 -> the appended NULL
    right_pointer = node_address[batch_rows(batch), right]
    memory[batch_rows(batch), addresses] = values
    in_tree = np.arange(max_n) < n[:, None]
    for offset, pointer in ((LEFT, left_pointer), (RIGHT, right_pointer)):
        memory[batch_rows(batch), np.where(in_tree, addresses + offset, memory_size)] = pointer
    memory = memory[:, :memory_size]

    col = np.arange(memory_size)[None, :]
    in_path = (col >= PATH_START) & (col < header_end[:, None])
    path_cells = np.take_along_axis(turns, np.clip(col - PATH_START, 0, turns.shape[1] - 1), axis=1)
    memory = np.where(in_path, path_cells, memory)
    memory[rows, header_end] = 0
    memory[:, 0] = addresses[:, 0]
    memory[:, OUT_CELL] = 0

    scored = np.broadcast_to(col == OUT_CELL, memory.shape)
    target = np.zeros_like(memory)
    target[:, OUT_CELL] = values[rows, end_node]
    return memory, target, scored


class WalkBST(Task):
    """``root, out=0, d_1..d_k, 0`` + tree nodes: cell 1 := value of the node the path ends at."""

    name = "walkbst"
    paper_max_difficulty = 10

    def _min_memory(self, difficulty: int) -> int:
        # The longest path (a chain) has n-1 turns: header n+2 cells, then 3n node cells.
        return 4 * difficulty + 2

    def _sample_batch(self, rng: np.random.Generator, n: np.ndarray, memory_size: int) -> Arrays:
        walk = self._tree_and_path(rng, n, memory_size)
        return lay_out(rng, walk, memory_size)

    def _tree_and_path(self, rng: np.random.Generator, n: np.ndarray, memory_size: int) -> Walk:
        """The trees of n nodes and their paths: a random walk to a leaf, cut short."""
        batch, max_n = n.size, int(n.max())
        rows = np.arange(batch)
        # Distinct values in a uniformly random insertion order: a prefix of a random permutation.
        values = np.argsort(rng.random((batch, memory_size - 1)), axis=1)[:, :max_n] + 1
        left, right = build_bsts(values, n)

        # The random walk to a leaf, one level of the whole batch at a time.
        node = np.zeros(batch, dtype=np.int64)
        turns = np.zeros((batch, max_n), dtype=np.int64)  # d_1.., 0 once at the leaf
        visited = np.zeros((batch, max_n), dtype=np.int64)  # node after i turns
        walking = np.ones(batch, dtype=bool)
        coins = rng.random((batch, max_n))
        for step in range(max_n - 1):
            has_left, has_right = left[rows, node] >= 0, right[rows, node] >= 0
            walking &= has_left | has_right
            go_right = has_right & (~has_left | (coins[:, step] < 0.5))
            turns[:, step] = np.where(walking, np.where(go_right, RIGHT, LEFT), 0)
            node = np.where(walking, np.where(go_right, right[rows, node], left[rows, node]), node)
            visited[:, step + 1] = node
        path_length = self._path_lengths(rng, (turns > 0).sum(axis=1))
        return Walk(n, values, left, right, turns, path_length, visited[rows, path_length])

    def _path_lengths(self, rng: np.random.Generator, walk_length: np.ndarray) -> np.ndarray:
        """How many of each walk's turns make the path: uniform in {0..walk length}."""
        return rng.integers(0, walk_length + 1)

    def _run(self, memory: np.ndarray) -> None:
        size = memory.size
        node = memory[0]
        for cell in range(PATH_START, size):
            turn = memory[cell]
            if turn == 0:
                memory[OUT_CELL] = memory[node]
                return
            if turn not in (LEFT, RIGHT):
                raise TaskError(f"walkbst: turn {turn} at cell {cell} is neither 1 nor 2")
            node = memory[(node + turn) % size]
            if node == 0:
                raise TaskError(f"walkbst: the path leaves the tree at cell {cell}")
        raise TaskError("walkbst: the path has no 0 terminator")

    def _scored_cells(self, memory: np.ndarray, difficulty: int) -> np.ndarray:
        return np.array([OUT_CELL])
