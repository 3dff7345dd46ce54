"""The run directory: the one place that knows a run's files and how each is written.

  config.json      the resolved settings
  metrics.jsonl    one JSON line every `log_every` steps (averages over those steps)
  latest.npz       the latest checkpoint (parameters, optimiser, data RNG, curriculum, step)
  best.npz         the checkpoint with the highest level and lowest recent error so far
  result.json      how the run ended: solved or not, why, at which step, after how long

A sweep adds its own files beside them (`generalisation.json`, `cpu.json`). Every JSON file
is written to a temporary file and renamed over the old one (`atomic_write`), so a run killed
mid-write leaves the old file or the new one, never half of one; checkpoints are written the
same way (`nram.checkpoint`). metrics.jsonl is appended to: a crash can cut its last line
short, and a resumed run drops that line with the others after its checkpoint. A file the OS
will not read or write (no permission, a full disk) is a one-line `RunError` naming it.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from nram import config as configuration
from nram.config import TrainConfig
from nram.errors import NramError, RunError, file_errors


def atomic_write(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Write `path` through a temporary file beside it, flushed to disk, then renamed over it:
    a crash or a full disk leaves the old file or the new one, never half of one. A failed
    write leaves no temporary file (a kill -9 may: the next write replaces it)."""
    temporary = path.with_name(path.name + ".tmp")
    try:
        with file_errors(path, "write", RunError):
            with open(temporary, "wb") as handle:
                write(handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        raise


def write_json(path: Path, value: Any) -> None:
    """Write `value` as indented JSON, atomically (`atomic_write`)."""
    atomic_write(path, lambda handle: handle.write((json.dumps(value, indent=2) + "\n").encode()))


def read_json(path: Path) -> Any | None:
    """The JSON in `path`, or None if there is none (missing, or damaged)."""
    if not path.exists():
        return None
    with file_errors(path, "read", RunError):
        data = path.read_bytes()
    try:
        return json.loads(data)
    except ValueError:  # not JSON: cut short, or not even text
        return None


class RunDirectory:
    """A run's directory and its files."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def __str__(self) -> str:
        return str(self.path)

    def create(self) -> None:
        """Make the directory for a new run; never reuse one that holds anything."""
        with file_errors(self.path, "create", RunError):
            if self.path.exists() and not self.path.is_dir():
                raise RunError(f"{self.path} is a file, not a directory; choose another --run-dir")
            if self.path.exists() and any(self.path.iterdir()):
                raise RunError(
                    f"{self.path} exists and is not empty; use --resume to continue it, "
                    "or choose another --run-dir"
                )
            self.path.mkdir(parents=True, exist_ok=True)

    def check_resumable(self) -> None:
        """A run is resumable from the moment its config.json is written (`train.train`)."""
        if not (self.path / "config.json").exists():
            raise RunError(f"nothing to resume in {self.path}: no config.json there")

    def checkpoint(self, which: str) -> Path:
        """The path of a checkpoint: "latest" or "best"."""
        return self.path / f"{which}.npz"

    # JSON files

    def write(self, name: str, value: Any) -> None:
        write_json(self.path / name, value)

    def read(self, name: str) -> Any | None:
        return read_json(self.path / name)

    def write_config(self, config: TrainConfig) -> None:
        self.write("config.json", configuration.as_dict(config))

    def read_config(self, plugins: list[str] | tuple[str, ...] = ()) -> TrainConfig:
        """The run's settings, as config.json recorded them; `plugins`, if any, in place of
        the plugin files it records (`configuration.from_dict`)."""
        path = self.path / "config.json"
        if not path.exists():
            raise RunError(f"{self.path} is not a run directory: no config.json there")
        saved = read_json(path)
        if not isinstance(saved, dict):
            raise RunError(f"{path} is damaged: it does not hold a JSON object of settings")
        try:
            return configuration.from_dict(saved, plugins)
        except NramError as error:
            raise RunError(f"{path}: {error}") from None

    def write_result(self, result: dict[str, Any]) -> None:
        self.write("result.json", result)

    def read_result(self) -> dict[str, Any] | None:
        return self.read("result.json")

    # the metrics log

    @property
    def metrics_path(self) -> Path:
        return self.path / "metrics.jsonl"

    def append_metrics(self, line: dict[str, Any]) -> None:
        with file_errors(self.metrics_path, "write", RunError):
            with open(self.metrics_path, "a") as handle:
                handle.write(json.dumps(line) + "\n")

    def read_metrics(self) -> list[dict[str, Any]]:
        """The lines of metrics.jsonl (none if there is none); a last line cut short (a run
        writing it now) is left out."""
        if not self.metrics_path.exists():
            return []
        lines = []
        for text in self.metrics_path.read_text().splitlines():
            try:
                lines.append(json.loads(text))
            except json.JSONDecodeError:
                break
        return lines

    def truncate_metrics(self, step: int) -> None:
        """Drop the lines logged after `step` (a checkpoint's): a resumed run logs them again.
        So goes a last line cut short by a crash mid-write; a damaged line before it is an
        error."""
        if not self.metrics_path.exists():
            return
        with file_errors(self.metrics_path, "read", RunError):
            lines = [line for line in self.metrics_path.read_bytes().splitlines() if line.strip()]
        kept = []
        for number, line in enumerate(lines, 1):
            logged = _logged_step(line)
            if logged is None and number < len(lines):
                raise RunError(f"{self.metrics_path} is damaged: line {number} is not a log line")
            if logged is not None and logged <= step:
                kept.append(line + b"\n")
        atomic_write(self.metrics_path, lambda handle: handle.writelines(kept))


def _logged_step(line: bytes) -> int | None:
    """The step of a metrics.jsonl line, or None if it is not one (e.g. cut short)."""
    try:
        logged = json.loads(line)
    except ValueError:
        return None
    return logged.get("step") if isinstance(logged, dict) else None
