"""Sweeps: spec parsing and its errors, the local and Ray backends giving the same table, and
kill-and-resume losing nothing.

The sweeps here train a tiny Access machine for a few dozen steps: JIT compilation dominates,
so every sweep in this file shares one JAX compilation cache (compiled once, loaded after).
Training is deterministic per seed, so two sweeps of the same spec must agree run by run.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nram import sweep
from nram.config import ConfigError
from nram.sweep.report import _row
from nram.sweep.run import _describe
from nram.train import FINAL_REASONS, Result

TINY = [
    "max_difficulty=3",
    "memory_size=6",
    "steps=150",
    "batch_size=16",
    "machine.width=64",
    "lr=1e-2",
    "checkpoint_every=10",
    "evaluation.every=10",
    "evaluation.examples=8",
]
# Two settings that differ only on the host (patience), so they share compiled programs.
SWEPT = ["patience=0,20"]
SEEDS = "0-1"


def tiny_spec() -> sweep.SweepSpec:
    return sweep.build_spec("access", assignments=TINY + SWEPT, seeds=SEEDS)


@pytest.fixture(scope="module")
def compile_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("jax-cache")


def run_tiny(sweep_dir: Path, cache: Path, **options) -> sweep.SweepReport:
    lines: list[str] = []
    report = sweep.run_sweep(
        tiny_spec(),
        sweep_dir,
        workers=2,
        generalisation=8,
        eval_examples=4,
        compile_cache=cache,
        log=lines.append,
        **options,
    )
    report.lines = lines  # type: ignore[attr-defined]
    return report


def outcomes(report: sweep.SweepReport) -> dict[str, tuple]:
    """What must agree between two sweeps of one spec: each run's ending (not its timing)."""
    table = {}
    for record in report.records:
        assert record.outcome is not None and record.outcome.final, record.name
        result = record.outcome.result
        table[record.name] = (result["solved"], result["reason"], result["step"], result["level"])
    return table


def table_without_times(report: sweep.SweepReport) -> list[dict]:
    timed = ("median_seconds_to_solve", "cpu_hours", "solved_per_cpu_hour")
    return [{k: v for k, v in row.items() if k not in timed} for row in report.rows]


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory, compile_cache: Path) -> sweep.SweepReport:
    return run_tiny(tmp_path_factory.mktemp("clean") / "sweep", compile_cache)


# --- the spec ----------------------------------------------------------------------------


def test_seeds() -> None:
    assert sweep.parse_seeds("3") == [0, 1, 2]
    assert sweep.parse_seeds("5-7") == [5, 6, 7]
    assert sweep.parse_seeds("1,4,7-9") == [1, 4, 7, 8, 9]
    assert sweep.parse_seeds(2) == [0, 1]
    assert sweep.parse_seeds([3, 1]) == [3, 1]


