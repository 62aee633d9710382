"""`Value`: what it accepts, its public attributes, operators, comparisons,
identity, conversions, and the errors it raises for bad input and for results
that are undefined or not representable."""

from __future__ import annotations

import copy
import decimal
import fractions
import math
import pickle

import numpy as np
import pytest

import autograd
from autograd import Constant, Value

# ---- construction ------------------------------------------------------------


@pytest.mark.parametrize("data", [
    3, -7.5, True, False, np.int8(3), np.int64(-4), np.uint16(9), np.float32(0.5), np.float64(2.25),
    np.bool_(True), fractions.Fraction(1, 4),
], ids=repr)
def test_value_stores_any_real_number_as_a_python_float(data):
    v = Value(data)
    assert type(v.data) is float
    assert v.data == float(data)


@pytest.mark.parametrize(("data", "type_name"), [
    ("1.0", "str"), (None, "NoneType"), (1 + 2j, "complex"), ([1.0], "list"), (object(), "object"),
    (decimal.Decimal("1.5"), "Decimal"), (np.complex128(1), "complex128"), (Value(1.0), "Value"),
], ids=lambda x: type(x).__name__)
def test_value_of_a_non_real_raises_type_error_naming_the_type(data, type_name):
    with pytest.raises(TypeError, match=rf"got {type_name}\b"):
        Value(data)


def test_new_value_is_a_leaf_with_zero_grad_and_empty_label():
    v = Value(2.0)
    assert (v.grad, v.label, v.op, v.inputs) == (0.0, "", "", ())
    assert v.is_leaf()


def test_value_keeps_its_label():
    assert Value(2.0, label="a").label == "a"


def test_value_label_is_settable():
    v = Value(2.0)
    v.label = "w"
    assert v.label == "w"


def test_value_label_must_be_a_string():
    with pytest.raises(TypeError, match="label must be a str, got int"):
        Value(2.0, label=5)


def test_result_names_its_op_and_inputs():
    a, b = Value(2.0), Value(3.0)
    c = a * b
    assert (c.op, c.inputs, c.data) == ("*", (a, b), 6.0)
    assert not c.is_leaf()


def test_number_operand_becomes_a_constant_leaf():
    a = Value(2.0)
    c = a + 5
    assert isinstance(c.inputs[1], Constant)
    assert (c.inputs[1].data, c.inputs[1].op, c.inputs[1].inputs) == (5.0, "", ())


def test_constant_can_be_constructed_directly():
    c = Constant(2, label="two")
    assert (c.data, c.grad, c.label, c.inputs, c.op) == (2.0, 0.0, "two", (), "")
    assert (Value(3.0) * c).data == 6.0


def test_constant_rejects_a_non_real():
    with pytest.raises(TypeError, match="got str"):
        Constant("2")


def test_graph_with_constants_deep_copies():
    x = Value(2.0, label="x")
    y = x * 3.0 + 1
    z = copy.deepcopy(y)
    z.backward()
    assert z.data == 7.0
    assert z.inputs[0].inputs[0].grad == 3.0
    assert x.grad == 0.0


def test_constant_pickles_with_its_data_and_label():
    c = pickle.loads(pickle.dumps(Constant(4.0, label="c")))
    assert (type(c), c.data, c.label, c.inputs) == (Constant, 4.0, "c", ())


def test_detach_returns_a_new_leaf_with_the_same_data():
    x = Value(3.0)
    y = x * 2
    d = y.detach()
    assert d is not y
    assert (d.data, d.op, d.inputs, d.grad) == (6.0, "", (), 0.0)


def test_gradient_does_not_flow_through_detach():
    x = Value(3.0)
    z = (x * 2).detach() * x
    z.backward()
    assert x.grad == 6.0  # only the direct path: d/dx (6 * x)


# ---- micrograd's names ---------------------------------------------------------

def test_prev_and_op_alias_inputs_and_op():
    a, b = Value(1.0), Value(2.0)
    c = a + b
    assert c._prev == (a, b)
    assert c._op == "+"
    assert a._prev == () and a._op == ""


