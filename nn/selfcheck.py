"""What `deltagrad check` checks, as library functions: one graph that applies
every registered op (for the per-op check) and the Δ rules on random MLPs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from autograd import REGISTRY, Value
from autograd.check import sample_points
from autograd.ops import sum_values

from . import delta
from .layers import MLP
from .rng import resolve_rng

HIDDEN_ACTIVATIONS = ("sigmoid", "tanh", "linear", "leaky_relu", "relu")
OUTPUT_ACTIVATIONS = ("sigmoid", "linear", "tanh")


def every_op_graph() -> Value:
    """One graph that applies every registered op (built-in and custom) once, at
    a point of its domain, summed: `check_ops` of it checks every op's rule."""
    terms = []
    for op in list(REGISTRY.values()):
        (point,) = sample_points(op, 1)
        terms.append(op(*[x if i in op.nondiff else Value(x) for i, x in enumerate(point)]))
    return sum_values(terms)


@dataclass
class ModelCheck:
    """`delta.compare` on one random MLP; `description` is how to build it."""

    description: str
    report: delta.DeltaReport

    @property
    def ok(self) -> bool:
        return self.report.ok

    def summary(self) -> str:
        return (f"Δ rules on {self.description}: {'ok' if self.ok else 'FAILED'}, "
                f"largest disagreement {self.report.max_disagreement:.2e}")


def random_model_checks(count: int, seed: int = 0) -> Iterator[ModelCheck]:
    """`count` random MLPs (1 to 3 layers of 1 to 4 units, random activations,
    model k seeded with seed + k), each compared at a random point: the Δ rules
    against autodiff and finite differences. Yields each as it is done."""
    rng = resolve_rng(seed, family="python")
    for k in range(count):
        sizes = [rng.randint(1, 4) for _ in range(rng.randint(1, 3))]
        activation = rng.choice(HIDDEN_ACTIVATIONS)
        out_activation = rng.choice(OUTPUT_ACTIVATIONS)
        nin = rng.randint(1, 4)
        model = MLP(nin, sizes, activation=activation, out_activation=out_activation, seed=seed + k)
        x = [rng.uniform(-1, 1) for _ in range(nin)]
        y = [rng.uniform(-1, 1) for _ in range(sizes[-1])]
        description = f"MLP({nin}, {sizes}, activation={activation!r}, out_activation={out_activation!r})"
        yield ModelCheck(description, delta.compare(model, x, y))
