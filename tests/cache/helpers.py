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

