# %% [markdown]
# # 05 · From scalars to batches
#
# deltagrad's `Value` holds one number. Training micrograd's moons model means building the
# graph of every example, node by node, in Python: about 37,000 nodes per step for 100 points.
# A tensor framework does the same arithmetic, but it runs **one** operation over a whole batch
# at a time. This notebook takes that step in three moves:
#
# 1. **The same graph.** `autograd.compile` records the scalar graph of *one* example, then
#    replays it over every example with NumPy, forward and backward. Nothing new is
#    differentiated: each op's array form sits in the op table beside its scalar form.
# 2. **The speed ladder.** micrograd → scalar deltagrad → replay one node at a time → replay
#    grouped nodes → PyTorch, each measured here.
# 3. **One level of multiplies is W·a.** Grouping the products $w_{jk} a_j$ of a layer and the
#    sums that read them is exactly seed 001's matrix product $z^l = W^l a^{l-1} + b^l$.

# %%
import random
import time

import matplotlib.pyplot as plt
import numpy as np
from micrograd.engine import Value as MicrogradValue
from micrograd.nn import MLP as MicrogradMLP

import autograd
import nn
from autograd import Value, draw_dot
from nn import MLP, Layer
from nn.data import make_moons

# %% [markdown]
# ## 1. The same graph
#
# A one-neuron model keeps the picture small. `loss_one` is written for **one** example, with
# scalars, exactly as you would for the scalar engine; `compile` runs it once on example
# arguments and keeps the graph it records.

# %%
neuron = MLP(2, [1], seed=0)  # one linear unit: s = w₀x₀ + w₁x₁ + b


def loss_one(x0, x1, y):
    s = neuron([x0, x1])
    return (1 + -y * s).relu()  # micrograd's max-margin loss for one example


f = autograd.compile(loss_one, 0.0, 0.0, 1.0)
f

# %% [markdown]
# `f.graph` *is* the recorded scalar graph: the same `Value` nodes, drawable as ever. The
# arguments are leaves labelled with the function's own parameter names; the weights are
# the model's own `Value`s, read afresh at every call.

# %%
draw_dot(f.graph)

# %% [markdown]
# Replaying it over 100 moons gives one loss per example, and each agrees with the scalar
# engine run on that example alone. `backward` puts the batch's gradient into the model's
# `.grad`, as one scalar `backward()` per example would.

# %%
X, labels = make_moons(100, noise=0.1, seed=1337)
Y = 2.0 * labels - 1.0  # ±1

losses = f(X[:, 0], X[:, 1], Y)
by_scalar_engine = [loss_one(Value(a), Value(b), Value(t)).data for (a, b), t in zip(X, Y)]
print(losses.shape, "largest difference from the scalar engine:", np.max(np.abs(losses - by_scalar_engine)))

neuron.zero_grad()
f.backward(np.full(100, 1 / 100))  # the gradient of the mean loss
print([round(p.grad, 6) for p in neuron.parameters()])
print(f.verify(X[:, 0], X[:, 1], Y))

# %% [markdown]
# What cannot be replayed is refused while recording: a Python `if` on a Value's number
# would be taken once, for the example, and then silently for every other example too.
# As JAX's tracers do, `compile` stops there and says what to write instead.

# %%
def hinge_with_an_if(x0, x1, y):
    s = neuron([x0, x1])
    margin = 1 + -y * s
    return margin if margin > 0 else 0 * margin  # data-dependent control flow


try:
    autograd.compile(hinge_with_an_if, 0.0, 0.0, 1.0)
except autograd.TraceError as err:
    print(str(err).replace(". ", ".\n"))

# %% [markdown]
# ## 2. The speed ladder
#
# micrograd's demo step: `MLP(2, [16, 16, 1])`, the 100 moons, the max-margin loss with an
# L2 penalty, `backward`, and the SGD update. Five ways to run it, each timed **here, now, on
# this machine**, a few steps each: small samples on a shared machine, so read the picture
# for its orders of magnitude (`benchmarks/bench.py` measures them carefully, side by side,
# and the README holds its table).

