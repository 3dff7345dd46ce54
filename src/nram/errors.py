"""The project's errors: bad input, as opposed to bugs.

Every error nram raises for something a user gave it (an unknown task or setting, a memory
too small for the difficulty, a damaged checkpoint, a program that does not parse) is an
`NramError`, and its message says what would be valid. The `nram` command prints these as one
line; any other exception is a bug and shows its traceback. `NramError` is a `ValueError`, so
code that catches `ValueError` keeps working.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class NramError(ValueError):
    """Bad input, with a one-line message that says what would be valid."""


class ConfigError(NramError):
    """A setting that does not exist, does not parse, or does not fit the task."""


class TaskError(NramError):
    """An example that does not fit its memory, or a memory its task's algorithm cannot run on."""


class ModuleError(NramError):
    """An unknown module name, or a module that cannot be registered."""


class ProgramError(NramError):
    """A program text that does not parse into circuits for the machine at hand."""


class CheckpointError(NramError):
    """A checkpoint that is missing, corrupted, truncated, or for another model."""


class RunError(NramError):
    """A run directory that cannot be used as asked (exists already, missing, ...)."""


def at_least(*given: tuple[str, float | None, float]) -> None:
    """Refuse, by its name, any number a user gave below the least valid one: each of `given`
    is (name, value or None if not given, least valid value)."""
    for name, value, low in given:
        if value is not None and value < low:
            raise NramError(f"{name} must be >= {low}, got {value}")


@contextmanager
def file_errors(path: str | Path, doing: str, kind: type[NramError] = NramError) -> Iterator[None]:
    """Turn the OS's refusal to read or write a user's file (no permission, a full disk, a file
    where a folder should be) into one line that names the file: "cannot write PATH: why"."""
    try:
        yield
    except OSError as error:
        raise kind(f"cannot {doing} {path}: {error.strerror or error}") from None
