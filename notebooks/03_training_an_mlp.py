# %% [markdown]
# # 03 · Training an MLP: online, mini-batch and full batch
#
# Notebook 02 computed the gradient for one sample $(x, y)$. Seed 001 describes three ways
# to turn such gradients into training:
#
# - **online learning**: one gradient-descent step after every single data point;
# - **mini-batch**: draw a few points at random (without replacement), *add up* their
#   gradients, multiply by the learning rate $\alpha$, step;
# - **full batch**: add up the gradients of all points, step once.
#
# One **epoch** is one pass over all the data. With the error summed over a batch $B$,
# $E_B = \frac12 \sum_{n \in B} \lVert y_n - a^L(x_n) \rVert^2$, every step is
#
# $$w \leftarrow w - \alpha\,\frac{\partial E_B}{\partial w} = w - \alpha \sum_{n \in B} \frac{\partial C_n}{\partial w}.$$
#
# In deltagrad, `nn.fit(model, X, y, batch_size=...)` takes `1` (online), `k`
# (mini-batches of `k`) or `None` (full batch); `nn.losses.half_sse` is the summed
# $E_B$, exactly seed 001's "add all derivatives up" (PyTorch's `MSELoss` averages instead,
# and the difference shows below).
#
# You will see the two-moons data; the same network, from the same initial weights,
# trained the three ways with the same $\alpha$ (loss curves on one plot); what changes
# when the full batch gets a smaller $\alpha$; the decision boundaries the four runs learn;
# and a three-class spiral trained with softmax cross-entropy and Adam.

# %%
import matplotlib.pyplot as plt
import numpy as np

import nn
import nn.plot
from nn import MLP

# %% [markdown]
# ## The data: two moons
#
# 100 points, seeded; targets $t = \pm 1$, so the sign of the network's single output is
# its prediction.

# %%
X, labels = nn.data.make_moons(100, noise=0.1, seed=0)
t = 2.0 * labels - 1.0
fig, ax = plt.subplots(figsize=(4.5, 3.2))
ax.scatter(X[:, 0], X[:, 1], c=labels, cmap="coolwarm", s=16, edgecolors="k", linewidths=0.4)
ax.set_title("make_moons(100, noise=0.1, seed=0)", fontsize=10)
fig.tight_layout()
plt.show()

# %%
assert X.shape == (100, 2) and sorted(set(labels.tolist())) == [0, 1] and labels.sum() == 50

# %% [markdown]
# ## Epochs and batches
#
# `nn.data.batches` gives the index arrays of one epoch. Every index appears exactly
# once per epoch, in a fresh random order each epoch (10 samples here, to print them):

# %%
shuffles = np.random.RandomState(0)
epochs_of = {}
for name, size in (("online", 1), ("mini-batch of 4", 4), ("full batch", None)):
    epochs_of[name] = list(nn.data.batches(10, size, rng=shuffles))
    count = len(epochs_of[name])
    indices = " ".join(str(batch.tolist()) for batch in epochs_of[name])
    print(f"{name:>15}: {count:2d} step{'s' if count > 1 else ' '}: {indices}")

# %%
assert [len(epoch) for epoch in epochs_of.values()] == [10, 3, 1]
assert all(sorted(np.concatenate(epoch).tolist()) == list(range(10)) for epoch in epochs_of.values())


# %% [markdown]
# ## Watching the loss without the graph
#
# To compare the runs fairly, we measure after every epoch the **mean** of
# $\frac12 (t_n - a_n)^2$ over all 100 points, whatever the batch size. Evaluating 100
# points through Value graphs would be slow and is not needed: the network is seed 001's
# matrices, so `predict` runs $a^l = g(W^l a^{l-1} + b^l)$ in NumPy on all points at once,
# with the weights `nn.delta.weights` copies out of the model.

# %%
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


# %% [markdown]
# ## Three ways to train, same α
#
# `MLP(2, [16, 16, 1])` is micrograd's demo network (relu hidden layers, linear output);
# `seed=1` gives every run the same initial weights, and the shuffles come from the same
# seeded stream. SGD with $\alpha = 0.005$ on the summed error, for 30 epochs: every run
# takes each of the 100 points through the network and back 30 times, the same work
# whatever the batch size. A fourth run gives the full batch a five times smaller $\alpha$.

# %%
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

