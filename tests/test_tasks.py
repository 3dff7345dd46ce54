"""The ten tasks: paper traces, generated layouts, solvers, samplers and their errors.

Every layout is checked by a decoder written here from docs/spec.md §13 alone: it walks the memory,
asserts the layout's invariants, and computes the expected output itself. The generator's
target, the task's ``solve`` and the decoder are three independent readings that must agree.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nram import tasks

# --- docs/spec.md §13, written out independently of the package --------------------------

LAYOUT_MIN_MEMORY: dict[str, Callable[[int], int]] = {
    "access": lambda n: n + 2,
    "increment": lambda n: max(n + 1, 3),
    "copy": lambda n: 2 * n + 1,
    "reverse": lambda n: 2 * n + 1,
    "swap": lambda n: n + 3,
    "permutation": lambda n: 2 * n + 1,
    "listk": lambda n: 2 * n + 3,
    "listsearch": lambda n: 2 * n + 3,
    "merge": lambda n: 2 * n + 5,
    "walkbst": lambda n: 4 * n + 2,
}
LAYOUT_MIN_DIFFICULTY = {name: 2 if name in ("swap", "merge") else 1 for name in LAYOUT_MIN_MEMORY}
TRASH_TASKS = ("listk", "listsearch", "walkbst")


class Decoded:
    """What a decoder found: the expected final value of each scored cell, and the trash."""

    def __init__(self, expected: dict[int, int], trash: list[int] | None = None) -> None:
        self.expected = expected
        self.trash = trash or []


def _elements(memory: np.ndarray, cells: range, high: int) -> list[int]:
    values = [int(memory[c]) for c in cells]
    assert all(1 <= v <= high for v in values), f"elements {values} outside [1, {high}]"
    return values


def _zeros_except(memory: np.ndarray, used: set[int]) -> None:
    rest = [c for c in range(memory.size) if c not in used]
    assert (memory[rest] == 0).all(), f"cells outside the layout are not 0: {memory.tolist()}"


def decode_access(memory: np.ndarray, n: int) -> Decoded:
    size = memory.size
    k = int(memory[0])
    assert 1 <= k <= n
    _elements(memory, range(1, n + 1), size - 1)
    _zeros_except(memory, set(range(n + 1)))
    return Decoded({0: int(memory[k])})


def decode_increment(memory: np.ndarray, n: int) -> Decoded:
    values = _elements(memory, range(n), memory.size - 2)
    _zeros_except(memory, set(range(n)))
    return Decoded({i: v + 1 for i, v in enumerate(values)})


def decode_copy(memory: np.ndarray, n: int) -> Decoded:
    assert memory[0] == n + 1
    values = _elements(memory, range(1, n + 1), memory.size - 1)
    _zeros_except(memory, set(range(n + 1)))
    return Decoded({n + 1 + i: v for i, v in enumerate(values)})


def decode_reverse(memory: np.ndarray, n: int) -> Decoded:
    copied = decode_copy(memory, n).expected
    return Decoded({n + 1 + i: copied[2 * n - i] for i in range(n)})


def decode_swap(memory: np.ndarray, n: int) -> Decoded:
    p, q = int(memory[0]), int(memory[1])
    assert 2 <= p < q <= n + 1
    values = _elements(memory, range(2, n + 2), memory.size - 1)
    _zeros_except(memory, set(range(n + 2)))
    expected = {2 + i: v for i, v in enumerate(values)}
    expected[p], expected[q] = expected[q], expected[p]
    return Decoded(expected)


def decode_permutation(memory: np.ndarray, n: int) -> Decoded:
    assert memory[0] == n + 1
    permutation = [int(memory[c]) for c in range(1, n + 1)]
    assert sorted(permutation) == list(range(n))
    values = _elements(memory, range(n + 1, 2 * n + 1), memory.size - 1)
    _zeros_except(memory, set(range(2 * n + 1)))
    return Decoded({1 + i: values[permutation[i]] for i in range(n)})


def _walk_list(memory: np.ndarray, n: int) -> tuple[list[int], list[int], list[int]]:
    """Nodes (addresses, values) of the list; asserts it is acyclic, NULL-ended, of n
    non-overlapping in-memory nodes in cells >= 3. Returns also the trash cells."""
    size = memory.size
    assert memory[2] == 0
    used = {0, 1, 2}
    addresses, values = [], []
    node = int(memory[0])
    while node != 0:
        assert 3 <= node and node + 1 < size, f"node {node} outside memory"
        assert node not in used and node + 1 not in used, "nodes overlap or the list cycles"
        used |= {node, node + 1}
        addresses.append(node)
        values.append(int(memory[node + 1]))
        node = int(memory[node])
    assert len(addresses) == n
    assert all(1 <= v < size for v in values)
    return addresses, values, sorted(set(range(size)) - used)


def decode_listk(memory: np.ndarray, n: int) -> Decoded:
    _, values, trash = _walk_list(memory, n)
    k = int(memory[1])
    assert 0 <= k < n
    return Decoded({2: values[k]}, trash)


def decode_listsearch(memory: np.ndarray, n: int) -> Decoded:
    addresses, values, trash = _walk_list(memory, n)
    wanted = int(memory[1])
    assert wanted in values
    return Decoded({2: addresses[values.index(wanted)]}, trash)


def decode_merge(memory: np.ndarray, n: int) -> Decoded:
    size = memory.size
    guardian = size - 1
    a, b, o = (int(x) for x in memory[:3])
    assert a == 3
    length_a = next(i for i in range(size - a) if memory[a + i] == guardian)
    assert 1 <= length_a <= n - 1 and b == a + length_a + 1
    length_b = next(i for i in range(size - b) if memory[b + i] == guardian)
    assert length_a + length_b == n and o == b + length_b + 1 == n + 5
    first = _elements(memory, range(a, a + length_a), size - 2)
    second = _elements(memory, range(b, b + length_b), size - 2)
    assert first == sorted(first) and second == sorted(second), "merge inputs not sorted"
    _zeros_except(memory, set(range(o)))
    return Decoded({o + i: v for i, v in enumerate(sorted(first + second))})


def decode_walkbst(memory: np.ndarray, n: int) -> Decoded:
    size = memory.size
    assert memory[1] == 0
    turns = []
    while memory[2 + len(turns)] != 0:
        turns.append(int(memory[2 + len(turns)]))
    assert set(turns) <= {1, 2}
    terminator = 2 + len(turns)
    used = set(range(terminator + 1))
    # Depth-first over the tree, carrying the BST's open interval of allowed values.
    value_of: dict[int, int] = {}
    stack = [(int(memory[0]), 0, size)]
    while stack:
        node, low, high = stack.pop()
        assert node > terminator and node + 2 < size, "node outside memory or before the path"
        assert not {node, node + 1, node + 2} & used, "nodes overlap or the tree has a cycle"
        used |= {node, node + 1, node + 2}
        value = int(memory[node])
        assert low < value < high, "not a binary search tree"
        value_of[node] = value
        if memory[node + 1]:
            stack.append((int(memory[node + 1]), low, value))
        if memory[node + 2]:
            stack.append((int(memory[node + 2]), value, high))
    assert len(value_of) == n
    node = int(memory[0])
    for turn in turns:
        node = int(memory[node + turn])
        assert node != 0, "the path leaves the tree"
    return Decoded({1: value_of[node]}, sorted(set(range(size)) - used))


DECODERS: dict[str, Callable[[np.ndarray, int], Decoded]] = {
    "access": decode_access,
    "increment": decode_increment,
    "copy": decode_copy,
    "reverse": decode_reverse,
    "swap": decode_swap,
    "permutation": decode_permutation,
    "listk": decode_listk,
    "listsearch": decode_listsearch,
    "merge": decode_merge,
    "walkbst": decode_walkbst,
}


def check_instance(
    task: tasks.Task,
    memory: np.ndarray,
    target: np.ndarray,
    mask: np.ndarray,
    difficulty: int,
) -> Decoded:
    """Decoder, generator target, mask and solver all agree on one generated instance."""
    size = memory.size
    assert memory.min() >= 0 and memory.max() < size, "values outside Z_M"
    decoded = DECODERS[task.name](memory, difficulty)
    assert sorted(np.flatnonzero(mask).tolist()) == sorted(decoded.expected), "wrong mask"
    assert (task.mask(memory, difficulty) == mask).all()
    cells = sorted(decoded.expected)
    expected = [decoded.expected[c] for c in cells]
    assert target[cells].tolist() == expected, "generator target disagrees with the decoder"
    assert task.solve(memory)[cells].tolist() == expected, "solve disagrees with the decoder"
    assert (target[~mask] == 0).all()
    return decoded


# --- the paper's traces ----------------------------------------------------------------------


TRACES = Path(__file__).resolve().parent / "data" / "paper_traces.json"


def _traces() -> list[dict]:
    return json.loads(TRACES.read_text())["traces"]


@pytest.mark.parametrize("trace", _traces(), ids=lambda t: f"{t['task']}-{t['paper_table']}")
def test_paper_trace_is_a_valid_instance(trace: dict) -> None:
    task = tasks.get(trace["task"])
    initial = np.array(trace["initial_memory"])
    final = np.array(trace["steps"][-1]["memory"])
    difficulty = trace["difficulty"]
    assert initial.size == trace["memory_size"] >= task.min_memory(difficulty)

    decoded = DECODERS[task.name](initial, difficulty)
    cells = sorted(decoded.expected)
    mask = task.mask(initial, difficulty)
    assert np.flatnonzero(mask).tolist() == cells
    assert final[cells].tolist() == [decoded.expected[c] for c in cells]
    assert (task.solve(initial)[mask] == final[mask]).all()
    assert (initial == np.array(trace["initial_memory"])).all(), "solve modified its input"


def test_trace_masks_match_the_papers_notes() -> None:
    """The cells each trace's note names as the output, spelled out from the paper."""
    expected = {
        "copy": list(range(6, 11)),
        "access": [0],
        "increment": list(range(10)),
        "reverse": list(range(8, 15)),
        "swap": list(range(2, 14)),
    }
    traces = _traces()
    assert sorted(trace["task"] for trace in traces) == sorted(expected)
    for trace in traces:
        mask = tasks.get(trace["task"]).mask(np.array(trace["initial_memory"]), trace["difficulty"])
        assert np.flatnonzero(mask).tolist() == expected[trace["task"]]


