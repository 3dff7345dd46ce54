"""The paper's numerical safeguards (Appendix B), as small differentiable primitives.

* `clip_gradient`: identity forward; the gradient flowing back through it is clipped
  elementwise to [-C1, C1] (clipping gradients with respect to activations).
* `renormalise`: rescale a distribution to sum to 1, with the backward pass treated as the
  identity, so it corrects round-off without changing what the optimiser sees.
* `tidy`: both of the above in one primitive, as the machine applies them.
* `safe_log`: log(max(x, eps)), the only log the project uses on probabilities.
* `round_straight_through`: round forward, identity backward (ours: `numerics.harden_inputs`).
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
from jax import Array


def tidy(distribution: Array, renormalise: bool, clip: float | None) -> Array:
    """Forward: rescaled to sum 1 over the last axis (if `renormalise`); backward: the incoming
    gradient clipped elementwise to [-clip, clip] (if `clip` is not None), else passed through.
    One primitive for both safeguards, as the machine applies them together to every module
    output, register and memory at every step; `clip_gradient` and `renormalise` are its two
    halves."""
    if not renormalise and clip is None:
        return distribution
    return _tidy(distribution, renormalise, clip)


def clip_gradient(x: Array, bound: float) -> Array:
    return tidy(x, renormalise=False, clip=bound)


def renormalise(distribution: Array) -> Array:
    """distribution / its sum over the last axis; the backward pass is the identity."""
    return tidy(distribution, renormalise=True, clip=None)


@partial(jax.custom_vjp, nondiff_argnums=(1, 2))
def _tidy(distribution: Array, renormalise: bool, clip: float | None) -> Array:
    if renormalise:
        total = jnp.sum(distribution, axis=-1, keepdims=True)
        distribution = distribution / jnp.maximum(total, jnp.finfo(distribution.dtype).tiny)
    return distribution


def _tidy_forward(distribution: Array, renormalise: bool, clip: float | None) -> tuple[Array, None]:
    return _tidy(distribution, renormalise, clip), None


def _tidy_backward(renormalise: bool, clip: float | None, _: None, gradient: Array) -> tuple[Array]:
    return (gradient if clip is None else jnp.clip(gradient, -clip, clip),)


_tidy.defvjp(_tidy_forward, _tidy_backward)


def materialise(vector: Array) -> Array:
    """The identity, written as a scatter-add that XLA will not fuse into its consumers.

    READ's gradient broadcasts an M-vector into an M x M product, and XLA's CPU fusion
    otherwise recomputes the vector's whole producer chain once per memory row (docs/speed.md
    has the timings). WRITE's update gains nothing from it, and optimization_barrier does not
    help: the CPU pipeline removes it before fusion.
    """
    size = vector.shape[-1]
    return jnp.zeros_like(vector).at[..., jnp.arange(size)].add(vector)


def round_straight_through(x: Array) -> Array:
    """round(x) forward; backward, the gradient passes as if this were the identity."""
    return x + jax.lax.stop_gradient(jnp.round(x) - x)


def safe_log(x: Array, eps: float) -> Array:
    return jnp.log(jnp.maximum(x, eps))


def entropy(distribution: Array, eps: float = 1e-12) -> Array:
    """Entropy over the last axis, with the log clamped."""
    return -jnp.sum(distribution * safe_log(distribution, eps), axis=-1)
