"""Gradient checks for your own pytest tests, and hypothesis strategies.

    from autograd.testing import assert_gradcheck, assert_ops

    def test_swish_has_the_right_gradient():
        assert_gradcheck(lambda x: x * x.sigmoid(), [0.3], points=20)

    def test_every_op_of_my_model_is_right():
        assert_ops(model(x), points=5)

Both raise `AssertionError` whose message is the check's table (the failing
ops named first), with their own frames hidden from pytest's traceback, so the
failure points at your test. `points=N` also checks N random points of the
ops' domains (drawn with `random.Random(seed)`, so a failure reproduces). Both
take graphs of a micrograd-style class of your own too (see `gradcheck`).

For property tests, `values()` and `expressions()` are hypothesis strategies
for Values and for random expressions over the op table; hypothesis is needed
only when they are called.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from . import foreign
from .check import CheckReport, CheckRow, check_op, check_ops, gradcheck, random_points
from .engine import Value
from .registry import DOMAIN_ERRORS, REGISTRY, Op

# ---- assertions ------------------------------------------------------------------


def assert_gradcheck(f: Callable[..., Any], inputs: Sequence[Any], *, points: int = 0, seed: int = 0,
                     eps: float = 1e-6, atol: float = 1e-6, rtol: float = 1e-4,
                     value_type: type | None = None) -> CheckReport:
    """`gradcheck(f, inputs)`, failing the test when a gradient disagrees. With
    `points=N`, also at N random points: each input drawn from the domains of
    the ops that take it directly (log's (0.05, 10), `+`'s (-5, 5); ±1 around
    the given value for an input no op of the table takes), skipping points
    where f is undefined. Returns the report when all agree."""
    __tracebackhide__ = True
    tolerances = {"eps": eps, "atol": atol, "rtol": rtol}
    report = gradcheck(f, inputs, value_type=value_type, **tolerances)
    if points:
        report = _with_random_points(report, f, inputs, points, seed, value_type, tolerances)
    if not report.ok:
        raise AssertionError(_message(report, _failing_inputs(report)))
    return report


def assert_ops(root: Any, *, points: int = 0, seed: int = 0, eps: float = 1e-6, atol: float = 1e-6,
               rtol: float = 1e-4) -> CheckReport:
    """`check_ops(root)`, failing the test when an op node's derivative (or a
    hand-written `_backward`) is wrong. With `points=N`, every op of the table
    found in the graph is also checked at N random points of its domain.
    Returns the report when all agree."""
    __tracebackhide__ = True
    tolerances = {"eps": eps, "atol": atol, "rtol": rtol}
    report = check_ops(root, **tolerances)
    if points:
        rng = random.Random(seed)
        for op in _ops_in(root):
            report.rows += check_op(op, points=random_points(op, points, rng), **tolerances).rows
    if not report.ok:
        raise AssertionError(_message(report, _failing_ops(report)))
    return report


def _message(report: CheckReport, failing: list[str]) -> str:
    return f"{', '.join(failing)} {'fails' if len(failing) == 1 else 'fail'}\n{report.table()}"


def _failing_ops(report: CheckReport) -> list[str]:
    """The names of the ops whose rows fail, each once: `op 'tanh'`."""
    names = []
    for k, row in enumerate(report.rows):
        if not row.ok:
            name = foreign.op_name(report.nodes[k]) if k < len(report.nodes) else row.where.split("(")[0]
            names.append(f"op {name!r}")
    return list(dict.fromkeys(names))


def _failing_inputs(report: CheckReport) -> list[str]:
    return list(dict.fromkeys(f"the gradient of {row.where.split(' at ')[0]}" for row in report.failures))


def _with_random_points(report: CheckReport, f: Callable[..., Any], inputs: Sequence[Any], points: int, seed: int,
                        value_type: type | None, tolerances: dict[str, float]) -> CheckReport:
    """The report with rows for `points` random points added ('x0 at (0.3, 1.2)')."""
    given = [inputs] if isinstance(inputs, (int, float)) or foreign.is_node(inputs) else list(inputs)
    xs = [float(x.data) if foreign.is_node(x) else float(x) for x in given]
    make = foreign.value_maker(given, value_type, Value)
    boxes = _input_domains(f, xs, make)
    rng = random.Random(seed)
    combined = CheckReport(f"{report.title}, at the given point and {points} random points", list(report.rows))
    for _ in range(points):
        point = _defined_point(f, boxes, make, rng)
        if point is None:
            combined.rows.append(CheckRow("random point", math.nan, math.nan, True,
                                          "not checked: f is undefined at 100 random points of its ops' domains",
                                          False))
            continue
        at = ", ".join(f"{x:.4g}" for x in point)
        sub = gradcheck(f, point, value_type=make, **tolerances)
        combined.rows += [CheckRow(f"{r.where} at ({at})", r.analytic, r.numeric, r.ok, r.note, r.checked)
                          for r in sub.rows]
    return combined


def _input_domains(f: Callable[..., Any], xs: list[float], make: Callable[[float], Any]) -> list[tuple[float, float]]:
    """Per input, the intersection of the domains of the ops that take it
    directly in f's graph at `xs`, and the kinks of those ops."""
    leaves = [make(x) for x in xs]
    out = f(*leaves)
    boxes = [(-math.inf, math.inf)] * len(xs)
    if foreign.is_node(out):
        position = {id(leaf): i for i, leaf in enumerate(leaves)}
        for node in foreign.topological_order(out):
            operands = foreign.inputs_of(node)
            for reading in foreign.readings(node)[1][:1]:
                for p, k in enumerate(reading.operands):
                    i = position.get(id(operands[k])) if type(k) is int else None
                    if i is not None and p < len(reading.op.domain):
                        lo, hi = reading.op.domain[p]
                        boxes[i] = (max(boxes[i][0], lo), min(boxes[i][1], hi))
    return [(x - 1.0, x + 1.0) if lo == -math.inf or lo >= hi else (lo, hi) for x, (lo, hi) in zip(xs, boxes)]


