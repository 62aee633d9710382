"""The engine at the edges of its ops' domains: NaN and ±inf, poles, overflow in
backward, sums that overflow, create_graph where a mode is on. Each value is the
exact one (or PyTorch's, where torch is installed: `make test` installs it)."""

from __future__ import annotations

import itertools
import math
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import Value, check_ops, gradcheck, no_grad
from autograd.ops import builtin_ops

NAN, INF = math.nan, math.inf


def same(a: float, b: float) -> bool:
    """Equal as IEEE numbers, NaN equal to NaN, to 1e-12 relative."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b or abs(a - b) <= 1e-12 * max(abs(a), abs(b))


# ---- NaN passes through, never hides ------------------------------------------

@pytest.mark.parametrize("apply", [Value.relu, Value.abs, lambda v: v.leaky_relu(0.1), Value.tanh, Value.sigmoid],
                         ids=["relu", "abs", "leaky_relu", "tanh", "sigmoid"])
def test_a_nan_input_gives_a_nan_output(apply):
    assert math.isnan(apply(Value(NAN)).data)


def test_a_hinge_of_a_nan_score_is_nan_not_a_perfect_zero():
    score = Value(NAN)
    assert math.isnan((1 + -1.0 * score).relu().data)


def test_relu_passes_the_upstream_gradient_at_a_nan_input_as_pytorch():
    x = Value(NAN)
    x.relu().backward()
    assert x.grad == 1.0  # PyTorch's threshold_backward: 0 where the output is <= 0, else the gradient


# ---- a zero branch selects, so an infinite upstream gives 0 ---------------------

def test_relu_of_a_negative_input_under_an_infinite_upstream_gives_zero_not_nan():
    x = Value(-1.0)
    x.relu().sqrt().backward()  # sqrt'(0) = inf arrives at relu, whose input is negative
    assert x.grad == 0.0


def test_leaky_relu_of_a_positive_input_gives_its_slope_no_gradient_even_under_an_infinite_upstream():
    x, s = Value(0.0), Value(0.1)
    y = autograd.leaky_relu(x + 1.0, s) - 1.0  # 0 at x = 0 ...
    y.sqrt().backward()  # ... so the upstream is inf
    assert x.grad == INF and s.grad == 0.0


# ---- leaky_relu's slope --------------------------------------------------------

def test_a_value_slope_of_leaky_relu_gets_its_gradient():
    x, s = Value(-2.0), Value(0.1)
    autograd.leaky_relu(x, s).backward()
    assert (x.grad, s.grad) == (0.1, -2.0)  # ∂(s·x)/∂s = x for x <= 0


def test_a_number_slope_of_leaky_relu_is_a_constant():
    x = Value(-2.0)
    y = x.leaky_relu(0.1)
    y.backward()
    assert x.grad == 0.1
    assert isinstance(y.inputs[1], autograd.Constant)


# ---- poles: derivatives infinite where the function is finite ------------------

def test_first_and_second_derivative_of_sqrt_at_zero_are_inf_and_minus_inf():
    x = Value(0.0)
    x.sqrt().backward(create_graph=True)
    first = x.grad
    x.grad = 0.0
    first.backward()
    assert (first.data, x.grad) == (INF, -INF)  # PyTorch: inf, -inf


@pytest.mark.parametrize("p", [0.5, 1 / 3, 0.75])
def test_second_derivative_of_a_power_below_one_at_zero_is_minus_inf(p):
    x = Value(0.0)
    (x ** p).backward(create_graph=True)
    first = x.grad
    x.grad = 0.0
    first.backward()
    assert (first.data, x.grad) == (INF, -INF)


def test_the_gradient_of_an_overflowing_power_is_minus_inf_not_an_overflow_error():
    x = Value(1e-300)
    (x ** -1).backward()  # d/dx x^-1 = -x^-2 overflows
    assert x.grad == -INF


def test_the_gradient_of_a_zeroth_power_is_exactly_zero_even_where_x_to_the_minus_one_overflows():
    x = Value(5e-324)
    (x ** 0).backward()
    assert x.grad == 0.0


def test_anomaly_mode_names_the_op_of_an_infinite_gradient_at_a_pole():
    x = Value(0.0)
    with autograd.detect_anomaly():
        y = x.sqrt()
        with pytest.raises(FloatingPointError, match="op 'sqrt' produced an infinite gradient"):
            y.backward()


# ---- create_graph where a mode is on -------------------------------------------

def test_create_graph_inside_no_grad_still_builds_the_gradients_graph():
    x = Value(3.0)
    y = x ** 3
    with no_grad():
        y.backward(create_graph=True)
    first = x.grad
    x.grad = 0.0
    first.backward()
    assert (first.data, x.grad) == (27.0, 18.0)  # PyTorch: 27, 18


def test_create_graph_gives_graph_valued_gradients_even_on_a_zero_branch():
    x = Value(-1.0)
    x.relu().backward(create_graph=True)
    assert isinstance(x.grad, Value) and x.grad.data == 0.0
    x.grad.backward()  # a graph of constants: nothing to propagate, no error


def test_a_hand_written_step_cannot_be_differentiated_twice_and_says_so():
    x = Value(2.0)
    out = Value(x.data ** 2, (x,), "square")

    def _backward():
        x.grad += 2 * x.data * out.grad

    out._backward = _backward
    with pytest.raises(TypeError, match="hand-written _backward.*defop"):
        out.backward(create_graph=True)


# ---- sums ----------------------------------------------------------------------

@pytest.mark.parametrize("xs", [[1e308, 1e308, -1e308], [1e308, 1e308], [-INF, INF], [INF, 1.0], [NAN, 1.0],
                                [-1e308, -1e308, 5.0]])
def test_sum_agrees_with_repeated_addition_on_overflow_and_non_finite_inputs(xs):
    expected = 0.0
    for x in xs:
        expected += x
    assert same(autograd.sum([Value(x) for x in xs]).data, expected)


def test_sum_of_finite_inputs_is_exactly_rounded():
    # Plain left-to-right addition gives 0.0 here: 1e16 + 1 rounds back to 1e16.
    assert autograd.sum([Value(1e16), Value(1.0), Value(-1e16)]).data == 1.0


def test_sum_with_a_repeated_input_adds_one_gradient_per_use():
    x, y = Value(2.0), Value(5.0)
    autograd.sum([x, y, x, x]).backward()
    assert (x.grad, y.grad) == (3.0, 1.0)


# ---- overflow and domain errors name the op ------------------------------------

@pytest.mark.parametrize(("make", "error", "message"), [
    (lambda: Value(INF).sin(), ValueError, r"sin\(inf\): sin is not defined at ±inf"),
    (lambda: Value(-INF).cos(), ValueError, r"cos\(-inf\): cos is not defined at ±inf"),
    (lambda: Value(1e300) ** 2, OverflowError, r"\*\*\(1e\+300, 2.0\): the result overflows a float"),
    (lambda: Value(1000.0).exp(), OverflowError, "exp"),
])
def test_a_domain_error_names_the_op_and_its_operand(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_multiplication_overflows_to_inf_as_documented():
    x = Value(1e300)
    assert (x * x).data == INF


# ---- the checks report what they cannot check ----------------------------------

def test_check_ops_lists_the_exponent_of_a_negative_base_as_not_checked():
    report = check_ops(Value(-2.0) ** Value(3.0))
    assert report.ok
    (base, exponent) = report.rows
    assert base.checked and base.analytic == 12.0  # 3·(−2)²
    assert not exponent.checked and "no finite difference" in exponent.note
    assert "(1 not checked)" in report.table()


def test_gradcheck_lists_an_input_with_no_finite_difference_as_not_checked():
    report = gradcheck(lambda x, y: x ** y, [-2.0, 3.0])
    assert [r.checked for r in report.rows] == [True, False]
    assert report.rows[0].ok


# ---- grad nests ----------------------------------------------------------------

def test_grad_of_grad_is_the_second_derivative():
    f = lambda x: x ** 3 + x.sin()  # noqa: E731
    x = 1.3
    d2 = autograd.grad(autograd.grad(f))(x)
    d3 = autograd.grad(autograd.grad(autograd.grad(f)))(x)
    assert d2 == pytest.approx(6 * x - math.sin(x), rel=1e-14)
    assert d3 == pytest.approx(6 - math.cos(x), rel=1e-14)


def test_nested_grad_leaves_no_gradient_behind_on_the_outer_input():
    x = Value(2.0)
    first = autograd.grad(lambda v: v * v * v)(x)  # a Value: 3x², a graph of x
    assert first.data == 12.0 and x.grad == 0.0


def test_graphs_pickle_with_their_ops():
    x = Value(2.0, "x")
    y = (x * 3.0 + 1.0).tanh()
    z = pickle.loads(pickle.dumps(y))
    z.backward()
    assert z.op == "tanh" and z.data == y.data


# ---- every op at the edges, against PyTorch -------------------------------------

SPECIAL = [NAN, INF, -INF, 0.0, -0.0, 5e-324, -5e-324, 1e-300, 1e300, -1e300, 1.0, -1.0, 2.5, 0.5]
SEEDS = [1.0, -1.0, INF, NAN, 0.0]

# Where we knowingly differ from PyTorch, and why:
KNOWN = {
    # −g·ans/y (ours) against PyTorch's −g·x/y², where y² underflows to 0 or overflows
    # to inf and PyTorch's quotient becomes 0/0 or inf/inf, NaN.
    ("/", 1): lambda xs, seed: not 1e-154 < abs(xs[1]) < 1e154,
    # At y = 0 ours keeps y·x^(y−1) as a function of y (for second derivatives), so an
    # infinite or NaN upstream times 0·x⁻¹ is NaN; PyTorch's `where` selects 0.
    ("pow", 0): lambda xs, seed: xs[1] == 0.0 and not math.isfinite(seed),
}


def _torch_forms():
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle here: pip install torch==2.13.0")
    F = torch.nn.functional
    return torch, {
        "+": lambda x, y: x + y, "-": lambda x, y: x - y, "*": lambda x, y: x * y, "/": lambda x, y: x / y,
        "neg": lambda x: -x, "**": lambda x, y: x ** y, "pow": torch.pow, "exp": torch.exp, "log": torch.log,
        "sqrt": torch.sqrt, "sin": torch.sin, "cos": torch.cos, "abs": torch.abs, "tanh": torch.tanh,
        "sigmoid": torch.sigmoid, "relu": torch.relu, "softplus": F.softplus,
        "leaky_relu": lambda x, s: F.leaky_relu(x, float(s)),  # the slope's own gradient is checked above
    }


@pytest.mark.parametrize("op", [op for op in builtin_ops() if op.name != "sum"], ids=lambda op: op.name)
def test_every_op_at_special_points_matches_pytorch_wherever_it_is_defined(op):
    torch, forms = _torch_forms()
    for xs in itertools.product(SPECIAL, repeat=op.arity):
        for seed in SEEDS:
            ours = [Value(x) for x in xs]
            try:
                out = op(*ours)
            except (ValueError, ZeroDivisionError, OverflowError):
                continue  # a documented domain error where PyTorch gives NaN or inf
            out.backward(seed)
            theirs = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
            constant = op.name in ("**", "leaky_relu")  # PyTorch takes these as numbers
            ref = forms[op.name](theirs[0], xs[1]) if constant else forms[op.name](*theirs)
            ref.backward(torch.tensor(seed, dtype=torch.float64))
            assert same(out.data, ref.item()), (op.name, xs)
            for i in range(1 if constant else op.arity):
                if KNOWN.get((op.name, i), lambda *_: False)(xs, seed):
                    continue
                assert same(ours[i].grad, theirs[i].grad.item()), (op.name, xs, seed, i)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=6),
       st.sampled_from(SEEDS))
def test_sum_matches_repeated_addition_or_is_closer_to_the_exact_sum(xs, seed):
    leaves = [Value(x) for x in xs]
    out = autograd.sum(leaves)
    plain = 0.0
    for x in xs:
        plain += x
    if all(map(math.isfinite, xs)) and math.isfinite(plain):
        assert out.data == math.fsum(xs)  # correctly rounded
    else:
        assert same(out.data, plain)
    out.backward(seed)
    assert all(same(v.grad, seed) for v in leaves)  # ∂Σ/∂xᵢ = 1, selected: even an inf seed arrives whole


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([op for op in builtin_ops() if op.arity == 1]), st.sampled_from(SPECIAL + [-2.0, 3.0]),
       st.sampled_from(SEEDS))
def test_no_op_crashes_in_backward_at_a_special_point_of_its_domain(op, x, seed):
    leaf = Value(x)
    try:
        out = op(leaf)
    except (ValueError, ZeroDivisionError, OverflowError):
        return
    out.backward(seed)  # a number always: inf or NaN at worst, never an exception
    assert isinstance(leaf.grad, float)
