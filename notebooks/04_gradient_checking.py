# %% [markdown]
# # 04 · Gradient checking: finite differences in practice
#
# `backward()` is only as right as each op's derivative rule. The check every framework
# uses is a finite difference:
#
# $$f'(x) \approx \frac{f(x + \varepsilon) - f(x - \varepsilon)}{2\varepsilon} \;\;(\text{central}), \qquad
# f'(x) \approx \frac{f(x + \varepsilon) - f(x)}{\varepsilon} \;\;(\text{forward}).$$
#
# **Two errors pull against each other.** Taylor's theorem gives the *truncation* error:
# $\frac{f^{(3)}(x)}{6}\varepsilon^2$ for the central difference, $\frac{f''(x)}{2}\varepsilon$
# for the forward one; it shrinks with $\varepsilon$. But a float carries about 16 digits:
# $f(x \pm \varepsilon)$ are each rounded by about $\epsilon_\text{mach}\,|f(x)|$, with
# $\epsilon_\text{mach} = 2^{-52} \approx 2.2 \times 10^{-16}$, and dividing their difference by
# $2\varepsilon$ magnifies that *round-off* error to about $\epsilon_\text{mach} |f| / \varepsilon$,
# which grows as $\varepsilon$ shrinks. In total, for the central difference,
#
# $$\text{error}(\varepsilon) \approx \frac{|f^{(3)}|}{6}\,\varepsilon^2 + \frac{\epsilon_\text{mach}\,|f|}{\varepsilon},$$
#
# smallest near $\varepsilon^* \sim \epsilon_\text{mach}^{1/3} \approx 6 \times 10^{-6}$
# (forward: $\epsilon_\text{mach}^{1/2} \approx 1.5 \times 10^{-8}$, and a larger minimum).
# On a log-log plot that is a **V**: slope $-1$ on the left, $+2$ on the right.
#
# You will see that V measured; `gradcheck`'s $\varepsilon = 10^{-6}$ at its bottom; a
# correct function failing the check when $\varepsilon$ is badly chosen or the function
# has a kink; and then a deliberately wrong derivative in a custom op: caught by
# `gradcheck`, pinned to one node by `check_ops`, and drawn red by `draw_dot(check=True)`.

# %%
import math

import matplotlib.pyplot as plt
import numpy as np

import autograd
from autograd import Value, draw_dot, sigmoid

# %% [markdown]
# ## The V: error against step size
#
# A smooth function, $f(x) = \sin(x)\,e^x$, whose derivative we know exactly:
# `autograd.grad(f)` runs `backward()`, and the closed form is
# $f'(x) = e^x(\sin x + \cos x)$.

# %%
def f(x):
    return x.sin() * x.exp()


df = autograd.grad(f)  # a function of floats: x ↦ f'(x) by backward()


def f_float(x):
    return f(Value(x)).data


assert math.isclose(df(1.0), math.exp(1.0) * (math.sin(1.0) + math.cos(1.0)), rel_tol=1e-14)

# %% [markdown]
# The error of each difference, for $\varepsilon$ from $10^{-14}$ to $10^{-0.5}$, as the
# root mean square over 21 points $x \in [0.5, 1.5]$. (At a single point, round-off is
# a matter of luck: some $\varepsilon$ happen to round favourably. The average shows the trend.)

# %%
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

# %%
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

# %% [markdown]
# The V, measured: the slopes of its two arms, the position of its bottom, and how
# much the error grows at both ends.

# %%
right, left = steps >= 1e-3, steps <= 1e-9
slope_right = np.polyfit(np.log10(steps[right]), np.log10(central[right]), 1)[0]
slope_left = np.polyfit(np.log10(steps[left]), np.log10(central[left]), 1)[0]
slope_forward = np.polyfit(np.log10(steps[steps >= 1e-4]), np.log10(forward[steps >= 1e-4]), 1)[0]
print(f"central: slope {slope_left:+.2f} on the left (round-off), {slope_right:+.2f} on the right (truncation)")
print(f"forward: slope {slope_forward:+.2f} on the right")
print(f"error at ε = 1e-14: {central[0]:.1e};  at the bottom: {central.min():.1e};",
      f" at ε = 10^-0.5: {central[-1]:.1e}")

