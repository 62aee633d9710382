"""The graph pictures: what `draw_dot` draws, read back from the SVG that `dot`
lays out (parsed as XML) and, for cluster membership, from the DOT source."""

from __future__ import annotations

import inspect
import itertools
import math
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from micrograd_style import lecture_expression

import autograd
from autograd import Value, draw_dot, to_svg
from autograd.viz import Annotator, grad_colour

try:
    import nn
    from nn.layers import MLP
    from nn.losses import half_sse
except ImportError:  # nn is written alongside; its tests below skip until it imports
    nn = MLP = half_sse = None

needs_nn = pytest.mark.skipif(MLP is None, reason="nn (MLP, half_sse) is not importable")

SVG = "{http://www.w3.org/2000/svg}"
TOOLTIP = "{http://www.w3.org/1999/xlink}title"


# ---- reading a picture back --------------------------------------------------------

def svg_of(root: Value, **kwargs) -> ET.Element:
    """The SVG of `root`'s graph, parsed: it must be well-formed XML."""
    return ET.fromstring(to_svg(root, **kwargs))


def nodes(svg: ET.Element, kind: str = "value") -> dict[str, ET.Element]:
    """{DOT node name: its <g>} for the nodes whose class includes `kind`
    (value, op, group, legend; value nodes also carry their role)."""
    found = {}
    for g in svg.iter(f"{SVG}g"):
        classes = (g.get("class") or "").split()
        if "node" in classes and kind in classes:
            found[g.find(f"{SVG}title").text] = g
    return found


def texts(g: ET.Element) -> list[str]:
    return [t.text or "" for t in g.iter(f"{SVG}text")]


def tooltip(g: ET.Element) -> str:
    return next(a.get(TOOLTIP) for a in g.iter(f"{SVG}a"))


def fill(g: ET.Element) -> str:
    """The fill of a node's first shape (an HTML table's background)."""
    return next(p.get("fill") for p in g.iter(f"{SVG}polygon") if p.get("fill") not in (None, "none"))


def clusters(svg: ET.Element) -> list[str]:
    return [g.find(f"{SVG}title").text for g in svg.iter(f"{SVG}g") if g.get("class", "").split()[:1] == ["cluster"]]


def edge_groups(svg: ET.Element) -> list[ET.Element]:
    """The <g> of every edge (class "edge", and "edge weighted" for one shaded by |w|)."""
    return [g for g in svg.iter(f"{SVG}g") if "edge" in (g.get("class") or "").split()]


def edges(svg: ET.Element) -> list[tuple[str, str]]:
    return [tuple(g.find(f"{SVG}title").text.split("->")) for g in edge_groups(svg)]


def label_of(g: ET.Element) -> str:
    """A value node's label: its text lines before "data ..." ('' when unlabelled)."""
    return "\n".join(itertools.takewhile(lambda t: not t.startswith("data "), texts(g)))


def by_label(svg: ET.Element) -> dict[str, list[str]]:
    """{label: all its texts} for the labelled value nodes."""
    return {label_of(g): texts(g) for g in nodes(svg).values() if label_of(g)}


def cluster_paths(source: str) -> dict[str, tuple[str, ...]]:
    """{node name: the clusters around its statement, outermost first}, read from
    the DOT source (the SVG lists clusters flat, not nested)."""
    stack: list[str] = []
    paths = {}
    for line in source.splitlines():
        if m := re.match(r'\t+subgraph "?([^" ]+)"? \{$', line):
            stack.append(m.group(1))
        elif re.match(r"\t+\}$", line):
            stack.pop()
        elif m := re.match(r"\t+([vg]\d+(?:_op)?) \[", line):
            paths[m.group(1)] = tuple(stack)
    return paths


# ---- graphs to draw -----------------------------------------------------------------

def lecture() -> Value:
    """The micrograd lecture's first graph: L = (a*b + c) * f, after backward()."""
    L = lecture_expression()["L"]
    L.backward()
    return L


def neuron(xs: list[Value], ws: list[float], b: float, scope: str, activation: str = "tanh") -> Value:
    """One neuron tagged as `nn` tags it: parameters labelled by name and scoped to
    the neuron, the net input an n-ary sum labelled "in", the output "a"."""
    params = [Value(w, label=f"{scope}.w.{i}") for i, w in enumerate(ws)] + [Value(b, label=f"{scope}.b")]
    for p in params:
        p.scope = scope
    net = autograd.sum([w * x for w, x in zip(params, xs)] + [params[-1]])
    net.label, net.scope = "in", scope
    if activation == "linear":
        return net
    out = getattr(net, activation)()
    out.label, out.scope = "a", scope
    return out


def two_layer_net(y: float = 0.5) -> tuple[Value, list[Value], list[Value]]:
    """x (2) -> 2 tanh neurons -> 1 tanh neuron, E = ½ (y − a)², after backward().
    Returns E, the hidden outputs and the output."""
    xs = [Value(0.5, label="x0"), Value(-1.5, label="x1")]
    hidden = [neuron(xs, [0.3, -0.8], 0.1, "layers.0.neurons.0"), neuron(xs, [-0.5, 0.2], -0.2, "layers.0.neurons.1")]
    out = neuron(hidden, [1.2, -0.7], 0.05, "layers.1.neurons.0")
    E = 0.5 * (y - out) ** 2
    E.backward()
    return E, hidden, out


# ---- the lecture's picture -------------------------------------------------------------

def test_lecture_graph_draws_7_values_and_3_ops():
    svg = svg_of(lecture())
    assert len(nodes(svg, "value")) == 7
    assert sorted(texts(g)[0] for g in nodes(svg, "op").values()) == ["*", "*", "+"]


def test_lecture_graph_shows_each_values_label_data_and_grad():
    # micrograd's numbers: L = -8; dL/df = 4, dL/dd = -2, dL/da = 6, dL/db = -4, dL/dc = -2, dL/de = -2.
    expected = {"a": (2, 6), "b": (-3, -4), "c": (10, -2), "e": (-6, -2), "d": (4, -2), "f": (-2, 4), "L": (-8, 1)}
    shown = by_label(svg_of(lecture()))
    assert shown == {k: [k, f"data {data:.4f}", f"grad {grad:.4f}"] for k, (data, grad) in expected.items()}


