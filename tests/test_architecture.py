"""The layers of docs/architecture.md hold in the code: every import (at the top
of a module or inside a function) goes to the same layer or a lower one, no two
modules import each other, and every module is listed."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("architecture", ROOT / "scripts" / "architecture.py")
architecture = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(architecture)

LAYER_OF = {path: k for k, (_, modules) in enumerate(architecture.LAYERS) for path, _ in modules}
PACKAGES = ("autograd", "nn")


def modules() -> list[str]:
    return sorted(str(p.relative_to(ROOT)) for package in PACKAGES for p in (ROOT / package).rglob("*.py")
                  if p.name != "__init__.py")


def _module_path(dotted: str) -> str | None:
    """The file of a project module named `autograd.viz.draw` (None for a package or outside the project)."""
    path = ROOT / Path(*dotted.split("."))
    return str(path.with_suffix(".py").relative_to(ROOT)) if path.with_suffix(".py").exists() else None


def imports_of(path: str) -> set[str]:
    """The project modules `path` imports, anywhere in it."""
    package = ".".join(Path(path).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(ast.parse((ROOT / path).read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        found |= {p for name in names if name.split(".")[0] in PACKAGES and (p := _module_path(name))}
    found.discard(path)
    return found


def test_every_module_of_the_packages_is_in_the_architecture_table():
    assert modules() == sorted(LAYER_OF)


def test_every_import_goes_to_the_same_layer_or_a_lower_one():
    upward = [(path, target) for path in modules() for target in imports_of(path)
              if LAYER_OF[target] > LAYER_OF[path]]
    assert upward == []


def test_no_modules_import_each_other_even_through_others():
    graph = {path: imports_of(path) for path in modules()}

    def reaches(start: str) -> set[str]:
        seen, stack = set(), list(graph[start])
        while stack:
            node = stack.pop()
            if node not in seen:
                seen.add(node)
                stack.extend(graph[node])
        return seen

    cycles = sorted(path for path in graph if path in reaches(path))
    assert cycles == []


def test_autograd_never_imports_nn():
    assert [(p, t) for p in modules() if p.startswith("autograd/") for t in imports_of(p) if t.startswith("nn/")] == []


def test_the_docs_show_the_generated_table_and_picture():
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert architecture.markdown_table() in doc
    assert (ROOT / "docs" / "architecture.dot").read_text(encoding="utf-8") == architecture.dot_source()
    assert (ROOT / "docs" / "architecture.svg").read_text(encoding="utf-8").lstrip().startswith("<?xml")