# %%
assert 1.9 < slope_right < 2.1             # truncation O(ε²)
assert -1.2 < slope_left < -0.8            # round-off O(ε_mach / ε)
assert 0.9 < slope_forward < 1.1           # the forward difference truncates at O(ε)
assert 1e-6 <= best_central <= 3e-5        # the bottom of the V: ε ~ 1e-5 .. 1e-6
assert central[0] > 1e6 * central.min() and central[-1] > 1e6 * central.min()  # grows at both ends
assert 1e-9 <= best_forward <= 1e-7        # forward: ε ~ √ε_mach
assert forward.min() > 100 * central.min() # and never as good as central
assert best_central / 10 <= 1e-6 <= best_central * 10  # gradcheck's default sits near the bottom

# %% [markdown]
# ## When a correct gradient fails the check
#
# `gradcheck(f, inputs)` compares `backward()` with the central difference and accepts
# $|\text{analytic} - \text{numeric}| \le 10^{-6} + 10^{-4}\,|\text{numeric}|$. With the
# default $\varepsilon = 10^{-6}$ our $f$ passes; at either end of the V the *check* is
# wrong, not the gradient:

# %%
reports = {eps: autograd.gradcheck(f, [1.0], eps=eps) for eps in (1e-1, 1e-6, 1e-13)}
for eps, report in reports.items():
    print(f"eps = {eps:g}\n{report}\n")

# %%
assert [report.ok for report in reports.values()] == [False, True, False]

# %% [markdown]
# A **kink** fails it too. $\mathrm{relu}$ has no derivative at 0; deltagrad uses
# $\mathrm{relu}'(0) = 0$, as PyTorch does, while the central difference straddles the kink
# and finds the average slope, $\frac12$:

# %%
at_kink = autograd.gradcheck(lambda v: v.relu(), [0.0])
at_kink

# %% [markdown]
# `check_ops`, the per-op check, knows each op's kinks (from the op table): within
# $\varepsilon$ of one it accepts any derivative between the one-sided ones, and says so
# in the table:

# %%
z = Value(0.0, label="z")
r = z.relu()
r.label = "r"
r.backward()
kink_ops = autograd.check_ops(r)
kink_ops

# %%
assert not at_kink.ok and at_kink.rows[0].analytic == 0.0 and abs(at_kink.rows[0].numeric - 0.5) < 1e-9
assert kink_ops.ok and kink_ops.rows[0].note == "relu at 0: one-sided derivatives 0 and 1"

# %% [markdown]
# ## A wrong derivative
#
# Swish (also called SiLU), $s(x) = x\,\sigma(x)$. By the product rule
#
# $$s'(x) = \sigma(x) + x\,\sigma(x)\,(1 - \sigma(x)).$$
#
# A classic slip drops the first term: differentiate $\sigma$ and forget that $x$ itself
# has derivative 1. `autograd.defop` registers a custom op from its forward and its
# derivative; we register the correct version and the slip. (`replace=True` lets the cell
# run twice; the last cell removes both ops again.)

# %%
swish = autograd.defop(
    "swish", lambda x: x * sigmoid(x),
    derivatives=[lambda x: sigmoid(x) + x * sigmoid(x) * (1 - sigmoid(x))],
    formula="d/dx = σ(x) + x·σ(x)(1 − σ(x))", replace=True)
swish_wrong = autograd.defop(
    "swish_wrong", lambda x: x * sigmoid(x),
    derivatives=[lambda x: x * sigmoid(x) * (1 - sigmoid(x))],  # the product rule's σ(x) is missing
    formula="d/dx = x·σ(x)(1 − σ(x))  (wrong)", replace=True)
