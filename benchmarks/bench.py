"""deltagrad against micrograd 0.1.0, side by side in one process.

    python benchmarks/bench.py              # the full run (a minute or two)
    python benchmarks/bench.py --quick      # a smoke test: smaller sizes, fewer repeats
    python benchmarks/bench.py --markdown   # the table as Markdown, for the README
    python benchmarks/bench.py --json out.json

`make bench` installs micrograd==0.1.0 and runs the full benchmark. Progress goes
to stderr, the table to stdout. Every measure runs both engines interleaved in
the same process, so the ratios compare like with like on a noisy machine:

- warm ops: `a*b`, `a+b`, `a*2.0`, `a.relu()` on Values made beforehand, timeit-
  style (best of several repeats), with the garbage collector on as users run it.
  micrograd's ops make reference cycles (each node's closure refers to the node)
  that only the collector frees; timeit's own default (GC off) defers that cost
  past the timing, so those numbers are shown as an extra line.
- the floor: `Bare(); x * y` (making one bare `__slots__` object and multiplying
  two floats, the issue's definition), and for information the Python dispatch
  floor: a `__mul__` written in Python that does just that.
- a large graph: the chain `y = y * a + b`, 200,000 ops; the build, then
  `backward()` on it, per node. micrograd's recursive topological sort needs a
  recursion limit above the depth, so this part runs in a thread with a large
  stack under a raised limit, for both engines.
- memory: bytes per node of a 100,000-node chain `y = y * a`, everything the build
  allocates (tracemalloc snapshots around it).
- the longest chain whose `backward()` works under the default recursion limit
  (set to 1000): doubling, then bisection.
- one training step of micrograd's demo (its 100 moons, drawn by `nn.data`, and
  its starting weights; `MLP(2, [16, 16, 1])`, SVM loss, L2, SGD), the very same
  function on both engines.

Then "from scalars to batches" (`autograd.compile`), a second table:
- the same demo step compiled (recorded once, replayed over the 100 moons in
  NumPy): one NumPy call per node, and grouped (the default), beside PyTorch
  float64 on one thread where torch is installed, with the recording time;
- the scaling table: batch 100 ... 100,000 and hidden width 16 / 64 / 128, time
  per step and per example and peak memory, and a batch of 1,000,000 moons;
- seconds per epoch of MLP(64, [32, 10]) on the UCI 8x8 digits: micrograd (on a
  subset), scalar deltagrad and compiled; and the held-out accuracy nn.fit
  reaches compiled. BLAS runs on one thread (OPENBLAS_NUM_THREADS=1), as PyTorch.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import math
import os
import platform
import random
import subprocess
import sys
import threading
import time
import timeit
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

# The issues' targets, each a ratio measured in one run. The only place they are written.
TARGETS = {
    "warm_speedup": 3.0,  # micrograd ns / deltagrad ns, each warm op (at least)
    "build_speedup": 2.0,  # per op, building the 200,000-op graph (at least)
    "backward_speedup": 2.0,  # per node, backward() on it (at least)
    "memory_ratio": 4.0,  # micrograd bytes / deltagrad bytes per node (at least)
    "floor_ratio": 1.6,  # deltagrad a*b ns / floor ns (at most)
    "train_speedup": 4.0,  # per training step of micrograd's demo (at least)
}

WARM_OPS = {"a*b": "a * b", "a+b": "a + b", "a*2.0": "a * 2.0", "a.relu()": "a.relu()"}
RECURSION_LIMIT = 1000  # CPython's default, set explicitly for the longest-chain test
BIG_STACK = 512 * 1024 * 1024  # bytes of stack for the thread that runs micrograd's deep recursion


@dataclass(frozen=True)
class Config:
    warm_repeats: int  # timeit repeats per warm op and engine (best is kept)
    warm_seconds: float  # the least time of one repeat (sets the loop count)
    graph_ops: int  # ops in the large graph
    graph_repeats: int
    memory_nodes: int  # nodes of the chain measured with tracemalloc
    chain_cap: int  # the longest-chain search stops here
    train_blocks: int  # blocks of training steps per engine (best block mean is kept)
    train_steps: int  # steps per block
    compiled_steps: int = 50  # steps per block for the compiled step and PyTorch's
    batches: tuple[int, ...] = (100, 1_000, 10_000, 100_000)  # the scaling table's batch sizes
    widths: tuple[int, ...] = (16, 64, 128)  # and hidden widths
    million: int = 1_000_000  # the large moons batch, run in chunks
    digits_subset: int = 64  # examples micrograd trains on for its digits epoch time
    digits_scalar: int | None = None  # examples for scalar deltagrad's epoch (None: the whole training set)
    digits_epochs: int = 10  # compiled nn.fit epochs for the held-out accuracy


FULL = Config(warm_repeats=7, warm_seconds=0.1, graph_ops=200_000, graph_repeats=3, memory_nodes=100_000,
              chain_cap=1_000_000, train_blocks=3, train_steps=4)
QUICK = Config(warm_repeats=3, warm_seconds=0.01, graph_ops=20_000, graph_repeats=1, memory_nodes=10_000,
               chain_cap=100_000, train_blocks=1, train_steps=2, compiled_steps=5, batches=(100, 1_000),
               widths=(16, 64), million=100_000, digits_subset=16, digits_scalar=64, digits_epochs=1)


@dataclass
class Engine:
    name: str
    Value: type
    MLP: Any = None  # None when the engine's nn is not importable
    mlp_error: str = ""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def load_engines() -> tuple[Engine, Engine]:
    """deltagrad from this checkout and micrograd 0.1.0; exits 2 when micrograd is missing."""
    sys.path.insert(0, str(ROOT))
    try:
        from micrograd.engine import Value as MicrogradValue
        from micrograd.nn import MLP as MicrogradMLP
    except ImportError:
        print("bench: micrograd is not installed; the benchmark runs it side by side with deltagrad.\n"
              "       Install it with `pip install micrograd==0.1.0`, or run `make bench`.", file=sys.stderr)
        sys.exit(2)
    from autograd import Value

    ours = Engine("deltagrad", Value)
    try:
        from nn import MLP
    except Exception as err:  # nn may be missing or half-written; the rest of the benchmark still runs
        ours.mlp_error = f"nn not importable: {type(err).__name__}: {err}"
    else:
        ours.MLP = MLP
    version = _micrograd_version()
    if version != "0.1.0":
        log(f"bench: warning: micrograd {version} is installed; the targets are against 0.1.0 "
            "(`pip install micrograd==0.1.0`)")
    return ours, Engine("micrograd", MicrogradValue, MicrogradMLP)


def _micrograd_version() -> str:
    from importlib import metadata

    try:
        return metadata.version("micrograd")
    except metadata.PackageNotFoundError:
        return "unknown"


# ---- timing helpers ----------------------------------------------------------

def best_ns_per_loop(timers: dict[str, timeit.Timer], repeats: int, seconds: float) -> dict[str, float]:
    """Best-of-`repeats` ns per loop of each timer, the timers taken in turn within
    each repeat (and in reversed order every other repeat) so drift hits all alike."""
    numbers = {key: _loops_for(timer, seconds) for key, timer in timers.items()}
    best = dict.fromkeys(timers, math.inf)
    keys = list(timers)
    for r in range(repeats):
        for key in keys if r % 2 == 0 else reversed(keys):
            gc.collect()  # no garbage left from the previous timer to collect in this one
            seconds_taken = timers[key].timeit(numbers[key])
            best[key] = min(best[key], seconds_taken / numbers[key] * 1e9)
    return best


def _loops_for(timer: timeit.Timer, seconds: float) -> int:
    """timeit's autorange: a loop count 1, 2, 5, 10, 20, ... taking at least `seconds`."""
    number = 1
    while True:
        for step in (1, 2, 5):
            if timer.timeit(number * step) >= seconds:
                return number * step
        number *= 10


