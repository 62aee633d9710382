"""The op table (`autograd/ops.py`): every built-in op's forward and local
derivative, checked against central finite differences at points hypothesis
draws from the op's own `domain` (away from its `kinks`), so an op added to the
table is tested without touching this file. Then the same ops through the
Value operators and methods and the `autograd.<fn>` functions, second
derivatives through `backward(create_graph=True)`, and the README's op table.
"""

from __future__ import annotations

import math
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import REGISTRY, Constant, Value
from autograd.ops import builtin_ops, markdown_table

OPS = builtin_ops()
SETTINGS = settings(max_examples=60, deadline=None)


# ---- helpers ---------------------------------------------------------------

def n_inputs(op: autograd.Op) -> int:
    """How many inputs to give the op: its arity, or one per domain entry (n-ary sum)."""
    return len(op.domain) if op.arity is None else op.arity


def points(op: autograd.Op) -> st.SearchStrategy[tuple[float, ...]]:
    """Points of the op's sampled domain, each first input more than 1e-3 from a kink."""
    coords = []
    for i, (lo, hi) in enumerate(op.domain[: n_inputs(op)]):
        coord = st.floats(min_value=lo, max_value=hi, allow_nan=False, allow_infinity=False)
        if i == 0 and op.kinks:
            coord = coord.filter(lambda x, kinks=op.kinks: all(abs(x - k) > 1e-3 for k in kinks))
        coords.append(coord)
    return st.tuples(*coords)


def differentiable(op: autograd.Op) -> list[int]:
    return [i for i in range(n_inputs(op)) if i not in op.nondiff]


def central_difference(fn, xs, i, eps=1e-6):
    """∂fn/∂xs[i] ≈ (fn(.., xᵢ + eps, ..) − fn(.., xᵢ − eps, ..)) / 2 eps."""
    up, down = list(xs), list(xs)
    up[i] += eps
    down[i] -= eps
    return (fn(*up) - fn(*down)) / (2 * eps)


def local_grads(op: autograd.Op, xs) -> list[float]:
    """The op's rule at xs with upstream gradient 1: one gradient per input."""
    return list(op.vjp(1.0, op.forward(*xs), *xs))


def first_derivative(op: autograd.Op, xs, i) -> float:
    """∂op/∂xᵢ at xs by a plain backward()."""
    leaves = [Value(x) for x in xs]
    op(*leaves).backward()
    return leaves[i].grad


def same_float(a: float, b: float) -> bool:
    """Bit-for-bit equal (so 0.0 and -0.0 differ, and NaN equals NaN)."""
    return struct.pack("<d", a) == struct.pack("<d", b)


# How each op is spelled on Values: operators and methods. Nondiff inputs (an
# exponent, a slope) are passed as plain numbers, as a user writes them.
VALUE_FORMS = {
    "+": lambda x, y: x + y,
    "-": lambda x, y: x - y,
    "*": lambda x, y: x * y,
    "/": lambda x, y: x / y,
    "neg": lambda x: -x,
    "**": lambda x, y: x ** y,
    "pow": lambda x, y: x ** y,
    "exp": lambda x: x.exp(),
    "log": lambda x: x.log(),
    "sqrt": lambda x: x.sqrt(),
    "sin": lambda x: x.sin(),
    "cos": lambda x: x.cos(),
    "abs": lambda x: abs(x),
    "tanh": lambda x: x.tanh(),
    "sigmoid": lambda x: x.sigmoid(),
    "relu": lambda x: x.relu(),
    "leaky_relu": lambda x, slope: x.leaky_relu(slope),
    "softplus": lambda x: x.softplus(),
    "sum": lambda *xs: autograd.sum(xs),
}

# `number OP value`: the reflected operators.
REFLECTED_FORMS = {
    "+": lambda x, y: x + y,
    "-": lambda x, y: x - y,
    "*": lambda x, y: x * y,
    "/": lambda x, y: x / y,
    "pow": lambda x, y: x ** y,
}

