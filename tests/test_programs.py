"""The hand-written programs (`nram.programs`) against independent references: each task's
plain-Python solver on fresh examples, the paper's printed traces, and the fuzzy machine
running the program as a network."""

from __future__ import annotations

import dataclasses
import json
from collections import defaultdict
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from nram import config, machine, programs, tasks
from nram.discrete import Circuit, CircuitTable, IntegerMachine, zero_pattern
from nram.evaluate import memory_size_for
from nram.program import parse

TRACES = json.loads((Path(__file__).parent / "data" / "paper_traces.json").read_text())["traces"]


def examples(name: str, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray, int]]:
    """At least 200 fresh (memory, expected final memory, difficulty) triples of the program's
    task: spread over 1..n_max, and 20 each at 2 and 10 x n_max (M scaled as `nram eval`)."""
    task = tasks.get(programs.get(name).task)
    settings = config.resolve(task.name)
    top = settings.max_difficulty
    levels = list(range(task.min_difficulty, top + 1))
    rng = np.random.default_rng(seed)
    chosen = [levels[i % len(levels)] for i in range(160)] + [2 * top] * 20 + [10 * top] * 20
    out = []
    for difficulty in chosen:
        example = task.sample(rng, difficulty, memory_size_for(settings, difficulty))
        out.append((example, difficulty))
    return out


def wrong_examples(machine_: IntegerMachine, program: programs.Program, cases) -> int:
    """How many examples the machine gets wrong on a scored cell (against task.solve)."""
    task = tasks.get(program.task)
    wrong = 0
    for example, difficulty in cases:
        final = np.array(machine_.run(example.memory.tolist(), program.horizon(difficulty)).memory)
        expected = task.solve(example.memory)
        wrong += bool((final[example.mask] != expected[example.mask]).any())
    return wrong


@pytest.mark.parametrize("name", programs.NAMES)
def test_every_shipped_program_is_exact(name: str) -> None:
    program = programs.get(name)
    cases = examples(name)
    assert len(cases) >= 200
    assert wrong_examples(program.machine(), program, cases) == 0


def on_default_machine(name: str) -> bool:
    """The program's registers and passes are those its task trains with by default."""
    program = programs.get(name)
    default = config.resolve(program.task).machine
    return (program.config.registers, program.config.repeat) == (default.registers, default.repeat)


DEFAULT_MACHINE_PROGRAMS = [name for name in programs.NAMES if on_default_machine(name)]


def test_swap_and_the_hard_tasks_train_on_a_shipped_programs_machine() -> None:
    tasks_held = {programs.get(name).task for name in DEFAULT_MACHINE_PROGRAMS}
    assert {"swap", "permutation", "listk", "listsearch", "merge", "walkbst"} <= tasks_held


@pytest.mark.parametrize("name", DEFAULT_MACHINE_PROGRAMS)
def test_a_program_on_its_tasks_default_machine_is_exact_under_the_default_horizon(
    name: str,
) -> None:
    """The training defaults can express the task: the program, run for the horizons the
    task trains and is evaluated with (not its own), is right on every example."""
    program = programs.get(name)
    horizon = config.resolve(program.task).horizon
    for rule in {horizon, horizon.climbing()}:  # the climb's too, where the task has one
        under_default = dataclasses.replace(program, horizon=rule)
        assert wrong_examples(program.machine(), under_default, examples(name)) == 0, rule


@pytest.mark.parametrize("name", programs.NAMES)
def test_a_damaged_circuit_is_caught(name: str) -> None:
    """Every circuit a program uses is needed: replacing any one of them with a circuit that
    keeps the registers and writes r1 to cell r1 makes the exactness check fail."""
    program = programs.get(name)
    cases = examples(name, seed=1)
    reached = set()
    for example, difficulty in cases[:40]:
        execution = program.machine().run(
            example.memory.tolist(), program.horizon(difficulty), record=True
        )
        reached |= {zero_pattern(step.registers) for step in execution.trace}
    modules = program.modules
    registers = program.config.registers
    damaged_circuit = Circuit(
        tuple((0,) * module.arity for module in modules), tuple(range(registers)), False
    )
    for pattern in sorted(reached):
        circuits = list(program.table.circuits)
        circuits[pattern] = damaged_circuit
        damaged = IntegerMachine(modules, registers, CircuitTable(tuple(circuits)))
        assert wrong_examples(damaged, program, cases) > 0, f"pattern {pattern} unchecked"


@pytest.mark.parametrize("trace", TRACES, ids=lambda t: f"{t['task']}-{t['paper_table']}")
def test_programs_reproduce_the_papers_traces(trace: dict) -> None:
    """Every program of the trace's task turns the trace's initial memory into its final
    memory on the scored cells."""
    task = tasks.get(trace["task"])
    names = [n for n in programs.NAMES if programs.get(n).task == task.name]
    assert names
    initial = np.array(trace["initial_memory"])
    final = np.array(trace["steps"][-1]["memory"])
    mask = task.mask(initial, trace["difficulty"])
    for name in names:
        result = np.array(programs.get(name).run(initial, trace["difficulty"]))
        assert result[mask].tolist() == final[mask].tolist(), name


