"""What every task shares: the example/batch containers, the validation, and the samplers'
vectorised building blocks (random permutations, non-overlapping node placement).

A task is a small object with three pieces of knowledge (docs/spec.md §13):

* its layout — ``_sample_batch`` draws a batch of initial memories, their targets and masks
  for a vector of difficulties, all rows in one memory size;
* its algorithm — ``_run`` executes the task on one memory the way a program would
  (follow the pointers, walk the list, ...). It never looks at how the memory was made, so it
  is the independent reference the generator is tested against;
* its scored cells — ``_scored_cells``.

The public methods validate their inputs and raise ``TaskError`` (a ``ValueError``) with a
one-line message that names the valid range or the smallest memory that fits. They also check
what a sampler returns (shapes, integer values in Z_M, a mask that scores some cell), so that a
task of one's own (docs/plugins.md) with a bad layout is a clear error, not a crash in the
machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from nram.errors import TaskError


@dataclass(frozen=True)
class Example:
    """One task instance. ``target`` holds the expected final value of each scored cell."""

    memory: np.ndarray  # int64 (M,), the initial memory, values in Z_M
    target: np.ndarray  # int64 (M,), expected final content on the mask, 0 elsewhere
    mask: np.ndarray  # bool (M,), the scored cells
    difficulty: int


@dataclass(frozen=True)
class Batch:
    """A batch of instances of mixed difficulty in one memory size, ready for the machine."""

    memory: np.ndarray  # int32 (B, M)
    target: np.ndarray  # int32 (B, M)
    mask: np.ndarray  # bool (B, M)
    difficulty: np.ndarray  # int32 (B,)


def check_memory_size(memory_size: int) -> int:
    if memory_size < 2:
        raise TaskError(f"memory_size must be >= 2, got {memory_size}")
    return int(memory_size)


class Task:
    """Base class of the tasks; each subclass fills in the four underscored methods and sets
    ``name`` and ``paper_max_difficulty`` (docs/plugins.md: a task of one's own)."""

    name: str = ""
    min_difficulty: int = 1
    # Largest difficulty the paper trained on (Table 1); the trainer's default n_max.
    paper_max_difficulty: int = 1
    # Settings a run of this task starts from, in config.PER_TASK's shape, e.g.
    # {"memory_size": 12, "horizon": {"offset": 3}}; the paper's tasks keep theirs in PER_TASK.
    defaults: dict[str, Any] = {}

    # --- what a subclass provides -------------------------------------------------------

    def _min_memory(self, difficulty: int) -> int:
        """Smallest memory size whose layout holds an example of this difficulty."""
        raise NotImplementedError

    def _sample_batch(
        self, rng: np.random.Generator, difficulty: np.ndarray, memory_size: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(memory, target, mask), each (B, M), for validated int64 difficulties (B,)."""
        raise NotImplementedError

    def _run(self, memory: np.ndarray) -> None:
        """Run the task's algorithm on ``memory`` (int64, a private copy) in place."""
        raise NotImplementedError

    def _scored_cells(self, memory: np.ndarray, difficulty: int) -> np.ndarray:
        """Indices of the cells that hold the output, for a validated difficulty and size."""
        raise NotImplementedError

    # --- validation ---------------------------------------------------------------------

    def _check_difficulty(self, difficulty: int) -> int:
        if difficulty < self.min_difficulty:
            raise TaskError(
                f"{self.name} difficulty must be >= {self.min_difficulty}, got {difficulty}"
            )
        return int(difficulty)

    def _check_fits(self, difficulty: int, memory_size: int) -> None:
        check_memory_size(memory_size)
        needed = self.min_memory(difficulty)
        if memory_size < needed:
            raise TaskError(
                f"{self.name} at difficulty {difficulty} needs memory_size >= {needed}, "
                f"got {memory_size}"
            )

    @staticmethod
    def _check_memory(memory: np.ndarray) -> np.ndarray:
        memory = np.array(memory, dtype=np.int64)  # always a copy: callers' arrays stay intact
        if memory.ndim != 1 or memory.size < 2:
            raise TaskError(f"memory must be a 1-D array of length >= 2, got shape {memory.shape}")
        size = memory.size
        if memory.min() < 0 or memory.max() >= size:
            raise TaskError(f"memory values must lie in Z_M = [0, {size - 1}]")
        return memory

    # --- the public API -------------------------------------------------------------------

    def min_memory(self, difficulty: int) -> int:
        """Smallest memory_size an example of this difficulty fits in (docs/spec.md §13)."""
        return self._min_memory(self._check_difficulty(difficulty))

    def max_difficulty(self, memory_size: int) -> int:
        """Largest difficulty whose layout fits in ``memory_size`` cells."""
        check_memory_size(memory_size)
        smallest = self.min_memory(self.min_difficulty)
        if memory_size < smallest:
            raise TaskError(
                f"{self.name} needs memory_size >= {smallest} (difficulty "
                f"{self.min_difficulty}), got {memory_size}"
            )
        difficulty = self.min_difficulty
        while self._min_memory(difficulty + 1) <= memory_size:  # min_memory is increasing
            difficulty += 1
        return difficulty

    def sample(self, rng: np.random.Generator, difficulty: int, memory_size: int) -> Example:
        """One example; the same distribution as a row of ``sample_batch`` (it is one)."""
        batch = self.sample_batch(rng, np.array([difficulty]), memory_size)
        return Example(
            memory=batch.memory[0].astype(np.int64),
            target=batch.target[0].astype(np.int64),
            mask=batch.mask[0].copy(),
            difficulty=int(batch.difficulty[0]),
        )

    def sample_batch(
        self, rng: np.random.Generator, difficulties: np.ndarray, memory_size: int
    ) -> Batch:
        """A batch with one example per entry of ``difficulties``, all in ``memory_size`` cells."""
        difficulty = np.asarray(difficulties, dtype=np.int64)
        if difficulty.ndim != 1 or difficulty.size == 0:
            raise TaskError(
                f"difficulties must be a non-empty 1-D array, got shape {difficulty.shape}"
            )
        self._check_difficulty(int(difficulty.min()))
        self._check_fits(int(difficulty.max()), memory_size)  # min_memory is increasing
        memory, target, mask = self._sample_batch(rng, difficulty, int(memory_size))
        self._check_sampled(memory, target, mask, difficulty, int(memory_size))
        return Batch(
            memory=memory.astype(np.int32),
            target=np.where(mask, target, 0).astype(np.int32),
            mask=mask.astype(bool),
            difficulty=difficulty.astype(np.int32),
        )

    def _check_sampled(
        self,
        memory: np.ndarray,
        target: np.ndarray,
        mask: np.ndarray,
        difficulty: np.ndarray,
        memory_size: int,
    ) -> None:
        """What ``_sample_batch`` returned is a batch the machine can run: integer (B, M)
        memories and targets in Z_M, a boolean (B, M) mask that scores a cell in every row."""
        expected = (difficulty.size, memory_size)
        for what, array in (("memory", memory), ("target", target)):
            array = np.asarray(array)
            if array.shape != expected:
                raise TaskError(
                    f"{self.name}: the sampler returned {what} of shape {array.shape} for "
                    f"{expected[0]} difficulties and memory_size {memory_size}; expected "
                    f"{expected}"
                )
            if not np.issubdtype(array.dtype, np.integer):
                raise TaskError(
                    f"{self.name}: the sampler returned {what} of dtype {array.dtype}; "
                    "expected integers"
                )
        mask = np.asarray(mask)
        if mask.shape != expected or mask.dtype != bool:
            raise TaskError(
                f"{self.name}: the sampler returned a mask of shape {mask.shape} and dtype "
                f"{mask.dtype}; expected bool {expected}"
            )
        empty = ~mask.any(axis=1)
        if empty.any():
            raise TaskError(
                f"{self.name}: the sampler returned a mask that scores no cell (difficulty "
                f"{int(difficulty[empty][0])}); every example needs a scored cell"
            )
        values = np.concatenate([np.ravel(memory), np.asarray(target)[mask]])
        outside = values[(values < 0) | (values >= memory_size)]
        if outside.size:
            raise TaskError(
                f"{self.name}: the sampler returned value {int(outside[0])} outside Z_M = "
                f"[0, {memory_size - 1}] (memory_size {memory_size})"
            )

    def solve(self, memory: np.ndarray) -> np.ndarray:
        """The final memory after running the task's algorithm on ``memory`` (not modified).

        Works on any memory laid out per docs/spec.md §13, whoever made it; raises
        ``TaskError`` when the algorithm cannot finish (no terminator, a cyclic list, a missing
        value).
        """
        memory = self._check_memory(memory)
        self._run(memory)
        return memory

    def mask(self, memory: np.ndarray, difficulty: int) -> np.ndarray:
        """Boolean (M,) mask of the cells scored for an example of this layout."""
        memory = np.asarray(memory)
        self._check_fits(self._check_difficulty(difficulty), memory.size)
        scored = np.zeros(memory.size, dtype=bool)
        scored[self._scored_cells(memory, int(difficulty))] = True
        return scored

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


# --- vectorised building blocks for the samplers ----------------------------------------------


def random_permutations(rng: np.random.Generator, lengths: np.ndarray, width: int) -> np.ndarray:
    """(B, width) int64: row b starts with a uniform permutation of {0..lengths[b]-1}.

    The entries after ``lengths[b]`` are ``lengths[b]..width-1`` in some order (padding).
    Sorting uniform keys gives a uniform permutation; padding keys sort last.
    """
    keys = rng.random((lengths.size, width))
    keys[np.arange(width) >= lengths[:, None]] = 2.0
    return np.argsort(keys, axis=1)


def place_blocks(
    rng: np.random.Generator,
    start: np.ndarray,
    count: np.ndarray,
    block_width: int,
    memory_size: int,
) -> np.ndarray:
    """Addresses of ``count[b]`` non-overlapping blocks of ``block_width`` cells in
    ``[start[b], memory_size)``, uniformly placed and listed in uniformly random order.

    Returns (B, max(count)) int64; entries past ``count[b]`` are ``memory_size`` (a dump column:
    callers write into a (B, M+1) memory and drop the last column).

    A placement is a sequence of ``count`` blocks and ``slack`` free cells, so choosing which
    ``count`` of the ``count + slack`` items are blocks uniformly gives a uniform placement.
    The items with the smallest random keys are the blocks, and taken in key order they come
    out in uniformly random order too.
    """
    batch = start.size
    slack = memory_size - start - count * block_width
    items = count + slack
    keys = rng.random((batch, memory_size))
    keys[np.arange(memory_size) >= items[:, None]] = 2.0  # not an item: never chosen
    by_key = np.argsort(keys, axis=1)
    max_count = int(count.max())
    chosen = by_key[:, :max_count]
    valid = np.arange(max_count) < count[:, None]

    rows = np.arange(batch)[:, None]
    is_block = np.zeros((batch, memory_size + 1), dtype=np.int64)  # last column: dump
    is_block[rows, np.where(valid, chosen, memory_size)] = 1
    is_block = is_block[:, :memory_size]
    blocks_before = np.cumsum(is_block, axis=1) - is_block
    item_address = start[:, None] + np.arange(memory_size) + (block_width - 1) * blocks_before
    addresses = np.take_along_axis(item_address, chosen, axis=1)
    return np.where(valid, addresses, memory_size)


def batch_rows(batch: int) -> np.ndarray:
    """Row indices shaped (B, 1) for fancy-indexed gathers and scatters."""
    return np.arange(batch)[:, None]