# --- generated instances -----------------------------------------------------------------------


def _size_and_difficulty(data: st.DataObject, task: tasks.Task) -> tuple[int, int]:
    difficulty = data.draw(st.integers(task.min_difficulty, 12), label="difficulty")
    slack = data.draw(st.integers(0, 6), label="slack")
    return difficulty, task.min_memory(difficulty) + slack


@pytest.mark.parametrize("name", tasks.PAPER_TASKS)
@settings(max_examples=60, deadline=None)
@given(data=st.data(), seed=st.integers(0, 2**32 - 1))
def test_sample_is_a_valid_instance(name: str, data: st.DataObject, seed: int) -> None:
    task = tasks.get(name)
    difficulty, memory_size = _size_and_difficulty(data, task)
    example = task.sample(np.random.default_rng(seed), difficulty, memory_size)
    assert example.memory.dtype == np.int64 and example.memory.shape == (memory_size,)
    assert example.target.dtype == np.int64 and example.mask.dtype == bool
    assert example.difficulty == difficulty
    check_instance(task, example.memory, example.target, example.mask, difficulty)


@pytest.mark.parametrize("name", tasks.PAPER_TASKS)
@settings(max_examples=40, deadline=None)
@given(data=st.data(), seed=st.integers(0, 2**32 - 1))
def test_sample_batch_rows_are_valid_instances(name: str, data: st.DataObject, seed: int) -> None:
    task = tasks.get(name)
    max_difficulty, memory_size = _size_and_difficulty(data, task)
    rng = np.random.default_rng(seed)
    difficulties = rng.integers(task.min_difficulty, max_difficulty + 1, size=16)
    batch = task.sample_batch(rng, difficulties, memory_size)
    assert batch.memory.dtype == np.int32 and batch.memory.shape == (16, memory_size)
    assert batch.target.dtype == np.int32 and batch.target.shape == (16, memory_size)
    assert batch.mask.dtype == bool and batch.difficulty.dtype == np.int32
    assert batch.difficulty.tolist() == difficulties.tolist()
    for row in range(16):
        check_instance(
            task, batch.memory[row], batch.target[row], batch.mask[row], int(difficulties[row])
        )


