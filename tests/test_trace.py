"""Traces: the paper's Table 2 through `nram.trace`, fuzzy and discretised, and `nram trace`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_discrete import CONFIG, paper_copy, paper_table
from test_program import make_run

from nram import discrete, tasks, trace
from nram.cli import main


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    return make_run(tmp_path_factory.mktemp("copy-run"))


@pytest.mark.parametrize("fuzzy", [False, True])
def test_trace_rows_are_table_2(fuzzy: bool) -> None:
    paper = paper_copy()
    memory = np.array(paper["initial_memory"])
    model = discrete.mlp_model(paper_table(), CONFIG)
    steps = len(paper["steps"])
    run = trace.fuzzy_trace if fuzzy else trace.discrete_trace
    result = run(model, memory, steps)
    assert [row.step for row in result.rows] == list(range(1, steps + 1))
    for expected, row in zip(paper["steps"], result.rows, strict=True):
        assert row.memory.tolist() == expected["memory"]
        assert row.registers.tolist() == expected["registers"]
        assert row.reads == [expected["read_address"]]
        assert [list(w) for w in row.writes] == [expected["write_address_value"]]
        assert row.finish < 1e-6
    target = tasks.get("copy").solve(memory)
    assert result.final_memory.tolist() == target.tolist()
    assert result.readout_step == steps and not result.halted
    mask = tasks.get("copy").mask(memory, 5)
    table = trace.format_table(result, target, mask, cells=40)
    assert table.splitlines()[2].split("|")[1].split() == [str(v) for v in paper["initial_memory"]]
    assert "all right" in table


def test_nram_trace_prints_a_table_and_draws_it(run_dir: Path, capsys, tmp_path) -> None:
    png = tmp_path / "trace.png"
    assert main(["trace", str(run_dir), "--difficulty", "5", "--png", str(png)]) == 0
    out = capsys.readouterr().out
    assert "M = 12, T = 11, discretised" in out and "all right" in out
    assert sum(line[:4].strip().isdigit() for line in out.splitlines()) == 11
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


def test_nram_trace_fuzzy_and_large(run_dir: Path, capsys, tmp_path) -> None:
    assert main(["trace", str(run_dir), "--difficulty", "5", "--fuzzy", "--cells", "8"]) == 0
    out = capsys.readouterr().out
    assert "fuzzy" in out and "min p" in out and "all right" in out and " …" in out
    # Discretised at a size the fuzzy machine could not hold.
    assert main(["trace", str(run_dir), "--difficulty", "3000", "--cells", "10"]) == 0
    out = capsys.readouterr().out
    assert "T = 6001" in out and "all right" in out
    assert main(["trace", str(run_dir), "--difficulty", "3000", "--fuzzy"]) == 2
    assert "drop --fuzzy" in capsys.readouterr().err
