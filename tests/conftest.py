"""Fixtures shared by the test files."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

import autograd


@pytest.fixture
def register() -> Iterator[Callable[..., autograd.Op]]:
    """`autograd.defop` for one test: every op it registers leaves the global
    registry when the test ends, so no test sees another's custom ops. A name
    that `defop` refuses is not recorded, so a refused duplicate of an op that
    was there before (a built-in, say) is never removed."""
    names: list[str] = []

    def define(name: str, *args, **kwargs) -> autograd.Op:
        op = autograd.defop(name, *args, **kwargs)
        names.append(name)
        return op

    yield define
    for name in reversed(names):
        autograd.REGISTRY.pop(name, None)
