"""What the step benchmarks share: the benchmark's training step, and how it is timed.

Import after setting XLA_FLAGS (it imports jax). `package` names the nram package to build
the step from: "nram", or a revision's copy (`compare.py`).
"""

from __future__ import annotations

import dataclasses
import importlib
import statistics
import time

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

TIMESTEPS = 10  # T of the benchmark's training step


def batch(size: int, batch_size: int, timesteps: int):
    """Random (memory, target, mask, horizon): timing does not depend on the task."""
    rng = np.random.default_rng(0)
    memory = jnp.asarray(rng.integers(0, size, (batch_size, size)), jnp.int32)
    target = jnp.asarray(rng.integers(0, size, (batch_size, size)), jnp.int32)
    mask = jnp.asarray(rng.random((batch_size, size)) < 0.5)
    horizon = jnp.full((batch_size,), timesteps, jnp.int32)
    return memory, target, mask, horizon


def training_step(
    size: int,
    noise: bool = True,
    module_names: tuple[str, ...] | None = None,
    package="nram",
    part: str = "step",
):
    """The trainer's step at the general defaults (C1, C2, renormalisation, entropy, gradient
    noise unless `noise` is False, as the four easy tasks train), B=32, R=4, width 50, T=10,
    MLP, the paper's modules unless `module_names`. Returns (jitted function, its arguments):
    the whole step, or with `part` only its "forward" pass (the objective) or its "gradient"
    (forward and backward, no optimiser)."""
    machine = importlib.import_module(f"{package}.machine")
    modules = importlib.import_module(f"{package}.modules")
    train = importlib.import_module(f"{package}.train")
    configuration = importlib.import_module(f"{package}.config")
    names = module_names or modules.PAPER_MODULES
    config = configuration.TrainConfig(
        machine=machine.MachineConfig(registers=4, width=50, modules=names)
    )
    if not noise:
        config = dataclasses.replace(config, noise=dataclasses.replace(config.noise, eta=0.0))
    settings = train.StepSettings.of(config)
    model = machine.init(config.machine, jax.random.key(0))
    examples, weight = batch(size, 32, TIMESTEPS), jnp.asarray(0.03)
    if hasattr(train, "side_by_side_step"):  # the step takes the controller's input rounding
        settings = dataclasses.replace(settings, timesteps=TIMESTEPS)
        data, static = (train.StepBatch(*examples), weight, jnp.asarray(False)), (settings,)
    elif hasattr(train, "StepBatch"):
        settings = dataclasses.replace(settings, timesteps=TIMESTEPS)
        data, static = (train.StepBatch(*examples), weight), (settings,)
    else:  # a revision from before the step took a named batch (compare.py)
        data, static = (*examples, weight), (TIMESTEPS, settings)
    if part == "forward":
        forward = lambda model, *rest: train.objective(model, *rest, *static)[0]
        return jax.jit(forward), (model, *data)
    if part == "gradient":
        gradient = eqx.filter_grad(train.objective, has_aux=True)
        return jax.jit(lambda model, *rest: gradient(model, *rest, *static)), (model, *data)
    opt_state = train.make_optimizer(settings).init(eqx.filter(model, eqx.is_array))
    step = jax.jit(lambda model, opt, *rest: train.train_step(model, opt, *rest, *static))
    return step, (model, opt_state, *data)


def median_ms(function, arguments, repeats: int) -> float:
    jax.block_until_ready(function(*arguments))  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(function(*arguments))
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def interleaved(steps: list, rounds: int, repeats: int) -> list[list[float]]:
    """Each (function, arguments)'s median per round, the functions timed in turn, round after
    round: this machine drifts between a fast and a slow regime for minutes at a time, and a
    regime change then hits every function alike instead of whichever was timed during it."""
    medians: list[list[float]] = [[] for _ in steps]
    for _ in range(rounds):
        for index, (function, arguments) in enumerate(steps):
            medians[index].append(median_ms(function, arguments, repeats))
    return medians