def _defined_point(f: Callable[..., Any], boxes: list[tuple[float, float]], make: Callable[[float], Any],
                   rng: random.Random) -> list[float] | None:
    for _ in range(100):
        point = [rng.uniform(lo, hi) for lo, hi in boxes]
        try:
            out = f(*[make(x) for x in point])
            if not foreign.is_node(out) or math.isfinite(float(out.data)):
                return point
        except DOMAIN_ERRORS:
            continue
    return None


def _ops_in(root: Any) -> list[Op]:
    """The ops of the table that nodes of root's graph are, each once."""
    found: dict[str, Op] = {}
    for node in foreign.topological_order(root):
        for reading in foreign.readings(node)[1][:1]:
            found.setdefault(reading.op.name, reading.op)
    return list(found.values())


# ---- hypothesis strategies ---------------------------------------------------------

def _strategies() -> Any:
    """hypothesis.strategies, imported only when a strategy is asked for."""
    try:
        from hypothesis import strategies
    except ImportError:
        raise ImportError("autograd.testing.values() and expressions() are hypothesis strategies and need "
                          "hypothesis, which is not installed: pip install hypothesis") from None
    return strategies


def values(min_value: float = -3.0, max_value: float = 3.0, *, label: str = "") -> Any:
    """A hypothesis strategy of leaf Values with finite data in [min_value, max_value]."""
    st = _strategies()
    return st.floats(min_value, max_value, allow_nan=False, allow_infinity=False).map(lambda x: Value(x, label))


@dataclass(frozen=True)
class _Term:
    """A node of a random expression: an input (`op` None, `index` set), a
    constant (`op` None, `constant` set) or an op over sub-terms. `value` is
    its value at the expression's inputs."""

    value: float
    op: Op | None = None
    args: tuple[_Term, ...] = ()
    index: int = -1
    constant: float = 0.0

    def evaluate(self, xs: Sequence[Any]) -> Any:
        if self.op is None:
            return xs[self.index] if self.index >= 0 else self.constant
        return self.op(*[a.evaluate(xs) for a in self.args])

    def text(self, nested: bool = False) -> str:
        """The term as a formula: `tanh(x0 * 1.5) + exp(x1)`."""
        if self.op is None:
            return f"x{self.index}" if self.index >= 0 else f"{self.constant:g}"
        if self.op.arity == 2 and not self.op.name.isidentifier():
            infix = f"{self.args[0].text(True)} {self.op.name} {self.args[1].text(True)}"
            return f"({infix})" if nested else infix
        return f"{self.op.name}({', '.join(a.text() for a in self.args)})"


