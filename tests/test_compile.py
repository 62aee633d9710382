"""autograd.compile: a scalar graph recorded once and replayed over a batch
gives the scalar engine's numbers, and refuses clearly what it cannot replay.

"Equal" here is to 1e-12 relative to the size of the numbers in the example's
graph: NumPy's exp, log and tanh may differ from Python's math module in the
last bit, and a sum adds its terms in another order than math.fsum."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import autograd
from autograd import Constant, TraceError, Value, VerifyError, topological_order
from autograd.registry import compiles
from nn import ACTIVATIONS, MLP
from nn.data import make_moons

RTOL = 1e-12


# ---- the scalar engine as the reference -------------------------------------------------

def scalar_reference(fn, columns, params, seeds):
    """Per example: fn on fresh argument Values; returns (outputs (B, k), Σ_b seed_b·∂out_b/∂p, scale),
    scale being the largest |number| (data or gradient) met in any example's graph."""
    B = len(seeds)
    outs, grads, scale = [], np.zeros(len(params)), 1.0
    for b in range(B):
        args = [_values(col[b], f"a{i}") for i, col in enumerate(columns)]
        result = fn(*args)
        results = result if isinstance(result, list) else [result]
        outs.append([r.data for r in results])
        for k, r in enumerate(results):
            nodes = topological_order(r)
            reachable = [p for p in params if p in set(nodes)]
            g = autograd.gradients(r, reachable) if reachable else []
            by_param = dict(zip(reachable, g))
            grads += seeds[b, k] * np.array([by_param.get(p, 0.0) for p in params])
            scale = max(scale, *(abs(v.data) for v in nodes), *(abs(x) for x in g))
    return np.array(outs), grads, scale


def _values(x, name):
    return [_values(v, name) for v in x] if isinstance(x, (list, np.ndarray)) and np.ndim(x) else Value(float(x))


def assert_close(got, want, scale, what):
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    bad = np.abs(got - want) > RTOL * np.maximum(np.abs(want), scale)
    assert not bad.any(), f"{what}: compiled {got[bad]} against scalar {want[bad]} (scale {scale:.3g})"


def check_against_scalar(fn, examples, columns, params, seeds=None):
    """Compiles fn on `examples`, replays it on `columns`, and compares outputs and gradients."""
    f = autograd.compile(fn, *examples)
    B = len(columns[0])
    k = 1 if not isinstance(f.graph, list) else len(f.graph)
    seeds = np.random.default_rng(0).uniform(-1, 1, (B, k)) if seeds is None else seeds
    want_out, want_grad, scale = scalar_reference(fn, columns, params, seeds)
    for p in params:
        p.grad = 0.0
    out, grads = f.value_and_grad(*columns, seed=seeds if k > 1 else seeds[:, 0])
    assert set(f.parameters) <= set(params)
    want = dict(zip(params, want_grad))
    returned = dict(zip(f.parameters, grads))
    assert_close(out.reshape(B, k), want_out, scale, "outputs")
    assert_close([returned.get(p, 0.0) for p in params], want_grad, scale * np.abs(seeds).sum(), "gradients")
    assert_close([p.grad for p in params], [want[p] for p in params], scale * np.abs(seeds).sum(), ".grad")
    return f


# ---- the example ----------------------------------------------------------------

def moons(n=40):
    X, y = make_moons(n, noise=0.1, seed=3)
    return X, 2.0 * y - 1.0


def test_the_hinge_loss_of_micrograds_model_compiles_to_the_scalar_engines_numbers():
    model = MLP(2, [16, 16, 1], seed=1337)

    def loss_one(x0, x1, y):
        s = model([x0, x1])
        return (1 + -y * s).relu()

    X, Y = moons()
    check_against_scalar(loss_one, (0.0, 0.0, 1.0), [X[:, 0], X[:, 1], Y], model.parameters())


def test_backward_adds_the_seeded_batch_sum_into_every_parameters_grad():
    model = MLP(2, [4, 1], seed=0)
    f = autograd.compile(lambda x0, x1: model([x0, x1]), 0.0, 0.0)
    X, _ = moons(10)
    f(X[:, 0], X[:, 1])
    model.zero_grad()
    f.backward(np.full(10, 0.1))
    total = autograd.sum([model([float(a), float(b)]) for a, b in X]) * 0.1
    grads = autograd.gradients(total, model.parameters())
    assert_close([p.grad for p in model.parameters()], grads, 1.0, ".grad")


