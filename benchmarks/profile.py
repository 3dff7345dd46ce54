"""Where a training step's time goes: its parts, and XLA's per-operation timings.

First times the forward pass alone, forward and backward, and the whole step (with the
optimiser), interleaved as `compare.py` does. Then traces --steps calls of the benchmark's
training step (`timing.training_step`: B=32, T=10, the 14 paper modules) with the JAX
profiler and prints, per compiled operation ("thunk"), the time and the count per step,
largest first; then the same grouped by kind of operation (the name without its number).
The traced times include the profiler's own cost per operation and, on this machine, vary
by tens of percent between runs: read them for what runs and how often, and time a change
with `compare.py`.

    python benchmarks/profile.py                 # M = 12
    python benchmarks/profile.py --size 64 --top 30
"""

from __future__ import annotations

import argparse
import collections
import re
import tempfile
from pathlib import Path

from nram import use_single_threaded_xla

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--size", type=int, default=12, help="M (default 12)")
parser.add_argument("--steps", type=int, default=20, help="traced steps")
parser.add_argument("--top", type=int, default=20, help="rows per table")
parser.add_argument("--no-noise", action="store_true", help="gradient noise off")
args = parser.parse_args()
use_single_threaded_xla()

import jax  # noqa: E402
from timing import interleaved, training_step  # noqa: E402

parts = ["forward", "gradient", "step"]
functions = [training_step(args.size, noise=not args.no_noise, part=part) for part in parts]
medians = interleaved(functions, rounds=5, repeats=20)
print(f"M={args.size}, B=32, T=10, gradient noise {'off' if args.no_noise else 'on'}")
for part, rounds in zip(["forward", "forward + backward", "training step"], medians, strict=True):
    print(f"  {part:<20} {min(rounds):6.2f} ms (fastest round's median)")

step, arguments = functions[-1]
for _ in range(5):  # compile and warm up outside the trace
    jax.block_until_ready(step(*arguments))

with tempfile.TemporaryDirectory() as directory:
    with jax.profiler.trace(directory):
        for _ in range(args.steps):
            jax.block_until_ready(step(*arguments))
    trace_file = next(Path(directory).rglob("*.xplane.pb"))
    profile = jax.profiler.ProfileData.from_file(str(trace_file))

# XLA's CPU runtime runs the compiled operations on its "XLAEigen" threads; the executor's own
# events and the end markers are not operations.
nanoseconds: collections.Counter[str] = collections.Counter()
calls: collections.Counter[str] = collections.Counter()
for plane in profile.planes:
    for line in plane.lines:
        if "XLAEigen" not in line.name:
            continue
        for event in line.events:
            if event.name.startswith(("ThunkExecutor", "end:", "ThreadpoolListener")):
                continue
            nanoseconds[event.name] += event.duration_ns
            calls[event.name] += 1

total = sum(nanoseconds.values())
print(
    f"\ntraced: {sum(calls.values()) / args.steps:.0f} operations, "
    f"{total / args.steps / 1e3:.0f} us per step"
)


def table(title: str, times: collections.Counter[str], counts: collections.Counter[str]) -> None:
    print(f"\n{title:<48} {'us/step':>9} {'calls/step':>11} {'share':>6}")
    for name, duration in times.most_common(args.top):
        print(
            f"{name:<48} {duration / args.steps / 1e3:>9.1f} {counts[name] / args.steps:>11.1f}"
            f" {duration / total:>6.1%}"
        )


table("operation", nanoseconds, calls)
kind_time: collections.Counter[str] = collections.Counter()
kind_calls: collections.Counter[str] = collections.Counter()
for name, duration in nanoseconds.items():
    kind = re.sub(r"\.\d+$", "", name)
    kind_time[kind] += duration
    kind_calls[kind] += calls[name]
table("kind of operation", kind_time, kind_calls)
