"""The `deltagrad` command, run as a user runs it: a real subprocess for the
console script, `main(argv)` in-process where only the output matters."""

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

from autograd import REGISTRY
from nn.cli import main

DELTAGRAD = shutil.which("deltagrad", path=os.path.dirname(sys.executable)) or "deltagrad"


def run(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([DELTAGRAD, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300)


# ---- graph -----------------------------------------------------------------------

def test_graph_prints_the_lecture_neuron_gradients_and_writes_valid_svg(tmp_path):
    # tanh(x*w + b) at x=2, w=-3, b=6.88: n = 0.88, o = tanh(n), do/dn = 1 - o².
    result = run("graph", "tanh(x*w + b)", "--var", "x=2", "--var", "w=-3", "--var", "b=6.88",
                 "-o", str(tmp_path / "g.svg"))
    assert result.returncode == 0, result.stderr
    o = math.tanh(0.88)
    dn = 1 - o * o
    assert f"= {o:.6g}" in result.stdout
    assert f"d/dx = {dn * -3:.6g}" in result.stdout
    assert f"d/dw = {dn * 2:.6g}" in result.stdout
    assert f"d/db = {dn:.6g}" in result.stdout
    svg = ET.parse(tmp_path / "g.svg").getroot()
    classes = [g.get("class", "").split() for g in svg.iter("{http://www.w3.org/2000/svg}g")]
    assert sum(c[:1] == ["node"] and "value" in c for c in classes) == 6  # x, w, b, x*w, x*w + b, tanh
    assert sum(c[:1] == ["node"] and "op" in c for c in classes) == 3  # *, +, tanh


def test_graph_writes_to_graph_svg_in_the_current_folder_by_default(tmp_path):
    result = run("graph", "x*x", "--var", "x=3", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "d/dx = 6" in result.stdout
    assert (tmp_path / "graph.svg").read_text().lstrip().startswith("<?xml")


def test_graph_gives_zero_gradient_to_a_variable_the_expression_does_not_use(tmp_path, capsys):
    assert main(["graph", "x*2", "--var", "x=1", "--var", "y=5", "-o", str(tmp_path / "g.dot")]) == 0
    out = capsys.readouterr().out
    assert "d/dx = 2" in out and "d/dy = 0" in out


@pytest.mark.parametrize("expression, reason", [
    ("x.__class__", "attribute access"),
    ("x[0]", "subscripting"),
    ("(lambda: 1)()", "only named functions can be called; got a lambda"),
    ("lambda: x", "a lambda"),
    ("__import__('os').system('true')", "unknown function"),
    ("open('/etc/passwd')", "unknown function"),
    ("y + 1", "unknown variable 'y'"),
    ("[x for x in ()]", "comprehension"),
    ("exp(x=1)", "keyword arguments"),
    ("'text'", "only numbers"),
    ("x if x else 1", "conditional"),
    ("9 ** 9 ** 9", "overflows"),
    ("(" * 300 + "x" + ")" * 300, "nested"),
    ("-" * 1500 + "x", "parts"),
    ("x + " * 700 + "x", "limit"),
    ("log(x - 1)", "log is defined only for x > 0"),
    ("x / 0", "division by zero"),
])
def test_graph_refuses_an_unsafe_or_invalid_expression_with_exit_status_2(expression, reason, tmp_path, capsys):
    # `--` ends the options, so an expression may start with a minus sign.
    status = main(["graph", "--var", "x=1", "-o", str(tmp_path / "g.svg"), "--", expression])
    assert status == 2
    assert reason in capsys.readouterr().err
    assert not (tmp_path / "g.svg").exists()


def test_graph_evaluates_no_python_even_through_a_dunder_name(tmp_path):
    marker = tmp_path / "pwned"
    result = run("graph", f"__import__('pathlib').Path('{marker}').touch()", "--var", "x=1",
                 "-o", str(tmp_path / "g.svg"))
    assert result.returncode == 2
    assert not marker.exists()


def test_graph_can_call_a_custom_registered_op(tmp_path, capsys, register):
    register("cube", lambda x: x ** 3, derivatives=[lambda x: 3 * x ** 2])
    assert main(["graph", "cube(x)", "--var", "x=2", "-o", str(tmp_path / "g.dot")]) == 0
    assert "d/dx = 12" in capsys.readouterr().out


@pytest.mark.parametrize("bad", ["x", "=1", "1x=2", "x=abc"])
def test_graph_rejects_a_malformed_var_the_argparse_way(bad):
    result = run("graph", "x", "--var", bad)
    assert result.returncode == 2
    assert "usage:" in result.stderr and "--var" in result.stderr


def test_graph_to_an_unwritable_path_is_one_clear_line_not_a_traceback(tmp_path):
    result = run("graph", "x+1", "--var", "x=1", "-o", str(tmp_path / "missing" / "g.svg"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"cannot write {tmp_path / 'missing' / 'g.svg'}: No such file or directory" in result.stderr


def test_graph_to_an_unknown_extension_is_a_usage_error(tmp_path, capsys):
    assert main(["graph", "x+1", "--var", "x=1", "-o", str(tmp_path / "g.xyz")]) == 2
    assert "unknown extension '.xyz'" in capsys.readouterr().err


def test_graph_without_graphviz_says_what_to_install(tmp_path):
    env = {**os.environ, "PATH": str(tmp_path)}  # no `dot` on this PATH
    result = subprocess.run([sys.executable, "-m", "nn.cli", "graph", "x+1", "--var", "x=1",
                             "-o", str(tmp_path / "g.svg")], capture_output=True, text=True, env=env)
    assert result.returncode == 1
    for command in ("apt-get install graphviz", "brew install graphviz", "conda install -c conda-forge graphviz"):
        assert command in result.stderr
    assert "Traceback" not in result.stderr


# ---- check -----------------------------------------------------------------------

def test_check_passes_and_covers_every_registered_op(capsys):
    assert main(["check", "--models", "3"]) == 0
    out = capsys.readouterr().out
    ops = len(REGISTRY)
    assert "gradcheck of every registered op: " in out
    assert "per-op check:" in out
    assert out.count("Δ rules on MLP(") == 3
    assert out.rstrip().endswith("all checks agree")
    assert ops >= 19


def test_check_exits_non_zero_and_names_a_wrong_registered_op(capsys, register):
    register("bad_square", lambda x: x * x, derivatives=[lambda x: 3 * x])  # d/dx x² is 2x, not 3x
    status = main(["check", "--models", "1"])
    out = capsys.readouterr().out
    assert status == 1
    assert "FAIL bad_square(" in out
    assert "SOME CHECKS DISAGREE" in out


# ---- train and demo ----------------------------------------------------------

def test_train_saves_a_model_that_loads_and_plots_a_png(tmp_path):
    model_path, plot_path = tmp_path / "model.json", tmp_path / "boundary.png"
    result = run("train", "--dataset", "xor", "--hidden", "4", "--activation", "tanh", "--loss", "half_sse",
                 "--optimizer", "adam", "--lr", "0.05", "--epochs", "150", "--seed", "3",
                 "--save", str(model_path), "--plot", str(plot_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].startswith(
        "trained MLP(2, [4, 1], activation='tanh', out_activation='sigmoid') on xor (4 samples, 2 classes), "
        "half_sse loss, Adam(lr=0.05), 150 epochs, full batch: final loss ")
    assert result.stdout.splitlines()[0].endswith(", accuracy 100.0%")
    state = json.loads(model_path.read_text())
    assert len(state) == 2 * 4 + 4 + 4 + 1  # layer 0: 4 neurons × (2 w + b); layer 1: 4 w + b
    assert plot_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_train_on_spirals_with_bce_uses_three_outputs(tmp_path, capsys):
    path = tmp_path / "m.json"
    assert main(["train", "--dataset", "spiral", "--hidden", "8", "--loss", "bce", "--optimizer", "adam",
                 "--epochs", "2", "--save", str(path)]) == 0
    assert sum(1 for name in json.loads(path.read_text()) if name.startswith("layers.1.") and name.endswith(".b")) == 3


def test_train_refuses_hinge_on_three_classes(capsys):
    assert main(["train", "--dataset", "spiral", "--loss", "hinge", "--epochs", "1"]) == 2
    assert "hinge separates two classes" in capsys.readouterr().err


@pytest.mark.parametrize("args", [["--dataset", "mnist"], ["--hidden", "16,x"], ["--lr", "-1"], ["--epochs", "0"],
                                  ["--loss", "l1"], ["--batch-size", "0"]])
def test_train_rejects_bad_arguments_with_argparse_exit_2(args):
    result = run("train", *args)
    assert result.returncode == 2
    assert "usage:" in result.stderr


@pytest.mark.slow
def test_demo_trains_to_full_accuracy_and_writes_everything_it_lists(tmp_path):
    out = tmp_path / "demo"
    result = run("demo", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "training accuracy 100%" in result.stdout
    assert "All gradients agree." in result.stdout
    for name in ("loss.png", "boundary.png", "model.json", "model_graph.svg", "expression.svg", "backward.html",
                 "backward.gif"):
        assert str(out / name) in result.stdout
        assert (out / name).stat().st_size > 0
    for svg in ("model_graph.svg", "expression.svg"):
        ET.parse(out / svg)  # valid XML
    shown = [t.text or "" for t in ET.parse(out / "model_graph.svg").iter("{http://www.w3.org/2000/svg}text")]
    grads = [float(t.split()[1]) for t in shown if t.startswith("grad ") and t.split()[1][-1].isdigit()]
    assert sum(g != 0 for g in grads) > 1  # a point with a non-zero loss: more than the root's own 1.0
    assert len(json.loads((out / "model.json").read_text())) == 337
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["loss.png", "boundary.png", "model.json", "model_graph.svg", "expression.svg", "backward.html",
         "backward.gif"])  # no temporary files


def test_demo_into_an_unwritable_folder_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = run("demo", "--out", str(blocker / "demo"))
    assert result.returncode == 1
    assert "cannot create" in result.stderr and "Traceback" not in result.stderr


def test_no_command_is_a_usage_error():
    result = run()
    assert result.returncode == 2
    assert "usage: deltagrad" in result.stderr
