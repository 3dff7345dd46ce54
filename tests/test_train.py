"""Training: learning happens, resume is exact, checkpoints are safe, NaN is never trained on.

Every test uses the same tiny Access configuration, so the jitted step compiles once.
"""

from __future__ import annotations

import dataclasses
import json
import signal
from collections.abc import Callable
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import TINY, tiny_config

from nram import checkpoint, config, errors, evaluate, train
from nram.rundir import RunDirectory


def metric_lines(run_dir: Path) -> list[dict]:
    lines = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    for line in lines:  # wall-clock figures differ from run to run
        line.pop("steps_per_s"), line.pop("seconds")
    return lines


def interrupt_at(step: int) -> Callable[[dict], None]:
    """An `on_log` that presses Ctrl-C (a real SIGINT) when `step` is logged."""

    def press(line: dict) -> None:
        if line["step"] == step:
            signal.raise_signal(signal.SIGINT)

    return press


def test_a_short_run_makes_the_loss_fall_and_the_error_drop(trained_run: Path) -> None:
    lines = metric_lines(trained_run)
    assert lines[-1]["nll"] < 0.5 * lines[0]["nll"]
    assert lines[-1]["error"] < lines[0]["error"]
    result = json.loads((trained_run / "result.json").read_text())
    assert result["step"] == lines[-1]["step"]
    for name in ("config.json", "latest.npz", "best.npz"):
        assert (trained_run / name).exists()


def test_resume_gives_the_same_metrics_as_an_uninterrupted_run(
    trained_run: Path, tmp_path: Path
) -> None:
    run_dir = tmp_path / "interrupted"

    first = train.train(
        tiny_config(steps=150), run_dir, progress_bar=False, on_log=interrupt_at(70)
    )
    assert first.reason == "interrupted" and first.step == 70
    # Lines logged after the checkpoint must not survive: fake them, as a crash would leave
    # them, the last one cut short mid-write.
    with open(run_dir / "metrics.jsonl", "a") as handle:
        handle.write(json.dumps({"step": 999}) + "\n" + '{"step": 1000, "lo')
    resumed = train.train(tiny_config(steps=150), run_dir, resume=True, progress_bar=False)
    uninterrupted = json.loads((trained_run / "result.json").read_text())
    assert metric_lines(run_dir) == metric_lines(trained_run)
    assert (resumed.step, resumed.solved, resumed.level) == (
        uninterrupted["step"],
        uninterrupted["solved"],
        uninterrupted["level"],
    )


def test_a_run_directory_is_never_overwritten(trained_run: Path) -> None:
    with pytest.raises(errors.RunError, match="exists and is not empty"):
        train.train(tiny_config(steps=150), trained_run, progress_bar=False)


