"""nn.losses against hand-computed values, finite differences, and huge inputs."""

import functools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import Value
from nn import losses


def values(*xs):
    return [Value(x) for x in xs]


def grads(vs):
    return [v.grad for v in vs]


# ---- hand-computed values and gradients -------------------------------------------------

def test_half_sse_is_half_the_sum_of_squared_errors_with_gradient_a_minus_y():
    a = values(0.5, -1.0)
    E = losses.half_sse(a, [1.0, 1.0])
    assert E.data == 0.5 * (0.5 ** 2 + 2.0 ** 2) == 2.125
    E.backward()
    assert grads(a) == [-0.5, -2.0]  # ∂E/∂a = a − y


def test_half_sse_sums_over_a_batch_of_multi_output_samples():
    a = [values(1.0, 2.0), values(0.0, -1.0)]
    E = losses.half_sse(a, [[0.0, 0.0], [1.0, 1.0]])
    assert E.data == 0.5 * (1 + 4 + 1 + 4)


def test_half_sse_of_one_output_and_one_target():
    a = Value(0.25)
    E = losses.half_sse(a, 1.0)
    E.backward()
    assert (E.data, a.grad) == (0.5 * 0.75 ** 2, -0.75)


def test_mse_is_the_mean_over_every_element():
    a = values(0.5, -1.0)
    loss = losses.mse(a, [1.0, 1.0])
    assert loss.data == (0.25 + 4.0) / 2
    loss.backward()
    assert grads(a) == [2 * (0.5 - 1) / 2, 2 * (-1 - 1) / 2]


def test_hinge_is_micrograds_mean_max_margin_loss_with_label_0_as_minus_1():
    s = values(0.5, -2.0, 3.0)
    loss = losses.hinge(s, [1, -1, 0])
    # max(0, 1 − 0.5) = 0.5; max(0, 1 − 2) = 0; label 0 is −1: max(0, 1 + 3) = 4; mean 4.5 / 3.
    assert loss.data == pytest.approx(1.5, rel=1e-15)
    loss.backward()
    assert grads(s) == pytest.approx([-1 / 3, 0.0, 1 / 3], rel=1e-15)


def test_hinge_equals_micrograds_formula_on_its_demo_labels():
    s = values(0.3, -0.2, 1.7, -1.1)
    ys = [1, -1, -1, 1]
    expected = sum((1 + -y * si).relu() for y, si in zip(ys, s)) * (1.0 / len(ys))
    assert losses.hinge(s, ys).data == pytest.approx(expected.data, rel=1e-15)


@pytest.mark.parametrize("score", [-1.5, -0.25, 0.5, 2.0])
def test_hinge_reads_label_0_as_minus_1(score):
    # max(0, 1 − y·s) with y = −1: max(0, 1 + s), not max(0, 1) as y = 0 would give.
    as_zero = losses.hinge([Value(score)], [0])
    assert as_zero.data == max(0.0, 1.0 + score)
    assert as_zero.data == losses.hinge([Value(score)], [-1]).data


def test_hinge_is_the_mean_over_samples_not_the_sum():
    s = values(0.5, -0.5, 3.0, -3.0)
    loss = losses.hinge(s, [1, 1, 1, 1])
    assert loss.data == (0.5 + 1.5 + 0.0 + 4.0) / 4
    loss.backward()
    assert grads(s) == [-0.25, -0.25, 0.0, -0.25]


def test_hinge_rejects_labels_other_than_plus_or_minus_one():
    with pytest.raises(ValueError, match="got 2.0"):
        losses.hinge(values(0.1, 0.2), [1, 2])


def test_binary_cross_entropy_on_probabilities():
    p = values(0.8, 0.3)
    loss = losses.binary_cross_entropy(p, [1, 0])
    assert loss.data == pytest.approx(-(math.log(0.8) + math.log(0.7)) / 2, rel=1e-15)
    loss.backward()
    assert grads(p) == pytest.approx([-1 / 0.8 / 2, 1 / 0.7 / 2], rel=1e-14)


