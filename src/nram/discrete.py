"""The discretised NRAM on plain integers: O(1) per module, O(1) per memory access.

Discretising (docs/spec.md §11) replaces every selector's softmax by a one-hot at its argmax and the
halting f_t by [f_t >= 0.5]. Registers and memory cells then hold integers, so the machine
can run on Python ints: a register is an int, the memory is a list of ints, each module is
one call of its integer function and READ/WRITE are one list access. Nothing of size M x M
is ever built, so a model trained at M = 32 runs at M = 200,000.

What the controller decides at one step is a `Circuit`: for every module, which value each
argument takes; for every register, which value it is set to; and whether to stop.

* An MLP controller sees only which registers are zero, so it has at most 2^R circuits. We
  compile it once into a `CircuitTable` (the paper's suggestion, §3.4) and run without the
  network at all.
* An LSTM controller also carries a state, so `RecurrentPolicy` runs the network (numpy) on
  the 0/1 zero-pattern each step and discretises what it emits.

Halting and read-out are the fuzzy machine's discretised mode (`loss.readout_step`): the
memory after the first step with f_t >= 0.5 inside the horizon, else after the last step.
`tests/test_discrete.py` checks that this path agrees with `machine.run(discrete=True)`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from nram import tasks
from nram.config import TrainConfig
from nram.controller import LSTMController, MLPController
from nram.errors import TaskError
from nram.evaluate import DifficultyResult, memory_size_for
from nram.machine import NRAM, Layout, MachineConfig, check_cells, init
from nram.modules import Module

# --- circuits ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Circuit:
    """The wiring of one discretised step, as the machine's selectors number the values:
    0..R-1 are the registers r_1..r_R, and R + i is the output of module i (sequence order).
    """

    arguments: tuple[tuple[int, ...], ...]  # per module, per argument: the value it takes
    sources: tuple[int, ...]  # per register: the value it is set to
    halt: bool  # f_t >= 0.5
    finish: float = field(default=math.nan, compare=False)  # f_t itself, for display only


def circuit_from_logits(logits: np.ndarray, layout: Layout, finish: float) -> Circuit:
    """Argmax of every selector of one controller output (ties: the first, as jnp.argmax)."""
    arguments = tuple(
        tuple(int(np.argmax(layout.argument_logits(logits, i, k))) for k in range(arity))
        for i, arity in enumerate(layout.arities)
    )
    sources = tuple(int(s) for s in np.argmax(layout.register_logits(logits), axis=1))
    return Circuit(arguments, sources, bool(finish >= 0.5), float(finish))


def zero_pattern(registers: Sequence[int]) -> int:
    """The controller's whole view of the registers, as a number: bit i set iff r_{i+1} = 0."""
    pattern = 0
    for bit, value in enumerate(registers):
        if value == 0:
            pattern |= 1 << bit
    return pattern


def pattern_inputs(registers: int) -> np.ndarray:
    """Every zero-pattern as the controller input P(r_i = 0): float32 (2^R, R)."""
    patterns = np.arange(2**registers)[:, None]
    return ((patterns >> np.arange(registers)) & 1).astype(np.float32)


def live_modules(circuit: Circuit, modules: Sequence[Module]) -> list[int]:
    """Indices of the modules whose outputs matter: those a register is set from or a WRITE
    takes, transitively; every WRITE counts (it changes the memory). The rest are dead code."""
    registers = len(circuit.sources)
    pending = [s - registers for s in circuit.sources if s >= registers]
    pending += [i for i, module in enumerate(modules) if module.kind == "write"]
    live: set[int] = set()
    while pending:
        index = pending.pop()
        if index not in live:
            live.add(index)
            pending += [a - registers for a in circuit.arguments[index] if a >= registers]
    return sorted(live)


# --- policies: what decides the circuit of each step --------------------------------------


class Policy(Protocol):
    def initial_state(self) -> object: ...

    def __call__(self, registers: Sequence[int], state: object) -> tuple[Circuit, object]: ...


