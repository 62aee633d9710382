"""The engine: `Value`, the `Op` record of a differentiable function, and `backward()`.

A Value holds a float (`data`), its gradient (`grad`), and, when it is the result
of an op, the op (`_rule`) and the Values it was computed from (`_inputs`). The ops
themselves, each one's forward function and local derivative, live in one table,
`autograd/ops.py`, which also installs the operators and methods on `Value`.

Design notes
- No closures and no back references: a node points only at its inputs, so a
  dropped graph is freed by reference counting alone.
- No recursion: `backward()` walks the graph with explicit stacks, so chains of
  millions of nodes work under the default recursion limit.
- `==` and `hash` are object identity (as in micrograd and PyTorch), so Values
  work as members of sets and keys of dicts; `<`, `<=`, `>`, `>=` compare `data`.
"""

from __future__ import annotations

import gc
import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any

# Count of recording modes (no_grad, detect_anomaly, name_scope) entered in any
# thread; `modes` keeps it. While it is 0 every op takes the fast path.
_hooks_active = 0

_new = object.__new__


def _real(x: Any, what: str) -> float:
    """`x` as a float when it is a real number, else a TypeError naming its type."""
    cls = x.__class__
    if cls is float:
        return x
    if cls is int or cls is bool:
        return float(x)
    if isinstance(x, numbers.Real) and not isinstance(x, Value):
        return float(x)  # NumPy integer and floating scalars register as Real
    if cls.__module__ == "numpy" and getattr(x, "shape", None) == () and x.dtype.kind == "b":
        return float(x)  # NumPy's bool_, the one NumPy scalar that is not Real
    raise TypeError(
        f"{what} must be a real number (int, float, bool or a NumPy scalar), "
        f"got {cls.__name__}: {_short(x)}"
    )


def _short(x: Any, width: int = 40) -> str:
    text = repr(x)
    return text if len(text) <= width else text[: width - 3] + "..."


class Op:
    """One differentiable scalar function: its forward on floats and its vector-
    Jacobian product.

    `vjp(g, ans, *xs)` receives the upstream gradient `g`, the op's output `ans`
    and its inputs `xs`, and returns the gradient for each input (a tuple; a
    single value for one input). It is written with arithmetic and the op table's
    functions only, so the same rule runs on floats (plain `backward()`) and on
    Values (`backward(create_graph=True)`, for second derivatives).

    Calling an Op applies it: to plain numbers it returns a float, to Values (or a
    mix) a new Value in the graph.
    """

    __slots__ = ("name", "arity", "forward", "vjp", "nondiff", "formula", "domain", "kinks", "explain", "doc")

    def __init__(
        self,
        name: str,
        forward: Callable[..., float],
        vjp: Callable[..., Any],
        *,
        arity: int | None,
        nondiff: tuple[int, ...] = (),
        formula: str = "",
        domain: Sequence[tuple[float, float]] = (),
        kinks: tuple[float, ...] = (),
        explain: Callable[..., str] | None = None,
        doc: str = "",
    ) -> None:
        self.name = name
        self.arity = arity  # None: any number of inputs (n-ary sum)
        self.forward = forward
        self.vjp = vjp
        self.nondiff = nondiff  # inputs the rule treats as constants (an exponent, a slope)
        self.formula = formula  # the local derivative as the README shows it
        self.domain = tuple(domain)  # per input, a (low, high) range where the op is defined and smooth
        self.kinks = kinks  # points of the first input where the derivative jumps (relu at 0)
        self.explain = explain  # explain(*xs) -> why a forward failed, naming the operand
        self.doc = doc

    def __repr__(self) -> str:
        return f"Op({self.name!r})"

    # An op is a registry entry, shared by every node that uses it: copying a
    # graph keeps it, and pickling refers to it by name.
    def __copy__(self) -> Op:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Op:
        return self

    def __reduce__(self) -> tuple[Callable[[str], Op], tuple[str]]:
        return _registered, (self.name,)

    def __call__(self, *args: Any) -> Any:
        if self.arity is not None and len(args) != self.arity:
            raise TypeError(f"{self.name} takes {self.arity} argument(s), got {len(args)}")
        if not any(isinstance(a, Value) for a in args):
            return self.compute(*[_real(a, f"{self.name}: argument {i}") for i, a in enumerate(args)])
        return apply(self, *args)

    def compute(self, *xs: float) -> float:
        """The forward on floats, with a domain error re-raised to name the op and operand."""
        try:
            return self.forward(*xs)
        except (ValueError, ZeroDivisionError, OverflowError) as err:
            raise _domain_error(self, err, xs) from None


def _domain_error(op: Op, err: Exception, xs: Sequence[float]) -> Exception:
    operands = ", ".join(repr(x) for x in xs)
    why = op.explain(*xs) if op.explain is not None else str(err)
    return type(err)(f"{op.name}({operands}): {why}")


