"""Plots of training: the loss curve and a model's decision boundary (matplotlib,
an optional dependency: `pip install deltagrad[plot]`). Files are written
atomically, as .svg, .png or .pdf (`autograd.files.PICTURE_FORMATS`, the same
list as the graph pictures'); without a path the figure is returned for Jupyter.

The decision boundary is made to be shown to a class: the regions are smooth
(interpolated contours of the model's margins on a 300 × 300 grid), every
class has a dark colour and its own marker over light tints of the palette (a
contrast ratio of at least 3:1, WCAG's minimum for graphics, against every
region; `contrast_ratio`), and a legend names the classes and the boundary."""

from __future__ import annotations

import io
import os
import sys
from typing import Any

import numpy as np

from autograd.files import picture_format, write_atomically

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


# Dark class colours (points) and their tints (regions): each colour has a contrast
# ratio of at least 3.8:1 against every tint, so a point shows on any region.
CLASS_COLOURS = ("#1f5fa8", "#c0392b", "#1e7b45", "#7d3c98", "#9a5b00", "#0e6f80")
CLASS_MARKERS = ("o", "s", "^", "D", "v", "P")
TINT = 0.8  # a region's colour: its class colour mixed with this much white
BOUNDARY_COLOUR = "#000000"


def class_colour(k: int) -> str:
    """Class k's colour (the palette repeats past six classes; the marker tells them apart)."""
    return CLASS_COLOURS[k % len(CLASS_COLOURS)]


def region_colour(k: int) -> str:
    """Class k's region: its colour mixed with `TINT` of white."""
    rgb = np.array([int(class_colour(k)[i:i + 2], 16) for i in (1, 3, 5)], dtype=float)
    mixed = np.round(TINT * 255 + (1 - TINT) * rgb).astype(int)
    return "#{:02x}{:02x}{:02x}".format(*mixed)


def relative_luminance(colour: Any) -> float:
    """WCAG 2's relative luminance of an sRGB colour (a hex string or an RGB(A) tuple in [0, 1])."""
    if isinstance(colour, str):
        colour = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    c = np.asarray(colour[:3], dtype=float)
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return float(linear @ [0.2126, 0.7152, 0.0722])


def contrast_ratio(a: Any, b: Any) -> float:
    """WCAG 2's contrast ratio (L_light + 0.05) / (L_dark + 0.05), from 1 to 21."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)))
    return (lb + 0.05) / (la + 0.05)


def scores(model: Module, points: np.ndarray) -> np.ndarray:
    """The model's output for every row of `points`, computed in NumPy from its
    weights (the Δ rules' forward pass, all rows at once): one column per output unit."""
    return delta.predict(model, points)


def margins(out: np.ndarray, threshold: float = 0.0) -> np.ndarray:
    """One column per class, positive where the model picks that class and zero
    on the boundary: for one output s, (threshold − s, s − threshold); for
    several, s_k − max_{j≠k} s_j. Contours of these at 0 are the boundaries,
    interpolated between grid points instead of stepped."""
    if out.shape[1] == 1:
        return np.hstack([threshold - out, out - threshold])
    margin = np.empty_like(out)
    for k in range(out.shape[1]):
        margin[:, k] = out[:, k] - np.delete(out, k, axis=1).max(axis=1)
    return margin


def decision_boundary(model: Module, X: Any, y: Any, path: str | os.PathLike[str] | None = None,
                      threshold: float = 0.0, resolution: int = 300, title: str = "decision boundary") -> Any:
    """The data over the model's decision regions: class 1 where the single output
    exceeds `threshold`, or the argmax of several outputs. `resolution` points
    per side of the grid; a legend names each class and the boundary."""
    plt = _pyplot()
    X, y = np.asarray(X, dtype=float), np.asarray(y)
    labels = y if y.ndim == 1 else np.argmax(y, axis=1)
    pad = 0.25 * (X.max(axis=0) - X.min(axis=0))
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    margin = margins(scores(model, np.c_[xx.ravel(), yy.ravel()]), threshold)
    classes = max(margin.shape[1], int(labels.max()) + 1)
    fig, ax = plt.subplots(figsize=(5.8, 4.2))
    for k in range(margin.shape[1]):
        m = margin[:, k].reshape(xx.shape)
        ax.contourf(xx, yy, m, levels=[0.0, np.inf], colors=[region_colour(k)])
        ax.contour(xx, yy, m, levels=[0.0], colors=[BOUNDARY_COLOUR], linewidths=1.2)
    for k in range(classes):
        mine = labels == k
        ax.scatter(X[mine, 0], X[mine, 1], s=22, color=class_colour(k), marker=CLASS_MARKERS[k % len(CLASS_MARKERS)],
                   edgecolors="white", linewidths=0.5, label=f"class {k}", zorder=3)
    ax.plot([], [], color=BOUNDARY_COLOUR, linewidth=1.2, label="decision boundary")
    ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), frameon=False)
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_title(title)
    fig.tight_layout()
    return _finish(fig, path, "decision_boundary")


def _finish(fig: Any, path: str | os.PathLike[str] | None, who: str) -> Any:
    if path is None:
        return fig
    plt = _pyplot()
    try:
        fmt = picture_format(path, who)
    except ValueError:
        plt.close(fig)
        raise

    def produce() -> bytes:
        buffer = io.BytesIO()
        fig.savefig(buffer, format=fmt, dpi=110)
        return buffer.getvalue()

    try:
        return write_atomically(path, produce, who)
    finally:
        plt.close(fig)
