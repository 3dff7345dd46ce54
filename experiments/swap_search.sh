#!/usr/bin/env bash
# Swap: many settings x seeds side by side, one single-threaded process per core, each run
# stopped (Ctrl-C semantics: it saves and writes result.json) after LIMIT seconds.
# Used on a 16-core machine: bash experiments/swap_search.sh RESULTS_DIR [LIMIT]
# Runs go to /tmp/swap; RESULTS_DIR gets summary.json, every run's logs and metrics
# (metrics.tar.gz) and the solved runs in full (solved.tar.gz).
set -u
results=${1:?usage: swap_search.sh RESULTS_DIR [LIMIT_SECONDS]}
limit=${2:-450}
out=/tmp/swap
mkdir -p "$out" "$results"
export PYTHONPATH=${PYTHONPATH:-}:$(pwd)/src JAX_PLATFORMS=cpu PYTHONUNBUFFERED=1
common="horizon.scale=0 horizon.offset=6 machine.learn_halting=false entropy.weight=0 machine.register_keep_bias=3"
declare -A settings=(
  [mlp]=""
  [lstm]="machine.controller=lstm"
  [mlp-r2]="machine.registers=2"
  [mlp-t4]="horizon.offset=4"
  [mlp-ent]="entropy.weight=0.01"
  [mlp-lr1e-3]="lr=0.001"
  [mlp-halt]="machine.learn_halting=true"
  [lstm-nocur]="machine.controller=lstm curriculum.enabled=false"
)
for name in "${!settings[@]}"; do
  for seed in 0 1; do
    sets=""
    for s in $common ${settings[$name]}; do sets="$sets --set $s"; done
    timeout -s INT "$limit" python3 -m nram train swap --seed $seed --no-progress \
      --run-dir "$out/$name-seed$seed" $sets > "$out/$name-seed$seed.log" 2>&1 &
  done
done
wait
python3 - "$out" <<'PY'
import json, sys, pathlib
rows = {}
for run in sorted(pathlib.Path(sys.argv[1]).glob("*-seed*/")):
    result = json.loads((run / "result.json").read_text()) if (run / "result.json").exists() else {}
    lines = (run / "metrics.jsonl").read_text().splitlines() if (run / "metrics.jsonl").exists() else []
    last = json.loads(lines[-1]) if lines else {}
    rows[run.name] = {"result": result, "last": last}
    print(run.name, result.get("reason"), "step", result.get("step"), "level", result.get("level"),
          "err", round(last.get("error", -1), 3), "nll", round(last.get("nll", -1), 3))
json.dump(rows, open(pathlib.Path(sys.argv[1]) / "summary.json", "w"), indent=1)
PY
cp "$out/summary.json" "$results/"
(cd "$out" && tar czf "$results/metrics.tar.gz" *.log */metrics.jsonl */result.json */config.json)
solved=$(cd "$out" && grep -l '"solved": true' */result.json | xargs -r -n1 dirname)
[ -n "$solved" ] && (cd "$out" && tar czf "$results/solved.tar.gz" $solved)
exit 0