def test_binary_cross_entropy_from_logits_has_gradient_sigmoid_minus_y():
    z = values(1.5, -0.5)
    loss = losses.binary_cross_entropy(z, [1, 0], from_logits=True)
    sig = lambda t: 1 / (1 + math.exp(-t))  # noqa: E731
    assert loss.data == pytest.approx(-(math.log(sig(1.5)) + math.log(1 - sig(-0.5))) / 2, rel=1e-14)
    loss.backward()
    assert grads(z) == pytest.approx([(sig(1.5) - 1) / 2, sig(-0.5) / 2], rel=1e-14)


def test_with_logits_is_the_same_loss_as_probabilities_through_a_sigmoid():
    z = [0.3, -2.0, 4.0]
    ys = [1.0, 0.25, 0.0]  # soft labels are fine
    from_logits = losses.binary_cross_entropy_with_logits(values(*z), ys).data
    from_probs = losses.binary_cross_entropy([v.sigmoid() for v in values(*z)], ys).data
    assert from_logits == pytest.approx(from_probs, rel=1e-13)


def test_softmax_cross_entropy_is_minus_log_softmax_with_gradient_softmax_minus_one_hot():
    z = values(1.0, 2.0, 3.0)
    loss = losses.softmax_cross_entropy(z, 2)
    total = math.exp(1) + math.exp(2) + math.exp(3)
    assert loss.data == pytest.approx(-math.log(math.exp(3) / total), rel=1e-15)
    loss.backward()
    soft = [math.exp(k) / total for k in (1, 2, 3)]
    assert grads(z) == pytest.approx([soft[0], soft[1], soft[2] - 1], rel=1e-14)


def test_softmax_cross_entropy_averages_over_a_batch():
    batch = [values(0.0, 0.0), values(2.0, 0.0)]
    loss = losses.softmax_cross_entropy(batch, [0, 1])
    assert loss.data == pytest.approx((math.log(2) + math.log(1 + math.exp(2))) / 2, rel=1e-15)


def test_l2_is_alpha_times_the_sum_of_squares_with_gradient_2_alpha_p():
    p = values(1.0, -2.0, 0.5)
    penalty = losses.l2(p, 1e-4)
    assert penalty.data == pytest.approx(1e-4 * 5.25, rel=1e-15)
    penalty.backward()
    assert grads(p) == pytest.approx([2e-4, -4e-4, 1e-4], rel=1e-15)


def test_l2_of_no_parameters_is_zero_and_alpha_zero_adds_nothing():
    assert losses.l2([], 0.5).data == 0.0
    p = values(3.0)
    penalty = losses.l2(p, 0)
    penalty.backward()
    assert (penalty.data, p[0].grad) == (0.0, 0.0)


def test_l2_takes_a_numpy_alpha_and_refuses_a_negative_one():
    p = values(2.0)
    assert losses.l2(p, np.float32(0.25)).data == 1.0
    with pytest.raises(ValueError, match="l2: alpha must be a finite number >= 0, got -1.0"):
        losses.l2(p, -1)


# ---- stability -----------------------------------------------------------------------------

@pytest.mark.parametrize("z, y, expected", [(1000.0, 0.0, 1000.0), (-1000.0, 1.0, 1000.0),
                                            (1000.0, 1.0, 0.0), (-1000.0, 0.0, 0.0), (800.0, 0.5, 400.0)])
def test_bce_from_logits_is_exact_and_finite_at_huge_logits(z, y, expected):
    v = Value(z)
    loss = losses.binary_cross_entropy_with_logits([v], [y])
    assert loss.data == pytest.approx(expected, abs=1e-12)
    loss.backward()
    assert v.grad == pytest.approx((1.0 if z > 0 else 0.0) - y)  # σ(z) − y


def test_bce_on_saturated_probabilities_is_clamped_at_100_not_infinite():
    p = values(0.0, 1.0)
    loss = losses.binary_cross_entropy(p, [1, 0])
    assert loss.data == 100.0  # log 0 clamped at −100, as PyTorch's BCELoss
    loss.backward()
    assert all(math.isfinite(g) for g in grads(p))


# PyTorch's F.binary_cross_entropy, from its kernels (aten/src/ATen/native/Loss.cpp):
#   loss = −[y·max(log p, −100) + (1 − y)·max(log1p(−p), −100)]
#   ∂loss/∂p = (p − y) / max((1 − p)·p, EPSILON), EPSILON = 1e-12 as a C++ float.
TORCH_EPSILON = float(np.float32(1e-12))
EDGE_PROBABILITIES = [0.0, 1e-300, 1e-20, 0.5, 1 - 1e-16, 1.0]


