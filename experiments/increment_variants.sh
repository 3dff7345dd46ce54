#!/usr/bin/env bash
# Does any one change raise Increment's odds? Each variant trains seeds 10-17 for one attempt
# of 1500 steps (no restarts), two runs side by side; a seed either solves in that attempt
# or not. The table of Increment variants in docs/results.md comes from the summaries (the
# LSTM and no-curriculum variants were stopped part-way there; the table says where).
#   bash experiments/increment_variants.sh OUT
#   grep -h '^| ' OUT/*.log                  # one row per variant
set -eu
out=${1:?usage: increment_variants.sh OUT}
mkdir -p "$out"
variant() {  # NAME SETTING...
  local name=$1
  shift
  local settings=()
  for setting in "$@"; do settings+=(--set "$setting"); done
  nram sweep increment --seeds 10-17 --workers 2 --patience 0 --generalisation 0 \
    --set steps=1500 --set restart_after=0 "${settings[@]}" \
    --sweep-dir "$out/$name" > "$out/$name.log" 2>&1
}
variant grid machine.width=64,256 lr=1e-3,3e-3  # the defaults are width 256, lr 1e-3
variant registers5 machine.registers=5
variant entropy003 entropy.weight=0.03
variant keep machine.register_keep_bias=1,3
variant halflife500 entropy.half_life=500
variant batch64 batch_size=64
variant threshold005 curriculum.threshold=0.05
variant lstm machine.controller=lstm
variant nocurriculum curriculum.enabled=false lr=1e-3,3e-3
