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
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import foreign
from .engine import Value, topological_order
from .functional import grad, value_and_grad  # they lived here first: `from autograd.check import grad` works
from .registry import DOMAIN_ERRORS, REGISTRY, Op
from .report import format_table
from .validate import hyperparameter, real, short


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
    nodes: list[Any] = field(default_factory=list, repr=False)  # check_ops: the op node of each row

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

    def failed_nodes(self) -> list[Any]:
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


def _evaluate(f: Callable[..., Any], make: Callable[[float], Any], xs: Sequence[float]) -> float:
    """f's value at `xs`, its inputs made by `make` (a Value class)."""
    out = f(*[make(x) for x in xs])
    return float(out.data) if foreign.is_node(out) else real(out, "gradcheck: the result of f")


def _name(f: Callable[..., Any]) -> str:
    return getattr(f, "__name__", type(f).__name__)


def gradcheck(
    f: Callable[..., Any],
    inputs: Sequence[Any],
    eps: float = 1e-6,
    atol: float = 1e-6,
    rtol: float = 1e-4,
    raise_on_fail: bool = False,
    *,
    value_type: type | None = None,
) -> CheckReport:
    """Compares `backward()` through `f(*inputs)` with central finite differences
    for every input; `f` takes and returns Values. An input agrees when
    |analytic − numeric| <= atol + rtol·|numeric|.

    `f` may build with a micrograd-style class of your own (a learner's `Value`
    with `data`, `grad`, `_prev`, `_op`, `_backward` and `backward()`): the
    leaves are made with `value_type` when given, else with the class of the
    first input that is such a node, else with deltagrad's Value; the gradients
    are then that class's own. At a kink of an op in the graph (relu at 0) the
    central difference straddles it and the row fails, noting the one-sided
    derivatives."""
    eps, atol, rtol = _check_tolerances(eps, atol, rtol)
    single = isinstance(inputs, (int, float)) or foreign.is_node(inputs)
    inputs = [inputs] if single else list(inputs)  # a generator is read once
    make = foreign.value_maker(inputs, value_type, Value)
    names = [(foreign.label_of(x) if foreign.is_node(x) else "") or f"x{i}" for i, x in enumerate(inputs)]
    xs = [_input_number(x, i) for i, x in enumerate(inputs)]
    leaves = [make(x) for x in xs]
    out = f(*leaves)
    if foreign.is_node(out):
        _run_backward(out)
    else:
        real(out, "gradcheck: the result of f")  # a number: f does not depend on its inputs
    evaluate = lambda ys: _evaluate(f, make, ys)  # noqa: E731
    report = CheckReport(f"gradcheck of {_name(f)}")
    for i, leaf in enumerate(leaves):
        analytic = _gradient_of(leaf, names[i])
        try:
            numeric, note = _difference(evaluate, xs, i, eps)
        except ValueError:
            report.rows.append(CheckRow(names[i], analytic, math.nan, True, _NO_DIFFERENCE, False))
            continue
        ok = _agrees(analytic, numeric, atol, rtol)
        if not ok and foreign.is_node(out):
            note = _kink_in_graph(out, evaluate, xs, i, eps, atol, rtol) or note
        report.rows.append(CheckRow(names[i], analytic, numeric, ok, note))
    if raise_on_fail and not report.ok:
        raise GradcheckError(report)
    return report


def _input_number(x: Any, i: int) -> float:
    if foreign.is_node(x):
        return real(x.data, f"gradcheck: the data of input {i}")
    return real(x, f"gradcheck: input {i}")


def _run_backward(out: Any) -> None:
    backward = getattr(out, "backward", None)
    if not callable(backward):
        raise TypeError(f"gradcheck: {type(out).__name__} has no backward() to compute gradients with")
    backward()


def _gradient_of(leaf: Any, name: str) -> float:
    grad = 0.0 if leaf.grad is None else foreign.number(leaf.grad)
    if grad is None:
        raise TypeError(f"gradcheck: after backward() the gradient of {name} is {short(leaf.grad)}, not a number")
    return grad


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


