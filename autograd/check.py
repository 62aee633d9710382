"""Gradients checked against central finite differences, and the functional API.

- `gradcheck(f, inputs)`: the whole function's gradient, `backward()` against
  (f(x + eps) − f(x − eps)) / 2 eps for every input.
- `check_ops(root)`: every op node of a graph on its own, its rule's local
  derivative against a finite difference of that op's forward alone, so a wrong
  rule is named, not only a wrong end result.
- `check_op(op)`, `check_all_ops()`: every op of the table over its domain.

Central differences err by O(eps²) from truncation and O(ε_machine / eps) from
round-off; eps = 1e-6 balances the two for values of order one.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .engine import HandWritten, Value, topological_order
from .functional import grad, value_and_grad  # they lived here first: `from autograd.check import grad` works
from .registry import DOMAIN_ERRORS, REGISTRY, Op
from .report import format_table
from .validate import hyperparameter, real


@dataclass(frozen=True)
class CheckRow:
    """One derivative compared: `where` names it (an input, or op and input)."""

    where: str
    analytic: float
    numeric: float
    ok: bool
    note: str = ""
    checked: bool = True  # False: listed, with the reason in `note`, but nothing was compared

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
                 f"{r.rel_error:.3g}", _verdict(r))
                for r in self.rows]
        verdict = "all ok" if self.ok else f"{len(self.failures)} of {len(self.rows)} FAILED"
        unchecked = sum(not r.checked for r in self.rows)
        verdict += f" ({unchecked} not checked)" if unchecked else ""
        return f"{self.title}: {verdict}\n" + format_table(header, body)

    def __repr__(self) -> str:
        return self.table()

    __str__ = __repr__

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(self.table())}</pre>"


_NO_DIFFERENCE = "not checked: the function is undefined on both sides, so no finite difference exists"


def _verdict(row: CheckRow) -> str:
    if not row.checked:
        return row.note
    return ("ok" if row.ok else "FAIL") + (f" ({row.note})" if row.note else "")


class GradcheckError(AssertionError):
    """A gradient disagrees with finite differences; `.report` holds the table."""

    def __init__(self, report: CheckReport) -> None:
        super().__init__(str(report))
        self.report = report


def _agrees(analytic: float, numeric: float, atol: float, rtol: float) -> bool:
    return abs(analytic - numeric) <= atol + rtol * abs(numeric)


def _check_tolerances(eps: Any, atol: Any, rtol: Any) -> tuple[float, float, float]:
    """The step and tolerances as floats (NumPy scalars welcome): eps > 0, the others >= 0."""
    return (hyperparameter(eps, "eps", low=0.0, low_open=True), hyperparameter(atol, "atol", low=0.0),
            hyperparameter(rtol, "rtol", low=0.0))


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
    eps, atol, rtol = _check_tolerances(eps, atol, rtol)
    inputs = [inputs] if isinstance(inputs, (Value, int, float)) else list(inputs)  # a generator is read once
    names = [(x.label if isinstance(x, Value) and x.label else f"x{i}") for i, x in enumerate(inputs)]
    xs = [x.data if isinstance(x, Value) else real(x, f"gradcheck: input {i}") for i, x in enumerate(inputs)]
    leaves = [Value(x) for x in xs]
    out = f(*leaves)
    if not isinstance(out, Value):
        real(out, "gradcheck: the result of f")
        out = Value(out)
    out.backward()
    report = CheckReport(f"gradcheck of {_name(f)}")
    for i, leaf in enumerate(leaves):
        try:
            numeric, note = _difference(lambda ys: _evaluate(f, ys).data, xs, i, eps)
        except ValueError:
            report.rows.append(CheckRow(names[i], leaf.grad, math.nan, True, _NO_DIFFERENCE, False))
            continue
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
    as constants (an exponent, a slope given as a number) are skipped, and so are
    points within `eps` of a kink (relu at 0), where no derivative exists to
    compare. A derivative that no finite difference can reach (the exponent of a
    negative base) is listed as not checked, never as a failure."""
    eps, atol, rtol = _check_tolerances(eps, atol, rtol)
    report = CheckReport("per-op check")
    for k, node in enumerate(n for n in topological_order(root) if n._rule is not None):
        for row in _node_rows(node, f"{node.label or f'#{k}'} {node.op}", eps, atol, rtol):
            report.rows.append(row)
            report.nodes.append(node)
    if raise_on_fail and not report.ok:
        raise GradcheckError(report)
    return report


def _node_rows(node: Value, name: str, eps: float, atol: float, rtol: float) -> list[CheckRow]:
    """One row per differentiated input of one op node."""
    rule = node._rule
    if isinstance(rule, HandWritten):
        return [CheckRow(f"{name}", math.nan, math.nan, True, "not checked: a hand-written _backward", False)]
    xs = [x.data for x in node.inputs]
    try:
        local = rule.vjp(1.0, node.data, *xs)
    except DOMAIN_ERRORS as err:
        return [CheckRow(f"{name}", math.nan, math.nan, True, f"not checked: the rule fails here ({err})", False)]
    rows = []
    for i, gx in enumerate(local):
        if gx is None or i in rule.nondiff:
            continue
        where = f"{name} ∂/∂in{i}"
        try:
            numeric, note = _difference(lambda ys, op=rule: op.compute(*ys), xs, i, eps)
        except ValueError:
            rows.append(CheckRow(where, float(gx), math.nan, True, _NO_DIFFERENCE, False))
            continue
        near_kink = i == 0 and any(abs(xs[0] - c) <= eps for c in rule.kinks)
        ok = near_kink or _agrees(float(gx), numeric, atol, rtol)
        rows.append(CheckRow(where, float(gx), numeric, ok, "at a kink" if near_kink else note))
    return rows


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
