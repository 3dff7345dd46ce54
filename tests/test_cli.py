"""The `nram` command: help, eval's JSON, one-line errors, `python -m nram`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nram import cli
from nram import config as configuration


def run(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize(
    "command", ["train", "eval", "settings", "trace", "program", "sweep", "plot"]
)
def test_every_subcommand_explains_itself(command: str, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main([command, "--help"])
    assert exit_info.value.code == 0
    assert len(capsys.readouterr().out) > 200


def test_eval_json_has_the_documented_shape(
    trained_run: Path, capsys: pytest.CaptureFixture, tmp_path: Path
) -> None:
    plot = tmp_path / "errors.png"
    code, out, _ = run(
        capsys,
        "eval",
        str(trained_run),
        "--difficulty",
        "2,3,5",
        "--examples",
        "4",
        "--json",
        "--plot",
        str(plot),
    )
    assert code == 0
    report = json.loads(out)
    assert report["task"] == "access" and report["examples"] == 4
    assert [row["difficulty"] for row in report["results"]] == [2, 3, 5]
    for row in report["results"]:
        assert set(row) == {"difficulty", "memory_size", "timesteps", "fuzzy", "discrete"}
        for mode in ("fuzzy", "discrete"):
            assert set(row[mode]) == {"error", "exact"}
            assert 0.0 <= row[mode]["error"] <= 1.0 and 0.0 <= row[mode]["exact"] <= 1.0
    # Difficulty 5 does not fit the training memory (6): M and T grow with it.
    assert report["results"][2]["memory_size"] > report["results"][0]["memory_size"]
    assert report["results"][2]["timesteps"] > report["results"][0]["timesteps"]
    assert plot.stat().st_size > 1000


def test_eval_table(trained_run: Path, capsys: pytest.CaptureFixture) -> None:
    code, out, _ = run(capsys, "eval", str(trained_run), "--difficulty", "1,3", "--examples", "4")
    assert code == 0
    assert "fuzzy error" in out and len(out.strip().splitlines()) == 4


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "nope"], "unknown task 'nope'; valid tasks: access"),
        (["train", "copy", "--set", "lr=fast"], "setting lr: cannot read 'fast' as float"),
        (["train", "--resume", "/nonexistent"], "is not a run directory"),
        (["eval", "/nonexistent"], "is not a run directory"),
        (["settings", "copy", "--set", "nope=1"], "unknown setting 'nope'"),
    ],
)
def test_bad_input_is_one_line_on_stderr(
    argv: list[str], message: str, capsys: pytest.CaptureFixture
) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert err.startswith("nram: error: ") and message in err
    assert len(err.strip().splitlines()) == 1


def test_a_bug_shows_its_traceback_and_bad_input_stays_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """Only the project's own errors (NramError) become one line; a KeyError from a bug in a
    handler propagates, so its traceback shows."""

    def planted_bug(*args: object, **kwargs: object) -> None:
        raise KeyError("planted")

    monkeypatch.setattr(configuration, "resolve", planted_bug)
    with pytest.raises(KeyError, match="planted"):
        cli.main(["settings", "copy"])
    assert capsys.readouterr().err == ""
    monkeypatch.undo()
    code, _, err = run(capsys, "settings", "nope")
    assert code == 2 and err.startswith("nram: error: unknown task 'nope'")
    assert len(err.strip().splitlines()) == 1


def test_the_command_prints_a_bugs_traceback(tmp_path: Path) -> None:
    plugin = tmp_path / "bug.py"
    plugin.write_text("raise KeyError('planted')\n")
    completed = subprocess.run(
        [sys.executable, "-m", "nram", "--plugin", str(plugin), "settings", "copy"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 1
    assert "Traceback" in completed.stderr and "KeyError: 'planted'" in completed.stderr


def test_eval_refuses_a_difficulty_below_the_tasks_minimum(
    trained_run: Path, capsys: pytest.CaptureFixture
) -> None:
    code, _, err = run(capsys, "eval", str(trained_run), "--difficulty", "0")
    assert code == 2 and "difficulties start at 1" in err


def test_settings_prints_toml_that_reads_back(capsys: pytest.CaptureFixture, tmp_path) -> None:
    code, out, _ = run(capsys, "settings", "copy", "--set", "lr=0.002")
    assert code == 0
    path = tmp_path / "copy.toml"
    path.write_text(out)
    code, again, _ = run(capsys, "settings", "copy", "--config", str(path))
    assert again == out and "lr = 0.002" in out


def test_python_dash_m_nram_works() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "nram", "--version"], capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 0 and completed.stdout.startswith("nram ")