def run_in_big_stack_thread(fn: Callable[[], Any], recursion_limit: int) -> Any:
    """`fn()` in a thread with a large C stack and the recursion limit raised, so
    micrograd's recursive topological sort can finish on deep graphs."""
    result: list[Any] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            result.append(fn())
        except BaseException as err:  # re-raised in the caller's thread
            errors.append(err)

    old_limit, old_stack = sys.getrecursionlimit(), threading.stack_size()
    try:
        threading.stack_size(BIG_STACK)
    except (ValueError, RuntimeError):
        pass  # the platform's default stack; CPython >= 3.11 needs little C stack for Python recursion
    sys.setrecursionlimit(max(old_limit, recursion_limit))
    try:
        thread = threading.Thread(target=target, name="bench-big-stack")
        thread.start()
        thread.join()
    finally:
        threading.stack_size(old_stack)
        sys.setrecursionlimit(old_limit)
    if errors:
        raise errors[0]
    return result[0]


# ---- warm ops and the floor --------------------------------------------------

class Bare:
    """The floor's object: one slot, nothing else."""

    __slots__ = ("data",)


class Dispatch:
    """The Python dispatch floor: a `*` written in Python that makes one bare
    object and multiplies two floats, the least any pure-Python operator pays."""

    __slots__ = ("data",)

    def __init__(self, data: float) -> None:
        self.data = data

    def __mul__(self, other: Dispatch) -> Bare:
        out = Bare()
        out.data = self.data * other.data
        return out


def _timer(stmt: str, a: Any, b: Any, gc_on: bool) -> timeit.Timer:
    # The operands become the timing function's locals, as in `python -m timeit -s`.
    setup = "a = _a; b = _b; Bare = _Bare; x = _x; y = _y" + ("; _gc.enable()" if gc_on else "")
    names = {"_a": a, "_b": b, "_Bare": Bare, "_x": 2.0, "_y": 3.0, "_gc": gc}
    return timeit.Timer(stmt, setup, globals=names)


def measure_warm_ops(engines: Sequence[Engine], cfg: Config) -> dict[str, float]:
    """ns per op: keys like 'deltagrad a*b gc', 'micrograd a+b nogc', 'floor', 'dispatch floor'."""
    timers = {}
    for op, stmt in WARM_OPS.items():
        for gc_on in (True, False):
            for engine in engines:
                a, b = engine.Value(2.0), engine.Value(3.0)
                timers[f"{engine.name} {op} {'gc' if gc_on else 'nogc'}"] = _timer(stmt, a, b, gc_on)
        if op == "a*b":  # timed next to a*b, so a change in the machine's load moves both alike
            timers["floor"] = _timer("Bare(); x * y", None, None, gc_on=True)
            timers["dispatch floor"] = _timer("a * b", Dispatch(2.0), Dispatch(3.0), gc_on=True)
    return best_ns_per_loop(timers, cfg.warm_repeats, cfg.warm_seconds)


# ---- the large graph ---------------------------------------------------------

def build_chain(x: Any, a: Any, b: Any, steps: int) -> Any:
    """y = y * a + b, `steps` times: 2 * steps ops in one chain."""
    y = x
    for _ in range(steps):
        y = y * a + b
    return y