# The `autograd.<fn>` functions and an independent reference for their value on floats.
FUNCTIONS = {
    "exp": (autograd.exp, math.exp),
    "log": (autograd.log, math.log),
    "sqrt": (autograd.sqrt, math.sqrt),
    "sin": (autograd.sin, math.sin),
    "cos": (autograd.cos, math.cos),
    "abs": (autograd.abs, abs),
    "tanh": (autograd.tanh, math.tanh),
    "sigmoid": (autograd.sigmoid, lambda x: 1 / (1 + math.exp(-x))),
    "relu": (autograd.relu, lambda x: max(x, 0.0)),
    "leaky_relu": (autograd.leaky_relu, lambda x, s: x if x > 0 else s * x),
    "softplus": (autograd.softplus, lambda x: math.log1p(math.exp(x))),
    "pow": (autograd.pow, math.pow),
    "sum": (lambda *xs: autograd.sum(xs), lambda *xs: math.fsum(xs)),
}

by_name = pytest.mark.parametrize("op", OPS, ids=[op.name for op in OPS])


def test_builtin_table_holds_arithmetic_powers_elementary_functions_activations_and_sum():
    required = {"+", "-", "*", "/", "neg", "**", "pow", "exp", "log", "sqrt", "sin", "cos", "abs",
                "tanh", "sigmoid", "relu", "leaky_relu", "softplus", "sum"}
    assert required <= {op.name for op in OPS}
    assert all(REGISTRY[op.name] is op for op in OPS)


def test_every_builtin_op_has_a_value_spelling_under_test():
    # A new op is checked by the table-driven tests at once; this asks for its operator or method too.
    assert {op.name for op in OPS} == set(VALUE_FORMS)


@by_name
def test_op_domain_gives_one_range_per_input(op):
    assert len(op.domain) >= n_inputs(op) >= 1
    assert all(lo < hi for lo, hi in op.domain)


# ---- first derivatives -------------------------------------------------------

@by_name
@SETTINGS
@given(data=st.data())
def test_op_gradient_matches_central_differences(op, data):
    xs = data.draw(points(op))
    leaves = [Value(x) for x in xs]
    op(*leaves).backward()
    for i in differentiable(op):
        numeric = central_difference(op.forward, xs, i)
        assert leaves[i].grad == pytest.approx(numeric, rel=1e-5, abs=1e-6), (op.name, xs, i)


@by_name
@SETTINGS
@given(data=st.data())
def test_op_gives_no_gradient_to_its_constant_inputs(op, data):
    xs = data.draw(points(op))
    leaves = [Value(x) for x in xs]
    op(*leaves).backward()
    assert [leaves[i].grad for i in op.nondiff] == [0.0] * len(op.nondiff)


@by_name
@SETTINGS
@given(data=st.data())
def test_op_on_values_records_the_table_forward_and_inputs(op, data):
    xs = data.draw(points(op))
    leaves = [Value(x) for x in xs]
    out = op(*leaves)
    assert same_float(out.data, op.forward(*xs))
    assert out.op == op.name
    assert out.inputs == tuple(leaves)


@by_name
@SETTINGS
@given(data=st.data())
def test_op_on_floats_returns_the_forward_as_a_float(op, data):
    xs = data.draw(points(op))
    out = op(*xs)
    assert type(out) is float
    assert same_float(out, op.forward(*xs))


@pytest.mark.parametrize("op", [op for op in OPS if op.name in VALUE_FORMS], ids=lambda op: op.name)
@SETTINGS
@given(data=st.data())
def test_value_operator_or_method_applies_the_table_op(op, data):
    xs = data.draw(points(op))
    args = [x if i in op.nondiff else Value(x) for i, x in enumerate(xs)]
    out = VALUE_FORMS[op.name](*args)
    assert out.op == op.name
    assert same_float(out.data, op.forward(*xs))
    out.backward()
    expected = local_grads(op, xs)
    for i in differentiable(op):
        assert args[i].grad == expected[i]


