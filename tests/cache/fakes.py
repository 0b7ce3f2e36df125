"""Fakes for the cache tests: list-watchers that misbehave on purpose.

- ``ListWatch(list_fn, watch_fn)``: a ListerWatcher from two callables.
- ``FakeWatch``: a watch fed by the test (``add``/``modify``/``delete``/``bookmark``/
  ``send_error``/``raise_``/``close``); iterating blocks until something arrives or ``stop()``.
- ``ScriptedListerWatcher``: answers list and watch calls from scripts (pages, exceptions,
  watches, ``BLOCK`` to hang until ``cancel()``), records every call's options.
- ``FakeCluster``: a tiny in-memory API server (objects, revisions, paging, watch history,
  compaction, WatchList) with knobs to drop a watch event, reset the watches or restart.
"""

from __future__ import annotations

import copy
import threading
from collections import deque
from dataclasses import replace
from typing import Any, Callable, Iterable

from kmon.cache.errors import ApiStatusError
from kmon.cache.listwatch import ListOptions, ListPage, WatchEvent

from waiting import wait_for

BLOCK = object()  # script entry: block in list() until cancel()


def pod(name: str, rv: str = "1", ns: str = "default", **extra: Any) -> dict[str, Any]:
    md: dict[str, Any] = {"name": name, "resourceVersion": rv}
    if ns:
        md["namespace"] = ns
    return {"kind": "Pod", "metadata": md, **extra}


def status(code: int, reason: str = "", message: str = "", causes: list | None = None) -> dict[str, Any]:
    s: dict[str, Any] = {"kind": "Status", "code": code, "reason": reason, "message": message}
    if causes:
        s["details"] = {"causes": causes}
    return s


def expired(message: str = "too old resource version") -> ApiStatusError:
    return ApiStatusError(410, "Expired", message)


class ListWatch:
    """A ListerWatcher from two lambdas."""

    def __init__(self, list_fn: Callable[[ListOptions], ListPage], watch_fn: Callable[[ListOptions], Any]) -> None:
        self.list_fn = list_fn
        self.watch_fn = watch_fn

    def list(self, options: ListOptions) -> ListPage:
        return self.list_fn(options)

    def watch(self, options: ListOptions) -> Any:
        return self.watch_fn(options)


_END = object()


class FakeWatch:
    """A watch the test feeds. Iteration yields queued events, raises queued exceptions, ends
    after ``close()`` or at once after ``stop()``; it blocks while nothing is queued."""

    def __init__(self, events: Iterable[WatchEvent] = (), *, close: bool = False) -> None:
        self._cond = threading.Condition()
        self._queue: deque[Any] = deque(events)
        if close:
            self._queue.append(_END)
        self.stopped = threading.Event()
        self.reading = threading.Event()  # set while a reader waits for the next item
        self.delivered = 0

    def _put(self, item: Any) -> "FakeWatch":
        with self._cond:
            self._queue.append(item)
            self._cond.notify_all()
        return self

    def send(self, type_: str, obj: dict[str, Any]) -> "FakeWatch":
        return self._put(WatchEvent(type_, obj))

    def add(self, obj: dict[str, Any]) -> "FakeWatch":
        return self.send("ADDED", obj)

    def modify(self, obj: dict[str, Any]) -> "FakeWatch":
        return self.send("MODIFIED", obj)

    def delete(self, obj: dict[str, Any]) -> "FakeWatch":
        return self.send("DELETED", obj)

    def bookmark(self, rv: str, *, initial_events_end: bool = False) -> "FakeWatch":
        md: dict[str, Any] = {"resourceVersion": rv}
        if initial_events_end:
            md["annotations"] = {"k8s.io/initial-events-end": "true"}
        return self.send("BOOKMARK", {"kind": "Pod", "metadata": md})

    def send_error(self, code: int, reason: str = "", message: str = "") -> "FakeWatch":
        return self.send("ERROR", status(code, reason, message))

    def raise_(self, exc: BaseException) -> "FakeWatch":
        return self._put(exc)

    def close(self) -> "FakeWatch":
        return self._put(_END)

    def stop(self) -> None:
        with self._cond:
            self.stopped.set()
            self._cond.notify_all()

    def _batches(self):
        """Batches of everything queued at once (a real watch's ``batches()``: one per read);
        a queued exception is raised after the events before it were delivered."""
        while True:
            with self._cond:
                while not self._queue and not self.stopped.is_set():
                    self.reading.set()
                    self._cond.wait()
                self.reading.clear()
                if self.stopped.is_set():
                    return
                batch = []
                item = None
                while self._queue:
                    item = self._queue[0]
                    if item is _END or isinstance(item, BaseException):
                        if batch:
                            break
                        self._queue.popleft()
                        break
                    batch.append(self._queue.popleft())
                    item = None
            if batch:
                self.delivered += len(batch)
                yield batch
                continue
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item

    def __iter__(self):
        while True:
            with self._cond:
                while not self._queue and not self.stopped.is_set():
                    self.reading.set()
                    self._cond.wait()
                self.reading.clear()
                if self.stopped.is_set():
                    return
                item = self._queue.popleft()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            self.delivered += 1
            yield item


