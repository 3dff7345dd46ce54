"""The machine: Eq. 1-3 against a plain-numpy reference, gradients against finite
differences, distributions, halting, discretisation, and M-independent parameters."""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import Array
from jax.test_util import check_grads

from nram import errors, loss, machine, modules
from nram.machine import NRAM, MachineConfig, Numerics, Outcome
from nram.numerics import tidy

SMALL = MachineConfig(registers=3, width=8, modules=("read", "inc", "add", "lt", "write"))
SIZE, STEPS = 7, 4


def example(seed: int, size: int = SIZE) -> tuple[jax.Array, jax.Array, jax.Array]:
    rng = np.random.default_rng(seed)
    memory = jnp.asarray(rng.integers(0, size, size))
    target = jnp.asarray(rng.integers(0, size, size))
    mask = jnp.asarray(rng.random(size) < 0.5).at[0].set(True)
    return memory, target, mask


def reference_run(
    model: machine.NRAM,
    memory: np.ndarray,
    steps: int,
    round_inputs: bool = False,
    input_noise: np.ndarray | None = None,
) -> dict:
    """Eq. 1-3 written out in float64 numpy, one module at a time, from the controller's
    logits: an independent implementation of the machine's step. `round_inputs`: the
    controller sees round(P(r_i = 0)); else P(r_i = 0) + `input_noise[t]`, if given."""
    size, registers = len(memory), model.config.registers
    layout = model.layout
    softmax = lambda z: np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    regs = np.zeros((registers, size))
    regs[:, 0] = 1
    mem = np.eye(size)[memory]
    state = model.controller.initial_state()
    remaining, halting, memories = 1.0, [], []
    for t in range(steps):
        inputs = np.round(regs[:, 0]) if round_inputs else regs[:, 0]
        if input_noise is not None and not round_inputs:
            inputs = inputs + input_noise[t]
        logits, state = model.controller(jnp.asarray(inputs, jnp.float32), state)
        logits = np.asarray(logits, np.float64)
        outputs = []
        for index, module in enumerate(model.modules):
            candidates = np.concatenate([regs, np.array(outputs).reshape(-1, size)])
            args = [
                softmax(np.asarray(layout.argument_logits(logits, index, k))) @ candidates
                for k in range(module.arity)
            ]
            if module.kind == "read":
                out = args[0] @ mem
            elif module.kind == "write":
                p, a = args
                mem = (1 - p)[:, None] * mem + p[:, None] * a[None, :]
                out = np.eye(size)[0]
            else:  # Eq. 2 by brute force over all pairs
                a_dist = args[0] if args else np.eye(size)[0]
                b_dist = args[1] if len(args) > 1 else a_dist
                out = np.zeros(size)
                for a in range(size):
                    for b in range(size):
                        out[module.exact(a, b, size)] += a_dist[a] * b_dist[b]
            outputs.append(out)
        values = np.concatenate([regs, np.array(outputs)])
        selectors = np.array([softmax(row) for row in np.asarray(layout.register_logits(logits))])
        regs = selectors @ values
        finish = 1 / (1 + np.exp(-logits[layout.halt_offset]))
        p = remaining if t == steps - 1 else finish * remaining
        halting.append(p)
        remaining -= p
        memories.append(mem.copy())
    return {"memories": np.array(memories), "halting": np.array(halting), "registers": regs}


@pytest.mark.parametrize("kind", ["mlp", "lstm"])
def test_run_matches_a_plain_numpy_reference(kind: str) -> None:
    config = MachineConfig(
        registers=3,
        width=8,
        controller=kind,
        modules=("read", "zero", "inc", "add", "sub", "lt", "min", "write"),
    )
    model = machine.init(config, jax.random.key(3))
    memory, target, _ = example(1)
    outcome = run_unnormalised(model, memory, target, record=True)
    assert_matches_reference(outcome, model, memory, target)


