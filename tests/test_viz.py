"""The graph pictures: what `draw_dot` draws, read back from the SVG that `dot`
lays out (parsed as XML) and, for cluster membership, from the DOT source."""

from __future__ import annotations

import inspect
import itertools
import math
import re
import time
import xml.etree.ElementTree as ET

import pytest

import autograd
from autograd import Value, draw_dot, to_svg
from autograd.viz import grad_colour

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


def edges(svg: ET.Element) -> list[tuple[str, str]]:
    return [tuple(g.find(f"{SVG}title").text.split("->")) for g in svg.iter(f"{SVG}g") if g.get("class") == "edge"]


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
    a, b, c, f = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c"), Value(-2.0, label="f")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    L = d * f
    L.label = "L"
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
\tv0 [label=<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4" BGCOLOR="#e6e6e6"><TR><TD></TD>\
<TD>data 2.0000</TD><TD>grad 3.0000</TD></TR></TABLE>> class="value constant" fontcolor=black margin=0 \
shape=plaintext tooltip="(no label): constant
data = 2.0
grad = 3.0"]
\tv1 [label=<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4" BGCOLOR="#cfe5f7"><TR><TD>x</TD>\
<TD>data 3.0000</TD><TD>grad 2.0000</TD></TR></TABLE>> class="value input" fontcolor=black margin=0 \
shape=plaintext tooltip="x: input
data = 3.0
grad = 2.0"]
\tv2 [label=<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4" BGCOLOR="#c6eac6"><TR><TD>y</TD>\
<TD>data 6.0000</TD><TD>grad 1.0000</TD></TR></TABLE>> class="value output" fontcolor=black margin=0 \
shape=plaintext tooltip="y: output
data = 6.0
grad = 1.0"]
\tv2_op [label=<*> class=op fillcolor="#f4f4f4" height=0.35 shape=ellipse style=filled \
tooltip="*: ∂/∂x = y, ∂/∂y = x" width=0.5]
\tv2_op -> v2
\tv1 -> v2_op
\tv0 -> v2_op
}
"""


def test_dot_source_of_a_small_graph_matches_the_golden_text():
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
    (edge,) = [g for g in svg.iter(f"{SVG}g") if g.get("class") == "edge"
               and g.find(f"{SVG}title").text.count("g") == 2]
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

def test_a_graph_past_max_nodes_raises_quickly_suggesting_collapse():
    x = Value(1.0)
    for _ in range(100_000):
        x = x + 1.0
    start = time.perf_counter()
    with pytest.raises(ValueError, match=r"300001 nodes, more than max_nodes=2000; pass collapse="):
        draw_dot(x)
    assert time.perf_counter() - start < 2.0


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
    labels = [texts(g) for g in svg.iter(f"{SVG}g") if g.get("class") == "edge"]
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
