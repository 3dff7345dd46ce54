"""The controllers: what decides, each timestep, how the modules and registers are wired.

A controller sees one scalar per register, P(r_i = 0), and nothing else of the registers or
the memory; that is why its parameter count does not depend on the memory size M. It emits
one flat vector of logits, which the machine splits into selectors and the halting logit.

* `MLPController`: two hidden ReLU layers. Stateless: its output is a function of the
  registers' zero-probabilities alone (so a discretised MLP is a table of 2^R circuits).
* `LSTMController`: one ReLU layer between the input and an LSTM cell.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
from jax import Array

from nram.errors import ConfigError

ControllerState = tuple[Array, ...]


class MLPController(eqx.Module):
    hidden: tuple[eqx.nn.Linear, eqx.nn.Linear]
    head: eqx.nn.Linear

    def __init__(self, registers: int, width: int, outputs: int, *, key: Array):
        first, second, head = jax.random.split(key, 3)
        self.hidden = (
            eqx.nn.Linear(registers, width, key=first),
            eqx.nn.Linear(width, width, key=second),
        )
        self.head = eqx.nn.Linear(width, outputs, key=head)

    def initial_state(self) -> ControllerState:
        return ()

    def __call__(self, zero_probs: Array, state: ControllerState) -> tuple[Array, ControllerState]:
        hidden = zero_probs
        for layer in self.hidden:
            hidden = jax.nn.relu(layer(hidden))
        return self.head(hidden), state


class LSTMController(eqx.Module):
    encoder: eqx.nn.Linear
    cell: eqx.nn.LSTMCell
    head: eqx.nn.Linear

    def __init__(self, registers: int, width: int, outputs: int, *, key: Array):
        encoder, cell, head = jax.random.split(key, 3)
        self.encoder = eqx.nn.Linear(registers, width, key=encoder)
        self.cell = eqx.nn.LSTMCell(width, width, key=cell)
        self.head = eqx.nn.Linear(width, outputs, key=head)

    def initial_state(self) -> ControllerState:
        width = self.cell.hidden_size
        return (jnp.zeros(width), jnp.zeros(width))

    def __call__(self, zero_probs: Array, state: ControllerState) -> tuple[Array, ControllerState]:
        hidden, cell = self.cell(jax.nn.relu(self.encoder(zero_probs)), state)
        return self.head(hidden), (hidden, cell)


Controller = MLPController | LSTMController

CONTROLLERS = {"mlp": MLPController, "lstm": LSTMController}


def scale_inputs(controller: Controller, scale: float) -> Controller:
    """The controller with its input layer's weights times `scale`."""

    def input_weight(c: Controller) -> Array:
        return c.hidden[0].weight if isinstance(c, MLPController) else c.encoder.weight

    return eqx.tree_at(input_weight, controller, scale * input_weight(controller))


def make(kind: str, registers: int, width: int, outputs: int, *, key: Array) -> Controller:
    if kind not in CONTROLLERS:
        raise ConfigError(f"unknown controller {kind!r}; valid: {', '.join(CONTROLLERS)}")
    return CONTROLLERS[kind](registers, width, outputs, key=key)
