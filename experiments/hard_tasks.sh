#!/usr/bin/env bash
# The five hard tasks with the defaults: SEEDS seeds each, LIMIT seconds of training per run,
# two runs side by side (one per core). EXTRA settings are passed on, e.g. restart_after=0.
#   bash experiments/hard_tasks.sh OUT [LIMIT] [SEEDS] [EXTRA=VALUE ...]
#   python experiments/hard_summary.py OUT/hard-*     # the columns in docs/results.md
set -eu
out=${1:?usage: hard_tasks.sh OUT [LIMIT_SECONDS] [SEEDS] [NAME=VALUE ...]}
limit=${2:-420}
seeds=${3:-2}
shift $(($# < 3 ? $# : 3))
extra=()
for setting in "$@"; do extra+=(--set "$setting"); done
mkdir -p "$out"
for task in permutation listk listsearch merge walkbst; do
  nram sweep "$task" --seeds "$seeds" --workers 2 --patience 0 --set max_seconds="$limit" \
    "${extra[@]}" --sweep-dir "$out/hard-$task" > "$out/hard-$task.log" 2>&1
done
