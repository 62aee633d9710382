"""Plain-text tables and one-line summaries for the reports of checks
(`autograd.check.CheckReport`, `nn.delta.DeltaReport`): one formatter, so every
table deltagrad prints has the same layout."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]], align: str | None = None) -> str:
    """`header`, a rule of dashes, then `rows`, in columns two spaces apart, each
    as wide as its widest cell; trailing spaces are dropped.

    `align` has one letter per column, "l" (left) or "r" (right); by default
    every column is left-aligned.
    """
    align = align if align is not None else "l" * len(header)
    if len(align) != len(header) or set(align) - {"l", "r"}:
        raise ValueError(f"format_table: align needs one 'l' or 'r' per column ({len(header)}), got {align!r}")
    lines = [header, *rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        padded = (c.rjust(w) if a == "r" else c.ljust(w) for c, w, a in zip(cells, widths, align))
        return "  ".join(padded).rstrip()

    return "\n".join([line(header), "  ".join("-" * w for w in widths), *(line(r) for r in rows)])


def check_summary(report: Any) -> str:
    """A `CheckReport` in a few lines: how many rows agree, the largest
    absolute error, and one line per failure (what `deltagrad check` prints
    without `--verbose`)."""
    failed = report.failures
    lines = [f"{report.title}: {len(report.rows) - len(failed)}/{len(report.rows)} ok, "
             f"largest abs error {report.max_abs_error:.2e}"]
    lines += [f"  FAIL {r.where}: analytic {r.analytic:.10g}, numeric {r.numeric:.10g}" for r in failed]
    return "\n".join(lines)
