"""The differentiable machine: registers, memory and modules driven by a controller (Eq. 1-3).

One timestep, exactly as in the paper (docs/spec.md §5):

1. the controller reads P(r_i = 0) for every register, and nothing else;
2. module i takes each of its arguments as a softmax-weighted average over
   [r_1..r_R, o_1..o_{i-1}] (Eq. 1) and computes its output (Eq. 2, or READ/WRITE);
3. every register is replaced, simultaneously, by a softmax-weighted average over
   [r_1..r_R, o_1..o_Q] (Eq. 3);
4. the controller's f_t = sigmoid(x_t) is its willingness to finish; the halting
   probability of step t is p_t = f_t * prod_{s<t} (1 - f_s), and the last step takes the rest.

The same code runs the discretised machine (`discrete=True`): every softmax becomes a one-hot
at its argmax and f_t becomes [f_t >= 0.5]. The whole run is one `lax.scan`; one example is
written here and batches come from `vmap` (`run_batch`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax import Array

from nram import controller as controllers
from nram import modules as registry
from nram.errors import ConfigError, TaskError
from nram.modules import PAPER_MODULES, Module
from nram.numerics import clip_gradient, entropy, materialise, round_straight_through, tidy


@dataclass(frozen=True)
class MachineConfig:
    """What a trained model is: everything here is fixed for the model's lifetime."""

    registers: int = 4
    modules: tuple[str, ...] = PAPER_MODULES
    repeat: int = 1  # the module sequence runs this many times per step
    controller: str = "mlp"  # "mlp" or "lstm"
    width: int = 64  # width of every hidden layer
    register_keep_bias: float = 0.0  # initial logit bias towards r_i <- r_i (0: the paper's init)
    # Initial weights on the controller's inputs scaled by this (1: the paper's init). At 0 every
    # zero-pattern of the registers starts with the same circuit: the program starts as a loop.
    input_scale: float = 1.0
    learn_halting: bool = True  # False: f_t = 0, every example runs to its horizon

    def __post_init__(self) -> None:
        if self.registers < 1:
            raise ConfigError(f"registers must be >= 1, got {self.registers}")
        if self.controller not in controllers.CONTROLLERS:
            valid = ", ".join(controllers.CONTROLLERS)
            raise ConfigError(f"unknown controller {self.controller!r}; valid: {valid}")
        if self.width < 1:
            raise ConfigError(f"width must be >= 1, got {self.width}")
        if not self.input_scale >= 0.0:  # NaN fails too
            raise ConfigError(f"input_scale must be >= 0, got {self.input_scale}")
        if not self.modules:
            raise ConfigError("machine.modules must name at least one module, e.g. read,inc,write")
        registry.sequence(self.modules, self.repeat)  # unknown names fail here, clearly


@dataclass(frozen=True)
class Numerics:
    """The paper's in-graph safeguards; each can be switched off."""

    activation_clip: float | None = 10.0  # C1: clip d(loss)/d(activation) to [-C1, C1]
    renormalise: bool = True  # rescale distributions to sum 1 (identity backward)
    entropy_eps: float = 1e-12


