"""One job of a sweep: a (setting, seed), its run directory, and what came of it.

`execute` is what every backend runs, once per job, in a worker process: it trains the run
(or resumes it from its checkpoint, or only evaluates it) and returns the job's `JobOutcome`.
Each worker runs single-threaded XLA: one such process per core is the better use of a small
machine (docs/speed.md), and on a cluster it makes a run's cost exactly one CPU.
"""

from __future__ import annotations

import shutil
import signal
import time
from dataclasses import dataclass
from typing import Any

import jax

from nram import config as configuration
from nram import evaluate, train, use_single_threaded_xla
from nram.rundir import RunDirectory
from nram.sweep.scheduler import Asha, Trial
from nram.train import FINAL_REASONS


@dataclass(frozen=True)
class Job:
    """One (setting, seed) of a sweep, as a worker needs it."""

    key: str  # the run directory's name, unique within the sweep
    run_dir: str
    config: dict[str, Any]  # nram.config.as_dict of the run's TrainConfig
    generalisation: int  # difficulty to evaluate a solved model at (0: none)
    eval_examples: int
    compile_cache: str | None = None  # JAX's persistent compilation cache (shared by runs)
    scheduler: dict[str, Any] | None = None  # e.g. ASHA's settings (nram.sweep.scheduler)

    @property
    def run(self) -> RunDirectory:
        return RunDirectory(self.run_dir)


@dataclass
class JobOutcome:
    """What a sweep learns of one job: how its run ended, and the solved model's
    generalisation."""

    key: str
    result: dict[str, Any] | None  # result.json; None if interrupted before it had one
    generalisation: dict[str, Any] | None  # generalisation.json of a solved run
    interrupted: bool = False  # stopped before it ended: it resumes next time
    resumed: bool = False  # continued from a checkpoint of an earlier invocation
    error: str | None = None  # the run failed with this exception (it is retried next time)
    cpu_seconds: float | None = None  # see cpu_seconds()

    @property
    def final(self) -> bool:
        return not self.interrupted and self.result is not None

    @staticmethod
    def failed(job: Job, error: Exception) -> JobOutcome:
        """A job whose run raised (a bug) or whose worker died: reported, retried next time."""
        return JobOutcome(
            job.key, None, None, interrupted=True, error=f"{type(error).__name__}: {error}"
        )


def final_result(run: RunDirectory) -> dict[str, Any] | None:
    """result.json if the run has ended for good, else None."""
    result = run.read_result()
    return result if result and result.get("reason") in FINAL_REASONS else None


def saved_generalisation(job: Job) -> dict[str, Any] | None:
    """generalisation.json if it was measured at the job's difficulty and example count."""
    report = job.run.read("generalisation.json")
    wanted = {"difficulty": job.generalisation, "examples": job.eval_examples}
    if report and all(report.get(name) == value for name, value in wanted.items()):
        return report
    return None


def _generalisation_missing(job: Job, result: dict[str, Any]) -> bool:
    return result["solved"] and job.generalisation > 0 and saved_generalisation(job) is None


def needs_work(job: Job) -> bool:
    """The run has not ended, or it is solved and its generalisation not measured yet."""
    result = final_result(job.run)
    return result is None or _generalisation_missing(job, result)


def outcome_on_disk(job: Job, resumed: bool = False) -> JobOutcome:
    """The outcome of a job whose run has ended, as its run directory records it."""
    run = job.run
    return JobOutcome(
        job.key,
        final_result(run),
        saved_generalisation(job),
        resumed=resumed,
        cpu_seconds=cpu_seconds(run),
    )


def cpu_seconds(run: RunDirectory) -> float | None:
    """CPU time the run's process(es) spent on it, over all sessions (compilation, training,
    evaluation): on a shared machine a fairer cost than wall-clock time."""
    return (run.read("cpu.json") or {}).get("seconds")


def add_cpu_seconds(run: RunDirectory, seconds: float) -> None:
    run.write("cpu.json", {"seconds": (cpu_seconds(run) or 0.0) + seconds})


def execute(job: Job) -> JobOutcome:
    """Train, resume or evaluate one run; in a worker process (or in-process)."""
    use_single_threaded_xla()
    # Idle pool workers ignore Ctrl-C (backends._start_worker); a working one saves and returns.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    started = time.process_time()
    try:
        outcome = _execute(job)
    except KeyboardInterrupt:
        outcome = JobOutcome(job.key, job.run.read_result(), None, interrupted=True)
    finally:
        signal.signal(signal.SIGINT, previous)
        if job.run.path.exists():
            add_cpu_seconds(job.run, time.process_time() - started)
    outcome.cpu_seconds = cpu_seconds(job.run)
    return outcome


def _execute(job: Job) -> JobOutcome:
    if job.compile_cache:
        # Every seed of a setting compiles the same programs: compile once, then load them
        # (compilation is most of a short run's time).
        jax.config.update("jax_compilation_cache_dir", job.compile_cache)
    run = job.run
    resumed = False
    result = final_result(run)
    if result is None:
        resumed = run.checkpoint("latest").exists()
        if not resumed and run.path.exists():
            shutil.rmtree(run.path)  # killed before its first checkpoint: nothing to keep
        config = configuration.from_dict(job.config)
        trial = None
        if job.scheduler:
            trial = Trial(Asha.of(job.scheduler), run.path.parent, job.key)
        on_log = trial.on_log if trial else None
        ended = train.train(config, run.path, resume=resumed, progress_bar=False, on_log=on_log)
        result = ended.as_dict()
        if trial and ended.reason in FINAL_REASONS:
            trial.finish(result)
        if ended.reason not in FINAL_REASONS:
            return JobOutcome(job.key, result, None, interrupted=True, resumed=resumed)
    if _generalisation_missing(job, result):
        measure_generalisation(job)
    return outcome_on_disk(job, resumed)


def measure_generalisation(job: Job) -> None:
    """Fuzzy and discretised error of the solved model at a difficulty beyond training, into
    generalisation.json."""
    model, config = train.load_model(job.run_dir, "best")
    rng = train.random_stream(config.seed, train.Stream.GENERALISATION, job.generalisation)
    report = evaluate.report(
        model, config, [job.generalisation], examples=job.eval_examples, rng=rng
    )
    row = report["results"][0]
    job.run.write(
        "generalisation.json",
        {
            "difficulty": job.generalisation,
            "examples": job.eval_examples,
            "fuzzy_error": row["fuzzy"]["error"],
            "discrete_error": row["discrete"]["error"],
            "fuzzy_exact": row["fuzzy"]["exact"],
            "discrete_exact": row["discrete"]["exact"],
        },
    )
