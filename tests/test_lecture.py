"""The micrograd lecture runs on deltagrad unchanged.

Andrej Karpathy's "The spelled-out intro to neural networks and backpropagation:
building micrograd" (karpathy/nn-zero-to-hero, lectures/micrograd) writes a
`Value` class in a notebook and then uses it: derivatives by nudging inputs, the
graph drawn with its own `trace`/`draw_dot`, backprop stepped by hand with
`_backward()`, a hand-written `build_topo`, a neuron, and in the second half an
MLP trained on four examples. Its cells are reconstructed below (written for
this test in the lecture's style and order, two-space indents included; not
copied from the notebooks; the class, `trace`/`draw_dot` and neuron cells are
in micrograd_style.py, whose classes other tests build from the same text)
and run in lockstep in two kernels: one with the
lecture's own `class Value`, one where that cell is `from autograd import
Value` instead. A third pairing keeps deltagrad's Value but patches the
lecture's own op methods onto it (`Value.tanh = tanh`, ...), the lecture's way
of adding an op, so hand-written nodes mix with the op table's in one graph.

After every cell, every Value a kernel can reach by name (variables, lists,
the MLP's weights, the cell's displayed result) has the same data and grad in
both, and every graph the lecture's `draw_dot` draws renders with Graphviz's
real `dot`.

Not bit-exact, 1e-12 relative (of the number, or of the cell's largest, for a
gradient whose terms nearly cancel): the lecture's tanh is (e²ˣ − 1)/(e²ˣ + 1)
where deltagrad's is `math.tanh` (they differ in the last bits); the lecture
computes a / b as a · b⁻¹ (one rounding more); and where a node is used three or
more times, its gradient's terms are added in topological order, which the
lecture takes from a `set` of children (id order), so the sums round
differently from run to run. Measured over 60 runs: at most 6e-13 of the
number, 5e-16 of the cell's largest.
"""

from __future__ import annotations

import ast
import contextlib
import io
import math
import random
import re
import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from micrograd_style import LECTURE_DRAW_DOT, LECTURE_NEURON, LECTURE_VALUE

import autograd

# ---- the lecture's cells ------------------------------------------------------------
# `# %%` starts a cell, as in a percent-format notebook; `# %% [class Value]` marks
# the cell that defines the class, the one the deltagrad kernel replaces.

CLASS_VALUE = "\n# %% [class Value]" + LECTURE_VALUE

DRAW_DOT = "\n# %%" + LECTURE_DRAW_DOT

NEURON = "\n# %%" + LECTURE_NEURON

# The lecture edits the neuron's cell to spell tanh out through exp.
NEURON_WITH_EXP = NEURON.replace("o = n.tanh(); o.label = 'o'\n", """# ----
e = (2*n).exp()
o = (e - 1) / (e + 1)
# ----
o.label = 'o'
o.backward()
""")

TORCH_NEURON = '''
import torch


x1 = torch.Tensor([2.0]).double()                ; x1.requires_grad = True
x2 = torch.Tensor([0.0]).double()                ; x2.requires_grad = True
w1 = torch.Tensor([-3.0]).double()               ; w1.requires_grad = True
w2 = torch.Tensor([1.0]).double()                ; w2.requires_grad = True
b = torch.Tensor([6.8813735870195432]).double()  ; b.requires_grad = True
n = x1*w1 + x2*w2 + b
o = torch.tanh(n)

print(o.data.item())
o.backward()

print('---')
print('x2', x2.grad.item())
print('w2', w2.grad.item())
print('x1', x1.grad.item())
print('w1', w1.grad.item())
'''