def test_rounded_inputs_match_the_reference_and_change_the_run() -> None:
    model = machine.init(SMALL, jax.random.key(3))
    memory, target, _ = example(1)
    rounded = run_unnormalised(model, memory, target, round_inputs=jnp.asarray(True))
    assert_matches_reference(rounded, model, memory, target, round_inputs=True)
    # The registers are soft after the first step, so the soft inputs give another run.
    soft = run_unnormalised(model, memory, target)
    assert not np.allclose(soft.target_probs, rounded.target_probs, atol=1e-4)


def test_input_noise_matches_the_reference_and_leaves_rounded_inputs_alone() -> None:
    model = machine.init(SMALL, jax.random.key(3))
    memory, target, _ = example(1)
    noise = np.random.default_rng(0).normal(0, 0.3, (STEPS, SMALL.registers))
    noisy = run_unnormalised(model, memory, target, input_noise=jnp.asarray(noise, jnp.float32))
    assert_matches_reference(noisy, model, memory, target, input_noise=noise)
    assert not np.allclose(noisy.target_probs, run_unnormalised(model, memory, target).target_probs)
    rounded = run_unnormalised(
        model, memory, target, round_inputs=jnp.asarray(True), input_noise=jnp.asarray(noise)
    )
    assert_matches_reference(rounded, model, memory, target, round_inputs=True)


def run_unnormalised(model: NRAM, memory: Array, target: Array, **options: Any) -> Outcome:
    """STEPS steps without renormalisation, as the plain-numpy reference computes them."""
    numerics = Numerics(renormalise=False)
    return machine.run(
        model, memory, target, jnp.array(STEPS), timesteps=STEPS, numerics=numerics, **options
    )


def assert_matches_reference(
    outcome: Outcome, model: NRAM, memory: Array, target: Array, **options: Any
) -> None:
    reference = reference_run(model, np.asarray(memory), STEPS, **options)
    np.testing.assert_allclose(outcome.halting, reference["halting"], atol=1e-5)
    expected = np.take_along_axis(reference["memories"], np.asarray(target)[None, :, None], 2)
    np.testing.assert_allclose(outcome.target_probs, expected[..., 0], atol=1e-5)


def test_distributions_stay_distributions_and_halting_sums_to_one() -> None:
    model = machine.init(SMALL, jax.random.key(0))
    memory, target, _ = example(2)
    outcome = machine.run(model, memory, target, jnp.array(3), timesteps=STEPS, record=True)
    record = outcome.record
    for name, values in [
        ("memory", record.memory),
        ("registers", record.registers),
        ("outputs", record.outputs),
    ]:
        assert float(jnp.min(values)) >= 0.0, name
        np.testing.assert_allclose(jnp.sum(values, axis=-1), 1.0, atol=1e-5, err_msg=name)
    np.testing.assert_allclose(jnp.sum(outcome.halting), 1.0, atol=1e-6)
    # The example's own horizon (3) ends the halting distribution and the entropy.
    assert float(outcome.halting[3]) == 0.0 and float(outcome.entropy[3]) == 0.0
    assert float(outcome.halting[2]) > 0.0


def dot_products(jaxpr) -> list:
    """Every dot_general in a jaxpr, inside scans and custom VJPs too."""
    found = []
    for eqn in jaxpr.eqns:
        if eqn.primitive.name == "dot_general":
            found.append(eqn)
        for param in eqn.params.values():
            for inner in param if isinstance(param, tuple | list) else [param]:
                inner = getattr(inner, "jaxpr", inner)  # a ClosedJaxpr's Jaxpr
                if hasattr(inner, "eqns"):
                    found.extend(dot_products(inner))
    return found


