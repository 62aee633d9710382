"""Grading a learner's own micrograd: `grade_engine("my_micrograd.py")`.

The exercise "build your own micrograd" (Karpathy's lecture) ends with a file
that defines a `Value` class. `grade_engine` loads the file, builds a standard
set of small expressions with every op the class has (`+ - * / **`, their
reflected forms, `-a`, `tanh`, `exp`, `relu`, and `backward()` over a graph
that reuses its inputs) and gives one verdict per op:

    ok · wrong derivative · overwrites instead of accumulating ·
    wrong forward · fails (raises) · not implemented

Each expression is checked three ways: its value against the same expression on
floats; each node's hand-written `_backward` on its own (`check_ops`, which
gives the inputs a gradient first, so `=` for `+=` shows); and `backward()`
end to end against central differences. "not implemented" is reported but is
not a failure: micrograd itself has no `tanh`, the lecture's class no `relu`.
`deltagrad check --engine my_micrograd.py` prints the verdicts.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import itertools
import math
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import foreign
from .check import OVERWRITES, STEP_RAISES, WRONG_DERIVATIVE, WRONG_FORWARD, check_ops
from .validate import short

OK = "ok"
NOT_IMPLEMENTED = "not implemented"
FAILS = "fails"
# The verdicts that fail a grade, the most telling first: an op that raises
# hides everything else, a wrong forward makes every derivative suspect.
FAILURES = (FAILS, WRONG_FORWARD, OVERWRITES, WRONG_DERIVATIVE)

A, B = 0.7, -1.3  # the inputs of every expression: off every kink, b negative so that signs matter


@dataclass(frozen=True)
class Probe:
    """One expression: `text` as the report shows it, `build(a, b)` making it
    from the learner's Values, `plain(a, b)` the same on floats (by default
    `build` itself: arithmetic works on both)."""

    text: str
    build: Callable[[Any, Any], Any]
    plain: Callable[[float, float], float] | None = None

    def value(self, a: float, b: float) -> float:
        return (self.plain or self.build)(a, b)


@dataclass(frozen=True)
class Graded:
    """An op as the report lists it, the methods it needs, and its expressions."""

    op: str
    needs: tuple[str, ...]
    probes: tuple[Probe, ...]


def _relu(x: float) -> float:
    return max(x, 0.0)


GRADED = (
    Graded("+", ("__add__",), (Probe("a + b", lambda a, b: a + b), Probe("a + 2", lambda a, b: a + 2),
                               Probe("a + a", lambda a, b: a + a))),
    Graded("+ reflected", ("__radd__",), (Probe("2 + a", lambda a, b: 2 + a),)),
    Graded("-", ("__sub__",), (Probe("a - b", lambda a, b: a - b), Probe("a - 2", lambda a, b: a - 2),
                               Probe("a - a", lambda a, b: a - a))),
    Graded("- reflected", ("__rsub__",), (Probe("2 - a", lambda a, b: 2 - a),)),
    Graded("*", ("__mul__",), (Probe("a * b", lambda a, b: a * b), Probe("a * 2", lambda a, b: a * 2),
                               Probe("a * a", lambda a, b: a * a))),
    Graded("* reflected", ("__rmul__",), (Probe("2 * a", lambda a, b: 2 * a),)),
    Graded("/", ("__truediv__",), (Probe("a / b", lambda a, b: a / b), Probe("a / 2", lambda a, b: a / 2))),
    Graded("/ reflected", ("__rtruediv__",), (Probe("2 / a", lambda a, b: 2 / a),)),
    Graded("**", ("__pow__",), (Probe("a ** 2", lambda a, b: a ** 2), Probe("a ** -1", lambda a, b: a ** -1),
                                Probe("b ** 3", lambda a, b: b ** 3), Probe("a ** 0.5", lambda a, b: a ** 0.5))),
    Graded("neg", ("__neg__",), (Probe("-a", lambda a, b: -a),)),
    Graded("tanh", ("tanh",), (Probe("a.tanh()", lambda a, b: a.tanh(), lambda a, b: math.tanh(a)),
                               Probe("b.tanh()", lambda a, b: b.tanh(), lambda a, b: math.tanh(b)))),
    Graded("exp", ("exp",), (Probe("a.exp()", lambda a, b: a.exp(), lambda a, b: math.exp(a)),)),
    Graded("relu", ("relu",), (Probe("a.relu()", lambda a, b: a.relu(), lambda a, b: _relu(a)),
                               Probe("b.relu()", lambda a, b: b.relu(), lambda a, b: _relu(b)))),
    # a is used three times and b twice: backward() must order the nodes and add up every use.
    Graded("backward()", ("backward", "__add__", "__mul__"),
           (Probe("(a * b + b) * a + a * a", lambda a, b: (a * b + b) * a + a * a),)),
)


@dataclass(frozen=True)
class Verdict:
    op: str
    verdict: str  # OK, NOT_IMPLEMENTED, or one of FAILURES
    detail: str = ""

    @property
    def failed(self) -> bool:
        return self.verdict in FAILURES


@dataclass
class EngineReport:
    """One verdict per op of a learner's Value class; its repr is a table."""

    path: str
    class_name: str
    verdicts: list[Verdict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def __bool__(self) -> bool:
        return self.ok

    @property
    def failures(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.failed]

    def verdict(self, op: str) -> Verdict:
        """The verdict on `op` (as GRADED names it: '+', '+ reflected', 'tanh', 'backward()')."""
        for v in self.verdicts:
            if v.op == op:
                return v
        raise KeyError(f"no verdict on {op!r}; the ops graded are {[g.op for g in GRADED]}")

    def table(self) -> str:
        header = ("op", "verdict", "detail")
        body = [(v.op, v.verdict, v.detail) for v in self.verdicts]
        widths = [max(len(line[i]) for line in [header, *body]) for i in range(2)]
        lines = [f"{op.ljust(widths[0])}  {verdict.ljust(widths[1])}  {detail}".rstrip()
                 for op, verdict, detail in [header, *body]]
        lines.insert(1, f"{'-' * widths[0]}  {'-' * widths[1]}  ------")
        missing = sum(v.verdict == NOT_IMPLEMENTED for v in self.verdicts)
        summary = "all ok" if self.ok else f"{len(self.failures)} of {len(self.verdicts)} FAILED"
        summary += f" ({missing} not implemented)" if missing else ""
        return f"{self.path}, class {self.class_name}: {summary}\n" + "\n".join(lines)

    def __repr__(self) -> str:
        return self.table()

    __str__ = __repr__


class EngineLoadError(Exception):
    """The learner's file cannot be run, or defines no micrograd-style Value class."""


# ---- loading the learner's file ---------------------------------------------------

_loaded = itertools.count()


def load_value_class(path: str | Path) -> type:
    """Runs the file at `path` as a fresh module (its own folder on sys.path, so
    it may import its siblings; its prints swallowed; the module forgotten
    afterwards) and returns its `Value` class: the class named Value, else the
    one class of the file whose instances are micrograd-style nodes."""
    path = Path(path)
    if not path.is_file():
        raise EngineLoadError(f"{path}: no such file")
    name = f"_deltagrad_learner_{next(_loaded)}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise EngineLoadError(f"{path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    folder = str(path.resolve().parent)
    before = set(sys.modules)
    sys.modules[name] = module  # while it runs: dataclasses and typing look their module up there
    sys.path.insert(0, folder)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            spec.loader.exec_module(module)
    except SyntaxError as err:
        raise EngineLoadError(f"{path}: a syntax error on line {err.lineno}: {err.msg}") from None
    except (Exception, SystemExit) as err:  # the learner's code may fail in any way
        raise EngineLoadError(f"{path}: running it raised {type(err).__name__}: {err}") from None
    finally:
        sys.path.remove(folder)
        _forget_modules(set(sys.modules) - before, folder)
    return _value_class(module, path)


def _forget_modules(names: set[str], folder: str) -> None:
    """Drops the learner's file and the siblings it imported from sys.modules, so
    that the next learner's `engine.py` is not taken for this one's."""
    for name in names:
        where = getattr(sys.modules.get(name), "__file__", None) or ""
        if name.startswith("_deltagrad_learner_") or (where and str(Path(where).resolve()).startswith(folder + os.sep)):
            sys.modules.pop(name, None)


def _value_class(module: Any, path: Path) -> type:
    named = getattr(module, "Value", None)
    if isinstance(named, type):
        if not _makes_nodes(named):
            raise EngineLoadError(f"{path}: Value(1.0) is not a micrograd-style node: it needs "
                                  f"{', '.join(foreign.NODE_ATTRIBUTES)}")
        return named
    own = [c for c in vars(module).values() if isinstance(c, type) and c.__module__ == module.__name__]
    nodes = [c for c in own if _makes_nodes(c)]
    if len(nodes) == 1:
        return nodes[0]
    raise EngineLoadError(f"{path}: no class named Value (a class whose Value(1.0) has "
                          f"{', '.join(foreign.NODE_ATTRIBUTES)})")


def _makes_nodes(cls: type) -> bool:
    try:
        return foreign.is_node(cls(1.0))
    except Exception:  # a class that cannot be made from one number is not the one
        return False


# ---- grading ---------------------------------------------------------------------

def grade_engine(path: str | Path) -> EngineReport:
    """Loads the learner's file at `path` and grades every op of its Value
    class (see the module's docstring). Raises EngineLoadError when the file
    cannot be run or has no such class."""
    cls = load_value_class(path)
    return grade_class(cls, str(path))


def grade_class(cls: type, path: str = "") -> EngineReport:
    """`grade_engine` for a class already at hand (a notebook's own Value)."""
    report = EngineReport(path or cls.__module__, cls.__name__)
    with contextlib.redirect_stdout(io.StringIO()):  # a learner's methods may print
        for graded in GRADED:
            report.verdicts.append(_grade(cls, graded))
    return report


def _grade(cls: type, graded: Graded) -> Verdict:
    missing = [m for m in graded.needs if not callable(getattr(cls, m, None))]
    if missing:
        return Verdict(graded.op, NOT_IMPLEMENTED, f"{cls.__name__} has no {', '.join(missing)}")
    found = [_grade_probe(cls, probe) for probe in graded.probes]
    failed = sorted((f for f in found if f[0] in FAILURES), key=lambda f: FAILURES.index(f[0]))
    if not failed:
        return Verdict(graded.op, OK)
    verdict, detail = failed[0]
    others = len(failed) - 1
    more = f"; {others} more of its {len(found)} expressions {'fails' if others == 1 else 'fail'} too" if others else ""
    return Verdict(graded.op, verdict, detail + more)


def _grade_probe(cls: type, probe: Probe) -> tuple[str, str]:
    """(verdict, detail) of one expression built with the learner's class."""
    a, b = _named(cls(A), "a"), _named(cls(B), "b")
    try:
        out = probe.build(a, b)
    except Exception as err:
        return FAILS, f"{probe.text} raises {type(err).__name__}: {err}"
    if not foreign.is_node(out):
        return FAILS, f"{probe.text} gives {short(out)}, not a {cls.__name__}"
    expected = probe.value(A, B)
    data = foreign.number(out.data)
    if data is None or not math.isclose(data, expected, rel_tol=1e-9, abs_tol=1e-12):
        return WRONG_FORWARD, f"{probe.text} at a = {A}, b = {B} is {short(out.data)}, expected {expected:.10g}"
    per_node = check_ops(out)
    if not per_node.ok:
        row = per_node.failures[0]
        return _kind(row.note), f"{probe.text}: {_what(row)}"
    return _end_to_end(cls, probe, out, a, b)


def _named(leaf: Any, name: str) -> Any:
    """The leaf, labelled `name` so that the report names it, where its class allows."""
    with contextlib.suppress(Exception):
        leaf.label = name
    return leaf


def _kind(note: str) -> str:
    if note.startswith(STEP_RAISES):
        return FAILS
    return next((kind for kind in (WRONG_FORWARD, OVERWRITES) if note.startswith(kind)), WRONG_DERIVATIVE)


def _what(row: Any) -> str:
    """A failing row of check_ops, told without repeating its verdict."""
    kind = _kind(row.note)
    reason = row.note[len(kind):].lstrip(": ") if row.note.startswith(kind) else row.note
    if kind == WRONG_DERIVATIVE:
        return f"{row.where} is {row.analytic:.6g}, expected {row.numeric:.6g}" + (f" ({reason})" if reason else "")
    return f"{row.where}: {reason}"


def _end_to_end(cls: type, probe: Probe, out: Any, a: Any, b: Any) -> tuple[str, str]:
    """`backward()` from the expression against central differences of the expression on floats."""
    if not callable(getattr(out, "backward", None)):
        return OK, ""  # graded on its own, as the op `backward()`
    try:
        out.backward()
    except Exception as err:
        return FAILS, f"{probe.text}: backward() raises {type(err).__name__}: {err}"
    eps = 1e-6
    numeric = ((probe.value(A + eps, B) - probe.value(A - eps, B)) / (2 * eps),
               (probe.value(A, B + eps) - probe.value(A, B - eps)) / (2 * eps))
    for name, leaf, expected in (("a", a, numeric[0]), ("b", b, numeric[1])):
        got = foreign.number(leaf.grad)
        if got is None or abs(got - expected) > 1e-6 + 1e-4 * abs(expected):
            return WRONG_DERIVATIVE, (f"{probe.text}: after backward() {name}.grad is {short(leaf.grad)}, "
                                      f"expected {expected:.6g}")
    return OK, ""


__all__ = ["EngineLoadError", "EngineReport", "FAILS", "GRADED", "NOT_IMPLEMENTED", "OK", "Verdict", "grade_class",
           "grade_engine", "load_value_class"]
