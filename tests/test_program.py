"""Programs as text: printing pruned circuits, reading them back, and `nram program`."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import jax
import numpy as np
import pytest
from test_discrete import MODULES, PAPER_COPY, paper_table

from nram import config as configuration
from nram import discrete, machine, program, tasks
from nram.cli import main
from nram.machine import MachineConfig
from nram.train import Trainer, stack


def make_run(run_dir: Path) -> Path:
    """A run directory holding the paper's Copy program as a network (no training)."""
    config = configuration.resolve(
        "copy",
        assignments=[
            "machine.width=16",
            "memory_size=12",
            "max_difficulty=5",
            "horizon.scale=2",
            "horizon.offset=1",
        ],
    )
    trainer = Trainer(config, run_dir)
    trainer.models = stack([discrete.mlp_model(paper_table(), config.machine)])
    trainer.save_model("best", 0)
    (run_dir / "config.json").write_text(json.dumps(configuration.as_dict(config)))
    return run_dir


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    return make_run(tmp_path_factory.mktemp("copy-run"))


def test_printing_prunes_dead_modules_and_kept_registers() -> None:
    circuit = paper_table().circuits[0]
    # Of 14 modules five are live; the dead ones (SUB, LT, ...) and r1 <- r1, r2 <- r2 vanish.
    assert [MODULES[i].name for i in discrete.live_modules(circuit, MODULES)] == [
        "read", "inc", "add", "min", "write",
    ]  # fmt: skip
    text = program.format_circuit(circuit, MODULES)
    assert "r1" not in text.split("<-")[0] and "SUB" not in text and "HALT" not in text


def test_printed_programs_read_back_to_the_same_machine() -> None:
    """Print every circuit of random models, parse the text: same live wiring, same runs."""
    for seed in range(3):
        model = machine.init(MachineConfig(registers=3, width=16), jax.random.key(seed))
        table = discrete.compile_mlp(model)
        blocks = program.blocks_of_table(table, MODULES, Counter(), everything=True)
        text = program.format_program(blocks, 3, 0, Counter())
        parsed = program.parse(text, MODULES, 3)
        for original, reread in zip(table.circuits, parsed.circuits, strict=True):
            live = discrete.live_modules(original, MODULES)
            assert discrete.live_modules(reread, MODULES) == live
            assert [reread.arguments[i] for i in live] == [original.arguments[i] for i in live]
            assert (reread.sources, reread.halt) == (original.sources, original.halt)
        rng = np.random.default_rng(seed)
        for name in ("copy", "swap", "listk"):
            memory = tasks.get(name).sample(rng, 3, 16).memory.tolist()
            first = discrete.IntegerMachine(MODULES, 3, table).run(memory, 12)
            second = discrete.IntegerMachine(MODULES, 3, parsed).run(memory, 12)
            assert (first.memory, first.steps) == (second.memory, second.steps)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("otherwise:\n  r1 <- FOO(r2);  WRITE(r1, r1)", "no module FOO"),
        ("otherwise:\n  r1 <- INC(r2)", "does not say what WRITE"),
        ("otherwise:\n  r9 <- r1;  WRITE(r1, r1)", "not a register"),
        ("otherwise:\n  r1 <- ADD(r2);  WRITE(r1, r1)", "takes 2 arguments"),
        ("when r1 = 0:\n  WRITE(r1, r1)", "no circuit for"),
        ("otherwise:\n  INC(r1);  WRITE(r1, r1)", "a statement is"),
        ("r1 <- r2", "a program starts with"),
    ],
)
def test_bad_programs_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        program.parse(text, MODULES, 4)


def test_nram_program_prints_the_paper_circuits(run_dir: Path, capsys, tmp_path) -> None:
    dot = tmp_path / "copy.dot"
    assert main(["program", str(run_dir), "--examples", "3", "--dot", str(dot)]) == 0
    out = capsys.readouterr().out
    body = [line.strip() for line in out.splitlines() if line.startswith("  ")]
    assert body == [line.strip() for line in PAPER_COPY.splitlines() if line.startswith("  ")][::-1]
    # Every zero-pattern reached is listed with its count; the counts add up to all steps.
    counts = [
        int(line.split("# ")[1].split(" steps")[0].replace(",", ""))
        for line in out.splitlines()
        if line.startswith("when")
    ]
    total = 3 * sum(2 * n + 1 for n in range(1, 6))
    assert sum(counts) == total and f"of {total} steps" in out
    assert dot.read_text().startswith("digraph program {") and "MIN" in dot.read_text()
    # Printed with --all, the program reads back to the very table the run holds.
    assert main(["program", str(run_dir), "--examples", "1", "--all"]) == 0
    table = program.parse(capsys.readouterr().out, MODULES, 4)
    assert [program.format_circuit(c, MODULES) for c in table.circuits] == [
        program.format_circuit(c, MODULES) for c in paper_table().circuits
    ]


def test_nram_program_rejects_bad_input(run_dir: Path, capsys) -> None:
    assert main(["program", str(run_dir), "--examples", "0"]) == 2
    assert "--examples must be >= 1" in capsys.readouterr().err
    assert main(["program", str(run_dir / "missing")]) == 2