# The lecture's plotting cells (matplotlib curves of plain floats) are left out:
# they touch no Value.
FIRST_HALF = f'''
# %%
import math
import numpy as np

# %%
def f(x):
  return 3*x**2 - 4*x + 5

# %%
f(3.0)

# %%
xs = np.arange(-5, 5, 0.25)
ys = f(xs)
ys

# %%
h = 0.000001
x = 2/3
(f(x + h) - f(x))/h

# %%
# les get more complex
a = 2.0
b = -3.0
c = 10.0
d = a*b + c
print(d)

# %%
h = 0.0001

# inputs
a = 2.0
b = -3.0
c = 10.0

d1 = a*b + c
c += h
d2 = a*b + c

print('d1', d1)
print('d2', d2)
print('slope', (d2 - d1)/h)
{CLASS_VALUE}
# %%
a = Value(2.0, label='a')
b = Value(-3.0, label='b')
c = Value(10.0, label='c')
e = a*b; e.label = 'e'
d = e + c; d.label = 'd'
f = Value(-2.0, label='f')
L = d * f; L.label = 'L'
L

# %%
d._prev

# %%
d._op
{DRAW_DOT}
# %%
draw_dot(L)

# %%
def lol():

  h = 0.001

  a = Value(2.0, label='a')
  b = Value(-3.0, label='b')
  c = Value(10.0, label='c')
  e = a*b; e.label = 'e'
  d = e + c; d.label = 'd'
  f = Value(-2.0, label='f')
  L = d * f; L.label = 'L'
  L1 = L.data

  a = Value(2.0, label='a')
  a.data += h
  b = Value(-3.0, label='b')
  c = Value(10.0, label='c')
  e = a*b; e.label = 'e'
  d = e + c; d.label = 'd'
  f = Value(-2.0, label='f')
  L = d * f; L.label = 'L'
  L2 = L.data

  print((L2 - L1)/h)

lol()

# %%
L.grad = 1.0
f.grad = 4.0
d.grad = -2.0
c.grad = -2.0
e.grad = -2.0
a.grad = -2.0 * -3.0
b.grad = -2.0 * 2.0

# %%
draw_dot(L)

# %%
a.data += 0.01 * a.grad
b.data += 0.01 * b.grad
c.data += 0.01 * c.grad
f.data += 0.01 * f.grad

e = a * b
d = e + c
L = d * f

print(L.data)
{NEURON}
# %%
draw_dot(o)

# %%
o.grad = 1.0

# %%
1 - o.data**2

# %%
n.grad = 0.5
x1w1x2w2.grad = 0.5
b.grad = 0.5
x1w1.grad = 0.5
x2w2.grad = 0.5
x2.grad = w2.data * x2w2.grad
w2.grad = x2.data * x2w2.grad
x1.grad = w1.data * x1w1.grad
w1.grad = x1.data * x1w1.grad

# %%
draw_dot(o)
{NEURON}
# %%
o.grad = 1.0

# %%
o._backward()

# %%
n._backward()

# %%
b._backward()

# %%
x1w1x2w2._backward()

# %%
x2w2._backward()
x1w1._backward()

# %%
draw_dot(o)
{NEURON}
# %%
topo = []
visited = set()
def build_topo(v):
  if v not in visited:
    visited.add(v)
    for child in v._prev:
      build_topo(child)
    topo.append(v)
build_topo(o)
topo

# %%
o.grad = 1.0

for node in reversed(topo):
  node._backward()

# %%
draw_dot(o)
{NEURON}
# %%
o.backward()

# %%
draw_dot(o)

# %%
a = Value(3.0, label='a')
b = a + a   ; b.label = 'b'
b.backward()
draw_dot(b)

# %%
a = Value(-2.0, label='a')
b = Value(3.0, label='b')
d = a * b    ; d.label = 'd'
e = a + b    ; e.label = 'e'
f = d * e    ; f.label = 'f'

f.backward()

draw_dot(f)

# %%
a = Value(2.0)
a + 1

# %%
2 * a

# %%
a.exp()

# %%
b = Value(4.0)
a / b

# %%
a - b
{NEURON_WITH_EXP}
# %%
draw_dot(o)
'''

