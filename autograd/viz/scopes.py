"""Grouping: which cluster each node is drawn in, and what `collapse=` merges.

A Value's `.scope` is a dotted name (`layers.0.neurons.3`, as `nn` tags its
neurons, or a user's `name_scope("block")`). Nodes are drawn in nested
clusters, one per level of their scope; `collapse="neuron"` draws each scope
as one node and `"layer"` each outermost level.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .graph import NodeView, reading_order


def drawing_scopes(order: list[NodeView]) -> dict[NodeView, str]:
    """Every node's scope for drawing: its own `.scope`, else the scope shared
    by all its consumers when it is an op result or a constant.

    `nn` tags only parameters and each neuron's "in" and "a"; the products wᵢxᵢ
    between them are untagged, and join their neuron this way (and so does a
    constant used only inside it). A node whose consumers disagree, such as an
    input or a preprocessing op read by many neurons, stays outside every scope.
    Consumers come after their inputs in `order`, so walking it backwards sees
    every consumer of a node before the node itself."""
    shared: dict[NodeView, str] = {}  # node -> the scope its consumers agree on so far ('' if they differ)
    scopes: dict[NodeView, str] = {}
    for v in reversed(order):
        s = v.scope or (shared.get(v, "") if _may_join(v) else "")
        if s:
            scopes[v] = s
        for x in v.inputs:
            if not x.scope and _may_join(x):
                shared[x] = s if shared.get(x, s) == s else ""
    return scopes


def _may_join(v: NodeView) -> bool:
    """Op results and constants may take their consumers' scope; other leaves
    (inputs, parameters) keep their own."""
    return not v.leaf or v.constant


def is_index(segment: str) -> bool:
    """A scope segment that is a list index (`0` in `layers.0`)."""
    return segment.isascii() and segment.isdigit()


def natural(key: str) -> tuple[tuple[int, int | str], ...]:
    """A sort key that puts `neurons.2` before `neurons.10`."""
    return tuple((0, int(s)) if is_index(s) else (1, s) for s in key.split("."))


def cluster_levels(all_scopes: set[str]) -> Callable[[str], tuple[str, ...]]:
    """`levels(scope)`: the nested clusters a node of `scope` is drawn in, outer
    first. A level is a prefix of the dotted scope that ends in a numeric segment
    (`layers.0`, then `layers.0.neurons.3`: a list index, as `named_parameters`
    writes it), or one that is itself the scope of some node drawn (a user's
    `name_scope("block")` holding `name_scope("inner")`); the scope itself is
    always the innermost level."""
    cache: dict[str, tuple[str, ...]] = {}

    def levels(scope: str) -> tuple[str, ...]:
        if scope not in cache:
            segments = scope.split(".")
            prefixes = [".".join(segments[: k + 1]) for k in range(len(segments))]
            cache[scope] = tuple(p for k, p in enumerate(prefixes)
                                 if is_index(segments[k]) or p in all_scopes or k == len(segments) - 1)
        return cache[scope]

    return levels


def cluster_name(key: str, taken: dict[str, str]) -> str:
    """A DOT subgraph name for the cluster of `key`: `cluster_` (which makes dot
    draw it as a box) and the key with anything but letters, digits, _ and .
    replaced; a suffix keeps two keys that sanitise alike apart."""
    base = "cluster_" + re.sub(r"[^A-Za-z0-9_.]", "_", key)
    candidate, n = base, 1
    while candidate in taken.values():
        n += 1
        candidate = f"{base}_{n}"
    taken[key] = candidate
    return candidate


# ---- collapse: one node per neuron or layer ----------------------------------------

@dataclass(eq=False)
class Group:
    """The nodes of one scope drawn as a single node."""

    key: str
    name: str  # DOT node name: g0, g1, ... in natural order of their keys
    members: list[NodeView] = field(default_factory=list)  # in reading order
    outputs: list[NodeView] = field(default_factory=list)  # members read outside the group, or the root


def groups(order: list[NodeView], scopes: dict[NodeView, str], collapse: str,
           levels: Callable[[str], tuple[str, ...]]) -> dict[NodeView, Group]:
    """{node: its group} for every node in a scope. collapse="neuron": one group
    per full scope (`layers.0.neurons.3`); "layer": one per outermost cluster
    level (`layers.0`, the first two segments of `nn`'s scopes). Groups are named
    g0, g1, ... in the natural order of their keys (neurons.2 before neurons.10)."""
    key_of = {v: scopes[v] if collapse == "neuron" else levels(scopes[v])[0] for v in order if scopes.get(v)}
    by_key = {key: Group(key, f"g{i}") for i, key in enumerate(sorted(set(key_of.values()), key=natural))}
    group_of: dict[NodeView, Group] = {}
    for v in reading_order(order):  # members as a reader meets them: neuron 0's before neuron 1's
        if v in key_of:
            group_of[v] = by_key[key_of[v]]
            group_of[v].members.append(v)
    read_outside = {x for v in order for x in v.inputs if x in group_of and group_of[x] is not group_of.get(v)}
    read_outside.add(order[-1])  # the root
    # A layer's outputs listed neuron by neuron (neurons.2 before neurons.10), then as computed.
    for v in sorted((v for v in order if v in read_outside and v in group_of), key=lambda v: natural(scopes[v])):
        group_of[v].outputs.append(v)
    return group_of
