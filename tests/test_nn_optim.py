"""nn.optim: SGD and Adam updates against hand-computed steps, and argument checks."""

import math

import numpy as np
import pytest

from autograd import Value
from nn.optim import SGD, Adam


def param(data, grad):
    p = Value(data)
    p.grad = grad
    return p


def test_sgd_step_is_p_minus_lr_times_grad():
    p = param(1.0, 0.5)
    SGD([p], lr=0.1).step()
    assert p.data == 1.0 - 0.1 * 0.5


def test_sgd_momentum_accumulates_a_velocity():
    p = param(1.0, 1.0)
    opt = SGD([p], lr=0.1, momentum=0.9)
    opt.step()  # v = g = 1.0; p = 1 − 0.1
    assert p.data == pytest.approx(0.9, rel=1e-15)
    p.grad = 0.5
    opt.step()  # v = 0.9·1.0 + 0.5 = 1.4; p = 0.9 − 0.14
    assert p.data == pytest.approx(0.76, rel=1e-15)
    assert opt.velocity == pytest.approx([1.4])


def test_sgd_weight_decay_adds_lambda_p_to_the_gradient():
    p = param(2.0, 0.5)
    SGD([p], lr=0.1, weight_decay=0.1).step()  # g = 0.5 + 0.1·2 = 0.7
    assert p.data == pytest.approx(2.0 - 0.07, rel=1e-15)


def test_a_changed_lr_applies_from_the_next_step():
    p = param(0.0, 1.0)
    opt = SGD([p], lr=1.0)
    opt.step()
    opt.lr = 0.25
    opt.step()
    assert p.data == -1.25


def test_adam_first_step_moves_each_parameter_by_about_lr():
    # Step 1: m̂ = g and v̂ = g², so the update is lr·g / (|g| + eps).
    p, q = param(1.0, 0.5), param(-1.0, -3e-3)
    Adam([p, q], lr=0.1).step()
    assert p.data == pytest.approx(1.0 - 0.1 * 0.5 / (0.5 + 1e-8), rel=1e-15)
    assert q.data == pytest.approx(-1.0 + 0.1 * 3e-3 / (3e-3 + 1e-8), rel=1e-15)


def test_adam_second_step_by_the_formula():
    p = param(1.0, 0.5)
    opt = Adam([p], lr=0.1)
    opt.step()
    p.grad = -0.25
    opt.step()
    m1, v1 = 0.1 * 0.5, 0.001 * 0.25
    m2, v2 = 0.9 * m1 + 0.1 * -0.25, 0.999 * v1 + 0.001 * 0.0625
    m_hat, v_hat = m2 / (1 - 0.9 ** 2), v2 / (1 - 0.999 ** 2)
    expected = 1.0 - 0.1 * 0.5 / (0.5 + 1e-8) - 0.1 * m_hat / (math.sqrt(v_hat) + 1e-8)
    assert p.data == pytest.approx(expected, rel=1e-14)
    assert (m2, v2) == pytest.approx((0.02, 0.00031225))


def test_adam_weight_decay_adds_lambda_p_to_the_gradient():
    p, q = param(2.0, 0.0), param(2.0, 0.2)
    Adam([p], lr=0.1, weight_decay=0.1).step()
    Adam([q], lr=0.1).step()
    assert p.data == q.data  # g = 0 + 0.1·2 is the same gradient as 0.2


def test_zero_grad_clears_every_gradient():
    ps = [param(1.0, 3.0), param(2.0, -1.0)]
    SGD(ps, lr=0.1).zero_grad()
    assert [p.grad for p in ps] == [0.0, 0.0]


def test_state_dict_holds_hyperparameters_and_state():
    p = param(1.0, 1.0)
    sgd = SGD([p], lr=0.1, momentum=0.9)
    sgd.step()
    assert sgd.state_dict() == {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.0, "velocity": [1.0]}
    adam = Adam([p], lr=0.01)
    adam.step()
    sd = adam.state_dict()
    assert (sd["t"], sd["m"], sd["v"]) == (1, [pytest.approx(0.1)], [pytest.approx(0.001)])


@pytest.mark.parametrize("make, name", [
    (lambda p: SGD(p, lr=-0.1), "lr"),
    (lambda p: SGD(p, lr=math.nan), "lr"),
    (lambda p: SGD(p, lr=0.1, momentum=-0.5), "momentum"),
    (lambda p: SGD(p, lr=0.1, weight_decay=-1), "weight_decay"),
    (lambda p: Adam(p, betas=(0.9, 1.0)), r"betas\[1\]"),
    (lambda p: Adam(p, betas=(-0.1, 0.999)), r"betas\[0\]"),
    (lambda p: Adam(p, betas=0.9), "betas"),
    (lambda p: Adam(p, eps=-1e-8), "eps"),
])
def test_bad_hyperparameters_are_value_errors_naming_them(make, name):
    with pytest.raises(ValueError, match=name):
        make([Value(1.0)])


def test_setting_a_negative_lr_later_is_a_value_error():
    opt = SGD([Value(1.0)], lr=0.1)
    with pytest.raises(ValueError, match="lr must be a finite number >= 0, got -1"):
        opt.lr = -1
    assert opt.lr == 0.1


def test_bad_parameter_lists_are_rejected():
    with pytest.raises(ValueError, match="empty"):
        SGD([], lr=0.1)
    with pytest.raises(TypeError, match="parameter 1 must be a Value, got float"):
        SGD([Value(1.0), 2.0], lr=0.1)
    p = Value(1.0)
    with pytest.raises(ValueError, match="more than once"):
        Adam([p, p])