@pytest.mark.parametrize(
    ("seeds", "message"),
    [
        ("9-2", "backwards"),
        ("0", "no seeds"),
        ("a-b", "cannot read seeds"),
        ("", "no seeds"),
        ("1,1", "repeat"),
        ("-3", "cannot read seeds"),
    ],
)
def test_bad_seeds(seeds: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        sweep.parse_seeds(seeds)


def test_grid_from_the_command_line() -> None:
    spec = sweep.build_spec(
        "copy", assignments=["lr=1e-3,3e-3", "noise.eta=0,0.3", "machine.width=64"], seeds="4"
    )
    assert [s.label for s in spec.settings] == [
        "lr=1e-3 noise.eta=0",
        "lr=1e-3 noise.eta=0.3",
        "lr=3e-3 noise.eta=0",
        "lr=3e-3 noise.eta=0.3",
    ]
    assert spec.seeds == [0, 1, 2, 3]
    assert [(c.lr, c.noise.eta) for c in spec.configs] == [
        (1e-3, 0.0),
        (1e-3, 0.3),
        (3e-3, 0.0),
        (3e-3, 0.3),
    ]
    assert all(c.machine.width == 64 for c in spec.configs)  # a single value is fixed
    assert all(c.patience == sweep.DEFAULT_PATIENCE for c in spec.configs)
    assert sweep.build_spec("copy", patience=0).configs[0].patience == 0
    assert sweep.build_spec("copy", assignments=["patience=7"]).configs[0].patience == 7
    # One spec, one default directory; a different spec, another.
    again = sweep.build_spec(
        "copy", assignments=["lr=1e-3,3e-3", "noise.eta=0,0.3", "machine.width=64"], seeds="4"
    )
    assert sweep.default_sweep_dir(spec) == sweep.default_sweep_dir(again)
    assert sweep.default_sweep_dir(spec) != sweep.default_sweep_dir(
        sweep.build_spec("copy", assignments=["lr=1e-3,3e-3"], seeds="4")
    )


def test_sweep_file_grid_and_random(tmp_path: Path) -> None:
    grid = tmp_path / "grid.toml"
    grid.write_text(
        'task = "swap"\nseeds = "0-2"\n[base]\nlr = 1e-3\n[base.machine]\ncontroller = "lstm"\n'
        '[grid]\n"entropy.weight" = [0, 0.01]\n[grid.horizon]\nminimum = [6, 8]\n'
    )
    spec = sweep.build_spec(None, sweep_file=str(grid))
    assert spec.task == "swap" and spec.seeds == [0, 1, 2]
    assert len(spec.settings) == 4
    assert {(c.entropy.weight, c.horizon.minimum) for c in spec.configs} == {
        (0.0, 6),
        (0.0, 8),
        (0.01, 6),
        (0.01, 8),
    }
    assert all(c.lr == 1e-3 and c.machine.controller == "lstm" for c in spec.configs)
    # The command line wins over the file.
    assert sweep.build_spec(None, sweep_file=str(grid), seeds="5").seeds == list(range(5))

    chosen = tmp_path / "random.toml"
    chosen.write_text(
        "[random]\ncount = 6\nseed = 3\nlr = {low = 1e-4, high = 1e-2, log = true}\n"
        '"machine.width" = {low = 32, high = 256}\n"noise.eta" = [0, 0.3]\n'
    )
    spec = sweep.build_spec("copy", sweep_file=str(chosen), seeds="2")
    assert len(spec.settings) == 6
    for config in spec.configs:
        assert 1e-4 <= config.lr <= 1e-2
        assert 32 <= config.machine.width <= 256 and isinstance(config.machine.width, int)
        assert config.noise.eta in (0.0, 0.3)
    assert spec.as_dict() == sweep.build_spec("copy", sweep_file=str(chosen), seeds="2").as_dict()
    # The same from the command line.
    spec = sweep.build_spec(
        "copy", assignments=["lr=log:1e-4:1e-2", "machine.width=32:256"], random_count=5
    )
    assert len(spec.settings) == 5 and all(1e-4 <= c.lr <= 1e-2 for c in spec.configs)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"assignments": ["lr=1e-3,3e-3", "no.such=1,2"]}, "unknown setting 'no.such'"),
        ({"assignments": ["nosuch=1"]}, "unknown setting 'nosuch'"),
        ({"assignments": ["lr=abc,1e-3"]}, "cannot read 'abc' as float"),
        ({"assignments": ["machine.width=1.5,2"]}, "cannot read '1.5' as int"),
        ({"assignments": ["lr=,"]}, "empty value list for lr"),
        ({"assignments": ["lr="]}, "no value for lr"),
        ({"assignments": ["lr=1e-4:1e-2"]}, "ranges need random search"),
        ({"assignments": ["lr=log:0:1"], "random_count": 2}, "must be positive"),
        ({"assignments": ["lr=3:1"], "random_count": 2}, "low must be below high"),
        ({"random_count": 0, "assignments": ["lr=1,2"]}, "count >= 1"),
        ({"random_count": 3}, "needs something to sample"),
        ({"seeds": "3-1"}, "backwards"),
        ({"patience": -1}, "--patience must be >= 0"),
    ],
)
def test_bad_specs_are_clear_errors(arguments: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        sweep.build_spec("copy", **arguments)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[grid]\nlr = []\n", "empty value list for lr"),
        ("[grid]\nlr = [1e-3]\n[random]\ncount = 2\n", "not both"),
        ("[random]\nlr = [1e-3]\n", "needs count"),
        ("[grids]\nlr = [1e-3]\n", "unknown keys"),
        ('task = "swap"\n', "sweeps swap, not copy"),
        ("[grid]\nlr = [1e-3]\n[grid.noise]\netta = [0]\n", "unknown setting 'noise.etta'"),
        ("[grid\n", "not valid TOML"),
    ],
)
def test_bad_sweep_files_are_clear_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "sweep.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        sweep.build_spec("copy", sweep_file=str(path))


