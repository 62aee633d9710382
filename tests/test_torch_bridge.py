"""MLP.to_torch, MLP.from_torch and nn.compare_with_torch: the same network in
PyTorch, weight for weight and gradient for gradient."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
import nn
from nn import MLP
from nn.data import make_moons

torch = pytest.importorskip("torch", reason="PyTorch is not installed: `make test-torch` installs it and runs these")


def moons():
    return make_moons(100, noise=0.1, seed=1337)


def test_to_torch_gives_a_float64_sequential_computing_the_same_outputs():
    model = MLP(2, [16, 16, 1], seed=1337)
    seq = model.to_torch()
    assert [type(m).__name__ for m in seq] == ["Linear", "ReLU", "Linear", "ReLU", "Linear"]
    assert all(p.dtype == torch.float64 for p in seq.parameters())
    X, _ = moons()
    ours = autograd.compile(lambda x: model(x), [0.0, 0.0])(X)
    theirs = seq(torch.tensor(X)).detach().numpy()[:, 0]
    assert np.max(np.abs(ours - theirs)) <= 1e-12


@pytest.mark.parametrize("activation, module", [("tanh", "Tanh"), ("sigmoid", "Sigmoid"),
                                                ("leaky_relu", "LeakyReLU")])
def test_every_activation_maps_to_its_torch_module_and_back(activation, module):
    model = MLP(3, [4, 2], activation=activation, out_activation="sigmoid", seed=0)
    seq = model.to_torch()
    assert [type(m).__name__ for m in seq] == ["Linear", module, "Linear", "Sigmoid"]
    back = MLP.from_torch(seq)
    assert [p.data for p in back.parameters()] == [p.data for p in model.parameters()]
    assert repr(back) == repr(model)


def test_from_torch_builds_hidden_layers_of_different_activations():
    seq = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh(), torch.nn.Linear(3, 3), torch.nn.ReLU(),
                              torch.nn.Linear(3, 1)).double()
    model = MLP.from_torch(seq)
    assert [layer.activation for layer in model.layers] == ["tanh", "relu", "linear"]
    x = [0.3, -0.2]
    assert model(x).data == pytest.approx(float(seq(torch.tensor([x], dtype=torch.float64)).detach()[0, 0]), abs=1e-15)
    assert model.named_parameters()[-1][0] == "layers.2.neurons.0.b"


@pytest.mark.parametrize("modules, message", [
    (lambda: [torch.nn.Linear(2, 3), torch.nn.Dropout()], "module 1, Dropout.*cannot be expressed"),
    (lambda: [torch.nn.ReLU(), torch.nn.Linear(2, 3)], "module 0, ReLU.*before the first Linear"),
    (lambda: [torch.nn.Linear(2, 3, bias=False)], "has no bias"),
    (lambda: [torch.nn.Linear(2, 3), torch.nn.LeakyReLU(0.2)], "slope 0.01, not 0.2"),
    (lambda: [torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Tanh()], "module 2, Tanh.*follows another"),
    (lambda: [torch.nn.Linear(2, 3), torch.nn.Linear(4, 1)], "takes 4 inputs but the layer before gives 3"),
])
def test_from_torch_refuses_what_an_mlp_cannot_express_naming_the_module(modules, message):
    with pytest.raises(ValueError, match=message):
        MLP.from_torch(torch.nn.Sequential(*modules()))


def test_compare_with_torch_on_the_moons_model_agrees_to_1e_12():
    model = MLP(2, [16, 16, 1], seed=1337)
    X, y = moons()
    grads_before = [p.grad for p in model.parameters()]
    report = nn.compare_with_torch(model, X, y, loss="hinge")
    assert report.ok and report.max_disagreement <= 1e-12
    assert [r.name for r in report.rows] == [name for name, _ in model.named_parameters()]
    assert any(abs(r.torch) > 1e-3 for r in report.rows)  # real gradients, not zeros
    assert [p.grad for p in model.parameters()] == grads_before
    assert "largest disagreement" in report.table() and "<table>" in report._repr_html_()


@pytest.mark.parametrize("loss, out_activation, targets", [
    ("half_sse", "sigmoid", lambda y: np.eye(2)[y]),
    ("mse", "tanh", lambda y: np.eye(2)[y]),
    ("binary_cross_entropy", "sigmoid", lambda y: y[:, None].astype(float)),
    ("binary_cross_entropy_with_logits", "linear", lambda y: y[:, None].astype(float)),
    ("softmax_cross_entropy", "linear", lambda y: y.tolist()),
])
def test_compare_with_torch_covers_every_loss(loss, out_activation, targets):
    nout = 1 if "binary" in loss else 2
    model = MLP(2, [5, nout], activation="tanh", out_activation=out_activation, seed=3)
    X, y = moons()
    t = targets(y)
    if nout == 1:
        t = t[:, 0]
    report = nn.compare_with_torch(model, X[:20], t[:20], loss=loss)
    assert report.ok, report.table()


def test_compare_with_torch_takes_one_example_and_refuses_a_loss_without_a_twin():
    model = MLP(2, [3, 1], seed=0)
    assert nn.compare_with_torch(model, [0.5, -0.5], [1.0]).ok
    with pytest.raises(ValueError, match="no PyTorch twin"):
        nn.compare_with_torch(model, [0.5, -0.5], [1.0], loss=lambda out, y: out)


def test_a_compiled_training_step_gives_torchs_gradients():
    model = MLP(2, [16, 16, 1], seed=1337)
    X, y = moons()
    f = autograd.compile(lambda x0, x1, t: (1 + -t * model([x0, x1])).relu(), 0.0, 0.0, 1.0)
    model.zero_grad()
    f.value_and_grad(X[:, 0], X[:, 1], 2.0 * y - 1.0)
    report = nn.compare_with_torch(model, X, y, loss="hinge")
    compiled = [p.grad for p in model.parameters()]
    assert np.max(np.abs(np.array(compiled) - [r.torch for r in report.rows])) <= 1e-12