def test_lecture_graph_wires_each_op_between_its_inputs_and_output():
    svg = svg_of(lecture())
    label = {name: label_of(g) for name, g in nodes(svg, "value").items()}
    op = {name: texts(g)[0] for name, g in nodes(svg, "op").items()}
    wiring = set()
    for src, dst in edges(svg):
        if dst in op:  # value -> op: find the op's output
            out = next(o for s, o in edges(svg) if s == dst)
            wiring.add((label[src], op[dst], label[out]))
    assert wiring == {("a", "*", "e"), ("b", "*", "e"), ("e", "+", "d"), ("c", "+", "d"),
                      ("d", "*", "L"), ("f", "*", "L")}


def test_value_and_op_nodes_are_named_in_topological_order():
    L = lecture()
    order = autograd.topological_order(L)
    svg = svg_of(L)
    assert set(nodes(svg, "value")) == {f"v{i}" for i in range(len(order))}
    assert set(nodes(svg, "op")) == {f"v{i}_op" for i, v in enumerate(order) if v.op}


def test_the_same_graph_gives_the_same_dot_source_every_time():
    assert draw_dot(lecture()).source == draw_dot(lecture()).source  # fresh Values: nothing from id()


GOLDEN = """\
digraph {
\tgraph [fontname=Helvetica rankdir=LR]
\tnode [fontname=Helvetica fontsize=11]
\tedge [fontname=Helvetica fontsize=9]
\tv1 [label=<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4" BGCOLOR="#cfe5f7"><TR><TD>x</TD>\
<TD>data 3.0000</TD><TD>grad 2.0000</TD></TR></TABLE>> class="value input" fontcolor=black height=0 margin=0 \
shape=plaintext tooltip="x: input
data = 3.0
grad = 2.0" width=0]
\tv0 [label=<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4" BGCOLOR="#e6e6e6"><TR><TD></TD>\
<TD>data 2.0000</TD><TD>grad 3.0000</TD></TR></TABLE>> class="value constant" fontcolor=black height=0 margin=0 \
shape=plaintext tooltip="(no label): constant
data = 2.0
grad = 3.0" width=0]
\tv2 [label=<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4" BGCOLOR="#c6eac6"><TR><TD>y</TD>\
<TD>data 6.0000</TD><TD>grad 1.0000</TD></TR></TABLE>> class="value output" fontcolor=black height=0 margin=0 \
shape=plaintext tooltip="y: output
data = 6.0
grad = 1.0" width=0]
\tv2_op [label=<*> class=op fillcolor="#f4f4f4" height=0.35 shape=ellipse style=filled \
tooltip="*: ∂/∂x = y, ∂/∂y = x" width=0.5]
\tv2_op -> v2
\tv1 -> v2_op
\tv0 -> v2_op
}
"""


def test_dot_source_of_a_small_graph_matches_the_golden_text():
    # Nodes are named in topological_order (the constant is v0) and written in
    # reading order: x, the first input, before the constant.
    x = Value(3.0, label="x")
    y = x * 2.0
    y.label = "y"
    y.backward()
    assert draw_dot(y, legend=False).source == GOLDEN


def test_rankdir_sets_the_direction():
    assert "rankdir=TB" in draw_dot(lecture(), "TB").source


def test_numbers_too_small_for_four_decimals_keep_their_magnitude():
    x = Value(3e-9, label="x")
    assert by_label(svg_of(x))["x"][1] == "data 3.000e-09"


# ---- roles, colours, legend ---------------------------------------------------------------

def roles_graph() -> tuple[Value, dict[str, Value]]:
    x = Value(1.5, label="x")  # an input: a leaf with no scope
    w = Value(-0.5, label="w")
    w.scope = "model"  # a parameter: a leaf with a label and a scope, as nn tags them
    h = x * w + 2.0  # 2.0 becomes a Constant
    h.label = "h"
    out = h.tanh()
    out.label = "out"
    out.backward()
    return out, {"x": x, "w": w, "h": h, "out": out}


def test_roles_are_drawn_apart_and_named_in_the_legend():
    out, _ = roles_graph()
    svg = svg_of(out)
    role = {label_of(g): g.get("class").split()[-1] for g in nodes(svg).values() if label_of(g)}
    assert role == {"x": "input", "w": "parameter", "h": "intermediate", "out": "output"}
    assert sorted(g.get("class").split()[-1] for g in nodes(svg).values()) == [
        "constant", "input", "intermediate", "intermediate", "output", "parameter"]
    fills = {g.get("class").split()[-1]: fill(g) for g in nodes(svg).values()}
    assert len({fills[r] for r in ("input", "parameter", "constant", "output")}) == 4
    legend = texts(next(iter(nodes(svg, "legend").values())))
    assert {"input", "parameter", "constant", "intermediate", "output"} <= set(legend)


def test_params_argument_marks_unscoped_leaves_as_parameters():
    x, w = Value(1.0, label="x"), Value(2.0, label="w")
    y = x * w
    svg = svg_of(y, params=[w])
    role = {label_of(g): g.get("class").split()[-1] for g in nodes(svg).values()}
    assert role["w"] == "parameter" and role["x"] == "input"


def test_legend_can_be_left_out():
    svg = svg_of(lecture(), legend=False)
    assert nodes(svg, "legend") == {}
    assert len(nodes(svg, "node")) == 10


