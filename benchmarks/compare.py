"""The training step of this working tree against a git revision's, interleaved in one process.

This machine drifts between a fast and a slow regime for minutes at a time, so two timings
taken one after the other compare the regimes, not the code. This script loads the package
at REV beside the working tree's (a copy under a temporary name), compiles both steps, and
times them in alternating rounds: a regime change then hits both alike.

    python benchmarks/compare.py HEAD~1                  # M = 12, with gradient noise
    python benchmarks/compare.py HEAD~1 --size 64 --no-noise
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import io
import os
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("revision", help="a git revision, e.g. HEAD~1")
parser.add_argument("--size", type=int, default=12, help="M (default 12)")
parser.add_argument("--rounds", type=int, default=8)
parser.add_argument("--steps", type=int, default=30, help="timed steps per round")
parser.add_argument("--no-noise", action="store_true", help="gradient noise off")
args = parser.parse_args()
os.environ.setdefault(
    "XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
)

import equinox as eqx  # noqa: E402
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def package_at(revision: str, directory: Path) -> str:
    """Extract src/nram at `revision` as package `nram_at_rev` under `directory`."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", revision, "src/nram"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(directory, filter="data")
    package = directory / "nram_at_rev"
    (directory / "src" / "nram").rename(package)
    for path in package.rglob("*.py"):
        text = re.sub(r"\bnram\b(?=[ .\n])", "nram_at_rev", path.read_text())
        path.write_text(text)
    sys.path.insert(0, str(directory))
    return "nram_at_rev"


def compiled_step(package: str):
    machine = importlib.import_module(f"{package}.machine")
    modules = importlib.import_module(f"{package}.modules")
    train = importlib.import_module(f"{package}.train")
    configuration = importlib.import_module(f"{package}.config")
    config = configuration.TrainConfig(
        machine=machine.MachineConfig(registers=4, width=50, modules=modules.PAPER_MODULES)
    )
    if args.no_noise:
        config = dataclasses.replace(config, noise=dataclasses.replace(config.noise, eta=0.0))
    settings = train.StepSettings.of(config)
    model = machine.init(config.machine, jax.random.key(0))
    opt_state = train.make_optimizer(settings).init(eqx.filter(model, eqx.is_array))
    rng = np.random.default_rng(0)
    size = args.size
    batch = (
        jnp.asarray(rng.integers(0, size, (32, size)), jnp.int32),
        jnp.asarray(rng.integers(0, size, (32, size)), jnp.int32),
        jnp.asarray(rng.random((32, size)) < 0.5),
        jnp.full((32,), 10, jnp.int32),
        jnp.asarray(0.03),
    )
    step = jax.jit(lambda model, opt, *rest: train.train_step(model, opt, *rest, 10, settings))
    arguments = (model, opt_state, *batch)
    outcome = jax.block_until_ready(step(*arguments))
    return step, arguments, float(outcome[2].loss)


with tempfile.TemporaryDirectory() as directory:
    steps = {
        "working tree": compiled_step("nram"),
        args.revision: compiled_step(package_at(args.revision, Path(directory))),
    }
    print(f"M = {args.size}, B = 32, T = 10, noise {'off' if args.no_noise else 'on'}")
    for name, (_, _, loss) in steps.items():
        print(f"  {name}: first loss {loss:.6f}")
    medians: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(args.rounds):
        for name, (step, arguments, _) in steps.items():
            times = []
            for _ in range(args.steps):
                start = time.perf_counter()
                jax.block_until_ready(step(*arguments))
                times.append((time.perf_counter() - start) * 1e3)
            medians[name].append(statistics.median(times))
    for name, values in medians.items():
        rounds = " ".join(f"{value:.2f}" for value in values)
        print(f"{name:>14}: median {statistics.median(values):.2f} ms  (rounds: {rounds})")
