"""`Module`: the base of every model, with named parameters, `state_dict` and save/load.

As in PyTorch, a module finds its parameters in its own attributes, in the order
they were set: a `Value` attribute `b` is the parameter `b`, a list `w` of
Values gives `w.0`, `w.1`, ..., and a sub-module (or a list of them, such as
`layers`) adds its own names under a dotted prefix (`layers.0.neurons.3.w.1`).
For micrograd's models that order is micrograd's `parameters()` order.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator, Mapping
from typing import Any

from autograd import Value
from autograd.files import write_atomically
from autograd.validate import hyperparameter


class Module:
    """Base class: `parameters()`, `named_parameters()`, `zero_grad()`,
    `state_dict()` / `load_state_dict()` and `save()` / `load()` as JSON."""

    # ---- parameters ----------------------------------------------------------
    def _members(self) -> Iterator[tuple[str, Module | Value]]:
        """The parameters and sub-modules held directly by this module, with their
        names relative to it, in attribute order (lists give `name.i`)."""
        for name, member in vars(self).items():
            if name.startswith("_"):
                continue
            if isinstance(member, (Value, Module)):
                yield name, member
            elif isinstance(member, (list, tuple)):
                for i, item in enumerate(member):
                    if isinstance(item, (Value, Module)):
                        yield f"{name}.{i}", item

    def named_parameters(self, prefix: str = "") -> list[tuple[str, Value]]:
        """(dotted name, parameter) pairs, in `parameters()` order."""
        out: list[tuple[str, Value]] = []
        for name, member in self._members():
            if isinstance(member, Module):
                out.extend(member.named_parameters(f"{prefix}{name}."))
            else:
                out.append((prefix + name, member))
        return out

    def parameters(self) -> list[Value]:
        """Every trainable Value of the module, in micrograd's order."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self, set_to_none: bool = False) -> None:
        """Sets every parameter's gradient to 0 (leaves accumulate across `backward()`
        calls). `set_to_none=True` (PyTorch's keyword) sets them to None instead,
        which the next `backward()` and the optimizers' `step()` treat as 0."""
        for p in self.parameters():
            p.grad = None if set_to_none else 0.0

    def _assign_names(self, prefix: str = "") -> None:
        """Labels every parameter with its `named_parameters()` name and scopes it
        to the module that owns it directly (a neuron: `layers.0.neurons.3`). A
        model calls this on itself when built; a parent renames its children."""
        scope = prefix[:-1]
        for name, member in self._members():
            if isinstance(member, Module):
                member._assign_names(f"{prefix}{name}.")
            else:
                member.label = prefix + name
                member.scope = scope
        self._scope = scope

    # ---- state -----------------------------------------------------------------
    def state_dict(self) -> dict[str, float]:
        """{parameter name: value}, plain floats in `named_parameters()` order (JSON-serialisable)."""
        return {name: p.data for name, p in self.named_parameters()}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Sets every parameter from `state_dict`. Everything is checked before
        anything changes: a missing or unexpected name is a KeyError naming it, a
        value that is not a finite real number (a string, a bool, None, NaN, inf)
        a ValueError naming it; the model is then left exactly as it was."""
        values = self._validated(state_dict)
        for (_, p), value in zip(self.named_parameters(), values):
            p.data = value

    def _validated(self, state_dict: Mapping[str, Any]) -> list[float]:
        """The values of `state_dict` in parameter order, or the first error found."""
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"load_state_dict: expected a mapping of parameter name to number, "
                            f"got {type(state_dict).__name__}")
        names = [name for name, _ in self.named_parameters()]
        known = set(names)
        missing = [n for n in names if n not in state_dict]
        unexpected = [k for k in state_dict if k not in known]
        if missing or unexpected:
            parts = []
            if missing:
                parts.append(f"missing {_listing(missing)}")
            if unexpected:
                parts.append(f"unexpected {_listing(unexpected)}")
            raise KeyError(f"load_state_dict: {'; '.join(parts)}")
        return [_finite_real(state_dict[n], n) for n in names]

    def save(self, path: str | os.PathLike[str]) -> None:
        """Writes `state_dict()` to `path` as JSON, atomically: to a temporary file
        in the same directory, flushed to disk, then renamed over `path`
        (`os.replace`), so a crash leaves either the old file or the new one."""
        state = self.state_dict()
        for name, value in state.items():
            if not math.isfinite(value):
                raise ValueError(f"save: parameter {name!r} is {value!r}; JSON holds only finite numbers")
        text = json.dumps(state, indent=1) + "\n"
        write_atomically(path, text.encode, "save")

    def load(self, path: str | os.PathLike[str]) -> None:
        """Loads parameters saved by `save` into this model.

        Every bad file is a ValueError whose message starts `load: <path>` and
        says what is wrong: not valid JSON (truncated, corrupt, nested too deeply),
        not a JSON object, a number too large for a float, or an entry refused by
        `load_state_dict` (a non-finite number, a string, ...); a file for another
        architecture is a KeyError naming the missing and unexpected names. On
        any error the model is left exactly as it was."""
        path = os.fspath(path)
        if path == "":
            raise ValueError("load: the path is empty; give the file that save() wrote")
        with open(path, "rb") as f:
            raw = f.read()
        state = _parse_model_file(raw, path)
        try:
            self.load_state_dict(state)
        except ValueError as err:
            raise ValueError(f"load: {path}: {err}") from None
        except KeyError as err:
            raise KeyError(f"load: {path}: {err.args[0]}") from None

    # ---- display -----------------------------------------------------------------
    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class _NumberTooLarge(ValueError):
    """A JSON number literal whose float is infinite."""


def _parse_model_file(raw: bytes, path: str) -> dict[str, Any]:
    """The JSON object in `raw`, or a ValueError naming `path` and what is wrong."""
    try:
        state = json.loads(raw, object_pairs_hook=_unique_keys, parse_int=_json_number, parse_float=_json_number)
    except _NumberTooLarge as err:
        raise ValueError(f"load: {path} holds {err}") from None
    except RecursionError:
        # json's parser recurses once per nested array or object.
        raise ValueError(f"load: {path} is not a model file: its JSON is nested too deeply "
                         "(save() writes one flat object of name: number)") from None
    except ValueError as err:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise ValueError(f"load: {path} is not valid JSON (truncated or corrupt?): {err}") from None
    if not isinstance(state, dict):
        raise ValueError(f"load: {path} holds {_json_kind(state)}, not a JSON object of name: number")
    return state


def _json_number(text: str) -> float:
    """A JSON number as a float (every parameter is one). float() reads any
    number of digits, where int() refuses more than 4,300; a literal beyond the
    float range (a 400-digit integer, 1e400) is refused, saying so."""
    value = float(text)
    if math.isinf(value):
        shown = text if len(text) <= 24 else f"{text[:12]}... ({len(text)} characters)"
        raise _NumberTooLarge(f"the number {shown}, too large for a float (the largest is about 1.8e308)")
    return value


def _json_kind(value: Any) -> str:
    """A parsed value in JSON's words: "a JSON array", "a JSON string", "a JSON
    number", "JSON null", "JSON true", "JSON false"."""
    if value is None or isinstance(value, bool):
        return f"JSON {json.dumps(value)}"
    names = {dict: "object", list: "array", str: "string", int: "number", float: "number"}
    return f"a JSON {names.get(type(value), type(value).__name__)}"


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object as a dict, refusing a key given twice (which json would quietly overwrite)."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"the key {key!r} appears twice")
        out[key] = value
    return out


def _finite_real(value: Any, name: str) -> float:
    """A parameter's new value as a Python float. Refused, as a ValueError naming
    the parameter: a bool (True as a weight is a mistake, not a number), a
    non-number, NaN, ±inf, an integer too large for a float."""
    return hyperparameter(value, f"load_state_dict: {name!r}")


def _listing(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(repr(n) for n in names[:limit])
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return f"{len(names)} key(s): {shown}{more}"


