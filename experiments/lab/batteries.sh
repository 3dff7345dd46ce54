#!/usr/bin/env bash
# Every battery of docs/ideas.md, by name: K seeds of one setting, first attempts, in lab.py.
#   LAB=/tmp/nram-lab OUT=/tmp/lab bash experiments/lab/batteries.sh b1-base L1-n0-p3-nocur ...
# (two at once, in two shells, use the two cores). See experiments/lab/README.md for LAB.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
# The paper's Swap machine: 2 registers, the module sequence twice per step, T = 4 for every n.
P4="--set machine.repeat=2 --set machine.registers=2 --set horizon.scale=0 --set horizon.offset=4 --set horizon.minimum=1"
# The same with swap-repeat2's horizon, T = 3 (docs/programs.md).
P3="--set machine.repeat=2 --set machine.registers=2 --set horizon.scale=0 --set horizon.offset=3 --set horizon.minimum=1"
MIN="--set machine.modules=read,zero,one,write"
# Swap's defaults: P3 without gradient noise or curriculum; the cheaper attempt: at width 64, batch 8.
SWAP="$P3 --set noise.eta=0 --set curriculum.enabled=false"
CHEAP="$SWAP --set machine.width=64 --set batch_size=8"
# The one-pass program's machine (3 registers, T = 5) at the cheaper attempt's size.
ONE="$CHEAP --set machine.repeat=1 --set machine.registers=3 --set horizon.offset=5"
S16="--seeds 0-15"
PROGRAMS=${PROGRAMS:-$here/../../src/nram/programs}
# The hard tasks on their one-pass programs' machines (docs/programs.md), with Swap's fix
# (no noise, no curriculum) at the cheaper attempt's size; *-cur keeps the curriculum.
HARD="--seeds 0-19 --steps 1500 --set noise.eta=0 --set curriculum.enabled=false --set machine.width=64 --set batch_size=8"
LISTK1="--task listk --set machine.registers=3 --set machine.repeat=1 --set horizon.scale=1 --set horizon.offset=2 --set horizon.minimum=1 --set memory_size=24"
PERM1="--task permutation --set machine.registers=3 --set machine.repeat=1 --set horizon.scale=2 --set horizon.offset=1 --set horizon.minimum=1 --set memory_size=14"
declare -A battery=(
  [b1-base]="$S16 --steps 1500 $P4"
  [b1-linear]="$S16 --steps 1500 $P4 --set numerics.loss=linear"
  [b1-nocur]="$S16 --steps 1500 $P4 --set curriculum.enabled=false"
  [b2-e0]="$S16 --steps 1000 $P4 --set entropy.weight=0"
  [b2-e001]="$S16 --steps 1000 $P4 --set entropy.weight=0.001"
  [b2-e003]="$S16 --steps 1000 $P4 --set entropy.weight=0.003"
  [b2-e0-nocur]="$S16 --steps 1000 $P4 --set entropy.weight=0 --set curriculum.enabled=false"
  [b3-st-lin-e003]="$S16 --steps 1000 $P4 --set numerics.gumbel=1 --set numerics.straight_through=true --set numerics.loss=linear --set entropy.weight=0.003"
  [b4-hard-lin]="$S16 --steps 1000 $P4 --set numerics.hard_addresses=true --set numerics.loss=linear --set entropy.weight=0.003"
  [b5-min-p2-e0]="$S16 --steps 1000 $P4 $MIN --set entropy.weight=0"
  [b5-min-p2-e003]="$S16 --steps 1000 $P4 $MIN --set entropy.weight=0.003"
  [b6-min-n01-e003]="$S16 --steps 1500 $P4 $MIN --set entropy.weight=0.003 --set noise.eta=0.1"
  [b6-min-n03-e0]="$S16 --steps 1500 $P4 $MIN --set entropy.weight=0 --set noise.eta=0.3"
  [b6-min-n03-e003]="$S16 --steps 1500 $P4 $MIN --set entropy.weight=0.003 --set noise.eta=0.3"
  [b6-min-n1-e003]="$S16 --steps 1500 $P4 $MIN --set entropy.weight=0.003 --set noise.eta=1"
  [b7-min-e01]="$S16 --steps 1500 $P4 $MIN --set entropy.weight=0.01"
  [b7-min-e03]="$S16 --steps 1500 $P4 $MIN --set entropy.weight=0.03"
  [b7-min-logadd]="$S16 --steps 1500 $P4 $MIN --set entropy.weight=0 --set numerics.loss=logadd"
  [b7-min-logadd-e01]="$S16 --steps 1500 $P4 $MIN --set entropy.weight=0.01 --set numerics.loss=logadd"
  [b10-pres-min-e0]="$S16 --steps 1500 $P4 $MIN --set entropy.weight=0 --set numerics.loss=presence1"
  [b10-pres-min-e01]="$S16 --steps 1500 $P4 $MIN --set entropy.weight=0.01 --set numerics.loss=presence1"
  [b10-pres-p2-e0]="$S16 --steps 1500 $P4 --set entropy.weight=0 --set numerics.loss=presence1"
  [perm-r2]="--task permutation $S16 --steps 1500 --set machine.repeat=2 --set machine.registers=2 --set horizon.scale=1 --set horizon.offset=2 --set horizon.minimum=1"
  [n0-p2-nocur]="$S16 --steps 300 $P4 --set noise.eta=0 --set curriculum.enabled=false"
  [L1-n0-p3-nocur]="--seeds 0-19 --steps 600 $SWAP"
  [L2-n001-p3-nocur]="--seeds 0-19 --steps 600 $P3 --set curriculum.enabled=false"
  [L3-n0-p3-nocur-e0]="--seeds 0-19 --steps 300 $SWAP --set entropy.weight=0"
  [L4-n0-p3-cur]="--seeds 0-19 --steps 300 $P3 --set noise.eta=0"
  [L5-n0-p3-nocur-nohalt]="--seeds 0-19 --steps 300 $SWAP --set machine.learn_halting=false"
  [L6-n0-p3-nocur-s20]="--seeds 20-59 --steps 300 $SWAP"
  [L7-fix-min]="--seeds 0-39 --steps 300 $SWAP $MIN"
  [L8-fix-w64]="--seeds 0-39 --steps 300 $SWAP --set machine.width=64"
  [L9-fix-sharp-start]="--seeds 0-39 --steps 300 $SWAP --t0 0.3 --t1 1"
  [L10-fix-anneal]="--seeds 0-39 --steps 300 $SWAP --t0 3 --t1 1"
  # The optimiser, which no battery had varied: the learning rate and the batch size.
  [L11-fix-lr01]="--seeds 0-39 --steps 200 $SWAP --set lr=0.01"
  [L12-fix-lr001]="--seeds 0-39 --steps 200 $SWAP --set lr=0.001"
  [L13-fix-b8]="--seeds 0-39 --steps 200 $SWAP --set batch_size=8"
  # The cheaper attempt (CHEAP, 200 steps) and ideas on it; K0 and K1 on 80 seeds, the rest on 400.
  [K0-fix-w64-b8]="--seeds 0-79 --steps 200 $CHEAP"
  [K1-fix-w64-b8-keep3]="--seeds 0-79 --steps 200 $CHEAP --set machine.register_keep_bias=3"
  [K10-base]="--seeds 100-499 --steps 200 $CHEAP"
  [K11-r3]="--seeds 100-499 --steps 200 $CHEAP --set machine.registers=3"
  [K12-t4]="--seeds 100-499 --steps 200 $CHEAP --set horizon.offset=4"
  [K13-e0]="--seeds 100-499 --steps 200 $CHEAP --set entropy.weight=0"
  [K14-linear]="--seeds 100-499 --steps 200 $CHEAP --set numerics.loss=linear"
  [K15-keep3]="--seeds 100-499 --steps 200 $CHEAP --set machine.register_keep_bias=3"
  [K16-lr01]="--seeds 100-499 --steps 200 $CHEAP --set lr=0.01"
  [K19-t4-600]="--seeds 100-499 --steps 600 $CHEAP --set horizon.offset=4"
  [K20-t5]="--seeds 100-499 --steps 200 $CHEAP --set horizon.offset=5"
  [K21-t4-lr01]="--seeds 100-499 --steps 400 $CHEAP --set horizon.offset=4 --set lr=0.01"
  [K22-lr01-more]="--seeds 500-899 --steps 200 $CHEAP --set lr=0.01"
  [K23-base-more]="--seeds 500-899 --steps 200 $CHEAP"
  # Footnote 7: from step 100, a penalty on the entropy of the selectors, registers and memory.
  [K24-fn7-01]="--seeds 100-499 --steps 300 $CHEAP --set entropy.weight=0 --set numerics.state_entropy=true --set entropy.sharpen=0.1 --sharpen-after 100"
  [K25-fn7-1]="--seeds 100-499 --steps 300 $CHEAP --set entropy.weight=0 --set numerics.state_entropy=true --set entropy.sharpen=1 --sharpen-after 100"
  # Sampled hard selections, which the first batteries tried only with noise and the curriculum.
  [K17-straight-through]="--seeds 100-499 --steps 200 $CHEAP --set numerics.gumbel=1 --set numerics.straight_through=true"
  [K18-hard-addresses]="--seeds 100-499 --steps 200 $CHEAP --set numerics.hard_addresses=true"
  # Round 4: the controller (an LSTM; the step's index as an input), the data, the loss, the machine.
  [K26-lstm]="--seeds 100-499 --steps 200 $CHEAP --set machine.controller=lstm"
  [K27-step3]="--seeds 100-499 --steps 200 $CHEAP --set machine.step_inputs=3"
  [K28-qfirst]="--seeds 100-499 --steps 300 $CHEAP --score-q-until 100"
  [D1-data319]="--seeds 100-299 --steps 200 $CHEAP --data-seed 319"
  [D2-init319]="--seeds 100-299 --steps 200 $CHEAP --init-seed 319"
  [K30-small]="--seeds 100-499 --steps 200 $CHEAP --set memory_size=8 --set max_difficulty=5"
  [K31-onepass-r3-t5]="--seeds 100-499 --steps 200 $ONE"
  [K32-presence]="--seeds 100-499 --steps 200 $CHEAP --set numerics.loss=presence1"
  [K33-t5-presence]="--seeds 100-499 --steps 200 $CHEAP --set horizon.offset=5 --set numerics.loss=presence1"
  [K34-onepass-600]="--seeds 100-499 --steps 600 $ONE"
  [K37-onepass-1500]="--seeds 100-499 --steps 1500 $ONE"
  # Right fuzzily, wrong discretised: three such seeds again, with what follows varied.
  [K34b-diag]="--seeds 148,219,232 --steps 600 $ONE"
  [K34h-trace]="--seeds 148,219,232 --steps 700 $ONE --trace"
  [K34c-sharpen01]="--seeds 148,219,232 --steps 1200 $ONE --set entropy.sharpen=0.1"
  [K34f-late-fn7-01]="--seeds 148,219,232 --steps 1200 $ONE --set entropy.sharpen=0.1 --set numerics.late_state_entropy=true"
  [K34g-late-fn7-1]="--seeds 148,219,232 --steps 1200 $ONE --set entropy.sharpen=1 --set numerics.late_state_entropy=true"
  [K34i-harden700]="--seeds 148,219,232 --steps 1200 $ONE --harden-after 700"
  [K38-onepass-hard-inputs]="--seeds 100-299 --steps 600 $ONE --set numerics.hard_inputs=true"
  [K39-onepass-rounding1]="--seeds 100-299 --steps 800 $ONE --set numerics.input_rounding=1"
  # The same fix on the hard tasks, each on its two-pass program's machine (docs/programs.md).
  [H-permutation]="--task permutation --seeds 0-19 --steps 300 --set machine.registers=2 --set machine.repeat=2 --set horizon.scale=1 --set horizon.offset=1 --set horizon.minimum=1 --set noise.eta=0 --set curriculum.enabled=false"
  [H-listk]="--task listk --seeds 0-19 --steps 300 --set machine.registers=2 --set machine.repeat=2 --set horizon.scale=1 --set horizon.offset=1 --set horizon.minimum=1 --set noise.eta=0 --set curriculum.enabled=false"
  [H-walkbst]="--task walkbst --seeds 0-19 --steps 300 --set machine.registers=3 --set machine.repeat=2 --set horizon.scale=1 --set horizon.offset=2 --set horizon.minimum=1 --set noise.eta=0 --set curriculum.enabled=false"
  [H-listsearch]="--task listsearch --seeds 0-19 --steps 300 --set machine.registers=3 --set machine.repeat=2 --set horizon.scale=1 --set horizon.offset=2 --set horizon.minimum=1 --set noise.eta=0 --set curriculum.enabled=false"
  [H-merge]="--task merge --seeds 0-19 --steps 300 --set machine.registers=4 --set machine.repeat=2 --set horizon.scale=1 --set horizon.offset=2 --set horizon.minimum=1 --set noise.eta=0 --set curriculum.enabled=false"
  [H1-listk-one]="$HARD $LISTK1"
  [H1-permutation-one]="$HARD $PERM1"
  [H2-listk-one-cur]="$HARD $LISTK1 --set curriculum.enabled=true"
  [H2-permutation-one-cur]="$HARD $PERM1 --set curriculum.enabled=true"
  # The smallest scale: training only up to n = 2 or 3 (the solved check still asks for 2x-7x).
  [H3-listk-n2]="$HARD $LISTK1 --set max_difficulty=2"
  [H3-listk-n3]="$HARD $LISTK1 --set max_difficulty=3"
  [H3-permutation-n2]="$HARD $PERM1 --set max_difficulty=2"
  [H3-permutation-n3]="$HARD $PERM1 --set max_difficulty=3"
  # Each hard task with its defaults (merge's R = 6 postdates the lab's base commit), and the
  # paper's gradient noise, eta = 0.3.
  [HD-permutation]="--task permutation --seeds 0-19 --steps 2000"
  [HD-listk]="--task listk --seeds 0-19 --steps 2000"
  [HD-listsearch]="--task listsearch --seeds 0-19 --steps 2000"
  [HD-merge]="--task merge --seeds 0-19 --steps 2000 --set machine.registers=6"
  [HD-walkbst]="--task walkbst --seeds 0-19 --steps 2000"
  [HN-permutation-n03]="--task permutation --seeds 0-19 --steps 2000 --set noise.eta=0.3"
  [HN-listk-n03]="--task listk --seeds 0-19 --steps 2000 --set noise.eta=0.3"
  # Long attempts (20,000 steps) at the cheaper size, with the curriculum and the paper's noise.
  [HL-listk-cur-n03]="--seeds 0-19 --steps 20000 $LISTK1 --set noise.eta=0.3 --set machine.width=64 --set batch_size=8"
  [HL-permutation-cur-n03]="--seeds 0-19 --steps 20000 $PERM1 --set noise.eta=0.3 --set machine.width=64 --set batch_size=8"
  # Swap's recipe is many short attempts: 400 of them for permutation, whose program, like
  # Swap's, never branches on the data (its two circuits alternate by r3 = 0).
  [HW-permutation-400]="--seeds 100-499 --steps 1500 --set noise.eta=0 --set curriculum.enabled=false --set machine.width=64 --set batch_size=8 $PERM1"
  # Is the one-pass program kept from a small margin under Swap's fix (no noise, no curriculum)?
  [HS-listk-m1]="--seeds 0-7 --steps 600 $LISTK1 --set noise.eta=0 --set curriculum.enabled=false --program $PROGRAMS/listk.nram --margin 1"
  [HS-listk-m03]="--seeds 0-7 --steps 600 $LISTK1 --set noise.eta=0 --set curriculum.enabled=false --program $PROGRAMS/listk.nram --margin 0.3"
  [HS-permutation-m1]="--seeds 0-7 --steps 600 $PERM1 --set noise.eta=0 --set curriculum.enabled=false --program $PROGRAMS/permutation.nram --margin 1"
  [HS-permutation-m03]="--seeds 0-7 --steps 600 $PERM1 --set noise.eta=0 --set curriculum.enabled=false --program $PROGRAMS/permutation.nram --margin 0.3"
  # A grid at the smallest scale (H3: trained up to n = 2), one knob at a time, 20 seeds.
  [G-listk-b32]="$HARD $LISTK1 --set max_difficulty=2 --set batch_size=32"
  [G-listk-w256]="$HARD $LISTK1 --set max_difficulty=2 --set machine.width=256"
  [G-listk-lr01]="$HARD $LISTK1 --set max_difficulty=2 --set lr=0.01"
  [G-listk-lr001]="$HARD $LISTK1 --set max_difficulty=2 --set lr=0.001"
  [G-listk-e0]="$HARD $LISTK1 --set max_difficulty=2 --set entropy.weight=0"
  [G-listk-r5]="$HARD $LISTK1 --set max_difficulty=2 --set machine.registers=5"
  [G-listk-steps]="$HARD $LISTK1 --set max_difficulty=2 --set machine.step_inputs=6"
  [G-listk-lstm]="$HARD $LISTK1 --set max_difficulty=2 --set machine.controller=lstm"
  [G-listk-min]="$HARD $LISTK1 --set max_difficulty=2 --set machine.modules=read,one,two,inc,dec,write"
  [G-listk-nohalt]="$HARD $LISTK1 --set max_difficulty=2 --set machine.learn_halting=false"
  [G-listk-anneal]="$HARD $LISTK1 --set max_difficulty=2 --t0 3 --t1 1"
  [G-listk-footnote]="$HARD $LISTK1 --set max_difficulty=2 --set numerics.loss=footnote"
  [G-listk-long]="$HARD $LISTK1 --set max_difficulty=2 --steps 5000"
  [G-permutation-b32]="$HARD $PERM1 --set max_difficulty=2 --set batch_size=32"
  [G-permutation-w256]="$HARD $PERM1 --set max_difficulty=2 --set machine.width=256"
  [G-permutation-lr01]="$HARD $PERM1 --set max_difficulty=2 --set lr=0.01"
  [G-permutation-lr001]="$HARD $PERM1 --set max_difficulty=2 --set lr=0.001"
  [G-permutation-e0]="$HARD $PERM1 --set max_difficulty=2 --set entropy.weight=0"
  [G-permutation-r5]="$HARD $PERM1 --set max_difficulty=2 --set machine.registers=5"
  [G-permutation-steps]="$HARD $PERM1 --set max_difficulty=2 --set machine.step_inputs=6"
  [G-permutation-lstm]="$HARD $PERM1 --set max_difficulty=2 --set machine.controller=lstm"
  [G-permutation-min]="$HARD $PERM1 --set max_difficulty=2 --set machine.modules=read,zero,one,inc,add,write"
  [G-permutation-nohalt]="$HARD $PERM1 --set max_difficulty=2 --set machine.learn_halting=false"
  [G-permutation-anneal]="$HARD $PERM1 --set max_difficulty=2 --t0 3 --t1 1"
  [G-permutation-footnote]="$HARD $PERM1 --set max_difficulty=2 --set numerics.loss=footnote"
  [G-permutation-long]="$HARD $PERM1 --set max_difficulty=2 --steps 5000"
  # Two registers, the sequence twice per step (the repeat2 programs' machines): after the
  # first step the controller sees one register pattern throughout, so a program exact at
  # n <= 2 must already be the loop.
  [G2-permutation-n2]="$HARD --task permutation --set machine.registers=2 --set machine.repeat=2 --set horizon.scale=1 --set horizon.offset=1 --set horizon.minimum=1 --set memory_size=14 --set max_difficulty=2"
  [G2-permutation-n2-e0]="$HARD --task permutation --set machine.registers=2 --set machine.repeat=2 --set horizon.scale=1 --set horizon.offset=1 --set horizon.minimum=1 --set memory_size=14 --set max_difficulty=2 --set entropy.weight=0"
  [G2-permutation-n3]="$HARD --task permutation --set machine.registers=2 --set machine.repeat=2 --set horizon.scale=1 --set horizon.offset=1 --set horizon.minimum=1 --set memory_size=14 --set max_difficulty=3"
  [G2-listk-n2]="$HARD --task listk --set machine.registers=2 --set machine.repeat=2 --set horizon.scale=1 --set horizon.offset=1 --set horizon.minimum=1 --set memory_size=24 --set max_difficulty=2"
  [G2-listk-n2-e0]="$HARD --task listk --set machine.registers=2 --set machine.repeat=2 --set horizon.scale=1 --set horizon.offset=1 --set horizon.minimum=1 --set memory_size=24 --set max_difficulty=2 --set entropy.weight=0"
  [G2-listk-n3]="$HARD --task listk --set machine.registers=2 --set machine.repeat=2 --set horizon.scale=1 --set horizon.offset=1 --set horizon.minimum=1 --set memory_size=24 --set max_difficulty=3"
  # The curriculum without its lookahead (level D trains on d <= D only, lab's
  # curriculum.lookahead=1, no uniform share): how far does a climb of unrolled programs go?
  [G3-permutation-nolook]="$HARD $PERM1 --steps 3000 --set curriculum.enabled=true --set curriculum.lookahead=1 --set curriculum.uniform_share=0"
  [G3-permutation-r2-nolook]="$HARD --task permutation --set machine.registers=2 --set machine.repeat=2 --set horizon.scale=1 --set horizon.offset=1 --set horizon.minimum=1 --set memory_size=14 --steps 3000 --set curriculum.enabled=true --set curriculum.lookahead=1 --set curriculum.uniform_share=0"
  [G3-listk-nolook]="$HARD $LISTK1 --steps 3000 --set curriculum.enabled=true --set curriculum.lookahead=1 --set curriculum.uniform_share=0"
  [G3-permutation-r2-look]="$HARD --task permutation --set machine.registers=2 --set machine.repeat=2 --set horizon.scale=1 --set horizon.offset=1 --set horizon.minimum=1 --set memory_size=14 --steps 3000 --set curriculum.enabled=true"
  # One register, the sequence three times per step: the controller then tells only "r1 = 0"
  # from "r1 != 0", so every step after the first runs one circuit, a loop (permutation's
  # program on it: src/nram/programs/permutation-repeat3.nram).
  [G5-permutation-r1-n2]="$HARD --task permutation --set machine.registers=1 --set machine.repeat=3 --set horizon.scale=1 --set horizon.offset=1 --set horizon.minimum=1 --set memory_size=14 --set max_difficulty=2"
  [G5-permutation-r1-n3]="$HARD --task permutation --set machine.registers=1 --set machine.repeat=3 --set horizon.scale=1 --set horizon.offset=1 --set horizon.minimum=1 --set memory_size=14 --set max_difficulty=3"
  [G5-permutation-r1]="$HARD --task permutation --set machine.registers=1 --set machine.repeat=3 --set horizon.scale=1 --set horizon.offset=1 --set horizon.minimum=1 --set memory_size=14"
  # Is that loop kept from a small margin (as HS-*)?
  [G6-permutation-r1-m3]="--seeds 0-7 --steps 600 --task permutation --set machine.registers=1 --set machine.repeat=3 --set horizon.scale=1 --set horizon.offset=1 --set horizon.minimum=1 --set memory_size=14 --set noise.eta=0 --set curriculum.enabled=false --program $PROGRAMS/permutation-repeat3.nram --margin 3"
  [G6-permutation-r1-m1]="--seeds 0-7 --steps 600 --task permutation --set machine.registers=1 --set machine.repeat=3 --set horizon.scale=1 --set horizon.offset=1 --set horizon.minimum=1 --set memory_size=14 --set noise.eta=0 --set curriculum.enabled=false --program $PROGRAMS/permutation-repeat3.nram --margin 1"
  [G6-permutation-r1-m03]="--seeds 0-7 --steps 600 --task permutation --set machine.registers=1 --set machine.repeat=3 --set horizon.scale=1 --set horizon.offset=1 --set horizon.minimum=1 --set memory_size=14 --set noise.eta=0 --set curriculum.enabled=false --program $PROGRAMS/permutation-repeat3.nram --margin 0.3"
  # The same on each hard task's two-pass program's machine (docs/programs.md); permutation
  # for longer.
  [G4-permutation-r2-nolook-long]="$HARD --task permutation --set machine.repeat=2 --set horizon.scale=1 --set horizon.minimum=1 --set machine.registers=2 --set horizon.offset=1 --set memory_size=14 --steps 10000 --set curriculum.enabled=true --set curriculum.lookahead=1 --set curriculum.uniform_share=0"
  [G3-listk-r2-nolook]="$HARD --task listk --set machine.repeat=2 --set horizon.scale=1 --set horizon.minimum=1 --set machine.registers=2 --set horizon.offset=1 --set memory_size=24 --steps 3000 --set curriculum.enabled=true --set curriculum.lookahead=1 --set curriculum.uniform_share=0"
  [G3-listsearch-r2-nolook]="$HARD --task listsearch --set machine.repeat=2 --set horizon.scale=1 --set horizon.minimum=1 --set machine.registers=3 --set horizon.offset=2 --steps 3000 --set curriculum.enabled=true --set curriculum.lookahead=1 --set curriculum.uniform_share=0"
  [G3-walkbst-r2-nolook]="$HARD --task walkbst --set machine.repeat=2 --set horizon.scale=1 --set horizon.minimum=1 --set machine.registers=3 --set horizon.offset=2 --steps 3000 --set curriculum.enabled=true --set curriculum.lookahead=1 --set curriculum.uniform_share=0"
  [G3-merge-r2-nolook]="$HARD --task merge --set machine.repeat=2 --set horizon.scale=1 --set horizon.minimum=1 --set machine.registers=4 --set horizon.offset=2 --steps 3000 --set curriculum.enabled=true --set curriculum.lookahead=1 --set curriculum.uniform_share=0"
  [G3-listk-r2-look]="$HARD --task listk --set machine.repeat=2 --set horizon.scale=1 --set horizon.minimum=1 --set machine.registers=2 --set horizon.offset=1 --set memory_size=24 --steps 3000 --set curriculum.enabled=true"
  [G7-listk-r2-nolook-long]="$HARD --task listk --set machine.repeat=2 --set horizon.scale=1 --set horizon.minimum=1 --set machine.registers=2 --set horizon.offset=1 --set memory_size=24 --steps 8000 --set curriculum.enabled=true --set curriculum.lookahead=1 --set curriculum.uniform_share=0"
)
for name in "$@"; do
  [ -n "${battery[$name]:-}" ] || { echo "unknown battery $name; known: ${!battery[*]}" >&2; exit 2; }
  bash "$here/runq.sh" "$name" "${battery[$name]}"
done
