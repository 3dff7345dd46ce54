"""The status line of a training run: in place on a terminal, plain lines elsewhere, and what it
says while a run trains and checks "solved"."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from conftest import tiny_config

from nram import config, evaluate, train
from nram.status import StatusLine

LINE = {"step": 20, "level": 2, "attempt": 0, "steps_per_s": 51.4, "seconds": 67.0}


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plain_lines_when_not_a_terminal() -> None:
    stream = io.StringIO()
    status = StatusLine("copy", 15, stream)
    status.doing("compiling the training step")
    status.update(LINE, 0.0123)  # within PLAIN_EVERY of the last line: not printed
    status.doing("checking solved at n = 1..15, 30")  # a check starts: printed at once
    status.checked(20, False, 0.25)
    status.message("step 20: fresh parameters, attempt 2")
    assert stream.getvalue().splitlines() == [
        "copy: compiling the training step",
        "copy: step 20, level 2 of 15, recent error 0.012, attempt 1, 51 steps/s, 1:07; "
        "checking solved at n = 1..15, 30",
        "step 20: fresh parameters, attempt 2",
    ]
    assert status.text().endswith("; training; solved check at step 20 failed: error 0.2500")


def test_in_place_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    stream = Terminal()
    status = StatusLine("copy", 15, stream)
    status.update(LINE, float("inf"))  # no batch at the level yet
    assert stream.getvalue() == (
        "\rcopy: step 20, level 2 of 15, recent error -, attempt 1, 51 steps/s, 1:07; "
        "training\x1b[K"
    )
    status.message("hello")
    assert stream.getvalue().endswith("\r\x1b[Khello\n\r" + status.text() + "\x1b[K")
    status.close()
    assert stream.getvalue().endswith("\n")
    monkeypatch.setenv("COLUMNS", "20")  # a wrapped line could not be redrawn: cut it
    narrow = Terminal()
    StatusLine("copy", 15, narrow).doing("compiling the training step")
    assert narrow.getvalue() == "\rcopy: compiling the\x1b[K"


def test_no_stream_shows_nothing_but_messages(capsys: pytest.CaptureFixture) -> None:
    status = StatusLine("copy", 15, None)
    status.doing("compiling the training step")
    status.update(LINE, 0.0)
    status.message("a restart")
    status.close()
    assert capsys.readouterr() == ("a restart\n", "")


def test_the_solved_check_is_described_by_its_sizes() -> None:
    assert evaluate.describe_solved_checks(config.resolve("copy")) == "1..15, 30, 60, 105"
    stretch_one = config.resolve("copy", assignments=["evaluation.stretch=1"])
    assert evaluate.describe_solved_checks(stretch_one) == "1..15"
    assert evaluate.format_difficulties([1, 2, 4, 5, 6, 9]) == "1, 2, 4..6, 9"


def test_a_run_says_when_it_checks_solved(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    settings = config.override(tiny_config(steps=100), assignments=["evaluation.every=10"])
    train.train(settings, tmp_path / "run")  # its recent error is 0 at the top by step 100
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "access: compiling the training step"
    assert any(line.endswith("; checking solved at n = 1..3, 6, 12, 21") for line in lines)
