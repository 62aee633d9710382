# %% [markdown]
# # 01 · Values and `backward()`: the chain rule, node by node
#
# deltagrad records every arithmetic operation on a `Value` into a graph. Each `Value`
# holds a number, `data`, and after `backward()` the derivative of the final output
# with respect to it, `grad`. In this notebook you will
#
# 1. build the lecture's expression $L = (a\,b + c)\,f$ and draw its graph;
# 2. apply the chain rule by hand, node by node, and watch `backward()` produce the same numbers;
# 3. see why gradients **add up** when a node is used more than once;
# 4. backpropagate through one neuron, $a = \tanh(x_1 w_1 + x_2 w_2 + b)$;
# 5. run `backward()` through a chain of 1,000,000 nodes and compare with the closed form.
#
# **The chain rule.** If $L$ depends on $x$ only through $y$, then
#
# $$\frac{\partial L}{\partial x} = \frac{\partial L}{\partial y}\,\frac{\partial y}{\partial x}.$$
#
# $\partial L/\partial y$ is the *upstream* gradient, already known when a walk backwards
# from $L$ reaches $y$; $\partial y/\partial x$ is the *local* derivative of a single op:
# $\partial(xz)/\partial x = z$, $\partial(x+z)/\partial x = 1$, $\frac{d}{dx}\tanh x = 1 - \tanh^2 x$.
# `backward()` visits the nodes in reverse topological order (each node after every node
# computed from it) and passes *upstream × local* to each input, where it is **added**
# (`+=`) to the input's `grad`.
#
# **The seeds' names.** A neuron's weighted sum is $in_j$ in the Monash notes (seed 000)
# and $z^l_j$ in seed 001; its output is $a_j = g(in_j)$. In code a neuron's sum node
# carries the label `"in"` and its output the label `"a"` (section 4, and notebook 02).
#
# Every claim below is checked by an `assert` cell: if the notebook runs to the end,
# the numbers in the text are right.

# %%
import math
import sys
import tempfile
from pathlib import Path

from IPython.display import Image, display

import autograd
from autograd import Value, draw_dot

# %% [markdown]
# ## 1. Building an expression
#
# Values combine with `+ - * / **` and with methods such as `tanh()` and `exp()`.
# Labels are optional; they name the boxes in the picture.

# %%
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

# %% [markdown]
# The forward pass computed $e = ab = -6$, $d = e + c = 4$, $L = d\,f = -8$. Each result
# remembers its op and the Values it was computed from:

# %%
print(f"L = {L.data}: op {L.op!r} of {[v.label for v in L.inputs]}")
print(f"d = {d.data}: op {d.op!r} of {[v.label for v in d.inputs]}")
print(f"e = {e.data}: op {e.op!r} of {[v.label for v in e.inputs]}")

# %%
assert (e.data, d.data, L.data) == (-6.0, 4.0, -8.0)
assert L.op == "*" and L.inputs == (d, f) and d.inputs == (e, c) and e.inputs == (a, b)
assert a.is_leaf() and not L.is_leaf()

# %% [markdown]
# The graph, left to right: a box per Value (`label | data | grad`), an oval per op.
# Inputs are blue, the output green. Every `grad` is still 0: nothing has been
# differentiated yet.

# %%
draw_dot(L)

# %% [markdown]
# ## 2. The chain rule by hand, then `backward()`
#
# Start at the output, $\partial L/\partial L = 1$, and walk back one op at a time:
#
# $$\frac{\partial L}{\partial d} = f = -2, \qquad \frac{\partial L}{\partial f} = d = 4
# \qquad (L = d\,f)$$
#
# $$\frac{\partial L}{\partial e} = \frac{\partial L}{\partial d}\cdot 1 = -2, \qquad
# \frac{\partial L}{\partial c} = \frac{\partial L}{\partial d}\cdot 1 = -2 \qquad (d = e + c)$$
#
# $$\frac{\partial L}{\partial a} = \frac{\partial L}{\partial e}\cdot b = (-2)(-3) = 6, \qquad
# \frac{\partial L}{\partial b} = \frac{\partial L}{\partial e}\cdot a = (-2)(2) = -4 \qquad (e = a\,b)$$
#
# The same walk in Python, each line *upstream × local*:

