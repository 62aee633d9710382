"""`animate(root)`: backpropagation as an animation, one frame per step of
`backward_steps` (`autograd/steps.py`), all frames in one layout (`frames.py`).

An `Animation` shows itself in Jupyter as an HTML player (`player.py`: works
in JupyterLab, classic Notebook, VS Code, nbviewer and a saved HTML export,
with no kernel, network or widgets), and saves as one `.html` file, a `.gif`
(for GitHub, slides and READMEs, which run no JavaScript), or a folder of
numbered `.svg` frames. Every file is written atomically. The same graph
always gives the same bytes: nothing random, no timestamps, ids derived from
the content.
"""

from __future__ import annotations

import io
import os
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from ..engine import Value
from ..files import write_atomically
from ..steps import Step, Steps, backward_steps
from ..validate import integer, short
from . import frames as frames_module
from .dot import require_dot
from .player import clean_svg, html_page, player_html

GIF_MAX_WIDTH = 1400  # pixels: a wider picture is drawn at a lower dpi (a GIF stays small and fits a page)
GIF_DPI = 96
GIF_CAPTION_PT = 13  # the caption under each GIF frame, in points at 96 dpi
GIF_COLOURS = 64  # one palette for every frame: flat fills and anti-aliased text need few
DURATION_MS = {"forward": 900, "backward": 1600}  # per GIF frame; the last one stays longer
LAST_FRAME_MS = 4000
PLAYER_INTERVAL_MS = 1200
MISSING_PILLOW = ("Animation.save(…'.gif') needs Pillow, which deltagrad installs; it is missing here: "
                  "pip install Pillow (or save as .html or as a folder of .svg frames)")


@dataclass(frozen=True, eq=False)
class Frame:
    """One frame: its `step`, the `caption` shown under it, and `svg`, the picture
    (the whole graph, in the fixed layout, without the caption)."""

    step: Step
    caption: str
    svg: str


