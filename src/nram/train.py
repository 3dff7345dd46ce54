"""Training: the paper's techniques around one jitted step, with logs, checkpoints and resume.

One step: sample difficulties from the curriculum, sample a batch, run the machine, take the
gradient of expected NLL - lambda_t * entropy (activation gradients clipped to [-C1, C1]
inside backpropagation; lambda_t decays, and turns into a penalty once the top level is
fuzzily right: `Trainer.entropy_weight`), then global-norm clip (C2), gradient noise, Adam.
A step whose loss or gradient is not finite is reported and skipped: the parameters and
optimiser state stay.

`train` repeats that step, logs, checks whether the model is solved, restarts an attempt
that is stuck, and checkpoints, until `stop_reason` says why it ends. Solved means error 0 at
every difficulty up to the maximum, fuzzy and discretised, and at the stretched sizes
(`evaluate.solved`). The files a run writes: `nram.rundir`.
"""

from __future__ import annotations

import enum
import math
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax import Array

from nram import checkpoint, evaluate, loss, machine, tasks
from nram.config import TrainConfig, validate
from nram.curriculum import Curriculum
from nram.machine import NRAM
from nram.rundir import RunDirectory
from nram.status import StatusLine

RECENT_ERRORS = 10  # batches at the current level whose training error `recent_error` averages
MAX_SKIPPED_STEPS = 100  # non-finite steps skipped before a run stops as "diverged"
# How a run ends for good; "interrupted" is not among them (the run resumes from latest.npz).
FINAL_REASONS = frozenset({"solved", "steps", "time", "plateau", "diverged", "pruned"})


class Stream(enum.IntEnum):
    """The independent random streams of one seed (`random_stream`)."""

    DATA = 1  # the training batches
    SOLVED_CHECK = 2  # the solved check's fresh examples, one stream per step
    GENERALISATION = 3  # a sweep's examples beyond the training sizes, one per difficulty


def random_stream(seed: int, stream: Stream, *keys: int) -> np.random.Generator:
    return np.random.default_rng([seed, *keys, int(stream)])


# --- the jitted step ---------------------------------------------------------------------


class StepBatch(NamedTuple):
    """What one step trains on: a batch of examples, each with its own horizon."""

    memory: Array  # int (B, M): the initial memories
    target: Array  # int (B, M): the expected final value of each scored cell
    mask: Array  # bool (B, M): the scored cells
    horizon: Array  # int (B,): each example's T(n)

    @staticmethod
    def of(batch: tasks.Batch, horizons: np.ndarray) -> StepBatch:
        return StepBatch(
            jnp.asarray(batch.memory),
            jnp.asarray(batch.target),
            jnp.asarray(batch.mask),
            jnp.asarray(horizons),
        )


class StepMetrics(NamedTuple):
    loss: Array  # the objective: mean NLL - lambda_t * mean entropy
    nll: Array  # mean expected NLL per example
    entropy: Array  # mean selector entropy per example-step
    wrong: Array  # (B,) wrong scored cells per example (fuzzy read-out)
    grad_norm: Array
    finite: Array  # False: the update was skipped


@dataclass(frozen=True)
class StepSettings:
    """All that the jitted step depends on besides the model and the batch: equal settings
    share one compiled step, across trainers in one process (tests, sweeps)."""

    lr: float
    global_norm: float | None
    noise_eta: float
    noise_gamma: float
    numerics: machine.Numerics
    loss: str
    log_eps: float
    timesteps: int  # the scan's length: the horizon of the top difficulty

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
            timesteps=config.horizon(config.max_difficulty),
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
    model: NRAM, batch: StepBatch, entropy_weight: Array, settings: StepSettings
) -> tuple[Array, tuple[Array, Array, Array]]:
    """Mean expected NLL - entropy_weight * mean selector entropy, and (nll, entropy, wrong
    cells). The weight is an argument, not a setting: the trainer's schedule sets it."""
    outcome = machine.run_batch(
        model,
        batch.memory,
        batch.target,
        batch.horizon,
        timesteps=settings.timesteps,
        numerics=settings.numerics,
    )
    nll = jax.vmap(
        lambda o, m: loss.negative_log_likelihood(o, m, kind=settings.loss, eps=settings.log_eps)
    )(outcome, batch.mask)
    mean_entropy = jnp.sum(outcome.entropy) / jnp.sum(batch.horizon)
    wrong = jax.vmap(loss.wrong_cells)(outcome, batch.target, batch.mask)
    value = jnp.mean(nll) - entropy_weight * mean_entropy
    return value, (jnp.mean(nll), mean_entropy, wrong)