def _time_graph(engine: Engine, ops: int, gc_on: bool) -> tuple[float, float, float]:
    """(build ns per op, backward ns per node, a.grad) for one fresh graph."""
    V = engine.Value
    x, a, b = V(1.0), V(0.5), V(0.25)
    gc.collect()
    collecting = gc.isenabled()
    if not gc_on:
        gc.disable()
    try:
        t0 = time.perf_counter()
        y = build_chain(x, a, b, ops // 2)
        t1 = time.perf_counter()
        y.backward()
        t2 = time.perf_counter()
    finally:
        if collecting:
            gc.enable()
    grad = a.grad
    del x, y  # the graph is freed outside the timings
    gc.collect()
    return (t1 - t0) / ops * 1e9, (t2 - t1) / ops * 1e9, grad


def measure_large_graph(engines: Sequence[Engine], cfg: Config) -> dict[str, float]:
    """Best-of-repeats build ns/op and backward ns/node, with the GC on and off."""

    def run() -> dict[str, float]:
        best: dict[str, float] = {}
        grads: dict[str, float] = {}
        for r in range(cfg.graph_repeats):
            for gc_on in (True, False):
                for engine in engines if r % 2 == 0 else reversed(engines):
                    build, backward, grad = _time_graph(engine, cfg.graph_ops, gc_on)
                    mode = "gc" if gc_on else "nogc"
                    for key, ns in ((f"{engine.name} build {mode}", build),
                                    (f"{engine.name} backward {mode}", backward)):
                        best[key] = min(best.get(key, math.inf), ns)
                    grads[engine.name] = grad
        _check_same(grads, "d y / d a on the large graph")
        return best

    return run_in_big_stack_thread(run, recursion_limit=2 * cfg.graph_ops + 10_000)


def _check_same(values: dict[str, float], what: str, rel: float = 1e-9) -> None:
    """Both engines must compute the same number, or the timings compare different work."""
    first, second = values.values()
    if not math.isclose(first, second, rel_tol=rel, abs_tol=rel):
        raise RuntimeError(f"bench: the engines disagree on {what}: {values}")


# ---- memory ------------------------------------------------------------------

def bytes_per_node(engine: Engine, nodes: int) -> tuple[float, dict[str, int]]:
    """Bytes per node of the chain y = y * a (`nodes` products), everything
    allocated while building it: objects, dicts, sets, closures, tuples, floats.
    Also the bytes by the file that allocated them."""
    V = engine.Value
    x, a = V(1.0), V(1.0)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        y = x
        for _ in range(nodes):
            y = y * a
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    # Only the first snapshot's own objects are left out.
    ignore = [tracemalloc.Filter(False, tracemalloc.__file__)]
    stats = after.filter_traces(ignore).compare_to(before.filter_traces(ignore), "filename")
    by_file = {Path(s.traceback[0].filename).name: s.size_diff for s in stats if s.size_diff}
    del y
    gc.collect()
    return sum(by_file.values()) / nodes, by_file


def mlp_bytes_per_example(engine: Engine, examples: int = 20) -> float:
    """Bytes of the forward graph of micrograd's demo model, MLP(2, [16, 16, 1]),
    per example: where a Value's label, scope and source are kept shows here,
    since nn tags each neuron's net input and output (the parameters are built
    before the measurement and not counted)."""
    random.seed(1337)
    model = engine.MLP(2, [16, 16, 1])
    xs = [[0.1 * k, -0.05 * k] for k in range(examples)]
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        outputs = [model([engine.Value(a), engine.Value(b)]) for a, b in xs]
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    ignore = [tracemalloc.Filter(False, tracemalloc.__file__)]
    size = sum(s.size_diff for s in after.filter_traces(ignore).compare_to(before.filter_traces(ignore), "filename"))
    del outputs
    gc.collect()
    return size / examples


# ---- the longest chain -------------------------------------------------------

def backward_works(engine: Engine, length: int) -> bool:
    """Does backward() finish on a chain of `length` ops under the current recursion limit?"""
    V = engine.Value
    a = V(1.0)
    y = V(1.0)
    for _ in range(length):
        y = y + a
    try:
        y.backward()
    except RecursionError:
        return False
    return a.grad == length


def longest_chain(engine: Engine, cap: int) -> tuple[int, bool]:
    """(the longest chain found to work, whether that is the cap), under the
    recursion limit set to 1000: doubling from 64, then bisection to within 1%."""
    old_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(RECURSION_LIMIT)
    try:
        good, bad, n = 0, None, 64
        while bad is None:
            if backward_works(engine, n):
                good = n
                if n == cap:
                    return cap, True
                n = min(2 * n, cap)
            else:
                bad = n
            gc.collect()
        while bad - good > max(1, good // 100):
            mid = (good + bad) // 2
            good, bad = (mid, bad) if backward_works(engine, mid) else (good, mid)
            gc.collect()
        return good, False
    finally:
        sys.setrecursionlimit(old_limit)


# ---- one training step of micrograd's demo -----------------------------------

def demo_moons() -> tuple[list[list[float]], list[float]]:
    """micrograd's demo data: its `make_moons(n_samples=100, noise=0.1)` after
    `np.random.seed(1337)`, which `nn.data.make_moons` with seed=1337 draws alike,
    with labels -1/+1 (the demo's `y*2 - 1`). Plain lists of floats, the same for both engines."""
    from nn.data import make_moons  # here, not at the top: the benchmark runs without a working nn

    X, y = make_moons(n_samples=100, noise=0.1, seed=1337)
    return X.tolist(), (2.0 * y - 1.0).tolist()


def train_step(model: Any, Value: type, X: list[list[float]], y: list[float], k: int) -> tuple[float, float]:
    """Step k of micrograd's demo.ipynb, verbatim: the loss (SVM max-margin plus L2),
    the accuracy, zero_grad, backward and the SGD update. Returns (loss, accuracy)."""
    # loss()
    inputs = [list(map(Value, xrow)) for xrow in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi*scorei).relu() for yi, scorei in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    alpha = 1e-4
    reg_loss = alpha * sum((p*p for p in model.parameters()))  # noqa: UP034  (the demo's line, verbatim)
    total_loss = data_loss + reg_loss
    accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(y, scores)]
    acc = sum(accuracy) / len(accuracy)
    # the optimisation loop's body
    model.zero_grad()
    total_loss.backward()
    learning_rate = 1.0 - 0.9*k/100
    for p in model.parameters():
        p.data -= learning_rate * p.grad
    return total_loss.data, acc


@dataclass
class TrainResult:
    ms_per_step: dict[str, float] = field(default_factory=dict)  # 'deltagrad gc': best block mean, ...
    losses: dict[str, list[float]] = field(default_factory=dict)  # per engine, every step in order
    same_start: bool = False  # deltagrad's model started from micrograd's weights
    error: str = ""


def measure_training(engines: Sequence[Engine], cfg: Config) -> TrainResult:
    """ms per step of micrograd's demo on each engine: blocks of steps, the
    engines in turn, the GC on (and, for information, off); the best block's mean.

    Each block starts from a collected heap, so it never pays for the other
    engine's garbage, and with the GC on it ends by collecting its own inside the
    timing: deltagrad's graph is freed by reference counting as a step ends,
    micrograd's (cycles through its closures) only by the collector."""
    result = TrainResult()
    missing = [e for e in engines if e.MLP is None]
    if missing:
        result.error = missing[0].mlp_error
        return result
    X, y = demo_moons()
    random.seed(1337)  # the demo's seed: micrograd's model, made first, gets the demo's random.uniform weights
    models = {e.name: e.MLP(2, [16, 16, 1]) for e in reversed(engines)}
    result.same_start = _copy_weights(models[engines[1].name], models[engines[0].name])
    steps = {e.name: 0 for e in engines}
    result.losses = {e.name: [] for e in engines}

    def block(engine: Engine, n: int, gc_on: bool) -> float:
        gc.collect()
        if not gc_on:
            gc.disable()
        try:
            t0 = time.perf_counter()
            for _ in range(n):
                loss, _acc = train_step(models[engine.name], engine.Value, X, y, steps[engine.name])
                steps[engine.name] += 1
                result.losses[engine.name].append(loss)
            if gc_on:
                gc.collect()
            seconds = time.perf_counter() - t0
        finally:
            gc.enable()
        return seconds / n * 1e3

    for engine in engines:
        block(engine, 1, gc_on=True)  # warm-up
    for r in range(cfg.train_blocks):
        for gc_on in (True, False):
            for engine in engines if r % 2 == 0 else reversed(engines):
                key = f"{engine.name} {'gc' if gc_on else 'nogc'}"
                ms = block(engine, cfg.train_steps, gc_on)
                result.ms_per_step[key] = min(result.ms_per_step.get(key, math.inf), ms)
    gc.collect()
    return result


def _copy_weights(source: Any, target: Any) -> bool:
    """Starts `target` from `source`'s weights when the parameter lists line up,
    so both engines train the same network and their losses can be compared."""
    src, dst = source.parameters(), target.parameters()
    if len(src) != len(dst):
        return False
    for p, q in zip(dst, src):
        p.data = float(q.data)
    return True


# ---- from scalars to batches: autograd.compile --------------------------------

LADDER_TARGETS = {
    "compiled_vs_micrograd": 1000.0,  # micrograd ms / compiled ms per demo step (at least)
    "compiled_vs_torch": 2.0,  # compiled ms / PyTorch ms per demo step (at most)
}


@dataclass
class LadderResult:
    ms_per_step: dict[str, float] = field(default_factory=dict)  # 'per-node', 'grouped', 'torch'
    compile_ms: dict[str, float] = field(default_factory=dict)  # recording and planning, per replay kind
    losses: dict[str, list[float]] = field(default_factory=dict)  # per kind, the first steps in order
    torch_error: str = ""
    error: str = ""
    scaling: list[dict[str, float]] = field(default_factory=list)
    million: dict[str, float] = field(default_factory=dict)
    digits: dict[str, Any] = field(default_factory=dict)


def _demo_weights(micrograd: Engine) -> list[float]:
    """The demo's starting weights: `random.seed(1337)` then micrograd's MLP(2, [16, 16, 1])."""
    random.seed(1337)
    return [float(p.data) for p in micrograd.MLP(2, [16, 16, 1]).parameters()]


def _deltagrad_mlp(weights: list[float]) -> Any:
    from nn import MLP

    model = MLP(2, [16, 16, 1], seed=0)
    for p, w in zip(model.parameters(), weights):
        p.data = w
    return model


def compiled_demo_step(model: Any, grouped: bool) -> tuple[Callable[[int], tuple[float, float]], float]:
    """The demo's step with the loss compiled once: (step(k) -> (loss, accuracy), recording ms).
    One example's loss is the SVM loss plus the L2 penalty (a node of parameters only, so it is
    computed once per call), and its score is a second output, for the accuracy."""
    import numpy as np

    import autograd

    params = model.parameters()
    alpha = 1e-4

    def loss_one(x0: Any, x1: Any, y: Any) -> list[Any]:
        score = model([x0, x1])
        reg_loss = alpha * autograd.sum([p * p for p in params])
        return [(1 + -y * score).relu() + reg_loss, score]

    t0 = time.perf_counter()
    f = autograd.compile(loss_one, 0.0, 0.0, 1.0, grouped=grouped)
    compile_ms = (time.perf_counter() - t0) * 1e3
    X, y = demo_moons()
    x0, x1, Y = (np.array(c) for c in (np.array(X)[:, 0], np.array(X)[:, 1], y))
    seed = np.zeros((len(Y), 2))
    seed[:, 0] = 1.0 / len(Y)  # the mean loss; no gradient from the score column

    def step(k: int) -> tuple[float, float]:
        for p in params:
            p.grad = 0.0  # model.zero_grad()
        out, _ = f.value_and_grad(x0, x1, Y, seed=seed)  # forward and backward, every example at once
        accuracy = float(np.mean((Y > 0) == (out[:, 1] > 0)))
        learning_rate = 1.0 - 0.9 * (k % 100) / 100
        for p in params:
            p.data -= learning_rate * p.grad
        return float(out[:, 0].mean()), accuracy

    return step, compile_ms


def torch_demo_step(model: Any) -> Callable[[int], tuple[float, float]]:
    """The demo's step in PyTorch, float64, one thread, from the same weights (`MLP.to_torch`)."""
    import torch

    torch.set_num_threads(1)
    seq = model.to_torch()
    X, y = demo_moons()
    X, Y = torch.tensor(X, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)
    params = list(seq.parameters())

    def step(k: int) -> tuple[float, float]:
        scores = seq(X)[:, 0]
        data_loss = torch.relu(1 + -Y * scores).mean()
        reg_loss = 1e-4 * sum((p * p).sum() for p in params)
        total_loss = data_loss + reg_loss
        accuracy = ((Y > 0) == (scores > 0)).double().mean()
        seq.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * (k % 100) / 100
        with torch.no_grad():
            for p in params:
                p -= learning_rate * p.grad
        return total_loss.item(), accuracy.item()

    return step


def _best_block_ms(steps: dict[str, Callable[[int], tuple[float, float]]], blocks: int, n: int,
                   losses: dict[str, list[float]]) -> dict[str, float]:
    """Best block mean in ms per step of each step function, taken in turn (reversed every other block)."""
    best = dict.fromkeys(steps, math.inf)
    counter = dict.fromkeys(steps, 0)
    keys = list(steps)

    def run(key: str, count: int) -> float:
        gc.collect()
        t0 = time.perf_counter()
        for _ in range(count):
            loss, _ = steps[key](counter[key])
            losses.setdefault(key, []).append(loss)
            counter[key] += 1
        return (time.perf_counter() - t0) / count * 1e3

    for key in keys:
        run(key, 3)  # warm-up: the first steps, whose losses are compared
    for r in range(blocks):
        for key in keys if r % 2 == 0 else reversed(keys):
            best[key] = min(best[key], run(key, n))
    return best


def measure_ladder(engines: Sequence[Engine], cfg: Config) -> LadderResult:
    """The compiled demo step (per-node and grouped replay) beside PyTorch's, then the scaling table
    and the digits."""
    result = LadderResult()
    if engines[0].MLP is None:
        result.error = engines[0].mlp_error
        return result
    weights = _demo_weights(engines[1])
    steps: dict[str, Callable[[int], tuple[float, float]]] = {}
    for kind, grouped in (("per-node", False), ("grouped", True)):
        steps[kind], result.compile_ms[kind] = compiled_demo_step(_deltagrad_mlp(weights), grouped)
    try:
        steps["torch"] = torch_demo_step(_deltagrad_mlp(weights))
    except ImportError:
        result.torch_error = "PyTorch is not installed (pip install 'deltagrad[torch]')"
    losses: dict[str, list[float]] = {}
    # Sub-millisecond steps: the objects the earlier measures left (two engines' models, modules) are
    # frozen out of the collector's scans, so a full collection that falls inside a block costs what
    # the step's own objects cost, for each engine alike; the collector stays on.
    gc.collect()
    gc.freeze()
    try:
        result.ms_per_step = _best_block_ms(steps, cfg.train_blocks, cfg.compiled_steps, losses)
    finally:
        gc.unfreeze()
    result.losses = {k: v[:25] for k, v in losses.items()}
    log("bench: the scaling table ...")
    result.scaling = measure_scaling(cfg)
    log(f"bench: a batch of {cfg.million:,} moons ...")
    result.million = measure_million(cfg)
    log("bench: the 8x8 digits ...")
    result.digits = measure_digits(engines, cfg)
    return result


def _hinge_step(width: int) -> tuple[Any, Callable[[Any, Any], None], Any]:
    """MLP(2, [width, width, 1]) with the demo's loss compiled: (the compiled graph, step(X, Y), numpy)."""
    import numpy as np

    import autograd
    from nn import MLP

    model = MLP(2, [width, width, 1], seed=0)
    params = model.parameters()
    f = autograd.compile(lambda x, y: (1 + -y * model(x)).relu(), [0.0, 0.0], 1.0)

    def step(X: Any, Y: Any) -> None:
        for p in params:
            p.grad = 0.0
        f.value_and_grad(X, Y)
        for p, g in zip(params, (p.grad for p in params)):
            p.data -= 0.01 * g

    return f, step, np


def measure_scaling(cfg: Config) -> list[dict[str, float]]:
    """ms per step (value_and_grad and the SGD update), µs per example and peak memory (tracemalloc,
    everything the step allocates) for each hidden width and batch."""
    from nn.data import make_moons

    rows = []
    for width in cfg.widths:
        f, step, np = _hinge_step(width)
        for batch in cfg.batches:
            X, y = make_moons(batch, noise=0.1, seed=0)
            Y = 2.0 * y - 1.0
            step(X, Y)  # warm-up
            best = math.inf
            for _ in range(2):
                gc.collect()
                count, t0 = 0, time.perf_counter()
                while count == 0 or time.perf_counter() - t0 < 0.2:
                    step(X, Y)
                    count += 1
                best = min(best, (time.perf_counter() - t0) / count)
            gc.collect()
            tracemalloc.start()
            step(X, Y)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            rows.append({"width": width, "batch": batch, "ms_per_step": best * 1e3,
                         "us_per_example": best * 1e6 / batch, "peak_mib": peak / 2 ** 20,
                         "chunks": math.ceil(batch / f.chunk_size), "parameters": len(f.parameters)})
    return rows


def measure_million(cfg: Config) -> dict[str, float]:
    """One value_and_grad of the moons model (width 16) on cfg.million examples, in chunks: time and peak memory."""
    from nn.data import make_moons

    f, step, _ = _hinge_step(16)
    X, y = make_moons(cfg.million, noise=0.1, seed=0)
    Y = 2.0 * y - 1.0
    gc.collect()
    tracemalloc.start()
    t0 = time.perf_counter()
    step(X, Y)
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"examples": cfg.million, "seconds": seconds, "peak_mib": peak / 2 ** 20,
            "data_mib": (X.nbytes + Y.nbytes) / 2 ** 20, "chunks": math.ceil(cfg.million / f.chunk_size)}


