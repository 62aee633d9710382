"""Pictures of computation graphs: `draw_dot`, `render` and `to_svg`.

`draw_dot(root)` returns a `graphviz.Digraph` of everything `root` was computed
from, drawn as the micrograd lecture draws it: one box per Value showing
`label | data | grad`, and one small node per op between its inputs and its
output. As the last expression of a Jupyter cell it shows inline as SVG;
`render(root, "graph.svg")` writes a file (.svg, .png, .pdf or .dot).

Beyond the lecture's picture:
- Node names come from the walk (`v0, v1, ...` in `topological_order`, an op's
  node is `v7_op`), so the same graph always gives the same DOT source.
- Roles are coloured, with a legend: inputs, parameters, constants, the
  output; or `color_by="grad"` shades each Value by its gradient.
- Labels are data, never markup: every user string is escaped (see `_text`).
- Values tagged with a name scope (`nn` tags its neurons) are grouped into
  nested clusters; `collapse="neuron"` or `"layer"` draws one node per scope;
  `max_nodes` stops a graph too big to lay out.
- `check=True` marks ops whose local derivative disagrees with finite
  differences; under `detect_anomaly()` tooltips hold the creating file:line;
  `show_delta=True` writes each neuron's Monash Δ on its net input.

Building the Digraph needs only the `graphviz` Python package. Rendering needs
Graphviz's `dot` program; without it rendering raises `GraphvizNotFound`, whose
message says how to install it.
"""

from __future__ import annotations

import contextlib
import html
import math
import os
import re
import shutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import graphviz

from .check import CheckReport, CheckRow, check_ops
from .engine import Constant, Value, topological_order
from .files import PICTURE_FORMATS, picture_format, write_atomically

# ---- when Graphviz's dot is missing ---------------------------------------------

# scripts/ensure-graphviz.sh (`make test`) prints the same lines; a test keeps them in step.
MISSING_DOT_MESSAGE = """\
Graphviz's `dot` program is not installed; deltagrad needs it to render graphs.
Install it with one of:
  apt-get install graphviz              (Debian, Ubuntu; as root or with sudo)
  brew install graphviz                 (macOS)
  conda install -c conda-forge graphviz (conda)
Without it, draw_dot(...).source and render(root, "graph.dot") still give the DOT text."""


class GraphvizNotFound(graphviz.ExecutableNotFound):
    """Rendering needs Graphviz's `dot` program and it is not on PATH. A subclass
    of graphviz's own `ExecutableNotFound` (a RuntimeError), with a message that
    says what to install."""

    def __init__(self, message: str = MISSING_DOT_MESSAGE) -> None:
        RuntimeError.__init__(self, message)  # not graphviz's message, which names no installer


def _require_dot() -> None:
    """Raises GraphvizNotFound unless `dot` is on PATH."""
    if shutil.which("dot") is None:
        raise GraphvizNotFound()


@contextlib.contextmanager
def _dot_required() -> Iterator[None]:
    """Raises GraphvizNotFound when `dot` is missing: checked up front, and again
    if graphviz's own call of the program fails to find it."""
    _require_dot()
    try:
        yield
    except GraphvizNotFound:
        raise
    except graphviz.ExecutableNotFound as err:
        raise GraphvizNotFound() from err


class GraphDrawing(graphviz.Digraph):
    """The `graphviz.Digraph` that `draw_dot` returns. Everything rendering
    (`pipe`, `render`, `view`, Jupyter's inline SVG) raises `GraphvizNotFound`
    with install instructions when `dot` is missing, instead of graphviz's bare
    `ExecutableNotFound`."""

    def pipe(self, *args: Any, **kwargs: Any) -> Any:
        with _dot_required():
            return super().pipe(*args, **kwargs)

    def render(self, *args: Any, **kwargs: Any) -> Any:
        with _dot_required():
            return super().render(*args, **kwargs)

    def __repr__(self) -> str:
        # Jupyter stores this beside the SVG: no memory address, so outputs are stable.
        nodes = sum(1 for line in self.body if " [" in line and " -> " not in line)
        return f"<GraphDrawing: {nodes} DOT nodes; draw it with .pipe() or render()>"