# %%
dL_dL = 1.0
dL_dd = dL_dL * f.data  # L = d * f:  ∂L/∂d = f
dL_df = dL_dL * d.data  #             ∂L/∂f = d
dL_de = dL_dd * 1.0     # d = e + c:  ∂d/∂e = 1
dL_dc = dL_dd * 1.0     #             ∂d/∂c = 1
dL_da = dL_de * b.data  # e = a * b:  ∂e/∂a = b
dL_db = dL_de * a.data  #             ∂e/∂b = a
by_hand = {"a": dL_da, "b": dL_db, "c": dL_dc, "d": dL_dd, "e": dL_de, "f": dL_df, "L": dL_dL}
by_hand

# %% [markdown]
# `backward()` does exactly this walk, using each op's rule from the op table:

# %%
L.backward()
by_backward = {v.label: v.grad for v in (a, b, c, d, e, f, L)}
by_backward

# %%
assert by_backward == by_hand
assert (L.data, a.grad, b.grad, c.grad, f.grad) == (-8.0, 6.0, -4.0, -2.0, 4.0)

# %% [markdown]
# The order of the walk: `topological_order` lists every node after its inputs (the
# order of the forward pass); `backward()` goes through it in reverse.

# %%
order = autograd.topological_order(L)
print(" → ".join(v.label for v in order))

# %%
position = {v: i for i, v in enumerate(order)}
assert len(order) == 7
assert all(position[x] < position[v] for v in order for x in v.inputs)

# %% [markdown]
# After `backward()` every box shows its gradient:

# %%
draw_dot(L)


# %% [markdown]
# **Watch it happen.** `autograd.backward_steps(L)` lists the steps `backward()` takes, as data,
# without touching any `.grad`: at each node, the upstream gradient $\partial L/\partial n$, and
# for each input its local derivative, its contribution *upstream × local*, and its gradient
# before and after. Printed, it is the chain rule above as a table. (Leaves start from the
# gradient they hold, as `backward()` adds to it: reset them first, as `zero_grad()` would.)

# %%
for leaf in (a, b, c, f):
    leaf.grad = 0.0
steps = autograd.backward_steps(L)
print(steps)

# %%
assert [s.node for s in steps] == [L, d, e]  # the order backward() visits them
assert steps[-1].caption.startswith("∂L/∂a += ∂L/∂e · ∂e/∂a = (−2.0000) · (−3.0000) = 6.0000")
assert {x.value.label: x.after for s in steps for x in s.inputs} == {k: v for k, v in by_backward.items() if k != "L"}

# %% [markdown]
# `autograd.animate(L)` draws one frame per step, the forward pass first: the node of the step
# and the edges its gradient flows along are highlighted, and a gradient not reached yet reads
# `grad ?`. Press *next* or *play*, or use the arrow keys (the player needs no kernel). Below
# it, the same as a GIF, for pages that run no JavaScript (GitHub shows this one).

# %%
animation = autograd.animate(L)
display(animation)
Image(data=animation.to_gif(), format="gif")

# %%
assert len(animation.frames) == 6  # 3 forward steps, then 3 backward

# %% [markdown]
# **What a gradient means.** $\partial L/\partial a = 6$ says: nudge $a$ by a small $h$ and
# $L$ moves by about $6h$. A central difference, $(L(a+h) - L(a-h))/2h$, measures that
# directly, without any graph (notebook 04 looks at how well):

# %%
def L_of(a, b, c, f):
    return (a * b + c) * f

point = {"a": 2.0, "b": -3.0, "c": 10.0, "f": -2.0}
h = 1e-6

def L_nudged(name, step):
    return L_of(**{**point, name: point[name] + step})

numeric = {name: (L_nudged(name, h) - L_nudged(name, -h)) / (2 * h) for name in point}
{name: round(value, 6) for name, value in numeric.items()}

# %%
assert all(abs(numeric[name] - by_backward[name]) < 1e-5 for name in point)

# %% [markdown]
# `autograd.gradcheck` does the same for any function of Values, and prints a table:

