"""nn.fit: micrograd's moons demo, the history, batching, accuracy rules and the progress bar."""

import random

import numpy as np
import pytest

from nn import MLP, History, data, fit, losses
from nn.optim import SGD, Adam


class CountingSGD(SGD):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.steps = 0

    def step(self):
        self.steps += 1
        super().step()


@pytest.mark.slow
def test_micrograds_moons_demo_reaches_97_percent_training_accuracy():
    # micrograd's demo.ipynb, done with this package: the same data (np.random.seed(1337) in the
    # demo), the same model (random.seed(1337)), hinge loss + 1e-4 L2, SGD with lr 1.0 − 0.9·k/100.
    X, y = data.make_moons(n_samples=100, noise=0.1, seed=1337)
    random.seed(1337)
    model = MLP(2, [16, 16, 1])
    history = fit(model, X, y, loss="hinge", optimizer=SGD(model.parameters(), lr=1.0), epochs=100,
                  l2=1e-4, lr_schedule=lambda k: 1.0 - 0.9 * k / 100, progress=False)
    # The demo notebook prints "step 0 loss 0.8958441028683222, accuracy 50.0%".
    assert history.loss[0] == pytest.approx(0.8958441028683222, rel=1e-12)
    assert history.accuracy[0] == 0.5
    scores = np.array([model(x).data for x in X.tolist()])
    accuracy = np.mean((scores > 0) == (y > 0))
    assert accuracy >= 0.97
    assert history.loss[-1] < 0.02  # the demo ends at 0.01098 with 100% accuracy


def test_fit_returns_a_history_with_one_entry_per_epoch_and_the_loss_goes_down():
    X, y = data.make_moons(40, noise=0.1, seed=0)
    model = MLP(2, [8, 1], activation="tanh", out_activation="sigmoid", seed=0)
    history = fit(model, X, y, loss="binary_cross_entropy", optimizer=Adam(model.parameters(), lr=0.05),
                  epochs=15, batch_size=10, seed=0, progress=False)
    assert isinstance(history, History) and len(history) == 15
    assert len(history.accuracy) == len(history.lr) == 15
    assert history.loss[-1] < 0.8 * history.loss[0]
    assert all(0.0 <= a <= 1.0 for a in history.accuracy)


def test_a_full_batch_epoch_is_micrograds_step():
    X, y = data.make_moons(20, noise=0.1, seed=2)
    model, manual = MLP(2, [4, 1], seed=3), MLP(2, [4, 1], seed=3)
    fit(model, X, y, loss="hinge", optimizer=SGD(model.parameters(), lr=0.5), epochs=1, l2=1e-3, progress=False)
    scores = [manual(x) for x in X.tolist()]
    loss = losses.hinge(scores, y) + losses.l2(manual.parameters(), 1e-3)
    manual.zero_grad()
    loss.backward()
    for p in manual.parameters():
        p.data -= 0.5 * p.grad
    assert model.state_dict() == pytest.approx(manual.state_dict(), rel=1e-14)


@pytest.mark.parametrize("batch_size, steps", [(None, 1), (1, 10), (3, 4), (10, 1)])
def test_batch_size_sets_the_number_of_steps_per_epoch(batch_size, steps):
    X, y = data.make_xor(10, noise=0.1, seed=0)
    model = MLP(2, [2, 1], seed=0)
    optimizer = CountingSGD(model.parameters(), lr=0.01)
    fit(model, X, y, loss="mse", optimizer=optimizer, epochs=2, batch_size=batch_size, seed=0, progress=False)
    assert optimizer.steps == 2 * steps


def test_the_same_seed_repeats_a_mini_batch_run_exactly():
    X, y = data.make_circles(30, seed=0)

    def run():
        model = MLP(2, [4, 1], seed=1)
        fit(model, X, y, loss="hinge", optimizer=SGD(model.parameters(), lr=0.1, momentum=0.9), epochs=3,
            batch_size=4, seed=5, progress=False)
        return model.state_dict()

    assert run() == run()


def _untrained_accuracy(model, X, y, loss, **kwargs):
    """fit's accuracy with lr = 0: the model's accuracy on the data as it is."""
    history = fit(model, X, y, loss=loss, optimizer=SGD(model.parameters(), lr=0.0), epochs=1, progress=False,
                  **kwargs)
    return history.accuracy[0]


