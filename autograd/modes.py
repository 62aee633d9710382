"""Recording modes: `no_grad`, `enable_grad`, `detect_anomaly` and `name_scope`.

Each mode is thread-local and nestable. The engine's hot path reads one module
attribute, `active` (how many modes are entered in any thread), and only when it
is non-zero calls `record` for a new node; so ops cost nothing extra while no
mode is on. This module imports nothing of the engine: it sees a node only as
an object with `_inputs`, `_rule`, `scope` and `source`.
"""

from __future__ import annotations

import contextlib
import linecache
import os
import re
import sys
import threading
from collections.abc import Iterator
from typing import Any

active = 0  # modes entered in any thread; the engine calls `record` while it is non-zero


class _ThreadState(threading.local):
    def __init__(self) -> None:
        self.no_grad_depth = 0
        self.anomaly_depth = 0
        self.ieee_depth = 0
        self.scopes: list[str] = []
        self.trace: Any = None  # the recording of `autograd.compile`, while it runs the function


_state = _ThreadState()
_lock = threading.Lock()
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


@contextlib.contextmanager
def _hook() -> Iterator[None]:
    """Keeps `active` counting the modes entered in any thread."""
    global active
    with _lock:
        active += 1
    try:
        yield
    finally:
        with _lock:
            active -= 1


@contextlib.contextmanager
def no_grad() -> Iterator[None]:
    """Ops inside record no inputs: their results are leaves (as `torch.no_grad`)."""
    with _hook():
        _state.no_grad_depth += 1
        try:
            yield
        finally:
            _state.no_grad_depth -= 1


@contextlib.contextmanager
def enable_grad() -> Iterator[None]:
    """Records ops again inside a `no_grad()` block (as `torch.enable_grad`);
    `backward(create_graph=True)` runs in it, so it builds its graph anywhere."""
    depth, _state.no_grad_depth = _state.no_grad_depth, 0
    try:
        yield
    finally:
        _state.no_grad_depth = depth


def is_grad_enabled() -> bool:
    """False inside `no_grad()` in this thread."""
    return _state.no_grad_depth == 0


@contextlib.contextmanager
def detect_anomaly() -> Iterator[None]:
    """Ops remember the file and line that created them, and `backward()` raises
    `FloatingPointError` on the first NaN or infinite gradient, naming the op and
    that source line (as `torch.autograd.detect_anomaly`)."""
    with _hook():
        _state.anomaly_depth += 1
        try:
            yield
        finally:
            _state.anomaly_depth -= 1


def is_anomaly_enabled() -> bool:
    return _state.anomaly_depth > 0


@contextlib.contextmanager
def ieee() -> Iterator[None]:
    """Inside `backward()`: an op's forward gives IEEE 754's ±inf or NaN where it
    would raise a domain error (a derivative may be infinite where the function
    is finite, as 1/(2√x) at 0), as PyTorch does."""
    _state.ieee_depth += 1
    try:
        yield
    finally:
        _state.ieee_depth -= 1


def is_ieee() -> bool:
    return _state.ieee_depth > 0


@contextlib.contextmanager
def name_scope(name: str) -> Iterator[str]:
    """Tags every Value created inside with a dotted scope name, nested scopes
    joined by dots (`layers.0` then `neurons.3` gives `layers.0.neurons.3`).
    `draw_dot` groups tagged Values into clusters. Yields the full name."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"name_scope: the name must be a non-empty string, got {name!r}")
    full = f"{_state.scopes[-1]}.{name}" if _state.scopes else name
    with _hook():
        _state.scopes.append(full)
        try:
            yield full
        finally:
            _state.scopes.pop()


def current_scope() -> str:
    """The innermost active scope of this thread, '' outside any."""
    return _state.scopes[-1] if _state.scopes else ""


@contextlib.contextmanager
def tracing(trace: Any) -> Iterator[None]:
    """While `autograd.compile` records a function: every new node is shown to
    `trace.record(node)`, and a comparison, `bool`, `float` or `int` of a Value
    asks `trace.refuse(value, what)`, which raises where the answer would
    depend on the data (see `concrete`). Records inside `no_grad()` too."""
    with _hook(), enable_grad():
        outer, _state.trace = _state.trace, trace
        try:
            yield
        finally:
            _state.trace = outer


def concrete(value: Any, what: str) -> None:
    """Called by a Value's comparisons, `bool`, `float` and `int` while any mode
    is on: inside `tracing`, the trace raises if the Value's number is data that
    a recorded graph cannot branch on."""
    trace = _state.trace
    if trace is not None:
        trace.refuse(value, what)


def record(out: Any) -> None:
    """Called by the engine for every new op result while any mode is on."""
    st = _state
    if st.trace is not None:
        st.trace.record(out)
    if st.scopes:
        out.scope = st.scopes[-1]  # a no_grad result is a leaf made here, tagged like Value()
    if st.no_grad_depth:
        out._inputs = ()
        out._rule = None
        return
    if st.anomaly_depth:
        out.source = caller_site()


# IPython compiles each cell into a file of its own, such as
# /tmp/ipykernel_21858/2169668265.py; the cell's number is found by matching
# that file's text against the shell's history of inputs, `In`.
_IPYKERNEL_FILE = re.compile(r"[/\\]ipykernel_\d+[/\\]\d+\.py$")


def caller_site() -> str:
    """'file:line' of the innermost frame outside this package: where the user's
    code created the op. In Jupyter, `cell [5], line 3` where IPython knows the
    cell's execution count."""
    frame = sys._getframe(1)
    while frame is not None and os.path.dirname(os.path.abspath(frame.f_code.co_filename)) == _PACKAGE_DIR:
        frame = frame.f_back
    if frame is None:
        return "<unknown>"
    filename = frame.f_code.co_filename
    if _IPYKERNEL_FILE.search(filename):
        cell = _notebook_cell(filename)
        if cell is not None:
            return f"cell [{cell}], line {frame.f_lineno}"
    return f"{filename}:{frame.f_lineno}"


def _notebook_cell(filename: str) -> int | None:
    """The execution count of the Jupyter cell compiled into `filename`, when
    IPython is running and remembers it (its history of cell inputs)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
    if shell is None:
        return None
    try:
        source = "".join(linecache.getlines(filename))
        for count, text in reversed(list(enumerate(shell.user_ns.get("In", [])))):
            if text.strip() and text.rstrip() == source.rstrip():
                return count
    except Exception:  # IPython internals differ across versions: fall back to the file name
        return None
    return None
