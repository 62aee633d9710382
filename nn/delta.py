"""The seeds' Δ rules, computed by hand in NumPy from a model's weights.

Nothing here computes on the Value graph: the weights are read out of the model
(layer l's W^l has shape (nout, nin), W^l[k, j] = `layers[l].neurons[k].w[j]`),
the forward pass is redone in NumPy, and backpropagation is written out as the
seeds write it, for E = ½ Σₖ (yₖ − aₖ)².

Per unit (seed 000, the Monash notes), with Δ = −∂E/∂in:
    output unit k:  Δₖ = (yₖ − aₖ) g'(inₖ)
    hidden unit j:  Δⱼ = g'(inⱼ) Σₖ wⱼₖ Δₖ
    update:         wᵢⱼ ← wᵢⱼ + α aᵢ Δⱼ   (and bⱼ ← bⱼ + α Δⱼ: a bias is a weight on a constant input 1)
(The seed's second update line reads `w_{j,k} ← w{i,j} + …`, a typo for the rule above.)

As matrices (seed 001), with δ ≡ ∂C/∂z = −Δ:
    δ^L = ∇ₐC ⊙ g'(z^L),   δ^l = ((W^{l+1})ᵀ δ^{l+1}) ⊙ g'(z^l),
    ∂C/∂b^l = δ^l,         ∂C/∂W^l = δ^l (a^{l−1})ᵀ.

`compare` puts autodiff, these rules and finite differences side by side, and
`annotate` writes each neuron's Δ into autograd's pictures (`show_delta=True`).
In the code, `li` is the seeds' layer index l.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograd.report import format_table
from autograd.validate import hyperparameter
from autograd.viz import Annotator, format_number, format_numbers
from autograd.viz.annotate import NAMED as NAMED_ANNOTATORS

from .layers import ACTIVATIONS, NET_INPUT_LABEL, Activation
from .losses import half_sse
from .module import Module

# ---- the network as arrays ---------------------------------------------------------


@dataclass
class _LayerArrays:
    neurons: list[Any]
    W: np.ndarray  # (nout, nin): W[k, j] is the weight from input j to unit k
    b: np.ndarray  # (nout,)
    act: Activation


def _layers_of(model: Any) -> list[list[Any]]:
    """The model's neurons, layer by layer: an MLP, a Layer or a single Neuron."""
    if hasattr(model, "layers"):
        return [list(layer.neurons) for layer in model.layers]
    if hasattr(model, "neurons"):
        return [list(model.neurons)]
    if hasattr(model, "w") and hasattr(model, "b"):
        return [[model]]
    raise TypeError(f"nn.delta works on an MLP, a Layer or a Neuron, got {type(model).__name__}")


def _arrays(model: Any) -> list[_LayerArrays]:
    out = []
    width = None
    for li, neurons in enumerate(_layers_of(model)):
        names = {n.activation for n in neurons}
        if len(names) != 1:
            raise ValueError(f"nn.delta: layer {li} mixes activations {sorted(names)}; one per layer is needed")
        W = np.array([[w.data for w in n.w] for n in neurons], dtype=float)
        if width is not None and W.shape[1] != width:
            raise ValueError(f"nn.delta: layer {li} takes {W.shape[1]} inputs but the layer before has {width} units")
        width = W.shape[0]
        b = np.array([n.b.data for n in neurons], dtype=float)
        out.append(_LayerArrays(neurons, W, b, ACTIVATIONS[names.pop()]))
    return out


def weights(model: Module) -> list[tuple[np.ndarray, np.ndarray]]:
    """(W^l, b^l) for every layer, copied out of the model: W^l of shape (nout, nin)."""
    return [(layer.W, layer.b) for layer in _arrays(model)]


