"""`autograd.testing`: assertions for users' own pytest tests, which fail with
the check's table and point at the user's test, and hypothesis strategies for
Values and random expressions (themselves used here as a property test)."""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap

import pytest
from hypothesis import given, settings

import autograd
from autograd import Value
from autograd.testing import Expression, assert_gradcheck, assert_ops, expressions, values


@pytest.fixture
def cube_right_only_at_one(register):
    """x³ with the derivative 3 (right at x = ±1 only)."""
    return register("test_testing_cube", lambda x: x ** 3, derivatives=[lambda x: 3.0])


# ---- assert_gradcheck --------------------------------------------------------------

def test_assert_gradcheck_returns_the_report_when_every_gradient_agrees():
    report = assert_gradcheck(lambda x, y: (x * y).tanh() + x.exp(), [0.3, -0.7])
    assert report.ok and len(report.rows) == 2


def test_assert_gradcheck_fails_with_the_table_naming_the_input(cube_right_only_at_one):
    with pytest.raises(AssertionError) as info:
        assert_gradcheck(lambda x, y: cube_right_only_at_one(x) * y, [2.0, 0.5])
    lines = str(info.value).splitlines()
    assert lines[0] == "the gradient of x0 fails"
    assert lines[1] == "gradcheck of <lambda>: 1 of 2 FAILED"
    assert lines[4].split()[:3] == ["x0", "1.5", "6"]  # 3·0.5 against 12·0.5, numerically


def test_assert_gradcheck_at_a_kink_says_which_op_and_the_one_sided_derivatives():
    # f = 3·relu(x) + x: slope 1 on the left of 0, 4 on the right; the central difference is 2.5.
    with pytest.raises(AssertionError, match=r"FAIL \(relu at 0: one-sided derivatives 1 and 4\)"):
        assert_gradcheck(lambda x: x.relu() * 3.0 + x, [0.0])


def test_assert_gradcheck_with_points_checks_random_points_too(cube_right_only_at_one):
    f = lambda x: cube_right_only_at_one(x) + 1.0  # noqa: E731
    assert_gradcheck(f, [1.0])  # right at the given point
    with pytest.raises(AssertionError) as info:
        assert_gradcheck(f, [1.0], points=5)
    assert "at the given point and 5 random points" in str(info.value)
    assert "x0 at (" in str(info.value)


def test_assert_gradcheck_draws_each_input_from_the_domains_of_the_ops_that_take_it():
    report = assert_gradcheck(lambda x, y: x.log() + y.sqrt() * x, [1.0, 4.0], points=20, seed=3)
    drawn = [row.where for row in report.rows[2:]]
    assert len(drawn) == 40
    for where in drawn:
        x, y = map(float, where.split("(")[1].rstrip(")").split(", "))
        assert 0.05 <= x <= 5 and 0.05 <= y <= 10  # log's and sqrt's domains, meeting `*`'s and `+`'s (-5, 5)


def test_assert_gradcheck_draws_the_same_points_for_the_same_seed():
    rows = [[r.where for r in assert_gradcheck(lambda x: x.sin(), [0.1], points=3, seed=s).rows] for s in (7, 7, 8)]
    assert rows[0] == rows[1] != rows[2]


# ---- assert_ops ----------------------------------------------------------------------

def test_assert_ops_fails_naming_the_op_by_its_name(cube_right_only_at_one):
    x = Value(2.0, "x")
    with pytest.raises(AssertionError) as info:
        assert_ops((cube_right_only_at_one(x) * 2.0).tanh())
    message = str(info.value)
    assert message.splitlines()[0] == "op 'test_testing_cube' fails"
    assert "#0 test_testing_cube ∂/∂in0" in message and "Op(" not in message


def test_assert_ops_names_a_lecture_style_bug():
    x = Value(0.8, "x")
    t = math.tanh(0.8)
    out = Value(t, (x,), "tanh")

    def _backward():
        x.grad += (1 - t) * out.grad

    out._backward = _backward
    with pytest.raises(AssertionError, match=r"(?s)op 'tanh' fails.*#0 tanh ∂/∂x.*FAIL \(wrong derivative\)"):
        assert_ops(out)


def test_assert_ops_with_points_checks_the_graphs_ops_over_their_domains(cube_right_only_at_one):
    root = cube_right_only_at_one(Value(1.0)) + Value(0.5).tanh()
    assert assert_ops(root).ok  # right at x = 1
    with pytest.raises(AssertionError, match="op 'test_testing_cube' fails"):
        assert_ops(root, points=4)
    report = assert_ops(Value(0.5).tanh() * 2.0, points=4)
    assert sum(r.where.startswith("tanh(") for r in report.rows) == 4
    assert sum(r.where.startswith("*(") for r in report.rows) == 8  # two inputs at each of 4 points


