"""Optimizers: `SGD` (momentum, weight decay) and `Adam`, with PyTorch's update rules.

Each holds a list of parameter Values and updates their `.data` from their
`.grad` in `step()`; `zero_grad()` clears the gradients. `lr` may be changed
between steps (`opt.lr = 1.0 - 0.9 * k / 100`, micrograd's decaying rate).

As in PyTorch, a step reads only the gradient's value: a gradient that is a
Value (after `backward(create_graph=True)`) counts by its `.data`, and a
`None` gradient (`zero_grad(set_to_none=True)`) counts as 0. Every parameter's
`.data`, and every number of an optimizer's state, is a Python float.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from autograd import Value
from autograd.validate import hyperparameter


def _hyper(value: Any, name: str, where: str, *, below_one: bool = False, positive: bool = False) -> float:
    """A hyperparameter checked to be a finite number >= 0 (> 0 when `positive`,
    and < 1 when `below_one`), as a Python float."""
    return hyperparameter(value, f"{where}: {name}", low=0.0, low_open=positive,
                          high=1.0 if below_one else math.inf, high_open=below_one)


def _gradient_value(p: Value) -> float:
    """`p.grad` as the float a step uses: a Value gradient (create_graph) by its
    data, a None gradient (set_to_none) as 0."""
    g = p.grad
    if g is None:
        return 0.0
    return float(g.data if isinstance(g, Value) else g)


class Optimizer:
    """The shared part: the parameter list, `lr`, `zero_grad()`, `weight_decay`."""

    def __init__(self, params: Iterable[Value], lr: float, weight_decay: float) -> None:
        where = type(self).__name__
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{where}: got an empty parameter list")
        for i, p in enumerate(self.params):
            if not isinstance(p, Value):
                raise TypeError(f"{where}: parameter {i} must be a Value, got {type(p).__name__}")
        if len({id(p) for p in self.params}) != len(self.params):
            raise ValueError(f"{where}: a parameter appears more than once (it would be updated twice per step)")
        self.lr = lr
        self.weight_decay = _hyper(weight_decay, "weight_decay", where)

    @property
    def lr(self) -> float:
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = _hyper(value, "lr", type(self).__name__)

    def zero_grad(self, set_to_none: bool = False) -> None:
        """Sets every parameter's gradient to 0, or to None with `set_to_none=True`
        (PyTorch's spelling; a None gradient counts as 0 in `step()` and in `backward()`)."""
        for p in self.params:
            p.grad = None if set_to_none else 0.0

    def _gradient(self, p: Value) -> float:
        # Weight decay as PyTorch adds it: g + λ·p (the gradient of the L2 penalty ½λ Σ p²).
        g = _gradient_value(p)
        return float(g + self.weight_decay * p.data) if self.weight_decay else g

    def step(self) -> None:
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        """Hyperparameters and per-parameter state as plain numbers (JSON-serialisable)."""
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent, PyTorch's rule: g = ∇ + λ·p;
    with momentum μ, v ← μ·v + g (v = g at the first step); p ← p − lr·v."""

    def __init__(self, params: Iterable[Value], lr: float, momentum: float = 0.0, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr, weight_decay)
        self.momentum = _hyper(momentum, "momentum", "SGD")
        self.velocity: list[float] | None = None  # created at the first step with momentum

    def step(self) -> None:
        """One update of every parameter from its current `.grad`."""
        lr, mu = self._lr, self.momentum
        if not mu:
            for p in self.params:
                p.data = float(p.data - lr * self._gradient(p))
            return
        if self.velocity is None:
            self.velocity = [self._gradient(p) for p in self.params]
        else:
            self.velocity = [mu * v + self._gradient(p) for v, p in zip(self.velocity, self.params)]
        for p, v in zip(self.params, self.velocity):
            p.data = float(p.data - lr * v)

    def state_dict(self) -> dict[str, Any]:
        return {"lr": self._lr, "momentum": self.momentum, "weight_decay": self.weight_decay,
                "velocity": None if self.velocity is None else list(self.velocity)}


class Adam(Optimizer):
    """Adam (Kingma & Ba), PyTorch's rule: g = ∇ + λ·p; m ← β₁m + (1 − β₁)g;
    v ← β₂v + (1 − β₂)g²; p ← p − lr·m̂ / (√v̂ + ε) with the bias corrections
    m̂ = m / (1 − β₁ᵗ), v̂ = v / (1 − β₂ᵗ) at step t = 1, 2, ..."""

    def __init__(self, params: Iterable[Value], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr, weight_decay)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"Adam: betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = (_hyper(betas[0], "betas[0]", "Adam", below_one=True),
                      _hyper(betas[1], "betas[1]", "Adam", below_one=True))
        # eps > 0: it is what keeps m̂ / (√v̂ + ε) finite when a gradient has been 0 so far.
        self.eps = _hyper(eps, "eps", "Adam", positive=True)
        self.t = 0
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)

    def step(self) -> None:
        """One update of every parameter from its current `.grad`."""
        b1, b2 = self.betas
        self.t += 1
        correction1, correction2 = 1.0 - b1 ** self.t, 1.0 - b2 ** self.t
        for i, p in enumerate(self.params):
            g = self._gradient(p)
            self.m[i] = m = b1 * self.m[i] + (1.0 - b1) * g
            self.v[i] = v = b2 * self.v[i] + (1.0 - b2) * g * g
            p.data = float(p.data - self._lr * (m / correction1) / (math.sqrt(v / correction2) + self.eps))

    def state_dict(self) -> dict[str, Any]:
        return {"lr": self._lr, "betas": list(self.betas), "eps": self.eps, "weight_decay": self.weight_decay,
                "t": self.t, "m": list(self.m), "v": list(self.v)}