def _digits_epoch(Value: type, model: Any, X: Any, T: Any) -> None:
    """One epoch of MLP(64, [32, 10]) on the digits in micrograd's vocabulary (it has no exp or
    log): mini-batches of 32, E = ½ Σ (t − a)² on one-hot targets, SGD at 0.01."""
    for start in range(0, len(X), 32):
        total = Value(0.0)
        for x, t in zip(X[start:start + 32], T[start:start + 32]):
            for a, ti in zip(model([Value(v) for v in x]), t):
                total = total + (a - ti) ** 2
        total = total * 0.5
        model.zero_grad()
        total.backward()
        for p in model.parameters():
            p.data -= 0.01 * p.grad


def measure_digits(engines: Sequence[Engine], cfg: Config) -> dict[str, Any]:
    """Seconds per epoch of the same epoch on micrograd (a subset, scaled), scalar deltagrad and
    compiled; and nn.fit(compiled=True)'s held-out accuracy with softmax cross-entropy and Adam."""
    import numpy as np

    import autograd
    import nn
    from nn.data import load_digits, train_test_split

    X, y = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(X, y, 0.25, seed=0)
    T = np.eye(10)[y_train]
    rows, targets = X_train.tolist(), T.tolist()
    out: dict[str, Any] = {"train": len(X_train), "test": len(X_test)}
    for engine, count in ((engines[1], cfg.digits_subset), (engines[0], cfg.digits_scalar or len(rows))):
        random.seed(0)
        model = engine.MLP(64, [32, 10])
        gc.collect()
        t0 = time.perf_counter()
        _digits_epoch(engine.Value, model, rows[:count], targets[:count])
        out[f"{engine.name} s_per_epoch"] = (time.perf_counter() - t0) / count * len(rows)
        out[f"{engine.name} examples"] = count
    model = nn.MLP(64, [32, 10], seed=0)
    params = model.parameters()

    def loss_one(x: Any, t: Any) -> Any:
        return 0.5 * autograd.sum([(ti - a) ** 2 for a, ti in zip(model(x), t)])

    f = autograd.compile(loss_one, [0.0] * 64, [0.0] * 10)
    ones = np.ones(32)
    gc.collect()
    t0 = time.perf_counter()
    for start in range(0, len(X_train), 32):
        model.zero_grad()
        f.value_and_grad(X_train[start:start + 32], T[start:start + 32], seed=ones[:len(X_train[start:start + 32])])
        for p in params:
            p.data -= 0.01 * p.grad
    out["compiled s_per_epoch"] = time.perf_counter() - t0
    model = nn.MLP(64, [32, 10], init="he", seed=0)
    t0 = time.perf_counter()
    nn.fit(model, X_train, y_train, loss="softmax_cross_entropy", optimizer=nn.optim.Adam(model.parameters(), lr=0.01),
           epochs=cfg.digits_epochs, batch_size=32, seed=0, compiled=True, progress=False)
    out["fit s_per_epoch"] = (time.perf_counter() - t0) / cfg.digits_epochs
    logits = autograd.compile(lambda x: model(x), [0.0] * 64)(X_test)
    out["fit epochs"] = cfg.digits_epochs
    out["test accuracy"] = float(np.mean(logits.argmax(axis=1) == y_test))
    return out