# %%
report = autograd.gradcheck(L_of, [a, b, c, f])
report

# %%
assert report.ok and len(report.rows) == 4 and report.max_abs_error < 1e-5

# %% [markdown]
# **Pictures as files.** `autograd.render` writes `.svg`, `.png`, `.pdf` or `.dot`; here into a
# temporary directory, so running the notebook leaves nothing behind. A Digraph's
# `pipe()` returns the rendered bytes without writing a file. The same graph always gives
# the same DOT source (nodes are named by the walk, not by memory addresses).

# %%
with tempfile.TemporaryDirectory() as tmp:
    svg_text = autograd.render(L, Path(tmp) / "lecture.svg").read_text(encoding="utf-8")
    dot_text = autograd.render(L, Path(tmp) / "lecture.dot").read_text(encoding="utf-8")
png = draw_dot(L).pipe(format="png")
print(f"SVG: {len(svg_text):,} characters; DOT: {len(dot_text):,} characters; PNG: {png[1:4].decode()} image")

# %%
assert svg_text.startswith("<?xml") and "<svg" in svg_text
assert png.startswith(b"\x89PNG\r\n\x1a\n")
assert dot_text == draw_dot(L).source

# %% [markdown]
# ## 3. Reused nodes: gradients add up
#
# When a Value feeds two ops, the output depends on it along two paths, and the
# multivariable chain rule **sums** the paths:
# $\frac{\partial L}{\partial x} = \sum_{\text{paths}} \prod \text{local derivatives}$.
# That is why `backward()` accumulates with `+=`. An engine that assigned (`=`) would
# keep only the last path: the bug fixed halfway through micrograd's lecture.
# The smallest case, $y = x + x$:

# %%
x = Value(3.0, label="x")
y = x + x
y.label = "y"
y.backward()
x.grad

# %%
assert x.grad == 2.0  # one path through each input slot of +

# %% [markdown]
# The lecture's example: $d = ab$, $e = a + b$, $f = d\,e$, with $a = -2$, $b = 3$.
# By hand, summing both paths:
#
# $$\frac{\partial f}{\partial a} = e\,\frac{\partial d}{\partial a} + d\,\frac{\partial e}{\partial a}
# = e\,b + d = (1)(3) + (-6) = -3, \qquad
# \frac{\partial f}{\partial b} = e\,a + d = (1)(-2) + (-6) = -8.$$

# %%
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

# %%
assert (a.grad, b.grad) == (e.data * b.data + d.data, e.data * a.data + d.data) == (-3.0, -8.0)

# %% [markdown]
# In the picture `a` and `b` each have two outgoing edges: one per path.

# %%
draw_dot(f)

# %% [markdown]
# **Across calls, too.** Leaves keep adding across `backward()` calls, as in PyTorch:
# differentiate twice and the gradients double. That is why every training step starts
# with `zero_grad()` (for a lone Value: `v.grad = 0.0`).

# %%
f.backward()  # a second time, without resetting
twice = (a.grad, b.grad)
a.grad = b.grad = 0.0
f.backward()
once = (a.grad, b.grad)
print("without zero_grad:", twice, "  after resetting:", once)

# %%
assert twice == (-6.0, -16.0) and once == (-3.0, -8.0)

# %% [markdown]
# ## 4. A neuron
#
# A neuron computes its net input $in = \sum_i w_i x_i + b$ and its activation
# $a = g(in)$; here $g = \tanh$, whose derivative is $g'(in) = 1 - \tanh^2(in) = 1 - a^2$.
# The lecture picks $b = 6.8813735870195432$ so that $in = 0.8814$, $a = 1/\sqrt{2}$ and
# $g'(in) = 1/2$. Then by the chain rule
#
# $$\frac{\partial a}{\partial w_i} = g'(in)\,x_i, \qquad \frac{\partial a}{\partial x_i} = g'(in)\,w_i:
# \qquad \frac{\partial a}{\partial x_1} = \tfrac12(-3) = -1.5,\;
# \frac{\partial a}{\partial w_1} = \tfrac12(2) = 1,\;
# \frac{\partial a}{\partial x_2} = \tfrac12(1) = 0.5,\;
# \frac{\partial a}{\partial w_2} = \tfrac12(0) = 0.$$

