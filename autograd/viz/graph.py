"""The one place the drawing reads a graph: every node becomes a `NodeView`.

Two kinds of node can be drawn:
- deltagrad's `Value`, read through its public API only (`inputs`, `op`,
  `is_leaf()`, `label`, `scope`, `source`, `data`, `grad`, `Constant`,
  `topological_order`);
- a micrograd-style node, the class a learner writes in the micrograd lecture
  or micrograd's own `micrograd.engine.Value`: an object with `data`, `grad`
  and `_prev` (its children, a set or a tuple), and optionally `_op` (a
  string) and `label`.

`NodeGraph(root)` finds the nodes without recursion; `.views()` reads each node
once into a `NodeView`, and the rest of the drawing sees nothing else.

micrograd keeps a node's children in a `set`, whose order follows `id()` and
so changes from run to run. To draw the same picture every time, the children
in a set are sorted by what can be seen of them: label, op, data and grad, then
a digest of everything below each child (its sub-graph) and of everything above
it (how it is used). Children that still tie look the same from below and from
above, so either order draws the same picture. Children in a tuple or a list
keep their order, as a deltagrad Value's inputs do.
"""

from __future__ import annotations

import hashlib
import math
import numbers
from dataclasses import dataclass
from typing import Any

from ..engine import Constant, Value, topological_order
from ..foreign import postorder
from ..registry import REGISTRY


@dataclass(eq=False)
class NodeView:
    """What the drawing needs of one node, read once. `node` is the object itself
    (what an annotator is given); `grad` is a float even when the node's own
    `.grad` is a Value (after `backward(create_graph=True)`), and then
    `grad_is_graph` is true. Compared and hashed by identity."""

    node: Any
    name: str  # its DOT name: v0, v1, ... in topological order
    inputs: tuple[NodeView, ...]
    leaf: bool
    op: str
    label: str
    scope: str
    source: str
    data: float
    grad: float
    grad_is_graph: bool
    constant: bool
    formula: str  # the op table's derivative, for the tooltip ('' if none)
    foreign: str  # the class name of a micrograd-style node, '' for a deltagrad Value


def is_node(x: Any) -> bool:
    """A deltagrad Value, or a micrograd-style node (with data, grad and _prev)."""
    return isinstance(x, Value) or all(hasattr(x, a) for a in ("data", "grad", "_prev"))


def describe(node: Any) -> str:
    """A node for an error message: `Value 'w'`, or `an unlabelled Value`."""
    label = label_of(node)
    return f"{type(node).__name__} {label!r}" if label else f"an unlabelled {type(node).__name__}"


def label_of(node: Any) -> str:
    label = node.label if isinstance(node, Value) else getattr(node, "label", "")
    return label if isinstance(label, str) else ("" if label is None else str(label))


def _op_of(node: Any) -> str:
    if isinstance(node, Value):
        return node.op
    op = getattr(node, "_op", "")
    return op if isinstance(op, str) else str(op)


def _inputs_as_given(node: Any) -> tuple[Any, ...]:
    """A node's inputs: a Value's in order, a micrograd-style node's `_prev` as
    stored (for a set, in an order that changes from run to run)."""
    if isinstance(node, Value):
        return node.inputs
    prev = node._prev
    try:
        children = tuple(prev)
    except TypeError:
        raise TypeError(f"draw_dot: {describe(node)} has _prev of type {type(prev).__name__}; "
                        "it must be a set or tuple of nodes") from None
    for child in children:
        if not is_node(child):
            raise TypeError(f"draw_dot: {describe(node)} has a {type(child).__name__} in _prev ({_short(child)}); "
                            "each child must be a node with data, grad and _prev")
    return children


def _real(node: Any, x: Any, attribute: str) -> float:
    """`x`, the node's `.data` or a gradient's data, as a float; anything but a
    real number is a TypeError naming the node and what it holds."""
    if isinstance(x, numbers.Real):
        return float(x)
    raise TypeError(f"draw_dot: {describe(node)} holds a {type(x).__name__} in .{attribute} ({_short(x)}); "
                    f".{attribute} must be a number")


def _short(x: Any) -> str:
    """repr(x) cut to 60 characters; a repr that fails (a Value holding itself
    in .data recurses forever in micrograd's repr) is replaced by the type."""
    try:
        text = repr(x)
    except Exception:  # RecursionError included: any repr may fail, and the error must still be raised
        return f"<{type(x).__name__}>"
    return text if len(text) <= 60 else text[:59] + "…"


def _grad(node: Any) -> tuple[float, bool]:
    """(the gradient as a float, whether it is a graph): after
    `backward(create_graph=True)` a gradient is a Value, drawn by its data."""
    g = node.grad
    if is_node(g):
        return _real(node, g.data, "grad.data"), True
    return _real(node, g, "grad"), False


def _formula(op: str) -> str:
    """The op table's derivative of `op`, for the tooltip of a deltagrad op node."""
    rule = REGISTRY.get(op)
    return rule.formula if rule is not None and rule.formula else ""


# ---- the walk -------------------------------------------------------------------------

