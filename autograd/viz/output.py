"""Pictures as SVG text and as files: `to_svg(root)` and `render(root, path)`.

Both take `draw_dot`'s options. Files are written whole or not at all
(`autograd/files.py`); raster files are drawn at `dpi` dots per inch.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

from ..engine import Value
from ..files import PICTURE_FORMATS, picture_format, write_atomically
from .dot import DEFAULT_DPI, is_raster, require_dot
from .draw import draw_dot

# What `render` writes: the picture formats every writer accepts, and the DOT source (text, no `dot` needed).
GRAPH_FORMATS: dict[str, str] = {**PICTURE_FORMATS, ".dot": "dot"}
FORMATS = GRAPH_FORMATS  # the name this table had before


def to_svg(root: Value | Any, **draw_dot_kwargs: Any) -> str:
    """The picture of `root`'s graph as SVG text (`draw_dot`'s options apply)."""
    require_dot()  # before drawing: a big graph takes a while to build
    return draw_dot(root, **draw_dot_kwargs).pipe(format="svg", encoding="utf-8")


def render(root: Value | Any, path: str | os.PathLike[str], *, dpi: float | None = None,
           **draw_dot_kwargs: Any) -> Path:
    """Draws `root`'s graph (`draw_dot`'s options apply) into `path`, in the format
    its extension names: .svg, .png, .pdf, or .dot (the DOT source, which needs
    no `dot` program). A .png is drawn at `dpi` dots per inch (default 150, sharp
    on a projector); vector formats scale by themselves and take no dpi. The
    file is written whole or not at all: to a temporary file beside it, then
    renamed over it. Returns the path."""
    fmt = picture_format(path, "render", GRAPH_FORMATS)
    path = Path(path)
    if "format" in draw_dot_kwargs:
        raise TypeError("render: the format comes from the path's extension; do not pass format=")
    dpi = _checked_dpi(dpi, fmt, path)
    if fmt != "dot":
        require_dot()

    def produce() -> bytes:
        graph = draw_dot(root, **draw_dot_kwargs)
        if fmt == "dot":
            return graph.source.encode("utf-8")
        if dpi is not None:
            graph.graph_attr["dpi"] = f"{dpi:g}"
        return graph.pipe(format=fmt)

    return write_atomically(path, produce, "render")


def _checked_dpi(dpi: Any, fmt: str, path: Path) -> float | None:
    """`dpi` for a raster format (DEFAULT_DPI when None); a clear error for a
    dpi that is not a positive number, or one given for a vector format."""
    if dpi is None:
        return DEFAULT_DPI if is_raster(fmt) else None
    if isinstance(dpi, bool) or not isinstance(dpi, (int, float)) or not math.isfinite(dpi) or dpi <= 0:
        raise ValueError(f"render: dpi must be a positive number, got {dpi!r}")
    if not is_raster(fmt):
        raise ValueError(f"render: dpi sets the resolution of raster formats (.png); {str(path)!r} is "
                         f"{'DOT source' if fmt == 'dot' else 'a vector format'} and takes no dpi")
    return float(dpi)
