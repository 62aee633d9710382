"""nn.demo and nn.selfcheck: the library functions behind `deltagrad demo`, `train` and `check`."""

import math

import numpy as np
import pytest

from autograd import REGISTRY, check_ops, topological_order
from nn import data, demo, losses, selfcheck


@pytest.mark.parametrize("name, size, classes", [("moons", 100, 2), ("circles", 100, 2), ("spiral", 150, 3),
                                                 ("xor", 4, 2)])
def test_the_toy_datasets_by_name(name, size, classes):
    X, y = demo.toy_dataset(name, seed=0)
    assert X.shape == (size, 2) and sorted(set(y.tolist())) == list(range(classes))


def test_an_unknown_dataset_lists_the_names():
    with pytest.raises(ValueError, match="moons, circles, spiral, xor"):
        demo.toy_dataset("mnist")


def test_two_classes_keep_one_output_and_the_labels():
    y = np.array([0, 1, 1, 0])
    name, targets, nout = demo.targets_for("hinge", y)
    assert (name, nout) == ("hinge", 1) and targets is y


def test_three_classes_take_each_losses_multiclass_form():
    y = np.array([0, 2, 1])
    name, targets, nout = demo.targets_for("half_sse", y)
    assert (name, nout) == ("half_sse", 3) and targets.tolist() == [[1, 0, 0], [0, 0, 1], [0, 1, 0]]
    name, targets, nout = demo.targets_for("binary_cross_entropy_with_logits", y)
    assert (name, nout) == ("softmax_cross_entropy", 3) and targets.tolist() == [0, 2, 1]
    with pytest.raises(demo.UnsuitableLoss, match="hinge separates two classes; this dataset has 3"):
        demo.targets_for("hinge", y)


def test_train_toy_fits_xor_with_the_losss_output_activation_and_threshold():
    run = demo.train_toy("xor", hidden=[4], activation="tanh", loss="half_sse", optimizer="adam", lr=0.05,
                         epochs=150, seed=3, progress=False)
    assert run.history.accuracy[-1] == 1.0
    assert run.model.layers[-1].activation == losses.LOSS_INFO["half_sse"].output_activation == "sigmoid"
    assert run.threshold == 0.5  # the midpoint of the labels {0, 1}
    outputs = [run.model(list(x)).data for x in run.X]
    assert [o > run.threshold for o in outputs] == [bool(t) for t in run.y]


def test_make_optimizer_by_name_with_its_default_rate():
    model = demo.MLP(2, [1], seed=0)
    assert demo.make_optimizer("adam", model).lr == 0.01
    assert demo.make_optimizer("sgd", model, 0.5).lr == 0.5
    with pytest.raises(ValueError, match="sgd, adam"):
        demo.make_optimizer("rmsprop", model)


def test_micrograds_learning_rate_decays_from_1_to_0_109():
    assert demo.micrograd_lr(0) == 1.0
    assert demo.micrograd_lr(99) == pytest.approx(0.109, rel=1e-12)


def test_the_lecture_neuron_has_micrograds_numbers_and_its_gradcheck_agrees():
    o, report = demo.lecture_neuron()
    leaves = {v.label: v for v in topological_order(o) if v.label in ("x", "w", "b")}
    dn = 1 - math.tanh(0.88) ** 2
    assert o.data == pytest.approx(math.tanh(0.88), rel=1e-15)
    assert leaves["x"].grad == pytest.approx(-3 * dn, rel=1e-15) and leaves["w"].grad == pytest.approx(2 * dn)
    assert report.ok and [r.where for r in report.rows] == ["x", "w", "b"]


def test_the_delta_rules_example_is_the_readmes_model():
    report = demo.delta_rules_example(0)
    assert f"{report.loss:.12g}" == "0.125249487225"  # the README's printed E
    assert report.ok and len(report.rows) == 13


def test_point_loss_is_the_hinge_of_the_new_point_with_the_smallest_margin_after_backward():
    model = demo.MLP(2, [3, 1], seed=0)
    X, y = data.make_moons(100, noise=0.1, seed=8)  # the points point_loss draws for seed 7
    margins = [(1.0 if label else -1.0) * model(x.tolist()).data for x, label in zip(X, y)]
    loss = demo.point_loss(model, 7)
    assert loss.data == max(0.0, 1.0 - min(margins))  # label 0 is −1
    # ∂/∂b of the linear output: d max(0, 1 − y·score)/d score = −y where the margin is violated.
    k = margins.index(min(margins))
    expected = -(1.0 if y[k] else -1.0) if loss.data > 0 else 0.0
    assert model.layers[1].neurons[0].b.grad == expected


# ---- selfcheck -----------------------------------------------------------------------------

def test_every_op_graph_applies_every_registered_op_and_checks_clean():
    root = selfcheck.every_op_graph()
    used = {v.op for v in topological_order(root) if v.op}
    assert used == set(REGISTRY)
    assert check_ops(root).ok


def test_random_model_checks_are_repeatable_and_agree():
    first = list(selfcheck.random_model_checks(3, seed=4))
    second = list(selfcheck.random_model_checks(3, seed=4))
    assert [c.description for c in first] == [c.description for c in second]
    assert all(c.ok for c in first)
    summary = first[0].summary()
    assert summary.startswith(f"Δ rules on {first[0].description}: ok, largest disagreement ")
    assert summary.endswith(f"{first[0].report.max_disagreement:.2e}")
