"""A program file as a margin-30 network on the fuzzy machine: its error at some difficulties.

`nram program --check` runs a program on the integer machine; this runs the network the
program becomes (`Program.model`) on the fuzzy machine and on the discretised one, as
`nram eval` would a trained model, with the task's defaults and the program's machine.

    python experiments/programs/network_error.py permutation FILE.nram --difficulties 2,4,6
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from nram import evaluate, programs

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("task")
parser.add_argument("file")
parser.add_argument("--difficulties", default="2,4,6")
parser.add_argument("--examples", type=int, default=20)
args = parser.parse_args()

program = programs.load(Path(args.file).read_text(), Path(args.file).stem, args.task)
model = program.model(margin=30)
resolved = program.train_config()
difficulties = [int(d) for d in args.difficulties.split(",")]
for discrete in (False, True):
    results = evaluate.measure(
        model,
        resolved,
        difficulties,
        examples=args.examples,
        discrete=discrete,
        rng=np.random.default_rng(0),
    )
    errors = ", ".join(f"n = {r.difficulty}: {r.error:.3f}" for r in results)
    print(f"{'discretised' if discrete else 'fuzzy'}: {errors}")