print(swish(0.0), swish_wrong(0.0), swish(Value(2.0)))


# %% [markdown]
# ### In `gradcheck`
#
# A neuron with a swish activation followed by $\tanh$, $\tanh(s(w x + b))$. With the
# wrong op every input's gradient is off, and `gradcheck` says so, but not *where* the
# mistake is: all three are wrong by the same factor, because they share the bad node.

# %%
def neuron(activation):
    def forward(x, w, b):
        return activation(w * x + b).tanh()

    forward.__name__ = f"tanh({activation.name}(w*x + b))"
    return forward


inputs = [Value(0.5, label="x"), Value(-1.5, label="w"), Value(1.0, label="b")]
wrong = autograd.gradcheck(neuron(swish_wrong), inputs)
right = autograd.gradcheck(neuron(swish), inputs)
print(wrong, right, sep="\n\n")

# %%
assert not wrong.ok and len(wrong.failures) == 3
assert right.ok
ratios = [row.analytic / row.numeric for row in wrong.rows]
assert max(ratios) - min(ratios) < 1e-6  # one shared factor: one bad node upstream of all three

# %% [markdown]
# ### In the per-op check
#
# `check_ops(root)` checks every op node of a graph on its own: the rule's local
# derivative against a finite difference of that op's forward alone. The mistake now has
# an address: node `h`, op `swish_wrong`, its input 0. The analytic number is the slip's
# formula, the numeric one the true derivative:

# %%
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

# %%
s = sigmoid(pre.data)
(failure,) = per_op.failures
assert failure.where == "h swish_wrong ∂/∂in0" and per_op.failed_nodes() == [h]
assert len(per_op.rows) == 6 and sum(row.ok for row in per_op.rows) == 5
assert math.isclose(failure.analytic, pre.data * s * (1 - s), rel_tol=1e-12)     # the slip
assert math.isclose(failure.numeric, s + pre.data * s * (1 - s), rel_tol=1e-6)   # the truth

# %% [markdown]
# ### In the picture
#
# `draw_dot(out, check=True)` runs `check_ops` and draws each disagreeing op with a red
# border and both numbers; the legend counts them.

# %%
draw_dot(out, check=True)

# %%
wrong_source = draw_dot(out, check=True).source
assert wrong_source.count('class="op failed"') == 1
assert "swish_wrong<BR/>∂/∂in0: analytic 0.0615335, numeric 0.62371" in wrong_source
assert "check: 1 of 4 ops disagrees with finite differences" in wrong_source

# %% [markdown]
# The same neuron with the correct `swish`: no red, and the legend says all ops agree.

# %%
x, w, b = Value(0.5, label="x"), Value(-1.5, label="w"), Value(1.0, label="b")
pre = w * x + b
pre.label = "in"
h = swish(pre)
h.label = "h"
out = h.tanh()
out.label = "out"
out.backward()
draw_dot(out, check=True)

# %%
right_source = draw_dot(out, check=True).source
assert "op failed" not in right_source
assert "check: all 4 ops agree with finite differences" in right_source
assert autograd.check_ops(out).ok

# %% [markdown]
# ### Every op at once
#
# `autograd.check.check_all_ops()` (what `deltagrad check` runs on the command line)
# checks every registered op, built-in and custom, at five points of its domain. Only
# the slip fails:

# %%
every_op = autograd.check.check_all_ops()
print(every_op.table().splitlines()[0])
failing_ops = sorted({row.where.split("(")[0] for row in every_op.failures})
failing_ops

# %%
assert failing_ops == ["swish_wrong"] and len(every_op.failures) == 5

# %% [markdown]
# ## Clean up
#
# Custom ops live in the global registry `autograd.REGISTRY`; remove ours, so that the
# registry holds exactly the built-in table again.

# %%
for name in ("swish", "swish_wrong"):
    autograd.REGISTRY.pop(name, None)
assert list(autograd.REGISTRY) == [op.name for op in autograd.ops.builtin_ops()]
