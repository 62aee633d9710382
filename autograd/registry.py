"""The `Op` record of a differentiable scalar function, the table of ops by name,
and `defop`, which adds to it.

The one convention for a derivative rule, as in HIPS autograd's `defvjp` and
PyTorch's derivatives.yaml: `vjp(g, ans, *xs)` receives the upstream gradient
`g` (∂root/∂ans), the op's output `ans` and its inputs `xs`, and returns a
tuple with **one gradient per input**, g · ∂ans/∂xᵢ, or `None` for an input the
op does not differentiate (an exponent given as a number). The same rule runs
on floats (plain `backward()`) and on Values (`backward(create_graph=True)`,
for second derivatives), so rules use arithmetic and the op table's functions
only.

This module knows nothing of `Value`: calling an op on a Value asks the Value's
class to build the node (its `_apply_op`), so the engine depends on this module
and never the other way round.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

from . import modes
from .validate import real, short

DOMAIN_ERRORS = (ValueError, ZeroDivisionError, OverflowError)  # what a forward on floats may raise


class Op:
    """One differentiable scalar function: its forward on floats, its rule (see
    the module's docstring) and what the README's table and the checks need.

    Calling an Op applies it: to plain numbers it returns a float, to Values (or
    a mix) it returns a new Value in the graph.
    """

    __slots__ = ("name", "arity", "forward", "vjp", "nondiff", "formula", "domain", "kinks", "explain", "doc",
                 "array_forward", "array_vjp")

    def __init__(self, name: str, forward: Callable[..., float], vjp: Callable[..., tuple[Any, ...]], *,
                 arity: int | None, nondiff: tuple[int, ...] = (), formula: str = "",
                 domain: Sequence[tuple[float, float]] = (), kinks: tuple[float, ...] = (),
                 explain: Callable[..., str] | None = None, doc: str = "",
                 array_forward: Callable[..., Any] | None = None, array_vjp: Callable[..., Any] | None = None) -> None:
        self.name = name
        self.arity = arity  # None: any number of inputs (the n-ary sum)
        self.forward = forward
        self.vjp = vjp
        self.nondiff = nondiff  # inputs the rule gives None for: constants of the op
        self.formula = formula  # the local derivative as the README shows it
        self.domain = tuple(domain)  # per input, a (low, high) range where the op is defined and smooth
        self.kinks = kinks  # points of the first input where the derivative jumps (relu at 0)
        self.explain = explain  # explain(*xs) -> why the forward failed, naming the operand
        self.doc = doc
        self.array_forward = array_forward  # the same forward on NumPy arrays, elementwise
        self.array_vjp = array_vjp  # the same rule on NumPy arrays, one array (or None) per input

    def __repr__(self) -> str:
        return f"Op({self.name!r})"

    # An op is a registry entry shared by every node that uses it: copying a
    # graph keeps it, and pickling refers to it by name.
    def __copy__(self) -> Op:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Op:
        return self

    def __reduce__(self) -> tuple[Callable[[str], Op], tuple[str]]:
        return registered, (self.name,)

    def __call__(self, *args: Any) -> Any:
        if self.arity is not None and len(args) != self.arity:
            raise TypeError(f"{self.name} takes {self.arity} argument(s), got {len(args)}")
        for a in args:
            apply = getattr(a.__class__, "_apply_op", None)  # a Value builds a node of its graph
            if apply is not None:
                return apply(self, args)
        try:
            xs = [real(a, f"{self.name}: argument {i}") for i, a in enumerate(args)]
        except TypeError:
            # NumPy arrays go to the array forward, so a rule written with the
            # table's functions (`g * cos(x)`) runs on a whole batch too
            # (autograd.compile). Only here, on the error path: floats stay fast.
            if self.array_forward is not None and any(_is_array(a) for a in args):
                return self.array_forward(*args)
            raise
        return self.compute(*xs)

    def compute(self, *xs: float) -> float:
        """The forward on floats. A domain error names the op and operand, except
        inside `backward()`, where the result is IEEE 754's (see `ieee`)."""
        try:
            return self.forward(*xs)
        except DOMAIN_ERRORS as err:
            return self.domain_error(err, xs)

    def domain_error(self, err: Exception, xs: Sequence[Any]) -> float:
        """Raises `err` again, naming the op and its operands; inside `backward()`
        returns the IEEE 754 result instead."""
        if modes.is_ieee() and self.array_forward is not None:
            return self.ieee(*xs)
        operands = ", ".join(short(x) for x in xs)
        why = self.explain(*xs) if self.explain is not None else str(err)
        raise type(err)(f"{self.name}({operands}): {why}") from None

    def ieee(self, *xs: float) -> float:
        """The forward as IEEE 754 arithmetic gives it, ±inf or NaN where Python's
        floats raise. Derivative rules need it: a derivative may be infinite where
        the function is finite (√x at 0), and PyTorch gives inf there."""
        import numpy as np

        with np.errstate(all="ignore"):
            return float(self.array_forward(*[np.float64(x) for x in xs]))


def _is_array(x: Any) -> bool:
    return x.__class__.__module__ == "numpy" and hasattr(x, "shape")


# ---- which ops can be replayed on NumPy arrays (autograd.compile) -----------------

_RUNS_ON_ARRAYS: dict[Op, bool] = {}  # the probe's verdict per op, found once


def compiles(op: Op) -> bool:
    """Whether `autograd.compile` can replay `op` over a batch: it has an array
    forward, and an array rule (`array_vjp`) or a scalar rule that runs on
    arrays as it is (arithmetic and the table's functions, no `if`)."""
    if op.array_forward is None:
        return False
    return op.array_vjp is not None or rule_runs_on_arrays(op)


def array_rule(op: Op) -> Callable[..., tuple[Any, ...]]:
    """The rule that `autograd.compile` applies to arrays: `array_vjp`, or the
    scalar `vjp` where it runs on arrays (see `compiles`)."""
    return op.array_vjp if op.array_vjp is not None else op.vjp


def rule_runs_on_arrays(op: Op) -> bool:
    """Tries the scalar rule once on arrays of two points of the op's domain and
    compares it with the rule on each point's floats: a rule with a branch
    (`if x > 0`, `float(x)`, `math.exp`) raises on arrays, and so is refused."""
    if op not in _RUNS_ON_ARRAYS:
        _RUNS_ON_ARRAYS[op] = _probe_on_arrays(op)
    return _RUNS_ON_ARRAYS[op]


def _probe_on_arrays(op: Op) -> bool:
    import numpy as np

    points = [pt for pt in _probe_points(op)[1:] if _defined(op, pt)]
    if not points or op.array_forward is None:
        return False
    columns = [np.array(col, dtype=float) for col in zip(*points)]
    g = np.array([1.0, -0.5][:len(points)])
    try:
        with np.errstate(all="ignore"):
            grads = op.vjp(g, op.array_forward(*columns), *columns)
        for k, pt in enumerate(points):
            expected = op.vjp(float(g[k]), op.forward(*pt), *pt)
            for got, want in zip(grads, expected, strict=True):
                if (got is None) != (want is None):
                    return False
                if want is not None and not np.isclose(np.broadcast_to(got, g.shape)[k], want, rtol=1e-12, atol=0):
                    return False
    except Exception:  # any failure on arrays (a branch, float(), math.*) means: not array-safe
        return False
    return True


def _defined(op: Op, point: tuple[float, ...]) -> bool:
    try:
        op.forward(*point)
        op.vjp(1.0, op.forward(*point), *point)
    except DOMAIN_ERRORS:
        return False
    return True


class HandWritten:
    """The rule of a node made micrograd's way, `Value(data, (a, b), "op")`: its
    step is the closure assigned to `node._backward`, which adds to the inputs'
    `.grad` itself, so its vjp hands the loop no gradients to add."""

    __slots__ = ("name", "step")

    def __init__(self, name: str, step: Callable[[], None] | None = None) -> None:
        if not isinstance(name, str):
            raise TypeError(f"Value: _op must be a str, got {short(name)}")
        self.name = name
        self.step = step

    def vjp(self, g: Any, ans: Any, *xs: Any) -> tuple[None, ...]:
        if self.step is not None:
            self.step()
        return (None,) * len(xs)

    def __repr__(self) -> str:
        return f"HandWritten({self.name!r})"


# The table of ops by name; `ops.py` fills it, users add to it with `defop`.
REGISTRY: dict[str, Op] = {}
BUILTIN_NAMES: set[str] = set()  # the op table's own names (ops.py), which users cannot redefine


def registered(name: str) -> Op:
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
    derivatives: Sequence[Callable[..., Any] | None] | None = None,
    arity: int | None = -1,
    nondiff: tuple[int, ...] = (),
    formula: str = "",
    domain: Sequence[tuple[float, float]] = (),
    kinks: tuple[float, ...] = (),
    explain: Callable[..., str] | None = None,
    doc: str = "",
    array_forward: Callable[..., Any] | None = None,
    array_vjp: Callable[..., Any] | None = None,
    replace: bool = False,
) -> Op:
    """Registers a differentiable scalar function and returns it as a callable `Op`.

    Give the derivative either as `vjp(g, ans, *xs)`, returning one gradient per
    input (a tuple; a single value is accepted for one input; `None` for an input
    not differentiated), or as `derivatives=(df_dx, df_dy, ...)`, the partial
    derivatives as functions of the inputs (`None` for an input not
    differentiated). For example::

        cube = autograd.defop("cube", lambda x: x ** 3, derivatives=[lambda x: 3 * x ** 2])
        y = cube(Value(2.0))          # a Value in the graph; cube(2.0) is the float 8.0

    `domain` gives, per input, a (low, high) range where gradcheck and `deltagrad
    check` sample the op; the rule is tried there once now, so a rule that
    returns the wrong number of gradients is refused here, not at backward.
    `array_forward` and `array_vjp`, the same on NumPy arrays, let
    `autograd.compile` replay the op over a batch. Registering a name again
    replaces that custom op (re-running a notebook cell); the op table's own
    ops cannot be redefined.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"defop: the name must be a non-empty string, got {name!r}")
    if name in BUILTIN_NAMES:
        # Value's operators and methods are bound to the built-in Op objects.
        raise ValueError(f"defop: {name!r} is a built-in op and cannot be redefined; choose another name")
    if (vjp is None) == (derivatives is None):
        raise TypeError(f"defop({name!r}): give exactly one of vjp= or derivatives=")
    if arity == -1:
        arity = len(derivatives) if derivatives is not None else _arity_of(vjp, name)
    rule = _rule_from_derivatives(name, list(derivatives), arity) if vjp is None else _checked_vjp(name, vjp, arity)
    op = Op(name, forward, rule, arity=arity, nondiff=nondiff, formula=formula,
            domain=domain or [(-3.0, 3.0)] * (arity or 1), kinks=kinks, explain=explain, doc=doc,
            array_forward=array_forward, array_vjp=array_vjp)
    return register(op)


def register(op: Op) -> Op:
    """Adds `op` to the table, after trying its rule once (see `_nondiff_at_a_point`)."""
    op.nondiff = tuple(sorted(set(op.nondiff) | _nondiff_at_a_point(op)))
    REGISTRY[op.name] = op
    return op


def _arity_of(vjp: Callable[..., Any], name: str) -> int:
    """A vjp's inputs: its required positional parameters after (g, ans)."""
    try:
        params = inspect.signature(vjp).parameters.values()
    except (TypeError, ValueError):
        raise TypeError(f"defop({name!r}): cannot read the vjp's parameters; pass arity=") from None
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty for p in params) - 2


