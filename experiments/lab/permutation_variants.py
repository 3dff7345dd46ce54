"""Plugin tasks (docs/plugins.md) for docs/ideas.md's "Where permutation's loop stops":
permutation with some examples made easier, and gather.

On an example in order (P the identity), cell 1+i := A[i] = mem[a + i]: permutation is a copy,
and copy's loop (a counter, and the address a + counter) is learned in a few hundred steps on
permutation's machine. Gather is permutation with absolute addresses in P, cell 1+i :=
mem[P[i]]: one circuit at every step, `WRITE(r1, READ(READ(r1)))`, `r1 <- INC(r1)`.

- ``permutation_ordered50``: half the examples in order, the other half uniform.
- ``permutation_ordered25``: a quarter in order.
- ``permutation_ordered100``: every example in order, the copy alone.
- ``permutation_gather``: P holds absolute addresses, cell 1+i := mem[P[i]] with P[i] in
  a..a+n-1 (no base to add): the loop with the indirection but without the ADD.
- ``gather_keep0``: gather with cell 0 (a) scored too, so that it must survive the run, as a
  must in permutation, where it is read at every step: gather's one-circuit loop writes cell
  0 at step 0, and here it may not. ``gather_keep_any``: the same with cell 0 any value.
- ``gather_scaffold50``: gather where half the examples hold, at every address c of A, the
  value c - 1, so that the answer is DEC of the value read at the counter: a decrement in
  place, whose loop has no READ of a READ. On those examples `READ(READ(r1))` and
  `DEC(READ(r1))` agree, so the decrement's loop is one choice from gather's.
- ``permutation_scaffold50``: permutation where half the examples have A[j] = j + 1, so that
  the answer is INC(P[i]).
- ``permutation_gather0_50``: permutation where half the examples are gather with cell 0 =
  0 (P holds a + P[i], and mem[0 + a + P[i]] is the answer), so that gather's loop
  `READ(READ(i))` is right on them and permutation's `READ(ADD(READ(i), READ(0)))` on all.
- ``permutation_any``: P any map of {0..n-1} into itself (uniform, repeats allowed), not only
  a permutation: cell 1+i := A[P[i]] is still permutation's program, while a program that
  scatters A[j] to cell 1+P[j], right on every permutation of 2 and every involution (4 of
  the 6 permutations of 3), is wrong on the maps that are not permutations.
- ``permutation_placed``: permutation with A moved right by a uniform gap of zeros, so that
  a is uniform in n+1..M-n (the paper's layout is gap 0): no constant names A, and a does
  not tell the size. Permutation's program runs on it unchanged.

Each trains on permutation's defaults (its machine, horizon and recipe); a model trained here
runs on permutation (or gather) unchanged:

    nram --plugin experiments/lab/permutation_variants.py sweep permutation_ordered50 ...
"""

from __future__ import annotations

import numpy as np
from numpy.random import Generator

from nram import config, tasks
from nram.tasks.arrays import Permutation

Array = np.ndarray


