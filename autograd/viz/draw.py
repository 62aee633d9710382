"""Building the picture: `draw_dot(root)` returns a `GraphDrawing` (a graphviz
Digraph) of everything `root` was computed from, drawn as the micrograd lecture
draws it: one box per node showing `label | data | grad`, and one small oval
per op between its inputs and its output.

- Node names come from the walk (`v0, v1, ...` in `topological_order`, an op's
  node is `v7_op`, a collapsed group `g0, g1, ...` in its scopes' order), so
  the same graph always gives the same DOT source. Nodes are written in reading
  order (a node's first input before its second), so `x0` is drawn above `x1`
  and neuron 0 above neuron 1.
- Roles are coloured, with a legend: inputs, parameters, constants, the
  output; or `color_by="grad"` shades each node by its gradient.
- Values tagged with a name scope are grouped into nested clusters
  (`scopes.py`); `collapse="neuron"` or `"layer"` draws one node per scope.
- Annotators (`annotate=`, `annotate.py`) add rows of text under nodes and
  lines to the legend; `show_delta=True` is nn's Monash Δ annotator.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..check import CheckReport, CheckRow, check_ops
from ..engine import Value
from . import colours
from .annotate import NAMED, Annotator, annotators, group_rows_for, rows_for
from .colours import EXPLODING, ROLES, grad_colour, text_colour_on
from .dot import GraphDrawing
from .escape import format_number, format_numbers, html_table, html_text, tooltip_text
from .graph import NodeGraph, NodeView, is_node, reading_order
from .scopes import Group, cluster_levels, cluster_name, drawing_scopes, groups, natural

GRAPH_GRAD = "(graph)"  # after a gradient that is itself a Value: backward(create_graph=True)


# ---- what each node looks like ------------------------------------------------------

@dataclass
class _Style:
    """The options that decide how each node looks."""

    root: NodeView
    color_by: str
    params: dict[int, str]  # id(parameter) -> its name
    failed: dict[int, list[CheckRow]]  # id(op node) -> its rows that disagree
    annotators: list[Annotator]


def _role(v: NodeView, style: _Style) -> str:
    """output: the root; intermediate: any other op result; parameter: a leaf
    given in `params=`, or one with both a label and a scope (as `nn` tags its
    weights); constant: a number met in an expression; input: any other leaf."""
    if v is style.root:
        return "output"
    if not v.leaf:
        return "intermediate"
    if id(v.node) in style.params:
        return "parameter"
    if v.constant:
        return "constant"
    if v.label and v.scope:
        return "parameter"
    return "input"


def _grad_text(grad: float, is_graph: bool) -> str:
    return f"grad {format_number(grad)} {GRAPH_GRAD}" if is_graph else f"grad {format_number(grad)}"


def _value_node(v: NodeView, role: str, style: _Style) -> dict[str, str]:
    label = v.label or style.params.get(id(v.node), "")
    rows = [[html_text(label), f"data {format_number(v.data)}", _grad_text(v.grad, v.grad_is_graph)]]
    rows += [[html_text(row)] for a in style.annotators for row in rows_for(a, v.node)]
    fill = grad_colour(v.grad)[0] if style.color_by == "grad" else colours.ROLE_FILL[role]
    grad_tip = f"grad = {v.grad!r}"
    if v.grad_is_graph:
        grad_tip += ", the data of a Value: backward(create_graph=True) made the gradient a graph"
    tip = [f"{label or '(no label)'}: {role}", f"data = {v.data!r}", grad_tip]
    if v.scope:
        tip.append(f"scope {v.scope}")
    if v.source:
        tip.append(f"created at {v.source}")
    if v.foreign:
        tip.append(f"a micrograd-style {v.foreign}")
    return {"label": html_table(rows, fill), "shape": "plaintext", "margin": "0", "width": "0", "height": "0",
            "fontcolor": text_colour_on(fill), "tooltip": tooltip_text("\n".join(tip)), "class": f"value {role}"}


def _op_node(v: NodeView, style: _Style) -> dict[str, str]:
    name = v.op or "?"  # a micrograd-style node with children and no _op
    tip = [f"{name}: {v.formula}" if v.formula else name]
    if v.source:
        tip.append(f"created at {v.source}")
    if v.foreign:
        tip.append(f"the _op of a micrograd-style {v.foreign}" if v.op else f"a micrograd-style {v.foreign} "
                   "with children and no _op")
    attrs = {"label": f"<{html_text(name)}>", "shape": "ellipse", "style": "filled", "fillcolor": colours.OP_FILL,
             "width": "0.5", "height": "0.35", "tooltip": tooltip_text("\n".join(tip)), "class": "op"}
    rows = style.failed.get(id(v.node))
    if rows:
        lines = [html_text(name)] + [html_text(_disagreement(row)) for row in rows]
        attrs.update(label=f"<{'<BR/>'.join(lines)}>", color=colours.FAILED, penwidth="3",
                     fontcolor=colours.FAILED, **{"class": "op failed"})
    return attrs


def _failed_ops(report: CheckReport | None) -> dict[int, list[CheckRow]]:
    """{id(op node): its rows that disagree} from a `check_ops` report."""
    failed: dict[int, list[CheckRow]] = {}
    for node, row in zip(report.nodes, report.rows) if report is not None else ():
        if not row.ok:
            failed.setdefault(id(node), []).append(row)
    return failed


def _disagreement(row: CheckRow) -> str:
    """One failed row of `check_ops` for a picture: `∂/∂in0: analytic 6 numeric 4`."""
    which = row.where.rsplit(" ", 1)[-1]  # the row names its input last: "#2 bad_square ∂/∂in0"
    return f"{which}: analytic {row.analytic:.6g}, numeric {row.numeric:.6g}"


def _group_node(group: Group, style: _Style) -> dict[str, str]:
    rows = [[f"<B>{html_text(group.key)}</B>"]]
    outs = group.outputs
    graph_grad = f" {GRAPH_GRAD}" if any(o.grad_is_graph for o in outs) else ""
    if len(outs) == 1:
        rows.append([f"data {format_number(outs[0].data)}", _grad_text(outs[0].grad, outs[0].grad_is_graph)])
    elif outs:
        rows += [[f"{len(outs)} outputs"], [f"data {format_numbers([o.data for o in outs])}"],
                 [f"grad {format_numbers([o.grad for o in outs])}{graph_grad}"]]
    n_params = sum(_role(v, style) == "parameter" for v in group.members)
    if n_params:
        rows.append([f"{n_params} parameter{'s' if n_params > 1 else ''}"])
    members = [v.node for v in group.members]
    rows += [[html_text(row)] for a in style.annotators for row in group_rows_for(a, members)]
    failures = [f"{v.op} {_disagreement(row)}" for v in group.members for row in style.failed.get(id(v.node), ())]
    rows += [[html_text(failure)] for failure in failures]
    if style.color_by == "grad" and outs:
        fill = grad_colour(max((o.grad for o in outs), key=_magnitude))[0]
    else:
        fill = colours.GROUP_FILL
    attrs = {"label": html_table(rows, fill), "shape": "plaintext", "margin": "0", "width": "0", "height": "0",
             "fontcolor": text_colour_on(fill), "class": "group",
             "tooltip": tooltip_text(f"{group.key}: {len(group.members)} values drawn as one")}
    if failures:
        attrs.update(shape="box", color=colours.FAILED, penwidth="3", **{"class": "group failed"})
    return attrs


def _magnitude(g: float) -> float:
    return abs(g) if math.isfinite(g) else math.inf


# ---- where each node goes -------------------------------------------------------------

@dataclass
class _Layout:
    """Nodes per cluster (key '' is the top level) and the edges, in drawing order."""

    levels: Callable[[str], tuple[str, ...]]
    rankdir: str
    nodes: dict[str, list[tuple[str, dict[str, str]]]] = field(default_factory=dict)
    children: dict[str, list[str]] = field(default_factory=dict)
    edges: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    weighted_edges: bool = False  # some edges are shaded by |w| (the legend says so)
    stacks: dict[str, list[str]] = field(default_factory=dict)  # cluster -> nodes stacked in this order

    def place(self, cluster: str, name: str, attrs: dict[str, str]) -> None:
        self.nodes.setdefault(cluster, []).append((name, attrs))
        parent = ""
        for level in self.levels(cluster) if cluster else ():
            siblings = self.children.setdefault(parent, [])
            if level not in siblings:
                siblings.append(level)
            parent = level


def _layout_values(order: list[NodeView], scopes: dict[NodeView, str], style: _Style, layout: _Layout) -> None:
    """The lecture's picture: a box per node, an op node per op result."""
    for v in reading_order(order):
        cluster = scopes.get(v, "")
        layout.place(cluster, v.name, _value_node(v, _role(v, style), style))
        if not v.leaf:
            layout.place(cluster, f"{v.name}_op", _op_node(v, style))
            layout.edges.append((f"{v.name}_op", v.name, {}))
            layout.edges += [(x.name, f"{v.name}_op", {}) for x in v.inputs]