@pytest.mark.parametrize("name", tasks.PAPER_TASKS)
def test_generalisation_sizes_are_valid_instances(name: str) -> None:
    """Difficulty 50, as in the paper's generalisation tests, at the minimum memory and beyond."""
    task = tasks.get(name)
    rng = np.random.default_rng(50)
    for memory_size in (task.min_memory(50), task.min_memory(50) + 7):
        difficulties = np.array([50, task.min_difficulty, 37, 50])
        batch = task.sample_batch(rng, difficulties, memory_size)
        for row, difficulty in enumerate(difficulties):
            check_instance(
                task, batch.memory[row], batch.target[row], batch.mask[row], int(difficulty)
            )


@pytest.mark.parametrize("name", tasks.PAPER_TASKS)
def test_sample_is_one_row_of_sample_batch(name: str) -> None:
    task = tasks.get(name)
    difficulty = task.min_difficulty + 1
    memory_size = task.min_memory(difficulty) + 1
    example = task.sample(np.random.default_rng(7), difficulty, memory_size)
    batch = task.sample_batch(np.random.default_rng(7), np.array([difficulty]), memory_size)
    assert (example.memory == batch.memory[0]).all() and (example.target == batch.target[0]).all()


@pytest.mark.parametrize("name", tasks.PAPER_TASKS)
def test_mixed_batches_draw_each_difficulty_like_a_plain_one(name: str) -> None:
    """Rows at difficulty d of batches mixing larger difficulties (which widen the samplers'
    padded arrays) have the same per-cell distribution as batches of d alone."""
    task = tasks.get(name)
    difficulty = task.min_difficulty + 1
    memory_size = task.min_memory(difficulty + 3) + 1
    rng = np.random.default_rng(11)
    plain = task.sample_batch(rng, np.full(3000, difficulty), memory_size).memory
    mixed_difficulties = np.tile([difficulty, difficulty + 3, difficulty + 1], 3000)
    mixed = task.sample_batch(rng, mixed_difficulties, memory_size).memory
    mixed = mixed[mixed_difficulties == difficulty].astype(float)
    plain = plain.astype(float)
    error = np.sqrt(plain.var(axis=0) / len(plain) + mixed.var(axis=0) / len(mixed)) + 1e-12
    z = np.abs(plain.mean(axis=0) - mixed.mean(axis=0)) / error
    assert z.max() < 5, f"cell means differ: z = {np.round(z, 1).tolist()}"


