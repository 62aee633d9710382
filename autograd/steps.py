"""Backpropagation as data: `backward_steps(root)` lists the chain-rule steps
that `root.backward()` takes, one per op node, without touching any `.grad`.

A backward step at node n (visited in the order `backward()` visits it) has
the upstream gradient ∂root/∂n and, for each input x of n, the local derivative
∂n/∂x, the contribution upstream × local that is added to x's gradient, and
x's running gradient before and after. So a Value used twice shows two
contributions and a running sum, and the last `after` of every Value is the
gradient `backward()` gives it, bit for bit: the steps run the same rules
(`vjp(upstream, ans, *xs)`) in the same order, adding in the same order, on a
dict of running gradients instead of the Values' `.grad`. Leaves start from
their current `.grad` (leaves accumulate across calls, as in `backward()`), op
nodes from 0, and the root from ∂root/∂root = 1.

    >>> from autograd import Value, backward_steps
    >>> a, b = Value(2.0, "a"), Value(-3.0, "b")
    >>> e = a * b; e.label = "e"
    >>> c = Value(10.0, "c"); f = Value(-2.0, "f")
    >>> d = e + c; d.label = "d"
    >>> L = d * f; L.label = "L"
    >>> backward_steps(L)[2].caption
    '∂L/∂a += ∂L/∂e · ∂e/∂a = (−2.0000) · (−3.0000) = 6.0000; ∂L/∂b += ∂L/∂e · ∂e/∂b = (−2.0000) · 2.0000 = −4.0000'

Names in captions: a Value's label; a constant's number (`2`); an unlabelled
op result its sub-expression when that is short (`a·b`, `tanh(n)`), else
`v7`, its index in `topological_order(root)` (the name the picture gives it).

`collapse="neuron"` groups the op nodes the way the picture groups them
(`autograd.viz.scopes`: a Value's `.scope`, and the untagged nodes whose
consumers all share one) and makes one step per group, in the order
`backward()` reaches each group's output: for a network, the output layer
first, then back layer by layer, neuron 0 first. A group's net input is found
from the graph's shape alone (nothing here knows `nn`'s labels): the group's
output, or, when that output is a one-input op (an activation) of another
member, that member. The step's `delta` is −∂root/∂(net input): the Monash Δ
when root is E = ½ Σ (y − a)². Op nodes outside every group keep a step each.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from . import modes
from .engine import Constant, Value, topological_order
from .registry import DOMAIN_ERRORS, HandWritten
from .report import format_table
from .validate import short

COLLAPSE = (None, "neuron")
_SHORT_NAME = 12  # characters: a longer sub-expression is named v7 instead
_INFIX = {"+": "+", "-": "−", "*": "·", "/": "/", "**": "^", "pow": "^"}


@dataclass(frozen=True, eq=False)
class StepInput:
    """One input of a step. For a backward step: `local` = ∂node/∂value,
    `contribution` = upstream × local (what `backward()` adds to value's
    gradient; both None for an input the op does not differentiate, such as a
    number exponent), and value's gradient `before` and `after` this step (None
    where the Value's `.grad` is None and nothing was added). For a forward
    step all four are None: no gradient is known yet."""

    value: Value
    local: float | None
    contribution: float | None
    before: float | None
    after: float | None


@dataclass(frozen=True, eq=False)
class Step:
    """One step of the pass: `kind` "forward" (the node's data is computed from
    its inputs) or "backward" (the chain rule at the node). `upstream` is
    ∂root/∂node (None for a forward step); `caption` is the step in one line, in
    the seeds' notation. A step of `collapse="neuron"` also has `scope` (the
    neuron's, e.g. "layers.1.neurons.0"), `net_input` and `delta` =
    −∂root/∂(net input); its `node` is the neuron's output and its `inputs` are
    the Values the neuron passes gradients to (its parameters and the values it reads)."""

    kind: str
    node: Value
    op: str
    upstream: float | None
    inputs: tuple[StepInput, ...]
    caption: str
    scope: str = ""
    delta: float | None = None
    net_input: Value | None = None
    members: tuple[Value, ...] = ()  # collapse="neuron": the op nodes of the neuron, in the order visited


class Steps(Sequence[Step]):
    """The steps of a pass, in order: a sequence of `Step`s. `str(steps)` is a
    table of the chain rule, one row per input; `names[v]` is the name a Value
    has in the captions."""

    def __init__(self, root: Value, steps: list[Step], names: dict[Value, str], collapse: str | None) -> None:
        self.root = root
        self._steps = steps
        self.names = names
        self.collapse = collapse

    def __len__(self) -> int:
        return len(self._steps)

    def __getitem__(self, i: Any) -> Any:
        return self._steps[i]

    def __iter__(self) -> Iterator[Step]:
        return iter(self._steps)

    def __repr__(self) -> str:
        kinds = [s.kind for s in self._steps]
        return (f"<Steps of {self.names.get(self.root, '?')}: {kinds.count('forward')} forward, "
                f"{kinds.count('backward')} backward>")

    def __str__(self) -> str:
        return self.table()

    def table(self) -> str:
        """The steps as a plain-text table: a row per input, the step's own
        columns on its first row; then the captions."""
        r = partial(self.names.get(self.root, "root"))
        header = ("#", "step", "node", "op", f"∂{r}/∂node", "input", "local", "contribution", "before", "after")
        rows = []
        for i, step in enumerate(self._steps, 1):
            first = (str(i), step.kind if not step.scope else f"{step.kind} {step.scope}",
                     self.names.get(step.node, "?"), step.op, _opt(step.upstream))
            for k, x in enumerate(step.inputs or (None,)):
                own = first if k == 0 else ("",) * 5
                if x is None:
                    rows.append(own + ("",) * 5)
                    continue
                rows.append(own + (self.names.get(x.value, "?"), _opt(x.local), _opt(x.contribution),
                                   _opt(x.before), _opt(x.after)))
        lines = [format_table(header, rows, "rllllrrrrr")]
        lines += [f"{i:>3}. {step.caption}" for i, step in enumerate(self._steps, 1)]
        return "\n".join(lines)


def backward_steps(root: Value, forward: bool = False, collapse: str | None = None) -> Steps:
    """The steps `root.backward()` takes, as data: one `Step` per op node, in the
    order `backward()` visits them; with `forward=True`, first one step per op
    node in forward order, showing its data computed from its inputs. With
    `collapse="neuron"`, one backward step per neuron (see the module's
    docstring). No `.grad` is read or changed except the leaves' starting
    gradients (read) and, for a node with a hand-written `_backward`, its own
    and its inputs' (set while its closure runs, then restored)."""
    if not isinstance(root, Value):
        raise TypeError(f"backward_steps: root must be a Value, got {short(root)}")
    if collapse not in COLLAPSE:
        raise ValueError(f"backward_steps: collapse must be None or 'neuron', got {collapse!r}")
    if not isinstance(forward, bool):
        raise TypeError(f"backward_steps: forward must be True or False, got {short(forward)}")
    order = topological_order(root)
    names = value_names(order)
    ops = [v for v in order if _is_op_node(v)]
    steps = [_forward_step(v, names) for v in _reading_order(root) if _is_op_node(v)] if forward else []
    if collapse is None:
        steps += _Simulation(root, order, names).node_steps(ops[::-1])
    else:
        steps += _Simulation(root, order, names).neuron_steps(ops[::-1])
    return Steps(root, steps, names, collapse)


