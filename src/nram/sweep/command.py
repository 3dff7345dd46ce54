"""`nram sweep`: the command line, and what it prints."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nram.errors import at_least
from nram.sweep.directory import default_sweep_dir
from nram.sweep.report import markdown_table
from nram.sweep.run import run_sweep
from nram.sweep.scheduler import Asha
from nram.sweep.spec import DEFAULT_PATIENCE, DEFAULT_SEEDS, build_spec


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "sweep",
        help="many seeds and settings of a task, and their success rates",
        description="Train TASK for every setting x seed (grid or random search), each run a "
        "run directory under one sweep directory; print a line per finished run and, at the "
        "end, the success table (also summary.csv/.md/.png in the sweep directory). Run the "
        "same command again to resume an interrupted sweep.",
        epilog="examples:\n"
        "  nram sweep access --seeds 10\n"
        "  nram sweep copy --seeds 0-19 --set lr=1e-3,3e-3 --set noise.eta=0,0.3\n"
        "  nram sweep copy --random 8 --set lr=log:1e-4:1e-2 --set entropy.weight=0,0.03\n"
        "  nram sweep --sweep sweeps/swap-lstm.toml --backend ray --address auto\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("task", nargs="?", help="the task (or task = ... in --sweep FILE)")
    parser.add_argument(
        "--seeds", help=f"a count (20), a range (0-19) or a list (1,4,7-9); default {DEFAULT_SEEDS}"
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        dest="assignments",
        metavar="NAME=VALUES",
        help="fix a setting (lr=1e-3) or sweep it "
        "(lr=1e-3,3e-3; with --random also lr=log:1e-4:1e-2 or LOW:HIGH)",
    )
    parser.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="FILE.toml",
        help="TOML file of base settings (may repeat)",
    )
    parser.add_argument(
        "--sweep",
        dest="sweep_file",
        metavar="FILE.toml",
        help="sweep file: task, seeds, [base], and [grid] or [random]",
    )
    parser.add_argument(
        "--random",
        type=int,
        metavar="N",
        dest="random_count",
        help="random search: sample N settings from the swept values/ranges",
    )
    parser.add_argument("--random-seed", type=int, help="seed of that sample (default 0)")
    parser.add_argument(
        "--patience",
        type=int,
        help="stop a run after this many steps "
        f"without a curriculum promotion; 0: never (default {DEFAULT_PATIENCE})",
    )
    parser.add_argument(
        "--scheduler",
        choices=["none", "asha"],
        default="none",
        help="asha: asynchronous successive halving stops the runs that fall behind at steps "
        "MIN x R^k (Optuna's pruner; best with --set restart_after=0); none: every run goes on "
        "until it solves or --patience stops it (default)",
    )
    parser.add_argument(
        "--asha-min-steps", type=int, default=200, metavar="MIN", help="first rung (default 200)"
    )
    parser.add_argument(
        "--asha-reduction",
        type=int,
        default=3,
        metavar="R",
        help="at each rung the best 1/R go on (default 3)",
    )
    parser.add_argument(
        "--sweep-dir",
        help="where the runs go (default sweeps/TASK-DIGEST, the same for the same command)",
    )
    parser.add_argument("--backend", choices=["local", "ray"], default="local")
    parser.add_argument("--workers", type=int, help="parallel runs (default: the CPU count)")
    parser.add_argument("--address", help="Ray cluster address (default: start a local one)")
    parser.add_argument("--max-runs", type=int, help="start at most this many runs now")
    parser.add_argument(
        "--generalisation",
        type=int,
        default=50,
        metavar="DIFFICULTY",
        help="evaluate solved models at this difficulty (0: skip; default 50)",
    )
    parser.add_argument(
        "--eval-examples", type=int, default=32, help="examples for that evaluation (default 32)"
    )
    parser.add_argument(
        "--compile-cache",
        default="default",
        metavar="DIR",
        help="JAX compilation cache the runs share (default SWEEP_DIR/.jax-cache; "
        "'off': every run compiles)",
    )
    parser.set_defaults(handler=run_command)


def run_command(args: argparse.Namespace) -> int:
    at_least(
        ("--max-runs", args.max_runs, 0),
        ("--eval-examples", args.eval_examples, 1),
        ("--generalisation", args.generalisation, 0),
    )
    spec = build_spec(
        args.task,
        sweep_file=args.sweep_file,
        config_files=args.config,
        assignments=args.assignments,
        seeds=args.seeds,
        random_count=args.random_count,
        random_seed=args.random_seed,
        patience=args.patience,
        scheduler=Asha(args.asha_min_steps, args.asha_reduction)
        if args.scheduler == "asha"
        else None,
        plugins=args.plugin,
    )
    sweep_dir = Path(args.sweep_dir) if args.sweep_dir else default_sweep_dir(spec)
    report = run_sweep(
        spec,
        sweep_dir,
        backend=args.backend,
        workers=args.workers,
        address=args.address,
        max_runs=args.max_runs,
        generalisation=args.generalisation,
        eval_examples=args.eval_examples,
        compile_cache=None if args.compile_cache == "off" else args.compile_cache,
        log=lambda line: print(line, flush=True),
    )
    print()
    print(markdown_table(report))
    total = next(row for row in reversed(report.rows))
    print(
        f"\n{total['solved']} of {total['finished']} finished runs solved; "
        f"{total['cpu_hours']:.3f} CPU-hours, "
        f"{report.wall_seconds / 60:.1f} min wall time; tables and plot in {sweep_dir}/summary.*"
    )
    if not report.completed:
        print("not every run has ended: run the same command again to carry on", file=sys.stderr)
    return 0
