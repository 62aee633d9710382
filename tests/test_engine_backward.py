"""`backward()`: fresh propagation, leaf accumulation, reuse of a node, the
seed, deep graphs without recursion, graphs freed by reference counting alone,
and `topological_order`."""

from __future__ import annotations

import gc
import math
import sys
import threading
import weakref

import pytest

import autograd
from autograd import Constant, Value, topological_order


@pytest.fixture
def gc_disabled():
    """The cyclic garbage collector off for the test, restored after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def small_graph():
    """y = tanh(a*b + a) with its intermediates; the gradients are known in closed form."""
    a, b = Value(0.5, label="a"), Value(-1.5, label="b")
    ab = a * b
    s = ab + a
    y = s.tanh()
    return a, b, ab, s, y


def expected_small_graph_grads():
    a, b = 0.5, -1.5
    dy_ds = 1 - math.tanh(a * b + a) ** 2
    return {"a": dy_ds * (b + 1), "b": dy_ds * a, "ab": dy_ds, "s": dy_ds, "y": 1.0}


# ---- the chain rule ------------------------------------------------------------

def test_backward_gives_every_node_its_gradient():
    a, b, ab, s, y = small_graph()
    y.backward()
    expected = expected_small_graph_grads()
    got = {"a": a.grad, "b": b.grad, "ab": ab.grad, "s": s.grad, "y": y.grad}
    assert got == pytest.approx(expected, rel=1e-15)


def test_second_backward_leaves_non_leaf_grads_at_one_calls_value():
    a, b, ab, s, y = small_graph()
    y.backward()
    once = (ab.grad, s.grad, y.grad)
    y.backward()
    assert (ab.grad, s.grad, y.grad) == once


def test_second_backward_exactly_doubles_leaf_grads():
    a, b, ab, s, y = small_graph()
    y.backward()
    once = (a.grad, b.grad)
    y.backward()
    assert (a.grad, b.grad) == (2 * once[0], 2 * once[1])


def test_backward_resets_stale_non_leaf_grads():
    a, b, ab, s, y = small_graph()
    ab.grad = s.grad = 99.0
    y.backward()
    assert (ab.grad, s.grad) == pytest.approx((expected_small_graph_grads()["ab"],) * 2, rel=1e-15)


def test_backward_from_an_intermediate_node_leaves_the_rest_untouched():
    a, b, ab, s, y = small_graph()
    ab.backward()
    assert (a.grad, b.grad, ab.grad) == (-1.5, 0.5, 1.0)
    assert (s.grad, y.grad) == (0.0, 0.0)


def test_node_used_twice_in_a_product_gets_both_paths():
    a = Value(3.0)
    (a * a).backward()
    assert a.grad == 6.0


def test_node_used_twice_in_a_sum_gets_both_paths():
    a = Value(3.0)
    (a + a).backward()
    assert a.grad == 2.0


def test_diamond_graph_accumulates_every_path():
    # d = (2a) * (a + 1): dd/da = 2(a + 1) + 2a = 4a + 2
    a = Value(1.5)
    b = a * 2
    c = a + 1
    d = b * c
    d.backward()
    assert a.grad == 4 * 1.5 + 2
    assert (b.grad, c.grad) == (2.5, 3.0)


def test_shared_intermediate_is_propagated_once_with_its_full_gradient():
    # h = x² is used by three consumers: y = h + h*h + tanh(h)
    x = Value(0.7)
    h = x * x
    y = h + h * h + h.tanh()
    y.backward()
    hv = 0.49
    dh = 1 + 2 * hv + (1 - math.tanh(hv) ** 2)
    assert h.grad == pytest.approx(dh, rel=1e-15)
    assert x.grad == pytest.approx(dh * 2 * 0.7, rel=1e-15)


def test_backward_seed_scales_every_gradient():
    a, b, ab, s, y = small_graph()
    y.backward(2.5)
    expected = {k: 2.5 * v for k, v in expected_small_graph_grads().items()}
    got = {"a": a.grad, "b": b.grad, "ab": ab.grad, "s": s.grad, "y": y.grad}
    assert got == pytest.approx(expected, rel=1e-15)


def test_backward_seed_accepts_any_real_number():
    x = Value(2.0)
    (x * 3).backward(grad=2)
    assert x.grad == 6.0


def test_backward_seed_of_a_non_number_raises_type_error():
    with pytest.raises(TypeError, match="got str"):
        (Value(2.0) * 3).backward("1")


def test_backward_on_a_leaf_accumulates_the_seed():
    x = Value(2.0)
    x.backward()
    assert x.grad == 1.0
    x.backward(2.0)
    assert x.grad == 3.0


def test_constants_receive_their_gradient_too():
    x = Value(2.0)
    y = x * 5
    y.backward()
    assert y.inputs[1].grad == 2.0


def test_gradients_of_separate_graphs_sharing_a_leaf_add_up():
    x = Value(2.0)
    (x * 3).backward()
    (x * x).backward()
    assert x.grad == 3.0 + 4.0


def test_leaf_reset_by_hand_starts_afresh():
    x = Value(2.0)
    y = x * x
    y.backward()
    x.grad = 0.0
    y.backward()
    assert x.grad == 4.0


def test_nary_sum_node_propagates_to_every_input():
    xs = [Value(float(i)) for i in range(4)]
    total = autograd.sum([x * x for x in xs])
    total.backward()
    assert [x.grad for x in xs] == [0.0, 2.0, 4.0, 6.0]


def test_backward_in_several_threads_at_once_gives_each_its_own_gradients():
    def work(k):
        x = Value(float(k))
        for _ in range(200):
            x.grad = 0.0
            y = (x * x + x).tanh() * k
            y.backward()
        return x.grad, k * (1 - math.tanh(k * k + k) ** 2) * (2 * k + 1)

    results = {}
    threads = [threading.Thread(target=lambda k=k: results.__setitem__(k, work(k))) for k in range(1, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results) == [1, 2, 3, 4]
    for got, expected in results.values():
        assert got == pytest.approx(expected, rel=1e-12, abs=1e-300)
    assert gc.isenabled()


# ---- deep graphs: no recursion ----------------------------------------------------

@pytest.fixture
def default_recursion_limit():
    """CPython's default recursion limit (1000) for the test, whatever another module set."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    try:
        yield
    finally:
        sys.setrecursionlimit(limit)


