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


FULL = Config(warm_repeats=7, warm_seconds=0.1, graph_ops=200_000, graph_repeats=3, memory_nodes=100_000,
              chain_cap=1_000_000, train_blocks=3, train_steps=4)
QUICK = Config(warm_repeats=3, warm_seconds=0.01, graph_ops=20_000, graph_repeats=1, memory_nodes=10_000,
               chain_cap=100_000, train_blocks=1, train_steps=2)


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
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in cells]
        return "\n".join(lines)
    plain = [[c.replace("`", "") for c in row] for row in [header, *cells]]
    widths = [max(len(row[i]) for row in plain) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))).rstrip()
             for row in plain]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


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
    log("bench: the longest chain backward() survives ...")
    chains = {engine.name: longest_chain(engine, cfg.chain_cap) for engine in engines}
    log("bench: training steps of micrograd's demo ...")
    train = measure_training(engines, cfg)

    info["load_average_end"] = _load_average()
    info["seconds"] = round(time.perf_counter() - started, 1)
    # CPU time over wall time: below 1 when other processes took the core from the benchmark.
    info["cpu_share"] = round((time.process_time() - cpu_started) / info["seconds"], 3)
    rows = build_rows(ours.name, theirs.name, warm, graph, memory, chains, train, cfg)
    notes = _notes(train, cfg, info)
    print(format_table(rows, args.markdown))
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
                    "train": asdict(train)},
            "notes": notes,
        })
    return 0


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