def _layout_collapsed(order: list[NodeView], group_of: dict[NodeView, Group], style: _Style,
                      layout: _Layout) -> None:
    """One node per group, drawn in the cluster of its scope's parent level;
    nodes outside every scope drawn as in the lecture. An edge into or out of a
    group is drawn once, labelled with how many values it carries when more
    than one (a dense layer reads all 16 outputs of the one before: ×16), and
    shaded by its weight when it carries one value into a neuron."""
    placed = _place_groups(group_of, style, layout)
    carried = _collapsed_edges(order, group_of, style, layout)
    linked = {(a, b) for a, b in carried} | {(b, a) for a, b in carried}
    for cluster, names in placed.items():
        # Groups that read nothing from one another (the neurons of one layer) are
        # stacked in index order; groups that feed each other keep their ranks.
        if len(names) > 1 and not any((a, b) in linked for a in names for b in names):
            layout.stacks[cluster] = names
    for source, target, attrs in layout.edges:
        if len(carried.get((source, target), ())) > 1:
            attrs["label"] = f"×{len(carried[source, target])}"
    _shade_by_weight(carried, group_of, style, layout)


def _place_groups(group_of: dict[NodeView, Group], style: _Style, layout: _Layout) -> dict[str, list[str]]:
    """Places each group in the cluster of its scope's parent level; returns
    {cluster: its groups' names, in natural order}."""
    placed: dict[str, list[str]] = {}
    for group in sorted({id(g): g for g in group_of.values()}.values(), key=lambda g: natural(g.key)):
        parents = layout.levels(group.key)[:-1]
        cluster = parents[-1] if parents else ""
        layout.place(cluster, group.name, _group_node(group, style))
        placed.setdefault(cluster, []).append(group.name)
    return placed


