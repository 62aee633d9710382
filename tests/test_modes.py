"""The recording modes: `no_grad`, `detect_anomaly` and `name_scope`; each is
thread-local and nestable."""

from __future__ import annotations

import inspect
import math
import os
import threading

import pytest

import autograd
from autograd import Value, detect_anomaly, name_scope, no_grad


def line_of_previous_statement() -> int:
    return inspect.currentframe().f_back.f_lineno - 1


def run_in_thread(fn):
    """Runs fn in a new thread and returns its result (or raises its exception)."""
    box = {}

    def target():
        try:
            box["result"] = fn()
        except BaseException as err:  # handed back to the test
            box["error"] = err

    t = threading.Thread(target=target)
    t.start()
    t.join(timeout=30)
    if "error" in box:
        raise box["error"]
    return box["result"]


@pytest.fixture
def nan_op(register):
    """A custom op whose derivative is NaN everywhere, removed afterwards."""
    return register("test_modes_nan", lambda x: 2.0 * x, derivatives=[lambda x: math.nan])


# ---- no_grad -------------------------------------------------------------------

def test_results_under_no_grad_are_leaves():
    x = Value(2.0)
    with no_grad():
        y = (x * 3 + 1).tanh()
        z = autograd.leaky_relu(x, 0.1) + autograd.sum([x, x])
    assert (y.op, y.inputs, y.data) == ("", (), math.tanh(7.0))
    assert (z.op, z.inputs, z.data) == ("", (), 6.0)


def test_backward_through_a_no_grad_result_stops_there():
    x = Value(2.0)
    with no_grad():
        y = x * 3
    (y * x).backward()
    assert x.grad == 6.0
    assert y.grad == 2.0


def test_recording_resumes_after_no_grad():
    x = Value(2.0)
    with no_grad():
        pass
    y = x * 3
    assert y.op == "*" and y.inputs[0] is x


def test_no_grad_nests():
    x = Value(2.0)
    with no_grad():
        with no_grad():
            inner = x * 2
        still_off = x * 3
        assert not autograd.is_grad_enabled()
    after = x * 4
    assert (inner.op, still_off.op, after.op) == ("", "", "*")
    assert autograd.is_grad_enabled()


def test_no_grad_is_restored_when_its_block_raises():
    with pytest.raises(RuntimeError), no_grad():
        raise RuntimeError("boom")
    assert autograd.is_grad_enabled()
    assert (Value(1.0) * 2).op == "*"


def test_no_grad_is_thread_local():
    entered, done = threading.Event(), threading.Event()
    seen = {}

    def other_thread():
        with no_grad():
            entered.set()
            done.wait(timeout=30)
            seen["other"] = (Value(1.0) * 2).op

    t = threading.Thread(target=other_thread)
    t.start()
    assert entered.wait(timeout=30)
    try:
        x = Value(2.0)
        mine = x * 3  # while the other thread is inside no_grad
        assert (mine.op, mine.inputs[0]) == ("*", x)
        assert autograd.is_grad_enabled()
    finally:
        done.set()
        t.join(timeout=30)
    assert seen["other"] == ""


def test_no_grad_entered_here_does_not_reach_another_thread():
    with no_grad():
        op = run_in_thread(lambda: (Value(1.0) * 2).op)
        here = (Value(1.0) * 2).op
    assert (op, here) == ("*", "")


# ---- detect_anomaly ---------------------------------------------------------------

def test_anomaly_mode_records_the_creating_file_and_line():
    x = Value(4.0)
    with detect_anomaly():
        y = x.sqrt()
        line = line_of_previous_statement()
    path, _, lineno = y.source.rpartition(":")
    assert os.path.samefile(path, __file__)
    assert int(lineno) == line


def test_anomaly_mode_records_the_callers_line_for_functions_and_generic_ops():
    x = Value(4.0)
    with detect_anomaly():
        y = autograd.exp(x)
        line_y = line_of_previous_statement()
        z = x.leaky_relu(0.2)
        line_z = line_of_previous_statement()
    assert y.source.endswith(f"{os.path.basename(__file__)}:{line_y}")
    assert z.source.endswith(f"{os.path.basename(__file__)}:{line_z}")


def test_ops_outside_anomaly_mode_record_no_source():
    assert (Value(4.0) * 2).source == ""


def test_anomaly_mode_raises_on_an_infinite_gradient_naming_the_op_and_line():
    x = Value(0.0)
    with detect_anomaly():
        y = x.sqrt()
        line = line_of_previous_statement()
        z = y * 2
        with pytest.raises(FloatingPointError) as info:
            z.backward()
    message = str(info.value)
    assert "'sqrt'" in message and "an infinite gradient" in message
    assert f"{os.path.basename(__file__)}:{line}" in message