@pytest.mark.parametrize("name", TRASH_TASKS)
def test_trash_is_uniform_and_changes_between_runs(name: str) -> None:
    task = tasks.get(name)
    memory_size = 31
    rng = np.random.default_rng(3)
    batch = task.sample_batch(rng, np.full(400, 2), memory_size)
    trash_values = []
    trash_of_first_rows = []
    for row in range(400):
        trash = DECODERS[name](batch.memory[row], 2).trash
        trash_values.extend(batch.memory[row][trash].tolist())
        if row < 2:
            trash_of_first_rows.append(batch.memory[row][trash[-8:]].tolist())
    counts = np.bincount(trash_values, minlength=memory_size)
    assert counts.min() > 0, "some value never appears in the trash"
    expected = len(trash_values) / memory_size
    assert np.abs(counts - expected).max() < 6 * np.sqrt(expected), "trash is not uniform"
    assert trash_of_first_rows[0] != trash_of_first_rows[1]

    again = task.sample(np.random.default_rng(4), 2, memory_size).memory
    other = task.sample(np.random.default_rng(5), 2, memory_size).memory
    assert (again != other).sum() > memory_size // 3


@pytest.mark.parametrize("name", sorted(set(tasks.PAPER_TASKS) - set(TRASH_TASKS)))
def test_cells_outside_the_layout_are_zero_for_tasks_without_trash(name: str) -> None:
    # The decoders assert it; here at a memory with plenty of room beyond the layout.
    task = tasks.get(name)
    batch = task.sample_batch(np.random.default_rng(1), np.full(50, task.min_difficulty), 40)
    for row in range(50):
        DECODERS[name](batch.memory[row], task.min_difficulty)


