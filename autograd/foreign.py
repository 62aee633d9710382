"""Graphs of any micrograd-style class, read without knowing the class.

A learner's own micrograd, the lecture's `Value`, micrograd's package and
deltagrad's Value all make nodes with `data`, `grad`, `_prev` (the inputs),
`_op` (the op's name), `_backward` (the node's chain-rule step, which adds into
its inputs' `.grad` itself) and, often, `label`. The checks (`gradcheck`,
`check_ops`, `autograd.learner`) read such graphs through this module:

- `topological_order(root)`: every node, inputs first, without recursion.
- `readings(node)`: what the node computes, as an op of the table applied to
  its inputs. micrograd's `_prev` is a set, so the order of the operands is lost
  and an input used twice (`a + a`) appears once; a reading is an op and an
  arrangement of the inputs, found from the op's name (`'+'`, `'**2'`,
  `'ReLU'`, the table's names) and checked against the node's `data`.
- `step(node, inputs, upstream, prior)`: calls the node's `_backward()` with
  known gradients and returns what it left in each input's `.grad`.
- `snapshot(nodes)` and `restore(saved)`: every data and grad, put back after.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .registry import DOMAIN_ERRORS, REGISTRY, Op

# What a node must have to be read as one (`label` is optional).
NODE_ATTRIBUTES = ("data", "grad", "_prev", "_op", "_backward")


def is_node(x: Any) -> bool:
    """True for an object of a micrograd-style class (deltagrad's Value included)."""
    return all(hasattr(x, name) for name in NODE_ATTRIBUTES)


def inputs_of(node: Any) -> tuple[Any, ...]:
    """The node's inputs, each once (`_prev` may be a set or, for deltagrad, a
    tuple that repeats an input used twice). A set's order follows `id()`, so
    its inputs are sorted (labelled ones first, by label, then by data) and a
    report on the same graph reads the same every run."""
    prev = node._prev
    seen: set[int] = set()
    distinct = []
    for x in prev:
        if id(x) not in seen:
            seen.add(id(x))
            distinct.append(x)
    if isinstance(prev, (set, frozenset)):
        distinct.sort(key=lambda x: (not label_of(x), label_of(x), number(x.data) or 0.0))
    return tuple(distinct)


def op_name(node: Any) -> str:
    name = node._op
    return name if isinstance(name, str) else str(name)


def label_of(node: Any) -> str:
    label = getattr(node, "label", "")
    return label if isinstance(label, str) else ""


def topological_order(root: Any) -> list[Any]:
    """Every node reachable from `root` through `_prev`, inputs before the nodes
    made from them. Iterative; nodes are told apart by identity (a learner's
    class may define `==` on data, or no hash at all)."""
    return postorder([root], inputs_of)


def postorder(roots: Sequence[Any], inputs_of: Callable[[Any], Iterable[Any]], *,
              first_input_first: bool = True) -> list[Any]:
    """Every node reachable from `roots` (through `inputs_of`), inputs before the
    nodes made from them, the first root's graph first: an iterative
    depth-first search by identity, so any node class works and a chain of
    millions of nodes needs no recursion. A node is pushed back, marked done,
    before its inputs; popping the mark emits it. `first_input_first` visits a
    node's inputs in reading order; False visits the last first, as
    `autograd.topological_order` does (the engine's own, faster walk over Values)."""
    order: list[Any] = []
    seen: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False) for root in reversed(roots)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        inputs = list(inputs_of(node))
        stack.extend((x, False) for x in (reversed(inputs) if first_input_first else inputs) if id(x) not in seen)
    return order


# ---- what a node computes ----------------------------------------------------------

@dataclass(frozen=True)
class Reading:
    """A node read as `op` applied to `operands`: each operand is an index into
    the node's inputs (`inputs_of`) or, as a float, a constant of the op (the 2
    of micrograd's `'**2'`). `a + a` is ADD with operands (0, 0)."""

    op: Op
    operands: tuple[int | float, ...]

    def values(self, xs: Sequence[float]) -> list[float]:
        """The op's operands, given the inputs' data."""
        return [xs[i] if type(i) is int else i for i in self.operands]

    def forward(self, xs: Sequence[float]) -> float:
        return self.op.compute(*self.values(xs))

    def positions(self, i: int) -> list[int]:
        """Where input `i` is an operand (twice in `a + a`)."""
        return [p for p, k in enumerate(self.operands) if type(k) is int and k == i]

    def describe(self, names: Sequence[str]) -> str:
        """The reading as a formula: `a * b`, `tanh(n)`, `a ** 2`."""
        args = [names[k] if type(k) is int else f"{k:g}" for k in self.operands]
        if self.op.arity == 2 and not self.op.name.isidentifier():
            return f"{args[0]} {self.op.name} {args[1]}"
        return f"{self.op.name}({', '.join(args)})"


