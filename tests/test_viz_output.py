"""Pictures as files and SVG text, and what happens without Graphviz's `dot`."""

from __future__ import annotations

import math
import os
import re
import shutil
import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import graphviz
import pytest

import autograd
from autograd import MISSING_DOT_MESSAGE, GraphvizNotFound, Value, draw_dot, render, to_svg

INSTALLERS = ("apt-get install graphviz", "brew install graphviz", "conda install -c conda-forge graphviz")
MAGIC = {".svg": b"<?xml", ".png": b"\x89PNG\r\n\x1a\n", ".pdf": b"%PDF-", ".dot": b"digraph {"}


def small() -> Value:
    x = Value(3.0, label="x")
    y = (x * 2.0).tanh()
    y.label = "y"
    y.backward()
    return y


@pytest.fixture
def no_dot(monkeypatch):
    """A PATH on which no program is found, as on a machine without Graphviz."""
    monkeypatch.setenv("PATH", "")


# ---- files ----------------------------------------------------------------------

@pytest.mark.parametrize("ext", [".svg", ".png", ".pdf", ".dot"])
def test_render_writes_the_format_its_extension_names(tmp_path, ext):
    path = render(small(), tmp_path / f"graph{ext}")
    assert path == tmp_path / f"graph{ext}"
    assert path.read_bytes().startswith(MAGIC[ext])
    assert os.listdir(tmp_path) == [f"graph{ext}"]  # no temporary file left behind


def test_render_reads_the_extension_case_insensitively(tmp_path):
    assert render(small(), tmp_path / "GRAPH.SVG").read_bytes().startswith(MAGIC[".svg"])


def test_rendered_svg_is_valid_xml_with_the_graphs_nodes(tmp_path):
    path = render(small(), str(tmp_path / "graph.svg"))  # a str path works too
    svg = ET.parse(path).getroot()
    titles = {g.find("{http://www.w3.org/2000/svg}title").text for g in svg.iter("{http://www.w3.org/2000/svg}g")
              if "value" in (g.get("class") or "")}
    assert titles == {"v0", "v1", "v2", "v3"}


def test_render_dot_writes_the_dot_source(tmp_path):
    y = small()
    assert render(y, tmp_path / "graph.dot").read_text(encoding="utf-8") == draw_dot(y).source


def test_render_passes_draw_dot_options_on(tmp_path):
    text = render(small(), tmp_path / "graph.dot", rankdir="TB", legend=False).read_text(encoding="utf-8")
    assert "rankdir=TB" in text and "legend" not in text


def test_an_unknown_extension_is_named(tmp_path):
    with pytest.raises(ValueError, match=r"unknown extension '\.jpg'.*\.svg, \.png, \.pdf, \.dot"):
        render(small(), tmp_path / "graph.jpg")
    with pytest.raises(ValueError, match="unknown extension ''"):
        render(small(), tmp_path / "graph")


def test_render_takes_the_format_from_the_extension_only(tmp_path):
    with pytest.raises(TypeError, match="extension"):
        render(small(), tmp_path / "graph.svg", format="png")


def test_render_replaces_an_existing_file_whole(tmp_path):
    path = tmp_path / "graph.svg"
    path.write_text("old")
    render(small(), path)
    assert path.read_bytes().startswith(MAGIC[".svg"])
    assert os.listdir(tmp_path) == ["graph.svg"]


def test_a_failed_render_leaves_the_old_file_and_no_temporary_file(tmp_path):
    path = tmp_path / "graph.svg"
    path.write_text("old")
    with pytest.raises(ValueError, match="max_nodes"):
        render(small(), path, max_nodes=1)
    assert path.read_text() == "old"
    assert os.listdir(tmp_path) == ["graph.svg"]


def test_rendered_files_get_the_usual_permissions(tmp_path):
    mask = os.umask(0o022)
    try:
        path = render(small(), tmp_path / "graph.dot")
    finally:
        os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o644


def test_a_missing_directory_is_a_clear_error_naming_the_path(tmp_path):
    path = tmp_path / "no" / "such" / "graph.svg"
    with pytest.raises(FileNotFoundError, match=f"render: cannot write {path}"):
        render(small(), path)


def test_a_file_in_place_of_the_directory_is_a_clear_error(tmp_path):
    (tmp_path / "file").write_text("")
    path = tmp_path / "file" / "graph.png"
    with pytest.raises(NotADirectoryError, match=f"render: cannot write {path}"):
        render(small(), path)


def test_a_directory_at_the_path_is_a_clear_error(tmp_path):
    (tmp_path / "graph.svg").mkdir()
    with pytest.raises(IsADirectoryError, match="render: cannot write"):
        render(small(), tmp_path / "graph.svg")
    assert os.listdir(tmp_path) == ["graph.svg"]


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root may write anywhere")
def test_a_read_only_directory_is_a_clear_error(tmp_path):
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(PermissionError, match="render: cannot write"):
            render(small(), tmp_path / "graph.svg")
    finally:
        tmp_path.chmod(0o700)


def test_to_svg_returns_svg_text():
    svg = to_svg(small())
    assert svg.startswith("<?xml") and ET.fromstring(svg).tag == "{http://www.w3.org/2000/svg}svg"


# ---- without dot ----------------------------------------------------------------------

def test_the_message_says_what_to_install():
    for command in INSTALLERS:
        assert command in MISSING_DOT_MESSAGE


def test_make_test_stops_with_the_same_message():
    script = (Path(__file__).parents[1] / "scripts" / "ensure-graphviz.sh").read_text(encoding="utf-8")
    for line in MISSING_DOT_MESSAGE.splitlines()[:5]:
        assert line in script


