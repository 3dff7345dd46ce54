"""Training: the paper's techniques around one jitted step, with logs, checkpoints and resume.

One step: sample difficulties from the curriculum, sample a batch, run the machine, take the
gradient of expected NLL - lambda_t * entropy (activation gradients clipped to [-C1, C1]
inside backpropagation; lambda_t decays, and turns into a penalty once the top level is
fuzzily right: `Trainer.entropy_weight`), then global-norm clip (C2), gradient noise, Adam.
A step whose loss or gradient is not finite is reported and skipped: the parameters and
optimiser state stay.

A run directory holds:
  config.json      the resolved settings
  metrics.jsonl    one JSON line every `log_every` steps (averages over those steps)
  latest.npz       the latest checkpoint (parameters, optimiser, data RNG, curriculum, step)
  best.npz         the checkpoint with the highest level and lowest error so far
  result.json      how the run ended: solved or not, at which step, after how long

"Solved" means error 0 at every difficulty up to the maximum, fuzzy and discretised; the run
checks that every `evaluation.every` steps once the curriculum is at the top, and stops there.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax import Array

from nram import checkpoint, evaluate, loss, machine, tasks
from nram import config as configuration
from nram.config import TrainConfig
from nram.curriculum import Curriculum
from nram.errors import RunError
from nram.machine import NRAM

# --- the jitted step ---------------------------------------------------------------------


class StepMetrics(NamedTuple):
    loss: Array  # the objective: mean NLL - lambda_t * mean entropy
    nll: Array  # mean expected NLL per example
    entropy: Array  # mean selector entropy per example-step
    wrong: Array  # (B,) wrong scored cells per example (fuzzy read-out)
    grad_norm: Array
    finite: Array  # False: the update was skipped


@dataclass(frozen=True)
class StepSettings:
    """All that the jitted step depends on besides the model: equal settings share one
    compiled step, across trainers in one process (tests, sweeps)."""

    lr: float
    global_norm: float | None
    noise_eta: float
    noise_gamma: float
    numerics: machine.Numerics
    loss: str
    log_eps: float

    @staticmethod
    def of(config: TrainConfig) -> StepSettings:
        return StepSettings(
            lr=config.lr,
            global_norm=config.clip.global_norm,
            noise_eta=config.noise.eta,
            noise_gamma=config.noise.gamma,
            numerics=machine.Numerics(
                activation_clip=config.clip.activation, renormalise=config.numerics.renormalise
            ),
            loss=config.numerics.loss,
            log_eps=config.numerics.log_eps,
        )


def make_optimizer(settings: StepSettings, seed: int = 0) -> optax.GradientTransformation:
    """Global-norm clip (C2), gradient noise eta/(1+t)^gamma, Adam. The seed only seeds the
    noise's key in the optimiser state (`init`); `update` reads the key from the state.
    All of it runs on the parameters raveled into one vector (`optax.flatten`): the same
    arithmetic in a few ops instead of a few per parameter array, and one noise draw."""
    parts = []
    if settings.global_norm is not None:
        parts.append(optax.clip_by_global_norm(settings.global_norm))
    if settings.noise_eta > 0:
        parts.append(
            optax.add_noise(settings.noise_eta, settings.noise_gamma, key=jax.random.key(seed))
        )
    parts.append(optax.adam(settings.lr))
    return optax.flatten(optax.chain(*parts))


def objective(
    model: NRAM,
    memory: Array,
    target: Array,
    mask: Array,
    horizon: Array,
    entropy_weight: Array,
    timesteps: int,
    settings: StepSettings,
) -> tuple[Array, tuple[Array, Array, Array]]:
    """Mean expected NLL - entropy_weight * mean selector entropy, and (nll, entropy, wrong
    cells). The weight is an argument, not a setting: the trainer's schedule sets it."""
    outcome = machine.run_batch(
        model, memory, target, horizon, timesteps=timesteps, numerics=settings.numerics
    )
    nll = jax.vmap(
        lambda o, m: loss.negative_log_likelihood(o, m, kind=settings.loss, eps=settings.log_eps)
    )(outcome, mask)
    mean_entropy = jnp.sum(outcome.entropy) / jnp.sum(horizon)
    wrong = jax.vmap(loss.wrong_cells)(outcome, target, mask)
    value = jnp.mean(nll) - entropy_weight * mean_entropy
    return value, (jnp.mean(nll), mean_entropy, wrong)


