"""Builds the five notebooks of this directory from their sources: reads each
jupytext percent-format source (`01_value_and_backward.py`), runs it in a fresh
`python3` kernel, and stores it with its outputs (`01_value_and_backward.ipynb`).

    .venv/bin/python notebooks/build_notebooks.py        # all five
    .venv/bin/python notebooks/build_notebooks.py 02 04  # those whose names start so

Edit the `.py` sources, never the .ipynb files, then run this script: `# %%`
starts a code cell, `# %% [markdown]` a markdown cell written as `# ` comments.
A change to a notebook is then reviewed, and linted by ruff, as Python;
`tests/test_notebooks.py` fails when a stored notebook no longer matches its
source. The stored outputs are made reproducible:
- cells get fixed ids (`nb01-07`) instead of nbformat's random ones;
- no execution timings are recorded in the metadata, and a cell's printed
  output is stored as one stream (the kernel may send it in chunks);
- a graph picture's text/plain fallback is dropped, keeping its SVG: the
  fallback is the Digraph's default repr, which holds a memory address.
A build fails if any stored output still holds a memory address.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient

from autograd.files import write_atomically

HERE = Path(__file__).resolve().parent
SOURCES = sorted(HERE.glob("[0-9][0-9]_*.py"))
KERNEL = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
MEMORY_ADDRESS = re.compile(r" at 0x[0-9a-f]+")


def read_source(source: Path) -> nbformat.NotebookNode:
    """The notebook written in `source`, not yet run: its cells with fixed ids
    (`nb01-01`, ...) and the python3 kernel."""
    nb = jupytext.read(source, fmt="py:percent")
    prefix = "nb" + source.name[:2]
    for i, cell in enumerate(nb.cells, 1):
        cell["id"] = f"{prefix}-{i:02d}"
        # jupytext's record of the blank lines after a cell in the .py; the notebook has no use for it.
        cell.metadata.pop("lines_to_next_cell", None)
    nb.metadata = nbformat.NotebookNode(kernelspec=dict(KERNEL), language_info={"name": "python"})
    return nb


def clean_outputs(nb: nbformat.NotebookNode, name: str) -> None:
    """Drops a graph's text/plain fallback (`<GraphDrawing at 0x...>`) where an SVG is
    stored, and refuses any other output that holds a memory address."""
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "image/svg+xml" in data:
                data.pop("text/plain", None)
            text = str(data.get("text/plain", "")) + str(output.get("text", ""))
            if MEMORY_ADDRESS.search(text):
                raise RuntimeError(f"{name}, cell {cell['id']}: an output holds a memory address: {text[:120]!r}")


def build(source: Path) -> float:
    """Runs `source` and stores it as the .ipynb beside it; returns the seconds the run took."""
    nb = read_source(source)
    client = NotebookClient(nb, timeout=600, kernel_name=KERNEL["name"], record_timing=False,
                            coalesce_streams=True, resources={"metadata": {"path": str(HERE)}})
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    clean_outputs(nb, source.name)
    nbformat.validate(nb)
    text = nbformat.writes(nb)
    text += "" if text.endswith("\n") else "\n"  # as nbformat.write ends the file
    write_atomically(source.with_suffix(".ipynb"), text.encode, "build_notebooks")
    return seconds


def main(prefixes: list[str]) -> None:
    chosen = [s for s in SOURCES if not prefixes or any(s.name.startswith(p) for p in prefixes)]
    if not chosen:
        raise SystemExit(f"no notebook source starts with {' or '.join(prefixes)}; "
                         f"choose from {', '.join(s.name for s in SOURCES)}")
    for source in chosen:
        seconds = build(source)
        size = source.with_suffix(".ipynb").stat().st_size
        print(f"{source.with_suffix('.ipynb').name}: ran in {seconds:.1f} s, {size / 1024:.0f} KiB")


if __name__ == "__main__":
    main(sys.argv[1:])
