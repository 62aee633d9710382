"""The one place that checks numbers given by a user: a Value's data, a
learning rate, a step size, a seed, a count.

Every check accepts what Python and NumPy users write for a number (int,
float, and NumPy's integer, floating and bool scalars) and returns a plain
Python `float` or `int`, so no NumPy scalar leaks into a graph or a saved
file. Anything else is a `NumberTypeError` (a `TypeError`), and a number out
of range a `ValueError`, each naming `what` was given and the value.
"""

from __future__ import annotations

import math
import numbers
from typing import Any


class NumberTypeError(TypeError, ValueError):
    """Not a number at all (a string, None, a list; a bool where a count or a
    rate is due). A TypeError, as Python raises for a wrong type, and also a
    ValueError, because `nn` and the checks promised a ValueError for every bad
    hyperparameter before this module existed: both `except` clauses work."""


def short(x: Any, width: int = 40) -> str:
    """`repr(x)` cut to `width` characters, for error messages."""
    text = repr(x) if not _is_huge_int(x) else f"an integer of about {int(x.bit_length() * 0.30103) + 1} digits"
    return text if len(text) <= width else text[: width - 3] + "..."


def _is_huge_int(x: Any) -> bool:
    # repr of a 5,000-digit int is slow and useless in a message (and Python
    # refuses past 4,300 digits).
    return isinstance(x, int) and x.bit_length() > 1024


def real(x: Any, what: str) -> float:
    """`x` as a float when it is a real number (bools and NumPy scalars
    included), else a NumberTypeError (a TypeError) naming its type; an integer
    too large for a float is an OverflowError that says so."""
    cls = x.__class__
    if cls is float:
        return x  # the fast path: every op's operand
    if isinstance(x, numbers.Real) or _is_numpy_bool(x):
        try:
            return float(x)
        except OverflowError:
            raise OverflowError(f"{what}: {short(x)} is too large for a float (the largest is about 1.8e308)") from None
    raise NumberTypeError(f"{what} must be a real number (int, float, bool or a NumPy scalar), "
                          f"got {cls.__name__}: {short(x)}")


def _is_numpy_bool(x: Any) -> bool:
    """NumPy's bool_, the one NumPy scalar that does not register as a Real."""
    return x.__class__.__module__ == "numpy" and getattr(x, "shape", None) == () and x.dtype.kind == "b"


def hyperparameter(x: Any, what: str, *, low: float = -math.inf, low_open: bool = False,
                   high: float = math.inf, high_open: bool = False) -> float:
    """A finite real number (not a bool) with `low <= x <= high` (`low < x` when
    `low_open`, `x < high` when `high_open`): a learning rate, a step size, a
    tolerance, a slope. An integer too large for a float is out of range: a
    ValueError, like any other."""
    if isinstance(x, bool) or _is_numpy_bool(x):
        raise NumberTypeError(f"{what} must be a number, got the bool {x!r}")
    if not isinstance(x, numbers.Real):
        raise NumberTypeError(f"{what} must be a number (an int, a float or a NumPy scalar), "
                              f"got {type(x).__name__}: {short(x)}")
    try:
        value = real(x, what)
    except OverflowError as err:
        raise ValueError(str(err)) from None
    below = value < low or (low_open and value == low)
    above = value > high or (high_open and value == high)
    if not math.isfinite(value) or below or above:
        raise ValueError(f"{what} must be a finite number{_range(low, low_open, high, high_open)}, got {value!r}")
    return value


def _range(low: float, low_open: bool, high: float, high_open: bool) -> str:
    """' >= 0', ' > 0 and < 1', or '' when any finite number will do."""
    parts = []
    if low > -math.inf:
        parts.append(f"{'>' if low_open else '>='} {low:g}")
    if high < math.inf:
        parts.append(f"{'<' if high_open else '<='} {high:g}")
    return " " + " and ".join(parts) if parts else ""


def integer(x: Any, what: str, *, low: int | None = None) -> int:
    """An integer (Python or NumPy, not a bool) >= `low`, as a Python int."""
    if isinstance(x, bool) or not isinstance(x, numbers.Integral):
        raise NumberTypeError(f"{what} must be an int, got {type(x).__name__}: {short(x)}")
    value = int(x)
    if low is not None and value < low:
        raise ValueError(f"{what} must be an int >= {low}, got {value}")
    return value
