"""The integer machine: the paper's Copy execution (Table 2) from a hand-written program, the
same program as a network run by the fuzzy machine, and agreement with
`machine.run(discrete=True)` on random models of both controllers."""

from __future__ import annotations

import json
import time
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from nram import discrete, errors, loss, machine, program, tasks
from nram.machine import MachineConfig
from nram.modules import PAPER_MODULES, sequence

TRACES = Path(__file__).resolve().parent / "data" / "paper_traces.json"

# The paper's Copy circuit (§4.6 and footnote 8), reconstructed from its Table 2. From step 2
# on: r3 trails r4 by one step, r4 <- MIN(r3 + 1, r2) advances every other step and stops at
# r2 = p - 1 = n, and each step copies cell r4 to cell r4 + n. At the first step (every
# register zero) r2 <- mem[0] - 1 = n and r4 <- 1, and WRITE(0, mem[0]) leaves the memory as is.
PAPER_COPY = """
when r1 = 0, r2 = 0, r3 = 0, r4 = 0:
  r2 <- DEC(READ(r4));  r4 <- ONE;  WRITE(ADD(r4, r2), READ(r4))
otherwise:
  r3 <- r4;  r4 <- MIN(INC(r3), r2);  WRITE(ADD(r4, r2), READ(r4))
"""

MODULES = sequence(PAPER_MODULES)
CONFIG = MachineConfig(registers=4, width=16)  # 16 = 2^4 hidden units: one per zero-pattern


def paper_copy() -> dict:
    return next(t for t in json.loads(TRACES.read_text())["traces"] if t["task"] == "copy")


def paper_table() -> discrete.CircuitTable:
    return program.parse(PAPER_COPY, MODULES, registers=4)


def test_the_program_reads_back_as_it_prints() -> None:
    table = paper_table()
    assert program.format_circuit(table.circuits[0b1111], MODULES) == (
        "r2 <- DEC(READ(r4));  r4 <- ONE;  WRITE(ADD(r4, r2), READ(r4))"
    )
    for pattern in range(15):
        assert program.format_circuit(table.circuits[pattern], MODULES) == (
            "r3 <- r4;  r4 <- MIN(INC(r3), r2);  WRITE(ADD(r4, r2), READ(r4))"
        )


def test_hand_written_program_reproduces_table_2_step_for_step() -> None:
    trace = paper_copy()
    integer_machine = discrete.IntegerMachine(MODULES, 4, paper_table())
    execution = integer_machine.run(
        trace["initial_memory"], len(trace["steps"]), record=True, record_memory=True
    )
    assert execution.steps == len(trace["steps"]) and not execution.halted
    read, write = 0, len(MODULES) - 1  # READ is the first module, WRITE the last
    for expected, step in zip(trace["steps"], execution.trace, strict=True):
        assert list(step.memory) == expected["memory"], expected["step"]
        assert list(step.registers) == expected["registers"], expected["step"]
        assert step.arguments[read] == (expected["read_address"],), expected["step"]
        assert list(step.arguments[write]) == expected["write_address_value"], expected["step"]
    # The output: cells p..p+n-1 hold A (the last step's memory already held it).
    target = tasks.get("copy").solve(np.array(trace["initial_memory"]))
    assert execution.memory == target.tolist()


run_recorded = eqx.filter_jit(machine.run)


@pytest.mark.parametrize("discrete_mode", [False, True])
def test_the_program_as_a_network_runs_table_2_in_the_fuzzy_machine(discrete_mode) -> None:
    trace = paper_copy()
    model = discrete.mlp_model(paper_table(), CONFIG)
    # The network compiles back to the very table it was built from.
    assert discrete.compile_mlp(model).circuits == paper_table().circuits
    steps = len(trace["steps"])
    outcome = run_recorded(
        model,
        jnp.array(trace["initial_memory"]),
        jnp.zeros(12, jnp.int32),
        jnp.asarray(steps),
        timesteps=steps,
        discrete=discrete_mode,
        record=True,
    )
    record = outcome.record
    arguments = np.asarray(record.arguments).argmax(-1)  # (T, Q, 2)
    for t, expected in enumerate(trace["steps"]):
        assert np.asarray(record.memory[t]).argmax(-1).tolist() == expected["memory"]
        assert np.asarray(record.registers[t]).argmax(-1).tolist() == expected["registers"]
        assert arguments[t, 0, 0] == expected["read_address"]
        assert arguments[t, -1].tolist() == expected["write_address_value"]
        # Large margins: every distribution is (nearly) one-hot.
        assert float(np.asarray(record.registers[t]).max(-1).min()) > 0.999
    assert float(np.asarray(outcome.finish).max()) < 1e-6


