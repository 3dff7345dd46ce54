"""The Appendix-B curriculum: difficulty sampling, promotion, determinism, checkpoint state."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nram.curriculum import Curriculum, CurriculumConfig


def exact_distribution(
    low: int,
    high: int,
    level: int,
    uniform_share: float = 0.10,
    near_share: float = 0.25,
    e_offset: int = 0,
    clip_before_near: bool = False,
) -> np.ndarray:
    """P(d) for d in [low, high] under docs/spec.md §9's rule, computed by enumerating e.

    The keyword arguments describe plausible wrong rules, to show the test rejects them.
    """
    pmf = np.zeros(high + 1)
    pmf[low:] += uniform_share / (high - low + 1)
    for e in range(80):
        weight = 0.5 ** (e + 1)
        reach = level + e + e_offset
        pmf[np.clip(reach, low, high)] += (1 - uniform_share - near_share) * weight
        top = min(reach, high) if clip_before_near else reach
        for d in range(low, top + 1):
            pmf[np.clip(d, low, high)] += near_share * weight / (top - low + 1)
    return pmf[low:]


def total_variation(p: np.ndarray, q: np.ndarray) -> float:
    return 0.5 * float(np.abs(p - q).sum())


@pytest.mark.parametrize(("low", "high", "level"), [(1, 20, 8), (2, 12, 12), (1, 15, 1)])
def test_sampled_difficulties_follow_the_10_25_65_rule(low: int, high: int, level: int) -> None:
    curriculum = Curriculum(CurriculumConfig(), low, high, level=level)
    samples = curriculum.sample(np.random.default_rng(0), 200_000)
    assert samples.dtype == np.int32 and samples.min() >= low and samples.max() <= high
    empirical = np.bincount(samples, minlength=high + 1)[low:] / samples.size
    exact = exact_distribution(low, high, level)
    distance = total_variation(empirical, exact)
    assert distance < 0.01, f"TV {distance:.4f} from the spec's distribution"
    # The tolerance is tight enough to reject neighbouring rules wherever they differ (at
    # D = max, for instance, e's offset hardly matters: every D+e clips to max).
    wrong_rules = [
        exact_distribution(low, high, level, uniform_share=0.25, near_share=0.10),
        exact_distribution(low, high, level, uniform_share=0.0, near_share=0.35),
        exact_distribution(low, high, level, e_offset=1),  # e ~ Geometric on {1, 2, ...}
        exact_distribution(low, high, level, clip_before_near=True),
    ]
    distinguishable = [wrong for wrong in wrong_rules if total_variation(exact, wrong) > 0.03]
    if level == 8:
        assert len(distinguishable) == 3  # all but the clipping order, which needs D+e > max
    for wrong in distinguishable:
        assert total_variation(empirical, wrong) > 0.02


def test_the_three_components_have_their_shares() -> None:
    # Far from both ends: d < D comes only from the uniform parts, d = D from all three.
    low, high, level = 1, 100, 50
    samples = Curriculum(CurriculumConfig(), low, high, level=level).sample(
        np.random.default_rng(1), 400_000
    )
    below = (samples < level).mean()
    expected_below = 0.10 * 49 / 100 + 0.25 * sum(
        0.5 ** (e + 1) * 49 / (level + e) for e in range(80)
    )
    assert abs(below - expected_below) < 0.004
    at_level = (samples == level).mean()
    expected_at_level = 0.10 / 100 + 0.25 * sum(0.5 ** (e + 1) / (level + e) for e in range(80))
    expected_at_level += 0.65 * 0.5
    assert abs(at_level - expected_at_level) < 0.004


def test_without_lookahead_a_level_trains_on_its_own_and_easier_difficulties() -> None:
    low, high, level = 1, 10, 4
    config = CurriculumConfig(lookahead=False, uniform_share=0.0)
    samples = Curriculum(config, low, high, level=level).sample(np.random.default_rng(3), 100_000)
    assert samples.max() == level
    # 25% uniform on [1, D], 75% at D.
    assert abs((samples == level).mean() - (0.75 + 0.25 / level)) < 0.005
    assert abs((samples == 1).mean() - 0.25 / level) < 0.005
    with_uniform = Curriculum(CurriculumConfig(lookahead=False), low, high, level=level)
    assert with_uniform.sample(np.random.default_rng(3), 100_000).max() == high


def test_disabled_curriculum_samples_uniformly_and_never_promotes() -> None:
    curriculum = Curriculum(CurriculumConfig(enabled=False), 2, 9)
    samples = curriculum.sample(np.random.default_rng(2), 80_000)
    counts = np.bincount(samples, minlength=10)[2:]
    assert np.abs(counts / samples.size - 1 / 8).max() < 0.006
    for _ in range(100):
        assert not curriculum.record(np.full(8, curriculum.level), np.zeros(8))
    assert curriculum.level == 2
    # Every example is at the level: the whole range is trained at once.
    assert curriculum.at_level(samples[:50]).all()
    enabled = Curriculum(CurriculumConfig(), 2, 9, level=3)
    np.testing.assert_array_equal(enabled.at_level(np.array([2, 3, 4, 3])), [0, 1, 0, 1])


def feed(curriculum: Curriculum, batches: int, error: float = 0.0) -> list[int]:
    """Record ``batches`` batches of 8 examples at the current level; returns the 1-based
    indices of the batches that promoted."""
    promotions = []
    for batch in range(1, batches + 1):
        if curriculum.record(np.full(8, curriculum.level), np.full(8, error)):
            promotions.append(batch)
    return promotions


def test_promotion_needs_a_full_window_below_threshold_and_the_gap() -> None:
    config = CurriculumConfig(window=10, min_gap=20, threshold=0.02)
    curriculum = Curriculum(config, 1, 5)
    # The first promotion waits only for a full window; later ones also for the gap.
    assert feed(curriculum, 100) == [10, 30, 50, 70]
    assert curriculum.level == 5 and curriculum.at_max


def test_promotion_starts_a_fresh_window() -> None:
    curriculum = Curriculum(CurriculumConfig(window=3, min_gap=0), 1, 5)
    assert feed(curriculum, 3, error=0.01) == [3]
    state = curriculum.state_dict()
    assert state["window_error_sums"] == [] and state["window_counts"] == []
    assert feed(curriculum, 3) == [3]  # three new batches at the new level, not fewer


def test_promotion_with_a_window_longer_than_the_gap() -> None:
    curriculum = Curriculum(CurriculumConfig(window=15, min_gap=5), 1, 4)
    assert feed(curriculum, 60) == [15, 30, 45]


def test_no_promotion_at_or_above_threshold() -> None:
    curriculum = Curriculum(CurriculumConfig(threshold=0.02), 1, 5)
    assert feed(curriculum, 200, error=0.0201) == []
    assert feed(curriculum, 200, error=0.5) == []
    assert curriculum.level == 1
    assert feed(curriculum, 10, error=0.0199) == [10]


def test_window_pools_examples_and_forgets_old_batches() -> None:
    config = CurriculumConfig(window=10, min_gap=0, threshold=0.02)
    curriculum = Curriculum(config, 1, 5)
    # One bad batch: mean error 1.0 over its 8 examples, then 9 perfect ones: 8/80 = 0.1.
    curriculum.record(np.full(8, 1), np.ones(8))
    assert feed(curriculum, 9) == []
    # Once the bad batch leaves the window (10 batches later), the level rises.
    assert feed(curriculum, 1) == [1]
    # Pooled over examples, not averaged over batches: 1 bad example among 100 is 0.01.
    curriculum = Curriculum(config, 1, 5)
    curriculum.record(np.array([1, 3, 3]), np.array([1.0, 1.0, 1.0]))
    promotions = [curriculum.record(np.full(11, 1), np.zeros(11)) for _ in range(9)]
    assert promotions == [False] * 8 + [True]


def test_only_examples_at_the_level_count() -> None:
    curriculum = Curriculum(CurriculumConfig(window=3, min_gap=0), 1, 6, level=3)
    difficulties = np.array([1, 2, 3, 4, 5, 3])
    errors = np.array([1.0, 1.0, 0.0, 1.0, 1.0, 0.0])  # wrong everywhere except at d = 3
    assert [curriculum.record(difficulties, errors) for _ in range(3)] == [False, False, True]
    # A batch without d = level records nothing: the window stays empty.
    for _ in range(10):
        assert not curriculum.record(np.array([1, 2, 3]), np.zeros(3))
    assert curriculum.state_dict()["window_counts"] == []


def test_batches_without_the_level_still_count_towards_the_gap() -> None:
    curriculum = Curriculum(CurriculumConfig(window=2, min_gap=10), 1, 6)
    assert feed(curriculum, 2) == [2]
    for _ in range(8):  # batches 3..10, none at the new level 2
        curriculum.record(np.full(4, 1), np.zeros(4))
    assert feed(curriculum, 2) == [2]  # batches 11, 12: the gap 12 - 2 = 10 is met


def test_same_seed_same_stream() -> None:
    def stream(seed: int) -> list[list[int]]:
        curriculum = Curriculum(CurriculumConfig(window=2, min_gap=3), 1, 20)
        rng = np.random.default_rng(seed)
        out = []
        for _ in range(30):
            difficulties = curriculum.sample(rng, 16)
            curriculum.record(difficulties, np.zeros(16))
            out.append(difficulties.tolist())
        return out

    assert stream(5) == stream(5)
    assert stream(5) != stream(6)


def test_state_dict_round_trip_through_json() -> None:
    config = CurriculumConfig(window=4, min_gap=6)
    original = Curriculum(config, 1, 20)
    rng = np.random.default_rng(3)
    for step in range(23):
        difficulties = original.sample(rng, 16)
        original.record(difficulties, np.full(16, 0.01 * (step % 3)))
    state = json.loads(json.dumps(original.state_dict()))
    restored = Curriculum(config, 1, 20)
    restored.load_state_dict(state)
    assert restored.state_dict() == original.state_dict()
    # Both continue identically.
    rng_a, rng_b = np.random.default_rng(4), np.random.default_rng(4)
    for _ in range(40):
        a, b = original.sample(rng_a, 16), restored.sample(rng_b, 16)
        assert a.tolist() == b.tolist()
        assert original.record(a, np.zeros(16)) == restored.record(b, np.zeros(16))
    assert original.level == restored.level > 1


def test_bad_configurations_and_inputs_raise() -> None:
    with pytest.raises(ValueError, match="curriculum level must be in \\[1, 5\\], got 6"):
        Curriculum(CurriculumConfig(), 1, 5, level=6)
    with pytest.raises(ValueError, match="max_difficulty must be >= min_difficulty"):
        Curriculum(CurriculumConfig(), 4, 3)
    with pytest.raises(ValueError, match="shares must be >= 0"):
        CurriculumConfig(near_share=-0.1)
    with pytest.raises(ValueError, match="window must be >= 1"):
        CurriculumConfig(window=0)
    with pytest.raises(ValueError, match="min_gap must be >= 0"):
        CurriculumConfig(min_gap=-1)
    curriculum = Curriculum(CurriculumConfig(), 1, 5)
    with pytest.raises(ValueError, match="same shape"):
        curriculum.record(np.ones(3), np.zeros(4))
    with pytest.raises(ValueError, match="curriculum level must be in"):
        curriculum.load_state_dict({**curriculum.state_dict(), "level": 9})