# ---- random expressions over every op ----------------------------------------------------

# Each op in a form whose operand stays inside its domain, so any tree is defined.
UNARY = {
    "exp": lambda e: autograd.exp(e.tanh()),
    "log": lambda e: (e.softplus() + 0.5).log(),
    "sqrt": lambda e: (e.sigmoid() + 0.25).sqrt(),
    "sin": lambda e: e.sin(), "cos": lambda e: e.cos(), "abs": lambda e: abs(e),
    "tanh": lambda e: e.tanh(), "sigmoid": lambda e: e.sigmoid(), "relu": lambda e: e.relu(),
    "softplus": lambda e: e.softplus(), "neg": lambda e: -e,
    "leaky_relu": lambda e: e.leaky_relu(0.1),
    "**": lambda e: (e.sigmoid() + 0.5) ** 1.5, "square": lambda e: e ** 2,
    "rpow": lambda e: 2 ** e.tanh(),
}
BINARY = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
    "/": lambda a, b: a / (b.sigmoid() + 0.5),
    "pow": lambda a, b: autograd.pow(a.sigmoid() + 0.5, b.tanh()),
    "leaky_relu_value_slope": lambda a, b: autograd.leaky_relu(a, b.sigmoid() * 0.5),
}

leaves = st.one_of(st.tuples(st.just("x"), st.integers(0, 1)), st.tuples(st.just("w"), st.integers(0, 2)),
                   st.tuples(st.just("c"), st.floats(-2, 2)))
trees = st.recursive(
    leaves,
    lambda sub: st.one_of(st.tuples(st.sampled_from(sorted(UNARY)), sub),
                          st.tuples(st.sampled_from(sorted(BINARY)), sub, sub),
                          st.tuples(st.just("sum"), sub, sub, sub)),
    max_leaves=8)


def build(tree, xs, ws):
    kind = tree[0]
    if kind == "x":
        return xs[tree[1]]
    if kind == "w":
        return ws[tree[1]]
    if kind == "c":
        return Constant(tree[1])
    parts = [build(t, xs, ws) for t in tree[1:]]
    if kind == "sum":
        return autograd.sum(parts)
    return UNARY[kind](*parts) if kind in UNARY else BINARY[kind](*parts)


def test_the_random_expressions_use_every_builtin_op():
    used = {"sum", "*", "+", "-", "neg"} | set(UNARY) | set(BINARY)
    ops = {op.name for op in autograd.ops.builtin_ops()}
    made = set()
    x, w = [Value(0.3), Value(-0.2)], [Value(0.5), Value(0.1), Value(-0.4)]
    for kind in used:
        tree = (kind, ("x", 0), ("w", 1), ("x", 1))[: 2 if kind in UNARY else 4 if kind == "sum" else 3]
        made |= {v.op for v in topological_order(build(tree, x, w))}
    assert ops <= made


@settings(max_examples=60, deadline=None)
@given(tree=trees, data=st.lists(st.floats(-3, 3), min_size=8, max_size=8),
       weights=st.lists(st.floats(-2, 2), min_size=3, max_size=3))
def test_random_expressions_over_every_op_replay_the_scalar_engines_numbers(tree, data, weights):
    ws = [Value(w, f"w{i}") for i, w in enumerate(weights)]
    columns = [np.array(data[:4]), np.array(data[4:])]
    for b in range(4):  # away from kinks, where one bit can choose the other side of a derivative
        out = build(tree, [Value(columns[0][b]), Value(columns[1][b])], ws)
        if isinstance(out, Value):
            for v in topological_order(out):
                if v.op in ("relu", "abs", "leaky_relu"):
                    assume(abs(v.inputs[0].data) > 1e-9)
    check_against_scalar(lambda x0, x1: build(tree, [x0, x1], ws), (0.5, -0.5), columns, ws)


# ---- MLPs --------------------------------------------------------------------------------