SECOND_HALF = f'''
# %%
import math
import random
import numpy as np
{CLASS_VALUE}{DRAW_DOT}{NEURON}
o.backward()

# %%
draw_dot(o)
{NEURON_WITH_EXP}
# %%
draw_dot(o)

# %%
class Neuron:

  def __init__(self, nin):
    self.w = [Value(random.uniform(-1,1)) for _ in range(nin)]
    self.b = Value(random.uniform(-1,1))

  def __call__(self, x):
    # w * x + b
    act = sum((wi*xi for wi, xi in zip(self.w, x)), self.b)
    out = act.tanh()
    return out

  def parameters(self):
    return self.w + [self.b]

class Layer:

  def __init__(self, nin, nout):
    self.neurons = [Neuron(nin) for _ in range(nout)]

  def __call__(self, x):
    outs = [n(x) for n in self.neurons]
    return outs[0] if len(outs) == 1 else outs

  def parameters(self):
    return [p for neuron in self.neurons for p in neuron.parameters()]

class MLP:

  def __init__(self, nin, nouts):
    sz = [nin] + nouts
    self.layers = [Layer(sz[i], sz[i+1]) for i in range(len(nouts))]

  def __call__(self, x):
    for layer in self.layers:
      x = layer(x)
    return x

  def parameters(self):
    return [p for layer in self.layers for p in layer.parameters()]

# %%
x = [2.0, 3.0, -1.0]
n = MLP(3, [4, 4, 1])
n(x)

# %%
draw_dot(n(x))

# %%
xs = [
  [2.0, 3.0, -1.0],
  [3.0, -1.0, 0.5],
  [0.5, 1.0, 1.0],
  [1.0, 1.0, -1.0],
]
ys = [1.0, -1.0, -1.0, 1.0] # desired targets

# %%
ypred = [n(x) for x in xs]
loss = sum((yout - ygt)**2 for ygt, yout in zip(ys, ypred))
loss

# %%
loss.backward()

# %%
n.layers[0].neurons[0].w[0].grad

# %%
n.layers[0].neurons[0].w[0].data

# %%
draw_dot(loss)

# %%
len(n.parameters())

# %%
for p in n.parameters():
  p.data += -0.01 * p.grad

# %%
n.layers[0].neurons[0].w[0].data

# %%
ypred = [n(x) for x in xs]
loss = sum((yout - ygt)**2 for ygt, yout in zip(ys, ypred))
loss

# %%
loss.backward()

# %%
for p in n.parameters():
  p.data += -0.1 * p.grad

# %%
ypred

# %%
for k in range(20):

  # forward pass
  ypred = [n(x) for x in xs]
  loss = sum((yout - ygt)**2 for ygt, yout in zip(ys, ypred))

  # backward pass
  for p in n.parameters():
    p.grad = 0.0
  loss.backward()

  # update
  for p in n.parameters():
    p.data += -0.1 * p.grad

  print(k, loss.data)

# %%
ypred
'''


@dataclass(frozen=True)
class Cell:
    number: int
    source: str
    defines_value: bool  # the `class Value` cell

    def __str__(self) -> str:
        first = next((line for line in self.source.splitlines() if line.strip()), "")
        return f"cell {self.number} ({first.strip()[:40]!r})"


def notebook(text: str) -> list[Cell]:
    """The cells of a percent-format notebook held in a string."""
    cells = []
    for chunk in re.split(r"^# %%", text, flags=re.MULTILINE)[1:]:
        header, _, body = chunk.partition("\n")
        cells.append(Cell(len(cells) + 1, textwrap.dedent(body).strip("\n"), header.strip() == "[class Value]"))
    return cells


# ---- the kernels ------------------------------------------------------------------

SEED = 42  # every kernel starts from the same `random` state


class Kernel:
    """A notebook kernel: one namespace and one `random` state of its own (the
    kernels run in lockstep in one process), cells run in order, a cell's last
    expression is its displayed result, as in Jupyter."""

    def __init__(self, name: str, class_value: Callable[[Cell, dict[str, Any]], None]) -> None:
        self.name = name
        self.namespace: dict[str, Any] = {"__name__": "lecture"}
        self.class_value = class_value
        state = random.getstate()
        random.seed(SEED)
        self.random_state = random.getstate()
        random.setstate(state)

    @property
    def value_type(self) -> type:
        return self.namespace.get("Value", _NotYetDefined)

    def run(self, cell: Cell) -> tuple[Any, str]:
        """Runs `cell`; returns what it displays and what it prints."""
        printed = io.StringIO()
        with self._own_random(), contextlib.redirect_stdout(printed):
            if cell.defines_value:
                self.class_value(cell, self.namespace)
                return None, printed.getvalue()
            return execute(cell.source, self.namespace), printed.getvalue()

    @contextlib.contextmanager
    def _own_random(self) -> Iterator[None]:
        outside = random.getstate()
        random.setstate(self.random_state)
        try:
            yield
        finally:
            self.random_state = random.getstate()
            random.setstate(outside)