@dataclass(frozen=True)
class CircuitTable:
    """A stateless controller, compiled: circuits[p] is the circuit for zero-pattern p."""

    circuits: tuple[Circuit, ...]

    def initial_state(self) -> None:
        return None

    def __call__(self, registers: Sequence[int], state: None) -> tuple[Circuit, None]:
        return self.circuits[zero_pattern(registers)], state


def compile_mlp(model: NRAM) -> CircuitTable:
    """Run the MLP once on each of the 2^R zero-patterns and keep the argmax circuits."""
    registers = model.config.registers
    inputs = jnp.asarray(pattern_inputs(registers))
    logits = jax.vmap(lambda x: model.controller(x, ())[0])(inputs)
    layout = model.layout
    finish = np.asarray(jax.nn.sigmoid(logits[:, layout.halt_offset])) * model.config.learn_halting
    logits = np.asarray(logits)
    return CircuitTable(
        tuple(circuit_from_logits(logits[p], layout, finish[p]) for p in range(len(logits)))
    )


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


class RecurrentPolicy:
    """An LSTM controller run in numpy (float32, as the jax model) on the 0/1 zero-pattern."""

    def __init__(self, model: NRAM):
        controller = model.controller
        assert isinstance(controller, LSTMController)
        array = lambda x: np.asarray(x, dtype=np.float32)
        self.encoder = (array(controller.encoder.weight), array(controller.encoder.bias))
        cell = controller.cell
        bias = array(cell.bias) if cell.use_bias else np.zeros(4 * cell.hidden_size, np.float32)
        self.cell = (array(cell.weight_ih), array(cell.weight_hh), bias)
        self.head = (array(controller.head.weight), array(controller.head.bias))
        self.width = cell.hidden_size
        self.layout = model.layout
        self.learn_halting = model.config.learn_halting

    def initial_state(self) -> tuple[np.ndarray, np.ndarray]:
        return np.zeros(self.width, np.float32), np.zeros(self.width, np.float32)

    def logits(
        self, zero_probs: np.ndarray, state: tuple[np.ndarray, np.ndarray]
    ) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
        """The controller's output, the same equations as `controller.LSTMController`."""
        hidden, cell = state
        encoded = np.maximum(self.encoder[0] @ zero_probs + self.encoder[1], 0)
        weight_ih, weight_hh, bias = self.cell
        gates = weight_ih @ encoded + weight_hh @ hidden + bias
        input_gate, forget_gate, candidate, output_gate = np.split(gates, 4)
        cell = _sigmoid(forget_gate) * cell + _sigmoid(input_gate) * np.tanh(candidate)
        hidden = _sigmoid(output_gate) * np.tanh(cell)
        return self.head[0] @ hidden + self.head[1], (hidden, cell)

    def __call__(self, registers: Sequence[int], state) -> tuple[Circuit, object]:
        zero_probs = np.array([value == 0 for value in registers], dtype=np.float32)
        logits, state = self.logits(zero_probs, state)
        finish = _sigmoid(logits[self.layout.halt_offset]) * self.learn_halting
        return circuit_from_logits(logits, self.layout, finish), state


def policy_of(model: NRAM) -> Policy:
    if isinstance(model.controller, MLPController):
        return compile_mlp(model)
    if isinstance(model.controller, LSTMController):
        return RecurrentPolicy(model)
    raise ValueError(f"no discretised form for a {type(model.controller).__name__}")


# --- execution -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One executed step: the state at its start, the circuit, and every module's values."""

    memory: tuple[int, ...] | None  # None unless memories were recorded
    registers: tuple[int, ...]
    circuit: Circuit
    arguments: tuple[tuple[int, ...], ...]  # the integers each module took
    outputs: tuple[int, ...]  # each module's output


@dataclass
class Execution:
    memory: list[int]  # the memory at the read-out step
    steps: int  # steps executed; the last one is the read-out step
    halted: bool  # stopped by f_t >= 0.5 (else it ran to the horizon)
    registers: tuple[int, ...]  # after the last step
    trace: list[Step] | None = None