class Animation:
    """The frames of `animate(root)`. As a Jupyter cell's last expression it shows
    the HTML player; `save(path)` writes `.html`, `.gif` or a folder of `.svg`
    frames; `to_html()` and `to_gif()` give the same as text and bytes."""

    def __init__(self, steps: Steps, frames: list[Frame], sources: list[str]) -> None:
        self.steps = steps
        self.frames = frames
        self._sources = sources  # each frame's DOT, for the GIF's PNG frames
        self._html: str | None = None

    @property
    def title(self) -> str:
        name = self.steps.names.get(self.steps.root, "root")
        return f"backpropagation through {name}: {len(self.frames)} steps"

    def __len__(self) -> int:
        return len(self.frames)

    def __repr__(self) -> str:
        kinds = [f.step.kind for f in self.frames]
        return (f"<Animation of {self.steps.names.get(self.steps.root, 'root')}: {len(self.frames)} frames "
                f"({kinds.count('forward')} forward, {kinds.count('backward')} backward)>")

    # ---- the HTML player -------------------------------------------------------------
    def to_html(self) -> str:
        """The player as an HTML fragment (what Jupyter shows)."""
        if self._html is None:
            self._html = player_html([f.svg for f in self.frames], [f.caption for f in self.frames],
                                     [f.step.kind if not f.step.scope else f"backward · {f.step.scope}"
                                      for f in self.frames], self.title, PLAYER_INTERVAL_MS)
        return self._html

    def _repr_html_(self) -> str:
        return self.to_html()

    # ---- the GIF ---------------------------------------------------------------------------
    def to_gif(self) -> bytes:
        """The animation as a GIF: each frame's picture (drawn by dot at the
        fixed layout) with its caption underneath, one shared palette, looping."""
        try:
            from PIL import Image
        except ImportError:
            raise ImportError(MISSING_PILLOW) from None
        dpi = _gif_dpi(self.frames[0].svg)
        pictures = [_on_white(png, Image) for png in frames_module.render(self._sources, "png", dpi)]
        width = max(p.width for p in pictures)
        captions = [_on_white(png, Image)
                    for png in frames_module.render([_caption_source(f.caption, width) for f in self.frames], "png",
                                                    GIF_DPI)]
        height = max(p.height for p in pictures) + max(c.height for c in captions)
        width = max(width, max(c.width for c in captions))
        canvases = []
        for picture, caption in zip(pictures, captions):
            canvas = Image.new("RGB", (width, height), "white")
            canvas.paste(picture, ((width - picture.width) // 2, 0))
            canvas.paste(caption, (0, picture.height))
            canvases.append(canvas)
        palette = _shared_palette(canvases, Image)
        frames = [c.quantize(palette=palette, dither=Image.Dither.NONE) for c in canvases]
        durations = [DURATION_MS.get(f.step.kind, 1200) for f in self.frames]
        durations[-1] = LAST_FRAME_MS
        out = io.BytesIO()
        frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:], duration=durations, loop=0,
                       optimize=False, disposal=1)
        return out.getvalue()

    # ---- files -------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Writes the animation: `x.html` (the player, one self-contained file),
        `x.gif`, or, for a path without a suffix, a folder of numbered SVG frames
        (`frame-001.svg`, …, each with its caption). Every file is written
        atomically. Returns the path."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix == ".html":
            page = html_page(self.to_html(), self.title)
            return write_atomically(path, lambda: page.encode("utf-8"), "Animation.save")
        if suffix == ".gif":
            return write_atomically(path, self.to_gif, "Animation.save")
        if suffix:
            raise ValueError(f"Animation.save: unknown extension {path.suffix!r} in {str(path)!r}; use .html, .gif, "
                             "or a path without a suffix for a folder of .svg frames")
        return self._save_folder(path)

    def _save_folder(self, folder: Path) -> Path:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise type(err)(err.errno, f"Animation.save: cannot create the folder {folder}: {err.strerror}") from None
        digits = max(3, len(str(len(self.frames))))
        names = set()
        for i, frame in enumerate(self.frames, 1):
            name = f"frame-{i:0{digits}d}.svg"
            names.add(name)
            text = svg_with_caption(frame.svg, f"{i}/{len(self.frames)}: {frame.caption}")
            write_atomically(folder / name, lambda text=text: text.encode("utf-8"), "Animation.save")
        # Frames left from a longer animation saved here before would follow on; only our own names go.
        for stale in folder.glob("frame-*.svg"):
            if re.fullmatch(r"frame-\d+\.svg", stale.name) and stale.name not in names:
                stale.unlink()
        return folder


def animate(root: Value, forward: bool = True, collapse: str | None = None, max_steps: int = 200) -> Animation:
    """Backpropagation through `root`'s graph as an `Animation`: one frame per step
    of `backward_steps(root, forward=forward, collapse=collapse)` (forward steps
    first, computing each node's data; then the chain rule node by node, or
    neuron by neuron with `collapse="neuron"`). Every frame draws the whole
    graph in the same layout; the node of the step and the edges its gradient
    flows along are highlighted, gradients not reached yet read `grad ?`, and a
    gradient that accumulates shows its running sum. More steps than
    `max_steps` is a ValueError: collapse the graph or raise the limit."""
    if not isinstance(root, Value):
        raise TypeError(f"animate: root must be a Value, got {short(root)}")
    max_steps = integer(max_steps, "animate: max_steps", low=1)
    steps = backward_steps(root, forward=forward, collapse=collapse)
    if not steps:
        raise ValueError(f"animate: {steps.names.get(root, 'root')} is a leaf (it was computed from nothing): "
                         "backward() takes no step to show")
    if len(steps) > max_steps:
        hint = "pass collapse='neuron' to step neuron by neuron, " if collapse is None else ""
        raise ValueError(f"animate: the graph takes {len(steps)} steps, more than max_steps={max_steps}; "
                         f"{hint}animate a smaller part of the graph (animate(some_inner_value)), pass "
                         f"forward=False, or raise max_steps")
    require_dot()
    scene = frames_module.Scene(steps)
    sources = scene.sources()
    svgs = [clean_svg(svg) for svg in frames_module.render(sources, "svg")]
    return Animation(steps, [Frame(step, step.caption, svg) for step, svg in zip(steps, svgs)], sources)