# ---- names -----------------------------------------------------------------------------

def value_names(order: list[Value]) -> dict[Value, str]:
    """{Value: its name in captions} for a graph in topological order (see the
    module's docstring): label, constant's number, short sub-expression, or v7."""
    names: dict[Value, str] = {}
    taken: set[str] = set()
    indexed: set[Value] = set()  # named v7: not a name to build another on
    for i, v in enumerate(order):
        name = v.label or _made_name(v, names, indexed)
        if not v.label and not isinstance(v, Constant) and (not name or name in taken or len(name) > _SHORT_NAME):
            name = f"v{i}"
            indexed.add(v)
        names[v] = name
        taken.add(name)
    return names


def _made_name(v: Value, names: dict[Value, str], indexed: set[Value]) -> str:
    if isinstance(v, Constant) or (v.is_leaf() and not v.op):
        return number(v.data, digits=None) if isinstance(v, Constant) else ""
    args = [names[x] for x in v.inputs]
    if not v.op or any(x in indexed for x in v.inputs) or not all(_simple(a) for a in args):
        return ""  # one level deep only: `a·b`, `tanh(n)`; an expression of expressions is named v7
    if v.op in _INFIX and len(args) == 2:
        return f"{args[0]}{_INFIX[v.op]}{args[1]}"
    if v.op == "neg" and len(args) == 1:
        return f"−{args[0]}"
    return f"{v.op}({', '.join(args)})"


def _simple(name: str) -> bool:
    """A name that reads as one symbol: a label of letters, digits, _ and ., or a positive number."""
    return name.replace(".", "").replace("_", "").isalnum()


