"""Drawing graphs of any micrograd-style class: micrograd 0.1.0's own Value, and
the Value a learner writes in the micrograd lecture (micrograd_style's, built
the way the lecture builds it: `_prev = set(_children)`, `_op`, `label`,
closures for `_backward`)."""

from __future__ import annotations

import re
import sys
import xml.etree.ElementTree as ET

import pytest
from micrograd_style import LectureValue, lecture_neuron, lecture_value_class, readme_example, trace

from autograd import draw_dot, render, to_svg
from autograd.viz import grad_colour

SVG = "{http://www.w3.org/2000/svg}"


# ---- reading a picture back -----------------------------------------------------------

def svg_nodes(svg: ET.Element, kind: str) -> dict[str, ET.Element]:
    return {g.find(f"{SVG}title").text: g for g in svg.iter(f"{SVG}g")
            if "node" in (g.get("class") or "").split() and kind in (g.get("class") or "").split()}


def texts(g: ET.Element) -> list[str]:
    return [t.text or "" for t in g.iter(f"{SVG}text")]


def svg_edges(svg: ET.Element) -> list[tuple[str, str]]:
    return [tuple(g.find(f"{SVG}title").text.split("->")) for g in svg.iter(f"{SVG}g")
            if "edge" in (g.get("class") or "").split()]


def boxes(svg: ET.Element) -> dict[str, list[str]]:
    """{label: [data text, grad text]} of the labelled value boxes."""
    return {t[0]: t[1:] for t in (texts(g) for g in svg_nodes(svg, "value").values()) if not t[0].startswith("data")}


# ---- the lecture's own Value ---------------------------------------------------------------

def test_the_lecture_neuron_draws_with_the_lectures_numbers():
    o, _ = lecture_neuron()
    svg = ET.fromstring(to_svg(o))
    # The lecture's values after o.backward(): o = 0.7071, do/dn = 1 − o² = 0.5, and so on down.
    expected = {"x1": (2.0, -1.5), "x2": (0.0, 0.5), "w1": (-3.0, 1.0), "w2": (1.0, 0.0), "b": (6.8814, 0.5),
                "x1*w1": (-6.0, 0.5), "x2*w2": (0.0, 0.5), "x1*w1 + x2*w2": (-6.0, 0.5), "n": (0.8814, 0.5),
                "o": (0.7071, 1.0)}
    assert boxes(svg) == {k: [f"data {d:.4f}", f"grad {g:.4f}"] for k, (d, g) in expected.items()}


def test_the_lecture_neurons_ops_come_from_op_and_sit_between_inputs_and_output():
    o, _ = lecture_neuron()
    svg = ET.fromstring(to_svg(o))
    label = {name: texts(g)[0] for name, g in svg_nodes(svg, "value").items()}
    op = {name: texts(g)[0] for name, g in svg_nodes(svg, "op").items()}
    wiring = set()
    for src, dst in svg_edges(svg):
        if dst in op:
            out = next(o for s, o in svg_edges(svg) if s == dst)
            wiring.add((label[src], op[dst], label[out]))
    assert wiring == {("x1", "*", "x1*w1"), ("w1", "*", "x1*w1"), ("x2", "*", "x2*w2"), ("w2", "*", "x2*w2"),
                      ("x1*w1", "+", "x1*w1 + x2*w2"), ("x2*w2", "+", "x1*w1 + x2*w2"),
                      ("x1*w1 + x2*w2", "+", "n"), ("b", "+", "n"), ("n", "tanh", "o")}


def test_a_micrograd_style_node_says_so_in_its_tooltip():
    o, _ = lecture_neuron()
    source = draw_dot(o).source
    assert "a micrograd-style LectureValue" in source
    assert "the _op of a micrograd-style LectureValue" in source


class ChosenHash:
    """A hash decided by the test, so that the test decides the order in which
    each `_prev` set iterates."""

    sign = 1
    made = 0

    def __init__(self, *args, **kwargs):
        cls = type(self)
        cls.made += 1
        self._hash = 1000 + cls.sign * cls.made
        super().__init__(*args, **kwargs)

    def __hash__(self):
        return self._hash


