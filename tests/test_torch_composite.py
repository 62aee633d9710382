"""Whole random programs, not op by op: first, second and third derivatives
through create_graph, against PyTorch float64 on the same expression tree."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings

from autograd import Value
from autograd.testing import expressions

torch = pytest.importorskip("torch", reason="PyTorch is the oracle here: pip install torch==2.13.0 (make test-torch)")
F = torch.nn.functional

TORCH_FORMS = {
    "+": lambda x, y: x + y, "-": lambda x, y: x - y, "*": lambda x, y: x * y, "/": lambda x, y: x / y,
    "neg": lambda x: -x, "**": lambda x, y: x ** float(y), "pow": torch.pow, "exp": torch.exp, "log": torch.log,
    "sqrt": torch.sqrt, "sin": torch.sin, "cos": torch.cos, "abs": torch.abs, "tanh": torch.tanh,
    "sigmoid": torch.sigmoid, "relu": torch.relu, "softplus": F.softplus,
    "leaky_relu": lambda x, s: torch.where(x > 0, x, s * x),
    "sum": lambda *xs: torch.stack(torch.broadcast_tensors(*xs)).sum(0),
}


def as_torch(term, xs):
    """The expression tree evaluated on torch tensors (constants as float64 tensors)."""
    if term.op is None:
        return xs[term.index] if term.index >= 0 else torch.tensor(term.constant, dtype=torch.float64)
    args = [as_torch(a, xs) for a in term.args]
    if term.op.name == "**":  # a number exponent, as in deltagrad
        return args[0] ** float(term.args[1].value)
    return TORCH_FORMS[term.op.name](*args)


def ours_up_to_third(expression, x: float) -> list[float]:
    """f, f', f'', f''' of a one-input expression by repeated backward(create_graph=True)."""
    leaf = Value(x)
    out = expression(leaf)
    values = [out if isinstance(out, Value) else Value(out)]
    for _ in range(3):
        leaf.grad = 0.0
        values[-1].backward(create_graph=True)
        values.append(leaf.grad if isinstance(leaf.grad, Value) else Value(leaf.grad))
    return [v.data for v in values]


def torch_up_to_third(expression, x: float) -> list[float]:
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    values = [as_torch(expression.term, [t]) * 1.0]
    for _ in range(3):
        out = values[-1]
        (g,) = torch.autograd.grad(out, t, create_graph=True, allow_unused=True) if out.requires_grad else (None,)
        values.append(g if g is not None else torch.zeros((), dtype=torch.float64))
    return [v.item() for v in values]


def close(a: float, b: float, scale: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= 1e-9 * max(1.0, scale, abs(a), abs(b))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(expressions(n_inputs=1, max_leaves=5))
def test_random_programs_up_to_third_order_match_pytorch(expression):
    ours = ours_up_to_third(expression, expression.inputs[0])
    theirs = torch_up_to_third(expression, expression.inputs[0])
    scale = max(abs(v) for v in theirs if math.isfinite(v)) if any(map(math.isfinite, theirs)) else 1.0
    assert all(close(a, b, scale) for a, b in zip(ours, theirs)), (expression, ours, theirs)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(expressions(n_inputs=2, max_leaves=6))
def test_random_programs_mixed_second_derivatives_match_pytorch(expression):
    leaves = [Value(x) for x in expression.inputs]
    out = expression(*leaves)
    out = out if isinstance(out, Value) else Value(out)
    out.backward(create_graph=True)
    first = [leaf.grad if isinstance(leaf.grad, Value) else Value(leaf.grad) for leaf in leaves]
    mixed = []
    for g in first:
        for leaf in leaves:
            leaf.grad = 0.0
        g.backward()
        mixed.append([leaf.grad for leaf in leaves])
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in expression.inputs]
    ref = as_torch(expression.term, ts)
    tfirst = torch.autograd.grad(ref, ts, create_graph=True, allow_unused=True) if ref.requires_grad else [None] * 2
    tmixed = []
    for g in tfirst:
        if g is None or not g.requires_grad:
            tmixed.append([0.0, 0.0])
            continue
        row = torch.autograd.grad(g, ts, allow_unused=True, retain_graph=True)
        tmixed.append([0.0 if r is None else r.item() for r in row])
    tfirst = [0.0 if g is None else g.item() for g in tfirst]
    scale = max([1.0] + [abs(v) for v in tfirst + sum(tmixed, []) if math.isfinite(v)])
    assert all(close(a.data, b, scale) for a, b in zip(first, tfirst)), (expression, first, tfirst)
    assert all(close(a, b, scale) for ra, rb in zip(mixed, tmixed) for a, b in zip(ra, rb)), (expression, mixed, tmixed)
