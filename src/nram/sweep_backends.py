"""Where a sweep's runs execute: a local process pool (the default) or a Ray cluster.

Both backends run the same function, `execute`, once per (setting, seed): it trains the run
(or resumes it from its checkpoint, or only evaluates it) in its run directory and returns an
`Outcome`. Each run is one process with single-threaded XLA: on a small CPU machine one such
process per core beat fewer multi-threaded ones (TRAINING-NOTES), and on a cluster it makes a
run's cost exactly one CPU.

Ctrl-C: a run being trained saves its checkpoint and comes back as "interrupted" (not final);
runs not yet started are cancelled. Either way the next invocation of the sweep carries on.
"""

from __future__ import annotations

import _thread
import json
import os
import shutil
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nram import SINGLE_THREADED_XLA, use_single_threaded_xla
from nram.errors import NramError

# How a run can end for good; "interrupted" is not among them (the run resumes next time).
FINAL_REASONS = frozenset({"solved", "steps", "time", "plateau", "diverged"})


@dataclass(frozen=True)
class Job:
    """One (setting, seed) of a sweep, as a worker needs it."""

    key: str  # the run directory's name, unique within the sweep
    run_dir: str
    config: dict[str, Any]  # nram.config.as_dict of the run's TrainConfig
    generalisation: int  # difficulty to evaluate a solved model at (0: none)
    eval_examples: int
    compile_cache: str | None = None  # JAX's persistent compilation cache (shared by runs)


@dataclass
class Outcome:
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


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def final_result(run_dir: Path) -> dict[str, Any] | None:
    """result.json if the run has ended for good, else None."""
    result = read_json(run_dir / "result.json")
    return result if result and result.get("reason") in FINAL_REASONS else None


def saved_generalisation(run_dir: Path, difficulty: int, examples: int) -> dict[str, Any] | None:
    """generalisation.json if it was measured at this difficulty with this many examples."""
    report = read_json(run_dir / "generalisation.json")
    if report and report.get("difficulty") == difficulty and report.get("examples") == examples:
        return report
    return None


def needs_work(job: Job) -> bool:
    run_dir = Path(job.run_dir)
    result = final_result(run_dir)
    if result is None:
        return True
    wants_evaluation = result["solved"] and job.generalisation > 0
    return (
        wants_evaluation
        and saved_generalisation(run_dir, job.generalisation, job.eval_examples) is None
    )


def execute(job: Job) -> Outcome:
    """Train, resume or evaluate one run; in a worker process (or in-process)."""
    use_single_threaded_xla()
    # Idle pool workers ignore Ctrl-C (see _start_worker); a working one saves and returns.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    started = time.process_time()
    try:
        outcome = _execute(job)
    except KeyboardInterrupt:
        outcome = Outcome(job.key, read_json(Path(job.run_dir) / "result.json"), None, True)
    finally:
        signal.signal(signal.SIGINT, previous)
        if Path(job.run_dir).exists():
            add_cpu_seconds(Path(job.run_dir), time.process_time() - started)
    outcome.cpu_seconds = cpu_seconds(Path(job.run_dir))
    return outcome


def cpu_seconds(run_dir: Path) -> float | None:
    """CPU time the run's process(es) spent on it, over all sessions (compilation, training,
    evaluation): on a shared machine a fairer cost than wall-clock time."""
    return (read_json(run_dir / "cpu.json") or {}).get("seconds")


def add_cpu_seconds(run_dir: Path, seconds: float) -> None:
    total = (cpu_seconds(run_dir) or 0.0) + seconds
    temporary = run_dir / "cpu.json.tmp"
    temporary.write_text(json.dumps({"seconds": total}) + "\n")
    temporary.replace(run_dir / "cpu.json")


def _execute(job: Job) -> Outcome:
    if job.compile_cache:
        # Every seed of a setting compiles the same programs: compile once, then load them
        # (compilation is most of a short run's time).
        import jax

        jax.config.update("jax_compilation_cache_dir", job.compile_cache)

    from nram import config as configuration
    from nram import train

    config = configuration.from_dict(job.config)
    run_dir = Path(job.run_dir)
    result = final_result(run_dir)
    resumed = False
    if result is None:
        resumed = (run_dir / "latest.npz").exists()
        if not resumed and run_dir.exists():
            shutil.rmtree(run_dir)  # killed before its first checkpoint: nothing to keep
        result = train.train(config, run_dir, resume=resumed, progress_bar=False).as_dict()
        if result["reason"] not in FINAL_REASONS:
            return Outcome(job.key, result, None, interrupted=True, resumed=resumed)
    report = None
    if result["solved"] and job.generalisation > 0:
        report = saved_generalisation(run_dir, job.generalisation, job.eval_examples)
        if report is None:
            report = _measure_generalisation(run_dir, job)
    return Outcome(job.key, result, report, resumed=resumed)


