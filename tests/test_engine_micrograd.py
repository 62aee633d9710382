"""Compatibility with micrograd: its README example gives the published numbers,
the same code run on micrograd 0.1.0 gives the same values (a differential test
over random expressions), and the lecture's `trace` helper runs on our Values."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Value

micrograd_engine = pytest.importorskip("micrograd.engine")
MicrogradValue = micrograd_engine.Value


def readme_example(V):
    """micrograd's README example, verbatim except that every intermediate is kept."""
    a = V(-4.0)
    b = V(2.0)
    c = a + b
    d = a * b + b**3
    c1 = c
    c += c + 1
    c2 = c
    c += 1 + c + (-a)
    d1 = d
    d += d * 2 + (b + a).relu()
    d2 = d
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g1 = g
    g += 10.0 / f
    return {"a": a, "b": b, "c1": c1, "c2": c2, "c": c, "d1": d1, "d2": d2, "d": d, "e": e, "f": f, "g1": g1, "g": g}


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

def trace(root):
    # builds a set of all nodes and edges in a graph (micrograd lecture, verbatim)
    nodes, edges = set(), set()

    def build(v):
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:
                edges.add((child, v))
                build(child)

    build(root)
    return nodes, edges


def lecture_labels(root):
    """What the lecture's draw_dot writes into each record node and op node."""
    nodes, edges = trace(root)
    records = sorted("{ %s | data %.4f | grad %.4f }" % (n.label, n.data, n.grad) for n in nodes)  # noqa: UP031
    ops = sorted(n._op for n in nodes if n._op)
    return records, ops, len(edges)


def test_lecture_trace_helper_runs_on_our_values():
    # the lecture's first neuron: o = tanh(x1*w1 + x2*w2 + b)
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    n = x1w1 + x2w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
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
