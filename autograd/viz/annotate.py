"""The drawing's hook for extra text: `draw_dot(root, annotate=...)`.

The drawing knows nothing of any model's conventions. A model, a course or a
user hands its knowledge down through an annotator instead:

    def doubled(v):                       # given each node drawn (your Value)
        return [f"2·data = {2 * v.data:.4f}"] if v.label == "h" else None

    draw_dot(out, annotate=doubled)
    draw_dot(out, annotate=Annotator(doubled, legend="2·data: twice the data"))

An annotator is called with every node drawn (the object itself: a Value, or
a micrograd-style node) and returns the rows of text to add under that node's
box, or None. Rows are plain text, shown literally (never markup). Wrapped in
an `Annotator` it can also add a line to the legend, and say how a collapsed
group of nodes (`collapse="neuron"` or `"layer"`) shows them; by default a group
shows its members' rows, at most `GROUP_ROWS` of them. `nn.delta.annotate` is
one; `nn` registers it in `NAMED` as "delta", which `show_delta=True` draws.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

GROUP_ROWS = 4  # a collapsed group shows at most this many of its members' rows by default

# Annotators an upper layer makes known by name: `nn` registers "delta" when it
# is imported, and `draw_dot(show_delta=True)` draws it. autograd never imports nn.
NAMED: dict[str, Annotator] = {}

Rows = str | Sequence[str] | None


@dataclass(frozen=True)
class Annotator:
    """Extra rows of text for some nodes of a drawing.

    - `rows(node)`: the rows under one node's box (a string, a list of strings,
      or None for none);
    - `legend`: a line for the legend explaining the rows ('' for none);
    - `group(nodes)`: the rows of a collapsed group, given its members in
      reading order (inputs first, a node's first input before its second, so
      neuron 0's before neuron 1's); None shows the members' own rows, at most
      `GROUP_ROWS`.
    """

    rows: Callable[[Any], Rows]
    legend: str = ""
    group: Callable[[Sequence[Any]], Rows] | None = None

    def __call__(self, node: Any) -> Rows:
        return self.rows(node)


def annotators(annotate: Any) -> list[Annotator]:
    """`draw_dot`'s `annotate=` as a list of Annotators: None, one annotator (an
    `Annotator` or a plain function), or a list or tuple of them."""
    if annotate is None:
        return []
    items = list(annotate) if isinstance(annotate, (list, tuple)) else [annotate]
    for item in items:
        if not callable(item):
            raise TypeError(f"draw_dot: annotate must be a function node -> rows (or an Annotator, or a list of "
                            f"them), got {type(item).__name__}: {item!r:.40}")
    return [item if isinstance(item, Annotator) else Annotator(item) for item in items]


def rows_for(annotator: Annotator, node: Any) -> list[str]:
    """The rows `annotator` gives `node`, checked: text only."""
    return _checked(annotator, annotator.rows(node))


def group_rows_for(annotator: Annotator, nodes: Sequence[Any]) -> list[str]:
    """The rows of a collapsed group: the annotator's own `group`, or its members'
    rows, the first `GROUP_ROWS` and a count of the rest."""
    if annotator.group is not None:
        return _checked(annotator, annotator.group(nodes))
    rows = [row for node in nodes for row in rows_for(annotator, node)]
    if len(rows) > GROUP_ROWS:
        rows = rows[:GROUP_ROWS] + [f"… {len(rows) - GROUP_ROWS} more"]
    return rows


def _checked(annotator: Annotator, rows: Rows) -> list[str]:
    if rows is None:
        return []
    if isinstance(rows, str):
        return [rows]
    if isinstance(rows, Sequence) and all(isinstance(row, str) for row in rows):
        return list(rows)
    name = getattr(annotator.rows, "__qualname__", type(annotator.rows).__name__)
    raise TypeError(f"draw_dot: the annotator {name} must return a str, a list of str or None, "
                    f"got {type(rows).__name__}: {rows!r:.60}")
