"""Shared fixtures: one tiny trained run, reused so that the jitted step compiles once."""

from __future__ import annotations

from pathlib import Path

import pytest

from nram import config, train

TINY = [
    "max_difficulty=3", "memory_size=6", "machine.width=16", "batch_size=16", "lr=0.01",
    "log_every=10", "checkpoint_every=10", "evaluation.examples=8",
]  # fmt: skip


def tiny_config(steps: int, seed: int = 0) -> config.TrainConfig:
    return config.resolve("access", assignments=[*TINY, f"steps={steps}"], seed=seed)


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Access at difficulty <= 3, trained for at most 150 steps."""
    run_dir = tmp_path_factory.mktemp("runs") / "access"
    train.train(tiny_config(steps=150), run_dir, progress_bar=False)
    return run_dir
