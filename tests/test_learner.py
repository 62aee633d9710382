"""Grading a learner's own micrograd: `autograd.learner.grade_engine(path)` and
`deltagrad check --engine my_micrograd.py`. A complete learner's engine (the
lecture's class, from micrograd_style) is graded all ok; each planted bug is
found and named with its op and verdict; the command prints the table and
exits 1 on a failure."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from micrograd_style import LECTURE_VALUE, MICROGRAD_OPS

from autograd.learner import (
    FAILS,
    GRADED,
    NOT_IMPLEMENTED,
    OK,
    EngineLoadError,
    grade_class,
    grade_engine,
    load_value_class,
)

DELTAGRAD = shutil.which("deltagrad", path=os.path.dirname(sys.executable)) or "deltagrad"

# A learner's micrograd with every op graded: the lecture's class with micrograd's
# relu, __rsub__ and __rtruediv__, in a file that prints when it is run.
LEARNER = f"""import math

{LECTURE_VALUE}{MICROGRAD_OPS}

print("a learner's file may print when it is run")
"""

# (what is planted, the code replaced, its replacement, the op that must fail, its verdict)
BUGS = [
    ("tanh as 1 - t", "(1 - t**2) * out.grad", "(1 - t) * out.grad", "tanh", "wrong derivative"),
    ("* with its inputs swapped", "self.grad += other.data * out.grad\n      other.grad += self.data",
     "self.grad += self.data * out.grad\n      other.grad += other.data", "*", "wrong derivative"),
    ("+ with = instead of +=", "self.grad += 1.0 * out.grad\n      other.grad += 1.0 * out.grad",
     "self.grad = 1.0 * out.grad\n      other.grad = 1.0 * out.grad", "+", "overwrites instead of accumulating"),
    ("exp's forward off by one", "Value(math.exp(x), (self, )", "Value(math.exp(x) + 1, (self, )",
     "exp", "wrong forward value"),
    ("relu passing the negative side", "(out.data > 0) * out.grad", "out.grad", "relu", "wrong derivative"),
    ("the power rule without k - 1", "(self.data ** (other - 1))", "(self.data ** other)", "**", "wrong derivative"),
    ("backward() in forward order", "for node in reversed(topo):", "for node in topo:", "backward()",
     "wrong derivative"),
    ("a step that raises", "self.grad += out.data * out.grad", "self.grad += out.dat * out.grad", "exp", FAILS),
    ("__rsub__ the wrong way round", "return other + (-self)", "return self + (-other)", "- reflected",
     "wrong forward value"),
]


def write(tmp_path: Path, text: str, name: str = "my_micrograd.py") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_complete_learners_engine_is_all_ok(tmp_path):
    report = grade_engine(write(tmp_path, LEARNER))
    assert report.ok, report
    assert [v.op for v in report.verdicts] == [g.op for g in GRADED]
    assert {v.verdict for v in report.verdicts} == {OK}
    assert report.class_name == "Value"


@pytest.mark.parametrize(("bug", "old", "new", "op", "verdict"), BUGS, ids=[b[0] for b in BUGS])
def test_each_planted_bug_is_found_and_named(tmp_path, bug, old, new, op, verdict):
    assert old in LEARNER  # the bug is really planted
    report = grade_engine(write(tmp_path, LEARNER.replace(old, new)))
    assert not report.ok
    assert report.verdict(op).verdict == verdict, report
    assert report.verdict(op).detail


def test_a_bug_in_one_op_leaves_the_ops_that_do_not_use_it_ok(tmp_path):
    old, new = BUGS[0][1:3]  # tanh as 1 - t
    report = grade_engine(write(tmp_path, LEARNER.replace(old, new)))
    assert [v.op for v in report.failures] == ["tanh"]


def test_the_overwriting_plus_is_found_in_every_op_built_on_it(tmp_path):
    old, new = BUGS[2][1:3]
    report = grade_engine(write(tmp_path, LEARNER.replace(old, new)))
    failed = {v.op for v in report.failures}
    assert {"+", "+ reflected", "-", "backward()"} <= failed
    assert report.verdict("tanh").verdict == OK


def test_an_op_the_class_lacks_is_not_implemented_and_not_a_failure(tmp_path):
    without_tanh = LEARNER.replace("def tanh(self):", "def _tanh(self):")
    report = grade_engine(write(tmp_path, without_tanh))
    assert report.ok
    assert (report.verdict("tanh").verdict, report.verdict("tanh").detail) == (NOT_IMPLEMENTED, "Value has no tanh")
    assert "(1 not implemented)" in report.table()


def test_micrograds_own_engine_is_ok_without_tanh_and_exp():
    micrograd_engine = pytest.importorskip("micrograd.engine")
    report = grade_class(micrograd_engine.Value)
    assert report.ok, report
    assert [v.op for v in report.verdicts if v.verdict == NOT_IMPLEMENTED] == ["tanh", "exp"]


def test_the_learners_file_may_import_its_own_siblings(tmp_path):
    write(tmp_path, LEARNER, "engine.py")
    path = write(tmp_path, "from engine import Value\n", "solution.py")
    assert grade_engine(path).ok
    # Forgotten afterwards: another learner's engine.py is not mistaken for this one.
    assert str(getattr(sys.modules.get("engine"), "__file__", "")).find(str(tmp_path)) == -1
    assert str(tmp_path) not in sys.path


def test_a_class_with_another_name_is_found_when_it_is_the_only_node_class(tmp_path):
    cls = load_value_class(write(tmp_path, LEARNER.replace("Value", "Scalar")))
    assert cls.__name__ == "Scalar"


@pytest.mark.parametrize(("text", "message"), [
    ("x = 1\n", "no class named Value"),
    ("raise RuntimeError('boom')\n", "running it raised RuntimeError: boom"),
    ("def f(:\n", "a syntax error on line 1"),
    ("import sys\nsys.exit(3)\n", "running it raised SystemExit: 3"),
    ("class Value:\n    def __init__(self, data):\n        self.data = data\n", "is not a micrograd-style node"),
])
def test_a_file_that_cannot_be_graded_says_why(tmp_path, text, message):
    with pytest.raises(EngineLoadError, match=message):
        grade_engine(write(tmp_path, text))


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(EngineLoadError, match="no_such.py: no such file"):
        grade_engine(tmp_path / "no_such.py")


# ---- the command ------------------------------------------------------------------------

def check_engine(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([DELTAGRAD, "check", "--engine", str(path)], capture_output=True, text=True, timeout=300)


def test_deltagrad_check_engine_passes_a_correct_learners_file(tmp_path):
    result = check_engine(write(tmp_path, LEARNER))
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].endswith("my_micrograd.py, class Value: all ok")
    assert [line.split()[0] for line in lines[3:]] == [g.op.split()[0] for g in GRADED]
    assert "a learner's file may print" not in result.stdout


def test_deltagrad_check_engine_names_each_broken_op_and_exits_1(tmp_path):
    broken = LEARNER
    for bug in (BUGS[0], BUGS[2]):  # tanh as 1 - t, and + with =
        broken = broken.replace(bug[1], bug[2])
    result = check_engine(write(tmp_path, broken))
    assert result.returncode == 1, result.stdout + result.stderr
    rows = {line[:12].strip(): line for line in result.stdout.splitlines()[3:]}
    assert "overwrites instead of accumulating" in rows["+"]
    assert "wrong derivative" in rows["tanh"] and "a.tanh()" in rows["tanh"]
    assert rows["*"].split()[1] == "ok"


def test_deltagrad_check_engine_of_a_missing_file_says_so(tmp_path):
    result = check_engine(tmp_path / "nope.py")
    assert result.returncode == 1
    assert "nope.py: no such file" in result.stderr and not result.stdout
