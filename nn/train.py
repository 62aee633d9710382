"""`fit`: the training loop people recognise, with a history and a progress bar.

Each step: forward the batch, compute the loss (plus an optional L2 penalty),
`zero_grad()`, `backward()`, `optimizer.step()`, exactly as micrograd's demo
and a PyTorch loop do.

Defaults that work: `fit(model, X, y)` trains with the mean squared error (a
mean, so the step does not grow with the data set, unlike the seeds' summed
E) and Adam at `DEFAULT_LR` (0.01), full batch, for `DEFAULT_EPOCHS` (100)
epochs: micrograd's `MLP(2, [16, 16, 1])` fits `make_moons` that way (100% on
4 of 5 seeds, 97% on the fifth; SGD at 0.1 reached 89% to 100%, and above 0.1
it diverged on some seeds). A run that diverges anyway
(a loss that is not finite, or a million times the first step's) stops with a
`DivergenceError` naming the step and suggesting a smaller learning rate,
before the step that would have spoilt the parameters.

The progress bar is tqdm's `tqdm.auto`: a widget in Jupyter when ipywidgets is
installed (`make lab` installs it), else a text bar on stderr.
"""

from __future__ import annotations

import math
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tqdm import TqdmWarning

with warnings.catch_warnings():
    # In a Jupyter kernel without ipywidgets, tqdm.auto warns when imported and falls back
    # to text bars; importing nn should not print that warning into every notebook.
    warnings.simplefilter("ignore", TqdmWarning)
    from tqdm.auto import tqdm

from autograd import Value
from autograd.validate import hyperparameter, integer

from . import losses
from .data import RNG, batches
from .module import Module
from .optim import Adam, Optimizer
from .rng import resolve_rng

DEFAULT_LOSS = "mse"
DEFAULT_LR = 0.01  # Adam's learning rate when no optimizer is given
DEFAULT_EPOCHS = 100
DIVERGENCE_FACTOR = 1e6  # a loss this many times the first step's means the run has diverged


class DivergenceError(FloatingPointError):
    """Training diverged: the loss became inf or NaN, overflowed, or grew
    `DIVERGENCE_FACTOR`-fold. `step` (from 1) and `epoch` (from 1) say where;
    the parameters are those from before that step."""

    def __init__(self, message: str, step: int, epoch: int, loss: float) -> None:
        super().__init__(message)
        self.step, self.epoch, self.loss = step, epoch, loss


@dataclass
class History:
    """Per epoch: `loss`, the mean of the epoch's step losses (with the L2
    penalty, if any), and `accuracy`, the fraction of the epoch's samples
    classified correctly by the forward passes made during it (before each
    step's update, as micrograd's demo prints it); `lr`, the learning rate used."""

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.loss)


def _correct(outputs: list[Any], targets: np.ndarray, threshold: float) -> int:
    """How many samples the outputs classify correctly."""
    if isinstance(outputs[0], Value):  # one output per sample
        scores = np.array([o.data for o in outputs])
        return int(np.sum((scores > threshold) == (targets > threshold)))
    predicted = np.array([int(np.argmax([o.data for o in row])) for row in outputs])
    truth = targets if targets.ndim == 1 else np.argmax(targets, axis=1)  # class indices or one-hot rows
    return int(np.sum(predicted == truth))


