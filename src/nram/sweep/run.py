"""Running a sweep: which runs need work, the backends that do it, a line per finished run.

Starting the same sweep again (same command, same sweep directory) skips runs that have ended
(result.json with a final reason), resumes the others from their latest.npz and starts those
never started.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from nram import config as configuration
from nram.errors import ConfigError
from nram.sweep.backends import run_local, run_ray
from nram.sweep.directory import claim_sweep_dir
from nram.sweep.job import Job, JobOutcome, needs_work, outcome_on_disk
from nram.sweep.report import RunRecord, SweepReport, success_table, write_summary
from nram.sweep.spec import SweepSpec


def run_sweep(
    spec: SweepSpec,
    sweep_dir: str | Path,
    *,
    backend: str = "local",
    workers: int | None = None,
    address: str | None = None,
    max_runs: int | None = None,
    generalisation: int = 50,
    eval_examples: int = 32,
    compile_cache: str | Path | None = "default",
    log: Callable[[str], None] = print,
) -> SweepReport:
    """Run (or resume) the sweep, print a line per finished run, write and return the table.

    compile_cache: a directory for JAX's persistent compilation cache shared by the runs;
    "default" is SWEEP_DIR/.jax-cache (unless JAX_COMPILATION_CACHE_DIR is set), None is off.
    """
    sweep_dir = Path(sweep_dir)
    if compile_cache == "default":
        compile_cache = os.environ.get("JAX_COMPILATION_CACHE_DIR") or sweep_dir / ".jax-cache"
    cache = str(Path(compile_cache).resolve()) if compile_cache else None
    if workers is None:
        workers = os.cpu_count() or 1
    if workers < 1:
        raise ConfigError(f"--workers must be >= 1, got {workers}")
    if backend not in ("local", "ray"):
        raise ConfigError(f"unknown backend {backend!r}; valid backends: local, ray")
    lock = claim_sweep_dir(spec, sweep_dir)
    started = time.perf_counter()
    try:
        records, jobs = [], []
        for index, seed, name in spec.runs():
            record = RunRecord(index, seed, name)
            config = replace(spec.configs[index], seed=seed)
            job = Job(
                name,
                str(sweep_dir / name),
                configuration.as_dict(config),
                generalisation,
                eval_examples,
                cache,
                spec.scheduler.as_dict() if spec.scheduler else None,
            )
            if needs_work(job):
                jobs.append(job)
            else:
                record.outcome = outcome_on_disk(job)
            records.append(record)
        earlier = len(records) - len(jobs)
        if max_runs is not None:
            jobs = jobs[:max_runs]
        log(
            f"sweep {sweep_dir}: {spec.task}, {len(spec.settings)} setting(s) x "
            f"{len(spec.seeds)} seed(s) = {len(records)} runs; {earlier} done before, "
            f"{len(jobs)} to run on {workers} {backend} worker(s)"
        )
        live = LiveTable(records, spec, log)
        if jobs and backend == "local":
            run_local(jobs, min(workers, len(jobs)), live.started, live.done)
        elif jobs:
            run_ray(jobs, address, workers, live.started, live.done)
        report = SweepReport(
            spec,
            sweep_dir,
            records,
            completed=all(r.outcome is not None and r.outcome.final for r in records),
            wall_seconds=time.perf_counter() - started,
        )
        report.rows = success_table(report)
        write_summary(report)
        return report
    finally:
        lock.close()


class LiveTable:
    """One line per finished run, with the sweep's running totals."""

    def __init__(self, records: list[RunRecord], spec: SweepSpec, log: Callable[[str], None]):
        self.by_name = {record.name: record for record in records}
        self.spec = spec
        self.log = log
        self.in_flight = 0

    def started(self, job: Job) -> None:
        self.in_flight += 1

    def done(self, outcome: JobOutcome) -> None:
        self.in_flight -= 1
        record = self.by_name[outcome.key]
        if outcome.final:
            record.outcome = outcome
        records = self.by_name.values()
        finished = [r for r in records if r.outcome is not None and r.outcome.final]
        solved = sum(r.outcome.result["solved"] for r in finished)
        totals = (
            f"[{len(finished):>3}/{len(records)} done, {self.in_flight} in flight, {solved} solved]"
        )
        setting = self.spec.settings[record.setting].label
        self.log(f"{totals} {record.name} ({setting}): {_describe(outcome)}")


def _describe(outcome: JobOutcome) -> str:
    if outcome.error:
        return f"failed ({outcome.error}); it is retried next time"
    result = outcome.result or {}
    if outcome.interrupted:
        return f"interrupted at step {result.get('step', '?')}; resumes next time"
    resumed = ", resumed" if outcome.resumed else ""
    if result["solved"]:
        text = f"solved at step {result['step']} ({result['seconds']:.0f} s{resumed})"
        if outcome.generalisation:
            g = outcome.generalisation
            text += (
                f"; at difficulty {g['difficulty']} error {g['fuzzy_error']:.3f} fuzzy, "
                f"{g['discrete_error']:.3f} discretised"
            )
        return text
    error = "-" if result["error"] is None else f"{result['error']:.3f}"  # null: not known
    return (
        f"not solved ({result['reason']}) at step {result['step']}, level "
        f"{result['level']}, error {error} ({result['seconds']:.0f} s{resumed})"
    )