@pytest.mark.slow
def test_million_node_chain_backpropagates_under_the_default_recursion_limit(default_recursion_limit):
    x = Value(0.5)
    y = x
    for _ in range(1_000_000):
        y = y + x  # y = (n + 1) x
    y.backward()
    assert y.data == 500_000.5
    assert x.grad == 1_000_001.0
    ref = weakref.ref(y.inputs[0])
    del y  # freeing the chain must not recurse either
    assert ref() is None


def test_deep_chain_gradient_through_nonlinear_ops():
    # y = tanh applied 20,000 times to 0.1 stays small; dy/dx is the product of (1 - tanh²).
    x = Value(0.1)
    y = x
    for _ in range(20_000):
        y = y.tanh()
    y.backward()
    v, product = 0.1, 1.0
    for _ in range(20_000):
        v = math.tanh(v)
        product *= 1 - v * v
    assert x.grad == pytest.approx(product, rel=1e-9)


def test_topological_order_of_a_deep_chain_needs_no_recursion(default_recursion_limit):
    x = Value(1.0)
    y = x
    for _ in range(50_000):
        y = y * 1.0
    order = topological_order(y)
    assert len(order) == 1 + 2 * 50_000  # x, and a constant and a node per step
    assert order[-1] is y
    assert sum(1 for v in order if isinstance(v, Constant)) == 50_000
    assert x in set(order)


def test_topological_order_puts_inputs_before_their_results_once_each():
    a, b, ab, s, y = small_graph()
    order = topological_order(y)
    assert len(order) == len(set(order)) == 5
    position = {v: i for i, v in enumerate(order)}
    for v in order:
        for x in v.inputs:
            assert position[x] < position[v]


