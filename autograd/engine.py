"""The engine: `Value`, a number that remembers how it was computed, and `backward()`.

Read it as you would micrograd's engine.py. A Value holds `data` and `grad`; the
result of an op also holds the Values it was computed from (`_inputs`) and its
op (`_rule`): an entry of the op table, `autograd/ops.py`, which knows the op's
forward and its derivative. `backward()` sorts the graph topologically and
applies the chain rule from the output back, adding (`+=`) upstream × local
derivative into each input's `grad`.

What deltagrad does differently, and why:
- No closures and no back references: a node points only at its inputs, so a
  dropped graph is freed by reference counting alone (micrograd's `_backward`
  closures make reference cycles that only the garbage collector frees).
- No recursion: the topological sort uses an explicit stack, so chains of
  millions of nodes work under the default recursion limit.
- `==` and `hash` are object identity (as in micrograd and PyTorch), so Values
  work in sets and as dict keys; `<`, `<=`, `>`, `>=` compare `data`.
"""

from __future__ import annotations

import contextlib
import gc
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from . import modes, ops
from .registry import DOMAIN_ERRORS, HandWritten, Op
from .validate import real, short

_new = object.__new__  # a node is made without running __init__: its fields are set right after


# ---- how an op becomes a node -------------------------------------------------
# The operators are the engine's hottest code. Each is a closure made once per
# op that builds its node inline: 209 ns for `a * b` against 255 ns through a
# shared helper (CPython 3.11, measured on a copy of this code).

def _binary(op: Op) -> Callable[[Value, Any], Value]:
    """`self OP other` as one node of `op`: Value.__add__ and its kin."""
    forward = op.forward

    def method(self: Value, other: Any) -> Value:
        if other.__class__ is not Value:
            other = _as_value(other, op)
        out = _new(Value)
        try:
            out._data = forward(self._data, other._data)
        except DOMAIN_ERRORS as err:
            out._data = op.domain_error(err, (self._data, other._data))  # raises, naming op and operands
        out.grad = 0.0
        out._inputs = (self, other)
        out._rule = op
        if modes.active:
            modes.record(out)
        return out

    method.__name__ = method.__qualname__ = f"Value {op.name}"
    return method


def _reflected(op: Op) -> Callable[[Value, Any], Value]:
    """`other OP self` for a number `other` (`2 * x`): the number stays the first input."""
    method = _binary(op)
    return lambda self, other: method(_as_value(other, op), self)


def _unary(op: Op) -> Callable[[Value], Value]:
    """`op(self)`: Value.exp and its kin."""
    forward = op.forward

    def method(self: Value) -> Value:
        try:
            data = forward(self._data)
        except DOMAIN_ERRORS as err:
            data = op.domain_error(err, (self._data,))
        return _node(op, (self,), data)

    method.__name__ = op.name
    return method


def _apply(op: Op, args: Sequence[Any]) -> Value:
    """`op(*args)` when an argument is a Value (any op, the custom ones included):
    numbers become Constants."""
    inputs = tuple(x if x.__class__ is Value else _as_value(x, op) for x in args)
    xs = [x._data for x in inputs]
    try:
        data = op.forward(*xs)
    except DOMAIN_ERRORS as err:
        data = op.domain_error(err, xs)
    return _node(op, inputs, data)


def _node(op: Op, inputs: tuple[Value, ...], data: float) -> Value:
    out = _new(Value)
    out._data = data
    out.grad = 0.0
    out._inputs = inputs
    out._rule = op
    if modes.active:
        modes.record(out)
    return out


def _as_value(x: Any, op: Op) -> Value:
    """An operand of `op` as a Value: a number becomes a Constant."""
    if isinstance(x, Value):
        return x
    out = _new(Constant)
    out._data = x if x.__class__ is float else real(x, f"{op.name}: operand")
    out.grad = 0.0
    return out