def _collapsed_edges(order: list[NodeView], group_of: dict[NodeView, Group], style: _Style,
                     layout: _Layout) -> dict[tuple[str, str], list[NodeView]]:
    """Places the nodes outside every group and adds every edge, in reading
    order; returns {edge into or out of a group: the values it carries}."""
    carried: dict[tuple[str, str], list[NodeView]] = {}
    for v in reading_order(order):
        group = group_of.get(v)
        if group is not None:
            target = group.name
        else:
            layout.place("", v.name, _value_node(v, _role(v, style), style))
            if v.leaf:
                continue
            target = f"{v.name}_op"
            layout.place("", target, _op_node(v, style))
            layout.edges.append((target, v.name, {}))
        for x in v.inputs:
            gx = group_of.get(x)
            if gx is not None and gx is group:
                continue  # inside the group
            if gx is None and group is None:
                layout.edges.append((x.name, target, {}))  # as in the lecture, one edge per input
                continue
            edge = (gx.name if gx is not None else x.name, target)
            if edge not in carried:
                carried[edge] = []
                layout.edges.append((*edge, {}))
            if x not in carried[edge]:
                carried[edge].append(x)
    return carried


def _shade_by_weight(carried: dict[tuple[str, str], list[NodeView]], group_of: dict[NodeView, Group],
                     style: _Style, layout: _Layout) -> None:
    """Draws each edge that carries one value into a group through a weight w by
    |w| relative to the largest |w| on an edge into the same layer."""
    weights = _weights_into_groups(group_of, style)
    layer_of = {g.name: (layout.levels(g.key)[:-1] or ("",))[-1] for g in group_of.values()}  # a group's cluster
    weighted = {edge: weights[values[0], edge[1]] for edge, values in carried.items()
                if len(values) == 1 and (values[0], edge[1]) in weights}
    strongest: dict[str, float] = {}
    for (_, target), w in weighted.items():
        strongest[layer_of[target]] = max(strongest.get(layer_of[target], 0.0), w)
    for source, target, attrs in layout.edges:
        if (source, target) in weighted:
            largest = strongest[layer_of[target]]
            attrs.update(_weighted_edge(weighted[source, target] / largest if largest > 0 else 0.0))
            layout.weighted_edges = True