def test_the_command_prints_one_line_for_a_bad_spec(capsys: pytest.CaptureFixture) -> None:
    from nram.cli import main

    assert main(["sweep", "copy", "--set", "lr=1e-3,oops"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("nram: error:") and "oops" in error and "\n" not in error


def test_a_different_spec_in_an_existing_directory_is_refused(tmp_path: Path) -> None:
    sweep_dir = tmp_path / "sweep"
    sweep.claim_sweep_dir(sweep.build_spec("copy", seeds="3"), sweep_dir).close()
    sweep.claim_sweep_dir(sweep.build_spec("copy", seeds="3"), sweep_dir).close()  # same: fine
    cases = [
        (sweep.build_spec("copy", seeds="4"), "seeds 0-2, not 0-3"),
        (sweep.build_spec("copy", seeds="3", assignments=["lr=1e-3"]), "lr = 0.003, not 0.001"),
        (sweep.build_spec("copy", seeds="3", assignments=["lr=1e-3,3e-3"]), "settings"),
        (sweep.build_spec("reverse", seeds="3"), "task copy, not reverse"),
    ]
    for spec, message in cases:
        with pytest.raises(ConfigError, match=f"holds a different sweep.*{message}"):
            sweep.claim_sweep_dir(spec, sweep_dir)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match="not a sweep"):
        sweep.claim_sweep_dir(sweep.build_spec("copy"), tmp_path / "other")


def test_one_sweep_process_per_directory(tmp_path: Path) -> None:
    spec = sweep.build_spec("copy", seeds="2")
    held = sweep.claim_sweep_dir(spec, tmp_path / "sweep")
    try:
        with pytest.raises(ConfigError, match="another sweep process"):
            sweep.claim_sweep_dir(spec, tmp_path / "sweep")
    finally:
        held.close()


# --- running sweeps ----------------------------------------------------------------------


def test_a_local_sweep_writes_runs_and_the_success_table(clean: sweep.SweepReport) -> None:
    assert clean.completed
    assert [record.name for record in clean.records] == [
        "s00-seed0",
        "s00-seed1",
        "s01-seed0",
        "s01-seed1",
    ]
    for record in clean.records:
        result = json.loads((clean.sweep_dir / record.name / "result.json").read_text())
        assert result["reason"] in FINAL_REASONS
        config = json.loads((clean.sweep_dir / record.name / "config.json").read_text())
        assert config["seed"] == record.seed
        assert config["patience"] == [0, 20][record.setting]
    # patience 20 stops a run stuck at its level (the tiny runs do not learn in 30 steps).
    stopped = [r for r in clean.records if r.outcome.result["reason"] == "plateau"]
    assert stopped and all(r.setting == 1 and r.outcome.result["step"] < 30 for r in stopped)
    assert [row["setting"] for row in clean.rows] == ["patience=0", "patience=20", "all"]
    assert clean.rows[-1]["finished"] == 4
    for name in ("summary.csv", "summary.md", "summary.png", "sweep.json"):
        assert (clean.sweep_dir / name).stat().st_size > 0
    assert "| patience=20 |" in (clean.sweep_dir / "summary.md").read_text()
    assert len(clean.lines) == 1 + 4  # a header line, then one line per finished run


def test_a_finished_sweep_runs_nothing_again(clean: sweep.SweepReport, compile_cache: Path) -> None:
    again = run_tiny(clean.sweep_dir, compile_cache)
    assert "4 done before, 0 to run" in again.lines[0]
    assert outcomes(again) == outcomes(clean)
    assert again.rows == clean.rows


def test_the_ray_backend_gives_the_same_table(
    clean: sweep.SweepReport, compile_cache: Path, tmp_path: Path
) -> None:
    ray = pytest.importorskip("ray", reason="the Ray backend needs ray (pip install 'nram[ray]')")
    ray.init(num_cpus=2, include_dashboard=False)
    try:
        on_ray = run_tiny(tmp_path / "sweep", compile_cache, backend="ray")
    finally:
        ray.shutdown()
    assert outcomes(on_ray) == outcomes(clean)
    assert table_without_times(on_ray) == table_without_times(clean)


@pytest.mark.parametrize("address", ["nowhere:1234", "127.0.0.1:1", "ray://nowhere:1", "nowhere"])
def test_an_unreachable_ray_cluster_is_one_line_at_once(
    address: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """Ray itself would retry for minutes, with a screenful of warnings."""
    pytest.importorskip("ray", reason="the Ray backend needs ray (pip install 'nram[ray]')")
    from nram.cli import main

    started = time.monotonic()
    argv = ["sweep", "access", "--seeds", "1", "--backend", "ray", "--address", address]
    assert main([*argv, "--sweep-dir", str(tmp_path / "sweep")]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("nram: error:") and address in error and "\n" not in error
    assert time.monotonic() - started < 30


def test_interrupted_runs_resume_and_nothing_is_counted_twice(
    clean: sweep.SweepReport, compile_cache: Path, tmp_path: Path
) -> None:
    """Every state a kill can leave a run in, made on purpose: ended, stopped mid-way with a
    checkpoint, started without a checkpoint yet, and never started."""
    sweep_dir = tmp_path / "sweep"
    first = run_tiny(sweep_dir, compile_cache, max_runs=1)  # s00-seed0 ends
    assert not first.completed and first.rows[-1]["finished"] == 1
    # s00-seed1: Ctrl-C at step 10, after its checkpoint there (in a process of its own).
    config = dict(json.loads((clean.sweep_dir / "s00-seed1" / "config.json").read_text()))
    stop_early = (
        "import json, signal, sys\nfrom nram import config, train\n"
        "def stop(line):\n    if line['step'] == 10: signal.raise_signal(signal.SIGINT)\n"
        "result = train.train(config.from_dict(json.loads(sys.argv[1])), sys.argv[2],"
        " progress_bar=False, on_log=stop)\nassert result.reason == 'interrupted', result\n"
    )
    environment = os.environ | {"JAX_COMPILATION_CACHE_DIR": str(compile_cache)}
    subprocess.run(
        [sys.executable, "-c", stop_early, json.dumps(config), str(sweep_dir / "s00-seed1")],
        check=True,
        env=environment,
    )
    assert json.loads((sweep_dir / "s00-seed1" / "result.json").read_text())["step"] == 10
    # s01-seed0: killed before its first checkpoint (only config.json was written).
    (sweep_dir / "s01-seed0").mkdir()
    (sweep_dir / "s01-seed0" / "config.json").write_text("{}")

    resumed = run_tiny(sweep_dir, compile_cache)
    assert "1 done before, 3 to run" in resumed.lines[0]
    assert resumed.completed
    assert outcomes(resumed) == outcomes(clean)
    assert table_without_times(resumed) == table_without_times(clean)
    by_name = {record.name: record.outcome for record in resumed.records}
    assert by_name["s00-seed1"].resumed and not by_name["s01-seed0"].resumed
    assert_logged_once(sweep_dir, resumed)


def test_a_killed_sweep_resumes_where_it_stopped(
    clean: sweep.SweepReport, compile_cache: Path, tmp_path: Path
) -> None:
    """SIGKILL the whole sweep (driver and workers) at an arbitrary moment mid-way."""
    sweep_dir = tmp_path / "sweep"
    command = [
        sys.executable,
        "-m",
        "nram",
        "sweep",
        "access",
        "--seeds",
        SEEDS,
        "--workers",
        "2",
        "--sweep-dir",
        str(sweep_dir),
        "--compile-cache",
        str(compile_cache),
        "--generalisation",
        "8",
        "--eval-examples",
        "4",
        *[part for assignment in TINY + SWEPT for part in ("--set", assignment)],
    ]
    process = subprocess.Popen(
        command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:  # kill once some run has a checkpoint, before the sweep can end
        deadline = time.monotonic() + 300
        while not list(sweep_dir.glob("*/latest.npz")) and time.monotonic() < deadline:
            assert process.poll() is None, "the sweep ended before it could be killed"
            time.sleep(0.05)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    unfinished = [
        run for _, _, run in tiny_spec().runs() if not (sweep_dir / run / "result.json").exists()
    ]
    assert unfinished, "the kill came too late to test anything"

    resumed = run_tiny(sweep_dir, compile_cache)
    assert resumed.completed
    assert outcomes(resumed) == outcomes(clean)
    assert table_without_times(resumed) == table_without_times(clean)
    assert_logged_once(sweep_dir, resumed)


def assert_logged_once(sweep_dir: Path, report: sweep.SweepReport) -> None:
    """Each run's metrics cover its steps once, in order: no step lost or written twice."""
    for record in report.records:
        lines = (sweep_dir / record.name / "metrics.jsonl").read_text().splitlines()
        steps = [json.loads(line)["step"] for line in lines]
        assert steps == sorted(set(steps)), (record.name, steps)
        assert steps[-1] == record.outcome.result["step"]


@pytest.mark.parametrize("name", ["swap-lstm.toml", "copy-random.toml"])
def test_the_example_sweep_files_are_valid(name: str) -> None:
    spec = sweep.build_spec(None, sweep_file=str(Path(__file__).parents[1] / "sweeps" / name))
    assert len(spec.settings) >= 4 and len(spec.seeds) >= 5


# --- the ASHA scheduler ------------------------------------------------------------------


def test_asha_stops_the_runs_that_fall_behind_and_resumes(
    compile_cache: Path, tmp_path: Path
) -> None:
    """Six one-attempt runs, rungs at 20 and 40 steps keeping the better half: the pruned
    runs are the ones behind at their rung (read back from their metrics), an interrupted
    sweep carries on with the same study, and the table counts what the run directories say."""
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    from nram.sweep.scheduler import JOURNAL, Asha, progress

    settings = [*TINY, "steps=60", "restart_after=0"]
    spec = sweep.build_spec(
        "access", assignments=settings, seeds="0-5", scheduler=Asha(min_steps=20, reduction=2)
    )
    sweep_dir = tmp_path / "asha"
    options = dict(workers=2, generalisation=0, compile_cache=compile_cache, log=lambda _: None)
    first = sweep.run_sweep(spec, sweep_dir, max_runs=3, **options)
    assert not first.completed
    report = sweep.run_sweep(spec, sweep_dir, **options)
    assert report.completed

    results = {
        run.name: json.loads((run / "result.json").read_text()) for run in sweep_dir.glob("s0*")
    }
    pruned = {name for name, result in results.items() if result["reason"] == "pruned"}
    assert pruned and len(pruned) < len(results)
    assert report.rows[0]["pruned"] == len(pruned)
    assert report.rows[0]["finished"] == len(results) == 6
    for name in pruned:
        assert results[name]["step"] in (20, 40)
    # At each rung, a pruned run was behind the best run that went on from it.
    for rung in (20, 40):
        at_rung = {}
        for name in results:
            lines = (sweep_dir / name / "metrics.jsonl").read_text().splitlines()
            values = [
                progress(json.loads(line)) for line in lines if json.loads(line)["step"] == rung
            ]
            if values:
                at_rung[name] = values[0]
        stopped_here = [n for n in pruned if results[n]["step"] == rung]
        went_on = [n for n in at_rung if n not in pruned or results[n]["step"] > rung]
        for name in stopped_here:
            assert at_rung[name] <= max(at_rung[n] for n in went_on)
    # One trial per run in the study, pruned exactly when the run says so.
    storage = JournalStorage(JournalFileBackend(str(sweep_dir / JOURNAL)))
    import optuna

    trials = optuna.load_study(study_name="sweep", storage=storage).trials
    assert sorted(t.user_attrs["run"] for t in trials) == sorted(results)
    for trial in trials:
        assert (trial.state == optuna.trial.TrialState.PRUNED) == (
            trial.user_attrs["run"] in pruned
        )
    # A sweep of the same runs without the scheduler is another sweep.
    with pytest.raises(ConfigError, match="scheduler"):
        sweep.claim_sweep_dir(
            sweep.build_spec("access", assignments=settings, seeds="0-5"), sweep_dir
        )


def test_a_run_ended_on_a_promotion_has_no_error_yet_and_the_table_skips_it() -> None:
    """Its recent error is unknown (no batch at the new level yet): null in result.json, a
    dash in the sweep's line, and left out of the best error."""
    ended = [
        Result(False, "time", 30, 450.0, level=4, error=math.inf),
        Result(False, "time", 30, 450.0, level=3, error=0.4),
    ]
    results = [json.loads(json.dumps(r.as_dict(), allow_nan=False)) for r in ended]
    assert results[0]["error"] is None and results[1]["error"] == 0.4
    outcomes = [sweep.JobOutcome(f"k{i}", r, None) for i, r in enumerate(results)]
    assert "level 4, error - (450 s)" in _describe(outcomes[0])
    records = [sweep.RunRecord(0, i, f"s{i}", o) for i, o in enumerate(outcomes)]
    assert _row("defaults", records)["best_error"] == 0.4
