"""What `deltagrad demo` and `deltagrad train` do, as library functions: the
toy data sets by name, a model trained on one of them, micrograd's demo, and
the demo's three worked examples. The command only parses, calls these and prints.

    >>> from nn import demo
    >>> run = demo.train_toy("xor", hidden=[4], activation="tanh", loss="half_sse",
    ...                      optimizer="adam", lr=0.05, epochs=150, seed=3, progress=False)
    >>> run.history.accuracy[-1]
    1.0
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from autograd import Animation, Value, animate, gradcheck
from autograd.check import CheckReport

from . import data, delta, losses, optim
from .layers import MLP
from .train import History, fit

DATASETS = ("moons", "circles", "spiral", "xor")
DEFAULT_LR = {"sgd": 0.1, "adam": 0.01}  # per optimizer, when no lr is given


class UnsuitableLoss(ValueError):
    """A loss that cannot fit the data set (hinge on three classes)."""


@dataclass
class Trained:
    """A trained model with its data and history. `threshold`: the output above
    which one output per sample means class 1 (for `nn.plot.decision_boundary`)."""

    model: MLP
    X: np.ndarray
    y: np.ndarray
    history: History
    threshold: float = 0.0
    description: str = ""  # what was trained, how: the model, data, loss, optimizer, epochs, batches

    def summary(self) -> str:
        """One line: what was trained and how it ended (`deltagrad train`'s result line)."""
        return (f"trained {self.description or repr(self.model)}: final loss {self.history.loss[-1]:.4g}, "
                f"accuracy {self.history.accuracy[-1]:.1%}")


def toy_dataset(name: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The command's data sets: 100 moons (noise 0.1), 100 circles (noise 0.05),
    3 spiral arms of 50 points (noise 0.2), or XOR's four corners."""
    if name == "moons":
        return data.make_moons(100, noise=0.1, seed=seed)
    if name == "circles":
        return data.make_circles(100, noise=0.05, seed=seed)
    if name == "spiral":
        return data.make_spiral(50, classes=3, noise=0.2, seed=seed)
    if name == "xor":
        return data.make_xor(4)
    raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")


def targets_for(loss: str, y: np.ndarray) -> tuple[str, Any, int]:
    """(loss name, targets, output units) to fit the class labels `y` with `loss`.
    Two classes: one output and the labels themselves. More: one output per
    class and the loss's multi-class form (`LossInfo.multiclass`: half_sse and
    mse fit one-hot rows, a logit loss becomes the softmax cross-entropy); a
    loss that separates two classes only is an `UnsuitableLoss` (a ValueError)."""
    info = losses.loss_info(loss)
    classes = int(np.max(y)) + 1
    if classes <= 2:
        return info.name, y, 1
    if info.multiclass is None:
        raise UnsuitableLoss(f"{info.name} separates two classes; this dataset has {classes}")
    return info.multiclass, (np.eye(classes)[y] if info.one_hot else y), classes


def train_toy(dataset: str = "moons", hidden: Sequence[int] = (16, 16), activation: str = "relu",
              loss: str = "hinge", optimizer: str = "sgd", lr: float | None = None, epochs: int = 50,
              batch_size: int | None = None, seed: int = 0, progress: bool | None = None,
              compiled: bool = False) -> Trained:
    """An MLP with `hidden` layers trained on a toy data set (`deltagrad train`).
    Its output layer has the loss's natural activation (`LossInfo.output_activation`);
    `seed` seeds the data, the weights and the batch order; `compiled` trains
    through `autograd.compile` (`fit(compiled=True)`)."""
    X, y = toy_dataset(dataset, seed)
    loss_name, targets, nout = targets_for(loss, y)
    info = losses.LOSS_INFO[loss_name]
    model = MLP(X.shape[1], [*hidden, nout], activation=activation, out_activation=info.output_activation,
                seed=seed)
    opt = make_optimizer(optimizer, model, lr)
    history = fit(model, X, targets, loss=loss_name, optimizer=opt, epochs=epochs, batch_size=batch_size,
                  progress=progress, seed=seed, compiled=compiled)
    description = describe_run(model, dataset, X, y, loss_name, opt, epochs, batch_size)
    return Trained(model, X, y, history, losses.decision_threshold(loss_name, y), description)


def describe_run(model: MLP, dataset: str, X: np.ndarray, y: np.ndarray, loss: str, optimizer: optim.Optimizer,
                 epochs: int, batch_size: int | None) -> str:
    """`MLP(2, [16, 16, 1], activation='relu', out_activation='linear') on moons
    (100 samples, 2 classes), hinge loss, SGD(lr=0.1), 50 epochs, full batch`."""
    sizes = [len(layer.neurons) for layer in model.layers]
    hidden = f"activation={model.layers[0].activation!r}, " if len(sizes) > 1 else ""
    architecture = f"MLP({X.shape[1]}, {sizes}, {hidden}out_activation={model.layers[-1].activation!r})"
    batches = {None: "full batch", 1: "online (batch size 1)"}.get(batch_size, f"batch size {batch_size}")
    return (f"{architecture} on {dataset} ({len(X)} samples, {int(np.max(y)) + 1} classes), {loss} loss, "
            f"{type(optimizer).__name__}(lr={optimizer.lr:g}), {epochs} epochs, {batches}")


def make_optimizer(name: str, model: MLP, lr: float | None = None) -> optim.Optimizer:
    """`SGD` or `Adam` over the model's parameters, by name ("sgd", "adam"),
    with `DEFAULT_LR` when no `lr` is given."""
    if name not in DEFAULT_LR:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(DEFAULT_LR)}")
    lr = DEFAULT_LR[name] if lr is None else lr
    return optim.SGD(model.parameters(), lr=lr) if name == "sgd" else optim.Adam(model.parameters(), lr=lr)


# ---- deltagrad demo -----------------------------------------------------------------

def micrograd_lr(k: int) -> float:
    """micrograd's demo learning rate at step k: 1.0 − 0.9·k/100."""
    return 1.0 - 0.9 * k / 100


def micrograd_demo(seed: int = 1337, epochs: int = 100, progress: bool | None = None) -> Trained:
    """micrograd's demo exactly: MLP(2, [16, 16, 1]) on 100 moons, hinge loss
    plus a 1e-4 L2 penalty, full-batch SGD at the rate `micrograd_lr`."""
    X, y = data.make_moons(100, noise=0.1, seed=seed)
    model = MLP(2, [16, 16, 1], seed=seed)
    history = fit(model, X, y, loss="hinge", optimizer=optim.SGD(model.parameters(), lr=1.0), epochs=epochs,
                  l2=1e-4, lr_schedule=micrograd_lr, progress=progress)
    return Trained(model, X, y, history, threshold=0.0)


def point_loss(model: MLP, seed: int) -> Value:
    """The hinge loss max(0, 1 − y·score) (labels ±1), after `backward()`, of the
    new point the model is least sure of: the graph of one point through the
    whole model. A trained model fits every training point with a margin
    y·score >= 1, where the loss and every gradient are 0, so the point is drawn
    from the same distribution (`make_moons` with seed + 1), smallest margin first."""
    X_new, y_new = data.make_moons(100, noise=0.1, seed=seed + 1)
    labels = [1.0 if label else -1.0 for label in y_new]
    k = min(range(len(X_new)), key=lambda i: labels[i] * model(X_new[i].tolist()).data)
    loss = (1 + -labels[k] * model(X_new[k].tolist())).relu()
    loss.backward()
    return loss


def lecture_neuron() -> tuple[Value, CheckReport]:
    """o = tanh(x·w + b) at x = 2, w = −3, b = 6.88 (micrograd's lecture neuron),
    after `backward()`, and the gradcheck of that expression."""
    x, w, b = Value(2.0, "x"), Value(-3.0, "w"), Value(6.88, "b")
    o = (x * w + b).tanh()
    o.label = "o"
    report = gradcheck(lambda x, w, b: (x * w + b).tanh(), [x, w, b])
    o.backward()
    return o, report


def lecture_neuron_two_inputs() -> Value:
    """The lecture's neuron o = tanh(x1·w1 + x2·w2 + b) at x1 = 2, x2 = 0,
    w1 = −3, w2 = 1, b = 6.8813735870195432 (so that o = 1/√2), not yet
    differentiated."""
    x1, x2 = Value(2.0, "x1"), Value(0.0, "x2")
    w1, w2 = Value(-3.0, "w1"), Value(1.0, "w2")
    b = Value(6.8813735870195432, "b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


def neuron_animation() -> Animation:
    """The forward and backward pass through `lecture_neuron_two_inputs()`, step
    by step (the demo's backward.html and backward.gif, and the README's GIF)."""
    return animate(lecture_neuron_two_inputs())


def delta_rules_example(seed: int = 0) -> delta.DeltaReport:
    """The Δ rules beside autodiff and finite differences for a sigmoid
    MLP(2, [3, 1]) at x = (0.5, −1), y = 1 (the README's example for seed 0)."""
    model = MLP(2, [3, 1], activation="sigmoid", out_activation="sigmoid", seed=seed)
    return delta.compare(model, [0.5, -1.0], [1.0])
