"""kmon's one owner of Python's cyclic garbage collector: every decision about it is taken
here, and no other module of kmon touches ``gc``.

Decoding and storing tens of thousands of objects creates millions of tracked containers;
the collector's generational passes over them cost more than the work itself. ``paused()``
disables collection for the duration of a block; it is refcounted process-wide, so nested or
concurrent users (several informers listing at once) share one pause and collection resumes
(if it was on to begin with) when the last leaves. ``freeze()`` moves everything alive now to
the permanent generation (``gc.freeze``) so later full collections skip the cache's objects;
an informer's ``InformerGc`` calls it after the initial sync, and the application may call
it again. ``policy`` (``GcPolicy``, below) is the process-wide collector policy every informer installs
when it runs: high young threshold, periodic freezes during watch traffic; the comment above
``GcPolicy`` gives the measurements and the trade-off.

Who calls what: each informer owns an ``InformerGc`` (pause for its initial list, freeze once
synced, report applied deltas to the policy); list decoding (``kmon.kube``) runs inside
``paused()``; the GUI applies its thresholds with ``install_thresholds``, freezes its caches
once every context synced with ``collect_young_and_freeze`` and refreezes with ``freeze``;
the embedded API server (``kmon.sim``) installs ``policy`` and reports its writes to it.
"""

from __future__ import annotations

import gc
import os as _os
import threading
import time as _time
from contextlib import contextmanager
from typing import Callable, Iterator

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


@contextmanager
def liftable_pause() -> Iterator[Callable[[], None]]:
    """``paused()`` that the block may end early by calling the ``lift`` it is given (from
    any thread, any number of times): a WatchList collects its initial events paused, but a
    stream that falls silent before its end bookmark must not keep the collector off."""
    lock = threading.Lock()
    held = [True]

    def lift() -> None:
        with lock:
            if held[0]:
                held[0] = False
                resume()

    pause()
    try:
        yield lift
    finally:
        lift()


def depth() -> int:
    return _depth


def freeze() -> None:
    """Move every object tracked now to the permanent generation (see ``gc.freeze``)."""
    gc.freeze()


def collect_young_and_freeze() -> None:
    """Collect the young generations, then freeze what is left (the GUI, once every open
    context synced: the garbage of its start-up is not frozen with the caches)."""
    gc.collect(1)
    freeze()


# -- the process-wide policy on kmon's informer path ----------------------------------------------
#
# Why: kmon's caches hold tens of thousands of decoded objects (~100 dicts and lists per pod).
# With CPython's default thresholds (700, 10, 10) every burst of watch events triggers young
# collections that walk the freshly decoded objects and promote them, and full collections
# then walk every cached object that was replaced since the last freeze: measured 3k watch
# events/s with the collector on against 14k with it off, and ~1.4 s full-collection pauses
# with 50,000 pods cached, which the GUI feels.
#
# The policy (installed by every ``SharedIndexInformer.run``, once per process):
# - gen0 threshold POLICY_THRESHOLDS[0] (100,000): the threshold counts allocations *minus*
#   deallocations of tracked objects, and watch churn replaces objects (each new pod frees
#   the old one), so steady churn no longer triggers collections at all; a young
#   collection, when one happens, walks at most ~100k objects (a few ms).
# - bulk decode runs with collection paused (``paused()``: list pages, the initial
#   Replace and its processing), and the cache is frozen once it synced.
# - during watch traffic the processing threads report their deltas (``note_deltas``) and
#   the policy calls ``gc.freeze()`` every FREEZE_EVERY_DELTAS deltas or FREEZE_EVERY_SECONDS
#   seconds, whichever comes first (never while idle). ``gc.freeze()`` is O(1); it moves
#   the objects created since the last freeze out of the collector's sight, so full
#   collections never walk the cache again (measured pause after a sync and after churn:
#   ~0 ms instead of ~1.4 s).
#
# The trade-off: an object frozen while alive is never examined by the cyclic collector
# again. Objects decoded from the API are acyclic (dicts, lists, str, numbers), so they are
# freed by reference counting when replaced or deleted, frozen or not: no leak from the
# caches (the pipeline benchmark measures RSS flat over 200,000 updates of 50,000 pods).
# Cyclic garbage that *other* code (the GUI) creates and that is still uncollected at a
# freeze is not reclaimed; freezes happen only while deltas arrive, at most every
# FREEZE_EVERY_SECONDS, so what can be caught is what was created in the few seconds
# before a freeze and not yet found by a young collection. Unfreezing and collecting
# everything to reclaim it would stall the process for as long as a full collection of the
# caches (seconds with 50,000 pods), so the policy never does that; ``stats()`` reports
# ``gc.get_freeze_count()`` so the application can watch it.
# ``KMON_GC_POLICY=off`` in the environment disables the policy (thresholds and periodic
# freezes; the pauses around bulk decode stay).

POLICY_THRESHOLDS = (100_000, 10, 10)
FREEZE_EVERY_DELTAS = 1_000
FREEZE_EVERY_SECONDS = 1.0


