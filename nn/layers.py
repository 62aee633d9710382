"""Neurons, layers and MLPs on `Value`, with micrograd's names, defaults and order.

micrograd's demo code runs unchanged: `MLP(2, [16, 16, 1])` has relu hidden
layers and a linear output, `model.layers[l].neurons[j].w[i]` and `.b` are the
weights and biases, `parameters()` lists them layer by layer, neuron by neuron,
weights before bias, and a call returns a Value when the last layer has one
neuron and a list otherwise.

The activation table `ACTIVATIONS` is the one place that knows each activation
g: how to apply it to a Value, and g and its derivative g' in NumPy for
`nn.delta`'s hand-written backpropagation.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

import autograd
from autograd import Value
from autograd.ops import LEAKY_RELU_SLOPE, sigmoid_array
from autograd.validate import integer

from .module import Module
from .rng import Sampler

# ---- activations -------------------------------------------------------------

LEAKY_SLOPE = LEAKY_RELU_SLOPE  # leaky_relu's slope for x < 0: the engine's default, the same object
NET_INPUT_LABEL = "in"  # each neuron's net input Σᵢ wᵢxᵢ + b (nn.delta's picture finds it by this label)


def _sigmoid_prime(z: np.ndarray) -> np.ndarray:
    s = sigmoid_array(z)
    return s * (1.0 - s)  # σ' = σ(1 − σ), as seed 000 derives


@dataclass(frozen=True)
class Activation:
    """An activation g: `apply` on a Value (the graph's op), `g` and `g_prime` on
    NumPy arrays (for `nn.delta`), and `kinks`, the net inputs where g' jumps.
    Derivatives at a kink match the engine's: relu'(0) = 0, leaky_relu'(0) = slope."""

    name: str
    title: str  # for reprs: ReLUNeuron(2), as micrograd prints it
    apply: Callable[[Value], Value]
    g: Callable[[np.ndarray], np.ndarray]
    g_prime: Callable[[np.ndarray], np.ndarray]
    kinks: tuple[float, ...] = ()

    def piece(self, z: np.ndarray) -> np.ndarray:
        """Which smooth piece of g each net input lies on: the number of kinks
        strictly below it (z = 0 is on relu's left piece, as relu'(0) = 0 says)."""
        z = np.asarray(z, dtype=float)
        return sum((z > c).astype(int) for c in self.kinks) if self.kinks else np.zeros(z.shape, dtype=int)


ACTIVATIONS: dict[str, Activation] = {a.name: a for a in (
    Activation("relu", "ReLU", Value.relu,
               lambda z: np.where(z > 0, z, 0.0), lambda z: np.where(z > 0, 1.0, 0.0), kinks=(0.0,)),
    Activation("tanh", "Tanh", Value.tanh,
               np.tanh, lambda z: 1.0 - np.tanh(z) ** 2),
    Activation("sigmoid", "Sigmoid", Value.sigmoid,
               sigmoid_array, _sigmoid_prime),
    Activation("linear", "Linear", lambda v: v,
               lambda z: np.asarray(z, dtype=float), lambda z: np.ones_like(z, dtype=float)),
    Activation("leaky_relu", "LeakyReLU", lambda v: v.leaky_relu(LEAKY_SLOPE),
               lambda z: np.where(z > 0, z, LEAKY_SLOPE * z), lambda z: np.where(z > 0, 1.0, LEAKY_SLOPE),
               kinks=(0.0,)),
)}


def get_activation(name: str) -> Activation:
    """The table's entry for `name`, or a ValueError listing the valid names."""
    try:
        return ACTIVATIONS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}") from None


def _resolve_activation(activation_: str | bool, nonlin: bool | None, where: str) -> str:
    """The activation name from `activation=` or micrograd's `nonlin=` (True is
    relu, False linear; a bool given positionally, as micrograd's
    `Neuron(nin, False)`, means the same)."""
    if nonlin is not None:
        if activation_ != "relu":
            raise TypeError(f"{where}: give activation= or micrograd's nonlin=, not both")
        activation_ = bool(nonlin)
    if isinstance(activation_, bool):
        return "relu" if activation_ else "linear"
    return get_activation(activation_).name


# ---- initialisation ------------------------------------------------------------

INITS = ("uniform", "xavier", "he")