def _targets(task: Permutation, memory: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Every row's target, by the task's own plain-Python run (`Task.solve`)."""
    return np.where(mask, np.stack([task.solve(row) for row in memory]), 0)


class Variant(Permutation):
    """Permutation's examples changed by `_change`; the targets by the task's own run."""

    defaults = config.PER_TASK["permutation"]

    def _sample_batch(
        self, rng: np.random.Generator, n: np.ndarray, memory_size: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        memory, _, in_permutation = super()._sample_batch(rng, n, memory_size)
        memory = self._change(rng, memory, n, in_permutation)
        return memory, _targets(self, memory, in_permutation), in_permutation

    def _change(self, rng: Generator, memory: Array, n: Array, in_permutation: Array) -> Array:
        raise NotImplementedError


class ShareOfExamples(Variant):
    """Permutation with a `share` of its examples changed; named `prefix` + the percentage."""

    prefix = ""

    def __init__(self, share: float):
        self.share = share
        self.name = f"{self.prefix}{round(share * 100)}"


class PermutationOrdered(ShareOfExamples):
    """Permutation where a `share` of the examples have P = the identity."""

    prefix = "permutation_ordered"

    def _change(self, rng: Generator, memory: Array, n: Array, in_permutation: Array) -> Array:
        ordered = (rng.random(n.size) < self.share)[:, None] & in_permutation
        return np.where(ordered, np.arange(memory.shape[1])[None, :] - 1, memory)  # cell 1+i: i


class PermutationGather(Permutation):
    name = "permutation_gather"
    defaults = config.PER_TASK["permutation"]

    def _sample_batch(
        self, rng: np.random.Generator, n: np.ndarray, memory_size: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        memory, target, in_permutation = super()._sample_batch(rng, n, memory_size)
        memory = np.where(in_permutation, memory + n[:, None] + 1, memory)  # P[i] + a
        return memory, target, in_permutation

    def _run(self, memory: np.ndarray) -> None:
        _gather(memory)


def _gather(memory: np.ndarray) -> None:
    """Gather in place, n told by P alone: cells 1..n hold n + 1 + a permutation of 0..n-1."""
    n = max(
        k
        for k in range(memory.size // 2 + 1)
        if sorted(memory[1 : k + 1] - k - 1) == list(range(k))
    )
    for i in range(n):
        memory[1 + i] = memory[memory[1 + i] % memory.size]


class GatherKeep0(PermutationGather):
    name = "gather_keep0"
    cell0_random = False

    def _sample_batch(
        self, rng: np.random.Generator, n: np.ndarray, memory_size: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        memory, target, in_permutation = super()._sample_batch(rng, n, memory_size)
        if self.cell0_random:
            memory[:, 0] = rng.integers(1, memory_size, size=n.size)
        scored = in_permutation | (np.arange(memory_size) == 0)[None, :]
        return memory, _targets(self, memory, scored), scored

    def _scored_cells(self, memory: np.ndarray, difficulty: int) -> np.ndarray:
        return np.arange(0, difficulty + 1)


class GatherKeepAny(GatherKeep0):
    """Gather with cell 0 scored and holding any value, so that it cannot be rebuilt from
    the counter (a = n + 1 = T(n)) as copies of gather's loop learn to on `gather_keep0`."""

    name = "gather_keep_any"
    cell0_random = True


class Scaffold50:
    """Half the examples made a step short: A's cell c = a + j holds c - 1 under absolute
    addresses (gather: the answer is DEC(P[i])), else j + 1 (permutation: INC(P[i]))."""

    share = 0.5
    absolute = False

    def _sample_batch(
        self, rng: np.random.Generator, n: np.ndarray, memory_size: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        memory, _, in_permutation = super()._sample_batch(rng, n, memory_size)
        column = np.arange(memory_size)[None, :]
        a = (n + 1)[:, None]
        chosen = (rng.random(n.size) < self.share)[:, None]
        in_array = (column >= a) & (column < 2 * a - 1) & chosen
        memory = np.where(in_array, column - 1 if self.absolute else column - a + 1, memory)
        return memory, _targets(self, memory, in_permutation), in_permutation


class GatherScaffold50(Scaffold50, PermutationGather):
    name = "gather_scaffold50"
    absolute = True


class PermutationScaffold50(Scaffold50, Permutation):
    name = "permutation_scaffold50"
    defaults = config.PER_TASK["permutation"]


class PermutationGatherZero(ShareOfExamples):
    """Permutation where a `share` of the examples are gather with cell 0 = 0."""

    prefix = "permutation_gather0_"

    def _change(self, rng: Generator, memory: Array, n: Array, in_permutation: Array) -> Array:
        chosen = rng.random(n.size) < self.share
        memory = np.where(chosen[:, None] & in_permutation, memory + n[:, None] + 1, memory)
        memory[:, 0] = np.where(chosen, 0, memory[:, 0])
        return memory

    def _run(self, memory: np.ndarray) -> None:
        if memory[0]:
            super()._run(memory)
        else:  # gather's example
            _gather(memory)


class PermutationAny(Variant):
    name = "permutation_any"

    def _change(self, rng: Generator, memory: Array, n: Array, in_permutation: Array) -> Array:
        maps = (rng.random(memory.shape) * n[:, None]).astype(memory.dtype)  # uniform in 0..n-1
        return np.where(in_permutation, maps, memory)


class PermutationPlaced(Variant):
    name = "permutation_placed"

    def _change(self, rng: Generator, memory: Array, n: Array, in_permutation: Array) -> Array:
        size = memory.shape[1]
        gap = rng.integers(0, size - 2 * n)[:, None]  # a + n - 1 <= M - 1
        column = np.arange(size)[None, :]
        n_col = n[:, None]
        in_array = (column >= n_col + 1 + gap) & (column <= 2 * n_col + gap)
        moved = np.take_along_axis(memory, np.clip(column - gap, 0, size - 1), axis=1)
        memory = np.where(in_permutation, memory, np.where(in_array, moved, 0))
        memory[:, 0] = n + 1 + gap[:, 0]
        return memory

    def _run(self, memory: np.ndarray) -> None:
        a = memory[0]
        n = max(k for k in range(a) if sorted(memory[1 : k + 1]) == list(range(k)))
        for i in range(n):  # P fills cells 1..n, then zeros up to A
            memory[1 + i] = memory[(a + memory[1 + i]) % memory.size]


for task in (
    PermutationOrdered(0.5),
    PermutationOrdered(0.25),
    PermutationOrdered(1.0),
    PermutationGather(),
    GatherKeep0(),
    GatherKeepAny(),
    GatherScaffold50(),
    PermutationScaffold50(),
    PermutationPlaced(),
    PermutationGatherZero(0.5),
    PermutationAny(),
):
    tasks.register(task)