# The table of ops by name; `ops.py` fills it, users add to it with `defop`.
REGISTRY: dict[str, Op] = {}
BUILTIN_NAMES: set[str] = set()  # filled by ops.py once its table is defined


def _registered(name: str) -> Op:
    """The registered op called `name` (for unpickling)."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"no op named {name!r} is registered (a custom op must be defined before loading)") from None


def defop(
    name: str,
    forward: Callable[..., float],
    vjp: Callable[..., Any] | None = None,
    *,
    derivatives: Sequence[Callable[..., Any]] | None = None,
    arity: int | None = -1,
    nondiff: tuple[int, ...] = (),
    formula: str = "",
    domain: Sequence[tuple[float, float]] = (),
    kinks: tuple[float, ...] = (),
    explain: Callable[..., str] | None = None,
    doc: str = "",
    replace: bool = False,
) -> Op:
    """Registers a differentiable scalar function and returns it as a callable `Op`.

    Give the derivative either as `vjp(g, ans, *xs)` (returns one gradient per
    input, see `Op`) or as `derivatives=(df_dx, df_dy, ...)`, the partial
    derivatives as functions of the inputs. For example::

        cube = autograd.defop("cube", lambda x: x ** 3, derivatives=[lambda x: 3 * x ** 2])
        y = cube(Value(2.0))          # a Value in the graph; cube(2.0) is the float 8.0

    `domain` gives, per input, a (low, high) range where gradcheck and
    `deltagrad check` sample the op. `gradcheck` and `check_ops` verify a custom
    op exactly as they verify a built-in one.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"defop: the name must be a non-empty string, got {name!r}")
    if name in REGISTRY and not replace:
        raise ValueError(f"defop: an op named {name!r} is already registered (pass replace=True to redefine it)")
    if name in BUILTIN_NAMES:
        # Value's operators and methods are bound to the built-in Op objects.
        raise ValueError(f"defop: {name!r} is a built-in op and cannot be redefined; choose another name")
    if (vjp is None) == (derivatives is None):
        raise TypeError(f"defop({name!r}): give exactly one of vjp= or derivatives=")
    if arity == -1:
        # One derivative per input, or the vjp's parameters past (g, ans).
        arity = len(derivatives) if derivatives is not None else _positional_count(vjp, name) - 2
    if vjp is None:
        vjp = _vjp_from_derivatives(list(derivatives), arity)
    op = Op(name, forward, vjp, arity=arity, nondiff=nondiff, formula=formula,
            domain=domain or [(-3.0, 3.0)] * (arity or 1), kinks=kinks, explain=explain, doc=doc)
    REGISTRY[name] = op
    return op


def _positional_count(fn: Callable[..., Any], name: str) -> int:
    import inspect

    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        raise TypeError(f"defop({name!r}): cannot read the vjp's parameters; pass arity=") from None
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty for p in params)


def _vjp_from_derivatives(derivatives: list[Callable[..., Any]], arity: int) -> Callable[..., Any]:
    if len(derivatives) != arity:
        raise TypeError(f"defop: {len(derivatives)} derivatives given for an op of {arity} input(s)")
    if arity == 1:
        (d,) = derivatives
        return lambda g, ans, x: g * d(x)
    return lambda g, ans, *xs: tuple(g * d(*xs) for d in derivatives)


def apply(op: Op, *args: Any) -> Value:
    """Applies `op` to Values and numbers: the generic (slower) path that custom
    ops and the math methods take. The arithmetic operators have their own fast
    copies of these steps (`binary_method`)."""
    inputs = tuple(constant(a, op.name) for a in args)
    return node(op, inputs, op.compute(*[x.data for x in inputs]))


def node(op: Op, inputs: tuple[Value, ...], data: float) -> Value:
    """A new op result: `data` computed by `op` from `inputs` (all Values)."""
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out._inputs = inputs
    out._rule = op
    if _hooks_active:
        _modes.record(out)
    return out


def binary_method(op: Op) -> Callable[[Value, Any], Value]:
    """`Value.__add__` and its kin: `apply` for two inputs, unrolled for speed."""
    forward = op.forward
    name = op.name

    def method(self: Value, other: Any) -> Value:
        if other.__class__ is not Value:
            other = constant(other, name)
        out = _new(Value)
        try:
            out.data = forward(self.data, other.data)
        except (ValueError, ZeroDivisionError, OverflowError) as err:
            raise _domain_error(op, err, (self.data, other.data)) from None
        out.grad = 0.0
        out._inputs = (self, other)
        out._rule = op
        if _hooks_active:
            _modes.record(out)
        return out

    method.__name__ = f"__{name}__"
    return method


