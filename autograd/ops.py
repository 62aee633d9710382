"""The op table: every built-in op's forward and local derivative, one entry each.

Each `defop` line is the only place that knows its op. A rule `vjp(g, ans, *xs)`
gets the upstream gradient `g`, the op's output `ans` and the inputs `xs`, and
returns one gradient per input. Rules use only arithmetic and the functions of
this table, so they run on floats (plain `backward()`) and on Values
(`backward(create_graph=True)`) alike. The Value operators and methods, the
README's table of ops, gradcheck's list of ops and the CLI's functions are all
read from here.
"""

from __future__ import annotations

import math
import operator
from typing import Any

from .engine import (
    BUILTIN_NAMES,
    REGISTRY,
    Op,
    Value,
    binary_method,
    defop,
    node,
    reflected_method,
    unary_method,
)

_INF = math.inf
LEAKY_RELU_SLOPE = 0.01  # leaky_relu's slope for x < 0 when none is given, here and in `nn`


# ---- forwards that need more care than the float operator ------------------

def _div(x: float, y: float) -> float:
    return x / y  # ZeroDivisionError for y == 0, re-raised naming the op


def _pow(x: float, y: float) -> float:
    if x == 0.0 and y < 0.0:
        raise ZeroDivisionError("0 to a negative power")
    if x < 0.0 and not float(y).is_integer():
        raise ValueError("a negative base to a non-integer power is not a real number")
    return x ** y  # OverflowError when too large


def _exp(x: float) -> float:
    return math.exp(x)  # OverflowError past x ~ 709.78


def _sigmoid(x: float) -> float:
    # Stable for every finite x: exp of a non-positive number never overflows.
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def sigmoid_array(z: Any) -> Any:
    """The same stable σ on a NumPy array (for `nn.delta` and compiled graphs)."""
    import numpy as np

    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _softplus(x: float) -> float:
    # log(1 + e^x) = max(x, 0) + log1p(e^-|x|), which neither overflows nor loses small values.
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _relu(x: float) -> float:
    return x if x > 0.0 else 0.0


def _leaky_relu(x: float, slope: float) -> float:
    return x if x > 0.0 else slope * x


def _sign(x: Any) -> float:
    return 1.0 if x > 0 else (-1.0 if x < 0 else 0.0)


# ---- derivatives with an edge case -----------------------------------------

def _pow_dbase(g: Any, x: Any, y: Any) -> Any:
    """d(x^y)/dx = y x^(y-1). At x = 0 with y < 1 that is a pole: ±inf, or NaN when
    g·y is 0 (Python's floats raise instead of returning inf, hence the case).
    `float()` because `==` on a Value (create_graph) is identity, not data."""
    if float(x) == 0 and y < 1:
        return g * y * _INF if float(y) != 0 else 0.0 * g
    return g * y * x ** (y - 1)


def _pow_dexponent(g: Any, ans: Any, x: Any) -> Any:
    """d(x^y)/dy = x^y log x, defined for x > 0. At x = 0 the limit (y > 0) is 0;
    for x < 0 (an integer y) it is not a real number: NaN, as PyTorch gives."""
    if x > 0:
        return g * ans * log(x)
    return 0.0 * g if float(x) == 0 else math.nan


def _sqrt_grad(g: Any, ans: Any) -> Any:
    """d sqrt(x)/dx = 1 / (2 sqrt x); +inf at x = 0."""
    return g * 0.5 / ans if float(ans) != 0 else g * _INF


# ---- the table -------------------------------------------------------------
# Arithmetic. `**` with a number exponent treats the exponent as a constant;
# `pow` (a Value exponent, or `2 ** x`) differentiates both.
ADD = defop("+", operator.add, lambda g, ans, x, y: (g, g),
            formula="∂/∂x = 1, ∂/∂y = 1", domain=[(-5, 5), (-5, 5)])