def test_grad_colours_show_sign_and_log_magnitude():
    def rgb(g):
        h = grad_colour(g)[0]
        return tuple(int(h[i:i + 2], 16) for i in (1, 3, 5))

    red, blue = rgb(-1.0), rgb(1.0)
    assert red[0] > red[2] and blue[2] > blue[0]  # negative red, positive blue
    assert sum(rgb(1e-6)) > sum(rgb(1e-2)) > sum(rgb(1e2))  # bigger gradient, deeper colour
    assert grad_colour(0.0) == grad_colour(1e-9) == grad_colour(-1e-9)  # vanishing: one grey
    assert grad_colour(1e4) == grad_colour(1e9) and grad_colour(-1e4) == grad_colour(-1e9)  # exploding: saturated
    assert grad_colour(math.nan) == grad_colour(math.inf) != grad_colour(1e9)


def test_color_by_grad_fills_each_value_by_its_gradient():
    svg = svg_of(lecture(), color_by="grad")
    grads = {"a": 6, "b": -4, "c": -2, "e": -2, "d": -2, "f": 4, "L": 1}
    filled = {label_of(g): fill(g) for g in nodes(svg).values()}
    assert filled == {k: grad_colour(g)[0] for k, g in grads.items()}
    legend = " ".join(texts(next(iter(nodes(svg, "legend").values()))))
    assert "vanishing" in legend and "exploding" in legend


# ---- labels are data, never markup ------------------------------------------------------------

HOSTILE = [
    'a" ]; evil [label="x',  # closes the attribute and starts a node
    "<b>bold</b>",  # the graphviz package passes <...> through as an HTML label
    "<<TABLE><TR><TD>t</TD></TR></TABLE>>",
    "{a|b}",  # record syntax
    "<f0> port | {x|y}",
    "a\\nb",  # a backslash escape, as text
    "\\N \\G \\L \\E",  # Graphviz's object-name escapes
    "ends with \\",
    "x\ny",  # a real newline
    "&amp; < > &#65;",  # entities, as text
    "}} digraph G { z }",
    "it's \"quoted\"",
    "bell\x07",  # a control character XML cannot hold
]


def labelled(text: str) -> Value:
    a = Value(2.0, label=text)
    b = Value(-3.0, label="b")
    out = a * b
    out.label = text
    out.backward()
    return out


@pytest.mark.parametrize("text", HOSTILE)
def test_a_hostile_label_is_shown_literally_without_changing_the_graph(text):
    svg = svg_of(labelled(text))  # parses: the SVG is valid XML
    assert len(nodes(svg, "value")) == 3 and len(nodes(svg, "op")) == 1 and len(edges(svg)) == 3
    assert "evil" not in {t.text for t in svg.iter(f"{SVG}title")}
    shown = "bell\\x07" if text == "bell\x07" else text  # an invisible character is shown as its escape
    assert sorted(label_of(g) for g in nodes(svg).values()) == sorted(["b", shown, shown])
    for g in nodes(svg).values():
        assert tooltip(g).startswith(f"{label_of(g)}: ")


@pytest.mark.parametrize("text", HOSTILE)
def test_a_hostile_scope_or_op_name_is_shown_literally(text, register):
    a = Value(1.0, label="a")
    a.scope = text
    op = register(f"op {text}", lambda x: 2 * x, derivatives=[lambda x: 2.0])
    y = op(a)
    svg = svg_of(y)
    shown = "bell\\x07" if text == "bell\x07" else text
    assert len(nodes(svg, "value")) == 2 and len(clusters(svg)) == 1
    (op_node,) = nodes(svg, "op").values()
    assert "\n".join(texts(op_node)) == f"op {shown}"
    cluster = next(g for g in svg.iter(f"{SVG}g") if g.get("class", "").startswith("cluster"))
    assert "\n".join(texts(cluster)) == shown


# ---- scopes and clusters ----------------------------------------------------------------------

def test_scoped_values_are_grouped_in_nested_clusters_per_layer_and_neuron():
    E, _, _ = two_layer_net()
    svg = svg_of(E)
    assert sorted(clusters(svg)) == ["cluster_layers.0", "cluster_layers.0.neurons.0", "cluster_layers.0.neurons.1",
                                     "cluster_layers.1", "cluster_layers.1.neurons.0"]
    paths = cluster_paths(draw_dot(E).source)
    order = autograd.topological_order(E)
    name = {v: f"v{i}" for i, v in enumerate(order)}
    for v in order:
        if v.label.startswith("layers.0.neurons.1") or (v.label in ("in", "a") and v.scope == "layers.0.neurons.1"):
            assert paths[name[v]] == ("cluster_layers.0", "cluster_layers.0.neurons.1")


def test_untagged_products_join_the_neuron_that_sums_them():
    E, _, out = two_layer_net()
    order = autograd.topological_order(E)
    paths = cluster_paths(draw_dot(E).source)
    products = [x for x in out.inputs[0].inputs if x.op == "*"]  # out = tanh(in), in = sum(w*x ..., b)
    assert len(products) == 2
    for p in products:
        assert paths[f"v{order.index(p)}"] == ("cluster_layers.1", "cluster_layers.1.neurons.0")
        assert paths[f"v{order.index(p)}_op"] == ("cluster_layers.1", "cluster_layers.1.neurons.0")


def test_inputs_and_loss_ops_stay_outside_every_cluster():
    E, _, _ = two_layer_net()
    order = autograd.topological_order(E)
    paths = cluster_paths(draw_dot(E).source)
    for v in order:
        if v.label in ("x0", "x1") or v is E:
            assert paths[f"v{order.index(v)}"] == ()


def test_a_node_read_by_two_neurons_stays_outside_both():
    x = Value(3.0, label="x")
    scaled = x / 2.0  # preprocessing, read by both neurons
    a0 = neuron([scaled], [1.0], 0.0, "layers.0.neurons.0")
    a1 = neuron([scaled], [2.0], 0.0, "layers.0.neurons.1")
    y = a0 + a1
    order = autograd.topological_order(y)
    assert cluster_paths(draw_dot(y).source)[f"v{order.index(scaled)}"] == ()


