"""Sweeps: many seeds and settings of one task, and their success rates.

NRAM training is a lottery (the paper: about 11% of seeds solve a hard task with its best
settings), so one does not train one model: one runs a grid (or a random sample) of settings,
each with many seeds, and reads success rates. Each (setting, seed) is an ordinary run
directory under one sweep directory. docs/sweeps.md is the user's guide.

  spec.py       the settings x seeds to run, from the command line and sweep files
  directory.py  the sweep directory: sweep.json, and the lock that keeps one process in it
  job.py        one (setting, seed): train, resume or evaluate its run; its JobOutcome
  backends.py   where jobs run: a local process pool or a Ray cluster
  run.py        running a sweep: what needs work, on which backend, a line per finished run
  report.py     the success table, summary.csv and .md, and the plot
  command.py    `nram sweep`
"""

from nram.sweep.command import add_parser
from nram.sweep.directory import SWEEP_FILE, claim_sweep_dir, default_sweep_dir
from nram.sweep.job import Job, JobOutcome
from nram.sweep.report import RunRecord, SweepReport
from nram.sweep.run import run_sweep
from nram.sweep.spec import DEFAULT_PATIENCE, SweepSpec, build_spec, parse_seeds

__all__ = [
    "DEFAULT_PATIENCE",
    "SWEEP_FILE",
    "Job",
    "JobOutcome",
    "RunRecord",
    "SweepReport",
    "SweepSpec",
    "add_parser",
    "build_spec",
    "claim_sweep_dir",
    "default_sweep_dir",
    "parse_seeds",
    "run_sweep",
]