@eqx.filter_jit
def train_step(
    model: NRAM,
    opt_state: optax.OptState,
    memory: Array,
    target: Array,
    mask: Array,
    horizon: Array,
    entropy_weight: Array,
    timesteps: int,
    settings: StepSettings,
) -> tuple[NRAM, optax.OptState, StepMetrics]:
    """One update. `timesteps` (the scan length) and `settings` are static."""
    (value, (nll, mean_entropy, wrong)), grads = eqx.filter_value_and_grad(objective, has_aux=True)(
        model, memory, target, mask, horizon, entropy_weight, timesteps, settings
    )
    grad_norm = optax.tree.norm(grads)
    finite = jnp.isfinite(value) & jnp.isfinite(grad_norm)
    optimizer = make_optimizer(settings)
    updates, new_opt_state = optimizer.update(grads, opt_state, eqx.filter(model, eqx.is_array))
    new_model = eqx.apply_updates(model, updates)
    # Never train on NaN/Inf: keep the old parameters and optimiser state.
    keep = lambda new, old: jnp.where(finite, new, old)
    new_model = jax.tree_util.tree_map(keep, new_model, model)
    new_opt_state = jax.tree_util.tree_map(keep, new_opt_state, opt_state)
    return new_model, new_opt_state, StepMetrics(value, nll, mean_entropy, wrong, grad_norm, finite)


# --- host-side state ----------------------------------------------------------------------


@dataclass
class Progress:
    """Everything besides arrays that a resumed run needs to continue exactly."""

    step: int = 0
    seconds: float = 0.0  # training wall time, summed over sessions
    best: tuple[int, float] = (0, math.inf)  # (level, recent error) of best.npz
    last_rise: int = 0  # step of the last curriculum promotion (or restart)
    attempt: int = 0  # restarts so far (`restart_after`)
    attempt_start: int = 0  # step at which the current attempt began
    skipped: int = 0  # non-finite steps skipped
    sums: dict[str, float] = field(default_factory=dict)  # metrics accumulated since last log
    count: int = 0


@dataclass
class Result:
    solved: bool
    reason: str  # "solved", "steps", "time", "plateau", "interrupted", "diverged"
    step: int
    seconds: float
    level: int
    error: float  # worst error of the last solved-check, or recent training error
    restarts: int = 0  # times the run started afresh (`restart_after`)

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


