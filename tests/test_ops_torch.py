"""PyTorch as an independent oracle for every built-in op's value and gradient
(float64, at points of each op's sampled domain). Skipped when torch is not
installed: torch is an optional test dependency."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Value
from autograd.ops import builtin_ops

torch = pytest.importorskip("torch")
F = torch.nn.functional

OPS = builtin_ops()

# Each op in torch; inputs the op treats as constants (an exponent, a slope) are
# passed as Python floats. None would mark an op torch has no counterpart for.
TORCH_FORMS = {
    "+": lambda x, y: x + y,
    "-": lambda x, y: x - y,
    "*": lambda x, y: x * y,
    "/": lambda x, y: x / y,
    "neg": lambda x: -x,
    "**": lambda x, y: x ** y,
    "pow": lambda x, y: torch.pow(x, y),
    "exp": torch.exp,
    "log": torch.log,
    "sqrt": torch.sqrt,
    "sin": torch.sin,
    "cos": torch.cos,
    "abs": torch.abs,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "relu": torch.relu,
    "leaky_relu": lambda x, slope: torch.where(x > 0, x, slope * x),  # F.leaky_relu takes no tensor slope
    "softplus": F.softplus,  # threshold 20 lies outside the sampled domain
    "sum": lambda *xs: torch.stack(xs).sum(),
}


def n_inputs(op):
    return len(op.domain) if op.arity is None else op.arity


def points(op):
    coords = []
    for i, (lo, hi) in enumerate(op.domain[: n_inputs(op)]):
        coord = st.floats(min_value=lo, max_value=hi)
        if i == 0 and op.kinks:
            coord = coord.filter(lambda x, kinks=op.kinks: all(abs(x - k) > 1e-3 for k in kinks))
        coords.append(coord)
    return st.tuples(*coords)


def test_every_builtin_op_has_a_torch_entry():
    assert {op.name for op in OPS} == set(TORCH_FORMS)


@pytest.mark.parametrize("op", [op for op in OPS if TORCH_FORMS.get(op.name)], ids=lambda op: op.name)
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_op_value_and_gradient_match_torch(op, data):
    xs = data.draw(points(op))
    diff = [i for i in range(len(xs)) if i not in op.nondiff]
    ours = [Value(x) for x in xs]
    out = op(*ours)
    out.backward()
    theirs = [torch.tensor(x, dtype=torch.float64, requires_grad=True) if i in diff else x
              for i, x in enumerate(xs)]
    ref = TORCH_FORMS[op.name](*theirs)
    ref.backward()
    assert out.data == pytest.approx(ref.item(), rel=1e-13, abs=1e-15)
    for i in diff:
        assert ours[i].grad == pytest.approx(theirs[i].grad.item(), rel=1e-12, abs=1e-15), (op.name, xs, i)


@pytest.mark.parametrize("op", [op for op in OPS if op.arity == 1 and TORCH_FORMS.get(op.name)],
                         ids=lambda op: op.name)
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_unary_op_second_derivative_matches_torch(op, data):
    (x,) = data.draw(points(op))
    ours = Value(x)
    op(ours).backward(create_graph=True)
    first = ours.grad
    ours.grad = 0.0
    first.backward()
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    (dt,) = torch.autograd.grad(TORCH_FORMS[op.name](t), t, create_graph=True)
    expected = torch.autograd.grad(dt, t)[0].item() if dt.requires_grad else 0.0
    assert first.data == pytest.approx(dt.item(), rel=1e-12, abs=1e-15)
    assert ours.grad == pytest.approx(expected, rel=1e-11, abs=1e-14)


def test_micrograd_readme_example_matches_torch():
    # micrograd's own test compares this expression with torch.
    def expression(V, relu):
        a, b = V(-4.0), V(2.0)
        c = a + b
        d = a * b + b**3
        c = c + c + 1
        c = c + 1 + c + (-a)
        d = d + d * 2 + relu(b + a)
        d = d + 3 * d + relu(b - a)
        e = c - d
        f = e**2
        g = f / 2.0
        g = g + 10.0 / f
        return a, b, g

    a, b, g = expression(Value, lambda v: v.relu())
    g.backward()
    ta, tb, tg = expression(lambda x: torch.tensor(x, dtype=torch.float64, requires_grad=True), torch.relu)
    tg.backward()
    assert g.data == pytest.approx(tg.item(), rel=1e-14)
    assert (a.grad, b.grad) == pytest.approx((ta.grad.item(), tb.grad.item()), rel=1e-14)
