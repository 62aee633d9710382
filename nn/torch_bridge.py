"""Graduating to PyTorch: `MLP.to_torch()`, `MLP.from_torch(seq)` and
`compare_with_torch`, so the last step of the speed ladder is exact.

An MLP is `torch.nn.Sequential(Linear, activation, Linear, activation, ...,
Linear[, activation])` in float64: layer l's `weight[k, j]` is
`layers[l].neurons[k].w[j]` (seed 001's W^l, shape (nout, nin)) and `bias[k]`
is `neurons[k].b`; a linear layer has no activation module. PyTorch is
optional: these functions import it when called, and say how to install it.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import autograd
from autograd.ops import LEAKY_RELU_SLOPE as LEAKY_SLOPE

from . import losses

# Our activation name -> the torch.nn module class name that computes it.
_TORCH_ACTIVATION = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "leaky_relu": "LeakyReLU"}


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        raise ImportError("PyTorch is not installed: pip install 'deltagrad[torch]' (or `make test-torch`)") from None
    return torch


def _layer_activation(layer: Any, li: int) -> str:
    names = {n.activation for n in layer.neurons}
    if len(names) != 1:
        raise ValueError(f"to_torch: layer {li} mixes activations {sorted(names)}; a Linear layer has one")
    return names.pop()


def to_torch(model: Any) -> Any:
    """An equivalent `torch.nn.Sequential` in float64, the weights copied."""
    torch = _torch()
    modules = []
    for li, layer in enumerate(model.layers):
        nout, nin = len(layer.neurons), len(layer.neurons[0].w)
        linear = torch.nn.Linear(nin, nout, dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64))
            linear.bias.copy_(torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64))
        modules.append(linear)
        activation = _layer_activation(layer, li)
        if activation == "leaky_relu":
            modules.append(torch.nn.LeakyReLU(LEAKY_SLOPE))
        elif activation != "linear":
            modules.append(getattr(torch.nn, _TORCH_ACTIVATION[activation])())
    return torch.nn.Sequential(*modules)


def from_torch(seq: Any, mlp: type) -> Any:
    """An `mlp` (the MLP class: `MLP.from_torch` passes itself, so this module
    never imports nn.layers) with the Sequential's layers and weights. Refuses, naming the
    module, anything an MLP cannot express: layers other than Linear and the
    activations relu, tanh, sigmoid and LeakyReLU(0.01), a Linear without a
    bias, two activations in a row, or an activation before the first Linear."""
    torch = _torch()
    if not isinstance(seq, torch.nn.Sequential):
        raise TypeError(f"from_torch: expected a torch.nn.Sequential, got {type(seq).__name__}")
    layers: list[tuple[Any, str]] = []
    for i, module in enumerate(seq):
        if isinstance(module, torch.nn.Identity):
            continue
        if isinstance(module, torch.nn.Linear):
            if module.bias is None:
                raise ValueError(f"from_torch: module {i}, {module}, has no bias; every MLP neuron has one")
            if layers and module.in_features != layers[-1][0].out_features:
                raise ValueError(f"from_torch: module {i}, {module}, takes {module.in_features} inputs but the layer "
                                 f"before gives {layers[-1][0].out_features}")
            layers.append((module, "linear"))
            continue
        activation = _our_activation(torch, module, i)
        if not layers:
            raise ValueError(f"from_torch: module {i}, {module}, comes before the first Linear layer")
        if layers[-1][1] != "linear":
            raise ValueError(f"from_torch: module {i}, {module}, follows another activation; an MLP layer has one")
        layers[-1] = (layers[-1][0], activation)
    if not layers:
        raise ValueError("from_torch: the Sequential has no Linear layer")
    hidden = [act for _, act in layers[:-1]]
    model = mlp(layers[0][0].in_features, [lin.out_features for lin, _ in layers],
                activation=hidden[0] if hidden else "relu", out_activation=layers[-1][1])
    if len(set(hidden)) > 1:  # hidden layers of different activations: one Layer each, as the Sequential has
        layer_class = type(model.layers[0])
        model.layers = [layer_class(lin.in_features, lin.out_features, act) for lin, act in layers]
        model._assign_names()
    for layer, (linear, _) in zip(model.layers, layers):
        W = linear.weight.detach().to(torch.float64).cpu().numpy()
        b = linear.bias.detach().to(torch.float64).cpu().numpy()
        for k, neuron in enumerate(layer.neurons):
            for j, w in enumerate(neuron.w):
                w.data = float(W[k, j])
            neuron.b.data = float(b[k])
    return model


def _our_activation(torch: Any, module: Any, i: int) -> str:
    for name, cls in _TORCH_ACTIVATION.items():
        if type(module) is getattr(torch.nn, cls):
            if name == "leaky_relu" and module.negative_slope != LEAKY_SLOPE:
                raise ValueError(f"from_torch: module {i}, {module}: nn's leaky_relu has slope {LEAKY_SLOPE}, "
                                 f"not {module.negative_slope}")
            return name
    raise ValueError(f"from_torch: module {i}, {module}, cannot be expressed by an MLP (Linear layers with relu, "
                     "tanh, sigmoid or LeakyReLU(0.01) only)")


# ---- gradients side by side -------------------------------------------------------

def _torch_losses(torch: Any) -> dict[Callable[..., Any], Callable[[Any, Any], Any]]:
    F = torch.nn.functional
    return {
        losses.half_sse: lambda a, y: 0.5 * ((y - a) ** 2).sum(),
        losses.mse: lambda a, y: F.mse_loss(a, y),
        losses.hinge: lambda s, y: torch.relu(1 - torch.where(y > 0, 1.0, -1.0).to(s.dtype) * s).mean(),
        losses.binary_cross_entropy: lambda p, y: F.binary_cross_entropy(p, y),
        losses.binary_cross_entropy_with_logits: lambda z, y: F.binary_cross_entropy_with_logits(z, y),
        losses.softmax_cross_entropy: lambda z, y: F.cross_entropy(z, y.long()),
    }


@dataclass(frozen=True)
class TorchRow:
    name: str
    deltagrad: float
    torch: float

    @property
    def difference(self) -> float:
        return abs(self.deltagrad - self.torch)


@dataclass
class TorchComparison:
    """`compare_with_torch`'s result: each parameter's gradient in deltagrad and
    in PyTorch, in `named_parameters()` order, and the two losses."""

    loss_name: str
    loss: float
    torch_loss: float
    rows: list[TorchRow] = field(default_factory=list)
    tol: float = 1e-12

    @property
    def max_disagreement(self) -> float:
        return max([r.difference for r in self.rows] + [abs(self.loss - self.torch_loss)])

    @property
    def worst(self) -> TorchRow | None:
        return max(self.rows, key=lambda r: r.difference, default=None)

    @property
    def ok(self) -> bool:
        scale = max(1.0, max((abs(r.torch) for r in self.rows), default=0.0))
        return self.max_disagreement <= self.tol * scale

    def __bool__(self) -> bool:
        return self.ok

    def _cells(self) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
        header = ("parameter", "deltagrad", "PyTorch", "|difference|")
        return header, [(r.name, f"{r.deltagrad:.15g}", f"{r.torch:.15g}", f"{r.difference:.2e}") for r in self.rows]

    def _summary(self) -> str:
        worst = self.worst
        where = f" ({worst.name})" if worst is not None else ""
        return (f"{self.loss_name} = {self.loss:.15g} (PyTorch {self.torch_loss:.15g}): largest disagreement "
                f"{self.max_disagreement:.2e}{where}: {'ok' if self.ok else 'DISAGREE'}")

    def table(self) -> str:
        header, body = self._cells()
        widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]
        lines = ["  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))).rstrip()
                 for row in [header, *body]]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(lines) + "\n" + self._summary()

    __repr__ = __str__ = table

    def _repr_html_(self) -> str:
        header, body = self._cells()
        head = "".join(f"<th>{html.escape(c)}</th>" for c in header)
        rows = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in body)
        summary = html.escape(self._summary())
        return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table><p>{summary}</p>"


def compare_with_torch(model: Any, x: Any, y: Any, loss: str | Callable[..., Any] = "half_sse",
                       tol: float = 1e-12) -> TorchComparison:
    """Every parameter's gradient of `loss(model(x), y)` in deltagrad and in
    PyTorch (`model.to_torch()`), side by side. `x` is one example (a list of
    numbers) or a batch (rows); `y` the matching targets as the loss takes them;
    `loss` a name in `nn.losses.LOSSES` or one of those functions. The model's
    `.grad`s are left as they were."""
    torch = _torch()
    loss_fn = losses.get_loss(loss)
    torch_losses = _torch_losses(torch)
    if loss_fn not in torch_losses:
        raise ValueError(f"compare_with_torch: no PyTorch twin for the loss {loss!r}; use one of "
                         f"{', '.join(losses.LOSSES)}")
    X = np.asarray(x, dtype=float)
    batch = X.ndim == 2
    rows = X if batch else X[None]
    outputs: Any = [model(list(r)) for r in rows.tolist()]
    outputs = outputs if batch else outputs[0]
    if not batch and not isinstance(outputs, list) and np.ndim(y) == 1:
        outputs = [outputs]  # one example, one output, its target given as a list of one
    ours = loss_fn(outputs, y)
    named = model.named_parameters()
    grads = autograd.gradients(ours, [p for _, p in named])
    seq = to_torch(model)
    out = seq(torch.tensor(rows, dtype=torch.float64))
    targets = torch.tensor(np.asarray(y, dtype=float), dtype=torch.float64)
    out = out.reshape(np.shape(np.asarray(outputs, dtype=object)))  # the outputs' shape as deltagrad's loss saw it
    theirs = torch_losses[loss_fn](out, targets)
    params = [p for m in seq if hasattr(m, "weight") for p in (m.weight, m.bias)]
    torch_grads = torch.autograd.grad(theirs, params)
    flat = []
    for W, b in zip(torch_grads[::2], torch_grads[1::2]):
        for k in range(W.shape[0]):
            flat += W[k].tolist() + [float(b[k])]
    report = TorchComparison(loss_fn.__name__, ours.data, float(theirs.detach()), tol=tol)
    report.rows = [TorchRow(name, float(g), t) for (name, _), g, t in zip(named, grads, flat)]
    return report
