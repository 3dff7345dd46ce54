"""The run directory: the one place that knows a run's files and how each is written.

  config.json      the resolved settings
  metrics.jsonl    one JSON line every `log_every` steps (averages over those steps)
  latest.npz       the latest checkpoint (parameters, optimiser, data RNG, curriculum, step)
  best.npz         the checkpoint with the highest level and lowest recent error so far
  result.json      how the run ended: solved or not, why, at which step, after how long

A sweep adds its own files beside them (`generalisation.json`, `cpu.json`). Every JSON file
is written to a temporary file and renamed over the old one (`write_json`), so a run killed
mid-write leaves the old file or the new one, never half of one; checkpoints are written the
same way (`nram.checkpoint`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nram import config as configuration
from nram.config import TrainConfig
from nram.errors import RunError


def write_json(path: Path, value: Any) -> None:
    """Write `value` as indented JSON, atomically: a temporary file renamed over `path`."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(value, indent=2) + "\n")
    temporary.replace(path)


def read_json(path: Path) -> Any | None:
    """The JSON in `path`, or None if there is none (missing, or cut short)."""
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


class RunDirectory:
    """A run's directory and its files."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def __str__(self) -> str:
        return str(self.path)

    def create(self) -> None:
        """Make the directory for a new run; never reuse one that holds anything."""
        if self.path.exists() and any(self.path.iterdir()):
            raise RunError(
                f"{self.path} exists and is not empty; use --resume to continue it, "
                "or choose another --run-dir"
            )
        self.path.mkdir(parents=True, exist_ok=True)

    def check_resumable(self) -> None:
        if not self.checkpoint("latest").exists():
            raise RunError(f"nothing to resume in {self.path}: no latest.npz there")

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
        if saved is None:
            raise RunError(f"{path} is damaged: it does not hold JSON")
        return configuration.from_dict(saved, plugins)

    def write_result(self, result: dict[str, Any]) -> None:
        self.write("result.json", result)

    def read_result(self) -> dict[str, Any] | None:
        return self.read("result.json")

    # the metrics log

    @property
    def metrics_path(self) -> Path:
        return self.path / "metrics.jsonl"

    def append_metrics(self, line: dict[str, Any]) -> None:
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
        """Drop the lines logged after `step` (a checkpoint's): a resumed run logs them again."""
        if not self.metrics_path.exists():
            return
        lines = [
            line
            for line in self.metrics_path.read_text().splitlines()
            if line.strip() and json.loads(line)["step"] <= step
        ]
        self.metrics_path.write_text("".join(line + "\n" for line in lines))