def test_name_scope_clusters_nest_for_any_dotted_name():
    x = Value(1.0, label="x")
    with autograd.name_scope("block"):
        h = x * 2.0
        h.label = "h"
        with autograd.name_scope("inner"):
            k = h.exp()
            k.label = "k"
    y = k + 1.0
    svg = svg_of(y)
    assert sorted(clusters(svg)) == ["cluster_block", "cluster_block.inner"]
    paths = cluster_paths(draw_dot(y).source)
    order = autograd.topological_order(y)
    assert paths[f"v{order.index(k)}"] == ("cluster_block", "cluster_block.inner")
    assert paths[f"v{order.index(h)}"] == ("cluster_block",)


# ---- collapse -----------------------------------------------------------------------------------

def test_collapse_neuron_draws_one_node_per_neuron_with_its_output():
    E, hidden, out = two_layer_net()
    svg = svg_of(E, collapse="neuron")
    groups = {texts(g)[0]: texts(g) for g in nodes(svg, "group").values()}
    assert set(groups) == {"layers.0.neurons.0", "layers.0.neurons.1", "layers.1.neurons.0"}
    assert groups["layers.1.neurons.0"][1:3] == [f"data {out.data:.4f}", f"grad {out.grad:.4f}"]
    assert groups["layers.0.neurons.0"][1:3] == [f"data {hidden[0].data:.4f}", f"grad {hidden[0].grad:.4f}"]
    assert "3 parameters" in groups["layers.0.neurons.0"]
    assert not [g for g in nodes(svg).values() if "parameter" in g.get("class")]  # absorbed into their neuron
    assert {label_of(g) for g in nodes(svg).values()} >= {"x0", "x1"}
    assert clusters(svg) == ["cluster_layers.0", "cluster_layers.1"]  # neurons sit in their layer's cluster


def test_collapse_neuron_wires_neurons_by_dataflow():
    E, _, _ = two_layer_net()
    svg = svg_of(E, collapse="neuron")
    name = {texts(g)[0]: n for n, g in nodes(svg, "group").items()}
    label = {n: label_of(g) for n, g in nodes(svg).items()}
    links = set(edges(svg))
    out = name["layers.1.neurons.0"]
    assert {(name["layers.0.neurons.0"], out), (name["layers.0.neurons.1"], out)} <= links
    into_first = {label.get(s, s) for s, d in links if d == name["layers.0.neurons.0"]}
    assert into_first == {"x0", "x1"}


def test_collapse_layer_draws_one_node_per_layer():
    E, hidden, _ = two_layer_net()
    svg = svg_of(E, collapse="layer")
    groups = {texts(g)[0]: texts(g) for g in nodes(svg, "group").values()}
    assert set(groups) == {"layers.0", "layers.1"}
    assert "2 outputs" in groups["layers.0"]
    assert f"data [{hidden[0].data:.4f}, {hidden[1].data:.4f}]" in groups["layers.0"]
    assert "6 parameters" in groups["layers.0"]
    (edge,) = [g for g in edge_groups(svg) if g.find(f"{SVG}title").text.count("g") == 2]
    assert texts(edge) == ["×2"]  # two values flow from layer 0 to layer 1


def test_collapse_layer_groups_generic_scopes_by_their_outermost_level():
    x = Value(1.0, label="x")
    with autograd.name_scope("block"):
        h = x * 2.0
        with autograd.name_scope("inner"):
            k = h.exp()
    svg = svg_of(k + 1.0, collapse="layer")
    assert [texts(g)[0] for g in nodes(svg, "group").values()] == ["block"]


# ---- the size guard ---------------------------------------------------------------------------

def test_a_graph_past_max_nodes_raises_suggesting_collapse():
    x = Value(1.0)
    for _ in range(100_000):
        x = x + 1.0
    with pytest.raises(ValueError, match=r"300001 nodes, more than max_nodes=2000; pass collapse="):
        draw_dot(x)


def test_max_nodes_counts_nodes_after_collapsing():
    E, _, _ = two_layer_net()
    with pytest.raises(ValueError, match="max_nodes=20"):
        draw_dot(E, max_nodes=20)
    assert len(nodes(svg_of(E, collapse="neuron", max_nodes=20), "group")) == 3


# ---- check=True: a wrong derivative, found by looking ----------------------------------------------

@pytest.fixture
def bad_square(register):
    """x², with a wrong derivative: 3x instead of 2x."""
    return register("bad_square", lambda x: x * x, derivatives=[lambda x: 3 * x])


def test_check_marks_an_op_with_a_wrong_derivative_in_red_with_both_numbers(bad_square):
    a = Value(3.0, label="a")
    y = bad_square(a) + a  # d/dx x² at 3 is 6; the rule says 3x = 9
    svg = svg_of(y, check=True)
    failed = [g for g in nodes(svg, "op").values() if "failed" in g.get("class")]
    assert len(failed) == 1
    assert texts(failed[0]) == ["bad_square", "∂/∂in0: analytic 9, numeric 6"]
    border = next(failed[0].iter(f"{SVG}ellipse"))
    assert border.get("stroke") == "#d62728" and border.get("stroke-width") == "3"
    legend = " ".join(texts(next(iter(nodes(svg, "legend").values()))))
    assert "1 of 2 ops disagrees" in legend


def test_check_marks_nothing_when_every_derivative_is_right():
    svg = svg_of(lecture(), check=True)
    assert not [g for g in nodes(svg, "op").values() if "failed" in g.get("class")]
    assert "check: all 3 ops agree with finite differences" in texts(next(iter(nodes(svg, "legend").values())))


def test_check_marks_the_collapsed_neuron_holding_a_wrong_op(bad_square):
    x = Value(1.5, label="x")
    w = Value(0.5, label="layers.0.neurons.0.w.0")
    w.scope = "layers.0.neurons.0"
    net = autograd.sum([w * x])
    net.label, net.scope = "in", "layers.0.neurons.0"
    a = bad_square(net)
    a.label, a.scope = "a", "layers.0.neurons.0"
    svg = svg_of(a * 1.0, check=True, collapse="neuron")
    (group,) = nodes(svg, "group").values()
    assert "failed" in group.get("class")
    assert any("analytic 2.25" in t and "numeric 1.5" in t for t in texts(group))


