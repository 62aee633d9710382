"""Compatibility with micrograd: its README example gives the published numbers,
the same code run on micrograd 0.1.0 gives the same values (a differential test
over random expressions), and the lecture's `trace` helper runs on our Values."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from micrograd_style import lecture_neuron, readme_example, trace

from autograd import Value

micrograd_engine = pytest.importorskip("micrograd.engine")
MicrogradValue = micrograd_engine.Value


def test_readme_example_gives_micrographs_published_numbers():
    nodes = readme_example(Value)
    nodes["g"].backward()
    assert round(nodes["g"].data, 4) == 24.7041
    assert round(nodes["a"].grad, 4) == 138.8338
    assert round(nodes["b"].grad, 4) == 645.5773


def test_readme_example_matches_micrograd_at_every_intermediate():
    ours, theirs = readme_example(Value), readme_example(MicrogradValue)
    ours["g"].backward()
    theirs["g"].backward()
    for name in ours:
        # micrograd divides as x * y**-1, which may round differently from x / y in the last bit.
        assert ours[name].data == pytest.approx(theirs[name].data, rel=1e-15), name
        assert ours[name].grad == pytest.approx(theirs[name].grad, rel=1e-14), name


# ---- differential test over random expressions ------------------------------------
# A program is a list of steps over a growing pool of nodes, run in lockstep on
# both engines with the ops both support. A step whose result would be large,
# or that would divide by a number near 0, is skipped in both, so every value
# stays of moderate size.

SPELL = {
    "add": lambda x, y, n: x + y, "sub": lambda x, y, n: x - y, "mul": lambda x, y, n: x * y,
    "div": lambda x, y, n: x / y, "neg": lambda x, y, n: -x, "relu": lambda x, y, n: x.relu(),
    "add_n": lambda x, y, n: x + n, "radd_n": lambda x, y, n: n + x, "sub_n": lambda x, y, n: x - n,
    "rsub_n": lambda x, y, n: n - x, "mul_n": lambda x, y, n: x * n, "rmul_n": lambda x, y, n: n * x,
    "div_n": lambda x, y, n: x / n, "rdiv_n": lambda x, y, n: n / x,
    "pow2": lambda x, y, n: x**2, "pow3": lambda x, y, n: x**3, "pow_1": lambda x, y, n: x**-1,
}
DENOMINATOR = {"div": 1, "rdiv_n": 0, "pow_1": 0}  # which operand (x: 0, y: 1) divides
EXACT_KINDS = sorted(set(SPELL) - {"div", "div_n", "rdiv_n", "pow_1"})  # no division anywhere

step = st.tuples(st.sampled_from(sorted(SPELL)), st.integers(0, 99), st.integers(0, 99),
                 st.floats(-3, 3).filter(lambda n: abs(n) >= 0.25))
leaves = st.lists(st.floats(-3, 3), min_size=1, max_size=3)


def run_both(xs, steps):
    """Runs the program on both engines; returns the paired nodes (ours, theirs)."""
    ours = [Value(x) for x in xs]
    theirs = [MicrogradValue(x) for x in xs]
    for kind, i, j, n in steps:
        i, j = i % len(ours), j % len(ours)
        if kind in DENOMINATOR and abs(ours[(i, j)[DENOMINATOR[kind]]].data) < 0.25:
            continue
        out = SPELL[kind](ours[i], ours[j], n)
        if abs(out.data) > 1e3:
            continue
        ours.append(out)
        theirs.append(SPELL[kind](theirs[i], theirs[j], n))
    return ours, theirs


@settings(max_examples=150, deadline=None)
@given(xs=leaves, steps=st.lists(step, min_size=1, max_size=12))
def test_random_expression_matches_micrograd_values_and_gradients(xs, steps):
    ours, theirs = run_both(xs, steps)
    ours[-1].backward()
    theirs[-1].backward()
    scale = max(1.0, *(abs(v.grad) for v in theirs))
    for k, (mine, other) in enumerate(zip(ours, theirs)):
        assert math.isclose(mine.data, other.data, rel_tol=1e-9, abs_tol=1e-9), k
        assert math.isclose(mine.grad, other.grad, rel_tol=1e-9, abs_tol=1e-9 * scale), k


@settings(max_examples=150, deadline=None)
@given(xs=leaves, steps=st.lists(step.filter(lambda s: s[0] in EXACT_KINDS), min_size=1, max_size=12))
def test_random_expression_without_division_matches_micrograd_values_exactly(xs, steps):
    ours, theirs = run_both(xs, steps)
    assert [v.data for v in ours] == [v.data for v in theirs]


# ---- the lecture's helpers ------------------------------------------------------------

def lecture_labels(root):
    """What the lecture's draw_dot writes into each record node and op node."""
    nodes, edges = trace(root)
    records = sorted("{ %s | data %.4f | grad %.4f }" % (n.label, n.data, n.grad) for n in nodes)  # noqa: UP031
    ops = sorted(n._op for n in nodes if n._op)
    return records, ops, len(edges)


def test_lecture_trace_helper_runs_on_our_values():
    o, _ = lecture_neuron(Value)  # the lecture's first neuron: o = tanh(x1*w1 + x2*w2 + b), after backward()
    records, ops, n_edges = lecture_labels(o)
    assert len(records) == 10 and n_edges == 9
    assert ops == ["*", "*", "+", "+", "tanh"]
    assert "{ o | data 0.7071 | grad 1.0000 }" in records
    assert "{ x1 | data 2.0000 | grad -1.5000 }" in records
    assert "{ w1 | data -3.0000 | grad 1.0000 }" in records
    assert "{ x2 | data 0.0000 | grad 0.5000 }" in records
    assert "{ w2 | data 1.0000 | grad 0.0000 }" in records


def test_lecture_trace_counts_match_micrograds_for_the_same_expression():
    def build(V):
        a, b = V(2.0), V(-3.0)
        return (a * b + a).relu() * b

    ours, theirs = trace(build(Value)), trace(build(MicrogradValue))
    assert (len(ours[0]), len(ours[1])) == (len(theirs[0]), len(theirs[1]))