class Value:
    """A scalar in a computation graph.

    `Value(data, label="")`, or micrograd's `Value(data, _children=(), _op='',
    label='')`: `data` is any real number, kept as a float.
    """

    __slots__ = ("_data", "grad", "_inputs", "_rule", "_meta", "__weakref__")

    # NumPy scalars defer to Value's reflected operators instead of wrapping the
    # Value in an object array (`np.float64(2) * v` is then a Value).
    __array_ufunc__ = None

    def __init__(self, data: Any, _children: Iterable[Value] | str = (), _op: str = "", label: str = "") -> None:
        if isinstance(_children, str):  # Value(2.0, "x"): the second argument is the label
            _children, label = (), _children
        self._data = real(data, "Value data")
        self.grad = 0.0
        self._inputs = _children_of(_children)
        self._rule = HandWritten(_op) if self._inputs or _op else None
        if label:
            self.label = label
        if modes.active and (scope := modes.current_scope()):
            self.scope = scope

    # ---- the operators: each makes one node of the op table (ops.py) -------
    __add__ = _binary(ops.ADD)  # self + other
    __radd__ = _reflected(ops.ADD)  # other + self
    __sub__ = _binary(ops.SUB)
    __rsub__ = _reflected(ops.SUB)
    __mul__ = _binary(ops.MUL)
    __rmul__ = _reflected(ops.MUL)
    __truediv__ = _binary(ops.DIV)
    __rtruediv__ = _reflected(ops.DIV)
    __neg__ = _unary(ops.NEG)
    __abs__ = abs = _unary(ops.ABS)

    def __pow__(self, other: Any) -> Value:
        """A number exponent is a constant (`**`); a Value exponent is differentiated too (`pow`)."""
        return _pow_value(self, other) if isinstance(other, Value) else _pow_number(self, other)

    __rpow__ = _reflected(ops.POWV)  # 2 ** x: the exponent is the Value

    def __pos__(self) -> Value:
        return self

    exp, log, sqrt, sin, cos = _unary(ops.EXP), _unary(ops.LOG), _unary(ops.SQRT), _unary(ops.SIN), _unary(ops.COS)
    tanh, sigmoid, relu, softplus = _unary(ops.TANH), _unary(ops.SIGMOID), _unary(ops.RELU), _unary(ops.SOFTPLUS)

    def leaky_relu(self, slope: Any = ops.LEAKY_RELU_SLOPE) -> Value:
        return ops.LEAKY_RELU(self, slope)

    _apply_op = staticmethod(_apply)  # how the op table's functions make nodes: `autograd.exp(v)`

    # ---- backward ------------------------------------------------------------
    def backward(self, grad: Any = 1.0, *, create_graph: bool = False) -> None:
        """Propagates `grad` (∂self/∂self, 1.0 by default) to every Value this one
        depends on, by the chain rule in reverse topological order.

        Every call propagates afresh: afterwards each op node's `.grad` holds this
        call's gradient. Leaves accumulate (`+=`) across calls, as in PyTorch;
        reset them with `zero_grad()`, `p.grad = 0.0` or `p.grad = None`. With
        `create_graph=True` the gradients are Values themselves, so they can be
        differentiated again (this makes reference cycles, leaf → its gradient's
        graph → leaf, as in PyTorch: the garbage collector frees them).
        """
        seed = real(grad, "backward: grad") if not isinstance(grad, Value) else grad
        if not create_graph:
            if isinstance(seed, Value):
                raise TypeError(f"backward: grad must be a number unless create_graph=True, got {short(seed)}")
            _backward(self, seed)
        else:
            _backward_creating_graph(self, seed if isinstance(seed, Value) else Value(seed))

    @property
    def _backward(self) -> Callable[[], None]:
        """micrograd's step of one node: calling it adds this node's `grad` times
        its local derivative to each input's `grad`, once (the lecture's manual
        `o.grad = 1.0; o._backward(); ...`). Assign a closure to define the step
        of a node made as `Value(data, (a, b), "op")`, as the lecture does."""
        rule = self._rule
        if rule is None:
            return _no_step
        if rule.__class__ is HandWritten:
            return rule.step or _no_step
        return lambda: _chain_rule_step(self)

    @_backward.setter
    def _backward(self, step: Callable[[], None]) -> None:
        if not callable(step):
            raise TypeError(f"_backward must be a function of no arguments, got {short(step)}")
        self._rule = HandWritten(self.op, step)

    # ---- attributes ------------------------------------------------------------
    @property
    def data(self) -> float:
        """The number; always a Python float (a NumPy scalar is converted, a Value
        or a string refused, so a typo such as `w.data -= lr * w` fails here)."""
        return self._data

    @data.setter
    def data(self, x: Any) -> None:
        if x.__class__ is not float:
            x = _number_for(self, x)
        self._data = x

    @property
    def op(self) -> str:
        """The op's name, '' for a leaf."""
        return self._rule.name if self._rule is not None else ""

    @property
    def inputs(self) -> tuple[Value, ...]:
        """The Values this one was computed from, () for a leaf."""
        return self._inputs

    _prev = inputs  # micrograd's names, read-only, for its `trace`/`draw_dot`/`build_topo`
    _op = op

    def is_leaf(self) -> bool:
        return not self._inputs

    def detach(self) -> Value:
        """A new leaf with the same data and no history."""
        return Value(self._data)

    label = property(lambda self: _meta(self).label, lambda self, text: _set_meta(self, "label", text))
    scope = property(lambda self: _meta(self).scope, lambda self, text: _set_meta(self, "scope", text),
                     doc="Where the Value was made: a dotted name scope such as `layers.0.neurons.3`, or ''.")
    source = property(lambda self: _meta(self).source, lambda self, text: _set_meta(self, "source", text),
                      doc="'file:line' (or a notebook cell) that created this op under `detect_anomaly()`, else ''.")

    # ---- Python's number habits ----------------------------------------------
    # While `autograd.compile` records a function, these ask `modes.concrete`
    # first: a branch on a Value's number cannot be replayed on other data.
    def __float__(self) -> float:
        if modes.active:
            modes.concrete(self, "float()")
        return self._data

    def __int__(self) -> int:
        if modes.active:
            modes.concrete(self, "int()")
        return int(self._data)

    def __bool__(self) -> bool:
        if modes.active:
            modes.concrete(self, "bool()")
        return True  # a Value is an object, always true (as before); only a recording refuses it

    def item(self) -> float:
        """The data, as PyTorch's `tensor.item()`."""
        if modes.active:
            modes.concrete(self, ".item()")
        return self._data

    def __round__(self, ndigits: int | None = None) -> float | int:
        return round(self._data, ndigits)

    def __format__(self, spec: str) -> str:
        return format(self._data, spec) if spec else str(self)  # f"{v:.4f}" formats the data

    def __repr__(self) -> str:
        parts = [f"data={self._data:.6g}", f"grad={_format_grad(self.grad)}"]
        if self.label:
            parts.append(f"label={self.label!r}")
        if self._rule is not None:
            parts.append(f"op={self._rule.name!r}")
        return f"Value({', '.join(parts)})"

    def __lt__(self, other: Any) -> bool:
        if modes.active:
            _concrete_pair(self, "<", other)
        return self._data < _data_of(other)

    def __le__(self, other: Any) -> bool:
        if modes.active:
            _concrete_pair(self, "<=", other)
        return self._data <= _data_of(other)

    def __gt__(self, other: Any) -> bool:
        if modes.active:
            _concrete_pair(self, ">", other)
        return self._data > _data_of(other)

    def __ge__(self, other: Any) -> bool:
        if modes.active:
            _concrete_pair(self, ">=", other)
        return self._data >= _data_of(other)

    __eq__ = object.__eq__  # identity, kept explicit: Values are graph nodes, not numbers
    __hash__ = object.__hash__


