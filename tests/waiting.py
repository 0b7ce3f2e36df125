"""The one way a test waits for state owned by another thread or process: ``wait_for``.

Importable as ``waiting`` from every test folder (pytest puts ``tests/`` on ``sys.path`` for
its root conftest). GUI tests that must keep Qt's event loop turning use
``qtbot.waitUntil`` instead; everything else waits here, never with a bare ``sleep``.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import Callable, TypeVar

T = TypeVar("T")


def wait_for(cond: Callable[[], T], timeout: float = 10.0, what: str | Callable[[], str] | None = None, *,
             step: float = 0.01, notified_by: threading.Condition | None = None) -> T:
    """Return ``cond()``'s first truthy value; fail the test (AssertionError) after ``timeout``
    seconds, naming ``what`` was awaited.

    ``cond`` is re-checked every ``step`` seconds. With ``notified_by`` (a Condition the
    producer notifies when its state changes) it is re-checked under that condition's lock,
    at once on every notification. ``what`` may be a callable: it is called only on failure,
    so it can describe the state that was reached (default: where ``cond`` is defined).
    """
    deadline = time.monotonic() + timeout
    if notified_by is not None:
        with notified_by:
            while True:
                value = cond()
                if value:
                    return value
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                notified_by.wait(min(left, step))
    else:
        while True:
            value = cond()
            if value:
                return value
            if time.monotonic() >= deadline:
                break
            time.sleep(step)  # polling step: state owned by another thread offers nothing to wait on
    raise AssertionError(f"timed out after {timeout:g} s waiting for {_describe(what, cond)}")


def reading_socket(thread: threading.Thread) -> bool:
    """True while ``thread`` is inside a socket read (a frame of ``socket.py``/``ssl.py``
    reading): a reader blocked by design has no event of its own, its stack is the condition."""
    frame = sys._current_frames().get(thread.ident)
    while frame is not None:
        code = frame.f_code
        if os.path.basename(code.co_filename) in ("socket.py", "ssl.py") and code.co_name in ("readinto", "recv_into", "read"):
            return True
        frame = frame.f_back
    return False


def _describe(what: str | Callable[[], str] | None, cond: Callable[[], object]) -> str:
    if callable(what):
        return what()
    if what:
        return what
    code = getattr(cond, "__code__", None)
    if code is not None:
        return f"{getattr(cond, '__qualname__', 'condition')} ({code.co_filename}:{code.co_firstlineno})"
    return repr(cond)