def _rule_from_derivatives(name: str, derivatives: list[Any], arity: int | None) -> Callable[..., tuple[Any, ...]]:
    """The vjp of partial derivatives: g · ∂f/∂xᵢ for each input, None where no partial is given."""
    if arity is None or len(derivatives) != arity:
        raise TypeError(f"defop({name!r}): {len(derivatives)} derivatives given for an op of {arity} input(s)")
    if arity == 1 and derivatives[0] is not None:
        (d,) = derivatives
        return lambda g, ans, x: (g * d(x),)
    return lambda g, ans, *xs: tuple(None if d is None else g * d(*xs) for d in derivatives)


def _checked_vjp(name: str, vjp: Callable[..., Any], arity: int | None) -> Callable[..., tuple[Any, ...]]:
    """A user's vjp, its result checked on every call: a tuple of one gradient
    per input (a lone value is taken for a one-input op), or a TypeError that
    names the op, the count expected and what came back."""

    def rule(g: Any, ans: Any, *xs: Any) -> tuple[Any, ...]:
        grads = vjp(g, ans, *xs)
        if isinstance(grads, (tuple, list)):
            if len(grads) == len(xs):
                return tuple(grads)
        elif len(xs) == 1:
            return (grads,)
        raise TypeError(f"op {name!r}: its vjp must return {len(xs)} gradient(s), one per input, "
                        f"got {short(grads)}")

    rule.__name__ = f"vjp of {name}"
    rule.__wrapped__ = vjp  # type: ignore[attr-defined]
    return rule


def _nondiff_at_a_point(op: Op) -> set[int]:
    """Tries the rule once, at the first point of the domain where the forward
    is defined: a rule that returns the wrong number of gradients fails here,
    at registration; the inputs it gives None for are the op's constants."""
    for xs in _probe_points(op):
        try:
            ans = op.forward(*xs)
        except DOMAIN_ERRORS:
            continue
        try:
            grads = op.vjp(1.0, ans, *xs)
        except DOMAIN_ERRORS:
            continue
        if not isinstance(grads, tuple) or len(grads) != len(xs):
            raise TypeError(f"defop({op.name!r}): the rule must return a tuple of {len(xs)} gradient(s), "
                            f"one per input, got {short(grads)} at {xs}")
        return {i for i, gx in enumerate(grads) if gx is None}
    return set()


def _probe_points(op: Op) -> list[tuple[float, ...]]:
    """The middle, then the quarter points, of the op's domain."""
    return [tuple(lo + t * (hi - lo) for lo, hi in op.domain) for t in (0.5, 0.25, 0.75)]
