# %% [markdown]
# # 02 · The Δ rules, made executable
#
# Backpropagation in a network is notebook 01's chain rule, organised layer by layer.
# The seeds write it two ways: the Monash notes (seed 000) unit by unit, with a $\Delta$
# per unit; seed 001 as matrices, with a $\delta$ per layer. This notebook computes both
# by hand in NumPy, next to `backward()` and finite differences, on a small sigmoid
# network, and checks that all four agree.
#
# | | Monash notes (seed 000) | seed 001 | code |
# |---|---|---|---|
# | net input of unit $j$ | $in_j = \sum_i w_{i,j}\,a_i$ (+ bias) | $z^l_j = \sum_i w^l_{ji}\,a^{l-1}_i + b^l_j$ | the Value labelled `"in"`; `z[l]` below |
# | activation | $a_j = g(in_j)$ | $a^l_j = \sigma(z^l_j)$ | the Value labelled `"a"`; `a[l]` below |
# | error | $E = \frac12 \sum_k (y_k - a_k)^2$ | $C = \frac12 \lVert y - a^L \rVert^2$ | `nn.losses.half_sse` |
# | the delta | $\Delta_j = -\partial E / \partial in_j$ | $\delta^l_j = \partial C / \partial z^l_j$ | `Delta[l]`, `delta[l]`: $\delta = -\Delta$ |
# | a weight | $w_{j,k}$: unit $j$ → unit $k$ | $w^l_{kj}$: unit $j$ of layer $l-1$ → unit $k$ of layer $l$ | `W[l][k, j]` = `model.layers[l].neurons[k].w[j]` |
#
# (The Wikipedia part of seed 000 writes $net_j$ and $o_j = \varphi(net_j)$ for the same
# $in_j$ and $a_j$.) In the code, layers count from 0: `W[0]` is the seeds' $W^1$, and
# `a[0]` is the input $x$.
#
# **The rules** for $E = \frac12\sum_k (y_k - a_k)^2$, so that $\partial E/\partial a_k = a_k - y_k$:
#
# $$\text{output unit } k:\quad \Delta_k = (y_k - a_k)\,g'(in_k), \qquad
# \text{hidden unit } j:\quad \Delta_j = g'(in_j) \sum_k w_{j,k}\,\Delta_k,$$
#
# $$\text{update:}\quad w_{i,j} \leftarrow w_{i,j} + \alpha\, a_i\, \Delta_j .$$
#
# (The seed's second update line reads $w_{j,k} \leftarrow w{i,j} + \alpha \times a_i \times \Delta_j$,
# a typo for the line above.) As matrices (seed 001):
#
# $$\delta^L = \nabla_a C \odot \sigma'(z^L), \qquad
# \delta^l = \big((W^{l+1})^\top \delta^{l+1}\big) \odot \sigma'(z^l), \qquad
# \frac{\partial C}{\partial b^l} = \delta^l, \qquad
# \frac{\partial C}{\partial W^l} = \delta^l\,(a^{l-1})^\top .$$
#
# For the sigmoid, $g'(in) = \sigma(in)\,(1 - \sigma(in)) = a\,(1 - a)$: seed 000's
# "convenient derivative".
#
# **Why these are the chain rule.** A weight $w_{i,j}$ reaches $E$ only through $in_j$, and
# $\partial in_j / \partial w_{i,j} = a_i$, so $\partial E/\partial w_{i,j} = a_i\,\partial E/\partial in_j = -a_i\,\Delta_j$:
# the update $+\alpha a_i \Delta_j$ is a step of gradient descent. A hidden $in_j$ reaches
# $E$ through $a_j$ and every $in_k$ of the next layer, so
# $\partial E/\partial in_j = g'(in_j) \sum_k w_{j,k}\,\partial E/\partial in_k$: the hidden rule.

# %%
import numpy as np
from IPython.display import Image, display

import autograd
import nn
from autograd import Value, draw_dot
from nn import MLP
from nn.losses import half_sse

np.set_printoptions(precision=6)

# %% [markdown]
# ## A network and one sample
#
# Two inputs, three hidden sigmoid units, two sigmoid outputs; `seed=0` fixes the
# initial weights (micrograd's $U(-1, 1)$, biases 0).

# %%
model = MLP(2, [3, 2], activation="sigmoid", out_activation="sigmoid", seed=0)
x = [0.5, -1.0]
y = [1.0, 0.0]
model


# %% [markdown]
# ## The forward pass by hand
#
# `nn.delta.weights(model)` copies the weights out of the model as matrices, $W^l$ of
# shape (units, inputs), and the biases $b^l$. Then $z^l = W^l a^{l-1} + b^l$ and
# $a^l = \sigma(z^l)$:

