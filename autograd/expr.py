"""Safe evaluation of a scalar expression typed by a user, such as
`tanh(x*w + b)`, into a Value graph.

The text is parsed with Python's `ast` and walked through a whitelist: numbers,
named variables, the constants `pi` and `e`, `+ - * / **`, unary minus and
plus, calls of the op table's functions by name (`tanh(x)`), and the same ops
called as Value's methods (`x.tanh()`, `(x*w).exp()`). Nothing is ever passed
to `eval`. Other attribute access, subscripts, lambdas, comprehensions, keyword
arguments, unknown names and anything else are refused with an
`ExpressionError` that says what was found.

Names are read as Python reads identifiers, NFKC-normalised (`ℌ` is `H`), and
so are the names of the variables given (`variables`). A variable named `pi`
or `e` is the variable: names given by the user shadow the constants, as a
local name shadows a module's in Python.

Every node the expression makes is labelled with its sub-expression as written
(`x*w`, `x*w + b`), so a picture of the graph reads like the expression.
Sizes are bounded so that no input can hang the process: the text's length,
the number of syntax nodes and the nesting depth. Arithmetic is on floats, so
`9**9**9` overflows at once (OverflowError) instead of building a huge integer.
"""

from __future__ import annotations

import ast
import keyword
import math
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from . import ops
from .engine import Constant, Value
from .registry import REGISTRY

MAX_LENGTH = 2_000  # characters
MAX_NODES = 1_000  # syntax nodes
MAX_DEPTH = 60  # nesting of sub-expressions
MAX_LABEL = 60  # characters of a sub-expression's label before it is shortened in the middle

CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}

# The op table computes plain numbers too (with its domain errors), so
# `(-8) ** 0.5` is the engine's ValueError, never a complex number.
_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: ops.ADD,
    ast.Sub: ops.SUB,
    ast.Mult: ops.MUL,
    ast.Div: ops.DIV,
    ast.Pow: lambda x, y: (ops.POWV if isinstance(y, Value) else ops.POW)(x, y),
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.USub: ops.NEG,
    ast.UAdd: lambda x: x,
}
# The refused operators as they are written, for the messages.
_SYMBOLS: dict[type[ast.AST], str] = {
    ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>",
    ast.BitOr: "|", ast.BitXor: "^", ast.BitAnd: "&", ast.Invert: "~", ast.Not: "not",
}


class ExpressionError(ValueError):
    """The expression is not one this evaluator accepts; the message says why."""


def functions() -> dict[str, Callable[..., Any]]:
    """The callable names: every op of the table whose name is an identifier
    (custom ops registered with `defop` included), with `leaky_relu`'s slope
    optional as in the method."""
    table: dict[str, Callable[..., Any]] = {name: op for name, op in REGISTRY.items() if name.isidentifier()}
    table["leaky_relu"] = ops.leaky_relu
    return table


def variable_name(name: str) -> str:
    """`name` as the parser reads it in an expression: NFKC-normalised, as Python
    normalises identifiers (`ℌ` becomes `H`). A name that could never be used
    in an expression is refused: not an identifier (`1x`, `x-y`), or a keyword
    (`if`, `lambda`, `None`, `True`, `False`)."""
    if not isinstance(name, str):
        raise ExpressionError(f"a variable name must be a string, got {type(name).__name__}")
    normal = unicodedata.normalize("NFKC", name)
    if not name.isidentifier() or not normal.isidentifier():
        raise ExpressionError(f"{name!r} is not a valid variable name (a name such as x, w1 or b_out)")
    if keyword.iskeyword(normal):
        raise ExpressionError(f"{name!r} is a Python keyword, so an expression can never use it as a variable")
    return normal


