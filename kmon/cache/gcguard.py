"""Pausing Python's cyclic garbage collector around bulk work.

Decoding and storing tens of thousands of objects creates millions of tracked containers;
the collector's generational passes over them cost more than the work itself. ``paused()``
disables collection for the duration of a block; it is refcounted process-wide, so nested or
concurrent users (several informers listing at once) share one pause and collection resumes
(if it was on to begin with) when the last leaves. ``freeze()`` moves everything alive now to
the permanent generation (``gc.freeze``) so later full collections skip the cache's objects;
the informer calls it after its initial sync, and the application may call it again.
"""

from __future__ import annotations

import gc
import threading
from contextlib import contextmanager
from typing import Iterator

_lock = threading.Lock()  # guards _depth and _was_enabled
_depth = 0
_was_enabled = False


def pause() -> None:
    """Enter a pause (pair with ``resume``)."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1


def resume() -> None:
    """Leave a pause; the last one out re-enables collection if it was enabled before."""
    global _depth
    with _lock:
        if _depth == 0:
            return
        _depth -= 1
        if _depth == 0 and _was_enabled:
            gc.enable()


@contextmanager
def paused() -> Iterator[None]:
    pause()
    try:
        yield
    finally:
        resume()


def depth() -> int:
    return _depth


def freeze() -> None:
    """Move every object tracked now to the permanent generation (see ``gc.freeze``)."""
    gc.freeze()