class NodeGraph:
    """The graph below `root`, found without recursion. `len()` counts its nodes
    and `ops` its op nodes before anything else is read, so the size guard can
    refuse a huge graph at once; `views()` then reads every node."""

    def __init__(self, root: Any) -> None:
        self.root = root
        if isinstance(root, Value):
            self._nodes = topological_order(root)
            self._given: dict[int, tuple[Any, ...]] | None = None
        else:
            given: dict[int, tuple[Any, ...]] = {}

            def inputs(node: Any) -> tuple[Any, ...]:
                if id(node) not in given:
                    given[id(node)] = _inputs_as_given(node)
                return given[id(node)]

            self._nodes = postorder([root], inputs, first_input_first=False)  # unordered siblings, for now
            self._given = given

    def __len__(self) -> int:
        return len(self._nodes)

    @property
    def ops(self) -> int:
        """How many nodes are computed from others (each is also drawn as an op)."""
        if self._given is None:
            return sum(not v.is_leaf() for v in self._nodes)
        return sum(bool(self._given[id(v)]) for v in self._nodes)

    def views(self) -> list[NodeView]:
        """Every node as a `NodeView`, in topological order (inputs first, the
        root last), named v0, v1, ... in that order. For a deltagrad graph that
        is `topological_order(root)`; a foreign graph is walked the same way
        over its children sorted as the module docstring says."""
        if self._given is None:
            order, inputs_of = self._nodes, _inputs_as_given
        else:
            inputs = _sorted_children(self._nodes, self._given)
            inputs_of = lambda node: inputs[id(node)]
            order = postorder([self.root], inputs_of, first_input_first=False)
        view_of: dict[int, NodeView] = {}
        for i, node in enumerate(order):
            view_of[id(node)] = _view(node, f"v{i}", tuple(view_of[id(x)] for x in inputs_of(node)))
        return [view_of[id(node)] for node in order]


def _view(node: Any, name: str, inputs: tuple[NodeView, ...]) -> NodeView:
    grad, grad_is_graph = _grad(node)
    if isinstance(node, Value):
        leaf = node.is_leaf()
        return NodeView(node, name, inputs, leaf, node.op, node.label, node.scope, node.source,
                        _real(node, node.data, "data"), grad, grad_is_graph, isinstance(node, Constant),
                        "" if leaf else _formula(node.op), "")
    return NodeView(node, name, inputs, not inputs, _op_of(node), label_of(node), "", "",
                    _real(node, node.data, "data"), grad, grad_is_graph, False, "", type(node).__name__)


def reading_order(views: list[NodeView]) -> list[NodeView]:
    """The views in the order a reader meets them: inputs before outputs, and a
    node's first input (with everything it needs) before its second. Drawn in
    this order, `x0` sits above `x1` and neuron 0 above neuron 1."""
    return postorder([views[-1]], lambda v: v.inputs)


# ---- a deterministic order for children kept in a set ----------------------------------

def _sorted_children(nodes: list[Any], given: dict[int, tuple[Any, ...]]) -> dict[int, tuple[Any, ...]]:
    """{id(node): its children in a deterministic order}: children kept in a set
    are sorted by (label, op, data, grad, digest below, digest above), see the
    module docstring; others keep their order. `nodes` lists every node after
    its children."""
    seen = {id(v): (label_of(v), _op_of(v), _float_key(_real(v, v.data, "data")), _float_key(_grad(v)[0]))
            for v in nodes}
    below: dict[int, bytes] = {}
    for v in nodes:  # children first
        below[id(v)] = _digest(repr(seen[id(v)]), *sorted(below[id(x)] for x in given[id(v)]))
    consumers: dict[int, list[int]] = {}
    for v in nodes:
        for x in given[id(v)]:
            consumers.setdefault(id(x), []).append(id(v))
    above: dict[int, bytes] = {}
    for v in reversed(nodes):  # consumers first
        uses = consumers.get(id(v), ())
        above[id(v)] = _digest("used by", *sorted(below[c] + above[c] for c in uses)) if uses else b"root"

    def key(x: Any) -> tuple[Any, ...]:
        return (*seen[id(x)], below[id(x)], above[id(x)])

    return {id(v): tuple(sorted(given[id(v)], key=key)) if _unordered(v) else given[id(v)] for v in nodes}


def _unordered(node: Any) -> bool:
    """Whether a node keeps its children in a set (micrograd's `_prev`)."""
    return not isinstance(node, Value) and isinstance(node._prev, (set, frozenset))


def _float_key(x: float) -> tuple[bool, float]:
    """Sorts NaN last instead of comparing false with everything."""
    return (True, 0.0) if math.isnan(x) else (False, x)


def _digest(*parts: str | bytes) -> bytes:
    """A stable digest (Python's own hash of a str changes from run to run)."""
    h = hashlib.blake2b(digest_size=12)
    for part in parts:
        data = part.encode("utf-8", "backslashreplace") if isinstance(part, str) else part
        h.update(len(data).to_bytes(4, "little"))
        h.update(data)
    return h.digest()
