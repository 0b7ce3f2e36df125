"""The one crossing from informer threads to the GUI thread.

Why this module exists: informer listeners run on worker threads and must never touch a
QObject, and one cross-thread signal per watch event would flood the event queue (style
guide, anti-pattern 3). Listeners only append to thread-safe ``kmon.monitor.feed.Feed``s; the
``FeedBridge`` drains them on the GUI thread on a QTimer (~100 ms) and emits **one**
``sigBatch(list)`` per tick carrying everything drained, oldest first per feed. Models apply a
batch in one step.

Each open context gets its own feed: closing a context drops its feed, so items still queued
by its stopping threads can never resurrect its rows.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QTimer, Signal

__all__ = ["FeedBridge"]


class FeedBridge(QObject):
    """Drains feeds on a timer and emits each tick's items as one batch."""

    sigBatch = Signal(list)  # every item drained in one tick (DeltaItem/ReflectorItem/SessionItem)

    def __init__(self, interval_ms: int = 100, parent: QObject | None = None, *, max_items: int = 50_000) -> None:
        super().__init__(parent)
        self._feeds: dict[str, object] = {}  # name -> Feed
        self.max_items = max_items  # cap per tick so one tick never stalls the GUI for long
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.drain)
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
        """Forget a feed (its queued items are discarded); returns it."""
        return self._feeds.pop(name, None)

    def feeds(self) -> dict[str, object]:
        return dict(self._feeds)

    def pending(self) -> int:
        return sum(len(f) for f in self._feeds.values())

    def drain(self) -> list:
        """Drain every feed now and emit one batch (also called by tests)."""
        batch: list = []
        budget = self.max_items
        for feed in list(self._feeds.values()):
            if budget <= 0:
                break
            got = feed.drain(budget)
            batch.extend(got)
            budget -= len(got)
        if batch:
            t0 = time.perf_counter()
            self.sigBatch.emit(batch)
            self.last_apply = time.perf_counter() - t0
            self.max_apply = max(self.max_apply, self.last_apply)
            self.batches += 1
            self.items += len(batch)
            self.last_batch = len(batch)
        return batch