class Expression:
    """A random expression over inputs x0, x1, ... (from `expressions()`):
    call it with Values (or numbers) as a function; `inputs` is the point it was
    drawn at, where every op is inside its domain, off its kinks, and every
    intermediate value moderate, so gradcheck can judge it there."""

    def __init__(self, term: _Term, inputs: list[float]) -> None:
        self.term = term
        self.inputs = inputs
        self.__name__ = term.text()

    def __call__(self, *xs: Any) -> Any:
        return self.term.evaluate(xs)

    def graph(self) -> Value:
        """The expression built from Values at `inputs`, labelled x0, x1, ..."""
        out = self(*[Value(x, f"x{i}") for i, x in enumerate(self.inputs)])
        return out if isinstance(out, Value) else Value(out)

    def __repr__(self) -> str:
        return f"Expression({self.__name__!r} at {self.inputs})"


def expressions(n_inputs: int = 2, *, ops: Sequence[Op | str] | None = None, max_leaves: int = 6,
                min_value: float = -2.0, max_value: float = 2.0, bound: float = 100.0) -> Any:
    """A hypothesis strategy of random `Expression`s over `n_inputs` inputs
    drawn from [min_value, max_value], built from `ops` (names or Ops; default
    every built-in op). Each op is applied only where it is inside its domain
    (the op table's), at least 1e-3 from a kink, with a result no larger than
    `bound`: a drawn expression is one a gradient check can judge exactly."""
    st = _strategies()
    chosen = [REGISTRY[o] if isinstance(o, str) else o for o in ops] if ops is not None else _default_ops()

    @st.composite
    def draw_expression(draw: Any) -> Expression:
        xs = draw(st.lists(st.floats(min_value, max_value), min_size=n_inputs, max_size=n_inputs))
        leaf = st.one_of(st.integers(0, n_inputs - 1).map(lambda i: _Term(xs[i], index=i)),
                         st.floats(-2.0, 2.0).map(lambda c: _Term(c, constant=c)))
        term = draw(st.recursive(leaf, lambda children: st.one_of([_op_term(st, op, children, bound)
                                                                    for op in chosen]), max_leaves=max_leaves))
        return Expression(term, xs)

    return draw_expression()


def _default_ops() -> list[Op]:
    from .ops import builtin_ops

    return builtin_ops()


def _op_term(st: Any, op: Op, children: Any, bound: float) -> Any:
    """Terms applying `op` to drawn sub-terms (a constant where the op takes one:
    `**`'s exponent). Operands outside the op's domain are drawn again, a few
    times, before the example is given up. (A composite over a closure: its
    repr stays short, where `tuples(...).map(...)` would nest the whole recursion.)"""
    from hypothesis import assume

    arity = op.arity if op.arity is not None else 3
    parts = []
    for i in range(arity):
        if i in op.nondiff and i < len(op.domain):
            lo, hi = op.domain[i]
            # an integer exponent keeps a negative base defined
            parts.append(st.integers(math.ceil(lo), math.floor(hi)).map(lambda c: _Term(float(c), constant=float(c))))
        else:
            parts.append(children)

    @st.composite
    def applied(draw: Any) -> _Term:
        for _ in range(3):
            term = _applied(op, tuple(draw(part) for part in parts))
            if term is not None and abs(term.value) <= bound:
                return term
        assume(False)
        raise AssertionError("unreachable: assume(False) rejects the example")

    return applied()


def _applied(op: Op, args: tuple[_Term, ...]) -> _Term | None:
    """`op` over `args` when every operand is inside the op's domain and off its kinks, else None."""
    xs = [a.value for a in args]
    for i, x in enumerate(xs):
        lo, hi = op.domain[min(i, len(op.domain) - 1)]
        if not (lo <= x <= hi) and i not in op.nondiff:
            return None
    if any(abs(xs[0] - c) < 1e-3 for c in op.kinks):
        return None
    try:
        value = op.forward(*xs)
    except DOMAIN_ERRORS:
        return None
    return _Term(value, op, tuple(args)) if math.isfinite(value) else None


__all__ = ["Expression", "assert_gradcheck", "assert_ops", "expressions", "values"]
