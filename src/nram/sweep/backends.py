"""Where a sweep's jobs run: a local process pool (the default) or a Ray cluster.

Both run `job.execute` once per job and hand each `JobOutcome` to `on_done` as it arrives.
Ctrl-C: a run being trained saves its checkpoint and comes back as "interrupted" (not final);
runs not yet started are cancelled. Either way the next invocation of the sweep carries on.
"""

from __future__ import annotations

import _thread
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from nram import SINGLE_THREADED_XLA, use_single_threaded_xla
from nram.errors import NramError
from nram.sweep.job import Job, JobOutcome, execute

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
    on_done: Callable[[JobOutcome], None],
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
                job = running.pop(future)
                on_done(_collect(job, future.result))
    except KeyboardInterrupt:
        completed = False
        # The workers got the same Ctrl-C: each saves its run and returns "interrupted".
        for future, job in running.items():
            on_done(_collect(job, future.result))
    except BrokenProcessPool:  # a worker died (e.g. out of memory); the rest resume next time
        completed = False
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return completed


# --- the Ray backend ---------------------------------------------------------------------


def run_ray(
    jobs: Sequence[Job],
    address: str | None,
    workers: int,
    on_start: Callable[[Job], None],
    on_done: Callable[[JobOutcome], None],
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
            _join_cluster(ray, address)
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
                on_done(_collect(pending.pop(reference), partial(ray.get, reference)))
    except KeyboardInterrupt:
        completed = False
        for reference in pending:
            ray.cancel(reference)  # a running task gets KeyboardInterrupt: it saves and returns
        for reference, job in pending.items():
            outcome = _collect(job, partial(ray.get, reference, timeout=60))
            if outcome.error is None:  # else: cancelled before it started; nothing to record
                on_done(outcome)
    finally:
        if started_here:
            ray.shutdown()
    return completed


def _join_cluster(ray: Any, address: str) -> None:
    """ray.init(address), refused at once in one line if nothing answers there: Ray itself
    would retry for minutes."""
    if address != "auto":
        host, _, port = address.removeprefix("ray://").rpartition(":")
        if not host or not port.isdigit():
            raise NramError(f"--address must be auto, HOST:PORT or ray://HOST:PORT, got {address}")
        try:
            socket.create_connection((host.strip("[]"), int(port)), timeout=5).close()
        except OSError as error:
            reason = error.strerror or error
            raise NramError(f"cannot reach a Ray cluster at {address}: {reason}") from None
    try:
        ray.init(address=address)
    except ConnectionError as error:  # "auto" with no cluster running
        raise NramError(f"cannot connect to a Ray cluster at {address}: {error}") from None


def _collect(job: Job, fetch: Callable[[], JobOutcome]) -> JobOutcome:
    """The outcome a worker sent back for `job`, or, if fetching it raises (a bug in the run, a
    dead worker, a cancelled task), a failed one: reported, and retried next time."""
    try:
        return fetch()
    except Exception as error:
        return JobOutcome.failed(job, error)
