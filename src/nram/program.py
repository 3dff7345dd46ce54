"""The learned program: circuits as text (like the paper's Fig. 4), text back to circuits, DOT.

A circuit is printed pruned to what it does: each register that changes, as an expression
over the registers (`r3 <- r4;  r4 <- MIN(INC(r3), r2)`), then every WRITE (a WRITE always
changes the memory, so it is always shown), then `HALT` if f_t >= 0.5. Modules whose outputs
reach neither a register nor a WRITE are dead and not shown; `r_i <- r_i` (a register that
keeps its value) is not shown either. A module output used twice is written twice; within a
step every module reads the values of the step's start, and READ sees the memory as left by
the WRITEs before it in the module sequence (with the paper's sequence: the step's start).

A program is a list of blocks, one per distinct circuit. For a stateless (MLP) controller
each block says for which zero-patterns of the registers the controller chooses it:

    when r1 = 0, r2 = 0, r3 = 0, r4 = 0:
      r2 <- DEC(READ(r4));  r4 <- ONE;  WRITE(ADD(r4, r2), READ(r4))
    otherwise:
      r3 <- r4;  r4 <- MIN(INC(r3), r2);  WRITE(ADD(r4, r2), READ(r4))

`parse` reads that text back into a `CircuitTable` (the first block whose condition holds
wins; `#` starts a comment), so a program can be written by hand and run by `nram.discrete`.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from nram.config import TrainConfig
from nram.discrete import (
    Circuit,
    CircuitTable,
    IntegerMachine,
    RecurrentPolicy,
    live_modules,
    zero_pattern,
)
from nram.errors import NramError, ProgramError, at_least, file_errors
from nram.machine import NRAM
from nram.modules import Module

# --- circuits as text ------------------------------------------------------------------------


def expression(value: int, circuit: Circuit, modules: Sequence[Module]) -> str:
    """The value `value` (a register, or a module's output) as an expression over registers."""
    registers = len(circuit.sources)
    if value < registers:
        return f"r{value + 1}"
    index = value - registers
    name = modules[index].name.upper()
    if not circuit.arguments[index]:
        return name
    arguments = ", ".join(expression(a, circuit, modules) for a in circuit.arguments[index])
    return f"{name}({arguments})"


def statements(circuit: Circuit, modules: Sequence[Module]) -> list[str]:
    """What the circuit does: changed registers, then every WRITE, then HALT."""
    lines = [
        f"r{register + 1} <- {expression(source, circuit, modules)}"
        for register, source in enumerate(circuit.sources)
        if source != register
    ]
    registers = len(circuit.sources)
    lines += [
        expression(registers + index, circuit, modules)
        for index, module in enumerate(modules)
        if module.kind == "write"
    ]
    if circuit.halt:
        lines.append("HALT")
    return lines


def format_circuit(circuit: Circuit, modules: Sequence[Module]) -> str:
    return ";  ".join(statements(circuit, modules)) or "pass"


def condition(pattern: int, registers: int) -> str:
    """A zero-pattern as the condition that selects it: `r1 = 0, r2 != 0, ...`."""
    return ", ".join(f"r{i + 1} {'=' if pattern >> i & 1 else '!='} 0" for i in range(registers))


# --- text back to circuits ---------------------------------------------------------------------

_TOKEN = re.compile(r"\s*(<-|[(),]|[A-Za-z_][A-Za-z_0-9]*)")
_REGISTER = re.compile(r"r([0-9]+)$")


def _tokens(text: str) -> list[str]:
    tokens, position = [], 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match:
            raise ProgramError(f"cannot read {text[position:].strip()!r} in {text.strip()!r}")
        tokens.append(match.group(1))
        position = match.end()
    return tokens


def _parse_expression(tokens: list[str], position: int) -> tuple[tuple, int]:
    """expr := rK | NAME | NAME '(' expr {',' expr} ')'. Returns (node, next position);
    a node is ("register", k) or ("call", NAME, (argument nodes...))."""
    if position >= len(tokens):
        raise ProgramError("an expression ends too early")
    token = tokens[position]
    register = _REGISTER.match(token)
    if register:
        return ("register", int(register.group(1))), position + 1
    if not re.match(r"[A-Za-z_]", token):
        raise ProgramError(f"expected a register or a module, got {token!r}")
    arguments: list[tuple] = []
    position += 1
    if position < len(tokens) and tokens[position] == "(":
        position += 1
        while True:
            argument, position = _parse_expression(tokens, position)
            arguments.append(argument)
            if position < len(tokens) and tokens[position] == ",":
                position += 1
                continue
            if position < len(tokens) and tokens[position] == ")":
                position += 1
                break
            raise ProgramError(f"expected ',' or ')' after an argument of {token.upper()}")
    return ("call", token.lower(), tuple(arguments)), position


class _CircuitBuilder:
    """Places each distinct sub-expression on a module of the sequence: the first free module
    of that name that comes after the modules its arguments come from."""

    def __init__(self, modules: Sequence[Module], registers: int):
        self.modules = modules
        self.registers = registers
        self.arguments: list[tuple[int, ...] | None] = [None] * len(modules)
        self.sources = list(range(registers))
        self.halt = False
        self.placed: dict[tuple, int] = {}  # expression node -> value index

    def value(self, node: tuple) -> int:
        if node[0] == "register":
            if not 1 <= node[1] <= self.registers:
                raise ProgramError(
                    f"r{node[1]} does not exist: registers are r1..r{self.registers}"
                )
            return node[1] - 1
        if node in self.placed:
            return self.placed[node]
        _, name, argument_nodes = node
        arguments = tuple(self.value(argument) for argument in argument_nodes)
        earliest = max(
            (a - self.registers + 1 for a in arguments if a >= self.registers), default=0
        )
        for index in range(earliest, len(self.modules)):
            module = self.modules[index]
            if module.name == name and self.arguments[index] is None:
                if module.arity != len(arguments):
                    raise ProgramError(
                        f"{name.upper()} takes {module.arity} arguments, got {len(arguments)}"
                    )
                self.arguments[index] = arguments
                self.placed[node] = self.registers + index
                return self.registers + index
        known = sorted({module.name.upper() for module in self.modules})
        if name not in {module.name for module in self.modules}:
            raise ProgramError(
                f"no module {name.upper()} in this machine; it has {', '.join(known)}"
            )
        raise ProgramError(f"no free {name.upper()} module left after its arguments' modules")

    def statement(self, text: str) -> None:
        tokens = _tokens(text)
        if not tokens or tokens == ["pass"]:
            return
        if tokens == ["HALT"] or tokens == ["halt"]:
            self.halt = True
            return
        if len(tokens) > 1 and tokens[1] == "<-":
            register = _REGISTER.match(tokens[0])
            if not register or not 1 <= int(register.group(1)) <= self.registers:
                raise ProgramError(f"{tokens[0]!r} is not a register r1..r{self.registers}")
            node, end = _parse_expression(tokens, 2)
            target = int(register.group(1)) - 1
        else:
            node, end = _parse_expression(tokens, 0)
            target = None
            if node[0] != "call" or node[1] not in self._write_names():
                raise ProgramError(
                    f"{text.strip()!r}: a statement is rK <- EXPR, WRITE(EXPR, EXPR), HALT or pass"
                )
        if end != len(tokens):
            raise ProgramError(f"unexpected {' '.join(tokens[end:])!r} in {text.strip()!r}")
        value = self.value(node)
        if target is not None:
            self.sources[target] = value

    def _write_names(self) -> set[str]:
        return {module.name for module in self.modules if module.kind == "write"}

    def circuit(self) -> Circuit:
        for index, module in enumerate(self.modules):
            if module.kind == "write" and self.arguments[index] is None:
                raise ProgramError(
                    f"the program does not say what WRITE number {index + 1} in the sequence "
                    "does; every WRITE changes the memory (WRITE(r1, READ(r1)) leaves it as is)"
                )
        # A module the program does not use is dead; its arguments are r1 (any would do).
        arguments = tuple(
            choice if choice is not None else (0,) * module.arity
            for choice, module in zip(self.arguments, self.modules, strict=True)
        )
        return Circuit(arguments, tuple(self.sources), self.halt, float(self.halt))


def parse_circuit(text: str, modules: Sequence[Module], registers: int) -> Circuit:
    """One circuit from statements separated by ';' or newlines."""
    builder = _CircuitBuilder(modules, registers)
    for line in text.splitlines():
        for statement in line.split("#", 1)[0].split(";"):
            builder.statement(statement)
    return builder.circuit()


def _parse_condition(text: str, registers: int) -> list[int]:
    """The zero-patterns a `when ...` condition selects (unmentioned registers: any)."""
    patterns = list(range(2**registers))
    for part in filter(None, (p.strip() for p in text.split(","))):
        match = re.fullmatch(r"r([0-9]+)\s*(=|==|!=)\s*0", part)
        if not match or not 1 <= int(match.group(1)) <= registers:
            raise ProgramError(f"cannot read the condition {part!r}; write e.g. r1 = 0, r2 != 0")
        bit = int(match.group(1)) - 1
        zero = match.group(2) != "!="
        patterns = [p for p in patterns if bool(p >> bit & 1) == zero]
    return patterns


def parse(text: str, modules: Sequence[Module], registers: int) -> CircuitTable:
    """A whole program (blocks of `when ...:` / `otherwise:` lines, each followed by the
    block's statements) as the table of circuits of a stateless controller."""
    blocks: list[tuple[list[int], list[str]]] = []
    heading = False
    for line in text.splitlines():
        code = line.split("#", 1)[0].strip()
        if not code:
            continue
        header = re.fullmatch(r"(when\s+(.*)|otherwise)\s*:", code)
        if header:
            patterns = (
                _parse_condition(header.group(2), registers)
                if header.group(2) is not None
                else list(range(2**registers))
            )
            if heading:  # consecutive headers share one body
                blocks[-1][0].extend(patterns)
            else:
                blocks.append((patterns, []))
            heading = True
            continue
        if not blocks:
            raise ProgramError("a program starts with `when r1 = 0, ...:` or `otherwise:`")
        blocks[-1][1].append(code)
        heading = False
    table: dict[int, Circuit] = {}
    for patterns, body in blocks:
        circuit = parse_circuit("\n".join(body), modules, registers)
        for pattern in patterns:
            table.setdefault(pattern, circuit)
    missing = [p for p in range(2**registers) if p not in table]
    if missing:
        raise ProgramError(
            f"no circuit for {condition(missing[0], registers)} (add an `otherwise:` block)"
        )
    return CircuitTable(tuple(table[p] for p in range(2**registers)))


# --- a trained model's program ------------------------------------------------------------------


@dataclass
class Block:
    """One distinct circuit (as printed) and where it was used."""

    text: str
    circuit: Circuit
    patterns: list[int]  # zero-patterns that choose it (a stateless controller only)
    uses: int  # steps it ran on the sample inputs
    finishes: list[float] = field(default_factory=list)  # f_t of each of those patterns


def usage(machine: IntegerMachine, memories: Sequence[Sequence[int]], horizons: Sequence[int]):
    """Run the sample inputs; count steps per zero-pattern and per printed circuit."""
    per_pattern: Counter[int] = Counter()
    per_circuit: Counter[str] = Counter()
    circuits: dict[str, Circuit] = {}
    for memory, horizon in zip(memories, horizons, strict=True):
        for step in machine.run(memory, horizon, record=True).trace or []:
            text = format_circuit(step.circuit, machine.modules)
            per_pattern[zero_pattern(step.registers)] += 1
            per_circuit[text] += 1
            circuits.setdefault(text, step.circuit)
    return per_pattern, per_circuit, circuits


def blocks_of_table(
    table: CircuitTable, modules: Sequence[Module], per_pattern: Counter[int], everything: bool
) -> list[Block]:
    """One block per distinct printed circuit, most used first."""
    by_text: dict[str, Block] = {}
    for pattern, circuit in enumerate(table.circuits):
        if not everything and not per_pattern[pattern]:
            continue
        text = format_circuit(circuit, modules)
        block = by_text.setdefault(text, Block(text, circuit, [], 0))
        block.patterns.append(pattern)
        block.finishes.append(circuit.finish)
        block.uses += per_pattern[pattern]
    return sorted(by_text.values(), key=lambda block: -block.uses)


def format_program(
    blocks: list[Block],
    registers: int,
    total: int,
    per_pattern: Counter[int] | None,
    unused_patterns: int = 0,
) -> str:
    lines = []
    for number, block in enumerate(blocks, 1):
        share = f"{block.uses:,} of {total:,} steps ({block.uses / max(total, 1):.1%})"
        if per_pattern is None:  # a recurrent controller: no zero-patterns to show
            lines.append(f"# circuit {number}: used at {share}, f = {block.circuit.finish:.2f}")
        else:
            lines.append(f"# circuit {number}: used at {share}")
            for pattern, finish in zip(block.patterns, block.finishes, strict=True):
                lines.append(
                    f"when {condition(pattern, registers)}:"
                    f"    # {per_pattern[pattern]:,} steps, f = {finish:.2f}"
                )
        lines.append("  " + block.text)
        lines.append("")
    if unused_patterns:
        lines.append(
            f"# {unused_patterns} zero-pattern(s) never reached on these inputs "
            "(--all prints their circuits too)"
        )
    return "\n".join(lines).rstrip() + "\n"


def to_dot(blocks: list[Block], modules: Sequence[Module], registers: int) -> str:
    """Graphviz DOT: one cluster per circuit; registers in, live modules, registers out."""
    lines = ["digraph program {", "  rankdir=LR;", '  node [fontname="Helvetica"];']
    for number, block in enumerate(blocks, 1):
        circuit = block.circuit
        prefix = f"c{number}_"
        lines.append(f"  subgraph cluster_{number} {{")
        lines.append(f'    label="circuit {number}: {block.uses:,} steps";')

        def node(value: int, prefix: str = prefix) -> str:
            return f"{prefix}r{value + 1}" if value < registers else f"{prefix}m{value - registers}"

        used = set()
        for index in live_modules(circuit, modules):
            module = modules[index]
            shape = "box" if module.kind in ("read", "write") else "ellipse"
            lines.append(f'    {prefix}m{index} [label="{module.name.upper()}", shape={shape}];')
            for position, argument in enumerate(circuit.arguments[index]):
                label = f' [label="{position + 1}"]' if module.arity == 2 else ""
                lines.append(f"    {node(argument)} -> {prefix}m{index}{label};")
                used.add(argument)
        for register, source in enumerate(circuit.sources):
            if source != register:
                lines.append(
                    f'    {prefix}out{register + 1} [label="r{register + 1}\'", '
                    "shape=doublecircle];"
                )
                lines.append(f"    {node(source)} -> {prefix}out{register + 1};")
                used.add(source)
        for value in sorted(v for v in used if v < registers):
            lines.append(f'    {prefix}r{value + 1} [label="r{value + 1}", shape=circle];')
        if circuit.halt:
            lines.append(f'    {prefix}halt [label="HALT", shape=octagon];')
        lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


# --- the command -------------------------------------------------------------------------------


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "program",
        help="print the learned circuits, pruned to what they do (like the paper's Fig. 4)",
        description="Discretise a trained run's controller and print its circuits: for each "
        "distinct circuit, the registers it changes (as expressions over the registers), its "
        "WRITEs and whether it halts, with how often it ran on sample inputs. An MLP "
        "controller's circuits are listed per zero-pattern of the registers; `r_i <- r_i` and "
        "dead modules are left out.",
    )
    parser.add_argument(
        "run",
        nargs="?",
        help="a run directory; with --check, a program file (default: the shipped program)",
    )
    parser.add_argument(
        "--check",
        metavar="TASK",
        help="run a hand-written program (nram.programs) on fresh examples of TASK at 1..n_max, "
        "2 and 10 x n_max and n = 1000, M scaled, and print its error per difficulty",
    )
    parser.add_argument("--checkpoint", default="best", choices=["best", "latest"])
    parser.add_argument(
        "--difficulty",
        type=int,
        action="append",
        help="difficulty of the sample inputs (may repeat; default 1..max)",
    )
    parser.add_argument(
        "--examples",
        type=int,
        help="sample inputs per difficulty (default 10; with --check, 100)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the sample inputs")
    parser.add_argument(
        "--all", action="store_true", help="also print the circuits of zero-patterns never reached"
    )
    parser.add_argument("--dot", metavar="FILE.dot", help="write the circuits as Graphviz DOT")
    parser.set_defaults(handler=run_program)


