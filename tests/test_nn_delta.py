"""nn.delta: the Monash Δ rules and seed 001's matrix form against autodiff and finite differences."""

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from nn import ACTIVATIONS, MLP, Layer, Neuron, data, delta, losses
from nn.optim import SGD


@st.composite
def networks(draw):
    """(model builder, x, y): any depth, width, activation and init, with non-zero biases."""
    nin = draw(st.integers(1, 4))
    widths = draw(st.lists(st.integers(1, 4), min_size=1, max_size=4))
    hidden = draw(st.sampled_from(sorted(ACTIVATIONS)))
    out = draw(st.sampled_from(sorted(ACTIVATIONS)))
    init = draw(st.sampled_from(["uniform", "xavier", "he"]))
    seed = draw(st.integers(0, 2**31 - 1))
    biases = np.random.default_rng(seed).uniform(-1, 1, size=sum(widths))

    def build():
        model = MLP(nin, widths, hidden, out, init=init, seed=seed)
        for p, b in zip([n.b for layer in model.layers for n in layer.neurons], biases):
            p.data = float(b)
        return model

    x = draw(st.lists(st.floats(-2, 2), min_size=nin, max_size=nin))
    y = draw(st.lists(st.floats(-1, 1), min_size=widths[-1], max_size=widths[-1]))
    return build, x, y


def away_from_kinks(model, x, margin=1e-4):
    """No relu-like unit within `margin` of 0, where neither derivative nor finite difference is defined."""
    _, z = delta.forward(model, x)
    return all(np.min(np.abs(zl)) > margin for layer, zl in zip(model.layers, z)
               if layer.activation in ("relu", "leaky_relu"))


def autodiff_gradients(model, x, y):
    model.zero_grad()
    out = model(x)
    losses.half_sse(out, y if isinstance(out, list) else y[0]).backward()
    return np.array([p.grad for p in model.parameters()])


def delta_rule_gradients(model, x, y):
    """∂E/∂w_ij = −a_i Δ_j and ∂E/∂b_j = −Δ_j, flattened in parameters() order."""
    a, _ = delta.forward(model, x)
    out = []
    for li, Delta in enumerate(delta.deltas(model, x, y)):
        for d in Delta:
            out.extend(-a[li] * d)
            out.append(-d)
    return np.array(out)


# ---- autodiff, the Δ rules, finite differences and SGD agree on random architectures ----

@settings(max_examples=100, deadline=None)
@given(networks())
def test_autodiff_equals_the_delta_rules_to_1e_10_relative(net):
    build, x, y = net
    model = build()
    assume(away_from_kinks(model, x))
    auto, rule = autodiff_gradients(model, x, y), delta_rule_gradients(model, x, y)
    scale = np.max(np.abs(auto))
    assert np.all(np.abs(auto - rule) <= 1e-10 * scale), (auto, rule)


@settings(max_examples=40, deadline=None)
@given(networks())
def test_autodiff_and_the_delta_rules_both_equal_finite_differences_to_1e_5(net):
    build, x, y = net
    model = build()
    assume(away_from_kinks(model, x))
    report = delta.compare(model, x, y)
    for row in report.rows:
        tolerance = 1e-5 * max(1.0, abs(row.finite_difference))
        assert abs(row.autodiff - row.finite_difference) <= tolerance, row
        assert abs(row.delta_rule - row.finite_difference) <= tolerance, row
    assert report.ok, report


def summed_scale(model, x, y):
    """Per layer, what Δ's sums would be with every term made positive:
    S^L = |y − a| |g'(z^L)|, S^l = |g'(z^l)| ⊙ (|W^{l+1}|ᵀ S^{l+1}). Rounding in
    either form errs by a few ulps of S, not of Δ: when the terms of Σₖ wⱼₖ Δₖ
    cancel, Δⱼ can be 1e-8 while S is 1, and a relative error of 2e-11 in Δⱼ is
    then a rounding error of 2e-19 in S. (S bounds the round-off of the whole
    recursion, which is why it is built with absolute values throughout.)"""
    a, z = delta.forward(model, x)
    acts = [ACTIVATIONS[layer.activation] for layer in model.layers]
    Ws = [W for W, _ in delta.weights(model)]
    scale = [None] * len(Ws)
    scale[-1] = np.abs(np.asarray(y, dtype=float) - a[-1]) * np.abs(acts[-1].g_prime(z[-1]))
    for li in range(len(Ws) - 2, -1, -1):
        scale[li] = np.abs(acts[li].g_prime(z[li])) * (np.abs(Ws[li + 1]).T @ scale[li + 1])
    return a, scale


