"""The functional API, as in JAX and HIPS autograd: `grad(f)` and
`value_and_grad(f)` turn a function of numbers into its gradient.

They nest: `grad(grad(f))` is f''. Called with plain numbers, the gradient is
a plain number; called with Values (from an outer `grad`), the gradient is
computed with `create_graph=True`, so it is a Value the outer call can
differentiate again. `gradients(root, inputs)` is the one-shot form beneath
both, PyTorch's `torch.autograd.grad`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .engine import Value, topological_order
from .validate import real


def gradients(root: Value, inputs: Sequence[Value], *, create_graph: bool = False) -> list[Any]:
    """∂root/∂x for each Value x of `inputs`, leaving every `.grad` of the graph
    as it was (as `torch.autograd.grad`): the gradients are returned, not
    accumulated. With `create_graph=True` they are Values."""
    nodes = topological_order(root)
    saved = [v.grad for v in nodes]
    for v in nodes:
        v.grad = 0.0
    try:
        root.backward(create_graph=create_graph)
        return [x.grad for x in inputs]
    finally:
        for v, g in zip(nodes, saved):
            v.grad = g


def value_and_grad(f: Callable[..., Any], argnums: int | Sequence[int] = 0) -> Callable[..., tuple[Any, Any]]:
    """`f(*args) -> (f's value, its gradient)` for the arguments at `argnums`: one
    gradient for an int, a tuple for a tuple of indices (as JAX and HIPS autograd)."""
    indices = _indices(argnums)
    name = _name(f)

    def wrapped(*args: Any) -> tuple[Any, Any]:
        args = list(args)
        for i in indices:
            if not -len(args) <= i < len(args):
                raise IndexError(f"argnums {i} is out of range for {len(args)} argument(s) of {name}")
        positions = list(dict.fromkeys(i % len(args) for i in indices))  # argnums may repeat or count from the end
        nested = any(isinstance(args[j], Value) for j in positions)
        for j in positions:
            # A fresh node per argument: an outer grad's Value enters through x·1, so
            # this call differentiates with respect to its own input, not the outer leaf.
            args[j] = args[j] * 1.0 if isinstance(args[j], Value) else Value(real(args[j], f"{name}: argument {j}"))
        out = f(*args)
        if not isinstance(out, Value):
            value = real(out, f"the result of {name}")  # independent of the inputs
            grads = [0.0] * len(positions)
        else:
            value = out if nested else out.data
            grads = gradients(out, [args[j] for j in positions], create_graph=nested)
        by_position = dict(zip(positions, grads))
        picked = tuple(by_position[i % len(args)] for i in indices)
        return value, (picked[0] if isinstance(argnums, int) else picked)

    wrapped.__name__ = f"value_and_grad({name})"
    return wrapped


def grad(f: Callable[..., Any], argnums: int | Sequence[int] = 0) -> Callable[..., Any]:
    """`f(*args) -> gradient` at `argnums`; see `value_and_grad`."""
    vg = value_and_grad(f, argnums)

    def wrapped(*args: Any) -> Any:
        return vg(*args)[1]

    wrapped.__name__ = f"grad({_name(f)})"
    return wrapped


def _indices(argnums: Any) -> tuple[int, ...]:
    try:
        indices = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    except TypeError:
        indices = ()  # not an int and not iterable: the error below names it
    if not indices or not all(isinstance(i, int) and not isinstance(i, bool) for i in indices):
        raise TypeError(f"argnums must be an int or a non-empty tuple of ints, got {argnums!r}")
    return indices


def _name(f: Callable[..., Any]) -> str:
    return getattr(f, "__name__", type(f).__name__)