def torch_bce(p, y):
    log_p = max(math.log(p), -100.0) if p > 0 else -100.0
    log_1mp = max(math.log1p(-p), -100.0) if p < 1 else -100.0
    return -(y * log_p + (1 - y) * log_1mp), (p - y) / max((1 - p) * p, TORCH_EPSILON)


@pytest.mark.parametrize("y", [0.0, 1.0])
@pytest.mark.parametrize("p", EDGE_PROBABILITIES)
def test_bce_value_and_gradient_are_pytorchs_at_the_edges(p, y):
    v = Value(p)
    loss = losses.binary_cross_entropy([v], [y])
    loss.backward()
    value, grad = torch_bce(p, y)
    assert loss.data == value
    assert v.grad == pytest.approx(grad, rel=1e-15, abs=0.0)
    assert math.isfinite(v.grad)


@pytest.mark.parametrize("p, y, value, grad", [
    # Printed by torch 2.13.0: F.binary_cross_entropy(t, y) and t.grad, in float64.
    (0.0, 1.0, 100.0, -1000000003995.8029),
    (0.0, 0.0, 0.0, 0.0),
    (1e-20, 1.0, 46.051701859880914, -1000000003995.8029),
    (1e-300, 0.0, 1e-300, 1.0000000039958029e-288),
    (1 - 1e-16, 1.0, 1.1102230246251565e-16, -0.00011102230290613889),
    (1 - 1e-16, 0.0, 36.7368005696771, 1000000003995.8027),
    (1.0, 0.0, 100.0, 1000000003995.8029),
])
def test_bce_equals_the_numbers_pytorch_prints(p, y, value, grad):
    v = Value(p)
    loss = losses.binary_cross_entropy([v], [y])
    loss.backward()
    assert loss.data == value
    assert v.grad == pytest.approx(grad, rel=1e-15)


def test_bce_equals_torch_itself_when_installed():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(0)
    ps = EDGE_PROBABILITIES + [1e-13, 1 - 1e-13] + rng.uniform(0, 1, 20).tolist()
    ys = [0.0, 1.0] * 4 + rng.uniform(0, 1, 20).tolist()
    ps, ys = ps[:len(ys)], ys[:len(ps)]
    t = torch.tensor(ps, dtype=torch.float64, requires_grad=True)
    expected = F.binary_cross_entropy(t, torch.tensor(ys, dtype=torch.float64))
    expected.backward()
    vs = values(*ps)
    loss = losses.binary_cross_entropy(vs, ys)
    loss.backward()
    assert loss.data == pytest.approx(expected.item(), rel=1e-15)
    assert grads(vs) == pytest.approx(t.grad.tolist(), rel=1e-14, abs=0.0)


def test_bce_second_derivative_inside_the_clamps_is_the_exact_one():
    # d²/dp² −[y log p + (1 − y) log(1 − p)] = y/p² + (1 − y)/(1 − p)².
    p, y = Value(0.3), 0.8
    losses.binary_cross_entropy([p], [y]).backward(create_graph=True)
    first = p.grad
    assert first.data == pytest.approx((0.3 - y) / (0.3 * 0.7), rel=1e-15)
    p.grad = 0.0
    first.backward()
    assert p.grad == pytest.approx(y / 0.3**2 + (1 - y) / 0.7**2, rel=1e-14)


def test_bce_rejects_outputs_outside_0_1_and_points_to_from_logits():
    with pytest.raises(ValueError, match="from_logits"):
        losses.binary_cross_entropy(values(2.0), [1])


@pytest.mark.parametrize("logits, label, expected", [
    ([1000.0, 0.0, -1000.0], 1, 1000.0), ([1000.0, 0.0, -1000.0], 0, 0.0), ([-1e6, -1e6], 0, math.log(2))])
def test_softmax_cross_entropy_is_finite_at_huge_logits(logits, label, expected):
    z = values(*logits)
    loss = losses.softmax_cross_entropy(z, label)
    assert loss.data == pytest.approx(expected, abs=1e-12)
    loss.backward()
    assert all(math.isfinite(g) for g in grads(z))
    assert sum(grads(z)) == pytest.approx(0.0, abs=1e-12)  # softmax − one-hot sums to 0


# ---- against finite differences ------------------------------------------------------------