@dataclass(frozen=True)
class Layout:
    """Where each selector's logits sit in the controller's flat output vector."""

    registers: int
    arities: tuple[int, ...]
    argument_offsets: tuple[tuple[int, ...], ...] = field(repr=False)
    register_offset: int
    halt_offset: int

    @staticmethod
    def of(registers: int, modules: tuple[Module, ...]) -> Layout:
        offsets: list[tuple[int, ...]] = []
        position = 0
        for index, module in enumerate(modules):
            choices = registers + index  # registers, then the outputs of earlier modules
            offsets.append(tuple(position + k * choices for k in range(module.arity)))
            position += module.arity * choices
        register_offset = position
        position += registers * (registers + len(modules))
        return Layout(
            registers, tuple(m.arity for m in modules), tuple(offsets), register_offset, position
        )

    @property
    def size(self) -> int:
        return self.halt_offset + 1

    @property
    def values(self) -> int:
        """Number of values a register can be set from: registers and every module output."""
        return self.registers + len(self.arities)

    def argument_logits(self, logits: Array, module_index: int, argument: int) -> Array:
        start = self.argument_offsets[module_index][argument]
        return logits[start : start + self.registers + module_index]

    @property
    def argument_positions(self) -> list[tuple[int, int]]:
        """(module index, argument) of every argument selector, in logit order."""
        return [(index, k) for index, arity in enumerate(self.arities) for k in range(arity)]

    @property
    def argument_rows(self) -> tuple[tuple[int, ...], ...]:
        """Each module's rows of the padded argument matrix, one per argument."""
        rows = iter(range(sum(self.arities)))
        return tuple(tuple(next(rows) for _ in range(arity)) for arity in self.arities)

    def padded_argument_logits(self, logits: Array) -> Array:
        """Every argument selector's logits as one (selectors, R+Q) matrix, -inf where a
        module cannot look (its own and later outputs), so that one softmax serves all."""
        positions = self.argument_positions
        columns = np.arange(self.values)
        starts = np.array([self.argument_offsets[i][k] for i, k in positions]).reshape(-1, 1)
        allowed = columns < np.array([self.registers + i for i, _ in positions]).reshape(-1, 1)
        gathered = logits[np.where(allowed, starts + columns, 0)]
        return jnp.where(allowed, gathered, -jnp.inf)

    def register_logits(self, logits: Array) -> Array:
        end = self.register_offset + self.registers * self.values
        return logits[self.register_offset : end].reshape(self.registers, self.values)


class NRAM(eqx.Module):
    """A controller and the static description of the machine it drives."""

    controller: controllers.Controller
    config: MachineConfig = eqx.field(static=True)

    @property
    def modules(self) -> tuple[Module, ...]:
        return registry.sequence(self.config.modules, self.config.repeat)

    @property
    def layout(self) -> Layout:
        return Layout.of(self.config.registers, self.modules)


def init(config: MachineConfig, key: Array) -> NRAM:
    layout = Layout.of(config.registers, registry.sequence(config.modules, config.repeat))
    controller = controllers.make(
        config.controller, config.registers, config.width, layout.size, key=key
    )
    if config.register_keep_bias:
        keep = (
            jnp.zeros(layout.size)
            .at[layout.register_offset + jnp.arange(config.registers) * (layout.values + 1)]
            .set(config.register_keep_bias)
        )
        controller = eqx.tree_at(lambda c: c.head.bias, controller, controller.head.bias + keep)
    controller = controllers.scale_inputs(controller, config.input_scale)  # x 1.0 is exact
    return NRAM(controller, config)


class Record(NamedTuple):
    """The full state at the start of each step, for traces and program extraction."""

    memory: Array  # (T, M, M)
    registers: Array  # (T, R, M)
    arguments: Array  # (T, Q, 2, M): each module's arguments (zeros where it takes fewer)
    outputs: Array  # (T, Q, M)
    argument_selectors: Array  # (T, Q, 2, R+Q): weights over [registers, outputs], zero-padded
    register_selectors: Array  # (T, R, R+Q)


class Outcome(NamedTuple):
    """What one run yields, per step t (after step t's modules and register update)."""

    target_probs: Array  # (T, M): Mem^(t)[i, target_i], for the loss
    readout_values: Array  # (M,): argmax of every cell at the read-out step, for the error
    halting: Array  # (T,): p_t, zero beyond the example's horizon
    finish: Array  # (T,): f_t
    entropy: Array  # (T,): summed entropy of the step's selectors, zero beyond the horizon
    record: Record | None


# Distributions are mixed at full float32 precision. On a GPU a float32 matmul otherwise runs
# in TF32 (a 10-bit mantissa), and Eq. 2 and sums-to-one then hold only to about 1e-3. On a CPU
# this changes nothing.
mix = partial(jnp.matmul, precision=jax.lax.Precision.HIGHEST)


Tidy = Callable[[Array], Array]  # renormalise forward, clip the gradient backward