def partial(name: str) -> str:
    """A name after ∂: compound ones in parentheses, `∂L/∂(a·b)`."""
    return name if _simple(name) else f"({name})"


def number(x: float | None, digits: int | None = 4) -> str:
    """A number as the captions write it: 4 decimals (an exponent when tiny or
    huge), with a true minus sign; `digits=None`: as short as Python writes it."""
    if x is None:
        return "None"
    if digits is None:
        text = f"{x:g}"
    elif x == 0 or not math.isfinite(x) or 1e-4 <= abs(x) < 1e6:
        text = f"{x:.{digits}f}"
    else:
        text = f"{x:.3e}"
    return text.replace("-", "−")


def factor(x: float | None) -> str:
    """A number as a factor of a product: negative ones in parentheses, `(−2.0000)`."""
    text = number(x)
    return f"({text})" if text.startswith("−") else text


def _opt(x: float | None) -> str:
    return "" if x is None else number(x)


# ---- forward steps ----

def _reading_order(root: Value) -> list[Value]:
    """A forward order as a reader computes by hand: a node's first input (with
    everything it needs) before its second, so `x1·w1` comes before `x2·w2`.
    Iterative, as `topological_order`."""
    order: list[Value] = []
    seen: set[Value] = set()
    stack: list[Value | None] = [root]
    while stack:
        node = stack.pop()
        if node is None:
            order.append(stack.pop())
            continue
        if node in seen:
            continue
        seen.add(node)
        stack += (node, None)
        stack += [x for x in reversed(node.inputs) if x not in seen]
    return order


def _forward_step(v: Value, names: dict[Value, str]) -> Step:
    ins = tuple(StepInput(x, None, None, None, None) for x in v.inputs)
    return Step("forward", v, v.op, None, ins, _forward_caption(v, names))


def _forward_caption(v: Value, names: dict[Value, str]) -> str:
    """`e = a · b = 2.0000 · (−3.0000) = −6.0000`."""
    n = [names[x] for x in v.inputs]
    d = [factor(x.data) for x in v.inputs]
    if v.op in _INFIX and len(n) == 2:
        symbol = f" {_INFIX[v.op]} "
        formula, numbers = symbol.join(n), symbol.join(d)
    elif v.op == "sum":
        formula, numbers = " + ".join(n), " + ".join(d)
    elif v.op == "neg" and len(n) == 1:
        formula, numbers = f"−{n[0]}", f"−{d[0]}"
    else:
        formula, numbers = f"{v.op}({', '.join(n)})", f"{v.op}({', '.join(number(x.data) for x in v.inputs)})"
    return f"{names[v]} = {formula} = {numbers} = {number(v.data)}"


# ---- backward: backward()'s loop on a dict of running gradients ----------------------------

def _is_op_node(v: Value) -> bool:
    """A node `backward()` visits (and resets): one with an op."""
    return bool(v.op) or not v.is_leaf()


def _rule_of(node: Value) -> Any:
    """The node's rule: an `Op` of the table or a `HandWritten` closure. The one
    place the steps read an engine slot, since `Value` has no public name for
    its rule (`node.op` is only the name, which a lecture node shares with the table)."""
    return node._rule


