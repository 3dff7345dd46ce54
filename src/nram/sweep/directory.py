"""The sweep directory: sweep.json records what the sweep is, and a lock keeps one sweep
process in it at a time.

  SWEEP_DIR/sweep.json            the spec: task, seeds, and each setting's full config
  SWEEP_DIR/s00-seed3/            a run directory (nram.rundir), one per (setting, seed)
  SWEEP_DIR/summary.{csv,md,png}  the success table and the success rate per setting

Starting the same sweep again finds the same directory and resumes it; a different spec in
an existing sweep directory is refused, saying what differs.
"""

from __future__ import annotations

import fcntl
import json
from pathlib import Path
from typing import Any

from nram.errors import ConfigError, file_errors
from nram.rundir import read_json, write_json
from nram.sweep.spec import Setting, SweepSpec, flatten, seed_text

SWEEP_FILE = "sweep.json"


def default_sweep_dir(spec: SweepSpec) -> Path:
    """sweeps/TASK-DIGEST: the same command finds the same directory (and resumes it)."""
    return Path("sweeps") / f"{spec.task}-{spec.digest()}"


def claim_sweep_dir(spec: SweepSpec, sweep_dir: Path) -> Any:
    """Write sweep.json, or check it matches; hold a lock so that no second sweep process
    works in the same directory. Returns the open lock file (keep it until done)."""
    with file_errors(sweep_dir, "create", ConfigError):
        sweep_dir.mkdir(parents=True, exist_ok=True)
        lock = open(sweep_dir / ".lock", "w")  # noqa: SIM115 - held for the whole sweep
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        raise ConfigError(f"another sweep process is working in {sweep_dir}") from None
    wanted = spec.as_dict()
    stored = read_json(sweep_dir / SWEEP_FILE)
    if stored is None:
        if any(path.name not in (".lock", ".jax-cache") for path in sweep_dir.iterdir()):
            lock.close()
            raise ConfigError(f"{sweep_dir} is not empty and has no {SWEEP_FILE}: not a sweep")
        write_json(sweep_dir / SWEEP_FILE, wanted)
    elif stored != json.loads(json.dumps(wanted)):
        lock.close()
        raise ConfigError(
            f"{sweep_dir} holds a different sweep ({_difference(stored, wanted)}); run the "
            "same command to resume it, or choose another --sweep-dir"
        )
    return lock


def _difference(stored: dict[str, Any], wanted: dict[str, Any]) -> str:
    if stored.get("task") != wanted["task"]:
        return f"task {stored.get('task')}, not {wanted['task']}"
    if stored.get("scheduler") != wanted.get("scheduler"):
        return f"scheduler {stored.get('scheduler')}, not {wanted.get('scheduler')}"
    if stored.get("seeds") != wanted["seeds"]:
        return f"seeds {seed_text(stored.get('seeds', []))}, not {seed_text(wanted['seeds'])}"
    old, new = stored.get("settings", []), wanted["settings"]
    if [s["values"] for s in old] != [s["values"] for s in new]:
        labels = lambda settings: "; ".join(Setting(s["values"]).label for s in settings)
        return f"settings [{labels(old)}], not [{labels(new)}]"
    for before, after in zip(old, new, strict=True):
        flat_before = flatten(before["config"])
        flat_after = flatten(after["config"])
        for name in sorted(flat_before.keys() | flat_after.keys()):
            if flat_before.get(name) != flat_after.get(name):
                return f"{name} = {flat_before.get(name)!r}, not {flat_after.get(name)!r}"
    return "a different spec"