# An operation of a compiled circuit: (kind, function, first, second, output slot).
_PURE, _READ, _WRITE = 0, 1, 2
_KINDS = {"pure": _PURE, "read": _READ, "write": _WRITE}


class IntegerMachine:
    """The discretised machine on ints. `run` is O(steps x live modules), whatever M is."""

    def __init__(self, modules: Sequence[Module], registers: int, policy: Policy):
        self.modules = tuple(modules)
        self.registers = registers
        self.policy = policy
        self._zero_slot = registers + len(self.modules)  # a value that is always 0
        self._compiled: dict[tuple[Circuit, bool], list[tuple]] = {}

    @staticmethod
    def of(model: NRAM) -> IntegerMachine:
        return IntegerMachine(model.modules, model.config.registers, policy_of(model))

    def _operations(self, circuit: Circuit, every_module: bool) -> list[tuple]:
        """The circuit as a list of operations; dead modules are dropped unless every_module
        (a trace shows them all). A constant takes (0, 0) and a one-argument module (a, 0),
        as the fuzzy machine's tabulated Eq. 2 does."""
        key = (circuit, every_module)
        if key not in self._compiled:
            chosen = (
                range(len(self.modules)) if every_module else live_modules(circuit, self.modules)
            )
            operations = []
            for index in chosen:
                module = self.modules[index]
                slots = list(circuit.arguments[index]) + [self._zero_slot] * 2
                operations.append(
                    (
                        _KINDS[module.kind],
                        module.function,
                        slots[0],
                        slots[1],
                        self.registers + index,
                    )
                )
            self._compiled[key] = operations
        return self._compiled[key]

    def run(
        self,
        memory: Sequence[int],
        horizon: int,
        *,
        record: bool = False,
        record_memory: bool = False,
    ) -> Execution:
        """Run from registers 0 on `memory` (not modified) for at most `horizon` steps."""
        if horizon < 1:
            raise TaskError(f"horizon must be >= 1, got {horizon}")
        size = len(memory)
        check_cells("memory", np.asarray(memory), size)
        memory = [int(value) for value in memory]
        count = self.registers
        values = [0] * (self._zero_slot + 1)
        registers: list[int] = [0] * count
        state = self.policy.initial_state()
        trace: list[Step] | None = [] if record else None
        halted = False
        # A table's circuits are compiled once, up front; a recurrent policy's as they come.
        table = self.policy.circuits if isinstance(self.policy, CircuitTable) else None
        compiled = [self._operations(c, record) for c in table] if table else None
        steps = 0
        while steps < horizon:
            steps += 1
            if table:
                pattern = zero_pattern(registers)
                circuit, operations = table[pattern], compiled[pattern]
            else:
                circuit, state = self.policy(registers, state)
                operations = self._operations(circuit, record)
            if record:
                start_memory = tuple(memory) if record_memory else None
            values[:count] = registers
            for kind, function, first, second, out in operations:
                if kind == _PURE:
                    values[out] = function(values[first], values[second], size) % size
                elif kind == _READ:
                    values[out] = memory[values[first]]
                else:  # WRITE stores, and returns 0 (docs/spec.md §3)
                    memory[values[first]] = values[second]
                    values[out] = 0
            if record:
                trace.append(self._step(start_memory, registers, circuit, values))
            registers = [values[source] for source in circuit.sources]
            if circuit.halt:
                halted = True
                break
        return Execution(memory, steps, halted, tuple(registers), trace)

    def _step(self, memory, registers, circuit: Circuit, values: list[int]) -> Step:
        arguments = tuple(tuple(values[slot] for slot in choice) for choice in circuit.arguments)
        outputs = tuple(values[self.registers : self._zero_slot])
        return Step(memory, tuple(registers), circuit, arguments, outputs)