# ---- helpers ---------------------------------------------------------------------------------

def _points(svg: str) -> tuple[float, float]:
    """The SVG's width and height in points (dot writes `width="350pt"`)."""
    match = re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg)
    if match is None:
        raise ValueError("not an SVG drawn by dot")
    return float(match.group(1)), float(match.group(2))


def _gif_dpi(svg: str) -> float:
    """GIF_DPI, or less so that the picture is at most GIF_MAX_WIDTH pixels wide."""
    width_pt, _ = _points(svg)
    return round(min(GIF_DPI, GIF_MAX_WIDTH * 72 / width_pt), 1)


def _caption_lines(caption: str, width_px: int) -> list[str]:
    """The caption wrapped to the picture's width (about 7.5 px per character at 13 pt)."""
    chars = max(60, int(width_px / 7.5))
    lines = []
    for part in caption.split("; "):
        lines += textwrap.wrap(part, chars, subsequent_indent="    ") or [""]
    return lines


def _caption_source(caption: str, width_px: int) -> str:
    from .escape import html_text

    lines = "".join(f'{html_text(line)}<BR ALIGN="LEFT"/>' for line in _caption_lines(caption, width_px))
    return (f'digraph caption {{ graph [bgcolor=white margin=0.12]; node [shape=plaintext fontname="Helvetica" '
            f'fontsize={GIF_CAPTION_PT} margin=0]; c [label=<{lines}>]; }}')


def _on_white(png: bytes, image_module: Any) -> Any:
    """A PNG from dot as an RGB image, any transparent margin made white."""
    image = image_module.open(io.BytesIO(png)).convert("RGBA")
    canvas = image_module.new("RGB", image.size, "white")
    canvas.paste(image, (0, 0), image)
    return canvas


def _shared_palette(canvases: list[Any], image_module: Any) -> Any:
    """One palette for all frames, from a strip of the first, the middle and the
    last frame (they hold every fill the animation uses), so an unchanged pixel
    keeps its index and the GIF stores only what changes."""
    picks = sorted({0, len(canvases) // 2, len(canvases) - 1})
    strip = image_module.new("RGB", (canvases[0].width, canvases[0].height * len(picks)), "white")
    for k, i in enumerate(picks):
        strip.paste(canvases[i], (0, canvases[0].height * k))
    return strip.quantize(colors=GIF_COLOURS, method=image_module.Quantize.MEDIANCUT, dither=image_module.Dither.NONE)


def svg_with_caption(svg: str, caption: str) -> str:
    """A frame's SVG with its caption written underneath (for the folder of frames)."""
    width_pt, height_pt = _points(svg)
    lines = _caption_lines(caption, int(width_pt * 96 / 72))
    line_pt = 15
    extra = line_pt * len(lines) + 8
    texts = "".join(f'<text x="6" y="{height_pt + line_pt * (k + 1):g}" font-family="Helvetica,sans-Serif" '
                    f'font-size="12.00" xml:space="preserve">{escape(line)}</text>\n' for k, line in enumerate(lines))
    new_height = height_pt + extra
    svg = re.sub(r'<svg width="([\d.]+)pt" height="[\d.]+pt"', f'<svg width="\\1pt" height="{new_height:g}pt"', svg,
                 count=1)
    svg = re.sub(r'viewBox="([\d.]+) ([\d.]+) ([\d.]+) [\d.]+"', f'viewBox="\\1 \\2 \\3 {new_height:g}"', svg, count=1)
    return svg.replace("</svg>", f'<rect x="0" y="{height_pt:g}" width="{width_pt:g}" height="{extra:g}" '
                                 f'fill="white"/>\n{texts}</svg>', 1)