# ---- anomaly mode: where each node was made -----------------------------------------------------

def test_in_anomaly_mode_tooltips_hold_the_creating_file_and_line():
    x = Value(2.0, label="x")
    with autograd.detect_anomaly():
        line = inspect.currentframe().f_lineno + 1
        y = x.tanh()
    y.label = "y"
    svg = svg_of(y)
    where = f"{__file__}:{line}"
    (op,) = nodes(svg, "op").values()
    assert where in tooltip(op)
    assert where in tooltip(next(g for g in nodes(svg).values() if label_of(g) == "y"))


def test_outside_anomaly_mode_tooltips_say_what_a_node_is():
    svg = svg_of(lecture())
    tips = {label_of(g): tooltip(g) for g in nodes(svg).values()}
    assert tips["a"] == "a: input\ndata = 2.0\ngrad = 6.0"
    assert {tooltip(g) for g in nodes(svg, "op").values()} == {"*: ∂/∂x = y, ∂/∂y = x", "+: ∂/∂x = 1, ∂/∂y = 1"}


# ---- show_delta: the Monash Δ on each neuron's net input -----------------------------------------

def delta_shown(g: ET.Element) -> float:
    (line,) = [t for t in texts(g) if t.startswith("Δ")]
    return float(line.rsplit("=", 1)[1].replace("−", "-"))


def test_show_delta_writes_the_output_units_delta_on_its_net_input():
    E, _, out = two_layer_net(y=0.5)
    svg = svg_of(E, show_delta=True)
    (net,) = [g for g in nodes(svg).values() if label_of(g) == "in" and "layers.1" in tooltip(g)]
    a = out.data
    assert delta_shown(net) == pytest.approx((0.5 - a) * (1 - a * a), abs=1e-4)  # Δk = (y − a) g'(in)


def test_show_delta_writes_hidden_units_deltas_by_the_monash_rule():
    E, hidden, out = two_layer_net(y=0.5)
    svg = svg_of(E, show_delta=True)
    delta_k = (0.5 - out.data) * (1 - out.data ** 2)
    shown = {}
    for g in nodes(svg).values():
        if label_of(g) == "in":
            shown[tooltip(g).split("scope ")[1].split("\n")[0]] = delta_shown(g)
    for j, (h, w_jk) in enumerate(zip(hidden, [1.2, -0.7])):
        expected = (1 - h.data ** 2) * w_jk * delta_k  # Δj = g'(in_j) Σk w_jk Δk
        assert shown[f"layers.0.neurons.{j}"] == pytest.approx(expected, abs=1e-4)


def test_show_delta_on_collapsed_neurons():
    E, _, out = two_layer_net(y=0.5)
    svg = svg_of(E, show_delta=True, collapse="neuron")
    group = next(g for g in nodes(svg, "group").values() if texts(g)[0] == "layers.1.neurons.0")
    assert delta_shown(group) == pytest.approx((0.5 - out.data) * (1 - out.data ** 2), abs=1e-4)


# ---- arguments ------------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, message", [
    ({"rankdir": "UP"}, "rankdir must be one of"),
    ({"color_by": "size"}, "color_by must be one of"),
    ({"collapse": "neurons"}, "collapse must be one of"),
    ({"max_nodes": 0}, "max_nodes must be a positive integer"),
])
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        draw_dot(lecture(), **kwargs)


def test_root_must_be_a_value():
    with pytest.raises(TypeError, match="root must be a Value, got float"):
        draw_dot(2.0)


def test_a_digraph_shows_inline_in_jupyter_as_svg():
    graph = draw_dot(lecture())
    assert isinstance(graph, autograd.viz.graphviz.Digraph)
    bundle = graph._repr_mimebundle_()
    assert len(nodes(ET.fromstring(bundle["image/svg+xml"]))) == 7


# ---- whole models (nn) ------------------------------------------------------------------------------

def mlp_loss(sizes: list[int], seed: int = 0) -> tuple[Value, object, list[float]]:
    model = MLP(2, sizes, activation="tanh", out_activation="tanh", seed=seed)
    x = [0.5, -1.0]
    E = half_sse(model(x), [0.25] * sizes[-1] if sizes[-1] > 1 else 0.25)
    E.backward()
    return E, model, x


@needs_nn
def test_mlp_graph_has_a_cluster_per_layer_and_neuron():
    E, _, _ = mlp_loss([3, 1])
    svg = svg_of(E)
    assert sorted(clusters(svg)) == sorted(["cluster_layers.0", "cluster_layers.1", "cluster_layers.1.neurons.0"]
                                           + [f"cluster_layers.0.neurons.{j}" for j in range(3)])


@needs_nn
def test_mlp_parameters_show_their_named_parameters_names():
    E, model, _ = mlp_loss([3, 1])
    svg = svg_of(E)
    shown = {label_of(g) for g in nodes(svg).values() if "parameter" in g.get("class")}
    assert shown == {name for name, _ in model.named_parameters()}


@needs_nn
def test_collapsed_mlp_16_16_1_loss_graph_fits_on_one_screen():
    E, model, x = mlp_loss([16, 16, 1])
    with pytest.raises(ValueError, match="max_nodes=500"):
        draw_dot(E, max_nodes=500)
    svg = svg_of(E, collapse="neuron", max_nodes=500)
    assert len(nodes(svg, "group")) == 33
    assert len(nodes(svg, "node")) < 60
    assert sorted(clusters(svg)) == ["cluster_layers.0", "cluster_layers.1", "cluster_layers.2"]
    shown = next(texts(g) for g in nodes(svg, "group").values() if texts(g)[0] == "layers.2.neurons.0")
    a = model(x).data  # the output neuron's activation; ∂E/∂a = a − y for E = ½ (y − a)²
    assert shown[1:4] == [f"data {a:.4f}", f"grad {a - 0.25:.4f}", "17 parameters"]


