"""Shared test helpers: a recording store and running things in bounded threads."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterator


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

    def wait(self, predicate: Callable[[list], bool], timeout: float = 5.0) -> bool:
        with self.cond:
            return self.cond.wait_for(lambda: predicate(self.calls), timeout)

    def wait_count(self, name: str, n: int = 1, timeout: float = 5.0) -> bool:
        return self.wait(lambda calls: sum(1 for c in calls if c[0] == name) >= n, timeout)

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


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Poll a condition owned by code under test that offers nothing to wait on."""
    ev = threading.Event()
    import time

    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            return False
        ev.wait(0.005)
    return True