# %%
random.seed(1337)
start = [p.data for p in MicrogradMLP(2, [16, 16, 1]).parameters()]  # the demo's weights


def demo_model(engine_mlp):
    model = engine_mlp(2, [16, 16, 1])
    for p, w in zip(model.parameters(), start):
        p.data = w
    return model


def scalar_step(model, V):
    """The demo's step, verbatim, on micrograd or on deltagrad's scalar engine."""
    scores = [model([V(a), V(b)]) for a, b in X.tolist()]
    data_loss = sum((1 + -t * s).relu() for t, s in zip(Y.tolist(), scores)) * (1.0 / len(scores))
    total = data_loss + 1e-4 * sum(p * p for p in model.parameters())
    model.zero_grad()
    total.backward()
    for p in model.parameters():
        p.data -= 0.5 * p.grad
    return total.data


def compiled_step(model, grouped):
    params = model.parameters()

    def loss(x0, x1, y):
        return (1 + -y * model([x0, x1])).relu() + 1e-4 * autograd.sum([p * p for p in params])

    g = autograd.compile(loss, 0.0, 0.0, 1.0, grouped=grouped)

    def step():
        model.zero_grad()
        out, _ = g.value_and_grad(X[:, 0], X[:, 1], Y)  # the mean over the batch
        for p in params:
            p.data -= 0.5 * p.grad
        return float(out.mean())

    return step


def ms_per_step(step, n):
    step()  # warm-up
    t0 = time.perf_counter()
    for _ in range(n):
        step()
    return (time.perf_counter() - t0) / n * 1e3


micrograd_model, scalar_model = demo_model(MicrogradMLP), demo_model(nn.MLP)
ladder = {
    "micrograd 0.1.0": ms_per_step(lambda: scalar_step(micrograd_model, MicrogradValue), 2),
    "deltagrad, scalar": ms_per_step(lambda: scalar_step(scalar_model, Value), 3),
    "compiled, one call per node": ms_per_step(compiled_step(demo_model(nn.MLP), grouped=False), 10),
    "compiled, grouped": ms_per_step(compiled_step(demo_model(nn.MLP), grouped=True), 50),
}

# %% [markdown]
# And PyTorch, float64 on one thread, from the same weights: `MLP.to_torch()` gives the
# equivalent `torch.nn.Sequential`.

# %%
try:
    import torch
except ImportError:
    torch = None
    print("PyTorch is not installed here (pip install 'deltagrad[torch]'): its rung is left out.")

if torch is not None:
    torch.set_num_threads(1)
    seq = demo_model(nn.MLP).to_torch()
    Xt, Yt = torch.tensor(X), torch.tensor(Y)

    def torch_step():
        scores = seq(Xt)[:, 0]
        total = torch.relu(1 + -Yt * scores).mean() + 1e-4 * sum((p * p).sum() for p in seq.parameters())
        seq.zero_grad()
        total.backward()
        with torch.no_grad():
            for p in seq.parameters():
                p -= 0.5 * p.grad
        return total.item()

    ladder["PyTorch float64, 1 thread"] = ms_per_step(torch_step, 50)

for name, ms in ladder.items():
    print(f"{name:30} {ms:10.3f} ms/step   {ladder['micrograd 0.1.0'] / ms:9,.0f}x micrograd")

# %%
fig, ax = plt.subplots(figsize=(8, 3.2))
names = list(ladder)
ax.barh(names[::-1], [ladder[n] for n in names[::-1]], color="#4c72b0")
ax.set_xscale("log")
ax.set_xlabel("ms per training step (log scale)")
ax.set_title("micrograd's demo step, measured in this notebook (a few steps each)")
for i, n in enumerate(names[::-1]):
    ax.text(ladder[n] * 1.15, i, f"{ladder[n]:.3g} ms", va="center", fontsize=9)
