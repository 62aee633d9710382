"""The pictures of an animation: one DOT drawing per step, all in one layout.

The graph is arranged as `draw_dot` arranges it (the lecture's boxes, or one
node per neuron with `collapse="neuron"`; `draw.py` builds the structure), and
every frame draws it again with other colours and numbers. Nodes never move
between frames because nothing that decides the layout changes: every table
cell has a fixed size (`FIXEDSIZE`, as wide as the widest text that cell shows
in any frame, measured by `dot` itself), op names, edges and clusters are the
same in every frame, and `dot` lays out the same graph the same way. The
animation checks this on the SVG it gets back (`player.frame_slots`).

What a frame shows, for step k:
- the node of the step with a thick border and a warm fill, its op oval
  likewise, and the edges along which its gradient flows (or, in a forward
  step, its data) drawn thick and red;
- the Values the step passes gradients to (or reads, forward) in a paler fill;
- `grad ?` (grey) for a gradient that no step has reached yet, `data ?` for a
  result the forward pass has not computed yet; a gradient being accumulated
  onto an earlier contribution as its running sum, `grad −4.0000 + 1.0000 = −3.0000`.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..engine import Value
from ..steps import Step, Steps, number
from . import colours
from .colours import text_colour_on
from .dot import GraphDrawing, require_dot
from .draw import _emit, _Layout, _layout_collapsed, _layout_values, _role, _Style
from .escape import html_text, tooltip_text
from .graph import NodeGraph, NodeView
from .scopes import Group, cluster_levels, drawing_scopes, groups

CURRENT_FILL = "#ffd166"  # the node of the step (black text on it: 14.2:1)
TOUCHED_FILL = "#fff0c2"  # the Values it passes gradients to, or reads (black text: 19.0:1)
UNKNOWN_FILL = "#e3e3e3"  # a number not yet known: `grad ?` (black text: 16.3:1)
HIGHLIGHT = "#c0392b"  # the border of the current node and the edges of the step
FILLS = (CURRENT_FILL, TOUCHED_FILL, UNKNOWN_FILL)  # every fill a frame adds to the drawing's own
FONT_SIZE = 11
_PAD_W, _PAD_H = 10, 6  # points around the widest text of a cell


@dataclass
class Cell:
    text: str
    fill: str
    bold: bool = False


@dataclass
class Look:
    """How one node is drawn in one frame: table rows of cells (a Value or a
    group), or an op oval (`rows` empty)."""

    rows: list[list[Cell]] = field(default_factory=list)
    fill: str = ""
    current: bool = False
    touched: bool = False

    @property
    def css(self) -> str:
        return "current" if self.current else "touched" if self.touched else ""


class Scene:
    """The graph of `steps.root` laid out once, and the look of each frame."""

    def __init__(self, steps: Steps) -> None:
        self.steps = steps
        self.names = steps.names
        order = NodeGraph(steps.root).views()
        self.order = order
        self.view = {v.node: v for v in order}
        scopes = drawing_scopes(order)
        levels = cluster_levels(set(scopes.values()))
        self.group_of: dict[NodeView, Group] = groups(order, scopes, "neuron", levels) if steps.collapse else {}
        self.group_by_key = {g.key: g for g in self.group_of.values()}
        self.style = _Style(order[-1], "role", {}, {}, [])
        layout = _Layout(levels, "LR")
        if steps.collapse:
            _layout_collapsed(order, self.group_of, self.style, layout)
        else:
            _layout_values(order, scopes, self.style, layout)
        self.layout = layout
        self.roles = {v.name: _role(v, self.style) for v in order}

    # ---- the state of each frame ---------------------------------------------------
    def looks(self) -> list[tuple[dict[str, Look], set[tuple[str, str]]]]:
        """For each step: {DOT node name: its look}, and the edges to highlight."""
        forward_steps = sum(s.kind == "forward" for s in self.steps)
        known_data = {v.node for v in self.order if v.leaf or not forward_steps}
        grad: dict[Value, float | None] = {}
        for v in self.order:
            start = v.node.grad if v.leaf else None
            start = start.data if isinstance(start, Value) else start
            grad[v.node] = start if start not in (None, 0.0) else None
        delta: dict[str, float] = {}
        frames = []
        for step in self.steps:
            accumulated: dict[Value, str] = {}
            if step.kind == "forward":
                known_data.add(step.node)
            else:
                grad[step.node] = step.upstream
                added: dict[Value, list[str]] = {}  # a Value read twice by one node gets two additions
                for x in step.inputs:
                    if x.contribution is None:
                        continue
                    if x.value not in added:
                        added[x.value] = [number(x.before)] if grad.get(x.value) is not None else []
                    added[x.value].append(_paren(x.contribution) if added[x.value] else number(x.contribution))
                    if len(added[x.value]) > 1:  # a running sum: show the addition
                        accumulated[x.value] = f"grad {' + '.join(added[x.value])} = {number(x.after)}"
                    grad[x.value] = x.after
                if step.scope:
                    delta[step.scope] = step.delta
            frames.append(self._frame(step, known_data, grad, accumulated, delta))
        return frames

    def _frame(self, step: Step, known_data: set[Value], grad: dict[Value, float | None],
               accumulated: dict[Value, str], delta: dict[str, float]) -> tuple[dict[str, Look], set[tuple[str, str]]]:
        group = self.group_by_key.get(step.scope) if step.scope else None
        current = group.name if group is not None else self.view[step.node].name
        touched = {self._endpoint(x.value) for x in step.inputs} - {current}
        looks: dict[str, Look] = {}
        for v in self.order:
            if v in self.group_of:
                continue
            name = v.name
            look = self._value_look(v, known_data, grad, accumulated, name == current, name in touched)
            looks[name] = look
            if not v.leaf:
                looks[f"{name}_op"] = Look(fill=CURRENT_FILL if name == current else colours.OP_FILL,
                                           current=name == current)
        for g in {id(g): g for g in self.group_of.values()}.values():
            looks[g.name] = self._group_look(g, grad, delta, g.name == current, g.name in touched)
        return looks, self._edges(step, current, group)

    def _endpoint(self, v: Value) -> str:
        """The DOT node a Value is drawn in: its own box, or its group's."""
        view = self.view[v]
        return self.group_of[view].name if view in self.group_of else view.name

    def _edges(self, step: Step, current: str, group: Group | None) -> set[tuple[str, str]]:
        if group is not None:
            return {(self._endpoint(x.value), current) for x in step.inputs} - {(current, current)}
        op = f"{current}_op"
        return {(op, current)} | {(self._endpoint(x.value), op) for x in step.inputs}

    def _value_look(self, v: NodeView, known_data: set[Value], grad: dict[Value, float | None],
                    accumulated: dict[Value, str], current: bool, touched: bool) -> Look:
        fill = CURRENT_FILL if current else TOUCHED_FILL if touched else colours.ROLE_FILL[self.roles[v.name]]
        data = f"data {number(v.data)}" if v.node in known_data else "data ?"
        g = grad.get(v.node)
        grad_text = accumulated.get(v.node) or (f"grad {number(g)}" if g is not None else "grad ?")
        rows = [[Cell(self.names[v.node], fill), Cell(data, fill if v.node in known_data else UNKNOWN_FILL),
                 Cell(grad_text, fill if g is not None else UNKNOWN_FILL)]]
        return Look(rows, fill, current, touched)

    def _group_look(self, group: Group, grad: dict[Value, float | None], delta: dict[str, float],
                    current: bool, touched: bool) -> Look:
        fill = CURRENT_FILL if current else TOUCHED_FILL if touched else colours.GROUP_FILL
        out = group.outputs[0] if group.outputs else group.members[-1]
        g = grad.get(out.node)
        d = delta.get(group.key)
        rows = [[Cell(group.key, fill, bold=True)],
                [Cell(f"data {number(out.data)}", fill),
                 Cell(f"grad {number(g)}" if g is not None else "grad ?", fill if g is not None else UNKNOWN_FILL)],
                [Cell(f"Δ {number(d)}" if d is not None else "Δ ?", fill if d is not None else UNKNOWN_FILL)]]
        return Look(rows, fill, current, touched)

    # ---- DOT ---------------------------------------------------------------------------
    def sources(self) -> list[str]:
        """The DOT source of every frame, with every cell at a fixed size."""
        frames = self.looks()
        sizes = _cell_sizes(frames)
        return [self._source(looks, edges, sizes) for looks, edges in frames]

    def _source(self, looks: dict[str, Look], edges: set[tuple[str, str]],
                sizes: dict[tuple[str, int, int], tuple[float, float]]) -> str:
        nodes = {cluster: [(name, _attrs(name, looks[name], attrs, sizes)) for name, attrs in members]
                 for cluster, members in self.layout.nodes.items()}
        edge_list = [(s, t, {**a, "color": HIGHLIGHT, "penwidth": "2.5", "class": "step"} if (s, t) in edges else a)
                     for s, t, a in self.layout.edges]
        layout = dataclasses.replace(self.layout, nodes=nodes, edges=edge_list)
        # Closer ranks than draw_dot's (0.5 in): a lecture's graph is wide, and a GIF on a page is shrunk to fit.
        graph_attr = {"rankdir": "LR", "fontname": "Helvetica", "bgcolor": "white", "ranksep": "0.3"}
        if layout.stacks:
            graph_attr["remincross"] = "false"
        if layout.weighted_edges:
            graph_attr["ranksep"] = "1.0"
        drawing = GraphDrawing(name="frame", graph_attr=graph_attr,
                               node_attr={"fontname": "Helvetica", "fontsize": str(FONT_SIZE)},
                               edge_attr={"fontname": "Helvetica", "fontsize": "9"})
        drawing.node("legend", label=legend(self.steps), shape="plaintext", tooltip="legend",
                     **{"class": "legend"})
        _emit(drawing, layout, "", {}, 0)
        for source, target, attrs in layout.edges:
            drawing.edge(source, target, **attrs)
        return drawing.source


