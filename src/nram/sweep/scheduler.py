"""Asynchronous successive halving (ASHA) over a sweep's runs, with Optuna's pruner.

Most NRAM runs are hopeless within a few hundred steps, and the few that are not pull ahead
early (a run clears the curriculum in a burst). ASHA spends the compute where it pays: every
run reports its progress, `level x (1 - error)` (the curriculum levels it has, discounted
by its training error: a run that reached a high level and lost it again ranks low), and at
the rungs `min_steps x reduction^k` steps a run goes on only if it is
in the best 1/reduction of the runs that reached that rung so far; the rest stop with reason
"pruned". The runs share one Optuna study in a journal file in the sweep directory, which
works across the local worker processes and across a resumed sweep (a file system all Ray
nodes share does for a cluster).

    nram sweep copy --seeds 40 --scheduler asha --set restart_after=0

Each run is one trial. A run that restarts (`restart_after`) starts again from level 1 and
is compared as it stands, so with ASHA a run is best one attempt: `restart_after=0`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nram.errors import ConfigError

JOURNAL = "scheduler.journal"  # the Optuna study, in the sweep directory


@dataclass(frozen=True)
class Asha:
    """Rungs at min_steps x reduction^k steps; at each, the best 1/reduction go on."""

    min_steps: int = 200
    reduction: int = 3

    def __post_init__(self) -> None:
        if self.min_steps < 1:
            raise ConfigError(f"--asha-min-steps must be >= 1, got {self.min_steps}")
        if self.reduction < 2:
            raise ConfigError(f"--asha-reduction must be >= 2, got {self.reduction}")

    def as_dict(self) -> dict[str, Any]:
        return {"kind": "asha", "min_steps": self.min_steps, "reduction": self.reduction}

    @staticmethod
    def of(mapping: dict[str, Any]) -> Asha:
        return Asha(mapping["min_steps"], mapping["reduction"])


def progress(line: dict[str, Any]) -> float:
    """How far a run has got, from a metrics.jsonl line: higher is better."""
    return line["level"] * (1.0 - line.get("error", 1.0))


class Trial:
    """One run's trial in the sweep's study: it reports progress and says when to stop."""

    def __init__(self, asha: Asha, sweep_dir: Path, run: str):
        import optuna
        from optuna.storages import JournalStorage
        from optuna.storages.journal import JournalFileBackend

        optuna.logging.set_verbosity(logging.WARNING)
        storage = JournalStorage(JournalFileBackend(str(sweep_dir / JOURNAL)))
        self.study = optuna.create_study(
            study_name="sweep",
            storage=storage,
            direction="maximize",
            pruner=optuna.pruners.SuccessiveHalvingPruner(
                min_resource=asha.min_steps, reduction_factor=asha.reduction
            ),
            load_if_exists=True,
        )
        # A resumed run carries on with its trial, found by the run's name.
        earlier = [t for t in self.study.trials if t.user_attrs.get("run") == run]
        if earlier:
            self.trial = optuna.trial.Trial(self.study, earlier[0]._trial_id)
        else:
            self.trial = self.study.ask()
            self.trial.set_user_attr("run", run)
        self.best = -1.0

    def on_log(self, line: dict[str, Any]) -> str | None:
        """Report a metrics line; "pruned" if the run should stop here."""
        value = progress(line)
        self.best = max(self.best, value)
        self.trial.report(value, line["step"])
        return "pruned" if self.trial.should_prune() else None

    def finish(self, result: dict[str, Any]) -> None:
        """Close the trial: pruned, or complete with the run's final progress."""
        import optuna

        if result["reason"] == "pruned":
            self.study.tell(self.trial, state=optuna.trial.TrialState.PRUNED)
        else:
            final = float(result["level"]) if result["solved"] else self.best
            self.study.tell(self.trial, final)