@pytest.mark.parametrize("name", sorted(REFLECTED_FORMS))
@SETTINGS
@given(data=st.data())
def test_reflected_operator_puts_the_number_first(name, data):
    op = REGISTRY[name]
    x, y = data.draw(points(op))
    v = Value(y)
    out = REFLECTED_FORMS[name](x, v)
    assert out.op == name
    assert isinstance(out.inputs[0], Constant) and out.inputs[0].data == x
    assert out.inputs[1] is v
    assert same_float(out.data, op.forward(x, y))
    out.backward()
    assert v.grad == local_grads(op, (x, y))[1]


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
@SETTINGS
@given(data=st.data())
def test_autograd_function_on_floats_equals_the_math_value(name, data):
    fn, reference = FUNCTIONS[name]
    xs = data.draw(points(REGISTRY[name]))
    out = fn(*xs)
    assert type(out) is float
    assert out == pytest.approx(reference(*xs), rel=1e-14, abs=1e-300)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
@SETTINGS
@given(data=st.data())
def test_autograd_function_on_a_value_returns_a_value_in_the_graph(name, data):
    fn, _ = FUNCTIONS[name]
    op = REGISTRY[name]
    xs = data.draw(points(op))
    leaf = Value(xs[0])
    out = fn(leaf, *xs[1:])
    assert isinstance(out, Value)
    assert out.op == name
    assert out.inputs[0] is leaf
    assert same_float(out.data, op.forward(*xs))


def test_autograd_leaky_relu_slope_defaults_to_0_01():
    assert autograd.leaky_relu(-2.0) == -0.02
    assert Value(-2.0).leaky_relu().data == -0.02


def test_autograd_sum_of_nothing_is_zero():
    assert autograd.sum([]) == 0.0


def test_autograd_sum_makes_one_node_with_every_input():
    xs = [Value(float(i)) for i in range(5)]
    total = autograd.sum(xs + [10])
    assert total.op == "sum"
    assert total.inputs[:5] == tuple(xs) and total.inputs[5].data == 10.0
    assert total.data == 20.0
    total.backward()
    assert [x.grad for x in xs] == [1.0] * 5


# ---- the operators compute exactly their table forward -----------------------

finite = st.floats(allow_nan=False, allow_infinity=False)


@pytest.mark.parametrize("name", ["+", "-", "*"])
@settings(max_examples=200, deadline=None)
@given(x=finite, y=finite)
def test_operator_computes_exactly_its_table_forward(name, x, y):
    op = REGISTRY[name]
    spell = VALUE_FORMS[name]
    expected = op.forward(x, y)
    assert same_float(spell(Value(x), Value(y)).data, expected)
    assert same_float(spell(Value(x), y).data, expected)
    assert same_float(spell(x, Value(y)).data, expected)


# ---- ** with a number exponent, ** with a Value exponent ---------------------

def test_power_with_a_number_exponent_is_the_constant_exponent_op():
    x = Value(3.0)
    y = x ** 2
    assert y.op == "**"
    assert isinstance(y.inputs[1], Constant) and y.inputs[1].data == 2.0
    y.backward()
    assert x.grad == 6.0


def test_power_with_a_value_exponent_differentiates_base_and_exponent():
    x, p = Value(3.0), Value(2.0)
    y = x ** p
    assert y.op == "pow"
    y.backward()
    assert x.grad == pytest.approx(6.0)
    assert p.grad == pytest.approx(9.0 * math.log(3.0))


def test_number_to_a_value_power_differentiates_the_exponent():
    p = Value(3.0)
    y = 2 ** p
    assert y.op == "pow" and y.data == 8.0
    y.backward()
    assert p.grad == pytest.approx(8.0 * math.log(2.0))


def test_negative_base_to_an_integer_power_has_the_real_value_and_gradient():
    x = Value(-2.0)
    y = x ** 3
    y.backward()
    assert y.data == -8.0
    assert x.grad == 12.0


