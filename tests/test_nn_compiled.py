"""nn.fit(compiled=True), deltagrad train --compiled and the 8x8 digits: the
compiled path trains as the scalar path does, and a real dataset is in reach."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
import nn
from nn import MLP, optim
from nn.cli import main
from nn.data import load_digits, make_moons, make_spiral, train_test_split


def train(compiled, **kwargs):
    model = MLP(kwargs.pop("nin", 2), kwargs.pop("widths", [16, 16, 1]), activation=kwargs.pop("activation", "relu"),
                out_activation=kwargs.pop("out_activation", "linear"), seed=1337)
    optimizer = optim.SGD(model.parameters(), lr=kwargs.pop("lr", 1.0))
    history = nn.fit(model, optimizer=optimizer, progress=False, compiled=compiled, seed=0, **kwargs)
    return model, history


def test_compiled_training_on_moons_has_the_scalar_paths_history_step_for_step():
    X, y = make_moons(100, noise=0.1, seed=1337)
    args = dict(X=X, y=y, loss="hinge", epochs=20, l2=1e-4, lr_schedule=lambda k: 1.0 - 0.9 * k / 100)
    (m1, h1), (m2, h2) = train(False, **args), train(True, **args)
    assert np.max(np.abs(np.array(h1.loss) - np.array(h2.loss))) < 1e-9
    assert h1.accuracy == h2.accuracy
    assert h2.loss[-1] < h2.loss[0]
    assert np.allclose([p.data for p in m1.parameters()], [p.data for p in m2.parameters()], rtol=0, atol=1e-9)


LOSS_SETUPS = {
    "half_sse": dict(out_activation="sigmoid", targets="onehot"),
    "mse": dict(out_activation="sigmoid", targets="onehot"),
    "hinge": dict(out_activation="linear", targets="binary"),
    "binary_cross_entropy": dict(out_activation="sigmoid", targets="binary"),
    "binary_cross_entropy_with_logits": dict(out_activation="linear", targets="binary"),
    "softmax_cross_entropy": dict(out_activation="linear", targets="classes"),
}


@pytest.mark.parametrize("loss", sorted(LOSS_SETUPS))
@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "leaky_relu"])
def test_every_loss_and_activation_trains_to_the_same_parameters_compiled(loss, activation):
    assert set(LOSS_SETUPS) == set(nn.losses.LOSSES)
    setup = LOSS_SETUPS[loss]
    X, y = make_spiral(8, classes=3, noise=0.1, seed=1)
    if setup["targets"] == "binary":
        y, widths = (y > 0).astype(np.int64), [5, 1]
    elif setup["targets"] == "onehot":
        y, widths = np.eye(3)[y], [5, 3]
    else:
        widths = [5, 3]
    args = dict(X=X, y=y, loss=loss, epochs=2, batch_size=5, lr=0.3, widths=widths, activation=activation,
                out_activation=setup["out_activation"])
    (m1, h1), (m2, h2) = train(False, **args), train(True, **args)
    assert np.allclose(h1.loss, h2.loss, rtol=1e-12, atol=0)
    p1, p2 = np.array([p.data for p in m1.parameters()]), np.array([p.data for p in m2.parameters()])
    assert np.max(np.abs(p1 - p2)) <= 1e-12 * max(1.0, np.max(np.abs(p1)))


def test_fit_refuses_a_compiled_flag_that_is_not_a_bool():
    X, y = make_moons(10, seed=0)
    with pytest.raises(TypeError, match="compiled must be True or False"):
        nn.fit(MLP(2, [1]), X, y, compiled="yes", progress=False)


def test_the_train_command_with_compiled_prints_the_scalar_paths_result(capsys):
    argv = ["train", "--epochs", "5", "--no-progress", "--hidden", "8"]
    assert main(argv) == 0
    scalar = capsys.readouterr().out
    assert main([*argv, "--compiled"]) == 0
    assert capsys.readouterr().out == scalar and "final loss" in scalar


def test_the_shipped_digits_are_scikit_learns_1797_images_of_64_pixel_counts():
    X, y = load_digits(scaled=False)
    assert X.shape == (1797, 64) and y.shape == (1797,)
    assert X.min() == 0 and X.max() == 16 and sorted(set(y.tolist())) == list(range(10))
    assert np.bincount(y).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    assert np.array_equal(load_digits()[0], X / 16)


def test_train_test_split_holds_out_a_shuffled_fraction():
    X, y = np.arange(20).reshape(10, 2), np.arange(10)
    X_train, X_test, y_train, y_test = train_test_split(X, y, 0.3, seed=0)
    assert len(X_test) == 3 and len(X_train) == 7
    assert sorted(y_train.tolist() + y_test.tolist()) == list(range(10))
    assert np.array_equal(X_test[:, 0] // 2, y_test)
    with pytest.raises(ValueError, match="test_fraction"):
        train_test_split(X, y, 1.5)


def test_an_mlp_learns_the_digits_to_95_percent_on_held_out_images_compiled():
    X, y = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(X, y, 0.25, seed=0)
    model = MLP(64, [32, 10], init="he", seed=0)
    nn.fit(model, X_train, y_train, loss="softmax_cross_entropy", optimizer=optim.Adam(model.parameters(), lr=0.01),
           epochs=10, batch_size=32, seed=0, compiled=True, progress=False)
    logits = autograd.compile(lambda x: model(x), [0.0] * 64)(X_test)
    assert logits.shape == (len(X_test), 10)
    assert np.mean(logits.argmax(axis=1) == y_test) >= 0.95
