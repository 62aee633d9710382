"""autograd.report: the one table layout shared by CheckReport and DeltaReport."""

import pytest

from autograd import gradcheck
from autograd.report import check_summary, format_table


def test_columns_are_as_wide_as_their_widest_cell_two_spaces_apart_under_a_rule():
    text = format_table(("name", "value"), [("a", "1"), ("long name", "22")])
    assert text.splitlines() == [
        "name       value",
        "---------  -----",
        "a          1",
        "long name  22",
    ]


def test_right_aligned_columns_pad_on_the_left_and_no_line_ends_in_spaces():
    text = format_table(("p", "x"), [("w", "1.5"), ("bias", "-10")], align="lr")
    assert text.splitlines() == [
        "p       x",
        "----  ---",
        "w     1.5",
        "bias  -10",
    ]


def test_align_needs_one_l_or_r_per_column():
    with pytest.raises(ValueError, match="one 'l' or 'r' per column"):
        format_table(("a", "b"), [], align="l")
    with pytest.raises(ValueError, match="'lc'"):
        format_table(("a", "b"), [], align="lc")


def test_a_check_report_table_is_a_title_line_then_format_table():
    report = gradcheck(lambda x: x * x, [3.0])
    title, rest = report.table().split("\n", 1)
    assert title == "gradcheck of <lambda>: all ok"
    row = report.rows[0]
    assert rest == format_table(
        ("input", "analytic", "numeric", "abs error", "rel error", "ok"),
        [(row.where, f"{row.analytic:.10g}", f"{row.numeric:.10g}", f"{row.abs_error:.3g}",
          f"{row.rel_error:.3g}", "ok")])


def test_the_check_summary_counts_rows_and_names_each_failure():
    good = gradcheck(lambda x: x * x, [3.0])
    assert check_summary(good) == (f"gradcheck of <lambda>: 1/1 ok, largest abs error {good.max_abs_error:.2e}")
    good.rows[0] = type(good.rows[0])("x0", 6.0, 7.0, False)
    lines = check_summary(good).splitlines()
    assert lines[0].startswith("gradcheck of <lambda>: 0/1 ok, largest abs error 1.00e+00")
    assert lines[1] == "  FAIL x0: analytic 6, numeric 7"