def test_distributions_are_mixed_at_full_float32_precision() -> None:
    # A GPU runs float32 products in TF32 unless asked (39 module tests failed on an H100):
    # every product over memory-sized vectors, forward and backward, must ask for HIGHEST.
    model = machine.init(SMALL, jax.random.key(0))
    memory, target, _ = example(5)
    probability = lambda model: machine.run(
        model, memory, target, jnp.array(STEPS), timesteps=STEPS
    ).target_probs.sum()
    products = dot_products(jax.make_jaxpr(jax.grad(probability))(model).jaxpr)
    over_memory = [eqn for eqn in products if any(SIZE in var.aval.shape for var in eqn.invars)]
    assert len(over_memory) > 10  # the mixtures and READ, both ways
    for eqn in over_memory:
        assert eqn.params["precision"] == (jax.lax.Precision.HIGHEST,) * 2, eqn


def test_discrete_mode_keeps_everything_one_hot() -> None:
    model = machine.init(SMALL, jax.random.key(1))
    memory, target, _ = example(3)
    outcome = machine.run(
        model, memory, target, jnp.array(STEPS), timesteps=STEPS, discrete=True, record=True
    )
    for values in (outcome.record.memory, outcome.record.registers, outcome.record.outputs):
        np.testing.assert_allclose(jnp.max(values, axis=-1), 1.0, atol=1e-6)
    assert set(np.unique(np.asarray(outcome.finish))) <= {0.0, 1.0}
    np.testing.assert_allclose(jnp.sum(outcome.halting), 1.0)


def test_same_parameters_run_at_two_memory_sizes() -> None:
    model = machine.init(MachineConfig(registers=4, width=16), jax.random.key(0))
    first_finish = []
    for size in (8, 1024):
        memory, target, _ = example(4, size)
        outcome = machine.run(model, memory, target, jnp.array(2), timesteps=2)
        assert outcome.target_probs.shape == (2, size)
        assert bool(jnp.all(jnp.isfinite(outcome.target_probs)))
        first_finish.append(float(outcome.finish[0]))
    # Registers start at 0 at any M, so the same parameters make the same first decision.
    assert first_finish[0] == pytest.approx(first_finish[1], abs=1e-6)


def test_a_registered_module_runs_end_to_end() -> None:
    modules.register("test_triple", 1, lambda a, b, m: 3 * a, replace=True)
    config = MachineConfig(registers=2, width=8, modules=("read", "test_triple", "write"))
    model = machine.init(config, jax.random.key(0))
    memory, target, mask = example(5)
    outcome = machine.run(model, memory, target, jnp.array(3), timesteps=3)
    value = loss.negative_log_likelihood(outcome, mask)
    assert bool(jnp.isfinite(value))
    gradient = eqx.filter_jit(
        eqx.filter_grad(
            lambda m: loss.negative_log_likelihood(
                machine.run(m, memory, target, jnp.array(3), timesteps=3), mask
            )
        )
    )(model)
    norms = [float(jnp.linalg.norm(g)) for g in jax.tree_util.tree_leaves(gradient)]
    assert any(norm > 0 for norm in norms)


def test_unknown_module_in_config_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown module 'nope'"):
        MachineConfig(modules=("read", "nope"))


@pytest.mark.parametrize("kind", ["mlp", "lstm"])
@pytest.mark.parametrize("loss_kind", ["expected", "footnote"])
def test_gradient_of_the_full_loss_matches_finite_differences(kind: str, loss_kind: str) -> None:
    with jax.enable_x64(True):
        config = MachineConfig(
            registers=2,
            width=4,
            controller=kind,
            modules=("read", "one", "add", "le", "max", "write"),
        )
        model = machine.init(config, jax.random.key(11))
        model = jax.tree_util.tree_map(
            lambda x: x.astype(jnp.float64) if eqx.is_inexact_array(x) else x, model
        )
        parameters, static = eqx.partition(model, eqx.is_inexact_array)
        memory, target, mask = example(6, size=5)

        def full_loss(parameters):
            outcome = machine.run(
                eqx.combine(parameters, static),
                memory,
                target,
                jnp.array(3),
                timesteps=3,
                numerics=Numerics(activation_clip=1e6),
                dtype=jnp.float64,
            )
            return loss.negative_log_likelihood(outcome, mask, kind=loss_kind, eps=1e-12) - (
                0.1 * jnp.sum(outcome.entropy)
            )

        check_grads(jax.jit(full_loss), (parameters,), order=1, modes=["rev"], atol=1e-5, rtol=1e-4)


