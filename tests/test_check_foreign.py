"""`check_ops` and `gradcheck` on graphs of micrograd-style classes that are not
deltagrad's: micrograd's package, a learner's own Value (here the lecture's,
with micrograd's relu: micrograd_style.LectureValue), and deltagrad Values
whose `_backward` is hand-written. Each planted bug in a hand-written step is
found and named; correct steps, inputs used twice included, raise no alarm."""

from __future__ import annotations

import math

import pytest
from micrograd_style import LectureValue

from autograd import Value, check_ops, gradcheck
from autograd.check import OVERWRITES, PRIOR, UPSTREAM, WRONG_DERIVATIVE, WRONG_FORWARD
from autograd.foreign import candidates, inputs_of, readings, topological_order

micrograd_engine = pytest.importorskip("micrograd.engine")
MicrogradValue = micrograd_engine.Value


def neuron(V):
    """The lecture's neuron through +, *, tanh, **, /, - and relu: tanh(x1*w1 + x2*w2 + b) ** 2 / 2 - relu(...)."""
    x1, w1 = V(2.0, label="x1"), V(-3.0, label="w1")
    x2, w2 = V(0.5, label="x2"), V(1.0, label="w2")
    b = V(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    o = n.tanh()
    return (o ** 2) / 2 - (o * x2).relu()


def hand_written(V, data, children, op, step):
    """A node made the lecture's way with `step(out)` as its closure."""
    out = V(data, tuple(children), op)
    out._backward = lambda: step(out)
    return out


def add_grad(x, amount):
    x.grad += amount


# ---- correct graphs: no false alarm ------------------------------------------------------

@pytest.mark.parametrize("V", [LectureValue, MicrogradValue, Value], ids=["lecture", "micrograd", "deltagrad"])
def test_check_ops_passes_a_correct_graph_of_any_micrograd_style_class(V):
    try:
        root = neuron(V)
    except (TypeError, AttributeError):
        root = neuron_without_tanh(V)  # micrograd 0.1.0 has no tanh
    report = check_ops(root)
    assert report.ok, report
    assert all(r.checked for r in report.rows)
    assert len(report.rows) >= 12


def neuron_without_tanh(V):
    x, w = V(2.0), V(-3.0)
    n = x * w + 6.5
    return (n ** 2) / 2 - (n * x).relu()


def test_check_ops_reads_micrograds_op_names():
    a = MicrogradValue(-1.5)
    root = (a ** 3).relu() + a ** -1 - (a * a)
    ops = [row.where.split()[1] for row in check_ops(root).rows]
    assert {"**3", "ReLU", "**-1", "*", "+"} <= set(ops)


@pytest.mark.parametrize("V", [LectureValue, Value], ids=["lecture", "deltagrad"])
@pytest.mark.parametrize("build", [lambda a: a + a, lambda a: a * a, lambda a: (a.tanh() * a.tanh()),
                                   lambda a: (lambda o: o * o)(a.tanh())],
                         ids=["a + a", "a * a", "tanh twice", "o * o"])
def test_an_input_used_twice_raises_no_false_alarm(V, build):
    a = V(0.8, label="a")
    report = check_ops(build(a))
    assert report.ok, report


def test_hand_written_a_plus_a_with_one_child_in_prev_is_read_as_both_operands():
    a = LectureValue(0.8, label="a")
    b = a + a
    assert len(b._prev) == 1
    every, matching = readings(b)
    assert [r.operands for r in matching] == [(0, 0)]
    (row,) = check_ops(b).rows
    assert (row.analytic, row.numeric, row.ok) == (2.0, pytest.approx(2.0), True)


def test_the_operands_of_a_set_are_ordered_by_the_forward_value():
    a, b = LectureValue(5.0, label="a"), LectureValue(2.0, label="b")
    out = hand_written(LectureValue, 3.0, {a, b}, "-", lambda o: None)
    (reading,) = readings(out)[1]
    assert reading.describe(["a", "b"]) == "a - b"


def test_everything_is_restored_after_check_ops():
    a, b = LectureValue(0.7, label="a"), LectureValue(-1.2, label="b")
    root = (a * b + a).tanh() * b
    root.backward()
    nodes = topological_order(root)
    before = [(n.data, n.grad) for n in nodes]
    check_ops(root)
    assert [(n.data, n.grad) for n in nodes] == before


def test_deltagrad_graphs_are_restored_after_check_ops_too():
    x = Value(0.4)
    t = hand_written(Value, math.tanh(x.data), (x,), "tanh", lambda o: add_grad(x, (1 - o.data ** 2) * o.grad))
    root = t * x
    root.backward()
    before = [(n.data, n.grad) for n in topological_order(root)]
    assert check_ops(root).ok
    assert [(n.data, n.grad) for n in topological_order(root)] == before


# ---- planted bugs, each found and named ---------------------------------------------------

def test_tanh_written_as_1_minus_t_is_a_wrong_derivative():
    x = Value(0.8, label="x")
    t = math.tanh(0.8)
    out = hand_written(Value, t, (x,), "tanh", lambda o: add_grad(x, (1 - t) * o.grad))
    (row,) = check_ops(out).rows
    assert not row.ok and row.note == WRONG_DERIVATIVE
    assert row.where == "#0 tanh ∂/∂x"
    assert (row.analytic, row.numeric) == (pytest.approx(1 - t, rel=1e-12), pytest.approx(1 - t * t, rel=1e-8))


def test_multiplication_with_its_inputs_swapped_is_named_so():
    a, b = LectureValue(2.0, label="a"), LectureValue(3.0, label="b")

    def swapped(out):
        a.grad += a.data * out.grad
        b.grad += b.data * out.grad

    report = check_ops(hand_written(LectureValue, 6.0, (a, b), "*", swapped))
    assert [r.where for r in report.failures] == ["#0 * ∂/∂a", "#0 * ∂/∂b"]
    assert {r.note for r in report.failures} == {f"{WRONG_DERIVATIVE}: the two inputs' derivatives are swapped"}
    assert [(r.analytic, r.numeric) for r in report.rows] == [(2.0, pytest.approx(3.0)), (3.0, pytest.approx(2.0))]


def test_assigning_instead_of_adding_is_found_by_the_prior_gradient():
    a, b = LectureValue(2.0, label="a"), LectureValue(3.0, label="b")

    def overwrites(out):  # the lecture's own erratum: = where += belongs
        a.grad = 1.0 * out.grad
        b.grad = 1.0 * out.grad

    report = check_ops(hand_written(LectureValue, 5.0, (a, b), "+", overwrites))
    assert len(report.failures) == 2
    for row in report.failures:
        assert row.note.startswith(OVERWRITES)
        assert f"was {PRIOR:g} before _backward() and {UPSTREAM:g} after" in row.note


def test_assigning_in_a_plus_a_is_found_although_a_fresh_graph_would_hide_it():
    a = LectureValue(3.0, label="a")

    def overwrites(out):
        a.grad = 1.0 * out.grad
        a.grad = 1.0 * out.grad

    (row,) = check_ops(hand_written(LectureValue, 6.0, (a, a), "+", overwrites)).rows
    assert row.note.startswith(OVERWRITES)


def test_a_step_that_forgets_the_upstream_gradient_is_named_so():
    x = Value(0.5, label="x")
    out = hand_written(Value, math.exp(0.5), (x,), "exp", lambda o: add_grad(x, o.data))
    (row,) = check_ops(out).rows
    assert row.note == f"{WRONG_DERIVATIVE}: the step does not multiply by out.grad"


def test_a_wrong_forward_value_is_named_with_the_value_expected():
    x = Value(0.5, label="x")
    out = hand_written(Value, math.exp(0.5) + 1, (x,), "exp", lambda o: add_grad(x, o.data * o.grad))
    (row,) = check_ops(out).rows
    assert not row.ok and row.where == "#0 exp forward"
    assert row.note.startswith(f"{WRONG_FORWARD}: exp(x) = {math.exp(0.5):.10g}")
    assert (row.analytic, row.numeric) == (math.exp(0.5) + 1, math.exp(0.5))


def test_a_step_that_raises_is_a_failure_naming_the_error():
    x = LectureValue(0.5, label="x")
    out = hand_written(LectureValue, 0.25, (x,), "**2", lambda o: undefined_name)  # noqa: F821
    (row,) = check_ops(out).rows
    assert not row.ok and row.note.startswith("_backward() raised NameError")


def test_a_step_that_adds_nothing_is_named_so():
    x = Value(0.5, label="x")
    (row,) = check_ops(Value(0.25, (x,), "**2")).rows
    assert row.note == f"{WRONG_DERIVATIVE}: _backward() adds nothing to this input's .grad"


def test_a_wrong_power_rule_is_found_for_the_exponent_parsed_from_the_name():
    x = LectureValue(1.5, label="x")
    out = hand_written(LectureValue, 1.5 ** -2, (x,), "**-2",
                       lambda o: add_grad(x, -2 * x.data ** -2 * o.grad))  # x^-2, not x^-3
    (row,) = check_ops(out).rows
    assert row.note == WRONG_DERIVATIVE and row.numeric == pytest.approx(-2 * 1.5 ** -3)


def test_an_op_deltagrad_cannot_name_is_listed_as_not_checked_by_name():
    x = LectureValue(2.0, label="x")
    cube = hand_written(LectureValue, 8.0, (x,), "cube", lambda o: None)
    report = check_ops(cube * 2)
    assert report.ok
    (unknown,) = [r for r in report.rows if not r.checked]
    assert unknown.where == "#0 cube" and "'cube'" in unknown.note
    assert "(1 not checked)" in report.table()


def test_relu_at_its_kink_passes_and_says_so():
    x = LectureValue(0.0, label="x")
    (row,) = check_ops(x.relu()).rows
    assert row.ok and row.note == "relu at 0: one-sided derivatives 0 and 1"


# ---- reading op names -----------------------------------------------------------------

@pytest.mark.parametrize(("name", "n", "expected"), [
    ("+", 2, ["+", "+"]), ("+", 1, ["+"]), ("-", 1, ["-", "neg"]), ("**2", 1, ["**"]), ("**-1", 1, ["**"]),
    ("ReLU", 1, ["relu"]), ("tanh", 1, ["tanh"]), ("exp", 1, ["exp"]), ("mul", 2, ["*", "*"]), ("cube", 1, []),
    ("tanh", 2, []),
])
def test_op_names_are_read_onto_the_table(name, n, expected):
    assert [r.op.name for r in candidates(name, n)] == expected


def test_a_power_name_gives_its_exponent_as_a_constant():
    (reading,) = candidates("**0.5", 1)
    assert reading.operands == (0, 0.5)


def test_inputs_of_a_set_are_in_a_stable_order():
    a, b = LectureValue(1.0, label="a"), LectureValue(2.0, label="b")
    assert inputs_of(a * b) == (a, b) == inputs_of(b * a)


# ---- gradcheck with a learner's class -----------------------------------------------------

def test_gradcheck_makes_its_leaves_with_the_class_of_the_inputs():
    report = gradcheck(lambda x, w: (x * w + 1.0).tanh(), [LectureValue(0.5, label="x"), LectureValue(-0.8)])
    assert report.ok and [r.where for r in report.rows] == ["x", "x1"]
    t = math.tanh(0.5 * -0.8 + 1.0)
    assert report.rows[0].analytic == pytest.approx((1 - t * t) * -0.8, rel=1e-12)


def test_gradcheck_takes_the_class_from_value_type_for_plain_numbers():
    seen = []

    def f(x):
        seen.append(type(x))
        return x * x * x

    report = gradcheck(f, [1.5], value_type=LectureValue)
    assert report.ok and report.rows[0].analytic == pytest.approx(3 * 1.5 ** 2)
    assert set(seen) == {LectureValue}


def test_gradcheck_finds_a_learners_wrong_backward():
    class Overwriting(LectureValue):
        def __add__(self, other):
            other = other if isinstance(other, LectureValue) else Overwriting(other)
            out = Overwriting(self.data + other.data, (self, other), "+")

            def _backward():
                self.grad = out.grad  # =, so a's two uses do not add up
                other.grad = out.grad
            out._backward = _backward
            return out

    report = gradcheck(lambda a: a + a, [Overwriting(1.0)])
    assert not report.ok and report.rows[0].analytic == 1.0 and report.rows[0].numeric == pytest.approx(2.0)


def test_gradcheck_of_a_learners_relu_at_zero_names_the_kink():
    report = gradcheck(lambda x: x.relu(), [LectureValue(0.0)])
    (row,) = report.rows
    assert not row.ok and row.note == "relu at 0: one-sided derivatives 0 and 1"


def test_gradcheck_refuses_a_value_type_that_is_not_a_class():
    with pytest.raises(TypeError, match="value_type must be a class"):
        gradcheck(lambda x: x, [1.0], value_type="Value")


def test_gradcheck_needs_a_backward_method_on_a_learners_class():
    class NoBackward:
        def __init__(self, data):
            self.data, self.grad, self._prev, self._op, self._backward = data, 0.0, set(), "", lambda: None

        def __mul__(self, other):
            return NoBackward(self.data * other.data)

    with pytest.raises(TypeError, match="NoBackward has no backward()"):
        gradcheck(lambda x: x * x, [NoBackward(2.0)])