_pow_number, _pow_value = _binary(ops.POW), _binary(ops.POWV)


class Constant(Value):
    """A leaf made from a plain number in an expression (the `2.0` of `x * 2.0`).
    Drawn as a constant; otherwise a Value like any other."""

    __slots__ = ()
    # A constant never gains inputs: these class attributes stand in for the
    # slots (and make them read-only), which saves two stores per constant.
    _inputs = ()
    _rule = None

    def __init__(self, data: Any, label: str = "") -> None:
        self._data = real(data, "Constant data")
        self.grad = 0.0
        if label:
            self.label = label

    def __getstate__(self) -> tuple[None, dict[str, Any]]:
        # For copy and pickle: the slots that are set, without the read-only two.
        return None, {n: getattr(self, n) for n in ("_data", "grad", "_meta") if hasattr(self, n)}


def _children_of(children: Iterable[Any]) -> tuple[Value, ...]:
    inputs = tuple(children)
    for x in inputs:
        if not isinstance(x, Value):
            raise TypeError(f"Value: _children must be Values, got {short(x)}")
    return inputs


def _no_step() -> None:
    """The step of a leaf: it has no inputs to pass a gradient to."""


class _Meta:
    """The rarely set label, scope and source of a Value, made on first use: one
    slot on every Value instead of three (measured in benchmarks/bench.py)."""

    __slots__ = ("label", "scope", "source")

    def __init__(self) -> None:
        self.label = self.scope = self.source = ""


