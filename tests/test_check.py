"""Gradient checking (`gradcheck`, `check_ops`), the functional API (`grad`,
`value_and_grad`) and custom ops (`defop`), including a deliberately wrong one
that gradcheck catches and the per-op check pinpoints."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import REGISTRY, CheckReport, GradcheckError, Value, check_ops, defop, gradcheck


@pytest.fixture
def wrong_square(register):
    """x² with the derivative 3x: wrong everywhere but at 0."""
    return register("test_check_wrong_square", lambda x: x * x, derivatives=[lambda x: 3 * x])


# ---- gradcheck ----------------------------------------------------------------

def test_gradcheck_passes_a_correct_function():
    report = gradcheck(lambda x, y: (x * y).tanh() + y.exp() / x, [0.7, -0.3])
    assert report.ok and bool(report)
    assert [r.where for r in report.rows] == ["x0", "x1"]


def test_gradcheck_rows_hold_the_analytic_and_numeric_derivatives():
    report = gradcheck(lambda x, y: x * x * y, [3.0, 2.0])
    analytic = [r.analytic for r in report.rows]
    numeric = [r.numeric for r in report.rows]
    assert analytic == [12.0, 9.0]
    assert numeric == pytest.approx([12.0, 9.0], rel=1e-8)
    assert all(r.abs_error == abs(r.analytic - r.numeric) for r in report.rows)


def test_gradcheck_names_inputs_by_their_labels():
    report = gradcheck(lambda w, b: w * b, [Value(2.0, label="w"), Value(3.0, label="b")])
    assert [r.where for r in report.rows] == ["w", "b"]


def test_gradcheck_leaves_the_given_values_untouched():
    w = Value(2.0)
    gradcheck(lambda x: x * x, [w])
    assert (w.data, w.grad) == (2.0, 0.0)


def test_gradcheck_accepts_a_single_number_as_the_inputs():
    report = gradcheck(lambda x: x.sin(), 0.5)
    assert report.ok and report.rows[0].analytic == math.cos(0.5)


def test_gradcheck_of_a_function_independent_of_its_input_is_zero():
    report = gradcheck(lambda x: 3.0, [1.0])
    assert report.ok
    assert (report.rows[0].analytic, report.rows[0].numeric) == (0.0, 0.0)


def test_gradcheck_rejects_a_result_that_is_not_a_number():
    with pytest.raises(TypeError, match="got str"):
        gradcheck(lambda x: "no", [1.0])


def test_gradcheck_report_repr_is_a_table_with_every_column():
    report = gradcheck(lambda x, y: x * y, [Value(3.0, label="x"), Value(2.0, label="y")])
    lines = repr(report).splitlines()
    assert lines[0].endswith(": all ok")
    assert lines[1].split() == ["input", "analytic", "numeric", "abs", "error", "rel", "error", "ok"]
    assert set(lines[2]) <= {"-", " "}
    assert lines[3].split()[:2] == ["x", "2"] and lines[3].split()[-1] == "ok"
    assert lines[4].split()[:2] == ["y", "3"] and lines[4].split()[-1] == "ok"
    assert float(lines[3].split()[2]) == pytest.approx(2.0, rel=1e-8)


def doubled_with_a_wrong_gradient(x):
    """2x plus a term that is 0 in value but 0.5x in the graph (a detach trick):
    a function whose analytic gradient (2.5) disagrees with its numeric one (2)."""
    half = x * 0.5
    return x * 2 + (half - half.detach())


def test_gradcheck_report_table_marks_failures():
    report = gradcheck(doubled_with_a_wrong_gradient, [1.5])
    assert not report.ok
    lines = repr(report).splitlines()
    assert lines[0] == "gradcheck of doubled_with_a_wrong_gradient: 1 of 1 FAILED"
    assert lines[-1].split()[:2] == ["x0", "2.5"] and lines[-1].split()[-1] == "FAIL"
    assert str(report) == repr(report)
    assert "<pre>" in report._repr_html_()


def test_gradcheck_raise_on_fail_raises_gradcheck_error_with_the_report():
    with pytest.raises(GradcheckError) as info:
        gradcheck(doubled_with_a_wrong_gradient, [1.5], raise_on_fail=True)
    report = info.value.report
    assert isinstance(report, CheckReport) and not report.ok
    row = report.rows[0]
    assert (row.analytic, row.numeric) == (2.5, pytest.approx(2.0))
    assert (row.abs_error, row.rel_error) == (pytest.approx(0.5), pytest.approx(0.2))  # relative to the larger
    assert str(info.value) == repr(report)


def test_gradcheck_error_is_an_assertion_error():
    assert issubclass(GradcheckError, AssertionError)


def test_gradcheck_raise_on_fail_returns_the_report_when_all_agree():
    assert gradcheck(lambda x: x * x, [2.0], raise_on_fail=True).ok


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"eps": 0.0}, "eps must be a finite number > 0"), ({"eps": -1e-6}, "eps must be"),
    ({"eps": math.nan}, "eps must be"),
    ({"atol": -1.0}, "atol must be"), ({"rtol": math.inf}, "rtol must be"), ({"rtol": "1e-4"}, "rtol must be"),
])
def test_gradcheck_validates_its_tolerances(kwargs, message):
    with pytest.raises(ValueError, match=message):
        gradcheck(lambda x: x * x, [1.0], **kwargs)


def test_check_ops_validates_its_tolerances():
    with pytest.raises(ValueError, match="eps must be a finite number > 0"):
        check_ops(Value(1.0) * 2, eps=0)


def test_gradcheck_tolerances_decide_the_verdict():
    # x³ at 1 with eps = 0.1: the central difference is 3 + eps² = 3.01.
    loose = gradcheck(lambda x: x ** 3, [1.0], eps=0.1, atol=0.02, rtol=0.0)
    strict = gradcheck(lambda x: x ** 3, [1.0], eps=0.1, atol=0.005, rtol=0.0)
    assert loose.rows[0].numeric == pytest.approx(3.01)
    assert (loose.ok, strict.ok) == (True, False)


# ---- check_ops -------------------------------------------------------------------

def test_check_ops_has_one_row_per_differentiable_input_of_every_op_node():
    x, y = Value(0.5), Value(2.0)
    root = (x * y + x ** 2).tanh()
    report = check_ops(root)
    ops = [r.where.split()[1] for r in report.rows]
    assert sorted(ops) == sorted(["*", "*", "**", "+", "+", "tanh"])  # ** skips its constant exponent
    assert report.ok
    assert len(report.nodes) == len(report.rows)


def test_check_ops_passes_a_point_at_a_kink_naming_the_one_sided_derivatives():
    report = check_ops(Value(0.0).relu())
    assert report.ok
    assert report.rows[0].note == "relu at 0: one-sided derivatives 0 and 1"


def test_check_ops_uses_node_labels_in_row_names():
    y = Value(2.0) * 3
    y.label = "scaled"
    assert check_ops(y).rows[0].where == "scaled * ∂/∂in0"


def test_check_ops_of_a_leaf_is_empty_and_ok():
    report = check_ops(Value(1.0))
    assert report.rows == [] and report.ok


@settings(max_examples=40, deadline=None)
@given(x=st.floats(0.1, 3), y=st.floats(0.1, 3))
def test_check_ops_passes_every_builtin_op_in_a_mixed_graph(x, y):
    a, b = Value(x), Value(y)
    root = autograd.sum([
        (a / b).log(), (a ** b).sqrt(), a.sin() * b.cos(), abs(a - 4.0), a.sigmoid() + b.softplus(),
        a.leaky_relu(0.1), (-b).relu(), (a * 0.1).exp(), (b ** 2).tanh(),
    ])
    assert check_ops(root).ok


# ---- custom ops ------------------------------------------------------------------

def test_defop_with_derivatives_works_on_floats_and_values(register):
    cube = register("test_check_cube", lambda x: x ** 3, derivatives=[lambda x: 3 * x ** 2])
    assert cube(2.0) == 8.0 and type(cube(2.0)) is float
    x = Value(2.0)
    y = cube(x)
    assert (y.op, y.data, y.inputs) == ("test_check_cube", 8.0, (x,))
    y.backward()
    assert x.grad == 12.0


def test_defop_with_a_vjp_works_on_two_inputs(register):
    hypot = register("test_check_hypot", lambda x, y: math.hypot(x, y),
                     lambda g, ans, x, y: (g * x / ans, g * y / ans))
    assert hypot.arity == 2
    a, b = Value(3.0), Value(4.0)
    h = hypot(a, b)
    h.backward()
    assert (h.data, a.grad, b.grad) == (5.0, 0.6, 0.8)


def test_defop_with_derivatives_of_two_inputs(register):
    op = register("test_check_xy2", lambda x, y: x * y * y, derivatives=[lambda x, y: y * y, lambda x, y: 2 * x * y])
    a, b = Value(3.0), Value(2.0)
    op(a, b).backward()
    assert (a.grad, b.grad) == (4.0, 12.0)


def test_custom_op_is_registered_and_passes_gradcheck_like_a_builtin(register):
    cube = register("test_check_cube2", lambda x: x ** 3, derivatives=[lambda x: 3 * x ** 2])
    assert REGISTRY["test_check_cube2"] is cube
    assert gradcheck(lambda x: cube(x).tanh(), [0.4]).ok
    assert check_ops(cube(Value(0.4)).tanh()).ok


def test_custom_op_written_with_table_functions_has_a_second_derivative(register):
    # softsign-like: x / (1 + x²), derivative (1 - x²) / (1 + x²)²; second 2x(x² - 3) / (1 + x²)³
    op = register("test_check_rational", lambda x: x / (1 + x * x),
                  derivatives=[lambda x: (1 - x * x) / (1 + x * x) ** 2])
    x = Value(0.5)
    op(x).backward(create_graph=True)
    first = x.grad
    x.grad = 0.0
    first.backward()
    assert first.data == pytest.approx(0.75 / 1.25 ** 2)
    assert x.grad == pytest.approx(2 * 0.5 * (0.25 - 3) / 1.25 ** 3)


def test_custom_op_domain_error_names_the_op_and_operand(register):
    op = register("test_check_recip", lambda x: 1 / x, derivatives=[lambda x: -1 / (x * x)],
                  explain=lambda x: "reciprocal of zero")
    with pytest.raises(ZeroDivisionError, match=r"^test_check_recip\(0\.0\): reciprocal of zero$"):
        op(Value(0.0))


def test_custom_op_domain_error_without_explain_keeps_the_original_message(register):
    op = register("test_check_log2", lambda x: math.log2(x), derivatives=[lambda x: 1 / (x * math.log(2))])
    with pytest.raises(ValueError, match=r"^test_check_log2\(-1\.0\): math domain error$"):
        op(-1.0)


def test_defop_again_redefines_a_custom_op_as_rerunning_a_notebook_cell_does(register):
    register("test_check_dup", lambda x: x, derivatives=[lambda x: 1.0])
    again = register("test_check_dup", lambda x: 3 * x, derivatives=[lambda x: 3.0])
    assert REGISTRY["test_check_dup"] is again and again(2.0) == 6.0


def test_defop_rejects_a_builtin_name():
    with pytest.raises(ValueError, match="'exp' is a built-in op and cannot be redefined"):
        defop("exp", lambda x: x, derivatives=[lambda x: 1.0])
    assert REGISTRY["exp"] is autograd.exp


def test_defop_replace_redefines_an_op(register):
    register("test_check_rep", lambda x: x, derivatives=[lambda x: 1.0])
    new = register("test_check_rep", lambda x: 2 * x, derivatives=[lambda x: 2.0], replace=True)
    assert REGISTRY["test_check_rep"] is new and new(3.0) == 6.0


@pytest.mark.parametrize("kwargs", [{}, {"vjp": lambda g, ans, x: g, "derivatives": [lambda x: 1.0]}],
                         ids=["neither", "both"])
def test_defop_needs_exactly_one_of_vjp_and_derivatives(kwargs):
    with pytest.raises(TypeError, match="exactly one of vjp= or derivatives="):
        defop("test_check_bad_args", lambda x: x, **kwargs)
    assert "test_check_bad_args" not in REGISTRY


@pytest.mark.parametrize("name", ["", None, 3])
def test_defop_rejects_a_name_that_is_not_a_non_empty_string(name):
    with pytest.raises(ValueError, match="defop: the name must be a non-empty string"):
        defop(name, lambda x: x, derivatives=[lambda x: 1.0])


def test_defop_rejects_a_wrong_argument_count(register):
    op = register("test_check_unary", lambda x: x, derivatives=[lambda x: 1.0])
    with pytest.raises(TypeError, match="test_check_unary takes 1 argument"):
        op(1.0, 2.0)


def test_wrong_custom_op_fails_gradcheck(wrong_square):
    report = gradcheck(lambda x, y: wrong_square(x) * y + y.tanh(), [1.5, 0.5])
    assert not report.ok
    assert report.rows[0].analytic == pytest.approx(4.5 * 0.5)
    assert report.rows[0].numeric == pytest.approx(3.0 * 0.5, rel=1e-6)
    assert report.rows[1].ok  # ∂/∂y = x² + 1 - tanh²y: the wrong rule is not on y's path


def test_check_ops_pinpoints_exactly_the_wrong_custom_ops_rows(wrong_square):
    x, y = Value(1.5), Value(0.5)
    sq = wrong_square(x)
    sq.label = "sq"
    root = (sq * y + y.tanh()).exp()
    report = check_ops(root)
    assert report.failed_nodes() == [sq]
    assert [r.where for r in report.failures] == ["sq test_check_wrong_square ∂/∂in0"]
    assert (report.failures[0].analytic, report.failures[0].numeric) == (4.5, pytest.approx(3.0))
    assert len(report.rows) == 7  # square, * (2 inputs), tanh, + (2 inputs), exp
    assert all(r.ok for r, n in zip(report.rows, report.nodes) if n is not sq)


def test_check_ops_raise_on_fail_names_the_wrong_op(wrong_square):
    with pytest.raises(GradcheckError, match="test_check_wrong_square") as info:
        check_ops(wrong_square(Value(2.0)) + 1, raise_on_fail=True)
    assert info.value.report.failures[0].analytic == 6.0


def test_wrong_custom_op_given_as_a_vjp_is_pinpointed_too(register):
    op = register("test_check_wrong_vjp", lambda x, y: x * y, lambda g, ans, x, y: (g * y, g * y))
    a, b = Value(2.0), Value(5.0)
    prod = op(a, b)
    prod.label = "prod"
    report = check_ops(prod.sin())
    assert [r.where for r in report.failures] == ["prod test_check_wrong_vjp ∂/∂in1"]


# ---- the functional API ------------------------------------------------------------

def test_grad_returns_the_derivative_as_a_float():
    df = autograd.grad(lambda x: x * x * x)
    assert df(2.0) == 12.0 and type(df(2.0)) is float


def test_grad_with_an_argnums_tuple_returns_a_tuple():
    df = autograd.grad(lambda x, y, z: x * y + z, argnums=(0, 2))
    assert df(2.0, 3.0, 4.0) == (3.0, 1.0)


def test_grad_returns_gradients_in_the_order_of_argnums():
    df = autograd.grad(lambda x, y: x * y * y, argnums=(1, 0))
    assert df(2.0, 3.0) == (12.0, 9.0)


def test_grad_with_a_negative_argnum_counts_from_the_end():
    assert autograd.grad(lambda x, y: x * y * y, argnums=-1)(2.0, 3.0) == 12.0


def test_grad_with_a_repeated_argnum_gives_that_gradient_twice():
    df = autograd.grad(lambda x, y: x * y, argnums=(0, 0, -2))
    assert df(2.0, 3.0) == (3.0, 3.0, 3.0)


def test_grad_leaves_other_arguments_as_plain_numbers():
    seen = []
    autograd.grad(lambda x, y: seen.append(type(y)) or x * y)(2.0, 3.0)
    assert seen == [float]


def test_grad_of_a_function_not_depending_on_its_input_is_zero():
    assert autograd.grad(lambda x, y: y * 2.0)(1.0, 3.0) == 0.0
    assert autograd.grad(lambda x: 5.0)(1.0) == 0.0


def test_grad_of_the_identity_is_one():
    assert autograd.grad(lambda x: x)(4.0) == 1.0


def test_value_and_grad_returns_both():
    vg = autograd.value_and_grad(lambda x, y: x.tanh() * y, argnums=(0, 1))
    value, (dx, dy) = vg(0.5, 2.0)
    assert value == math.tanh(0.5) * 2.0
    assert (dx, dy) == pytest.approx((2.0 * (1 - math.tanh(0.5) ** 2), math.tanh(0.5)), rel=1e-15)


def test_value_and_grad_of_a_constant_function():
    assert autograd.value_and_grad(lambda x: 7)(1.0) == (7.0, 0.0)


def test_grad_accepts_numpy_and_int_arguments():
    import numpy as np

    assert autograd.grad(lambda x: x * x)(np.float32(3.0)) == 6.0
    assert autograd.grad(lambda x: x * x)(3) == 6.0


@pytest.mark.parametrize("argnums", [(), 1.5, "0", (0, "1"), [0.0], None])
def test_grad_rejects_argnums_that_are_not_ints(argnums):
    with pytest.raises(TypeError, match="argnums must be an int or a non-empty tuple of ints"):
        autograd.grad(lambda x: x, argnums=argnums)


@pytest.mark.parametrize("argnums", [1, -2, (0, 3)])
def test_grad_rejects_an_argnum_out_of_range_when_called(argnums):
    df = autograd.grad(lambda x: x, argnums=argnums)
    with pytest.raises(IndexError, match="out of range for 1 argument"):
        df(1.0)


def test_grad_rejects_a_non_number_argument():
    with pytest.raises(TypeError, match="got str"):
        autograd.grad(lambda x: x)("1.0")


def test_grad_rejects_a_result_that_is_not_a_number():
    with pytest.raises(TypeError, match="got list"):
        autograd.grad(lambda x: [x])(1.0)


def test_grad_and_value_and_grad_are_named_after_f():
    def loss(w):
        return w * w

    assert autograd.grad(loss).__name__ == "grad(loss)"
    assert autograd.value_and_grad(loss).__name__ == "value_and_grad(loss)"


@settings(max_examples=50, deadline=None)
@given(x=st.floats(-3, 3), y=st.floats(-3, 3))
def test_grad_agrees_with_central_differences(x, y):
    def f(a, b):
        return (a * b).sin() + (a - b).tanh() * b.exp()

    def plain(a, b):
        return math.sin(a * b) + math.tanh(a - b) * math.exp(b)

    dx, dy = autograd.grad(f, argnums=(0, 1))(x, y)
    eps = 1e-6
    assert dx == pytest.approx((plain(x + eps, y) - plain(x - eps, y)) / (2 * eps), rel=1e-5, abs=1e-6)
    assert dy == pytest.approx((plain(x, y + eps) - plain(x, y - eps)) / (2 * eps), rel=1e-5, abs=1e-6)
