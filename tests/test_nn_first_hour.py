"""A learner's first hour with nn: `fit` with every default converges, a run
that blows up stops saying where and what to change, and a model called with a
whole batch says how to map it over the batch."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nn import MLP, DivergenceError, data, fit
from nn.optim import SGD
from nn.train import DIVERGENCE_FACTOR


@pytest.mark.slow
def test_fit_with_every_default_fits_the_moons():
    X, y = data.make_moons(100, seed=0)
    model = MLP(2, [16, 16, 1], seed=0)  # micrograd's demo model: relu, then a linear output
    history = fit(model, X, y)
    assert len(history) == 100  # the default epochs
    # Accuracy recomputed from the trained model, the mse threshold being the labels' midpoint, 0.5.
    scores = np.array([model(x).data for x in X.tolist()])
    assert np.mean((scores > 0.5) == (y == 1)) >= 0.97
    assert history.loss[-1] < history.loss[0] / 5


def test_the_default_loss_is_a_mean_so_the_first_step_does_not_grow_with_the_data_set():
    # The old default (half_sse, a sum, with SGD at 0.1) diverged to 1e84 on 100 moons; a mean does not
    # depend on the number of samples: the same points repeated 10 times give the same loss.
    X, y = data.make_moons(20, seed=1)
    losses = []
    for repeat in (1, 10):
        model = MLP(2, [4, 1], seed=2)
        history = fit(model, np.tile(X, (repeat, 1)), np.tile(y, repeat), epochs=1, progress=False)
        losses.append(history.loss[0])
    assert losses[0] == pytest.approx(losses[1], rel=1e-12)


def test_a_loss_that_grows_a_million_fold_stops_fit_naming_the_step_and_a_smaller_rate():
    X, y = data.make_moons(20, seed=0)
    model = MLP(2, [8, 1], seed=0)
    with pytest.raises(DivergenceError) as err:
        fit(model, X, y, loss="half_sse", optimizer=SGD(model.parameters(), lr=50.0), epochs=50, progress=False)
    error = err.value
    assert error.step >= 2 and error.epoch == error.step  # full batch: one step per epoch
    assert str(error).startswith(f"fit: training diverged at step {error.step} (epoch {error.epoch}): ")
    assert str(error).endswith("the learning rate 50 is probably too large: try a smaller one, such as 5")
    # Stopped before the step that would have spoilt the parameters: they are all finite.
    assert all(math.isfinite(p.data) for p in model.parameters())


def scripted_loss(values):
    """A loss whose value at step k is values[k] (its gradient is 0, so nothing else changes)."""
    steps = iter(values)

    def loss(outputs, targets):
        return outputs[0] * 0.0 + next(steps)

    return loss


@pytest.mark.parametrize("growth, diverges", [(0.999 * DIVERGENCE_FACTOR, False), (1.001 * DIVERGENCE_FACTOR, True)])
def test_the_million_fold_rule_compares_each_loss_with_the_first_steps(growth, diverges):
    X, y = data.make_moons(10, seed=0)
    model = MLP(2, [2, 1], seed=0)
    loss = scripted_loss([0.5, 0.4, 0.5 * growth, 0.1])
    if not diverges:
        assert fit(model, X, y, loss=loss, epochs=4, progress=False).loss[2] == 0.5 * growth
        return
    with pytest.raises(DivergenceError) as err:
        fit(model, X, y, loss=loss, epochs=4, progress=False)
    assert (err.value.step, err.value.epoch, err.value.loss) == (3, 3, 0.5 * growth)
    assert str(err.value) == (f"fit: training diverged at step 3 (epoch 3): the loss grew to {0.5 * growth:.3g}, "
                              f"{growth:.2g} times the first step's 0.5; the learning rate 0.01 is probably too "
                              f"large: try a smaller one, such as 0.001")


def test_a_loss_that_becomes_infinite_stops_fit():
    X, y = data.make_moons(10, seed=0)
    with pytest.raises(DivergenceError, match=r"^fit: training diverged at step 2 \(epoch 2\): the loss became inf; "):
        fit(MLP(2, [2, 1], seed=0), X, y, loss=scripted_loss([0.5, math.inf]), epochs=2, progress=False)


@pytest.mark.parametrize("bad", [math.nan, 1e300])
def test_a_loss_that_is_not_finite_at_the_first_step_points_at_the_data(bad):
    X, y = data.make_moons(10, seed=0)
    X[3, 1] = bad
    model = MLP(2, [4, 1], seed=0)
    before = model.state_dict()
    with pytest.raises(DivergenceError) as err:
        fit(model, X, y, progress=False)
    assert err.value.step == 1
    assert str(err.value).startswith("fit: at the first step, before any update, ")
    assert str(err.value).endswith("check the data and the model's parameters for NaN, infinite or huge values")
    assert model.state_dict() == before  # no update was made


def test_divergence_is_an_arithmetic_error():
    assert issubclass(DivergenceError, ArithmeticError)


@pytest.mark.parametrize("batch", [
    [[0.5, -1.0], [1.0, 2.0], [0.0, 0.0]],
    np.zeros((3, 2)),
    [(0.5, -1.0), (1.0, 2.0)],
])
def test_a_model_called_with_a_batch_says_it_takes_one_example_and_how_to_map_it(batch):
    model = MLP(2, [3, 1], seed=0)
    with pytest.raises(TypeError) as err:
        model(batch)
    assert str(err.value) == (f"a model takes one example (a list of 2 numbers), not a batch of {len(batch)} rows; "
                              f"map it over the batch: outputs = [model(x) for x in X]")
    # ... and the way it shows works.
    outputs = [model(x) for x in np.asarray(batch).tolist()]
    assert len(outputs) == len(batch)


def test_a_single_neuron_called_with_a_batch_says_the_same():
    from nn import Neuron

    with pytest.raises(TypeError, match=r"^a model takes one example \(a list of 2 numbers\), not a batch of 5 rows"):
        Neuron(2, seed=0)(np.ones((5, 2)).tolist())
