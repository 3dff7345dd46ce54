"""`nram plot`: runs and sweep directories to curves, attempts marked, one PNG."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from nram import cli, plot
from nram.rundir import RunDirectory


@pytest.fixture
def sweep_dir(trained_run: Path, tmp_path: Path) -> Path:
    """A sweep of two copies of the trained run; the second restarted once, at step 50."""
    sweep = tmp_path / "sweep"
    for name in ("s00-seed0", "s00-seed1"):
        shutil.copytree(trained_run, sweep / name)
    restarted = sweep / "s00-seed1" / "metrics.jsonl"
    lines = [json.loads(line) for line in restarted.read_text().splitlines()]
    for line in lines:
        line["attempt"] = int(line["step"] > 50)
    restarted.write_text("".join(json.dumps(line) + "\n" for line in lines))
    (sweep / "sweep.json").write_text("{}")
    return sweep


def test_a_sweep_directory_stands_for_its_runs(sweep_dir: Path, trained_run: Path) -> None:
    runs = plot.run_directories([str(trained_run), str(sweep_dir)])
    assert [run.path for run in runs] == [
        trained_run,
        sweep_dir / "s00-seed0",
        sweep_dir / "s00-seed1",
    ]
    curves = plot.curves_of(runs)
    assert [curve.label for curve in curves] == ["access", "s00-seed0", "s00-seed1"]
    assert curves[0].top_level == 3
    assert curves[1].attempt_starts() == []
    first_of_attempt_two = curves[2].attempt_starts()
    assert [curves[2].lines[index]["step"] for index in first_of_attempt_two] == [60]


def test_a_line_cut_short_is_left_out(trained_run: Path, tmp_path: Path) -> None:
    run = RunDirectory(tmp_path / "run")
    shutil.copytree(trained_run, run.path)
    whole = run.read_metrics()
    with open(run.metrics_path, "a") as handle:
        handle.write('{"step": 16')  # a run writing its next line now
    assert run.read_metrics() == whole


def test_the_command_draws_a_png(
    sweep_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    picture = tmp_path / "curves.png"
    assert cli.main(["plot", str(sweep_dir), "--out", str(picture)]) == 0
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and picture.stat().st_size > 20_000
    assert "2 run(s) drawn" in capsys.readouterr().err


def test_a_directory_without_runs_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    assert cli.main(["plot", str(tmp_path), "--out", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"nram: error: no run in {tmp_path}: no metrics.jsonl there")
    assert len(err.splitlines()) == 1