def ladder_tables(ladder: LadderResult, micrograd_ms: float, scalar_ms: float, markdown: bool) -> str:
    """The compiled step against the other rungs, the scaling table and the digits, as text."""
    if ladder.error:
        return f"From scalars to batches: not measured ({ladder.error})."
    ms = ladder.ms_per_step
    torch_ms = ms.get("torch")
    ours = ms["grouped"]

    def versus(x: float) -> tuple[str, str]:
        return f"{micrograd_ms / x:,.0f}x faster", ("" if torch_ms is None else f"{x / torch_ms:.2f}x")

    header = ["demo training step (forward, backward, SGD)", "ms/step", "vs micrograd", "÷ PyTorch's time", "target",
              "met?"]
    rows = [["micrograd 0.1.0", f"{micrograd_ms:,.1f}", "1x",
             "" if torch_ms is None else f"{micrograd_ms / torch_ms:,.0f}x", "", ""],
            ["deltagrad, scalar engine", f"{scalar_ms:,.1f}", *versus(scalar_ms), "", ""],
            ["deltagrad compiled, one NumPy call per node", f"{ms['per-node']:.3f}", *versus(ms["per-node"]),
             "info", ""]]
    speedup = micrograd_ms / ours
    rows.append(["deltagrad compiled, grouped (the default)", f"{ours:.3f}", *versus(ours),
                 f"≥ {LADDER_TARGETS['compiled_vs_micrograd']:,.0f}x micrograd",
                 "yes" if speedup >= LADDER_TARGETS["compiled_vs_micrograd"] else "NO"])
    if torch_ms is None:
        rows.append(["PyTorch float64, one thread", "n/a", "", "", f"≤ {LADDER_TARGETS['compiled_vs_torch']:g}x",
                     ladder.torch_error])
    else:
        rows.append(["PyTorch float64, one thread", f"{torch_ms:.3f}", *versus(torch_ms),
                     f"compiled ≤ {LADDER_TARGETS['compiled_vs_torch']:g}x PyTorch",
                     "yes" if ours / torch_ms <= LADDER_TARGETS["compiled_vs_torch"] else "NO"])
    rows.append(["recording it (`autograd.compile`, once; grouped / per node)",
                 f"{ladder.compile_ms['grouped']:.1f} / {ladder.compile_ms['per-node']:.1f}", "", "", "info", ""])
    parts = [_table(header, rows, markdown)]
    scaling = [["hidden width", "batch", "ms/step", "µs/example", "peak memory", "chunks"]]
    body = [[f"{r['width']}", f"{r['batch']:,}", f"{r['ms_per_step']:,.2f}", f"{r['us_per_example']:.3f}",
             f"{r['peak_mib']:,.1f} MiB", f"{r['chunks']}"] for r in ladder.scaling]
    m = ladder.million
    body.append(["16", f"{m['examples']:,}", f"{m['seconds'] * 1e3:,.0f}", f"{m['seconds'] * 1e6 / m['examples']:.3f}",
                 f"{m['peak_mib']:,.1f} MiB (+{m['data_mib']:.0f} MiB data)", f"{m['chunks']}"])
    parts.append(_table(scaling[0], body, markdown))
    d = ladder.digits
    digits_header = ["MLP(64, [32, 10]) on the 8x8 digits", "s/epoch", "vs micrograd", "measured on"]
    mg = d["micrograd s_per_epoch"]
    digits_rows = [
        ["micrograd 0.1.0", f"{mg:,.1f}", "1x", f"{d['micrograd examples']:,} examples, scaled to {d['train']:,}"],
        ["deltagrad, scalar engine", f"{d['deltagrad s_per_epoch']:,.2f}", f"{mg / d['deltagrad s_per_epoch']:,.0f}x",
         f"{d['deltagrad examples']:,} examples" + ("" if d["deltagrad examples"] == d["train"] else
                                                    f", scaled to {d['train']:,}")],
        ["deltagrad compiled", f"{d['compiled s_per_epoch']:,.3f}", f"{mg / d['compiled s_per_epoch']:,.0f}x",
         f"the {d['train']:,} training images"],
        ["`nn.fit(compiled=True)`, softmax cross-entropy, Adam", f"{d['fit s_per_epoch']:,.3f}", "",
         f"{d['fit epochs']} epochs: {d['test accuracy']:.1%} on {d['test']:,} held-out images"],
    ]
    parts.append(_table(digits_header, digits_rows, markdown))
    return "\n\n".join(parts)