ChosenHashValue = lecture_value_class("ChosenHashValue", ChosenHash)


def test_children_kept_in_a_set_are_drawn_in_the_same_order_whatever_order_the_set_has():
    ChosenHashValue.sign = 1
    forwards, nodes_f = lecture_neuron(ChosenHashValue)
    ChosenHashValue.sign = -1
    backwards, nodes_b = lecture_neuron(ChosenHashValue)
    iterated = lambda nodes: {k: [c.label for c in v._prev] for k, v in nodes.items()}  # noqa: E731
    assert iterated(nodes_f) != iterated(nodes_b)  # the sets really iterate in different orders
    assert draw_dot(forwards).source == draw_dot(backwards).source


def test_children_kept_in_a_set_are_written_in_the_order_of_their_labels():
    o, _ = lecture_neuron()
    source = draw_dot(o).source
    written = [m.group(1) for m in re.finditer(r"<TR><TD>([^<]+)</TD><TD>data", source)]
    assert written.index("w1") < written.index("x1")  # "w1" < "x1": the set's order is replaced by the labels'
    assert written.index("x1*w1") < written.index("x2*w2")


class TupleChildren:
    """Children kept in a tuple, in operand order, as some learners write their Value."""

    def __init__(self, data, _children=(), _op="", label=""):
        super().__init__(data, _children, _op, label)
        self._prev = tuple(_children)


TupleValue = lecture_value_class("TupleValue", TupleChildren)


def test_children_kept_in_a_tuple_keep_their_order():
    o, _ = lecture_neuron(TupleValue)
    written = [m.group(1) for m in re.finditer(r"<TR><TD>([^<]+)</TD><TD>data", draw_dot(o).source)]
    assert written.index("x1") < written.index("w1") < written.index("x2") < written.index("w2")


def test_color_by_grad_and_params_work_on_a_micrograd_style_graph():
    o, by_label = lecture_neuron()
    svg = ET.fromstring(to_svg(o, color_by="grad", params=[by_label["w1"], by_label["w2"], by_label["b"]]))
    for g in svg_nodes(svg, "value").values():
        label = texts(g)[0]
        if label in by_label:
            polygon = next(p for p in g.iter(f"{SVG}polygon") if p.get("fill") not in (None, "none"))
            assert polygon.get("fill") == grad_colour(by_label[label].grad)[0]
    roles = {texts(g)[0]: g.get("class").split()[-1] for g in svg_nodes(svg, "value").values()}
    assert sorted(k for k, role in roles.items() if role == "parameter") == ["b", "w1", "w2"]


def test_a_micrograd_style_graph_renders_to_png(tmp_path):
    o, _ = lecture_neuron()
    assert render(o, tmp_path / "neuron.png").read_bytes().startswith(b"\x89PNG")


# ---- no recursion, and the size guard before anything is read --------------------------------

def chain(length: int, cls=LectureValue) -> LectureValue:
    x = cls(1.0, label="x")
    for _ in range(length):
        x = x + 1.0
    return x


def test_a_chain_deeper_than_the_recursion_limit_draws():
    deep = chain(1500)  # 3001 values, 1500 ops: far past the 1000 recursive calls Python allows
    assert sys.getrecursionlimit() < 3001
    source = draw_dot(deep, max_nodes=10_000, legend=False).source
    assert source.count("class=op") == 1500


def test_a_huge_micrograd_style_graph_is_refused_before_any_node_is_read():
    deep = chain(100_000)
    node = deep
    for _ in range(50_000):
        node = next(child for child in node._prev if child._prev)  # down the chain, past the constants
    node.data = "not a number"  # reading this node would raise TypeError
    with pytest.raises(ValueError, match=r"300001 nodes, more than max_nodes=2000"):  # 200001 values, 100000 ops
        draw_dot(deep)


# ---- clear errors ---------------------------------------------------------------------------

