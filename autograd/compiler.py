"""`autograd.compile`: record the scalar graph of one example once, then replay
that same graph over a whole batch with NumPy, forward and backward.

A tensor framework is, at heart, one per-example scalar graph applied to many
examples at once. `compile(fn, *example_args)` runs `fn` once on the scalar
engine, on Values made from the example arguments, and keeps the graph it
records. Calling the result with arrays (one entry per example) replays the
graph: every node becomes a row of numbers, one per example, and every op runs
once for all of them, with its array forward from the op table. `backward`
applies each op's derivative rule from the same table entry to whole rows.

Replaying one NumPy call per node would cost a microsecond or two per node
whatever the batch. Instead the nodes are **grouped**: the ops of one kind at
one depth (the 256 products wᵢⱼ·aᵢ of a 16 → 16 layer, say) are one NumPy call
on a (256, B) block: gather the inputs, compute, and in backward scatter-add the
gradients back. The rows are laid out so that most gathers are views (a
neuron's products sit next to each other, so its sum is a reshape), not copies.

Nodes that depend only on parameters and constants (an L2 penalty) are
computed once per call, not once per example, and their gradients are the
sums over the batch. Leaves other than the arguments are the graph's parameters:
each call reads their current `.data`, and `backward` adds into their `.grad`.
"""

from __future__ import annotations

import inspect
import linecache
import math
import numbers
import os
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import modes
from .engine import Constant, Value
from .foreign import postorder
from .functional import gradients
from .ops import MUL as _MUL
from .ops import SUM as _SUM
from .registry import BUILTIN_NAMES, DOMAIN_ERRORS, HandWritten, Op, array_rule, compiles
from .validate import integer, short

# A batch is replayed in chunks of examples. A chunk's rows fill about CACHE_BYTES, so a group's
# block stays in the processor's cache between the calls that read it: per example, chunks of
# 2 MiB of rows ran 1.3-1.6x faster than one 130-200 MiB chunk (MLP(2, [w, w, 1]) on 100,000
# moons, w = 16, 64, 128; 1,000 to 2,000 examples a chunk were best). Below MIN_CHUNK examples
# the per-call overhead dominates. MEMORY_BUDGET bounds the rows a call keeps for `backward`.
CACHE_BYTES = 2 * 2 ** 20
MIN_CHUNK = 512
MEMORY_BUDGET = 256 * 2 ** 20


class TraceError(TypeError):
    """A function cannot be compiled: Python control flow on a Value's number
    while it was recorded (JAX's TracerBoolConversionError), or an op that has
    no array form. The message names the line and what to do instead."""


class VerifyError(AssertionError):
    """`CompiledGraph.verify` found an example where the compiled graph and the
    scalar engine disagree; the message names the example and the number."""


# ---- recording -------------------------------------------------------------------

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


class _Trace:
    """What `modes.tracing` consults while the function runs: which nodes are
    computed from the arguments, and which from numbers alone (those may be
    compared: they are the same on every call)."""

    def __init__(self, arguments: Sequence[Value]) -> None:
        self.from_arguments: set[Value] = set(arguments)
        self.constant: set[Value] = set()

    def record(self, node: Value) -> None:
        inputs = node.inputs
        if any(x in self.from_arguments for x in inputs):
            self.from_arguments.add(node)
        elif all(x in self.constant or isinstance(x, Constant) for x in inputs):
            self.constant.add(node)

    def refuse(self, v: Value, what: str) -> None:
        if isinstance(v, Constant) or v in self.constant:
            return
        source = "the compiled function's arguments" if v in self.from_arguments else \
            "a parameter (a Value the function closes over, whose number changes between calls)"
        raise TraceError(
            f"autograd.compile: {_describe(what)} of a Value that depends on {source}, at {_user_line()}. "
            "The graph is recorded once and replayed on other numbers, so Python control flow on a Value's number "
            "cannot be replayed (JAX refuses it alike). Use an op that chooses per example instead (relu, abs, "
            "leaky_relu; max(a, b) is (a + b + abs(a - b)) / 2), move the decision out of the compiled function, "
            "or do not compile it.")


def _describe(what: str) -> str:
    return f"`{what}`" if what.endswith(")") else f"a comparison `{what}`"


def _user_line() -> str:
    """Where the user's code asked for the number: 'file:line: `source`' of the
    innermost frame outside this package (in Jupyter, 'cell [5], line 4')."""
    frame = sys._getframe(1)
    while frame is not None and os.path.dirname(os.path.abspath(frame.f_code.co_filename)) == _PACKAGE_DIR:
        frame = frame.f_back
    if frame is None:
        return "<unknown>"
    text = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
    site = modes.caller_site()
    return f"{site}: `{text}`" if text else site


# ---- arguments -------------------------------------------------------------------

@dataclass(frozen=True)
class _Argument:
    """One argument of the compiled function: its name and the shape of one
    example's value (() for a number, (n,) for a list of n numbers)."""

    name: str
    shape: tuple[int, ...]
    first_slot: int

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def label(self, k: int) -> str:
        if not self.shape:
            return self.name
        return self.name + "".join(f"[{i}]" for i in np.unravel_index(k, self.shape))

    def structure(self, leaves: Sequence[Any]) -> Any:
        """The leaves as the function receives them: one, or nested lists."""
        if not self.shape:
            return leaves[0]
        return np.array(leaves, dtype=object).reshape(self.shape).tolist()

    def batch(self, value: Any) -> np.ndarray:
        """A call's value for this argument as a (B, size) float array."""
        if isinstance(value, Value) or _holds_values(value):
            raise TypeError(f"compiled function: argument {self.name!r} must be an array of numbers, not Values")
        try:
            array = np.asarray(value)
        except (TypeError, ValueError):
            raise TypeError(f"compiled function: argument {self.name!r} must be an array of numbers, "
                            f"got {short(value)}") from None
        if array.dtype.kind not in "biuf":
            raise TypeError(f"compiled function: argument {self.name!r} must hold real numbers, got an array of "
                            f"dtype {array.dtype} ({short(value)})")
        expected = "a 1-d array, one number per example" if not self.shape else \
            f"an array of shape (B, {', '.join(map(str, self.shape))}), one row per example"
        if array.ndim != 1 + len(self.shape) or array.shape[1:] != self.shape:
            raise ValueError(f"compiled function: argument {self.name!r} must be {expected}, "
                             f"got shape {array.shape}")
        array = array.astype(float, copy=False).reshape(len(array), self.size)
        finite = np.isfinite(array)
        if not finite.all():
            b, k = (int(i[0]) for i in np.nonzero(~finite))
            raise ValueError(f"compiled function: argument {self.label(k)!r} is {float(array[b, k])!r} in example {b}; "
                             "a compiled batch must be finite")
        return array


