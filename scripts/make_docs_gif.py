"""Writes docs/backward.gif, the README's animation: the forward and backward
pass through the lecture's neuron o = tanh(x1·w1 + x2·w2 + b), step by step
(`nn.demo.neuron_animation()`, the same as `deltagrad demo`'s backward.gif).

    .venv/bin/python scripts/make_docs_gif.py
"""

from __future__ import annotations

from pathlib import Path

from nn.demo import neuron_animation

DOCS = Path(__file__).resolve().parent.parent / "docs"

if __name__ == "__main__":
    path = neuron_animation().save(DOCS / "backward.gif")
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB)")
