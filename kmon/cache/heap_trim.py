"""Giving the allocator's free memory back to the system, where the C library allows it.

Why this module exists: a churning cache frees the wire bytes of every replaced object
(~5 KiB each, too big for Python's small-object allocator) and allocates the new ones;
glibc keeps the freed pages in its heap, so the resident size stays near its high-water
mark (an initial sync's decode buffers, a relist's two copies). ``malloc_trim(0)`` hands
every wholly free page back (in the middle of the heap too). Measured with
``benchmarks/bench_gui.py --views`` at 50,000 objects: 24 MB back just after the sync,
then 5-8 MB every 20 s under 2,000 changes/s, each call 1-3 ms (the GIL released: ctypes).

``fix_mmap_threshold`` keeps glibc from raising its threshold for giving large blocks
pages of their own (see there). Elsewhere (musl, macOS, Windows) neither call exists and
both do nothing. Qt-free; the GUI uses both from its GC-policy timer
(``kmon.ui.app.start_gc_policy``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from typing import Callable

__all__ = ["available", "fix_mmap_threshold", "trim"]

MMAP_THRESHOLD = 256 << 10  # allocations from this size on get pages of their own
_M_MMAP_THRESHOLD = -3  # mallopt's parameter number (malloc.h)


def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim.argtypes = [ctypes.c_size_t]  # glibc only
        libc.malloc_trim.restype = ctypes.c_int
        libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        libc.mallopt.restype = ctypes.c_int
    except (OSError, AttributeError):
        return None
    return libc


_LIBC = _libc()


def available() -> bool:
    """Whether this process's C library can give free heap memory back."""
    return _LIBC is not None


def fix_mmap_threshold(size: int = MMAP_THRESHOLD) -> bool:
    """Allocations of ``size`` bytes or more get pages of their own, given back when freed;
    True if set. glibc raises this threshold by itself to the size of each large block
    freed: after one 4 MiB watch-stream read, every later read buffer and list page under
    4 MiB would come from the heap and leave it fragmented (measured: ~20 MB more resident
    and longer GUI stalls at 50,000 objects under churn). Setting it keeps it put."""
    if _LIBC is None:
        return False
    return bool(_LIBC.mallopt(_M_MMAP_THRESHOLD, int(size)))


def trim() -> bool:
    """Give the heap's free pages back to the system; True if any memory was released."""
    return bool(_LIBC.malloc_trim(0)) if _LIBC is not None else False
