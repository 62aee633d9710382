"""The micrograd lecture's code that several test files use, written once.

Karpathy's "The spelled-out intro to neural networks and backpropagation:
building micrograd" writes its `Value` class, its `trace`/`draw_dot` and its
first neuron in notebook cells. test_lecture.py runs those cells as text in
Jupyter-like kernels; the other tests use what the same text builds. So each
piece is held here once, as the cell's text (reconstructed in the lecture's
style, two-space indents included), and the objects are built by running it.

Also here: the lecture's first expression L = (a·b + c)·f and micrograd's
README example, each built by more than one test file.
"""

from __future__ import annotations

import math
from typing import Any

from autograd import Value

# ---- the lecture's cells, as text ------------------------------------------------------

# The lecture's `class Value` cell. Its methods make nodes with `Value(...)`,
# looked up by name when they run: whatever `Value` means where the text was
# run is the class of every node they make (test_lecture.py rebinds it to
# deltagrad's Value; `lecture_value_class` to a class with mixins).
LECTURE_VALUE = '''
class Value:

  def __init__(self, data, _children=(), _op='', label=''):
    self.data = data
    self.grad = 0.0
    self._backward = lambda: None
    self._prev = set(_children)
    self._op = _op
    self.label = label

  def __repr__(self):
    return f"Value(data={self.data})"

  def __add__(self, other):
    other = other if isinstance(other, Value) else Value(other)
    out = Value(self.data + other.data, (self, other), '+')

    def _backward():
      self.grad += 1.0 * out.grad
      other.grad += 1.0 * out.grad
    out._backward = _backward

    return out

  def __mul__(self, other):
    other = other if isinstance(other, Value) else Value(other)
    out = Value(self.data * other.data, (self, other), '*')

    def _backward():
      self.grad += other.data * out.grad
      other.grad += self.data * out.grad
    out._backward = _backward

    return out

  def __pow__(self, other):
    assert isinstance(other, (int, float)), "only supporting int/float powers for now"
    out = Value(self.data**other, (self,), f'**{other}')

    def _backward():
      self.grad += other * (self.data ** (other - 1)) * out.grad
    out._backward = _backward

    return out

  def __rmul__(self, other): # other * self
    return self * other

  def __truediv__(self, other): # self / other
    return self * other**-1

  def __neg__(self): # -self
    return self * -1

  def __sub__(self, other): # self - other
    return self + (-other)

  def __radd__(self, other): # other + self
    return self + other

  def tanh(self):
    x = self.data
    t = (math.exp(2*x) - 1)/(math.exp(2*x) + 1)
    out = Value(t, (self, ), 'tanh')

    def _backward():
      self.grad += (1 - t**2) * out.grad
    out._backward = _backward

    return out

  def exp(self):
    x = self.data
    out = Value(math.exp(x), (self, ), 'exp')

    def _backward():
      self.grad += out.data * out.grad
    out._backward = _backward

    return out

  def backward(self):

    topo = []
    visited = set()
    def build_topo(v):
      if v not in visited:
        visited.add(v)
        for child in v._prev:
          build_topo(child)
        topo.append(v)
    build_topo(self)

    self.grad = 1.0
    for node in reversed(topo):
      node._backward()
'''

# The ops micrograd's engine.py has and the lecture's class does not (relu, and
# - and / with the Value on the right), in the same style: appended to
# LECTURE_VALUE they continue its class body.
MICROGRAD_OPS = '''
  def relu(self):
    out = Value(0.0 if self.data < 0 else self.data, (self,), 'ReLU')

    def _backward():
      self.grad += (out.data > 0) * out.grad
    out._backward = _backward

    return out

  def __rsub__(self, other): # other - self
    return other + (-self)

  def __rtruediv__(self, other): # other / self
    return other * self**-1
'''

# The lecture's `trace` and `draw_dot` cell.
LECTURE_DRAW_DOT = '''
from graphviz import Digraph

def trace(root):
  # builds a set of all nodes and edges in a graph
  nodes, edges = set(), set()
  def build(v):
    if v not in nodes:
      nodes.add(v)
      for child in v._prev:
        edges.add((child, v))
        build(child)
  build(root)
  return nodes, edges

def draw_dot(root):
  dot = Digraph(format='svg', graph_attr={'rankdir': 'LR'}) # LR = left to right

  nodes, edges = trace(root)
  for n in nodes:
    uid = str(id(n))
    # for any value in the graph, create a rectangular ('record') node for it
    dot.node(name = uid, label = "{ %s | data %.4f | grad %.4f }" % (n.label, n.data, n.grad), shape='record')
    if n._op:
      # if this value is a result of some operation, create an op node for it
      dot.node(name = uid + n._op, label = n._op)
      # and connect this node to it
      dot.edge(uid + n._op, uid)

  for n1, n2 in edges:
    # connect n1 to the op node of n2
    dot.edge(str(id(n1)), str(id(n2)) + n2._op)

  return dot
'''