def test_the_modules_hand_written_backward_pass_equals_autodiff() -> None:
    # module_chain takes every selector's gradient from the final values buffer, autodiff from
    # the buffer as each module saw it. They differ only where the selector's weight is 0, so
    # through the softmax the gradients must agree: with the 14 paper modules, a clip that
    # bites, and a gradient arriving at every output (values, memory, recorded arguments).
    with jax.enable_x64(True):
        model = machine.init(MachineConfig(registers=3, width=8), jax.random.key(3))
        layout, modules = model.layout, model.modules
        safe = partial(tidy, renormalise=True, clip=0.5)
        rng = np.random.default_rng(7)
        size = 7
        logits = jnp.asarray(rng.normal(size=layout.size))
        registers = jax.nn.softmax(jnp.asarray(rng.normal(size=(3, size))))
        memory = jax.nn.softmax(jnp.asarray(rng.normal(size=(size, size))))
        output_rows = layout.values + size + sum(layout.arities)  # values, memory, arguments
        weights = jnp.asarray(rng.normal(size=(output_rows, size)))

        def gradients(custom_backward: bool) -> tuple[jax.Array, ...]:
            chain = machine.module_chain(modules, layout.argument_rows, safe, custom_backward)

            def objective(logits, registers, memory):
                selectors = jax.nn.softmax(layout.padded_argument_logits(logits))
                values, memory, arguments = chain(selectors, registers, memory)
                flat = [a for own in arguments for a in own]
                outputs = jnp.concatenate([values, memory, jnp.stack(flat)])
                return jnp.sum(weights * outputs**2)

            return jax.grad(objective, argnums=(0, 1, 2))(logits, registers, memory)

        for by_hand, by_autodiff in zip(gradients(True), gradients(False), strict=True):
            assert float(jnp.max(jnp.abs(by_autodiff))) > 1e-3
            np.testing.assert_allclose(by_hand, by_autodiff, rtol=1e-9, atol=1e-12)


def test_activation_clip_bounds_the_gradient() -> None:
    config = MachineConfig(registers=2, width=8, modules=("read", "inc", "write"))
    model = machine.init(config, jax.random.key(2))
    memory, target, mask = example(7)

    def scaled_loss(model, clip):
        outcome = machine.run(
            model,
            memory,
            target,
            jnp.array(2),
            timesteps=2,
            numerics=Numerics(activation_clip=clip),
        )
        return 1e6 * loss.negative_log_likelihood(outcome, mask)

    unclipped = eqx.filter_jit(eqx.filter_grad(lambda m: scaled_loss(m, None)))(model)
    clipped = eqx.filter_jit(eqx.filter_grad(lambda m: scaled_loss(m, 1e-3)))(model)
    norm = lambda tree: float(jnp.sqrt(sum(jnp.sum(g**2) for g in jax.tree_util.tree_leaves(tree))))
    assert norm(clipped) < 1e-2 * norm(unclipped)


def test_loss_is_finite_when_the_target_has_probability_zero() -> None:
    model = machine.init(SMALL, jax.random.key(4))
    memory, _, mask = example(8)
    # Discretised: every cell is one-hot, so any other target has probability exactly 0.
    target = (memory + 1) % SIZE
    outcome = machine.run(model, memory, target, jnp.array(STEPS), timesteps=STEPS, discrete=True)
    assert float(jnp.min(outcome.target_probs)) == 0.0  # log would be -inf unclamped
    for kind in ("expected", "footnote"):
        value = loss.negative_log_likelihood(outcome, mask, kind=kind, eps=1e-6)
        assert bool(jnp.isfinite(value)) and float(value) > 0


