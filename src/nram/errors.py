"""The project's errors: bad input, as opposed to bugs.

Every error nram raises for something a user gave it (an unknown task or setting, a memory
too small for the difficulty, a damaged checkpoint, a program that does not parse) is an
`NramError`, and its message says what would be valid. The `nram` command prints these as one
line; any other exception is a bug and shows its traceback. `NramError` is a `ValueError`, so
code that catches `ValueError` keeps working.
"""

from __future__ import annotations


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