# --- the spec's random choices are uniform -------------------------------------------------------


def _assert_uniform(observed: np.ndarray, support: range) -> None:
    counts = np.array([(observed == v).sum() for v in support])
    assert counts.sum() == observed.size, f"values outside {support}"
    expected = observed.size / len(support)
    assert np.abs(counts - expected).max() < 5 * np.sqrt(expected), counts.tolist()


def test_random_choices_are_uniform() -> None:
    rng = np.random.default_rng(2)
    n, count = 6, 6000
    access = tasks.get("access").sample_batch(rng, np.full(count, n), 10).memory
    _assert_uniform(access[:, 0], range(1, n + 1))  # k
    listk = tasks.get("listk").sample_batch(rng, np.full(count, n), 20).memory
    _assert_uniform(listk[:, 1], range(n))  # k
    merge = tasks.get("merge").sample_batch(rng, np.full(count, n), 20).memory
    _assert_uniform(merge[:, 1] - 4, range(1, n))  # len(A) = b - 4
    permutation = tasks.get("permutation").sample_batch(rng, np.full(count, 3), 7).memory
    codes = permutation[:, 1] * 9 + permutation[:, 2] * 3 + permutation[:, 3]  # P in base 3
    permutation_codes = [5, 7, 11, 15, 19, 21]  # the six permutations of {0, 1, 2}
    assert set(np.unique(codes).tolist()) == set(permutation_codes)
    _assert_uniform(np.searchsorted(permutation_codes, codes), range(6))
    swap = tasks.get("swap").sample_batch(rng, np.full(count, 4), 8).memory
    pairs = swap[:, 0] * 10 + swap[:, 1]  # p < q in {2..5}: six pairs, equally likely
    pair_codes = [23, 24, 25, 34, 35, 45]
    assert set(np.unique(pairs).tolist()) == set(pair_codes)
    _assert_uniform(np.searchsorted(pair_codes, pairs), range(6))
    # ListSearch: v is the value of a uniformly chosen node. Where the values are distinct,
    # the node holding v is that node, so its position along the list is uniform.
    search = tasks.get("listsearch").sample_batch(rng, np.full(count, n), 200)
    positions = []
    for memory in search.memory[:2000]:
        _, values, _ = _walk_list(memory, n)
        if len(set(values)) == n:
            positions.append(values.index(int(memory[1])))
    _assert_uniform(np.array(positions), range(n))


def test_walkbst_tree_shape_and_walk_are_random() -> None:
    """Three values inserted in random order give the balanced tree with probability 1/3; its
    walk takes one turn to a leaf, left or right evenly, and keeps 0 or 1 turns evenly."""
    batch = tasks.get("walkbst").sample_batch(np.random.default_rng(9), np.full(6000, 3), 14)
    balanced, turns = 0, []
    for memory in batch.memory:
        root = int(memory[0])
        if memory[root + 1] and memory[root + 2]:
            balanced += 1
            path = memory[2 : 2 + int(np.argmax(memory[2:] == 0))].tolist()
            turns.append(path[0] if path else 0)
    assert abs(balanced / 6000 - 1 / 3) < 0.03
    turns_array = np.array(turns)
    assert abs((turns_array == 0).mean() - 0.5) < 0.05  # prefix length uniform in {0, 1}
    assert abs((turns_array == 1).mean() - 0.25) < 0.04  # left and right evenly
    assert abs((turns_array == 2).mean() - 0.25) < 0.04


# --- solving memories no generator made ------------------------------------------------------