def check_ops(root: Any, eps: float = 1e-6, atol: float = 1e-6, rtol: float = 1e-4,
              raise_on_fail: bool = False) -> CheckReport:
    """Checks the local derivative of every op node in `root`'s graph against a
    finite difference of that op's forward, input by input. Inputs the op treats
    as constants (an exponent, a slope given as a number) are skipped. At a kink
    (relu at 0) the derivative passes when it lies between the one-sided ones,
    and the row says so. A derivative that no finite difference can reach (the
    exponent of a negative base) is listed as not checked, never as a failure.

    `root` may be a node of any micrograd-style class: a node whose
    `_backward` is hand-written has it called on its own and compared (see
    `_step_rows`); an op whose name deltagrad does not know is listed as not
    checked. Every data and grad of the graph is as it was afterwards."""
    eps, atol, rtol = _check_tolerances(eps, atol, rtol)
    if not foreign.is_node(root):
        raise TypeError(f"check_ops: root must be a Value (or a node of a micrograd-style class with "
                        f"{', '.join(foreign.NODE_ATTRIBUTES)}), got {short(root)}")
    nodes = topological_order(root) if isinstance(root, Value) else foreign.topological_order(root)
    report = CheckReport("per-op check")
    saved = foreign.snapshot(nodes)
    try:
        for k, node in enumerate(n for n in nodes if n._prev):
            name = f"{foreign.label_of(node) or f'#{k}'} {foreign.op_name(node)}"
            by_table = isinstance(node, Value) and isinstance(node._rule, Op)
            for row in (_node_rows if by_table else _step_rows)(node, name, eps, atol, rtol):
                report.rows.append(row)
                report.nodes.append(node)
    finally:
        foreign.restore(saved)
    if raise_on_fail and not report.ok:
        raise GradcheckError(report)
    return report


def _node_rows(node: Value, name: str, eps: float, atol: float, rtol: float) -> list[CheckRow]:
    """One row per differentiated input of one node of the op table: its rule
    against a finite difference of the op's forward."""
    rule = node._rule
    xs = [x.data for x in node.inputs]
    try:
        local = rule.vjp(1.0, node.data, *xs)
    except DOMAIN_ERRORS as err:
        return [_not_checked(name, f"not checked: the rule fails here ({err})")]
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
        kink = _kink(rule, xs, i, eps)
        ok = kink.allows(float(gx), atol, rtol) if kink else _agrees(float(gx), numeric, atol, rtol)
        rows.append(CheckRow(where, float(gx), numeric, ok, str(kink) if kink else note))
    return rows


def _not_checked(where: str, why: str) -> CheckRow:
    return CheckRow(where, math.nan, math.nan, True, why, False)


# ---- kinks ---------------------------------------------------------------------

@dataclass(frozen=True)
class _Kink:
    """An op at a point where its derivative jumps, and the one-sided derivatives there."""

    op: str
    at: float
    left: float
    right: float

    def allows(self, derivative: float, atol: float, rtol: float) -> bool:
        """A derivative between the one-sided ones is a valid choice (a
        subgradient: relu'(0) = 0, as PyTorch; |x|'(0) = 0)."""
        low, high = sorted((self.left, self.right))
        return _agrees(derivative, min(max(derivative, low), high), atol, rtol)

    def __str__(self) -> str:
        return f"{self.op} at {self.at:g}: one-sided derivatives {self.left:.4g} and {self.right:.4g}"


def _kink(op: Op, xs: Sequence[float], i: int, eps: float) -> _Kink | None:
    """The kink of `op` within eps of operand i (only the first operand has kinks)."""
    near = [c for c in op.kinks if i == 0 and abs(xs[0] - c) <= eps]
    if not near:
        return None
    left, right = _one_sided(lambda ys: op.compute(*ys), xs, i, eps)
    return _Kink(op.name, near[0], left, right)


def _one_sided(fn: Callable[[list[float]], float], xs: Sequence[float], i: int, eps: float) -> tuple[float, float]:
    """(fn(x) − fn(x − eps)) / eps and (fn(x + eps) − fn(x)) / eps in input i."""
    up, down = list(xs), list(xs)
    up[i] += eps
    down[i] -= eps
    here = fn(list(xs))
    return (here - fn(down)) / eps, (fn(up) - here) / eps


