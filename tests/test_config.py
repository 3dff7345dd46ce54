"""Settings: defaults per task, overrides from the command line and TOML, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from nram import config, tasks
from nram.machine import MachineConfig


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
        ("lr=nan", "lr must be a finite number, got nan"),
        ("lr=inf", "lr must be a finite number, got inf"),
        ("lr=0", "lr must be > 0, got 0.0"),
        ("entropy.half_life=0", "entropy.half_life must be > 0, got 0.0"),
        ("entropy.weight=nan", "entropy.weight must be a finite number"),
        ("evaluation.every=0", "evaluation.every must be >= 1, got 0"),
        ("evaluation.examples=0", "evaluation.examples must be >= 1, got 0"),
        ("evaluation.stretch=0", "evaluation.stretch must be >= 1, got 0"),
        ("batch_size=-3", "batch_size must be >= 1, got -3"),
        ("restart_after=-1", "restart_after must be >= 0, got -1"),
        ("patience=-1", "patience must be >= 0, got -1"),
        ("max_seconds=nan", "max_seconds must be a finite number"),
        ("noise.eta=-0.1", "noise.eta must be >= 0"),
        ("clip.activation=0", "clip.activation must be > 0 .or none"),
        ("numerics.log_eps=0", "numerics.log_eps must be > 0"),
        ("curriculum.threshold=-1", "curriculum.threshold must be >= 0"),
        ("horizon.scale=-1", "horizon.scale must be >= 0"),
        ("machine.register_keep_bias=nan", "machine.register_keep_bias must be a finite"),
        ("machine.modules=", "machine.modules must name at least one module"),
        ("machine.repeat=0", "repeat must be >= 1"),
    ],
)
def test_bad_settings_are_clear_errors(assignment: str, message: str) -> None:
    with pytest.raises(config.ConfigError, match=message):
        config.resolve("copy", assignments=[assignment])


def test_a_horizon_with_no_step_at_some_training_difficulty_is_refused() -> None:
    with pytest.raises(config.ConfigError, match=r"T\(1\) = 0 .*horizon.minimum"):
        config.resolve("copy", assignments=["horizon.offset=-100", "horizon.minimum=0"])
    # T(1) = 0 but T(n) >= 1 from n = 2 on: Access trains at 1 too, so refused...
    with pytest.raises(config.ConfigError, match=r"T\(1\) = 0"):
        config.resolve("access", assignments=["horizon.offset=-1", "horizon.minimum=0"])
    # ... while a rule that gives every difficulty a step is fine, even with minimum 0.
    assert config.resolve("access", assignments=["horizon.minimum=0"]).horizon.minimum == 0


def test_a_negative_seed_is_refused_by_name() -> None:
    with pytest.raises(config.ConfigError, match="seed must be >= 0, got -1"):
        config.resolve("copy", seed=-1)


def test_settings_are_checked_once_complete_never_half_way(tmp_path: Path) -> None:
    """Each share alone is fine against the other's default only in one order: a config must
    come out the same whatever order its settings are applied in (--set, TOML, config.json)."""
    shares = ["curriculum.near_share=0.1", "curriculum.uniform_share=0.8"]
    resolved = config.resolve("copy", assignments=shares)
    assert (resolved.curriculum.uniform_share, resolved.curriculum.near_share) == (0.8, 0.1)
    assert config.from_dict(config.as_dict(resolved)) == resolved
    saved = tmp_path / "settings.toml"
    saved.write_text(config.to_toml(resolved))
    assert config.resolve("copy", files=[str(saved)]) == resolved
    assert config.override(config.resolve("copy"), assignments=shares) == resolved
    with pytest.raises(config.ConfigError, match="uniform_share \\+ curriculum.near_share must"):
        config.resolve("copy", assignments=["curriculum.uniform_share=0.8"])


def test_a_machine_without_modules_is_refused() -> None:
    with pytest.raises(config.ConfigError, match="at least one module"):
        MachineConfig(modules=())


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
    assert horizon.climbing() == horizon  # no climb settings: one horizon throughout
    climb = config.Horizon(scale=2, offset=1, minimum=4, climb_scale=1, climb_offset=2).climbing()
    assert [climb(n) for n in (1, 2, 3, 10)] == [4, 4, 5, 12]
    half = config.Horizon(scale=2, offset=1, climb_offset=0).climbing()  # scale kept: 2n + 0
    assert [half(n) for n in (1, 5)] == [2, 10]


def test_a_climb_horizon_with_no_step_is_refused_by_its_own_name() -> None:
    with pytest.raises(config.ConfigError, match=r"T\(1\) = 0 .*horizon.climb_offset"):
        config.resolve("copy", assignments=["horizon.climb_offset=-100", "horizon.minimum=0"])
    with pytest.raises(config.ConfigError, match="horizon.climb_scale must be >= 0"):
        config.resolve("copy", assignments=["horizon.climb_scale=-1"])
