"""The op table: every built-in op's forward and derivative rule, one entry each.

Each entry is the only place that knows its op. A rule `vjp(g, ans, *xs)` gets
the upstream gradient `g`, the op's output `ans` and the inputs `xs`, and
returns a tuple with one gradient per input, g · ∂ans/∂xᵢ (`None` for an input
the op treats as a constant). Rules use only arithmetic and this table's
functions, so they run on floats (plain `backward()`), on Values
(`backward(create_graph=True)`) and on NumPy arrays (`array_forward` is each
op's forward on arrays; `autograd.compile` replays a graph over a batch with
them). A rule with a branch (`if`, `float(y)`) cannot run on arrays, so it has
an `array_vjp` beside it that makes the same choice element by element; every
other rule is written once and runs on all three.

The Value operators and methods (engine.py), the README's table of ops,
gradcheck's list of ops and the command's functions are all read from here.
"""

from __future__ import annotations

import math
import operator
import sys
from typing import Any

import numpy as np

from .registry import BUILTIN_NAMES, REGISTRY, Op, compiles, register

LEAKY_RELU_SLOPE = 0.01  # leaky_relu's slope for x < 0 when none is given, here and in `nn`


def _op(name: str, forward: Any, vjp: Any, arity: int | None, **fields: Any) -> Op:
    """A built-in op into the table; its rule is tried once the whole table is defined."""
    op = REGISTRY[name] = Op(name, forward, vjp, arity=arity, **fields)
    return op


# ---- forwards that need more care than the float operator ------------------

def _pow(x: float, y: float) -> float:
    if x == 0.0 and y < 0.0:
        raise ZeroDivisionError("0 to a negative power")
    if x < 0.0 and not float(y).is_integer():
        raise ValueError("a negative base to a non-integer power is not a real number")
    return x ** y  # OverflowError when too large


def _pow_explain(x: float, y: float) -> str:
    if x == 0 and y < 0:
        return "0 to a negative power is a division by zero"
    if x < 0 and not float(y).is_integer():
        return "a negative base to a non-integer power is not a real number"
    return "the result overflows a float"