def _kink_in_graph(root: Any, evaluate: Callable[[list[float]], float], xs: Sequence[float], i: int, eps: float,
                   atol: float, rtol: float) -> str:
    """Why gradcheck disagrees when f itself has a kink at input i: the op of the
    graph that sits at its kink, and f's one-sided derivatives, or ''."""
    try:
        left, right = _one_sided(evaluate, xs, i, eps)
    except DOMAIN_ERRORS:
        return ""
    if _agrees(left, right, atol, rtol):
        return ""  # no jump: the disagreement is not a kink's
    for node in foreign.topological_order(root):
        for reading in foreign.readings(node)[1][:1]:
            operand = reading.values([float(x.data) for x in foreign.inputs_of(node)])[0]
            at = [c for c in reading.op.kinks if type(reading.operands[0]) is int and abs(operand - c) <= 1e3 * eps]
            if at:
                return str(_Kink(reading.op.name, at[0], left, right))
    return ""


# ---- hand-written steps: a learner's micrograd, the lecture's closures ------------

# A step is called with an upstream gradient other than 1, so that one that
# forgets `* out.grad` is caught, and with a gradient already on every input,
# so that one that assigns (`=`) instead of adding (`+=`) is caught.
UPSTREAM, PRIOR = 1.5, 0.25

# What `check_ops` finds wrong with a hand-written step: each failing row's note starts with one.
WRONG_FORWARD = "wrong forward value"
WRONG_DERIVATIVE = "wrong derivative"
OVERWRITES = "overwrites instead of accumulating"
STEP_RAISES = "_backward() raised"


def _step_rows(node: Any, name: str, eps: float, atol: float, rtol: float) -> list[CheckRow]:
    """A hand-written `_backward` checked on its own: the op is read from its
    name and the node's data (`foreign.readings`), each input is given the
    gradient PRIOR and the node UPSTREAM, the step is called once, and what it
    added to each input is compared with UPSTREAM × a central difference of the
    op's forward. An input used twice (`a + a`, one object in `_prev`) gets the
    sum of both operands' derivatives, as the step adds twice."""
    inputs = foreign.inputs_of(node)
    every, matching = foreign.readings(node)
    if not every:
        return [_not_checked(name, f"not checked: deltagrad knows no op {foreign.op_name(node)!r} "
                                   f"of {len(inputs)} input(s)")]
    names = [foreign.label_of(x) or f"in{j}" for j, x in enumerate(inputs)]
    xs = [foreign.number(x.data) for x in inputs]
    if not matching:
        return [_wrong_forward(node, name, every[0], xs, names)]
    try:
        after = foreign.step(node, inputs, UPSTREAM, PRIOR)
    except Exception as err:  # a learner's step may fail in any way; the row says how
        return [CheckRow(name, math.nan, math.nan, False, f"{STEP_RAISES} {type(err).__name__}: {err}")]
    best: list[CheckRow] = []
    for reading in matching:  # several when the data cannot tell them apart (a - b with a = b)
        rows = _compare_step(reading, xs, after, [f"{name} ∂/∂{n}" for n in names], eps, atol, rtol)
        if not best or all(r.ok for r in rows):
            best = rows
        if all(r.ok for r in best):
            break
    return best


def _wrong_forward(node: Any, name: str, reading: foreign.Reading, xs: list[float | None],
                   names: list[str]) -> CheckRow:
    data = foreign.number(node.data)
    try:
        expected = reading.forward([math.nan if x is None else x for x in xs])
    except DOMAIN_ERRORS as err:
        return CheckRow(f"{name} forward", math.nan, math.nan, False,
                        f"{WRONG_FORWARD}: {reading.describe(names)} is undefined here ({err})")
    return CheckRow(f"{name} forward", math.nan if data is None else data, expected, False,
                    f"{WRONG_FORWARD}: {reading.describe(names)} = {expected:.10g}, the node holds {short(node.data)}")


def _compare_step(reading: foreign.Reading, xs: list[float], after: list[Any], wheres: list[str], eps: float,
                  atol: float, rtol: float) -> list[CheckRow]:
    """One row per input: (its .grad after the step − PRIOR) / UPSTREAM, the
    local derivative the step applied, against the op's own partial
    derivatives at that input's operand positions, summed."""
    operands = reading.values(xs)
    forward = lambda vs: reading.op.compute(*vs)  # noqa: E731
    rows = []
    for j, got in enumerate(after):
        positions = reading.positions(j)
        got = foreign.number(got)
        if got is None:
            rows.append(CheckRow(wheres[j], math.nan, math.nan, False,
                                 f"{WRONG_DERIVATIVE}: _backward() left {short(after[j])} in .grad"))
            continue
        try:
            partials = [_difference(forward, operands, p, eps) for p in positions]
        except ValueError:
            rows.append(CheckRow(wheres[j], (got - PRIOR) / UPSTREAM, math.nan, True, _NO_DIFFERENCE, False))
            continue
        analytic, numeric = (got - PRIOR) / UPSTREAM, math.fsum(d for d, _ in partials)
        kink = _kink(reading.op, operands, positions[0], eps) if len(positions) == 1 else None
        if kink:
            rows.append(CheckRow(wheres[j], analytic, numeric, kink.allows(analytic, atol, rtol), str(kink)))
        elif _agrees(analytic, numeric, atol, rtol):
            rows.append(CheckRow(wheres[j], analytic, numeric, True, next((n for _, n in partials if n), "")))
        else:
            why = _what_is_wrong(got, numeric, [d for d, _ in partials], atol, rtol)
            rows.append(CheckRow(wheres[j], analytic, numeric, False, why))
    return _swapped(rows, atol, rtol)


