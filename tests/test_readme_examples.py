"""The README's Python examples print what the README says they print.

The convention (README.md follows it; keep to it when adding an example):

- A ```python block is run when it shows output. It shows output in two ways:
  - a `print(...)` statement with a comment on its last line: the comment is
    that statement's output, one line (`print(o)  # Value(data=0.706419, ...)`);
  - a plain ``` block right after the Python block (blank lines between are
    fine): the output of every other statement of the block, in order.
  A block that shows output must show all of it: a statement that prints
  without a comment, and no output block after it, fails the test.
- Each block runs alone, in a fresh namespace, in a temporary folder, in
  README order; a ```python block that shows no output is not run.
- In the expected text a line that is only `...` matches any number of lines
  (none included). Numbers compare to the precision printed: `0.706419`
  matches any number within 5e-7 of it, `6.87e-11` anything within
  0.005e-11. Everything else must match exactly, except that a run of blanks
  counts as one blank and a run of dashes as one dash (a table's columns are as
  wide as the digits printed).
"""

from __future__ import annotations

import ast
import contextlib
import io
import os
import re
import tokenize
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"

# A number not glued to a name (`w.0` in `layers.0.neurons` is part of a name, not a number).
NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?![\w.]*\w)")
FENCE = re.compile(r"^```(\w*)\s*$")


@dataclass
class Example:
    line: int  # where the ```python block starts in README.md
    source: str
    output: str | None  # the plain ``` block after it, if any


def examples(text: str) -> list[Example]:
    """The README's ```python blocks, each with the plain ``` block that follows it, if one does."""
    lines = text.splitlines()
    blocks: list[tuple[int, str, str, int]] = []  # (start line, language, body, line after the block)
    i = 0
    while i < len(lines):
        fence = FENCE.match(lines[i])
        if not fence:
            i += 1
            continue
        j = i + 1
        while j < len(lines) and lines[j].rstrip() != "```":
            j += 1
        blocks.append((i + 1, fence.group(1), "\n".join(lines[i + 1:j]) + "\n", j + 1))
        i = j + 1
    found = []
    for k, (start, language, body, end) in enumerate(blocks):
        if language != "python":
            continue
        following = blocks[k + 1] if k + 1 < len(blocks) else None
        adjacent = following is not None and following[1] == "" and all(
            not line.strip() for line in lines[end:following[0] - 1])
        found.append(Example(start, body, following[2] if adjacent else None))
    return found


def print_comments(source: str) -> dict[int, str]:
    """Line number -> the comment on that line (without `#` and the blank after it)."""
    comments = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            comments[token.start[0]] = token.string[1:].strip()
    return comments


def is_print(statement: ast.stmt) -> bool:
    return (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call)
            and isinstance(statement.value.func, ast.Name) and statement.value.func.id == "print")


def run_example(example: Example) -> tuple[list[tuple[str, str]], str]:
    """Runs the block statement by statement: (expected comment, printed) for each
    commented print, and everything the other statements printed."""
    tree = ast.parse(example.source)
    comments = print_comments(example.source)
    namespace: dict = {"__name__": "__readme__"}
    commented, rest = [], io.StringIO()
    for statement in tree.body:
        code = compile(ast.Module([statement], type_ignores=[]), f"README.md:{example.line}", "exec")
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(code, namespace)  # noqa: S102 - the README's own example
        comment = comments.get(statement.end_lineno) if is_print(statement) else None
        if comment is not None:
            commented.append((comment, printed.getvalue().rstrip("\n")))
        else:
            rest.write(printed.getvalue())
    return commented, rest.getvalue()


# ---- comparing: numbers to the printed precision, `...` for any lines -------------------------------

def tolerance(text: str) -> Decimal:
    """Half a unit in the last printed digit of the number `text`."""
    mantissa, _, exponent = text.lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    return Decimal(5) * Decimal(10) ** (-decimals - 1 + (int(exponent) if exponent else 0))


def normalised(text: str) -> str:
    return re.sub(r"-{2,}", "-", " ".join(text.split()))


