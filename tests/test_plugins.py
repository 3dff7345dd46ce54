"""A task of one's own from a plugin file: it trains, evaluates, traces, prints its program and
sweeps like the paper's tasks; a moved plugin file can be named anew; a bad task is a one-line
error that names it.

The plugin task, First (cell 0 := A[0]), trains on the tiny settings of tests/conftest.py, so
its jitted step is the one the other tests compiled.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import TINY

from nram import cli, tasks
from nram.errors import TaskError

FIRST = '''
import numpy as np
from nram import tasks


class First(tasks.Task):
    """0, A[0..n-1], 0: cell 0 := A[0]."""

    name = "first"
    paper_max_difficulty = 3
    defaults = {"memory_size": 6, "noise": {"eta": 0.0}}

    def _min_memory(self, difficulty):
        return difficulty + 2

    def _sample_batch(self, rng, n, memory_size):
        column = np.arange(memory_size)[None, :]
        elements = rng.integers(1, memory_size, size=(n.size, memory_size))
        memory = np.where((column >= 1) & (column <= n[:, None]), elements, 0)
        target = np.zeros_like(memory)
        target[:, 0] = memory[:, 1]
        return SAMPLED

    def _run(self, memory):
        memory[0] = memory[1]

    def _scored_cells(self, memory, difficulty):
        return np.array([0])


tasks.register(First())
'''
GOOD = "memory, target, np.broadcast_to(column == 0, memory.shape)"


def plugin_source(sampled: str = GOOD, name: str = "first") -> str:
    return FIRST.replace("SAMPLED", sampled).replace('"first"', f'"{name}"')


def run(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def plugin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("plugin") / "first.py"
    path.write_text(plugin_source())
    yield path
    if "first" in tasks.names():
        tasks.unregister("first")


@pytest.fixture(scope="module")
def first_run(plugin: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    run_dir = tmp_path_factory.mktemp("runs") / "first"
    code = cli.main(
        ["--plugin", str(plugin), "train", "first", "--run-dir", str(run_dir), "--no-progress"]
        + [f"--set={setting}" for setting in [*TINY, "steps=300", "evaluation.every=10"]]
    )
    assert code == 0
    return run_dir


def test_a_plugin_task_trains_and_its_run_records_the_plugin(first_run: Path, plugin: Path) -> None:
    config = json.loads((first_run / "config.json").read_text())
    assert config["task"] == "first" and config["plugins"] == [str(plugin.resolve())]
    assert config["memory_size"] == 6 and config["noise"]["eta"] == 0.0  # its defaults
    assert json.loads((first_run / "result.json").read_text())["solved"]
    assert tasks.names() == (*tasks.PAPER_TASKS, "first")


def test_eval_trace_and_program_work_on_a_plugin_tasks_run(
    first_run: Path, capsys: pytest.CaptureFixture
) -> None:
    code, out, _ = run(capsys, "eval", str(first_run), "--difficulty", "1,3", "--examples", "4")
    assert code == 0 and "first: 4 examples per difficulty" in out
    code, out, _ = run(capsys, "trace", str(first_run), "--difficulty", "2")
    assert code == 0 and out.startswith("first, difficulty 2")
    code, out, _ = run(capsys, "program", str(first_run), "--examples", "2")
    assert code == 0 and out.startswith("# first, mlp controller")
    # The same validation and messages as a paper task's.
    code, _, err = run(capsys, "eval", str(first_run), "--difficulty", "0")
    assert code == 2 and err == "nram: error: first difficulties start at 1\n"


def test_a_moved_plugin_is_named_anew(
    first_run: Path, plugin: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    run_dir = tmp_path / "run"
    shutil.copytree(first_run, run_dir)
    moved = tmp_path / "elsewhere" / "first.py"
    moved.parent.mkdir()
    shutil.move(plugin, moved)
    try:
        code, _, err = run(capsys, "eval", str(run_dir), "--examples", "2")
        assert code == 2 and f"plugin {plugin.resolve()} does not exist" in err
        assert "name it anew" in err and len(err.splitlines()) == 1
        tasks.unregister("first")  # as in a new process: the task is not registered yet
        code, out, _ = run(capsys, "--plugin", str(moved), "eval", str(run_dir), "--examples", "2")
        assert code == 0 and "first:" in out
        # The run is solved, and resuming it alone changes nothing: --continue trains it on.
        argv = ["--plugin", str(moved), "train", "--resume", str(run_dir), "--continue"]
        argv += ["--no-progress"]
        code, _, _ = run(capsys, *argv, "--set", "steps=310")
        assert code == 0
        config = json.loads((run_dir / "config.json").read_text())
        assert config["plugins"] == [str(moved.resolve())]  # the resumed run records it anew
    finally:
        shutil.move(moved, plugin)


def test_a_two_seed_sweep_of_a_plugin_task(
    plugin: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    sweep_dir = tmp_path / "sweep"
    settings = [*TINY, "steps=40"]
    code, out, _ = run(
        capsys,
        "--plugin",
        str(plugin),
        "sweep",
        "first",
        "--seeds",
        "2",
        "--workers",
        "2",
        "--generalisation",
        "0",
        "--sweep-dir",
        str(sweep_dir),
        *[f"--set={setting}" for setting in settings],
    )
    assert code == 0, out
    for seed in (0, 1):
        run_dir = sweep_dir / f"s00-seed{seed}"
        assert json.loads((run_dir / "result.json").read_text())["step"] <= 40
        assert json.loads((run_dir / "config.json").read_text())["plugins"] == [
            str(plugin.resolve())
        ]


BAD_TASKS = [
    (plugin_source(name="copy"), "cannot register task 'copy': it is one of the paper's tasks"),
    (plugin_source(name="Bad Name"), "a task's name must be lower-case letters"),
    (
        plugin_source().replace("    def _run(self, memory):\n        memory[0] = memory[1]\n", ""),
        "bad: First does not define _run (the reference algorithm)",
    ),
    (
        plugin_source("memory + memory_size, target, np.broadcast_to(column == 0, memory.shape)"),
        "bad: the sampler returned value 5 outside Z_M = [0, 4] (memory_size 5)",
    ),
    (
        plugin_source("memory, target, np.zeros(memory.shape, bool)"),
        "bad: the sampler returned a mask that scores no cell (difficulty 1)",
    ),
    (
        plugin_source("memory[:, :4], target[:, :4], np.broadcast_to(column == 0, memory.shape)"),
        "bad: the sampler returned memory of shape (12, 4) for 12 difficulties and "
        "memory_size 5; expected (12, 5)",
    ),
    (
        plugin_source("memory * 1.0, target, np.broadcast_to(column == 0, memory.shape)"),
        "bad: the sampler returned memory of dtype float64; expected integers",
    ),
    (
        plugin_source(
            "memory, (target + 1) % memory_size, np.broadcast_to(column == 0, memory.shape)"
        ),
        "bad: the sampler's target disagrees with solve() at difficulty 1, memory_size 5",
    ),
    (
        plugin_source("memory, target, np.broadcast_to(column <= 1, memory.shape)"),
        "bad: the sampler scores cells [0, 1] but mask() gives [0] at difficulty 1",
    ),
]


@pytest.mark.parametrize(("source", "message"), BAD_TASKS)
def test_a_bad_plugin_task_is_a_one_line_error(
    source: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    path = tmp_path / "bad.py"
    path.write_text(source.replace('"first"', '"bad"'))
    code, _, err = run(capsys, "--plugin", str(path), "settings", "bad")
    assert code == 2, err
    assert err.startswith(f"nram: error: plugin {path}: ") and message in err, err
    assert len(err.splitlines()) == 1
    assert "bad" not in tasks.names()


def test_bad_defaults_name_their_task(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "defaults.py"
    path.write_text(plugin_source(name="odd").replace('"memory_size": 6', '"memory": 6'))
    try:
        code, _, err = run(capsys, "--plugin", str(path), "settings", "odd")
        assert code == 2 and err.startswith("nram: error: task odd's defaults: unknown setting")
    finally:
        tasks.unregister("odd")


def test_the_paper_tasks_cannot_be_unregistered() -> None:
    with pytest.raises(TaskError, match="one of the paper's tasks"):
        tasks.unregister("copy")
    with pytest.raises(TaskError, match="register takes an instance"):
        tasks.register(type(tasks.get("copy")))  # the class, not an instance
