"""The safe expression parser (`autograd.expr.evaluate`), which turns text a user
types (`deltagrad graph "tanh(x*w + b)"`) into a Value graph without ever handing
it to Python: what it accepts and the value it computes, what it refuses and the
message it gives, and its limits on length, size and nesting."""

from __future__ import annotations

import ast
import math
import operator

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from autograd import REGISTRY, Constant, Value
from autograd.expr import (
    MAX_DEPTH,
    MAX_LABEL,
    MAX_LENGTH,
    MAX_NODES,
    ExpressionError,
    evaluate,
    functions,
    normalise_variables,
    parse_variable,
    variable_name,
)

X, Y = 1.5, -0.5


def value(text: str, **variables: float) -> float:
    return evaluate(text, variables or {"x": X, "y": Y}).data


def refusal(text: str, **variables: float) -> str:
    with pytest.raises(ExpressionError) as err:
        evaluate(text, variables or {"x": X})
    return str(err.value)


def not_allowed(what: str) -> str:
    """The message for a construct outside the whitelist."""
    return (f"{what} is not allowed; use numbers, variables, + - * / ** and the functions "
            f"{', '.join(sorted(functions()))}")


def nested(n: int, inner: str = "x") -> str:
    """`tanh(tanh(...(x)...))`, n calls deep."""
    return "tanh(" * n + inner + ")" * n


# ---- what it accepts, and the value -------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("3", 3.0), ("2.5", 2.5), ("1e-3", 0.001), ("1_000", 1000.0), ("0x10", 16.0),
    ("x", X), ("x + y", X + Y), ("x - y", X - Y), ("x * y", X * Y), ("x / y", X / Y),
    ("x ** 3", X ** 3), ("x ** y", X ** Y), ("2 ** x", 2 ** X), ("-x", -X), ("--x", X), ("-+x", -X),
])
def test_numbers_variables_and_arithmetic_evaluate_as_python_does(text, expected):
    assert value(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("2 + 3 * 4 ** 2 / 8 - -1", 9.0),  # ** before * and /, before + and -
    ("-2 ** 2", -4.0),  # unary minus binds looser than **, as in Python
    ("2 ** -1", 0.5),
    ("2 ** 3 ** 2", 512.0),  # ** is right-associative
    ("(2 + 3) * 4", 20.0),
    ("  x + 1  ", X + 1),  # surrounding blanks are ignored
])
def test_precedence_and_associativity_are_pythons(text, expected):
    assert value(text) == expected


def test_unary_plus_is_the_identity_not_a_negation():
    x = Value(2.0, label="x")
    assert evaluate("+x", {"x": x}) is x
    assert evaluate("+x", {"x": 2.0}).data == 2.0
    assert evaluate("+-x", {"x": 2.0}).data == -2.0


@pytest.mark.parametrize("text, expected", [
    ("tanh(x)", math.tanh(X)), ("exp(x)", math.exp(X)), ("log(x)", math.log(X)), ("sqrt(x)", math.sqrt(X)),
    ("sin(x)", math.sin(X)), ("cos(x)", math.cos(X)), ("abs(y)", abs(Y)), ("neg(x)", -X),
    ("relu(x)", X), ("relu(y)", 0.0), ("sigmoid(x)", 1 / (1 + math.exp(-X))), ("softplus(x)", math.log1p(math.exp(X))),
    ("leaky_relu(y)", 0.01 * Y),  # the default slope, 0.01
    ("leaky_relu(y, 0.2)", 0.2 * Y), ("pow(x, y)", X ** Y), ("sum(x, y, 3)", X + Y + 3),
])
def test_each_function_of_the_op_table_is_callable_by_name(text, expected):
    assert value(text) == pytest.approx(expected, rel=1e-15, abs=0.0)


def test_every_callable_name_is_an_op_of_the_table():
    builtin = {"abs", "cos", "exp", "leaky_relu", "log", "neg", "pow", "relu", "sigmoid", "sin", "softplus", "sqrt",
               "sum", "tanh"}
    # Custom ops (nn registers binary_cross_entropy when imported) are callable too.
    assert set(functions()) == builtin | {name for name in REGISTRY if name.isidentifier()}