def test_assert_ops_passes_a_correct_graph_of_micrograds_own_class():
    micrograd_engine = pytest.importorskip("micrograd.engine")
    a = micrograd_engine.Value(1.5)
    assert assert_ops(((a * a + 2.0) ** 2).relu() / a, points=2).ok


# ---- in pytest, as a user sees it ------------------------------------------------------

EXAMPLE = textwrap.dedent('''
    import math

    import autograd
    from autograd import Value
    from autograd.testing import assert_gradcheck, assert_ops

    wrong_cube = autograd.defop("example_cube", lambda x: x ** 3, derivatives=[lambda x: 2 * x ** 2])


    def test_a_custom_op_with_a_wrong_derivative():
        x = Value(1.5, "x")
        assert_ops((wrong_cube(x) * 2).tanh())


    def test_a_lecture_style_tanh_written_as_1_minus_t():
        x = Value(0.8, "x")
        t = math.tanh(x.data)
        out = Value(t, (x,), "tanh")

        def _backward():
            x.grad += (1 - t) * out.grad

        out._backward = _backward
        assert_ops(out)


    def test_relu_at_its_kink():
        assert_gradcheck(lambda x: x.relu(), [0.0])


    def test_a_correct_function_at_random_points():
        assert_gradcheck(lambda x, y: (x * y).tanh() + x.log(), [1.0, 2.0], points=10)
''')


def test_pytest_shows_the_table_and_the_users_test_not_the_helpers_frames(tmp_path):
    (tmp_path / "test_example.py").write_text(EXAMPLE)
    result = subprocess.run([sys.executable, "-m", "pytest", "test_example.py", "-p", "no:cacheprovider",
                             "-p", "no:randomly", "-q"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    assert "3 failed, 1 passed" in out
    assert "AssertionError: op 'example_cube' fails" in out
    assert "#0 example_cube ∂/∂in0" in out
    assert "op 'tanh' fails" in out and "FAIL (wrong derivative)" in out
    assert "relu at 0: one-sided derivatives 0 and 1" in out
    # The traceback ends in the user's test: the helpers' own frames are hidden.
    assert "autograd/testing.py" not in out and "__tracebackhide__" not in out
    assert out.count("test_example.py:") >= 3


# ---- hypothesis strategies -----------------------------------------------------------------

@settings(max_examples=50, deadline=None)
@given(values(-2.0, 2.0, label="v"))
def test_values_are_leaf_values_in_the_range_asked_for(v):
    assert isinstance(v, Value) and v.is_leaf() and -2.0 <= v.data <= 2.0 and v.label == "v"


@settings(max_examples=60, deadline=None)
@given(expressions(n_inputs=3))
def test_every_random_expression_passes_gradcheck_and_the_per_op_check(expression):
    assert isinstance(expression, Expression) and len(expression.inputs) == 3
    assert_gradcheck(expression, expression.inputs)
    assert_ops(expression.graph())


@settings(max_examples=30, deadline=None)
@given(expressions(n_inputs=1, ops=["log", "sqrt", "/"], max_leaves=4))
def test_expressions_keep_every_op_inside_its_domain(expression):
    # log and sqrt only see (0.05, 10), a divisor only (0.5, 5): the op table's domains.
    for node in autograd.topological_order(expression.graph()):
        op = autograd.REGISTRY.get(node.op)
        for i, x in enumerate(node.inputs if op else ()):
            lo, hi = op.domain[i]
            assert lo <= x.data <= hi, (expression, node.op, x.data)


def test_an_expression_is_a_function_of_numbers_or_values_and_reads_as_a_formula():
    from hypothesis import find

    found = find(expressions(n_inputs=2, ops=["*", "tanh"]), lambda e: e.__name__.count("(") >= 1 and "x1" in
                 e.__name__ and e.term.op is not None and e.term.op.name == "*")
    xs = found.inputs
    assert found(*xs) == pytest.approx(found.graph().data, rel=1e-15)
    assert repr(found).startswith(f"Expression({found.__name__!r} at ")


def test_the_strategies_say_hypothesis_is_needed_when_it_is_not_installed(monkeypatch):
    monkeypatch.setitem(sys.modules, "hypothesis", None)  # what `import hypothesis` meets when it is absent
    for strategy in (values, expressions):
        with pytest.raises(ImportError, match="need hypothesis, which is not installed: pip install hypothesis"):
            strategy()


def test_importing_autograd_testing_does_not_import_hypothesis():
    code = "import sys, autograd.testing; print('hypothesis' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "False", result.stderr
