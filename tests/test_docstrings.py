"""The examples in the package's docstrings run and print what they say."""

from __future__ import annotations

import doctest
import types

import pytest

from nram import curriculum, programs


@pytest.mark.parametrize("module", [curriculum, programs], ids=lambda module: module.__name__)
def test_docstring_examples_hold(module: types.ModuleType) -> None:
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