def test_anomaly_mode_raises_on_a_nan_gradient_naming_the_custom_op(nan_op):
    x = Value(1.0)
    with detect_anomaly():
        y = nan_op(x) + 1
        line = line_of_previous_statement()
        with pytest.raises(FloatingPointError, match=r"'test_modes_nan' produced a NaN gradient") as info:
            y.backward()
    assert f":{line}" in str(info.value)


def test_anomaly_mode_names_the_first_op_to_go_bad():
    # sqrt(0) yields inf; the * above it only passes it on, so the error names sqrt.
    x = Value(0.0)
    with detect_anomaly():
        y = (x.sqrt() * 3.0).tanh()
        with pytest.raises(FloatingPointError, match="'sqrt'"):
            y.backward()


def test_without_anomaly_mode_an_infinite_gradient_passes_silently():
    x = Value(0.0)
    (x.sqrt() * 2).backward()
    assert x.grad == math.inf


def test_without_anomaly_mode_a_nan_gradient_passes_silently(nan_op):
    x = Value(1.0)
    nan_op(x).backward()
    assert math.isnan(x.grad)


def test_graph_built_outside_anomaly_mode_is_checked_by_backward_inside_it():
    x = Value(0.0)
    y = x.sqrt()
    with detect_anomaly(), pytest.raises(FloatingPointError, match="created outside detect_anomaly"):
        y.backward()


def test_anomaly_mode_ignores_an_infinite_gradient_of_a_constant():
    # d(x/c)/dc = -x/c² overflows for c = 1e-300, but c is a number in the code, not a variable.
    x = Value(1.0)
    with detect_anomaly():
        y = x / 1e-300
        y.backward()
    assert x.grad == pytest.approx(1e300)
    assert y.inputs[1].grad == -math.inf


def test_anomaly_mode_nests_and_ends():
    with detect_anomaly():
        with detect_anomaly():
            assert autograd.is_anomaly_enabled()
        assert autograd.is_anomaly_enabled()
    assert not autograd.is_anomaly_enabled()


def test_anomaly_mode_is_thread_local():
    with detect_anomaly():
        other = run_in_thread(lambda: (autograd.is_anomaly_enabled(), (Value(1.0) * 2).source))
    assert other == (False, "")


def test_anomaly_mode_leaves_finite_gradients_unchanged():
    x = Value(0.3)
    with detect_anomaly():
        y = (x * x).tanh() + x.exp()
        y.backward()
    assert x.grad == pytest.approx((1 - math.tanh(0.09) ** 2) * 0.6 + math.exp(0.3), rel=1e-15)


# ---- name_scope -----------------------------------------------------------------

def test_name_scope_tags_leaves_and_results():
    with name_scope("layer"):
        w = Value(1.0)
        y = w * 2
    assert (w.scope, y.scope) == ("layer", "layer")


def test_nested_name_scopes_join_with_dots():
    with name_scope("layers") as outer, name_scope("0") as inner:
        y = Value(1.0) + 1
    assert (outer, inner, y.scope) == ("layers", "layers.0", "layers.0")


def test_name_scope_ends_with_its_block():
    with name_scope("a"):
        with name_scope("b"):
            pass
        y = Value(1.0) * 2
        assert autograd.current_scope() == "a"
    assert (y.scope, autograd.current_scope(), Value(1.0).scope) == ("a", "", "")


def test_name_scope_tags_no_grad_results():
    with name_scope("eval"), no_grad():
        y = Value(1.0) * 2
    assert (y.op, y.scope) == ("", "eval")


def test_name_scope_is_thread_local():
    with name_scope("main"):
        other = run_in_thread(lambda: (autograd.current_scope(), Value(1.0).scope, (Value(1.0) * 2).scope))
    assert other == ("", "", "")


@pytest.mark.parametrize("name", ["", None, 3])
def test_name_scope_rejects_a_name_that_is_not_a_non_empty_string(name):
    with pytest.raises(ValueError, match="name_scope"), name_scope(name):
        pass


def test_scope_is_settable_and_must_be_a_string():
    v = Value(1.0)
    v.scope = "manual"
    assert v.scope == "manual"
    with pytest.raises(TypeError, match="scope must be a str"):
        v.scope = 3


def test_modes_off_again_leave_the_count_of_active_modes_at_zero():
    from autograd import modes

    before = modes.active
    with no_grad(), detect_anomaly(), name_scope("x"):
        assert modes.active == before + 3
    assert modes.active == before == 0
