"""The lecture's and micrograd's ways with a Value, on deltagrad's: the
`Value(data, _children, _op, label)` constructor, nodes whose `_backward` is
assigned a closure, `_backward()` on every node, and the Python number habits
and notebook habits a learner brings in the first hour."""

from __future__ import annotations

import math
import sys

import pytest

import autograd
from autograd import REGISTRY, Value

# ---- the constructor -------------------------------------------------------------


def test_micrograds_constructor_takes_children_op_and_label_by_position():
    a, b = Value(2.0), Value(3.0)
    c = Value(5.0, (a, b), "+", "c")
    assert (c.data, c._prev, c._op, c.label) == (5.0, (a, b), "+", "c")


def test_micrograds_constructor_takes_children_op_and_label_by_keyword():
    a = Value(2.0)
    c = Value(4.0, _children=(a,), _op="**2", label="c")
    assert (c.inputs, c.op, c.label) == ((a,), "**2", "c")


def test_a_string_second_argument_is_the_label():
    v = Value(2.0, "x")
    assert (v.label, v._prev, v._op, v.is_leaf()) == ("x", (), "", True)


@pytest.mark.parametrize("children", [lambda a, b: [a, b], lambda a, b: {a}, lambda a, b: (x for x in (a, b))],
                         ids=["list", "set", "generator"])
def test_children_may_be_any_iterable_of_values(children):
    a, b = Value(1.0), Value(2.0)
    c = Value(3.0, children(a, b), "+")
    assert set(c._prev) <= {a, b} and c._prev


def test_a_child_that_is_not_a_value_is_refused_naming_it():
    with pytest.raises(TypeError, match=r"_children must be Values, got 2\.0"):
        Value(3.0, (Value(1.0), 2.0), "+")


def test_an_op_name_that_is_not_a_string_is_refused():
    with pytest.raises(TypeError, match="_op must be a str, got 3"):
        Value(3.0, (Value(1.0),), 3)


# ---- nodes with a hand-written _backward ------------------------------------------

def lecture_tanh(x: Value) -> Value:
    """tanh the lecture's way: a node and its closure."""
    t = (math.exp(2 * x.data) - 1) / (math.exp(2 * x.data) + 1)
    out = Value(t, (x,), "tanh")

    def _backward():
        x.grad += (1 - t ** 2) * out.grad

    out._backward = _backward
    return out


def test_backward_calls_an_assigned_closure_in_topological_order_among_table_nodes():
    # o = tanh(x*w + b) * x with the lecture's tanh; do/dx = (1 - t²)·w·x + t, do/dw = (1 - t²)·x²
    x, w, b = Value(0.5), Value(-1.5), Value(0.3)
    t = lecture_tanh(x * w + b)
    o = t * x
    o.backward()
    dt = 1 - t.data ** 2
    assert t.op == "tanh" and t.grad == 0.5  # its upstream, set before its closure ran
    assert x.grad == pytest.approx(dt * -1.5 * 0.5 + t.data, rel=1e-15)
    assert w.grad == pytest.approx(dt * 0.5 * 0.5, rel=1e-15)
    assert b.grad == pytest.approx(dt * 0.5, rel=1e-15)


def test_a_long_chain_of_hand_written_nodes_backpropagates_without_recursion():
    x = Value(0.5)
    y = x
    n = 3 * sys.getrecursionlimit()
    for _ in range(n):  # y = y + 0 as the lecture writes a node, n times over
        prev = y
        y = Value(prev.data, (prev,), "copy")

        def _backward(prev=prev, out=y):
            prev.grad += out.grad

        y._backward = _backward
    y.backward()
    assert x.grad == 1.0


def test_a_node_without_an_assigned_closure_passes_nothing_back():
    x = Value(2.0)
    y = Value(4.0, (x,), "square")
    y.backward()
    assert (y.grad, x.grad) == (1.0, 0.0)


def test_assigning_a_non_callable_backward_is_refused():
    y = Value(4.0, (Value(2.0),), "square")
    with pytest.raises(TypeError, match="_backward must be a function of no arguments, got 3"):
        y._backward = 3


def test_a_node_of_the_table_can_be_given_a_closure_in_place_of_its_rule():
    x = Value(2.0)
    y = x * x
    y._backward = lambda: setattr(x, "grad", x.grad + 10 * y.grad)
    y.backward()
    assert (y.op, x.grad) == ("*", 10.0)


# ---- _backward() on every node ------------------------------------------------------