# The lecture's first neuron, o = tanh(x1*w1 + x2*w2 + b), labelled as in the video.
LECTURE_NEURON = '''
# inputs x1,x2
x1 = Value(2.0, label='x1')
x2 = Value(0.0, label='x2')
# weights w1,w2
w1 = Value(-3.0, label='w1')
w2 = Value(1.0, label='w2')
# bias of the neuron
b = Value(6.8813735870195432, label='b')
# x1*w1 + x2*w2 + b
x1w1 = x1*w1; x1w1.label = 'x1*w1'
x2w2 = x2*w2; x2w2.label = 'x2*w2'
x1w1x2w2 = x1w1 + x2w2; x1w1x2w2.label = 'x1*w1 + x2*w2'
n = x1w1x2w2 + b; n.label = 'n'
o = n.tanh(); o.label = 'o'
'''


# ---- what the text builds ---------------------------------------------------------------

def lecture_value_class(name: str = "LectureValue", *mixins: type) -> type:
    """A fresh class built from the lecture's Value with micrograd's extra ops
    (LECTURE_VALUE + MICROGRAD_OPS), named `name`, with `mixins` before it in
    the method order. Every node its ops make is of the returned class, so a
    mixin's variant (a planted bug, children in a tuple) holds in the whole graph."""
    namespace: dict[str, Any] = {"math": math, "__name__": __name__}
    exec(LECTURE_VALUE + MICROGRAD_OPS, namespace)
    cls = type(name, (*mixins, namespace["Value"]), {"__doc__": f"The micrograd lecture's Value, as {name}."})
    namespace["Value"] = cls  # the name the methods look up when they make a node
    return cls


LectureValue = lecture_value_class()


def _run(text: str, namespace: dict[str, Any]) -> dict[str, Any]:
    exec(text, namespace)
    return namespace


# The lecture's trace: the set of nodes and the set of (child, parent) edges below a root.
trace = _run(LECTURE_DRAW_DOT, {"__name__": __name__})["trace"]


def lecture_neuron(value_type: type = LectureValue) -> tuple[Any, dict[str, Any]]:
    """The lecture's neuron (LECTURE_NEURON) made of `value_type` nodes, after
    o.backward(): (o, {label: node}) for its ten labelled nodes."""
    namespace = _run(LECTURE_NEURON, {"Value": value_type})
    o = namespace["o"]
    o.backward()
    return o, {v.label: v for v in namespace.values() if isinstance(v, value_type)}


def lecture_expression(**labels: str) -> dict[str, Value]:
    """The lecture's first expression L = (a·b + c)·f with a = 2, b = −3, c = 10,
    f = −2, in deltagrad Values, before backward(): {name: Value} for a, b, c, e,
    d, f and L. Each is labelled with its name, or with `labels[name]`."""
    def label(name: str) -> str:
        return labels.get(name, name)

    a, b, c, f = Value(2.0, label("a")), Value(-3.0, label("b")), Value(10.0, label("c")), Value(-2.0, label("f"))
    e = a * b
    e.label = label("e")
    d = e + c
    d.label = label("d")
    L = d * f
    L.label = label("L")
    return dict(a=a, b=b, c=c, d=d, e=e, f=f, L=L)


def readme_example(V: type) -> dict[str, Any]:
    """micrograd's README example in `V` nodes, verbatim except that every
    intermediate is kept, before backward(). micrograd publishes g = 24.7041,
    dg/da = 138.8338 and dg/db = 645.5773."""
    a = V(-4.0)
    b = V(2.0)
    c = a + b
    d = a * b + b**3
    c1 = c
    c += c + 1
    c2 = c
    c += 1 + c + (-a)
    d1 = d
    d += d * 2 + (b + a).relu()
    d2 = d
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g1 = g
    g += 10.0 / f
    return {"a": a, "b": b, "c1": c1, "c2": c2, "c": c, "d1": d1, "d2": d2, "d": d, "e": e, "f": f, "g1": g1, "g": g}