def _initial_weights(nin: int, fan_out: int, init: str, sampler: Sampler) -> tuple[list[float], float]:
    """(weights, bias) for one neuron. uniform: micrograd's w ~ U(−1, 1), b = 0;
    xavier (Glorot): w ~ U(±√(6 / (nin + fan_out))), b = 0; he: w ~ N(0, 2 / nin), b = 0."""
    if init == "uniform":
        return [sampler.uniform(-1.0, 1.0) for _ in range(nin)], 0.0
    if init == "xavier":
        bound = math.sqrt(6.0 / (nin + fan_out))
        return [sampler.uniform(-bound, bound) for _ in range(nin)], 0.0
    if init == "he":
        std = math.sqrt(2.0 / nin)
        return [sampler.normal(std) for _ in range(nin)], 0.0
    raise ValueError(f"unknown init {init!r}; choose one of {', '.join(INITS)}")


def _count(value: Any, name: str, where: str, minimum: int = 1) -> int:
    return integer(value, f"{where}: {name}", low=minimum)


# ---- the modules ---------------------------------------------------------------

class Neuron(Module):
    """One unit: a = g(in), in = Σᵢ wᵢ xᵢ + b (the seeds' in_j and z_j).

    `Neuron(nin, activation="relu")`; micrograd's `Neuron(nin, nonlin=True)`
    works too. `init`: "uniform" (micrograd's), "xavier" (uses `fan_out`, which
    `Layer` sets to its width) or "he"; `seed` or `rng` make it repeatable,
    otherwise Python's `random` is used, as in micrograd.
    """

    def __init__(self, nin: int, activation: str | bool = "relu", *, nonlin: bool | None = None,
                 init: str = "uniform", fan_out: int = 1, seed: int | None = None, rng: Any = None) -> None:
        nin = _count(nin, "nin", "Neuron")
        self.activation = _resolve_activation(activation, nonlin, "Neuron")
        self.nonlin = self.activation != "linear"  # micrograd's attribute
        w, b = _initial_weights(nin, _count(fan_out, "fan_out", "Neuron"), init, Sampler.of(seed, rng))
        self.w = [Value(wi) for wi in w]
        self.b = Value(b)
        self._assign_names()

    @property
    def nin(self) -> int:
        return len(self.w)

    def __call__(self, x: Sequence[Any] | Any) -> Value:
        """g(Σᵢ wᵢ xᵢ + b) for inputs `x`, numbers or Values. The net input is one
        n-ary sum node labelled "in", the activation's output is labelled "a";
        both are scoped to this neuron's name (the graph picture groups them)."""
        if isinstance(x, (Value, numbers.Real)):
            x = (x,)  # one input, as micrograd's single-neuron layers pass on
        if len(x) != len(self.w):
            _refuse_a_batch(x, len(self.w))
            raise ValueError(f"{self!r} ({self._scope or 'neuron'}): expected {len(self.w)} inputs, got {len(x)}")
        net = autograd.sum([wi * xi for wi, xi in zip(self.w, x)] + [self.b])
        net.label = NET_INPUT_LABEL
        net.scope = self._scope
        if not self.nonlin:
            return net  # linear: the output is the net input itself
        # Looked up by name at each call, not stored: a model holds no functions,
        # so it pickles and deep-copies.
        out = ACTIVATIONS[self.activation].apply(net)
        out.label = "a"
        out.scope = self._scope
        return out

    def __repr__(self) -> str:
        return f"{ACTIVATIONS[self.activation].title}Neuron({len(self.w)})"


class Layer(Module):
    """`nout` neurons reading the same `nin` inputs. A call returns a list of
    outputs, or a single Value when `nout == 1` (as micrograd's)."""

    def __init__(self, nin: int, nout: int, activation: str | bool = "relu", *, nonlin: bool | None = None,
                 init: str = "uniform", seed: int | None = None, rng: Any = None) -> None:
        nout = _count(nout, "nout", "Layer")
        activation_ = _resolve_activation(activation, nonlin, "Layer")
        sampler = Sampler.of(seed, rng)
        self.neurons = [Neuron(nin, activation_, init=init, fan_out=nout, rng=sampler) for _ in range(nout)]
        self._assign_names()

    @property
    def activation(self) -> str:
        return self.neurons[0].activation

    def forward(self, x: Sequence[Any]) -> list[Value]:
        """Every neuron's output, always as a list. Plain numbers among the inputs
        become one leaf Value each (labelled x0, x1, ...), shared by every neuron:
        the graph shows them once, as inputs, and they receive gradients."""
        inputs = _as_inputs(x, self.neurons[0].nin)
        return [n(inputs) for n in self.neurons]

    def __call__(self, x: Sequence[Any]) -> Value | list[Value]:
        out = self.forward(x)
        return out[0] if len(out) == 1 else out

    def __repr__(self) -> str:
        return f"Layer of [{_runs(self.neurons)}]"


