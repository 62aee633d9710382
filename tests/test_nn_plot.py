"""Plots a teacher shows: the decision boundary is smooth (interpolated, not
stair-stepped), every class stands out against every region (WCAG contrast
ratio of at least 3:1, computed from the figure's own colours) and a legend
names the classes and the boundary."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("matplotlib", reason="nn.plot needs matplotlib (the dev extra installs it)")

from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.contour import ContourSet  # noqa: E402
from matplotlib.pyplot import close  # noqa: E402

from nn import MLP, data, delta, plot  # noqa: E402


def wcag_luminance(rgb) -> float:
    """WCAG 2.x relative luminance, written out here independently of nn.plot."""
    channels = []
    for c in rgb[:3]:
        channels.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    r, g, b = channels
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def wcag_contrast(a, b) -> float:
    la, lb = sorted((wcag_luminance(a), wcag_luminance(b)))
    return (lb + 0.05) / (la + 0.05)


@pytest.fixture
def spiral_figure():
    X, y = data.make_spiral(30, classes=3, noise=0.2, seed=0)
    model = MLP(2, [8, 3], activation="tanh", seed=0)
    fig = plot.decision_boundary(model, X, y)
    yield fig, model, X, y
    close(fig)


def point_colours(ax) -> dict[str, tuple]:
    """Each class's label -> its scatter colour (RGBA in [0, 1])."""
    return {c.get_label(): tuple(c.get_facecolor()[0]) for c in ax.collections if isinstance(c, PathCollection)}


def region_colours(ax) -> list[tuple]:
    """The filled regions' colours."""
    return [tuple(c.get_facecolor()[0]) for c in ax.collections if isinstance(c, ContourSet) and c.filled]


def test_the_contrast_ratio_is_wcags():
    assert plot.contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert plot.contrast_ratio("#1f5fa8", "#1f5fa8") == pytest.approx(1.0)
    assert plot.contrast_ratio("#777777", "#ffffff") == pytest.approx(4.478, abs=1e-3)  # WCAG's well-known grey
    assert plot.contrast_ratio((0.2, 0.4, 0.6), (0.9, 0.8, 0.7)) == pytest.approx(
        wcag_contrast((0.2, 0.4, 0.6), (0.9, 0.8, 0.7)), rel=1e-12)


def test_every_class_of_the_spiral_stands_out_against_every_region(spiral_figure):
    fig, *_ = spiral_figure
    (ax, *_) = fig.axes
    points, regions = point_colours(ax), region_colours(ax)
    assert sorted(points) == ["class 0", "class 1", "class 2"] and len(regions) == 3
    for label, colour in points.items():
        for region in regions:
            assert wcag_contrast(colour, region) >= 3.0, (label, colour, region)


def test_the_whole_palette_stands_out_against_every_region():
    for k in range(len(plot.CLASS_COLOURS)):
        for j in range(len(plot.CLASS_COLOURS)):
            assert plot.contrast_ratio(plot.class_colour(k), plot.region_colour(j)) >= 3.0
            assert plot.contrast_ratio(plot.class_colour(k), "#ffffff") >= 3.0  # and on a white page


def test_the_boundary_plot_has_a_legend_naming_each_class_and_the_boundary(spiral_figure):
    fig, *_ = spiral_figure
    legend = fig.axes[0].get_legend()
    assert legend is not None
    assert [t.get_text() for t in legend.get_texts()] == ["class 0", "class 1", "class 2", "decision boundary"]


def boundary_vertices(ax) -> np.ndarray:
    lines = [c for c in ax.collections if isinstance(c, ContourSet) and not c.filled]
    return np.vstack([seg for cs in lines for level in cs.allsegs for seg in level if len(seg)])


def test_the_boundary_is_interpolated_not_stair_stepped():
    # On the drawn boundary line the model's two margins are equal: |s - threshold| is ~0 at every
    # vertex. A boundary stepped along the grid's cells would be off by about half a cell's rise.
    X, y = data.make_moons(100, seed=0)
    model = MLP(2, [8, 1], activation="tanh", seed=1)
    fig = plot.decision_boundary(model, X, y, threshold=0.1)
    try:
        vertices = boundary_vertices(fig.axes[0])
    finally:
        close(fig)
    assert len(vertices) > 100
    off = np.abs(delta.predict(model, vertices)[:, 0] - 0.1)
    xx, yy = np.meshgrid(np.linspace(X[:, 0].min(), X[:, 0].max(), 50), np.linspace(X[:, 1].min(), X[:, 1].max(), 50))
    spread = np.ptp(delta.predict(model, np.c_[xx.ravel(), yy.ravel()]))
    half_cell_rise = spread / 300 / 2  # what a stepped boundary on the 300-point grid would be off by, roughly
    assert off.max() < half_cell_rise / 20


def test_the_grid_is_fine_by_default():
    import inspect

    assert inspect.signature(plot.decision_boundary).parameters["resolution"].default >= 300


def test_predict_is_the_value_graphs_forward_pass_for_every_row():
    model = MLP(2, [5, 3], activation="sigmoid", seed=4)
    X = np.random.default_rng(0).normal(size=(7, 2))
    expected = np.array([[v.data for v in model(x)] for x in X.tolist()])
    assert np.allclose(delta.predict(model, X), expected, rtol=1e-13, atol=0)


def test_predict_refuses_rows_of_the_wrong_width():
    with pytest.raises(ValueError, match=r"one row of 2 inputs per sample, got shape \(3,\)"):
        delta.predict(MLP(2, [1], seed=0), [1.0, 2.0, 3.0])


def test_a_plot_to_an_unknown_extension_is_refused_naming_the_formats(tmp_path):
    X, y = data.make_xor(4)
    with pytest.raises(ValueError, match=r"unknown extension '\.jpg' .*use one of \.svg, \.png, \.pdf$"):
        plot.decision_boundary(MLP(2, [2, 1], seed=0), X, y, tmp_path / "b.jpg")
    assert list(tmp_path.iterdir()) == []