@needs_nn
def test_collapse_layer_on_mlp_draws_three_layers_linked_by_16_values():
    E, _, _ = mlp_loss([16, 16, 1])
    svg = svg_of(E, collapse="layer")
    assert sorted(texts(g)[0] for g in nodes(svg, "group").values()) == ["layers.0", "layers.1", "layers.2"]
    labels = [texts(g) for g in edge_groups(svg)]
    assert labels.count(["×16"]) == 2


@needs_nn
def test_show_delta_on_an_mlp_matches_nn_delta():
    E, model, x = mlp_loss([3, 2])
    expected = nn.delta.deltas(model, x, [0.25, 0.25])
    shown = {}
    for g in nodes(svg_of(E, show_delta=True)).values():
        if label_of(g) == "in":
            shown[tooltip(g).split("scope ")[1].split("\n")[0]] = delta_shown(g)
    for li, layer in enumerate(expected):
        for j, delta in enumerate(layer):
            assert shown[f"layers.{li}.neurons.{j}"] == pytest.approx(delta, abs=1e-4)


# ---- annotate=: how a model hands its own text down to the picture -------------------------------

def legend_text(svg: ET.Element) -> str:
    return " ".join(texts(next(iter(nodes(svg, "legend").values()))))


def test_an_annotator_adds_its_rows_under_the_nodes_it_chooses():
    svg = svg_of(lecture(), annotate=lambda v: [f"twice {2 * v.data:g}"] if v.label in ("a", "d") else None)
    shown = by_label(svg)
    assert shown["a"] == ["a", "data 2.0000", "grad 6.0000", "twice 4"]
    assert shown["d"] == ["d", "data 4.0000", "grad -2.0000", "twice 8"]
    assert shown["b"] == ["b", "data -3.0000", "grad -4.0000"]


def test_an_annotator_gets_the_users_own_nodes():
    L = lecture()
    seen = []
    draw_dot(L, annotate=lambda v: seen.append(v))
    assert {id(v) for v in seen} == {id(v) for v in autograd.topological_order(L)}


def test_an_annotator_may_return_one_string_and_add_a_legend_line():
    out, _ = roles_graph()
    note = Annotator(lambda v: "before tanh" if v.label == "h" else None, legend="before tanh: the net input")
    svg = svg_of(out, annotate=note)
    assert by_label(svg)["h"][-1] == "before tanh"
    assert "before tanh: the net input" in legend_text(svg)


def test_several_annotators_add_their_rows_in_order():
    svg = svg_of(lecture(), annotate=[lambda v: "first" if v.label == "a" else None,
                                      lambda v: ["second", "third"] if v.label == "a" else None])
    assert by_label(svg)["a"][3:] == ["first", "second", "third"]


@pytest.mark.parametrize("text", HOSTILE)
def test_annotation_text_is_shown_literally(text):
    svg = svg_of(labelled("a"), annotate=lambda v: text if v.label == "b" else None)
    assert len(nodes(svg, "value")) == 3 and len(nodes(svg, "op")) == 1 and len(edges(svg)) == 3
    (b,) = [g for g in nodes(svg).values() if label_of(g) == "b"]
    shown = "bell\\x07" if text == "bell\x07" else text
    assert "\n".join(texts(b)[3:]) == shown


def test_a_collapsed_group_shows_its_members_rows_at_most_four():
    E, _, _ = two_layer_net()
    svg = svg_of(E, collapse="neuron", annotate=lambda v: v.label or None)
    scope = "layers.0.neurons.0"
    group = next(g for g in nodes(svg, "group").values() if texts(g)[0] == scope)
    # Five members are labelled (w.0, w.1, b, in, a); the first four in reading order are shown.
    assert texts(group)[-5:] == [f"{scope}.w.0", f"{scope}.w.1", f"{scope}.b", "in", "… 1 more"]


def test_an_annotator_can_summarise_a_collapsed_group_itself():
    E, _, _ = two_layer_net()
    count = Annotator(lambda v: None, group=lambda members: f"{len(members)} values inside")
    svg = svg_of(E, collapse="neuron", annotate=count)
    group = next(g for g in nodes(svg, "group").values() if texts(g)[0] == "layers.0.neurons.0")
    # w.0, w.1, b, the two products w·x, in and a
    assert texts(group)[-1] == "7 values inside"
    assert tooltip(group) == "layers.0.neurons.0: 7 values drawn as one"


def test_an_annotator_returning_something_else_is_named():
    def wrong(v):
        return 3.0

    with pytest.raises(TypeError, match="the annotator .*wrong must return a str, a list of str or None, got float"):
        draw_dot(lecture(), annotate=wrong)


def test_annotate_must_be_a_function():
    with pytest.raises(TypeError, match="annotate must be a function node -> rows"):
        draw_dot(lecture(), annotate="Δ")


@needs_nn
def test_show_delta_draws_nn_delta_annotate():
    E, _, _ = two_layer_net()
    for collapse in (None, "neuron", "layer"):
        assert (draw_dot(E, show_delta=True, collapse=collapse).source
                == draw_dot(E, annotate=nn.delta.annotate, collapse=collapse).source)
    assert nn.delta.DELTA_LEGEND in legend_text(svg_of(E, show_delta=True)).replace("\n", " ")


@needs_nn
def test_show_delta_on_a_collapsed_layer_lists_its_neurons_deltas():
    E, _, _ = mlp_loss([3, 1])
    svg = svg_of(E, show_delta=True, collapse="layer")
    expected = [f"{d:.4f}" for d in nn.delta.deltas(MLP(2, [3, 1], activation="tanh", out_activation="tanh", seed=0),
                                                      [0.5, -1.0], 0.25)[0]]
    layer = next(g for g in nodes(svg, "group").values() if texts(g)[0] == "layers.0")
    assert f"Δ = −∂E/∂in = [{', '.join(expected)}]" in texts(layer)


