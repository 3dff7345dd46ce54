"""The solved check: which sizes it looks at, and that a wrong answer at any of them fails it."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import TINY

from nram import config, evaluate


@pytest.mark.parametrize(("stretch", "beyond"), [(1, []), (2, [2]), (3, [2, 3]), (7, [2, 4, 7])])
def test_solved_checks_the_training_sizes_then_the_stretched_ones(
    monkeypatch: pytest.MonkeyPatch, stretch: int, beyond: list[int]
) -> None:
    settings = config.resolve("access", assignments=[*TINY, f"evaluation.stretch={stretch}"])
    top = settings.max_difficulty
    asked: list[tuple[tuple[int, ...], int | None, bool]] = []
    wrong_at: set[int] = set()

    def fake_measure(
        model: object,
        config: object,
        difficulties: list[int],
        *,
        examples: int,
        discrete: bool,
        rng: object,
        memory_size: int | None = None,
    ) -> list[evaluate.DifficultyResult]:
        asked.append((tuple(difficulties), memory_size, discrete))
        return [
            evaluate.DifficultyResult(d, 0, 0, discrete, examples, float(d in wrong_at), 0.0)
            for d in difficulties
        ]

    monkeypatch.setattr(evaluate, "measure", fake_measure)
    rng = np.random.default_rng(0)
    assert evaluate.solved(None, settings, rng, examples=4) == (True, 0.0)
    training_sizes = tuple(range(1, top + 1))
    expected = [(training_sizes, settings.memory_size)] + [((f * top,), None) for f in beyond]
    assert asked == [
        (sizes, memory, discrete) for sizes, memory in expected for discrete in (False, True)
    ]

    # Wrong at any size checked: not solved, and the error is reported.
    for difficulty in [top, *(f * top for f in beyond)]:
        wrong_at = {difficulty}
        assert evaluate.solved(None, settings, rng, examples=4) == (False, 1.0)