@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("depth", [1, 2, 3, 4])
def test_mlps_of_every_depth_and_activation_replay_outputs_and_gradients(activation, depth):
    widths = [5, 4, 3][: depth - 1] + [3]
    model = MLP(3, widths, activation=activation, out_activation="sigmoid" if depth % 2 else "tanh", seed=depth)
    X = np.random.default_rng(depth).uniform(-2, 2, (6, 3))
    check_against_scalar(lambda x: model(x), ([0.0, 0.0, 0.0],), [X], model.parameters())


def test_an_optimizers_update_between_calls_is_seen_without_recompiling():
    model = MLP(2, [3, 1], activation="tanh", seed=0)
    f = autograd.compile(lambda x: model(x), [0.0, 0.0])
    X, _ = moons(5)
    before = f(X)
    for p in model.parameters():
        p.data -= 0.1
    after = f(X)
    assert not np.allclose(before, after)
    assert_close(after, [model(list(x)).data for x in X], 1.0, "outputs after the update")


def test_a_batch_of_one_example():
    w = Value(1.5)
    f = autograd.compile(lambda x: (x * w).tanh(), 0.0)
    out, grads = f.value_and_grad(np.array([0.4]))
    assert out.shape == (1,)
    assert out[0] == pytest.approx(math.tanh(0.6), rel=RTOL)
    assert grads[0] == pytest.approx(0.4 * (1 - math.tanh(0.6) ** 2), rel=RTOL)


def test_chunked_batches_give_the_unchunked_result():
    model = MLP(2, [6, 1], activation="tanh", seed=2)
    X, _ = moons(50)
    whole = autograd.compile(lambda x: model(x), [0.0, 0.0])
    chunked = autograd.compile(lambda x: model(x), [0.0, 0.0], chunk_size=7)
    seed = np.linspace(-1, 1, 50)
    out1, g1 = whole.value_and_grad(X, seed=seed)
    out2, g2 = chunked.value_and_grad(X, seed=seed)
    assert_close(out2, out1, 1.0, "chunked outputs")  # BLAS may round a product of another width differently
    assert_close(g2, g1, np.abs(g1).max(), "chunked gradients")
    model.zero_grad()
    out3 = chunked(X)  # backward after a chunked call reads each chunk's rows kept by the call
    chunked.backward(seed)
    assert np.array_equal(out3, out2)
    assert_close([p.grad for p in chunked.parameters], g1, np.abs(g1).max(), "chunked backward")


def test_backward_after_a_call_too_large_to_keep_recomputes_each_chunk(monkeypatch):
    model = MLP(2, [6, 1], activation="tanh", seed=2)
    X, _ = moons(50)
    seed = np.linspace(-1, 1, 50)
    _, expected = autograd.compile(lambda x: model(x), [0.0, 0.0]).value_and_grad(X, seed=seed)
    monkeypatch.setattr(autograd.compiler, "MEMORY_BUDGET", 1)  # no rows are kept: backward replays the forward
    chunked = autograd.compile(lambda x: model(x), [0.0, 0.0], chunk_size=7)
    model.zero_grad()
    chunked(X)
    chunked.backward(seed)
    assert_close([p.grad for p in chunked.parameters], expected, np.abs(expected).max(), "recomputed backward")


def test_the_default_chunk_keeps_a_chunks_rows_within_the_cache_and_the_memory_budget():
    from autograd.compiler import CACHE_BYTES, MEMORY_BUDGET, MIN_CHUNK

    for width in (4, 16, 128):
        f = autograd.compile(MLP(2, [width, width, 1], seed=0), [0.0, 0.0])  # a model is a function of x
        row_bytes = f._program.rows * 8
        assert f.chunk_size == MIN_CHUNK or f.chunk_size * row_bytes <= CACHE_BYTES
        assert f.chunk_size * row_bytes * 3 <= MEMORY_BUDGET