@jax.custom_vjp
def read(address: Array, memory: Array) -> Array:
    """READ(p) = Mem^T p: the expected content of the cell p points to."""
    return mix(address, memory)


def _read_forward(address: Array, memory: Array) -> tuple[Array, tuple[Array, Array]]:
    return mix(address, memory), (address, memory)


def _read_backward(residuals: tuple[Array, Array], gradient: Array) -> tuple[Array, Array]:
    address, memory = residuals
    gradient = materialise(gradient)  # it is broadcast over M rows next
    return mix(memory, gradient), address[:, None] * gradient[None, :]


read.defvjp(_read_forward, _read_backward)


def write(address: Array, value: Array, memory: Array) -> Array:
    """WRITE(p, a): row i kept with weight 1 - p_i, replaced by a with weight p_i."""
    return (1 - address)[:, None] * memory + address[:, None] * value[None, :]


def module_output(
    module: Module, arguments: list[Array], memory: Array, safe: Tidy, zero: Array
) -> tuple[Array, Array]:
    """One module's output (Eq. 2, or READ/WRITE) and the memory after it."""
    if module.kind == "read":
        return safe(read(arguments[0], memory)), memory
    if module.kind == "write":
        return zero, safe(write(*arguments, memory))
    if module.arity == 0:  # a constant: exact, and no gradient to clip
        return module.fuzzy(zero, zero), memory
    second = arguments[1] if len(arguments) > 1 else arguments[0]
    return safe(module.fuzzy(arguments[0], second)), memory


def module_chain(
    modules: tuple[Module, ...],
    rows: tuple[tuple[int, ...], ...],
    safe: Tidy,
    custom_backward: bool = True,
) -> Callable[[Array, Array, Array], tuple[Array, Array, list[list[Array]]]]:
    """Eq. 1 and 2 for every module of a timestep in turn, as a function
    (selectors, registers, memory) -> (values, memory, arguments): values = [registers;
    outputs], and rows[i] are module i's rows of `selectors`, which must give weight 0 to
    the outputs of the module itself and later ones (`Layout.padded_argument_logits`).

    Its backward pass is written by hand (`custom_backward=False` leaves it to autodiff, for
    the tests). Autodiff keeps one version of the values buffer per module, to differentiate
    each argument's mixture with respect to its selector, and runs one product per argument
    for it. But the versions differ only in rows where the selector's weight is exactly 0
    (the softmax of -inf at outputs not yet computed), and there the selector's gradient
    never reaches the logits: the softmax's backward multiplies it by that 0. So the final
    buffer serves every argument, in one product per timestep: a training step 20-30% faster
    with the same gradients to round-off.
    """

    def apply(selectors, registers, memory, keep_pullbacks: bool):
        size = memory.shape[-1]
        zero = jax.nn.one_hot(0, size, dtype=memory.dtype)
        # Registers, then module outputs as they are computed: a module's selectors are zero
        # on the rows not yet filled, so every argument is one product with the whole buffer.
        values = jnp.concatenate([registers, jnp.zeros((len(modules), size), memory.dtype)])
        arguments, pullbacks = [], []
        for index, module in enumerate(modules):
            own = [mix(selectors[row], values) for row in rows[index]]
            compute = partial(module_output, module, safe=safe, zero=zero)
            if keep_pullbacks:
                (output, memory), pullback = jax.vjp(compute, own, memory)
                pullbacks.append(pullback)
            else:
                output, memory = compute(own, memory)
            values = values.at[registers.shape[0] + index].set(output)
            arguments.append(own)
        return (values, memory, arguments), pullbacks

    def chain(selectors, registers, memory):
        return apply(selectors, registers, memory, keep_pullbacks=False)[0]

    if not custom_backward:
        return chain

    def forward(selectors, registers, memory):
        outputs, pullbacks = apply(selectors, registers, memory, keep_pullbacks=True)
        return outputs, (selectors, outputs[0], pullbacks)

    def backward(residuals, cotangents):
        selectors, values, pullbacks = residuals
        values_gradient, memory_gradient, arguments_gradient = cotangents
        register_count = values.shape[0] - len(modules)
        row_gradients: dict[int, Array] = {}
        for index in reversed(range(len(modules))):  # later modules first, as autodiff would
            output_gradient = values_gradient[register_count + index]
            own, memory_gradient = pullbacks[index]((output_gradient, memory_gradient))
            recorded = arguments_gradient[index]  # the arguments are an output too (traces)
            for row, gradient, extra in zip(rows[index], own, recorded, strict=True):
                gradient = gradient + extra
                row_gradients[row] = gradient
                # The mixture's gradient with respect to the values: an outer product.
                values_gradient = values_gradient + selectors[row][:, None] * gradient[None, :]
        # ... and with respect to every selector row at once, from the final buffer.
        every_row = jnp.stack([row_gradients[row] for row in range(selectors.shape[0])])
        selectors_gradient = mix(every_row, values.T)
        return selectors_gradient, values_gradient[:register_count], memory_gradient

    chain_with_backward = jax.custom_vjp(chain)
    chain_with_backward.defvjp(forward, backward)
    return chain_with_backward


