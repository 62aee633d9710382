"""The stored notebooks match their percent-format sources, so nobody edits one
without the other. Nothing is executed here: nbmake runs the stored notebooks
in `make test`, and `notebooks/build_notebooks.py` rebuilds them from the sources."""

from __future__ import annotations

from pathlib import Path

import jupytext
import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
SOURCES = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.py"))
STORED = sorted(NOTEBOOKS.glob("*.ipynb"))


def cells(nb: nbformat.NotebookNode) -> list[tuple[str, str]]:
    return [(cell.cell_type, cell.source) for cell in nb.cells]


def test_every_stored_notebook_has_a_source_and_every_source_a_notebook():
    assert len(SOURCES) == 5
    assert [p.stem for p in STORED] == [p.stem for p in SOURCES]


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_stored_notebook_cells_match_the_source(source: Path):
    stored = nbformat.read(source.with_suffix(".ipynb"), as_version=4)
    written = jupytext.read(source, fmt="py:percent")
    assert cells(stored) == cells(written), (
        f"{source.with_suffix('.ipynb').name} differs from {source.name}: "
        f"edit the .py and run .venv/bin/python notebooks/build_notebooks.py {source.name[:2]}")


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_stored_notebook_was_run_to_the_end(source: Path):
    # Every code cell has an execution count, in order: the build ran them all, top to bottom.
    stored = nbformat.read(source.with_suffix(".ipynb"), as_version=4)
    counts = [cell.execution_count for cell in stored.cells if cell.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1))