# ---- gradients at a kink: relu and abs give 0, leaky_relu its slope (as PyTorch) ----

@pytest.mark.parametrize(("spell", "expected"), [
    (lambda v: v.relu(), 0.0), (lambda v: abs(v), 0.0), (lambda v: v.leaky_relu(0.2), 0.2),
], ids=["relu", "abs", "leaky_relu"])
def test_gradient_at_the_kink_follows_pytorchs_convention(spell, expected):
    x = Value(0.0)
    spell(x).backward()
    assert x.grad == expected


# ---- numerics of sigmoid and softplus ------------------------------------------

@pytest.mark.parametrize(("x", "expected"), [
    (-1000.0, 0.0), (1000.0, 1.0), (-1e300, 0.0), (1e300, 1.0), (0.0, 0.5),
])
def test_sigmoid_is_stable_at_extreme_inputs(x, expected):
    assert Value(x).sigmoid().data == expected


@pytest.mark.parametrize(("x", "expected"), [
    (-1000.0, 0.0), (1000.0, 1000.0), (-1e300, 0.0), (1e300, 1e300), (0.0, math.log(2.0)),
])
def test_softplus_is_stable_at_extreme_inputs(x, expected):
    assert Value(x).softplus().data == expected


@pytest.mark.parametrize("x", [-1000.0, 1000.0, -1e300, 1e300])
def test_sigmoid_and_softplus_gradients_are_finite_at_extreme_inputs(x):
    a, b = Value(x), Value(x)
    a.sigmoid().backward()
    b.softplus().backward()
    assert a.grad == 0.0
    assert b.grad == (1.0 if x > 0 else 0.0)


def test_softplus_keeps_tiny_values_for_very_negative_inputs():
    # log(1 + e^-30) computed naively is 0 in the last digits; log1p keeps it.
    assert Value(-30.0).softplus().data == pytest.approx(math.exp(-30.0), rel=1e-12)


# ---- second derivatives (create_graph=True) --------------------------------------

def second_derivative(op: autograd.Op, xs, i, j) -> float:
    """∂²op/∂xⱼ∂xᵢ by differentiating the create_graph gradient again."""
    leaves = [Value(x) for x in xs]
    op(*leaves).backward(create_graph=True)
    first = leaves[i].grad
    for leaf in leaves:
        leaf.grad = 0.0
    if not isinstance(first, Value):
        return 0.0
    first.backward()
    return leaves[j].grad


@by_name
@SETTINGS
@given(data=st.data())
def test_op_second_derivative_matches_differences_of_its_first(op, data):
    xs = data.draw(points(op))
    for i in differentiable(op):
        for j in differentiable(op):
            numeric = central_difference(lambda *ys, i=i: first_derivative(op, ys, i), xs, j, eps=1e-5)
            assert second_derivative(op, xs, i, j) == pytest.approx(numeric, rel=1e-4, abs=1e-5), (xs, i, j)


@by_name
@SETTINGS
@given(data=st.data())
def test_create_graph_first_derivative_equals_plain_backward(op, data):
    xs = data.draw(points(op))
    plain = [Value(x) for x in xs]
    op(*plain).backward()
    graph = [Value(x) for x in xs]
    op(*graph).backward(create_graph=True)
    for i in differentiable(op):
        assert isinstance(graph[i].grad, Value)
        assert graph[i].grad.data == pytest.approx(plain[i].grad, rel=1e-12, abs=1e-15)