# ---- text: labels are data, never markup ----------------------------------------

# Characters XML 1.0 forbids (dot rejects them in an HTML label) and lone surrogates
# (not encodable as UTF-8): shown as escapes such as \x01 instead.
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _visible(text: str) -> str:
    """`text` with line breaks normalised to \\n, tabs to spaces, and characters
    no SVG can hold written as Python escapes."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    return _INVISIBLE.sub(lambda m: repr(m.group())[1:-1], text)


def _text(text: str) -> str:
    """`text` as the content of an HTML-like label that Graphviz shows literally.

    html.escape turns & < > " ' into entities, so a label that looks like markup
    (`<b>x</b>`, `"]; evil [`) stays text and the label's own `<...>` delimiters
    stay balanced. dot expands \\N, \\G, \\T, \\H and \\E (object names) even in
    HTML labels and reads \\\\ as one backslash, so backslashes are doubled.
    Newlines become <BR/>."""
    text = html.escape(_visible(text), quote=True).replace("\\", "\\\\")
    return text.replace("\n", "<BR/>")


def _tooltip(text: str) -> str:
    """`text` as a tooltip attribute shown literally in the SVG. Graphviz copies
    a tooltip into the SVG as is when it already looks like an XML entity, so &
    is written &amp;; and dot 2.43 un-escapes a tooltip's backslashes twice
    before it expands \\N and its kin, so each one becomes four. `nohtml` keeps
    the graphviz package from passing a tooltip of the form `<...>` through as
    an HTML string; it escapes quotes itself."""
    text = _visible(text).replace("&", "&amp;").replace("\\", "\\\\\\\\")
    return graphviz.nohtml(text)


def _number(x: float) -> str:
    """A data or gradient as the lecture writes it (`2.0000`). Magnitudes that
    would show as 0.0000, or as a long string of digits, use an exponent
    instead (a vanishing gradient of 3e-09 stays visible)."""
    if x == 0 or not math.isfinite(x) or 1e-4 <= abs(x) < 1e6:
        return f"{x:.4f}"
    return f"{x:.3e}"


def _numbers(xs: list[float], limit: int = 4) -> str:
    """Several numbers in a short line: `[0.1234, -0.5000, … 16 values]`."""
    shown = ", ".join(_number(x) for x in xs[:limit])
    return f"[{shown}, … {len(xs)} values]" if len(xs) > limit else f"[{shown}]"


def _table(rows: list[list[str]], bgcolor: str) -> str:
    """An HTML-like label: a table of cells (already escaped), each row spanning
    the width of the widest."""
    width = max(len(row) for row in rows)
    body = []
    for row in rows:
        span = f' COLSPAN="{width - len(row) + 1}"' if len(row) < width else ""
        cells = [f"<TD{span if i == len(row) - 1 else ''}>{cell}</TD>" for i, cell in enumerate(row)]
        body.append(f"<TR>{''.join(cells)}</TR>")
    return (f'<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4" BGCOLOR="{bgcolor}">'
            f"{''.join(body)}</TABLE>>")


# ---- colours ---------------------------------------------------------------------

ROLES = ("input", "parameter", "constant", "intermediate", "output")
_ROLE_FILL = {
    "input": "#cfe5f7",  # light blue
    "parameter": "#fde0b8",  # light orange
    "constant": "#e6e6e6",  # light grey
    "intermediate": "#ffffff",
    "output": "#c6eac6",  # light green
}
_OP_FILL = "#f4f4f4"
_GROUP_FILL = "#e4dcf4"  # a collapsed neuron or layer: lavender
_FAILED = "#d62728"  # check=True: an op whose local derivative disagrees

# color_by="grad": hue from the sign, intensity from log10 |grad| over
# [VANISHING, EXPLODING]; below it grey, above it fully saturated.
VANISHING = 1e-8
EXPLODING = 1e3
_NEGATIVE_RGB = (215, 48, 39)  # red
_POSITIVE_RGB = (33, 102, 172)  # blue
_VANISHED_FILL = "#bdbdbd"
_NOT_FINITE_FILL = "#7b2d8e"  # NaN or inf: purple


def grad_colour(grad: float) -> tuple[str, str]:
    """(fill, font colour) for a gradient under `color_by="grad"`: red for
    negative, blue for positive, paler the smaller |grad| is on a log scale from
    1e-8 (grey below: vanishing) to 1e3 (saturated above: exploding)."""
    if not math.isfinite(grad):
        return _NOT_FINITE_FILL, "white"
    size = abs(grad)
    if size < VANISHING:
        return _VANISHED_FILL, "black"
    span = math.log10(EXPLODING) - math.log10(VANISHING)
    t = min(1.0, (math.log10(size) - math.log10(VANISHING)) / span)
    t = 0.12 + 0.88 * t  # the palest shade still differs from white
    rgb = _NEGATIVE_RGB if grad < 0 else _POSITIVE_RGB
    mixed = (round(255 + (c - 255) * t) for c in rgb)
    return "#{:02x}{:02x}{:02x}".format(*mixed), ("white" if t > 0.6 else "black")


# ---- the walk: roles and scopes ---------------------------------------------------

def _role(v: Value, root: Value, params: dict[Value, str]) -> str:
    """output: the root; intermediate: any other op result; parameter: a leaf
    given in `params=`, or one with both a label and a scope (as `nn` tags its
    weights); constant: a number met in an expression; input: any other leaf."""
    if v is root:
        return "output"
    if v._rule is not None:
        return "intermediate"
    if v in params:
        return "parameter"
    if isinstance(v, Constant):
        return "constant"
    if v.label and v.scope:
        return "parameter"
    return "input"


def _param_names(params: Any) -> dict[Value, str]:
    """{parameter: its name} from `params=`: an `nn.Module` (its
    `named_parameters()`), an iterable of Values, or None."""
    if params is None:
        return {}
    named = getattr(params, "named_parameters", None)
    pairs = list(named()) if callable(named) else [("", p) for p in params]
    for _, p in pairs:
        if not isinstance(p, Value):
            raise TypeError(f"draw_dot: params must be Values (or an nn.Module), got {type(p).__name__}: {p!r:.40}")
    return {p: name for name, p in pairs}


def _scopes(order: list[Value]) -> dict[Value, str]:
    """Every Value's scope for drawing: its own `.scope`, else the scope shared
    by all its consumers when it is an op result or a constant.

    `nn` tags only parameters and each neuron's "in" and "a"; the products wᵢxᵢ
    between them are untagged, and join their neuron this way (and so does a
    constant used only inside it). A node whose consumers disagree, such as an
    input or a preprocessing op read by many neurons, stays outside every scope.
    Consumers come after their inputs in `order`, so walking it backwards sees
    every consumer of a node before the node itself."""
    shared: dict[Value, str] = {}  # node -> the scope its consumers agree on so far ('' if they differ)
    scopes: dict[Value, str] = {}
    for v in reversed(order):
        s = v.scope or (shared.get(v, "") if _may_join(v) else "")
        if s:
            scopes[v] = s
        for x in v._inputs:
            if not x.scope and _may_join(x):
                shared[x] = s if shared.get(x, s) == s else ""
    return scopes


def _may_join(v: Value) -> bool:
    """Op results and constants may take their consumers' scope; other leaves
    (inputs, parameters) keep their own."""
    return v._rule is not None or isinstance(v, Constant)


def _is_index(segment: str) -> bool:
    """A scope segment that is a list index (`0` in `layers.0`)."""
    return segment.isascii() and segment.isdigit()


def _cluster_levels(all_scopes: set[str]) -> Callable[[str], tuple[str, ...]]:
    """`levels(scope)`: the nested clusters a Value of `scope` is drawn in, outer
    first. A level is a prefix of the dotted scope that ends in a numeric segment
    (`layers.0`, then `layers.0.neurons.3`: a list index, as `named_parameters`
    writes it), or one that is itself the scope of some Value drawn (a user's
    `name_scope("block")` holding `name_scope("inner")`); the scope itself is
    always the innermost level."""
    cache: dict[str, tuple[str, ...]] = {}

    def levels(scope: str) -> tuple[str, ...]:
        if scope not in cache:
            segments = scope.split(".")
            prefixes = [".".join(segments[: k + 1]) for k in range(len(segments))]
            cache[scope] = tuple(p for k, p in enumerate(prefixes)
                                 if _is_index(segments[k]) or p in all_scopes or k == len(segments) - 1)
        return cache[scope]

    return levels


# ---- collapse: one node per neuron or layer ----------------------------------------

@dataclass
class _Group:
    """The Values of one scope drawn as a single node."""

    key: str
    name: str  # DOT node name: g0, g1, ... in order of first appearance
    members: list[Value] = field(default_factory=list)
    outputs: list[Value] = field(default_factory=list)  # members read outside the group, or the root


def _groups(order: list[Value], root: Value, scopes: dict[Value, str], collapse: str,
            levels: Callable[[str], tuple[str, ...]]) -> dict[Value, _Group]:
    """{Value: its group} for every Value in a scope. collapse="neuron": one group
    per full scope (`layers.0.neurons.3`); "layer": one per outermost cluster
    level (`layers.0`, the first two segments of `nn`'s scopes)."""
    by_key: dict[str, _Group] = {}
    group_of: dict[Value, _Group] = {}
    for v in order:
        scope = scopes.get(v)
        if not scope:
            continue
        key = scope if collapse == "neuron" else levels(scope)[0]
        group = by_key.get(key)
        if group is None:
            group = by_key[key] = _Group(key, f"g{len(by_key)}")
        group.members.append(v)
        group_of[v] = group
    read_outside = {x for v in order for x in v._inputs if x in group_of and group_of[x] is not group_of.get(v)}
    read_outside.add(root)
    # A layer's outputs listed neuron by neuron (neurons.2 before neurons.10), then as computed.
    for v in sorted((v for v in order if v in read_outside and v in group_of), key=lambda v: _natural(scopes[v])):
        group_of[v].outputs.append(v)
    return group_of


# ---- the size guard ----------------------------------------------------------------

def _node_count(order: list[Value], group_of: dict[Value, _Group]) -> int:
    """Nodes to draw: one per group, and one per other Value plus one per op."""
    loose = [v for v in order if v not in group_of] if group_of else order
    return len({id(g) for g in group_of.values()}) + len(loose) + sum(v._rule is not None for v in loose)


def _check_size(count: int, max_nodes: int) -> None:
    if count > max_nodes:
        raise ValueError(
            f"draw_dot: the graph has {count} nodes, more than max_nodes={max_nodes}; pass collapse='neuron' "
            "or 'layer', draw a sub-graph (draw_dot(some_inner_value)), or raise max_nodes")


# ---- building the picture ----------------------------------------------------------

@dataclass
class _Style:
    """The options that decide how each node looks."""

    root: Value
    color_by: str
    params: dict[Value, str]
    failed: dict[Value, list[CheckRow]]
    show_delta: bool


@dataclass
class _Layout:
    """Nodes per cluster (key '' is the top level) and the edges, in drawing order."""

    levels: Callable[[str], tuple[str, ...]]
    nodes: dict[str, list[tuple[str, dict[str, str]]]] = field(default_factory=dict)
    children: dict[str, list[str]] = field(default_factory=dict)
    edges: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    def place(self, cluster: str, name: str, attrs: dict[str, str]) -> None:
        self.nodes.setdefault(cluster, []).append((name, attrs))
        parent = ""
        for level in self.levels(cluster) if cluster else ():
            siblings = self.children.setdefault(parent, [])
            if level not in siblings:
                siblings.append(level)
            parent = level


def _value_node(v: Value, role: str, style: _Style) -> dict[str, str]:
    label = v.label or style.params.get(v, "")
    rows = [[_text(label), f"data {_number(v.data)}", f"grad {_number(v.grad)}"]]
    if style.show_delta and _is_net_input(v):
        rows.append([_text(f"Δ = −∂E/∂in = {_number(-v.grad)}")])
    fill, font = grad_colour(v.grad) if style.color_by == "grad" else (_ROLE_FILL[role], "black")
    tip = [f"{label or '(no label)'}: {role}", f"data = {v.data!r}", f"grad = {v.grad!r}"]
    if v.scope:
        tip.append(f"scope {v.scope}")
    if v.source:
        tip.append(f"created at {v.source}")
    return {"label": _table(rows, fill), "shape": "plaintext", "margin": "0", "fontcolor": font,
            "tooltip": _tooltip("\n".join(tip)), "class": f"value {role}"}


def _is_net_input(v: Value) -> bool:
    """A neuron's net input as `nn` tags it: labelled "in", with a scope."""
    return v.label == "in" and bool(v.scope)


def _op_node(v: Value, style: _Style) -> dict[str, str]:
    op = v._rule
    tip = [f"{op.name}: {op.formula}" if op.formula else op.name]
    if v.source:
        tip.append(f"created at {v.source}")
    attrs = {"label": f"<{_text(op.name)}>", "shape": "ellipse", "style": "filled", "fillcolor": _OP_FILL,
             "width": "0.5", "height": "0.35", "tooltip": _tooltip("\n".join(tip)), "class": "op"}
    rows = style.failed.get(v)
    if rows:
        lines = [_text(op.name)] + [_text(_disagreement(row)) for row in rows]
        attrs.update(label=f"<{'<BR/>'.join(lines)}>", color=_FAILED, penwidth="3", fontcolor=_FAILED,
                     **{"class": "op failed"})
    return attrs


def _failed_ops(report: CheckReport | None) -> dict[Value, list[CheckRow]]:
    """{op node: its rows that disagree} from a `check_ops` report."""
    failed: dict[Value, list[CheckRow]] = {}
    for node, row in zip(report.nodes, report.rows) if report is not None else ():
        if not row.ok:
            failed.setdefault(node, []).append(row)
    return failed


def _disagreement(row: CheckRow) -> str:
    """One failed row of `check_ops` for a picture: `∂/∂in0: analytic 6 numeric 4`."""
    which = row.where.rsplit(" ", 1)[-1]  # the row names its input last: "#2 bad_square ∂/∂in0"
    return f"{which}: analytic {row.analytic:.6g}, numeric {row.numeric:.6g}"


def _group_node(group: _Group, style: _Style) -> dict[str, str]:
    rows = [[f"<B>{_text(group.key)}</B>"]]
    outs = group.outputs
    if len(outs) == 1:
        rows.append([f"data {_number(outs[0].data)}", f"grad {_number(outs[0].grad)}"])
    elif outs:
        rows += [[f"{len(outs)} outputs"], [f"data {_numbers([o.data for o in outs])}"],
                 [f"grad {_numbers([o.grad for o in outs])}"]]
    n_params = sum(_role(v, style.root, style.params) == "parameter" for v in group.members)
    if n_params:
        rows.append([f"{n_params} parameter{'s' if n_params > 1 else ''}"])
    if style.show_delta:
        deltas = [-v.grad for v in group.members if _is_net_input(v)]
        if deltas:
            rows.append([_text(f"Δ = −∂E/∂in = {_number(deltas[0]) if len(deltas) == 1 else _numbers(deltas)}")])
    failures = [f"{v.op} {_disagreement(row)}" for v in group.members for row in style.failed.get(v, ())]
    rows += [[_text(failure)] for failure in failures]
    if style.color_by == "grad" and outs:
        fill, font = grad_colour(max((o.grad for o in outs), key=_magnitude))
    else:
        fill, font = _GROUP_FILL, "black"
    attrs = {"label": _table(rows, fill), "shape": "plaintext", "margin": "0", "fontcolor": font, "class": "group",
             "tooltip": _tooltip(f"{group.key}: {len(group.members)} values drawn as one")}
    if failures:
        attrs.update(shape="box", color=_FAILED, penwidth="3", **{"class": "group failed"})
    return attrs


def _magnitude(g: float) -> float:
    return abs(g) if math.isfinite(g) else math.inf


def _layout_values(order: list[Value], scopes: dict[Value, str], style: _Style, layout: _Layout) -> None:
    """The lecture's picture: a box per Value, an op node per op result."""
    name = {v: f"v{i}" for i, v in enumerate(order)}
    for v in order:
        cluster = scopes.get(v, "")
        layout.place(cluster, name[v], _value_node(v, _role(v, style.root, style.params), style))
        if v._rule is not None:
            layout.place(cluster, f"{name[v]}_op", _op_node(v, style))
            layout.edges.append((f"{name[v]}_op", name[v], {}))
            layout.edges += [(name[x], f"{name[v]}_op", {}) for x in v._inputs]


def _layout_collapsed(order: list[Value], scopes: dict[Value, str], group_of: dict[Value, _Group],
                      style: _Style, layout: _Layout) -> None:
    """One node per group, drawn in the cluster of its scope's parent level;
    Values outside every scope drawn as in the lecture. An edge into or out of a
    group is drawn once, labelled with how many Values it carries when more
    than one (a dense layer reads all 16 outputs of the one before: ×16)."""
    name = {v: f"v{i}" for i, v in enumerate(order)}
    for group in sorted({id(g): g for g in group_of.values()}.values(), key=lambda g: _natural(g.key)):
        parents = layout.levels(group.key)[:-1]
        layout.place(parents[-1] if parents else "", group.name, _group_node(group, style))
    carried: dict[tuple[str, str], set[Value]] = {}
    for v in order:
        group = group_of.get(v)
        if group is not None:
            target = group.name
        else:
            layout.place("", name[v], _value_node(v, _role(v, style.root, style.params), style))
            if v._rule is None:
                continue
            target = f"{name[v]}_op"
            layout.place("", target, _op_node(v, style))
            layout.edges.append((target, name[v], {}))
        for x in v._inputs:
            gx = group_of.get(x)
            if gx is not None and gx is group:
                continue  # inside the group
            if gx is None and group is None:
                layout.edges.append((name[x], target, {}))  # as in the lecture, one edge per input
                continue
            edge = (gx.name if gx is not None else name[x], target)
            if edge not in carried:
                carried[edge] = set()
                layout.edges.append((*edge, {}))
            carried[edge].add(x)
    for source, target, attrs in layout.edges:
        if len(carried.get((source, target), ())) > 1:
            attrs["label"] = f"×{len(carried[source, target])}"


def _natural(key: str) -> tuple[tuple[int, int | str], ...]:
    """A sort key that puts `neurons.2` before `neurons.10`."""
    return tuple((0, int(s)) if _is_index(s) else (1, s) for s in key.split("."))


def _cluster_name(key: str, taken: dict[str, str]) -> str:
    """A DOT subgraph name for the cluster of `key`: `cluster_` (which makes dot
    draw it as a box) and the key with anything but letters, digits, _ and .
    replaced; a suffix keeps two keys that sanitise alike apart."""
    base = "cluster_" + re.sub(r"[^A-Za-z0-9_.]", "_", key)
    candidate, n = base, 1
    while candidate in taken.values():
        n += 1
        candidate = f"{base}_{n}"
    taken[key] = candidate
    return candidate


def _emit(graph: graphviz.Digraph, layout: _Layout, cluster: str, taken: dict[str, str], depth: int) -> None:
    """Writes the nodes of `cluster` and, nested inside, its child clusters."""
    for name, attrs in layout.nodes.get(cluster, ()):
        graph.node(name, **attrs)
    for child in sorted(layout.children.get(cluster, ()), key=_natural):
        with graph.subgraph(name=_cluster_name(child, taken)) as sub:
            shown = child[len(cluster) + 1:] if cluster else child  # relative to the enclosing cluster
            sub.attr(label=f"<{_text(shown)}>", style="rounded,filled", color="#9a9a9a",
                     fillcolor="#f6f6f6" if depth % 2 == 0 else "#ffffff", fontsize="11",
                     tooltip=_tooltip(child), **{"class": "scope"})
            _emit(sub, layout, child, taken, depth + 1)


def _legend(roles: list[str], style: _Style, collapse: str | None, checked: int | None) -> str:
    """The legend node's label: a swatch for each colour, then the notes that
    `check=` and `show_delta=` add (in rows of their own, so a long note does not
    widen the swatches)."""
    if style.color_by == "grad":
        keys = [(grad_colour(g)[0], meaning) for g, meaning in (
            (-2 * EXPLODING, "grad ≤ −1e3 (exploding)"), (-1.0, "grad −1"), (-1e-4, "grad −1e-4"),
            (0.0, "|grad| < 1e-8 (vanishing)"), (1e-4, "grad +1e-4"), (1.0, "grad +1"),
            (2 * EXPLODING, "grad ≥ +1e3 (exploding)"), (math.nan, "NaN or inf"))]
    else:
        keys = [(_ROLE_FILL[role], role) for role in roles]
        if collapse:
            keys.append((_GROUP_FILL, f"one {collapse} (data, grad of its output)"))
    keys.append((_OP_FILL, "op (oval)"))

    rows = ['<TR><TD COLSPAN="2" BORDER="0"><B>legend</B></TD></TR>']
    rows += [f'<TR><TD BGCOLOR="{fill}" WIDTH="18"></TD><TD ALIGN="LEFT">{_text(meaning)}</TD></TR>'
             for fill, meaning in keys]
    notes = []
    if checked is not None:
        bad = len(style.failed)
        notes.append(f"check: {bad} of {checked} ops {'disagrees' if bad == 1 else 'disagree'} with finite "
                     "differences (red border)" if bad else f"check: all {checked} ops agree with finite differences")
    if style.show_delta:
        notes.append("Δ = −∂E/∂in, the Monash delta, after E.backward() with E = ½Σ(y − a)²")
    # A note sits in the text column, so a long one does not widen the swatches.
    rows += [f'<TR><TD BORDER="0"></TD><TD ALIGN="LEFT" BORDER="0">{_text(note)}</TD></TR>' for note in notes]
    return f'<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3">{"".join(rows)}</TABLE>>'


_RANKDIRS = ("LR", "TB", "RL", "BT")
_COLOR_BY = (None, "role", "grad")
_COLLAPSE = (None, "neuron", "layer")


def _check_arguments(root: Any, rankdir: Any, color_by: Any, collapse: Any, max_nodes: Any) -> None:
    if not isinstance(root, Value):
        raise TypeError(f"draw_dot: root must be a Value, got {type(root).__name__}")
    for name, value, allowed in (("rankdir", rankdir, _RANKDIRS), ("color_by", color_by, _COLOR_BY),
                                 ("collapse", collapse, _COLLAPSE)):
        if value not in allowed:
            raise ValueError(f"draw_dot: {name} must be one of {', '.join(map(repr, allowed))}, got {value!r}")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"draw_dot: max_nodes must be a positive integer, got {max_nodes!r}")