class _NotYetDefined:
    """The Value class of a kernel before its `class Value` cell has run."""


def execute(source: str, namespace: dict[str, Any]) -> Any:
    """exec of a cell; its last statement, when an expression, is evaluated and returned."""
    tree = ast.parse(source)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, "<cell>", "exec"), namespace)
    return eval(compile(ast.Expression(last.value), "<cell>", "eval"), namespace) if last else None


def lecture_class(cell: Cell, namespace: dict[str, Any]) -> None:
    execute(cell.source, namespace)


def deltagrad_class(cell: Cell, namespace: dict[str, Any]) -> None:
    execute("from autograd import Value", namespace)


# The lecture's methods that make nodes its own way, `Value(t, (self,), 'tanh')`
# with an assigned `_backward`, or as one-liners over other ops. `+` and `*` stay
# deltagrad's, so the graphs mix both kinds of node.
PATCHED = ("__pow__", "__rmul__", "__truediv__", "__neg__", "__sub__", "__radd__", "tanh", "exp")


def deltagrad_with_lecture_methods(monkeypatch: pytest.MonkeyPatch) -> Callable[[Cell, dict[str, Any]], None]:
    def class_value(cell: Cell, namespace: dict[str, Any]) -> None:
        execute(cell.source, namespace)
        lecture_value = namespace["Value"]
        execute("from autograd import Value", namespace)  # the methods' `Value(...)` now makes deltagrad Values
        for name in PATCHED:
            monkeypatch.setattr(autograd.Value, name, vars(lecture_value)[name])

    return class_value


# ---- comparing the kernels --------------------------------------------------------

REL = 1e-12

# Names bound by a loop over a set's order: `for node in reversed(topo)` leaves
# `node` at the last node, which in the lecture depends on the set of children.
UNORDERED = {"node"}


def reachable_values(namespace: dict[str, Any], displayed: Any, value_type: type) -> dict[str, Any]:
    """Every Value reachable by name: variables, items of lists, tuples, sets and
    dicts, attributes of the lecture's own objects (Neuron, Layer, MLP), and the
    cell's displayed result (as `Out`). A collection whose items are Values with
    distinct labels is keyed by label: its order may follow a set (`topo`, `_prev`)."""
    found: dict[str, Any] = {}

    def visit(obj: Any, path: str) -> None:
        if isinstance(obj, value_type):
            found[path] = obj
        elif isinstance(obj, (list, tuple, set, frozenset)):
            items = list(obj)
            labels = [getattr(x, "label", "") if isinstance(x, value_type) else "" for x in items]
            if items and all(labels) and len(set(labels)) == len(labels):
                for label, x in zip(labels, items):
                    visit(x, f"{path}[{label}]")
            elif not isinstance(obj, (set, frozenset)):
                for i, x in enumerate(items):
                    visit(x, f"{path}[{i}]")
        elif isinstance(obj, dict):
            for key, x in obj.items():
                visit(x, f"{path}[{key!r}]")
        elif type(obj).__module__ == "lecture" and not isinstance(obj, type):
            for key, x in vars(obj).items():
                visit(x, f"{path}.{key}")

    for name, obj in namespace.items():
        if not name.startswith("__") and name not in UNORDERED:
            visit(obj, name)
    visit(displayed, "Out")
    return found


