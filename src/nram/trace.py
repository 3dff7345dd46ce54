"""Execution traces: what the machine does at every step, as a table (like the paper's Table 2)
and as a picture.

A trace has one row per step with the state at the START of the step (memory and registers,
as the paper prints them), the addresses the step's READs and WRITEs take, the value each
WRITE stores, and f_t. The discretised trace comes from the integer machine
(`nram.discrete`), so it works at any M. The fuzzy trace runs `machine.run(record=True)` and
shows every distribution by its most likely value; a value whose probability is below 0.99 is
printed with a `~`, and the row's `min p` is the smallest such probability.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import jax.numpy as jnp
import numpy as np

from nram import discrete, loss, machine
from nram.errors import NramError, at_least
from nram.evaluate import save_figure
from nram.machine import NRAM

SURE = 0.99  # a fuzzy value at least this likely is printed plainly


@dataclass
class Row:
    """One step: the state at its start and what its READs and WRITEs did."""

    step: int  # 1-based, as in the paper
    memory: np.ndarray  # (M,) ints
    registers: np.ndarray  # (R,) ints
    reads: list[int]  # address of each READ
    writes: list[tuple[int, int]]  # (address, value) of each WRITE
    finish: float  # f_t
    halting: float | None = None  # p_t (fuzzy only)
    memory_probability: np.ndarray | None = None  # (M,) probability of the shown value
    register_probability: np.ndarray | None = None  # (R,)


@dataclass
class Trace:
    rows: list[Row]
    final_memory: np.ndarray  # the memory read out, after the read-out step
    readout_step: int  # 1-based
    halted: bool  # the read-out step had f_t >= 0.5 (else: the horizon's last step)
    fuzzy: bool


def discrete_trace(model: NRAM, memory: np.ndarray, horizon: int) -> Trace:
    execution = discrete.run(model, memory.tolist(), horizon, record=True)
    rows = []
    for number, step in enumerate(execution.trace or [], 1):
        kinds = [module.kind for module in model.modules]
        rows.append(
            Row(
                step=number,
                memory=np.array(step.memory),
                registers=np.array(step.registers),
                reads=[step.arguments[i][0] for i, kind in enumerate(kinds) if kind == "read"],
                writes=[
                    tuple(step.arguments[i]) for i, kind in enumerate(kinds) if kind == "write"
                ],
                finish=step.circuit.finish,
            )
        )
    return Trace(rows, np.array(execution.memory), execution.steps, execution.halted, False)


FUZZY_MAX_FLOATS = 2**28  # the recorded memories, T x M x M floats: 1 GiB


def fuzzy_trace(model: NRAM, memory: np.ndarray, horizon: int) -> Trace:
    size = memory.size
    if horizon * size * size > FUZZY_MAX_FLOATS:
        raise NramError(
            f"a fuzzy trace of {horizon} steps at M = {size} records {horizon} x {size} x {size} "
            "floats, too many; use the discretised trace (drop --fuzzy) or a smaller size"
        )
    outcome = machine.run(
        model,
        jnp.asarray(memory),
        jnp.zeros(size, jnp.int32),
        jnp.asarray(horizon),
        timesteps=horizon,
        record=True,
    )
    record = outcome.record
    assert record is not None
    readout = int(loss.readout_step(outcome, jnp.asarray(horizon)))
    memories, registers = np.asarray(record.memory), np.asarray(record.registers)
    arguments = np.asarray(record.arguments).argmax(axis=-1)  # (T, Q, 2)
    kinds = [module.kind for module in model.modules]
    rows = []
    for t in range(readout + 1):
        rows.append(
            Row(
                step=t + 1,
                memory=memories[t].argmax(axis=-1),
                registers=registers[t].argmax(axis=-1),
                reads=[int(arguments[t, i, 0]) for i, kind in enumerate(kinds) if kind == "read"],
                writes=[
                    (int(arguments[t, i, 0]), int(arguments[t, i, 1]))
                    for i, kind in enumerate(kinds)
                    if kind == "write"
                ],
                finish=float(outcome.finish[t]),
                halting=float(outcome.halting[t]),
                memory_probability=memories[t].max(axis=-1),
                register_probability=registers[t].max(axis=-1),
            )
        )
    final = np.asarray(outcome.readout_values)
    halted = bool(outcome.finish[readout] >= 0.5)
    return Trace(rows, final, readout + 1, halted, True)


# --- the table ----------------------------------------------------------------------------------


def _cells(values: np.ndarray, probability: np.ndarray | None, width: int) -> str:
    parts = []
    for index, value in enumerate(values):
        unsure = probability is not None and probability[index] < SURE
        parts.append(f"{value}{'~' if unsure else ''}".rjust(width))
    return " ".join(parts)


def format_table(trace: Trace, target: np.ndarray, mask: np.ndarray, cells: int) -> str:
    """The trace as text: one line per step, then the read-out against the target."""
    size = trace.final_memory.size
    shown = min(cells, size)
    more = " …" if shown < size else ""
    width = len(str(size - 1)) + (1 if trace.fuzzy else 0)
    registers = trace.rows[0].registers.size
    memory_header = " ".join(str(c).rjust(width) for c in range(shown)) + more
    scored = " ".join(("*" if mask[c] else "").rjust(width) for c in range(shown)) + more
    register_header = " ".join(f"r{i + 1}".rjust(width) for i in range(registers))
    reads_width = max(4, max(len(", ".join(map(str, row.reads))) for row in trace.rows))
    writes_width = max(
        5, max(len(", ".join(f"{a}:{v}" for a, v in row.writes)) for row in trace.rows)
    )
    tail = " p_t    min p" if trace.fuzzy else ""
    lines = [
        f"step | {memory_header} | {register_header} | {'READ':>{reads_width}} | "
        f"{'WRITE':>{writes_width}} |  f_t{tail}",
        f"     | {scored} |"
        + " " * (len(register_header) + 1)
        + "|"
        + " " * (reads_width + 2)
        + "|"
        + " " * (writes_width + 2)
        + "|",
    ]
    for row in trace.rows:
        reads = ", ".join(map(str, row.reads))
        writes = ", ".join(f"{a}:{v}" for a, v in row.writes)
        extra = ""
        if trace.fuzzy:
            lowest = min(row.memory_probability[:shown].min(), row.register_probability.min())
            extra = f" {row.halting:.2f} {lowest:8.4f}"
        lines.append(
            f"{row.step:>4} | {_cells(row.memory[:shown], row.memory_probability, width)}{more} | "
            f"{_cells(row.registers, row.register_probability, width)} | "
            f"{reads:>{reads_width}} | {writes:>{writes_width}} | {row.finish:.2f}{extra}"
        )
    final = " ".join(str(v).rjust(width) for v in trace.final_memory[:shown]) + more
    lines.append(f" end | {final} |")
    how = "f_t >= 0.5" if trace.halted else "no f_t >= 0.5: the horizon's last step"
    wrong = int(np.sum((trace.final_memory != target) & mask))
    verdict = "all right" if wrong == 0 else f"{wrong} wrong"
    lines.append(
        f"read out after step {trace.readout_step} ({how}); scored cells (*): "
        f"{int(mask.sum())}, {verdict}"
    )
    if wrong:
        bad = np.flatnonzero((trace.final_memory != target) & mask)[:10]
        lines.append(
            "  wrong: "
            + ", ".join(f"cell {c} = {trace.final_memory[c]}, want {target[c]}" for c in bad)
        )
    return "\n".join(lines)


# --- the picture --------------------------------------------------------------------------------


def draw(trace: Trace, target: np.ndarray, mask: np.ndarray, path: str, title: str) -> None:
    """Memory and registers over time as heat maps (rows: steps, the state at their start,
    then the memory read out); READ addresses circled, WRITE addresses crossed, scored
    cells boxed in the last row, green when right and red when wrong."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    size = trace.final_memory.size
    memory = np.stack([row.memory for row in trace.rows] + [trace.final_memory])
    registers = np.stack([row.registers for row in trace.rows])
    steps, count = len(trace.rows), registers.shape[1]
    annotate = size <= 40 and steps <= 60
    height = min(2.0 + 0.32 * (steps + 1), 24)
    figure, (left, right) = plt.subplots(
        1,
        2,
        figsize=(min(3 + 0.42 * size, 40) + 2.5, height),
        gridspec_kw={"width_ratios": [max(size, 4), max(count, 2) + 2]},
    )
    colours = {"cmap": "viridis", "vmin": 0, "vmax": size - 1, "aspect": "auto"}
    image = left.imshow(memory, **colours)
    right.imshow(registers, **colours)
    labels = [str(row.step) for row in trace.rows] + ["end"]
    for axes, rows in ((left, memory), (right, registers)):
        axes.set_yticks(range(len(rows)))
        axes.set_yticklabels(labels[: len(rows)], fontsize=7)
        if annotate:
            for (y, x), value in np.ndenumerate(rows):
                shade = "black" if value > 0.6 * (size - 1) else "white"
                axes.text(x, y, str(value), ha="center", va="center", fontsize=7, color=shade)
    for y, row in enumerate(trace.rows):
        for address in row.reads:
            left.plot(address, y, "o", ms=13, mfc="none", mec="white", mew=1.5)
        for address, _ in row.writes:
            left.plot(address + 0.3, y - 0.28, "x", ms=6, color="red", mew=2)  # a corner
    for cell in np.flatnonzero(mask):
        right_value = trace.final_memory[cell] == target[cell]
        left.add_patch(
            Rectangle(
                (cell - 0.5, steps - 0.5),
                1,
                1,
                fill=False,
                lw=2,
                ec="lime" if right_value else "red",
            )
        )
    left.set_xlabel("memory cell (o: READ address, x: WRITE address; boxes: scored cells)")
    left.set_ylabel("step (state at its start)")
    left.set_title(title, fontsize=9)
    right.set_xticks(range(count))
    right.set_xticklabels([f"r{i + 1}" for i in range(count)])
    right.set_title("registers", fontsize=9)
    for y, row in enumerate(trace.rows):
        right.text(count - 0.3, y, f"f={row.finish:.2f}", va="center", fontsize=7)
    right.set_xlim(-0.5, count + 1.5)
    figure.colorbar(image, ax=right, fraction=0.1, label="value")
    figure.tight_layout()
    save_figure(figure, path, dpi=110)


