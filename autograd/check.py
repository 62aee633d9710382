"""Gradients checked against central finite differences, and the functional API.

- `gradcheck(f, inputs)`: the whole function's gradient, `backward()` against
  (f(x + eps) − f(x − eps)) / 2 eps for every input.
- `check_ops(root)`: every op node of a graph on its own, its rule's local
  derivative against a finite difference of that op's forward alone, so a wrong
  rule is named, not only a wrong end result.
- `grad(f)`, `value_and_grad(f)`: a function of floats into its gradient.

Central differences err by O(eps²) from truncation and O(ε_machine / eps) from
round-off; eps = 1e-6 balances the two for values of order one.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .engine import REGISTRY, Op, Value, _local_grads, _real, topological_order
from .report import format_table


@dataclass(frozen=True)
class CheckRow:
    """One derivative compared: `where` names it (an input, or op and input)."""

    where: str
    analytic: float
    numeric: float
    ok: bool
    note: str = ""

    @property
    def abs_error(self) -> float:
        return abs(self.analytic - self.numeric)

    @property
    def rel_error(self) -> float:
        scale = max(abs(self.analytic), abs(self.numeric))
        return self.abs_error / scale if scale > 0 else 0.0


@dataclass
class CheckReport:
    """Rows of compared derivatives; `ok` when all agree. Its repr is a table."""

    title: str
    rows: list[CheckRow] = field(default_factory=list)
    nodes: list[Value] = field(default_factory=list, repr=False)  # check_ops: the op node of each row

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.rows)

    def __bool__(self) -> bool:
        return self.ok

    @property
    def failures(self) -> list[CheckRow]:
        return [r for r in self.rows if not r.ok]

    @property
    def max_abs_error(self) -> float:
        return max((r.abs_error for r in self.rows), default=0.0)

    def failed_nodes(self) -> list[Value]:
        """check_ops: the op nodes whose local derivative disagrees."""
        return [n for n, r in zip(self.nodes, self.rows) if not r.ok]

    def table(self) -> str:
        header = ("input", "analytic", "numeric", "abs error", "rel error", "ok")
        body = [(r.where, f"{r.analytic:.10g}", f"{r.numeric:.10g}", f"{r.abs_error:.3g}",
                 f"{r.rel_error:.3g}", ("ok" if r.ok else "FAIL") + (f" ({r.note})" if r.note else ""))
                for r in self.rows]
        verdict = "all ok" if self.ok else f"{len(self.failures)} of {len(self.rows)} FAILED"
        return f"{self.title}: {verdict}\n" + format_table(header, body)

    def __repr__(self) -> str:
        return self.table()

    __str__ = __repr__

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(self.table())}</pre>"


class GradcheckError(AssertionError):
    """A gradient disagrees with finite differences; `.report` holds the table."""

    def __init__(self, report: CheckReport) -> None:
        super().__init__(str(report))
        self.report = report


def _agrees(analytic: float, numeric: float, atol: float, rtol: float) -> bool:
    return abs(analytic - numeric) <= atol + rtol * abs(numeric)


def _check_tolerances(eps: float, atol: float, rtol: float) -> None:
    for name, v in (("eps", eps), ("atol", atol), ("rtol", rtol)):
        if not (isinstance(v, (int, float)) and math.isfinite(v) and v >= 0):
            raise ValueError(f"{name} must be a finite number >= 0, got {v!r}")
    if eps == 0:
        raise ValueError("eps must be > 0")


def _evaluate(f: Callable[..., Any], xs: Sequence[float]) -> Value:
    out = f(*[Value(x) for x in xs])
    if isinstance(out, Value):
        return out
    try:
        return Value(out)  # a function that does not depend on its inputs
    except TypeError:
        raise TypeError(f"gradcheck: f must return a Value or a number, got {type(out).__name__}") from None


def _name(f: Callable[..., Any]) -> str:
    return getattr(f, "__name__", type(f).__name__)


def gradcheck(
    f: Callable[..., Any],
    inputs: Sequence[Any],
    eps: float = 1e-6,
    atol: float = 1e-6,
    rtol: float = 1e-4,
    raise_on_fail: bool = False,
) -> CheckReport:
    """Compares `backward()` through `f(*inputs)` with central finite differences
    for every input; `f` takes and returns Values. An input agrees when
    |analytic − numeric| <= atol + rtol·|numeric|."""
    _check_tolerances(eps, atol, rtol)
    inputs = [inputs] if isinstance(inputs, (Value, int, float)) else list(inputs)  # a generator is read once
    names = [(x.label if isinstance(x, Value) and x.label else f"x{i}") for i, x in enumerate(inputs)]
    xs = [x.data if isinstance(x, Value) else _real(x, f"gradcheck: input {i}") for i, x in enumerate(inputs)]
    leaves = [Value(x) for x in xs]
    out = f(*leaves)
    if not isinstance(out, Value):
        _real(out, "gradcheck: the result of f")
        out = Value(out)
    out.backward()
    report = CheckReport(f"gradcheck of {_name(f)}")
    for i, leaf in enumerate(leaves):
        numeric, note = _difference(lambda ys: _evaluate(f, ys).data, xs, i, eps)
        report.rows.append(CheckRow(names[i], leaf.grad, numeric, _agrees(leaf.grad, numeric, atol, rtol), note))
    if raise_on_fail and not report.ok:
        raise GradcheckError(report)
    return report


def _difference(fn: Callable[[list[float]], float], xs: Sequence[float], i: int, eps: float) -> tuple[float, str]:
    """∂fn/∂xs[i] ≈ (fn(.., xᵢ + eps, ..) − fn(.., xᵢ − eps, ..)) / 2 eps, the
    central difference (error O(eps²)). Within eps of the edge of fn's domain
    (log at 1e-7, sqrt at 0) one side is undefined: then the one-sided difference
    on the other side (error O(eps)), and a note saying so."""
    up, down = list(xs), list(xs)
    up[i] += eps
    down[i] -= eps
    at = list(xs)
    sides = ((up, down, 2 * eps, ""), (up, at, eps, "one-sided (+)"), (at, down, eps, "one-sided (−)"))
    for hi, lo, width, note in sides:
        try:
            return (fn(hi) - fn(lo)) / width, note
        except (ValueError, ZeroDivisionError, OverflowError):
            continue
    raise ValueError(f"no finite difference exists at {list(xs)!r}: the function is undefined on both sides "
                     f"of input {i} within eps={eps}")


def check_ops(root: Value, eps: float = 1e-6, atol: float = 1e-6, rtol: float = 1e-4,
              raise_on_fail: bool = False) -> CheckReport:
    """Checks the local derivative of every op node in `root`'s graph against a
    finite difference of that op's forward, input by input. Inputs the op treats
    as constants (an exponent, a slope) are skipped, and so are points within
    `eps` of a kink (relu at 0), where no derivative exists to compare."""
    _check_tolerances(eps, atol, rtol)
    report = CheckReport("per-op check")
    for k, node in enumerate(n for n in topological_order(root) if n._rule is not None):
        rule = node._rule
        xs = [x.data for x in node._inputs]
        local = _local_grads(rule, 1.0, node.data, xs)
        for i, x in enumerate(xs):
            if i in rule.nondiff:
                continue
            where = f"{node.label or f'#{k}'} {rule.name} ∂/∂in{i}"
            numeric, note = _difference(lambda ys, op=rule: op.compute(*ys), xs, i, eps)
            near_kink = i == 0 and any(abs(x - c) <= eps for c in rule.kinks)
            ok = near_kink or _agrees(local[i], numeric, atol, rtol)
            report.rows.append(CheckRow(where, float(local[i]), numeric, ok, "at a kink" if near_kink else note))
            report.nodes.append(node)
    if raise_on_fail and not report.ok:
        raise GradcheckError(report)
    return report


# ---- the functional API ------------------------------------------------------

def value_and_grad(f: Callable[..., Any], argnums: int | Sequence[int] = 0) -> Callable[..., tuple[float, Any]]:
    """`f(*args) -> (f's value, its gradient)` for the arguments at `argnums`: a
    float for one index, a tuple for a tuple of indices (as JAX and HIPS autograd)."""
    try:
        indices = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    except TypeError:
        indices = ()  # not an int and not iterable: the error below names it
    if not indices or not all(isinstance(i, int) for i in indices):
        raise TypeError(f"argnums must be an int or a non-empty tuple of ints, got {argnums!r}")

    def wrapped(*args: Any) -> tuple[float, Any]:
        for i in indices:
            if not -len(args) <= i < len(args):
                raise IndexError(f"argnums {i} is out of range for {len(args)} argument(s) of {_name(f)}")
        args = list(args)
        leaves = {}
        for i in indices:
            j = i % len(args)  # argnums may repeat a position, or name it from the end
            if j not in leaves:
                leaves[j] = args[j] = Value(_real(args[j], f"{_name(f)}: argument {j}"))
        out = f(*args)
        if isinstance(out, Value):
            out.backward()
            value = out.data
        else:
            value = _real(out, f"the result of {_name(f)}")  # independent of the inputs
        grads = tuple(leaves[i % len(args)].grad for i in indices)
        return value, (grads[0] if isinstance(argnums, int) else grads)

    wrapped.__name__ = f"value_and_grad({_name(f)})"
    return wrapped


def grad(f: Callable[..., Any], argnums: int | Sequence[int] = 0) -> Callable[..., Any]:
    """`f(*args) -> gradient` at `argnums`; see `value_and_grad`."""
    vg = value_and_grad(f, argnums)

    def wrapped(*args: Any) -> Any:
        return vg(*args)[1]

    wrapped.__name__ = f"grad({_name(f)})"
    return wrapped


__all__ = ["CheckReport", "CheckRow", "GradcheckError", "gradcheck", "check_ops", "check_op", "check_all_ops",
           "sample_points", "grad", "value_and_grad"]


# ---- every op of the table ----------------------------------------------------

def sample_points(op: Op, count: int = 5) -> list[tuple[float, ...]]:
    """`count` deterministic points spread over the op's domain, each input at
    its own fraction of its range, nudged off the op's kinks."""
    points = []
    for k in range(count):
        point = []
        for i, (lo, hi) in enumerate(op.domain):
            t = ((k + 0.5) / count + 0.37 * i) % 1.0  # inputs do not move in lock-step
            x = lo + t * (hi - lo)
            if i == 0 and any(abs(x - c) < 1e-3 for c in op.kinks):
                x += 0.05 * (hi - lo)
            point.append(x)
        points.append(tuple(point))
    return points


def check_op(op: Op, count: int = 5, **tolerances: float) -> CheckReport:
    """gradcheck of one op at `count` points of its domain, over the inputs it
    differentiates (an exponent or a slope is held constant)."""
    report = CheckReport(f"gradcheck of op {op.name!r}")
    for point in sample_points(op, count):
        free = [i for i in range(len(point)) if i not in op.nondiff]

        def f(*xs: Value, point: tuple[float, ...] = point, free: list[int] = free) -> Value:
            args: list[Any] = list(point)
            for i, x in zip(free, xs):
                args[i] = x
            return op(*args)

        sub = gradcheck(f, [point[i] for i in free], **tolerances)
        at = ", ".join(f"{x:.3g}" for x in point)
        report.rows += [CheckRow(f"{op.name}({at}) ∂/∂in{i}", r.analytic, r.numeric, r.ok)
                        for i, r in zip(free, sub.rows)]
    return report


def check_all_ops(count: int = 5, **tolerances: float) -> CheckReport:
    """`check_op` for every op in the registry, built-in and custom, as one report."""
    report = CheckReport("gradcheck of every registered op")
    for op in list(REGISTRY.values()):
        report.rows += check_op(op, count, **tolerances).rows
    return report
