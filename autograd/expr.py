"""Safe evaluation of a scalar expression typed by a user, such as
`tanh(x*w + b)`, into a Value graph.

The text is parsed with Python's `ast` and walked through a whitelist: numbers,
named variables, `+ - * / **`, unary minus and plus, and calls of the op table's
functions by name. Nothing is ever passed to `eval`. Attribute access,
subscripts, lambdas, comprehensions, keyword arguments, unknown names and
anything else are refused with an `ExpressionError` that says what was found.
Sizes are bounded so that no input can hang the process: the text's length,
the number of syntax nodes and the nesting depth. Arithmetic is on floats, so
`9**9**9` overflows at once (OverflowError) instead of building a huge integer.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from typing import Any

from . import ops
from .engine import Value
from .registry import REGISTRY

MAX_LENGTH = 2_000  # characters
MAX_NODES = 1_000  # syntax nodes
MAX_DEPTH = 60  # nesting of sub-expressions

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


class ExpressionError(ValueError):
    """The expression is not one this evaluator accepts; the message says why."""


def functions() -> dict[str, Callable[..., Any]]:
    """The callable names: every op of the table whose name is an identifier
    (custom ops registered with `defop` included), with `leaky_relu`'s slope
    optional as in the method."""
    table: dict[str, Callable[..., Any]] = {name: op for name, op in REGISTRY.items() if name.isidentifier()}
    table["leaky_relu"] = ops.leaky_relu
    return table


def evaluate(text: str, variables: Mapping[str, Any]) -> Value:
    """Evaluates `text` with `variables` (name -> number or Value) and returns the
    resulting Value; numbers given as variables become labelled leaf Values."""
    if not isinstance(text, str):
        raise ExpressionError(f"the expression must be a string, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression is {len(text)} characters long; the limit is {MAX_LENGTH}")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as err:
        raise ExpressionError(f"not a valid expression: {err.msg}") from None
    except (RecursionError, MemoryError):
        raise ExpressionError("the expression is nested too deeply") from None
    size = sum(1 for _ in ast.walk(tree))
    if size > MAX_NODES:
        raise ExpressionError(f"the expression has {size} parts; the limit is {MAX_NODES}")
    leaves = {name: v if isinstance(v, Value) else Value(v, label=name) for name, v in variables.items()}
    result = _Evaluator(leaves, functions()).visit(tree.body, 0)
    return result if isinstance(result, Value) else Value(result)


class _Evaluator:
    def __init__(self, variables: Mapping[str, Value], funcs: Mapping[str, Callable[..., Any]]) -> None:
        self.variables = variables
        self.funcs = funcs

    def visit(self, node: ast.AST, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise ExpressionError(f"the expression is nested more than {MAX_DEPTH} levels deep")
        if isinstance(node, ast.Constant):
            return self.number(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            return _BINARY[type(node.op)](self.visit(node.left, depth + 1), self.visit(node.right, depth + 1))
        if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            return _UNARY[type(node.op)](self.visit(node.operand, depth + 1))
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        raise ExpressionError(f"{_describe(node)} is not allowed; use numbers, variables, + - * / ** and "
                              f"the functions {', '.join(sorted(self.funcs))}")

    def number(self, node: ast.Constant) -> float:
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise ExpressionError(f"only numbers are allowed as constants, got {node.value!r:.40}")
        return float(node.value)  # floats only: no unbounded integer arithmetic

    def name(self, node: ast.Name) -> Value:
        if node.id in self.variables:
            return self.variables[node.id]
        if node.id in self.funcs:
            raise ExpressionError(f"{node.id!r} is a function; call it, as in {node.id}(x)")
        given = ", ".join(sorted(self.variables)) or "none"
        raise ExpressionError(f"unknown variable {node.id!r}; give it with --var {node.id}=VALUE (given: {given})")

    def call(self, node: ast.Call, depth: int) -> Any:
        if not isinstance(node.func, ast.Name) or node.func.id not in self.funcs:
            # The callee as written (`x.tanh`, `__import__('os').system`), cut short: it is never evaluated.
            what = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)
            what = what if len(what) <= 60 else what[:57] + "..."
            raise ExpressionError(f"unknown function {what!r}; the functions are {', '.join(sorted(self.funcs))}")
        if node.keywords:
            raise ExpressionError(f"{node.func.id}(): keyword arguments are not allowed")
        if any(isinstance(a, ast.Starred) for a in node.args):
            raise ExpressionError(f"{node.func.id}(): *arguments are not allowed")
        args = [self.visit(a, depth + 1) for a in node.args]
        try:
            return self.funcs[node.func.id](*args)
        except TypeError as err:
            raise ExpressionError(f"{node.func.id}(): {err}") from None


def _describe(node: ast.AST) -> str:
    names = {
        ast.Attribute: "attribute access", ast.Subscript: "subscripting", ast.Lambda: "a lambda",
        ast.Compare: "a comparison", ast.BoolOp: "and/or", ast.IfExp: "a conditional expression",
        ast.ListComp: "a comprehension", ast.GeneratorExp: "a generator", ast.List: "a list",
        ast.Tuple: "a tuple", ast.Dict: "a dict", ast.Set: "a set", ast.NamedExpr: "an assignment",
        ast.JoinedStr: "an f-string", ast.Await: "await", ast.Starred: "a starred expression",
    }
    if isinstance(node, ast.BinOp):
        return f"the operator {type(node.op).__name__}"
    if isinstance(node, ast.UnaryOp):
        return f"the unary operator {type(node.op).__name__}"
    return names.get(type(node), f"a {type(node).__name__} expression")