def test_replaying_one_node_at_a_time_gives_the_grouped_numbers():
    model = MLP(2, [5, 1], seed=4)
    X, _ = moons(12)
    grouped = autograd.compile(lambda x: model(x), [0.0, 0.0])
    slow = autograd.compile(lambda x: model(x), [0.0, 0.0], grouped=False)
    assert len(slow._program.groups) == sum(slow._program.ops.values())
    assert len(grouped._program.groups) < len(slow._program.groups)
    assert_close(slow(X), grouped(X), 1.0, "per-node replay")


def test_one_input_read_by_many_nodes_and_repeated_reads_replay_the_scalar_numbers():
    ws = [Value(0.1 * k - 0.3, f"w{k}") for k in range(7)]

    def fn(x, y):  # x times every weight (one row read by seven nodes), y read in a scattered order
        products = [(x * w).tanh() for w in ws]
        return autograd.sum([p * (y if k % 3 else -y) for k, p in enumerate(products)] + [ws[0] * ws[1]])

    X = np.random.default_rng(5).uniform(-1, 1, (2, 9))
    check_against_scalar(fn, (0.0, 0.0), [X[0], X[1]], ws)


@pytest.mark.slow
def test_a_million_moons_examples_run_in_chunks_under_one_gib():
    import tracemalloc

    model = MLP(2, [16, 16, 1], seed=0)
    f = autograd.compile(lambda x, y: (1 + -y * model(x)).relu(), [0.0, 0.0], 1.0)
    X, y = make_moons(1_000_000, noise=0.1, seed=0)
    tracemalloc.start()
    try:
        out, grads = f.value_and_grad(X, 2.0 * y - 1.0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2 ** 30 and len(out) == 1_000_000 and f.chunk_size < 1_000_000
    few = autograd.compile(lambda x, y: (1 + -y * model(x)).relu(), [0.0, 0.0], 1.0)
    assert np.allclose(few(X[-1000:], 2.0 * y[-1000:] - 1.0), out[-1000:], rtol=1e-12, atol=0)


def test_several_outputs_and_list_arguments_give_a_column_each():
    w = Value(2.0)
    f = autograd.compile(lambda xs, y: [xs[0] * w + xs[1], y * xs[2]], [1.0, 2.0, 3.0], 0.5)
    out = f(np.arange(6.0).reshape(2, 3), np.array([1.0, 2.0]))
    assert out.tolist() == [[1.0, 2.0], [10.0, 10.0]]
    assert isinstance(f.graph, list) and [v.op for v in f.graph] == ["+", "*"]


def test_leaves_accumulate_across_calls_and_a_none_grad_counts_as_zero():
    w = Value(3.0)
    f = autograd.compile(lambda x: x * w, 0.0)
    w.grad = None
    f.value_and_grad(np.array([1.0, 2.0]), seed=np.array([1.0, 1.0]))
    f.value_and_grad(np.array([1.0]), seed=np.array([1.0]))
    assert w.grad == 4.0


def test_the_recorded_graph_and_the_repr_say_what_was_compiled():
    model = MLP(2, [3, 1], seed=0)
    f = autograd.compile(lambda x0, x1: model([x0, x1]).relu(), 0.0, 0.0)
    assert isinstance(f.graph, Value) and f.graph.op == "relu"
    assert set(model.parameters()) <= set(topological_order(f.graph))
    text = repr(f)
    for part in ("<lambda>", "ops", "relu", "levels", "inputs x0, x1", "13 parameters", "one output"):
        assert part in text


# ---- refusals ------------------------------------------------------------------------------

def branchy(x):
    if x > 0:  # data-dependent control flow
        return x
    return -x


@pytest.mark.parametrize("fn, what", [
    (branchy, "`>`"),
    (lambda x: x * float(x), "`float()`"),
    (lambda x: x * int(x * 2), "`int()`"),
    (lambda x: x if bool(x) else -x, "`bool()`"),
    (lambda x: x * (x.item()), "`.item()`"),
    (lambda x: x if x <= Value(1.0) else -x, "`<=`"),
])
def test_python_control_flow_on_a_traced_value_is_a_trace_error_naming_the_line(fn, what):
    with pytest.raises(TraceError) as err:
        autograd.compile(fn, 1.0)
    text = str(err.value)
    assert what in text and "test_compile.py:" in text and "arguments" in text
    assert "relu" in text and "abs" in text and "leaky_relu" in text


def test_a_trace_error_is_a_type_error_and_names_the_source_text():
    with pytest.raises(TypeError, match=r"`if x > 0:  # data-dependent control flow`"):
        autograd.compile(branchy, 1.0)


def test_a_branch_on_a_parameter_is_refused_too_its_number_changes_between_calls():
    w = Value(0.5)
    with pytest.raises(TraceError, match="parameter"):
        autograd.compile(lambda x: x * (w if w > 0 else -w), 1.0)


def test_comparisons_of_constants_and_outside_compile_stay_allowed():
    f = autograd.compile(lambda x: x * (2.0 if Constant(1.0) < Constant(2.0) else 3.0), 1.0)
    assert f(np.array([1.0])).tolist() == [2.0]
    assert Value(1.0) < Value(2.0) and float(Value(2.5)) == 2.5 and bool(Value(0.0))


@pytest.mark.parametrize("batch, error, message", [
    ((np.ones(3),), TypeError, "takes 2 batch argument"),
    ((np.ones(3), np.ones(4)), ValueError, "x has 3, y has 4"),
    ((np.ones(0), np.ones(0)), ValueError, "empty"),
    ((np.array(["a", "b"]), np.ones(2)), TypeError, "'x' must hold real numbers"),
    ((np.ones((2, 1)), np.ones(2)), ValueError, "'x' must be a 1-d array"),
    ((np.array([1.0, np.nan]), np.ones(2)), ValueError, "'x' is nan in example 1"),
    (([Value(1.0)], np.ones(1)), TypeError, "not Values"),
])
def test_bad_batches_are_refused_naming_the_argument(batch, error, message):
    f = autograd.compile(lambda x, y: x * y, 1.0, 1.0)
    with pytest.raises(error, match=message):
        f(*batch)


def test_a_list_argument_must_come_as_rows_of_its_length():
    f = autograd.compile(lambda xs: xs[0] + xs[1], [0.0, 0.0])
    with pytest.raises(ValueError, match=r"shape \(B, 2\)"):
        f(np.ones((3, 3)))


def test_bad_examples_outputs_seeds_and_order_are_refused():
    with pytest.raises(TypeError, match="not Values"):
        autograd.compile(lambda x: x, Value(1.0))
    with pytest.raises(TypeError, match="number or a"):
        autograd.compile(lambda x: x, "one")
    with pytest.raises(TypeError, match="must return a Value"):
        autograd.compile(lambda x: "no", 1.0)
    f = autograd.compile(lambda x: x * Value(2.0), 1.0)
    with pytest.raises(RuntimeError, match="call the compiled function"):
        f.backward(np.ones(1))
    f(np.ones(3))
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        f.backward(np.ones(4))


# ---- domain errors -------------------------------------------------------------------------

@pytest.mark.parametrize("fn, column, error, message", [
    (lambda x: x.log(), [1.0, 2.0, -3.0, -1.0], ValueError, r"log\(-3.0\): log is defined only for x > 0 "
                                                            r"\(in example 2 of the batch\)"),
    (lambda x: 1.0 / x, [1.0, 0.0, 0.0], ZeroDivisionError, r"in example 1 of the batch"),
    (lambda x: (x * 2).exp(), [1.0, 400.0], OverflowError, r"exp\(800.0\).*example 1"),
    (lambda x: x.sqrt(), [4.0, -1.0], ValueError, r"sqrt.*example 1"),
    (lambda x: x ** 0.5, [4.0, 1.0, -8.0], ValueError, r"\*\*.*not a real number.*example 2"),
])
def test_a_domain_error_in_one_example_raises_the_scalar_engines_error_naming_the_example(fn, column, error,
                                                                                           message):
    f = autograd.compile(fn, 1.0)
    with pytest.raises(error, match=message):
        f(np.array(column))
    with pytest.raises(error):  # the scalar engine raises the same type on that example
        fn(Value(column[-1] if error is not ZeroDivisionError else 0.0))


def test_infinity_where_the_scalar_engine_gives_it_too_passes_without_a_warning():
    w = Value(1e308)
    f = autograd.compile(lambda x: x * w, 1.0)
    with np.errstate(all="raise"):
        out = f(np.array([1.0, 10.0]))
    assert out.tolist() == [1e308, math.inf] == [1.0 * 1e308, 10.0 * 1e308]


def test_backward_at_a_pole_gives_infinity_as_the_scalar_engine_does():
    w = Value(1.0)
    (Value(-1.0) + w).sqrt().backward()  # d√u/du = 1/(2√u) = inf at u = 0
    scalar = w.grad
    w.grad = 0.0
    f = autograd.compile(lambda t: (t + w).sqrt(), 0.0)
    f(np.array([-1.0, 3.0]))
    f.backward(np.array([1.0, 0.0]))
    assert scalar == w.grad == math.inf


# ---- custom ops ------------------------------------------------------------------------------

def test_a_custom_op_with_an_array_form_compiles(register):
    cube = register("test_compile_cube", lambda x: x ** 3, derivatives=[lambda x: 3 * x ** 2],
                    array_forward=lambda x: x ** 3)
    assert compiles(cube)
    w = Value(0.7)
    check_against_scalar(lambda x: cube(x * w), (1.0,), [np.array([0.5, -1.0, 2.0])], [w])


def test_a_custom_op_with_a_branching_rule_compiles_with_its_array_rule(register):
    clip = register("test_compile_clip", lambda x: min(x, 1.0),
                    vjp=lambda g, ans, x: (g if x < 1.0 else 0.0,),
                    array_forward=lambda x: np.minimum(x, 1.0),
                    array_vjp=lambda g, ans, x: (np.where(x < 1.0, g, 0.0),))
    w = Value(1.0)
    check_against_scalar(lambda x: clip(x * w), (1.0,), [np.array([0.5, 3.0])], [w])


def test_a_custom_op_without_an_array_form_is_refused_naming_it_and_the_fix(register):
    op = register("test_compile_noarray", lambda x: 2 * x, derivatives=[lambda x: 2.0])
    with pytest.raises(TraceError, match=r"'test_compile_noarray'.*array_forward="):
        autograd.compile(lambda x: op(x), 1.0)


def test_a_custom_op_whose_rule_branches_needs_an_array_rule(register):
    op = register("test_compile_branchy", lambda x: max(x, 0.0), vjp=lambda g, ans, x: (g if x > 0 else 0.0,),
                  array_forward=lambda x: np.maximum(x, 0.0))
    with pytest.raises(TraceError, match=r"'test_compile_branchy'.*array_vjp="):
        autograd.compile(lambda x: op(x), 1.0)


def test_a_hand_written_node_is_refused():
    def double(x):
        out = Value(2 * x.data, (x,), "double")
        out._backward = lambda: None
        return out

    with pytest.raises(TraceError, match="by hand"):
        autograd.compile(double, 1.0)


# ---- verify ----------------------------------------------------------------------------------

def test_verify_passes_on_an_honest_graph():
    model = MLP(2, [4, 1], activation="tanh", seed=0)
    f = autograd.compile(lambda x: model(x), [0.0, 0.0])
    X, _ = moons(30)
    report = f.verify(X, n=5)
    assert report.examples == [0, 7, 14, 22, 29] and report.max_difference < 1e-12
    assert "agree" in str(report)


def test_verify_catches_a_graph_that_branched_on_data_it_read_with_dot_data():
    w = Value(1.0)
    f = autograd.compile(lambda x: x * w if x.data > 0 else -x * w, 1.0)  # .data is not refused: verify is the guard
    with pytest.raises(VerifyError, match=r"example 1 .*output 0"):
        f.verify(np.array([1.0, -2.0]))


# ---- arrays through the op table -------------------------------------------------------------

def test_the_ops_functions_apply_their_array_forward_to_arrays_and_stay_floats_on_floats():
    x = np.array([0.0, 1.0])
    assert np.array_equal(autograd.cos(x), np.cos(x))
    assert autograd.cos(1.0) == math.cos(1.0) and type(autograd.cos(1.0)) is float
    with pytest.raises(TypeError, match="must be a real number"):
        autograd.cos("1.0")


def test_every_builtin_op_compiles():
    assert all(compiles(op) for op in autograd.ops.builtin_ops())