class _Simulation:
    """Runs `backward()`'s loop with the running gradients in a dict."""

    def __init__(self, root: Value, order: list[Value], names: dict[Value, str]) -> None:
        self.root = root
        self.names = names
        self.order = order
        self.grad: dict[Value, Any] = {}
        for v in order:
            self.grad[v] = 0.0 if _is_op_node(v) else _as_number(v.grad)
        if _is_op_node(root):
            self.grad[root] = 1.0
        self.rname = names[root]

    # -- the node-level steps --
    def node_steps(self, nodes: list[Value]) -> list[Step]:
        return [self.visit(node) for node in nodes]

    def visit(self, node: Value) -> Step:
        """The chain rule at `node`: its inputs' gradients move on, and the step records it."""
        upstream = self.grad[node]
        contributions, locals_ = self._rule_results(node, upstream)
        inputs = []
        for x, c, local in zip(node.inputs, contributions, locals_):
            before = self.grad[x]
            if c is _HANDWRITTEN_AFTER:  # a hand-written step: the closure produced `after` itself
                after = local[1]
                c, local = (None if after is None else _difference(after, before)), local[0]
            elif c is None:
                after = before
            else:
                after = c if before is None else before + c  # exactly backward's `x.grad += gx`
            self.grad[x] = after
            inputs.append(StepInput(x, local, c, before, after))
        inputs_t = tuple(inputs)
        return Step("backward", node, node.op, upstream, inputs_t, self._caption(node, upstream, inputs_t))

    def _rule_results(self, node: Value, upstream: float) -> tuple[list[Any], list[Any]]:
        rule = _rule_of(node)
        if isinstance(rule, HandWritten):
            return self._hand_written(node, rule, upstream)
        xs = [x.data for x in node.inputs]
        contributions = _vjp(rule, upstream, node.data, xs, node)
        locals_ = _vjp(rule, 1.0, node.data, xs, node)
        return list(contributions), list(locals_)

    def _hand_written(self, node: Value, rule: HandWritten, upstream: float) -> tuple[list[Any], list[Any]]:
        """A lecture node's closure adds to its inputs' `.grad` itself: run it with
        the running gradients in place, read what it left, then put every `.grad`
        back. Its local derivatives come from a second run at upstream 1, from 0."""
        ins = list(node.inputs)
        if rule.step is None:  # `Value(t, (x,), "tanh")` with no `_backward` assigned: it passes nothing on
            return [None] * len(ins), [None] * len(ins)
        after = _run_closure(rule, node, upstream, {x: self.grad[x] for x in ins})
        local = _run_closure(rule, node, 1.0, {x: 0.0 for x in ins})
        seen: set[Value] = set()
        results = []
        for x in ins:
            # A Value read twice gets both additions in one run: the first slot shows the total.
            results.append((None if x in seen else local[x], after[x]))
            seen.add(x)
        return [_HANDWRITTEN_AFTER] * len(ins), results

    def _caption(self, node: Value, upstream: float, inputs: tuple[StepInput, ...]) -> str:
        r, n = partial(self.rname), partial(self.names[node])
        parts = []
        for x in inputs:
            xn = partial(self.names[x.value])
            if x.contribution is None:
                why = "not differentiated" if _rule_of(node).__class__ is not HandWritten else "nothing passed on"
                parts.append(f"∂{r}/∂{xn}: {why}")
                continue
            text = (f"∂{r}/∂{xn} += ∂{r}/∂{n} · ∂{n}/∂{xn} = {factor(upstream)} · {factor(x.local)} = "
                    f"{number(x.contribution)}")
            if x.before not in (None, 0.0):
                text += f" (sum {number(x.after)})"
            parts.append(text)
        return "; ".join(parts) if parts else f"{n}: no inputs"

    # -- the neuron-level steps --
    def neuron_steps(self, nodes: list[Value]) -> list[Step]:
        from .viz.graph import NodeGraph
        from .viz.scopes import cluster_levels, drawing_scopes, groups

        views = NodeGraph(self.root).views()
        scopes = drawing_scopes(views)
        group_of = groups(views, scopes, "neuron", cluster_levels(set(scopes.values()))) if scopes else {}
        by_value = {view.node: group for view, group in group_of.items()}
        units: dict[Any, list[Value]] = {}  # a group, or a loose op node -> its op nodes, as visited
        for node in nodes:
            units.setdefault(by_value.get(node, node), []).append(node)
        steps = []
        for unit, members in units.items():
            if isinstance(unit, Value):
                steps.append(self.visit(unit))
            else:
                steps.append(self._visit_neuron(unit, members))
        return steps

    def _visit_neuron(self, group: Any, members: list[Value]) -> Step:
        """The steps of every op node of one neuron, taken in backward()'s order
        and shown as one: Δ, and what reaches each parameter and each input."""
        output = group.outputs[0].node if group.outputs else members[0]
        net = _net_input(output, set(members))
        upstream = self.grad[output]
        inner = set(members)
        touched: dict[Value, list[Any]] = {}  # value -> [before, after, contribution]
        for node in members:
            for x in self.visit(node).inputs:
                if x.value in inner:
                    continue
                entry = touched.setdefault(x.value, [x.before, x.after, None])
                entry[1] = x.after
                if x.contribution is not None:
                    entry[2] = x.contribution if entry[2] is None else entry[2] + x.contribution
        locals_ = _locals_through(output, members, inner) if len(group.outputs) <= 1 else {}
        inputs = tuple(StepInput(v, locals_.get(v), c, before, after) for v, (before, after, c) in touched.items())
        delta = -self.grad[net]
        caption = self._neuron_caption(group.key, output, net, upstream, delta, inputs)
        return Step("backward", output, output.op, upstream, inputs, caption, scope=group.key, delta=delta,
                    net_input=net, members=tuple(members))

    def _neuron_caption(self, scope: str, output: Value, net: Value, upstream: float, delta: float,
                        inputs: tuple[StepInput, ...]) -> str:
        r = partial(self.rname)
        a, n = partial(self.names[output]), partial(self.names[net])
        if net is output:
            text = f"{scope}: Δ = −∂{r}/∂{n} = {number(delta)}"
        else:
            g = _local_of(output, net)
            text = (f"{scope}: Δ = −∂{r}/∂{n} = g′({n}) · (−∂{r}/∂{a}) = {factor(g)} · {factor(-upstream)} = "
                    f"{number(delta)}")
        owned = [x for x in inputs if x.value.is_leaf() and x.value.scope == scope and x.contribution is not None]
        if owned:
            grads = ", ".join(f"∂{r}/∂{partial(_relative(self.names[x.value], scope))} = {number(x.contribution)}"
                              for x in owned)
            text += f"; {grads}"
        others = [x for x in inputs if x not in owned and x.contribution is not None]
        if others:
            text += f"; passes gradients to {len(others)} input{'s' if len(others) > 1 else ''}"
        return text


