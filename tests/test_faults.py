"""Faults: training interrupted anywhere (Ctrl-C, a second Ctrl-C, kill -9; right after a batch
is drawn, inside a checkpoint write, before the first checkpoint) resumes to exactly the run
it would have been: the same metrics.jsonl lines and the same final parameters.

Each interruption runs `nram train` in a process of its own (tests/fault_driver.py) that
signals itself at the chosen point, and each resume, and the uninterrupted run, in another:
with the same XLA flags, whatever this process started with, so that the arithmetic is the
same to the last bit. They share a JAX compilation cache, so only the first one compiles.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import jax
import numpy as np
import pytest
from conftest import tiny_config
from fault_driver import STEPS
from test_train import metric_lines

from nram import SINGLE_THREADED_XLA, checkpoint, cli, train

DRIVER = str(Path(__file__).parent / "fault_driver.py")


@pytest.fixture(scope="module")
def compile_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("jax-cache")


def in_a_process(cache: Path, *command: str) -> int:
    """Run a Python command line in a process of its own; its exit status (negative: killed
    by that signal)."""
    environment = os.environ | {
        "JAX_COMPILATION_CACHE_DIR": str(cache),
        "XLA_FLAGS": SINGLE_THREADED_XLA,
    }
    completed = subprocess.run(
        [sys.executable, *command], env=environment, capture_output=True, timeout=300
    )
    return completed.returncode


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory, compile_cache: Path) -> Path:
    run_dir = tmp_path_factory.mktemp("whole") / "run"
    assert in_a_process(compile_cache, DRIVER, str(run_dir)) == 0
    return run_dir


def checkpoint_step(run_dir: Path) -> int | None:
    latest = run_dir / "latest.npz"
    return checkpoint.read_header(latest)["step"] if latest.exists() else None


def final_parameters(run_dir: Path) -> list[np.ndarray]:
    template = train.Trainer(tiny_config(steps=STEPS), run_dir)
    (model, opt_state), _ = checkpoint.load(
        run_dir / "latest.npz", (template.models, template.opt_states)
    )
    return [np.asarray(leaf) for leaf in jax.tree_util.tree_leaves((model, opt_state))]


@pytest.mark.parametrize(
    ("point", "name", "at", "times", "status", "saved_at"),
    [
        # Ctrl-C right after batch 13 is drawn: the run ends with step 13, saved.
        ("drawn", "INT", 13, 1, 130, 13),
        # A second Ctrl-C aborts at once: the checkpoint of step 10 stays.
        ("drawn", "INT", 13, 2, 130, 10),
        # Inside the write of step 20's checkpoint: Ctrl-C lets it finish; kill -9 leaves the
        # one of step 10 (and a temporary file, which the next write replaces).
        ("writing", "INT", 2, 1, 130, 20),
        ("writing", "KILL", 2, 1, -signal.SIGKILL, 10),
        # Killed right after the first batch is drawn, before any checkpoint: config.json
        # alone, resumable from step 0.
        ("drawn", "KILL", 1, 1, -signal.SIGKILL, None),
    ],
)
def test_an_interrupted_run_resumes_exactly(
    uninterrupted: Path, compile_cache: Path, tmp_path: Path, capsys: pytest.CaptureFixture,
    point: str, name: str, at: int, times: int, status: int, saved_at: int | None,
) -> None:  # fmt: skip
    run_dir = tmp_path / "run"
    fault = [point, name, str(at), str(times)]
    assert in_a_process(compile_cache, DRIVER, str(run_dir), *fault) == status
    assert checkpoint_step(run_dir) == saved_at
    # Neither new nor lost: a new run there is refused, and --resume carries on.
    assert cli.main(["train", "access", "--run-dir", str(run_dir)]) == 2
    assert "use --resume" in capsys.readouterr().err
    resume = ["-m", "nram", "train", "--resume", str(run_dir), "--no-progress"]
    assert in_a_process(compile_cache, *resume) == 0
    assert metric_lines(run_dir) == metric_lines(uninterrupted)
    for resumed, whole in zip(
        final_parameters(run_dir), final_parameters(uninterrupted), strict=True
    ):
        np.testing.assert_array_equal(resumed, whole)
    assert not list(run_dir.glob("*.tmp"))
