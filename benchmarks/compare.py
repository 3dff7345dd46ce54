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
import io
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from nram import use_single_threaded_xla

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("revision", help="a git revision, e.g. HEAD~1")
parser.add_argument("--size", type=int, default=12, help="M (default 12)")
parser.add_argument("--rounds", type=int, default=8)
parser.add_argument("--steps", type=int, default=30, help="timed steps per round")
parser.add_argument("--no-noise", action="store_true", help="gradient noise off")
args = parser.parse_args()
use_single_threaded_xla()

from timing import interleaved, training_step  # noqa: E402

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


with tempfile.TemporaryDirectory() as directory:
    noise = not args.no_noise
    steps = {
        "working tree": training_step(args.size, noise),
        args.revision: training_step(
            args.size, noise, package=package_at(args.revision, Path(directory))
        ),
    }
    print(f"M = {args.size}, B = 32, T = 10, noise {'on' if noise else 'off'}")
    for name, (step, arguments) in steps.items():
        print(f"  {name}: first loss {float(step(*arguments)[2].loss):.6f}")
    medians = interleaved(list(steps.values()), args.rounds, args.steps)
    for name, values in zip(steps, medians, strict=True):
        rounds = " ".join(f"{value:.2f}" for value in values)
        print(f"{name:>14}: median {statistics.median(values):.2f} ms  (rounds: {rounds})")
