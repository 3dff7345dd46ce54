"""Plugin tasks (docs/plugins.md) for docs/ideas.md's walkbst at the top level: walkbst with
the path's length chosen, not drawn from a random walk.

Walkbst's difficulty is the tree's size n and its path a prefix of uniform length of a random
walk, so at n = 3..10 only 15% of paths have three turns or more: a program exact for two
turns passes the curriculum's 2% threshold at every level, and the attempts that reached the
top learnt two turns, not a loop.

- ``walkbst_bypath``: at difficulty d every path has exactly d - 1 turns (d = 1: the root),
  in a tree of n nodes, n uniform on [d, (M - d - 2) // 3] (as many as fit after the header).
  The path's nodes are inserted first, each the smallest or largest of those still to come
  as its turn says, so that the path exists; the other values follow in random order. The
  curriculum's level D then trains on paths of up to D - 1 turns, and promotion to D + 1
  needs D - 1 turns right: a two-turn program cannot pass level 3. Difficulties 1..6 (up to
  five turns), and T = 8 steps at every difficulty, five turns' worth: a horizon that grew
  with d would tell the machine where the path ends (the first try, T(d) = d + 2, learnt to
  answer at the last step and was wrong on almost every walkbst path, docs/ideas.md).
- ``walkbst_deep``: walkbst's difficulty and horizon, a tree of n nodes, and a path of k
  turns with k uniform in {0..n-1}, built as ``walkbst_bypath`` builds its path: listk's
  number of hops (k uniform below n), in walkbst's layout. At n = 10, 71% of the paths
  have three turns or more, so an unrolled program cannot pass the top levels.
- ``walkbst_deep_left``: ``walkbst_deep`` with every turn left (d_i = 1), so that the child's
  pointer is INC of the node's address, not an ADD of the turn read: listk's loop with the
  hops counted by a path that ends in 0 instead of by k.

The layout, the answer and the machine are walkbst's (its defaults, but ``walkbst_bypath``'s
horizon), so a model trained here runs on walkbst unchanged.

    nram --plugin experiments/lab/path_curriculum.py train walkbst_bypath
"""

from __future__ import annotations

import numpy as np

from nram import config, tasks
from nram.tasks.walkbst import LEFT, RIGHT, Walk, WalkBST, build_bsts


def tree_with_path(
    rng: np.random.Generator,
    nodes: np.ndarray,
    path_turns: np.ndarray,
    memory_size: int,
    left_only: bool = False,
) -> Walk:
    """Trees of ``nodes`` nodes whose first ``path_turns + 1`` insertions are a path of random
    turns (every one left if ``left_only``) from the root (node i is the path's i-th node);
    the other values follow in random order and cannot change the path, since an insertion
    adds a leaf."""
    batch = nodes.size
    rows = np.arange(batch)
    max_n = int(nodes.max())
    values = np.argsort(rng.random((batch, memory_size - 1)), axis=1)[:, :max_n] + 1
    column = np.arange(max_n)[None, :]
    turns = np.where(column < path_turns[:, None], rng.integers(LEFT, RIGHT + 1, (batch, max_n)), 0)
    if left_only:
        turns = np.where(turns > 0, LEFT, 0)

    # The path's values, sorted; each node takes the smallest of those left (next turn right)
    # or the largest (next turn left), so the rest of the path lies on the side it turns to.
    path_nodes = path_turns + 1
    on_path = column < path_nodes[:, None]
    path_values = np.sort(np.where(on_path, values, np.iinfo(np.int64).max), axis=1)
    low, high = np.zeros(batch, np.int64), path_nodes - 1
    for step in range(int(path_nodes.max())):
        go_right = turns[:, step] == RIGHT
        taken = np.where(go_right, low, high)
        values[:, step] = np.where(step < path_nodes, path_values[rows, taken], values[:, step])
        low, high = low + go_right, high - (~go_right)
    left, right = build_bsts(values, nodes)
    return Walk(nodes, values, left, right, turns, path_turns, path_turns)


class WalkBSTByPath(WalkBST):
    name = "walkbst_bypath"
    paper_max_difficulty = 6
    defaults = config.PER_TASK["walkbst"] | {"horizon": {"scale": 0, "offset": 8, "minimum": 1}}

    def _tree_and_path(self, rng: np.random.Generator, n: np.ndarray, memory_size: int) -> Walk:
        nodes = rng.integers(n, (memory_size - n - 2) // 3 + 1)  # as many as fit
        return tree_with_path(rng, nodes, n - 1, memory_size)


class WalkBSTDeep(WalkBST):
    name = "walkbst_deep"
    defaults = config.PER_TASK["walkbst"]
    left_only = False

    def _tree_and_path(self, rng: np.random.Generator, n: np.ndarray, memory_size: int) -> Walk:
        path_turns = rng.integers(0, n)  # listk's k: 0..n-1
        return tree_with_path(rng, n, path_turns, memory_size, self.left_only)


class WalkBSTDeepLeft(WalkBSTDeep):
    name = "walkbst_deep_left"
    left_only = True


for task in (WalkBSTByPath(), WalkBSTDeep(), WalkBSTDeepLeft()):
    tasks.register(task)