def _measure_generalisation(run_dir: Path, job: Job) -> dict[str, Any]:
    """Fuzzy and discretised error of the solved model at a difficulty beyond training."""
    import numpy as np

    from nram import evaluate, train

    model, config = train.load_model(run_dir, "best")
    report = evaluate.report(
        model,
        config,
        [job.generalisation],
        examples=job.eval_examples,
        rng=np.random.default_rng([config.seed, job.generalisation, 3]),
    )
    row = report["results"][0]
    measured = {
        "difficulty": job.generalisation,
        "examples": job.eval_examples,
        "fuzzy_error": row["fuzzy"]["error"],
        "discrete_error": row["discrete"]["error"],
        "fuzzy_exact": row["fuzzy"]["exact"],
        "discrete_exact": row["discrete"]["exact"],
    }
    temporary = run_dir / "generalisation.json.tmp"
    temporary.write_text(json.dumps(measured, indent=2) + "\n")
    temporary.replace(run_dir / "generalisation.json")
    return measured


# --- the local backend: a process pool --------------------------------------------------


def _start_worker() -> None:
    """Pool worker initialiser. Ctrl-C reaches every process of the terminal's group: an idle
    worker ignores it (execute() turns it back on while a run trains). If the sweep process
    dies without a Ctrl-C (killed), the worker saves its run and exits instead of training on
    unseen, racing the next invocation of the sweep for the same run directory."""
    use_single_threaded_xla()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    _thread.interrupt_main()  # as Ctrl-C: a training run saves its checkpoint and returns
    time.sleep(20)
    os._exit(1)


def run_local(
    jobs: Sequence[Job],
    workers: int,
    on_start: Callable[[Job], None],
    on_done: Callable[[Outcome], None],
) -> bool:
    """Run the jobs on `workers` spawned processes. Returns False if interrupted (Ctrl-C)."""
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    context = multiprocessing.get_context("spawn")  # no forked copies of a JAX runtime
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker)
    waiting = list(jobs)
    running: dict[Any, Job] = {}
    completed = True
    try:
        while waiting or running:
            # Submit only as many as there are workers, so "running" means running.
            while waiting and len(running) < workers:
                job = waiting.pop(0)
                running[pool.submit(execute, job)] = job
                on_start(job)
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                on_done(_outcome(future, running.pop(future)))
    except KeyboardInterrupt:
        completed = False
        # The workers got the same Ctrl-C: each saves its run and returns "interrupted".
        for future, job in running.items():
            on_done(_outcome(future, job))
    except BrokenProcessPool:  # a worker died (e.g. out of memory); the rest resume next time
        completed = False
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return completed


def _outcome(future: Any, job: Job) -> Outcome:
    try:
        return future.result()
    except Exception as error:  # a bug or a dead worker: report it; the run is retried next time
        return Outcome(
            job.key, None, None, interrupted=True, error=f"{type(error).__name__}: {error}"
        )


# --- the Ray backend ---------------------------------------------------------------------


def run_ray(
    jobs: Sequence[Job],
    address: str | None,
    workers: int,
    on_start: Callable[[Job], None],
    on_done: Callable[[Outcome], None],
) -> bool:
    """Run each job as a Ray task on one CPU; results come back to this process (the driver).

    address None or "local": start a local Ray instance with `workers` CPUs (or use the one this
    process already started); anything else (e.g. "auto", "ray://head:10001") is passed to
    ray.init. The run directories are written by the workers: on a multi-node cluster the
    sweep directory must be on a filesystem all nodes share, for resuming to find them.
    """
    try:
        import ray
    except ImportError:
        raise NramError("the ray backend needs Ray: pip install 'nram[ray]'") from None

    started_here = not ray.is_initialized()
    if started_here:
        if address in (None, "", "local"):
            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=True)
        else:
            ray.init(address=address)
    remote = ray.remote(execute).options(
        num_cpus=1, runtime_env={"env_vars": {"XLA_FLAGS": SINGLE_THREADED_XLA}}
    )
    pending: dict[Any, Job] = {}
    completed = True
    try:
        for job in jobs:  # Ray queues them and starts one per free CPU
            pending[remote.remote(job)] = job
        for job in jobs:
            on_start(job)
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            for reference in ready:
                on_done(_ray_outcome(ray, reference, pending.pop(reference)))
    except KeyboardInterrupt:
        completed = False
        for reference in pending:
            ray.cancel(reference)  # a running task gets KeyboardInterrupt: it saves and returns
        for reference, job in pending.items():
            outcome = _ray_outcome(ray, reference, job, timeout=60)
            if outcome.error is None:  # else: cancelled before it started; nothing to record
                on_done(outcome)
    finally:
        if started_here:
            ray.shutdown()
    return completed


def _ray_outcome(ray: Any, reference: Any, job: Job, timeout: float | None = None) -> Outcome:
    try:
        return ray.get(reference, timeout=timeout)
    except Exception as error:
        return Outcome(
            job.key, None, None, interrupted=True, error=f"{type(error).__name__}: {error}"
        )
