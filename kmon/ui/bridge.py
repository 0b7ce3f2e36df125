"""The one crossing from informer threads to the GUI thread.

Why this module exists: informer listeners run on worker threads and must never touch a
QObject, and one cross-thread signal per watch event would flood the event queue (style
guide, anti-pattern 3). Listeners only append to thread-safe ``kmon.monitor.feed.Feed``s; the
``FeedBridge`` drains them on the GUI thread on a QTimer (~100 ms) and emits **one**
``sigBatch(list)`` per tick carrying everything drained, oldest first per feed. Models apply a
batch in one step.

Bounded slices: a tick takes what the feeds hold into a backlog and emits at most a time
budget's worth of it (``budget_ms``, sized from the measured cost per item of earlier
batches); the rest follows in the next event-loop passes (a 0 ms single-shot timer), so a
burst (a relist, the initial list, a stall of the machine) never holds the GUI thread for
longer than about one budget at a time. Paints, input and timers run between slices. The
first batch, before any cost is known, goes out whole. ``drain()`` called directly (tests,
replay) still emits everything queued as one batch.

Each open context gets its own feed: closing a context drops its feed, so items still queued
by its stopping threads can never resurrect its rows.
"""

from __future__ import annotations

import time
from collections import deque

from PySide6.QtCore import QObject, QTimer, Signal

__all__ = ["FeedBridge"]


class FeedBridge(QObject):
    """Drains feeds on a timer and emits each tick's items as one batch."""

    sigBatch = Signal(list)  # every item drained in one tick (DeltaItem/ReflectorItem/SessionItem)

    def __init__(self, interval_ms: int = 100, parent: QObject | None = None, *, max_items: int = 50_000,
                 budget_ms: float = 10.0) -> None:
        super().__init__(parent)
        self._feeds: dict[str, object] = {}  # name -> Feed
        self.max_items = max_items  # cap on what is taken from the feeds and not yet emitted
        self.budget = budget_ms / 1000.0  # GUI-thread time per slice (0: no slicing)
        self._backlog: deque = deque()  # (feed name, item) taken from the feeds, not emitted yet
        self._cost = 0.0  # seconds per item the receivers took lately (0: not known yet)
        self.slices = 0  # emissions that left a backlog for the next event-loop pass
        self.pass_log: list[float] | None = None  # every tick's or slice's seconds, when a list (benchmarks)
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)
        self._more = QTimer(self)  # the next slice, in the next event-loop pass
        self._more.setSingleShot(True)
        self._more.setInterval(0)
        self._more.timeout.connect(self._slice)
        # figures for the status bar and the benchmark
        self.batches = 0
        self.items = 0
        self.last_batch = 0
        self.last_apply = 0.0  # seconds spent by sigBatch's receivers on the last batch
        self.max_apply = 0.0

    def start(self) -> None:
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def add_feed(self, name: str, feed) -> None:
        self._feeds[name] = feed

    def remove_feed(self, name: str):
        """Forget a feed (its queued items are discarded, backlog included); returns it."""
        if any(n == name for n, _ in self._backlog):
            self._backlog = deque(e for e in self._backlog if e[0] != name)
        return self._feeds.pop(name, None)

    def feeds(self) -> dict[str, object]:
        return dict(self._feeds)

    def pending(self) -> int:
        """Items queued in the feeds or taken from them and not emitted yet."""
        return len(self._backlog) + sum(len(f) for f in self._feeds.values())

    def _take(self, room: int) -> None:
        """Move up to ``room`` items from the feeds to the backlog (oldest first per feed)."""
        backlog = self._backlog
        for name, feed in list(self._feeds.items()):
            if room <= 0:
                break
            got = feed.drain(room)
            backlog.extend((name, it) for it in got)
            room -= len(got)

    def drain(self) -> list:
        """Drain every feed now and emit everything queued as one batch (tests, replay)."""
        self._more.stop()
        self._take(self.max_items - len(self._backlog))
        batch = [it for _, it in self._backlog]
        self._backlog.clear()
        if batch:
            self._emit(batch)
        return batch

    def _tick(self) -> None:
        self._take(self.max_items - len(self._backlog))
        self._slice()

    def _slice(self) -> None:
        """Emit what fits in the time budget; schedule the rest for the next pass."""
        backlog = self._backlog
        if not backlog:
            return
        if self.budget <= 0 or self._cost <= 0:
            n = len(backlog)  # nothing known yet: all at once (and learn the cost)
        else:
            n = max(32, int(self.budget / self._cost))
            if len(backlog) <= n + n // 2:
                n = len(backlog)  # no short tail slice: each slice costs a relayout and a repaint
        batch = [backlog.popleft()[1] for _ in range(min(n, len(backlog)))]
        c0 = time.thread_time()
        took = self._emit(batch)
        cpu = time.thread_time() - c0
        if self.pass_log is not None:
            self.pass_log.append(took)
        if len(batch) >= 32:  # (small batches measure the fixed cost of a batch, not of items)
            # the GUI thread's CPU time, not wall time: on a loaded machine run-queue and GIL
            # waits would shrink the slices (more passes, relayouts and lag) without helping
            per_item = cpu / len(batch)
            self._cost = per_item if self._cost <= 0 else 0.7 * self._cost + 0.3 * per_item
        if backlog:
            self.slices += 1
            self._more.start()

    def _emit(self, batch: list) -> float:
        t0 = time.perf_counter()
        self.sigBatch.emit(batch)
        self.last_apply = took = time.perf_counter() - t0
        self.max_apply = max(self.max_apply, took)
        self.batches += 1
        self.items += len(batch)
        self.last_batch = len(batch)
        return took