SUB = defop("-", operator.sub, lambda g, ans, x, y: (g, -g),
            formula="∂/∂x = 1, ∂/∂y = −1", domain=[(-5, 5), (-5, 5)])
MUL = defop("*", operator.mul, lambda g, ans, x, y: (g * y, g * x),
            formula="∂/∂x = y, ∂/∂y = x", domain=[(-5, 5), (-5, 5)])
DIV = defop("/", _div, lambda g, ans, x, y: (g / y, -g * ans / y),
            formula="∂/∂x = 1/y, ∂/∂y = −x/y²", domain=[(-5, 5), (0.5, 5)],
            explain=lambda x, y: "division by zero")
NEG = defop("neg", operator.neg, lambda g, ans, x: -g,
            formula="d/dx = −1", domain=[(-5, 5)])
# `float(y)`: the constant exponent stays a number under create_graph, so the
# rule's own x ** (y - 1) is again `**` and never differentiates the exponent
# (which would take log of a negative base).
POW = defop("**", _pow, lambda g, ans, x, y: (_pow_dbase(g, x, float(y)), 0.0 * g), nondiff=(1,),
            formula="∂/∂x = y·x^(y−1) (y a constant)", domain=[(0.2, 3), (-3, 3)],
            explain=lambda x, y: _pow_explain(x, y))
POWV = defop("pow", _pow, lambda g, ans, x, y: (_pow_dbase(g, x, y), _pow_dexponent(g, ans, x)),
             formula="∂/∂x = y·x^(y−1), ∂/∂y = x^y·ln x", domain=[(0.2, 3), (-3, 3)],
             explain=lambda x, y: _pow_explain(x, y))

# Elementary functions.
EXP = defop("exp", _exp, lambda g, ans, x: g * ans,
            formula="d/dx = eˣ", domain=[(-5, 5)],
            explain=lambda x: "the result overflows a float (x > 709.78)")
LOG = defop("log", math.log, lambda g, ans, x: g / x,
            formula="d/dx = 1/x", domain=[(0.05, 10)],
            explain=lambda x: "log is defined only for x > 0")
SQRT = defop("sqrt", math.sqrt, lambda g, ans, x: _sqrt_grad(g, ans),
             formula="d/dx = 1/(2√x)", domain=[(0.05, 10)],
             explain=lambda x: "sqrt is defined only for x >= 0")
SIN = defop("sin", math.sin, lambda g, ans, x: g * cos(x),
            formula="d/dx = cos x", domain=[(-6, 6)])
COS = defop("cos", math.cos, lambda g, ans, x: -g * sin(x),
            formula="d/dx = −sin x", domain=[(-6, 6)])
ABS = defop("abs", abs, lambda g, ans, x: g * _sign(x),
            formula="d/dx = sign x (0 at 0)", domain=[(-5, 5)], kinks=(0.0,))

# Activations (the seeds' g and g').
TANH = defop("tanh", math.tanh, lambda g, ans, x: g * (1 - ans * ans),
             formula="d/dx = 1 − tanh²x", domain=[(-4, 4)])
SIGMOID = defop("sigmoid", _sigmoid, lambda g, ans, x: g * ans * (1 - ans),
                formula="d/dx = σ(x)(1 − σ(x))", domain=[(-8, 8)])
RELU = defop("relu", _relu, lambda g, ans, x: g if x > 0 else 0.0 * g,
             formula="d/dx = 1 if x > 0 else 0", domain=[(-5, 5)], kinks=(0.0,))
LEAKY_RELU = defop("leaky_relu", _leaky_relu, lambda g, ans, x, s: (g if x > 0 else g * s, 0.0 * g),
                   nondiff=(1,), formula="∂/∂x = 1 if x > 0 else slope", domain=[(-5, 5), (0.001, 0.5)],
                   kinks=(0.0,))
SOFTPLUS = defop("softplus", _softplus, lambda g, ans, x: g * sigmoid(x),
                 formula="d/dx = σ(x)", domain=[(-8, 8)])

