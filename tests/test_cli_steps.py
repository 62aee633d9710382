"""`deltagrad graph ... --steps` and the demo's animation of the lecture's neuron."""

from __future__ import annotations

import subprocess
import sys

from PIL import Image

from autograd import backward_steps
from nn import demo


def run(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nn.cli", *args], capture_output=True, text=True, cwd=cwd)


def test_graph_steps_writes_the_player_by_default_and_a_gif_when_asked(tmp_path):
    expression = ["graph", "tanh(x*w + b)", "--var", "x=2", "--var", "w=-3", "--var", "b=6.88", "--steps"]
    result = run(*expression, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "backward.html").read_text(encoding="utf-8")
    # The pass starts from nothing known: x's first gradient is its only one, not added to backward()'s.
    assert "∂v6/∂x += ∂v6/∂(x·w) · ∂(x·w)/∂x" in page or "/∂x += " in page
    assert "(sum " not in page
    result = run(*expression, "-o", str(tmp_path / "backward.gif"))
    assert result.returncode == 0, result.stderr
    assert Image.open(tmp_path / "backward.gif").n_frames == 6  # 3 ops, forward then backward


def test_graph_steps_refuses_a_picture_format():
    result = run("graph", "x*w", "--var", "x=2", "--var", "w=3", "--steps", "-o", "out.svg")
    assert result.returncode == 2
    assert "--steps writes an animation: give -o a .html or .gif file" in result.stderr


def test_the_demos_animation_is_the_lecture_neuron_forward_then_backward():
    animation = demo.neuron_animation()
    o = animation.steps.root
    assert o.data == animation.frames[4].step.node.data and abs(o.data - 2 ** -0.5) < 1e-12
    assert len(animation.frames) == len(backward_steps(o, forward=True)) == 10
    grads = {x.value.label: x.after for f in animation.frames if f.step.kind == "backward" for x in f.step.inputs}
    # The lecture's numbers, ∂o/∂xᵢ = (1 − o²) wᵢ and ∂o/∂wᵢ = (1 − o²) xᵢ with 1 − o² = 1/2, to rounding ...
    expected = {"x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0, "b": 0.5}
    assert all(abs(grads[name] - g) < 1e-12 for name, g in expected.items())
    # ... and backward()'s, exactly.
    o.backward()
    leaves = {v.label: v.grad for f in animation.frames for v in [x.value for x in f.step.inputs] if v.is_leaf()}
    assert {name: grads[name] for name in expected} == {name: leaves[name] for name in expected}


def test_the_readme_shows_the_neurons_gif_made_by_the_demo():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    assert "](docs/backward.gif)" in (root / "README.md").read_text(encoding="utf-8").split("## Quick start")[0]
    gif = root / "docs" / "backward.gif"
    assert gif.stat().st_size < 400_000  # small enough for a README
    assert Image.open(gif).n_frames == len(demo.neuron_animation().frames)