def test_the_lecture_neuron_is_a_graph_that_backpropagates_to_the_given_values():
    x, w = Value(2.0, label="x"), Value(-3.0, label="w")
    out = evaluate("tanh(x*w + b)", {"x": x, "w": w, "b": 6.88})
    out.backward()
    t = math.tanh(2.0 * -3.0 + 6.88)
    assert out.data == pytest.approx(t, rel=1e-15) and out.op == "tanh"
    assert x.grad == pytest.approx(-3.0 * (1 - t * t), rel=1e-12)  # ∂/∂x tanh(xw + b) = w (1 − tanh²)
    assert w.grad == pytest.approx(2.0 * (1 - t * t), rel=1e-12)


def test_numbers_given_as_variables_become_labelled_leaves():
    out = evaluate("x * y", {"x": 2.0, "y": 4.0})
    assert [(v.label, v.data, v.is_leaf()) for v in out.inputs] == [("x", 2.0, True), ("y", 4.0, True)]


def test_an_expression_of_constants_is_a_leaf_value():
    out = evaluate("2 * 3", {})
    assert isinstance(out, Value) and out.data == 6.0 and out.is_leaf()


@pytest.mark.parametrize("text, expected", [
    ("x.exp()", math.exp(X)), ("x.tanh()", math.tanh(X)), ("y.relu()", 0.0), ("y.abs()", abs(Y)),
    ("(x*y).exp()", math.exp(X * Y)), ("y.leaky_relu(0.2)", 0.2 * Y), ("x.sqrt().log()", math.log(math.sqrt(X))),
    ("(2.0).exp()", math.exp(2.0)),
])
def test_the_op_tables_methods_of_value_are_accepted_as_methods(text, expected):
    assert value(text) == pytest.approx(expected, rel=1e-15, abs=0.0)


def test_a_method_call_is_the_same_node_as_the_function_call():
    x = Value(X, label="x")
    out = evaluate("x.tanh()", {"x": x})
    out.backward()
    assert out.op == "tanh" and out.inputs == (x,) and x.grad == pytest.approx(1 - math.tanh(X) ** 2, rel=1e-15)


def test_a_method_named_without_a_call_is_refused_with_how_to_call_it():
    assert refusal("x.tanh + 1") == "x.tanh is a method; call it: x.tanh()"


def test_a_custom_op_called_as_a_method_is_refused_with_the_function_form(register):
    register("cube", lambda x: x ** 3, derivatives=[lambda x: 3 * x ** 2])
    assert refusal("(x + 1).cube()") == "'cube' is not a method of Value; call it as a function: cube(x + 1)"


def test_a_caret_is_refused_with_a_hint_to_write_a_power():
    assert refusal("x ^ 2") == "the operator ^ is bitwise XOR in Python, not a power; write ** for a power: x ** 2"
    # Python reads x ^ 2 + 1 as x ^ (2 + 1); the hint keeps what was meant, x**2 + 1.
    assert refusal("x ^ 2 + 1").endswith("write ** for a power: x ** 2 + 1")
    assert refusal("(x+1)^y", x=1.0, y=2.0).endswith("write ** for a power: (x+1)**y")


@pytest.mark.parametrize("text, expected", [("pi", math.pi), ("e", math.e), ("2*pi*x", 2 * math.pi * X),
                                            ("log(e)", 1.0), ("cos(pi)", -1.0)])
def test_pi_and_e_are_known_constants(text, expected):
    assert value(text) == pytest.approx(expected, rel=1e-15, abs=0.0)


def test_a_variable_named_like_a_constant_shadows_it():
    assert evaluate("e * 2", {"e": 5.0}).data == 10.0
    e = Value(5.0, label="e")
    evaluate("pi * e", {"e": e}).backward()
    assert e.grad == pytest.approx(math.pi, rel=1e-15)  # e is the variable; pi stays the constant