def _sigmoid(x: float) -> float:
    # Stable for every x: exp of a non-positive number never overflows.
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def sigmoid_array(z: Any) -> Any:
    """The same stable σ on a NumPy array (for `nn.delta` and compiled graphs)."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _softplus(x: float) -> float:
    # log(1 + e^x) = max(x, 0) + log1p(e^-|x|), which neither overflows nor loses small values.
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _relu(x: float) -> float:
    return 0.0 if x <= 0.0 else x  # NaN fails the test and passes through, as in PyTorch


def _leaky_relu(x: float, slope: float) -> float:
    return slope * x if x <= 0.0 else x  # NaN passes through


def _sum(*xs: float) -> float:
    """Σ xs correctly rounded (math.fsum). Where fsum overflows part-way or meets
    inf − inf, the left-to-right sum that repeated `+` gives (inf or NaN)."""
    try:
        return math.fsum(xs)
    except (OverflowError, ValueError):
        total = 0.0
        for x in xs:
            total += x
        return total


# ---- derivatives with an edge case -----------------------------------------

_TINY = 1 / sys.float_info.max  # below this |x|, 1/x overflows


def _pow_dbase(g: Any, x: Any, y: float) -> Any:
    """∂(x^y)/∂x = y·x^(y−1) for a constant y; exactly 0 for y = 0, even where
    x^(y−1) overflows (as PyTorch). At x = 0 with y < 1 it is a pole: ±inf (see
    modes.ieee)."""
    return 0.0 if y == 0 else g * (y * x ** (y - 1))


def _pow_dbase_of_value(g: Any, x: Any, y: Any) -> Any:
    """∂(x^y)/∂x = y·x^(y−1) for a Value exponent. At y = 0 it is 0 for every x
    (x^0 is 1): where the product would be 0·∞ or 0·NaN (x is 0, ±inf, NaN, or so
    small that 1/x overflows) the 0 is given directly, as PyTorch; elsewhere it
    stays a function of y, for second derivatives. `float()`: under
    create_graph, `==` on a Value is identity."""
    if float(y) == 0 and not _TINY < abs(float(x)) < math.inf:
        return 0.0
    return g * (y * x ** (y - 1))


def _pow_dexponent(g: Any, ans: Any, x: Any, y: Any) -> Any:
    """∂(x^y)/∂y = x^y·ln x, for x > 0. At x = 0 the limit (y >= 0) is 0, times g
    as in PyTorch (so an infinite g gives NaN); for x < 0 (an integer y) it is not
    a real number: NaN, as PyTorch gives."""
    if x > 0:
        return g * ans * log(x)
    if float(x) == 0 and y >= 0:
        return 0.0 * g
    return math.nan


def _sign(x: Any) -> float:
    return 1.0 if x > 0 else (-1.0 if x < 0 else 0.0)  # 0 at 0, and at NaN as PyTorch


# ---- the same edge cases on NumPy arrays (autograd.compile) ---------------------
# A rule with a branch cannot run on a whole batch as it is: each of these
# selects, element by element, what the scalar rule above chooses with `if`.

def _pow_dbase_array(g: Any, ans: Any, x: Any, y: Any) -> tuple[Any, None]:
    """`_pow_dbase` per element: exactly 0 where the constant exponent is 0."""
    return np.where(y == 0, 0.0, g * (y * x ** (y - 1))), None


def _powv_array(g: Any, ans: Any, x: Any, y: Any) -> tuple[Any, Any]:
    """`_pow_dbase_of_value` and `_pow_dexponent` per element."""
    finite_nonzero = (_TINY < np.abs(x)) & (np.abs(x) < math.inf)
    dbase = np.where((y == 0) & ~finite_nonzero, 0.0, g * (y * x ** (y - 1)))
    dexponent = np.where(x > 0, g * ans * np.log(np.where(x > 0, x, 1.0)),
                         np.where((x == 0) & (y >= 0), 0.0 * g, math.nan))
    return dbase, dexponent


def _sign_array(x: Any) -> Any:
    return np.where(x > 0, 1.0, np.where(x < 0, -1.0, 0.0))  # 0 at 0 and at NaN, as `_sign`


# ---- the table -------------------------------------------------------------
# Arithmetic. `**` with a number exponent treats the exponent as a constant;
# `pow` (a Value exponent, or `2 ** x`) differentiates both.
ADD = _op("+", operator.add, lambda g, ans, x, y: (g, g), 2,
          formula="∂/∂x = 1, ∂/∂y = 1", domain=[(-5, 5), (-5, 5)], array_forward=np.add)
SUB = _op("-", operator.sub, lambda g, ans, x, y: (g, -g), 2,
          formula="∂/∂x = 1, ∂/∂y = −1", domain=[(-5, 5), (-5, 5)], array_forward=np.subtract)
MUL = _op("*", operator.mul, lambda g, ans, x, y: (g * y, g * x), 2,
          formula="∂/∂x = y, ∂/∂y = x", domain=[(-5, 5), (-5, 5)], array_forward=np.multiply)
DIV = _op("/", operator.truediv, lambda g, ans, x, y: (g / y, -g * ans / y), 2,
          formula="∂/∂x = 1/y, ∂/∂y = −x/y²", domain=[(-5, 5), (0.5, 5)], array_forward=np.divide,
          explain=lambda x, y: "division by zero")
NEG = _op("neg", operator.neg, lambda g, ans, x: (-g,), 1,
          formula="d/dx = −1", domain=[(-5, 5)], array_forward=np.negative)
# `float(y)`: the constant exponent stays a number under create_graph, so the
# rule's own x ** (y - 1) is again `**` and never differentiates the exponent.
POW = _op("**", _pow, lambda g, ans, x, y: (_pow_dbase(g, x, float(y)), None), 2,
          formula="∂/∂x = y·x^(y−1) (y a constant)", domain=[(0.2, 3), (-3, 3)], array_forward=np.power,
          explain=_pow_explain, array_vjp=_pow_dbase_array)
POWV = _op("pow", _pow, lambda g, ans, x, y: (_pow_dbase_of_value(g, x, y), _pow_dexponent(g, ans, x, y)), 2,
           formula="∂/∂x = y·x^(y−1), ∂/∂y = x^y·ln x", domain=[(0.2, 3), (-3, 3)], array_forward=np.power,
           explain=_pow_explain, array_vjp=_powv_array)

# Elementary functions.
EXP = _op("exp", math.exp, lambda g, ans, x: (g * ans,), 1,
          formula="d/dx = eˣ", domain=[(-5, 5)], array_forward=np.exp,
          explain=lambda x: "the result overflows a float (x > 709.78)")
LOG = _op("log", math.log, lambda g, ans, x: (g / x,), 1,
          formula="d/dx = 1/x", domain=[(0.05, 10)], array_forward=np.log,
          explain=lambda x: "log is defined only for x > 0")
SQRT = _op("sqrt", math.sqrt, lambda g, ans, x: (g * 0.5 / ans,), 1,  # +inf at x = 0 (a pole)
           formula="d/dx = 1/(2√x)", domain=[(0.05, 10)], array_forward=np.sqrt,
           explain=lambda x: "sqrt is defined only for x >= 0")
SIN = _op("sin", math.sin, lambda g, ans, x: (g * cos(x),), 1,
          formula="d/dx = cos x", domain=[(-6, 6)], array_forward=np.sin,
          explain=lambda x: "sin is not defined at ±inf")
COS = _op("cos", math.cos, lambda g, ans, x: (-g * sin(x),), 1,
          formula="d/dx = −sin x", domain=[(-6, 6)], array_forward=np.cos,
          explain=lambda x: "cos is not defined at ±inf")
ABS = _op("abs", abs, lambda g, ans, x: (g * _sign(x),), 1,
          formula="d/dx = sign x (0 at 0)", domain=[(-5, 5)], kinks=(0.0,), array_forward=np.abs,
          array_vjp=lambda g, ans, x: (g * _sign_array(x),))

# Activations (the seeds' g and g'). A rule that is zero on a branch selects
# 0.0 instead of multiplying by it, so an infinite upstream gives 0, not NaN.
TANH = _op("tanh", math.tanh, lambda g, ans, x: (g * (1 - ans * ans),), 1,
           formula="d/dx = 1 − tanh²x", domain=[(-4, 4)], array_forward=np.tanh)
SIGMOID = _op("sigmoid", _sigmoid, lambda g, ans, x: (g * ans * (1 - ans),), 1,
              formula="d/dx = σ(x)(1 − σ(x))", domain=[(-8, 8)], array_forward=sigmoid_array)
RELU = _op("relu", _relu, lambda g, ans, x: (0.0 if ans <= 0 else g,), 1,
           formula="d/dx = 1 if x > 0 else 0", domain=[(-5, 5)], kinks=(0.0,),
           array_forward=lambda x: np.where(x <= 0, 0.0, x),
           array_vjp=lambda g, ans, x: (np.where(ans <= 0, 0.0, g),))
LEAKY_RELU = _op("leaky_relu", _leaky_relu, lambda g, ans, x, s: (g, 0.0) if x > 0 else (g * s, g * x), 2,
                 formula="∂/∂x = 1 if x > 0 else slope, ∂/∂slope = 0 if x > 0 else x",
                 domain=[(-5, 5), (0.001, 0.5)], kinks=(0.0,),
                 array_forward=lambda x, s: np.where(x <= 0, s * x, x),
                 array_vjp=lambda g, ans, x, s: (np.where(x > 0, g, g * s), np.where(x > 0, 0.0, g * x)))
SOFTPLUS = _op("softplus", _softplus, lambda g, ans, x: (g * sigmoid(x),), 1,
               formula="d/dx = σ(x)", domain=[(-8, 8)], array_forward=lambda x: np.logaddexp(0.0, x))

# Reductions. Σ over any number of inputs is one node: a neuron's net input
# Σᵢ wᵢ aᵢ + b (the seeds' in_j and z_j) is one sum, not a chain of additions.
SUM = _op("sum", _sum, lambda g, ans, *xs: (g,) * len(xs), None,
          formula="∂/∂xᵢ = 1", domain=[(-5, 5)] * 3, array_forward=lambda *xs: np.sum(xs, axis=0))


# ---- functions on a Value or a float ---------------------------------------
# Each op is callable: `exp(2.0)` is a float, `exp(Value(2.0))` a Value.
# (`autograd` also offers ABS as `abs`, POWV as `pow` and `sum_values` as `sum`.)
exp, log, sqrt, sin, cos, tanh, sigmoid, relu, softplus = EXP, LOG, SQRT, SIN, COS, TANH, SIGMOID, RELU, SOFTPLUS


def leaky_relu(x: Any, slope: Any = LEAKY_RELU_SLOPE) -> Any:
    """max(x, slope·x) for slope < 1: a Value slope is differentiated, a number is a constant."""
    return LEAKY_RELU(x, slope)


def sum_values(values: Any) -> Any:
    """Σ of an iterable of Values and numbers as one graph node (a float when no
    Value is among them)."""
    values = tuple(values)
    return SUM(*values) if values else 0.0


# ---- the table as documentation --------------------------------------------

_BUILTIN_NAMES = tuple(REGISTRY)
BUILTIN_NAMES.update(_BUILTIN_NAMES)
for _name in _BUILTIN_NAMES:
    register(REGISTRY[_name])  # tries each rule once (rules call each other, so only now)


def builtin_ops() -> list[Op]:
    """The ops of this table, in table order (custom ops are in `REGISTRY` too)."""
    return [REGISTRY[n] for n in _BUILTIN_NAMES]


def markdown_table(ops: list[Op] | None = None) -> str:
    """The README's table of ops, generated from the registry."""
    rows = ["| op | inputs | local derivative | sampled domain | compiles |", "|---|---|---|---|---|"]
    for op in ops if ops is not None else builtin_ops():
        inputs = "n" if op.arity is None else str(op.arity)
        domain = ", ".join(f"[{lo:g}, {hi:g}]" for lo, hi in op.domain)
        rows.append(f"| `{op.name}` | {inputs} | {op.formula} | {domain} | {_compiles(op)} |")
    return "\n".join(rows)


def _compiles(op: Op) -> str:
    """The README's "compiles" cell: whether `autograd.compile` can replay the op
    over a batch, and with which rule."""
    if not compiles(op):
        return "no (no array form)" if op.array_forward is None else "no (its rule branches; give array_vjp)"
    return "yes (array rule)" if op.array_vjp is not None else "yes"