@pytest.mark.parametrize("name", ["_prev", "_op", "op", "inputs"])
def test_graph_attributes_are_read_only(name):
    c = Value(1.0) + Value(2.0)
    with pytest.raises(AttributeError):
        setattr(c, name, ())


# ---- operators -----------------------------------------------------------------

@pytest.mark.parametrize(("expr", "expected"), [
    (lambda a, b: a + b, 5.0), (lambda a, b: a - b, -1.0), (lambda a, b: a * b, 6.0),
    (lambda a, b: a / b, 2 / 3), (lambda a, b: a ** b, 8.0), (lambda a, b: -a, -2.0),
    (lambda a, b: 1 + a, 3.0), (lambda a, b: 1 - a, -1.0), (lambda a, b: 4 * a, 8.0),
    (lambda a, b: 1 / a, 0.5), (lambda a, b: 3 ** a, 9.0), (lambda a, b: a ** 3, 8.0),
])
def test_operator_gives_the_arithmetic_value(expr, expected):
    assert expr(Value(2.0), Value(3.0)).data == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize("spell", [
    lambda v: v + "a", lambda v: "a" + v, lambda v: v - "a", lambda v: "a" - v, lambda v: v * "a",
    lambda v: "a" * v, lambda v: v / "a", lambda v: "a" / v, lambda v: v ** "a", lambda v: "a" ** v,
    lambda v: v + None, lambda v: v * [1.0], lambda v: v + 1j,
], ids=["add", "radd", "sub", "rsub", "mul", "rmul", "div", "rdiv", "pow", "rpow", "none", "list", "complex"])
def test_arithmetic_with_a_non_number_raises_type_error_naming_the_type(spell):
    with pytest.raises(TypeError, match=r"got (str|NoneType|list|complex)\b"):
        spell(Value(2.0))


def test_numpy_scalar_on_the_left_gives_a_value():
    v = Value(3.0)
    out = np.float64(2.0) * v
    assert isinstance(out, Value) and out.data == 6.0
    out.backward()
    assert v.grad == 2.0


def test_python_sum_of_values_works_through_radd():
    xs = [Value(1.0), Value(2.0), Value(3.0)]
    total = sum(xs)
    total.backward()
    assert total.data == 6.0
    assert [x.grad for x in xs] == [1.0, 1.0, 1.0]


def test_augmented_assignment_builds_a_new_node():
    a = Value(1.0)
    b = a
    b += 2
    assert b is not a and b.data == 3.0 and a.data == 1.0


# ---- comparisons, identity, conversions ------------------------------------------

def test_comparisons_compare_data_and_return_bool():
    a, b = Value(1.0), Value(2.0)
    results = [a < b, a <= b, a > b, a >= b, a < 1.5, a >= 1, b > 1.5, b <= 2.0]
    assert results == [True, True, False, False, True, True, True, True]
    assert all(type(r) is bool for r in results)


def test_number_on_the_left_of_a_comparison_compares_data():
    assert (1.5 < Value(2.0)) is True
    assert (3 <= Value(2.0)) is False


def test_comparison_with_a_non_number_raises_type_error():
    with pytest.raises(TypeError, match="got str"):
        _ = Value(1.0) < "a"


def test_sorting_values_orders_by_data():
    vs = [Value(3.0), Value(-1.0), Value(2.0)]
    assert [v.data for v in sorted(vs)] == [-1.0, 2.0, 3.0]


def test_equality_is_identity():
    a, b = Value(1.0), Value(1.0)
    assert a == a
    assert a != b
    assert not (a == 1.0)


def test_values_with_equal_data_are_distinct_set_members_and_dict_keys():
    a, b = Value(1.0), Value(1.0)
    assert len({a, b, a}) == 2
    d = {a: "a", b: "b"}
    assert (d[a], d[b]) == ("a", "b")


def test_hash_does_not_change_when_data_changes():
    a = Value(1.0)
    h = hash(a)
    a.data = 5.0
    assert hash(a) == h
    assert a in {a}


