"""nn.data: shapes, geometry, seeding, and the batch iterator's coverage of every index."""

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nn import data
from nn.rng import resolve_rng


@pytest.mark.parametrize("make", [data.make_moons, data.make_circles])
def test_two_class_sets_have_sklearns_shapes_and_balance(make):
    X, y = make(101, seed=0)
    assert X.shape == (101, 2) and X.dtype == np.float64
    assert y.shape == (101,) and y.dtype.kind == "i"
    assert (np.sum(y == 0), np.sum(y == 1)) == (50, 51)  # n // 2 in the outer class, as scikit-learn


def test_moons_without_noise_lie_on_their_two_half_circles():
    X, y = data.make_moons(200, noise=0.0, seed=0)
    upper, lower = X[y == 0], X[y == 1]
    assert np.allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0) and np.all(upper[:, 1] >= -1e-12)
    assert np.allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0) and np.all(lower[:, 1] <= 0.5 + 1e-12)


def test_circles_without_noise_have_radius_1_and_factor():
    X, y = data.make_circles(100, noise=0.0, factor=0.3, seed=0)
    radius = np.hypot(X[:, 0], X[:, 1])
    assert np.allclose(radius[y == 0], 1.0) and np.allclose(radius[y == 1], 0.3)


def test_spiral_has_n_points_per_class_with_radius_from_0_to_1():
    X, y = data.make_spiral(50, classes=4, seed=0)
    assert X.shape == (200, 2)
    assert np.bincount(y).tolist() == [50] * 4
    assert np.allclose(np.hypot(X[y == 2, 0], X[y == 2, 1]), np.linspace(0, 1, 50))  # noise is on the angle only


def test_xor_defaults_to_its_truth_table():
    X, y = data.make_xor()
    assert X.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert y.tolist() == [0, 1, 1, 0]
    X, y = data.make_xor(10, noise=0.1, seed=0)
    assert X.shape == (10, 2) and y.tolist() == [0, 1, 1, 0] * 2 + [0, 1]


@pytest.mark.parametrize("make", [data.make_moons, data.make_circles, data.make_spiral, data.make_xor])
def test_the_same_seed_gives_the_same_data_and_another_seed_other_data(make):
    noisy = {"noise": 0.2}
    X1, y1 = make(40, seed=3, **noisy)
    X2, y2 = make(40, seed=3, **noisy)
    X3, _ = make(40, seed=4, **noisy)
    assert np.array_equal(X1, X2) and np.array_equal(y1, y2)
    assert not np.array_equal(X1, X3)


def test_without_a_seed_the_global_numpy_generator_is_used_as_in_micrograds_demo():
    np.random.seed(1337)
    X1, y1 = data.make_moons(n_samples=100, noise=0.1)
    X2, y2 = data.make_moons(100, noise=0.1, seed=1337)
    assert np.array_equal(X1, X2) and np.array_equal(y1, y2)


def test_an_rng_argument_is_used_and_seed_with_rng_is_an_error():
    X1, _ = data.make_moons(30, rng=np.random.default_rng(8))
    X2, _ = data.make_moons(30, rng=np.random.default_rng(8))
    assert np.array_equal(X1, X2)
    with pytest.raises(TypeError, match="not both"):
        data.make_moons(30, seed=1, rng=np.random.default_rng(1))


@pytest.mark.parametrize("call, message", [
    (lambda: data.make_moons(0), "n_samples"),
    (lambda: data.make_moons(10, noise=-0.1), "noise"),
    (lambda: data.make_circles(10, factor=1.5), "factor"),
    (lambda: data.make_spiral(10, classes=0), "classes"),
    (lambda: data.batches(10, 0), "batch_size"),
    (lambda: data.batches(0), "n"),
])
def test_bad_arguments_are_value_errors_naming_them(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ---- batches ---------------------------------------------------------------------------

def test_full_batch_is_every_index_in_order():
    assert [b.tolist() for b in data.batches(5)] == [[0, 1, 2, 3, 4]]


def test_online_learning_takes_one_sample_per_step():
    epoch = list(data.batches(6, 1, seed=0))
    assert [len(b) for b in epoch] == [1] * 6
    assert sorted(int(b[0]) for b in epoch) == list(range(6))


def test_mini_batches_are_reshuffled_every_epoch_from_one_rng():
    rng = np.random.default_rng(0)
    first = np.concatenate(list(data.batches(50, 8, rng=rng)))
    second = np.concatenate(list(data.batches(50, 8, rng=rng)))
    assert not np.array_equal(first, second)
    assert sorted(first) == sorted(second) == list(range(50))


def test_without_shuffle_mini_batches_keep_the_order():
    assert [b.tolist() for b in data.batches(5, 2, shuffle=False)] == [[0, 1], [2, 3], [4]]


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 200), batch_size=st.one_of(st.none(), st.integers(1, 250)), seed=st.integers(0, 2**32 - 1))
def test_every_epoch_covers_every_index_exactly_once_in_batches_of_the_given_size(n, batch_size, seed):
    epoch = list(data.batches(n, batch_size, seed=seed))
    assert np.array_equal(np.sort(np.concatenate(epoch)), np.arange(n))
    size = n if batch_size is None else batch_size
    assert all(len(b) == size for b in epoch[:-1]) and 1 <= len(epoch[-1]) <= size


# ---- the one seed/rng resolver -----------------------------------------------------------

def test_a_seed_gives_numpys_random_state_for_data_and_pythons_random_for_models():
    assert isinstance(resolve_rng(3, family="numpy"), np.random.RandomState)
    assert resolve_rng(3, family="numpy").rand() == np.random.RandomState(3).rand()
    assert resolve_rng(3, family="python").random() == random.Random(3).random()


def test_no_seed_means_the_global_generators():
    assert resolve_rng(family="python") is random
    np.random.seed(5)
    expected = np.random.RandomState(5).rand()
    assert resolve_rng(family="numpy").rand() == expected


def test_a_numpy_integer_seed_is_accepted_and_a_float_seed_is_not():
    X1, _ = data.make_moons(20, seed=np.int64(7))
    X2, _ = data.make_moons(20, seed=7)
    assert np.array_equal(X1, X2)
    with pytest.raises(TypeError, match="seed must be an int, got float"):
        data.make_moons(20, seed=7.0)


@pytest.mark.parametrize("family, rng", [("numpy", random.Random(1)), ("python", "not an rng")])
def test_an_rng_of_the_wrong_kind_is_a_type_error_naming_what_is_allowed(family, rng):
    with pytest.raises(TypeError, match="rng must be"):
        resolve_rng(rng=rng, family=family)


def test_numpy_scalars_are_accepted_as_noise_and_sizes():
    X1, y1 = data.make_circles(np.int64(30), noise=np.float32(0.25), seed=0, factor=np.float64(0.5))
    X2, y2 = data.make_circles(30, noise=0.25, seed=0, factor=0.5)
    assert np.array_equal(X1, X2) and np.array_equal(y1, y2)