ax.set_xlim(min(ladder.values()) / 2, max(ladder.values()) * 20)
fig.tight_layout()

# %% [markdown]
# Replaying one node at a time already removes Python's per-example work, but each of the
# ~700 nodes still pays a NumPy call of a microsecond or two, whatever the batch. Grouping
# pays that price once per *kind of node at one depth*: `describe()` lists the calls.

# %%
model = demo_model(nn.MLP)
grouped = autograd.compile(lambda x0, x1, y: (1 + -y * model([x0, x1])).relu(), 0.0, 0.0, 1.0)
print(grouped)
print(grouped.describe())

# %% [markdown]
# ## 3. One level of multiplies over a layer is seed 001's W·a
#
# Look at the lines "256 × * and 16 × sum as one matrix product". In the scalar graph a
# layer of 16 neurons reading 16 activations is 256 products $w_{jk}\,a_j$ and 16 sums, one
# per neuron $k$:
#
# $$z_k = \sum_j w_{jk}\, a_j + b_k .$$
#
# Seed 001 writes the same thing with the weights of layer $l$ as a matrix, one row per neuron:
# $z^l = W^l a^{l-1} + b^l$. Over a batch, the activations of all $B$ examples are the columns of
# a matrix $A$, and the whole level is **one** matrix product, $Z = W A + b$. Backward is seed
# 001's matrix form too: with $\delta = \partial C/\partial z$,
# $\partial C/\partial a = W^{T}\delta$ and $\partial C/\partial W = \delta\, a^{T}$, summed over the
# batch: $\partial C/\partial W = \Delta A^{T}$.
#
# Check it on one small layer: the compiled graph of its net inputs against NumPy's `W @ A + b`,
# with $W$ read out of the neurons as `nn.delta.weights` does.

# %%
layer = Layer(3, 4, "linear", seed=1)  # linear: its outputs are the net inputs z
g = autograd.compile(lambda x: layer.forward(x), [0.0, 0.0, 0.0])
print(g.describe())

W = np.array([[w.data for w in neuron.w] for neuron in layer.neurons])  # (4, 3): row k is neuron k
b = np.array([neuron.b.data for neuron in layer.neurons])
A = np.random.default_rng(0).normal(size=(3, 5))  # five examples, as columns
Z = g(A.T)  # the compiled graph takes one row per example
print("Z = W·A + b:", np.allclose(Z.T, W @ A + b[:, None], rtol=1e-14, atol=0))

# %% [markdown]
# Backward with an upstream gradient $\Delta$ (one column per example) gives
# $\partial C/\partial W = \Delta A^{T}$ and $\partial C/\partial b = \sum_{\text{examples}} \Delta$:

# %%
Delta = np.random.default_rng(1).normal(size=(4, 5))
layer.zero_grad()
g.backward(Delta.T)
dW = np.array([[w.grad for w in neuron.w] for neuron in layer.neurons])
db = np.array([neuron.b.grad for neuron in layer.neurons])
print("∂C/∂W = Δ·Aᵀ:", np.allclose(dW, Delta @ A.T, rtol=1e-14, atol=0))
print("∂C/∂b = Σ Δ: ", np.allclose(db, Delta.sum(axis=1), rtol=1e-14, atol=0))

# %% [markdown]
# That is the whole distance from a scalar engine to a tensor framework: the *same* chain rule,
# applied to rows of numbers instead of one number, and a level of like nodes executed as one
# array operation. The last rung of the ladder is exact too: `nn.compare_with_torch` sets every
# gradient of a deltagrad model beside PyTorch's.

# %%
if torch is not None:
    report = nn.compare_with_torch(demo_model(nn.MLP), X, labels, loss="hinge")
    print(report.table().splitlines()[-1])