def differences(cell: Cell, lecture: dict[str, Any], ours: dict[str, Any]) -> list[str]:
    if lecture.keys() != ours.keys():
        return [f"{cell}: the kernels reach different Values: only the lecture's {sorted(lecture.keys() - ours.keys())}"
                f", only deltagrad's {sorted(ours.keys() - lecture.keys())}"]
    found = []
    for attr in ("data", "grad"):
        # A gradient is a sum of contributions; where they nearly cancel (a weight's
        # gradient of 6e-5 from terms of order 1), the rounding of the sum is
        # relative to the terms, so the tolerance has a floor at REL × the cell's
        # largest magnitude.
        scale = max([1.0, *(abs(getattr(v, attr)) for v in lecture.values())])
        for path, theirs in lecture.items():
            a, b = getattr(theirs, attr), getattr(ours[path], attr)
            if not (isinstance(b, float) and math.isclose(a, b, rel_tol=REL, abs_tol=REL * scale)):
                found.append(f"{cell}: {path}.{attr} is {a!r} with the lecture's Value, {b!r} with deltagrad's")
    return found


RECORD = re.compile(r'label="\{ (.*?) \| data (\S+) \| grad (\S+) \}"')


def drawn_records(dot: Any) -> dict[str, tuple[float, float]]:
    """The labelled record nodes of one of the lecture's `draw_dot` graphs:
    label -> (data, grad) as drawn (four decimals)."""
    return {label: (float(data), float(grad)) for label, data, grad in RECORD.findall(dot.source) if label}


def rendered_texts(dot: Any) -> list[str]:
    """The texts of the SVG that the real `dot` program draws of `dot`."""
    svg = ET.fromstring(dot.pipe(format="svg"))
    return [t.text or "" for t in svg.iter("{http://www.w3.org/2000/svg}text")]


def printed_numbers(text: str) -> list[str | float]:
    return [float(t) if re.fullmatch(r"-?[\d.]+(e-?\d+)?", t) else t for t in text.split()]


def same_printout(lecture: str, ours: str) -> bool:
    # A printed finite difference divides round-off by h (1e-3), hence 1e-9 here.
    a, b = printed_numbers(lecture), printed_numbers(ours)
    return len(a) == len(b) and all(
        math.isclose(x, y, rel_tol=1e-9) if isinstance(x, float) and isinstance(y, float) else x == y
        for x, y in zip(a, b))


def run_in_lockstep(cells: list[Cell], ours: Kernel) -> Kernel:
    """Runs every cell in the lecture's kernel and in `ours`, comparing after each."""
    lecture = Kernel("the lecture's Value", lecture_class)
    problems: list[str] = []
    graphs = 0
    for cell in cells:
        theirs_out, theirs_printed = lecture.run(cell)
        our_out, our_printed = ours.run(cell)
        problems += differences(cell, reachable_values(lecture.namespace, theirs_out, lecture.value_type),
                                reachable_values(ours.namespace, our_out, ours.value_type))
        if not same_printout(theirs_printed, our_printed):
            problems.append(f"{cell} prints {theirs_printed!r} with the lecture's Value, {our_printed!r} with ours")
        if type(our_out).__name__ == "Digraph":
            graphs += 1
            problems += drawing_differences(cell, theirs_out, our_out)
    assert not problems, "\n".join(problems)
    assert graphs >= 3  # the lecture draws its graphs, and they were compared
    return ours


def drawing_differences(cell: Cell, theirs: Any, ours: Any) -> list[str]:
    """The labelled nodes are drawn with the same numbers, and both render."""
    mine, expected = drawn_records(ours), drawn_records(theirs)
    problems = [f"{cell}: draw_dot shows {mine} with deltagrad's Value, {expected} with the lecture's"] \
        if mine.keys() != expected.keys() or any(
            abs(a - b) > 1.01e-4 for label in mine for a, b in zip(mine[label], expected[label])) else []
    texts = rendered_texts(ours)
    assert rendered_texts(theirs)
    for label, (data, grad) in mine.items():
        if not {label, f"data {data:.4f}", f"grad {grad:.4f}"} <= set(texts):
            problems.append(f"{cell}: the rendered SVG lacks the node {label!r}")
    return problems


# ---- the lecture, run --------------------------------------------------------------