def reflected_method(method: Callable[[Value, Any], Value], name: str) -> Callable[[Value, Any], Value]:
    """`Value.__radd__` and its kin: `number OP value`, so the number goes first."""

    def reflected(self: Value, other: Any) -> Value:
        return method(constant(other, name), self)

    return reflected


def unary_method(op: Op) -> Callable[[Value], Value]:
    """`Value.exp` and its kin: `apply` for one input, unrolled for speed."""
    forward = op.forward

    def method(self: Value) -> Value:
        out = _new(Value)
        try:
            out.data = forward(self.data)
        except (ValueError, ZeroDivisionError, OverflowError) as err:
            raise _domain_error(op, err, (self.data,)) from None
        out.grad = 0.0
        out._inputs = (self,)
        out._rule = op
        if _hooks_active:
            _modes.record(out)
        return out

    method.__name__ = op.name
    return method


class Value:
    """A scalar in a computation graph.

    `Value(data, label="")`: `data` is any real number, kept as a float. The
    arithmetic operators (`+ - * / **`, unary `-`, reflected forms) and the
    methods `exp log sqrt tanh sigmoid relu leaky_relu softplus abs sin cos`
    are installed from the op table in `autograd/ops.py`.
    """

    # `_meta` holds the rarely set label, scope and source in one dict, made on
    # first use: one slot instead of three is 16 bytes less on every node.
    __slots__ = ("data", "grad", "_inputs", "_rule", "_meta", "__weakref__")

    # Let NumPy scalars defer to Value's reflected operators instead of wrapping
    # the Value in an object array (`np.float64(2) * v` is then a Value).
    __array_ufunc__ = None

    def __init__(self, data: Any, label: str = "") -> None:
        self.data = _real(data, "Value data")
        self.grad = 0.0
        self._inputs: tuple[Value, ...] = ()
        self._rule: Op | None = None
        if label:
            self.label = label
        if _hooks_active and (scope := _modes.current_scope()):
            self.scope = scope

    # ---- public attributes -------------------------------------------------
    def _get_meta(self, key: str) -> str:
        meta = getattr(self, "_meta", None)
        return meta.get(key, "") if meta else ""

    def _set_meta(self, key: str, text: str) -> None:
        if not isinstance(text, str):
            raise TypeError(f"{key} must be a str, got {type(text).__name__}")
        try:
            self._meta[key] = text
        except AttributeError:
            self._meta = {key: text}

    @property
    def label(self) -> str:
        return self._get_meta("label")

    @label.setter
    def label(self, text: str) -> None:
        self._set_meta("label", text)

    @property
    def op(self) -> str:
        """The op's name, '' for a leaf."""
        return self._rule.name if self._rule is not None else ""

    @property
    def inputs(self) -> tuple[Value, ...]:
        """The Values this one was computed from, () for a leaf."""
        return self._inputs

    @property
    def scope(self) -> str:
        """Where the Value was made: a dotted name scope such as `layers.0.neurons.3`, or ''."""
        return self._get_meta("scope")

    @scope.setter
    def scope(self, name: str) -> None:
        self._set_meta("scope", name)

    @property
    def source(self) -> str:
        """'file:line' that created this op under `detect_anomaly()`, else ''."""
        return self._get_meta("source")

    # micrograd's names, read-only, so its `trace`/`draw_dot` helpers run unchanged.
    @property
    def _prev(self) -> tuple[Value, ...]:
        return self._inputs

    @property
    def _op(self) -> str:
        return self.op

    # ---- conversions and comparisons --------------------------------------
    def __float__(self) -> float:
        return self.data

    def __repr__(self) -> str:
        parts = [f"data={self.data:.6g}", f"grad={_format_grad(self.grad)}"]
        if self.label:
            parts.append(f"label={self.label!r}")
        if self._rule is not None:
            parts.append(f"op={self._rule.name!r}")
        return f"Value({', '.join(parts)})"

    def __lt__(self, other: Any) -> bool:
        return self.data < _compare_data(other)

    def __le__(self, other: Any) -> bool:
        return self.data <= _compare_data(other)

    def __gt__(self, other: Any) -> bool:
        return self.data > _compare_data(other)

    def __ge__(self, other: Any) -> bool:
        return self.data >= _compare_data(other)

    __eq__ = object.__eq__  # identity, kept explicit: Values are graph nodes, not numbers
    __hash__ = object.__hash__

    def detach(self) -> Value:
        """A new leaf with the same data and no history."""
        return Value(self.data)

    def is_leaf(self) -> bool:
        return self._rule is None

    # ---- backward ----------------------------------------------------------
    def backward(self, grad: Any = 1.0, *, create_graph: bool = False) -> None:
        """Propagates `grad` (d self / d self, 1.0 by default) to every Value this
        one depends on, by the chain rule in reverse topological order.

        Every call propagates afresh: afterwards each non-leaf node's `.grad`
        holds this call's gradient. Leaves accumulate (`+=`) across calls, as in
        PyTorch; reset them with `zero_grad()` or `p.grad = 0.0`. With
        `create_graph=True` the gradients are Values themselves, so they can be
        differentiated again.
        """
        if not create_graph:
            grad = _real(grad, "backward: grad")
        elif not isinstance(grad, Value):
            grad = Value(grad)
        _backward(self, grad, create_graph)