small = st.floats(-3, 3, allow_nan=False)


@settings(max_examples=40, deadline=None)
@given(a=st.lists(small, min_size=1, max_size=4), data=st.data())
def test_regression_losses_match_finite_differences(a, data):
    ys = data.draw(st.lists(small, min_size=len(a), max_size=len(a)))
    for loss in (losses.half_sse, losses.mse):
        report = autograd.gradcheck(lambda *v, f=loss: f(list(v), ys), a)
        assert report.ok, report


@settings(max_examples=40, deadline=None)
@given(z=st.lists(small, min_size=1, max_size=4), data=st.data())
def test_classification_losses_match_finite_differences(z, data):
    n = len(z)
    probs = data.draw(st.lists(st.floats(0, 1), min_size=n, max_size=n))
    label = data.draw(st.integers(0, n - 1))
    checks = [
        lambda *v: losses.binary_cross_entropy_with_logits(list(v), probs),
        lambda *v: losses.binary_cross_entropy([t.sigmoid() for t in v], probs),
        lambda *v: losses.softmax_cross_entropy(list(v), label),
        lambda *v: losses.l2(list(v), 0.3),
    ]
    for f in checks:
        report = autograd.gradcheck(f, z)
        assert report.ok, report


def test_hinge_matches_finite_differences_away_from_its_kink():
    report = autograd.gradcheck(lambda a, b, c: losses.hinge([a, b, c], [1, -1, 1]), [0.2, 0.4, 2.0])
    assert report.ok, report


# ---- shapes and names ----------------------------------------------------------------------

def test_outputs_and_targets_of_different_shapes_are_a_value_error_naming_both():
    with pytest.raises(ValueError, match=r"shape \(2,\) but targets have shape \(3,\)"):
        losses.mse(values(1.0, 2.0), [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="ragged"):
        losses.half_sse([values(1.0), values(1.0, 2.0)], [[1.0], [1.0, 2.0]])


def test_a_class_label_out_of_range_is_a_value_error():
    with pytest.raises(ValueError, match="0..2, got 3"):
        losses.softmax_cross_entropy(values(1.0, 2.0, 3.0), 3)


def test_losses_are_found_by_name_and_an_unknown_name_lists_them():
    assert losses.get_loss("hinge") is losses.hinge
    with pytest.raises(ValueError, match="half_sse, mse, hinge"):
        losses.get_loss("huber")


# ---- the record of each loss ------------------------------------------------------------

def test_every_loss_has_one_record_with_its_output_activation_and_threshold():
    info = losses.LOSS_INFO
    assert set(info) == set(losses.LOSSES)
    assert all(losses.LOSSES[name] is record.fn for name, record in info.items())
    assert (info["hinge"].output_activation, info["hinge"].threshold) == ("linear", 0.0)
    assert (info["binary_cross_entropy"].output_activation, info["binary_cross_entropy"].threshold) == ("sigmoid", 0.5)
    assert info["binary_cross_entropy_with_logits"].threshold == 0.0
    assert info["half_sse"].output_activation == "sigmoid" and info["half_sse"].threshold is None


@pytest.mark.parametrize("loss, labels, expected", [
    ("hinge", [-1, 1], 0.0), ("binary_cross_entropy", [0, 1], 0.5),
    ("binary_cross_entropy_with_logits", [0, 1], 0.0), ("half_sse", [0, 1], 0.5), ("mse", [-1, 1], 0.0),
    (losses.hinge, [0, 1], 0.0), (lambda out, y: out, [2, 4], 3.0),
])
def test_the_decision_threshold_is_the_records_or_the_labels_midpoint(loss, labels, expected):
    assert losses.decision_threshold(loss, labels) == expected


def test_a_from_logits_partial_has_the_logit_threshold():
    loss = functools.partial(losses.binary_cross_entropy, from_logits=True)
    assert losses.decision_threshold(loss, [0, 1]) == 0.0


@pytest.mark.parametrize("p, y", [(-0.5, 1.0), (1.5, 0.0), (0.5, 2.0)])
def test_the_bce_op_refuses_a_probability_or_target_outside_0_1_naming_the_op(p, y):
    with pytest.raises(ValueError, match=r"binary_cross_entropy\(.*\): the probability p and the target y must both"):
        losses.BCE(Value(p), y)
