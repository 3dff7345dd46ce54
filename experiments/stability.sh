#!/usr/bin/env bash
# Is a right program a stable point of training? Start from each hand-written program's network
# at logit margins 30, 3, 1 and 0.3, and at margin 3 with Gaussian noise of 0.3 and 1 on every
# weight, with the task's training defaults otherwise (curriculum, entropy bonus, noise,
# halting), restarts off, 600 steps, two seeds; then `python experiments/stability_summary.py
# OUT/*` for the table in docs/programs.md.
#   bash experiments/stability.sh OUT [PROGRAM...]
set -eu
out=${1:?usage: stability.sh OUT [PROGRAM...]}
shift
programs=${*:-swap-repeat2 swap permutation listk listsearch merge walkbst}
for program in $programs; do
  task=${program%%-*}
  sets=$(python -c "from nram import programs; print(' '.join('--set ' + s for s in programs.get('$program').settings()))")
  common="--seeds 2 --workers 2 --patience 0 --generalisation 0 --set init.program=$program --set restart_after=0 --set steps=600 $sets"
  nram sweep "$task" $common --set init.margin=30,3,1,0.3 --sweep-dir "$out/$program-margin"
  nram sweep "$task" $common --set init.margin=3 --set init.perturb=0.3,1 --sweep-dir "$out/$program-perturb"
done