def run_program(args: argparse.Namespace) -> int:
    from nram import tasks, train

    at_least(("--examples", args.examples, 1), ("--seed", args.seed, 0))
    if args.check:
        return check_program(args)
    if not args.run:
        raise NramError("name a run directory (nram program RUN) or --check TASK")
    args.examples = args.examples or 10
    model, config = train.load_model(args.run, args.checkpoint, args.plugin)
    task = tasks.get(config.task)
    difficulties = args.difficulty or list(range(task.min_difficulty, config.max_difficulty + 1))
    text, blocks = learned_program(
        model, config, difficulties, examples=args.examples, seed=args.seed, everything=args.all
    )
    print(text, end="")
    if args.dot:
        with file_errors(args.dot, "write"), open(args.dot, "w") as handle:
            handle.write(to_dot(blocks, model.modules, model.config.registers))
        print(f"# DOT written to {args.dot}")
    return 0


def learned_program(
    model: NRAM,
    config: TrainConfig,
    difficulties: list[int],
    *,
    examples: int = 10,
    seed: int = 0,
    everything: bool = False,
) -> tuple[str, list[Block]]:
    """A model's discretised program as `nram program` prints it, with its blocks: the
    circuits it ran on `examples` sample inputs per difficulty (`everything`: also the
    circuits of zero-patterns never reached)."""
    from nram import evaluate, tasks

    task = tasks.get(config.task)
    rng = np.random.default_rng(seed)
    memories, horizons = [], []
    for difficulty in difficulties:
        batch = task.sample_batch(
            rng, np.full(examples, difficulty), evaluate.memory_size_for(config, difficulty)
        )
        memories += [row.tolist() for row in batch.memory]
        horizons += [config.horizon(difficulty)] * examples
    machine = IntegerMachine.of(model)
    per_pattern, per_circuit, circuits = usage(machine, memories, horizons)
    total = sum(per_circuit.values())
    registers = model.config.registers
    heading = (
        f"# {config.task}, {config.machine.controller} controller, {registers} registers; "
        f"sample inputs: {examples} per difficulty "
        f"{evaluate.format_difficulties(difficulties)}\n"
    )
    if isinstance(machine.policy, CircuitTable):
        blocks = blocks_of_table(machine.policy, machine.modules, per_pattern, everything)
        unused = 0 if everything else 2**registers - len(per_pattern)
        return heading + format_program(blocks, registers, total, per_pattern, unused), blocks
    assert isinstance(machine.policy, RecurrentPolicy)
    blocks = [Block(text, circuits[text], [], uses) for text, uses in per_circuit.most_common()]
    return heading + format_program(blocks, registers, total, None), blocks


def check_program(args: argparse.Namespace) -> int:
    """`nram program --check TASK [FILE]`: a program's error per difficulty."""
    from pathlib import Path

    from nram import config as configuration
    from nram import evaluate, programs, tasks

    task = tasks.get(args.check)
    if args.run:
        path = Path(args.run)
        if not path.is_file():
            raise NramError(f"no program file {path}")
        program = programs.load(path.read_text(), path.stem, task.name)
    else:
        program = programs.get(task.name)
    top = configuration.resolve(task.name).max_difficulty
    difficulties = args.difficulty or [
        *range(task.min_difficulty, top + 1),
        2 * top,
        10 * top,
        1000,
    ]
    examples = args.examples or 100
    report = programs.check(
        program, difficulties, examples=examples, rng=np.random.default_rng(args.seed)
    )
    config = program.config
    print(
        f"# program {program.name}: {config.registers} registers, module sequence x "
        f"{config.repeat}, {programs.describe_horizon(program.horizon)}"
    )
    print(evaluate.format_table(report))
    return 0
