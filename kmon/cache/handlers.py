"""Event handlers and their delivery threads (client-go's ``ResourceEventHandler`` and
``processorListener``).

A ``HandlerRegistration`` is one handler with its own unbounded buffer of notifications and
its own thread, so a slow handler never blocks the informer or the other handlers. The
informer appends notifications (``add_many``: one wake-up per batch) while it applies
deltas; the thread calls ``on_add``/``on_update``/``on_delete`` in order. An exception from a
handler is logged and counted, never propagated.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from typing import Any, Callable, Protocol

log = logging.getLogger("kmon.cache.informer")

# notification kinds: (ADD, obj, is_in_initial_list), (UPDATE, old, new), (DELETE, obj, None)
ADD, UPDATE, DELETE = 0, 1, 2
Notification = tuple[int, Any, Any]


def _noop(*args: Any) -> None:
    pass


class EventHandler(Protocol):
    """What an informer tells a handler (client-go's ResourceEventHandler)."""

    def on_add(self, obj: Any, is_in_initial_list: bool) -> None: ...

    def on_update(self, old: Any, new: Any) -> None: ...

    def on_delete(self, obj: Any) -> None: ...


class FuncHandler:
    """An ``EventHandler`` from plain functions; missing ones do nothing."""

    __slots__ = ("_on_add", "_on_update", "_on_delete")

    def __init__(
        self,
        on_add: Callable[[Any, bool], Any] | None = None,
        on_update: Callable[[Any, Any], Any] | None = None,
        on_delete: Callable[[Any], Any] | None = None,
    ) -> None:
        self._on_add = on_add
        self._on_update = on_update
        self._on_delete = on_delete

    def on_add(self, obj: Any, is_in_initial_list: bool) -> None:
        if self._on_add is not None:
            self._on_add(obj, is_in_initial_list)

    def on_update(self, old: Any, new: Any) -> None:
        if self._on_update is not None:
            self._on_update(old, new)

    def on_delete(self, obj: Any) -> None:
        if self._on_delete is not None:
            self._on_delete(obj)


class HandlerRegistration:
    """One handler: its buffer and thread (client-go's processorListener). Returned by
    ``add_event_handler``; ``backlog`` is how many notifications wait for it."""

    __slots__ = (
        "handler", "name", "_buf", "_cond", "_waiting", "_stopped", "_thread",
        "requested_resync_period", "resync_period", "next_resync", "errors", "delivered",
    )

    def __init__(self, handler: EventHandler, name: str, requested: float, resync: float, now: float) -> None:
        self.handler = handler
        self.name = name
        self._buf: deque[Notification] = deque()
        self._cond = threading.Condition(threading.Lock())
        self._waiting = False  # the thread sleeps (or is about to): producers must notify
        self._stopped = False
        self._thread: threading.Thread | None = None
        self.requested_resync_period = requested
        self.resync_period = resync
        self.next_resync = now + resync
        self.errors = 0
        self.delivered = 0

    @property
    def backlog(self) -> int:
        return len(self._buf)

    def add(self, notification: Notification) -> None:
        self._buf.append(notification)
        if self._waiting:
            with self._cond:
                self._cond.notify()

    def add_many(self, notifications: list[Notification]) -> None:
        """``add`` each, in order, with at most one wake-up of the handler thread."""
        self._buf.extend(notifications)
        if self._waiting:
            with self._cond:
                self._cond.notify()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"handler-{self.name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopped = True
        with self._cond:
            self._cond.notify()

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def is_alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def should_resync(self, now: float) -> bool:
        return self.resync_period != 0 and now >= self.next_resync

    def _run(self) -> None:
        buf = self._buf
        popleft = buf.popleft
        cond = self._cond
        h = self.handler
        on_add, on_update, on_delete = h.on_add, h.on_update, h.on_delete
        if type(h) is FuncHandler:  # call the functions themselves: one frame less per event
            on_add = h._on_add or _noop
            on_update = h._on_update or _noop
            on_delete = h._on_delete or _noop
        delivered = 0
        while not self._stopped:
            try:
                kind, a, b = popleft()
            except IndexError:
                self.delivered = delivered
                with cond:
                    self._waiting = True
                    while not buf and not self._stopped:
                        cond.wait()
                    self._waiting = False
                continue
            try:
                if kind == UPDATE:
                    on_update(a, b)
                elif kind == ADD:
                    on_add(a, b)
                else:
                    on_delete(a)
            except Exception:
                self.errors += 1
                log.exception("event handler %s failed", self.name)
            delivered += 1
        self.delivered = delivered