@settings(max_examples=100, deadline=None)
@given(networks())
def test_the_matrix_form_equals_the_per_unit_form(net):
    build, x, y = net
    model = build()
    per_unit = delta.deltas_per_unit(model, x, y)
    matrix = delta.deltas_matrix(model, x, y)
    assert len(per_unit) == len(matrix) == len(model.layers)
    a, scale = summed_scale(model, x, y)
    # The two forms add the same terms in different orders (a Python loop, a
    # matrix product), so they agree to rounding of the terms' size S, not of
    # the result's: 1e-12·S is ~1e4 ulps of S (room for depth 4 and width 4) and
    # still fails for any wrong term, sign or transpose, which errs by about S.
    for Delta, d, S in zip(per_unit, matrix, scale):
        assert np.all(np.abs(Delta + d) <= 1e-12 * S), (Delta, -d, S)  # δ = −Δ
    for li, ((dW, db), Delta, S) in enumerate(zip(delta.gradients(model, x, y), per_unit, scale)):
        # ∂E/∂w_ij = −a_i Δ_j
        assert np.all(np.abs(dW + np.outer(Delta, a[li])) <= 1e-12 * np.outer(S, np.abs(a[li]))), li
        assert np.all(np.abs(db + Delta) <= 1e-12 * S), li


def test_the_scale_of_the_summed_terms_catches_a_wrong_sign():
    # The tolerance above must not let a real mistake through: one flipped term.
    model = MLP(2, [3, 2], activation="tanh", out_activation="tanh", seed=7)
    x, y = [0.4, -0.9], [0.2, -0.5]
    per_unit, matrix = delta.deltas_per_unit(model, x, y), delta.deltas_matrix(model, x, y)
    _, scale = summed_scale(model, x, y)
    wrong = -matrix[0].copy()
    wrong[1] = -wrong[1]
    assert not np.all(np.abs(per_unit[0] - wrong) <= 1e-12 * scale[0])


@settings(max_examples=40, deadline=None)
@given(networks(), st.floats(0.01, 2.0))
def test_one_delta_step_equals_one_sgd_step_on_half_sse(net, alpha):
    build, x, y = net
    by_rule, by_sgd = build(), build()
    assume(away_from_kinks(by_rule, x))
    delta.step(by_rule, x, y, alpha)
    by_sgd.zero_grad()
    out = by_sgd(x)
    losses.half_sse(out, y if isinstance(out, list) else y[0]).backward()
    SGD(by_sgd.parameters(), lr=alpha).step()
    after_rule = np.array(list(by_rule.state_dict().values()))
    after_sgd = np.array(list(by_sgd.state_dict().values()))
    np.testing.assert_allclose(after_rule, after_sgd, rtol=1e-12, atol=1e-12)


# ---- worked example and the seeds' sigmoid -------------------------------------------------

def test_one_sigmoid_neuron_by_hand():
    # in = 0.5·1 + 0 = 0.5, a = σ(0.5); Δ = (y − a) g'(in) with g' = a(1 − a) (seed 000).
    neuron = Neuron(1, "sigmoid", seed=0)
    neuron.w[0].data, neuron.b.data = 0.5, 0.0
    a = 1 / (1 + math.exp(-0.5))
    (Delta,) = delta.deltas(neuron, [1.0], 1.0)
    assert Delta.tolist() == pytest.approx([(1 - a) * a * (1 - a)], rel=1e-15)
    E = delta.step(neuron, [1.0], 1.0, alpha=0.1)
    assert E == pytest.approx(0.5 * (1 - a) ** 2, rel=1e-15)
    assert neuron.w[0].data == pytest.approx(0.5 + 0.1 * 1.0 * (1 - a) * a * (1 - a), rel=1e-15)
    assert neuron.b.data == pytest.approx(0.1 * (1 - a) * a * (1 - a), rel=1e-15)