def _vector(v: Any, size: int, what: str) -> np.ndarray:
    try:
        array = np.asarray(v, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise TypeError(f"nn.delta: {what} must be a number or a list of numbers, got {v!r}") from None
    if array.shape != (size,):
        raise ValueError(f"nn.delta: {what} must have {size} entries, got {array.size}: {v!r}")
    return array


# ---- forward ------------------------------------------------------------------------

def _forward(net: list[_LayerArrays], x: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
    a, z = [x], []
    for layer in net:
        z.append(layer.W @ a[-1] + layer.b)  # in_j = Σᵢ w_ij aᵢ + b_j
        a.append(layer.act.g(z[-1]))
    return a, z


def forward(model: Module, x: Sequence[float]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The forward pass in NumPy: `(a, z)` with a = [a⁰ = x, a¹, ..., a^L] and
    z = [z¹, ..., z^L] (z[l] feeds a[l + 1]); z is the seeds' net input `in`."""
    net = _arrays(model)
    return _forward(net, _vector(x, net[0].W.shape[1], "x"))


def predict(model: Module, X: Any) -> np.ndarray:
    """The model's outputs a^L for every row of `X` (n × inputs) at once, in
    NumPy from its weights: shape (n, outputs). For pictures over a fine grid
    (`nn.plot.decision_boundary`), where a Value graph per point would be slow."""
    net = _arrays(model)
    A = np.asarray(X, dtype=float)
    if A.ndim != 2 or A.shape[1] != net[0].W.shape[1]:
        raise ValueError(f"nn.delta.predict: X must have one row of {net[0].W.shape[1]} inputs per sample, "
                         f"got shape {A.shape}")
    for layer in net:
        A = layer.act.g(A @ layer.W.T + layer.b)  # each row: a = g(W a_prev + b)
    return A


def _error(a_out: np.ndarray, y: np.ndarray) -> float:
    return 0.5 * float(np.sum((y - a_out) ** 2))  # E = ½ Σ (y − a)²


def _setup(model: Any, x: Any, y: Any) -> tuple[list[_LayerArrays], list[np.ndarray], list[np.ndarray], np.ndarray]:
    net = _arrays(model)
    a, z = _forward(net, _vector(x, net[0].W.shape[1], "x"))
    return net, a, z, _vector(y, net[-1].W.shape[0], "y")


# ---- the Δ rules ------------------------------------------------------------------------

def _per_unit(net: list[_LayerArrays], a: list[np.ndarray], z: list[np.ndarray], y: np.ndarray) -> list[np.ndarray]:
    L = len(net)
    Delta: list[np.ndarray] = [np.empty(0)] * L
    g_prime = net[-1].act.g_prime(z[-1])
    # Output units: Δₖ = (yₖ − aₖ) g'(inₖ).
    Delta[-1] = np.array([(y[k] - a[-1][k]) * g_prime[k] for k in range(len(y))])
    for li in range(L - 2, -1, -1):
        W_next, Delta_next = net[li + 1].W, Delta[li + 1]  # wⱼₖ = W_next[k, j]: unit j here to unit k above
        g_prime = net[li].act.g_prime(z[li])
        # Hidden units: Δⱼ = g'(inⱼ) Σₖ wⱼₖ Δₖ.
        Delta[li] = np.array([g_prime[j] * sum(W_next[k, j] * Delta_next[k] for k in range(len(Delta_next)))
                             for j in range(len(z[li]))])
    return Delta


def _matrix(net: list[_LayerArrays], a: list[np.ndarray], z: list[np.ndarray], y: np.ndarray) -> list[np.ndarray]:
    delta: list[np.ndarray] = [np.empty(0)] * len(net)
    delta[-1] = (a[-1] - y) * net[-1].act.g_prime(z[-1])  # δ^L = ∇ₐC ⊙ g'(z^L), ∇ₐC = a − y
    for li in range(len(net) - 2, -1, -1):
        # δ^l = ((W^{l+1})ᵀ δ^{l+1}) ⊙ g'(z^l)
        delta[li] = (net[li + 1].W.T @ delta[li + 1]) * net[li].act.g_prime(z[li])
    return delta


def deltas_per_unit(model: Module, x: Sequence[float], y: Any) -> list[np.ndarray]:
    """Δ for every unit, layer by layer, by the Monash rules written unit by unit
    (loops, as seed 000 states them). Δ = −∂E/∂in."""
    net, a, z, y = _setup(model, x, y)
    return _per_unit(net, a, z, y)


def deltas_matrix(model: Module, x: Sequence[float], y: Any) -> list[np.ndarray]:
    """δ^l = ∂E/∂z^l for every layer, by seed 001's matrix recursion. Note the
    sign: δ = −Δ."""
    net, a, z, y = _setup(model, x, y)
    return _matrix(net, a, z, y)


def deltas(model: Module, x: Sequence[float], y: Any) -> list[np.ndarray]:
    """Δ per layer, the Monash sign (Δ = −∂E/∂in): `deltas_per_unit`."""
    return deltas_per_unit(model, x, y)


def gradients(model: Module, x: Sequence[float], y: Any) -> list[tuple[np.ndarray, np.ndarray]]:
    """(∂E/∂W^l, ∂E/∂b^l) for every layer, E = ½ Σ (y − a)², by the matrix form:
    ∂E/∂W^l = δ^l (a^{l−1})ᵀ (shape (nout, nin), like W^l), ∂E/∂b^l = δ^l."""
    net, a, z, y = _setup(model, x, y)
    return [(np.outer(d, a[li]), d) for li, d in enumerate(_matrix(net, a, z, y))]


def step(model: Module, x: Sequence[float], y: Any, alpha: float) -> float:
    """One Monash update in place: wᵢⱼ ← wᵢⱼ + α aᵢ Δⱼ and bⱼ ← bⱼ + α Δⱼ for
    every unit j. All Δ are computed from the current weights first, then every
    weight moves, which makes this exactly one gradient-descent step of
    learning rate α on E. Returns E before the step. The weights stay Python
    floats (the arithmetic is NumPy's; each new value is converted back)."""
    alpha = hyperparameter(alpha, "nn.delta.step: alpha")
    net, a, z, y = _setup(model, x, y)
    Delta = _per_unit(net, a, z, y)
    for li, layer in enumerate(net):
        for j, neuron in enumerate(layer.neurons):
            for i, w in enumerate(neuron.w):
                w.data = float(w.data + alpha * a[li][i] * Delta[li][j])
            neuron.b.data = float(neuron.b.data + alpha * Delta[li][j])
    return _error(a[-1], y)


# ---- autodiff, Δ rules and finite differences side by side -------------------------------

@dataclass(frozen=True)
class GradientRow:
    """One parameter's ∂E/∂p three ways. `kink` names the units whose kink the
    finite difference's steps p ± eps cross: E has no derivative for such a
    difference to approximate, so the row's finite difference is not judged."""

    name: str
    autodiff: float
    delta_rule: float
    finite_difference: float
    kink: str = ""

    @property
    def note(self) -> str:
        return f"p ± eps crosses the kink of {self.kink}" if self.kink else ""

    @property
    def delta_error(self) -> float:
        """|autodiff − Δ rule|: both exact, so only rounding should separate them."""
        return abs(self.autodiff - self.delta_rule)

    @property
    def fd_error(self) -> float:
        """|autodiff − finite difference|: O(eps²) truncation plus round-off."""
        return abs(self.autodiff - self.finite_difference)

    @property
    def disagreement(self) -> float:
        """The largest difference between the columns that are judged (the two
        exact ones only, when the finite difference crosses a kink)."""
        if self.kink:
            return self.delta_error
        return max(self.delta_error, self.fd_error, abs(self.delta_rule - self.finite_difference))


@dataclass
class DeltaReport:
    """`compare`'s result: a row per parameter, in `named_parameters()` order.

    `ok` when autodiff and the Δ rule agree to `exact_tol` (relative to the
    largest gradient, or absolute when that is below 1) and finite differences to
    `fd_tol`, except in the rows whose finite difference crosses a kink (see
    `GradientRow.kink`)."""

    loss: float
    rows: list[GradientRow] = field(default_factory=list)
    eps: float = 1e-6
    exact_tol: float = 1e-9
    fd_tol: float = 1e-5
    near_kink: list[str] = field(default_factory=list)  # the units whose kink some step p ± eps crosses

    @property
    def max_disagreement(self) -> float:
        """The largest difference between any two of the three columns."""
        return max((r.disagreement for r in self.rows), default=0.0)

    @property
    def worst(self) -> GradientRow | None:
        return max(self.rows, key=lambda r: r.disagreement, default=None)

    @property
    def max_delta_error(self) -> float:
        return max((r.delta_error for r in self.rows), default=0.0)

    @property
    def max_fd_error(self) -> float:
        """The largest |autodiff − finite difference| over the rows it is judged in."""
        return max((r.fd_error for r in self.rows if not r.kink), default=0.0)

    @property
    def ok(self) -> bool:
        scale = max(1.0, max((abs(r.autodiff) for r in self.rows), default=0.0))
        exact = self.max_delta_error <= self.exact_tol * scale
        return exact and self.max_fd_error <= self.fd_tol * scale

    def __bool__(self) -> bool:
        return self.ok

    def _cells(self) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
        """The table's header and rows; a "note" column only when some row has a note."""
        notes = any(r.kink for r in self.rows)
        header = ("parameter", "autodiff", "Δ rule", "finite diff", "|auto − Δ|", "|auto − fd|") + \
            (("note",) if notes else ())
        body = [(r.name, f"{r.autodiff:.12g}", f"{r.delta_rule:.12g}", f"{r.finite_difference:.12g}",
                 f"{r.delta_error:.2e}", f"{r.fd_error:.2e}") + ((r.note,) if notes else ()) for r in self.rows]
        return header, body

    def _summary(self) -> str:
        worst = self.worst
        where = f" ({worst.name})" if worst is not None else ""
        verdict = "ok" if self.ok else "DISAGREE"
        text = (f"∂E/∂p for E = ½ Σ (y − a)² = {self.loss:.12g}: largest disagreement "
                f"{self.max_disagreement:.2e}{where}, autodiff vs Δ rule {self.max_delta_error:.2e}: {verdict}")
        crossing = sum(1 for r in self.rows if r.kink)
        if crossing:
            text += (f"\nnote: the finite difference of {crossing} parameter(s) crosses the kink of "
                     f"{', '.join(self.near_kink)}; not judged there (E has no derivative across a kink)")
        return text

    def table(self) -> str:
        header, body = self._cells()
        align = "l" + "r" * 5 + "l" * (len(header) - 6)  # names and notes left, numbers right
        return format_table(header, body, align) + "\n" + self._summary()

    def __repr__(self) -> str:
        return self.table()

    __str__ = __repr__

    def _repr_html_(self) -> str:
        header, body = self._cells()
        head = "".join(f"<th>{html.escape(c)}</th>" for c in header)
        rows = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in body)
        summary = html.escape(self._summary()).replace("\n", "<br>")
        return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table><p>{summary}</p>"


def compare(model: Module, x: Sequence[float], y: Any, eps: float = 1e-6) -> DeltaReport:
    """∂E/∂p for every weight and bias, E = ½ Σ (y − a)², three ways: autodiff
    (`backward()` through the model's Value graph), the Δ rules (∂E/∂wᵢⱼ = −aᵢΔⱼ,
    ∂E/∂bⱼ = −Δⱼ) and central finite differences of the NumPy forward pass. A
    row whose steps p ± eps move some unit's net input across a kink of its
    activation (relu's 0) is marked as such, not counted as a disagreement. The
    model's weights and gradients are left as they were."""
    eps = hyperparameter(eps, "nn.delta.compare: eps", low=0.0, low_open=True)
    net, a, z, y_vec = _setup(model, x, y)
    named = model.named_parameters()
    auto, loss = _autodiff(model, named, list(a[0]), y_vec)
    Delta = _per_unit(net, a, z, y_vec)
    by_rule, numeric = [], []
    for li, layer in enumerate(net):
        for j in range(len(layer.neurons)):
            for i in range(layer.W.shape[1]):
                by_rule.append(-a[li][i] * Delta[li][j])
                numeric.append(_central_difference(net, a[0], y_vec, z, li, j, i, eps))
            by_rule.append(-Delta[li][j])
            numeric.append(_central_difference(net, a[0], y_vec, z, li, j, None, eps))
    if len(by_rule) != len(named):
        raise TypeError(f"nn.delta.compare: the model has {len(named)} parameters but its layers hold "
                        f"{len(by_rule)} weights and biases")
    rows = [GradientRow(name, g, float(d), fd, ", ".join(units))
            for (name, _), g, d, (fd, units) in zip(named, auto, by_rule, numeric)]
    crossed = list(dict.fromkeys(unit for _, units in numeric for unit in units))  # once each, in order
    return DeltaReport(loss, rows, eps=eps, near_kink=crossed)


def _autodiff(model: Any, named: list[tuple[str, Any]], x: list[float], y: np.ndarray) -> tuple[list[float], float]:
    """∂E/∂p by `backward()`, restoring the parameters' previous `.grad` afterwards."""
    params = [p for _, p in named]
    saved = [p.grad for p in params]
    try:
        for p in params:
            p.grad = 0.0
        out = model(x)
        E = half_sse(out, float(y[0]) if not isinstance(out, list) else y.tolist())
        E.backward()
        return [float(p.grad) for p in params], E.data
    finally:
        for p, g in zip(params, saved):
            p.grad = g


def _central_difference(net: list[_LayerArrays], x: np.ndarray, y: np.ndarray, z: list[np.ndarray], li: int,
                        j: int, i: int | None, eps: float) -> tuple[float, list[str]]:
    """(E(p + eps) − E(p − eps)) / 2 eps for W^l[j, i] (or b^l[j] when i is None),
    on copies of the arrays (the model is not touched), and the units whose net
    input lies on another piece of its activation at p + eps or p − eps than at
    p: the difference then spans a kink."""
    def moved(shift: float) -> tuple[float, list[np.ndarray]]:
        copy = [_LayerArrays(layer.neurons, layer.W.copy(), layer.b.copy(), layer.act) for layer in net]
        if i is None:
            copy[li].b[j] += shift
        else:
            copy[li].W[j, i] += shift
        a, z_moved = _forward(copy, x)
        return _error(a[-1], y), z_moved

    (up, z_up), (down, z_down) = moved(eps), moved(-eps)
    return (up - down) / (2 * eps), _units_crossing(net, z, z_up, z_down)


def _units_crossing(net: list[_LayerArrays], z: list[np.ndarray], *moved: list[np.ndarray]) -> list[str]:
    """The units (by scope) whose net input in some `moved` forward pass lies on
    another smooth piece of the activation than in `z`: the step actually taken
    in every net input decides, whatever the size of the inputs and weights."""
    units = []
    for layer, zl, *zs in zip(net, z, *moved):
        if not layer.act.kinks:
            continue
        at = layer.act.piece(zl)
        crossed = np.zeros(len(zl), dtype=bool)
        for other in zs:
            crossed |= layer.act.piece(other) != at
        units += [getattr(layer.neurons[k], "_scope", "") or repr(layer.neurons[k]) for k in np.flatnonzero(crossed)]
    return units


# ---- the Δ in pictures -------------------------------------------------------------

DELTA_LEGEND = "Δ = −∂E/∂in, the Monash delta, after E.backward() with E = ½Σ(y − a)²"


def _is_net_input(v: Any) -> bool:
    """A neuron's net input as `Neuron` tags it: labelled "in", with a scope."""
    return getattr(v, "label", "") == NET_INPUT_LABEL and bool(getattr(v, "scope", ""))


def _delta_text(deltas: list[float]) -> str:
    return f"Δ = −∂E/∂in = {format_number(deltas[0]) if len(deltas) == 1 else format_numbers(deltas)}"


def _delta_rows(v: Any) -> list[str] | None:
    # Δ = −∂E/∂in, read off the graph after E.backward(); float() also reads a
    # gradient that is a Value (backward(create_graph=True)).
    return [_delta_text([-float(v.grad)])] if _is_net_input(v) else None


def _delta_group(nodes: Sequence[Any]) -> list[str] | None:
    deltas = [-float(v.grad) for v in nodes if _is_net_input(v)]
    return [_delta_text(deltas)] if deltas else None


annotate = Annotator(_delta_rows, legend=DELTA_LEGEND, group=_delta_group)
NAMED_ANNOTATORS["delta"] = annotate  # what draw_dot(show_delta=True) draws
"""The Monash Δ = −∂E/∂in of every neuron, for `autograd.draw_dot(E, annotate=nn.delta.annotate)`
(which `show_delta=True` is short for): a row under each net input, one row per
collapsed neuron or layer, and a line in the legend. Run `E.backward()` first,
with E = ½ Σ (y − a)²: then Δ_k = (y_k − a_k) g'(in_k) at the output and
Δ_j = g'(in_j) Σ_k w_jk Δ_k inside, the numbers `deltas` computes by hand."""