def test_every_node_is_labelled_with_its_sub_expression_and_the_output_with_the_whole():
    out = evaluate("tanh(x*w + b)", {"x": 2.0, "w": -3.0, "b": 6.88})
    (net,) = out.inputs
    product, b = net.inputs
    assert (out.label, net.label, product.label, b.label) == ("tanh(x*w + b)", "x*w + b", "x*w", "b")
    assert [v.label for v in product.inputs] == ["x", "w"]


def test_labels_are_the_text_as_written_on_one_line_and_a_long_one_is_cut():
    out = evaluate("(x\n   + y).exp()", {"x": 1.0, "y": 2.0})
    assert out.label == "(x + y).exp()" and out.inputs[0].label == "x\n   + y".replace("\n   ", " ")
    long = " + ".join(f"x{i}" for i in range(40))
    out = evaluate(f"tanh({long})", {f"x{i}": 1.0 for i in range(40)})
    assert out.label == f"tanh({long})"  # the output: the whole expression
    inner = out.inputs[0].label
    assert len(inner) == MAX_LABEL - 1 and "…" in inner and inner.startswith("x0 + x1") and inner.endswith("x39")


def test_numbers_that_meet_a_value_are_constants_labelled_as_written():
    out = evaluate("2*pi*x + x ** 2", {"x": 1.5})
    scaled, square = out.inputs
    two_pi, x = scaled.inputs
    assert isinstance(two_pi, Constant) and (two_pi.label, two_pi.data) == ("2*pi", 2 * math.pi)
    assert square.op == "**" and isinstance(square.inputs[1], Constant) and square.inputs[1].label == "2"
    out.backward()
    assert x.grad == pytest.approx(2 * math.pi + 2 * 1.5, rel=1e-15)  # a number exponent stays a constant


def test_a_given_value_keeps_its_own_label():
    x = Value(2.0, label="weight")
    assert evaluate("+x", {"x": x}).label == "weight"


def test_an_expression_of_constants_is_labelled_with_itself():
    assert evaluate("2 * pi", {}).label == "2 * pi"


# ---- variable names: read as Python reads identifiers ------------------------------------------------

def test_variable_names_are_nfkc_normalised_like_the_expressions_names():
    # Python reads the identifier ℌ as H (NFKC), so "ℌ*2" uses the variable H, however it was given.
    assert evaluate("ℌ * 2", {"H": 3.0}).data == 6.0
    assert evaluate("H * 2", {"ℌ": 3.0}).data == 6.0
    assert normalise_variables({"ℌ": 1.0}) == {"H": 1.0}


def test_two_names_that_normalise_to_one_are_refused():
    with pytest.raises(ExpressionError) as err:
        evaluate("H * ℌ", [("H", 2.0), ("ℌ", 3.0)])
    assert str(err.value) == "the variables 'H' and 'ℌ' are one name to Python (both read as 'H'); rename one"


def test_a_name_given_twice_is_refused():
    with pytest.raises(ExpressionError, match=r"^the variable 'x' is given twice$"):
        normalise_variables([("x", 1.0), ("x", 2.0)])


@pytest.mark.parametrize("name, message", [
    ("if", "'if' is a Python keyword, so an expression can never use it as a variable"),
    ("None", "'None' is a Python keyword, so an expression can never use it as a variable"),
    ("True", "'True' is a Python keyword, so an expression can never use it as a variable"),
    ("lambda", "'lambda' is a Python keyword, so an expression can never use it as a variable"),
    ("1x", "'1x' is not a valid variable name (a name such as x, w1 or b_out)"),
    ("x-y", "'x-y' is not a valid variable name (a name such as x, w1 or b_out)"),
    ("x²", "'x²' is not a valid variable name (a name such as x, w1 or b_out)"),  # Python refuses x² as a name
])
def test_a_name_that_can_never_be_used_is_refused(name, message):
    with pytest.raises(ExpressionError) as err:
        variable_name(name)
    assert str(err.value) == message


@pytest.mark.parametrize("text, parsed", [("x=1", ("x", 1.0)), (" w = -3 ", ("w", -3.0)), ("ℌ=2", ("ℌ", 2.0)),
                                          ("b=6.88", ("b", 6.88)), ("t=1e-300", ("t", 1e-300))])