def test_a_hidden_units_delta_is_g_prime_times_the_weighted_deltas_above():
    model = MLP(2, [2, 1], activation="tanh", out_activation="sigmoid", seed=4)
    x, y = [0.3, -0.8], 1.0
    a, z = delta.forward(model, x)
    hidden, out = delta.deltas(model, x, y)
    a_out = a[2][0]
    assert out[0] == pytest.approx((y - a_out) * a_out * (1 - a_out), rel=1e-14)
    for j in range(2):
        w_jk = model.layers[1].neurons[0].w[j].data
        assert hidden[j] == pytest.approx((1 - math.tanh(z[0][j]) ** 2) * w_jk * out[0], rel=1e-14)


def test_the_numpy_forward_equals_the_value_forward():
    model = MLP(3, [4, 4, 2], activation="leaky_relu", seed=9)
    x = [0.2, -1.5, 0.9]
    a, _ = delta.forward(model, x)
    assert a[-1] == pytest.approx([v.data for v in model(x)], rel=1e-13)
    assert [W.shape for W, _ in delta.weights(model)] == [(4, 3), (4, 4), (2, 4)]


def test_a_sigmoid_mlp_learns_xor_with_the_delta_rule_step():
    X, y = data.make_xor()
    model = MLP(2, [3, 1], activation="sigmoid", out_activation="sigmoid", seed=0)
    for _ in range(1000):
        E = sum(delta.step(model, x, target, 2.0) for x, target in zip(X, y))
    predictions = [model(list(x)).data for x in X]
    assert [p > 0.5 for p in predictions] == [False, True, True, False]
    assert E < 0.01


# ---- compare -------------------------------------------------------------------------------

def test_compare_reports_every_parameter_and_agrees():
    model = MLP(2, [3, 2], activation="tanh", seed=1)
    report = delta.compare(model, [0.5, -0.25], [0.3, -0.6])
    assert [r.name for r in report.rows] == [n for n, _ in model.named_parameters()]
    assert report.ok and bool(report)
    assert report.max_delta_error < 1e-12 and report.max_fd_error < 1e-8
    assert report.max_disagreement == max(r.disagreement for r in report.rows)
    assert report.loss == pytest.approx(losses.half_sse(model([0.5, -0.25]), [0.3, -0.6]).data)


def test_compare_repr_is_a_table_with_a_row_per_parameter_and_the_largest_disagreement():
    model = MLP(2, [2, 1], seed=3)
    text = repr(delta.compare(model, [1.0, 2.0], 0.5))
    lines = text.splitlines()
    assert lines[0].split() == ["parameter", "autodiff", "Δ", "rule", "finite", "diff", "|auto", "−", "Δ|",
                                "|auto", "−", "fd|"]
    assert lines[2].startswith("layers.0.neurons.0.w.0 ")
    assert len(lines) == 2 + 9 + 1
    assert "largest disagreement" in lines[-1] and lines[-1].endswith(": ok")


def test_compare_leaves_weights_and_gradients_as_they_were():
    model = MLP(2, [3, 1], activation="sigmoid", seed=2)
    for i, p in enumerate(model.parameters()):
        p.grad = float(i)
    before = [(p.data, p.grad) for p in model.parameters()]
    delta.compare(model, [0.1, 0.2], 1.0)
    assert [(p.data, p.grad) for p in model.parameters()] == before


def test_compare_flags_a_wrong_gradient():
    report = delta.compare(MLP(2, [2, 1], activation="tanh", seed=5), [0.4, 0.7], 1.0)
    wrong = delta.GradientRow("w", autodiff=1.0, delta_rule=1.0, finite_difference=1.5)
    bad = delta.DeltaReport(report.loss, report.rows + [wrong])
    assert not bad.ok
    assert bad.max_disagreement == 0.5 and bad.worst is wrong
    assert "DISAGREE" in repr(bad)


def test_compare_html_escapes_names():
    row = delta.GradientRow("<script>", 1.0, 1.0, 1.0)
    page = delta.DeltaReport(0.0, [row])._repr_html_()
    assert "&lt;script&gt;" in page and "<script>" not in page
    assert page.startswith("<table>")


def test_compare_notes_a_unit_at_its_kink_instead_of_failing():
    neuron = Neuron(1, "relu", seed=0)
    neuron.w[0].data, neuron.b.data = 1.0, 0.0
    report = delta.compare(neuron, [0.0], 1.0)  # in = 0 exactly: relu's kink
    assert report.near_kink and report.ok
    assert "kink" in repr(report)