def _weights_into_groups(group_of: dict[NodeView, Group], style: _Style) -> dict[tuple[NodeView, str], float]:
    """{(value, group name): |w|} for every value from outside a group that a
    member multiplies by a parameter w (wᵢ·xᵢ in a neuron): the edge carrying it
    is drawn by the size of that weight."""
    weights: dict[tuple[NodeView, str], float] = {}
    for v, group in group_of.items():
        if v.op != "*" or len(v.inputs) != 2:
            continue
        for x, w in (v.inputs, v.inputs[::-1]):
            if group_of.get(x) is not group and group_of.get(w) is group and _role(w, style) == "parameter":
                key = (x, group.name)
                weights[key] = max(weights.get(key, 0.0), abs(w.data) if math.isfinite(w.data) else 0.0)
    return weights


def _weighted_edge(t: float) -> dict[str, str]:
    """An edge carrying a value through a weight of relative size t ∈ [0, 1]:
    thin and light for a small weight, wider and darker for a large one."""
    return {"color": colours.edge_colour(t), "penwidth": f"{0.3 + 1.2 * t:.2f}", "arrowsize": "0.4",
            "class": "weighted"}


def _emit(graph: GraphDrawing, layout: _Layout, cluster: str, taken: dict[str, str], depth: int) -> None:
    """Writes the nodes of `cluster` and, nested inside, its child clusters."""
    for name, attrs in layout.nodes.get(cluster, ()):
        graph.node(name, **attrs)
    if cluster in layout.stacks:
        _stack(graph, layout.stacks[cluster], layout.rankdir)
    for child in sorted(layout.children.get(cluster, ()), key=natural):
        with graph.subgraph(name=cluster_name(child, taken)) as sub:
            shown = child[len(cluster) + 1:] if cluster else child  # relative to the enclosing cluster
            sub.attr(label=f"<{html_text(shown)}>", style="rounded,filled", color=colours.CLUSTER_BORDER,
                     fillcolor=colours.CLUSTER_FILLS[depth % 2], fontsize="11",
                     tooltip=tooltip_text(child), **{"class": "scope"})
            _emit(sub, layout, child, taken, depth + 1)


def _stack(graph: GraphDrawing, names: list[str], rankdir: str) -> None:
    """Draws `names` one above the next in this order (with rankdir="LR" or
    "RL"; left to right with "TB" or "BT").

    dot places nodes of one rank to reduce edge crossings, and between two dense
    layers every order crosses as much as any other, so its passes leave the
    neurons rotated (8…15 above 0…7). A rank=same chain of invisible edges fixes
    the order inside the cluster; `remincross=false` (set by draw_dot) keeps the
    final pass over the whole graph from rotating it again. Inside a cluster,
    Graphviz 2.43 puts a flat edge's tail left of its head under "TB" and "BT",
    but below it under "LR" and "RL", hence the chain's direction (a test checks
    the result on the dot installed)."""
    chain = names[::-1] if rankdir in ("LR", "RL") else names
    with graph.subgraph() as rank:
        rank.attr(rank="same")
        for tail, head in zip(chain, chain[1:]):
            rank.edge(tail, head, style="invis")


# ---- the legend ------------------------------------------------------------------------

_NOTE_WIDTH = 56  # characters per line of a legend note


