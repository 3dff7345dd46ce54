"""The curriculum of Appendix B (Zaremba & Sutskever 2014; docs/spec.md §9).

A level D starts at the task's easiest difficulty. Every example of a batch draws its own
difficulty d, with e ~ Geometric(1/2) on {0, 1, 2, ...} drawn afresh for each example:

* with probability ``uniform_share`` (10%): d uniform over [min, max], all difficulties;
* with probability ``near_share`` (25%): d uniform on [min, D+e];
* otherwise (65%): d = D+e;

and d is then clipped to [min, max] (so when D+e passes max, the excess lands on max).
Without the lookahead (``lookahead = False``, ours) e is 0: level D trains on d <= D only.

Promotion: after each batch, ``record`` pools the per-example errors of the examples drawn at
exactly d = D. When the last ``window`` batches that had such examples have a pooled mean error
below ``threshold``, and at least ``min_gap`` batches have passed since the previous promotion
(the first promotion has no gap to wait for), D rises by one and the window starts afresh.
D never passes max. A batch with no example at d = D adds nothing to the window, but it does
count towards the gap, which is measured in training batches.

Disabled, every difficulty is uniform over [min, max], the level never moves, and every
example counts as one at the level (``at_level``): the whole range is trained at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nram.errors import ConfigError

NEVER = -1  # ``last_promotion`` before the first promotion


@dataclass(frozen=True)
class CurriculumConfig:
    enabled: bool = True
    threshold: float = 0.02  # promote when the mean error at level D over the window < this
    window: int = 10  # batches (with examples at D) whose error is pooled
    min_gap: int = 20  # at least this many batches between two promotions
    uniform_share: float = 0.10  # uniform over all difficulties
    near_share: float = 0.25  # uniform on [min, D+e]; the rest (65%) is d = D+e
    # The paper's e ~ Geometric(1/2); False: e = 0, so that a level is not mostly harder
    # examples than its own (docs/ideas.md: it let listk's two-pass machine climb).
    lookahead: bool = True

    def __post_init__(self) -> None:
        # Each field on its own; that the shares sum to <= 1 is checked once the whole config
        # is known (`config.validate`), as settings arrive one at a time.
        if self.uniform_share < 0.0 or self.near_share < 0.0:
            raise ConfigError("curriculum shares must be >= 0")
        if self.window < 1:
            raise ConfigError(f"curriculum window must be >= 1, got {self.window}")
        if self.min_gap < 0:
            raise ConfigError(f"curriculum min_gap must be >= 0, got {self.min_gap}")


class Curriculum:
    """Level D, per-example difficulty sampling and promotion; see the module docstring."""

    def __init__(
        self,
        config: CurriculumConfig,
        min_difficulty: int,
        max_difficulty: int,
        level: int | None = None,
    ) -> None:
        if max_difficulty < min_difficulty:
            raise ConfigError(
                f"max_difficulty must be >= min_difficulty, got {max_difficulty} < {min_difficulty}"
            )
        self.config = config
        self.min_difficulty = int(min_difficulty)
        self.max_difficulty = int(max_difficulty)
        self.level = self._check_level(min_difficulty if level is None else level)
        self.batches_seen = 0
        self.last_promotion = NEVER
        # Per recorded batch: the summed error and the count of its examples at d = D.
        self._window_error_sums: list[float] = []
        self._window_counts: list[int] = []

    def _check_level(self, level: int) -> int:
        if not self.min_difficulty <= level <= self.max_difficulty:
            raise ConfigError(
                f"curriculum level must be in [{self.min_difficulty}, {self.max_difficulty}], "
                f"got {level}"
            )
        return int(level)

    @property
    def at_max(self) -> bool:
        return self.level >= self.max_difficulty

    def at_level(self, difficulties: np.ndarray) -> np.ndarray:
        """bool mask of the examples drawn at d = D; disabled, all of them.

        >>> Curriculum(CurriculumConfig(), 1, 5).at_level(np.array([1, 2, 1])).tolist()
        [True, False, True]
        >>> Curriculum(CurriculumConfig(enabled=False), 1, 5).at_level(np.array([1, 2])).tolist()
        [True, True]
        """
        difficulties = np.asarray(difficulties)
        if not self.config.enabled:
            return np.ones(difficulties.shape, dtype=bool)
        return difficulties == self.level

    def sample(self, rng: np.random.Generator, batch_size: int) -> np.ndarray:
        """int32 (batch_size,) difficulties, one per example."""
        low, high = self.min_difficulty, self.max_difficulty
        if not self.config.enabled:
            return rng.integers(low, high + 1, size=batch_size).astype(np.int32)
        component = rng.random(batch_size)
        e = rng.geometric(0.5, size=batch_size) - 1  # e in {0, 1, ...}; drawn either way,
        reach = self.level + e * self.config.lookahead  # so that a seed keeps its stream
        everywhere = rng.integers(low, high + 1, size=batch_size)
        near = rng.integers(low, reach + 1)
        difficulty = np.where(
            component < self.config.uniform_share,
            everywhere,
            np.where(component < self.config.uniform_share + self.config.near_share, near, reach),
        )
        return np.clip(difficulty, low, high).astype(np.int32)

    def record(self, difficulties: np.ndarray, example_errors: np.ndarray) -> bool:
        """Record one batch's per-example errors (fraction of wrong scored cells); returns
        True if the level rose."""
        difficulties = np.asarray(difficulties)
        example_errors = np.asarray(example_errors, dtype=np.float64)
        if difficulties.shape != example_errors.shape:
            raise ValueError(
                f"difficulties and example_errors must have the same shape, got "
                f"{difficulties.shape} and {example_errors.shape}"
            )
        if not self.config.enabled:
            return False
        self.batches_seen += 1
        at_level = self.at_level(difficulties)
        if not at_level.any():
            return False
        self._window_error_sums.append(float(example_errors[at_level].sum()))
        self._window_counts.append(int(at_level.sum()))
        del self._window_error_sums[: -self.config.window]
        del self._window_counts[: -self.config.window]

        window_full = len(self._window_counts) == self.config.window
        mean_error = sum(self._window_error_sums) / sum(self._window_counts)
        gap_passed = (
            self.last_promotion == NEVER
            or self.batches_seen - self.last_promotion >= self.config.min_gap
        )
        if self.at_max or not window_full or not gap_passed or mean_error >= self.config.threshold:
            return False
        self.level += 1
        self.last_promotion = self.batches_seen
        self._window_error_sums.clear()
        self._window_counts.clear()
        return True

    def state_dict(self) -> dict:
        """Plain JSON-serialisable state, for a checkpoint."""
        return {
            "level": self.level,
            "batches_seen": self.batches_seen,
            "last_promotion": self.last_promotion,
            "window_error_sums": list(self._window_error_sums),
            "window_counts": list(self._window_counts),
        }

    def load_state_dict(self, state: dict) -> None:
        self.level = self._check_level(int(state["level"]))
        self.batches_seen = int(state["batches_seen"])
        self.last_promotion = int(state["last_promotion"])
        self._window_error_sums = [float(x) for x in state["window_error_sums"]]
        self._window_counts = [int(x) for x in state["window_counts"]]

    def __repr__(self) -> str:
        return (
            f"Curriculum(level={self.level}, range=[{self.min_difficulty}, "
            f"{self.max_difficulty}], enabled={self.config.enabled})"
        )
