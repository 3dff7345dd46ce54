"""Plugin tasks (docs/plugins.md) for docs/ideas.md's walkbst at the top level: walkbst with
more long paths.

Walkbst's path is a prefix of uniform length of a walk to a leaf, so most paths are short:
at n = 3..10, 15% have three turns or more, and the attempts that reached the top level
learnt two turns, not a loop.

- ``walkbst_leaf``: every path is the whole walk, to a leaf (46% of three turns or more).
- ``walkbst_mixed``: half the paths are the whole walk, half walkbst's prefix, so that
  neither two unrolled turns nor walking on to a leaf passes the curriculum's threshold.

The layout, the answer and the machine are walkbst's (its defaults), so a model trained here
runs on walkbst unchanged.

    nram --plugin experiments/lab/long_paths.py train walkbst_leaf
"""

from __future__ import annotations

import numpy as np

from nram import config, tasks
from nram.tasks.walkbst import WalkBST


class WalkBSTLeaf(WalkBST):
    name = "walkbst_leaf"
    defaults = config.PER_TASK["walkbst"]

    def _path_lengths(self, rng: np.random.Generator, walk_length: np.ndarray) -> np.ndarray:
        return walk_length


class WalkBSTMixed(WalkBST):
    name = "walkbst_mixed"
    defaults = config.PER_TASK["walkbst"]

    def _path_lengths(self, rng: np.random.Generator, walk_length: np.ndarray) -> np.ndarray:
        prefix = super()._path_lengths(rng, walk_length)
        return np.where(rng.random(walk_length.shape) < 0.5, walk_length, prefix)


for task in (WalkBSTLeaf(), WalkBSTMixed()):
    tasks.register(task)