def test_float_of_a_value_is_its_data():
    assert float(Value(2.5)) == 2.5
    assert math.sqrt(Value(4.0)) == 2.0


def test_repr_shows_data_and_grad_of_a_leaf():
    assert repr(Value(2.0)) == "Value(data=2, grad=0)"


def test_repr_shows_label_and_op_where_set():
    a = Value(2.0, label="a")
    c = a * 3.5
    c.label = "c"
    c.backward()
    assert repr(a) == "Value(data=2, grad=3.5, label='a')"
    assert repr(c) == "Value(data=7, grad=1, label='c', op='*')"


# ---- domain errors: type, op and operand named -----------------------------------

@pytest.mark.parametrize(("compute", "error", "message"), [
    (lambda: Value(0.0).log(), ValueError, r"^log\(0\.0\): .*x > 0"),
    (lambda: Value(-1.0).log(), ValueError, r"^log\(-1\.0\): "),
    (lambda: autograd.log(-1.0), ValueError, r"^log\(-1\.0\): "),
    (lambda: Value(-1.0).sqrt(), ValueError, r"^sqrt\(-1\.0\): .*x >= 0"),
    (lambda: autograd.sqrt(-1), ValueError, r"^sqrt\(-1\.0\): "),
    (lambda: Value(-8.0) ** (1 / 3), ValueError, r"^\*\*\(-8\.0, 0\.333333\d*\): .*negative base"),
    (lambda: Value(-8.0) ** -0.5, ValueError, r"^\*\*\(-8\.0, -0\.5\): .*negative base"),
    (lambda: Value(-8.0) ** Value(0.5), ValueError, r"^pow\(-8\.0, 0\.5\): .*negative base"),
    (lambda: (-8.0) ** Value(0.5), ValueError, r"^pow\(-8\.0, 0\.5\): "),
    (lambda: autograd.pow(-8.0, 0.5), ValueError, r"^pow\(-8\.0, 0\.5\): "),
    (lambda: Value(1.0) / 0, ZeroDivisionError, r"^/\(1\.0, 0\.0\): division by zero"),
    (lambda: 1 / Value(0.0), ZeroDivisionError, r"^/\(1\.0, 0\.0\): division by zero"),
    (lambda: Value(1.0) / Value(0.0), ZeroDivisionError, r"^/\(1\.0, 0\.0\): "),
    (lambda: Value(0.0) ** -1, ZeroDivisionError, r"^\*\*\(0\.0, -1\.0\): 0 to a negative power"),
    (lambda: Value(0.0) ** Value(-2.0), ZeroDivisionError, r"^pow\(0\.0, -2\.0\): 0 to a negative power"),
    (lambda: Value(1000.0).exp(), OverflowError, r"^exp\(1000\.0\): .*overflows"),
    (lambda: autograd.exp(1000), OverflowError, r"^exp\(1000\.0\): .*overflows"),
    (lambda: Value(10.0) ** 400, OverflowError, r"^\*\*\(10\.0, 400\.0\): .*overflows"),
], ids=["log0", "log-1", "fn-log-1", "sqrt-1", "fn-sqrt-1", "cube-root-neg", "neg-power-neg", "pow-value-neg",
        "rpow-neg", "fn-pow-neg", "div0", "rdiv0", "div-value0", "zero-neg-power", "zero-neg-value-power",
        "exp-overflow", "fn-exp-overflow", "pow-overflow"])
def test_undefined_result_raises_naming_the_op_and_operand(compute, error, message):
    with pytest.raises(error, match=message):
        compute()


def test_domain_error_records_no_node():
    # The error is raised before a node exists, so nothing half-built leaks out.
    x = Value(-1.0)
    with pytest.raises(ValueError):
        x.log()
    assert x.grad == 0.0 and x.inputs == ()


def test_exp_just_below_overflow_is_finite():
    assert Value(709.0).exp().data == math.exp(709.0)


def test_autograd_function_of_a_non_number_raises_type_error_naming_the_type():
    with pytest.raises(TypeError, match="got str"):
        autograd.exp("1")
