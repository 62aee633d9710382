"""nn.optim: SGD and Adam updates against hand-computed steps, and argument checks."""

import math

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
