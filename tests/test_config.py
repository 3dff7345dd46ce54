"""Settings: defaults per task, overrides from the command line and TOML, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from nram import config, tasks


def test_every_task_has_defaults_that_fit_its_layout() -> None:
    for name in tasks.PAPER_TASKS:
        resolved = config.resolve(name)
        task = tasks.get(name)
        assert resolved.memory_size >= task.min_memory(resolved.max_difficulty)
        assert resolved.max_difficulty == task.paper_max_difficulty


def test_assignments_and_toml_override_in_order(tmp_path: Path) -> None:
    settings = tmp_path / "settings.toml"
    settings.write_text('lr = 0.001\n[noise]\neta = 0.3\n[machine]\ncontroller = "lstm"\n')
    resolved = config.resolve(
        "copy", files=[str(settings)], assignments=["noise.eta=0", "machine.width=32"], seed=4
    )
    assert resolved.lr == 0.001 and resolved.noise.eta == 0.0
    assert resolved.machine.controller == "lstm" and resolved.machine.width == 32
    assert resolved.seed == 4
    assert config.resolve("copy", assignments=["clip.activation=none"]).clip.activation is None
    modules = config.resolve("copy", assignments=["machine.modules=read,inc,write"])
    assert modules.machine.modules == ("read", "inc", "write")


def test_the_toml_a_config_prints_reads_back_the_same(tmp_path: Path) -> None:
    original = config.resolve("swap", assignments=["clip.global_norm=none", "lr=0.002"])
    path = tmp_path / "round.toml"
    path.write_text(config.to_toml(original))
    assert config.resolve("swap", files=[str(path)]) == original
    assert config.from_dict(config.as_dict(original)) == original


@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        ("nope=1", "unknown setting 'nope'; valid settings: task, seed"),
        ("lr=fast", "setting lr: cannot read 'fast' as float"),
        ("noise=1", "noise is a section"),
        ("lr.x=1", "lr is not a section"),
        ("machine.controller=gru", "unknown controller .gru.; valid: mlp, lstm"),
        ("machine.modules=read,nope", "unknown module 'nope'"),
        ("memory_size=5", "needs memory_size >= 31, got 5"),
        ("steps=0", "steps must be >= 1"),
        ("justtext", "expected NAME=VALUE"),
        ("curriculum.enabled=maybe", "cannot read 'maybe' as bool"),
    ],
)
def test_bad_settings_are_clear_errors(assignment: str, message: str) -> None:
    with pytest.raises(config.ConfigError, match=message):
        config.resolve("copy", assignments=[assignment])


def test_bad_toml_files_are_clear_errors(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("lr = \n")
    with pytest.raises(config.ConfigError, match="is not valid TOML"):
        config.resolve("copy", files=[str(broken)])
    wrong_type = tmp_path / "wrong.toml"
    wrong_type.write_text('lr = "fast"\n')
    with pytest.raises(config.ConfigError, match="setting lr: expected float"):
        config.resolve("copy", files=[str(wrong_type)])
    with pytest.raises(config.ConfigError, match="no such config file"):
        config.resolve("copy", files=[str(tmp_path / "missing.toml")])
    with pytest.raises(config.ConfigError, match="unknown task 'nope'; valid tasks: access"):
        config.resolve("nope")


def test_horizon_rule() -> None:
    horizon = config.Horizon(scale=2, offset=1, minimum=6)
    assert [horizon(n) for n in (1, 2, 3, 10)] == [6, 6, 7, 21]