class Trainer:
    """One run: model, optimiser, data stream and curriculum, with its run directory."""

    def __init__(self, config: TrainConfig, run_dir: str | Path):
        self.config = config
        self.run_dir = Path(run_dir)
        self.task = tasks.get(config.task)
        self.settings = StepSettings.of(config)
        self.data_rng = np.random.default_rng([config.seed, 1])
        self.progress = Progress()
        self.timesteps = config.horizon(config.max_difficulty)
        self.last_entropy_weight = 0.0  # the weight the latest step used, for the log
        self.start_attempt()

    def start_attempt(self) -> None:
        """Fresh parameters, optimiser and curriculum for attempt `progress.attempt`; the data
        stream and the step count go on. Attempt 0 is seeded by the seed alone."""
        config, attempt = self.config, self.progress.attempt
        model_key = jax.random.key(config.seed)
        noise_seed = config.seed + 1
        if attempt:
            model_key = jax.random.fold_in(model_key, attempt)
            noise_seed = int(np.random.SeedSequence([config.seed, attempt]).generate_state(1)[0])
        self.model = machine.init(config.machine, model_key)
        self.opt_state = make_optimizer(self.settings, seed=noise_seed).init(
            eqx.filter(self.model, eqx.is_array)
        )
        self.curriculum = Curriculum(
            config.curriculum, self.task.min_difficulty, config.max_difficulty
        )
        self.recent_errors: list[float] = []

    def restart(self) -> None:
        self.progress.attempt += 1
        self.progress.attempt_start = self.progress.last_rise = self.progress.step
        self.start_attempt()

    # checkpoints

    def save(self, name: str) -> None:
        header = {
            "step": self.progress.step,
            "progress": self.progress.__dict__,
            "data_rng": self.data_rng.bit_generator.state,
            "curriculum": self.curriculum.state_dict(),
            "recent_errors": self.recent_errors,
        }
        checkpoint.save(self.run_dir / name, (self.model, self.opt_state), header)

    def restore(self, name: str = "latest.npz") -> None:
        (self.model, self.opt_state), header = checkpoint.load(
            self.run_dir / name, (self.model, self.opt_state)
        )
        progress = dict(header["progress"])
        progress["best"] = tuple(progress["best"])
        self.progress = Progress(**progress)
        self.data_rng.bit_generator.state = header["data_rng"]
        self.curriculum.load_state_dict(header["curriculum"])
        self.recent_errors = list(header["recent_errors"])
        self._truncate_metrics(self.progress.step)

    def _truncate_metrics(self, step: int) -> None:
        """Drop log lines written after the checkpoint: the resumed run writes them again."""
        path = self.run_dir / "metrics.jsonl"
        if path.exists():
            lines = [
                line
                for line in path.read_text().splitlines()
                if line.strip() and json.loads(line)["step"] <= step
            ]
            path.write_text("".join(line + "\n" for line in lines))

    # one step

    @property
    def at_top(self) -> bool:
        return self.curriculum.at_max or not self.config.curriculum.enabled

    def entropy_weight(self) -> float:
        """The paper's decaying bonus; at the top level, once the recent training error is
        below the promotion threshold, a penalty of `entropy.sharpen` instead."""
        settings = self.config.entropy
        fuzzily_right = self.recent_error < self.config.curriculum.threshold
        if settings.sharpen and self.at_top and fuzzily_right:
            return -settings.sharpen
        steps = self.progress.step - self.progress.attempt_start
        return settings.weight * 0.5 ** (steps / settings.half_life)

    def sample(self) -> tuple[tasks.Batch, np.ndarray]:
        difficulties = self.curriculum.sample(self.data_rng, self.config.batch_size)
        batch = self.task.sample_batch(self.data_rng, difficulties, self.config.memory_size)
        horizons = np.array([self.config.horizon(int(d)) for d in difficulties], np.int32)
        return batch, horizons

    def step(self) -> StepMetrics:
        batch, horizons = self.sample()
        self.last_entropy_weight = self.entropy_weight()
        self.model, self.opt_state, metrics = train_step(
            self.model,
            self.opt_state,
            jnp.asarray(batch.memory),
            jnp.asarray(batch.target),
            jnp.asarray(batch.mask),
            jnp.asarray(horizons),
            jnp.asarray(self.last_entropy_weight, jnp.float32),
            self.timesteps,
            self.settings,
        )
        metrics = jax.device_get(metrics)
        self.progress.step += 1
        scored = batch.mask.sum(axis=1)
        example_errors = metrics.wrong / np.maximum(scored, 1)
        if not metrics.finite:
            self.progress.skipped += 1
        elif self.curriculum.record(batch.difficulty, example_errors):
            self.progress.last_rise = self.progress.step
            self.recent_errors = []
        at_level = batch.difficulty == self.curriculum.level
        if at_level.any():
            self.recent_errors = (self.recent_errors + [float(example_errors[at_level].mean())])[
                -10:
            ]
        self._accumulate(metrics, batch, example_errors)
        return metrics

    def _accumulate(self, metrics: StepMetrics, batch: tasks.Batch, errors: np.ndarray) -> None:
        scored = batch.mask.sum()
        values = {
            "loss": float(metrics.loss),
            "nll": float(metrics.nll),
            "entropy": float(metrics.entropy),
            "entropy_weight": self.last_entropy_weight,
            "grad_norm": float(metrics.grad_norm),
            "error": float(metrics.wrong.sum() / max(scored, 1)),
            "exact": float(np.mean(errors == 0)),
        }
        if not metrics.finite:  # report it, but keep NaN out of the averages
            values = {key: 0.0 for key in values}
        for key, value in values.items():
            self.progress.sums[key] = self.progress.sums.get(key, 0.0) + value
        self.progress.count += int(bool(metrics.finite))

    def log_line(self, steps_per_second: float) -> dict[str, Any]:
        count = max(self.progress.count, 1)
        line = {
            "step": self.progress.step,
            "level": self.curriculum.level,
            "attempt": self.progress.attempt,
        }
        line |= {key: value / count for key, value in self.progress.sums.items()}
        line |= {
            "skipped": self.progress.skipped,
            "steps_per_s": steps_per_second,
            "seconds": self.progress.seconds,
        }
        self.progress.sums, self.progress.count = {}, 0
        with open(self.run_dir / "metrics.jsonl", "a") as handle:
            handle.write(json.dumps(line) + "\n")
        return line

    @property
    def recent_error(self) -> float:
        return float(np.mean(self.recent_errors)) if self.recent_errors else math.inf

    def check_solved(self) -> tuple[bool, float]:
        rng = np.random.default_rng([self.config.seed, self.progress.step, 2])
        return evaluate.solved(self.model, self.config, rng, self.config.evaluation.examples)


def _write_json(path: Path, value: Any) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(value, indent=2) + "\n")
    temporary.replace(path)