def draw_dot(
    root: Value,
    rankdir: str = "LR",
    *,
    color_by: str | None = None,
    collapse: str | None = None,
    max_nodes: int = 2000,
    check: bool = False,
    show_delta: bool = False,
    legend: bool = True,
    format: str = "svg",  # noqa: A002  (graphviz's own name for it)
    params: Iterable[Value] | Any = None,
) -> GraphDrawing:
    """The computation graph of `root` as a `graphviz.Digraph`: a box per Value
    (`label | data | grad`) and an oval per op, left to right (`rankdir="TB"`:
    top to bottom).

    - `color_by`: None or "role" colours inputs, parameters, constants and the
      output apart; "grad" shades each Value by its gradient (red negative, blue
      positive, log scale; grey when vanishing, saturated when exploding).
    - `params`: Values (or an `nn.Module`) to draw as parameters; otherwise a
      leaf with both a label and a scope is one.
    - Values with a `.scope` are drawn in nested clusters (`layers.0` holding
      `layers.0.neurons.3`). `collapse="neuron"` draws one node per scope,
      `"layer"` one per outermost level, with the data and grad of its output.
    - `max_nodes`: a bigger graph (counted after collapsing) raises ValueError.
    - `check=True`: ops whose local derivative disagrees with a finite
      difference get a red border and both numbers (`check_ops`).
    - `show_delta=True`: each neuron's net input (label "in", with a scope)
      shows its Monash Δ = −∂E/∂in; run `E.backward()` first, with E = ½Σ(y − a)²,
      for which Δ_k = (y_k − a_k) g'(in_k) and Δ_j = g'(in_j) Σ_k w_jk Δ_k.
    - `legend`: a box explaining the colours; `format`: what `.render()` writes.
    """
    _check_arguments(root, rankdir, color_by, collapse, max_nodes)
    order = topological_order(root)
    if collapse is None:  # before the walks below, so a huge graph fails at once
        _check_size(_node_count(order, {}), max_nodes)
    scopes = _scopes(order)
    levels = _cluster_levels(set(scopes.values()))
    group_of = _groups(order, root, scopes, collapse, levels) if collapse else {}
    if collapse:
        _check_size(_node_count(order, group_of), max_nodes)

    report = check_ops(root) if check else None
    style = _Style(root, color_by or "role", _param_names(params), _failed_ops(report), show_delta)

    layout = _Layout(levels)
    if collapse:
        _layout_collapsed(order, scopes, group_of, style, layout)
    else:
        _layout_values(order, scopes, style, layout)

    graph = GraphDrawing(format=format, graph_attr={"rankdir": rankdir, "fontname": "Helvetica"},
                         node_attr={"fontname": "Helvetica", "fontsize": "11"},
                         edge_attr={"fontname": "Helvetica", "fontsize": "9"})
    if legend:
        present = {_role(v, root, style.params) for v in order if v not in group_of}
        checked = len({id(n) for n in report.nodes}) if report is not None else None
        graph.node("legend", label=_legend([r for r in ROLES if r in present], style, collapse, checked),
                   shape="plaintext", tooltip="legend", **{"class": "legend"})
    _emit(graph, layout, "", {}, 0)
    for source, target, attrs in layout.edges:
        graph.edge(source, target, **attrs)
    return graph


