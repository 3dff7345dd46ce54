"""The `nram` command: train, eval, settings, trace, program, sweep, plot.

Every subcommand turns a bad input (an `NramError`) into one line on stderr that says what
would be valid, and exit status 2; Ctrl-C exits with status 130 (a training run first saves
where it stopped); any other exception is a bug and shows its traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import NoReturn

from nram import __version__, use_single_threaded_xla
from nram.errors import NramError, at_least

EPILOG = """examples:
  nram train copy --seed 1                  train Copy with the defaults
  nram train swap --set machine.controller=lstm --set lr=1e-3
  nram train copy --resume runs/copy-seed1  continue an interrupted run
  nram eval runs/copy-seed1 --difficulty 15,50,100
  nram trace runs/copy-seed1 --difficulty 5
  nram program runs/copy-seed1
  nram sweep copy --seeds 10
  nram plot runs/copy-seed1 --out copy.png  training curves (a sweep directory: all its runs)
  nram --plugin mytask.py train mytask      a task of one's own (docs/plugins.md)
"""


INTERRUPTED = 130  # the exit status of a command stopped by Ctrl-C, as the shell's 128 + SIGINT

# --- train -------------------------------------------------------------------------------


def add_train(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train a model on a task",
        description="Train an NRAM on TASK with the paper's techniques (all on by default). "
        "Stops when solved: error 0 at every difficulty up to the maximum, fuzzy and "
        "discretised. Settings: `nram settings TASK` lists them with their values.",
    )
    parser.add_argument("task", nargs="?", help="the task (omit with --resume)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default 0)")
    parser.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="FILE.toml",
        help="TOML file of settings (may repeat; later files win)",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        dest="assignments",
        help="override one setting, e.g. --set lr=1e-3",
    )
    parser.add_argument("--run-dir", help="where to write the run (default runs/TASK-seedS)")
    parser.add_argument("--resume", metavar="RUN", help="continue the run in directory RUN")
    parser.add_argument(
        "--continue",
        action="store_true",
        dest="continue_solved",
        help="with --resume: train a solved run on (else resuming it changes nothing)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(handler=run_train)


def _default_run_dir(task: str, seed: int) -> Path:
    base = Path("runs") / f"{task}-seed{seed}"
    candidate, index = base, 1
    while candidate.exists() and any(candidate.iterdir()):
        candidate, index = Path(f"{base}-{index}"), index + 1
    return candidate


def run_train(args: argparse.Namespace) -> int:
    from nram import config as configuration
    from nram import train
    from nram.rundir import RunDirectory

    if args.resume:
        run_dir = Path(args.resume)
        if args.run_dir:
            raise configuration.ConfigError(
                f"--run-dir cannot change a run: --resume {run_dir} goes on where it is"
            )
        saved = RunDirectory(run_dir).read_config(args.plugin)
        if args.task and args.task != saved.task:
            raise configuration.ConfigError(
                f"{run_dir} trains {saved.task}, not {args.task}; omit TASK with --resume"
            )
        seed = [] if args.seed is None else [f"seed={args.seed}"]
        config = configuration.override(
            saved,
            files=args.config,
            assignments=[*args.assignments, *seed],
            keep=("task", "seed"),
        )
    else:
        if not args.task:
            raise configuration.ConfigError("name a task (e.g. nram train copy) or --resume RUN")
        if args.continue_solved:
            raise configuration.ConfigError("--continue goes with --resume RUN")
        config = configuration.resolve(
            args.task,
            files=args.config,
            assignments=args.assignments,
            seed=args.seed,
            plugins=args.plugin,
        )
        run_dir = Path(args.run_dir) if args.run_dir else _default_run_dir(args.task, config.seed)
        RunDirectory(run_dir).create()  # before saying where the run goes: it may not go there
        print(f"run directory: {run_dir}", file=sys.stderr)
    try:
        result = train.train(
            config,
            run_dir,
            resume=bool(args.resume),
            continue_solved=args.continue_solved,
            progress_bar=not args.no_progress,
        )
    except KeyboardInterrupt:  # a second Ctrl-C: at once, the last checkpoint stays
        return _interrupted(run_dir)
    status = "solved" if result.solved else f"not solved ({result.reason})"
    print(
        f"{config.task}: {status} at step {result.step}, level {result.level}, "
        f"{result.seconds:.1f} s of training; error {result.error:.4f}"
    )
    return _interrupted(run_dir) if result.reason == "interrupted" else 0


def _interrupted(run_dir: Path) -> int:
    print(f"interrupted: resume with  nram train --resume {run_dir}", file=sys.stderr)
    return INTERRUPTED


# --- eval --------------------------------------------------------------------------------


def _int_list(text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected integers like 10,20,50, got {text!r}") from None
    if not values:
        raise argparse.ArgumentTypeError("expected at least one integer")
    return values


def add_eval(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "eval",
        help="error and exact-match of a trained run, per difficulty",
        description="Load a run's checkpoint and report the paper's error (wrong scored cells "
        "/ scored cells) and the exact-match rate on fresh examples, fuzzy and discretised. "
        "Beyond the training sizes M and T scale with the difficulty.",
    )
    parser.add_argument("run", help="a run directory")
    parser.add_argument(
        "--difficulty",
        type=_int_list,
        default=None,
        help="comma-separated difficulties (default: 1..max, and 50, 100)",
    )
    parser.add_argument("--memory-size", type=int, help="one memory size for every difficulty")
    parser.add_argument("--timesteps", type=int, help="one horizon T for every example")
    parser.add_argument("--examples", type=int, default=100, help="examples per difficulty")
    parser.add_argument("--seed", type=int, default=12345, help="seed of the fresh examples")
    parser.add_argument("--checkpoint", default="best", choices=["best", "latest"])
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--plot", metavar="FILE.png", help="draw error against difficulty")
    parser.set_defaults(handler=run_eval)


def run_eval(args: argparse.Namespace) -> int:
    import numpy as np

    from nram import evaluate, tasks, train

    at_least(
        ("--examples", args.examples, 1),
        ("--memory-size", args.memory_size, 1),
        ("--timesteps", args.timesteps, 1),
        ("--seed", args.seed, 0),
    )
    model, config = train.load_model(args.run, args.checkpoint, args.plugin)
    task = tasks.get(config.task)
    difficulties = args.difficulty or [
        *range(task.min_difficulty, config.max_difficulty + 1),
        50,
        100,
    ]
    for difficulty in difficulties:
        if difficulty < task.min_difficulty:
            raise NramError(f"{config.task} difficulties start at {task.min_difficulty}")
    report = evaluate.report(
        model,
        config,
        difficulties,
        examples=args.examples,
        rng=np.random.default_rng(args.seed),
        memory_size=args.memory_size,
        timesteps=args.timesteps,
    )
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(evaluate.format_table(report))
    if args.plot:
        evaluate.plot(report, args.plot)
        print(f"plot written to {args.plot}", file=sys.stderr)
    return 0


# --- settings ----------------------------------------------------------------------------


def add_settings(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "settings",
        help="print a task's resolved settings as TOML",
        description="Print every setting with the value a run of TASK would use.",
    )
    parser.add_argument("task")
    parser.add_argument("--config", action="append", default=[], metavar="FILE.toml")
    parser.add_argument(
        "--set", action="append", default=[], dest="assignments", metavar="NAME=VALUE"
    )
    parser.set_defaults(handler=run_settings)


def run_settings(args: argparse.Namespace) -> int:
    from nram import config as configuration

    config = configuration.resolve(
        args.task, files=args.config, assignments=args.assignments, plugins=args.plugin
    )
    print(configuration.to_toml(config))
    return 0


# --- the command -------------------------------------------------------------------------


class Parser(argparse.ArgumentParser):
    """argparse, its errors one line like every bad input's (the usage is in --help)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="nram",
        description="Neural Random-Access Machines (Kurach et al., ICLR 2016): train, "
        "evaluate, trace and read the programs of differentiable pointer machines.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"nram {__version__}")
    parser.add_argument(
        "--plugin",
        action="append",
        default=[],
        metavar="FILE.py",
        help="a Python file to import first, one that registers modules or tasks (may "
        "repeat); a run records it, and naming it again for a run (--resume, eval, trace, "
        "program) takes the place of the recorded one, e.g. after the file moved",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_train(subparsers)
    add_eval(subparsers)
    add_settings(subparsers)
    for name in ("trace", "program", "sweep", "plot", "reproduce"):  # each in its own module
        module = _optional_module(f"nram.{name}")
        if module is not None and hasattr(module, "add_parser"):
            module.add_parser(subparsers)
    return parser


def _optional_module(name: str):
    import importlib

    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name != name:
            raise
        return None


def main(argv: list[str] | None = None) -> int:
    use_single_threaded_xla()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    from nram.config import load_plugins

    try:
        load_plugins(args.plugin)
        return args.handler(args)
    except NramError as error:  # bad input: one line; anything else is a bug, with its traceback
        print(f"nram: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C outside training, or a second one within it
        print("nram: interrupted", file=sys.stderr)
        return INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
