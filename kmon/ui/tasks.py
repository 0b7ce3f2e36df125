"""GUI-initiated work that waits on the network or on threads, as asyncio tasks.

Why this module exists: the GUI thread never waits on the network (style guide,
anti-pattern 2). Everything that may block — loading a context, stopping a context's threads,
fetching a full object, starting or stopping an informer — runs through ``TaskRunner.run``:
an asyncio task (on the qasync loop) awaiting ``loop.run_in_executor`` on a small thread pool
the runner owns. Failures are never swallowed: ``sigError(what, message)`` reports each one
(the window shows it in the status bar and the error area) and the task's exception is kept.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from typing import Any, Callable

from PySide6.QtCore import QObject, Signal

__all__ = ["TaskRunner"]


class TaskRunner(QObject):
    sigError = Signal(str, str)  # what was being done, why it failed
    sigBusy = Signal(int)  # number of tasks in flight

    def __init__(self, parent: QObject | None = None, *, workers: int = 4, loop: asyncio.AbstractEventLoop | None = None) -> None:
        super().__init__(parent)
        self._pool = concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="kmon-gui-task")
        self._loop = loop
        self.tasks: set[asyncio.Task] = set()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            try:
                self._loop = asyncio.get_running_loop()
            except RuntimeError:
                self._loop = asyncio.get_event_loop()
        return self._loop

    def run(self, fn: Callable[..., Any], *args: Any, what: str = "", on_done: Callable[[Any], None] | None = None) -> asyncio.Task:
        """Run ``fn(*args)`` on the pool; ``on_done(result)`` runs on the GUI thread."""
        loop = self.loop

        async def job() -> Any:
            try:
                result = await loop.run_in_executor(self._pool, lambda: fn(*args))
            except Exception as e:  # reported, and kept on the task
                self.sigError.emit(what or getattr(fn, "__name__", "task"), str(e) or type(e).__name__)
                raise
            if on_done is not None:
                try:
                    on_done(result)
                except Exception as e:
                    self.sigError.emit(what or "task", f"{type(e).__name__}: {e}")
                    raise
            return result

        task = loop.create_task(job())
        self.tasks.add(task)
        self.sigBusy.emit(len(self.tasks))

        def finished(t: asyncio.Task) -> None:
            self.tasks.discard(t)
            if not t.cancelled():
                t.exception()  # retrieved: already reported through sigError
            self.sigBusy.emit(len(self.tasks))

        task.add_done_callback(finished)
        return task

    def idle(self) -> bool:
        return not self.tasks

    def shutdown(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=False)