def _compare_data(other: Any) -> float:
    if isinstance(other, Value):
        return other.data
    return _real(other, "comparison operand")


def _format_grad(grad: Any) -> str:
    return f"{grad:.6g}" if isinstance(grad, float) else repr(grad)


class Constant(Value):
    """A leaf made from a plain number in an expression (the `2.0` of `x * 2.0`).
    Drawn as a constant; otherwise a Value like any other."""

    __slots__ = ()
    # A constant never gains inputs: these class attributes stand in for the
    # slots (and make them read-only), which saves two stores per constant.
    _inputs = ()
    _rule = None

    def __init__(self, data: Any, label: str = "") -> None:
        # Value.__init__ would assign the read-only _inputs and _rule.
        self.data = _real(data, "Constant data")
        self.grad = 0.0
        if label:
            self.label = label

    def __getstate__(self) -> tuple[None, dict[str, Any]]:
        # For copy and pickle: the slots that are set, without the read-only two.
        names = ("data", "grad", "_meta")
        return None, {n: getattr(self, n) for n in names if hasattr(self, n)}


def constant(x: Any, op_name: str) -> Value:
    """A number met as an operand of `op_name` as a Constant (a Value passes
    through); any other type is a TypeError naming it."""
    cls = x.__class__
    if cls is float:
        out = _new(Constant)
        out.data = x
    elif isinstance(x, Value):
        return x
    else:
        out = _new(Constant)
        out.data = _real(x, f"{op_name}: operand")
    out.grad = 0.0
    return out


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


def _backward(root: Value, seed: Any, create_graph: bool) -> None:
    """The chain rule over the non-leaf nodes in reverse topological order: each
    node's gradient is complete before it is passed on to its inputs."""
    if root._rule is None:
        root.grad += seed  # a leaf: nothing to propagate
        return
    order = _postorder(root, leaves=False)
    for node in order:
        node.grad = 0.0  # non-leaf nodes hold this call's gradient only
    root.grad = seed
    anomaly = bool(_hooks_active) and _modes.is_anomaly_enabled()
    # The loop allocates only tuples and floats and creates no cycles: the
    # cyclic collector would only re-scan the graph, again and again.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for node in reversed(order):
            ins = node._inputs
            rule = node._rule
            if create_graph:
                grads = _local_grads(rule, node.grad, node, ins)
            elif rule.arity == 2:
                a, b = ins
                ga, gb = rule.vjp(node.grad, node.data, a.data, b.data)
                if anomaly:
                    _check_finite(node, ins, (ga, gb))
                a.grad += ga
                b.grad += gb
                continue
            elif rule.arity == 1:
                grads = (rule.vjp(node.grad, node.data, ins[0].data),)
            else:
                grads = _local_grads(rule, node.grad, node.data, [x.data for x in ins])
            if anomaly:
                _check_finite(node, ins, grads)
            for x, gx in zip(ins, grads):
                x.grad += gx
    finally:
        if collecting:
            gc.enable()


def _local_grads(rule: Op, g: Any, ans: Any, xs: Sequence[Any]) -> Sequence[Any]:
    """Calls `rule.vjp` with the calling convention of its arity; always returns a
    sequence with one gradient per input. `xs` are floats or (create_graph) Values."""
    if rule.arity is None:
        return rule.vjp(g, ans, xs)
    grads = rule.vjp(g, ans, *xs)
    return (grads,) if rule.arity == 1 else grads


def _check_finite(node: Value, ins: Sequence[Value], grads: Sequence[Any]) -> None:
    for i, (x, gx) in enumerate(zip(ins, grads)):
        if isinstance(x, Constant):
            continue
        value = gx.data if isinstance(gx, Value) else gx
        if not math.isfinite(value):
            where = node.source or "<created outside detect_anomaly>"
            raise FloatingPointError(
                f"backward: op {node.op!r} produced {'a NaN' if math.isnan(value) else 'an infinite'} gradient "
                f"for its input {i} (data={x.data!r}); the op was created at {where}"
            )


from . import modes as _modes  # noqa: E402  (modes reads the engine's hook count)
from . import ops as _ops  # noqa: E402,F401  (installs the op table's operators on Value)
