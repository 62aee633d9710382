"""Habits users bring from PyTorch and from writing their own ops, and what they
see when one goes wrong."""

from __future__ import annotations

import math

import pytest

import autograd
from autograd import Value


def test_a_none_gradient_counts_as_zero_as_in_pytorch():
    w, x = Value(3.0), Value(2.0)
    w.grad = None  # PyTorch's zero_grad(set_to_none=True)
    (w * x).backward()
    assert w.grad == 2.0 and x.grad == 3.0


def test_a_none_gradient_on_a_leaf_root_counts_as_zero():
    w = Value(3.0)
    w.grad = None
    w.backward()
    assert w.grad == 1.0


def test_a_none_gradient_counts_as_zero_under_create_graph():
    x = Value(3.0)
    x.grad = None
    (x * x).backward(create_graph=True)
    assert x.grad.data == 6.0


def test_a_custom_vjp_returning_one_gradient_for_two_inputs_is_refused_when_registered(register):
    with pytest.raises(TypeError, match=r"'bad_hypot'.*2 gradient\(s\), one per input, got 0\.707"):
        register("bad_hypot", lambda x, y: math.hypot(x, y), lambda g, ans, x, y: g * x / ans,
                 domain=[(1, 5), (1, 5)])


def test_a_custom_vjp_returning_a_one_tuple_for_two_inputs_is_refused_when_registered(register):
    with pytest.raises(TypeError, match=r"'bad_pair'.*2 gradient\(s\).*got \(1\.0,\)"):
        register("bad_pair", lambda x, y: x + y, lambda g, ans, x, y: (g,))


def test_a_custom_vjp_that_goes_wrong_only_at_some_points_names_the_op_at_backward(register):
    # Right on the domain used at registration (x > 0), one gradient short elsewhere.
    op = register("moody", lambda x, y: x * y, lambda g, ans, x, y: (g * y, g * x) if x > 0 else (g * y,),
                  domain=[(1, 2), (1, 2)])
    a, b = Value(-1.0), Value(2.0)
    with pytest.raises(TypeError, match=r"op 'moody': its vjp must return 2 gradient\(s\), one per input, got"):
        op(a, b).backward()


def test_a_custom_vjp_may_return_a_lone_number_for_one_input(register):
    cube = register("cube_by_vjp", lambda x: x ** 3, lambda g, ans, x: g * 3 * x * x)
    x = Value(2.0)
    cube(x).backward()
    assert x.grad == 12.0


def test_the_functional_spelling_and_the_method_make_the_same_node():
    x = Value(0.3)
    assert autograd.tanh(x).op == x.tanh().op == "tanh"
    assert autograd.tanh(x).data == x.tanh().data


@pytest.mark.slow
def test_anomaly_mode_in_jupyter_names_the_cell_and_line():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("import autograd\nfrom autograd import Value"),
        nbformat.v4.new_code_cell("x = Value(0.0)\nwith autograd.detect_anomaly():\n    y = x.sqrt()\n"
                                  "    try:\n        y.backward()\n    except FloatingPointError as err:\n"
                                  "        print(err)"),
    ]
    nbclient.NotebookClient(nb, kernel_name="python3", timeout=120).execute()
    printed = nb.cells[1].outputs[0]["text"]
    assert "op 'sqrt' produced an infinite gradient" in printed
    assert "the op was created at cell [2], line 3" in printed


@pytest.mark.parametrize("create_graph", [False, True])
def test_a_string_seed_for_backward_names_grad_not_value_data(create_graph):
    # Issue 15.5: under create_graph=True the message spoke of "Value data"; the argument is backward's grad.
    with pytest.raises(TypeError) as err:
        (Value(2.0) * 3).backward("1", create_graph=create_graph)
    assert str(err.value).startswith("backward: grad must be a real number")
    assert str(err.value).endswith("got str: '1'")