_NO_META = _Meta()


def _meta(v: Value) -> _Meta:
    return getattr(v, "_meta", _NO_META)


def _set_meta(v: Value, key: str, text: str) -> None:
    if not isinstance(text, str):
        raise TypeError(f"{key} must be a str, got {type(text).__name__}")
    if not hasattr(v, "_meta"):
        v._meta = _Meta()
    setattr(v._meta, key, text)


def _number_for(v: Value, x: Any) -> float:
    """`x` as a float for `v.data`, or the error naming the Value it was stored in."""
    try:
        return real(x, "Value.data")
    except (TypeError, OverflowError) as err:
        raise type(err)(str(err).replace("Value.data", f"{v!r}.data", 1)) from None


def _concrete_pair(v: Value, symbol: str, other: Any) -> None:
    """A comparison while a mode is on: both operands must be allowed to give their numbers."""
    modes.concrete(v, symbol)
    if isinstance(other, Value):
        modes.concrete(other, symbol)


def _data_of(other: Any) -> float:
    return other._data if isinstance(other, Value) else real(other, "comparison operand")


def _format_grad(grad: Any) -> str:
    return f"{grad:.6g}" if isinstance(grad, float) else repr(grad)


# ---- the topological order -----------------------------------------------------

def _postorder(root: Value, leaves: bool) -> list[Value]:
    """Every Value reachable from `root`, inputs before the Values computed from
    them (the order of a forward pass); leaves only when `leaves` is true.

    An iterative depth-first search: a node is pushed back under a `None` marker
    before its inputs, and popping the marker emits it once they are done.
    """
    order: list[Value] = []
    seen: set[Value] = set()
    stack: list[Value | None] = [root]
    pop, push, emit, mark = stack.pop, stack.append, order.append, seen.add
    while stack:
        node = pop()
        if node is None:
            emit(pop())
            continue
        if node in seen:
            continue
        mark(node)
        push(node)
        push(None)
        for x in node._inputs:
            if (leaves or x._rule is not None) and x not in seen:
                push(x)
    return order


def topological_order(root: Value) -> list[Value]:
    """Every Value reachable from `root`, leaves included, inputs first."""
    return _postorder(root, leaves=True)


# ---- backward: the chain rule in reverse topological order --------------------

def _chain_rule_step(node: Value) -> None:
    """One node's step: its vjp's gradient for each input added to that input's
    `.grad`. `_backward` below does this for every node in turn."""
    _add_grads(node, _local_grads(node))


def _add_grads(node: Value, grads: Sequence[Any]) -> None:
    for x, gx in zip(node._inputs, grads):
        if gx is not None:  # None: an input the op does not differentiate
            try:
                x.grad += gx
            except TypeError:
                x.grad = _first_grad(x, gx, node)


def _local_grads(node: Value) -> tuple[Any, ...]:
    """The node's vjp at its upstream gradient, one gradient (or None) per input."""
    try:
        return node._rule.vjp(node.grad, node._data, *[x._data for x in node._inputs])
    except DOMAIN_ERRORS:
        return _at_a_pole(node)


