"""What one side of a comparison heard: every handler notification exactly as a controller's
handler receives it, timestamped, with the deltas and reflector steps that explain it.

Why this module exists: ``kmon compare`` runs one resource under two client-go profiles and
shows where their handlers' notifications differ. A ``Recorder`` is the controller: an
``EventHandler`` (``on_add(obj, is_in_initial_list)``, ``on_update(old, new)``,
``on_delete(obj)`` with ``obj`` possibly a ``DeletedFinalStateUnknown``) that writes down each
call on its handler thread, in the order it is called. It also listens to the informer's
applied deltas (``causes``: which delta type produced each notification: a watch event, a
relist's ``Replaced``/``ReplacedAll``, a resync's ``Sync``/``SyncAll``) and to its reflector
(``marks``: relists, lists, WatchList starts, 410s), and keeps the handler's own view of the
objects (key -> resourceVersion), which is what a controller that builds its state from its
handlers would hold.

Everything recorded is a plain value (``HeardCall``, ``Cause``, ``Mark``); ``Side`` is the
frozen record of one side that the analysis (``compare_analysis``) reads. Qt-free.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from kmon.cache.events import DeltaRecord, ReflectorEvent
from kmon.cache.keys import DeletedFinalStateUnknown, deletion_handling_key
from kmon.monitor.journal_rows import metadata_of

__all__ = ["ADD", "DELETE", "UPDATE", "Cause", "HeardCall", "Mark", "Recorder", "Side"]

ADD, UPDATE, DELETE = "on_add", "on_update", "on_delete"

# reflector steps worth a line beside the notifications
_MARK_KINDS = {"Relist", "ListFinished", "WatchStarted", "Expired", "Error"}


@dataclass(frozen=True, slots=True)
class HeardCall:
    """One handler call. ``method``: ``on_add``/``on_update``/``on_delete``; ``rv``: the
    (new) object's resourceVersion; ``old_rv``: the old object's (``on_update`` only);
    ``initial``: ``on_add``'s ``is_in_initial_list``; ``tombstone``: ``on_delete`` got a
    ``DeletedFinalStateUnknown`` (its ``rv`` is then the last state the cache knew);
    ``recreated``: an ``on_update`` whose old and new objects have different uids (the object
    was deleted and created again, and this side never heard the delete). ``time``: seconds
    since the comparison started; ``seq``: the call's place on its side, from 0."""

    seq: int
    time: float
    method: str
    key: str
    rv: str
    old_rv: str = ""
    initial: bool = False
    tombstone: bool = False
    recreated: bool = False

    @property
    def resync(self) -> bool:
        """An ``on_update`` whose versions are equal: client-go's resync notification (no
        change), whether a periodic resync or a relist that found the object unchanged."""
        return self.method == UPDATE and self.rv == self.old_rv


@dataclass(frozen=True, slots=True)
class Cause:
    """One applied delta (``DeltaRecord``) reduced to what explains a notification: its type
    (``Added``, ``Replaced``, ``Sync``, ...), the atomic delta it was part of
    (``ReplacedAll``/``SyncAll``, else ""), the object's key and versions."""

    key: str
    type: str
    group: str
    rv: str
    old_rv: str | None  # None: the delta added the object (nothing was cached)
    deleted: bool
    time: float


@dataclass(frozen=True, slots=True)
class Mark:
    """A reflector step: ``kind`` (``Relist``, ``ListFinished``, ``WatchStarted``,
    ``Expired``, ``Error``), its resourceVersion and a few words."""

    time: float
    kind: str
    rv: str
    text: str


@dataclass(frozen=True)
class Side:
    """What one side heard up to the comparison's cut: its label ("1.32"), the path it ran
    (queue, initial sync, gates), its calls in order, the causes and marks, the handler's view
    (key -> resourceVersion) and the informer's cache (key -> resourceVersion) at the cut."""

    label: str
    queue: str
    initial_sync: str
    gates: str
    calls: tuple[HeardCall, ...]
    causes: tuple[Cause, ...] = ()
    marks: tuple[Mark, ...] = ()
    view: dict[str, str] = field(default_factory=dict)
    cache: dict[str, str] = field(default_factory=dict)
    synced_at: float | None = None


