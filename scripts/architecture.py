"""Draws deltagrad's architecture with its own Graphviz and writes the table of
who owns what: docs/architecture.svg, docs/architecture.dot and the generated
block of docs/architecture.md.

    .venv/bin/python scripts/architecture.py

`LAYERS` below is the one place that says which module belongs to which layer;
tests/test_architecture.py checks the real imports against it (each module
imports only from its own layer or the ones below) and that every module of
the packages is listed.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

# Lowest first. (layer, [(module path, what it owns)]).
LAYERS: list[tuple[str, list[tuple[str, str]]]] = [
    ("foundations", [
        ("autograd/validate.py", "checks every number a user gives (a Value's data, a learning rate, a seed)"),
        ("autograd/modes.py", "no_grad, enable_grad, detect_anomaly, name_scope; IEEE 754 inside backward"),
        ("autograd/files.py", "atomic writes, for every file the project writes"),
        ("autograd/report.py", "the text tables of the checks and of the Δ-rule comparison"),
    ]),
    ("the op table", [
        ("autograd/registry.py", "the Op record, the rule convention, defop, HandWritten (the lecture's closures)"),
        ("autograd/ops.py", "every built-in op: forward, derivative rule, array forms, domain, formula"),
    ]),
    ("the engine", [
        ("autograd/engine.py", "Value and its operators, the topological order, backward()"),
    ]),
    ("on the engine", [
        ("autograd/functional.py", "grad, value_and_grad (they nest), gradients"),
        ("autograd/check.py", "gradcheck, check_ops, check_op, check_all_ops"),
        ("autograd/userfile.py", "loads a user's file of defop ops (`--ops`), any error one line, the table restored"),
        ("autograd/expr.py", "the safe expression parser behind `deltagrad graph`"),
        ("autograd/foreign.py", "reads graphs of any micrograd-style class for the checks; the lecture's op names"),
        ("autograd/learner.py", "grades a learner's own micrograd, one verdict per op (`deltagrad check --engine`)"),
        ("autograd/compiler.py", "compile: one example's graph recorded, replayed over a batch in grouped NumPy calls"),
        ("autograd/steps.py", "backward_steps: the chain rule as data, node by node or neuron by neuron"),
        ("autograd/testing.py", "assert_gradcheck, assert_ops and hypothesis strategies for users' tests"),
        ("autograd/viz/graph.py", "reads a graph, deltagrad's or any micrograd-style one (the only reader)"),
        ("autograd/viz/escape.py", "labels as data, never markup; number formats"),
        ("autograd/viz/colours.py", "the palette and the WCAG contrast rule"),
        ("autograd/viz/scopes.py", "clusters and collapse='neuron'/'layer'"),
        ("autograd/viz/annotate.py", "the annotate= hook by which nn (or a user) adds rows"),
        ("autograd/viz/dot.py", "the Graphviz drawing object and the missing-`dot` message"),
        ("autograd/viz/draw.py", "draw_dot: builds the drawing"),
        ("autograd/viz/output.py", "to_svg and render: files of every format"),
        ("autograd/viz/frames.py", "the animation's frames, every one in the same layout"),
        ("autograd/viz/player.py", "the self-contained HTML player"),
        ("autograd/viz/animation.py", "animate: the Animation, its player, its GIF and its files"),
    ]),
    ("networks", [
        ("nn/rng.py", "every seed and rng argument"),
        ("nn/module.py", "Module: parameters, zero_grad, state_dict, save and load"),
        ("nn/layers.py", "Neuron, Layer, MLP and the activation table"),
        ("nn/losses.py", "the losses and what each one's output means (LOSS_INFO)"),
        ("nn/optim.py", "SGD and Adam"),
        ("nn/data.py", "moons, circles, spiral, XOR; batches"),
        ("nn/compiled.py", "fit's compiled path: the model's graph replayed over the batch"),
        ("nn/torch_bridge.py", "MLP.to_torch, MLP.from_torch, compare_with_torch (PyTorch loaded only when called)"),
        ("nn/train.py", "fit and its History"),
        ("nn/delta.py", "the seeds' Δ rules by hand, compared with autodiff; the Δ annotator"),
        ("nn/plot.py", "loss curves and decision boundaries (matplotlib)"),
    ]),
    ("the command", [
        ("nn/demo.py", "what `deltagrad demo` and `deltagrad train` run"),
        ("nn/selfcheck.py", "what `deltagrad check` runs"),
        ("nn/cli.py", "the deltagrad command: parse, call, print"),
    ]),
]

# How data flows, for the picture: (from, to, label).
FLOW = [
    ("text", "expr", "deltagrad graph \"tanh(x*w + b)\""),
    ("expr", "graph", ""),
    ("code", "graph", "Value(2.0) * w"),
    ("table", "graph", "each op: forward + rule"),
    ("graph", "backward", "topological order"),
    ("table", "backward", "vjp(g, ans, *xs)"),
    ("backward", "checks", "grad vs finite differences"),
    ("graph", "pictures", "draw_dot, render"),
    ("backward", "pictures", ""),
    ("graph", "nn", "Neuron, Layer, MLP"),
    ("backward", "nn", "loss.backward(); optimizer.step()"),
    ("nn", "pictures", "annotate= (the Δ)"),
    ("nn", "command", ""),
]
BOXES = {
    "text": ("an expression, typed", "plaintext"),
    "code": ("your Python code", "plaintext"),
    "expr": ("expr.py\nsafe parser", "box"),
    "table": ("registry.py + ops.py\nthe op table", "box"),
    "graph": ("engine.py\nValue graph", "box"),
    "backward": ("engine.py\nbackward()", "box"),
    "checks": ("functional.py, check.py\ngrad, gradcheck, check_ops", "box"),
    "pictures": ("viz/\ndraw_dot, render", "box"),
    "nn": ("nn/\nMLP, losses, optim, fit, Δ rules", "box"),
    "command": ("nn/cli.py\nthe deltagrad command", "box"),
}


def dot_source() -> str:
    """The picture as DOT text: the data flow, one box per part."""
    lines = ["digraph architecture {", '  rankdir="LR";', '  node [fontname="Helvetica", fontsize=11];',
             '  edge [fontname="Helvetica", fontsize=9, color="#555555"];']
    for name, (text, shape) in BOXES.items():
        style = ', style="filled", fillcolor="#eef3fb"' if shape == "box" else ""
        lines.append(f'  "{name}" [label="{_dot_text(text)}", shape={shape}{style}];')
    for a, b, label in FLOW:
        edge = f'  "{a}" -> "{b}"'
        lines.append(f'{edge} [label="{_dot_text(label)}"];' if label else f"{edge};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def markdown_table() -> str:
    rows = ["| layer | module | owns |", "|---|---|---|"]
    for layer, modules in LAYERS:
        rows += [f"| {layer} | `{path}` | {owns} |" for path, owns in modules]
    return "\n".join(rows)


def replace_block(text: str, name: str, body: str) -> str:
    pattern = re.compile(rf"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)", re.S)
    if not pattern.search(text):
        raise SystemExit(f"docs/architecture.md has no <!-- {name}:start/end --> block")
    return pattern.sub(lambda m: m.group(1) + body + "\n" + m.group(2), text)


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from autograd.files import write_atomically

    source = dot_source()
    write_atomically(DOCS / "architecture.dot", source.encode, "architecture")
    import graphviz

    svg = graphviz.Source(source).pipe(format="svg")
    write_atomically(DOCS / "architecture.svg", lambda: svg, "architecture")
    doc = DOCS / "architecture.md"
    text = replace_block(doc.read_text(encoding="utf-8"), "modules", markdown_table())
    write_atomically(doc, lambda: text.encode("utf-8"), "architecture")
    print(f"wrote {DOCS / 'architecture.svg'}, {DOCS / 'architecture.dot'} and the table in {doc}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