# micrograd's, the lecture's and a learner's likely names for the table's ops.
# `-` with one input is negation or `a - a`; the data tells which.
_ALIASES: dict[str, tuple[str, ...]] = {
    "-": ("-", "neg"), "**": ("pow",), "^": ("pow",), "add": ("+",), "sub": ("-",), "mul": ("*",),
    "div": ("/",), "truediv": ("/",), "negate": ("neg",),
}
_POWER = re.compile(r"\*\*\s*\(?\s*([-+]?[0-9.]+(?:[eE][-+]?\d+)?)\s*\)?")  # '**2', '**-1', '**0.5', '**(2)'


def candidates(name: str, n_inputs: int) -> list[Reading]:
    """Every reading of an op called `name` over `n_inputs` distinct inputs, the
    inputs' given order first. Empty when the name is not one the table knows."""
    power = _POWER.fullmatch(name.strip())
    if power and n_inputs == 1:
        try:
            return [Reading(REGISTRY["**"], (0, float(power.group(1))))]
        except ValueError:
            return []
    return [Reading(op, arrangement) for op in _ops_named(name.strip()) for arrangement in _arrangements(op, n_inputs)]


def _ops_named(name: str) -> list[Op]:
    """The ops a name may mean: the registered op of that exact name first (a
    custom op called "sub" is itself), then the aliases' ops; failing both, the
    same for the name in lower case ('ReLU')."""
    for key in (name, name.lower()):
        names = dict.fromkeys([key, *_ALIASES.get(key, ())])
        ops = [REGISTRY[n] for n in names if n in REGISTRY]
        if ops:
            return ops
    return []


def _arrangements(op: Op, n: int) -> list[tuple[int, ...]]:
    """The ways to place n distinct inputs as the op's operands, each input used
    at least once: (0, 1) and (1, 0) for two, (0, 0) for one input of a binary op."""
    if n == 0:
        return []
    if op.arity is None:  # n-ary (sum): each input once; a set cannot say more
        return [tuple(range(n))]
    everyone = set(range(n))
    return [t for t in itertools.product(range(n), repeat=op.arity) if set(t) == everyone]


def gives(reading: Reading, xs: Sequence[float], data: float) -> bool:
    """Does `reading` at the inputs `xs` give `data`? Close, not equal: the
    lecture's tanh is (e²ˣ − 1)/(e²ˣ + 1), not `math.tanh`."""
    try:
        expected = reading.forward(xs)
    except DOMAIN_ERRORS:
        return False
    return math.isclose(expected, data, rel_tol=1e-9, abs_tol=1e-12) or (math.isnan(expected) and math.isnan(data))


def readings(node: Any) -> tuple[list[Reading], list[Reading]]:
    """(every reading of the node's op name, those that give its data)."""
    inputs = inputs_of(node)
    every = candidates(op_name(node), len(inputs))
    xs = [number(x.data) for x in inputs]
    if any(x is None for x in xs) or number(node.data) is None:
        return every, []
    return every, [r for r in every if gives(r, xs, number(node.data))]


def number(x: Any) -> float | None:
    """`x` as a float when it is a real number, else None."""
    try:
        return float(x) if not isinstance(x, (str, bytes)) else None
    except (TypeError, ValueError):
        return None


# ---- a node's step, called on its own -----------------------------------------------

def step(node: Any, inputs: Sequence[Any], upstream: float, prior: float) -> list[Any]:
    """Sets each input's `.grad` to `prior` and the node's to `upstream`, calls
    its `_backward()` once, and returns what the inputs' `.grad` hold then. A
    correct step adds upstream × ∂node/∂input to `prior`; one that assigns
    (`=` for `+=`) leaves the contribution alone."""
    for x in inputs:
        x.grad = prior
    node.grad = upstream
    node._backward()
    return [x.grad for x in inputs]


Saved = list[tuple[Any, Any, Any]]


def snapshot(nodes: Iterable[Any]) -> Saved:
    return [(n, n.data, n.grad) for n in nodes]


def restore(saved: Saved) -> None:
    for node, data, grad in saved:
        node.data = data
        node.grad = grad


def value_maker(inputs: Sequence[Any], value_type: type | None, default: type) -> Callable[[float], Any]:
    """The class gradcheck makes its leaves with: `value_type` when given, else
    the class of the first input that is a node of a class other than
    `default`, else `default` (deltagrad's Value)."""
    if value_type is not None:
        if not isinstance(value_type, type):
            raise TypeError(f"gradcheck: value_type must be a class such as Value, got {value_type!r}")
        return value_type
    for x in inputs:
        if is_node(x) and not isinstance(x, default):
            return type(x)
    return default


__all__ = ["Reading", "candidates", "gives", "inputs_of", "is_node", "label_of", "number", "op_name", "readings",
           "restore", "snapshot", "step", "topological_order", "value_maker"]
