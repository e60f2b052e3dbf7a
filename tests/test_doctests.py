"""The examples in docstrings run: a doc that shows a call shows what it really returns."""
from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import ganapps

MODULES = sorted(
    m.name for m in pkgutil.walk_packages(ganapps.__path__, "ganapps.")
    if not m.name.startswith("ganapps.demo")  # the demo imports gradio, an optional extra
    and m.name != "ganapps.__main__"  # runs the command line when imported
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed"