# Reductions. Σ over any number of inputs is one node: a neuron's net input
# Σᵢ wᵢ aᵢ + b (the seeds' in_j and z_j) is one sum, not a chain of additions.
SUM = defop("sum", lambda *xs: math.fsum(xs), lambda g, ans, xs: [g] * len(xs), arity=None,
            formula="∂/∂xᵢ = 1", domain=[(-5, 5)] * 3)


def _pow_explain(x: float, y: float) -> str:
    if x == 0 and y < 0:
        return "0 to a negative power is a division by zero"
    if x < 0 and not float(y).is_integer():
        return "a negative base to a non-integer power is not a real number"
    return "the result overflows a float"


# ---- functions on a Value or a float ---------------------------------------
# Each op is callable: `exp(2.0)` is a float, `exp(Value(2.0))` a Value.
# (`autograd` also exports ABS as `abs`, POWV as `pow` and `sum_values` as `sum`.)
exp, log, sqrt, sin, cos, tanh, sigmoid, relu, softplus = EXP, LOG, SQRT, SIN, COS, TANH, SIGMOID, RELU, SOFTPLUS


def leaky_relu(x: Any, slope: float = LEAKY_RELU_SLOPE) -> Any:
    return LEAKY_RELU(x, slope)


def sum_values(values: Any) -> Any:
    """Σ of an iterable of Values and numbers as one graph node (a float when no
    Value is among them)."""
    values = tuple(values)
    if not values:
        return 0.0
    if all(v.__class__ is Value for v in values):  # a neuron's net input: skip the checks and wrapping
        return node(SUM, values, SUM.forward(*[v.data for v in values]))
    return SUM(*values)


# ---- the Value operators and methods, from the table -----------------------

def _install() -> None:
    for dunder, op in (("add", ADD), ("sub", SUB), ("mul", MUL), ("truediv", DIV)):
        method = binary_method(op)
        setattr(Value, f"__{dunder}__", method)
        setattr(Value, f"__r{dunder}__", reflected_method(method, op.name))
    power, power_value = binary_method(POW), binary_method(POWV)

    def __pow__(self: Value, other: Any) -> Value:
        # A number exponent is a constant of the op; a Value exponent is differentiated too.
        return power_value(self, other) if isinstance(other, Value) else power(self, other)

    Value.__pow__ = __pow__
    Value.__rpow__ = reflected_method(power_value, POWV.name)
    Value.__neg__ = unary_method(NEG)
    Value.__abs__ = Value.abs = unary_method(ABS)
    for op in (EXP, LOG, SQRT, SIN, COS, TANH, SIGMOID, RELU, SOFTPLUS):
        setattr(Value, op.name, unary_method(op))

    def leaky_relu(self: Value, slope: float = LEAKY_RELU_SLOPE) -> Value:
        return LEAKY_RELU(self, slope)

    Value.leaky_relu = leaky_relu


_install()


# ---- the table as documentation --------------------------------------------

_BUILTIN_NAMES = tuple(REGISTRY)
BUILTIN_NAMES.update(_BUILTIN_NAMES)


def builtin_ops() -> list[Op]:
    """The ops of this table, in table order (custom ops are in `REGISTRY` too)."""
    return [REGISTRY[n] for n in _BUILTIN_NAMES]


def markdown_table(ops: list[Op] | None = None) -> str:
    """The README's table of ops, generated from the registry."""
    rows = ["| op | inputs | local derivative | sampled domain |", "|---|---|---|---|"]
    for op in ops if ops is not None else builtin_ops():
        inputs = "n" if op.arity is None else str(op.arity)
        domain = ", ".join(f"[{lo:g}, {hi:g}]" for lo, hi in op.domain)
        rows.append(f"| `{op.name}` | {inputs} | {op.formula} | {domain} |")
    return "\n".join(rows)