def _holds_values(x: Any) -> bool:
    if isinstance(x, (list, tuple)):
        return any(isinstance(v, Value) or _holds_values(v) for v in x)
    return False


def _arguments(fn: Callable[..., Any], examples: Sequence[Any]) -> list[_Argument]:
    names = _parameter_names(fn, len(examples))
    out, slot = [], 0
    for name, example in zip(names, examples):
        if isinstance(example, Value) or _holds_values(example):
            raise TypeError(f"autograd.compile: the example for argument {name!r} must be numbers, not Values: "
                            "arguments are data, one value per example; a Value the function uses is a parameter "
                            "(close over it instead of passing it)")
        try:
            array = np.asarray(example, dtype=float)
        except (TypeError, ValueError):
            raise TypeError(f"autograd.compile: the example for argument {name!r} must be a number or a (nested) "
                            f"list of numbers, got {short(example)}") from None
        out.append(_Argument(name, array.shape, slot))
        slot += array.size
    return out


def _parameter_names(fn: Callable[..., Any], count: int) -> list[str]:
    """The function's own names for its positional parameters (x0, x1, y), or arg0, arg1, ..."""
    names: list[str] = []
    try:
        for p in inspect.signature(fn).parameters.values():
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
                names.append(p.name)
            elif p.kind is p.VAR_POSITIONAL:
                names += [f"{p.name}[{i}]" for i in range(count - len(names))]
    except (TypeError, ValueError):
        pass
    names = names[:count]
    return names + [f"arg{i}" for i in range(len(names), count)]


# ---- the program: groups of like nodes ----------------------------------------------

def _op_of(node: Value) -> Op | HandWritten:
    """The node's entry of the op table. (The one read of a private slot: the
    public `node.op` is only the op's name, which a hand-written node may share.)"""
    return node._rule


@dataclass
class _Gather:
    """How one input position of a group is read: `kind` is "slice" (rows
    start..stop, a view), "tile" (rows start..stop repeated for each of r
    neurons, a broadcast view), "rows" (any rows, a copy) or "uniform"
    (entries of the vector of parameters, constants and nodes made from them)."""

    kind: str
    index: np.ndarray
    start: int = 0
    stop: int = 0
    unique: bool = True
    needs_grad: bool = False


def _unique(index: np.ndarray) -> bool:
    return len(np.unique(index)) == index.size