def test_a_var_assignment_parses_to_a_usable_name_and_a_float(text, parsed):
    # The name as written, so that a clash after normalising (H and ℌ) can name both spellings.
    assert parse_variable(text) == parsed


@pytest.mark.parametrize("text, message", [
    ("x=nan", "x: 'nan' is not a finite number"),
    ("ℌ=nan", "ℌ: 'nan' is not a finite number"),
    ("x=inf", "x: 'inf' is not a finite number"),
    ("x=-Infinity", "x: '-Infinity' is not a finite number"),
    ("x=1e999", "x: '1e999' is too large for a float (the largest is about 1.8e308)"),
    ("x=abc", "x: 'abc' is not a number"),
    ("x", "expected NAME=NUMBER, got 'x'"),
    ("=1", "expected NAME=NUMBER, got '=1'"),
    ("if=1", "'if' is a Python keyword, so an expression can never use it as a variable"),
])
def test_a_var_assignment_that_is_not_a_finite_number_is_refused(text, message):
    with pytest.raises(ExpressionError) as err:
        parse_variable(text)
    assert str(err.value) == message


def test_a_custom_op_is_callable_by_name_while_it_is_registered(register):
    register("cube", lambda x: x ** 3, derivatives=[lambda x: 3 * x ** 2])
    assert value("cube(x) + 1", x=2.0) == 9.0


# ---- what it refuses, and the message ---------------------------------------------------------

@pytest.mark.parametrize("text, what", [
    ("x.data", "attribute access"),
    ("x.__class__", "attribute access"),
    ("x[0]", "subscripting"),
    ("lambda: x", "a lambda"),
    ("[x for x in ()]", "a comprehension"),
    ("sum(x for x in ())", "a generator"),
    ("f'{x}'", "an f-string"),
    ("(y := 3)", "an assignment"),
    ("x < 1", "a comparison"),
    ("x == x", "a comparison"),
    ("x and 1", "and/or"),
    ("1 if x else 2", "a conditional expression"),
    ("[x]", "a list"), ("(x, 1)", "a tuple"), ("{1: x}", "a dict"), ("{x}", "a set"),
    ("x // 2", "the operator //"), ("x % 2", "the operator %"), ("x @ x", "the operator @"),
    ("x << 1", "the operator <<"), ("x | 1", "the operator |"),
    ("~x", "the unary operator ~"), ("not x", "the unary operator not"),
])
def test_a_construct_outside_the_whitelist_is_refused_by_name(text, what):
    assert refusal(text) == not_allowed(what)


@pytest.mark.parametrize("text, constant", [("'abc'", "'abc'"), ("b'x'", "b'x'"), ("True", "True"), ("None", "None"),
                                            ("1j", "1j"), ("...", "Ellipsis")])
def test_only_numbers_are_constants(text, constant):
    assert refusal(text) == f"only numbers are allowed as constants, got {constant}"


@pytest.mark.parametrize("text, callee", [
    ("__import__('os')", "'__import__'"),
    ("__import__('os').system('true')", "\"__import__('os').system\""),
    ("open('/etc/passwd')", "'open'"),
    ("eval('1')", "'eval'"),
    ("foo(x)", "'foo'"),
    ("x.foo()", "'x.foo'"),
])
def test_calling_anything_but_a_function_of_the_table_is_refused(text, callee):
    assert refusal(text) == f"unknown function {callee}; the functions are {', '.join(sorted(functions()))}"


@pytest.mark.parametrize("text, callee", [
    ("(lambda: 1)()", "a lambda"),
    ("tanh(x)(2)", "the result of a call"),
    ("x[0]()", "subscripting"),
    ("(1)()", "a constant"),
])
def test_calling_something_that_is_not_a_name_says_what_was_called(text, callee):
    assert refusal(text) == f"only named functions can be called; got {callee}"


def test_a_refused_call_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"
    refusal(f"__import__('pathlib').Path({str(marker)!r}).touch()")
    assert not marker.exists()