def _table(header: list[str], rows: list[list[str]], markdown: bool) -> str:
    """The table as Markdown, or as plain text: the first column left-aligned, the others right-aligned."""
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
        return "\n".join(lines)
    plain = [[c.replace("`", "") for c in row] for row in [header, *rows]]
    widths = [max(len(row[i]) for row in plain) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))).rstrip()
             for row in plain]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


# ---- the table ---------------------------------------------------------------

@dataclass
class Row:
    measure: str
    ours: str
    micrograd: str
    ratio: str
    target: str
    met: str  # "yes", "NO", or "" for an informational row


def _speedup_row(measure: str, ours: float, theirs: float, unit: str, target: float | None, digits: int = 0) -> Row:
    ratio = theirs / ours
    met = "" if target is None else ("yes" if ratio >= target else "NO")
    return Row(measure, f"{ours:,.{digits}f} {unit}", f"{theirs:,.{digits}f} {unit}", f"{ratio:.2f}x faster",
               "info" if target is None else f"≥ {target:g}x", met)


def build_rows(ours: str, theirs: str, warm: dict[str, float], graph: dict[str, float],
               memory: dict[str, float], chains: dict[str, tuple[int, bool]], train: TrainResult,
               cfg: Config) -> list[Row]:
    rows = []
    for op in WARM_OPS:
        rows.append(_speedup_row(f"warm `{op}` (ns/op)", warm[f"{ours} {op} gc"], warm[f"{theirs} {op} gc"],
                                 "ns", TARGETS["warm_speedup"]))
    ops = list(WARM_OPS)
    rows.append(Row("warm ops, GC off (ns/op, in the order above)",
                    " / ".join(f"{warm[f'{ours} {op} nogc']:.0f}" for op in ops),
                    " / ".join(f"{warm[f'{theirs} {op} nogc']:.0f}" for op in ops),
                    " / ".join(f"{warm[f'{theirs} {op} nogc'] / warm[f'{ours} {op} nogc']:.2f}x" for op in ops),
                    "info", ""))
    floor, dispatch = warm["floor"], warm["dispatch floor"]
    mul, their_mul = warm[f"{ours} a*b gc"], warm[f"{theirs} a*b gc"]
    rows.append(Row("floor: `Bare(); x * y` (ns)", f"{floor:.0f} ns", "", "", "", ""))
    rows.append(Row("warm `a*b` / floor", f"{mul / floor:.2f}x", f"{their_mul / floor:.2f}x", "",
                    f"≤ {TARGETS['floor_ratio']:g}x", "yes" if mul / floor <= TARGETS["floor_ratio"] else "NO"))
    rows.append(Row(f"Python dispatch floor (ns; {dispatch / floor:.2f}x floor)", f"{dispatch:.0f} ns", "", "",
                    "info", ""))
    rows.append(Row("warm `a*b` / Python dispatch floor", f"{mul / dispatch:.2f}x", f"{their_mul / dispatch:.2f}x",
                    "", "info", ""))
    rows.append(_speedup_row(f"build a {cfg.graph_ops:,}-op graph (ns/op)", graph[f"{ours} build gc"],
                             graph[f"{theirs} build gc"], "ns", TARGETS["build_speedup"]))
    rows.append(_speedup_row("`backward()` on it (ns/node; micrograd with the recursion limit raised)",
                             graph[f"{ours} backward gc"], graph[f"{theirs} backward gc"], "ns",
                             TARGETS["backward_speedup"]))
    rows.append(_speedup_row("build, GC off (ns/op)", graph[f"{ours} build nogc"], graph[f"{theirs} build nogc"],
                             "ns", None))
    rows.append(_speedup_row("`backward()`, GC off (ns/node)", graph[f"{ours} backward nogc"],
                             graph[f"{theirs} backward nogc"], "ns", None))
    mem_ratio = memory[theirs] / memory[ours]
    rows.append(Row(f"memory, {cfg.memory_nodes:,}-node chain (bytes/node)",
                    f"{memory[ours]:,.0f} B", f"{memory[theirs]:,.0f} B", f"{mem_ratio:.2f}x less",
                    f"≥ {TARGETS['memory_ratio']:g}x", "yes" if mem_ratio >= TARGETS["memory_ratio"] else "NO"))
    mlp_ours, mlp_theirs = memory[f"{ours} mlp"], memory[f"{theirs} mlp"]
    rows.append(Row("memory, MLP(2, [16, 16, 1]) forward graph (KB/example)", f"{mlp_ours / 1024:.1f} KB",
                    f"{mlp_theirs / 1024:.1f} KB", f"{mlp_theirs / mlp_ours:.2f}x less", "info", ""))
    (our_len, our_capped), (their_len, their_capped) = chains[ours], chains[theirs]
    at_least = "≥ " if our_capped else ""
    rows.append(Row(f"longest chain `backward()` survives (recursion limit {RECURSION_LIMIT:,})",
                    f"{at_least}{our_len:,}", ("≥ " if their_capped else "") + f"{their_len:,}",
                    f"{at_least}{our_len / their_len:,.0f}x longer", "info", ""))
    label = "training step of micrograd's demo (ms/step)"
    if train.error:
        rows.append(Row(label, "n/a (nn not importable)", "", "", f"≥ {TARGETS['train_speedup']:g}x", "n/a"))
    else:
        rows.append(_speedup_row(label, train.ms_per_step[f"{ours} gc"], train.ms_per_step[f"{theirs} gc"], "ms",
                                 TARGETS["train_speedup"], digits=1))
        rows.append(_speedup_row("training step, GC off (ms/step)", train.ms_per_step[f"{ours} nogc"],
                                 train.ms_per_step[f"{theirs} nogc"], "ms", None, digits=1))
    return rows