def test_topological_order_does_not_depend_on_object_ids():
    # micrograd's order follows a set of children, so it varies with id(); this one must not.
    orders = [[(v.label, v.op, v.data) for v in topological_order(small_graph()[-1])] for _ in range(5)]
    assert all(order == orders[0] for order in orders)


# ---- no reference cycles ------------------------------------------------------------

def test_dropped_graph_is_freed_by_reference_counting_alone(gc_disabled):
    x = Value(2.0)
    y = ((x * 3.0 + 1.0).tanh() * x).exp()
    refs = [weakref.ref(v) for v in topological_order(y) if v is not x]
    del y
    assert [r() for r in refs] == [None] * len(refs)


def test_graph_is_freed_by_reference_counting_after_backward(gc_disabled):
    x = Value(2.0)
    y = ((x * 3.0 + 1.0).tanh() * x).exp()
    y.backward()
    refs = [weakref.ref(v) for v in topological_order(y) if v is not x]
    del y
    assert [r() for r in refs] == [None] * len(refs)
    assert x.grad != 0.0


def test_graph_built_under_modes_is_freed_by_reference_counting(gc_disabled):
    x = Value(2.0)
    with autograd.detect_anomaly(), autograd.name_scope("layer"):
        y = (x * 3.0).sigmoid()
        y.backward()
    ref = weakref.ref(y.inputs[0])
    del y
    assert ref() is None


def test_micrograd_graph_survives_until_the_cyclic_collector_runs(gc_disabled):
    # The peer's closures refer to their own output: a dropped graph is a cycle.
    MicrogradValue = pytest.importorskip("micrograd.engine").Value

    x = MicrogradValue(2.0)
    y = (x * 3.0 + 1.0).relu() * x
    ref = weakref.ref(y)
    del y
    assert ref() is not None
    gc.collect()
    assert ref() is None


# backward(create_graph=True) pauses the garbage collector while it builds the
# gradients' graph; the user's setting must come back whatever happens.

def test_backward_leaves_an_enabled_garbage_collector_enabled():
    assert gc.isenabled()
    (Value(2.0) * 3).tanh().backward(create_graph=True)
    assert gc.isenabled()


def test_backward_leaves_a_disabled_garbage_collector_disabled(gc_disabled):
    (Value(2.0) * 3).tanh().backward(create_graph=True)
    assert not gc.isenabled()


def test_backward_leaves_the_garbage_collector_enabled_when_it_raises():
    assert gc.isenabled()
    x = Value(0.0)
    with autograd.detect_anomaly():
        y = x.sqrt()
        with pytest.raises(FloatingPointError):
            y.backward(create_graph=True)
    assert gc.isenabled()


# ---- create_graph -----------------------------------------------------------------

def test_create_graph_makes_gradients_values():
    x = Value(3.0)
    y = x * x * x
    y.backward(create_graph=True)
    assert isinstance(x.grad, Value)
    assert x.grad.data == 27.0


def test_create_graph_gradient_can_be_differentiated_twice_more():
    # y = x⁴: y' = 4x³, y'' = 12x², y''' = 24x
    x = Value(2.0)
    (x ** 4).backward(create_graph=True)
    d1 = x.grad
    x.grad = 0.0
    d1.backward(create_graph=True)
    d2 = x.grad
    x.grad = 0.0
    d2.backward()
    assert (d1.data, d2.data, x.grad) == (32.0, 48.0, 48.0)


def test_create_graph_seed_scales_the_gradient():
    x = Value(3.0)
    (x * x).backward(grad=0.5, create_graph=True)
    assert x.grad.data == 3.0


def test_create_graph_gradient_of_a_gradient_with_two_inputs():
    # f = x² y: ∂f/∂x = 2xy, ∂²f/∂y∂x = 2x
    x, y = Value(3.0), Value(-2.0)
    (x * x * y).backward(create_graph=True)
    dfdx = x.grad
    x.grad = y.grad = 0.0
    dfdx.backward()
    assert dfdx.data == -12.0
    assert (x.grad, y.grad) == (-4.0, 6.0)