def _legend(roles: list[str], style: _Style, collapse: str | None, checked: int | None, graph_grads: bool,
            weighted_edges: bool) -> str:
    """The legend node's label: a swatch for each colour, then the notes that
    `check=`, annotators, graph-valued gradients and weighted edges add (in rows
    of their own, so a long note does not widen the swatches)."""
    if style.color_by == "grad":
        keys = [(grad_colour(g)[0], meaning) for g, meaning in (
            (-2 * EXPLODING, "grad ≤ −1e3 (exploding)"), (-1.0, "grad −1"), (-1e-4, "grad −1e-4"),
            (0.0, "|grad| < 1e-8 (vanishing)"), (1e-4, "grad +1e-4"), (1.0, "grad +1"),
            (2 * EXPLODING, "grad ≥ +1e3 (exploding)"), (math.nan, "NaN or inf"))]
    else:
        keys = [(colours.ROLE_FILL[role], role) for role in roles]
        if collapse:
            keys.append((colours.GROUP_FILL, f"one {collapse} (data, grad of its output)"))
    keys.append((colours.OP_FILL, "op (oval)"))

    rows = ['<TR><TD COLSPAN="2" BORDER="0"><B>legend</B></TD></TR>']
    rows += [f'<TR><TD BGCOLOR="{fill}" WIDTH="18"></TD><TD ALIGN="LEFT">{html_text(meaning)}</TD></TR>'
             for fill, meaning in keys]
    notes = []
    if checked is not None:
        bad = len(style.failed)
        notes.append(f"check: {bad} of {checked} ops {'disagrees' if bad == 1 else 'disagree'} with finite "
                     "differences (red border)" if bad else f"check: all {checked} ops agree with finite differences")
    if graph_grads:
        notes.append(f"grad … {GRAPH_GRAD}: the gradient is itself a Value with a graph "
                     "(backward(create_graph=True)); its data is shown")
    if weighted_edges:
        notes.append("edge into a group: wider and darker for a larger |w|, the weight that multiplies "
                     "the value it carries (relative to the largest into that layer)")
    notes += [a.legend for a in style.annotators if a.legend]
    # A note sits in the text column, so a long one does not widen the swatches,
    # wrapped so that it does not widen the legend either.
    for note in notes:
        lines = "<BR/>".join(html_text(line) for line in textwrap.wrap(note, _NOTE_WIDTH))
        rows.append(f'<TR><TD BORDER="0"></TD><TD ALIGN="LEFT" BALIGN="LEFT" BORDER="0">{lines}</TD></TR>')
    return f'<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3">{"".join(rows)}</TABLE>>'


# ---- arguments ---------------------------------------------------------------------------

_RANKDIRS = ("LR", "TB", "RL", "BT")
_COLOR_BY = (None, "role", "grad")
_COLLAPSE = (None, "neuron", "layer")


def _check_arguments(root: Any, rankdir: Any, color_by: Any, collapse: Any, max_nodes: Any) -> None:
    if not is_node(root):
        raise TypeError(f"draw_dot: root must be a Value, got {type(root).__name__}; "
                        "a micrograd-style node (with data, grad and _prev) works too")
    for name, value, allowed in (("rankdir", rankdir, _RANKDIRS), ("color_by", color_by, _COLOR_BY),
                                 ("collapse", collapse, _COLLAPSE)):
        if value not in allowed:
            raise ValueError(f"draw_dot: {name} must be one of {', '.join(map(repr, allowed))}, got {value!r}")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"draw_dot: max_nodes must be a positive integer, got {max_nodes!r}")


def _param_names(params: Any) -> dict[int, str]:
    """{id(parameter): its name} from `params=`: an `nn.Module` (its
    `named_parameters()`), a model with `parameters()` (micrograd's), an
    iterable of nodes, or None."""
    if params is None:
        return {}
    named, unnamed = getattr(params, "named_parameters", None), getattr(params, "parameters", None)
    if callable(named):
        pairs = list(named())
    else:
        pairs = [("", p) for p in (unnamed() if callable(unnamed) else params)]
    for _, p in pairs:
        if not is_node(p):
            raise TypeError(f"draw_dot: params must be Values (or an nn.Module), got {type(p).__name__}: {p!r:.40}")
    return {id(p): name for name, p in pairs}


def _size_error(count: int, max_nodes: int) -> ValueError:
    return ValueError(
        f"draw_dot: the graph has {count} nodes, more than max_nodes={max_nodes}; pass collapse='neuron' "
        "or 'layer', draw a sub-graph (draw_dot(some_inner_value)), or raise max_nodes")


def _delta_annotator() -> Annotator:
    """`show_delta=True` is shorthand for `annotate=nn.delta.annotate`. The Monash
    Δ is nn's knowledge (which node is a net input, what E is), so nn registers
    its annotator when it is imported; autograd never imports nn."""
    try:
        return NAMED["delta"]
    except KeyError:
        raise ValueError("draw_dot: show_delta=True draws the Monash Δ that nn provides; import nn first "
                         "(or pass annotate=nn.delta.annotate)") from None


# ---- draw_dot ------------------------------------------------------------------------------