@pytest.mark.parametrize("model", [Neuron(3, "tanh", seed=0), Layer(3, 2, "sigmoid", seed=0)])
def test_compare_works_on_a_neuron_and_on_a_layer(model):
    report = delta.compare(model, [0.1, -0.2, 0.3], [0.5] * len(getattr(model, "neurons", [model])))
    assert report.ok
    assert len(report.rows) == len(model.parameters())


def test_bad_inputs_are_clear_errors():
    model = MLP(2, [2, 1], seed=0)
    with pytest.raises(ValueError, match="x must have 2 entries, got 3"):
        delta.deltas(model, [1.0, 2.0, 3.0], 1.0)
    with pytest.raises(ValueError, match="y must have 1 entries, got 2"):
        delta.gradients(model, [1.0, 2.0], [1.0, 0.0])
    with pytest.raises(ValueError, match="alpha"):
        delta.step(model, [1.0, 2.0], 1.0, alpha=math.inf)
    with pytest.raises(TypeError, match="MLP, a Layer or a Neuron"):
        delta.forward(object(), [1.0])


def test_a_finite_difference_across_a_kink_is_reported_as_a_kink_not_a_disagreement():
    # The case: an input of 100, a net input 2e-5 above relu's kink.
    # Moving w by eps = 1e-6 moves the net input by 1e-4, across the kink, so
    # the finite difference is meaningless there; autodiff and the Δ rule agree.
    neuron = Neuron(1, "relu", seed=0)
    neuron.w[0].data, neuron.b.data = 1.0, 2e-5 - 100.0
    report = delta.compare(neuron, [100.0], 1.0)
    w_row, b_row = report.rows
    assert w_row.autodiff == w_row.delta_rule == pytest.approx(-(1.0 - 2e-5) * 100.0, rel=1e-9)
    assert w_row.kink and "kink" in w_row.note
    assert abs(w_row.finite_difference - w_row.autodiff) > 1.0  # what used to be called a disagreement
    assert w_row.disagreement == 0.0
    assert not b_row.kink  # b moves the net input by only 1e-6: judged, and it agrees
    assert b_row.fd_error < 1e-6
    assert report.ok and report.near_kink == ["ReLUNeuron(1)"]
    text = report.table()
    assert text.splitlines()[0].split()[-1] == "note"
    assert "p ± eps crosses the kink of ReLUNeuron(1)" in text.splitlines()[2]
    assert "crosses the kink" in text.splitlines()[-1]


def test_a_kink_row_still_fails_when_autodiff_and_the_delta_rule_disagree():
    row = delta.GradientRow("w", autodiff=1.0, delta_rule=2.0, finite_difference=7.0, kink="unit")
    assert not delta.DeltaReport(0.0, [row]).ok


def test_a_unit_beside_but_not_across_its_kink_is_judged():
    # The net input 2e-5 from the kink with inputs of size 1: no step crosses it.
    neuron = Neuron(1, "relu", seed=0)
    neuron.w[0].data, neuron.b.data = 1.0, 2e-5 - 1.0
    report = delta.compare(neuron, [1.0], 1.0)
    assert not report.near_kink and not any(r.kink for r in report.rows)
    assert report.ok and report.max_fd_error < 1e-6


def test_the_table_has_no_note_column_without_a_kink():
    report = delta.compare(MLP(2, [2, 1], activation="tanh", seed=5), [0.4, 0.7], 1.0)
    assert report.table().splitlines()[0].split()[-1] == "fd|"


@pytest.mark.parametrize("alpha", [0.1, np.float32(0.1), np.float64(0.1), 1])
def test_a_delta_step_leaves_every_parameter_a_python_float(alpha):
    model = MLP(2, [3, 1], activation="sigmoid", seed=0)
    delta.step(model, np.array([0.5, -1.0]), np.float64(1.0), alpha)
    assert all(type(p.data) is float for p in model.parameters())
    assert all(type(v) is float for v in model.state_dict().values())


def test_a_numpy_alpha_gives_the_same_step_as_the_float():
    by_float, by_numpy = MLP(2, [3, 1], seed=1), MLP(2, [3, 1], seed=1)
    delta.step(by_float, [0.5, -1.0], 1.0, 0.25)
    delta.step(by_numpy, [0.5, -1.0], 1.0, np.float32(0.25))  # 0.25 is exact in float32
    assert by_float.state_dict() == by_numpy.state_dict()