class MLP(Module):
    """A multi-layer perceptron: `MLP(nin, nouts)` stacks `Layer(sizes[i], sizes[i + 1])`
    for sizes = [nin, *nouts]. Hidden layers use `activation`, the last
    `out_activation` (micrograd: relu, then linear). One random source, used in
    parameter order, initialises the whole model: the same `seed` gives the same
    model, and `random.seed(k)` then `MLP(...)` gives micrograd's `MLP(...)`."""

    def __init__(self, nin: int, nouts: Sequence[int], activation: str = "relu", out_activation: str = "linear",
                 *, init: str = "uniform", seed: int | None = None, rng: Any = None) -> None:
        nin = _count(nin, "nin", "MLP")
        if isinstance(nouts, (str, bytes)) or not isinstance(nouts, Sequence) or not nouts:
            raise ValueError(f"MLP: nouts must be a non-empty list of layer widths, got {nouts!r}")
        sizes = [nin, *(_count(n, "each width in nouts", "MLP") for n in nouts)]
        hidden, last = get_activation(activation).name, get_activation(out_activation).name
        sampler = Sampler.of(seed, rng)
        self.layers = [Layer(sizes[i], sizes[i + 1], last if i == len(nouts) - 1 else hidden,
                             init=init, rng=sampler) for i in range(len(nouts))]
        self._assign_names()

    def __call__(self, x: Sequence[Any]) -> Value | list[Value]:
        for layer in self.layers:
            x = layer.forward(x)
        return x[0] if len(x) == 1 else x

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(repr(layer) for layer in self.layers)}]"

    def to_torch(self) -> Any:
        """An equivalent `torch.nn.Sequential` in float64, weights copied (nn.torch_bridge)."""
        from .torch_bridge import to_torch

        return to_torch(self)

    @classmethod
    def from_torch(cls, seq: Any) -> MLP:
        """An MLP from a Sequential of Linear layers and activations, weights copied;
        refuses, naming it, any module an MLP cannot express (nn.torch_bridge)."""
        from .torch_bridge import from_torch

        return from_torch(seq, cls)


def _as_inputs(x: Sequence[Any] | Any, nin: int) -> Sequence[Any]:
    if isinstance(x, (Value, numbers.Real)):
        x = (x,)
    if all(xi.__class__ is Value for xi in x):
        return x  # a hidden layer's input: the previous layer's outputs
    _refuse_a_batch(x, nin)
    return [xi if isinstance(xi, Value) else Value(xi, f"x{i}") for i, xi in enumerate(x)]


def _refuse_a_batch(x: Any, nin: int) -> None:
    """A TypeError for a whole batch (rows of inputs, a 2-d array) given where one
    example is due: a model takes one example, as micrograd's does; map it over
    the batch."""
    if getattr(x, "ndim", 1) >= 2 or any(isinstance(xi, (list, tuple, np.ndarray)) for xi in x):
        raise TypeError(f"a model takes one example (a list of {nin} numbers), not a batch of {len(x)} rows; "
                        f"map it over the batch: outputs = [model(x) for x in X]")


def _runs(items: Sequence[Any]) -> str:
    """micrograd's list of reprs, with a run of equal ones written once:
    `ReLUNeuron(2) × 16` instead of sixteen copies."""
    texts = [repr(item) for item in items]
    parts: list[str] = []
    i = 0
    while i < len(texts):
        j = i
        while j < len(texts) and texts[j] == texts[i]:
            j += 1
        parts.append(texts[i] if j - i == 1 else f"{texts[i]} × {j - i}")
        i = j
    return ", ".join(parts)