def test_the_paper_circuit_copies_100000_elements_in_seconds() -> None:
    n = 100_000
    example = tasks.get("copy").sample(np.random.default_rng(0), n, 2 * n + 1)
    integer_machine = discrete.IntegerMachine(MODULES, 4, paper_table())
    start = time.perf_counter()
    execution = integer_machine.run(example.memory.tolist(), 2 * n + 1)
    assert time.perf_counter() - start < 30
    final = np.array(execution.memory)
    assert np.array_equal(final[example.mask], example.target[example.mask])


# --- agreement with the fuzzy machine's discretised mode on random models --------------------


def random_model(controller: str, seed: int) -> machine.NRAM:
    """A random model whose circuits vary with the zero-pattern and that sometimes halts:
    the head's weights are scaled up and the halting logit gets a random bias."""
    config = MachineConfig(registers=3, controller=controller, width=24)
    model = machine.init(config, jax.random.key(seed))
    head = model.controller.head
    halt_bias = jax.random.normal(jax.random.key(seed + 100)) * 2
    return eqx.tree_at(
        lambda m: (m.controller.head.weight, m.controller.head.bias),
        model,
        (head.weight * 6, head.bias.at[-1].add(halt_bias)),
    )


TASKS = ("copy", "access", "reverse", "increment", "listk", "swap")
SIZE, STEPS = 12, 9


@pytest.mark.parametrize("controller", ["mlp", "lstm"])
def test_integer_machine_equals_the_fuzzy_machine_discretised(controller) -> None:
    compared = halted = 0
    for seed in range(4):
        model = random_model(controller, seed)
        integer_machine = discrete.IntegerMachine.of(model)
        rng = np.random.default_rng(seed)
        for name in TASKS:
            task = tasks.get(name)
            example = task.sample(rng, task.min_difficulty + 1, SIZE)
            horizon = int(rng.integers(1, STEPS + 1))
            outcome = run_recorded(
                model,
                jnp.asarray(example.memory),
                jnp.asarray(example.target),
                jnp.asarray(horizon),
                timesteps=STEPS,
                discrete=True,
                record=True,
            )
            readout = int(loss.readout_step(outcome, jnp.asarray(horizon)))
            execution = integer_machine.run(
                example.memory.tolist(), horizon, record=True, record_memory=True
            )
            assert execution.steps == readout + 1
            assert execution.memory == np.asarray(outcome.readout_values).tolist()
            for t, step in enumerate(execution.trace):
                assert list(step.registers) == np.asarray(record_registers(outcome, t)).tolist()
                assert list(step.memory) == np.asarray(outcome.record.memory[t]).argmax(-1).tolist()
                assert (
                    list(step.outputs) == np.asarray(outcome.record.outputs[t]).argmax(-1).tolist()
                )
            compared += 1
            halted += execution.halted
    assert compared == 4 * len(TASKS)
    assert 0 < halted < compared  # both ways of stopping were exercised


def record_registers(outcome: machine.Outcome, t: int) -> jax.Array:
    return outcome.record.registers[t].argmax(-1)


def test_measure_on_integers_reports_in_the_shape_of_measure() -> None:
    from nram import config as configuration

    config = configuration.resolve(
        "copy", assignments=["machine.width=16", "horizon.scale=2", "horizon.offset=1"]
    )
    model = discrete.mlp_model(paper_table(), config.machine)
    results = discrete.measure_on_integers(
        model, config, [1, 5, 1000], examples=3, rng=np.random.default_rng(0)
    )
    assert [r.difficulty for r in results] == [1, 5, 1000]
    assert all(r.error == 0.0 and r.exact == 1.0 and r.discrete for r in results)
    assert results[-1].timesteps == 2001 and results[-1].memory_size >= 2001


@pytest.mark.parametrize(
    ("memory", "message"),
    [
        ([0, 99, 1], r"in \[0, M\) = \[0, 3\), got 99"),
        ([0, -4, 1], r"in \[0, M\) = \[0, 3\), got -4"),
        ([0, 1.5, 1], "integers, got float64"),
    ],
)
def test_the_integer_machine_refuses_memory_values_that_are_not_cells(
    memory: list, message: str
) -> None:
    with pytest.raises(errors.TaskError, match=f"memory values must be {message}"):
        discrete.run(random_model("mlp", 0), memory, 4)
