"""The paper's safeguards: activation-gradient clipping, renormalisation, clamped logs."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from nram.numerics import (
    clip_gradient,
    entropy,
    renormalise,
    round_straight_through,
    safe_log,
    tidy,
)


def test_clip_gradient_is_identity_forward_and_bounds_a_huge_gradient() -> None:
    x = jnp.array([0.5, -2.0, 3.0])
    np.testing.assert_array_equal(clip_gradient(x, 1.0), x)
    upstream = jnp.array([1e9, -1e9, 0.25])
    gradient = jax.grad(lambda v: jnp.sum(clip_gradient(v, 10.0) * upstream))(x)
    np.testing.assert_allclose(gradient, [10.0, -10.0, 0.25])


def test_renormalise_sums_to_one_and_its_backward_is_the_identity() -> None:
    x = jnp.array([[0.2, 0.3, 0.4], [1.0, 1.0, 2.0]])
    np.testing.assert_allclose(jnp.sum(renormalise(x), axis=-1), 1.0, rtol=1e-6)
    weights = jnp.arange(6.0).reshape(2, 3)
    gradient = jax.grad(lambda v: jnp.sum(renormalise(v) * weights))(x)
    np.testing.assert_allclose(gradient, weights)


def test_tidy_renormalises_forward_and_clips_backward() -> None:
    x = jnp.array([[0.2, 0.3, 0.4], [1.0, 1.0, 2.0]])
    upstream = jnp.array([[1e9, -1e9, 0.25], [3.0, -30.0, 0.0]])
    np.testing.assert_allclose(tidy(x, True, 10.0), x / jnp.sum(x, axis=-1, keepdims=True))
    gradient = jax.grad(lambda v: jnp.sum(tidy(v, True, 10.0) * upstream))(x)
    np.testing.assert_allclose(gradient, jnp.clip(upstream, -10.0, 10.0))
    assert tidy(x, False, None) is x  # both off: not even an op


def test_round_straight_through_rounds_forward_and_passes_the_gradient() -> None:
    x = jnp.array([0.07, 0.93, 0.5001, 0.0, 1.0])
    np.testing.assert_array_equal(round_straight_through(x), [0.0, 1.0, 1.0, 0.0, 1.0])
    upstream = jnp.array([2.0, -3.0, 0.5, 1.0, -1.0])
    gradient = jax.grad(lambda v: jnp.sum(round_straight_through(v) * upstream))(x)
    np.testing.assert_allclose(gradient, upstream)


def test_safe_log_is_finite_at_zero_and_exact_above_eps() -> None:
    values = safe_log(jnp.array([0.0, 1e-30, 0.5]), 1e-6)
    assert bool(jnp.all(jnp.isfinite(values)))
    np.testing.assert_allclose(values, [np.log(1e-6), np.log(1e-6), np.log(0.5)], rtol=1e-6)
    assert bool(jnp.isfinite(jax.grad(lambda v: safe_log(v, 1e-6))(0.0)))


def test_entropy_of_uniform_and_one_hot() -> None:
    np.testing.assert_allclose(entropy(jnp.full(8, 1 / 8)), np.log(8), rtol=1e-6)
    np.testing.assert_allclose(entropy(jnp.eye(4)[1]), 0.0, atol=1e-6)
