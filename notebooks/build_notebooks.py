"""Regenerates the four notebooks of this directory: writes their cells, runs
each one in a fresh `python3` kernel, and stores it with its outputs.

    .venv/bin/python notebooks/build_notebooks.py        # all four
    .venv/bin/python notebooks/build_notebooks.py 02 04  # those whose names start so

The cells live here as text, so a change to a notebook is reviewed as a diff of
Python rather than of notebook JSON. Edit the cells here, never the .ipynb
files, and rerun this script. The stored outputs are made reproducible:
- cells get fixed ids (`nb01-07`) instead of nbformat's random ones;
- no execution timings are recorded in the metadata, and a cell's printed
  output is stored as one stream (the kernel may send it in chunks);
- a graph picture's text/plain fallback is dropped, keeping its SVG: the
  fallback is the Digraph's default repr, which holds a memory address.
A build fails if any stored output still holds a memory address.
"""

# ruff: noqa: E501  (the cells' markdown tables and formulas are long lines by nature)

from __future__ import annotations

import re
import sys
import textwrap
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
KERNEL = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
MEMORY_ADDRESS = re.compile(r" at 0x[0-9a-f]+")


def md(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_markdown_cell(textwrap.dedent(text).strip())


def code(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_code_cell(textwrap.dedent(text).strip())


# ---- 01: Values and backward() ---------------------------------------------------

NB01 = [
    md(r'''
    # 01 · Values and `backward()`: the chain rule, node by node

    deltagrad records every arithmetic operation on a `Value` into a graph. Each `Value`
    holds a number, `data`, and after `backward()` the derivative of the final output
    with respect to it, `grad`. In this notebook you will

    1. build the lecture's expression $L = (a\,b + c)\,f$ and draw its graph;
    2. apply the chain rule by hand, node by node, and watch `backward()` produce the same numbers;
    3. see why gradients **add up** when a node is used more than once;
    4. backpropagate through one neuron, $a = \tanh(x_1 w_1 + x_2 w_2 + b)$;
    5. run `backward()` through a chain of 1,000,000 nodes and compare with the closed form.

    **The chain rule.** If $L$ depends on $x$ only through $y$, then

    $$\frac{\partial L}{\partial x} = \frac{\partial L}{\partial y}\,\frac{\partial y}{\partial x}.$$

    $\partial L/\partial y$ is the *upstream* gradient, already known when a walk backwards
    from $L$ reaches $y$; $\partial y/\partial x$ is the *local* derivative of a single op:
    $\partial(xz)/\partial x = z$, $\partial(x+z)/\partial x = 1$, $\frac{d}{dx}\tanh x = 1 - \tanh^2 x$.
    `backward()` visits the nodes in reverse topological order (each node after every node
    computed from it) and passes *upstream × local* to each input, where it is **added**
    (`+=`) to the input's `grad`.

    **The seeds' names.** A neuron's weighted sum is $in_j$ in the Monash notes (seed 000)
    and $z^l_j$ in seed 001; its output is $a_j = g(in_j)$. In code a neuron's sum node
    carries the label `"in"` and its output the label `"a"` (section 4, and notebook 02).

    Every claim below is checked by an `assert` cell: if the notebook runs to the end,
    the numbers in the text are right.
    '''),
    code(r'''
    import math
    import sys
    import tempfile
    from pathlib import Path

    import autograd
    from autograd import Value, draw_dot
    '''),
    md(r'''
    ## 1. Building an expression

    Values combine with `+ - * / **` and with methods such as `tanh()` and `exp()`.
    Labels are optional; they name the boxes in the picture.
    '''),
    code(r'''
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = Value(10.0, label="c")
    f = Value(-2.0, label="f")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    L = d * f
    L.label = "L"
    L
    '''),
    md(r'''
    The forward pass computed $e = ab = -6$, $d = e + c = 4$, $L = d\,f = -8$. Each result
    remembers its op and the Values it was computed from:
    '''),
    code(r'''
    print(f"L = {L.data}: op {L.op!r} of {[v.label for v in L.inputs]}")
    print(f"d = {d.data}: op {d.op!r} of {[v.label for v in d.inputs]}")
    print(f"e = {e.data}: op {e.op!r} of {[v.label for v in e.inputs]}")
    '''),
    code(r'''
    assert (e.data, d.data, L.data) == (-6.0, 4.0, -8.0)
    assert L.op == "*" and L.inputs == (d, f) and d.inputs == (e, c) and e.inputs == (a, b)
    assert a.is_leaf() and not L.is_leaf()
    '''),
    md(r'''
    The graph, left to right: a box per Value (`label | data | grad`), an oval per op.
    Inputs are blue, the output green. Every `grad` is still 0: nothing has been
    differentiated yet.
    '''),
    code(r'''
    draw_dot(L)
    '''),
    md(r'''
    ## 2. The chain rule by hand, then `backward()`

    Start at the output, $\partial L/\partial L = 1$, and walk back one op at a time:

    $$\frac{\partial L}{\partial d} = f = -2, \qquad \frac{\partial L}{\partial f} = d = 4
    \qquad (L = d\,f)$$

    $$\frac{\partial L}{\partial e} = \frac{\partial L}{\partial d}\cdot 1 = -2, \qquad
    \frac{\partial L}{\partial c} = \frac{\partial L}{\partial d}\cdot 1 = -2 \qquad (d = e + c)$$

    $$\frac{\partial L}{\partial a} = \frac{\partial L}{\partial e}\cdot b = (-2)(-3) = 6, \qquad
    \frac{\partial L}{\partial b} = \frac{\partial L}{\partial e}\cdot a = (-2)(2) = -4 \qquad (e = a\,b)$$

    The same walk in Python, each line *upstream × local*:
    '''),
    code(r'''
    dL_dL = 1.0
    dL_dd = dL_dL * f.data  # L = d * f:  ∂L/∂d = f
    dL_df = dL_dL * d.data  #             ∂L/∂f = d
    dL_de = dL_dd * 1.0     # d = e + c:  ∂d/∂e = 1
    dL_dc = dL_dd * 1.0     #             ∂d/∂c = 1
    dL_da = dL_de * b.data  # e = a * b:  ∂e/∂a = b
    dL_db = dL_de * a.data  #             ∂e/∂b = a
    by_hand = {"a": dL_da, "b": dL_db, "c": dL_dc, "d": dL_dd, "e": dL_de, "f": dL_df, "L": dL_dL}
    by_hand
    '''),
    md(r'''
    `backward()` does exactly this walk, using each op's rule from the op table:
    '''),
    code(r'''
    L.backward()
    by_backward = {v.label: v.grad for v in (a, b, c, d, e, f, L)}
    by_backward
    '''),
    code(r'''
    assert by_backward == by_hand
    assert (L.data, a.grad, b.grad, c.grad, f.grad) == (-8.0, 6.0, -4.0, -2.0, 4.0)
    '''),
    md(r'''
    The order of the walk: `topological_order` lists every node after its inputs (the
    order of the forward pass); `backward()` goes through it in reverse.
    '''),
    code(r'''
    order = autograd.topological_order(L)
    print(" → ".join(v.label for v in order))
    '''),
    code(r'''
    position = {v: i for i, v in enumerate(order)}
    assert len(order) == 7
    assert all(position[x] < position[v] for v in order for x in v.inputs)
    '''),
    md(r'''
    After `backward()` every box shows its gradient:
    '''),
    code(r'''
    draw_dot(L)
    '''),
    md(r'''
    **What a gradient means.** $\partial L/\partial a = 6$ says: nudge $a$ by a small $h$ and
    $L$ moves by about $6h$. A central difference, $(L(a+h) - L(a-h))/2h$, measures that
    directly, without any graph (notebook 04 looks at how well):
    '''),
    code(r'''
    def L_of(a, b, c, f):
        return (a * b + c) * f

    point = {"a": 2.0, "b": -3.0, "c": 10.0, "f": -2.0}
    h = 1e-6

    def L_nudged(name, step):
        return L_of(**{**point, name: point[name] + step})

    numeric = {name: (L_nudged(name, h) - L_nudged(name, -h)) / (2 * h) for name in point}
    {name: round(value, 6) for name, value in numeric.items()}
    '''),
    code(r'''
    assert all(abs(numeric[name] - by_backward[name]) < 1e-5 for name in point)
    '''),
    md(r'''
    `autograd.gradcheck` does the same for any function of Values, and prints a table:
    '''),
    code(r'''
    report = autograd.gradcheck(L_of, [a, b, c, f])
    report
    '''),
    code(r'''
    assert report.ok and len(report.rows) == 4 and report.max_abs_error < 1e-5
    '''),
    md(r'''
    **Pictures as files.** `autograd.render` writes `.svg`, `.png`, `.pdf` or `.dot`; here into a
    temporary directory, so running the notebook leaves nothing behind. A Digraph's
    `pipe()` returns the rendered bytes without writing a file. The same graph always gives
    the same DOT source (nodes are named by the walk, not by memory addresses).
    '''),
    code(r'''
    with tempfile.TemporaryDirectory() as tmp:
        svg_text = autograd.render(L, Path(tmp) / "lecture.svg").read_text(encoding="utf-8")
        dot_text = autograd.render(L, Path(tmp) / "lecture.dot").read_text(encoding="utf-8")
    png = draw_dot(L).pipe(format="png")
    print(f"SVG: {len(svg_text):,} characters; DOT: {len(dot_text):,} characters; PNG: {png[1:4].decode()} image")
    '''),
    code(r'''
    assert svg_text.startswith("<?xml") and "<svg" in svg_text
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert dot_text == draw_dot(L).source
    '''),
    md(r'''
    ## 3. Reused nodes: gradients add up

    When a Value feeds two ops, the output depends on it along two paths, and the
    multivariable chain rule **sums** the paths:
    $\frac{\partial L}{\partial x} = \sum_{\text{paths}} \prod \text{local derivatives}$.
    That is why `backward()` accumulates with `+=`. An engine that assigned (`=`) would
    keep only the last path: the bug fixed halfway through micrograd's lecture.
    The smallest case, $y = x + x$:
    '''),
    code(r'''
    x = Value(3.0, label="x")
    y = x + x
    y.label = "y"
    y.backward()
    x.grad
    '''),
    code(r'''
    assert x.grad == 2.0  # one path through each input slot of +
    '''),
    md(r'''
    The lecture's example: $d = ab$, $e = a + b$, $f = d\,e$, with $a = -2$, $b = 3$.
    By hand, summing both paths:

    $$\frac{\partial f}{\partial a} = e\,\frac{\partial d}{\partial a} + d\,\frac{\partial e}{\partial a}
    = e\,b + d = (1)(3) + (-6) = -3, \qquad
    \frac{\partial f}{\partial b} = e\,a + d = (1)(-2) + (-6) = -8.$$
    '''),
    code(r'''
    a = Value(-2.0, label="a")
    b = Value(3.0, label="b")
    d = a * b
    d.label = "d"
    e = a + b
    e.label = "e"
    f = d * e
    f.label = "f"
    f.backward()
    (a.grad, b.grad)
    '''),
    code(r'''
    assert (a.grad, b.grad) == (e.data * b.data + d.data, e.data * a.data + d.data) == (-3.0, -8.0)
    '''),
    md(r'''
    In the picture `a` and `b` each have two outgoing edges: one per path.
    '''),
    code(r'''
    draw_dot(f)
    '''),
    md(r'''
    **Across calls, too.** Leaves keep adding across `backward()` calls, as in PyTorch:
    differentiate twice and the gradients double. That is why every training step starts
    with `zero_grad()` (for a lone Value: `v.grad = 0.0`).
    '''),
    code(r'''
    f.backward()  # a second time, without resetting
    twice = (a.grad, b.grad)
    a.grad = b.grad = 0.0
    f.backward()
    once = (a.grad, b.grad)
    print("without zero_grad:", twice, "  after resetting:", once)
    '''),
    code(r'''
    assert twice == (-6.0, -16.0) and once == (-3.0, -8.0)
    '''),
    md(r'''
    ## 4. A neuron

    A neuron computes its net input $in = \sum_i w_i x_i + b$ and its activation
    $a = g(in)$; here $g = \tanh$, whose derivative is $g'(in) = 1 - \tanh^2(in) = 1 - a^2$.
    The lecture picks $b = 6.8813735870195432$ so that $in = 0.8814$, $a = 1/\sqrt{2}$ and
    $g'(in) = 1/2$. Then by the chain rule

    $$\frac{\partial a}{\partial w_i} = g'(in)\,x_i, \qquad \frac{\partial a}{\partial x_i} = g'(in)\,w_i:
    \qquad \frac{\partial a}{\partial x_1} = \tfrac12(-3) = -1.5,\;
    \frac{\partial a}{\partial w_1} = \tfrac12(2) = 1,\;
    \frac{\partial a}{\partial x_2} = \tfrac12(1) = 0.5,\;
    \frac{\partial a}{\partial w_2} = \tfrac12(0) = 0.$$
    '''),
    code(r'''
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    bias = Value(6.8813735870195432, label="b")
    net = x1 * w1 + x2 * w2 + bias
    net.label = "in"
    out = net.tanh()
    out.label = "a"
    out.backward()
    {v.label: round(v.grad, 12) for v in (x1, w1, x2, w2, bias, net)}
    '''),
    code(r'''
    g_prime = 1 - out.data ** 2  # tanh'(in) = 1 − a²
    assert math.isclose(out.data, 1 / math.sqrt(2), rel_tol=1e-12) and math.isclose(g_prime, 0.5, rel_tol=1e-12)
    for leaf, other in ((x1, w1), (w1, x1), (x2, w2), (w2, x2)):
        assert math.isclose(leaf.grad, g_prime * other.data, rel_tol=1e-12, abs_tol=1e-15)
    expected = {"x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0, "b": 0.5}
    assert all(math.isclose(v.grad, expected[v.label], abs_tol=1e-12) for v in (x1, w1, x2, w2, bias))
    '''),
    code(r'''
    draw_dot(out)
    '''),
    md(r'''
    **An op is a shortcut for its composition.** The op table knows $\tanh$'s derivative in
    one line, $1 - \tanh^2$. Spell $\tanh$ out instead, $\tanh(n) = \frac{e^{2n} - 1}{e^{2n} + 1}$,
    and `backward()` reaches the same gradients through `*`, `exp`, `-`, `+` and `/`:
    '''),
    code(r'''
    for v in (x1, w1, x2, w2, bias):
        v.grad = 0.0
    e2n = (2 * net).exp()
    out_spelled = (e2n - 1) / (e2n + 1)
    out_spelled.backward()
    spelled = {v.label: round(v.grad, 12) for v in (x1, w1, x2, w2, bias)}
    spelled
    '''),
    code(r'''
    assert math.isclose(out_spelled.data, out.data, rel_tol=1e-12)
    assert all(math.isclose(v.grad, expected[v.label], abs_tol=1e-12) for v in (x1, w1, x2, w2, bias))
    '''),
    md(r'''
    ## 5. A chain of 1,000,000 nodes

    Multiply $x$ by the same $k$ a million times: $y = x\,k^n$ with $n = 10^6$. The closed
    form gives both gradients:

    $$\frac{\partial y}{\partial x} = k^n, \qquad \frac{\partial y}{\partial k} = n\,x\,k^{n-1}
    \quad(\text{one node } k \text{ on } n \text{ paths, summed}).$$

    With $x = 1$ and $k = 1 + 1/n$, $y = (1 + 1/n)^n$, Bernoulli's compound interest, which
    tends to $e$ (from below, by about $e/2n$).

    A recursive topological sort, as micrograd's, needs one Python frame per node and
    stops at Python's recursion limit, a thousand frames deep by default. deltagrad walks
    the graph with explicit stacks, so depth costs only memory: this cell takes a few
    seconds and a few hundred MB.
    '''),
    code(r'''
    n = 1_000_000
    x = Value(1.0, label="x")
    k = Value(1 + 1 / n, label="k")
    y = x
    for _ in range(n):
        y = y * k
    y.backward()

    nodes = len(autograd.topological_order(y))
    closed_dx, closed_dk = k.data ** n, n * x.data * k.data ** (n - 1)


    def build_topo(v, topo, visited):  # micrograd's recursive topological sort
        if v not in visited:
            visited.add(v)
            for child in v._prev:
                build_topo(child, topo, visited)
            topo.append(v)


    try:
        build_topo(y, [], set())
        recursive = "finished"
    except RecursionError:
        recursive = "RecursionError"
    print(f"{nodes:,} nodes; micrograd's recursive sort: {recursive} (recursion limit {sys.getrecursionlimit():,})")
    print(f"∂y/∂x = {x.grad:.12f}   closed form kⁿ       = {closed_dx:.12f}   (e = {math.e:.12f})")
    print(f"∂y/∂k = {k.grad:,.4f}  closed form n·x·kⁿ⁻¹ = {closed_dk:,.4f}")
    '''),
    code(r'''
    assert nodes == n + 2  # x, k and one product per step
    assert recursive == "RecursionError"
    assert math.isclose(y.data, closed_dx, rel_tol=1e-9)
    assert math.isclose(x.grad, closed_dx, rel_tol=1e-9)
    assert math.isclose(k.grad, closed_dk, rel_tol=1e-9)
    assert 0 < math.e - x.grad < 2e-6  # (1 + 1/n)ⁿ < e, short of it by ≈ e/2n = 1.36e-6
    del y  # frees the million nodes
    '''),
    md(r'''
    The same chain with $n = 3$ fits in a picture: `k` feeds every product, so its gradient
    collects three paths, $3 x k^2$.
    '''),
    code(r'''
    x = Value(1.0, label="x")
    k = Value(1.5, label="k")
    y = x
    for _ in range(3):
        y = y * k
    y.label = "y"
    y.backward()
    draw_dot(y)
    '''),
    code(r'''
    assert (y.data, x.grad, k.grad) == (1.5 ** 3, 1.5 ** 3, 3 * 1.5 ** 2)
    '''),
    md(r'''
    **Next:** notebook 02 runs the same `backward()` through a small network and sets it
    beside the seeds' hand-derived Δ rules.
    '''),
]


# ---- 02: the Δ rules ---------------------------------------------------------------

NB02 = [
    md(r'''
    # 02 · The Δ rules, made executable

    Backpropagation in a network is notebook 01's chain rule, organised layer by layer.
    The seeds write it two ways: the Monash notes (seed 000) unit by unit, with a $\Delta$
    per unit; seed 001 as matrices, with a $\delta$ per layer. This notebook computes both
    by hand in NumPy, next to `backward()` and finite differences, on a small sigmoid
    network, and checks that all four agree.

    | | Monash notes (seed 000) | seed 001 | code |
    |---|---|---|---|
    | net input of unit $j$ | $in_j = \sum_i w_{i,j}\,a_i$ (+ bias) | $z^l_j = \sum_i w^l_{ji}\,a^{l-1}_i + b^l_j$ | the Value labelled `"in"`; `z[l]` below |
    | activation | $a_j = g(in_j)$ | $a^l_j = \sigma(z^l_j)$ | the Value labelled `"a"`; `a[l]` below |
    | error | $E = \frac12 \sum_k (y_k - a_k)^2$ | $C = \frac12 \lVert y - a^L \rVert^2$ | `nn.losses.half_sse` |
    | the delta | $\Delta_j = -\partial E / \partial in_j$ | $\delta^l_j = \partial C / \partial z^l_j$ | `Delta[l]`, `delta[l]`: $\delta = -\Delta$ |
    | a weight | $w_{j,k}$: unit $j$ → unit $k$ | $w^l_{kj}$: unit $j$ of layer $l-1$ → unit $k$ of layer $l$ | `W[l][k, j]` = `model.layers[l].neurons[k].w[j]` |

    (The Wikipedia part of seed 000 writes $net_j$ and $o_j = \varphi(net_j)$ for the same
    $in_j$ and $a_j$.) In the code, layers count from 0: `W[0]` is the seeds' $W^1$, and
    `a[0]` is the input $x$.

    **The rules** for $E = \frac12\sum_k (y_k - a_k)^2$, so that $\partial E/\partial a_k = a_k - y_k$:

    $$\text{output unit } k:\quad \Delta_k = (y_k - a_k)\,g'(in_k), \qquad
    \text{hidden unit } j:\quad \Delta_j = g'(in_j) \sum_k w_{j,k}\,\Delta_k,$$

    $$\text{update:}\quad w_{i,j} \leftarrow w_{i,j} + \alpha\, a_i\, \Delta_j .$$

    (The seed's second update line reads $w_{j,k} \leftarrow w{i,j} + \alpha \times a_i \times \Delta_j$,
    a typo for the line above.) As matrices (seed 001):

    $$\delta^L = \nabla_a C \odot \sigma'(z^L), \qquad
    \delta^l = \big((W^{l+1})^\top \delta^{l+1}\big) \odot \sigma'(z^l), \qquad
    \frac{\partial C}{\partial b^l} = \delta^l, \qquad
    \frac{\partial C}{\partial W^l} = \delta^l\,(a^{l-1})^\top .$$

    For the sigmoid, $g'(in) = \sigma(in)\,(1 - \sigma(in)) = a\,(1 - a)$: seed 000's
    "convenient derivative".

    **Why these are the chain rule.** A weight $w_{i,j}$ reaches $E$ only through $in_j$, and
    $\partial in_j / \partial w_{i,j} = a_i$, so $\partial E/\partial w_{i,j} = a_i\,\partial E/\partial in_j = -a_i\,\Delta_j$:
    the update $+\alpha a_i \Delta_j$ is a step of gradient descent. A hidden $in_j$ reaches
    $E$ through $a_j$ and every $in_k$ of the next layer, so
    $\partial E/\partial in_j = g'(in_j) \sum_k w_{j,k}\,\partial E/\partial in_k$: the hidden rule.
    '''),
    code(r'''
    import numpy as np

    import autograd
    import nn
    from autograd import Value, draw_dot
    from nn import MLP
    from nn.losses import half_sse

    np.set_printoptions(precision=6)
    '''),
    md(r'''
    ## A network and one sample

    Two inputs, three hidden sigmoid units, two sigmoid outputs; `seed=0` fixes the
    initial weights (micrograd's $U(-1, 1)$, biases 0).
    '''),
    code(r'''
    model = MLP(2, [3, 2], activation="sigmoid", out_activation="sigmoid", seed=0)
    x = [0.5, -1.0]
    y = [1.0, 0.0]
    model
    '''),
    md(r'''
    ## The forward pass by hand

    `nn.delta.weights(model)` copies the weights out of the model as matrices, $W^l$ of
    shape (units, inputs), and the biases $b^l$. Then $z^l = W^l a^{l-1} + b^l$ and
    $a^l = \sigma(z^l)$:
    '''),
    code(r'''
    def sigmoid(z):
        return 1 / (1 + np.exp(-z))

    W = [Wl for Wl, _ in nn.delta.weights(model)]
    b = [bl for _, bl in nn.delta.weights(model)]
    a = [np.array(x)]  # a[0] = x
    z = []             # z[l] is the net input (in_j) of layer l, and feeds a[l + 1]
    for Wl, bl in zip(W, b):
        z.append(Wl @ a[-1] + bl)
        a.append(sigmoid(z[-1]))
    E = 0.5 * np.sum((np.array(y) - a[-1]) ** 2)
    for li in range(2):
        print(f"layer {li}: W{W[li].shape}  in = {z[li]}  a = {a[li + 1]}")
    print(f"E = {E:.12f}")
    '''),
    md(r'''
    The model computes the same through its Value graph (the inputs given as labelled
    Values, so that the picture below shows them). Each neuron's net input is a node
    labelled `"in"`, tagged with the neuron's name (its scope):
    '''),
    code(r'''
    inputs = [Value(xi, label=f"x{i + 1}") for i, xi in enumerate(x)]
    out = model(inputs)
    E_graph = half_sse(out, y)
    E_graph.backward()
    net_inputs = {v.scope: v for v in autograd.topological_order(E_graph) if v.label == "in"}
    for scope in sorted(net_inputs):
        print(f"{scope}: in = {net_inputs[scope].data:.12f}")
    '''),
    code(r'''
    assert abs(E_graph.data - E) < 1e-12
    assert max(abs(o.data - ak) for o, ak in zip(out, a[-1])) < 1e-12
    assert len(net_inputs) == 5
    assert all(abs(net_inputs[f"layers.{li}.neurons.{j}"].data - z[li][j]) < 1e-12
               for li in range(2) for j in range(len(z[li])))
    '''),
    md(r'''
    ## The Monash rules, unit by unit

    Written with loops, exactly as seed 000 states them. Remember `W[l][k, j]` is the
    Monash $w_{j,k}$, the weight from unit $j$ (in layer `l - 1`) to unit $k$ (in layer `l`).
    '''),
    code(r'''
    def g_prime(in_):
        s = sigmoid(in_)
        return s * (1 - s)  # σ' = σ(1 − σ) = a(1 − a)

    Delta = [None, None]
    # output units k: Δ_k = (y_k − a_k) g'(in_k)
    Delta[1] = np.array([(y[k] - a[2][k]) * g_prime(z[1][k]) for k in range(len(y))])
    # hidden units j: Δ_j = g'(in_j) Σ_k w_jk Δ_k
    Delta[0] = np.array([g_prime(z[0][j]) * sum(W[1][k, j] * Delta[1][k] for k in range(len(Delta[1])))
                         for j in range(len(z[0]))])
    Delta
    '''),
    md(r'''
    $\Delta_j = -\partial E/\partial in_j$, and `backward()` has just put $\partial E/\partial in_j$
    into each `"in"` node's `grad`: the graph holds the Δs, with the sign flipped.
    '''),
    code(r'''
    Delta_from_graph = [np.array([-net_inputs[f"layers.{li}.neurons.{j}"].grad for j in range(len(Delta[li]))])
                        for li in range(2)]
    Delta_from_graph
    '''),
    code(r'''
    assert max(np.max(np.abs(mine - graph)) for mine, graph in zip(Delta, Delta_from_graph)) < 1e-10
    '''),
    md(r'''
    Every weight's gradient by the rule, $\partial E/\partial w_{i,j} = -a_i\,\Delta_j$ (and
    $\partial E/\partial b_j = -\Delta_j$: a bias is a weight on a constant input 1), against
    the `grad` that `backward()` left on the parameter:
    '''),
    code(r'''
    rows = []
    for li, layer in enumerate(model.layers):
        for j, neuron in enumerate(layer.neurons):
            for i, w in enumerate(neuron.w):
                rows.append((w.label, w.grad, -a[li][i] * Delta[li][j]))   # ∂E/∂w_ij = −a_i Δ_j
            rows.append((neuron.b.label, neuron.b.grad, -Delta[li][j]))     # ∂E/∂b_j = −Δ_j
    for name, by_autodiff, by_rule in rows[:4] + rows[-4:]:
        print(f"{name:24s} autodiff {by_autodiff:+.12f}   Δ rule {by_rule:+.12f}")
    worst_rule = max(abs(by_autodiff - by_rule) for _, by_autodiff, by_rule in rows)
    print(f"... {len(rows)} parameters in all")
    '''),
    code(r'''
    assert len(rows) == len(model.parameters()) == 17
    assert worst_rule < 1e-10
    '''),
    md(r'''
    ## The matrix form

    Seed 001's recursion, one line per layer. Its $\delta$ is $\partial C/\partial z$, the
    opposite sign of the Monash $\Delta$.
    '''),
    code(r'''
    delta = [None, None]
    delta[1] = (a[2] - np.array(y)) * a[2] * (1 - a[2])    # δ^L = ∇ₐC ⊙ σ'(z^L), with ∇ₐC = a − y
    delta[0] = (W[1].T @ delta[1]) * a[1] * (1 - a[1])     # δ^l = ((W^{l+1})ᵀ δ^{l+1}) ⊙ σ'(z^l)
    grad_W = [np.outer(delta[li], a[li]) for li in range(2)]  # ∂C/∂W^l = δ^l (a^{l−1})ᵀ
    grad_b = delta                                            # ∂C/∂b^l = δ^l
    print("δ¹ =", delta[0], "   −Δ¹ =", -Delta[0])
    print("∂C/∂W² =")
    print(grad_W[1])
    '''),
    code(r'''
    autodiff_W = [np.array([[w.grad for w in n.w] for n in layer.neurons]) for layer in model.layers]
    autodiff_b = [np.array([n.b.grad for n in layer.neurons]) for layer in model.layers]
    for li in range(2):
        assert np.max(np.abs(delta[li] + Delta[li])) < 1e-12                 # δ = −Δ
        assert np.max(np.abs(grad_W[li] - autodiff_W[li])) < 1e-10
        assert np.max(np.abs(grad_b[li] - autodiff_b[li])) < 1e-10
    '''),
    md(r'''
    `nn.delta` packages these cells: `deltas_per_unit` (the loops), `deltas_matrix` (the
    recursion) and `gradients` ($\partial E/\partial W^l$, $\partial E/\partial b^l$). They give
    the same arrays:
    '''),
    code(r'''
    per_unit = nn.delta.deltas_per_unit(model, x, y)
    matrix = nn.delta.deltas_matrix(model, x, y)
    library_grads = nn.delta.gradients(model, x, y)
    for li in range(2):
        assert np.max(np.abs(per_unit[li] - Delta[li])) < 1e-12
        assert np.max(np.abs(matrix[li] - delta[li])) < 1e-12
        assert np.max(np.abs(library_grads[li][0] - grad_W[li])) < 1e-12
        assert np.max(np.abs(library_grads[li][1] - grad_b[li])) < 1e-12
    '''),
    md(r'''
    ## Three ways side by side

    `nn.delta.compare` lays out, for every parameter, $\partial E/\partial p$ by autodiff, by
    the Δ rules, and by a central finite difference of the NumPy forward pass
    ($\varepsilon = 10^{-6}$). Autodiff and the Δ rules are both exact, so only rounding
    separates them; the finite difference is an approximation, good to about $10^{-10}$ here
    (notebook 04 explains why not better).
    '''),
    code(r'''
    report = nn.delta.compare(model, x, y)
    report
    '''),
    code(r'''
    assert report.ok
    assert len(report.rows) == 17
    assert report.max_delta_error < 1e-10  # autodiff vs Δ rule
    assert report.max_fd_error < 1e-5      # autodiff vs finite differences
    '''),
    md(r'''
    ## The Δs in the picture

    `draw_dot(E, show_delta=True)` writes each neuron's $\Delta = -\partial E/\partial in$
    under its net input. Values are grouped by neuron (the clusters are named by scope);
    the weights and biases are orange, the inputs `x1`, `x2` blue, the targets and other
    constants grey. The loss, $\frac12 \sum_k (y_k - a_k)^2$, is on the right.
    '''),
    code(r'''
    draw_dot(E_graph, show_delta=True)
    '''),
    md(r'''
    The picture shows the numbers computed by hand above (4 decimals):
    '''),
    code(r'''
    source = draw_dot(E_graph, show_delta=True).source
    shown = [f"Δ = −∂E/∂in = {d:.4f}" for layer_deltas in Delta for d in layer_deltas]
    assert all(1e-4 <= abs(d) < 1e6 for layer_deltas in Delta for d in layer_deltas)  # shown with 4 decimals
    assert all(text in source for text in shown)
    assert source.count("Δ = −∂E/∂in = ") == 5
    shown
    '''),
    md(r'''
    With `collapse="neuron"` each neuron is one node, showing its output, its Δ and how
    many parameters it holds; edges say how many Values they carry.
    '''),
    code(r'''
    draw_dot(E_graph, show_delta=True, collapse="neuron")
    '''),
    md(r'''
    ## A mini-batch: add the gradients up

    Seed 001: for a mini-batch, compute each sample's gradient and *add them up*.
    `half_sse` sums over the samples of a batch, so one `backward()` through the batch's
    loss gives the sum of the per-sample gradients from the matrix form:
    '''),
    code(r'''
    batch_x = [[0.5, -1.0], [1.0, 1.0], [-1.5, 0.5], [0.0, 2.0]]
    batch_y = [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.0, 0.0]]
    model.zero_grad()
    half_sse([model(xn) for xn in batch_x], batch_y).backward()
    per_sample = [nn.delta.gradients(model, xn, yn) for xn, yn in zip(batch_x, batch_y)]
    summed_W = [sum(g[li][0] for g in per_sample) for li in range(2)]
    summed_b = [sum(g[li][1] for g in per_sample) for li in range(2)]
    batch_W = [np.array([[w.grad for w in n.w] for n in layer.neurons]) for layer in model.layers]
    batch_b = [np.array([n.b.grad for n in layer.neurons]) for layer in model.layers]
    print("Σ over the batch of ∂C/∂W² =")
    print(summed_W[1])
    '''),
    code(r'''
    for li in range(2):
        assert np.max(np.abs(summed_W[li] - batch_W[li])) < 1e-10
        assert np.max(np.abs(summed_b[li] - batch_b[li])) < 1e-10
    '''),
    md(r'''
    ## The update rule is a gradient-descent step

    `nn.delta.step` applies $w_{i,j} \leftarrow w_{i,j} + \alpha\,a_i\,\Delta_j$ and
    $b_j \leftarrow b_j + \alpha\,\Delta_j$ to every unit, all Δs computed before any weight
    moves. On a copy of the network (same seed, same weights), `SGD` takes one step of
    $w \leftarrow w - \alpha\,\partial E/\partial w$ with the gradients from `backward()`.
    They land on the same weights, and the error went down:
    '''),
    code(r'''
    alpha = 0.5
    by_rule = MLP(2, [3, 2], activation="sigmoid", out_activation="sigmoid", seed=0)
    by_sgd = MLP(2, [3, 2], activation="sigmoid", out_activation="sigmoid", seed=0)
    start = [p.data for p in by_rule.parameters()]

    E_before = nn.delta.step(by_rule, x, y, alpha)  # the Monash update, in place

    optimizer = nn.optim.SGD(by_sgd.parameters(), lr=alpha)
    optimizer.zero_grad()
    half_sse(by_sgd(x), y).backward()
    optimizer.step()

    gap = max(abs(p.data - q.data) for p, q in zip(by_rule.parameters(), by_sgd.parameters()))
    moved = max(abs(p.data - s) for p, s in zip(by_rule.parameters(), start))
    E_after = half_sse(by_rule(x), y).data
    print(f"largest weight change {moved:.4f}; Δ-rule and SGD weights differ by at most {gap:.1e}")
    print(f"E: {E_before:.6f} → {E_after:.6f}")
    '''),
    code(r'''
    assert moved > 1e-3     # the step did move the weights ...
    assert gap < 1e-12      # ... to the same place as SGD
    assert E_after < E_before
    '''),
    md(r'''
    **Next:** notebook 03 repeats this step many times, one sample, a few, or all of them
    at a time, and trains networks on toy data.
    '''),
]


# ---- 03: training ---------------------------------------------------------------------

NB03 = [
    md(r'''
    # 03 · Training an MLP: online, mini-batch and full batch

    Notebook 02 computed the gradient for one sample $(x, y)$. Seed 001 describes three ways
    to turn such gradients into training:

    - **online learning**: one gradient-descent step after every single data point;
    - **mini-batch**: draw a few points at random (without replacement), *add up* their
      gradients, multiply by the learning rate $\alpha$, step;
    - **full batch**: add up the gradients of all points, step once.

    One **epoch** is one pass over all the data. With the error summed over a batch $B$,
    $E_B = \frac12 \sum_{n \in B} \lVert y_n - a^L(x_n) \rVert^2$, every step is

    $$w \leftarrow w - \alpha\,\frac{\partial E_B}{\partial w} = w - \alpha \sum_{n \in B} \frac{\partial C_n}{\partial w}.$$

    In deltagrad, `nn.fit(model, X, y, batch_size=...)` takes `1` (online), `k`
    (mini-batches of `k`) or `None` (full batch); `nn.losses.half_sse` is the summed
    $E_B$, exactly seed 001's "add all derivatives up" (PyTorch's `MSELoss` averages instead,
    and the difference shows below).

    You will see the two-moons data; the same network, from the same initial weights,
    trained the three ways with the same $\alpha$ (loss curves on one plot); what changes
    when the full batch gets a smaller $\alpha$; the decision boundaries the four runs learn;
    and a three-class spiral trained with softmax cross-entropy and Adam.
    '''),
    code(r'''
    import matplotlib.pyplot as plt
    import numpy as np

    import nn
    import nn.plot
    from nn import MLP
    '''),
    md(r'''
    ## The data: two moons

    100 points, seeded; targets $t = \pm 1$, so the sign of the network's single output is
    its prediction.
    '''),
    code(r'''
    X, labels = nn.data.make_moons(100, noise=0.1, seed=0)
    t = 2.0 * labels - 1.0
    fig, ax = plt.subplots(figsize=(4.5, 3.2))
    ax.scatter(X[:, 0], X[:, 1], c=labels, cmap="coolwarm", s=16, edgecolors="k", linewidths=0.4)
    ax.set_title("make_moons(100, noise=0.1, seed=0)", fontsize=10)
    fig.tight_layout()
    plt.show()
    '''),
    code(r'''
    assert X.shape == (100, 2) and sorted(set(labels.tolist())) == [0, 1] and labels.sum() == 50
    '''),
    md(r'''
    ## Epochs and batches

    `nn.data.batches` gives the index arrays of one epoch. Every index appears exactly
    once per epoch, in a fresh random order each epoch (10 samples here, to print them):
    '''),
    code(r'''
    shuffles = np.random.RandomState(0)
    epochs_of = {}
    for name, size in (("online", 1), ("mini-batch of 4", 4), ("full batch", None)):
        epochs_of[name] = list(nn.data.batches(10, size, rng=shuffles))
        count = len(epochs_of[name])
        indices = " ".join(str(batch.tolist()) for batch in epochs_of[name])
        print(f"{name:>15}: {count:2d} step{'s' if count > 1 else ' '}: {indices}")
    '''),
    code(r'''
    assert [len(epoch) for epoch in epochs_of.values()] == [10, 3, 1]
    assert all(sorted(np.concatenate(epoch).tolist()) == list(range(10)) for epoch in epochs_of.values())
    '''),
    md(r'''
    ## Watching the loss without the graph

    To compare the runs fairly, we measure after every epoch the **mean** of
    $\frac12 (t_n - a_n)^2$ over all 100 points, whatever the batch size. Evaluating 100
    points through Value graphs would be slow and is not needed: the network is seed 001's
    matrices, so `predict` runs $a^l = g(W^l a^{l-1} + b^l)$ in NumPy on all points at once,
    with the weights `nn.delta.weights` copies out of the model.
    '''),
    code(r'''
    def predict(model, points):
        """The model's outputs for every row of `points` (one column per output unit),
        computed in NumPy from its weight matrices: a^l = g(W^l a^{l−1} + b^l)."""
        A = np.asarray(points, dtype=float).T
        for (W, b), layer in zip(nn.delta.weights(model), model.layers):
            A = nn.ACTIVATIONS[layer.activation].g(W @ A + b[:, None])
        return A.T


    def mean_loss(model):
        return float(np.mean(0.5 * (t - predict(model, X)[:, 0]) ** 2))


    def accuracy(model):
        return float(np.mean((predict(model, X)[:, 0] > 0) == (labels == 1)))
    '''),
    md(r'''
    ## Three ways to train, same α

    `MLP(2, [16, 16, 1])` is micrograd's demo network (relu hidden layers, linear output);
    `seed=1` gives every run the same initial weights, and the shuffles come from the same
    seeded stream. SGD with $\alpha = 0.005$ on the summed error, for 30 epochs: every run
    takes each of the 100 points through the network and back 30 times, the same work
    whatever the batch size. A fourth run gives the full batch a five times smaller $\alpha$.
    '''),
    code(r'''
    EPOCHS = 30


    def train(batch_size, lr):
        """A fresh MLP(2, [16, 16, 1]) (seed=1) trained by SGD on the summed E for EPOCHS
        epochs; returns the model and the mean loss over all points after every epoch."""
        model = MLP(2, [16, 16, 1], seed=1)
        optimizer = nn.optim.SGD(model.parameters(), lr=lr)
        shuffles = np.random.RandomState(0)
        curve = [mean_loss(model)]
        for _ in range(EPOCHS):
            nn.fit(model, X, t, loss="half_sse", optimizer=optimizer, epochs=1, batch_size=batch_size,
                   progress=False, rng=shuffles)
            curve.append(mean_loss(model))
        return model, np.array(curve)


    runs = {  # name: (batch_size, α)
        "online, α = 0.005": (1, 0.005),
        "mini-batch of 10, α = 0.005": (10, 0.005),
        "full batch, α = 0.005": (None, 0.005),
        "full batch, α = 0.001": (None, 0.001),
    }
    results = {name: train(size, lr) for name, (size, lr) in runs.items()}
    for name, (model, curve) in results.items():
        print(f"{name:28s} mean loss {curve[0]:.3f} → {curve[-1]:.3f}   accuracy {accuracy(model):.2f}")
    '''),
    md(r'''
    `predict` is the model: on the training points it matches the Value graph's output
    to rounding.
    '''),
    code(r'''
    trained = results["online, α = 0.005"][0]
    assert max(abs(trained(list(p)).data - q) for p, q in zip(X, predict(trained, X)[:, 0])) < 1e-12
    '''),
    md(r'''
    Loss against epochs (left: equal work in this scalar engine) and against updates (right:
    online makes 100 updates per epoch, mini-batches 10, the full batch 1).
    '''),
    code(r'''
    steps_per_epoch = {name: 1 if size is None else 100 // size for name, (size, _) in runs.items()}
    styles = {"online, α = 0.005": "-", "mini-batch of 10, α = 0.005": "-",
              "full batch, α = 0.005": "-", "full batch, α = 0.001": "--"}
    fig, (by_epoch, by_update) = plt.subplots(1, 2, figsize=(9, 3.5), sharey=True)
    for name, (_, curve) in results.items():
        epochs = np.arange(len(curve))
        by_epoch.semilogy(epochs, curve, styles[name], label=name)
        updates = epochs[1:] * steps_per_epoch[name]
        by_update.loglog(updates, curve[1:], styles[name], label=name)
    by_epoch.set(xlabel="epoch", ylabel="mean ½(t − a)² over all points", title="per epoch")
    by_update.set(xlabel="updates (log)", title="per update")
    by_epoch.legend(fontsize=8)
    fig.tight_layout()
    plt.show()
    '''),
    md(r'''
    What the curves show:

    - **Online and mini-batch** learn at nearly the same rate per epoch, and both bring the
      mean loss down more than tenfold.
    - **The full batch with the same α overshoots**: its one step per epoch is α times the
      *sum* of 100 gradients, as long as 100 online steps taken at once without looking where
      they land. The loss jumps up before it settles, and it then hovers well above the others.
    - **With α/5** every full-batch step goes downhill, but 30 steps get much less far than
      3,000. *Per update* it is the best informed step of all (right: at 30 updates it is
      below the mini-batch run at 30 updates), and per epoch it is the slowest.

    A summed loss makes the step grow with the batch, which is why PyTorch's losses
    average by default. On vectorised hardware a mini-batch costs little more than a single
    sample, which is why practice uses them; in this scalar engine every sample costs the
    same, so the left plot is the fair comparison.
    '''),
    code(r'''
    online, mini, full, full_small = (results[name][1] for name in runs)
    assert online[-1] < online[0] / 10 and mini[-1] < mini[0] / 10  # both learned, tenfold
    assert full.max() > 3 * full[0]                   # same α, full batch: the loss jumps up first
    assert full[-1] > 3 * online[-1]                  # ... and stays well above online
    assert np.all(np.diff(full_small) < 0)            # α/5: every full-batch step goes downhill
    assert full_small[-1] > 3 * online[-1]            # ... but 30 steps get less far than 3,000
    assert full_small[30] < mini[3]                   # per update (30 each), the full batch leads
    assert accuracy(results["online, α = 0.005"][0]) >= 0.95
    assert accuracy(results["mini-batch of 10, α = 0.005"][0]) >= 0.95
    '''),
    md(r'''
    ## Decision boundaries

    Where each trained network's output is positive (red) or negative (blue), on a grid
    over the data, with the zero level drawn as a line. The grid's 12,000 points go through
    `predict`, the NumPy forward pass.
    '''),
    code(r'''
    lo, hi = X.min(axis=0) - 0.4, X.max(axis=0) + 0.4
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], 120), np.linspace(lo[1], hi[1], 100))
    grid = np.c_[xx.ravel(), yy.ravel()]
    fig, axes = plt.subplots(2, 2, figsize=(7.5, 5.6), sharex=True, sharey=True)
    for ax, (name, (model, _)) in zip(axes.flat, results.items()):
        score = predict(model, grid)[:, 0].reshape(xx.shape)
        ax.contourf(xx, yy, (score > 0).astype(float), levels=[-0.5, 0.5, 1.5], cmap="coolwarm", alpha=0.3)
        ax.contour(xx, yy, score, levels=[0.0], colors="k", linewidths=0.8)
        ax.scatter(X[:, 0], X[:, 1], c=labels, cmap="coolwarm", s=10, edgecolors="k", linewidths=0.3)
        ax.set_title(f"{name}: accuracy {accuracy(model):.2f}", fontsize=9)
    fig.tight_layout()
    plt.show()
    '''),
    md(r'''
    ## Three spirals: softmax cross-entropy and Adam

    A harder problem: three interleaved spiral arms, 40 points each. The network gets three
    outputs, one logit per class, the loss is `softmax_cross_entropy` (the mean over a batch
    of $-\log \operatorname{softmax}(z)_y$), and the optimizer is Adam, in mini-batches of
    20 for 30 epochs. `nn.fit` returns a `History` of the loss and accuracy per epoch.
    '''),
    code(r'''
    Xs, ys = nn.data.make_spiral(40, classes=3, noise=0.2, seed=0)
    spiral_model = MLP(2, [16, 16, 3], seed=1)
    history = nn.fit(spiral_model, Xs, ys, loss="softmax_cross_entropy",
                     optimizer=nn.optim.Adam(spiral_model.parameters(), lr=0.05),
                     epochs=30, batch_size=20, progress=False, seed=0)
    spiral_accuracy = float(np.mean(np.argmax(predict(spiral_model, Xs), axis=1) == ys))
    print(f"mean loss in epoch 1: {history.loss[0]:.3f}, in epoch 30: {history.loss[-1]:.3f}")
    print(f"training accuracy after training: {spiral_accuracy:.3f} (chance: 1/3)")
    '''),
    code(r'''
    assert history.loss[-1] < history.loss[0] / 5  # measured: 1.02 → 0.06
    assert spiral_accuracy >= 0.9                   # measured: 0.975, against 1/3 by chance
    '''),
    md(r'''
    `nn.plot` draws both pictures for any model (`make demo` writes them to files):
    the loss and accuracy per epoch, and the decision regions, the argmax of the three
    outputs.
    '''),
    code(r'''
    nn.plot.loss_curve(history, title="spirals: softmax cross-entropy, Adam")
    nn.plot.decision_boundary(spiral_model, Xs, ys, resolution=100, title="spirals: decision regions")
    plt.show()
    '''),
    md(r'''
    **Next:** notebook 04 asks how far finite differences, the check used throughout,
    can be trusted, and what a wrong derivative looks like.
    '''),
]


# ---- 04: gradient checking ---------------------------------------------------------

NB04 = [
    md(r'''
    # 04 · Gradient checking: finite differences in practice

    `backward()` is only as right as each op's derivative rule. The check every framework
    uses is a finite difference:

    $$f'(x) \approx \frac{f(x + \varepsilon) - f(x - \varepsilon)}{2\varepsilon} \;\;(\text{central}), \qquad
    f'(x) \approx \frac{f(x + \varepsilon) - f(x)}{\varepsilon} \;\;(\text{forward}).$$

    **Two errors pull against each other.** Taylor's theorem gives the *truncation* error:
    $\frac{f^{(3)}(x)}{6}\varepsilon^2$ for the central difference, $\frac{f''(x)}{2}\varepsilon$
    for the forward one; it shrinks with $\varepsilon$. But a float carries about 16 digits:
    $f(x \pm \varepsilon)$ are each rounded by about $\epsilon_\text{mach}\,|f(x)|$, with
    $\epsilon_\text{mach} = 2^{-52} \approx 2.2 \times 10^{-16}$, and dividing their difference by
    $2\varepsilon$ magnifies that *round-off* error to about $\epsilon_\text{mach} |f| / \varepsilon$,
    which grows as $\varepsilon$ shrinks. In total, for the central difference,

    $$\text{error}(\varepsilon) \approx \frac{|f^{(3)}|}{6}\,\varepsilon^2 + \frac{\epsilon_\text{mach}\,|f|}{\varepsilon},$$

    smallest near $\varepsilon^* \sim \epsilon_\text{mach}^{1/3} \approx 6 \times 10^{-6}$
    (forward: $\epsilon_\text{mach}^{1/2} \approx 1.5 \times 10^{-8}$, and a larger minimum).
    On a log-log plot that is a **V**: slope $-1$ on the left, $+2$ on the right.

    You will see that V measured; `gradcheck`'s $\varepsilon = 10^{-6}$ at its bottom; a
    correct function failing the check when $\varepsilon$ is badly chosen or the function
    has a kink; and then a deliberately wrong derivative in a custom op: caught by
    `gradcheck`, pinned to one node by `check_ops`, and drawn red by `draw_dot(check=True)`.
    '''),
    code(r'''
    import math

    import matplotlib.pyplot as plt
    import numpy as np

    import autograd
    from autograd import Value, draw_dot, sigmoid
    '''),
    md(r'''
    ## The V: error against step size

    A smooth function, $f(x) = \sin(x)\,e^x$, whose derivative we know exactly:
    `autograd.grad(f)` runs `backward()`, and the closed form is
    $f'(x) = e^x(\sin x + \cos x)$.
    '''),
    code(r'''
    def f(x):
        return x.sin() * x.exp()


    df = autograd.grad(f)  # a function of floats: x ↦ f'(x) by backward()


    def f_float(x):
        return f(Value(x)).data


    assert math.isclose(df(1.0), math.exp(1.0) * (math.sin(1.0) + math.cos(1.0)), rel_tol=1e-14)
    '''),
    md(r'''
    The error of each difference, for $\varepsilon$ from $10^{-14}$ to $10^{-0.5}$, as the
    root mean square over 21 points $x \in [0.5, 1.5]$. (At a single point, round-off is
    a matter of luck: some $\varepsilon$ happen to round favourably. The average shows the trend.)
    '''),
    code(r'''
    xs = np.linspace(0.5, 1.5, 21)
    exact = np.array([df(x) for x in xs])
    steps = 10.0 ** np.arange(-14, -0.49, 0.25)


    def rms_error(difference):
        return np.array([np.sqrt(np.mean([(difference(x, h) - d) ** 2 for x, d in zip(xs, exact)])) for h in steps])


    central = rms_error(lambda x, h: (f_float(x + h) - f_float(x - h)) / (2 * h))
    forward = rms_error(lambda x, h: (f_float(x + h) - f_float(x)) / h)
    best_central, best_forward = steps[np.argmin(central)], steps[np.argmin(forward)]
    machine_eps = np.finfo(float).eps
    print(f"central: smallest error {central.min():.1e} at ε = {best_central:.1e}",
          f"(ε_mach^(1/3) = {machine_eps ** (1 / 3):.1e})")
    print(f"forward: smallest error {forward.min():.1e} at ε = {best_forward:.1e}",
          f"(ε_mach^(1/2) = {machine_eps ** 0.5:.1e})")
    '''),
    code(r'''
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    ax.loglog(steps, central, "o-", ms=3, label="central difference")
    ax.loglog(steps, forward, "s-", ms=3, label="forward difference")
    ax.loglog(steps, 2 * machine_eps / steps, "k:", lw=1, label="round-off ∝ ε_mach / ε")
    ax.loglog(steps, 0.5 * steps ** 2, "k--", lw=1, label="truncation ∝ ε²")
    ax.axvline(1e-6, color="tab:green", lw=1, label="gradcheck's default ε = 1e-6")
    ax.set(xlabel="step ε", ylabel="RMS error of f′", ylim=(1e-13, 1), title="finite differences: error against ε")
    ax.legend(fontsize=7)
    fig.tight_layout()
    plt.show()
    '''),
    md(r'''
    The V, measured: the slopes of its two arms, the position of its bottom, and how
    much the error grows at both ends.
    '''),
    code(r'''
    right, left = steps >= 1e-3, steps <= 1e-9
    slope_right = np.polyfit(np.log10(steps[right]), np.log10(central[right]), 1)[0]
    slope_left = np.polyfit(np.log10(steps[left]), np.log10(central[left]), 1)[0]
    slope_forward = np.polyfit(np.log10(steps[steps >= 1e-4]), np.log10(forward[steps >= 1e-4]), 1)[0]
    print(f"central: slope {slope_left:+.2f} on the left (round-off), {slope_right:+.2f} on the right (truncation)")
    print(f"forward: slope {slope_forward:+.2f} on the right")
    print(f"error at ε = 1e-14: {central[0]:.1e};  at the bottom: {central.min():.1e};",
          f" at ε = 10^-0.5: {central[-1]:.1e}")
    '''),
    code(r'''
    assert 1.9 < slope_right < 2.1             # truncation O(ε²)
    assert -1.2 < slope_left < -0.8            # round-off O(ε_mach / ε)
    assert 0.9 < slope_forward < 1.1           # the forward difference truncates at O(ε)
    assert 1e-6 <= best_central <= 3e-5        # the bottom of the V: ε ~ 1e-5 .. 1e-6
    assert central[0] > 1e6 * central.min() and central[-1] > 1e6 * central.min()  # grows at both ends
    assert 1e-9 <= best_forward <= 1e-7        # forward: ε ~ √ε_mach
    assert forward.min() > 100 * central.min() # and never as good as central
    assert best_central / 10 <= 1e-6 <= best_central * 10  # gradcheck's default sits near the bottom
    '''),
    md(r'''
    ## When a correct gradient fails the check

    `gradcheck(f, inputs)` compares `backward()` with the central difference and accepts
    $|\text{analytic} - \text{numeric}| \le 10^{-6} + 10^{-4}\,|\text{numeric}|$. With the
    default $\varepsilon = 10^{-6}$ our $f$ passes; at either end of the V the *check* is
    wrong, not the gradient:
    '''),
    code(r'''
    reports = {eps: autograd.gradcheck(f, [1.0], eps=eps) for eps in (1e-1, 1e-6, 1e-13)}
    for eps, report in reports.items():
        print(f"eps = {eps:g}\n{report}\n")
    '''),
    code(r'''
    assert [report.ok for report in reports.values()] == [False, True, False]
    '''),
    md(r'''
    A **kink** fails it too. $\mathrm{relu}$ has no derivative at 0; deltagrad uses
    $\mathrm{relu}'(0) = 0$, as PyTorch does, while the central difference straddles the kink
    and finds the average slope, $\frac12$:
    '''),
    code(r'''
    at_kink = autograd.gradcheck(lambda v: v.relu(), [0.0])
    at_kink
    '''),
    md(r'''
    `check_ops`, the per-op check, knows each op's kinks (from the op table) and does not
    judge a point within $\varepsilon$ of one; it says so in the table:
    '''),
    code(r'''
    z = Value(0.0, label="z")
    r = z.relu()
    r.label = "r"
    r.backward()
    kink_ops = autograd.check_ops(r)
    kink_ops
    '''),
    code(r'''
    assert not at_kink.ok and at_kink.rows[0].analytic == 0.0 and abs(at_kink.rows[0].numeric - 0.5) < 1e-9
    assert kink_ops.ok and kink_ops.rows[0].note == "at a kink"
    '''),
    md(r'''
    ## A wrong derivative

    Swish (also called SiLU), $s(x) = x\,\sigma(x)$. By the product rule

    $$s'(x) = \sigma(x) + x\,\sigma(x)\,(1 - \sigma(x)).$$

    A classic slip drops the first term: differentiate $\sigma$ and forget that $x$ itself
    has derivative 1. `autograd.defop` registers a custom op from its forward and its
    derivative; we register the correct version and the slip. (`replace=True` lets the cell
    run twice; the last cell removes both ops again.)
    '''),
    code(r'''
    swish = autograd.defop(
        "swish", lambda x: x * sigmoid(x),
        derivatives=[lambda x: sigmoid(x) + x * sigmoid(x) * (1 - sigmoid(x))],
        formula="d/dx = σ(x) + x·σ(x)(1 − σ(x))", replace=True)
    swish_wrong = autograd.defop(
        "swish_wrong", lambda x: x * sigmoid(x),
        derivatives=[lambda x: x * sigmoid(x) * (1 - sigmoid(x))],  # the product rule's σ(x) is missing
        formula="d/dx = x·σ(x)(1 − σ(x))  (wrong)", replace=True)
    print(swish(0.0), swish_wrong(0.0), swish(Value(2.0)))
    '''),
    md(r'''
    ### In `gradcheck`

    A neuron with a swish activation followed by $\tanh$, $\tanh(s(w x + b))$. With the
    wrong op every input's gradient is off, and `gradcheck` says so, but not *where* the
    mistake is: all three are wrong by the same factor, because they share the bad node.
    '''),
    code(r'''
    def neuron(activation):
        def forward(x, w, b):
            return activation(w * x + b).tanh()

        forward.__name__ = f"tanh({activation.name}(w*x + b))"
        return forward


    inputs = [Value(0.5, label="x"), Value(-1.5, label="w"), Value(1.0, label="b")]
    wrong = autograd.gradcheck(neuron(swish_wrong), inputs)
    right = autograd.gradcheck(neuron(swish), inputs)
    print(wrong, right, sep="\n\n")
    '''),
    code(r'''
    assert not wrong.ok and len(wrong.failures) == 3
    assert right.ok
    ratios = [row.analytic / row.numeric for row in wrong.rows]
    assert max(ratios) - min(ratios) < 1e-6  # one shared factor: one bad node upstream of all three
    '''),
    md(r'''
    ### In the per-op check

    `check_ops(root)` checks every op node of a graph on its own: the rule's local
    derivative against a finite difference of that op's forward alone. The mistake now has
    an address: node `h`, op `swish_wrong`, its input 0. The analytic number is the slip's
    formula, the numeric one the true derivative:
    '''),
    code(r'''
    x, w, b = Value(0.5, label="x"), Value(-1.5, label="w"), Value(1.0, label="b")
    pre = w * x + b
    pre.label = "in"
    h = swish_wrong(pre)
    h.label = "h"
    out = h.tanh()
    out.label = "out"
    out.backward()
    per_op = autograd.check_ops(out)
    per_op
    '''),
    code(r'''
    s = sigmoid(pre.data)
    (failure,) = per_op.failures
    assert failure.where == "h swish_wrong ∂/∂in0" and per_op.failed_nodes() == [h]
    assert len(per_op.rows) == 6 and sum(row.ok for row in per_op.rows) == 5
    assert math.isclose(failure.analytic, pre.data * s * (1 - s), rel_tol=1e-12)     # the slip
    assert math.isclose(failure.numeric, s + pre.data * s * (1 - s), rel_tol=1e-6)   # the truth
    '''),
    md(r'''
    ### In the picture

    `draw_dot(out, check=True)` runs `check_ops` and draws each disagreeing op with a red
    border and both numbers; the legend counts them.
    '''),
    code(r'''
    draw_dot(out, check=True)
    '''),
    code(r'''
    wrong_source = draw_dot(out, check=True).source
    assert wrong_source.count('class="op failed"') == 1
    assert "swish_wrong<BR/>∂/∂in0: analytic 0.0615335, numeric 0.62371" in wrong_source
    assert "check: 1 of 4 ops disagrees with finite differences" in wrong_source
    '''),
    md(r'''
    The same neuron with the correct `swish`: no red, and the legend says all ops agree.
    '''),
    code(r'''
    x, w, b = Value(0.5, label="x"), Value(-1.5, label="w"), Value(1.0, label="b")
    pre = w * x + b
    pre.label = "in"
    h = swish(pre)
    h.label = "h"
    out = h.tanh()
    out.label = "out"
    out.backward()
    draw_dot(out, check=True)
    '''),
    code(r'''
    right_source = draw_dot(out, check=True).source
    assert "op failed" not in right_source
    assert "check: all 4 ops agree with finite differences" in right_source
    assert autograd.check_ops(out).ok
    '''),
    md(r'''
    ### Every op at once

    `autograd.check.check_all_ops()` (what `deltagrad check` runs on the command line)
    checks every registered op, built-in and custom, at five points of its domain. Only
    the slip fails:
    '''),
    code(r'''
    every_op = autograd.check.check_all_ops()
    print(every_op.table().splitlines()[0])
    failing_ops = sorted({row.where.split("(")[0] for row in every_op.failures})
    failing_ops
    '''),
    code(r'''
    assert failing_ops == ["swish_wrong"] and len(every_op.failures) == 5
    '''),
    md(r'''
    ## Clean up

    Custom ops live in the global registry `autograd.REGISTRY`; remove ours, so that the
    registry holds exactly the built-in table again.
    '''),
    code(r'''
    for name in ("swish", "swish_wrong"):
        autograd.REGISTRY.pop(name, None)
    assert list(autograd.REGISTRY) == [op.name for op in autograd.ops.builtin_ops()]
    '''),
]


NOTEBOOKS = {
    "01_value_and_backward.ipynb": NB01,
    "02_delta_rules.ipynb": NB02,
    "03_training_an_mlp.ipynb": NB03,
    "04_gradient_checking.ipynb": NB04,
}


# ---- building ------------------------------------------------------------------------

def assemble(name: str, cells: list[nbformat.NotebookNode]) -> nbformat.NotebookNode:
    """A notebook of `cells` with fixed cell ids and the python3 kernel."""
    nb = nbformat.v4.new_notebook()
    prefix = "nb" + name[:2]
    for i, cell in enumerate(cells, 1):
        cell["id"] = f"{prefix}-{i:02d}"
    nb.cells = cells
    nb.metadata["kernelspec"] = dict(KERNEL)
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def clean_outputs(nb: nbformat.NotebookNode, name: str) -> None:
    """Drops a graph's text/plain fallback (`<GraphDrawing at 0x...>`) where an SVG is
    stored, and refuses any other output that holds a memory address."""
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "image/svg+xml" in data:
                data.pop("text/plain", None)
            text = str(data.get("text/plain", "")) + str(output.get("text", ""))
            if MEMORY_ADDRESS.search(text):
                raise RuntimeError(f"{name}, cell {cell['id']}: an output holds a memory address: {text[:120]!r}")


def build(name: str) -> float:
    """Writes, executes and stores one notebook; returns the seconds it took to run."""
    nb = assemble(name, NOTEBOOKS[name])
    client = NotebookClient(nb, timeout=600, kernel_name=KERNEL["name"], record_timing=False,
                            coalesce_streams=True, resources={"metadata": {"path": str(HERE)}})
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    clean_outputs(nb, name)
    nbformat.validate(nb)
    nbformat.write(nb, HERE / name)
    return seconds


def main(prefixes: list[str]) -> None:
    names = [n for n in NOTEBOOKS if not prefixes or any(n.startswith(p) for p in prefixes)]
    if not names:
        raise SystemExit(f"no notebook starts with {' or '.join(prefixes)}; choose from {', '.join(NOTEBOOKS)}")
    for name in names:
        seconds = build(name)
        size = (HERE / name).stat().st_size
        print(f"{name}: ran in {seconds:.1f} s, {size / 1024:.0f} KiB")


if __name__ == "__main__":
    main(sys.argv[1:])