def _tiling(position_rows: Sequence[np.ndarray | None]) -> tuple[int, int]:
    """(r, m) when some input reads a run of m consecutive rows r times over (a
    layer's activations, read by each of its r neurons; m = 1: one node read by
    all), else (1, 0): the group is then computed as an (r, m, B) block, and
    that input read as a broadcast view."""
    for rows in position_rows:
        if rows is None or len(rows) < 2:
            continue
        s = int(rows[0])
        if np.all(rows == s):
            return len(rows), 1
        repeats = np.nonzero(rows == s)[0]
        m = int(repeats[1]) if len(repeats) > 1 else 0
        if m > 1 and len(rows) % m == 0 and np.array_equal(rows, np.tile(np.arange(s, s + m), len(rows) // m)):
            return len(rows) // m, m
    return 1, 0


def _gather_of(rows: np.ndarray, shape: tuple[int, int]) -> _Gather:
    r, m = shape
    s = int(rows[0])
    if np.array_equal(rows, np.arange(s, s + len(rows))):
        return _Gather("slice", rows, s, s + len(rows))
    if r > 1 and len(rows) == r * m and np.array_equal(rows, np.tile(np.arange(s, s + m), r)):
        return _Gather("tile", rows, s, s + m)
    return _Gather("rows", rows, unique=_unique(rows))


class _Group:
    """The nodes of one op at one depth whose inputs have the same pattern (which
    come from the batch, which from parameters): one NumPy call for all of them.
    A varying group's numbers are rows out_start..out_stop of the (rows, B)
    block; a uniform group's, entries of the uniform vector."""

    def __init__(self, op: Op, nodes: list[Value], varying: bool, level: int) -> None:
        self.op = op
        self.nodes = nodes
        self.varying = varying
        self.level = level
        self.out_start = self.out_stop = 0
        self.needs_grad = False
        self.check_always = op.name not in BUILTIN_NAMES  # a custom array form may give NaN where it should raise

    def __len__(self) -> int:
        return len(self.nodes)

    def describe(self) -> str:
        where = "per example" if self.varying else "once per call (parameters only)"
        return f"{len(self)} × {self.op.name}, {where}"

    def reads(self, i: int, v: Value) -> Sequence[Value]:
        """The nodes member i (the node v) reads, in the order it reads them."""
        return v.inputs


class _MapGroup(_Group):
    """An op of fixed arity, elementwise: `array_forward(*inputs)` on a block."""

    def plan(self, place: dict[Value, tuple[bool, int]], needs: dict[Value, bool]) -> None:
        arity = len(self.nodes[0].inputs)
        positions = []
        for j in range(arity):
            varying, index = zip(*(place[n.inputs[j]] for n in self.nodes))
            positions.append((varying[0], np.array(index, dtype=np.intp)))
        r, m = _tiling([index if varying else None for varying, index in positions])
        self.shape = (r, m) if r > 1 else (1, len(self.nodes))
        self.gathers = []
        for j, (varying, index) in enumerate(positions):
            gather = _gather_of(index, self.shape) if varying and self.varying else \
                _Gather("uniform", index, unique=_unique(index))
            gather.needs_grad = any(needs[n.inputs[j]] for n in self.nodes)
            self.gathers.append(gather)
        self.ufunc = isinstance(self.op.array_forward, np.ufunc)
        self.rule = array_rule(self.op)

    def read(self, V: np.ndarray, U: np.ndarray, B: int) -> list[np.ndarray]:
        r, m = self.shape
        xs = []
        for g in self.gathers:
            kind = g.kind
            if kind == "slice":
                xs.append(V[g.start:g.stop].reshape(r, m, B))
            elif kind == "tile":
                xs.append(V[g.start:g.stop][None])
            elif kind == "uniform":
                xs.append(U[g.index].reshape(r, m, 1))
            else:
                xs.append(V[g.index].reshape(r, m, B))
        return xs

    def forward(self, V: np.ndarray, U: np.ndarray, B: int) -> tuple[np.ndarray, list[np.ndarray]]:
        r, m = self.shape
        xs = self.read(V, U, B)
        out = V[self.out_start:self.out_stop].reshape(r, m, B)
        if self.ufunc:
            self.op.array_forward(*xs, out=out)
        else:
            out[...] = self.op.array_forward(*xs)
        return out, xs

    def backward(self, V: np.ndarray, GV: np.ndarray, U: np.ndarray, GU: np.ndarray, B: int) -> None:
        r, m = self.shape
        shape = (r, m, B)
        ans = V[self.out_start:self.out_stop].reshape(shape)
        g = GV[self.out_start:self.out_stop].reshape(shape)
        grads = self.rule(g, ans, *self.read(V, U, B))
        _check_rule_result(self.op, grads, len(self.gathers))
        for gather, c in zip(self.gathers, grads):
            if c is None or not gather.needs_grad:
                continue
            if getattr(c, "shape", None) != shape:
                c = np.broadcast_to(c, shape)
            kind = gather.kind
            if kind == "uniform":  # a parameter's gradient is the sum over the batch
                _scatter(GU, gather, c.sum(axis=2).ravel())
            elif kind == "slice":
                GV[gather.start:gather.stop].reshape(shape)[...] += c
            elif kind == "tile":  # the r neurons' gradients for one activation, added up
                GV[gather.start:gather.stop] += c.sum(axis=0)
            else:
                _scatter(GV, gather, c.reshape(r * m, B))

    def forward_uniform(self, U: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        xs = [U[g.index] for g in self.gathers]
        U[self.out_start:self.out_stop] = self.op.array_forward(*xs)
        return U[self.out_start:self.out_stop], xs

    def backward_uniform(self, U: np.ndarray, GU: np.ndarray) -> None:
        out = slice(self.out_start, self.out_stop)
        grads = self.rule(GU[out], U[out], *[U[g.index] for g in self.gathers])
        _check_rule_result(self.op, grads, len(self.gathers))
        for gather, c in zip(self.gathers, grads):
            if c is not None and gather.needs_grad:
                _scatter(GU, gather, np.broadcast_to(c, (len(self),)))


class _SumGroup(_Group):
    """The n-ary sum (a neuron's Σᵢ wᵢaᵢ + b): each node's terms from the batch
    are read as one (G, n, B) block, a view when they sit in consecutive rows,
    and its terms from parameters (the bias) are added to the result."""

    def plan(self, place: dict[Value, tuple[bool, int]], needs: dict[Value, bool]) -> None:
        varying_rows, uniform_index = [], []
        varying_need = uniform_need = False
        for n in self.nodes:
            vs, us = [], []
            for x in n.inputs:
                is_varying, i = place[x]
                if is_varying and self.varying:
                    vs.append(i)
                    varying_need = varying_need or needs[x]
                else:
                    us.append(i)
                    uniform_need = uniform_need or needs[x]
            varying_rows.append(vs)
            uniform_index.append(us)
        G = len(self.nodes)
        self.rows = np.array(varying_rows, dtype=np.intp).reshape(G, -1)
        self.uniform = np.array(uniform_index, dtype=np.intp).reshape(G, -1)
        flat = self.rows.ravel()
        self.contiguous = flat.size > 0 and np.array_equal(flat, np.arange(flat[0], flat[0] + flat.size))
        self.terms_gather = _Gather("rows", flat, unique=_unique(flat), needs_grad=varying_need)
        self.uniform_gather = _Gather("uniform", self.uniform.ravel(), unique=_unique(self.uniform),
                                      needs_grad=uniform_need)

    def terms(self, V: np.ndarray, B: int) -> np.ndarray:
        G, n = self.rows.shape
        if self.contiguous:
            start = int(self.rows[0, 0])
            return V[start:start + G * n].reshape(G, n, B)
        return V[self.rows.ravel()].reshape(G, n, B)

    def forward(self, V: np.ndarray, U: np.ndarray, B: int) -> tuple[np.ndarray, list[np.ndarray]]:
        out = V[self.out_start:self.out_stop]
        np.sum(self.terms(V, B), axis=1, out=out)
        if self.uniform.shape[1]:
            out += U[self.uniform].sum(axis=1)[:, None]
        return out, []

    def backward(self, V: np.ndarray, GV: np.ndarray, U: np.ndarray, GU: np.ndarray, B: int) -> None:
        g = GV[self.out_start:self.out_stop]
        G, n = self.rows.shape
        if self.terms_gather.needs_grad:  # ∂(Σ xᵢ)/∂xᵢ = 1: each term's gradient is the sum's
            if self.contiguous:
                start = int(self.rows[0, 0])
                GV[start:start + G * n].reshape(G, n, B)[...] += g[:, None, :]
            else:
                _scatter(GV, self.terms_gather, np.broadcast_to(g[:, None, :], (G, n, B)).reshape(G * n, B))
        if self.uniform.shape[1] and self.uniform_gather.needs_grad:
            _scatter(GU, self.uniform_gather, np.repeat(g.sum(axis=1), self.uniform.shape[1]))

    def forward_uniform(self, U: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        # Σ correctly rounded, with the scalar forward (math.fsum): few nodes, such as an L2 penalty.
        U[self.out_start:self.out_stop] = [self.op.forward(*row) for row in U[self.uniform].tolist()]
        return U[self.out_start:self.out_stop], []

    def backward_uniform(self, U: np.ndarray, GU: np.ndarray) -> None:
        if self.uniform_gather.needs_grad:
            _scatter(GU, self.uniform_gather, np.repeat(GU[self.out_start:self.out_stop], self.uniform.shape[1]))


class _DotGroup(_Group):
    """A layer: a level of products wₖⱼ·aⱼ read, in the same order aⱼ for every k,
    by one level of sums Σⱼ wₖⱼ·aⱼ + bₖ, and by nothing else. That is seed 001's
    matrix product z = W·a + b for every example at once: Z = W @ A + b, and
    backward ∂/∂A = Wᵀ @ G, ∂/∂W = G @ Aᵀ (summed over the batch), ∂/∂b = Σ G.
    The products are never stored: r·m rows fewer per example."""

    def __init__(self, sums: _SumGroup, activations: list[Value], weights: list[list[Value]],
                 bias: list[list[Value]]) -> None:
        super().__init__(sums.op, sums.nodes, True, sums.level)
        self.activations = activations
        self.weights = weights
        self.bias = bias

    def reads(self, i: int, v: Value) -> list[Value]:
        return (self.activations if i == 0 else []) + self.weights[i] + self.bias[i]

    def describe(self) -> str:
        r, m = len(self.nodes), len(self.activations)
        return f"{r * m} × * and {r} × sum as one matrix product: W ({r}×{m}) · a ({m}) + b"

    def plan(self, place: dict[Value, tuple[bool, int]], needs: dict[Value, bool]) -> None:
        rows = np.array([place[a][1] for a in self.activations], dtype=np.intp)
        self.a = _gather_of(rows, (1, len(rows)))
        self.a.needs_grad = any(needs[a] for a in self.activations)
        W = np.array([[place[w][1] for w in ws] for ws in self.weights], dtype=np.intp)
        self.W = W
        self.w = _Gather("uniform", W.ravel(), unique=_unique(W), needs_grad=any(needs[w] for ws in self.weights
                                                                                 for w in ws))
        b = np.array([[place[x][1] for x in xs] for xs in self.bias], dtype=np.intp).reshape(len(self.nodes), -1)
        self.b = b
        self.b_gather = _Gather("uniform", b.ravel(), unique=_unique(b),
                                needs_grad=any(needs[x] for xs in self.bias for x in xs))

    def _A(self, V: np.ndarray) -> np.ndarray:
        return V[self.a.start:self.a.stop] if self.a.kind == "slice" else V[self.a.index]

    def forward(self, V: np.ndarray, U: np.ndarray, B: int) -> tuple[np.ndarray, list[np.ndarray]]:
        out = V[self.out_start:self.out_stop]
        np.matmul(U[self.W], self._A(V), out=out)
        if self.b.shape[1]:
            out += U[self.b].sum(axis=1)[:, None]
        return out, []

    def backward(self, V: np.ndarray, GV: np.ndarray, U: np.ndarray, GU: np.ndarray, B: int) -> None:
        G = GV[self.out_start:self.out_stop]
        if self.a.needs_grad:
            dA = U[self.W].T @ G
            if self.a.kind == "slice":
                GV[self.a.start:self.a.stop] += dA
            else:
                _scatter(GV, self.a, dA)
        if self.w.needs_grad:
            _scatter(GU, self.w, (G @ self._A(V).T).ravel())
        if self.b.shape[1] and self.b_gather.needs_grad:
            _scatter(GU, self.b_gather, np.repeat(G.sum(axis=1), self.b.shape[1]))


def _fuse_layers(groups: list[_Group], uses: Counter[Value], varying: dict[Value, bool]) -> list[_Group]:
    """Replaces each level of products and the level of sums that reads them by
    one `_DotGroup` where the pattern holds (see there); other groups stay."""
    by_node = {v: g for g in groups for v in g.nodes}
    fused: set[int] = set()
    out: list[_Group] = []
    for group in groups:
        if isinstance(group, _SumGroup) and group.varying:
            dot = _as_layer(group, by_node, uses, varying)
            if dot is not None:
                fused.add(id(by_node[dot.products[0]]))
                out.append(dot)
                continue
        out.append(group)
    return [g for g in out if id(g) not in fused]


def _as_layer(sums: _SumGroup, by_node: dict[Value, _Group], uses: Counter[Value],
              varying: dict[Value, bool]) -> _DotGroup | None:
    """The sums' group as a layer, or None where the pattern does not hold."""
    activations: list[Value] | None = None
    weights: list[list[Value]] = []
    bias: list[list[Value]] = []
    products: list[Value] = []
    for node in sums.nodes:
        row_a, row_w, rest = [], [], []
        for t in node.inputs:
            if not varying[t]:
                rest.append(t)  # the bias, or any term from parameters alone
                continue
            g = by_node.get(t)
            if g is None or g.op is not _MUL or uses[t] != 1:
                return None  # a term from the batch that is not a product read only here
            x, y = t.inputs
            if varying[x] == varying[y]:
                return None
            row_a.append(x if varying[x] else y)
            row_w.append(y if varying[x] else x)
            products.append(t)
        if activations is None:
            activations = row_a
        elif len(row_a) != len(activations) or any(a is not b for a, b in zip(row_a, activations)):
            return None
        weights.append(row_w)
        bias.append(rest)
    if not activations or len(set(activations)) != len(activations):
        return None
    product_groups = {id(by_node[t]) for t in products}
    if len(product_groups) != 1 or len(by_node[products[0]].nodes) != len(products):
        return None
    dot = _DotGroup(sums, activations, weights, bias)
    dot.products = products
    return dot


def _scatter(target: np.ndarray, gather: _Gather, values: np.ndarray) -> None:
    """target[index] += values, adding up repeated indices."""
    if gather.unique:
        target[gather.index] += values
    else:
        np.add.at(target, gather.index, values)


def _check_rule_result(op: Op, grads: Any, arity: int) -> None:
    if not isinstance(grads, tuple) or len(grads) != arity:
        raise TypeError(f"op {op.name!r}: its rule on arrays must return a tuple of {arity} gradient(s), one per "
                        f"input, got {short(grads)}")


class _Program:
    """The recorded graph, analysed once: where each node's numbers live, and
    the groups in the order they run."""

    def __init__(self, outputs: list[Value], slots: list[Value], grouped: bool = True) -> None:
        nodes = postorder(outputs, _inputs)
        is_slot = set(slots)
        varying: dict[Value, bool] = {}
        level: dict[Value, int] = {}
        self.constants: list[Value] = []
        self.parameters: list[Value] = []
        op_nodes: list[Value] = []
        for v in nodes:
            if v in is_slot:
                varying[v], level[v] = True, 0
            elif not v.inputs:
                varying[v], level[v] = False, 0
                (self.constants if isinstance(v, Constant) else self.parameters).append(v)
            else:
                _check_compilable(v)
                varying[v] = any(varying[x] for x in v.inputs)
                level[v] = 1 + max(level[x] for x in v.inputs)
                op_nodes.append(v)
        self.ops = Counter(v.op for v in op_nodes)
        self.levels = max((level[v] for v in op_nodes), default=0)
        uses = Counter(x for v in op_nodes for x in v.inputs)
        uses.update(outputs)
        groups = _groups(op_nodes, varying, level, grouped)
        if grouped:
            groups = _fuse_layers(groups, uses, varying)
        _order_by_first_use(groups, outputs)
        self.place = self._place(groups, slots)
        needs = self._needs_grad(nodes)
        for group in groups:
            group.plan(self.place, needs)
            group.needs_grad = any(needs[n] for n in group.nodes)
        self.groups = groups
        self.varying_groups = [g for g in groups if g.varying]
        self.uniform_groups = [g for g in groups if not g.varying]
        self.outputs = [self.place[v] for v in outputs]
        self.constant_values = np.array([c.data for c in self.constants], dtype=float)
        self.slots = len(slots)

    def _place(self, groups: list[_Group], slots: list[Value]) -> dict[Value, tuple[bool, int]]:
        """(varying?, row or index) of every node. Rows: the arguments, then each
        varying group's nodes in consecutive rows. The uniform vector: the
        constants, the parameters, then each uniform group's nodes."""
        place: dict[Value, tuple[bool, int]] = {v: (True, k) for k, v in enumerate(slots)}
        for k, v in enumerate(self.constants + self.parameters):
            place[v] = (False, k)
        counts = {True: len(slots), False: len(self.constants) + len(self.parameters)}
        for group in groups:
            group.out_start = counts[group.varying]
            for v in group.nodes:
                place[v] = (group.varying, counts[group.varying])
                counts[group.varying] += 1
            group.out_stop = counts[group.varying]
        self.rows, self.uniform_size = counts[True], counts[False]
        return place

    def _needs_grad(self, nodes: list[Value]) -> dict[Value, bool]:
        """Whether a parameter lies below each node: only those get a gradient."""
        params = set(self.parameters)
        needs: dict[Value, bool] = {}
        for v in nodes:
            needs[v] = v in params if not v.inputs else any(needs[x] for x in v.inputs)
        return needs


def _groups(op_nodes: list[Value], varying: dict[Value, bool], level: dict[Value, int],
            grouped: bool = True) -> list[_Group]:
    """Nodes of one op at one depth with one pattern of inputs, in the order they
    run (with `grouped` false, every node a group of its own: one NumPy call per node)."""
    by_key: dict[tuple[Any, ...], list[Value]] = {}
    for v in op_nodes:
        op = _op_of(v)
        pattern = tuple(varying[x] for x in v.inputs)
        if op is _SUM:  # the terms' order does not matter to a sum: count them instead
            pattern = (sum(pattern), len(pattern) - sum(pattern))
        key = (level[v], id(op), varying[v], pattern)
        by_key.setdefault(key if grouped else (*key, id(v)), []).append(v)
    groups: list[_Group] = []
    for (lvl, _, is_varying, *_), nodes in by_key.items():
        op = _op_of(nodes[0])
        groups.append((_SumGroup if op is _SUM else _MapGroup)(op, nodes, is_varying, lvl))
    groups.sort(key=lambda g: g.level)  # stable: groups of one level keep the order they were met
    return groups


def _order_by_first_use(groups: list[_Group], outputs: list[Value]) -> None:
    """Orders each group's nodes by where they are first read, from the outputs
    down, so that the nodes a group reads together sit in consecutive rows: a
    neuron's products next to each other (its sum reads a view), and a layer's
    activations in the order every neuron of the next layer reads them."""
    far = (sys.maxsize, 0, 0)
    first_use: dict[Value, tuple[int, int, int]] = {v: (-1, k, 0) for k, v in enumerate(outputs)}
    for rank, group in enumerate(sorted(groups, key=lambda g: -g.level)):
        group.nodes.sort(key=lambda v: first_use.get(v, far))
        for i, v in enumerate(group.nodes):
            for j, x in enumerate(group.reads(i, v)):
                key = (rank, i, j)
                if key < first_use.get(x, far):
                    first_use[x] = key


def _inputs(v: Value) -> tuple[Value, ...]:
    return v.inputs


def _check_compilable(node: Value) -> None:
    op = _op_of(node)
    if isinstance(op, HandWritten):
        raise TraceError(f"autograd.compile: {node!r} was made by hand (`Value(data, children, {node.op!r})` with a "
                         "`_backward` of its own), which only the scalar engine can run; register its op with "
                         "autograd.defop(..., array_forward=...) to compile it")
    if not compiles(op):
        if op.array_forward is None:
            how = ("it has no array form: register it with autograd.defop(..., array_forward=f), f being the "
                   "forward on NumPy arrays, elementwise (and array_vjp= if its derivative rule branches)")
        else:
            how = ("its derivative rule cannot run on NumPy arrays (it branches, or calls float() or math.*): give "
                   "autograd.defop(..., array_vjp=rule) the same rule on arrays (np.where for a branch)")
        raise TraceError(f"autograd.compile: op {op.name!r} cannot be replayed over a batch: {how}")


# ---- domain errors: the scalar engine's, naming the example -------------------------

class _Flags:
    """NumPy's floating-point error callback (np.errstate(call=...)): notes that a
    group raised overflow, division by zero or an invalid operation."""

    __slots__ = ("raised",)

    def __init__(self) -> None:
        self.raised = False

    def __call__(self, kind: str, flag: int) -> None:
        self.raised = True


def _check_domain(group: _Group, out: np.ndarray, xs: list[np.ndarray], examples: int | None, first: int) -> None:
    """Where the group's result is inf or NaN, runs the scalar forward on those
    entries, first example first: the first that raises there raises here too,
    naming the op, its operands and the example. inf or NaN that the scalar
    engine also gives (1e308 * 10) passes, as it does there."""
    if not xs:  # the sum: its scalar forward gives IEEE's inf or NaN, never an error
        return
    bad = ~np.isfinite(out)
    if not bad.any():
        return
    shape = out.shape
    full = [np.broadcast_to(x, shape) for x in xs]
    where = np.argwhere(bad)
    order = np.lexsort(tuple(where[:, k] for k in range(where.shape[1] - 1)) + (where[:, -1],)) \
        if examples is not None else np.arange(len(where))
    for k in order:
        at = tuple(where[k])
        operands = [float(x[at]) for x in full]
        try:
            group.op.forward(*operands)
        except DOMAIN_ERRORS as err:
            why = group.op.explain(*operands) if group.op.explain is not None else str(err)
            which = f"in example {first + int(at[-1])} of the batch" if examples is not None else \
                "for every example (it depends on parameters only)"
            raise type(err)(f"{group.op.name}({', '.join(short(x) for x in operands)}): {why} ({which})") from None


# ---- the compiled graph ---------------------------------------------------------------

@dataclass
class Verification:
    """What `CompiledGraph.verify` compared: the examples, and the largest
    difference found between the compiled graph and the scalar engine
    (relative to the numbers' size)."""

    examples: list[int]
    outputs: int
    parameters: int
    max_difference: float

    def __str__(self) -> str:
        return (f"verified on examples {self.examples}: {self.outputs} output(s) and {self.parameters} parameter "
                f"gradient(s) each agree with the scalar engine, largest relative difference "
                f"{self.max_difference:.2e}")


@dataclass
class _Forward:
    """What a call leaves for `backward`: the batch, the uniform vector (the
    parameters as they were) and, for a batch of one chunk, its rows."""

    X: np.ndarray
    U: np.ndarray
    Vs: list[np.ndarray] | None  # each chunk's rows, when they fit in MEMORY_BUDGET


class CompiledGraph:
    """A scalar graph recorded once by `autograd.compile`, replayed over batches.

    `f(*batch)` returns the outputs for every example, shape (B,) or (B, k);
    `f.backward(seed)` adds Σ_b seed_b · ∂out_b/∂p into each parameter's
    `.grad`; `f.value_and_grad(*batch, seed=None)` does both. `f.graph` is the
    recorded scalar graph, `f.parameters` its parameters, `f.verify(*batch)`
    checks the replay against the scalar engine on a few examples.
    """

    def __init__(self, fn: Callable[..., Any], arguments: list[_Argument], slots: list[Value],
                 structured: list[Any], outputs: list[Value], single: bool, chunk_size: int | None,
                 grouped: bool = True) -> None:
        self.fn = fn
        self.arguments = arguments
        self.inputs = structured  # the argument leaves, as the function received them
        self.graph: Value | list[Value] = outputs[0] if single else outputs
        self._outputs = outputs
        self._single = single
        self._program = _Program(outputs, slots, grouped)
        self.parameters: list[Value] = list(self._program.parameters)
        row_bytes = max(1, self._program.rows) * 8  # one example's numbers, one per node
        self.chunk_size = integer(chunk_size, "compile: chunk_size", low=1) if chunk_size is not None else \
            max(1, min(max(MIN_CHUNK, CACHE_BYTES // row_bytes), MEMORY_BUDGET // (3 * row_bytes)))
        self._last: _Forward | None = None

    # ---- calling -----------------------------------------------------------------------
    def __call__(self, *batch: Any) -> np.ndarray:
        """The outputs for every example of the batch: shape (B,) for one output, (B, k) for k."""
        X = self._batch(batch)
        U = self._uniform_forward()
        outputs, Vs = self._run(X, U, seed=None, keep=True)
        self._last = _Forward(X, U, Vs)
        return self._shaped(outputs)

    def backward(self, seed: Any) -> None:
        """Adds Σ_b seed_b · ∂out_b/∂p into every parameter's `.grad`, for the batch
        of the last call: `seed` has shape (B,) for one output or (B, k) (a number
        is the same seed for every example). As the scalar engine, leaves accumulate."""
        if self._last is None:
            raise RuntimeError("CompiledGraph.backward: call the compiled function on a batch first")
        last = self._last
        seeds = self._seeds(seed, len(last.X))
        if last.Vs is not None:
            GU = np.zeros(self._program.uniform_size)
            for k, V in enumerate(last.Vs):
                start = k * self.chunk_size
                GU += self._backward_rows(V, last.U, seeds[start:start + V.shape[1]], start, uniform=False)
            self._backward_uniform(last.U, GU)
        else:
            _, _, GU = self._run(last.X, last.U, seed=seeds, keep=False, outputs=False)
        self._accumulate(self._parameter_grads(last.U, GU))

    def value_and_grad(self, *batch: Any, seed: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """`f(*batch)` and `f.backward(seed)` in one pass: returns the outputs and
        this call's gradient of every parameter (in `f.parameters` order), which
        are also added into their `.grad`. The default seed is 1/B for every
        example: the gradient of the mean over the batch."""
        X = self._batch(batch)
        seeds = self._seeds(np.full(len(X), 1.0 / len(X)) if seed is None else seed, len(X))
        U = self._uniform_forward()
        outputs, _, GU = self._run(X, U, seed=seeds, keep=False)
        self._last = _Forward(X, U, None)
        grads = self._parameter_grads(U, GU)
        self._accumulate(grads)
        return self._shaped(outputs), grads

    # ---- the replay ----------------------------------------------------------------------
    def _uniform_forward(self) -> np.ndarray:
        """The uniform vector: constants, the parameters' current data, and the nodes made from them."""
        program = self._program
        U = np.empty(program.uniform_size)
        c = len(program.constants)
        U[:c] = program.constant_values
        U[c:c + len(self.parameters)] = [p.data for p in self.parameters]
        flags = _Flags()
        with np.errstate(all="call", under="ignore", call=flags):
            for group in program.uniform_groups:
                out, xs = group.forward_uniform(U)
                if flags.raised or group.check_always:
                    _check_domain(group, out, xs, None, 0)
                    flags.raised = False
        return U

    def _run(self, X: np.ndarray, U: np.ndarray, seed: np.ndarray | None, keep: bool,
             outputs: bool = True) -> Any:
        """The varying groups over the batch, chunk by chunk: forward, and with a
        seed backward too. Returns (outputs, every chunk's rows when `keep` and
        they fit in MEMORY_BUDGET, else None[, GU])."""
        B = len(X)
        out = np.empty((B, len(self._outputs))) if outputs else None
        GU = np.zeros(self._program.uniform_size) if seed is not None else None
        kept: list[np.ndarray] | None = [] if keep and B * self._program.rows * 8 <= MEMORY_BUDGET else None
        for start in range(0, B, self.chunk_size):
            stop = min(B, start + self.chunk_size)
            V = self._forward_rows(X[start:stop], U, start)
            if out is not None:
                self._read_outputs(V, U, out[start:stop])
            if seed is not None:
                GU += self._backward_rows(V, U, seed[start:stop], start, uniform=False)
            if kept is not None:
                kept.append(V)
        if seed is not None:
            self._backward_uniform(U, GU)
            return out, None, GU
        return out, kept

    def _forward_rows(self, X: np.ndarray, U: np.ndarray, first: int) -> np.ndarray:
        program = self._program
        B = len(X)
        V = np.empty((program.rows, B))
        V[:program.slots] = X.T
        flags = _Flags()
        with np.errstate(all="call", under="ignore", call=flags):
            for group in program.varying_groups:
                out, xs = group.forward(V, U, B)
                if flags.raised or group.check_always:
                    _check_domain(group, out, xs, B, first)
                    flags.raised = False
        return V

    def _read_outputs(self, V: np.ndarray, U: np.ndarray, out: np.ndarray) -> None:
        for k, (varying, i) in enumerate(self._program.outputs):
            out[:, k] = V[i] if varying else U[i]

    def _backward_rows(self, V: np.ndarray, U: np.ndarray, seed: np.ndarray, first: int,
                       uniform: bool = True) -> np.ndarray:
        """The varying groups backward over one chunk (IEEE 754 inside, as the
        scalar engine's backward): returns the uniform vector's gradients, summed
        over the chunk's examples, and with `uniform` propagates them too."""
        program = self._program
        B = V.shape[1]
        GV = np.zeros_like(V)
        GU = np.zeros(program.uniform_size)
        for k, (varying, i) in enumerate(program.outputs):
            if varying:
                GV[i] += seed[:, k]
            else:
                GU[i] += seed[:, k].sum()
        with np.errstate(all="ignore"):
            for group in reversed(program.varying_groups):
                if group.needs_grad:
                    group.backward(V, GV, U, GU, B)
        if uniform:
            self._backward_uniform(U, GU)
        return GU

    def _backward_uniform(self, U: np.ndarray, GU: np.ndarray) -> None:
        with np.errstate(all="ignore"):
            for group in reversed(self._program.uniform_groups):
                if group.needs_grad:
                    group.backward_uniform(U, GU)

    def _parameter_grads(self, U: np.ndarray, GU: np.ndarray) -> np.ndarray:
        c = len(self._program.constants)
        return GU[c:c + len(self.parameters)].copy()

    def _accumulate(self, grads: np.ndarray) -> None:
        """Adds into `.grad` as the scalar engine's leaves do (a None grad counts as 0)."""
        for p, g in zip(self.parameters, grads.tolist()):
            p.grad = g if p.grad is None else p.grad + g

    # ---- checking what comes in --------------------------------------------------------------
    def _batch(self, batch: Sequence[Any]) -> np.ndarray:
        """The call's arguments as one (B, slots) array, every argument checked."""
        if len(batch) != len(self.arguments):
            names = ", ".join(a.name for a in self.arguments)
            raise TypeError(f"compiled {self._name()}: takes {len(self.arguments)} batch argument(s) ({names}), "
                            f"got {len(batch)}")
        arrays = [arg.batch(value) for arg, value in zip(self.arguments, batch)]
        lengths = {arg.name: len(a) for arg, a in zip(self.arguments, arrays)}
        if len(set(lengths.values())) > 1:
            listing = ", ".join(f"{name} has {n}" for name, n in lengths.items())
            raise ValueError(f"compiled {self._name()}: the batch arguments differ in length ({listing} examples)")
        if not arrays or len(arrays[0]) == 0:
            raise ValueError(f"compiled {self._name()}: the batch is empty; give at least one example")
        return np.concatenate(arrays, axis=1) if len(arrays) > 1 else arrays[0]

    def _seeds(self, seed: Any, B: int) -> np.ndarray:
        k = len(self._outputs)
        try:
            array = np.asarray(seed, dtype=float)
        except (TypeError, ValueError):
            raise TypeError(f"CompiledGraph.backward: the seed must be numbers, got {short(seed)}") from None
        if array.ndim == 0:
            return np.full((B, k), float(array))
        expected = (B,) if self._single else (B, k)
        if array.shape != expected:
            raise ValueError(f"CompiledGraph.backward: the seed must have shape {expected} (one per example"
                             f"{'' if self._single else ' and output'}), got {array.shape}")
        return array.reshape(B, k)

    def _shaped(self, outputs: np.ndarray) -> np.ndarray:
        return outputs[:, 0].copy() if self._single else outputs

    def _name(self) -> str:
        return getattr(self.fn, "__name__", type(self.fn).__name__)

    # ---- checking the replay against the scalar engine ------------------------------------------
    def verify(self, *batch: Any, n: int = 8, rtol: float = 1e-9) -> Verification:
        """Reruns the scalar engine on `n` examples spread over the batch (the
        first and the last among them) and compares every output and every
        parameter's gradient with the compiled graph's. Raises `VerifyError`
        naming the example and the first number that disagrees: the guard
        against a function whose graph depends on its data in ways the recording
        could not see (a branch on `.data`, say)."""
        X = self._batch(batch)
        n = integer(n, "verify: n", low=1)
        picks = sorted({int(round(t)) for t in np.linspace(0, len(X) - 1, min(n, len(X)))})
        worst = 0.0
        for b in picks:
            compiled_out, compiled_grads = self._example(X[b:b + 1])
            scalar_outs = self._scalar_outputs(X[b])
            if len(scalar_outs) != len(compiled_out):
                raise VerifyError(f"verify: example {b} gives {len(scalar_outs)} output(s) on the scalar engine, "
                                  f"the compiled graph {len(compiled_out)}")
            for k, out in enumerate(scalar_outs):
                worst = max(worst, _compare(compiled_out[k], out.data, abs(out.data), rtol,
                                            lambda k=k: f"output {k}", b))
                reachable = set(postorder([out], _inputs))
                used = [p for p in self.parameters if p in reachable]
                by_param = dict(zip(used, gradients(out, used))) if used else {}
                expected = [by_param.get(p, 0.0) for p in self.parameters]
                scale = max((abs(g) for g in expected), default=0.0)
                for i, (got, want) in enumerate(zip(compiled_grads[k], expected)):
                    worst = max(worst, _compare(got, want, scale, rtol,
                                                lambda i=i, k=k: f"∂output {k}/∂{self._parameter_name(i)}", b))
        return Verification(picks, len(self._outputs), len(self.parameters), worst)

    def _example(self, x: np.ndarray) -> tuple[list[float], list[np.ndarray]]:
        """The compiled outputs of one example and, per output, every parameter's
        gradient, without touching any `.grad`."""
        U = self._uniform_forward()
        V = self._forward_rows(x, U, 0)
        out = np.empty((1, len(self._outputs)))
        self._read_outputs(V, U, out)
        grads = []
        for k in range(len(self._outputs)):
            seed = np.zeros((1, len(self._outputs)))
            seed[0, k] = 1.0
            grads.append(self._parameter_grads(U, self._backward_rows(V, U, seed, 0)))
        return out[0].tolist(), grads

    def _scalar_outputs(self, row: np.ndarray) -> list[Value]:
        args = []
        for arg in self.arguments:
            numbers_ = row[arg.first_slot:arg.first_slot + arg.size].tolist()
            values = [Value(v, arg.label(k)) for k, v in enumerate(numbers_)]
            args.append(arg.structure(values))
        outputs, _ = _flatten_outputs(self.fn(*args), self._name())
        return outputs

    def _parameter_name(self, i: int) -> str:
        p = self.parameters[i]
        return p.label or f"parameter {i}"

    # ---- display ---------------------------------------------------------------------------
    def describe(self) -> str:
        """The replay, one line per NumPy call in the order they run: which ops,
        at which depth, how many nodes each call covers."""
        lines = [f"level {g.level:>3}: {g.describe()}" for g in self._program.groups]
        return "\n".join(lines)

    def __repr__(self) -> str:
        program = self._program
        total = sum(program.ops.values())
        ops = ", ".join(f"{name} {count}" for name, count in program.ops.most_common())
        inputs = ", ".join(a.name if not a.shape else f"{a.name} {list(a.shape)}" for a in self.arguments)
        outputs = "one output" if self._single else f"{len(self._outputs)} outputs"
        return (f"CompiledGraph({self._name()}: {total} ops ({ops}) at {program.levels} levels, run as "
                f"{len(program.groups)} grouped NumPy calls; inputs {inputs or 'none'}; "
                f"{len(self.parameters)} parameter{'' if len(self.parameters) == 1 else 's'}; {outputs})")


def _compare(got: float, want: float, scale: float, rtol: float, what: Callable[[], str], example: int) -> float:
    """The relative difference of two numbers (both NaN, or equal infinities, agree),
    or a VerifyError when it is above rtol."""
    if got == want or (math.isnan(got) and math.isnan(want)):
        return 0.0
    size = max(abs(want), scale)
    diff = abs(got - want) / size if size and math.isfinite(size) else math.inf
    if not diff <= rtol:
        raise VerifyError(f"verify: the compiled graph disagrees with the scalar engine at example {example} of the "
                          f"batch: {what()} is {got!r} compiled but {want!r} on the scalar engine (relative "
                          f"difference {diff:.2e} > {rtol:g})")
    return diff


# ---- compile -----------------------------------------------------------------------------------

def _flatten_outputs(out: Any, name: str) -> tuple[list[Value], bool]:
    """The function's result as a list of Values (numbers become Constants), and whether it was one scalar."""
    if isinstance(out, Value):
        return [out], True
    if isinstance(out, numbers.Real):
        return [Constant(out)], True
    if isinstance(out, (list, tuple)) and out:
        values = []
        for k, v in enumerate(out):
            if isinstance(v, Value):
                values.append(v)
            elif isinstance(v, numbers.Real):
                values.append(Constant(v))
            else:
                raise TypeError(f"autograd.compile: {name} must return a Value or a list of Values (scalars); "
                                f"output {k} is {short(v)}")
        return values, False
    raise TypeError(f"autograd.compile: {name} must return a Value or a non-empty list of Values, got {short(out)}")


def compile(fn: Callable[..., Any], *example_args: Any, chunk_size: int | None = None,
            grouped: bool = True) -> CompiledGraph:
    """Records `fn`'s scalar graph once, on `example_args`, for replay over batches.

    Each example argument is a number or a (nested) list of numbers; at call
    time each takes a 1-d array of one number per example, or a (B, n) array
    for a list of n. The function returns a Value or a list of Values. Every
    Value leaf it closes over (a model's parameters) is a parameter of the
    compiled graph; numbers inside it are constants. While `fn` runs, a
    comparison, `bool()`, `float()` or `int()` of a Value raises `TraceError`:
    a branch on one example's numbers cannot be replayed on others.

    `chunk_size` caps the examples replayed at once (by default, as many as fill
    about 2 MiB of rows, which the processor's cache holds, and at least 512); a
    larger batch runs in chunks, with the same result.
    `grouped=False` replays one NumPy call per node instead of one per group of
    like nodes: slower, for seeing what grouping buys (the notebook's ladder).

        f = autograd.compile(loss_one, 0.0, 0.0, 1.0)
        losses = f(X[:, 0], X[:, 1], Y)          # shape (B,)
        f.backward(np.full(B, 1 / B))            # each parameter's .grad += the mean's gradient
    """
    if not callable(fn):
        raise TypeError(f"autograd.compile: expected a function, got {short(fn)}")
    arguments = _arguments(fn, example_args)
    slots: list[Value] = []
    structured = []
    for arg, example in zip(arguments, example_args):
        values = np.asarray(example, dtype=float).reshape(-1).tolist()
        leaves = [Value(v, arg.label(k)) for k, v in enumerate(values)]
        slots.extend(leaves)
        structured.append(arg.structure(leaves))
    name = getattr(fn, "__name__", type(fn).__name__)
    with modes.tracing(_Trace(slots)):
        result = fn(*structured)
    outputs, single = _flatten_outputs(result, name)
    if not isinstance(grouped, bool):
        raise TypeError(f"autograd.compile: grouped must be True or False, got {short(grouped)}")
    return CompiledGraph(fn, arguments, slots, structured, outputs, single, chunk_size, grouped)