# ---- gradients that are Values (create_graph) or None (set_to_none) ------------------------

OPTIMIZERS = {
    "sgd": lambda ps: SGD(ps, lr=0.1),
    "sgd-momentum-decay": lambda ps: SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01),
    "adam": lambda ps: Adam(ps, lr=0.1, weight_decay=0.01),
}


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_a_step_after_backward_with_create_graph_uses_the_gradients_value(name):
    plain, graphed = Value(1.5), Value(1.5)
    (plain ** 3).backward()
    (graphed ** 3).backward(create_graph=True)
    assert isinstance(graphed.grad, Value) and graphed.grad.data == plain.grad == 6.75
    for _ in range(2):
        OPTIMIZERS[name]([plain]).step()
        OPTIMIZERS[name]([graphed]).step()
    assert type(graphed.data) is float
    assert graphed.data == plain.data


def gradient_penalty(w):
    """loss = (2w − 1)², plus (∂loss/∂w)² built by backward(create_graph=True)."""
    loss = (w * 2.0 - 1.0) ** 2
    loss.backward(create_graph=True)
    return loss + w.grad ** 2


def test_double_backprop_then_an_sgd_step_equals_the_step_by_hand():
    # L = (2w − 1)², L' = 4(2w − 1), L'' = 8; d/dw [L + L'²] = L' + 2·L'·L''.
    # At w = 0.75: L' = 2, so the gradient is 2 + 2·2·8 = 34 and w ← 0.75 − 0.01·34.
    w = Value(0.75)
    total = gradient_penalty(w)
    assert total.data == 0.25 + 4.0
    opt = SGD([w], lr=0.01)
    opt.zero_grad()
    total.backward()
    assert w.grad == 34.0
    opt.step()
    assert type(w.data) is float and w.data == 0.75 - 0.01 * 34.0


def test_double_backprop_then_an_adam_step_equals_the_step_by_hand():
    w = Value(0.75)
    total = gradient_penalty(w)
    opt = Adam([w], lr=0.01)
    opt.zero_grad()
    total.backward()
    opt.step()  # step 1: m̂ = g, v̂ = g², so w moves by lr·g / (|g| + eps)
    assert type(w.data) is float and w.data == pytest.approx(0.75 - 0.01 * 34.0 / (34.0 + 1e-8), rel=1e-15)
    assert all(type(x) is float for x in opt.m + opt.v)


def test_without_zero_grad_the_penalty_gradient_adds_to_the_graph_valued_one():
    # As in PyTorch, backward accumulates into the leaf: the create_graph gradient L' = 2 is still there.
    w = Value(0.75)
    total = gradient_penalty(w)
    total.backward()
    SGD([w], lr=0.01).step()
    assert type(w.data) is float and w.data == pytest.approx(0.75 - 0.01 * (2.0 + 34.0), rel=1e-15)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_a_none_gradient_counts_as_zero(name):
    p, q = param(1.25, None), param(1.25, 0.0)
    OPTIMIZERS[name]([p]).step()
    OPTIMIZERS[name]([q]).step()
    assert type(p.data) is float and p.data == q.data


def test_zero_grad_set_to_none_sets_none_as_pytorch_does():
    ps = [param(1.0, 3.0), param(2.0, -1.0)]
    opt = SGD(ps, lr=0.1)
    opt.zero_grad(set_to_none=True)
    assert [p.grad for p in ps] == [None, None]
    opt.step()
    assert [p.data for p in ps] == [1.0, 2.0]


# ---- Python floats, NumPy scalars and eps ---------------------------------------------------

@pytest.mark.parametrize("name", OPTIMIZERS)
def test_every_step_leaves_python_floats_even_from_numpy_numbers(name):
    p = param(1.0, np.float64(0.5))
    p.data = np.float64(1.0)  # written by user code that bypasses Value(...)
    opt = OPTIMIZERS[name]([p])
    opt.step()
    assert type(p.data) is float
    assert all(type(v) is float for v in _numbers(opt.state_dict()))


def _numbers(state):
    """Every number of an optimizer's state_dict but Adam's step count t (an int)."""
    for key, value in state.items():
        if key == "t":
            assert type(value) is int
        elif isinstance(value, list):
            yield from value
        elif value is not None:
            yield value


def test_numpy_hyperparameters_are_accepted_and_stored_as_floats():
    opt = Adam([Value(1.0)], lr=np.float32(0.5), betas=(np.float64(0.9), np.float32(0.5)), eps=np.float64(1e-8))
    assert type(opt.lr) is float and opt.lr == 0.5
    assert all(type(b) is float for b in opt.betas) and type(opt.eps) is float
    sgd = SGD([Value(1.0)], lr=np.float64(0.1), momentum=np.float32(0.5))
    assert type(sgd.lr) is float and type(sgd.momentum) is float


@pytest.mark.parametrize("eps", [0, 0.0, -0.0])
def test_adam_refuses_eps_zero_which_would_divide_by_zero_on_a_zero_gradient(eps):
    with pytest.raises(ValueError, match=r"Adam: eps must be a finite number > 0, got [-]?0\.0"):
        Adam([Value(1.0)], eps=eps)


@pytest.mark.parametrize("make", [lambda p: SGD(p, lr="0.1"), lambda p: SGD(p, lr=True),
                                  lambda p: Adam(p, betas=(0.9, None))])
def test_a_hyperparameter_that_is_not_a_number_is_a_type_error_and_a_value_error(make):
    with pytest.raises(TypeError):
        make([Value(1.0)])
    with pytest.raises(ValueError):
        make([Value(1.0)])
