"""deltagrad's `nn`: neurons, layers and MLPs on `autograd.Value`, losses,
optimizers, toy data, a training loop, and the seeds' Δ rules made executable.

    >>> import random
    >>> from nn import MLP
    >>> random.seed(1337)
    >>> model = MLP(2, [16, 16, 1])      # micrograd's demo model, micrograd's weights
    >>> model
    MLP of [Layer of [ReLUNeuron(2) × 16], Layer of [ReLUNeuron(16) × 16], Layer of [LinearNeuron(16)]]
    >>> len(model.parameters())
    337
    >>> model.named_parameters()[0][0]
    'layers.0.neurons.0.w.0'

- `nn.losses`: half_sse (the seeds' E), mse, hinge, binary_cross_entropy, softmax_cross_entropy, l2,
  and `LOSS_INFO`, each loss's output activation and decision threshold.
- `nn.optim`: SGD and Adam.
- `nn.data`: make_moons, make_circles, make_spiral, make_xor, batches.
- `nn.fit`: the training loop, with a history and a progress bar; defaults that converge, and a
  `DivergenceError` that names the step when a run blows up (`compiled=True` replays the model's
  graph over each batch in NumPy).
- `MLP.to_torch()`, `MLP.from_torch(seq)`, `nn.compare_with_torch`: the same
  network in PyTorch, and every gradient side by side (PyTorch optional).
- `nn.plot` (import it; needs matplotlib): loss curves and decision boundaries.
- `nn.delta`: the Monash Δ rules and seed 001's matrix form, in NumPy, and
  `compare` to set them beside autodiff and finite differences.
- `nn.rng`: `resolve_rng`, the one reading of every `seed=` and `rng=` argument.
- `nn.demo`, `nn.selfcheck`: what the `deltagrad` command (`nn.cli`) runs,
  as library functions: the toy data sets, training, micrograd's demo, the checks.
"""

from . import data, delta, losses, optim
from .layers import ACTIVATIONS, MLP, Layer, Neuron
from .module import Module
from .torch_bridge import compare_with_torch  # imports PyTorch only when called
from .train import DivergenceError, History, fit

__all__ = ["Module", "Neuron", "Layer", "MLP", "ACTIVATIONS", "fit", "History", "DivergenceError",
           "losses", "optim", "data", "delta", "compare_with_torch"]