@eqx.filter_jit
def train_step(
    model: NRAM,
    opt_state: optax.OptState,
    batch: StepBatch,
    entropy_weight: Array,
    settings: StepSettings,
) -> tuple[NRAM, optax.OptState, StepMetrics]:
    """One update. `settings` is static: it picks the compiled step."""
    (value, (nll, mean_entropy, wrong)), grads = eqx.filter_value_and_grad(objective, has_aux=True)(
        model, batch, entropy_weight, settings
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
    hardened: bool = False  # the attempt's controller sees rounded inputs (`harden_inputs`)
    skipped: int = 0  # non-finite steps skipped
    sums: dict[str, float] = field(default_factory=dict)  # metrics accumulated since last log
    count: int = 0


@dataclass
class Result:
    solved: bool
    reason: str  # "interrupted", or one of FINAL_REASONS
    step: int
    seconds: float
    level: int
    error: float  # worst error of the last solved-check, or recent training error
    restarts: int = 0  # times the run started afresh (`restart_after`)

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def restart_due(config: TrainConfig, progress: Progress) -> bool:
    """The attempt has had no promotion or solve for `restart_after` steps (0: never)."""
    stuck = progress.step - progress.last_rise
    return bool(config.restart_after) and stuck >= config.restart_after


def stop_reason(
    config: TrainConfig, progress: Progress, *, solved: bool, at_top: bool
) -> str | None:
    """Why training ends after this step, or None to go on."""
    if progress.skipped >= MAX_SKIPPED_STEPS:
        return "diverged"
    if solved:
        return "solved"
    stuck = progress.step - progress.last_rise
    # Below the top level with no promotion for `patience` steps, and no restart due.
    if config.patience and stuck >= config.patience and not at_top:
        if not restart_due(config, progress):
            return "plateau"
    if config.max_seconds and progress.seconds >= config.max_seconds:
        return "time"
    if progress.step >= config.steps:
        return "steps"
    return None


def initial_model(config: TrainConfig, key: Array) -> NRAM:
    """An attempt's first parameters: random (`machine.init`), or `init.program`'s network
    with its noise drawn from `key`."""
    if not config.init.program:
        return machine.init(config.machine, key)
    from nram import discrete, programs

    table = programs.get(config.init.program).table
    model = discrete.mlp_model(table, config.machine, config.init.margin)
    if not config.init.perturb:
        return model
    parameters, static = eqx.partition(model, eqx.is_array)
    leaves, tree = jax.tree_util.tree_flatten(parameters)
    noise = jax.random.split(key, len(leaves))
    leaves = [
        leaf + config.init.perturb * jax.random.normal(k, leaf.shape, leaf.dtype)
        for leaf, k in zip(leaves, noise, strict=True)
    ]
    return eqx.combine(jax.tree_util.tree_unflatten(tree, leaves), static)


class Trainer:
    """One run: model, optimiser, data stream and curriculum, with its run directory."""

    def __init__(self, config: TrainConfig, run_dir: str | Path):
        self.config = config
        self.run = RunDirectory(run_dir)
        self.task = tasks.get(config.task)
        self.settings = StepSettings.of(config)
        self.hard_settings = replace(
            self.settings,
            numerics=replace(self.settings.numerics, round_inputs=True),
        )
        self.data_rng = random_stream(config.seed, Stream.DATA)
        self.progress = Progress()
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
        self.model = initial_model(config, model_key)
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
        self.progress.hardened = False
        self.start_attempt()

    def harden_due(self) -> bool:
        """`numerics.harden_inputs`, the controller still sees soft inputs, and the attempt is
        exact fuzzily at every training difficulty (fresh examples; asked when the solved
        check fails)."""
        if not self.config.numerics.harden_inputs or self.progress.hardened:
            return False
        if not (self.at_top and self.recent_error == 0.0):
            return False
        rng = random_stream(self.config.seed, Stream.SOLVED_CHECK, self.progress.step)
        return evaluate.fuzzily_right(self.model, self.config, rng, self.config.evaluation.examples)

    def harden(self) -> None:
        """From now on the controller sees rounded inputs; counted as progress, so the attempt
        has `restart_after` steps to become right with them."""
        self.progress.hardened = True
        self.progress.last_rise = self.progress.step

    # checkpoints

    def save(self, which: str) -> None:
        """Write checkpoint `which` ("latest" or "best"): the arrays and everything a resumed
        run needs to continue exactly."""
        header = {
            "step": self.progress.step,
            "progress": self.progress.__dict__,
            "data_rng": self.data_rng.bit_generator.state,
            "curriculum": self.curriculum.state_dict(),
            "recent_errors": self.recent_errors,
        }
        checkpoint.save(self.run.checkpoint(which), (self.model, self.opt_state), header)

    def restore(self, which: str = "latest") -> None:
        (self.model, self.opt_state), header = checkpoint.load(
            self.run.checkpoint(which), (self.model, self.opt_state)
        )
        progress = dict(header["progress"])
        progress["best"] = tuple(progress["best"])
        self.progress = Progress(**progress)
        self.data_rng.bit_generator.state = header["data_rng"]
        self.curriculum.load_state_dict(header["curriculum"])
        self.recent_errors = list(header["recent_errors"])

    def resume(self) -> None:
        """Go on from latest.npz. A run stopped before its first checkpoint starts again from
        step 0: its config.json, written first, is all it needs (training is deterministic)."""
        self.run.check_resumable()
        if self.run.checkpoint("latest").exists():
            self.restore()
        self.run.truncate_metrics(self.progress.step)  # the resumed run logs those lines again

    def checkpoint(self) -> None:
        """latest.npz, and best.npz too if this is the highest level, then the lowest recent
        error, so far."""
        self.update_best()
        self.save("latest")

    def update_best(self) -> None:
        level, error = self.curriculum.level, self.recent_error
        if (level, -error) > (self.progress.best[0], -self.progress.best[1]):
            self.progress.best = (level, error)
            self.save("best")

    def save_final(self, reason: str) -> None:
        """The last checkpoints: best.npz is a solved run's final model, else the best so far
        (an interrupted run keeps the one it has); there is always one."""
        if reason == "solved":
            self.progress.best = (self.curriculum.level, 0.0)
            self.save("best")
        elif reason != "interrupted":
            self.update_best()
        if not self.run.checkpoint("best").exists():
            self.save("best")
        self.save("latest")

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

    def sample(self) -> tuple[tasks.Batch, StepBatch]:
        """The next batch, as the task made it (host arrays) and as the step takes it."""
        difficulties = self.curriculum.sample(self.data_rng, self.config.batch_size)
        batch = self.task.sample_batch(self.data_rng, difficulties, self.config.memory_size)
        horizons = np.array([self.config.horizon(int(d)) for d in difficulties], np.int32)
        return batch, StepBatch.of(batch, horizons)

    def step(self) -> StepMetrics:
        batch, step_batch = self.sample()
        self.last_entropy_weight = self.entropy_weight()
        self.model, self.opt_state, metrics = train_step(
            self.model,
            self.opt_state,
            step_batch,
            jnp.asarray(self.last_entropy_weight, jnp.float32),
            self.hard_settings if self.progress.hardened else self.settings,
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
        at_level = self.curriculum.at_level(batch.difficulty)
        if at_level.any():
            recent = self.recent_errors + [float(example_errors[at_level].mean())]
            self.recent_errors = recent[-RECENT_ERRORS:]
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
        """Append the averages since the last line to metrics.jsonl, and return them."""
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
        self.run.append_metrics(line)
        return line

    @property
    def recent_error(self) -> float:
        return float(np.mean(self.recent_errors)) if self.recent_errors else math.inf

    def check_solved(self) -> tuple[bool, float]:
        rng = random_stream(self.config.seed, Stream.SOLVED_CHECK, self.progress.step)
        return evaluate.solved(self.model, self.config, rng, self.config.evaluation.examples)


# --- the loop -----------------------------------------------------------------------------


def train(
    config: TrainConfig,
    run_dir: str | Path,
    *,
    resume: bool = False,
    continue_solved: bool = False,
    progress_bar: bool = True,
    on_log: Callable[[dict[str, Any]], str | None] | None = None,
) -> Result:
    """Train until `stop_reason` gives a reason. Ctrl-C ends the run at the end of the step it
    lands in, with a checkpoint, and returns (reason "interrupted"); a second Ctrl-C raises
    KeyboardInterrupt at once, and the run resumes from its last checkpoint. Resuming a solved
    run changes nothing and returns its result, unless `continue_solved`. `on_log` gets every
    line written to metrics.jsonl, and may stop the run by returning a reason (a sweep's
    scheduler returns "pruned"); `progress_bar` shows the run's status line on stderr
    (`nram.status`)."""
    config = validate(config)  # a config built in Python, too
    trainer = Trainer(config, run_dir)
    run = trainer.run
    if resume:
        ended = run.read_result()
        if ended and ended["solved"] and not continue_solved:
            print(
                f"{run} is solved (at step {ended['step']}): nothing changed; "
                "nram train --resume RUN --continue trains it on",
                file=sys.stderr,
            )
            return Result(**ended)
        trainer.resume()
    else:
        run.create()
    run.write_config(config)
    status = StatusLine(config.task, config.max_difficulty, sys.stderr if progress_bar else None)
    status.doing("compiling the training step")

    clock = window_start = time.perf_counter()
    window_steps = 0
    # A resumed run may have nothing left to do (its steps or its time spent).
    reason = stop_reason(config, trainer.progress, solved=False, at_top=trainer.at_top)
    worst = math.inf
    interrupted = threading.Event()
    put_back_ctrl_c = defer_ctrl_c(interrupted)
    try:
        while reason is None:
            # Step: one batch, one update (skipped if its loss or gradient is not finite).
            metrics = trainer.step()
            now = time.perf_counter()
            trainer.progress.seconds += now - clock
            clock, window_steps = now, window_steps + 1
            step = trainer.progress.step
            if not metrics.finite:
                status.message(f"step {step}: loss or gradient is not finite; update skipped")

            # Log: the averages over the last `log_every` steps.
            told_to_stop = None
            if step % config.log_every == 0:
                line = trainer.log_line(window_steps / max(now - window_start, 1e-9))
                window_start, window_steps = now, 0
                status.update(line, trainer.recent_error)
                if on_log:
                    told_to_stop = on_log(line)

            # Solved? Checked every `evaluation.every` steps once the top level is right.
            at_top, solved = trainer.at_top, False
            if at_top and step % config.evaluation.every == 0 and trainer.recent_error == 0.0:
                status.doing(f"checking solved at n = {evaluate.describe_solved_checks(config)}")
                solved, worst = trainer.check_solved()
                status.checked(step, solved, worst)
                # Right fuzzily at the training sizes, yet not solved: rounded inputs from now on.
                if not solved and trainer.harden_due():
                    status.message(
                        f"step {step}: right fuzzily; the controller now sees rounded inputs"
                    )
                    trainer.harden()

            # Stop, or restart an attempt that has made no progress for `restart_after` steps.
            reason = stop_reason(config, trainer.progress, solved=solved, at_top=at_top)
            reason = reason or told_to_stop
            if reason is None and restart_due(config, trainer.progress):
                status.message(
                    f"step {step}: no progress at level {trainer.curriculum.level} for "
                    f"{step - trainer.progress.last_rise} steps; fresh parameters, attempt "
                    f"{trainer.progress.attempt + 2}"
                )
                trainer.restart()

            # Checkpoint every `checkpoint_every` steps (and at the end, below).
            if reason is None and step % config.checkpoint_every == 0:
                trainer.checkpoint()

            # Ctrl-C: stop here, between two steps, where the state is whole.
            if reason is None and interrupted.is_set():
                reason = "interrupted"
    finally:
        put_back_ctrl_c()
        status.close()

    if trainer.progress.count and reason != "interrupted":
        trainer.log_line(0.0)  # the last, partial interval; an interrupted run keeps its sums
    trainer.save_final(reason)
    result = Result(
        solved=reason == "solved",
        reason=reason,
        step=trainer.progress.step,
        seconds=trainer.progress.seconds,
        level=trainer.curriculum.level,
        error=worst if math.isfinite(worst) else trainer.recent_error,
        restarts=trainer.progress.attempt,
    )
    run.write_result(result.as_dict())
    return result


def defer_ctrl_c(interrupted: threading.Event) -> Callable[[], None]:
    """Make Ctrl-C (SIGINT) set `interrupted` instead of raising KeyboardInterrupt, so that the
    loop stops between two steps: raised mid-step, it could leave the next batch drawn but
    not trained on, and the resumed run would differ. A second Ctrl-C raises at once. Returns
    what puts the previous handler back. Signals reach the main thread only: elsewhere,
    Ctrl-C keeps its usual effect."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def defer(signum: int, frame: Any) -> None:
        if interrupted.is_set():
            raise KeyboardInterrupt
        interrupted.set()

    previous = signal.signal(signal.SIGINT, defer)
    if previous is None:  # a handler set outside Python: the default is the nearest
        previous = signal.SIG_DFL
    return lambda: signal.signal(signal.SIGINT, previous)


def load_model(
    run_dir: str | Path, which: str = "best", plugins: list[str] | tuple[str, ...] = ()
) -> tuple[NRAM, TrainConfig]:
    """The trained model of a run directory (best.npz by default) and its config; `plugins`,
    if any, in place of the plugin files the run recorded (they may have moved)."""
    run = RunDirectory(run_dir)
    config = run.read_config(plugins)
    template = machine.init(config.machine, jax.random.key(config.seed))
    # The model only: how the optimiser's state is laid out does not matter for using it.
    model, _ = checkpoint.load(run.checkpoint(which), template, leading=True)
    return model, config
