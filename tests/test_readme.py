"""The README's generated parts stay in step with the code they describe."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import autograd
from autograd.ops import builtin_ops, markdown_table

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("update_readme", ROOT / "scripts" / "update_readme.py")
update_readme = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(update_readme)


def readme() -> str:
    return (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_readme_op_table_is_the_one_generated_from_the_registry():
    assert update_readme.block(readme(), "ops") == markdown_table()


def test_the_generated_op_table_has_one_row_per_builtin_op():
    rows = [line for line in markdown_table().splitlines()[2:]]
    assert [row.split("`")[1] for row in rows] == [op.name for op in builtin_ops()]


def test_the_readme_shows_a_benchmark_table_against_micrograd():
    table = update_readme.block(readme(), "bench")
    assert "micrograd 0.1.0" in table
    assert "training step" in table


def test_the_readme_names_the_clash_with_hips_autograd():
    assert "HIPS autograd" in readme()
    assert "HIPS autograd" in autograd.__doc__


def test_the_readme_quick_start_begins_with_the_two_commands():
    quick_start = readme().split("## Quick start", 1)[1]
    commands = [line.split("#")[0].strip() for line in quick_start.split("```sh", 1)[1].split("```")[0].splitlines()]
    assert [c for c in commands if c] == ["make demo", "make test"]