def test_importing_autograd_does_not_import_nn():
    code = "import sys, autograd, autograd.viz; print(sorted(m for m in sys.modules if m.split('.')[0] == 'nn'))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_show_delta_without_nn_imported_says_to_import_it_and_still_imports_no_nn():
    code = ("import sys, autograd\n"
            "try:\n    autograd.draw_dot(autograd.Value(1.0) * 2, show_delta=True)\n"
            "except ValueError as err:\n    print(err)\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'nn'))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    message, modules = result.stdout.strip().splitlines()
    assert "show_delta=True draws the Monash Δ that nn provides; import nn first" in message
    assert modules == "[]"


# ---- gradients that are graphs: after backward(create_graph=True) ----------------------------------

def cube() -> tuple[Value, Value]:
    """y = x³ at x = 3 after backward(create_graph=True): dy/dx = 3x² = 27, a Value."""
    x = Value(3.0, label="x")
    y = x * x * x
    y.label = "y"
    y.backward(create_graph=True)
    assert isinstance(x.grad, Value)
    return x, y


def test_after_create_graph_a_gradient_is_drawn_by_its_data_and_marked():
    x, y = cube()
    svg = svg_of(y)
    shown = by_label(svg)
    assert shown["x"] == ["x", "data 3.0000", f"grad {3 * 3.0 ** 2:.4f} (graph)"]
    assert shown["y"] == ["y", "data 27.0000", "grad 1.0000 (graph)"]
    assert "(graph): the gradient is itself a Value with a graph" in legend_text(svg)
    assert "grad = 27.0, the data of a Value" in tooltip(next(g for g in nodes(svg).values() if label_of(g) == "x"))


def test_after_create_graph_color_by_grad_shades_by_the_gradients_data():
    x, y = cube()
    filled = {label_of(g): fill(g) for g in nodes(svg_of(y, color_by="grad")).values() if label_of(g)}
    assert filled == {"x": grad_colour(27.0)[0], "y": grad_colour(1.0)[0]}


def test_after_create_graph_check_finds_every_op_right():
    _, y = cube()
    svg = svg_of(y, check=True, color_by="grad")
    assert not [g for g in nodes(svg, "op").values() if "failed" in g.get("class")]
    assert "check: all 2 ops agree with finite differences" in texts(next(iter(nodes(svg, "legend").values())))


def test_a_plain_gradient_is_not_marked():
    assert "(graph)" not in draw_dot(lecture()).source


@needs_nn
def test_after_create_graph_a_collapsed_mlp_shows_its_deltas():
    model = MLP(2, [3, 2], activation="tanh", out_activation="tanh", seed=0)
    E = half_sse(model([0.5, -1.0]), [0.25, 0.25])
    E.backward(create_graph=True)
    svg = svg_of(E, collapse="neuron", show_delta=True, color_by="grad", check=True)
    expected = nn.delta.deltas(model, [0.5, -1.0], [0.25, 0.25])
    for li, layer in enumerate(expected):
        for j, delta in enumerate(layer):
            group = next(g for g in nodes(svg, "group").values() if texts(g)[0] == f"layers.{li}.neurons.{j}")
            assert "(graph)" in texts(group)[1] + texts(group)[2]
            assert delta_shown(group) == pytest.approx(delta, abs=1e-4)


# ---- the order a reader expects: x0 above x1, neuron 0 above neuron 1 -------------------------------

def position(g: ET.Element) -> tuple[float, float]:
    """(x, y) of a node's first text in the SVG (y grows downwards)."""
    t = next(g.iter(f"{SVG}text"))
    return float(t.get("x")), float(t.get("y"))


@needs_nn
@pytest.mark.parametrize("rankdir", ["LR", "TB"])
def test_collapsed_neurons_and_inputs_are_drawn_in_index_order(rankdir):
    E, _, _ = mlp_loss([16, 16, 1])
    svg = svg_of(E, rankdir=rankdir, collapse="neuron")
    across = 1 if rankdir == "LR" else 0  # LR: top to bottom; TB: left to right
    for layer in ("layers.0", "layers.1"):
        placed = {int(texts(g)[0].rsplit(".", 1)[1]): position(g)[across]
                  for g in nodes(svg, "group").values() if texts(g)[0].startswith(layer + ".")}
        assert sorted(placed, key=placed.get) == list(range(16))
    inputs = {label_of(g): position(g)[across] for g in nodes(svg).values() if label_of(g) in ("x0", "x1")}
    assert inputs["x0"] < inputs["x1"]


def test_the_lecture_neuron_reads_top_to_bottom_in_input_order():
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.backward()
    svg = svg_of(o)
    heights = {label_of(g): position(g)[1] for g in nodes(svg).values() if label_of(g) in ("x1", "w1", "x2", "w2")}
    assert sorted(heights, key=heights.get) == ["x1", "w1", "x2", "w2"]


def test_nodes_are_written_in_reading_order_first_input_first():
    E, _, _ = two_layer_net()
    order = autograd.topological_order(E)
    written = [m.group(1) for m in re.finditer(r"^\t+(v\d+) \[", draw_dot(E, legend=False).source, re.M)]
    labels = [order[int(name[1:])].label for name in written]
    assert labels.index("x0") < labels.index("x1")
    scopes = [order[int(name[1:])].scope for name in written if order[int(name[1:])].scope]
    assert scopes.index("layers.0.neurons.0") < scopes.index("layers.0.neurons.1")


# ---- dense layers: edges shaded by the weight they carry ------------------------------------------------

def group_names(source: str) -> dict[str, str]:
    """{DOT name: scope} of the collapsed groups, read from the DOT source."""
    return {m.group(1): m.group(2) for m in re.finditer(r"\t+(g\d+) \[label=<<TABLE[^>]*><TR><TD[^>]*><B>([^<]*)</B>",
                                                          source)}


@needs_nn
def test_edges_into_a_dense_layer_grow_wider_and_darker_with_the_weight():
    E, model, _ = mlp_loss([4, 4, 1])
    source = draw_dot(E, collapse="neuron").source
    scope = group_names(source)
    drawn = []
    for m in re.finditer(r"^\t(g\d+) -> (g\d+) \[(.*)\]$", source, re.M):
        src, dst, attrs = scope[m.group(1)], scope[m.group(2)], dict(re.findall(r'(\w+)="?([^" ]+)"?', m.group(3)))
        if src.startswith("layers.0.") and dst.startswith("layers.1."):
            i, j = int(src.rsplit(".", 1)[1]), int(dst.rsplit(".", 1)[1])
            weight = abs(model.layers[1].neurons[j].w[i].data)  # neuron j of layer 1 reads neuron i through w_ji
            drawn.append((weight, float(attrs["penwidth"]), autograd.viz.relative_luminance(attrs["color"])))
    assert len(drawn) == 16
    drawn.sort()
    widths, lightness = [w for _, w, _ in drawn], [lum for _, _, lum in drawn]
    assert widths == sorted(widths) and lightness == sorted(lightness, reverse=True)
    assert widths[-1] > 3 * widths[0] and lightness[0] > 10 * lightness[-1]  # the extremes stand apart
    assert "wider and darker for a larger |w|" in legend_text(svg_of(E, collapse="neuron"))


# ---- every text readable: WCAG AA contrast -----------------------------------------------------------------

def test_relative_luminance_and_contrast_ratio_follow_wcag():
    from autograd.viz import contrast_ratio, relative_luminance

    assert relative_luminance("#ffffff") == 1.0 and relative_luminance("black") == 0.0
    # sRGB 128/255 linearised: ((0.50196 + 0.055) / 1.055) ** 2.4 = 0.2158605
    assert relative_luminance("#808080") == pytest.approx(0.2158605, rel=1e-6)
    assert contrast_ratio("black", "white") == pytest.approx(21.0)
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.005)  # the lightest grey passing AA
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.005)  # one step lighter fails