def test_backward_of_a_table_node_adds_its_chain_rule_step_once():
    a, b = Value(2.0), Value(-3.0)
    c = a * b
    c.grad = 2.0
    a.grad, b.grad = 1.0, 1.0  # += adds to what is there
    c._backward()
    assert (a.grad, b.grad) == (1.0 + 2.0 * -3.0, 1.0 + 2.0 * 2.0)
    c._backward()
    assert (a.grad, b.grad) == (1.0 + 2 * 2.0 * -3.0, 1.0 + 2 * 2.0 * 2.0)


def test_backward_of_a_node_using_one_input_twice_adds_both_uses():
    a = Value(3.0)
    b = a + a
    b.grad = 1.0
    b._backward()
    assert a.grad == 2.0  # the lecture's `a + a`, after its fix


def test_backward_of_a_leaf_does_nothing():
    a = Value(3.0)
    a.grad = 5.0
    a._backward()
    assert a.grad == 5.0


def test_stepping_by_hand_gives_what_backward_gives():
    # the lecture's manual stepping: o.grad = 1.0; o._backward(); n._backward(); ...
    x1, w1, x2, w2, b = Value(2.0), Value(-3.0), Value(0.0), Value(1.0), Value(6.8813735870195432)
    x1w1, x2w2 = x1 * w1, x2 * w2
    x1w1x2w2 = x1w1 + x2w2
    n = x1w1x2w2 + b
    o = n.tanh()
    o.grad = 1.0
    for node in (o, n, b, x1w1x2w2, x2w2, x1w1):
        node._backward()
    by_hand = [v.grad for v in (x1, w1, x2, w2, b)]
    for v in (x1, w1, x2, w2, b):
        v.grad = 0.0
    o.backward()
    assert by_hand == [v.grad for v in (x1, w1, x2, w2, b)]
    assert by_hand == pytest.approx([-1.5, 1.0, 0.5, 0.0, 0.5], rel=1e-12)  # the lecture's numbers


# ---- Python's number habits ---------------------------------------------------------

def test_format_spec_formats_the_data():
    v = Value(2.0 / 3.0, "x")
    assert (f"{v:.4f}", f"{v:>8.2f}", f"{v:e}") == ("0.6667", "    0.67", f"{2 / 3:e}")


def test_format_without_a_spec_is_the_repr():
    v = Value(1.5, "x")
    assert f"{v}" == repr(v) == "Value(data=1.5, grad=0, label='x')"


def test_item_round_and_unary_plus_work_as_on_numbers():
    v = Value(2.71828)
    assert (v.item(), round(v, 2), round(v)) == (2.71828, 2.72, 3)
    assert type(v.item()) is float and type(round(v)) is int
    assert +v is v


# ---- notebook habits ------------------------------------------------------------------

def test_star_import_leaves_pythons_sum_abs_and_pow_alone():
    namespace: dict = {}
    exec("from autograd import *", namespace)
    exec("total, size, power = sum(range(5), 10), abs(-2), pow(2, 10, 1000)", namespace)
    assert (namespace["total"], namespace["size"], namespace["power"]) == (20, 2, 24)
    assert "Value" in namespace and "tanh" in namespace


def test_autogradss_sum_abs_and_pow_stay_importable_by_name():
    from autograd import abs, pow, sum

    x = Value(-2.0)
    assert (sum([x, x]).data, abs(x).data, pow(x, Value(2.0)).data) == (-4.0, 2.0, 4.0)


def test_storing_a_value_in_data_fails_at_once_naming_the_value_and_what_was_stored():
    w = Value(0.5, "w")
    w.grad = 1.0
    with pytest.raises(TypeError, match=r"label='w'.*\.data must be a real number.*got Value"):
        w.data -= 0.1 * w  # the typo: `* w` where `* w.grad` was meant
    assert w.data == 0.5  # unchanged


@pytest.fixture(scope="module")
def scaled_op_name():
    """The op the parametrised test below registers three times, removed after the last."""
    yield "test_lecture_api_scaled"
    REGISTRY.pop("test_lecture_api_scaled", None)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_defop_in_a_parametrised_test_redefines_the_op_each_time(k, scaled_op_name):
    # No fixture removes it in between: each run of the test registers it again.
    op = autograd.defop(scaled_op_name, lambda x: k * x, derivatives=[lambda x: float(k)])
    x = Value(2.0)
    op(x).backward()
    assert (REGISTRY[scaled_op_name] is op, op(1.0), x.grad) == (True, float(k), float(k))


def test_defop_of_a_builtin_name_is_still_refused():
    with pytest.raises(ValueError, match="'tanh' is a built-in op"):
        autograd.defop("tanh", lambda x: x, derivatives=[lambda x: 1.0])