def _paren(x: float | None) -> str:
    text = number(x)
    return f"({text})" if text.startswith("−") else text


def _attrs(name: str, look: Look, drawn: dict[str, str], sizes: dict[tuple[str, int, int], tuple[float, float]]
           ) -> dict[str, str]:
    """A node's DOT attributes in one frame: the drawing's, with this frame's table or oval."""
    css = f" {look.css}" if look.css else ""
    if not look.rows:  # an op oval: same size in every frame (its name decides it)
        attrs = {k: v for k, v in drawn.items() if k not in ("tooltip",)}
        attrs.update(fillcolor=look.fill, fontcolor=text_colour_on(look.fill), color=HIGHLIGHT if look.current
                     else "black", penwidth="2.5" if look.current else "1", tooltip=tooltip_text(name))
        attrs["class"] = "op" + css
        return attrs
    body = []
    for r, row in enumerate(look.rows):
        width = max(len(rw) for rw in look.rows)
        cells = []
        for c, cell in enumerate(row):
            w, h = sizes[name, r, c]
            span = f' COLSPAN="{width - len(row) + 1}"' if c == len(row) - 1 and len(row) < width else ""
            cells.append(f'<TD FIXEDSIZE="TRUE" WIDTH="{w:g}" HEIGHT="{h:g}" BGCOLOR="{cell.fill}" COLOR="black"{span}>'
                         f"{_markup(cell)}</TD>")
        body.append(f"<TR>{''.join(cells)}</TR>")
    border = HIGHLIGHT if look.current else "transparent"
    label = (f'<<TABLE BORDER="2" COLOR="{border}" CELLBORDER="1" CELLSPACING="0" CELLPADDING="0">'
             f"{''.join(body)}</TABLE>>")
    kind = drawn.get("class", "value").split()[0]
    return {"label": label, "shape": "plaintext", "margin": "0", "width": "0", "height": "0",
            "tooltip": tooltip_text(name), "class": f"{kind}{css}"}


