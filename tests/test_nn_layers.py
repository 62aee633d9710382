"""Neuron, Layer, MLP: micrograd compatibility, the activation table, initialisation."""

import copy
import math
import pickle
import random

import numpy as np
import pytest
from micrograd import nn as micrograd_nn

import autograd.ops
from autograd import Value
from nn import ACTIVATIONS, MLP, Layer, Neuron
from nn.layers import LEAKY_SLOPE

# ---- micrograd compatibility ------------------------------------------------------------


def test_random_seed_then_mlp_gives_micrograds_weights():
    random.seed(1337)
    ours = MLP(2, [16, 16, 1])
    random.seed(1337)
    theirs = micrograd_nn.MLP(2, [16, 16, 1])
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]
    assert len(ours.parameters()) == 337  # micrograd's demo prints "number of parameters 337"


def test_seed_argument_gives_the_weights_of_random_seed():
    random.seed(42)
    expected = [p.data for p in micrograd_nn.MLP(3, [4, 2]).parameters()]
    assert [p.data for p in MLP(3, [4, 2], seed=42).parameters()] == expected


def _copy_weights(ours, theirs):
    for p, q in zip(ours.parameters(), theirs.parameters()):
        q.data = p.data


@pytest.mark.parametrize("sizes", [[1], [4, 1], [4, 4, 2], [3, 5, 3, 3]])
def test_outputs_and_gradients_equal_micrograds_given_the_same_weights(sizes):
    ours = MLP(3, sizes, seed=7)
    ours.layers[0].neurons[0].b.data = 0.25  # a non-zero bias, so the bias path is compared too
    theirs = micrograd_nn.MLP(3, sizes)
    _copy_weights(ours, theirs)
    xs = [[0.5, -1.2, 2.0], [-0.3, 0.8, 0.1]]
    out_ours = [ours(x) for x in xs]
    out_theirs = [theirs(x) for x in xs]
    flat = lambda outs: [v for o in outs for v in (o if isinstance(o, list) else [o])]  # noqa: E731
    assert [v.data for v in flat(out_ours)] == pytest.approx([v.data for v in flat(out_theirs)], rel=1e-12)
    # The same scalar loss on both: Σ outputs · (1 + index).
    loss_ours = sum(v * (1 + i) for i, v in enumerate(flat(out_ours)))
    loss_theirs = sum(v * (1 + i) for i, v in enumerate(flat(out_theirs)))
    loss_ours.backward()
    loss_theirs.backward()
    assert [p.grad for p in ours.parameters()] == pytest.approx(
        [p.grad for p in theirs.parameters()], rel=1e-12, abs=1e-15)


