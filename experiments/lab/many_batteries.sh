#!/usr/bin/env bash
# Battery sweeps (`nram sweep`, attempts side by side) many at once, one core each, for a
# machine with more cores than this one; then each battery's attempts by level.
#   bash experiments/lab/many_batteries.sh JOBS DIR [PARALLEL]
# JOBS: one battery per line: its name, any VAR=VALUE for its environment, then `nram sweep`
# arguments (no --sweep-dir).
set -u
jobs=$1 dir=$2 parallel=${3:-$(nproc)}
export PYTHONPATH=$PWD/src PYTHONUNBUFFERED=1 JAX_PLATFORMS=cpu OMP_NUM_THREADS=1 MPLBACKEND=Agg
export XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
mkdir -p "$dir"
one() {
  local name=$1 dir=$2 environment=()
  shift 2
  while [[ $1 == *=* ]]; do environment+=("$1"); shift; done
  env "${environment[@]}" python3 -m nram sweep "$@" --sweep-dir "$dir/$name" >"$dir/$name.log" 2>&1
}
export -f one
grep -v '^#' "$jobs" | grep . | while read -r name args; do
  echo "$name $dir $args"
done | xargs -P "$parallel" -L 1 bash -c 'one "$@"' _
python3 experiments/attempt_levels.py "$dir"/*/ >"$dir/levels.txt" 2>&1