@pytest.mark.parametrize("damage", ["truncate", "flip", "empty"])
def test_a_damaged_checkpoint_is_refused_clearly(
    trained_run: Path, tmp_path: Path, damage: str
) -> None:
    data = (trained_run / "latest.npz").read_bytes()
    broken = tmp_path / "latest.npz"
    if damage == "truncate":
        broken.write_bytes(data[: len(data) // 2])
    elif damage == "flip":
        middle = len(data) // 2
        broken.write_bytes(data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :])
    else:
        broken.write_bytes(b"")
    template = train.Trainer(tiny_config(steps=150), tmp_path)
    with pytest.raises(checkpoint.CheckpointError, match="corrupted or truncated|not an nram"):
        checkpoint.load(broken, (template.models, template.opt_states))


def test_a_checkpoint_for_another_model_is_refused(trained_run: Path, tmp_path: Path) -> None:
    other = train.Trainer(
        config.resolve("access", assignments=[*TINY, "machine.width=8"]), tmp_path
    )
    with pytest.raises(checkpoint.CheckpointError, match="another configuration"):
        checkpoint.load(trained_run / "latest.npz", (other.models, other.opt_states))


def test_a_key_of_another_kind_is_refused(tmp_path: Path) -> None:
    checkpoint.save(tmp_path / "key.npz", {"key": jax.random.key(0, impl="rbg")}, {})
    with pytest.raises(checkpoint.CheckpointError, match=r"uint32\[4\], expected uint32\[2\]"):
        checkpoint.load(tmp_path / "key.npz", {"key": jax.random.key(0)})


def test_checkpoints_hold_no_pickle(trained_run: Path) -> None:
    archive = np.load(trained_run / "latest.npz", allow_pickle=False)
    assert all(archive[name].dtype != object for name in archive.files)


def test_below_the_top_level_examples_get_the_climb_horizon(tmp_path: Path) -> None:
    climbing = config.resolve(
        "access", assignments=[*TINY, "horizon.climb_scale=0", "horizon.climb_offset=2"]
    )
    trainer = train.Trainer(climbing, tmp_path)  # level 1 of 3; T(n) = n + 2 at the top
    attempt = trainer.attempts[0]
    batches, step_batch = trainer.sample()
    assert not attempt.at_top and np.all(np.asarray(step_batch.horizon) == 2)
    assert trainer.step_settings().timesteps == 2  # the scan runs the climb's longest
    attempt.curriculum.level = climbing.max_difficulty
    batches, step_batch = trainer.sample()
    expected = [[n + 2 for n in batch.difficulty] for batch in batches]
    np.testing.assert_array_equal(step_batch.horizon, expected)
    assert trainer.step_settings().timesteps == trainer.settings.timesteps == 5


def test_a_non_finite_step_is_skipped(tmp_path: Path) -> None:
    trainer = train.Trainer(tiny_config(steps=10), tmp_path)
    poisoned = eqx.tree_at(
        lambda model: model.controller.head.bias,
        trainer.model(),
        trainer.model().controller.head.bias.at[0].set(jnp.nan),
    )
    _, batch = trainer.sample()
    opt_state = train.pick(trainer.opt_states, 0)
    model, new_opt_state, metrics = train.train_step(
        poisoned, opt_state, train.pick(batch, 0), jnp.asarray(0.03), False, trainer.settings
    )
    assert not bool(metrics.finite)
    for new, old in zip(
        jax.tree_util.tree_leaves(new_opt_state),
        jax.tree_util.tree_leaves(opt_state),
        strict=True,
    ):
        if jnp.issubdtype(new.dtype, jnp.floating):
            np.testing.assert_array_equal(new, old)
    np.testing.assert_array_equal(
        model.controller.hidden[0].weight, poisoned.controller.hidden[0].weight
    )


def test_load_model_restores_the_trained_parameters(trained_run: Path) -> None:
    model, loaded_config = train.load_model(trained_run, "latest")
    assert loaded_config == tiny_config(steps=150)
    trainer = train.Trainer(loaded_config, trained_run)
    trainer.restore()
    for restored, saved in zip(
        jax.tree_util.tree_leaves(model), jax.tree_util.tree_leaves(trainer.model()), strict=True
    ):
        np.testing.assert_array_equal(restored, saved)
    # The model loads whatever optimiser state was saved after it (an earlier layout, say).
    checkpoint.save(trained_run / "other.npz", (trainer.model(), {"state": jnp.zeros(3)}), {})
    model, _ = train.load_model(trained_run, "other")
    assert eqx.tree_equal(model, trainer.model())
    (trained_run / "other.npz").unlink()


def test_the_entropy_bonus_decays_and_turns_into_a_penalty_once_the_top_is_right(
    tmp_path: Path,
) -> None:
    trainer = train.Trainer(tiny_config(steps=10), tmp_path)
    settings = trainer.config.entropy
    attempt = trainer.attempts[0]
    trainer.progress.step = int(settings.half_life)
    assert trainer.entropy_weight(attempt) == pytest.approx(settings.weight / 2)
    attempt.recent_errors = [0.0]  # right, but below the top level: still the bonus
    assert trainer.entropy_weight(attempt) > 0
    attempt.curriculum.level = attempt.curriculum.max_difficulty
    assert trainer.entropy_weight(attempt) == -settings.sharpen
    attempt.recent_errors = [0.5]  # at the top but wrong: the bonus again
    assert trainer.entropy_weight(attempt) == pytest.approx(settings.weight / 2)
    off = train.Trainer(
        config.resolve("access", assignments=[*TINY, "entropy.sharpen=0"]), tmp_path
    )
    off_attempt = off.attempts[0]
    off_attempt.curriculum.level = off_attempt.curriculum.max_difficulty
    off_attempt.recent_errors = [0.0]
    assert off.entropy_weight(off_attempt) == settings.weight


def test_without_the_curriculum_the_recent_error_is_the_whole_batchs(tmp_path: Path) -> None:
    # It once pooled only the examples at the easiest difficulty (the level a disabled
    # curriculum sits at), so an attempt right at n = 1 alone switched the entropy to a penalty.
    uniform = config.resolve("access", assignments=[*TINY, "curriculum.enabled=false"])
    trainer = train.Trainer(uniform, tmp_path)
    sampled = []
    real_sample = trainer.sample

    def sample_and_keep() -> tuple:
        sampled.append(real_sample())
        return sampled[-1]

    trainer.sample = sample_and_keep  # type: ignore[method-assign]
    for _ in range(4):
        metrics = trainer.step()
    (batch,), _ = sampled[-1]
    assert len(set(batch.difficulty.tolist())) > 1  # several difficulties in one batch
    whole_batch = (metrics.wrong[0] / np.maximum(batch.mask.sum(axis=1), 1)).mean()
    assert len(trainer.attempts[0].recent_errors) == 4
    assert trainer.attempts[0].recent_errors[-1] == pytest.approx(float(whole_batch))


def test_an_attempt_right_fuzzily_hardens_its_inputs_until_it_restarts(
    trained_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hardening = config.resolve("access", assignments=[*TINY, "numerics.harden_inputs=true"])
    trainer = train.Trainer(hardening, tmp_path)
    attempt = trainer.attempts[0]
    attempt.curriculum.level = attempt.curriculum.max_difficulty
    attempt.recent_errors = [0.0]
    assert not trainer.harden_due(0)  # a random model is not right on fresh examples
    right, _ = train.load_model(trained_run)  # the short run's model is
    trainer.models = train.stack([right])
    assert evaluate.fuzzily_right(right, hardening, np.random.default_rng(0), 8)
    assert trainer.harden_due(0)
    attempt.recent_errors = [0.5]  # wrong lately: not asked
    assert not trainer.harden_due(0)
    attempt.recent_errors = [0.0]
    attempt.curriculum.level -= 1  # below the top level
    assert not trainer.harden_due(0)
    attempt.curriculum.level += 1
    trainer.progress.step = 40
    trainer.harden(0)
    assert attempt.hardened and attempt.last_rise == 40  # counted as progress
    assert not trainer.harden_due(0)
    seen = []  # the round_inputs flags each step is given
    real_step = train.side_by_side_step

    def step_and_keep_the_flags(*arguments: object) -> object:
        seen.append(np.asarray(arguments[4]).tolist())
        return real_step(*arguments)

    monkeypatch.setattr(train, "side_by_side_step", step_and_keep_the_flags)
    trainer.step()
    assert seen == [[True]]
    trainer.save("latest")  # the flag is part of the state a resumed run continues from
    resumed = train.Trainer(hardening, tmp_path)
    resumed.restore()
    assert resumed.attempts[0].hardened
    trainer.restart(0)
    assert not trainer.attempts[0].hardened
    off = train.Trainer(tiny_config(steps=10), tmp_path / "off")
    off.models = train.stack([right])
    off.attempts[0].recent_errors = [0.0]
    off.attempts[0].curriculum.level = off.attempts[0].curriculum.max_difficulty
    assert not off.harden_due(0)


# A curriculum that never promotes (error < 0 is impossible): every attempt gets stuck.
STUCK = [*TINY, "restart_after=30", "curriculum.threshold=0", "steps=70"]


def test_a_stuck_run_restarts_from_fresh_parameters(tmp_path: Path) -> None:
    result = train.train(config.resolve("access", assignments=STUCK), tmp_path, progress_bar=False)
    assert result.restarts == 2  # at steps 30 and 60
    attempts = [line["attempt"] for line in metric_lines(tmp_path)]
    assert attempts == [0, 0, 0, 1, 1, 1, 2]
    trainer = train.Trainer(config.resolve("access", assignments=STUCK), tmp_path / "fresh")
    first = trainer.model().controller.head.weight
    trainer.restart(0)
    second = trainer.model().controller.head.weight
    assert not np.allclose(first, second)
    assert trainer.progress.attempt == 1 and trainer.attempts[0].number == 1
    assert trainer.attempts[0].last_rise == trainer.progress.step


def test_a_run_stops_when_its_time_budget_is_spent(tmp_path: Path) -> None:
    budget = [*STUCK, "restart_after=0", "steps=100000", "max_seconds=0.5"]
    result = train.train(config.resolve("access", assignments=budget), tmp_path, progress_bar=False)
    assert result.reason == "time" and 0.5 <= result.seconds < 30
    assert 0 < result.step < 100000
    assert json.loads((tmp_path / "result.json").read_text())["reason"] == "time"
    with pytest.raises(config.ConfigError, match="max_seconds must be >= 0"):
        config.resolve("access", assignments=["max_seconds=-1"])


def test_resume_with_gradient_noise_gives_the_same_metrics(
    trained_run: Path, tmp_path: Path
) -> None:
    noisy = config.resolve("access", assignments=[*TINY, "noise.eta=0.3", "steps=40"])
    train.train(noisy, tmp_path / "whole", progress_bar=False)

    train.train(noisy, tmp_path / "parts", progress_bar=False, on_log=interrupt_at(20))
    train.train(noisy, tmp_path / "parts", resume=True, progress_bar=False)
    lines, quiet = metric_lines(tmp_path / "whole"), metric_lines(trained_run)
    assert metric_lines(tmp_path / "parts") == lines
    # The noise is live: the same seed and data without it train differently.
    assert len(lines) == 4 and len(quiet) >= 4
    assert [line["step"] for line in quiet[:4]] == [line["step"] for line in lines]
    assert lines[1:] != quiet[1:4]


def test_input_noise_is_drawn_per_step_beside_the_same_data(tmp_path: Path) -> None:
    noisy = train.Trainer(
        config.resolve("access", assignments=[*TINY, "numerics.input_noise=0.5"]), tmp_path / "a"
    )
    quiet = train.Trainer(tiny_config(steps=10), tmp_path / "b")
    step_batch, quiet_batch = noisy.sample()[1], quiet.sample()[1]
    assert quiet_batch.input_noise is None
    np.testing.assert_array_equal(step_batch.memory, quiet_batch.memory)
    noise = np.asarray(step_batch.input_noise)
    assert noise.shape == (1, 16, noisy.settings.timesteps, noisy.config.machine.registers)
    assert 0.4 < noise.std() < 0.6
    noisy.step()
    assert not np.array_equal(np.asarray(noisy.sample()[1].input_noise), noise)  # a new draw
    quiet.step()
    weights = lambda trainer: jax.tree_util.tree_leaves(eqx.filter(trainer.models, eqx.is_array))
    assert not np.allclose(weights(noisy)[0], weights(quiet)[0])  # the noise reached the step


def test_resume_across_a_restart_gives_the_same_metrics(tmp_path: Path) -> None:
    stuck = config.resolve("access", assignments=STUCK)
    train.train(stuck, tmp_path / "whole", progress_bar=False)

    train.train(stuck, tmp_path / "parts", progress_bar=False, on_log=interrupt_at(40))
    resumed = train.train(stuck, tmp_path / "parts", resume=True, progress_bar=False)
    assert resumed.restarts == 2
    assert metric_lines(tmp_path / "parts") == metric_lines(tmp_path / "whole")


# Two attempts side by side, stuck like STUCK's: both restart at steps 30 and 60.
SIDE_BY_SIDE = [*STUCK, "parallel_attempts=2"]


def test_attempts_side_by_side_restart_on_their_own_and_resume_exactly(tmp_path: Path) -> None:
    two = config.resolve("access", assignments=SIDE_BY_SIDE)
    whole = train.train(two, tmp_path / "whole", progress_bar=False)
    assert whole.restarts == 4  # attempts 2 and 3 at step 30, 4 and 5 at step 60
    lines = metric_lines(tmp_path / "whole")
    assert [line["attempt"] for line in lines] == [1, 1, 1, 3, 3, 3, 5]
    each = [line["each_attempt"] for line in lines]
    assert [entry["attempt"] for entry in each] == [[0, 1]] * 3 + [[2, 3]] * 3 + [[4, 5]]
    assert [entry["level"] for entry in each] == [[line["level"]] * 2 for line in lines]
    assert all(len(entry["recent_error"]) == 2 for entry in each)

    train.train(two, tmp_path / "parts", progress_bar=False, on_log=interrupt_at(40))
    train.train(two, tmp_path / "parts", resume=True, progress_bar=False)
    assert metric_lines(tmp_path / "parts") == metric_lines(tmp_path / "whole")
    trainer = train.Trainer(two, tmp_path / "fresh")
    trainer.restart(1)  # one attempt gives way; the other keeps its parameters
    assert [attempt.number for attempt in trainer.attempts] == [0, 2]
    fresh = train.Trainer(two, tmp_path / "fresh2")
    assert eqx.tree_equal(trainer.model(0), fresh.model(0))
    assert not eqx.tree_equal(trainer.model(1), fresh.model(1))


def test_attempts_side_by_side_each_train_as_they_would_alone(tmp_path: Path) -> None:
    trainer = train.Trainer(config.resolve("access", assignments=SIDE_BY_SIDE), tmp_path)
    _, batch = trainer.sample()
    weights, rounded = jnp.asarray([0.03, 0.01]), jnp.asarray([False, True])
    models, opt_states, metrics = train.side_by_side_step(
        trainer.models, trainer.opt_states, batch, weights, rounded, trainer.settings
    )
    for k in range(2):
        alone = train.train_step(
            trainer.model(k),
            train.pick(trainer.opt_states, k),
            train.pick(batch, k),
            weights[k],
            rounded[k],
            trainer.settings,
        )
        side_by_side = (train.pick(models, k), train.pick(opt_states, k), train.pick(metrics, k))
        for got, expected in zip(
            jax.tree_util.tree_leaves(eqx.filter(side_by_side, eqx.is_inexact_array)),
            jax.tree_util.tree_leaves(eqx.filter(alone, eqx.is_inexact_array)),
            strict=True,
        ):
            np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6)


def test_the_attempt_that_solved_is_the_best_model_and_latest_loads_the_leader(
    tmp_path: Path,
) -> None:
    trainer = train.Trainer(config.resolve("access", assignments=SIDE_BY_SIDE), tmp_path)
    trainer.run.create()
    trainer.run.write_config(trainer.config)
    trainer.attempts[1].recent_errors = [0.0]  # the leader: same level, lower error
    trainer.attempts[0].recent_errors = [0.5]
    trainer.solved_by = 0
    trainer.save_final("solved")
    best, _ = train.load_model(tmp_path, "best")
    latest, _ = train.load_model(tmp_path, "latest")
    assert eqx.tree_equal(best, trainer.model(0))
    assert eqx.tree_equal(latest, trainer.model(1))
    # Any attempt of latest.npz by its index; best.npz has one model, not attempts.
    first, _ = train.load_model(tmp_path, "latest", attempt=0)
    assert eqx.tree_equal(first, trainer.model(0))
    with pytest.raises(config.ConfigError, match="holds attempts 0..1, not 2"):
        train.load_model(tmp_path, "latest", attempt=2)
    with pytest.raises(config.ConfigError, match="holds one model"):
        train.load_model(tmp_path, "best", attempt=0)


def test_the_python_api_validates_the_config_too(tmp_path: Path) -> None:
    """`train.train` checks a config built in Python, before it creates anything."""
    no_steps = dataclasses.replace(tiny_config(steps=40), steps=0)
    with pytest.raises(config.ConfigError, match="steps must be >= 1, got 0"):
        train.train(no_steps, tmp_path / "run", progress_bar=False)
    assert not (tmp_path / "run").exists()


def test_a_damaged_metrics_line_is_an_error_naming_the_file_unless_it_is_the_last(
    tmp_path: Path,
) -> None:
    """A crash mid-write can cut the last line short: it goes, like every line after the
    checkpoint. A damaged line before it is no crash's doing: an error naming the file."""
    run, path = RunDirectory(tmp_path), tmp_path / "metrics.jsonl"
    path.write_text('{"step": 10}\n{"step": 20}\n{"step": 30, "lo')
    run.truncate_metrics(20)
    assert path.read_text() == '{"step": 10}\n{"step": 20}\n'
    path.write_text('{"step": 10}\n{"st\n{"step": 30}\n')
    with pytest.raises(errors.RunError, match=f"{path} is damaged: line 2"):
        run.truncate_metrics(20)