def format_table(rows: list[Row], markdown: bool) -> str:
    header = ["measure", "deltagrad", "micrograd 0.1.0", "ratio", "target", "met?"]
    cells = [[r.measure, r.ours, r.micrograd, r.ratio, r.target, r.met] for r in rows]
    return _table(header, cells, markdown)


# ---- the platform ------------------------------------------------------------

def platform_info() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    try:
        commit = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
                                capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return {
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "cpu": cpu,
        "cores": os.cpu_count(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "deltagrad": commit,
        "micrograd": _micrograd_version(),
        "load_average_start": _load_average(),
    }


def _load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def platform_line(info: dict[str, Any]) -> str:
    load = info["load_average_start"], info.get("load_average_end")
    loads = " → ".join(", ".join(f"{x:.2f}" for x in la) for la in load if la)
    parts = [info["python"], f"{info['cpu']} ({info['cores']} cores)", info["date"]]
    if info["deltagrad"]:
        parts.append(f"deltagrad {info['deltagrad']}")
    parts.append(f"micrograd {info['micrograd']}")
    if loads:
        parts.append(f"load average {loads}")
    if "cpu_share" in info:
        parts.append(f"{info['cpu_share']:.0%} of a core over {info['seconds']:.0f} s")
    return "; ".join(parts)


def write_json_atomically(path: Path, data: Any) -> None:
    """The results as JSON, written whole or not at all (autograd.files)."""
    from autograd.files import write_atomically

    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, lambda: (json.dumps(data, indent=2) + "\n").encode(), "bench")


# ---- main --------------------------------------------------------------------