def test_a_long_unknown_callee_is_cut_short_in_the_message():
    message = refusal("(" + "x.a" * 100 + ")()")
    assert message.startswith("unknown function 'x.ax.ax.a") and "...'" in message and len(message) < 250


@pytest.mark.parametrize("text, message", [
    ("leaky_relu(x, slope=0.2)", "leaky_relu(): keyword arguments are not allowed"),
    ("tanh(*x)", "tanh(): *arguments are not allowed"),
    ("tanh(x, x)", "tanh(): tanh takes 1 argument(s), got 2"),
])
def test_calls_take_plain_positional_arguments_only(text, message):
    assert refusal(text) == message


def test_an_unknown_variable_is_refused_naming_the_variables_given():
    assert refusal("x + z", x=1.0) == "unknown variable 'z'; give it with --var z=VALUE (given: x)"
    assert refusal("z", w=1.0, x=1.0) == "unknown variable 'z'; give it with --var z=VALUE (given: w, x)"
    with pytest.raises(ExpressionError, match=r"^unknown variable 'z'; give it with --var z=VALUE \(given: none\)$"):
        evaluate("z", {})


def test_a_function_named_without_a_call_is_refused_with_how_to_call_it():
    assert refusal("tanh + x") == "'tanh' is a function; call it, as in tanh(x)"


@pytest.mark.parametrize("text", ["", "   ", "x +", "import os", "x = 1", "*x", "yield x", "tanh(x"])
def test_text_that_is_not_one_python_expression_is_a_syntax_error(text):
    assert refusal(text).startswith("not a valid expression: ")


def test_an_expression_that_is_not_a_string_is_refused():
    with pytest.raises(ExpressionError, match=r"^the expression must be a string, got int$"):
        evaluate(3, {})


def test_an_expression_error_is_a_value_error():
    # Callers that catch ValueError for bad input catch a refused expression too.
    assert issubclass(ExpressionError, ValueError)


# ---- arithmetic errors come from the op table, never a complex or a huge integer -----------------------------

def test_a_huge_exponent_overflows_a_float_at_once():
    # 9**9**9 as integers would take minutes and gigabytes; as floats, 9.0 ** 387420489.0 overflows.
    with pytest.raises(OverflowError, match="overflows"):
        evaluate("9**9**9", {})


def test_a_negative_base_to_a_fractional_power_is_a_domain_error_not_a_complex_number():
    with pytest.raises(ValueError, match="not a real number"):
        evaluate("(-8) ** 0.5", {})


@pytest.mark.parametrize("text", ["1 / 0", "x / (x - x)", "0.0 ** -1.0"])
def test_a_division_by_zero_is_a_zero_division_error(text):
    with pytest.raises(ZeroDivisionError):
        evaluate(text, {"x": 1.0})


def test_log_of_a_negative_number_is_a_domain_error_naming_log():
    with pytest.raises(ValueError, match="log is defined only for x > 0"):
        evaluate("log(x - 2)", {"x": 1.0})


# ---- limits: length, size, nesting --------------------------------------------------------------------------

def test_the_length_limit_counts_characters():
    longest = "1." + "0" * (MAX_LENGTH - 2)
    assert len(longest) == MAX_LENGTH == 2000
    assert evaluate(longest, {}).data == 1.0
    assert refusal(longest + "0") == "the expression is 2001 characters long; the limit is 2000"


def test_the_size_limit_counts_syntax_nodes():
    # sum(x, x, ..., x) with k arguments is 4 + 2k nodes: the expression, the call, the name `sum`
    # and its load context, then a name and a load context per argument.
    at_limit = "sum(" + ", ".join(["x"] * 498) + ")"
    assert MAX_NODES == 1000 and sum(1 for _ in ast.walk(ast.parse(at_limit, mode="eval"))) == 1000
    assert value(at_limit, x=1.0) == 498.0
    assert refusal("sum(" + ", ".join(["x"] * 499) + ")", x=1.0) == "the expression has 1002 parts; the limit is 1000"