@pytest.mark.parametrize("loss, threshold", [("hinge", 0.0), ("binary_cross_entropy_with_logits", 0.0),
                                             ("half_sse", 0.5), ("mse", 0.5)])
def test_accuracy_for_one_output_reads_the_output_as_the_loss_means_it(loss, threshold):
    X, y = data.make_moons(50, seed=1)
    model = MLP(2, [6, 1], seed=4)
    scores = np.array([model(x).data for x in X.tolist()])
    expected = np.mean((scores > threshold) == (y > threshold))
    assert _untrained_accuracy(model, X, y, loss) == expected


def test_accuracy_for_probabilities_is_p_above_one_half():
    X, y = data.make_moons(50, seed=1)
    model = MLP(2, [6, 1], out_activation="sigmoid", seed=4)
    p = np.array([model(x).data for x in X.tolist()])
    assert _untrained_accuracy(model, X, y, "binary_cross_entropy") == np.mean((p > 0.5) == (y == 1))


def test_accuracy_for_several_outputs_is_the_argmax():
    X, y = data.make_spiral(20, classes=3, seed=0)
    model = MLP(2, [8, 3], seed=0)
    predicted = np.array([np.argmax([v.data for v in model(x)]) for x in X.tolist()])
    assert _untrained_accuracy(model, X, y, losses.softmax_cross_entropy, batch_size=7, seed=0) == \
        np.mean(predicted == y)


def test_softmax_cross_entropy_trains_a_three_class_model():
    X, y = data.make_spiral(20, classes=3, seed=0)
    model = MLP(2, [16, 3], activation="tanh", seed=0)
    history = fit(model, X, y, loss="softmax_cross_entropy", optimizer=Adam(model.parameters(), lr=0.05),
                  epochs=20, batch_size=15, seed=0, progress=False)
    assert history.loss[-1] < 0.8 * history.loss[0]


def test_lr_schedule_sets_the_learning_rate_of_each_epoch():
    X, y = data.make_xor()
    model = MLP(2, [2, 1], seed=0)
    history = fit(model, X, y, loss="mse", optimizer=SGD(model.parameters(), lr=1.0), epochs=3,
                  lr_schedule=lambda k: 1.0 - 0.9 * k / 100, progress=False)
    assert history.lr == [1.0, 1.0 - 0.009, 1.0 - 0.018]


def test_progress_true_draws_a_bar_with_the_loss_and_false_draws_nothing(capsys):
    X, y = data.make_xor()
    model = MLP(2, [2, 1], seed=0)
    fit(model, X, y, loss="mse", optimizer=SGD(model.parameters(), lr=0.1), epochs=2, progress=True)
    err = capsys.readouterr().err
    assert "loss=" in err and "2/2" in err
    fit(model, X, y, loss="mse", optimizer=SGD(model.parameters(), lr=0.1), epochs=2, progress=False)
    assert capsys.readouterr().err == ""


def test_progress_none_draws_nothing_when_stderr_is_not_a_terminal(capsys):
    X, y = data.make_xor()
    model = MLP(2, [2, 1], seed=0)
    fit(model, X, y, loss="mse", optimizer=SGD(model.parameters(), lr=0.1), epochs=2)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("call, error, message", [
    (lambda m: fit(m, [1.0, 2.0], [1.0, 0.0], progress=False), ValueError, "2-d"),
    (lambda m: fit(m, [[1.0, 2.0]], [1.0, 0.0], progress=False), ValueError, "1 samples"),
    (lambda m: fit(m, [[1.0, 2.0]], [1.0], loss="huber", progress=False), ValueError, "unknown loss 'huber'"),
    (lambda m: fit(m, [[1.0, 2.0]], [1.0], epochs=-1, progress=False), ValueError, "epochs"),
    (lambda m: fit(m, [[1.0, 2.0]], [1.0], l2=-1.0, progress=False), ValueError, "l2"),
    (lambda m: fit(m, [[1.0, 2.0]], [1.0], progress="yes"), TypeError, "progress"),
])
def test_bad_arguments_are_clear_errors(call, error, message):
    with pytest.raises(error, match=message):
        call(MLP(2, [1], seed=0))