# ---- output: SVG text and files ------------------------------------------------------

# What `render` writes: the picture formats every writer accepts, and the DOT source (text, no `dot` needed).
GRAPH_FORMATS: dict[str, str] = {**PICTURE_FORMATS, ".dot": "dot"}


def to_svg(root: Value, **draw_dot_kwargs: Any) -> str:
    """The picture of `root`'s graph as SVG text (`draw_dot`'s options apply)."""
    _require_dot()  # before drawing: a big graph takes a while to build
    return draw_dot(root, **draw_dot_kwargs).pipe(format="svg", encoding="utf-8")


def render(root: Value, path: str | os.PathLike[str], **draw_dot_kwargs: Any) -> Path:
    """Draws `root`'s graph (`draw_dot`'s options apply) into `path`, in the format
    its extension names: .svg, .png, .pdf, or .dot (the DOT source, which needs
    no `dot` program). The file is written whole or not at all: to a temporary
    file beside it, then renamed over it. Returns the path."""
    path = Path(path)
    fmt = picture_format(path, "render", GRAPH_FORMATS)
    if "format" in draw_dot_kwargs:
        raise TypeError("render: the format comes from the path's extension; do not pass format=")
    if fmt != "dot":
        _require_dot()

    def produce() -> bytes:
        graph = draw_dot(root, **draw_dot_kwargs)
        return graph.source.encode("utf-8") if fmt == "dot" else graph.pipe(format=fmt)

    return write_atomically(path, produce, "render")


__all__ = ["draw_dot", "render", "to_svg", "GRAPH_FORMATS", "GraphDrawing", "GraphvizNotFound", "MISSING_DOT_MESSAGE",
           "grad_colour", "ROLES", "VANISHING", "EXPLODING"]