def test_the_nesting_limit_is_the_evaluators_own_under_cpythons():
    assert MAX_DEPTH == 60
    deepest, too_deep = nested(MAX_DEPTH - 1), nested(MAX_DEPTH + 1)
    ast.parse(too_deep, mode="eval")  # CPython parses it (its own limit is 200 parentheses) ...
    assert refusal(too_deep) == "the expression is nested more than 60 levels deep"  # ... the evaluator refuses it
    expected = X
    for _ in range(MAX_DEPTH - 1):
        expected = math.tanh(expected)
    assert value(deepest) == pytest.approx(expected, rel=1e-14)


def test_a_chain_of_unary_minus_signs_is_nested_too():
    # The name sits under n signs, at depth n.
    assert value("-" * MAX_DEPTH + "x") == X  # an even number of negations
    assert refusal("-" * (MAX_DEPTH + 1) + "x") == "the expression is nested more than 60 levels deep"


def test_nesting_past_cpythons_own_limit_is_a_syntax_error():
    message = refusal("(" * 300 + "x" + ")" * 300)
    assert message == "not a valid expression: too many nested parentheses"


# ---- random whitelisted expressions against Python's own float arithmetic --------------------------------------

NAMES = ("x", "y", "z")
BINARY = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "**": operator.pow}
numbers = st.floats(min_value=-1e3, max_value=1e3, allow_nan=False, allow_infinity=False)
trees = st.recursive(
    st.one_of(numbers.map(lambda n: ("number", n)), st.sampled_from(NAMES).map(lambda n: ("name", n))),
    lambda inner: st.one_of(
        st.tuples(st.just("binary"), st.sampled_from(sorted(BINARY)), inner, inner),
        st.tuples(st.just("unary"), st.sampled_from(["-", "+"]), inner),
    ),
    max_leaves=12,
)


def as_text(tree) -> str:
    """The expression, fully parenthesised, so that it parses into exactly this tree."""
    kind = tree[0]
    if kind == "number":
        return f"({tree[1]!r})"
    if kind == "name":
        return tree[1]
    if kind == "unary":
        return f"({tree[1]}{as_text(tree[2])})"
    return f"({as_text(tree[2])} {tree[1]} {as_text(tree[3])})"


class NotReal(Exception):
    """Python's float arithmetic left the reals: a negative base to a fractional power is complex."""


def python_value(tree, env: dict[str, float]) -> float:
    """The same tree computed by Python's own float operators, stopping at the first
    error or complex number, as the evaluator stops at its first error. Trees whose
    arithmetic passes through inf or nan are not compared (`assume`): there the op
    table's domain rules may differ from C's, as for (-inf) ** 0.5."""
    kind = tree[0]
    if kind == "number":
        return tree[1]
    if kind == "name":
        return env[tree[1]]
    if kind == "unary":
        operand = python_value(tree[2], env)
        result = -operand if tree[1] == "-" else +operand
    else:
        result = BINARY[tree[1]](python_value(tree[2], env), python_value(tree[3], env))
    if isinstance(result, complex):
        raise NotReal
    assume(math.isfinite(result))
    return result


def depth(tree) -> int:
    return 0 if tree[0] in ("number", "name") else 1 + max(depth(child) for child in tree[2:])


@given(trees, st.fixed_dictionaries({name: numbers for name in NAMES}))
def test_random_arithmetic_evaluates_to_pythons_float_result(tree, env):
    assume(depth(tree) <= MAX_DEPTH)
    text = as_text(tree)
    try:
        expected = python_value(tree, env)
    except ArithmeticError:  # ZeroDivisionError, OverflowError: no number, and none from the evaluator either
        # (Python overflows on (-3e-179) ** -2.5 computing the complex power; the op table stops sooner,
        # at the negative base: a ValueError.)
        with pytest.raises((ArithmeticError, ValueError)):
            evaluate(text, env)
        return
    except NotReal:
        with pytest.raises(ValueError, match="not a real number"):
            evaluate(text, env)
        return
    assert evaluate(text, env).data == expected, text
