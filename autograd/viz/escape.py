"""Text in a picture: labels are data, never markup.

Every string a user controls (a label, a scope, an op's name, an annotation)
reaches Graphviz through `html_text` (inside an HTML-like label) or
`tooltip_text` (an attribute), so quotes, braces, `<b>`, newlines or a whole
DOT statement are shown literally. Numbers are written the lecture's way by
`format_number`, which annotators can use too, so their numbers match the boxes.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence

import graphviz

# Characters XML 1.0 forbids (dot rejects them in an HTML label) and lone surrogates
# (not encodable as UTF-8): shown as escapes such as \x01 instead.
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def visible(text: str) -> str:
    """`text` with line breaks normalised to \\n, tabs to spaces, and characters
    no SVG can hold written as Python escapes."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    return _INVISIBLE.sub(lambda m: repr(m.group())[1:-1], text)


def html_text(text: str) -> str:
    """`text` as the content of an HTML-like label that Graphviz shows literally.

    html.escape turns & < > " ' into entities, so a label that looks like markup
    (`<b>x</b>`, `"]; evil [`) stays text and the label's own `<...>` delimiters
    stay balanced. dot expands \\N, \\G, \\T, \\H and \\E (object names) even in
    HTML labels and reads \\\\ as one backslash, so backslashes are doubled.
    Newlines become <BR/>."""
    text = html.escape(visible(text), quote=True).replace("\\", "\\\\")
    return text.replace("\n", "<BR/>")


def tooltip_text(text: str) -> graphviz.nohtml:
    """`text` as a tooltip attribute shown literally in the SVG. Graphviz copies
    a tooltip into the SVG as is when it already looks like an XML entity, so &
    is written &amp;; and dot 2.43 un-escapes a tooltip's backslashes twice
    before it expands \\N and its kin, so each one becomes four. `nohtml` keeps
    the graphviz package from passing a tooltip of the form `<...>` through as
    an HTML string; it escapes quotes itself."""
    text = visible(text).replace("&", "&amp;").replace("\\", "\\\\\\\\")
    return graphviz.nohtml(text)


def format_number(x: float) -> str:
    """A data or gradient as the lecture writes it (`2.0000`). Magnitudes that
    would show as 0.0000, or as a long string of digits, use an exponent
    instead (a vanishing gradient of 3e-09 stays visible)."""
    if x == 0 or not math.isfinite(x) or 1e-4 <= abs(x) < 1e6:
        return f"{x:.4f}"
    return f"{x:.3e}"


def format_numbers(xs: Sequence[float], limit: int = 4) -> str:
    """Several numbers in a short line: `[0.1234, -0.5000, … 16 values]`."""
    shown = ", ".join(format_number(x) for x in xs[:limit])
    return f"[{shown}, … {len(xs)} values]" if len(xs) > limit else f"[{shown}]"


def html_table(rows: list[list[str]], bgcolor: str) -> str:
    """An HTML-like label: a table of cells (already escaped), each row spanning
    the width of the widest."""
    width = max(len(row) for row in rows)
    body = []
    for row in rows:
        span = f' COLSPAN="{width - len(row) + 1}"' if len(row) < width else ""
        cells = [f"<TD{span if i == len(row) - 1 else ''}>{cell}</TD>" for i, cell in enumerate(row)]
        body.append(f"<TR>{''.join(cells)}</TR>")
    return (f'<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4" BGCOLOR="{bgcolor}">'
            f"{''.join(body)}</TABLE>>")