class ScriptedListerWatcher:
    """Answers ``list``/``watch`` from scripts, in order. List entries: ``ListPage``,
    an exception, a callable ``(options) -> ListPage``, or ``BLOCK``. Watch entries: a
    ``FakeWatch``, an exception, or a list of ``WatchEvent`` (served, then closed). An
    exhausted list script repeats ``default_page``; an exhausted watch script serves a new
    idle ``FakeWatch``. Every call's options are recorded (copies)."""

    def __init__(self, default_page: ListPage | None = None) -> None:
        self._cond = threading.Condition()
        self.list_script: deque[Any] = deque()
        self.watch_script: deque[Any] = deque()
        self.list_calls: list[ListOptions] = []
        self.watch_calls: list[ListOptions] = []
        self.watches: list[FakeWatch] = []
        self.default_page = default_page or ListPage([], "1")
        self.cancelled = threading.Event()
        self.blocked = threading.Event()

    def on_list(self, *responses: Any) -> "ScriptedListerWatcher":
        with self._cond:
            self.list_script.extend(responses)
        return self

    def on_watch(self, *responses: Any) -> "ScriptedListerWatcher":
        with self._cond:
            self.watch_script.extend(responses)
        return self

    def list(self, options: ListOptions) -> ListPage:
        with self._cond:
            self.list_calls.append(replace(options))
            self._cond.notify_all()
            item = self.list_script.popleft() if self.list_script else self.default_page
        if item is BLOCK:
            self.blocked.set()
            if not self.cancelled.wait(10):
                raise AssertionError("list was blocked and never cancelled")
            raise ConnectionAbortedError("list cancelled")
        if isinstance(item, BaseException):
            raise item
        if callable(item):
            return item(options)
        return item

    def watch(self, options: ListOptions) -> FakeWatch:
        with self._cond:
            self.watch_calls.append(replace(options))
            item = self.watch_script.popleft() if self.watch_script else FakeWatch()
            if isinstance(item, list):
                item = FakeWatch(item, close=True)
            if isinstance(item, FakeWatch):
                self.watches.append(item)
            self._cond.notify_all()
        if isinstance(item, BaseException):
            raise item
        return item

    def cancel(self) -> None:
        self.cancelled.set()

    def wait_watch_calls(self, n: int, timeout: float = 5.0) -> bool:
        """Wait until ``n`` watch calls were made (AssertionError after ``timeout``)."""
        return wait_for(lambda: len(self.watch_calls) >= n, timeout,
                        lambda: f"{n} watch calls (got {len(self.watch_calls)})", notified_by=self._cond)

    def wait_list_calls(self, n: int, timeout: float = 5.0) -> bool:
        """Wait until ``n`` list calls were made (AssertionError after ``timeout``)."""
        return wait_for(lambda: len(self.list_calls) >= n, timeout,
                        lambda: f"{n} list calls (got {len(self.list_calls)})", notified_by=self._cond)


