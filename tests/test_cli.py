"""The `nram` command: help, eval's JSON, one-line errors, `python -m nram`."""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import TINY

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
        (["train", "--resume", "/r", "--run-dir", "/s"], "--run-dir cannot change a run"),
        (["train", "copy", "--continue"], "--continue goes with --resume RUN"),
        (["train", "copy", "--seed", "-1"], "seed must be >= 0, got -1"),
        (["train", "copy", "--set", "lr=nan"], "lr must be a finite number"),
    ],
)
def test_bad_input_is_one_line_on_stderr(
    argv: list[str], message: str, capsys: pytest.CaptureFixture
) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert err.startswith("nram: error: ") and message in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "copy", "--seed", "x"], "argument --seed: invalid int value: 'x'"),
        (["program", "RUN", "--memory-size", "0"], "unrecognized arguments: --memory-size 0"),
        (["nope"], "invalid choice: 'nope'"),
    ],
)
def test_a_malformed_command_line_is_one_line_too(
    argv: list[str], message: str, capsys: pytest.CaptureFixture
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and message in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["eval", "--timesteps", "0"], "--timesteps must be >= 1, got 0"),
        (["eval", "--memory-size", "0"], "--memory-size must be >= 1, got 0"),
        (["eval", "--seed", "-1"], "--seed must be >= 0, got -1"),
        (["trace", "--memory-size", "0"], "--memory-size must be >= 1, got 0"),
        (["trace", "--timesteps", "0"], "--timesteps must be >= 1, got 0"),
        (["trace", "--seed", "-2"], "--seed must be >= 0, got -2"),
        (["program", "--seed", "-1"], "--seed must be >= 0, got -1"),
    ],
)
def test_an_option_out_of_range_is_one_line(
    trained_run: Path, argv: list[str], message: str, capsys: pytest.CaptureFixture
) -> None:
    code, _, err = run(capsys, argv[0], str(trained_run), *argv[1:])
    assert_one_line(code, err, message)


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--workers", "0"], "--workers must be >= 1, got 0"),
        (["--generalisation", "-5"], "--generalisation must be >= 0, got -5"),
        (["--sweep-dir", "afile/sub"], "cannot create afile/sub: Not a directory"),
    ],
)
def test_a_bad_sweep_option_is_one_line(
    option: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    Path("afile").write_text("not a folder")
    code, _, err = run(capsys, "sweep", "access", "--max-runs", "0", "--sweep-dir", "s", *option)
    assert_one_line(code, err, message)


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


def test_ctrl_c_is_exit_status_130_and_one_line(tmp_path: Path) -> None:
    """Outside training too (here while a plugin loads), so that `nram ... && ...` stops."""
    plugin = tmp_path / "pressed.py"
    plugin.write_text("raise KeyboardInterrupt\n")
    completed = subprocess.run(
        [sys.executable, "-m", "nram", "--plugin", str(plugin), "settings", "copy"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 130 and completed.stderr == "nram: interrupted\n"


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


# --- files and the operating system: one line naming the file, exit 2 ------------------------


def assert_one_line(code: int, err: str, *fragments: str) -> None:
    assert code == 2, err
    assert err.startswith("nram: error: ") and len(err.strip().splitlines()) == 1, err
    for fragment in fragments:
        assert fragment in err, err


TINY_SETTINGS = [part for setting in TINY for part in ("--set", setting)]


def copy_of(run_dir: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    return copy


def test_a_run_directory_under_a_file_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    afile = tmp_path / "afile"
    afile.write_text("not a folder")
    for run_dir, message in ((afile / "sub", "Not a directory"), (afile, "not a directory")):
        code, _, err = run(capsys, "train", "access", "--run-dir", str(run_dir), *TINY_SETTINGS)
        assert_one_line(code, err, str(run_dir), message)


@pytest.mark.parametrize(
    ("command", "option", "name"),
    [("eval", "--plot", "x.png"), ("eval", "--plot", "x.txt"), ("trace", "--png", "x.png"),
     ("program", "--dot", "x.dot")],
)  # fmt: skip
def test_a_bad_output_path_is_one_line(
    trained_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture, command: str,
    option: str, name: str,
) -> None:  # fmt: skip
    folder = tmp_path if name.endswith(".txt") else tmp_path / "missing"
    quick = {"eval": ["--difficulty", "1", "--examples", "2"], "trace": [], "program": []}
    path = str(folder / name)
    code, _, err = run(capsys, command, str(trained_run), *quick[command], option, path)
    assert_one_line(code, err, f"cannot write {path}")


@pytest.mark.parametrize(
    "saved", ['{"lr": "fast"}', '{"nope": 1}', "[1, 2]", '{"lr": 0.1', "\udcff\udcfe"]
)
def test_a_malformed_config_json_is_one_line_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture, saved: str
) -> None:
    (tmp_path / "config.json").write_text(saved, errors="surrogateescape")
    code, _, err = run(capsys, "eval", str(tmp_path))
    assert_one_line(code, err, str(tmp_path / "config.json"))


def test_a_plugin_with_a_syntax_error_is_one_line_naming_the_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    plugin = tmp_path / "broken.py"
    plugin.write_text("from nram import modules\ndef oops(:\n")
    code, _, err = run(capsys, "--plugin", str(plugin), "settings", "copy")
    assert_one_line(code, err, f"{plugin} line 2")


def test_a_read_only_run_directory_is_one_line(
    trained_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """As the OS answers a write into a read-only directory (tests may run as root, for whom
    permissions do not hold)."""
    copy = copy_of(trained_run, tmp_path)

    def refuse(source: object, destination: object) -> None:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(destination))

    monkeypatch.setattr(os, "replace", refuse)
    code, _, err = run(capsys, "train", "--resume", str(copy), "--continue", "--no-progress")
    assert_one_line(code, err, f"cannot write {copy}/", ": Permission denied")
    assert not list(copy.glob("*.tmp"))


def test_a_full_disk_is_one_line_and_keeps_the_previous_checkpoint(
    trained_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    copy = copy_of(trained_run, tmp_path)
    before = (copy / "latest.npz").read_bytes()
    real_fsync = os.fsync

    def full_disk_for_checkpoints(descriptor: int) -> None:
        if os.readlink(f"/proc/self/fd/{descriptor}").endswith("latest.npz.tmp"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", full_disk_for_checkpoints)
    argv = ["train", "--resume", str(copy), "--continue", "--set", "steps=160", "--no-progress"]
    code, _, err = run(capsys, *argv)
    assert_one_line(code, err, f"cannot write {copy / 'latest.npz'}: No space left on device")
    assert (copy / "latest.npz").read_bytes() == before
    assert not list(copy.glob("*.tmp"))


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--seed", "1"], "seed cannot change a run: it is 0 there"),
        (["--set", "seed=1"], "seed cannot change a run"),
        (["--set", "task=copy"], "task cannot change a run: it is access there"),
    ],
)
def test_resume_refuses_what_would_make_it_another_run(
    trained_run: Path, option: list[str], message: str, capsys: pytest.CaptureFixture
) -> None:
    code, _, err = run(capsys, "train", "--resume", str(trained_run), *option)
    assert_one_line(code, err)
    assert re.search(message, err), err


def test_resuming_a_solved_run_changes_nothing_unless_asked_to_continue(
    trained_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    copy = copy_of(trained_run, tmp_path)
    files = {path.name: path.read_bytes() for path in copy.iterdir()}
    assert json.loads(files["result.json"])["solved"]
    for more in ([], ["--set", "steps=100"]):
        code, out, err = run(capsys, "train", "--resume", str(copy), "--no-progress", *more)
        assert code == 0 and "solved at step 150" in out and "is solved" in err
        assert {path.name: path.read_bytes() for path in copy.iterdir()} == files
    argv = ["train", "--resume", str(copy), "--continue", "--set", "steps=160", "--no-progress"]
    code, out, _ = run(capsys, *argv)
    assert code == 0 and "not solved (steps) at step 160" in out