class _HandWrittenAfter:
    """Marks a hand-written node's results: (local, after) pairs instead of contributions."""


_HANDWRITTEN_AFTER = _HandWrittenAfter()


def _vjp(rule: Any, g: float, ans: float, xs: list[float], node: Value) -> tuple[Any, ...]:
    """The rule's gradients, as backward() computes them: in IEEE 754 arithmetic
    where Python's floats raise (a derivative infinite where the function is finite)."""
    try:
        return tuple(rule.vjp(g, ans, *xs))
    except DOMAIN_ERRORS:
        import numpy as np

        with modes.ieee(), np.errstate(all="ignore"):
            try:
                grads = rule.vjp(np.float64(g), np.float64(ans), *[np.float64(x) for x in xs])
            except DOMAIN_ERRORS as err:
                raise type(err)(f"backward_steps: the rule of op {node.op!r} failed at "
                                f"{', '.join(short(x) for x in xs)}: {err}") from None
        return tuple(None if gx is None else float(gx) for gx in grads)


def _run_closure(rule: HandWritten, node: Value, upstream: float, start: dict[Value, Any]) -> dict[Value, Any]:
    """Runs a hand-written step with `node.grad = upstream` and each input's
    `.grad` at `start`; returns the inputs' `.grad` afterwards, and restores every `.grad`."""
    saved = {v: v.grad for v in (node, *start)}
    try:
        node.grad = upstream
        for x, g in start.items():
            x.grad = g
        rule.step()
        return {x: _as_number(x.grad) for x in start}
    finally:
        for v, g in saved.items():
            v.grad = g


def _locals_through(output: Value, members: list[Value], inner: set[Value]) -> dict[Value, float]:
    """∂output/∂x for every x a group's op nodes pass gradients to from outside
    the group: the same loop, seeded with 1 at the output."""
    grad: dict[Value, Any] = {v: 0.0 for v in members}
    grad[output] = 1.0
    found: dict[Value, float] = {}
    for node in members:
        rule = _rule_of(node)
        if isinstance(rule, HandWritten):
            continue
        grads = _vjp(rule, grad[node], node.data, [x.data for x in node.inputs], node)
        for x, gx in zip(node.inputs, grads):
            if gx is None:
                continue
            if x in inner:
                grad[x] += gx
            else:
                found[x] = found.get(x, 0.0) + gx
    return found


def _net_input(output: Value, members: set[Value]) -> Value:
    """A neuron's net input, from the graph's shape: the input of its output
    when the output is a one-input op (an activation) of another member, else
    the output itself (a linear neuron)."""
    ins = output.inputs
    if len(ins) == 1 and ins[0] in members:
        return ins[0]
    return output


def _local_of(node: Value, x: Value) -> float | None:
    """∂node/∂x for a one-input node: g′(in) of an activation."""
    rule = _rule_of(node)
    if isinstance(rule, HandWritten):
        return None
    (g,) = _vjp(rule, 1.0, node.data, [x.data], node)
    return g


def _relative(name: str, scope: str) -> str:
    """A parameter's name inside its scope: `w.0` for `layers.0.neurons.3.w.0`."""
    return name[len(scope) + 1:] if scope and name.startswith(scope + ".") else name


def _difference(after: Any, before: Any) -> Any:
    return after if before is None else after - before


def _as_number(g: Any) -> Any:
    """A gradient as the steps hold it: a float, None, or the data of a gradient
    that is itself a Value (after `backward(create_graph=True)`)."""
    if isinstance(g, Value):
        return g.data
    return g