# %%
x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
bias = Value(6.8813735870195432, label="b")
net = x1 * w1 + x2 * w2 + bias
net.label = "in"
out = net.tanh()
out.label = "a"
out.backward()
{v.label: round(v.grad, 12) for v in (x1, w1, x2, w2, bias, net)}

# %%
g_prime = 1 - out.data ** 2  # tanh'(in) = 1 − a²
assert math.isclose(out.data, 1 / math.sqrt(2), rel_tol=1e-12) and math.isclose(g_prime, 0.5, rel_tol=1e-12)
for leaf, other in ((x1, w1), (w1, x1), (x2, w2), (w2, x2)):
    assert math.isclose(leaf.grad, g_prime * other.data, rel_tol=1e-12, abs_tol=1e-15)
expected = {"x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0, "b": 0.5}
assert all(math.isclose(v.grad, expected[v.label], abs_tol=1e-12) for v in (x1, w1, x2, w2, bias))

# %%
draw_dot(out)

# %% [markdown]
# **An op is a shortcut for its composition.** The op table knows $\tanh$'s derivative in
# one line, $1 - \tanh^2$. Spell $\tanh$ out instead, $\tanh(n) = \frac{e^{2n} - 1}{e^{2n} + 1}$,
# and `backward()` reaches the same gradients through `*`, `exp`, `-`, `+` and `/`:

# %%
for v in (x1, w1, x2, w2, bias):
    v.grad = 0.0
e2n = (2 * net).exp()
out_spelled = (e2n - 1) / (e2n + 1)
out_spelled.backward()
spelled = {v.label: round(v.grad, 12) for v in (x1, w1, x2, w2, bias)}
spelled

# %%
assert math.isclose(out_spelled.data, out.data, rel_tol=1e-12)
assert all(math.isclose(v.grad, expected[v.label], abs_tol=1e-12) for v in (x1, w1, x2, w2, bias))

# %% [markdown]
# ## 5. A chain of 1,000,000 nodes
#
# Multiply $x$ by the same $k$ a million times: $y = x\,k^n$ with $n = 10^6$. The closed
# form gives both gradients:
#
# $$\frac{\partial y}{\partial x} = k^n, \qquad \frac{\partial y}{\partial k} = n\,x\,k^{n-1}
# \quad(\text{one node } k \text{ on } n \text{ paths, summed}).$$
#
# With $x = 1$ and $k = 1 + 1/n$, $y = (1 + 1/n)^n$, Bernoulli's compound interest, which
# tends to $e$ (from below, by about $e/2n$).
#
# A recursive topological sort, as micrograd's, needs one Python frame per node and
# stops at Python's recursion limit, a thousand frames deep by default. deltagrad walks
# the graph with explicit stacks, so depth costs only memory: this cell takes a few
# seconds and a few hundred MB.

# %%
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

# %%
assert nodes == n + 2  # x, k and one product per step
assert recursive == "RecursionError"
assert math.isclose(y.data, closed_dx, rel_tol=1e-9)
assert math.isclose(x.grad, closed_dx, rel_tol=1e-9)
assert math.isclose(k.grad, closed_dk, rel_tol=1e-9)
assert 0 < math.e - x.grad < 2e-6  # (1 + 1/n)ⁿ < e, short of it by ≈ e/2n = 1.36e-6
del y  # frees the million nodes

# %% [markdown]
# The same chain with $n = 3$ fits in a picture: `k` feeds every product, so its gradient
# collects three paths, $3 x k^2$.

# %%
x = Value(1.0, label="x")
k = Value(1.5, label="k")
y = x
for _ in range(3):
    y = y * k
y.label = "y"
y.backward()
draw_dot(y)

# %%
assert (y.data, x.grad, k.grad) == (1.5 ** 3, 1.5 ** 3, 3 * 1.5 ** 2)

# %% [markdown]
# **Next:** notebook 02 runs the same `backward()` through a small network and sets it
# beside the seeds' hand-derived Δ rules.
