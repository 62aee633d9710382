"""What the `deltagrad` command does with what a user types: output paths
checked before any work, one list of picture formats, `--hidden`, `--ops`
files of custom ops, the expression and `--var` rules of `graph`, the help's
defaults and `train`'s result line. The real console script runs in a
subprocess where the message a user sees is the point; `main(argv)` in-process
where many cases are tried."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograd import REGISTRY
from autograd.files import PICTURE_FORMATS
from autograd.viz import GRAPH_FORMATS
from nn.cli import build_parser, main

DELTAGRAD = shutil.which("deltagrad", path=os.path.dirname(sys.executable)) or "deltagrad"
MAGIC = {".svg": b"<?xml", ".png": b"\x89PNG\r\n\x1a\n", ".pdf": b"%PDF", ".dot": b"digraph"}


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([DELTAGRAD, *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def one_line(stderr: str) -> str:
    """The single line of an error, asserting there is exactly one and no traceback."""
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


# ---- output paths are checked before any work ------------------------------------------------

@pytest.mark.parametrize("args, path", [
    (["train", "--epochs", "500", "--progress", "--plot", "/nonexistent/x.png"], "/nonexistent/x.png"),
    (["train", "--epochs", "500", "--progress", "--save", "/nonexistent/model.json"], "/nonexistent/model.json"),
    (["graph", "x*2", "--var", "x=1", "-o", "/nonexistent/g.svg"], "/nonexistent/g.svg"),
])
def test_an_output_in_a_missing_folder_fails_at_once_naming_the_path(args, path):
    result = run(*args)
    assert result.returncode == 1
    # One line and nothing else: no progress bar, no training result, no gradients printed.
    assert one_line(result.stderr) == f"deltagrad: cannot write {path}: No such file or directory"
    assert result.stdout == ""


def test_demo_into_a_folder_where_no_file_can_be_made_fails_before_training():
    # /proc exists (so the folder is "made"), but no file can be created in it.
    result = run("demo", "--out", "/proc", "--progress")
    assert result.returncode == 1
    assert one_line(result.stderr) == "deltagrad: cannot write /proc/loss.png: No such file or directory"
    assert result.stdout == ""


def test_a_folder_where_the_model_file_should_go_fails_at_once(tmp_path):
    (tmp_path / "model.json").mkdir()
    result = run("train", "--progress", "--save", str(tmp_path / "model.json"))
    assert result.returncode == 1
    assert one_line(result.stderr) == f"deltagrad: cannot write {tmp_path / 'model.json'}: Is a directory"
    assert list((tmp_path / "model.json").iterdir()) == []  # no temporary file left behind


def test_the_check_of_an_output_path_leaves_no_file_behind(tmp_path, capsys):
    # A bad expression fails after the path check: the check itself must not leave a file.
    assert main(["graph", "x +", "-o", str(tmp_path / "g.svg")]) == 2
    assert list(tmp_path.iterdir()) == []


# ---- one list of picture formats --------------------------------------------------------------

def test_graph_and_train_accept_the_same_picture_formats_plus_graphvizs_own_source():
    assert list(PICTURE_FORMATS) == [".svg", ".png", ".pdf"]
    assert GRAPH_FORMATS == {**PICTURE_FORMATS, ".dot": "dot"}


@pytest.mark.parametrize("args, listed", [
    (["train", "--progress", "--plot", "boundary.jpg"], "use one of .svg, .png, .pdf"),
    (["graph", "x", "--var", "x=1", "-o", "graph.jpg"], "use one of .svg, .png, .pdf, .dot"),
])
def test_an_unknown_picture_extension_is_a_usage_error_before_any_work(args, listed, tmp_path):
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 2
    line = one_line(result.stderr)
    assert line.startswith("deltagrad: unknown extension '.jpg' in ") and line.endswith(listed)
    assert result.stdout == ""


@pytest.mark.parametrize("ext", list(PICTURE_FORMATS))
def test_every_picture_format_is_written_by_graph_and_by_train(ext, tmp_path):
    graph = run("graph", "tanh(x)", "--var", "x=1", "-o", str(tmp_path / f"g{ext}"))
    assert graph.returncode == 0, graph.stderr
    train = run("train", "--dataset", "xor", "--hidden", "2", "--epochs", "1", "--plot", str(tmp_path / f"b{ext}"))
    assert train.returncode == 0, train.stderr
    for name in (f"g{ext}", f"b{ext}"):
        assert (tmp_path / name).read_bytes().lstrip()[:len(MAGIC[ext])] == MAGIC[ext]


# ---- --hidden ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["", " ", "16,,16", "16,"])
def test_an_empty_hidden_size_is_refused_with_how_to_ask_for_no_hidden_layer(text):
    result = run("train", "--hidden", text)
    assert result.returncode == 2
    assert (f"argument --hidden: expected layer sizes such as 16,16 (or none for no hidden layer), got {text!r}"
            in result.stderr)


def test_hidden_none_trains_a_model_without_a_hidden_layer(tmp_path, capsys):
    path = tmp_path / "m.json"
    assert main(["train", "--hidden", "none", "--epochs", "2", "--no-progress", "--save", str(path)]) == 0
    assert list(json.loads(path.read_text())) == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1",
                                                  "layers.0.neurons.0.b"]
    assert capsys.readouterr().out.startswith("trained MLP(2, [1], out_activation='linear') on moons")


# ---- train's result line and a run that diverges -------------------------------------------------

def test_train_says_what_was_trained(capsys):
    assert main(["train", "--dataset", "circles", "--hidden", "3", "--loss", "mse", "--optimizer", "sgd",
                 "--lr", "0.05", "--epochs", "2", "--batch-size", "10", "--no-progress"]) == 0
    line = capsys.readouterr().out.splitlines()[0]
    assert line.startswith("trained MLP(2, [3, 1], activation='relu', out_activation='sigmoid') on circles "
                           "(100 samples, 2 classes), mse loss, SGD(lr=0.05), 2 epochs, batch size 10: final loss ")


def test_a_diverging_run_stops_with_the_step_and_a_smaller_learning_rate():
    result = run("train", "--lr", "1000", "--epochs", "20", "--no-progress")
    assert result.returncode == 1
    line = one_line(result.stderr)
    assert line.startswith("deltagrad train: fit: training diverged at step ")
    assert line.endswith("the learning rate 1000 is probably too large: try a smaller one, such as 100")
    assert result.stdout == ""


# ---- --help shows the defaults ------------------------------------------------------------------

def subcommands() -> dict[str, object]:
    parser = build_parser()
    (sub,) = [a for a in parser._actions if a.dest == "command"]
    return sub.choices


@pytest.mark.parametrize("command", ["demo", "train", "graph", "check"])
def test_every_help_shows_each_options_default(command):
    text = " ".join(run(command, "--help").stdout.split())
    for action in subcommands()[command]._actions:
        if action.default in (None, False, [], "==SUPPRESS==") or not action.option_strings:
            continue
        shown = action.default if not isinstance(action.default, list) else ",".join(map(str, action.default))
        assert f"default: {shown})" in text, (action.option_strings, text)


def test_train_help_names_the_defaults_a_user_looks_for():
    text = " ".join(run("train", "--help").stdout.split())
    for default in ("(default: moons)", "(default: 16,16)", "(default: relu)", "(default: hinge)", "(default: sgd)",
                    "(default: sgd 0.1, adam 0.01)", "(default: 50)", "(default: the full batch)", "(default: 0)"):
        assert default in text


# ---- --ops: a user's own ops from a file ---------------------------------------------------------

CUBE = """\
import autograd