def train(
    config: TrainConfig,
    run_dir: str | Path,
    *,
    resume: bool = False,
    progress_bar: bool = True,
    on_log: Callable[[dict[str, Any]], None] | None = None,
) -> Result:
    """Train until solved, out of steps or time (`config.max_seconds`), or stuck below the top
    level for `config.patience` steps; a run without progress for `config.restart_after` steps
    starts afresh (new parameters, the curriculum from the bottom). Ctrl-C saves a checkpoint
    and returns (reason "interrupted")."""
    run_dir = Path(run_dir)
    if resume:
        if not (run_dir / "latest.npz").exists():
            raise RunError(f"nothing to resume in {run_dir}: no latest.npz there")
    elif run_dir.exists() and any(run_dir.iterdir()):
        raise RunError(
            f"{run_dir} exists and is not empty; use --resume to continue it, "
            "or choose another --run-dir"
        )
    run_dir.mkdir(parents=True, exist_ok=True)
    trainer = Trainer(config, run_dir)
    if resume:
        trainer.restore()
    _write_json(run_dir / "config.json", configuration.as_dict(config))

    bar = None
    if progress_bar:
        from tqdm import tqdm

        bar = tqdm(
            total=config.steps, initial=trainer.progress.step, dynamic_ncols=True, desc=config.task
        )
    started = time.perf_counter()
    window_start, window_steps = started, 0
    reason, worst = "steps", math.inf
    try:
        while trainer.progress.step < config.steps:
            metrics = trainer.step()
            window_steps += 1
            now = time.perf_counter()
            trainer.progress.seconds += now - started
            started = now
            step = trainer.progress.step
            if not metrics.finite:
                message = f"step {step}: loss or gradient is not finite; update skipped"
                (bar.write if bar else print)(message)
                if trainer.progress.skipped >= 100:
                    reason = "diverged"
                    break
            if step % config.log_every == 0:
                speed = window_steps / max(now - window_start, 1e-9)
                line = trainer.log_line(speed)
                window_start, window_steps = now, 0
                if bar:
                    bar.set_postfix(
                        loss=f"{line.get('loss', 0):.3f}",
                        err=f"{line.get('error', 0):.3f}",
                        level=line["level"],
                        refresh=False,
                    )
                    bar.update(step - bar.n)
                if on_log:
                    on_log(line)
            top = trainer.at_top
            if top and step % config.evaluation.every == 0 and trainer.recent_error == 0.0:
                done, worst = trainer.check_solved()
                if done:
                    reason = "solved"
                    break
            stuck = step - trainer.progress.last_rise  # steps without a promotion or a solve
            if config.restart_after and stuck >= config.restart_after:
                message = (
                    f"step {step}: no progress at level {trainer.curriculum.level} for {stuck} "
                    f"steps; fresh parameters, attempt {trainer.progress.attempt + 2}"
                )
                (bar.write if bar else print)(message)
                trainer.restart()
            elif config.patience and stuck >= config.patience and not top:
                reason = "plateau"
                break
            if config.max_seconds and trainer.progress.seconds >= config.max_seconds:
                reason = "time"
                break
            if step % config.checkpoint_every == 0:
                trainer.save("latest.npz")
                score = (trainer.curriculum.level, -trainer.recent_error)
                if score > (trainer.progress.best[0], -trainer.progress.best[1]):
                    trainer.progress.best = (trainer.curriculum.level, trainer.recent_error)
                    trainer.save("best.npz")
    except KeyboardInterrupt:
        reason = "interrupted"
    finally:
        if bar:
            bar.close()
    if trainer.progress.count and reason != "interrupted":
        trainer.log_line(0.0)  # the last, partial interval; an interrupted run keeps its sums
    trainer.save("latest.npz")
    if reason == "solved":
        trainer.progress.best = (trainer.curriculum.level, 0.0)
        trainer.save("best.npz")
    elif not (run_dir / "best.npz").exists():
        trainer.save("best.npz")
    result = Result(
        solved=reason == "solved",
        reason=reason,
        step=trainer.progress.step,
        seconds=trainer.progress.seconds,
        level=trainer.curriculum.level,
        error=worst if math.isfinite(worst) else trainer.recent_error,
        restarts=trainer.progress.attempt,
    )
    _write_json(run_dir / "result.json", result.as_dict())
    return result


def read_config(run_dir: str | Path) -> TrainConfig:
    config_path = Path(run_dir) / "config.json"
    if not config_path.exists():
        raise RunError(f"{run_dir} is not a run directory: no config.json there")
    return configuration.from_dict(json.loads(config_path.read_text()))


def load_model(run_dir: str | Path, which: str = "best") -> tuple[NRAM, TrainConfig]:
    """The trained model of a run directory (best.npz by default) and its config."""
    run_dir = Path(run_dir)
    config = read_config(run_dir)
    trainer = Trainer(config, run_dir)
    # The model only: how the optimiser's state is laid out does not matter for using it.
    model, _ = checkpoint.load(run_dir / f"{which}.npz", trainer.model, leading=True)
    return model, config