def may_read_out(finish: Array, time: Array, horizon: Array) -> Array:
    """Whether the memory after step `time` may be read out (docs/spec.md §10): f_t >= 0.5
    inside the horizon, or the horizon's last step. The read-out is the first such step."""
    return ((finish >= 0.5) & (time < horizon)) | (time == horizon - 1)


def _select(logits: Array, discrete: bool) -> Array:
    """Softmax over the last axis; discretised, a one-hot at the argmax."""
    if discrete:
        return jax.nn.one_hot(jnp.argmax(logits, axis=-1), logits.shape[-1], dtype=logits.dtype)
    return jax.nn.softmax(logits, axis=-1)


def check_cells(name: str, values: Array | np.ndarray, size: int) -> None:
    """Memory cells hold integers in [0, M) (docs/spec.md §2). Checked on concrete arrays only:
    traced inside jit (training, evaluation), they cost nothing here."""
    if isinstance(values, jax.core.Tracer):
        return
    values = np.asarray(values)
    if not np.issubdtype(values.dtype, np.integer):
        raise TaskError(f"{name} values must be integers, got {values.dtype}")
    outside = values[(values < 0) | (values >= size)]
    if outside.size:
        raise TaskError(f"{name} values must be in [0, M) = [0, {size}), got {outside[0]}")


