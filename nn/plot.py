"""Plots of training: the loss curve and a model's decision boundary (matplotlib,
an optional dependency: `pip install deltagrad[plot]`). Files are written
atomically; without a path the figure is returned for Jupyter."""

from __future__ import annotations

import io
import os
import sys
from typing import Any

import numpy as np

from autograd.files import write_atomically

from . import delta
from .module import Module
from .train import History


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise ImportError("plots need matplotlib: pip install matplotlib (or deltagrad[plot])") from None
    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")  # no display needed; Jupyter has chosen its backend already
    import matplotlib.pyplot as plt

    return plt


def loss_curve(history: History, path: str | os.PathLike[str] | None = None, title: str = "training") -> Any:
    """Loss (log scale) and accuracy per epoch."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5, 3.5))
    epochs = np.arange(1, len(history.loss) + 1)
    ax.semilogy(epochs, history.loss, color="tab:blue", label="loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss", color="tab:blue")
    ax2 = ax.twinx()
    ax2.plot(epochs, history.accuracy, color="tab:orange", label="accuracy")
    ax2.set_ylabel("accuracy", color="tab:orange")
    ax2.set_ylim(0, 1.05)
    ax.set_title(title)
    fig.tight_layout()
    return _finish(fig, path, "loss_curve")


def scores(model: Module, points: np.ndarray) -> np.ndarray:
    """The model's output for every row of `points`, computed in NumPy from its
    weights (the Δ rules' forward pass): one column per output unit."""
    return np.array([delta.forward(model, p)[0][-1] for p in points])


def decision_boundary(model: Module, X: Any, y: Any, path: str | os.PathLike[str] | None = None,
                      threshold: float = 0.0, resolution: int = 80, title: str = "decision boundary") -> Any:
    """The data over the model's decision regions: class 1 where the single output
    exceeds `threshold`, or the argmax of several outputs."""
    plt = _pyplot()
    X, y = np.asarray(X, dtype=float), np.asarray(y)
    pad = 0.25 * (X.max(axis=0) - X.min(axis=0))
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    out = scores(model, np.c_[xx.ravel(), yy.ravel()])
    regions = (out[:, 0] > threshold) if out.shape[1] == 1 else np.argmax(out, axis=1)
    labels = y if y.ndim == 1 else np.argmax(y, axis=1)
    fig, ax = plt.subplots(figsize=(4.5, 4))
    ax.contourf(xx, yy, regions.reshape(xx.shape).astype(float), alpha=0.35, cmap="coolwarm")
    ax.scatter(X[:, 0], X[:, 1], c=labels, s=18, cmap="coolwarm", edgecolors="k", linewidths=0.4)
    ax.set_title(title)
    fig.tight_layout()
    return _finish(fig, path, "decision_boundary")


def _finish(fig: Any, path: str | os.PathLike[str] | None, who: str) -> Any:
    if path is None:
        return fig
    plt = _pyplot()
    fmt = os.path.splitext(os.fspath(path))[1].lstrip(".").lower() or "png"

    def produce() -> bytes:
        buffer = io.BytesIO()
        fig.savefig(buffer, format=fmt, dpi=110)
        return buffer.getvalue()

    try:
        return write_atomically(path, produce, who)
    finally:
        plt.close(fig)
