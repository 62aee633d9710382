"""Toy data sets, the UCI 8x8 digits, and the batch iterator, NumPy only, every
random choice seeded.

Each generator returns `X` (float array, shape (n, 2)) and `y` (int class
labels, shape (n,)). Randomness comes from `seed` (an int: NumPy's
`RandomState(seed)`, what scikit-learn's `random_state=seed` uses), from `rng`
(a NumPy Generator or RandomState), or, when neither is given, from NumPy's
global generator, as scikit-learn does: so micrograd's demo,
`np.random.seed(1337)` then `make_moons(n_samples=100, noise=0.1)`, works here too.
`make_moons` and `make_circles` follow scikit-learn's construction step for step.
`load_digits` reads the 8x8 digits shipped inside nn (no scikit-learn needed).
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterator
from typing import Any

import numpy as np

from autograd.validate import hyperparameter, integer

from .rng import NumpyRNG, resolve_rng

RNG = NumpyRNG  # the type of an `rng=` argument here


def generator(seed: int | None = None, rng: RNG | None = None) -> RNG:
    """The NumPy random source for `seed` or `rng` (see the module's docstring):
    `nn.rng.resolve_rng` for the NumPy family."""
    return resolve_rng(seed, rng, family="numpy")


def _size(n: Any, name: str, where: str, minimum: int = 1) -> int:
    return integer(n, f"{where}: {name}", low=minimum)


def _noise(noise: Any, where: str) -> float:
    return 0.0 if noise is None else hyperparameter(noise, f"{where}: noise", low=0.0)


def _two_classes(outer: np.ndarray, inner: np.ndarray, shuffle: bool, noise: float,
                 rng: RNG) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's last steps: stack class 0 then class 1, shuffle, add noise."""
    X = np.vstack([outer, inner])
    y = np.hstack([np.zeros(len(outer), dtype=np.int64), np.ones(len(inner), dtype=np.int64)])
    if shuffle:
        order = np.arange(len(X))
        rng.shuffle(order)
        X, y = X[order], y[order]
    if noise:
        X = X + rng.normal(scale=noise, size=X.shape)
    return X, y


def make_moons(n_samples: int = 100, noise: float | None = 0.1, seed: int | None = None, *,
               shuffle: bool = True, rng: RNG | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles: class 0 the upper moon, class 1 the lower one,
    plus Gaussian noise of standard deviation `noise` (scikit-learn's `make_moons`)."""
    n = _size(n_samples, "n_samples", "make_moons")
    n_out = n // 2
    t_out, t_in = np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, n - n_out)
    outer = np.column_stack([np.cos(t_out), np.sin(t_out)])
    inner = np.column_stack([1 - np.cos(t_in), 1 - np.sin(t_in) - 0.5])
    return _two_classes(outer, inner, shuffle, _noise(noise, "make_moons"), generator(seed, rng))


def make_circles(n_samples: int = 100, noise: float | None = 0.1, seed: int | None = None, *,
                 factor: float = 0.5, shuffle: bool = True, rng: RNG | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A large circle (class 0) around a small one of radius `factor` (class 1),
    plus Gaussian noise (scikit-learn's `make_circles`)."""
    n = _size(n_samples, "n_samples", "make_circles")
    factor = hyperparameter(factor, "make_circles: factor", low=0.0, high=1.0, high_open=True)
    n_out = n // 2
    t_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0, 2 * np.pi, n - n_out, endpoint=False)
    outer = np.column_stack([np.cos(t_out), np.sin(t_out)])
    inner = np.column_stack([np.cos(t_in), np.sin(t_in)]) * factor
    return _two_classes(outer, inner, shuffle, _noise(noise, "make_circles"), generator(seed, rng))


def make_spiral(n_per_class: int = 100, classes: int = 3, noise: float = 0.2, seed: int | None = None, *,
                rng: RNG | None = None) -> tuple[np.ndarray, np.ndarray]:
    """`classes` interleaved spiral arms of `n_per_class` points each (CS231n's
    spiral): radius r from 0 to 1, angle 4c to 4(c + 1) radians for class c plus
    Gaussian noise of standard deviation `noise` on the angle. Ordered by class."""
    n = _size(n_per_class, "n_per_class", "make_spiral")
    k = _size(classes, "classes", "make_spiral")
    noise, source = _noise(noise, "make_spiral"), generator(seed, rng)
    X, y = np.zeros((n * k, 2)), np.zeros(n * k, dtype=np.int64)
    r = np.linspace(0.0, 1.0, n)
    for c in range(k):
        t = np.linspace(4.0 * c, 4.0 * (c + 1), n)
        if noise:
            t = t + source.normal(scale=noise, size=n)
        X[c * n:(c + 1) * n] = np.column_stack([r * np.sin(t), r * np.cos(t)])
        y[c * n:(c + 1) * n] = c
    return X, y


def make_xor(n_samples: int = 4, noise: float = 0.0, seed: int | None = None, *,
             rng: RNG | None = None) -> tuple[np.ndarray, np.ndarray]:
    """XOR: the corners (0, 0), (0, 1), (1, 0), (1, 1) with labels 0, 1, 1, 0,
    repeated in that order to `n_samples` points, plus Gaussian noise. The
    default, 4 points without noise, is XOR's truth table."""
    n = _size(n_samples, "n_samples", "make_xor")
    corners = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    X = corners[np.arange(n) % 4]
    y = np.array([0, 1, 1, 0], dtype=np.int64)[np.arange(n) % 4]
    noise = _noise(noise, "make_xor")
    if noise:
        X = X + generator(seed, rng).normal(scale=noise, size=X.shape)
    return X, y


def load_digits(scaled: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The UCI 8x8 handwritten digits (scikit-learn's `load_digits`), shipped
    with nn: `X` (1797, 64), each image's pixel counts row by row, divided by
    16 into [0, 1] when `scaled` (else the counts 0..16), and `y` (1797,)
    the digit. Licence and source: nn/DIGITS_LICENSE.txt."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "digits.csv.gz")
    with gzip.open(path, "rt", encoding="ascii") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.int64)
    X, y = table[:, :-1].astype(float), table[:, -1]
    return (X / 16.0 if scaled else X), y


def train_test_split(X: np.ndarray, y: np.ndarray, test_fraction: float = 0.25, seed: int | None = None, *,
                     rng: RNG | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(X_train, X_test, y_train, y_test): a shuffled held-out split, `test_fraction` of the rows for testing."""
    hyperparameter(test_fraction, "train_test_split: test_fraction", low=0.0, low_open=True, high=1.0, high_open=True)
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y) or len(X) < 2:
        raise ValueError(f"train_test_split: X and y must have the same number of rows (at least 2), "
                         f"got {len(X)} and {len(y)}")
    order = generator(seed, rng).permutation(len(X))
    n_test = min(len(X) - 1, max(1, round(len(X) * test_fraction)))
    test, train = order[:n_test], order[n_test:]
    return X[train], X[test], y[train], y[test]


def batches(n: int, batch_size: int | None = None, *, shuffle: bool = True, seed: int | None = None,
            rng: RNG | None = None) -> Iterator[np.ndarray]:
    """The index arrays of one epoch over `n` samples, as seed 001 describes.

    `batch_size=None`: one full batch, in order (full-batch gradient descent).
    `batch_size=1`: online learning, one sample per step. `batch_size=k`:
    mini-batches of k drawn without replacement (the last one smaller when k
    does not divide n). Every index appears exactly once per epoch; with
    `shuffle` the order is a fresh permutation each call, so pass one `rng`
    for every epoch of a run."""
    n = _size(n, "n", "batches")
    if batch_size is None:
        return iter([np.arange(n)])
    size = _size(batch_size, "batch_size", "batches")
    order = generator(seed, rng).permutation(n) if shuffle else np.arange(n)
    return iter([order[start:start + size] for start in range(0, n, size)])
