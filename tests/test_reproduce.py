"""`nram reproduce --quick`: end to end on a tiny machine, one task, one seed."""

from __future__ import annotations

from pathlib import Path

import pytest

from nram import cli, reproduce


def test_reproduce_writes_the_table_curves_and_programs(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    results = tmp_path / "docs" / "RESULTS.md"
    code = cli.main(
        ["reproduce", "--quick", "--tasks", "access", "--seeds", "1", "--steps", "200",
         "--examples", "4", "--set", "memory_size=6", "--workers", "1",
         "--out", str(tmp_path / "sweeps"), "--results", str(results)]
    )  # fmt: skip
    assert code == 0 and "results written" in capsys.readouterr().out
    text = results.read_text()
    # Tiny Access solves within its 200 steps: one row, its curve and its program.
    row = next(line for line in text.splitlines() if line.startswith("| access |"))
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[1] == "1 / 1"
    assert cells[3] == "0.000 / 0.000"  # solved: exact at 1..n_max, fuzzy and discretised
    assert cells[-1] == "0 / perfect / perfect"
    assert (results.parent / "reproduce" / "access.png").stat().st_size > 1000
    assert "### access (s00-seed0)" in text and "WRITE(" in text
    assert "--quick --tasks access --seeds 1 --steps 200 --set memory_size=6" in text
    # The sweep stays on disk: running again trains nothing more.
    assert cli.main(
        ["reproduce", "--quick", "--tasks", "access", "--seeds", "1", "--steps", "200",
         "--examples", "4", "--set", "memory_size=6", "--workers", "1",
         "--out", str(tmp_path / "sweeps"), "--results", str(results)]
    ) == 0  # fmt: skip
    assert "1 done before, 0 to run" in capsys.readouterr().out


def test_reproduce_refuses_bad_arguments(
    capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Refused before any training: an argument let through fails here at once, instead of
    # running the whole protocol inside the suite.
    monkeypatch.setattr(reproduce, "run_task", lambda *_: pytest.fail("trained on bad input"))
    assert cli.main(["reproduce", "--quick", "--tasks", "sorting"]) == 2
    assert "unknown task" in capsys.readouterr().err
    assert cli.main(["reproduce", "--steps", "0"]) == 2
    assert "--steps must be >= 1" in capsys.readouterr().err
    assert cli.main(["reproduce", "--examples", "0"]) == 2
    assert "--examples must be >= 1" in capsys.readouterr().err