def test_read_out_takes_the_first_step_with_finish_at_least_half() -> None:
    finish = jnp.array([0.1, 0.7, 0.9, 0.2])
    outcome = machine.Outcome(jnp.zeros((4, 3)), None, jnp.zeros(4), finish, jnp.zeros(4), None)
    assert int(loss.readout_step(outcome, jnp.array(4))) == 1
    assert int(loss.readout_step(outcome, jnp.array(1))) == 0  # horizon 1: the only step
    late = outcome._replace(finish=jnp.zeros(4))
    assert int(loss.readout_step(late, jnp.array(3))) == 2  # none: the horizon's last step


def _zero_head(head: eqx.nn.Linear) -> eqx.nn.Linear:
    """A head whose every logit is 0: uniform selectors and f_t = 1/2."""
    return eqx.tree_at(lambda h: (h.weight, h.bias), head, (head.weight * 0, head.bias * 0))


@pytest.mark.parametrize("halting", [True, False])
def test_the_read_out_values_are_the_memory_at_the_read_out_step(halting: bool) -> None:
    model = machine.init(replace(SMALL, learn_halting=halting), jax.random.key(5))
    if halting:  # f_t = 0.5 exactly: the read-out is after the first step
        model = eqx.tree_at(lambda m: m.controller.head, model, _zero_head(model.controller.head))
    memory, target, _ = example(9)
    horizon = STEPS - 2
    outcome = machine.run(model, memory, target, jnp.array(horizon), timesteps=STEPS, record=True)
    step = int(loss.readout_step(outcome, jnp.array(horizon)))
    assert step == (0 if halting else horizon - 1)
    after = np.asarray(outcome.record.memory[step + 1]).argmax(axis=-1)  # memory after it
    np.testing.assert_array_equal(outcome.readout_values, after)


@pytest.mark.parametrize(
    ("memory", "message"),
    [
        ([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "integers, got float32"),
        ([0, 1, -1, 3, 4, 5, 6], r"in \[0, M\) = \[0, 7\), got -1"),
        ([0, 1, 2, 3, 4, 5, 7], r"in \[0, M\) = \[0, 7\), got 7"),
    ],
)
def test_memory_values_that_are_not_cells_are_refused(memory: list, message: str) -> None:
    """Checked before anything runs, on concrete arrays only (a jitted caller pays nothing)."""
    model = machine.init(SMALL, jax.random.key(0))
    cells, target = jnp.asarray(memory), jnp.zeros(SIZE, jnp.int32)
    with pytest.raises(errors.TaskError, match=f"memory values must be {message}"):
        machine.run(model, cells, target, jnp.asarray(STEPS), timesteps=STEPS)
    with pytest.raises(errors.TaskError, match=f"memory values must be {message}"):
        machine.run_batch(model, cells[None], target[None], jnp.asarray([STEPS]), timesteps=STEPS)


@pytest.mark.parametrize("controller", ["mlp", "lstm"])
def test_input_scale_zero_starts_every_zero_pattern_on_the_same_circuit(controller: str) -> None:
    def logits_per_pattern(scale: float) -> Array:
        config = MachineConfig(registers=2, width=8, controller=controller, input_scale=scale)
        model = machine.init(config, jax.random.key(0))
        patterns = jnp.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
        state = model.controller.initial_state()
        return jnp.stack([model.controller(pattern, state)[0] for pattern in patterns])

    assert float(jnp.ptp(logits_per_pattern(1.0), axis=0).max()) > 1e-2
    assert float(jnp.ptp(logits_per_pattern(0.0), axis=0).max()) == 0.0
    with pytest.raises(errors.ConfigError, match="input_scale must be >= 0"):
        MachineConfig(input_scale=-1.0)