# %%
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

# %% [markdown]
# The model computes the same through its Value graph (the inputs given as labelled
# Values, so that the picture below shows them). Each neuron's net input is a node
# labelled `"in"`, tagged with the neuron's name (its scope):

# %%
inputs = [Value(xi, label=f"x{i + 1}") for i, xi in enumerate(x)]
out = model(inputs)
E_graph = half_sse(out, y)
E_graph.backward()
net_inputs = {v.scope: v for v in autograd.topological_order(E_graph) if v.label == "in"}
for scope in sorted(net_inputs):
    print(f"{scope}: in = {net_inputs[scope].data:.12f}")

# %%
assert abs(E_graph.data - E) < 1e-12
assert max(abs(o.data - ak) for o, ak in zip(out, a[-1])) < 1e-12
assert len(net_inputs) == 5
assert all(abs(net_inputs[f"layers.{li}.neurons.{j}"].data - z[li][j]) < 1e-12
           for li in range(2) for j in range(len(z[li])))


# %% [markdown]
# ## The Monash rules, unit by unit
#
# Written with loops, exactly as seed 000 states them. Remember `W[l][k, j]` is the
# Monash $w_{j,k}$, the weight from unit $j$ (in layer `l - 1`) to unit $k$ (in layer `l`).

# %%
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

# %% [markdown]
# $\Delta_j = -\partial E/\partial in_j$, and `backward()` has just put $\partial E/\partial in_j$
# into each `"in"` node's `grad`: the graph holds the Δs, with the sign flipped.

# %%
Delta_from_graph = [np.array([-net_inputs[f"layers.{li}.neurons.{j}"].grad for j in range(len(Delta[li]))])
                    for li in range(2)]
Delta_from_graph

# %%
assert max(np.max(np.abs(mine - graph)) for mine, graph in zip(Delta, Delta_from_graph)) < 1e-10

# %% [markdown]
# Every weight's gradient by the rule, $\partial E/\partial w_{i,j} = -a_i\,\Delta_j$ (and
# $\partial E/\partial b_j = -\Delta_j$: a bias is a weight on a constant input 1), against
# the `grad` that `backward()` left on the parameter:

# %%
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

# %%
assert len(rows) == len(model.parameters()) == 17
assert worst_rule < 1e-10

# %% [markdown]
# ## The matrix form
#
# Seed 001's recursion, one line per layer. Its $\delta$ is $\partial C/\partial z$, the
# opposite sign of the Monash $\Delta$.

# %%
delta = [None, None]
delta[1] = (a[2] - np.array(y)) * a[2] * (1 - a[2])    # δ^L = ∇ₐC ⊙ σ'(z^L), with ∇ₐC = a − y
delta[0] = (W[1].T @ delta[1]) * a[1] * (1 - a[1])     # δ^l = ((W^{l+1})ᵀ δ^{l+1}) ⊙ σ'(z^l)
grad_W = [np.outer(delta[li], a[li]) for li in range(2)]  # ∂C/∂W^l = δ^l (a^{l−1})ᵀ
grad_b = delta                                            # ∂C/∂b^l = δ^l
print("δ¹ =", delta[0], "   −Δ¹ =", -Delta[0])
print("∂C/∂W² =")
print(grad_W[1])

# %%
autodiff_W = [np.array([[w.grad for w in n.w] for n in layer.neurons]) for layer in model.layers]
autodiff_b = [np.array([n.b.grad for n in layer.neurons]) for layer in model.layers]
for li in range(2):
    assert np.max(np.abs(delta[li] + Delta[li])) < 1e-12                 # δ = −Δ
    assert np.max(np.abs(grad_W[li] - autodiff_W[li])) < 1e-10
    assert np.max(np.abs(grad_b[li] - autodiff_b[li])) < 1e-10

# %% [markdown]
# `nn.delta` packages these cells: `deltas_per_unit` (the loops), `deltas_matrix` (the
# recursion) and `gradients` ($\partial E/\partial W^l$, $\partial E/\partial b^l$). They give
# the same arrays:

# %%
per_unit = nn.delta.deltas_per_unit(model, x, y)
matrix = nn.delta.deltas_matrix(model, x, y)
library_grads = nn.delta.gradients(model, x, y)
for li in range(2):
    assert np.max(np.abs(per_unit[li] - Delta[li])) < 1e-12
    assert np.max(np.abs(matrix[li] - delta[li])) < 1e-12
    assert np.max(np.abs(library_grads[li][0] - grad_W[li])) < 1e-12
    assert np.max(np.abs(library_grads[li][1] - grad_b[li])) < 1e-12