@settings(max_examples=100, deadline=None)
@given(x=st.floats(-4, 4))
def test_tanh_second_derivative_is_minus_2_tanh_times_1_minus_tanh_squared(x):
    t = math.tanh(x)
    assert second_derivative(REGISTRY["tanh"], (x,), 0, 0) == pytest.approx(-2 * t * (1 - t * t), abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(x=st.floats(-5, 5), y=st.floats(-5, 5))
def test_mixed_partial_of_a_product_is_one(x, y):
    assert second_derivative(REGISTRY["*"], (x, y), 0, 1) == 1.0
    assert second_derivative(REGISTRY["*"], (x, y), 1, 0) == 1.0
    assert second_derivative(REGISTRY["*"], (x, y), 0, 0) == 0.0


@settings(max_examples=100, deadline=None)
@given(x=st.floats(-5, 5), y=st.floats(0.5, 5))
def test_mixed_partial_of_a_quotient_is_minus_one_over_y_squared(x, y):
    assert second_derivative(REGISTRY["/"], (x, y), 0, 1) == pytest.approx(-1 / y**2, rel=1e-12)
    assert second_derivative(REGISTRY["/"], (x, y), 1, 1) == pytest.approx(2 * x / y**3, rel=1e-12, abs=1e-12)


def test_second_derivative_of_a_cube_is_6x():
    x = Value(1.5)
    (x ** 3).backward(create_graph=True)
    first = x.grad
    x.grad = 0.0
    first.backward()
    assert first.data == pytest.approx(3 * 1.5**2)
    assert x.grad == pytest.approx(6 * 1.5)


@pytest.mark.parametrize("x", [-2.0, -0.5, 0.0])
def test_second_derivative_of_a_square_at_a_nonpositive_base_is_2(x):
    v = Value(x)
    (v ** 2).backward(create_graph=True)
    first = v.grad
    v.grad = 0.0
    first.backward()
    assert v.grad == 2.0


def test_second_derivative_of_a_square_at_a_negative_base_raises_no_anomaly():
    # The exponent of `x ** 2` is a constant: differentiating its rule again
    # must not take log of the negative base.
    v = Value(-2.0)
    with autograd.detect_anomaly():
        (v ** 2).backward(create_graph=True)
        first = v.grad
        v.grad = 0.0
        first.backward()
    assert v.grad == 2.0


def test_create_graph_gradient_of_sqrt_at_zero_is_infinite_not_an_error():
    x = Value(0.0)
    x.sqrt().backward(create_graph=True)
    assert x.grad.data == math.inf


def test_create_graph_gradient_of_a_fractional_power_at_zero_is_infinite_not_an_error():
    x = Value(0.0)
    (x ** 0.5).backward(create_graph=True)
    assert x.grad.data == math.inf


def test_create_graph_gradient_of_zero_to_the_power_zero_is_zero_not_nan():
    x, p = Value(0.0), Value(0.0)
    (x ** p).backward(create_graph=True)
    assert x.grad.data == 0.0
    assert p.grad.data == 0.0


def test_plain_gradient_of_sqrt_and_fractional_power_at_zero_is_infinite():
    a, b = Value(0.0), Value(0.0)
    a.sqrt().backward()
    (b ** 0.5).backward()
    assert a.grad == math.inf and b.grad == math.inf


# ---- the README's op table ---------------------------------------------------

def test_markdown_table_has_one_row_per_builtin_op():
    lines = markdown_table().splitlines()
    assert lines[0] == "| op | inputs | local derivative | sampled domain | compiles |"
    assert lines[1] == "|---|---|---|---|---|"
    assert [line.split("|")[1].strip() for line in lines[2:]] == [f"`{op.name}`" for op in OPS]


def test_markdown_table_rows_show_each_ops_formula_and_arity():
    rows = markdown_table().splitlines()[2:]
    for op, row in zip(OPS, rows):
        cells = [c.strip() for c in row.split("|")[1:-1]]
        assert cells[1] == ("n" if op.arity is None else str(op.arity))
        assert cells[2] == op.formula and op.formula


def test_markdown_table_excludes_custom_ops(register):
    op = register("test_ops_cube", lambda x: x ** 3, derivatives=[lambda x: 3 * x ** 2])
    assert "test_ops_cube" not in markdown_table()
    assert "`test_ops_cube`" in markdown_table([op])