def _what_is_wrong(got: float, numeric: float, partials: list[float], atol: float, rtol: float) -> str:
    """Names the mistake behind a step's wrong increment to one input."""
    if any(_agrees(got, UPSTREAM * d, atol, rtol) for d in [numeric, *partials]):
        return (f"{OVERWRITES}: .grad was {PRIOR:g} before _backward() and {got:.10g} after, the contribution "
                f"alone (= where += belongs)")
    if _agrees(got - PRIOR, numeric, atol, rtol):
        return f"{WRONG_DERIVATIVE}: the step does not multiply by out.grad"
    if got == PRIOR:
        return f"{WRONG_DERIVATIVE}: _backward() adds nothing to this input's .grad"
    return WRONG_DERIVATIVE


def _swapped(rows: list[CheckRow], atol: float, rtol: float) -> list[CheckRow]:
    """Two failing inputs whose derivatives are each other's: say so (`*` with
    `self.grad += self.data * out.grad`)."""
    if len(rows) == 2 and not any(r.ok for r in rows) and all(r.checked for r in rows):
        a, b = rows
        if _agrees(a.analytic, b.numeric, atol, rtol) and _agrees(b.analytic, a.numeric, atol, rtol):
            note = f"{WRONG_DERIVATIVE}: the two inputs' derivatives are swapped"
            return [CheckRow(r.where, r.analytic, r.numeric, False, note) for r in rows]
    return rows


__all__ = ["CheckReport", "CheckRow", "GradcheckError", "gradcheck", "check_ops", "check_op", "check_all_ops",
           "sample_points", "random_points", "grad", "value_and_grad"]


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


def random_points(op: Op, count: int, rng: random.Random) -> list[tuple[float, ...]]:
    """`count` points drawn uniformly from the op's domain by `rng`, the first
    input at least 1e-3 from any kink (where no derivative exists to compare)."""
    points = []
    while len(points) < count:
        point = tuple(rng.uniform(lo, hi) for lo, hi in op.domain)
        if not any(abs(point[0] - c) < 1e-3 for c in op.kinks):
            points.append(point)
    return points


def check_op(op: Op, count: int = 5, *, points: Sequence[Sequence[float]] | None = None,
             **tolerances: float) -> CheckReport:
    """gradcheck of one op at `count` points of its domain (`sample_points`),
    or at the given `points`, over the inputs it differentiates (an exponent or
    a slope is held constant)."""
    report = CheckReport(f"gradcheck of op {op.name!r}")
    for point in sample_points(op, count) if points is None else [tuple(p) for p in points]:
        free = [i for i in range(len(point)) if i not in op.nondiff]

        def f(*xs: Value, point: tuple[float, ...] = point, free: list[int] = free) -> Value:
            args: list[Any] = list(point)
            for i, x in zip(free, xs):
                args[i] = x
            return op(*args)

        sub = gradcheck(f, [point[i] for i in free], **tolerances)
        at = ", ".join(f"{x:.3g}" for x in point)
        report.rows += [CheckRow(f"{op.name}({at}) ∂/∂in{i}", r.analytic, r.numeric, r.ok, r.note, r.checked)
                        for i, r in zip(free, sub.rows)]
    return report


def check_all_ops(count: int = 5, **tolerances: float) -> CheckReport:
    """`check_op` for every op in the registry, built-in and custom, as one report."""
    report = CheckReport("gradcheck of every registered op")
    for op in list(REGISTRY.values()):
        report.rows += check_op(op, count, **tolerances).rows
    return report
