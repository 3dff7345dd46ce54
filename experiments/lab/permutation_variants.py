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
- ``gather_scaffold50``: gather where half the examples hold, at every address c of A, the
  value c - 1, so that the answer is DEC of the value read at the counter: a decrement in
  place, whose loop has no READ of a READ. On those examples `READ(READ(r1))` and
  `DEC(READ(r1))` agree, so the decrement's loop is one choice from gather's.
- ``permutation_scaffold50``: permutation where half the examples have A[j] = j + 1, so that
  the answer is INC(P[i]).

Each trains on permutation's defaults (its machine, horizon and recipe); a model trained here
runs on permutation (or gather) unchanged:

    nram --plugin experiments/lab/permutation_variants.py sweep permutation_ordered50 ...
"""

from __future__ import annotations

import numpy as np

from nram import config, tasks
from nram.tasks.arrays import Permutation


def _targets(task: Permutation, memory: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Every row's target, by the task's own plain-Python run (`Task.solve`)."""
    return np.where(mask, np.stack([task.solve(row) for row in memory]), 0)


class PermutationOrdered(Permutation):
    """Permutation where a `share` of the examples have P = the identity."""

    defaults = config.PER_TASK["permutation"]

    def __init__(self, share: float):
        self.share = share
        self.name = f"permutation_ordered{round(share * 100)}"

    def _sample_batch(
        self, rng: np.random.Generator, n: np.ndarray, memory_size: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        memory, _, in_permutation = super()._sample_batch(rng, n, memory_size)
        ordered = (rng.random(n.size) < self.share)[:, None] & in_permutation
        memory = np.where(ordered, np.arange(memory_size)[None, :] - 1, memory)  # cell 1+i: i
        return memory, _targets(self, memory, in_permutation), in_permutation


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
        a = memory[0]
        for i in range(a - 1):
            memory[1 + i] = memory[memory[1 + i] % memory.size]


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


for task in (
    PermutationOrdered(0.5),
    PermutationOrdered(0.25),
    PermutationOrdered(1.0),
    PermutationGather(),
    GatherScaffold50(),
    PermutationScaffold50(),
):
    tasks.register(task)
