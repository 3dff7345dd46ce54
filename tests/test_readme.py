"""The README: short, its first command early, and its map of the code true to the files."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def code_map() -> list[str]:
    """The paths in the README's map, one line each, indented two spaces per folder level:
    `src/nram/`, then `  machine.py  what it is`, `  tasks/`, `    base.py ...`."""
    block = README.split("## The code", 1)[1].split("```", 2)[1]
    folders: list[str] = []
    paths = []
    for line in block.splitlines():
        if not line.strip():
            continue
        depth = (len(line) - len(line.lstrip())) // 2
        name = line.split()[0]
        folders = folders[:depth]
        paths.append("".join(folders) + name)
        if name.endswith("/"):
            folders.append(name)
    return paths


def test_the_map_lists_every_module_and_only_files_that_exist() -> None:
    listed = code_map()
    missing = [path for path in listed if not (ROOT / path).exists()]
    assert not missing, f"the README's map lists files that do not exist: {missing}"
    modules = {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "src" / "nram").rglob("*.py")
        if "__pycache__" not in path.parts
    }
    unlisted = sorted(modules - set(listed))
    assert not unlisted, f"the README's map does not list: {unlisted}"


def test_the_readme_is_short_and_starts_with_a_command() -> None:
    lines = README.splitlines()
    assert len(lines) <= 250
    first_command = next(i for i, line in enumerate(lines) if re.match(r"pip install", line))
    assert first_command < 40
