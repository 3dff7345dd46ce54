"""`nram train` on the tiny config, with a signal sent to itself at a chosen point: a test
driver for tests/test_faults.py, run as a script in a process of its own.

    python tests/fault_driver.py RUN_DIR [POINT SIGNAL AT [TIMES]]

POINT "drawn": right after batch AT is drawn (before it is trained on); "writing": inside
the AT-th write of latest.npz, once its temporary file is on disk and before it is renamed.
SIGNAL is INT or KILL, sent TIMES times (default 1); no POINT: no signal. The exit status is
the command's.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from conftest import TINY  # noqa: E402

from nram import cli, train  # noqa: E402

STEPS = 40


def main(run_dir: str, point: str = "", name: str = "", at: int = 0, times: int = 1) -> int:
    def send() -> None:
        for _ in range(times):
            os.kill(os.getpid(), getattr(signal, f"SIG{name}"))

    if point == "drawn":
        sample = train.Trainer.sample

        def sample_then_signal(self: train.Trainer):
            drawn = sample(self)
            if self.progress.step + 1 == at:
                send()
            return drawn

        train.Trainer.sample = sample_then_signal
    elif point == "writing":
        replace, writes = os.replace, []

        def signal_then_replace(source, destination) -> None:
            if str(destination).endswith("latest.npz"):
                writes.append(destination)
                if len(writes) == at:
                    send()
            replace(source, destination)

        os.replace = signal_then_replace
    settings = [part for setting in TINY for part in ("--set", setting)]
    argv = ["train", "access", *settings, "--set", f"steps={STEPS}", "--run-dir", run_dir]
    return cli.main([*argv, "--no-progress"])


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4], *map(int, sys.argv[4:])))