def test_without_dot_rendering_raises_graphviz_not_found_with_the_message(tmp_path, no_dot):
    with pytest.raises(GraphvizNotFound) as raised:
        render(small(), tmp_path / "graph.svg")
    for command in INSTALLERS:
        assert command in str(raised.value)
    assert isinstance(raised.value, RuntimeError) and isinstance(raised.value, graphviz.ExecutableNotFound)
    assert os.listdir(tmp_path) == []


def test_without_dot_to_svg_and_the_digraphs_own_rendering_raise_the_message(tmp_path, no_dot):
    with pytest.raises(GraphvizNotFound, match="brew install graphviz"):
        to_svg(small())
    graph = draw_dot(small())
    with pytest.raises(GraphvizNotFound, match="apt-get install graphviz"):
        graph.pipe(format="svg")
    with pytest.raises(GraphvizNotFound, match="conda install -c conda-forge graphviz"):
        graph.render(tmp_path / "graph", format="svg")


def test_without_dot_jupyter_display_raises_the_message(no_dot):
    with pytest.raises(GraphvizNotFound, match="apt-get install graphviz"):
        draw_dot(small())._repr_mimebundle_()


def test_without_dot_the_digraph_and_dot_files_still_work(tmp_path, no_dot):
    y = small()
    assert draw_dot(y).source.startswith("digraph {")
    assert render(y, tmp_path / "graph.dot").read_bytes().startswith(MAGIC[".dot"])


def test_graphviz_own_not_found_error_is_turned_into_the_message(monkeypatch, no_dot):
    # `which` finds a dot that the graphviz package then fails to run.
    monkeypatch.setattr(shutil, "which", lambda *args, **kwargs: "/usr/bin/dot")
    with pytest.raises(GraphvizNotFound, match="brew install graphviz") as raised:
        draw_dot(small()).pipe(format="svg")
    assert isinstance(raised.value.__cause__, graphviz.ExecutableNotFound)


def test_the_names_are_exported_from_autograd():
    for name in ("draw_dot", "render", "to_svg", "GraphvizNotFound", "MISSING_DOT_MESSAGE"):
        assert name in autograd.__all__ and hasattr(autograd, name)


# ---- resolution of raster files ----------------------------------------------------------

def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) in pixels from a PNG's IHDR chunk."""
    assert data.startswith(MAGIC[".png"]) and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_a_png_is_drawn_at_150_dpi_by_default(tmp_path):
    assert autograd.viz.DEFAULT_DPI >= 150
    sharp = png_size(render(small(), tmp_path / "sharp.png").read_bytes())
    plain = png_size(render(small(), tmp_path / "plain.png", dpi=96).read_bytes())  # Graphviz's own default
    for s, p in zip(sharp, plain):
        assert abs(s - p * autograd.viz.DEFAULT_DPI / 96) <= 2  # pixels scale with dpi, up to rounding


def test_render_draws_a_png_at_the_dpi_asked_for(tmp_path):
    plain = png_size(render(small(), tmp_path / "plain.png", dpi=96).read_bytes())
    print_ready = png_size(render(small(), tmp_path / "print.png", dpi=300).read_bytes())
    for s, p in zip(print_ready, plain):
        assert abs(s - p * 300 / 96) <= 2


def test_the_drawings_own_png_is_sharp_too():
    graph = draw_dot(small())
    sharp = png_size(graph.pipe(format="png"))
    graph.graph_attr["dpi"] = "96"  # a dpi set on the drawing wins
    plain = png_size(graph.pipe(format="png"))
    assert abs(sharp[0] - plain[0] * autograd.viz.DEFAULT_DPI / 96) <= 2


@pytest.mark.parametrize("ext", [".svg", ".pdf", ".dot"])
def test_dpi_for_a_vector_format_is_a_clear_error(tmp_path, ext):
    with pytest.raises(ValueError, match=r"dpi sets the resolution of raster formats \(\.png\)"):
        render(small(), tmp_path / f"graph{ext}", dpi=300)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("dpi", [0, -72, float("nan"), float("inf"), "300", True])
def test_a_dpi_that_is_not_a_positive_number_is_named(tmp_path, dpi):
    with pytest.raises(ValueError, match=re.escape(f"dpi must be a positive number, got {dpi!r}")):
        render(small(), tmp_path / "graph.png", dpi=dpi)


# ---- after backward(create_graph=True): gradients that are Values ---------------------------

def second_derivative_graph() -> Value:
    """y = tanh(2x) at x = 3 after backward(create_graph=True): every .grad is a Value."""
    x = Value(3.0, label="x")
    y = (x * 2.0).tanh()
    y.label = "y"
    y.backward(create_graph=True)
    assert isinstance(x.grad, Value)
    return y


@pytest.mark.parametrize("ext", [".svg", ".png", ".pdf", ".dot"])
@pytest.mark.parametrize("options", [{}, {"color_by": "grad"}, {"check": True}])
def test_render_after_create_graph_writes_every_format(tmp_path, ext, options):
    path = render(second_derivative_graph(), tmp_path / f"graph{ext}", **options)
    assert path.read_bytes().startswith(MAGIC[ext])


def test_to_svg_after_create_graph_shows_the_gradients_data():
    y = second_derivative_graph()
    svg = ET.fromstring(to_svg(y, color_by="grad", check=True))
    shown = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    dy_dx = 2 * (1 - math.tanh(6.0) ** 2)  # d tanh(2x)/dx at x = 3: 4.915e-05
    assert f"grad {dy_dx:.3e} (graph)" in shown