def _markup(cell: Cell) -> str:
    text = html_text(cell.text)
    if text_colour_on(cell.fill) != "black":
        text = f'<FONT COLOR="white">{text}</FONT>'
    return f"<B>{text}</B>" if cell.bold else text


def _cell_sizes(frames: list[tuple[dict[str, Look], Any]]) -> dict[tuple[str, int, int], tuple[float, float]]:
    """{(node, row, column): (width, height)} in points: the widest and tallest
    text that cell shows in any frame, measured by dot, plus padding."""
    texts: dict[tuple[str, int, int], set[str]] = {}
    for looks, _ in frames:
        for name, look in looks.items():
            for r, row in enumerate(look.rows):
                for c, cell in enumerate(row):
                    texts.setdefault((name, r, c), set()).add(_markup(cell))
    measured = measure({t for ts in texts.values() for t in ts})
    sizes = {}
    for key, ts in texts.items():
        w = max(measured[t][0] for t in ts)
        h = max(measured[t][1] for t in ts)
        sizes[key] = (round(w + _PAD_W), round(h + _PAD_H))
    return sizes


def measure(markups: Iterable[str]) -> dict[str, tuple[float, float]]:
    """{HTML-like label text: (width, height) in points} as dot lays it out in
    Helvetica at FONT_SIZE: one `dot -Tjson` run for them all."""
    markups = sorted(markups)
    lines = [f'digraph measure {{ node [shape=plaintext margin=0 width=0 height=0 fontname="Helvetica" '
             f"fontsize={FONT_SIZE}];"]
    lines += [f"m{i} [label=<{m}>];" for i, m in enumerate(markups)]
    lines.append("}")
    require_dot()
    out = subprocess.run(["dot", "-Tjson"], input="\n".join(lines).encode("utf-8"), capture_output=True,
                         check=True).stdout
    objects = {o["name"]: o for o in json.loads(out).get("objects", [])}
    return {m: (float(objects[f"m{i}"]["width"]) * 72, float(objects[f"m{i}"]["height"]) * 72)
            for i, m in enumerate(markups)}


