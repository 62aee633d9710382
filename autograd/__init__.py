"""deltagrad's autograd: a scalar reverse-mode automatic-differentiation engine.

    >>> from autograd import Value
    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> c = a * b + a.tanh()
    >>> c.backward()
    >>> round(a.grad, 4), b.grad
    (-2.9293, 2.0)

A `Value` records every op into a graph; `backward()` applies the chain rule in
reverse topological order; `gradcheck` and `check_ops` compare with finite
differences; `draw_dot` and `render` draw the graph (Graphviz).

The modules, lowest first: `validate` (numbers given by users), `modes`
(no_grad and friends), `registry` (`Op`, `defop`), `ops` (the op table),
`engine` (`Value`, `backward`), then `functional`, `check`, `compiler`
(`compile`: one example's graph replayed over a batch in NumPy), `expr`, `viz`
and `files` on top. Each imports only from the ones before it.

Name clash: the HIPS autograd package on PyPI is also imported as `autograd`.
The two cannot share an environment; install deltagrad in its own virtual
environment.
"""

from . import modes, ops, testing
from .check import CheckReport, CheckRow, GradcheckError, check_ops, gradcheck
from .compiler import CompiledGraph, TraceError, VerifyError, compile  # autograd.compile shadows the builtin here
from .engine import Constant, Value, topological_order
from .functional import grad, gradients, value_and_grad
from .modes import current_scope, detect_anomaly, enable_grad, is_anomaly_enabled, is_grad_enabled, name_scope, no_grad
from .ops import ABS as abs  # noqa: F401  (a Value or a float, like the others)
from .ops import POWV as pow  # noqa: F401
from .ops import cos, exp, leaky_relu, log, relu, sigmoid, sin, softplus, sqrt, tanh
from .ops import sum_values as sum  # noqa: F401
from .registry import REGISTRY, Op, defop
from .steps import Step, StepInput, Steps, backward_steps
from .viz import MISSING_DOT_MESSAGE, Animation, GraphvizNotFound, animate, draw_dot, render, to_svg

# `from autograd import *` leaves Python's own sum, abs and pow alone: import
# those three by name (`from autograd import sum`) or use `autograd.sum`.
__all__ = [
    "Value", "Constant", "Op", "REGISTRY", "defop", "topological_order",
    "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "leaky_relu", "softplus", "sin", "cos",
    "no_grad", "enable_grad", "is_grad_enabled", "detect_anomaly", "is_anomaly_enabled", "name_scope",
    "current_scope", "gradcheck", "check_ops", "grad", "value_and_grad", "gradients", "CheckReport", "CheckRow",
    "GradcheckError", "draw_dot", "render", "to_svg", "GraphvizNotFound", "MISSING_DOT_MESSAGE", "modes", "ops",
    "testing",
    "compile", "CompiledGraph", "TraceError", "VerifyError",
    "backward_steps", "Steps", "Step", "StepInput", "animate", "Animation",
]