def test_solve_follows_pointers_not_the_generator() -> None:
    # A list laid out by hand: head 9 -> 5 -> 13 -> NULL, values 4, 7, 4.
    memory = np.zeros(16, dtype=np.int64)
    memory[:3] = [9, 2, 0]
    memory[9:11] = [5, 4]
    memory[5:7] = [13, 7]
    memory[13:15] = [0, 4]
    assert tasks.get("listk").solve(memory)[2] == 4  # k = 2: the third node
    memory[1] = 4
    assert tasks.get("listsearch").solve(memory)[2] == 9  # first node with value 4
    memory[1] = 7
    assert tasks.get("listsearch").solve(memory)[2] == 5


def test_solve_rejects_memories_it_cannot_finish() -> None:
    cyclic = np.array([3, 7, 0, 5, 1, 3, 2, 0])  # 3 -> 5 -> 3 -> ..., no value 7
    with pytest.raises(ValueError, match="no node with value"):
        tasks.get("listsearch").solve(cyclic)
    with pytest.raises(ValueError, match="no NULL terminator"):
        tasks.get("increment").solve(np.array([1, 1, 1]))
    with pytest.raises(ValueError, match=r"values must lie in Z_M"):
        tasks.get("access").solve(np.array([1, 5, 0]))
    with pytest.raises(ValueError, match="1-D array"):
        tasks.get("access").solve(np.zeros((2, 3), dtype=np.int64))


# --- sizes and errors --------------------------------------------------------------------------


@pytest.mark.parametrize("name", tasks.PAPER_TASKS)
def test_min_memory_and_max_difficulty_follow_the_spec(name: str) -> None:
    task = tasks.get(name)
    assert task.min_difficulty == LAYOUT_MIN_DIFFICULTY[name]
    for difficulty in range(task.min_difficulty, 40):
        assert task.min_memory(difficulty) == LAYOUT_MIN_MEMORY[name](difficulty)
    smallest = LAYOUT_MIN_MEMORY[name](task.min_difficulty)
    for memory_size in range(smallest, 120):
        fitting = [
            n for n in range(task.min_difficulty, 130) if LAYOUT_MIN_MEMORY[name](n) <= memory_size
        ]
        assert task.max_difficulty(memory_size) == max(fitting)
    if smallest > 2:
        with pytest.raises(ValueError, match=f"needs memory_size >= {smallest}"):
            task.max_difficulty(smallest - 1)


def test_registry() -> None:
    assert tasks.PAPER_TASKS == (
        "access", "increment", "copy", "reverse", "swap",
        "permutation", "listk", "listsearch", "merge", "walkbst",
    )  # fmt: skip
    assert tasks.names()[:10] == tasks.PAPER_TASKS
    assert all(tasks.get(name).name == name for name in tasks.PAPER_TASKS)
    with pytest.raises(ValueError, match="unknown task 'x'; valid tasks: access, increment, "):
        tasks.get("x")


def test_bad_inputs_raise_clear_errors() -> None:
    rng = np.random.default_rng(0)
    copy, swap = tasks.get("copy"), tasks.get("swap")
    with pytest.raises(ValueError, match="copy at difficulty 10 needs memory_size >= 21, got 12"):
        copy.sample(rng, 10, 12)
    with pytest.raises(ValueError, match="swap difficulty must be >= 2, got 1"):
        swap.sample(rng, 1, 10)
    with pytest.raises(ValueError, match="merge difficulty must be >= 2, got 0"):
        tasks.get("merge").min_memory(0)
    with pytest.raises(ValueError, match="memory_size must be >= 2, got 1"):
        tasks.get("access").max_difficulty(1)
    with pytest.raises(ValueError, match="memory_size must be >= 2, got 1"):
        tasks.get("access").sample(rng, 1, 1)
    with pytest.raises(ValueError, match="walkbst at difficulty 3 needs memory_size >= 14, got 13"):
        tasks.get("walkbst").sample_batch(rng, np.array([1, 3, 2]), 13)
    with pytest.raises(ValueError, match="swap difficulty must be >= 2, got 1"):
        swap.sample_batch(rng, np.array([2, 1]), 10)
    with pytest.raises(ValueError, match="non-empty 1-D"):
        copy.sample_batch(rng, np.array([], dtype=int), 10)
    with pytest.raises(ValueError, match="copy at difficulty 6 needs memory_size >= 13, got 12"):
        copy.mask(np.zeros(12, dtype=np.int64), 6)
