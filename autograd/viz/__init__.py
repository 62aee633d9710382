"""Pictures of computation graphs: `draw_dot`, `render` and `to_svg`.

`draw_dot(root)` returns a `graphviz.Digraph` of everything `root` was computed
from, drawn as the micrograd lecture draws it: one box per Value showing
`label | data | grad`, and one small node per op between its inputs and its
output. As the last expression of a Jupyter cell it shows inline as SVG;
`render(root, "graph.svg")` writes a file (.svg, .png, .pdf or .dot).

Beyond the lecture's picture: roles coloured with a legend, `color_by="grad"`,
clusters per name scope, `collapse="neuron"`/`"layer"`, a `max_nodes` guard,
`check=True` (wrong derivatives in red), anomaly-mode tooltips, and
annotators (`annotate=`) through which a model adds its own text, as `nn`
adds the Monash Δ (`show_delta=True`). Graphs of any micrograd-style class
draw too. Labels are data, never markup.

The modules, one job each:
- `graph`: the one place that reads a graph (deltagrad Values through their
  public API, micrograd-style nodes through `_prev` and `_op`);
- `escape`: text, numbers and tables as Graphviz shows them literally;
- `colours`: the palette, and text contrast by WCAG 2's formulas;
- `scopes`: clusters and what `collapse=` merges;
- `annotate`: the `Annotator` hook;
- `draw`: building the Digraph (`draw_dot`);
- `dot`: Graphviz's `dot` program (`GraphDrawing`, `GraphvizNotFound`);
- `output`: SVG text and files (`to_svg`, `render`);
- `frames`, `player`, `animation`: `animate(root)`, backpropagation step by
  step (`autograd.backward_steps`) as frames in one fixed layout, an HTML
  player and a GIF.
"""

import graphviz  # noqa: F401  (importable as autograd.viz.graphviz, as before the split)

from . import escape as _escape
from .animation import Animation, Frame, animate
from .annotate import GROUP_ROWS, Annotator
from .colours import EXPLODING, ROLES, VANISHING, contrast_ratio, grad_colour, relative_luminance, text_colour_on
from .dot import DEFAULT_DPI, MISSING_DOT_MESSAGE, GraphDrawing, GraphvizNotFound
from .draw import GRAPH_GRAD, draw_dot
from .escape import format_number, format_numbers
from .output import GRAPH_FORMATS, render, to_svg

# The helpers of the single-module viz.py whose behaviour is unchanged, importable
# by their old names for code written against it.
_text, _tooltip, _visible, _table = _escape.html_text, _escape.tooltip_text, _escape.visible, _escape.html_table
_number, _numbers = _escape.format_number, _escape.format_numbers

__all__ = ["draw_dot", "render", "to_svg", "GRAPH_FORMATS", "GraphDrawing", "GraphvizNotFound", "MISSING_DOT_MESSAGE",
           "grad_colour", "ROLES", "VANISHING", "EXPLODING",
           "Annotator", "GROUP_ROWS", "GRAPH_GRAD", "DEFAULT_DPI", "format_number", "format_numbers",
           "relative_luminance", "contrast_ratio", "text_colour_on", "animate", "Animation", "Frame"]
