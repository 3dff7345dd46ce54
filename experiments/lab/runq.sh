#!/usr/bin/env bash
# Run lab.py batteries one after another, each writing OUT/NAME.json and OUT/NAME.log.
#   LAB=/tmp/nram-lab OUT=/tmp/lab bash experiments/lab/runq.sh NAME "ARGS" [NAME "ARGS" ...]
# One XLA thread per battery, so that two batteries side by side use the two cores.
set -eu
: "${LAB:?set LAB to the worktree made as experiments/lab/README.md says}"
OUT=${OUT:-/tmp/lab}
mkdir -p "$OUT"
export PYTHONPATH=$LAB/src XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
here=$(cd "$(dirname "$0")" && pwd)
while [ $# -gt 1 ]; do
  name=$1; arguments=$2; shift 2
  # shellcheck disable=SC2086
  python "$here/lab.py" "$OUT/$name.json" $arguments > "$OUT/$name.log" 2>&1
done