class FakeCluster:
    """A tiny API server for one resource: ``create``/``update``/``remove`` bump a global
    revision and append to the history that watches replay. ``compact()`` makes older
    versions Expired. ``drop_next_event()`` loses the next event on open watches;
    ``reset_watches()`` closes them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.rev = 0
        self.objects: dict[str, dict[str, Any]] = {}
        self.history: list[tuple[int, WatchEvent]] = []
        self.compacted = 0
        self._watches: list[tuple[FakeWatch, int]] = []
        self._drop = 0
        self.refusing = False  # list and watch refuse connections (an outage)

    def _key(self, obj: dict[str, Any]) -> str:
        md = obj["metadata"]
        return f"{md.get('namespace')}/{md['name']}" if md.get("namespace") else md["name"]

    def _emit_locked(self, type_: str, obj: dict[str, Any]) -> None:
        ev = WatchEvent(type_, obj)
        self.history.append((self.rev, ev))
        for w, _ in self._watches:
            if self._drop:
                continue
            w.send(type_, obj)
        if self._drop:
            self._drop -= 1

    def create(self, name: str, ns: str = "default", **extra: Any) -> dict[str, Any]:
        with self._lock:
            self.rev += 1
            obj = pod(name, str(self.rev), ns, **extra)
            self.objects[self._key(obj)] = obj
            self._emit_locked("ADDED", obj)
            return obj

    def update(self, name: str, ns: str = "default", **extra: Any) -> dict[str, Any]:
        with self._lock:
            self.rev += 1
            obj = pod(name, str(self.rev), ns, **extra)
            self.objects[self._key(obj)] = obj
            self._emit_locked("MODIFIED", obj)
            return obj

    def remove(self, name: str, ns: str = "default") -> None:
        with self._lock:
            key = f"{ns}/{name}" if ns else name
            old = self.objects.pop(key)
            self.rev += 1
            obj = copy.deepcopy(old)
            obj["metadata"]["resourceVersion"] = str(self.rev)
            self._emit_locked("DELETED", obj)

    def compact(self) -> None:
        with self._lock:
            self.compacted = self.rev

    def bump(self, n: int = 1) -> None:
        """Writes to other resources move the shared revision without events here."""
        with self._lock:
            self.rev += n

    def drop_next_event(self) -> None:
        with self._lock:
            self._drop += 1

    def reset_watches(self) -> None:
        with self._lock:
            for w, _ in self._watches:
                w.close()
            self._watches.clear()

    def outage(self, refusing: bool) -> None:
        """Start (True) or end an outage: open watches end, and lists and watches are refused
        until it ends."""
        with self._lock:
            self.refusing = refusing
        if refusing:
            self.reset_watches()

    def restart(self) -> None:
        """A server restart: open watches end and the new watch cache starts at the current
        revision (watches and lists at older versions are Expired)."""
        with self._lock:
            self.compacted = self.rev
        self.reset_watches()

    # ListerWatcher
    def list(self, options: ListOptions) -> ListPage:
        with self._lock:
            if self.refusing:
                raise ConnectionRefusedError("connection refused")
            rv = options.resource_version
            if rv not in (None, "", "0") and int(rv) < self.compacted:
                raise expired()
            items = sorted(self.objects.values(), key=self._key)
            start = int(options.continue_ or 0)
            limit = options.limit or len(items)
            page = items[start:start + limit]
            nxt = start + limit
            cont = str(nxt) if nxt < len(items) else ""
            return ListPage(page, str(self.rev), cont)

    def watch(self, options: ListOptions) -> FakeWatch:
        with self._lock:
            if self.refusing:
                raise ConnectionRefusedError("connection refused")
            if options.send_initial_events:  # WatchList: the current state, the end bookmark, then live
                initial = [WatchEvent("ADDED", o) for o in sorted(self.objects.values(), key=self._key)]
                end = {"kind": "Pod", "metadata": {"resourceVersion": str(self.rev),
                                                   "annotations": {"k8s.io/initial-events-end": "true"}}}
                w = FakeWatch([*initial, WatchEvent("BOOKMARK", end)])
                self._watches.append((w, self.rev))
                return w
            since = int(options.resource_version or 0)
            if since < self.compacted:
                raise expired()
            w = FakeWatch(ev for r, ev in self.history if r > since)
            self._watches.append((w, since))
            return w
