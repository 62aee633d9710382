"""Recording modes: `no_grad`, `detect_anomaly` and `name_scope`.

Each mode is thread-local and nestable. The engine's hot path checks one module
global (`engine._hooks_active`, a count of modes entered in any thread) and only
when it is non-zero asks this module what the current thread wants; so ops cost
nothing extra while no mode is on.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator

from . import engine


class _ThreadState(threading.local):
    def __init__(self) -> None:
        self.no_grad_depth = 0
        self.anomaly_depth = 0
        self.scopes: list[str] = []


_state = _ThreadState()
_lock = threading.Lock()
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


@contextlib.contextmanager
def _hook() -> Iterator[None]:
    """Keeps `engine._hooks_active` counting the modes entered in any thread."""
    with _lock:
        engine._hooks_active += 1
    try:
        yield
    finally:
        with _lock:
            engine._hooks_active -= 1


@contextlib.contextmanager
def no_grad() -> Iterator[None]:
    """Ops inside record no inputs: their results are leaves (as `torch.no_grad`)."""
    with _hook():
        _state.no_grad_depth += 1
        try:
            yield
        finally:
            _state.no_grad_depth -= 1


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


def _caller_site() -> str:
    """'file:line' of the innermost frame outside this package: where the user's
    code created the op."""
    frame = sys._getframe(1)
    while frame is not None and os.path.dirname(os.path.abspath(frame.f_code.co_filename)) == _PACKAGE_DIR:
        frame = frame.f_back
    if frame is None:
        return "<unknown>"
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


def record(out: engine.Value) -> None:
    """Called by the engine for every new op result while any mode is on."""
    st = _state
    if st.scopes:
        out.scope = st.scopes[-1]  # a no_grad result is a leaf made here, tagged like Value()
    if st.no_grad_depth:
        out._inputs = ()
        out._rule = None
        return
    if st.anomaly_depth:
        out._set_meta("source", _caller_site())
