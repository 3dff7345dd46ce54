"""Speed and memory of the machine: a training step, and forward runs at large M.

Prints median milliseconds and XLA's planned peak memory for
  * a training step (forward + backward + Adam) at B=32, R=4, width 50, T=10, the 14 paper
    modules, MLP controller, at M=12 and M=64, with the trainer's default techniques, and the
    same without gradient noise (as the four easy tasks train): the four steps of one M timed
    in turn for --rounds rounds, the fastest round's median reported;
  * a forward-only run, fuzzy and discretised, at B=16, T=40, M=256 and M=1024;
each with the project's kernels and with the brute-force Eq. 2 formulation (an explicit
M x M x M indicator per module) measured in the same run, and the ratio.

    python benchmarks/step.py               # single-threaded XLA, as `nram` runs
    python benchmarks/step.py --multi-thread
"""

from __future__ import annotations

import argparse
import os
import sys

from nram import use_single_threaded_xla

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--multi-thread", action="store_true", help="let XLA use every core")
parser.add_argument("--repeats", type=int, default=20, help="timed calls per median")
parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (training steps)")
parser.add_argument("--skip-large", action="store_true", help="only the training steps")
args = parser.parse_args()
if not args.multi_thread:
    use_single_threaded_xla()

import jax  # noqa: E402
from timing import batch, interleaved, median_ms, training_step  # noqa: E402

from nram import machine, modules  # noqa: E402
from nram.machine import MachineConfig  # noqa: E402

# The brute-force formulation: every pure module re-registered with Eq. 2 written out.
PAPER = modules.PAPER_MODULES
BRUTE = tuple(
    name if modules.get(name).kind != "pure" else f"brute_{name}" for name in modules.PAPER_MODULES
)
for name in modules.PAPER_MODULES:
    module = modules.get(name)
    if module.kind == "pure":
        modules.register(
            f"brute_{name}",
            module.arity,
            module.function,
            fuzzy=lambda first, second, module=module: modules.brute_force(module, first, second),
            replace=True,
        )


def peak_megabytes(compiled) -> float:
    analysis = compiled.memory_analysis()
    total = (
        analysis.temp_size_in_bytes
        + analysis.argument_size_in_bytes
        + analysis.output_size_in_bytes
    )
    return total / 2**20


def forward(module_names: tuple[str, ...], size: int, discrete: bool) -> tuple[float, float]:
    model = machine.init(
        MachineConfig(registers=4, width=50, modules=module_names), jax.random.key(0)
    )
    memory, target, _, horizon = batch(size, 16, 40)

    @jax.jit
    def run(model, memory, target, horizon):
        return machine.run_batch(
            model, memory, target, horizon, timesteps=40, discrete=discrete
        ).target_probs

    arguments = (model, memory, target, horizon)
    compiled = run.lower(*arguments).compile()
    return median_ms(run, arguments, max(3, args.repeats // 4)), peak_megabytes(compiled)


def line(label: str, fast: tuple[float, float], brute: tuple[float, float] | str) -> None:
    if isinstance(brute, str):
        brute_text, ratio = f"{brute:>24}", ""
    else:
        brute_text = f"{brute[0]:>10.2f} ms {brute[1]:>8.1f} MiB"
        ratio = f"{brute[0] / fast[0]:>7.1f}x"
    print(f"{label:<40} {fast[0]:>9.2f} ms {fast[1]:>8.1f} MiB   {brute_text} {ratio}")
    sys.stdout.flush()


print(
    f"jax {jax.__version__} on {jax.devices()[0].platform}; "
    f"XLA_FLAGS={os.environ.get('XLA_FLAGS', '')!r}"
)
print(f"{'':<40} {'this project':>24}   {'brute-force Eq. 2':>24} {'ratio':>7}")
for size in (12, 64):
    steps = [
        training_step(size, noise, names) for noise in (True, False) for names in (PAPER, BRUTE)
    ]
    times = [min(rounds) for rounds in interleaved(steps, args.rounds, args.repeats)]
    peaks = [peak_megabytes(step.lower(*arguments).compile()) for step, arguments in steps]
    line(f"train step B=32 T=10 M={size}", (times[0], peaks[0]), (times[1], peaks[1]))
    line(f"  the same without gradient noise M={size}", (times[2], peaks[2]), (times[3], peaks[3]))
if not args.skip_large:
    for size in (256, 1024):
        for discrete in (False, True):
            label = f"forward {'discrete' if discrete else 'fuzzy'} B=16 T=40 M={size}"
            fast = forward(modules.PAPER_MODULES, size, discrete)
            if size**3 * 4 * 11 > 2**31:  # eleven M^3 float32 indicators
                gigabytes = size**3 * 4 * 11 / 2**30
                brute: tuple[float, float] | str = f"infeasible ({gigabytes:.0f} GiB)"
            else:
                brute = forward(BRUTE, size, discrete)
            line(label, fast, brute)
