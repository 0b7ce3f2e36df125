"""Shared test helpers: a recording store and running things in bounded threads."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from waiting import wait_for


class RecordingStore:
    """A ReflectorStore that records every call as (method, payload)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.cond = threading.Condition()

    def _rec(self, name: str, payload: Any) -> None:
        with self.cond:
            self.calls.append((name, payload))
            self.cond.notify_all()

    def add(self, obj):
        self._rec("add", obj["metadata"]["name"])

    def update(self, obj):
        self._rec("update", obj["metadata"]["name"])

    def delete(self, obj):
        self._rec("delete", obj["metadata"]["name"])

    def replace(self, items, rv):
        self._rec("replace", (sorted(o["metadata"]["name"] for o in items), rv))

    def resync(self):
        self._rec("resync", None)

    def wait_count(self, name: str, n: int = 1, timeout: float = 5.0) -> bool:
        """Wait until ``name`` was called ``n`` times (AssertionError after ``timeout``)."""
        return wait_for(lambda: sum(1 for c in self.calls if c[0] == name) >= n, timeout,
                        lambda: f"{n} x {name} (calls: {self.calls})", notified_by=self.cond)

    def names(self) -> list[str]:
        with self.cond:
            return [c[0] for c in self.calls]


@contextmanager
def running(target: Callable[[threading.Event], Any], timeout: float = 5.0) -> Iterator[threading.Event]:
    """Run ``target(stop)`` in a thread; on exit set ``stop`` and require a prompt return."""
    stop = threading.Event()
    errors: list[BaseException] = []

    def body():
        try:
            target(stop)
        except BaseException as e:  # surfaced below
            errors.append(e)

    t = threading.Thread(target=body, name="test-runner", daemon=True)
    t.start()
    try:
        yield stop
    finally:
        stop.set()
        t.join(timeout)
        assert not t.is_alive(), "did not stop in time"
    if errors:
        raise errors[0]



# -- feature gate profiles and driving an informer by hand -----------------------------------------
from kmon.cache.features import FeatureGates  # noqa: E402

CLASSIC = FeatureGates.for_client_go("1.32")  # DeltaFIFO, LIST then WATCH
CURRENT = FeatureGates.for_client_go("1.36")  # RealFIFO (atomic, batched, unlocking), WatchList


def drain(inf, limit=None):
    """Run an informer's processing step until its queue is empty (or ``limit`` pops), on this
    thread (the informer is not started); returns how many pops it took."""
    n = 0
    while limit is None or n < limit:
        if not inf._process_next(timeout=0):
            break
        n += 1
    return n


def notifications(reg):
    """Take what a (not started) handler registration has queued, as readable tuples:
    ("add", name@rv, initial), ("update", old, new), ("delete", name@rv or tombstone:key)."""
    out = []
    while True:
        try:
            kind, a, b = reg._buf.popleft()
        except IndexError:
            return out
        if kind == 0:
            out.append(("add", label(a), b))
        elif kind == 1:
            out.append(("update", label(a), label(b)))
        else:
            out.append(("delete", label(a)))


def label(obj):
    from kmon.cache.keys import DeletedFinalStateUnknown

    if isinstance(obj, DeletedFinalStateUnknown):
        return "tombstone:" + obj.key
    return obj["metadata"]["name"] + "@" + obj["metadata"]["resourceVersion"]


class Mirror:
    """A handler that rebuilds the state from notifications alone ({"ns/name": object})."""

    def __init__(self):
        self.state = {}

    def on_add(self, obj, initial):
        self.state[_ns_key(obj)] = obj

    def on_update(self, old, new):
        assert _ns_key(old) == _ns_key(new)
        self.state[_ns_key(new)] = new

    def on_delete(self, obj):
        from kmon.cache.keys import DeletedFinalStateUnknown

        self.state.pop(obj.key if isinstance(obj, DeletedFinalStateUnknown) else _ns_key(obj), None)


class RecordMirror:
    """A delta listener that rebuilds the state from the records alone."""

    def __init__(self):
        self.state = {}

    def __call__(self, records):
        from kmon.cache.delta_fifo import DeltaType

        for r in records:
            if r.type is DeltaType.Deleted:
                self.state.pop(r.key, None)
            else:
                self.state[r.key] = r.object


def _ns_key(o):
    return f"{o['metadata']['namespace']}/{o['metadata']['name']}"