@pytest.fixture(params=["deltagrad", "deltagrad with the lecture's methods"])
def our_kernel(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Kernel:
    if request.param == "deltagrad":
        return Kernel(request.param, deltagrad_class)
    return Kernel(request.param, deltagrad_with_lecture_methods(monkeypatch))


def test_the_lectures_first_half_gives_the_same_values_and_gradients_after_every_cell(our_kernel):
    kernel = run_in_lockstep(notebook(FIRST_HALF), our_kernel)
    assert kernel.value_type is autograd.Value


def test_the_lectures_second_half_trains_the_same_mlp_after_every_cell(our_kernel):
    kernel = run_in_lockstep(notebook(SECOND_HALF), our_kernel)
    assert len(kernel.namespace["n"].parameters()) == 41  # MLP(3, [4, 4, 1]), as the lecture counts


# ---- the lecture's published numbers ------------------------------------------------

def run_alone(cells: list[Cell], kernel: Kernel, until: int | None = None) -> dict[str, Any]:
    for cell in cells[:until]:
        kernel.run(cell)
    return kernel.namespace


def test_the_lecture_neuron_gets_the_lectures_numbers_on_deltagrad():
    cells = notebook(FIRST_HALF)
    neuron_backward = next(i for i, c in enumerate(cells) if c.source == "o.backward()")
    ns = run_alone(cells, Kernel("deltagrad", deltagrad_class), until=neuron_backward + 1)
    assert f"{ns['o'].data:.4f}" == "0.7071"
    grads = {name: ns[name].grad for name in ("x1", "w1", "x2", "w2", "b", "n")}
    assert grads == pytest.approx({"x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0, "b": 0.5, "n": 0.5}, rel=1e-12)


def test_a_plus_a_gives_a_the_gradient_two_as_the_lectures_fixed_class():
    cells = notebook(FIRST_HALF)
    a_plus_a = next(i for i, c in enumerate(cells) if c.source.startswith("a = Value(3.0, label='a')"))
    ns = run_alone(cells, Kernel("deltagrad", deltagrad_class), until=a_plus_a + 1)
    assert (ns["a"].grad, ns["b"].data) == (2.0, 6.0)


def test_the_lectures_training_loop_lowers_the_loss_on_deltagrad():
    ns = run_alone(notebook(SECOND_HALF), Kernel("deltagrad", deltagrad_class))
    ypred = [y.data for y in ns["ypred"]]
    # After the lecture's 20 + 2 steps the four predictions have the targets' signs.
    assert [math.copysign(1.0, y) for y in ypred] == ns["ys"]
    assert ns["loss"].data < 0.1


def test_pytorch_gives_the_lecture_neuron_the_same_value_and_gradients_as_deltagrad():
    torch = pytest.importorskip("torch", reason="the lecture's PyTorch cell needs torch: pip install torch==2.13.0")
    theirs: dict[str, Any] = {}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        execute(textwrap.dedent(TORCH_NEURON), theirs)
    # The lecture's own printout: torch.Tensor([...]) is float32 before .double(),
    # so b is rounded and o is 0.70710669..., not 0.70710678.
    assert printed.getvalue().splitlines()[0] == "0.7071066904050358"
    leaves = {name: autograd.Value(theirs[name].item()) for name in ("x1", "x2", "w1", "w2", "b")}
    x1, x2, w1, w2, b = leaves.values()
    o = (x1*w1 + x2*w2 + b).tanh()
    o.backward()
    assert o.data == pytest.approx(theirs["o"].item(), rel=1e-15)
    for name, leaf in leaves.items():
        assert leaf.grad == pytest.approx(theirs[name].grad.item(), rel=1e-12, abs=1e-15), name
    assert isinstance(theirs["o"], torch.Tensor)


def test_the_readmes_lecture_network_trains_as_the_lecture_does():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## The micrograd lecture runs unchanged", 1)[1].split("\n## ", 1)[0]
    code = section.split("```python", 1)[1].split("```", 1)[0]
    assert 'MLP(3, [4, 4, 1], activation="tanh", out_activation="tanh"' in code
    namespace: dict[str, Any] = {}
    state = random.getstate()
    random.seed(SEED)
    try:
        exec(code, namespace)
    finally:
        random.setstate(state)
    ypred = [y.data for y in namespace["ypred"]]
    assert [math.copysign(1.0, y) for y in ypred] == namespace["ys"]
    assert namespace["loss"].data < 0.1
    assert len(namespace["n"].parameters()) == 41
