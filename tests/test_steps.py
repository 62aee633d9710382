"""`backward_steps`: backpropagation as data, checked against `backward()` itself."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from micrograd_style import lecture_expression

import autograd
from autograd import Value, backward_steps, topological_order
from nn import MLP, delta
from nn.losses import half_sse


def backward_grads(root: Value) -> dict[Value, float]:
    """{Value: .grad} after root.backward(), every .grad put back afterwards."""
    nodes = topological_order(root)
    saved = [v.grad for v in nodes]
    root.backward()
    grads = {v: v.grad for v in nodes}
    for v, g in zip(nodes, saved):
        v.grad = g
    return grads


def last_after(steps) -> dict[Value, float]:
    found = {}
    for step in steps:
        for x in step.inputs:
            found[x.value] = x.after
    return found


# ---- the lecture's expression ---------------------------------------------------------------

def test_the_lecture_expression_steps_in_backward_order_with_the_seeds_captions():
    v = lecture_expression()
    steps = backward_steps(v["L"])
    assert [s.node for s in steps] == [v["L"], v["d"], v["e"]]
    assert [s.upstream for s in steps] == [1.0, -2.0, -2.0]
    last = steps[-1]
    a_in, b_in = last.inputs
    assert (a_in.value, a_in.local, a_in.contribution, a_in.before, a_in.after) == (v["a"], -3.0, 6.0, 0.0, 6.0)
    assert (b_in.value, b_in.local, b_in.contribution, b_in.after) == (v["b"], 2.0, -4.0, -4.0)
    assert last.caption.startswith("∂L/∂a += ∂L/∂e · ∂e/∂a = (−2.0000) · (−3.0000) = 6.0000")
    assert "∂L/∂b += ∂L/∂e · ∂e/∂b = (−2.0000) · 2.0000 = −4.0000" in last.caption


def test_forward_steps_come_first_in_reading_order_and_show_the_data():
    v = lecture_expression()
    steps = backward_steps(v["L"], forward=True)
    assert [s.kind for s in steps] == ["forward"] * 3 + ["backward"] * 3
    assert [s.node for s in steps[:3]] == [v["e"], v["d"], v["L"]]
    assert steps[0].caption == "e = a · b = 2.0000 · (−3.0000) = −6.0000"
    assert all(s.upstream is None and all(x.after is None for x in s.inputs) for s in steps[:3])


def test_computing_the_steps_leaves_every_grad_as_it_was():
    v = lecture_expression()
    v["a"].grad, v["e"].grad, v["f"].grad = 0.25, 7.0, None
    before = {k: x.grad for k, x in v.items()}
    backward_steps(v["L"], forward=True)
    assert {k: x.grad for k, x in v.items()} == before


def test_a_reused_value_gets_two_contributions_and_a_running_sum():
    x = Value(3.0, "x")
    y = x * x
    y.label = "y"
    (step,) = backward_steps(y)
    first, second = step.inputs
    assert (first.contribution, first.before, first.after) == (3.0, 0.0, 3.0)
    assert (second.contribution, second.before, second.after) == (3.0, 3.0, 6.0)
    assert "(sum 6.0000)" in step.caption


def test_a_leaf_starts_from_its_current_grad_as_backward_accumulates():
    v = lecture_expression()
    v["a"].grad = 1.5
    a_in = backward_steps(v["L"])[-1].inputs[0]
    assert (a_in.before, a_in.after) == (1.5, 7.5)
    assert a_in.after == backward_grads(v["L"])[v["a"]]


def test_a_number_exponent_is_shown_as_not_differentiated():
    x = Value(3.0, "x")
    y = x ** 2
    y.label = "y"
    (step,) = backward_steps(y)
    assert step.inputs[1].contribution is None and step.inputs[1].local is None
    assert "∂y/∂2: not differentiated" in step.caption
    assert step.inputs[0].contribution == 6.0


def test_unlabelled_nodes_are_named_by_a_short_sub_expression_or_their_index():
    x, w = Value(2.0, "x"), Value(-3.0, "w")
    out = (x * w + 1.0).tanh()
    steps = backward_steps(out)
    names = [steps.names[s.node] for s in steps]
    assert names[-1] == "x·w"  # one level deep: a·b, tanh(n)
    assert names[0] == f"v{topological_order(out).index(out)}"
    assert steps.names[out.inputs[0].inputs[1]] == "1"  # a constant by its number


def test_a_lecture_node_with_a_hand_written_backward_is_measured_by_running_it():
    x = Value(0.5, "x")
    t = math.tanh(x.data)
    out = Value(t, (x,), "tanh", label="o")

    def _backward():
        x.grad += (1 - t ** 2) * out.grad

    out._backward = _backward
    y = out * 2.0
    y.label = "y"
    steps = backward_steps(y)
    x_in = steps[-1].inputs[0]
    assert x_in.after == backward_grads(y)[x]
    assert x_in.local == pytest.approx(1 - t ** 2, rel=1e-15)
    assert x.grad == 0.0 and out.grad == 0.0


def test_str_is_a_table_with_a_row_per_input_and_the_captions():
    text = str(backward_steps(lecture_expression()["L"]))
    assert text.splitlines()[0].split()[:6] == ["#", "step", "node", "op", "∂L/∂node", "input"]
    assert "∂L/∂a += ∂L/∂e · ∂e/∂a = (−2.0000) · (−3.0000) = 6.0000" in text
    assert len([line for line in text.splitlines() if " backward " in line]) == 3


def test_bad_arguments_are_named():
    with pytest.raises(TypeError, match="root must be a Value"):
        backward_steps(3.0)
    with pytest.raises(ValueError, match="collapse must be None or 'neuron', got 'layer'"):
        backward_steps(lecture_expression()["L"], collapse="layer")


# ---- random graphs: the steps are backward() -----------------------------------------------

UNARY = {"tanh": lambda a: a.tanh(), "sigmoid": lambda a: a.sigmoid(), "exp": lambda a: (a * 0.1).exp(),
         "neg": lambda a: -a, "relu": lambda a: a.relu(), "sin": lambda a: a.sin()}
BINARY = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
          "/": lambda a, b: a / (b * b + 1.0), "**2": lambda a, b: a ** 2}


@st.composite
def graphs(draw: st.DrawFn) -> tuple[Value, list[Value]]:
    """A random graph over 1-4 leaves whose nodes are often reused (any earlier node may be read again)."""
    leaves = [Value(draw(st.floats(-2, 2, allow_nan=False)), f"x{i}") for i in range(draw(st.integers(1, 4)))]
    nodes = list(leaves)
    for _ in range(draw(st.integers(1, 12))):
        a = draw(st.sampled_from(nodes))
        if draw(st.booleans()):
            nodes.append(UNARY[draw(st.sampled_from(sorted(UNARY)))](a))
        else:
            nodes.append(BINARY[draw(st.sampled_from(sorted(BINARY)))](a, draw(st.sampled_from(nodes))))
    return nodes[-1], leaves


@settings(max_examples=60, deadline=None)
@given(graphs(), st.booleans())
def test_the_last_after_of_every_value_is_what_backward_gives_bit_for_bit(graph, start_nonzero):
    root, leaves = graph
    if start_nonzero:
        for i, leaf in enumerate(leaves):
            leaf.grad = 0.5 * (i + 1)
    before = {v: v.grad for v in topological_order(root)}
    steps = backward_steps(root)
    assert {v: v.grad for v in topological_order(root)} == before  # nothing touched
    expected = backward_grads(root)
    for value, after in last_after(steps).items():
        assert after == expected[value] or (math.isnan(after) and math.isnan(expected[value]))
    assert len(steps) == sum(not v.is_leaf() for v in topological_order(root))
    for step in steps:
        assert step.upstream == expected[step.node] or step.node is root


@settings(max_examples=30, deadline=None)
@given(graphs())
def test_steps_of_a_graph_made_by_create_graph_reproduce_backward(graph):
    root, leaves = graph
    root.backward(create_graph=True)
    gradient = leaves[0].grad  # a Value: the graph of ∂root/∂x0
    if not isinstance(gradient, Value) or gradient.is_leaf():
        return
    for v in topological_order(gradient):
        if v.is_leaf():
            v.grad = 0.0
    expected = backward_grads(gradient)
    for value, after in last_after(backward_steps(gradient)).items():
        assert after == expected[value] or (math.isnan(after) and math.isnan(expected[value]))


@settings(max_examples=40, deadline=None)
@given(graphs())
def test_forward_steps_recompute_every_nodes_data_from_its_inputs(graph):
    root, _ = graph
    forward = [s for s in backward_steps(root, forward=True) if s.kind == "forward"]
    done: set[Value] = set()
    for step in forward:
        assert all(x.value.is_leaf() or x.value in done for x in step.inputs)  # inputs computed first
        op = autograd.REGISTRY[step.op]
        assert op.forward(*[x.value.data for x in step.inputs]) == step.node.data
        done.add(step.node)
    assert len(forward) == sum(not v.is_leaf() for v in topological_order(root))


# ---- neuron by neuron: the Monash Δ -------------------------------------------------------

@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 3), min_size=1, max_size=3), st.integers(0, 10_000),
       st.sampled_from(["sigmoid", "tanh", "linear"]))
def test_neuron_steps_give_the_monash_deltas_of_nn_delta(hidden, seed, activation):
    rng = np.random.default_rng(seed)
    model = MLP(2, [*hidden, 2], activation=activation, out_activation="sigmoid", seed=seed)
    x, y = rng.uniform(-1, 1, 2).tolist(), rng.uniform(0, 1, 2).tolist()
    E = half_sse(model([Value(xi, f"x{i}") for i, xi in enumerate(x)]), y)
    E.label = "E"
    steps = backward_steps(E, collapse="neuron")
    by_scope = {s.scope: s for s in steps if s.scope}
    expected = delta.deltas(model, x, y)
    for li, layer_deltas in enumerate(expected):
        for j, d in enumerate(layer_deltas):
            assert by_scope[f"layers.{li}.neurons.{j}"].delta == pytest.approx(d, rel=1e-12, abs=1e-15)
    # From the output layer back, neuron 0 first in each layer.
    assert list(by_scope) == [f"layers.{li}.neurons.{j}" for li in reversed(range(len(expected)))
                              for j in range(len(expected[li]))]
    grads = backward_grads(E)
    for value, after in last_after(steps).items():
        assert after == grads[value]
    for p in model.parameters():
        assert p.grad == 0.0


def test_a_neuron_step_names_its_weight_gradients_and_delta_in_its_caption():
    model = MLP(2, [1], activation="sigmoid", out_activation="sigmoid", seed=0)
    E = half_sse(model([0.5, -1.0]), 1.0)
    E.label = "E"
    (neuron,) = [s for s in backward_steps(E, collapse="neuron") if s.scope]
    assert neuron.scope == "layers.0.neurons.0" and neuron.net_input.label == "in"
    (d,) = delta.deltas(model, [0.5, -1.0], [1.0])[0]
    assert neuron.caption.startswith("layers.0.neurons.0: Δ = −∂E/∂in = g′(in) · (−∂E/∂a) = ")
    assert f"= {d:.4f}".replace("-", "−") in neuron.caption
    grads = {x.value.label: x.contribution for x in neuron.inputs}
    assert grads["layers.0.neurons.0.w.0"] == pytest.approx(-0.5 * d, rel=1e-12)  # ∂E/∂w_i = −a_i Δ
    assert grads["layers.0.neurons.0.b"] == pytest.approx(-d, rel=1e-12)