# %% [markdown]
# ## Three ways side by side
#
# `nn.delta.compare` lays out, for every parameter, $\partial E/\partial p$ by autodiff, by
# the Δ rules, and by a central finite difference of the NumPy forward pass
# ($\varepsilon = 10^{-6}$). Autodiff and the Δ rules are both exact, so only rounding
# separates them; the finite difference is an approximation, good to about $10^{-10}$ here
# (notebook 04 explains why not better).

# %%
report = nn.delta.compare(model, x, y)
report

# %%
assert report.ok
assert len(report.rows) == 17
assert report.max_delta_error < 1e-10  # autodiff vs Δ rule
assert report.max_fd_error < 1e-5      # autodiff vs finite differences

# %% [markdown]
# ## The Δs in the picture
#
# `draw_dot(E, show_delta=True)` writes each neuron's $\Delta = -\partial E/\partial in$
# under its net input. Values are grouped by neuron (the clusters are named by scope);
# the weights and biases are orange, the inputs `x1`, `x2` blue, the targets and other
# constants grey. The loss, $\frac12 \sum_k (y_k - a_k)^2$, is on the right.

# %%
draw_dot(E_graph, show_delta=True)

# %% [markdown]
# The picture shows the numbers computed by hand above (4 decimals):

# %%
source = draw_dot(E_graph, show_delta=True).source
shown = [f"Δ = −∂E/∂in = {d:.4f}" for layer_deltas in Delta for d in layer_deltas]
assert all(1e-4 <= abs(d) < 1e6 for layer_deltas in Delta for d in layer_deltas)  # shown with 4 decimals
assert all(text in source for text in shown)
assert source.count("Δ = −∂E/∂in = ") == 5
shown

# %% [markdown]
# With `collapse="neuron"` each neuron is one node, showing its output, its Δ and how
# many parameters it holds; edges say how many Values they carry.

# %%
draw_dot(E_graph, show_delta=True, collapse="neuron")

# %% [markdown]
# ## The Δ rules, neuron by neuron
#
# `autograd.animate(E, collapse="neuron")` steps through `backward()` one neuron at a time,
# from the output layer back. Each neuron's step shows its $\Delta = -\partial E/\partial in$:
# $\Delta_k = (y_k - a_k)\,g'(in_k)$ at the output (the loss's own nodes come first), then
# $\Delta_j = g'(in_j) \sum_k w_{j,k} \Delta_k$ inside, with its weight gradients
# $\partial E/\partial w_{i,j} = -a_i \Delta_j$ in the caption. The player, then the same as a GIF:

# %%
E_graph.label = "E"
animation = autograd.animate(E_graph, forward=False, collapse="neuron")
display(animation)
Image(data=animation.to_gif(), format="gif")

# %% [markdown]
# The numbers in the steps are the Δs computed by hand above:

# %%
neuron_steps = {s.scope: s for s in autograd.backward_steps(E_graph, collapse="neuron") if s.scope}
print("\n".join(s.caption for s in neuron_steps.values()))

# %%
assert list(neuron_steps) == ["layers.1.neurons.0", "layers.1.neurons.1", "layers.0.neurons.0",
                              "layers.0.neurons.1", "layers.0.neurons.2"]
assert all(abs(neuron_steps[f"layers.{li}.neurons.{j}"].delta - Delta[li][j]) < 1e-12
           for li in range(2) for j in range(len(Delta[li])))

# %% [markdown]
# ## A mini-batch: add the gradients up
#
# Seed 001: for a mini-batch, compute each sample's gradient and *add them up*.
# `half_sse` sums over the samples of a batch, so one `backward()` through the batch's
# loss gives the sum of the per-sample gradients from the matrix form:

# %%
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

# %%
for li in range(2):
    assert np.max(np.abs(summed_W[li] - batch_W[li])) < 1e-10
    assert np.max(np.abs(summed_b[li] - batch_b[li])) < 1e-10

# %% [markdown]
# ## The update rule is a gradient-descent step
#
# `nn.delta.step` applies $w_{i,j} \leftarrow w_{i,j} + \alpha\,a_i\,\Delta_j$ and
# $b_j \leftarrow b_j + \alpha\,\Delta_j$ to every unit, all Δs computed before any weight
# moves. On a copy of the network (same seed, same weights), `SGD` takes one step of
# $w \leftarrow w - \alpha\,\partial E/\partial w$ with the gradients from `backward()`.
# They land on the same weights, and the error went down:

# %%
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

# %%
assert moved > 1e-3     # the step did move the weights ...
assert gap < 1e-12      # ... to the same place as SGD
assert E_after < E_before

# %% [markdown]
# **Next:** notebook 03 repeats this step many times, one sample, a few, or all of them
# at a time, and trains networks on toy data.
