#!/usr/bin/env bash
# Seeds solved per CPU-hour: the sweep's default rule (restarts after 500 steps without
# progress, patience 1000) against ASHA (one attempt per seed, rungs at 100 x 3^k steps),
# the same twelve Copy seeds, 3000 steps at most per run; then ASHA with restarts on.
#   bash experiments/scheduler.sh OUT   (ASHA with one worker, as docs/sweeps.md measured it)
set -eu
out=${1:?usage: scheduler.sh OUT}
common="--seeds 0-11 --workers 2 --set steps=3000 --generalisation 0"
nram sweep copy $common --sweep-dir "$out/copy-patience"
asha="--workers 1 --scheduler asha --asha-min-steps 100 --asha-reduction 3"
nram sweep copy $common $asha --set restart_after=0 --sweep-dir "$out/copy-asha"
nram sweep copy $common $asha --sweep-dir "$out/copy-asha-restarts"
