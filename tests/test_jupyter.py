"""nn in a real Jupyter kernel (nbclient runs cells as JupyterLab does):
`import nn` prints nothing, and `nn.fit`'s progress bar shows there by
default, as a widget with ipywidgets (the dev and lab extras install it) and
as a text bar on stderr without it."""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient

FIT = """\
import nn
X, y = nn.data.make_xor()
history = nn.fit(nn.MLP(2, [2, 1], seed=0), X, y, epochs=2)
print(len(history))
"""
WIDGET = "application/vnd.jupyter.widget-view+json"


def run_cells(*sources: str) -> list[list[dict]]:
    """Runs the cells in a fresh kernel and returns each cell's outputs."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    return [cell.outputs for cell in nb.cells]


def streams(outputs: list[dict], name: str) -> str:
    return "".join(o.get("text", "") for o in outputs if o.output_type == "stream" and o.name == name)


def test_importing_nn_in_a_kernel_prints_nothing():
    (outputs,) = run_cells("import nn\nimport nn.plot\nimport autograd")
    assert outputs == []


def test_fit_shows_a_progress_widget_in_jupyter_by_default():
    pytest.importorskip("ipywidgets", reason="the widget needs ipywidgets (make lab and the dev extra install it)")
    (outputs,) = run_cells(FIT)
    assert any(WIDGET in o.get("data", {}) for o in outputs if o.output_type == "display_data"), outputs
    assert streams(outputs, "stdout") == "2\n"
    assert streams(outputs, "stderr") == ""  # no warning beside the widget


def test_without_ipywidgets_the_import_is_silent_and_the_bar_is_text_on_stderr():
    # `sys.modules[name] = None` makes `import ipywidgets` fail as it does where it is not installed.
    hide, fit = run_cells("import sys\nsys.modules['ipywidgets'] = None", FIT)
    assert hide == []
    assert not any(o.output_type == "display_data" for o in fit)
    bar = streams(fit, "stderr")
    assert "fit: 100%" in bar and "2/2" in bar and "loss=" in bar
    assert "IProgress not found" not in bar and "Warning" not in bar
    assert streams(fit, "stdout") == "2\n"
