#!/usr/bin/env bash
# Which term of the objective moves a right program away? swap-repeat2 from margin 1 (where
# it slides, see docs/programs.md) with one term at a time switched off, and all of them:
# the entropy bonus, gradient noise, learned halting, the curriculum, the activation clip,
# the log clamp (ε 1e-30); 600 steps, seeds 0 and 1.
#   bash experiments/stability_terms.sh OUT; python experiments/stability_summary.py OUT/*
set -eu
out=${1:?usage: stability_terms.sh OUT}
program=swap-repeat2
sets=$(python -c "from nram import programs; print(' '.join('--set ' + s for s in programs.get('$program').settings()))")
common="--seeds 2 --workers 2 --patience 0 --generalisation 0 --set init.program=$program --set init.margin=1 --set restart_after=0 --set steps=600 $sets"
run() { name=$1; shift; nram sweep swap $common "$@" --sweep-dir "$out/$name"; }
run no-entropy --set entropy.weight=0 --set entropy.sharpen=0
run no-noise --set noise.eta=0
run no-halting --set machine.learn_halting=false
run no-curriculum --set curriculum.enabled=false
run no-clip --set clip.activation=none
run log-eps-1e-30 --set numerics.log_eps=1e-30
run none-of-them --set entropy.weight=0 --set entropy.sharpen=0 --set noise.eta=0 \
  --set machine.learn_halting=false --set curriculum.enabled=false