def legend(steps: Steps) -> str:
    """The legend: what the colours of a frame mean."""
    forward = any(s.kind == "forward" for s in steps)
    keys = [(CURRENT_FILL, "the node of this step (red border)"),
            (TOUCHED_FILL, "its inputs: they receive their share of its gradient"
             + (" (forward: they are read)" if forward else "")),
            (UNKNOWN_FILL, "? : not known yet (not computed or not reached)")]
    rows = ['<TR><TD COLSPAN="2" BORDER="0"><B>legend</B></TD></TR>']
    rows += [f'<TR><TD BGCOLOR="{fill}" WIDTH="18"></TD><TD ALIGN="LEFT">{html_text(text)}</TD></TR>'
             for fill, text in keys]
    rows.append(f'<TR><TD BORDER="0"><FONT COLOR="{HIGHLIGHT}">━━</FONT></TD>'
                f'<TD ALIGN="LEFT" BORDER="0">the edges the step uses</TD></TR>')
    rows.append('<TR><TD BORDER="0"></TD><TD ALIGN="LEFT" BORDER="0">grad a + b = c : a running sum</TD></TR>')
    return f'<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3">{"".join(rows)}</TABLE>>'


def render(sources: list[str], fmt: str, dpi: float | None = None) -> list[bytes]:
    """Every source rendered by one `dot` process (`dot` reads graph after graph):
    SVG documents or PNG images, in order."""
    require_dot()
    args = ["dot", f"-T{fmt}"] + ([f"-Gdpi={dpi:g}"] if dpi else [])
    out = subprocess.run(args, input="\n".join(sources).encode("utf-8"), capture_output=True, check=True).stdout
    parts = _split_svg(out) if fmt == "svg" else _split_png(out)
    if len(parts) != len(sources):
        raise RuntimeError(f"dot returned {len(parts)} pictures for {len(sources)} frames")
    return parts


def _split_svg(out: bytes) -> list[bytes]:
    marker = b"<?xml"
    return [marker + part for part in out.split(marker)[1:]]


def _split_png(out: bytes) -> list[bytes]:
    """Concatenated PNG files, split after each IEND chunk (its 4-byte length, type, and CRC)."""
    parts, start = [], 0
    end_marker = b"IEND\xaeB`\x82"
    while True:
        i = out.find(end_marker, start)
        if i < 0:
            break
        parts.append(out[start:i + len(end_marker)])
        start = i + len(end_marker)
    return parts
