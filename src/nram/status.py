"""The status line of a training run on stderr: how far it has got and what it is doing.

    delete: step 1100, level 15 of 15, recent error 0.000, attempt 2, 35 steps/s, 0:51;
    checking solved at n = 1..15, 30, 60, 105

The level climbs to the top difficulty; the recent error is the training error at the
current level over the last few batches (what promotion and the solved check wait for); the
attempt counts from 1 and rises when a stuck run starts afresh; the time is training time. A
run ends when it is solved, long before its `steps`, so there is no bar to fill. On a
terminal the line is rewritten in place every `log_every` steps; elsewhere (a file, a pipe) it
is printed as a plain line every `PLAIN_EVERY` seconds and whenever a solved check starts.
Messages (a restart, a skipped step) go on lines of their own.
"""

from __future__ import annotations

import math
import shutil
import sys
import time
from typing import Any, TextIO

PLAIN_EVERY = 30.0  # seconds between plain lines when stderr is not a terminal


class StatusLine:
    """One run's status; with `stream` None it shows nothing and messages go to stdout."""

    def __init__(self, task: str, top_level: int, stream: TextIO | None = sys.stderr):
        self.stream = stream
        self.live = stream is not None and stream.isatty()
        self.task, self.top_level = task, top_level
        self.numbers = ""
        self.activity = ""
        self.last_check = ""  # the outcome of the latest solved check that failed
        self.last_plain = -math.inf

    def doing(self, activity: str) -> None:
        """Say what the run is doing now: compiling, checking solved at ..."""
        self.activity = activity
        self._show(plain_now=activity.startswith("checking"))

    def update(self, line: dict[str, Any], recent_error: float) -> None:
        """Show a metrics.jsonl line (and the recent error at the level): the run trains."""
        error = f"{recent_error:.3f}" if math.isfinite(recent_error) else "-"
        minutes, seconds = divmod(int(line["seconds"]), 60)
        self.numbers = (
            f"step {line['step']}, level {line['level']} of {self.top_level}, recent error "
            f"{error}, attempt {line['attempt'] + 1}, {line['steps_per_s']:.0f} steps/s, "
            f"{minutes}:{seconds:02d}"
        )
        self.activity = "training"
        self._show(plain_now=False)

    def checked(self, step: int, solved: bool, worst: float) -> None:
        """Remember a solved check's outcome: a failed one stays on the line until the next."""
        self.last_check = "" if solved else f"solved check at step {step} failed: error {worst:.4f}"
        self.activity = "solved" if solved else "training"
        self._show(plain_now=False)

    def message(self, text: str) -> None:
        """A line of its own: above the status line on a terminal, else a plain line."""
        if self.stream is None:
            print(text)
            return
        self.stream.write(("\r\x1b[K" if self.live else "") + text + "\n")
        self._show(plain_now=False)

    def close(self) -> None:
        if self.live:
            self.stream.write("\n")
            self.stream.flush()

    def text(self) -> str:
        parts = [self.numbers, self.activity, self.last_check]
        return f"{self.task}: " + "; ".join(part for part in parts if part)

    def _show(self, *, plain_now: bool) -> None:
        if self.stream is None:
            return
        if self.live:
            width = shutil.get_terminal_size().columns - 1  # a wrapped line cannot be redrawn
            self.stream.write("\r" + self.text()[:width] + "\x1b[K")
        elif plain_now or time.monotonic() - self.last_plain >= PLAIN_EVERY:
            self.stream.write(self.text() + "\n")
            self.last_plain = time.monotonic()
        else:
            return
        self.stream.flush()
