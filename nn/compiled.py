"""`nn.fit(..., compiled=True)`: the model's graph recorded once with
`autograd.compile` and replayed over every batch in NumPy.

Only the model is compiled. The loss stays the very function the scalar path
calls, run on the scalar engine over the batch's outputs, each a leaf Value:
so the loss, its validation of the targets and its gradient are the scalar
path's own, for any loss (a custom one too), and the gradient it leaves on
each output seeds the compiled backward. The loss is a few nodes per example;
the model, the bulk of the work, is replayed in grouped NumPy calls.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import autograd
from autograd import Value

from .module import Module


class CompiledModel:
    """`model` compiled on inputs of `nin` numbers: `forward(X)` gives the
    batch's outputs as leaf Values (a list, or a list of rows for several
    outputs), `backward()` passes their `.grad` on to the model's parameters."""

    def __init__(self, model: Module, nin: int) -> None:
        self.model = model
        self.graph = autograd.compile(lambda x: model(x), [0.0] * nin)
        self.several = isinstance(self.graph.graph, list)
        self._outputs: list[Any] = []

    def forward(self, X: np.ndarray) -> list[Any]:
        """The model's outputs for every row of X, as fresh leaves the loss can read and differentiate."""
        out = self.graph(X).tolist()
        self._outputs = [[Value(o) for o in row] for row in out] if self.several else [Value(o) for o in out]
        return self._outputs

    def backward(self) -> None:
        """Adds ∂loss/∂p into each parameter's `.grad`, from ∂loss/∂output left on the outputs."""
        rows = self._outputs if self.several else [[v] for v in self._outputs]
        seed = np.array([[_grad(v) for v in row] for row in rows])
        self.graph.backward(seed if self.several else seed[:, 0])


def _grad(v: Value) -> float:
    return 0.0 if v.grad is None else float(v.grad)
