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
(`evaluate.solved`). With `parallel_attempts` = K, K attempts train side by side in one
vmapped step (`side_by_side_step`), each with its own curriculum and restarts, and the run is
solved when one of them is. The files a run writes: `nram.rundir`.
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
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax import Array

from nram import checkpoint, evaluate, loss, machine, tasks
from nram.config import Horizon, TrainConfig, validate
from nram.curriculum import Curriculum
from nram.errors import CheckpointError, ConfigError
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
    INPUT_NOISE = 4  # `numerics.input_noise`, one stream per step


def random_stream(seed: int, stream: Stream, *keys: int) -> np.random.Generator:
    return np.random.default_rng([seed, *keys, int(stream)])


# --- the jitted step ---------------------------------------------------------------------


class StepBatch(NamedTuple):
    """What one step trains on: a batch of examples, each with its own horizon."""

    memory: Array  # int (B, M): the initial memories
    target: Array  # int (B, M): the expected final value of each scored cell
    mask: Array  # bool (B, M): the scored cells
    horizon: Array  # int (B,): each example's T(n)
    input_noise: Array | None = None  # float (B, T, R): added to the controller's inputs

    @staticmethod
    def stacked(batches: list[tasks.Batch], horizons: list[Callable[[int], int]]) -> StepBatch:
        """One batch per attempt trained side by side, each example of batch k with its T(n) =
        `horizons[k](n)`: every field gains a leading axis."""
        steps = [[h(int(n)) for n in b.difficulty] for b, h in zip(batches, horizons, strict=True)]
        return StepBatch(
            jnp.asarray(np.stack([batch.memory for batch in batches])),
            jnp.asarray(np.stack([batch.target for batch in batches])),
            jnp.asarray(np.stack([batch.mask for batch in batches])),
            jnp.asarray(np.array(steps, np.int32)),
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
    model: NRAM,
    batch: StepBatch,
    entropy_weight: Array,
    round_inputs: Array,
    settings: StepSettings,
) -> tuple[Array, tuple[Array, Array, Array]]:
    """Mean expected NLL - entropy_weight * mean selector entropy, and (nll, entropy, wrong
    cells). The weight and `round_inputs` (`machine.run`) are arguments, not settings: the
    trainer sets them step by step."""
    outcome = machine.run_batch(
        model,
        batch.memory,
        batch.target,
        batch.horizon,
        batch.input_noise,
        timesteps=settings.timesteps,
        numerics=settings.numerics,
        round_inputs=round_inputs,
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
    round_inputs: Array,
    settings: StepSettings,
) -> tuple[NRAM, optax.OptState, StepMetrics]:
    """One update. `settings` is static: it picks the compiled step."""
    (value, (nll, mean_entropy, wrong)), grads = eqx.filter_value_and_grad(objective, has_aux=True)(
        model, batch, entropy_weight, round_inputs, settings
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


@eqx.filter_jit
def side_by_side_step(
    models: NRAM,
    opt_states: optax.OptState,
    batch: StepBatch,
    entropy_weights: Array,
    round_inputs: Array,
    settings: StepSettings,
) -> tuple[NRAM, optax.OptState, StepMetrics]:
    """`train_step` for K attempts side by side: every argument but `settings`, and every
    result, has a leading axis of K. One attempt takes the plain step, not vmap's: vmap's
    batched products round differently, and a run of one attempt stays bit for bit the run it
    always was."""
    if batch.memory.shape[0] == 1:
        first = partial(pick, index=0)
        result = train_step(
            first(models),
            first(opt_states),
            first(batch),
            entropy_weights[0],
            round_inputs[0],
            settings,
        )
        return stack([result])
    return eqx.filter_vmap(train_step)(
        models, opt_states, batch, entropy_weights, round_inputs, settings
    )


def pick(tree: Any, index: int) -> Any:
    """Attempt `index` of a pytree stacked along a leading axis (`stack`)."""
    return jax.tree_util.tree_map(lambda x: x[index] if eqx.is_array(x) else x, tree)


def stack(trees: list[Any]) -> Any:
    """Pytrees of one structure stacked along a new leading axis, one per attempt; what is
    not an array (an activation function, say) is the first tree's."""
    return jax.tree_util.tree_map(
        lambda *xs: jnp.stack(xs) if eqx.is_array(xs[0]) else xs[0], *trees
    )


# --- host-side state ----------------------------------------------------------------------


@dataclass
class Progress:
    """Everything besides arrays and attempts that a resumed run needs to continue exactly."""

    step: int = 0
    seconds: float = 0.0  # training wall time, summed over sessions
    best: tuple[int, float] = (0, math.inf)  # (level, recent error) of best.npz
    last_rise: int = 0  # step of the last promotion, restart or hardening of any attempt
    attempt: int = 0  # the number of the latest attempt begun (attempts are numbered from 0)
    skipped: int = 0  # non-finite steps skipped (one per attempt whose update was skipped)
    sums: dict[str, float] = field(default_factory=dict)  # metrics accumulated since last log
    count: int = 0


@dataclass
class Attempt:
    """One attempt in progress: what of it lives on the host (its parameters and optimiser
    state are one slice of the trainer's stacked arrays)."""

    number: int  # attempt `number` starts from parameters seeded by (seed, number)
    start: int  # the step it began at
    last_rise: int  # its last promotion, or its start or hardening
    curriculum: Curriculum
    hardened: bool = False  # its controller sees rounded inputs (`harden_inputs`)
    recent_errors: list[float] = field(default_factory=list)

    @property
    def recent_error(self) -> float:
        return float(np.mean(self.recent_errors)) if self.recent_errors else math.inf

    @property
    def at_top(self) -> bool:
        return self.curriculum.at_max or not self.curriculum.config.enabled

    def state_dict(self) -> dict[str, Any]:
        state = {key: value for key, value in self.__dict__.items() if key != "curriculum"}
        return state | {"curriculum": self.curriculum.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for key, value in state.items():
            if key == "curriculum":
                self.curriculum.load_state_dict(value)
            else:
                setattr(self, key, value)


@dataclass
class Result:
    solved: bool
    reason: str  # "interrupted", or one of FINAL_REASONS
    step: int
    seconds: float
    level: int
    error: float  # worst error of the last solved-check, or recent training error
    restarts: int = 0  # times an attempt started afresh (`restart_after`)

    def as_dict(self) -> dict[str, Any]:
        """As result.json holds it: an error not known yet (inf: the run ended on a promotion,
        before a batch at the new level) is null, as JSON has no infinity."""
        return self.__dict__ | {"error": self.error if math.isfinite(self.error) else None}


def restart_due(config: TrainConfig, last_rise: int, step: int) -> bool:
    """No promotion or solve since step `last_rise`, for `restart_after` steps (0: never)."""
    return bool(config.restart_after) and step - last_rise >= config.restart_after


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
        if not restart_due(config, progress.last_rise, progress.step):
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
    return perturb(model, config.init.perturb, key) if config.init.perturb else model


def perturb(model: NRAM, scale: float, key: Array) -> NRAM:
    """`model` with Gaussian noise of standard deviation `scale` on every weight, drawn from
    `key`."""
    parameters, static = eqx.partition(model, eqx.is_array)
    leaves, tree = jax.tree_util.tree_flatten(parameters)
    noise = jax.random.split(key, len(leaves))
    leaves = [
        leaf + scale * jax.random.normal(k, leaf.shape, leaf.dtype)
        for leaf, k in zip(leaves, noise, strict=True)
    ]
    return eqx.combine(jax.tree_util.tree_unflatten(tree, leaves), static)


class Trainer:
    """One run: `parallel_attempts` attempts (models, optimisers, curricula) stacked, one data
    stream, and the run directory."""

    def __init__(self, config: TrainConfig, run_dir: str | Path):
        self.config = config
        self.run = RunDirectory(run_dir)
        self.task = tasks.get(config.task)
        self.settings = StepSettings.of(config)
        self.data_rng = random_stream(config.seed, Stream.DATA)
        count = config.parallel_attempts
        self.progress = Progress(attempt=count - 1)
        fresh = [self.fresh_parameters(number) for number in range(count)]
        self.models = stack([model for model, _ in fresh])
        self.opt_states = stack([opt_state for _, opt_state in fresh])
        self.attempts = [self.new_attempt(number) for number in range(count)]
        self.solved_by: int | None = None  # the attempt that passed the solved check
        self.last_entropy_weights = [0.0] * count  # the weights the latest step used

    def fresh_parameters(self, number: int) -> tuple[NRAM, optax.OptState]:
        """Attempt `number`'s first parameters and optimiser state; attempt 0 is seeded by the
        seed alone."""
        config = self.config
        model_key = jax.random.key(config.seed)
        noise_seed = config.seed + 1
        if number:
            model_key = jax.random.fold_in(model_key, number)
            noise_seed = int(np.random.SeedSequence([config.seed, number]).generate_state(1)[0])
        model = initial_model(config, model_key)
        opt_state = make_optimizer(self.settings, seed=noise_seed).init(
            eqx.filter(model, eqx.is_array)
        )
        return model, opt_state

    def new_attempt(self, number: int) -> Attempt:
        curriculum = Curriculum(
            self.config.curriculum, self.task.min_difficulty, self.config.max_difficulty
        )
        step = self.progress.step
        return Attempt(number=number, start=step, last_rise=step, curriculum=curriculum)

    def model(self, index: int = 0) -> NRAM:
        """The parameters of attempt `index` (of those in progress)."""
        return pick(self.models, index)

    def restart(self, index: int) -> None:
        """Attempt `index` gives way to a fresh one, with the next number; the data stream and
        the step count go on."""
        self.progress.attempt += 1
        self.progress.last_rise = self.progress.step
        model, opt_state = self.fresh_parameters(self.progress.attempt)
        put = lambda stacked, new: stacked.at[index].set(new) if eqx.is_array(stacked) else stacked
        self.models = jax.tree_util.tree_map(put, self.models, model)
        self.opt_states = jax.tree_util.tree_map(put, self.opt_states, opt_state)
        self.attempts[index] = self.new_attempt(self.progress.attempt)

    def harden_due(self, index: int) -> bool:
        """`numerics.harden_inputs`, attempt `index`'s controller still sees soft inputs, and
        it is exact fuzzily at every training difficulty (fresh examples; asked when the
        solved check fails)."""
        attempt = self.attempts[index]
        if not self.config.numerics.harden_inputs or attempt.hardened:
            return False
        if not (attempt.at_top and attempt.recent_error == 0.0):
            return False
        rng = random_stream(self.config.seed, Stream.SOLVED_CHECK, self.progress.step)
        return evaluate.fuzzily_right(
            self.model(index), self.config, rng, self.config.evaluation.examples
        )

    def harden(self, index: int) -> None:
        """From now on attempt `index`'s controller sees rounded inputs; counted as progress,
        so the attempt has `restart_after` steps to become right with them."""
        attempt = self.attempts[index]
        attempt.hardened = True
        attempt.last_rise = self.progress.last_rise = self.progress.step

    def leader(self) -> int:
        """The attempt at the highest level with, among those, the lowest recent error."""
        return max(
            range(len(self.attempts)),
            key=lambda k: (self.attempts[k].curriculum.level, -self.attempts[k].recent_error),
        )

    # checkpoints

    def save(self, which: str) -> None:
        """Write checkpoint `which` ("latest"): every attempt in progress and everything a
        resumed run needs to continue exactly."""
        header = {
            "step": self.progress.step,
            "progress": self.progress.__dict__,
            "data_rng": self.data_rng.bit_generator.state,
            "attempts": [attempt.state_dict() for attempt in self.attempts],
            "lead": self.leader(),
        }
        checkpoint.save(self.run.checkpoint(which), (self.models, self.opt_states), header)

    def save_model(self, which: str, index: int) -> None:
        """Write checkpoint `which` ("best"): attempt `index`'s model and optimiser state."""
        attempt = self.attempts[index]
        header = {"step": self.progress.step, "attempt": attempt.number, "lead": 0}
        tree = (self.model(index), pick(self.opt_states, index))
        checkpoint.save(self.run.checkpoint(which), tree, header)

    def restore(self, which: str = "latest") -> None:
        path = self.run.checkpoint(which)
        if "attempts" not in checkpoint.read_header(path):
            raise CheckpointError(
                f"{path} was written by an nram before attempts side by side; it cannot be "
                "resumed by this version (its best.npz still loads for eval and trace)"
            )
        (self.models, self.opt_states), header = checkpoint.load(
            path, (self.models, self.opt_states)
        )
        progress = dict(header["progress"])
        progress["best"] = tuple(progress["best"])
        self.progress = Progress(**progress)
        self.data_rng.bit_generator.state = header["data_rng"]
        for attempt, state in zip(self.attempts, header["attempts"], strict=True):
            attempt.load_state_dict(state)

    def resume(self) -> None:
        """Go on from latest.npz. A run stopped before its first checkpoint starts again from
        step 0: its config.json, written first, is all it needs (training is deterministic)."""
        self.run.check_resumable()
        if self.run.checkpoint("latest").exists():
            self.restore()
        self.run.truncate_metrics(self.progress.step)  # the resumed run logs those lines again

    def checkpoint(self) -> None:
        """latest.npz, and best.npz too if the leading attempt is at the highest level, then
        the lowest recent error, so far."""
        self.update_best()
        self.save("latest")

    def update_best(self) -> None:
        index = self.leader()
        level, error = self.attempts[index].curriculum.level, self.attempts[index].recent_error
        if (level, -error) > (self.progress.best[0], -self.progress.best[1]):
            self.progress.best = (level, error)
            self.save_model("best", index)

    def save_final(self, reason: str) -> None:
        """The last checkpoints: best.npz is a solved run's final model, else the best so far
        (an interrupted run keeps the one it has); there is always one."""
        if reason == "solved" and self.solved_by is not None:
            self.progress.best = (self.attempts[self.solved_by].curriculum.level, 0.0)
            self.save_model("best", self.solved_by)
        elif reason != "interrupted":
            self.update_best()
        if not self.run.checkpoint("best").exists():
            self.save_model("best", self.leader())
        self.save("latest")

    # one step

    @property
    def at_top(self) -> bool:
        return any(attempt.at_top for attempt in self.attempts)

    @property
    def level(self) -> int:
        """The highest curriculum level of the attempts in progress."""
        return max(attempt.curriculum.level for attempt in self.attempts)

    def entropy_weight(self, attempt: Attempt) -> float:
        """The paper's decaying bonus; at the top level, once the recent training error is
        below the promotion threshold, a penalty of `entropy.sharpen` instead."""
        settings = self.config.entropy
        fuzzily_right = attempt.recent_error < self.config.curriculum.threshold
        if settings.sharpen and attempt.at_top and fuzzily_right:
            return -settings.sharpen
        steps = self.progress.step - attempt.start
        return settings.weight * 0.5 ** (steps / settings.half_life)

    def sample(self) -> tuple[list[tasks.Batch], StepBatch]:
        """The next batch of each attempt: as the task made them (host arrays) and as the step
        takes them."""
        batches = self.draw()
        horizons = [self.horizon(attempt) for attempt in self.attempts]
        step_batch = StepBatch.stacked(batches, horizons)
        if self.config.numerics.input_noise > 0:  # its own stream: the same data as without
            rng = random_stream(self.config.seed, Stream.INPUT_NOISE, self.progress.step)
            shape = (len(batches), self.config.batch_size, self.step_settings().timesteps)
            noise = rng.normal(
                0.0, self.config.numerics.input_noise, shape + (self.config.machine.registers,)
            )
            step_batch = step_batch._replace(input_noise=jnp.asarray(noise, jnp.float32))
        return batches, step_batch

    def draw(self) -> list[tasks.Batch]:
        """The next batch of each attempt, in turn from the one data stream."""
        return [self.sample_for(attempt, self.data_rng) for attempt in self.attempts]

    def horizon(self, attempt: Attempt) -> Horizon:
        """The horizon of `attempt`'s training examples: the climb's below the top level."""
        return self.config.horizon if attempt.at_top else self.config.horizon.climbing()

    def step_settings(self) -> StepSettings:
        """The step's settings: the scan runs the longest horizon in use, which is the climb's
        while no attempt is at the top (one compiled step for each)."""
        top = self.config.max_difficulty
        timesteps = max(self.horizon(attempt)(top) for attempt in self.attempts)
        return replace(self.settings, timesteps=timesteps)

    def sample_for(self, attempt: Attempt, rng: np.random.Generator) -> tasks.Batch:
        """A batch at the difficulties `attempt`'s curriculum draws, from `rng`."""
        difficulties = attempt.curriculum.sample(rng, self.config.batch_size)
        return self.task.sample_batch(rng, difficulties, self.config.memory_size)

    def step(self) -> StepMetrics:
        """One update of every attempt; returns the metrics, each with a leading attempt axis."""
        batches, step_batch = self.sample()
        self.last_entropy_weights = [self.entropy_weight(a) for a in self.attempts]
        self.models, self.opt_states, metrics = side_by_side_step(
            self.models,
            self.opt_states,
            step_batch,
            jnp.asarray(self.last_entropy_weights, jnp.float32),
            jnp.asarray([attempt.hardened for attempt in self.attempts]),
            self.step_settings(),
        )
        metrics = jax.device_get(metrics)
        self.progress.step += 1
        for index, (attempt, batch) in enumerate(zip(self.attempts, batches, strict=True)):
            example_errors = metrics.wrong[index] / np.maximum(batch.mask.sum(axis=1), 1)
            if not metrics.finite[index]:
                self.progress.skipped += 1
            elif attempt.curriculum.record(batch.difficulty, example_errors):
                attempt.last_rise = self.progress.last_rise = self.progress.step
                attempt.recent_errors = []
            at_level = attempt.curriculum.at_level(batch.difficulty)
            if at_level.any():
                recent = attempt.recent_errors + [float(example_errors[at_level].mean())]
                attempt.recent_errors = recent[-RECENT_ERRORS:]
        self._accumulate(metrics, batches)
        return metrics

    def _accumulate(self, metrics: StepMetrics, batches: list[tasks.Batch]) -> None:
        """Add each attempt's metrics of this step to the sums the next log line averages; an
        attempt whose update was skipped is reported, but its NaN kept out of the averages."""
        for index, batch in enumerate(batches):
            if not metrics.finite[index]:
                continue
            wrong = metrics.wrong[index]
            values = {
                "loss": float(metrics.loss[index]),
                "nll": float(metrics.nll[index]),
                "entropy": float(metrics.entropy[index]),
                "entropy_weight": self.last_entropy_weights[index],
                "grad_norm": float(metrics.grad_norm[index]),
                "error": float(wrong.sum() / max(batch.mask.sum(), 1)),
                "exact": float(np.mean(wrong == 0)),
            }
            for key, value in values.items():
                self.progress.sums[key] = self.progress.sums.get(key, 0.0) + value
            self.progress.count += 1

    def log_line(self, steps_per_second: float) -> dict[str, Any]:
        """Append the averages since the last line to metrics.jsonl, and return them. With
        attempts side by side: the highest level, every metric averaged over them, and under
        `each_attempt` each one's number, level and recent training error."""
        count = max(self.progress.count, 1)
        line = {
            "step": self.progress.step,
            "level": self.level,
            "attempt": self.progress.attempt,
        }
        line |= {key: value / count for key, value in self.progress.sums.items()}
        line |= {
            "skipped": self.progress.skipped,
            "steps_per_s": steps_per_second,
            "seconds": self.progress.seconds,
        }
        if len(self.attempts) > 1:  # each attempt's own, so that sweeps can be told per attempt
            line["each_attempt"] = {
                "attempt": [attempt.number for attempt in self.attempts],
                "level": [attempt.curriculum.level for attempt in self.attempts],
                "recent_error": [
                    attempt.recent_error if attempt.recent_errors else None
                    for attempt in self.attempts
                ],
            }
        self.progress.sums, self.progress.count = {}, 0
        self.run.append_metrics(line)
        return line

    @property
    def recent_error(self) -> float:
        """The leading attempt's recent training error."""
        return self.attempts[self.leader()].recent_error

    def check_solved(self, index: int) -> tuple[bool, float]:
        rng = random_stream(self.config.seed, Stream.SOLVED_CHECK, self.progress.step)
        return evaluate.solved(self.model(index), self.config, rng, self.config.evaluation.examples)


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
            if not metrics.finite.all():
                status.message(f"step {step}: loss or gradient is not finite; update skipped")

            # Log: the averages over the last `log_every` steps.
            told_to_stop = None
            if step % config.log_every == 0:
                line = trainer.log_line(window_steps / max(now - window_start, 1e-9))
                window_start, window_steps = now, 0
                status.update(line, trainer.recent_error)
                if on_log:
                    told_to_stop = on_log(line)

            # Solved? Checked every `evaluation.every` steps for each attempt right at the top.
            solved = False
            for index, attempt in enumerate(trainer.attempts):
                if solved or step % config.evaluation.every:
                    break
                if not (attempt.at_top and attempt.recent_error == 0.0):
                    continue
                status.doing(f"checking solved at n = {evaluate.describe_solved_checks(config)}")
                solved, worst = trainer.check_solved(index)
                status.checked(step, solved, worst)
                if solved:
                    trainer.solved_by = index
                # Right fuzzily at the training sizes, yet not solved: rounded inputs from now on.
                elif trainer.harden_due(index):
                    status.message(
                        f"step {step}: attempt {attempt.number + 1} right fuzzily; its "
                        "controller now sees rounded inputs"
                    )
                    trainer.harden(index)

            # Stop, or restart each attempt that has made no progress for `restart_after` steps.
            reason = stop_reason(config, trainer.progress, solved=solved, at_top=trainer.at_top)
            reason = reason or told_to_stop
            attempts = trainer.attempts
            stuck = [k for k, a in enumerate(attempts) if restart_due(config, a.last_rise, step)]
            if reason is None and stuck:
                levels = "/".join(sorted({str(attempts[k].curriculum.level) for k in stuck}))
                first = trainer.progress.attempt + 2  # attempts are counted from 1 here
                numbers = f"{first}-{first + len(stuck) - 1}" if len(stuck) > 1 else f"{first}"
                status.message(
                    f"step {step}: no progress at level {levels} for {config.restart_after} "
                    f"steps; fresh parameters, attempt{'s' if len(stuck) > 1 else ''} {numbers}"
                )
                for index in stuck:
                    trainer.restart(index)

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
        level=trainer.level,
        error=worst if math.isfinite(worst) else trainer.recent_error,
        restarts=trainer.progress.attempt + 1 - len(trainer.attempts),
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
    run_dir: str | Path,
    which: str = "best",
    plugins: list[str] | tuple[str, ...] = (),
    attempt: int | None = None,
) -> tuple[NRAM, TrainConfig]:
    """The trained model of a run directory (best.npz by default) and its config; `plugins`,
    if any, in place of the plugin files the run recorded (they may have moved). Of the
    attempts latest.npz holds, the leading one, or the one at index `attempt`."""
    run = RunDirectory(run_dir)
    config = run.read_config(plugins)
    template = machine.init(config.machine, jax.random.key(config.seed))
    path = run.checkpoint(which)
    # latest.npz holds every attempt in progress, stacked: its leading one is the model.
    saved = checkpoint.read_header(path).get("attempts")
    if saved:
        template = stack([template] * len(saved))
    # The model only: how the optimiser's state is laid out does not matter for using it.
    model, header = checkpoint.load(path, template, leading=True)
    if not saved:
        if attempt is not None:
            raise ConfigError(f"{path} holds one model; the attempts are in latest.npz")
        return model, config
    attempt = header["lead"] if attempt is None else attempt
    if not 0 <= attempt < len(saved):
        raise ConfigError(f"{path} holds attempts 0..{len(saved) - 1}, not {attempt}")
    return pick(model, attempt), config