def test_the_programs_as_networks_agree_with_the_integer_machine_at_n_max() -> None:
    """Each program as a margin-30 MLP in the fuzzy machine reads out the integer machine's
    final memory, every cell, at the task's n_max. Programs with the same machine share one
    compiled run (the larger memory and horizon of the group)."""
    groups = defaultdict(list)
    for name in programs.NAMES:
        program = programs.get(name)
        groups[(program.config.registers, program.config.repeat)].append(program)
    run = eqx.filter_jit(machine.run_batch)
    for group in groups.values():
        settings = [config.resolve(p.task) for p in group]
        size = max(s.memory_size for s in settings)
        steps = max(p.horizon(s.max_difficulty) for p, s in zip(group, settings, strict=True))
        for program, setting in zip(group, settings, strict=True):
            n = setting.max_difficulty
            batch = tasks.get(program.task).sample_batch(
                np.random.default_rng(3), np.full(4, n), size
            )
            outcome = run(
                program.model(),
                jnp.asarray(batch.memory),
                jnp.asarray(batch.target),
                jnp.full(4, program.horizon(n)),
                timesteps=steps,
            )
            for row, readout in zip(batch.memory, np.asarray(outcome.readout_values), strict=True):
                assert readout.tolist() == program.run(row, n), program.name


def test_the_header_states_the_machine() -> None:
    swap = programs.get("swap-repeat2")
    assert (swap.config.registers, swap.config.repeat, swap.config.controller) == (2, 2, "mlp")
    assert swap.config.width == 4 and swap.horizon(7) == 3 and swap.task == "swap"
    walk = programs.get("walkbst")
    assert [walk.horizon(n) for n in (1, 10)] == [3, 21]
    assert programs.describe_horizon(walk.horizon) == "T(n) = 2n + 1"
    assert "machine.registers=4" in walk.settings()
    assert walk.train_config().machine.registers == 4 and walk.train_config().horizon(10) == 21
    assert {programs.get(n).task for n in programs.NAMES} == set(tasks.PAPER_TASKS)


def test_a_program_reads_back_as_a_table() -> None:
    text = programs.get("copy").text
    assert parse(text, programs.get("copy").modules, 2) == programs.get("copy").table


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# horizon: T(n) = n\notherwise:\n  pass\n", "needs `# machine"),
        ("# machine: registers = 1\notherwise:\n  pass\n", "needs `# machine"),
        ("# machine: registers = 1, colour = 2\n# horizon: T(n) = n\n", "unknown machine"),
        ("# machine: registers = 1\n# horizon: T(n) = n squared\n", "cannot read the horizon"),
    ],
)
def test_bad_headers_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        programs.load(text, "mine", "copy")


def test_unknown_program_lists_the_shipped_ones() -> None:
    with pytest.raises(ValueError, match="shipped programs: access"):
        programs.get("sort")


def test_program_check_prints_the_error_per_difficulty(
    capsys: pytest.CaptureFixture, tmp_path: Path
) -> None:
    from nram import cli

    assert cli.main(["program", "--check", "swap", "--examples", "5"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "# program swap: 3 registers, module sequence x 1, T(n) = 5"
    rows = [line.split() for line in lines[3:]]
    assert [int(row[0]) for row in rows] == [*range(2, 21), 40, 200, 1000]
    assert all(row[-2:] == ["0.0000", "1.000"] for row in rows)
    # A user's own file: the swap program with its last step forgotten is wrong everywhere.
    broken = programs.get("swap").text.replace("WRITE(r2, r3)", "WRITE(r2, READ(r2))")
    (tmp_path / "mine.nram").write_text(broken)
    assert cli.main(["program", "--check", "swap", str(tmp_path / "mine.nram")]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()[3:]]
    assert all(float(row[-2]) > 0 for row in rows)
    assert cli.main(["program", "--check", "swap", str(tmp_path / "none.nram")]) == 2
    assert "no program file" in capsys.readouterr().err


def test_training_can_start_from_a_program() -> None:
    """`init.program` builds the program into the trained MLP: the network compiles back to
    the program's table, `init.perturb` moves every weight, and a machine that cannot hold
    the program is a one-line error naming the settings it needs."""
    from nram import discrete, train
    from nram.errors import ConfigError

    settings = programs.get("swap-repeat2").settings()
    base = config.resolve("swap", assignments=[*settings, "init.program=swap-repeat2"])
    model = train.initial_model(base, jax.random.key(0))
    assert discrete.compile_mlp(model).circuits == programs.get("swap-repeat2").table.circuits
    noisy = config.resolve(
        "swap", assignments=[*settings, "init.program=swap-repeat2"] + ["init.perturb=0.1"]
    )
    moved = train.initial_model(noisy, jax.random.key(0))
    assert not np.allclose(moved.controller.head.weight, model.controller.head.weight)
    # Swap's defaults are the one-pass program's machine; swap-repeat2 needs another.
    with pytest.raises(ConfigError, match="needs --set machine.registers=2 --set machine.repeat=2"):
        config.resolve("swap", assignments=["init.program=swap-repeat2"])
    with pytest.raises(ConfigError, match="solves copy, not swap"):
        config.resolve("swap", assignments=["init.program=copy"])