class GcPolicy:
    """See the comment above. One instance per process: ``policy``."""

    def __init__(self, thresholds: tuple[int, int, int] = POLICY_THRESHOLDS,
                 freeze_every_deltas: int = FREEZE_EVERY_DELTAS,
                 freeze_every_seconds: float = FREEZE_EVERY_SECONDS) -> None:
        self.thresholds = thresholds
        self.freeze_every_deltas = freeze_every_deltas
        self.freeze_every_seconds = freeze_every_seconds
        self.enabled = _os.environ.get("KMON_GC_POLICY", "on").lower() not in ("off", "0", "false", "no")
        self._lock = threading.Lock()  # guards installed/_previous and serialises freezes
        self.installed = False
        self._previous: tuple[int, int, int] | None = None
        self._pending = 0  # deltas since the last freeze (racy increments are harmless)
        self._last_freeze = _time.monotonic()
        self.freezes = 0

    def install(self) -> bool:
        """Apply the thresholds (once per process; True if this call did)."""
        if not self.enabled:
            return False
        with self._lock:
            if self.installed:
                return False
            self._previous = gc.get_threshold()
            gc.set_threshold(*self.thresholds)
            self.installed = True
            self._last_freeze = _time.monotonic()
            return True

    def uninstall(self) -> None:
        """Restore the thresholds found at install (benchmarks and tests)."""
        with self._lock:
            if self.installed and self._previous is not None:
                gc.set_threshold(*self._previous)
            self.installed = False
            self._pending = 0

    def note_deltas(self, n: int) -> bool:
        """``n`` deltas were applied to a cache (0: the caller is idle); freeze if one is
        due and deltas arrived since the last freeze. Returns whether it froze."""
        if not self.installed:
            return False
        pending = self._pending + n
        self._pending = pending
        if pending == 0:
            return False
        if pending < self.freeze_every_deltas and _time.monotonic() - self._last_freeze < self.freeze_every_seconds:
            return False
        with self._lock:
            if self._pending == 0:
                return False  # another thread froze meanwhile
            self._pending = 0
            self._last_freeze = _time.monotonic()
            self.freezes += 1
            freeze()
        return True

    def frozen_now(self) -> None:
        """Someone else froze (e.g. after a sync): restart the interval."""
        self._pending = 0
        self._last_freeze = _time.monotonic()

    def stats(self) -> dict[str, object]:
        return {
            "enabled": self.enabled, "installed": self.installed, "thresholds": gc.get_threshold(),
            "freezes": self.freezes, "pending_deltas": self._pending, "frozen_objects": gc.get_freeze_count(),
        }


policy = GcPolicy()


def install_policy() -> bool:
    """Install the process-wide policy (idempotent)."""
    return policy.install()


def install_thresholds(thresholds: tuple[int, int, int], *, override: bool) -> None:
    """The GUI's collector thresholds: ``policy``'s (when it is enabled) unless ``override``
    (the user chose ``thresholds``, e.g. with KMON_GC_THRESHOLDS), else ``thresholds``."""
    if policy.enabled and not override:
        policy.install()
    else:
        gc.set_threshold(*thresholds)


class InformerGc:
    """One informer's part in the GC policy; the informer says what happens, this decides.

    - ``initial_list()`` (its queue's first Replace starts, or its first batch is applied
      before sync): pause collection until synced, so the initial list is applied without
      collections walking it;
    - ``synced()``: freeze the freshly listed cache (``freeze_after_sync``), then resume;
    - ``applied(n, total)`` after each processed batch once synced: report to ``policy`` and
      freeze every ``freeze_every`` deltas (0: never); ``idle()`` when a pop timed out
      (``idle_timeout``) so the policy can freeze what the last burst left young;
    - ``start()``/``stop()`` bracket the processing loop (a pause is only taken between them,
      and ``stop`` ends one still held).
    Holds no reference to the informer (a stopped informer is freed by reference counting).
    """

    __slots__ = ("_freeze_after_sync", "_policy", "_freeze_every", "_next_freeze", "_lock", "_paused",
                 "_running", "_synced")

    def __init__(self, *, freeze_after_sync: bool, use_policy: bool, freeze_every: int) -> None:
        self._freeze_after_sync = freeze_after_sync
        self._policy = policy if use_policy else None
        self._freeze_every = freeze_every
        self._next_freeze = freeze_every
        self._lock = threading.Lock()  # guards _paused and _running (reflector and processing threads)
        self._paused = False
        self._running = False
        self._synced = False

    @property
    def idle_timeout(self) -> float | None:
        """How long the processing loop may wait for deltas before calling ``idle()``."""
        return self._policy.freeze_every_seconds if self._policy is not None else None

    def start(self) -> None:
        if self._policy is not None:
            self._policy.install()
        self._running = True

    def initial_list(self) -> None:
        if self._synced or not self._running or self._paused:
            return
        with self._lock:
            if not self._paused and not self._synced and self._running:
                pause()
                self._paused = True

    def synced(self) -> None:
        self._synced = True
        # freeze before resuming: a collection in between would walk the whole cache
        if self._freeze_after_sync:
            freeze()
            if self._policy is not None:
                self._policy.frozen_now()
        self._resume()

    def applied(self, n: int, total: int) -> None:
        if self._policy is not None:
            self._policy.note_deltas(n)
        if self._freeze_every and total >= self._next_freeze:
            self._next_freeze = total + self._freeze_every
            freeze()

    def idle(self) -> None:
        if self._policy is not None:
            self._policy.note_deltas(0)

    def stop(self) -> None:
        self._resume(stopping=True)

    def _resume(self, stopping: bool = False) -> None:
        with self._lock:
            if stopping:
                self._running = False
            if self._paused:
                self._paused = False
                resume()