def run(
    model: NRAM,
    memory: Array,
    target: Array,
    horizon: Array,
    *,
    timesteps: int,
    discrete: bool = False,
    numerics: Numerics = Numerics(),
    round_inputs: Array | bool = False,
    input_noise: Array | None = None,
    record: bool = False,
    dtype: jnp.dtype = jnp.float32,
) -> Outcome:
    """Run one example for `timesteps` steps; its own horizon (<= timesteps) ends the halting.

    memory, target: int arrays (M,); horizon: int scalar, the example's T. `round_inputs`
    (ours, `numerics.harden_inputs`): the controller sees round(P(r_i = 0)), as the
    discretised one does, and the gradient passes straight through the rounding; an array,
    so that attempts trained side by side can differ in it. `input_noise` (ours,
    `numerics.input_noise`): (timesteps, R), added to the controller's unrounded inputs.
    """
    size = memory.shape[-1]
    check_cells("memory", memory, size)
    check_cells("target", target, size)
    layout = model.layout
    modules = model.modules
    register_count = model.config.registers

    # Renormalise (forward) and clip the gradient (backward) of every distribution computed.
    safe = partial(tidy, renormalise=numerics.renormalise, clip=numerics.activation_clip)

    run_modules = module_chain(modules, layout.argument_rows, safe)
    zero = jax.nn.one_hot(0, size, dtype=dtype)
    target_cells = jax.nn.one_hot(target, size, dtype=dtype)

    def step(carry, time):
        registers, memory, state, remaining, readout_memory, read_out = carry
        zero_probs = registers[:, 0]
        soft = zero_probs if input_noise is None else zero_probs + input_noise[time]
        zero_probs = jnp.where(round_inputs, round_straight_through(zero_probs), soft)
        logits, state = model.controller(zero_probs, state)
        if numerics.activation_clip is not None:  # the controller's outputs are activations too
            logits = clip_gradient(logits, numerics.activation_clip)
        start_memory, start_registers = memory, registers
        # All argument selectors at once (one softmax, one entropy): far fewer small ops.
        selectors = _select(layout.padded_argument_logits(logits), discrete)
        step_entropy = jnp.sum(entropy(selectors, numerics.entropy_eps))
        values, memory, arguments = run_modules(selectors, registers, memory)
        register_selectors = _select(layout.register_logits(logits), discrete)
        step_entropy += jnp.sum(entropy(register_selectors, numerics.entropy_eps))
        registers = safe(mix(register_selectors, values))

        finish = jax.nn.sigmoid(logits[layout.halt_offset]) * model.config.learn_halting
        if discrete:
            finish = (finish >= 0.5).astype(dtype)
        inside = time < horizon
        halting = jnp.where(
            inside, jnp.where(time == horizon - 1, remaining, finish * remaining), 0
        )
        remaining = remaining - halting
        # The read-out memory is carried, so that the argmax over every cell runs once per
        # run, not once per step.
        now = ~read_out & may_read_out(finish, time, horizon)
        readout_memory = jnp.where(now, jax.lax.stop_gradient(memory), readout_memory)
        read_out = read_out | now

        out = (
            # A masked sum, not a gather: a gather's gradient is a slow scatter-add on CPU.
            jnp.sum(memory * target_cells, axis=1),
            halting,
            finish,
            jnp.where(inside, step_entropy, 0.0),
        )
        if record:
            modules_index, arguments_index = np.array(layout.argument_positions).reshape(-1, 2).T
            padded = jnp.zeros((len(modules), 2, layout.values), dtype)
            padded = padded.at[modules_index, arguments_index].set(selectors)
            out = out + (
                Record(
                    start_memory,
                    start_registers,
                    jnp.stack(
                        [jnp.stack(a + [jnp.zeros(size, dtype)] * (2 - len(a))) for a in arguments]
                    ),
                    values[register_count:],
                    padded,
                    register_selectors,
                ),
            )
        return (registers, memory, state, remaining, readout_memory, read_out), out

    initial_memory = jax.nn.one_hot(memory, size, dtype=dtype)
    initial = (
        jnp.broadcast_to(zero, (register_count, size)),  # registers start at 0 (docs/spec.md §2)
        initial_memory,
        model.controller.initial_state(),
        jnp.ones((), dtype),
        initial_memory,  # the read-out memory, replaced at the read-out step
        jnp.zeros((), bool),  # read out already
    )
    final, per_step = jax.lax.scan(step, initial, jnp.arange(timesteps))
    readout_values = jnp.argmax(final[4], axis=1)
    target_probs, halting, finish, step_entropy = per_step[:4]
    return Outcome(
        target_probs, readout_values, halting, finish, step_entropy, per_step[4] if record else None
    )


def run_batch(
    model: NRAM,
    memory: Array,
    target: Array,
    horizon: Array,
    input_noise: Array | None = None,
    **options,
) -> Outcome:
    """`run` over a batch: memory, target (B, M), horizon (B,), input_noise None or
    (B, timesteps, R); every Outcome field gains B."""
    check_cells("memory", memory, memory.shape[-1])  # `run` sees them traced, by vmap
    check_cells("target", target, memory.shape[-1])
    noise_axis = None if input_noise is None else 0
    one = lambda model, memory, target, horizon, noise: run(
        model, memory, target, horizon, input_noise=noise, **options
    )
    return jax.vmap(one, in_axes=(None, 0, 0, 0, noise_axis))(
        model, memory, target, horizon, input_noise
    )


def parameter_count(model: NRAM) -> int:
    return sum(x.size for x in jax.tree_util.tree_leaves(eqx.filter(model, eqx.is_array)))