def test_every_gradient_colour_keeps_its_text_readable():
    from autograd.viz import contrast_ratio

    grads = [sign * 10 ** (k / 40) for k in range(-440, 200) for sign in (-1, 1)] + [0.0, math.nan, math.inf, -math.inf]
    worst = min(contrast_ratio(grad_colour(g)[1], grad_colour(g)[0]) for g in grads)
    assert worst >= 4.5


NAMED = {"white": "#ffffff", "black": "#000000"}


def painted(svg: ET.Element) -> list[tuple[str, tuple[float, ...], str]]:
    """The SVG's filled shapes ("shape", bounding box, fill) and texts ("text",
    a point inside the glyphs, colour), in the order they are painted."""
    items: list[tuple[str, tuple[float, ...], str]] = []

    def walk(el: ET.Element, in_edge: bool) -> None:
        in_edge = in_edge or "edge" in (el.get("class") or "").split()
        tag, colour = el.tag.removeprefix(SVG), el.get("fill")
        if tag == "polygon" and not in_edge and colour not in (None, "none", "transparent"):
            xs, ys = zip(*(map(float, p.split(",")) for p in el.get("points").split()))
            items.append(("shape", (min(xs), min(ys), max(xs), max(ys)), NAMED.get(colour, colour)))
        elif tag == "ellipse" and not in_edge and colour not in (None, "none", "transparent"):
            cx, cy, rx, ry = (float(el.get(a)) for a in ("cx", "cy", "rx", "ry"))
            items.append(("shape", (cx - rx, cy - ry, cx + rx, cy + ry), NAMED.get(colour, colour)))
        elif tag == "text" and (el.text or "").strip():
            size = float(el.get("font-size", "11"))
            x = float(el.get("x")) + (1.0 if el.get("text-anchor") == "start" else 0.0)
            items.append(("text", (x, float(el.get("y")) - size / 3), NAMED.get(el.get("fill", "black"))
                          or el.get("fill")))
        for child in el:
            walk(child, in_edge)

    walk(svg, False)
    return items


def text_contrasts(svg: ET.Element) -> list[tuple[float, str, str]]:
    """(contrast ratio, text colour, fill behind it) for every text in the SVG."""
    from autograd.viz import contrast_ratio

    found, shapes = [], []
    for kind, where, colour in painted(svg):
        if kind == "shape":
            shapes.append((where, colour))
            continue
        x, y = where
        behind = next(c for (x0, y0, x1, y1), c in reversed(shapes) if x0 <= x <= x1 and y0 <= y <= y1)
        found.append((contrast_ratio(colour, behind), colour, behind))
    return found


def spread_of_gradients() -> Value:
    """A sum whose inputs' gradients span every shade: exploding, vanishing, both signs, inf."""
    terms = []
    for i, c in enumerate([-1e4, -30.0, -1.0, -1e-3, -1e-6, 1e-9, 1e-6, 1e-3, 0.3, 1.0, 30.0, 1e4]):
        terms.append(Value(1.0, label=f"x{i}") * c)
    big = Value(1e200, label="huge")
    total = autograd.sum(terms) + big * big  # d(big²)/d big = 2e200 and big² = inf
    total.label = "total"
    total.backward()
    return total


def drawings_to_read(bad_square) -> list[ET.Element]:
    out, _ = roles_graph()
    a = Value(3.0, label="a")
    checked = bad_square(a) + a
    E, _, _ = two_layer_net()
    return [svg_of(lecture()), svg_of(out, annotate=lambda v: "note" if v.label == "h" else None),
            svg_of(checked, check=True), svg_of(E, collapse="neuron", show_delta=True, check=True),
            svg_of(E, collapse="layer"), svg_of(E, color_by="grad", show_delta=True),
            svg_of(E, collapse="neuron", color_by="grad"), svg_of(spread_of_gradients(), color_by="grad"),
            svg_of(cube()[1], color_by="grad"), svg_of(cube()[1])]


def test_every_text_in_the_pictures_contrasts_at_least_4_5_to_1_with_its_fill(bad_square):
    pairs = {(text, fill): ratio for svg in drawings_to_read(bad_square) for ratio, text, fill in text_contrasts(svg)}
    assert len(pairs) >= 15  # black on every role fill, white and black on gradient shades, red on an op
    failing = {pair: round(ratio, 2) for pair, ratio in pairs.items() if ratio < 4.5}
    assert failing == {}