def _backward(root: Value, seed: float) -> None:
    """The chain rule over the op nodes in reverse topological order: each node's
    gradient is complete before it is passed on to its inputs."""
    if root._rule is None:  # a leaf: nothing to propagate
        try:
            root.grad += seed
        except TypeError:
            root.grad = _first_grad(root, seed, root)
        return
    order = _postorder(root, leaves=False)
    for node in order:
        node.grad = 0.0  # op nodes hold this call's gradient only
    root.grad = seed
    anomaly = modes.active and modes.is_anomaly_enabled()
    for node in reversed(order):
        ins = node._inputs
        if len(ins) == 2:  # the one fast path, for the two-input ops that make most of a graph:
            a, b = ins  # unpacked, no list, no zip (300 against 590 ns/node, measured on a copy)
            try:
                ga, gb = node._rule.vjp(node.grad, node._data, a._data, b._data)
            except DOMAIN_ERRORS:
                ga, gb = _at_a_pole(node)
            if anomaly:
                _check_finite(node, (ga, gb))
            if ga is not None:
                try:
                    a.grad += ga
                except TypeError:
                    a.grad = _first_grad(a, ga, node)
            if gb is not None:
                try:
                    b.grad += gb
                except TypeError:
                    b.grad = _first_grad(b, gb, node)
            continue
        grads = _local_grads(node)
        if anomaly:
            _check_finite(node, grads)
        _add_grads(node, grads)


# ---- the edges: create_graph, poles, None gradients, anomaly mode ----------------
# What follows is the same chain rule where the fast loop above meets something
# unusual. A first reading can stop here.

def _backward_creating_graph(root: Value, seed: Value) -> None:
    """`_backward` with the rules applied to the Values themselves, so that each
    gradient is a graph of its own and can be differentiated again. It records
    inside `no_grad()` too (as PyTorch does), and follows IEEE 754 at a pole (see
    `modes.ieee`). The collector is paused: the pass makes many nodes and no
    cycles, which it would rescan again and again (2.4 against 14 µs/node)."""
    if root._rule is None:
        root.grad = seed if root.grad is None else root.grad + seed
        return
    order = _postorder(root, leaves=False)
    with modes.enable_grad(), modes.ieee(), _gc_paused():
        for node in order:
            node.grad = 0.0
        root.grad = seed
        anomaly = modes.is_anomaly_enabled()
        for node in reversed(order):
            if node._rule.__class__ is HandWritten:
                raise TypeError(f"backward(create_graph=True): the node {node!r} has a hand-written _backward, "
                                f"which computes with floats; register its op with autograd.defop to differentiate "
                                f"it twice")
            grads = node._rule.vjp(node.grad, node, *node._inputs)
            if anomaly:
                _check_finite(node, grads)
            for x, gx in zip(node._inputs, grads):
                if gx is not None:  # a rule's selected 0.0 becomes a Constant: every gradient is a graph
                    gx = gx if isinstance(gx, Value) else Constant(gx)
                    x.grad = gx if x.grad is None else x.grad + gx


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _at_a_pole(node: Value) -> tuple[Any, ...]:
    """The node's rule again where Python's floats raised (1/(2√x) at x = 0, an
    overflowing x^(y−1)): in IEEE 754 arithmetic, giving ±inf or NaN, as PyTorch."""
    import numpy as np

    rule = node._rule
    with modes.ieee(), np.errstate(all="ignore"):
        try:
            grads = rule.vjp(np.float64(node.grad), np.float64(node._data),
                             *[np.float64(x._data) for x in node._inputs])
        except DOMAIN_ERRORS as err:
            raise type(err)(f"backward: the rule of op {node.op!r} failed at "
                            f"{', '.join(short(x._data) for x in node._inputs)}: {err}") from None
    return tuple(None if gx is None else float(gx) for gx in grads)


def _first_grad(x: Value, gx: Any, node: Value) -> Any:
    """The slow path of `x.grad += gx`: a `None` gradient (PyTorch's
    `zero_grad(set_to_none=True)`) counts as zero; anything else that cannot be
    added is a TypeError naming the op."""
    if x.grad is None:
        return gx
    raise TypeError(f"backward: op {node.op!r} gave the gradient {short(gx)} for an input whose .grad is "
                    f"{short(x.grad)}; the two cannot be added")


def _check_finite(node: Value, grads: Sequence[Any]) -> None:
    for i, (x, gx) in enumerate(zip(node._inputs, grads)):
        if gx is None or isinstance(x, Constant):
            continue
        value = gx._data if isinstance(gx, Value) else gx
        if not math.isfinite(value):
            where = node.source or "<created outside detect_anomaly>"
            raise FloatingPointError(
                f"backward: op {node.op!r} produced {'a NaN' if math.isnan(value) else 'an infinite'} gradient "
                f"for its input {i} (data={x._data!r}); the op was created at {where}"
            )