# --- the command --------------------------------------------------------------------------------


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "trace",
        help="run one example and print every step (like the paper's Table 2)",
        description="Run one fresh example of the run's task and print, per step, the memory "
        "and registers at its start, the READ address, the WRITE address:value and f_t; "
        "discretised by default (the integer machine, any size), or --fuzzy.",
    )
    parser.add_argument("run", help="a run directory")
    parser.add_argument("--difficulty", type=int, default=5, help="difficulty of the example")
    parser.add_argument("--seed", type=int, default=0, help="seed of the example")
    parser.add_argument("--fuzzy", action="store_true", help="the fuzzy machine (argmax shown)")
    parser.add_argument("--memory-size", type=int, help="M (default: scaled with the difficulty)")
    parser.add_argument("--timesteps", type=int, help="T (default: the run's horizon rule)")
    parser.add_argument("--checkpoint", default="best", choices=["best", "latest"])
    parser.add_argument("--cells", type=int, default=40, help="memory cells shown (default 40)")
    parser.add_argument("--png", metavar="FILE.png", help="draw the run as heat maps")
    parser.set_defaults(handler=run_trace)


def run_trace(args: argparse.Namespace) -> int:
    from nram import evaluate, tasks, train

    at_least(
        ("--memory-size", args.memory_size, 1),
        ("--timesteps", args.timesteps, 1),
        ("--cells", args.cells, 1),
        ("--seed", args.seed, 0),
    )
    model, config = train.load_model(args.run, args.checkpoint, args.plugin)
    task = tasks.get(config.task)
    size = args.memory_size or evaluate.memory_size_for(config, args.difficulty)
    horizon = args.timesteps or config.horizon(args.difficulty)
    example = task.sample(np.random.default_rng(args.seed), args.difficulty, size)
    if args.fuzzy:
        trace = fuzzy_trace(model, example.memory, horizon)
    else:
        trace = discrete_trace(model, example.memory, horizon)
    mode = "fuzzy (most likely values)" if args.fuzzy else "discretised"
    title = f"{config.task}, difficulty {args.difficulty}, M = {size}, T = {horizon}, {mode}"
    print(title)
    print(format_table(trace, example.target, example.mask, args.cells))
    if args.png:
        draw(trace, example.target, example.mask, args.png, title)
        print(f"picture written to {args.png}")
    return 0
