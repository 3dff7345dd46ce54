"""The paper's numerical safeguards (Appendix B), as small differentiable primitives.

* `clip_gradient`: identity forward; the gradient flowing back through it is clipped
  elementwise to [-C1, C1] (clipping gradients with respect to activations).
* `renormalise`: rescale a distribution to sum to 1, with the backward pass treated as the
  identity, so it corrects round-off without changing what the optimiser sees.
* `safe_log`: log(max(x, eps)), the only log the project uses on probabilities.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
from jax import Array


@partial(jax.custom_vjp, nondiff_argnums=(1,))
def clip_gradient(x: Array, bound: float) -> Array:
    return x


def _clip_forward(x: Array, bound: float) -> tuple[Array, None]:
    return x, None


def _clip_backward(bound: float, _: None, gradient: Array) -> tuple[Array]:
    return (jnp.clip(gradient, -bound, bound),)


clip_gradient.defvjp(_clip_forward, _clip_backward)


@jax.custom_vjp
def renormalise(distribution: Array) -> Array:
    """distribution / its sum over the last axis; the backward pass is the identity."""
    total = jnp.sum(distribution, axis=-1, keepdims=True)
    return distribution / jnp.maximum(total, jnp.finfo(distribution.dtype).tiny)


def _renormalise_forward(distribution: Array) -> tuple[Array, None]:
    return renormalise(distribution), None


def _renormalise_backward(_: None, gradient: Array) -> tuple[Array]:
    return (gradient,)


renormalise.defvjp(_renormalise_forward, _renormalise_backward)


def materialise(vector: Array) -> Array:
    """The identity, written as a scatter-add that XLA will not fuse into its consumers.

    READ's gradient broadcasts an M-vector into an M x M product, and XLA's CPU fusion
    otherwise recomputes the vector's whole producer chain once per memory row: the training
    step at M = 64 measured 2.5x faster with this. WRITE's update gained nothing from it, and
    optimization_barrier does not help: the CPU pipeline removes it before fusion.
    """
    size = vector.shape[-1]
    return jnp.zeros_like(vector).at[..., jnp.arange(size)].add(vector)


def safe_log(x: Array, eps: float) -> Array:
    return jnp.log(jnp.maximum(x, eps))


def entropy(distribution: Array, eps: float = 1e-12) -> Array:
    """Entropy over the last axis, with the log clamped."""
    return -jnp.sum(distribution * safe_log(distribution, eps), axis=-1)