def _in_jupyter() -> bool:
    """Running in a Jupyter kernel (IPython's ZMQ shell), where tqdm.auto draws a widget."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def _show_progress(progress: bool | None) -> bool:
    if progress is None:
        return sys.stderr.isatty() or _in_jupyter()
    if not isinstance(progress, bool):
        raise TypeError(f"fit: progress must be None, True or False, got {progress!r}")
    return progress


def fit(model: Module, X: Any, y: Any, loss: str | Callable[..., Value] = DEFAULT_LOSS,
        optimizer: Optimizer | None = None, epochs: int = DEFAULT_EPOCHS, batch_size: int | None = None,
        progress: bool | None = None, *, l2: float = 0.0, lr_schedule: Callable[[int], float] | None = None,
        seed: int | None = None, rng: RNG | None = None, compiled: bool = False) -> History:
    """Trains `model` on `X` (n samples × features) and `y` (n targets) and
    returns the `History` of loss and accuracy per epoch.

    - `loss`: a function `loss(outputs, targets) -> Value` or its name in
      `nn.losses.LOSSES` ("half_sse", "mse", "hinge", "binary_cross_entropy",
      "binary_cross_entropy_with_logits", "softmax_cross_entropy"); default
      "mse", the mean. Targets are passed as the loss expects them: for one
      output per sample, `y[batch]`.
    - `optimizer`: default `Adam(model.parameters(), lr=DEFAULT_LR)` (0.01).
    - `epochs`: default `DEFAULT_EPOCHS` (100).
    - `batch_size`: None, full batch (one step per epoch); 1, online learning;
      k, mini-batches of k drawn without replacement, reshuffled every epoch
      from `seed`/`rng` (NumPy's global generator when neither is given).
    - `l2`: adds `nn.losses.l2(model.parameters(), l2)`, α Σ p², to every step's loss.
    - `lr_schedule(epoch) -> lr` sets `optimizer.lr` before each epoch
      (micrograd's demo: `lambda k: 1.0 - 0.9 * k / 100`).
    - `progress`: a tqdm bar with the running loss; None shows it on a
      terminal and in Jupyter, True or False force it.
    - `compiled`: the model's graph is recorded once (`autograd.compile`) and
      replayed over each batch in NumPy; the loss is the same function on the
      batch's outputs, so the history is the scalar path's (see `nn.compiled`).

    Raises `DivergenceError` when a step's loss is not finite, overflows, or is
    `DIVERGENCE_FACTOR` times the first step's.
    """
    loss_fn = losses.get_loss(loss)
    X, y = _dataset(X, y)
    epochs = _epochs(epochs)
    optimizer = optimizer if optimizer is not None else Adam(model.parameters(), lr=DEFAULT_LR)
    l2_alpha = _l2_alpha(l2)
    params = model.parameters()
    source = resolve_rng(seed, rng, family="numpy")
    # One output per sample: the score above which it means class 1, as the
    # loss reads it (several outputs: the argmax, no threshold).
    threshold = losses.decision_threshold(loss, y) if y.ndim == 1 else 0.0
    inputs = X.tolist()  # plain floats: the fastest operands for Values
    runner = _compiled_model(model, X, compiled)
    history = History()
    guard = _DivergenceGuard(optimizer)
    with tqdm(range(epochs), desc="fit", unit="epoch", disable=not _show_progress(progress)) as bar:
        for epoch in bar:
            if lr_schedule is not None:
                optimizer.lr = lr_schedule(epoch)
            total, correct, steps = 0.0, 0, 0
            for batch in batches(len(X), batch_size, rng=source):
                try:
                    if runner is not None:
                        outputs = runner.forward(X[batch])  # leaf Values: the loss below is the scalar path's
                    else:
                        outputs = [model(inputs[i]) for i in batch]
                    step_loss = loss_fn(outputs, _targets(y, batch, outputs))
                    if l2_alpha:
                        step_loss = step_loss + losses.l2(params, l2_alpha)
                except OverflowError as err:
                    guard.overflowed(err, epoch)
                guard.check(step_loss.data, epoch)
                optimizer.zero_grad()
                step_loss.backward()
                if runner is not None:
                    runner.backward()  # the model's share, seeded with ∂loss/∂output
                optimizer.step()
                total += step_loss.data
                steps += 1
                correct += _correct(outputs, y[batch], threshold)
                bar.set_postfix(loss=f"{total / steps:.4g}", refresh=False)
            history.loss.append(total / steps)
            history.accuracy.append(correct / len(X))
            history.lr.append(optimizer.lr)
            bar.set_postfix(loss=f"{history.loss[-1]:.4g}", acc=f"{history.accuracy[-1]:.3f}")
    return history


def _compiled_model(model: Module, X: np.ndarray, compiled: Any) -> Any:
    if not isinstance(compiled, bool):
        raise TypeError(f"fit: compiled must be True or False, got {compiled!r}")
    if not compiled:
        return None
    from .compiled import CompiledModel

    return CompiledModel(model, X.shape[1])


class _DivergenceGuard:
    """Counts the steps and stops a run whose loss is not finite, overflows, or
    grows `DIVERGENCE_FACTOR`-fold over the first step's."""

    def __init__(self, optimizer: Optimizer) -> None:
        self.optimizer = optimizer
        self.step = 0
        self.first: float | None = None

    def check(self, loss: float, epoch: int) -> None:
        self.step += 1
        if self.first is None:
            self.first = loss
        if not math.isfinite(loss):
            self.fail(f"the loss became {loss}", epoch, loss)
        if self.first > 0 and loss > DIVERGENCE_FACTOR * self.first:
            self.fail(f"the loss grew to {loss:.3g}, {loss / self.first:.2g} times the first step's "
                      f"{self.first:.3g}", epoch, loss)

    def overflowed(self, err: OverflowError, epoch: int) -> None:
        self.step += 1
        self.fail(f"a number overflowed ({err})", epoch, math.inf)

    def fail(self, what: str, epoch: int, loss: float) -> None:
        if self.step == 1:  # no update has happened yet: the learning rate is not the cause
            raise DivergenceError(f"fit: at the first step, before any update, {what}: check the data and the "
                                  f"model's parameters for NaN, infinite or huge values", 1, epoch + 1, loss)
        lr = getattr(self.optimizer, "lr", None)
        hint = (f"the learning rate {lr:g} is probably too large: try a smaller one, such as {lr / 10:g}"
                if isinstance(lr, float) and lr > 0 else "try a smaller learning rate")
        raise DivergenceError(f"fit: training diverged at step {self.step} (epoch {epoch + 1}): {what}; {hint}",
                              self.step, epoch + 1, loss)


def _targets(y: np.ndarray, batch: np.ndarray, outputs: list[Any]) -> Any:
    """The batch's targets: class indices stay ints (softmax_cross_entropy), the rest floats."""
    rows = y[batch]
    return rows.tolist() if rows.dtype.kind in "iu" and not isinstance(outputs[0], Value) else rows.astype(float)


def _dataset(X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"fit: X must be a non-empty 2-d array (samples × features), got shape {X.shape}")
    if y.ndim not in (1, 2) or y.shape[0] != X.shape[0]:
        raise ValueError(f"fit: y must hold one target (or row of targets) per sample: X has {X.shape[0]} "
                         f"samples, y has shape {y.shape}")
    if y.dtype.kind not in "iub":
        y = y.astype(float)
    return X.astype(float), y


def _epochs(epochs: Any) -> int:
    return integer(epochs, "fit: epochs", low=0)


def _l2_alpha(alpha: Any) -> float:
    return hyperparameter(alpha, "fit: l2", low=0.0)