# %% [markdown]
# `predict` is the model: on the training points it matches the Value graph's output
# to rounding.

# %%
trained = results["online, α = 0.005"][0]
assert max(abs(trained(list(p)).data - q) for p, q in zip(X, predict(trained, X)[:, 0])) < 1e-12

# %% [markdown]
# Loss against epochs (left: equal work in this scalar engine) and against updates (right:
# online makes 100 updates per epoch, mini-batches 10, the full batch 1).

# %%
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

# %% [markdown]
# What the curves show:
#
# - **Online and mini-batch** learn at nearly the same rate per epoch, and both bring the
#   mean loss down more than tenfold.
# - **The full batch with the same α overshoots**: its one step per epoch is α times the
#   *sum* of 100 gradients, as long as 100 online steps taken at once without looking where
#   they land. The loss jumps up before it settles, and it then hovers well above the others.
# - **With α/5** every full-batch step goes downhill, but 30 steps get much less far than
#   3,000. *Per update* it is the best informed step of all (right: at 30 updates it is
#   below the mini-batch run at 30 updates), and per epoch it is the slowest.
#
# A summed loss makes the step grow with the batch, which is why PyTorch's losses
# average by default. On vectorised hardware a mini-batch costs little more than a single
# sample, which is why practice uses them; in this scalar engine every sample costs the
# same, so the left plot is the fair comparison.

# %%
online, mini, full, full_small = (results[name][1] for name in runs)
assert online[-1] < online[0] / 10 and mini[-1] < mini[0] / 10  # both learned, tenfold
assert full.max() > 3 * full[0]                   # same α, full batch: the loss jumps up first
assert full[-1] > 3 * online[-1]                  # ... and stays well above online
assert np.all(np.diff(full_small) < 0)            # α/5: every full-batch step goes downhill
assert full_small[-1] > 3 * online[-1]            # ... but 30 steps get less far than 3,000
assert full_small[30] < mini[3]                   # per update (30 each), the full batch leads
assert accuracy(results["online, α = 0.005"][0]) >= 0.95
assert accuracy(results["mini-batch of 10, α = 0.005"][0]) >= 0.95

# %% [markdown]
# ## Decision boundaries
#
# Where each trained network's output is positive (red) or negative (blue), on a grid
# over the data, with the zero level drawn as a line. The grid's 12,000 points go through
# `predict`, the NumPy forward pass.

# %%
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

# %% [markdown]
# ## Three spirals: softmax cross-entropy and Adam
#
# A harder problem: three interleaved spiral arms, 40 points each. The network gets three
# outputs, one logit per class, the loss is `softmax_cross_entropy` (the mean over a batch
# of $-\log \operatorname{softmax}(z)_y$), and the optimizer is Adam, in mini-batches of
# 20 for 30 epochs. `nn.fit` returns a `History` of the loss and accuracy per epoch.

# %%
Xs, ys = nn.data.make_spiral(40, classes=3, noise=0.2, seed=0)
spiral_model = MLP(2, [16, 16, 3], seed=1)
history = nn.fit(spiral_model, Xs, ys, loss="softmax_cross_entropy",
                 optimizer=nn.optim.Adam(spiral_model.parameters(), lr=0.05),
                 epochs=30, batch_size=20, progress=False, seed=0)
spiral_accuracy = float(np.mean(np.argmax(predict(spiral_model, Xs), axis=1) == ys))
print(f"mean loss in epoch 1: {history.loss[0]:.3f}, in epoch 30: {history.loss[-1]:.3f}")
print(f"training accuracy after training: {spiral_accuracy:.3f} (chance: 1/3)")

# %%
assert history.loss[-1] < history.loss[0] / 5  # measured: 1.02 → 0.06
assert spiral_accuracy >= 0.9                   # measured: 0.975, against 1/3 by chance

# %% [markdown]
# `nn.plot` draws both pictures for any model (`make demo` writes them to files):
# the loss and accuracy per epoch, and the decision regions, the argmax of the three
# outputs.

# %%
nn.plot.loss_curve(history, title="spirals: softmax cross-entropy, Adam")
nn.plot.decision_boundary(spiral_model, Xs, ys, title="spirals: decision regions")
plt.show()

# %% [markdown]
# **Next:** notebook 04 asks how far finite differences, the check used throughout,
# can be trusted, and what a wrong derivative looks like.