autograd.defop("cube", lambda x: x ** 3, derivatives=[lambda x: 3 * x ** 2], formula="d/dx = 3x²")
"""


def test_graph_uses_an_op_registered_in_an_ops_file(tmp_path):
    (tmp_path / "my_ops.py").write_text(CUBE)
    result = run("graph", "cube(x) + 1", "--var", "x=2", "--ops", str(tmp_path / "my_ops.py"),
                 "-o", str(tmp_path / "g.dot"))
    assert result.returncode == 0, result.stderr
    assert "cube(x) + 1 = 9" in result.stdout and "d/dx = 12" in result.stdout


def test_check_checks_an_op_registered_in_an_ops_file_like_a_builtin(tmp_path):
    (tmp_path / "my_ops.py").write_text(CUBE)
    ok = run("check", "--models", "1", "-v", "--ops", str(tmp_path / "my_ops.py"))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "cube(" in ok.stdout and ok.stdout.rstrip().endswith("all checks agree")
    (tmp_path / "bad_ops.py").write_text(CUBE.replace("3 * x ** 2", "2 * x ** 2"))  # a wrong derivative
    bad = run("check", "--models", "1", "--ops", str(tmp_path / "bad_ops.py"))
    assert bad.returncode == 1
    assert "FAIL cube(" in bad.stdout


@pytest.mark.parametrize("source, message", [
    ("import autograd\nautograd.defop('cube', lambda x: x ** 3,\n", ", line 2: SyntaxError: '(' was never closed"),
    ("import autograd\n\nundefined_name + 1\n", ", line 3: NameError: name 'undefined_name' is not defined"),
    ("import autograd\nautograd.defop('exp', lambda x: x, derivatives=[lambda x: 1.0])\n",
     ", line 2: ValueError: defop: 'exp' is a built-in op and cannot be redefined; choose another name"),
    ("import sys\nsys.exit(3)\n", ", line 2: SystemExit: 3"),
    ("x = 1\n", " registers no op: define each with autograd.defop(name, forward, ...)"),
])
def test_a_broken_ops_file_is_one_line_naming_file_and_line_with_exit_status_2(source, message, tmp_path):
    path = tmp_path / "my_ops.py"
    path.write_text(source)
    result = run("graph", "x", "--var", "x=1", "--ops", str(path), "-o", str(tmp_path / "g.dot"))
    assert result.returncode == 2
    assert one_line(result.stderr) == f"deltagrad: --ops {path}{message}"
    assert not (tmp_path / "g.dot").exists()


def test_a_missing_ops_file_is_one_line(tmp_path):
    result = run("check", "--ops", str(tmp_path / "nope.py"))
    assert result.returncode == 2
    assert one_line(result.stderr) == f"deltagrad: --ops cannot read {tmp_path / 'nope.py'}: no such file"


def test_a_rejected_ops_file_leaves_the_op_table_as_it_was(tmp_path, capsys):
    path = tmp_path / "half.py"
    path.write_text(CUBE + "raise RuntimeError('half way')\n")
    before = dict(REGISTRY)
    assert main(["graph", "x", "--var", "x=1", "--ops", str(path), "-o", str(tmp_path / "g.dot")]) == 2
    assert REGISTRY == before and "cube" not in REGISTRY
    assert capsys.readouterr().err == f"deltagrad: --ops {path}, line 4: RuntimeError: half way\n"


# ---- graph: what may be typed -------------------------------------------------------------------

def test_an_expression_starting_with_minus_goes_after_double_dash_with_the_vars_after_it(tmp_path):
    result = run("graph", "--", "-x*y", "--var", "x=1", "--var", "y=2", "-o", str(tmp_path / "g.dot"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:3] == ["-x*y = -2", "  d/dx = -2", "  d/dy = -1"]


def test_the_op_tables_methods_work_on_a_variable_and_a_sub_expression(tmp_path, capsys):
    assert main(["graph", "(x*w).exp() + x.tanh()", "--var", "x=0.5", "--var", "w=2", "-o",
                 str(tmp_path / "g.dot")]) == 0
    out = capsys.readouterr().out
    value = math.exp(1.0) + math.tanh(0.5)
    dx = 2 * math.exp(1.0) + 1 - math.tanh(0.5) ** 2  # d/dx e^{xw} = w e^{xw}; d/dx tanh x = 1 − tanh²x
    assert f"= {value:.6g}" in out and f"d/dx = {dx:.6g}" in out and f"d/dw = {0.5 * math.exp(1.0):.6g}" in out


def test_a_caret_is_refused_with_a_hint_to_use_double_star():
    result = run("graph", "x ^ 2", "--var", "x=3")
    assert result.returncode == 2
    assert one_line(result.stderr) == ("deltagrad graph: the operator ^ is bitwise XOR in Python, not a power; "
                                       "write ** for a power: x ** 2")


def test_pi_and_e_are_known_and_a_var_of_the_same_name_takes_their_place(tmp_path, capsys):
    assert main(["graph", "pi * r ** 2", "--var", "r=2", "-o", str(tmp_path / "g.dot")]) == 0
    out = capsys.readouterr().out
    assert f"= {math.pi * 4:.6g}" in out and f"d/dr = {4 * math.pi:.6g}" in out
    assert main(["graph", "e * x", "--var", "e=3", "--var", "x=2", "-o", str(tmp_path / "g.dot")]) == 0
    out = capsys.readouterr().out
    assert "e * x = 6" in out and "d/de = 2" in out and "d/dx = 3" in out


@pytest.mark.parametrize("vars_, message", [
    (["x=1", "x=2"], "deltagrad graph: the variable 'x' is given twice"),
    (["H=2", "ℌ=3"], "deltagrad graph: the variables 'H' and 'ℌ' are one name to Python (both read as 'H'); "
                     "rename one"),
])
def test_a_name_given_twice_or_two_names_python_reads_as_one_are_refused(vars_, message):
    args = [arg for v in vars_ for arg in ("--var", v)]
    result = run("graph", "H*ℌ + x", *args)
    assert result.returncode == 2
    assert one_line(result.stderr) == message


def test_a_var_name_is_read_as_the_expression_reads_it(tmp_path, capsys):
    # Python reads ℌ as H (NFKC): a --var ℌ is the expression's H, and so is a --var H for an ℌ in the text.
    assert main(["graph", "H * 2", "--var", "ℌ=3", "-o", str(tmp_path / "g.dot")]) == 0
    assert "H * 2 = 6" in capsys.readouterr().out
    assert main(["graph", "ℌ * 2", "--var", "H=3", "-o", str(tmp_path / "g.dot")]) == 0
    assert "d/dH = 2" in capsys.readouterr().out


@pytest.mark.parametrize("var, message", [
    ("x=nan", "x: 'nan' is not a finite number"),
    ("x=inf", "x: 'inf' is not a finite number"),
    ("x=-inf", "x: '-inf' is not a finite number"),
    ("x=1e999", "x: '1e999' is too large for a float (the largest is about 1.8e308)"),
    ("if=1", "'if' is a Python keyword, so an expression can never use it as a variable"),
    ("None=1", "'None' is a Python keyword, so an expression can never use it as a variable"),
    ("x-y=1", "'x-y' is not a valid variable name (a name such as x, w1 or b_out)"),
])
def test_a_var_that_could_never_be_used_is_refused_the_argparse_way(var, message):
    result = run("graph", "x", "--var", var)
    assert result.returncode == 2
    assert result.stderr.rstrip().endswith(f"error: argument --var: {message}")


def test_graph_labels_each_node_with_its_sub_expression_and_the_output_with_the_whole(tmp_path):
    result = run("graph", "tanh(x*w + b)", "--var", "x=2", "--var", "w=-3", "--var", "b=6.88",
                 "-o", str(tmp_path / "g.svg"))
    assert result.returncode == 0, result.stderr
    texts = [t.text for t in ET.parse(tmp_path / "g.svg").getroot().iter("{http://www.w3.org/2000/svg}text")]
    for label in ("x", "w", "b", "x*w", "x*w + b", "tanh(x*w + b)"):
        assert label in texts, texts


# ---- graph never prints a traceback ----------------------------------------------------------------

@pytest.mark.parametrize("expression, var, status, message", [
    ("x ** -1", "x=1e-300", 0, None),  # forward 1e300; d/dx = −x⁻² overflows to −inf, printed as such
    ("exp(x)", "x=1000", 2, "deltagrad graph: the expression cannot be evaluated: "),
    ("log(x)", "x=0", 2, "deltagrad graph: the expression cannot be evaluated: "),
    ("sqrt(x)", "x=-1", 2, "deltagrad graph: the expression cannot be evaluated: "),
    ("x ** 0.5", "x=-8", 2, "deltagrad graph: the expression cannot be evaluated: "),
    ("x * x", "x=1e200", 2, None),
    ("1 / x", "x=0", 2, "deltagrad graph: the expression cannot be evaluated: "),
])
def test_graph_at_the_edges_of_the_floats_prints_a_result_or_one_line(expression, var, status, message, tmp_path):
    result = run("graph", expression, "--var", var, "-o", str(tmp_path / "g.dot"))
    assert "Traceback" not in result.stderr
    if result.returncode == 0:
        assert status == 0 or message is None, result.stdout
        assert result.stdout.startswith(f"{expression} = ")
    else:
        assert result.returncode == 2
        line = one_line(result.stderr)
        assert message is None or line.startswith(message)


FUNCTIONS = ["exp", "log", "sqrt", "tanh", "sigmoid", "relu", "softplus", "abs", "sin", "cos"]
edge_numbers = st.sampled_from([0.0, -0.0, 1.0, -1.0, 1e-300, -1e-300, 5e-324, 1e300, -1e300, 1.7e308, 700.0, 710.0])


@st.composite
def edge_expressions(draw, depth=0):
    if depth >= 3 or draw(st.booleans()):
        return draw(st.sampled_from(["x", "y", "2", "0", "-1"]))
    kind = draw(st.sampled_from(["call", "method", "binary"]))
    inner = draw(edge_expressions(depth + 1))
    if kind == "call":
        return f"{draw(st.sampled_from(FUNCTIONS))}({inner})"
    if kind == "method":
        return f"({inner}).{draw(st.sampled_from(FUNCTIONS))}()"
    return f"({inner}) {draw(st.sampled_from(['+', '-', '*', '/', '**']))} ({draw(edge_expressions(depth + 1))})"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edge_expressions(), edge_numbers, edge_numbers)
def test_graph_never_raises_whatever_the_expression_and_values(tmp_path, capsys, expression, x, y):
    # main() returning a status is what keeps the console script from printing a traceback.
    status = main(["graph", "--var", f"x={x!r}", "--var", f"y={y!r}", "-o", str(tmp_path / "g.dot"), "--", expression])
    captured = capsys.readouterr()
    assert status in (0, 2), captured
    if status == 2:
        assert len(captured.err.strip().splitlines()) == 1, captured.err
