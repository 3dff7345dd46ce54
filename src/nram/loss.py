"""The training loss, the read-out at test time, and the paper's error metric.

The loss (docs/spec.md §8) is the expected negative log-likelihood of the scored cells under the
halting distribution:

    L = - sum_t p_t sum_{i in mask} log(max(Mem^(t)[i, y_i], eps))

The paper's footnote variant, - sum_i log(sum_t p_t Mem^(t)[i, y_i]), is one setting away.
"""

from __future__ import annotations

from typing import Literal

import jax.numpy as jnp
from jax import Array

from nram.errors import ConfigError
from nram.machine import Outcome, may_read_out
from nram.numerics import safe_log

LossKind = Literal["expected", "footnote"]


def negative_log_likelihood(
    outcome: Outcome, mask: Array, *, kind: LossKind = "expected", eps: float = 1e-6
) -> Array:
    """Per-example loss. outcome fields are (T, M) / (T,); mask is bool (M,)."""
    if kind == "expected":
        cell_log_probs = safe_log(outcome.target_probs, eps)  # (T, M)
        per_step = jnp.sum(jnp.where(mask, cell_log_probs, 0.0), axis=-1)  # (T,)
        return -jnp.sum(outcome.halting * per_step)
    if kind == "footnote":
        expected_probs = jnp.sum(outcome.halting[:, None] * outcome.target_probs, axis=0)  # (M,)
        return -jnp.sum(jnp.where(mask, safe_log(expected_probs, eps), 0.0))
    raise ConfigError(f"unknown loss kind {kind!r}; valid: expected, footnote")


def readout_step(outcome: Outcome, horizon: Array) -> Array:
    """The first step with f_t >= 0.5 inside the horizon, else the horizon's last step."""
    steps = jnp.arange(outcome.finish.shape[-1])
    return jnp.argmax(may_read_out(outcome.finish, steps, horizon))


def wrong_cells(outcome: Outcome, target: Array, mask: Array) -> Array:
    """Number of scored cells whose read-out value (`Outcome.readout_values`, the memory at
    `readout_step`) differs from the target."""
    return jnp.sum((outcome.readout_values != target) & mask)