def draw_dot(
    root: Value | Any,
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
    annotate: Callable[[Any], Any] | Annotator | list[Any] | None = None,
) -> GraphDrawing:
    """The computation graph of `root` as a `graphviz.Digraph`: a box per Value
    (`label | data | grad`) and an oval per op, left to right (`rankdir="TB"`:
    top to bottom). `root` is a deltagrad Value or any micrograd-style node (an
    object with `data`, `grad`, `_prev` and `_op`, such as micrograd's own Value
    or the one written in the lecture).

    - `color_by`: None or "role" colours inputs, parameters, constants and the
      output apart; "grad" shades each Value by its gradient (red negative, blue
      positive, log scale; grey when vanishing, saturated when exploding). Text
      is black or white, whichever reads better (contrast at least 4.5:1).
    - A gradient that is itself a Value (after `backward(create_graph=True)`) is
      drawn by its data and marked `(graph)`.
    - `params`: Values (or an `nn.Module`) to draw as parameters; otherwise a
      leaf with both a label and a scope is one.
    - Values with a `.scope` are drawn in nested clusters (`layers.0` holding
      `layers.0.neurons.3`). `collapse="neuron"` draws one node per scope,
      `"layer"` one per outermost level, with the data and grad of its output;
      an edge carrying a value into a neuron through a weight w is drawn wider
      and darker the larger |w| is.
    - `max_nodes`: a bigger graph (counted after collapsing) raises ValueError.
    - `check=True`: ops whose local derivative disagrees with a finite
      difference get a red border and both numbers (`check_ops`).
    - `annotate`: a function `fn(node) -> rows` (a str, a list of str, or None)
      adding rows of text under each node's box, an `Annotator` (which can also
      add a legend line and summarise a collapsed group), or a list of them.
      See `autograd.viz.annotate`.
    - `show_delta=True`: shorthand for `annotate=nn.delta.annotate`: each
      neuron's net input (label "in", with a scope) shows its Monash
      Δ = −∂E/∂in; run `E.backward()` first, with E = ½Σ(y − a)², for which
      Δ_k = (y_k − a_k) g'(in_k) and Δ_j = g'(in_j) Σ_k w_jk Δ_k.
    - `legend`: a box explaining the colours; `format`: what `.render()` writes.
    """
    _check_arguments(root, rankdir, color_by, collapse, max_nodes)
    found = [_delta_annotator()] if show_delta else []
    found += [a for a in annotators(annotate) if a not in found]
    graph = NodeGraph(root)
    if collapse is None and len(graph) + graph.ops > max_nodes:  # before reading the nodes: fail at once
        raise _size_error(len(graph) + graph.ops, max_nodes)
    order = graph.views()
    scopes = drawing_scopes(order)
    levels = cluster_levels(set(scopes.values()))
    group_of = groups(order, scopes, collapse, levels) if collapse else {}
    if collapse:
        loose = [v for v in order if v not in group_of]
        count = len({id(g) for g in group_of.values()}) + len(loose) + sum(not v.leaf for v in loose)
        if count > max_nodes:
            raise _size_error(count, max_nodes)

    report = check_ops(root) if check else None
    style = _Style(order[-1], color_by or "role", _param_names(params), _failed_ops(report), found)

    layout = _Layout(levels, rankdir)
    if collapse:
        _layout_collapsed(order, group_of, style, layout)
    else:
        _layout_values(order, scopes, style, layout)

    graph_attr = {"rankdir": rankdir, "fontname": "Helvetica"}
    if layout.stacks:
        graph_attr["remincross"] = "false"  # see _stack
    if layout.weighted_edges:
        graph_attr["ranksep"] = "1.0"  # inches between ranks (dot's 0.5): room for dense layers' edges to fan out
    drawing = GraphDrawing(format=format, graph_attr=graph_attr,
                           node_attr={"fontname": "Helvetica", "fontsize": "11"},
                           edge_attr={"fontname": "Helvetica", "fontsize": "9"})
    if legend:
        present = {_role(v, style) for v in order if v not in group_of}
        checked = len({id(n) for n in report.nodes}) if report is not None else None
        graph_grads = any(v.grad_is_graph for v in order)
        label = _legend([r for r in ROLES if r in present], style, collapse, checked, graph_grads,
                        layout.weighted_edges)
        drawing.node("legend", label=label, shape="plaintext", tooltip="legend", **{"class": "legend"})
    _emit(drawing, layout, "", {}, 0)
    for source, target, attrs in layout.edges:
        drawing.edge(source, target, **attrs)
    return drawing