def run(model: NRAM, memory: Sequence[int], horizon: int, *, record: bool = False) -> Execution:
    """One example through a model's discretised machine (compiles the model each call; build
    an `IntegerMachine` once to run many)."""
    return IntegerMachine.of(model).run(memory, horizon, record=record, record_memory=record)


# --- evaluation ----------------------------------------------------------------------------


def measure_on_integers(
    model: NRAM,
    config: TrainConfig,
    difficulties: list[int],
    *,
    examples: int,
    rng: np.random.Generator,
    memory_size: int | None = None,
    timesteps: int | None = None,
) -> list[DifficultyResult]:
    """`evaluate.measure(..., discrete=True)` on the integer machine: any M, no compilation.

    M(n) and T(n) are scaled as there (`memory_size_for`, `config.horizon`) unless given."""
    task = tasks.get(config.task)
    machine = IntegerMachine.of(model)
    results = []
    for difficulty in difficulties:
        size = memory_size or memory_size_for(config, difficulty)
        horizon = timesteps or config.horizon(difficulty)
        batch = task.sample_batch(rng, np.full(examples, difficulty), size)
        wrong = np.empty(examples, dtype=np.int64)
        for index in range(examples):
            final = np.asarray(machine.run(batch.memory[index].tolist(), horizon).memory)
            mask = batch.mask[index]
            wrong[index] = np.sum(final[mask] != batch.target[index][mask])
        results.append(
            DifficultyResult.of(difficulty, size, horizon, True, wrong, batch.mask.sum(axis=1))
        )
    return results


# --- a table of circuits as a network ------------------------------------------------------


def mlp_model(table: CircuitTable, config: MachineConfig, margin: float = 30.0) -> NRAM:
    """An MLP controller whose output, for each zero-pattern, is its circuit's one-hot logits
    times `margin` (and +-margin for halting): a hand-written program the fuzzy machine runs.

    Hidden unit p of the first layer fires (value 1) exactly on zero-pattern p: its weight is
    +1 on the registers that pattern wants zero and -1 on the others, its bias 1 - (number of
    zeros). The second layer copies it; the head maps unit p to circuit p's logits.
    """
    registers = config.registers
    patterns = 2**registers
    if config.controller != "mlp" or config.width < patterns:
        raise ValueError(f"needs an mlp controller of width >= 2^R = {patterns}")
    if len(table.circuits) != patterns:
        raise ValueError(f"the table has {len(table.circuits)} circuits, expected {patterns}")
    layout = init(config, jax.random.key(0)).layout
    width = config.width
    bits = pattern_inputs(registers)  # (2^R, R)
    first = np.zeros((width, registers), np.float32)
    first[:patterns] = 2 * bits - 1
    first_bias = np.zeros(width, np.float32)
    first_bias[:patterns] = 1 - bits.sum(axis=1)
    second = np.zeros((width, width), np.float32)
    second[np.arange(patterns), np.arange(patterns)] = 1
    head = np.zeros((layout.size, width), np.float32)
    for pattern, circuit in enumerate(table.circuits):
        for index, choices in enumerate(circuit.arguments):
            for argument, choice in enumerate(choices):
                head[layout.argument_offsets[index][argument] + choice, pattern] = margin
        for register, source in enumerate(circuit.sources):
            head[layout.register_offset + register * layout.values + source, pattern] = margin
        head[layout.halt_offset, pattern] = margin if circuit.halt else -margin
    controller = MLPController(registers, width, layout.size, key=jax.random.key(0))
    controller = eqx.tree_at(
        lambda c: (
            c.hidden[0].weight,
            c.hidden[0].bias,
            c.hidden[1].weight,
            c.hidden[1].bias,
            c.head.weight,
            c.head.bias,
        ),
        controller,
        tuple(
            jnp.asarray(x)
            for x in (
                first,
                first_bias,
                second,
                np.zeros(width, np.float32),
                head,
                np.zeros(layout.size, np.float32),
            )
        ),
    )
    return NRAM(controller, config)