def test_micrograds_demo_code_runs_unchanged():
    random.seed(1337)
    model = MLP(2, [16, 16, 1])  # 2-layer neural network
    assert isinstance(model.layers[0].neurons[3].w[1], Value)
    assert isinstance(model.layers[2].neurons[0].b, Value)
    inputs = [list(map(Value, xrow)) for xrow in [[0.5, 1.0], [-1.0, 0.25]]]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip([1, -1], scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    total_loss = data_loss + reg_loss
    model.zero_grad()
    total_loss.backward()
    for p in model.parameters():
        p.data -= 0.1 * p.grad
    assert math.isfinite(total_loss.data)


def test_micrograds_nonlin_flag_picks_relu_or_linear():
    assert Neuron(3, nonlin=False, seed=0).activation == "linear"
    assert Neuron(3, False, seed=0).activation == "linear"  # micrograd's positional form
    assert Neuron(3, seed=0).activation == "relu" and Neuron(3, seed=0).nonlin is True
    assert [n.activation for n in Layer(3, 2, nonlin=False, seed=0).neurons] == ["linear", "linear"]
    assert [layer.activation for layer in MLP(2, [4, 4, 1], seed=0).layers] == ["relu", "relu", "linear"]


def test_activation_and_nonlin_together_is_an_error():
    with pytest.raises(TypeError, match="not both"):
        Neuron(2, activation="tanh", nonlin=True)


def test_a_call_returns_a_value_for_one_output_and_a_list_otherwise():
    assert isinstance(MLP(2, [3, 1], seed=0)([1.0, 2.0]), Value)
    out = MLP(2, [3, 2], seed=0)([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 2
    assert isinstance(Layer(2, 1, seed=0)([1.0, 2.0]), Value)
    assert isinstance(Layer(2, 3, seed=0)([1.0, 2.0]), list)


def test_a_hidden_layer_of_one_neuron_still_feeds_the_next_layer():
    model = MLP(2, [1, 2], seed=0)
    assert len(model([1.0, -1.0])) == 2


def test_inputs_may_be_values_or_numbers():
    model = MLP(2, [3, 1], seed=0)
    x = [Value(0.5), Value(-2.0)]
    out = model(x)
    assert out.data == model([0.5, -2.0]).data
    out.backward()
    assert x[0].grad != 0.0


def test_a_wrong_number_of_inputs_is_a_value_error_with_both_counts():
    with pytest.raises(ValueError, match="expected 3 inputs, got 2"):
        MLP(3, [2, 1], seed=0)([1.0, 2.0])


# ---- activations ------------------------------------------------------------------------

def test_a_neuron_computes_g_of_its_net_input():
    for name, act in ACTIVATIONS.items():
        neuron = Neuron(2, name, seed=3)
        neuron.b.data = 0.1
        x = [0.7, -0.4]
        net = neuron.w[0].data * 0.7 + neuron.w[1].data * -0.4 + 0.1
        assert neuron(x).data == pytest.approx(float(act.g(np.array(net))), rel=1e-14), name


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_the_tables_numpy_g_and_g_prime_match_the_engine(name):
    # One table, two implementations: the Value op (autodiff) and NumPy (nn.delta) must agree,
    # including at the kink, where relu'(0) = 0 and leaky_relu'(0) = slope in both.
    act = ACTIVATIONS[name]
    for z in [-30.0, -2.5, -0.1, 0.0, 0.3, 1.0, 4.0, 40.0]:
        v = Value(z)
        out = act.apply(v)
        out.backward()
        assert float(act.g(np.array(z))) == pytest.approx(out.data, rel=1e-15, abs=1e-300), (name, z)
        assert float(act.g_prime(np.array(z))) == pytest.approx(v.grad, rel=1e-12, abs=1e-300), (name, z)


def test_the_activations_are_linear_sigmoid_tanh_relu_and_leaky_relu():
    assert sorted(ACTIVATIONS) == ["leaky_relu", "linear", "relu", "sigmoid", "tanh"]


def test_leaky_relus_slope_is_001_for_negative_inputs():
    assert LEAKY_SLOPE == 0.01
    assert Neuron(1, "leaky_relu", seed=0)(-0.0).data == 0.0
    neuron = Neuron(1, "leaky_relu", seed=0)
    neuron.w[0].data = 1.0
    assert neuron([-3.0]).data == pytest.approx(-0.03)


def test_the_numpy_sigmoid_does_not_overflow():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        assert ACTIVATIONS["sigmoid"].g(np.array([-1000.0, 1000.0])).tolist() == [0.0, 1.0]


def test_an_unknown_activation_lists_the_valid_names():
    with pytest.raises(ValueError, match="relu, tanh, sigmoid, linear, leaky_relu"):
        MLP(2, [2, 1], activation="gelu")
    with pytest.raises(ValueError, match="'softmax'"):
        Neuron(2, "softmax")


# ---- initialisation ---------------------------------------------------------------------

def test_default_init_is_micrograds_uniform_weights_and_zero_bias():
    layer = Layer(3, 200, seed=0)
    w = np.array([[w.data for w in n.w] for n in layer.neurons])
    assert w.min() >= -1 and w.max() <= 1 and w.min() < -0.95 and w.max() > 0.95
    assert all(n.b.data == 0.0 for n in layer.neurons)


def test_xavier_draws_within_its_bound_and_he_with_its_standard_deviation():
    xavier = Layer(100, 50, init="xavier", seed=0)
    w = np.array([[w.data for w in n.w] for n in xavier.neurons])
    bound = math.sqrt(6 / 150)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.98 * bound
    he = Layer(200, 100, init="he", seed=0)
    w = np.array([[w.data for w in n.w] for n in he.neurons])
    assert w.std() == pytest.approx(math.sqrt(2 / 200), rel=0.03)  # 20,000 draws: about 0.5% spread
    assert all(n.b.data == 0.0 for n in xavier.neurons + he.neurons)


@pytest.mark.parametrize("init", ["uniform", "xavier", "he"])
def test_the_same_seed_gives_the_same_model_and_another_seed_another(init):
    params = lambda seed: [p.data for p in MLP(3, [5, 2], init=init, seed=seed).parameters()]  # noqa: E731
    assert params(11) == params(11)
    assert params(11) != params(12)


@pytest.mark.parametrize("make_rng", [lambda: random.Random(5), lambda: np.random.default_rng(5),
                                      lambda: np.random.RandomState(5)])
def test_an_rng_argument_makes_a_model_repeatable(make_rng):
    first = [p.data for p in MLP(3, [4, 1], init="he", rng=make_rng()).parameters()]
    second = [p.data for p in MLP(3, [4, 1], init="he", rng=make_rng()).parameters()]
    assert first == second


def test_seed_and_rng_together_is_an_error():
    with pytest.raises(TypeError, match="not both"):
        MLP(2, [1], seed=1, rng=random.Random(1))


def test_an_unknown_init_is_a_value_error_listing_the_choices():
    with pytest.raises(ValueError, match="uniform, xavier, he"):
        MLP(2, [1], init="orthogonal", seed=0)


@pytest.mark.parametrize("args", [(0, [1]), (2, []), (2, [0]), (2, [2.5]), (2, "16")])
def test_bad_sizes_are_value_errors(args):
    with pytest.raises(ValueError):
        MLP(*args)


def test_numbers_given_to_an_mlp_become_one_shared_input_leaf_each_with_its_gradient():
    from autograd import Constant, topological_order

    model = MLP(2, [4, 1], activation="tanh", seed=3)
    out = model([0.5, -1.0])
    out.backward()
    params = set(model.parameters())
    inputs = sorted((v for v in topological_order(out) if v.is_leaf() and v not in params
                     and not isinstance(v, Constant)), key=lambda v: v.label)
    assert [v.label for v in inputs] == ["x0", "x1"]  # once each, not once per neuron
    eps = 1e-6
    for i, leaf in enumerate(inputs):
        up, down = [0.5, -1.0], [0.5, -1.0]
        up[i] += eps
        down[i] -= eps
        numeric = (model(up).data - model(down).data) / (2 * eps)
        assert leaf.grad == pytest.approx(numeric, rel=1e-6, abs=1e-9)


# ---- one place for the slope and the sigmoid; kinks ------------------------------------

def test_leaky_slope_is_the_engines_default_slope_itself():
    assert LEAKY_SLOPE is autograd.ops.LEAKY_RELU_SLOPE


def test_the_sigmoid_activation_is_the_engines_array_sigmoid():
    assert ACTIVATIONS["sigmoid"].g is autograd.ops.sigmoid_array


def test_only_relu_and_leaky_relu_have_a_kink_at_zero_and_zero_is_on_the_left_piece():
    assert {name for name, act in ACTIVATIONS.items() if act.kinks} == {"relu", "leaky_relu"}
    relu = ACTIVATIONS["relu"]
    assert relu.piece(np.array([-1.0, 0.0, 1e-300, 2.0])).tolist() == [0, 0, 1, 1]  # relu'(0) = 0: the left piece
    assert ACTIVATIONS["tanh"].piece(np.array([-1.0, 1.0])).tolist() == [0, 0]


# ---- pickling and copying ---------------------------------------------------------------

@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_a_model_pickles_and_unpickles_to_the_same_outputs(activation):
    model = MLP(3, [4, 2], activation=activation, out_activation=activation, seed=0)
    restored = pickle.loads(pickle.dumps(model))
    x = [0.3, -1.2, 0.8]
    assert [v.data for v in restored(x)] == [v.data for v in model(x)]
    assert restored.state_dict() == model.state_dict()
    assert repr(restored) == repr(model)
    assert [p.label for p in restored.parameters()] == [p.label for p in model.parameters()]


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_a_deep_copy_computes_the_same_and_trains_apart(activation):
    model = Neuron(2, activation, seed=1)
    twin = copy.deepcopy(model)
    assert twin([0.5, -0.5]).data == model([0.5, -0.5]).data
    twin.w[0].data += 1.0
    assert twin.w[0].data != model.w[0].data


def test_a_numpy_integer_seed_and_numpy_sizes_are_accepted():
    model = MLP(np.int64(2), [np.int32(3), 1], seed=np.int64(4))
    assert model.state_dict() == MLP(2, [3, 1], seed=4).state_dict()
    assert all(type(p.data) is float for p in model.parameters())