class Recorder:
    """The recording handler of one side (and its delta and reflector listener): register
    with ``attach(informer)`` before the informer runs. Thread-safe: the handler thread, the
    processing thread and the reflector thread write; ``lock`` lets a reader take a
    consistent cut (``count``, ``view``) across two recorders."""

    def __init__(self, t0: float | None = None, clock: Any = time.monotonic) -> None:
        self._clock = clock
        self.t0 = clock() if t0 is None else t0
        self.lock = threading.Lock()
        self.calls: list[HeardCall] = []
        self.causes: list[Cause] = []
        self.marks: list[Mark] = []
        self.view: dict[str, str] = {}
        self.synced_at: float | None = None

    def attach(self, informer: Any) -> Any:
        """Listen to ``informer`` (not started yet); returns the handler's registration."""
        informer.add_delta_listener(self.on_deltas)
        informer.add_reflector_listener(self.on_reflector_event)
        return informer.add_event_handler(self)

    def _now(self) -> float:
        return self._clock() - self.t0

    # -- the handler (client-go's ResourceEventHandler) -----------------------------------------
    def on_add(self, obj: Any, is_in_initial_list: bool) -> None:
        meta = metadata_of(obj)
        key = deletion_handling_key(obj)
        rv = str(meta.get("resourceVersion") or "")
        with self.lock:
            self.calls.append(HeardCall(len(self.calls), self._now(), ADD, key, rv, initial=bool(is_in_initial_list)))
            self.view[key] = rv

    def on_update(self, old: Any, new: Any) -> None:
        meta, old_meta = metadata_of(new), metadata_of(old)
        key = deletion_handling_key(new)
        rv = str(meta.get("resourceVersion") or "")
        recreated = bool(meta.get("uid") and old_meta.get("uid") and meta.get("uid") != old_meta.get("uid"))
        with self.lock:
            self.calls.append(HeardCall(len(self.calls), self._now(), UPDATE, key, rv,
                                        old_rv=str(old_meta.get("resourceVersion") or ""), recreated=recreated))
            self.view[key] = rv

    def on_delete(self, obj: Any) -> None:
        tombstone = isinstance(obj, DeletedFinalStateUnknown)
        key = obj.key if tombstone else deletion_handling_key(obj)
        rv = str(metadata_of(obj.obj if tombstone else obj).get("resourceVersion") or "")
        with self.lock:
            self.calls.append(HeardCall(len(self.calls), self._now(), DELETE, key, rv, tombstone=tombstone))
            self.view.pop(key, None)

    # -- listeners (processing and reflector threads; never block) -------------------------------
    def on_deltas(self, records: list[DeltaRecord]) -> None:
        now = self._now()
        out = []
        for r in records:
            dtype = str(getattr(r.type, "value", r.type))
            group = "" if r.group is None else str(getattr(r.group.type, "value", r.group.type))
            old = r.old_object
            old_rv = None if old is None else str(metadata_of(old).get("resourceVersion") or "")
            out.append(Cause(r.key, dtype, group, str(r.resource_version or ""), old_rv, dtype == "Deleted", now))
        with self.lock:
            self.causes.extend(out)

    def on_reflector_event(self, event: ReflectorEvent) -> None:
        kind = str(getattr(event.kind, "value", event.kind))
        if kind not in _MARK_KINDS:
            return
        d = event.detail or {}
        if kind == "Relist":
            text = f"relist: {d.get('reason') or '?'}"
        elif kind == "ListFinished":
            text = f"list done: {d.get('items', '?')} objects"
        elif kind == "WatchStarted":
            if d.get("reason") != "watch-list":
                return
            text = "WatchList started"
        elif kind == "Expired":
            text = f"410 Expired ({d.get('reason') or '?'})"
        else:
            text = f"error: {d.get('error') or '?'}"
        with self.lock:
            self.marks.append(Mark(self._now(), kind, str(event.resource_version or ""), text))

    def mark_synced(self) -> None:
        with self.lock:
            if self.synced_at is None:
                self.synced_at = self._now()

    # -- reads -----------------------------------------------------------------------------------
    def side(self, label: str, informer: Any, count: int, view: dict[str, str],
             cache: dict[str, str]) -> Side:
        """The ``Side`` of this recorder cut after its first ``count`` calls (``view`` and
        ``cache`` as taken at the cut)."""
        st = informer.stats()
        with self.lock:
            calls = tuple(self.calls[:count])
            causes = tuple(self.causes)
            marks = tuple(self.marks)
        return Side(label, st.queue, st.initial_sync, informer.features.describe(),
                    calls, causes, marks, dict(view), dict(cache), self.synced_at)