def normalise_variables(given: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """`given` (a mapping, or (name, value) pairs such as repeated `--var`s) keyed
    by the names the parser reads (`variable_name`). A name given twice, or two
    names that normalise to one (`H` and `ℌ`), are refused: the expression
    could not tell them apart."""
    pairs = given.items() if isinstance(given, Mapping) else given
    out: dict[str, Any] = {}
    written: dict[str, str] = {}
    for name, value in pairs:
        normal = variable_name(name)
        if normal in out:
            first = written[normal]
            if first == name:
                raise ExpressionError(f"the variable {name!r} is given twice")
            raise ExpressionError(f"the variables {first!r} and {name!r} are one name to Python "
                                  f"(both read as {normal!r}); rename one")
        out[normal], written[normal] = value, name
    return out


def parse_variable(text: str) -> tuple[str, float]:
    """`NAME=NUMBER` (the command's `--var`) as (the name as written, a finite
    float), the name one an expression can use (`variable_name`; give the pairs
    to `normalise_variables` or `evaluate`, which read it as the parser does).
    NaN, infinities and numbers too large for a float are refused: a gradient
    at such a point says nothing."""
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or not name:
        raise ExpressionError(f"expected NAME=NUMBER, got {text!r}")
    variable_name(name)
    try:
        number = float(value)
    except ValueError:
        raise ExpressionError(f"{name}: {value.strip()!r} is not a number") from None
    if math.isnan(number) or (math.isinf(number) and "inf" in value.lower()):
        raise ExpressionError(f"{name}: {value.strip()!r} is not a finite number")
    if math.isinf(number):
        raise ExpressionError(f"{name}: {value.strip()!r} is too large for a float (the largest is about 1.8e308)")
    return name, number


def evaluate(text: str, variables: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> Value:
    """Evaluates `text` with `variables` (name -> number or Value, or (name, value)
    pairs; names are read as in `normalise_variables`) and returns the resulting Value;
    numbers given as variables become labelled leaf Values, and every node the
    expression makes is labelled with its sub-expression (the result with the
    whole expression)."""
    if not isinstance(text, str):
        raise ExpressionError(f"the expression must be a string, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression is {len(text)} characters long; the limit is {MAX_LENGTH}")
    text = text.strip()
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as err:
        raise ExpressionError(f"not a valid expression: {err.msg}") from None
    except (RecursionError, MemoryError):
        raise ExpressionError("the expression is nested too deeply") from None
    size = sum(1 for _ in ast.walk(tree))
    if size > MAX_NODES:
        raise ExpressionError(f"the expression has {size} parts; the limit is {MAX_NODES}")
    given = normalise_variables(variables)
    leaves = {name: v if isinstance(v, Value) else Value(v, label=name) for name, v in given.items()}
    result = _Evaluator(text, leaves, functions()).visit(tree.body, 0)
    whole = " ".join(text.split())  # the output's label: the whole expression, on one line
    if not isinstance(result, Value):
        return Value(result, label=whole)  # an expression of constants
    if not any(result is v for v in leaves.values()):
        result.label = whole
    return result


def _label(segment: str) -> str:
    """A sub-expression as a node's label: blanks as written but one line, cut in
    the middle past `MAX_LABEL` characters."""
    text = " ".join(segment.split())
    if len(text) <= MAX_LABEL:
        return text
    half = (MAX_LABEL - 1) // 2
    return text[:half] + "…" + text[-half:]


class _Evaluator:
    def __init__(self, text: str, variables: Mapping[str, Value], funcs: Mapping[str, Callable[..., Any]]) -> None:
        self.text = text
        self.variables = variables
        self.funcs = funcs
        self.given = {id(v) for v in variables.values()}

    def visit(self, node: ast.AST, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise ExpressionError(f"the expression is nested more than {MAX_DEPTH} levels deep")
        if isinstance(node, ast.Constant):
            return self.number(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            left, right = self.visit(node.left, depth + 1), self.visit(node.right, depth + 1)
            if isinstance(right, Value) and not isinstance(left, Value):
                left = self.constant(left, node.left)
            elif isinstance(left, Value) and not isinstance(right, Value) and not isinstance(node.op, ast.Pow):
                right = self.constant(right, node.right)  # (a number exponent stays a number: the `**` op)
            out = _BINARY[type(node.op)](left, right)
            if isinstance(node.op, ast.Pow) and isinstance(out, Value) and not isinstance(right, Value):
                self.label_exponent(out, node.right)
        elif isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            out = _UNARY[type(node.op)](self.visit(node.operand, depth + 1))
        elif isinstance(node, ast.Call):
            out = self.call(node, depth)
        elif isinstance(node, ast.Attribute) and self.is_method(node.attr):
            raise ExpressionError(f"{_label(ast.get_source_segment(self.text, node) or node.attr)} is a method; "
                                  f"call it: {_label(ast.get_source_segment(self.text, node) or node.attr)}()")
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitXor):
            # The whole text with ** for ^: `x ^ 2 + 1` meant x**2 + 1, though Python reads x ^ (2 + 1).
            raise ExpressionError(f"the operator ^ is bitwise XOR in Python, not a power; "
                                  f"write ** for a power: {_label(self.text.replace('^', '**'))}")
        else:
            raise ExpressionError(f"{_describe(node)} is not allowed; use numbers, variables, + - * / ** and "
                                  f"the functions {', '.join(sorted(self.funcs))}")
        return self.labelled(out, node)

    def constant(self, number: float, node: ast.AST) -> Constant:
        """A number meeting a Value, as the constant leaf the engine would make,
        labelled with its text (`2`, `pi`, `2*pi`)."""
        return Constant(number, label=_label(ast.get_source_segment(self.text, node) or ""))

    def label_exponent(self, out: Value, node: ast.AST) -> None:
        """The number exponent of `x ** 2`, the constant leaf the engine made, labelled with its text."""
        exponent = out.inputs[-1] if len(out.inputs) == 2 else None
        if isinstance(exponent, Constant) and not exponent.label:
            exponent.label = _label(ast.get_source_segment(self.text, node) or "")

    def labelled(self, out: Any, node: ast.AST) -> Any:
        """`out` labelled with the sub-expression `node` as written, when it is a
        node this expression made (not a variable given, as `+x` returns)."""
        if isinstance(out, Value) and id(out) not in self.given and not out.label:
            out.label = _label(ast.get_source_segment(self.text, node) or "")
        return out

    def number(self, node: ast.Constant) -> float:
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise ExpressionError(f"only numbers are allowed as constants, got {node.value!r:.40}")
        return float(node.value)  # floats only: no unbounded integer arithmetic

    def name(self, node: ast.Name) -> Any:
        # ast has already normalised node.id (NFKC), as the variables' names are.
        if node.id in self.variables:
            return self.variables[node.id]
        if node.id in CONSTANTS:
            return CONSTANTS[node.id]
        if node.id in self.funcs:
            raise ExpressionError(f"{node.id!r} is a function; call it, as in {node.id}(x)")
        given = ", ".join(sorted(self.variables)) or "none"
        raise ExpressionError(f"unknown variable {node.id!r}; give it with --var {node.id}=VALUE (given: {given})")

    def call(self, node: ast.Call, depth: int) -> Any:
        """`f(args)` for a function of the table, or `receiver.f(args)` for one of
        Value's op methods (`x.exp()` is `exp(x)`)."""
        func = node.func
        if isinstance(func, ast.Attribute) and self.is_method(func.attr):
            name, receiver = func.attr, [func.value]
        elif isinstance(func, ast.Name) and func.id in self.funcs:
            name, receiver = func.id, []
        elif isinstance(func, ast.Attribute) and func.attr in self.funcs:
            receiver_text = _label(ast.get_source_segment(self.text, func.value) or "x")
            raise ExpressionError(f"{func.attr!r} is not a method of Value; call it as a function: "
                                  f"{func.attr}({receiver_text})")
        elif isinstance(func, (ast.Name, ast.Attribute)):
            # The callee as written (`foo`, `__import__('os').system`), cut short: it is never evaluated.
            what = func.id if isinstance(func, ast.Name) else ast.unparse(func)
            what = what if len(what) <= 60 else what[:57] + "..."
            raise ExpressionError(f"unknown function {what!r}; the functions are {', '.join(sorted(self.funcs))}")
        else:
            raise ExpressionError(f"only named functions can be called; got {_describe(func)}")
        if node.keywords:
            raise ExpressionError(f"{name}(): keyword arguments are not allowed")
        if any(isinstance(a, ast.Starred) for a in node.args):
            raise ExpressionError(f"{name}(): *arguments are not allowed")
        args = [self.visit(a, depth + 1) for a in [*receiver, *node.args]]
        try:
            return self.funcs[name](*args)
        except TypeError as err:
            raise ExpressionError(f"{name}(): {err}") from None

    def is_method(self, name: str) -> bool:
        """An op of the table that Value also has as a method (`exp`, `tanh`, `leaky_relu`, ...)."""
        return name in self.funcs and not name.startswith("_") and callable(getattr(Value, name, None))


def _describe(node: ast.AST) -> str:
    names = {
        ast.Attribute: "attribute access", ast.Subscript: "subscripting", ast.Lambda: "a lambda",
        ast.Compare: "a comparison", ast.BoolOp: "and/or", ast.IfExp: "a conditional expression",
        ast.ListComp: "a comprehension", ast.GeneratorExp: "a generator", ast.List: "a list",
        ast.Tuple: "a tuple", ast.Dict: "a dict", ast.Set: "a set", ast.NamedExpr: "an assignment",
        ast.JoinedStr: "an f-string", ast.Await: "await", ast.Starred: "a starred expression",
        ast.Call: "the result of a call", ast.Constant: "a constant",
    }
    if isinstance(node, ast.BinOp):
        return f"the operator {_SYMBOLS.get(type(node.op), type(node.op).__name__)}"
    if isinstance(node, ast.UnaryOp):
        return f"the unary operator {_SYMBOLS.get(type(node.op), type(node.op).__name__)}"
    return names.get(type(node), f"a {type(node).__name__} expression")