def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="deltagrad against micrograd 0.1.0, side by side in one process.")
    parser.add_argument("--quick", action="store_true", help="smaller sizes and fewer repeats: a smoke test")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown (for the README)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the results to PATH as JSON")
    args = parser.parse_args(argv)
    cfg = QUICK if args.quick else FULL
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before NumPy loads: one thread, as PyTorch's row

    ours, theirs = load_engines()
    engines = (ours, theirs)
    info = platform_info()
    started, cpu_started = time.perf_counter(), time.process_time()

    log("bench: warm ops and the floor ...")
    warm = measure_warm_ops(engines, cfg)
    log(f"bench: building a {cfg.graph_ops:,}-op graph and backward() ...")
    graph = measure_large_graph(engines, cfg)
    log(f"bench: memory of a {cfg.memory_nodes:,}-node chain ...")
    memory, memory_by_file = {}, {}
    for engine in engines:
        memory[engine.name], memory_by_file[engine.name] = bytes_per_node(engine, cfg.memory_nodes)
        memory[f"{engine.name} mlp"] = mlp_bytes_per_example(engine)
    log("bench: the longest chain backward() survives ...")
    chains = {engine.name: longest_chain(engine, cfg.chain_cap) for engine in engines}
    log("bench: training steps of micrograd's demo ...")
    train = measure_training(engines, cfg)
    log("bench: the demo step compiled, and PyTorch's ...")
    ladder = measure_ladder(engines, cfg)

    info["load_average_end"] = _load_average()
    info["seconds"] = round(time.perf_counter() - started, 1)
    # CPU time over wall time: below 1 when other processes took the core from the benchmark.
    info["cpu_share"] = round((time.process_time() - cpu_started) / info["seconds"], 3)
    rows = build_rows(ours.name, theirs.name, warm, graph, memory, chains, train, cfg)
    notes = _notes(train, cfg, info) + _ladder_notes(ladder, train, cfg)
    print(format_table(rows, args.markdown))
    print()
    if not train.error:
        print(ladder_tables(ladder, train.ms_per_step[f"{theirs.name} gc"], train.ms_per_step[f"{ours.name} gc"],
                            args.markdown))
        print()
    print(platform_line(info))
    print()
    for note in notes:
        print(f"- {note}")
    log(f"bench: done in {info['seconds']:.1f} s")
    if args.json:
        write_json_atomically(args.json, {
            "platform": info, "config": asdict(cfg), "targets": TARGETS, "quick": args.quick,
            "rows": [asdict(r) for r in rows],
            "raw": {"warm_ns": warm, "graph_ns": graph, "memory_bytes_per_node": memory,
                    "memory_bytes_by_file": memory_by_file,
                    "longest_chain": {k: {"length": n, "capped": c} for k, (n, c) in chains.items()},
                    "train": asdict(train), "ladder": asdict(ladder)},
            "notes": notes,
        })
    return 0


def _ladder_notes(ladder: LadderResult, train: TrainResult, cfg: Config) -> list[str]:
    if ladder.error or train.error:
        return []
    notes = [
        "Compiled step: the demo's step with one example's loss (SVM loss + L2) recorded once by `autograd.compile` "
        "and replayed over the 100 moons by `value_and_grad`, then the SGD update over the 337 parameters in Python; "
        f"best of {cfg.train_blocks} block(s) of {cfg.compiled_steps} steps, the GC on (what the earlier measures left "
        "frozen out of its scans, `gc.freeze()`). PyTorch: the same step on "
        "`model.to_torch()`, float64, `torch.set_num_threads(1)`; BLAS on one thread for NumPy too.",
        "Scaling: MLP(2, [w, w, 1]), the SVM loss, `value_and_grad` and an SGD update per step; time of steps "
        "repeated for 0.2 s, best of 2; peak memory by tracemalloc over one step (NumPy's buffers included). A batch "
        "larger than the chunk runs in chunks of rows.",
        "Digits: one epoch, mini-batches of 32, ½ Σ (t − a)² on one-hot targets and SGD (micrograd 0.1.0 has no "
        "exp or log for a cross-entropy); the same function on micrograd and the scalar engine, the same loss "
        "compiled; the last row is `nn.fit(..., compiled=True)` as a user trains.",
    ]
    scalar = train.losses.get("deltagrad", [])
    for kind in ("grouped", "per-node", "torch"):
        theirs = ladder.losses.get(kind, [])
        n = min(len(scalar), len(theirs))
        if n:
            gap = max(abs(a - b) for a, b in zip(scalar[:n], theirs[:n]))
            notes.append(f"From micrograd's starting weights, the {kind} step's losses over its first {n} steps "
                         f"equal the scalar engine's to {gap:.1e}.")
    return notes


def _notes(train: TrainResult, cfg: Config, info: dict[str, Any]) -> list[str]:
    notes = [
        f"Warm ops: best of {cfg.warm_repeats} timeit repeats, the GC on as users run it (micrograd's closures make "
        "reference cycles only the collector frees); the GC-off line is timeit's default, which defers that cost.",
        "Floor: `Bare(); x * y`, a bare one-slot `__slots__` object and a float product. Python dispatch floor: "
        "`a * b` where `__mul__` is a Python method that makes a `Bare` and stores the product of two floats.",
        f"Large graph: the chain `y = y * a + b` ({cfg.graph_ops:,} ops), best of {cfg.graph_repeats}; "
        "micrograd's recursive `backward()` needs the recursion limit above the depth, so this part runs, "
        "for both engines, in a thread with a 512 MiB stack and the limit raised.",
        "Memory: tracemalloc snapshots around building `y = y * a`, everything allocated (objects, dicts, sets, "
        "closures, cells, tuples, floats).",
        f"Longest chain: `y = y + a` then `backward()` with `sys.setrecursionlimit({RECURSION_LIMIT})`; doubling, "
        f"then bisection; capped at {cfg.chain_cap:,}.",
        "Training step: micrograd's demo.ipynb step (loss, accuracy, `zero_grad`, `backward`, SGD update), "
        f"100 moons, one function run on both engines; best of {cfg.train_blocks} block(s) of {cfg.train_steps} "
        "steps (block mean); each block starts from a collected heap and, with the GC on, ends by collecting "
        "its own garbage inside the timing (micrograd's graphs are cycles only the collector frees).",
    ]
    if cfg is QUICK:
        notes.append("--quick: a smoke test, a tenth of the sizes and fewer repeats; judge the targets on a full run.")
    if info["cpu_share"] < 0.9:
        notes.append(f"The machine was busy: the benchmark got {info['cpu_share']:.0%} of a core over its run; "
                     "the absolute times are inflated and the ratios noisier. Rerun when it is idle.")
    if train.error:
        notes.append(f"Training not measured: {train.error}.")
    elif train.losses:
        ours, theirs = train.losses.values()
        if train.same_start:
            gap = max(abs(p - q) for p, q in zip(ours, theirs))
            notes.append(f"Both engines trained the same weights (copied from micrograd's model); the largest "
                         f"loss difference over {len(ours)} steps is {gap:.1e}.")
        else:
            notes.append("The models' parameter lists differ in length, so the engines trained different weights.")
    return notes


if __name__ == "__main__":
    sys.exit(main())
