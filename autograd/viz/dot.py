"""Graphviz's `dot` program: the Digraph that `draw_dot` returns, and the error
that says how to install `dot` when it is missing.

Building a drawing needs only the `graphviz` Python package; turning it into
SVG, PNG or PDF runs `dot`. Raster formats are drawn at `DEFAULT_DPI` (sharp on
a projector) unless the drawing sets its own `dpi`.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import graphviz

# scripts/ensure-graphviz.sh (`make test`) prints the same lines; a test keeps them in step.
MISSING_DOT_MESSAGE = """\
Graphviz's `dot` program is not installed; deltagrad needs it to render graphs.
Install it with one of:
  apt-get install graphviz              (Debian, Ubuntu; as root or with sudo)
  brew install graphviz                 (macOS)
  conda install -c conda-forge graphviz (conda)
Without it, draw_dot(...).source and render(root, "graph.dot") still give the DOT text."""

DEFAULT_DPI = 150  # Graphviz's own 96 is blurry on a projector
RASTER_FORMATS = frozenset({"png", "jpg", "jpeg", "gif", "bmp", "tif", "tiff", "webp"})


class GraphvizNotFound(graphviz.ExecutableNotFound):
    """Rendering needs Graphviz's `dot` program and it is not on PATH. A subclass
    of graphviz's own `ExecutableNotFound` (a RuntimeError), with a message that
    says what to install."""

    def __init__(self, message: str = MISSING_DOT_MESSAGE) -> None:
        RuntimeError.__init__(self, message)  # not graphviz's message, which names no installer


def require_dot() -> None:
    """Raises GraphvizNotFound unless `dot` is on PATH."""
    if shutil.which("dot") is None:
        raise GraphvizNotFound()


@contextlib.contextmanager
def dot_required() -> Iterator[None]:
    """Raises GraphvizNotFound when `dot` is missing: checked up front, and again
    if graphviz's own call of the program fails to find it."""
    require_dot()
    try:
        yield
    except GraphvizNotFound:
        raise
    except graphviz.ExecutableNotFound as err:
        raise GraphvizNotFound() from err


def is_raster(fmt: str | None) -> bool:
    """A pixel format (png, ...), as opposed to svg, pdf or dot; `png:cairo` counts."""
    return bool(fmt) and fmt.split(":")[0].lower() in RASTER_FORMATS


class GraphDrawing(graphviz.Digraph):
    """The `graphviz.Digraph` that `draw_dot` returns. Everything rendering
    (`pipe`, `render`, `view`, Jupyter's inline SVG) raises `GraphvizNotFound`
    with install instructions when `dot` is missing, instead of graphviz's bare
    `ExecutableNotFound`; raster formats get `DEFAULT_DPI` unless `dpi` is set
    (`graph.graph_attr["dpi"] = "300"`)."""

    def pipe(self, format: str | None = None, *args: Any, **kwargs: Any) -> Any:  # noqa: A002
        with dot_required():
            return super(GraphDrawing, self._sharp(format)).pipe(format, *args, **kwargs)

    def render(self, *args: Any, **kwargs: Any) -> Any:
        fmt = kwargs.get("format") or (args[4] if len(args) > 4 else None)
        outfile = kwargs.get("outfile")
        if fmt is None and outfile is not None:
            fmt = Path(outfile).suffix[1:]  # graphviz takes the format from outfile's suffix
        with dot_required():
            return super(GraphDrawing, self._sharp(fmt)).render(*args, **kwargs)

    def _sharp(self, fmt: str | None) -> GraphDrawing:
        """This drawing, or a copy at DEFAULT_DPI when it goes to a raster format
        and sets no dpi of its own."""
        if not is_raster(fmt or self.format) or "dpi" in self.graph_attr:
            return self
        sharp = self.copy()
        sharp.graph_attr["dpi"] = str(DEFAULT_DPI)
        return sharp

    def __repr__(self) -> str:
        # Jupyter stores this beside the SVG: no memory address, so outputs are stable.
        nodes = sum(1 for line in self.body if " [" in line and " -> " not in line)
        return f"<GraphDrawing: {nodes} DOT nodes; draw it with .pipe() or render()>"
