"""The one place that turns a `seed=` or `rng=` argument into a random source.

nn draws from two families of generators, each for compatibility with the code
people compare it against:

- models from Python's `random`: `random.seed(1337)` then `MLP(2, [16, 16, 1])`
  gives micrograd's weights, and `seed=k` gives what `random.seed(k)` would;
- data sets and batch orders from NumPy: `seed=k` is `RandomState(k)`, what
  scikit-learn's `random_state=k` uses, and no seed means NumPy's global
  generator, so `np.random.seed(1337)` then `make_moons(...)` is micrograd's demo.

Every function of nn that takes `seed=` or `rng=` resolves them here.
"""

from __future__ import annotations

import random
from typing import Any, Literal

import numpy as np

from autograd.validate import integer

NumpyRNG = np.random.Generator | np.random.RandomState
Family = Literal["python", "numpy"]


def resolve_rng(seed: int | None = None, rng: Any = None, *, family: Family = "numpy") -> Any:
    """The random source for `seed` or `rng` (give at most one).

    `family="numpy"`: a NumPy Generator or RandomState; `seed` makes a
    `RandomState(seed)`; neither gives NumPy's global RandomState.
    `family="python"`: `rng` may also be a `random.Random` (or the `random`
    module); `seed` makes a `random.Random(seed)`; neither gives the `random`
    module itself, whose state `random.seed` sets.
    """
    if seed is not None and rng is not None:
        raise TypeError("give seed= or rng=, not both")
    if family not in ("python", "numpy"):
        raise ValueError(f"family must be 'python' or 'numpy', got {family!r}")
    if seed is not None:
        seed = integer(seed, "seed")
        return random.Random(seed) if family == "python" else np.random.RandomState(seed)
    if rng is None:
        return random if family == "python" else np.random.mtrand._rand  # the global generators
    if isinstance(rng, (np.random.Generator, np.random.RandomState)):
        return rng
    if family == "python" and (rng is random or isinstance(rng, random.Random)):
        return rng
    allowed = "a random.Random or a NumPy Generator/RandomState" if family == "python" else \
        "a NumPy Generator or RandomState"
    raise TypeError(f"rng must be {allowed}, got {type(rng).__name__}")


class Sampler:
    """uniform(lo, hi) and normal(std) draws, one Python float at a time, from a
    Python or a NumPy source: a model consumes its random numbers in parameter
    order whatever the source."""

    def __init__(self, seed: int | None = None, rng: Any = None) -> None:
        self.rng = resolve_rng(seed, rng, family="python")
        self._numpy = isinstance(self.rng, (np.random.Generator, np.random.RandomState))

    @classmethod
    def of(cls, seed: int | None, rng: Any) -> Sampler:
        """The sampler for `seed`/`rng`; a Sampler given as `rng` is shared, so a
        parent module hands its own to its children and one source fills the model."""
        return rng if isinstance(rng, Sampler) and seed is None else cls(seed, rng)

    def uniform(self, lo: float, hi: float) -> float:
        return float(self.rng.uniform(lo, hi))

    def normal(self, std: float) -> float:
        return float(self.rng.normal(0.0, std)) if self._numpy else float(self.rng.gauss(0.0, std))