def test_a_non_number_in_data_is_named():
    o, by_label = lecture_neuron()
    by_label["w1"].data = by_label["w1"]  # the typo w.data -= 0.1 * w stores a Value
    with pytest.raises(TypeError, match="draw_dot: LectureValue 'w1' holds a LectureValue in .data"):
        draw_dot(o)


def test_a_child_that_is_not_a_node_is_named():
    o, by_label = lecture_neuron()
    by_label["n"]._prev = {by_label["b"], 3.0}
    with pytest.raises(TypeError, match="LectureValue 'n' has a float in _prev"):
        draw_dot(o)


class WrongTanh:
    """The classic slip: tanh's derivative written as 1 − t."""

    def tanh(self):
        out = super().tanh()
        t = out.data

        def _backward():
            self.grad += (1 - t) * out.grad
        out._backward = _backward
        return out


WrongTanhValue = lecture_value_class("WrongTanhValue", WrongTanh)


def test_check_marks_a_learners_wrong_backward_in_red_and_only_that_node():
    o, _ = lecture_neuron(WrongTanhValue)
    svg = ET.fromstring(to_svg(o, check=True))
    failed = [g for g in svg_nodes(svg, "op").values() if "#d62728" in ET.tostring(g, encoding="unicode")]
    assert [texts(g) for g in failed] == [["tanh", "∂/∂n: analytic 0.292893, numeric 0.5"]]  # 1 − t against 1 − t²
    right, _ = lecture_neuron()
    assert "#d62728" not in to_svg(right, check=True)


def test_an_object_that_is_no_node_is_refused():
    with pytest.raises(TypeError, match="root must be a Value, got dict; a micrograd-style node"):
        draw_dot({"data": 1.0})


# ---- micrograd 0.1.0's own Value ------------------------------------------------------------------

micrograd_engine = pytest.importorskip("micrograd.engine")
micrograd_nn = pytest.importorskip("micrograd.nn")
MicrogradValue = micrograd_engine.Value


def test_micrograds_readme_graph_draws_with_its_published_numbers():
    g = readme_example(MicrogradValue)["g"]
    g.backward()
    svg = ET.fromstring(to_svg(g))
    values = [texts(n) for n in svg_nodes(svg, "value").values()]
    all_nodes, all_edges = trace(g)
    assert len(values) == len(all_nodes)
    assert ["data -4.0000", "grad 138.8338"] in values  # a (micrograd's Value has no label)
    assert ["data 2.0000", "grad 645.5773"] in values  # b
    assert ["data 24.7041", "grad 1.0000"] in values  # g
    ops = sorted(texts(n)[0] for n in svg_nodes(svg, "op").values())
    assert ops == sorted(v._op for v in all_nodes if v._prev)
    # micrograd draws one edge per (child, parent) pair plus one from each op to its output
    assert len(svg_edges(svg)) == len(all_edges) + len(ops)


def relu_neuron() -> MicrogradValue:
    """relu(x1*w1 + x2*w2 + b) in micrograd, with numbers whose sums are exact in
    any order (micrograd's backward adds in its sets' order, which varies)."""
    x1, x2, w1, w2, b = (MicrogradValue(v) for v in (2.0, 0.5, -3.0, 4.0, 7.5))
    out = (x1 * w1 + x2 * w2 + b).relu()
    out.backward()
    return out


def test_a_micrograd_graph_built_twice_draws_the_same_dot_source():
    # New objects, new ids, so each `_prev` set may iterate in another order
    # (test_children_kept_in_a_set_... forces that with chosen hashes).
    first, second = relu_neuron(), relu_neuron()
    assert draw_dot(first).source == draw_dot(second).source


def test_a_micrograd_mlps_parameters_are_drawn_as_parameters():
    model = micrograd_nn.MLP(2, [3, 1])
    loss = (model([MicrogradValue(0.5), MicrogradValue(-1.0)]) - 1.0) ** 2
    loss.backward()
    svg = ET.fromstring(to_svg(loss, params=model))
    roles = [g.get("class").split()[-1] for g in svg_nodes(svg, "value").values()]
    assert roles.count("parameter") == len(model.parameters()) == 13
