"""Losses on Values: model outputs (Values) against targets (plain numbers).

| loss | outputs, targets | reduction |
|---|---|---|
| `half_sse` | any shape, same shape | E = ½ Σ (y − a)², **summed** over units and samples (the seeds' E) |
| `mse` | any shape, same shape | mean of (y − a)² over every element (PyTorch's `MSELoss`) |
| `hinge` | one score per sample, labels ±1 (0 counts as −1) | mean of max(0, 1 − y·s) (micrograd's max-margin loss) |
| `binary_cross_entropy` | one probability (or logit) per sample, targets in [0, 1] | mean |
| `softmax_cross_entropy` | one list of logits per sample, class indices | mean |
| `l2` | parameters, alpha | α Σ p² (micrograd's `reg_loss`) |

"Any shape" is what the models return: a Value (one output), a list of Values
(one sample's outputs, or one output for each of a batch of samples), or a list
of such lists (a batch); targets must have the same shape. Targets are constants:
no gradient flows into them.

`half_sse` sums over a batch, as seed 001 adds a mini-batch's gradients up
before one step; the others average, as PyTorch's losses do by default.

`LOSS_INFO` is the one record of each loss that the rest of nn reads: the output
activation it expects, how one output is read as a class (`decision_threshold`),
and what it becomes for more than two classes.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

import autograd
from autograd import Value, defop
from autograd.validate import hyperparameter, integer

# ---- shapes ----------------------------------------------------------------------

def _flatten(outputs: Any, where: str) -> tuple[list[Value], tuple[int, ...]]:
    """The Values of `outputs` (a Value, or nested lists of them) in order, and their shape."""
    if isinstance(outputs, Value):
        return [outputs], ()
    if isinstance(outputs, (list, tuple)):
        if not outputs:
            raise ValueError(f"{where}: outputs are empty")
        parts = [_flatten(o, where) for o in outputs]
        shapes = {shape for _, shape in parts}
        if len(shapes) != 1:
            raise ValueError(f"{where}: outputs are ragged (rows of shapes {sorted(shapes)})")
        return [v for values, _ in parts for v in values], (len(outputs), *shapes.pop())
    raise TypeError(f"{where}: outputs must be Values or lists of Values, got {type(outputs).__name__}")


def _targets(targets: Any, where: str) -> np.ndarray:
    try:
        array = np.asarray(targets, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{where}: targets must be numbers or (nested) lists of numbers, got {targets!r}") from None
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{where}: targets must be finite, got {targets!r}")
    return array


def _pairs(outputs: Any, targets: Any, where: str) -> tuple[list[Value], list[float]]:
    """Outputs and targets flattened side by side, after checking they have one shape."""
    values, shape = _flatten(outputs, where)
    ys = _targets(targets, where)
    if ys.shape != shape:
        raise ValueError(f"{where}: outputs have shape {shape} but targets have shape {ys.shape}")
    return values, ys.ravel().tolist()


def _per_sample(outputs: Any, where: str) -> list[Value]:
    """One output per sample: a Value, or a flat list of Values (a batch)."""
    values, shape = _flatten(outputs, where)
    if len(shape) > 1:
        raise ValueError(f"{where}: expected one output per sample (a Value or a list of Values), got shape {shape}")
    return values


def _mean(terms: list[Value]) -> Value:
    return autograd.sum(terms) * (1.0 / len(terms))


# ---- regression --------------------------------------------------------------------

def half_sse(outputs: Any, targets: Any) -> Value:
    """E = ½ Σ (y − a)²: the seeds' error, summed over output units and over a
    batch. Its gradient is ∂E/∂a = a − y, so the Δ rules need no extra factor."""
    values, ys = _pairs(outputs, targets, "half_sse")
    return autograd.sum([(y - a) ** 2 for a, y in zip(values, ys)]) * 0.5


def mse(outputs: Any, targets: Any) -> Value:
    """Mean of (y − a)² over every element (PyTorch's `MSELoss()`)."""
    values, ys = _pairs(outputs, targets, "mse")
    return _mean([(y - a) ** 2 for a, y in zip(values, ys)])


# ---- classification ------------------------------------------------------------------

def hinge(scores: Any, labels: Any) -> Value:
    """micrograd's max-margin loss, mean over samples of max(0, 1 − y·s).

    `scores` holds one score per sample; `labels` are ±1. A label 0 counts as −1,
    so the {0, 1} labels of `make_moons` work as they are."""
    _per_sample(scores, "hinge")
    values, ys = _pairs(scores, labels, "hinge")
    signs = []
    for y in ys:
        if y not in (-1.0, 0.0, 1.0):
            raise ValueError(f"hinge: labels must be -1 or 1 (0 counts as -1), got {y!r}")
        signs.append(1.0 if y > 0 else -1.0)
    return _mean([(1.0 - y * s).relu() for s, y in zip(values, signs)])


def binary_cross_entropy(outputs: Any, targets: Any, from_logits: bool = False) -> Value:
    """Mean over samples of −[y log p + (1 − y) log(1 − p)], targets y in [0, 1].

    With `from_logits=True` the outputs are logits z (p = σ(z)) and the loss is
    softplus(z) − y·z, which is exact and finite for every z (its gradient is
    σ(z) − y). For probabilities, each sample is one `binary_cross_entropy` node
    whose value and gradient are PyTorch's `F.binary_cross_entropy` (bit for bit
    for one sample; the mean of several rounds as a product by 1/n): log p and
    log(1 − p) clamped at −100 (so p = 0 or 1 costs 100 nats, not inf), and
    the gradient (p − y) / max(p(1 − p), 1e-12). That gradient is
    the derivative of the loss wherever p(1 − p) >= 1e-12; within about 1e-12
    of 0 or 1 it is PyTorch's clamp instead (about ±1e12 at the ends, 0 where
    p = y), finite everywhere."""
    if from_logits:
        return binary_cross_entropy_with_logits(outputs, targets)
    values, ys = _pairs(outputs, targets, "binary_cross_entropy")
    _check_probabilities(ys, "binary_cross_entropy")
    for p in values:
        if not 0.0 <= p.data <= 1.0:
            raise ValueError(f"binary_cross_entropy: outputs must be probabilities in [0, 1], got {p.data!r} "
                             "(pass from_logits=True for logits)")
    return _mean([BCE(p, y) for p, y in zip(values, ys)])


def binary_cross_entropy_with_logits(logits: Any, targets: Any) -> Value:
    """`binary_cross_entropy(logits, targets, from_logits=True)` (PyTorch's name):
    mean of softplus(z) − y·z, the stable form of −[y log σ(z) + (1 − y) log(1 − σ(z))]."""
    values, ys = _pairs(logits, targets, "binary_cross_entropy_with_logits")
    _check_probabilities(ys, "binary_cross_entropy_with_logits")
    return _mean([z.softplus() - y * z for z, y in zip(values, ys)])


def _check_probabilities(ys: list[float], where: str) -> None:
    for y in ys:
        if not 0.0 <= y <= 1.0:
            raise ValueError(f"{where}: targets must lie in [0, 1], got {y!r}")


# ---- one sample's binary cross-entropy, as PyTorch computes it -----------------------
# PyTorch (aten's binary_cross_entropy kernels) clamps both logs at −100 and,
# in backward, the denominator p(1 − p) at EPSILON = 1e-12 written as a C++
# float: 1e-12f, which is 9.999999960041972e-13 as a double.
_LOG_FLOOR = -100.0
_GRAD_FLOOR = 9.999999960041972e-13


def _log_clamped(x: float) -> float:
    return max(math.log(x), _LOG_FLOOR) if x > 0.0 else _LOG_FLOOR


def _log1m_clamped(p: float) -> float:
    """log(1 − p) clamped at −100; log1p keeps it accurate for tiny p (log(1 − 1e-13) is 0.08% off)."""
    return max(math.log1p(-p), _LOG_FLOOR) if p < 1.0 else _LOG_FLOOR


def _bce_forward(p: float, y: float) -> float:
    if not (0.0 <= p <= 1.0 and 0.0 <= y <= 1.0):
        raise ValueError("outside [0, 1]")  # the op's `explain` says which
    return (y - 1.0) * _log1m_clamped(p) - y * _log_clamped(p)  # −[y log p + (1 − y) log(1 − p)]


def _bce_dp(p: Any, y: Any) -> Any:
    """∂/∂p = (p − y) / (p(1 − p)), the denominator clamped at 1e-12 (PyTorch's
    backward). Arithmetic only, so it also runs on Values (create_graph);
    `max` compares a Value by its data."""
    return (p - y) / max((1.0 - p) * p, _GRAD_FLOOR)


def _bce_dy(p: Any, y: Any) -> float:
    """∂/∂y = log(1 − p) − log p, both clamped: the derivative of the clamped
    value. Computed on the data: a target is a constant, so no second
    derivative flows through it."""
    p = float(p)
    return _log1m_clamped(p) - _log_clamped(p)


# Registered as an op (the engine's way to give a function its own derivative)
# because PyTorch's gradient near 0 and 1 is not the derivative of any chain of
# the table's ops. `replace=True`: re-importing this module registers it again.
BCE = defop("binary_cross_entropy", _bce_forward, derivatives=[_bce_dp, _bce_dy], replace=True,
            formula="∂/∂p = (p − y) / max(p(1 − p), 1e-12), ∂/∂y = log(1 − p) − log p (logs clamped at −100)",
            domain=[(0.05, 0.95), (0.0, 1.0)],
            explain=lambda p, y: "the probability p and the target y must both lie in [0, 1]")


def softmax_cross_entropy(logits: Any, labels: Any) -> Value:
    """Multi-class cross-entropy, −log softmax(z)_y, mean over samples.

    `logits`: one sample's list of Values, or a list of such lists; `labels`: the
    class index (or one per sample). Stable: with m = max z (a constant, which
    leaves softmax unchanged), −log softmax(z)_y = log Σⱼ e^(zⱼ − m) − (z_y − m),
    where every e^(zⱼ − m) ≤ 1 and the sum is ≥ 1."""
    values, shape = _flatten(logits, "softmax_cross_entropy")
    if len(shape) == 1:
        rows, labels = [values], [labels]
    elif len(shape) == 2:
        rows = [values[i * shape[1]:(i + 1) * shape[1]] for i in range(shape[0])]
    else:
        raise ValueError(f"softmax_cross_entropy: logits must be a list of Values or a list of such lists, "
                         f"got shape {shape}")
    if isinstance(labels, np.ndarray):
        labels = labels.tolist()
    if not isinstance(labels, Sequence) or len(labels) != len(rows):
        raise ValueError(f"softmax_cross_entropy: expected {len(rows)} class label(s), got {labels!r}")
    return _mean([_cross_entropy(row, _class_index(y, len(row))) for row, y in zip(rows, labels)])


def _cross_entropy(zs: list[Value], y: int) -> Value:
    m = max(z.data for z in zs)
    shifted = [z - m for z in zs]
    # log Σ e^(zⱼ − m) − (z_y − m): adding m back before subtracting z_y would
    # cancel catastrophically when |m| is large.
    return autograd.sum([s.exp() for s in shifted]).log() - shifted[y]


def _class_index(y: Any, classes: int) -> int:
    index = integer(y, "softmax_cross_entropy: a label")
    if not 0 <= index < classes:
        raise ValueError(f"softmax_cross_entropy: a label must be a class index in 0..{classes - 1}, got {index}")
    return index


# ---- regularisation ------------------------------------------------------------------

def l2(parameters: Iterable[Value], alpha: float) -> Value:
    """The L2 penalty α Σ p² (micrograd's `reg_loss`); add it to a loss. Its
    gradient 2αp is SGD's `weight_decay` with weight_decay = 2α."""
    alpha = hyperparameter(alpha, "l2: alpha", low=0.0)
    params = list(parameters)
    for i, p in enumerate(params):
        if not isinstance(p, Value):
            raise TypeError(f"l2: parameter {i} must be a Value, got {type(p).__name__}")
    return autograd.sum([p * p for p in params]) * alpha if params else Value(0.0)


# ---- what nn knows about each loss ------------------------------------------------------

@dataclass(frozen=True)
class LossInfo:
    """One loss and what training, plotting and the command read about it.

    - `output_activation`: the last layer's natural activation, the kind of
      output the loss expects (a probability: sigmoid; a score or logit: linear).
    - `threshold`: with one output per sample, the output above which a sample
      counts as class 1; None means the midpoint of the labels (0.5 for {0, 1}).
    - `multiclass`: the loss that takes over for more than two classes (None:
      the loss separates two classes only), and `one_hot` whether that loss is
      given one-hot rows as targets (else class indices).
    """

    fn: Callable[..., Value]
    output_activation: str
    threshold: float | None
    multiclass: str | None = None
    one_hot: bool = False

    @property
    def name(self) -> str:
        return self.fn.__name__


# Every loss's record, by name.
LOSS_INFO: dict[str, LossInfo] = {info.name: info for info in (
    LossInfo(half_sse, "sigmoid", None, multiclass="half_sse", one_hot=True),
    LossInfo(mse, "sigmoid", None, multiclass="mse", one_hot=True),
    LossInfo(hinge, "linear", 0.0),  # a margin score: its sign is the class
    LossInfo(binary_cross_entropy, "sigmoid", 0.5),  # a probability
    LossInfo(binary_cross_entropy_with_logits, "linear", 0.0,  # a logit: σ(z) > 0.5 ⟺ z > 0
             multiclass="softmax_cross_entropy"),
    LossInfo(softmax_cross_entropy, "linear", None, multiclass="softmax_cross_entropy"),  # argmax of the logits
)}

# The loss functions by name, for `nn.fit(loss="hinge")` and the command line.
LOSSES: dict[str, Callable[..., Value]] = {name: info.fn for name, info in LOSS_INFO.items()}


def get_loss(loss: str | Callable[..., Value]) -> Callable[..., Value]:
    """A loss function from its name (or the function itself)."""
    if callable(loss):
        return loss
    return loss_info(loss).fn


def loss_info(loss: str | Callable[..., Value]) -> LossInfo | None:
    """The `LOSS_INFO` record of a loss given by name, by function, or as
    `functools.partial(binary_cross_entropy, from_logits=True)`; None for a
    loss of the user's own. An unknown name is a ValueError listing the names."""
    if isinstance(loss, functools.partial):
        if loss.func is binary_cross_entropy and loss.keywords.get("from_logits"):
            return LOSS_INFO["binary_cross_entropy_with_logits"]
        loss = loss.func
    if callable(loss):
        return next((info for info in LOSS_INFO.values() if info.fn is loss), None)
    try:
        return LOSS_INFO[loss]
    except (KeyError, TypeError):
        raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)} or pass a function") from None


def decision_threshold(loss: str | Callable[..., Value], labels: Any) -> float:
    """The output above which one output per sample means class 1 under `loss`:
    its record's threshold, or the midpoint of `labels` (a loss with no
    threshold of its own, or a function of the user's)."""
    info = loss_info(loss)
    if info is not None and info.threshold is not None:
        return info.threshold
    labels = np.asarray(labels, dtype=float)
    return (float(labels.min()) + float(labels.max())) / 2.0
