"""Loading a user's own Python file as a module, from its path: the ops a user
registers with `defop` (`deltagrad graph|check --ops my_ops.py`), so custom ops
work from the command line as they do in Python.

Whatever goes wrong in the file (a syntax error, an exception while it runs, a
failing `defop`) is one `UserFileError` (a ValueError) whose message is one
line naming the file, the line and the error, never a traceback; and a rejected
file leaves the op table as it was.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
import traceback
from pathlib import Path
from types import ModuleType

from .registry import REGISTRY


class UserFileError(ValueError):
    """A user's file could not be loaded; the message says where and why, in one line."""


def load_module(path: str | os.PathLike[str], prefix: str = "deltagrad_user") -> ModuleType:
    """Runs the Python file at `path` as a new module (named `prefix_<stem>`, in
    `sys.modules` while it runs, so dataclasses and pickling in it work) and
    returns it. Any extension is read as Python source."""
    path = Path(path)
    if not path.is_file():
        reason = "no such file" if not path.exists() else "not a file"
        raise UserFileError(f"cannot read {path}: {reason}")
    name = f"{prefix}_{''.join(c if c.isalnum() else '_' for c in path.stem)}"
    loader = importlib.machinery.SourceFileLoader(name, os.fspath(path))
    spec = importlib.util.spec_from_loader(name, loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        loader.exec_module(module)
    except SyntaxError as err:
        sys.modules.pop(name, None)
        raise UserFileError(f"{path}, line {err.lineno}: SyntaxError: {err.msg}") from None
    except (Exception, SystemExit) as err:
        sys.modules.pop(name, None)
        raise UserFileError(f"{path}{_line_in(err, path)}: {type(err).__name__}: {_one_line(err)}") from None
    return module


def load_ops(path: str | os.PathLike[str]) -> list[str]:
    """Runs the file at `path`, which registers ops with `autograd.defop`, and
    returns the names of the ops it registered. A file that fails, or that
    registers no op, is a `UserFileError`, and the op table is as it was."""
    before = dict(REGISTRY)
    try:
        load_module(path, prefix="deltagrad_ops")
    except UserFileError:
        _restore(before)
        raise
    added = [name for name, op in REGISTRY.items() if before.get(name) is not op]
    if not added:
        raise UserFileError(f"{path} registers no op: define each with autograd.defop(name, forward, ...)")
    return added


def _restore(before: dict) -> None:
    """The op table as it was before a failed load (ops it added removed, ops it replaced put back)."""
    for name in [n for n in REGISTRY if n not in before]:
        del REGISTRY[name]
    REGISTRY.update(before)


def _line_in(err: BaseException, path: Path) -> str:
    """', line N' for the innermost frame of the traceback that is in the user's file."""
    target = os.path.realpath(path)
    lines = [frame.lineno for frame in traceback.extract_tb(err.__traceback__)
             if os.path.realpath(frame.filename) == target]
    return f", line {lines[-1]}" if lines else ""


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split())
    return text if len(text) <= 300 else text[:297] + "..."