def line_matches(expected: str, actual: str) -> bool:
    expected_numbers, actual_numbers = NUMBER.findall(expected), NUMBER.findall(actual)
    if len(expected_numbers) != len(actual_numbers):
        return False
    if normalised(NUMBER.sub("#", expected)) != normalised(NUMBER.sub("#", actual)):
        return False
    return all(abs(Decimal(a) - Decimal(e)) <= tolerance(e) for e, a in zip(expected_numbers, actual_numbers))


def lines_match(expected: list[str], actual: list[str]) -> bool:
    """`expected` against `actual`, line by line, a `...` line matching any run of lines."""
    if not expected:
        return not actual
    if expected[0].strip() == "...":
        return any(lines_match(expected[1:], actual[k:]) for k in range(len(actual) + 1))
    return bool(actual) and line_matches(expected[0], actual[0]) and lines_match(expected[1:], actual[1:])


def output_lines(text: str) -> list[str]:
    return [line for line in text.rstrip("\n").splitlines()]


# ---- the tests --------------------------------------------------------------------------------

def shows_output(example: Example) -> bool:
    tree = ast.parse(example.source)
    comments = print_comments(example.source)
    return example.output is not None or any(is_print(s) and s.end_lineno in comments for s in tree.body)


EXAMPLES = [e for e in examples(README.read_text(encoding="utf-8")) if shows_output(e)]


def test_the_readme_has_examples_with_outputs_to_check():
    # The short example, the lecture's network, training with defaults and the Δ rules at least.
    assert len(EXAMPLES) >= 4


@pytest.mark.parametrize("example", [
    pytest.param(e, id=f"README.md:{e.line}", marks=[pytest.mark.slow] if "fit(" in e.source else [])
    for e in EXAMPLES])
def test_a_readme_example_prints_what_the_readme_shows(example, tmp_path):
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        commented, rest = run_example(example)
    finally:
        os.chdir(cwd)
    for comment, printed in commented:
        assert line_matches(comment, printed), f"README.md:{example.line}: shows {comment!r}, prints {printed!r}"
    if example.output is None:
        assert rest == "", f"README.md:{example.line} prints output that it does not show:\n{rest}"
    else:
        assert lines_match(output_lines(example.output), output_lines(rest)), (
            f"README.md:{example.line} shows:\n{example.output}\nbut prints:\n{rest}")


# ---- the comparison rules themselves --------------------------------------------------------------

@pytest.mark.parametrize("expected, actual, match", [
    ("0.706419", "0.7064190001", True),
    ("0.706419", "0.7064196", False),  # off by more than half a unit of the 6th decimal
    ("6.87e-11", "6.874e-11", True),
    ("6.87e-11", "6.88e-11", False),
    ("grad=1, op='tanh'", "grad=1, op='tanh'", True),
    ("grad=1, op='tanh'", "grad=1, op='exp'", False),
    ("layers.0.neurons.2.w.1  -0.0014", "layers.0.neurons.2.w.1   -0.00140", True),  # names are text, blanks one
    ("layers.0.neurons.2.w.1", "layers.0.neurons.3.w.1", False),
    ("-----  ---", "--------  ---", True),
    ("x 1 2", "x 1", False),
])
def test_a_line_matches_to_the_printed_precision(expected, actual, match):
    assert line_matches(expected, actual) is match


def test_an_ellipsis_line_matches_any_number_of_lines():
    assert lines_match(["a", "...", "d"], ["a", "b", "c", "d"])
    assert lines_match(["a", "...", "d"], ["a", "d"])
    assert not lines_match(["a", "...", "d"], ["a", "b", "c"])
    assert not lines_match(["a", "b"], ["a", "b", "c"])


def test_a_python_block_is_paired_with_the_plain_block_right_after_it_only():
    text = "```python\nprint(1)\n```\n\n```\n1\n```\n\n```python\nprint(2)\n```\nSome text.\n```\n2\n```\n"
    found = examples(text)
    assert [(e.line, e.output) for e in found] == [(1, "1\n"), (9, None)]
