"""Per run of the given sweep directories: steps, attempts, the highest curriculum level any
attempt reached, and the lowest logged training error (a 10-step average) at that level.

    python experiments/hard_summary.py OUT/hard-*
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

for sweep in sys.argv[1:]:
    for run in sorted(Path(sweep).glob("s*-seed*")):
        lines = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
        result_path = run / "result.json"
        result = json.loads(result_path.read_text()) if result_path.exists() else {}
        top = max(line["level"] for line in lines)
        lowest = min(line["error"] for line in lines if line["level"] == top)
        print(
            f"{Path(sweep).name:18} {run.name:10} steps {lines[-1]['step']:6d} "
            f"attempts {lines[-1]['attempt'] + 1:3d} highest level {top:3d} "
            f"lowest error there {lowest:.3f} ended: {result.get('reason', 'running')}"
        )
