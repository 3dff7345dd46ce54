"""Plugin tasks (docs/plugins.md) for docs/ideas.md's curriculum on the moved values and the
horizon: the layouts of permutation and walkbst, but the difficulty d counts the work to do,
not the size of the input.

- ``permutation_prefix``: a permutation of n elements, n uniform in {d..(M-1)//2}, of which
  only cells 1..d are scored: the first d values moved, A[P[0]]..A[P[d-1]].
- ``walkbst_prefix``: a tree of n nodes, n uniform in {d..(M-2)//4}, and a path of at most d
  turns (walkbst's path, cut after its d-th turn).

With n drawn above d, the answers that the unrolled programs of permutation and walkbst give
at small sizes (fixed addresses, "A in order", the root's value) score less, while a loop's
first iterations score in full. The horizon T(d) grows with the work, not with n. A model
trained here runs on the real task unchanged (the same layout and machine).

And ``permutation_out``, permutation with its output out of place, where no constant names
the cell to write. Each trains like the paper's tasks:

    nram --plugin experiments/lab/prefix_tasks.py sweep permutation_prefix --seeds 0-0 ...
"""

from __future__ import annotations

import numpy as np

from nram import tasks
from nram.tasks.arrays import Permutation
from nram.tasks.walkbst import OUT_CELL, PATH_START, WalkBST


def _sizes(rng: np.random.Generator, d: np.ndarray, largest: int) -> np.ndarray:
    """n uniform in {d..largest} for each example (n = d where d is already the largest)."""
    return rng.integers(d, np.maximum(d, largest) + 1)


class PermutationPrefix(Permutation):
    name = "permutation_prefix"
    defaults = {"memory_size": 14, "horizon": {"scale": 2, "offset": 2}}

    def _sample_batch(
        self, rng: np.random.Generator, d: np.ndarray, memory_size: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n = _sizes(rng, d, (memory_size - 1) // 2)
        memory, target, in_permutation = super()._sample_batch(rng, n, memory_size)
        scored = in_permutation & (np.arange(memory_size)[None, :] <= d[:, None])
        return memory, target, scored


class WalkBSTPrefix(WalkBST):
    name = "walkbst_prefix"
    defaults = {"memory_size": 44, "horizon": {"scale": 2, "offset": 2}}

    def _sample_batch(
        self, rng: np.random.Generator, d: np.ndarray, memory_size: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n = _sizes(rng, d, (memory_size - 2) // 4)
        memory, _, scored = super()._sample_batch(rng, n, memory_size)
        # Cut each path after its d-th turn: the old turns after the new 0 become trash.
        length = np.argmax(memory[:, PATH_START:] == 0, axis=1)  # the first 0 ends the path
        longer = np.flatnonzero(length > d)
        memory[longer, PATH_START + d[longer]] = 0
        # The answer moves to the node the cut path ends at: walk the whole batch at once.
        rows, node = np.arange(d.size), memory[:, 0]
        for turn in range(int(d.max())):
            walking = turn < np.minimum(length, d)
            child = memory[rows, (node + memory[:, PATH_START + turn]) % memory_size]
            node = np.where(walking, child, node)
        target = np.zeros_like(memory)
        target[:, OUT_CELL] = memory[rows, node]
        return memory, target, scored


class PermutationOut(Permutation):
    """``a, o, P[0..n-1], A[0..n-1], 0..`` with a = n + 2 and o = 2n + 2: cell o+i := A[P[i]].

    Permutation with its output out of place, where no fixed address can hold it (as in copy):
    the control for whether permutation's in-place output, written to cells a constant can
    name, is what lets unrolled programs in.
    """

    name = "permutation_out"
    defaults = {"memory_size": 20, "horizon": {"scale": 1, "offset": 1}}

    def _min_memory(self, difficulty: int) -> int:
        return 3 * difficulty + 2

    def _sample_batch(
        self, rng: np.random.Generator, n: np.ndarray, memory_size: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        inner, _, _ = super()._sample_batch(rng, n, memory_size - 1)
        memory = np.zeros((n.size, memory_size), dtype=np.int64)
        memory[:, 0] = n + 2
        memory[:, 2:] = inner[:, 1:]  # P and A, one cell later
        memory[:, 1] = 2 * n + 2
        column = np.arange(memory_size)[None, :]
        scored = (column >= 2 * n[:, None] + 2) & (column < 3 * n[:, None] + 2)
        i = np.clip(column - memory[:, 1:2], 0, memory_size - 3)  # cell o+i takes A[P[i]]
        source = np.clip(
            memory[:, :1] + np.take_along_axis(memory, 2 + i, axis=1), 0, memory_size - 1
        )
        target = np.where(scored, np.take_along_axis(memory, source, axis=1), 0)
        return memory, target, scored

    def _run(self, memory: np.ndarray) -> None:
        a, o = memory[0], memory[1]
        for i in range(a - 2):  # P fills cells 2..a-1
            memory[(o + i) % memory.size] = memory[(a + memory[2 + i]) % memory.size]

    def _scored_cells(self, memory: np.ndarray, difficulty: int) -> np.ndarray:
        return np.arange(2 * difficulty + 2, 3 * difficulty + 2)


for task in (PermutationPrefix(), WalkBSTPrefix(), PermutationOut()):
    tasks.register(task)
