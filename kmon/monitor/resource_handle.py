"""One watched resource of a session: its informer, ListerWatcher, thread and last error.

Why this module exists: a ``ContextSession`` keeps one ``ResourceHandle`` per running
resource. Building one is the same every time: an informer from ``kmon.kube``'s one factory
(the session's ``SessionOptions`` say what it asks and how it runs), its deltas and reflector
events attached to the session's ``Feed``, its errors reported once each
(``resource_errors``), and a thread "kmon-informer-<context>-<resource>" (not daemon: the
session joins it) that runs it and says so if it dies. The session decides when to start
and stop it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace
from typing import Any, Callable

from kmon.kube.discovery import ApiResource
from kmon.kube.informers import ListWatchOptions, new_informer
from kmon.kube.listwatch import RestListerWatcher
from kmon.monitor.error_text import describe_error
from kmon.monitor.feed import Feed, attach
from kmon.monitor.resource_errors import reflector_error_reporter
from kmon.monitor.session_options import SessionOptions

__all__ = ["Emit", "ResourceHandle", "open_resource"]

# (resource, level, message, state): how a handle's news reach the session's feed
Emit = Callable[[str, str, str, str], None]


@dataclass(eq=False)
class ResourceHandle:
    """One running resource of a session. ``error`` is the last error its informer
    reported (None once it recovered); ``thread`` runs ``informer.run``."""

    resource: ApiResource
    informer: Any
    thread: threading.Thread | None = None
    error: str | None = None
    stop_event: threading.Event = field(default_factory=threading.Event)
    list_watcher: RestListerWatcher | None = None
    started_at: float = field(default_factory=time.time)

    @property
    def full_name(self) -> str:
        return self.resource.full_name

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def has_synced(self) -> bool:
        return bool(self.informer is not None and self.informer.has_synced())

    def join(self, timeout: float) -> bool:
        """Wait up to ``timeout`` s for the thread (once ``stop_event`` is set); True if it
        ended (or never started)."""
        if self.thread is not None and self.thread.ident is not None:
            self.thread.join(timeout)
        return not self.running

    def run(self, emit: Emit) -> None:
        """Run the informer until ``stop_event``; if it dies, say why (the session's other
        resources keep running)."""
        full = self.full_name
        try:
            self.informer.run(self.stop_event)
        except BaseException as e:  # the informer died: say so, keep the others running
            self.error = describe_error(e)
            emit(full, "error", f"{full}: informer stopped: {self.error}", "failed")


def _list_watch_options(options: SessionOptions) -> ListWatchOptions:
    """What a session's ListerWatchers ask the server for, and how long they wait."""
    return ListWatchOptions(
        namespace=options.namespace,
        label_selector=options.label_selector,
        field_selector=options.field_selector,
        metadata_only=options.metadata_only,
        inactivity_timeout=options.watch_inactivity_timeout,
        health_check=options.health_check,
    )


def open_resource(context: str, api_client: Any, resource: ApiResource, options: SessionOptions, feed: Feed,
                  emit: Emit) -> ResourceHandle:
    """The handle of ``resource`` in ``context``: its informer (named "<context>/<resource>"
    unless ``options.informer`` names it) reporting into ``feed`` and through ``emit``, and
    its thread, not started. Raises what building the informer raises."""
    full = resource.full_name
    informer_options = replace(options.informer, name=options.informer.name or f"{context}/{full}")
    informer = new_informer(api_client, resource, _list_watch_options(options), informer_options)
    handle = ResourceHandle(resource=resource, informer=informer, list_watcher=informer.list_watcher)
    attach(informer, feed, context, full)
    informer.add_reflector_listener(reflector_error_reporter(handle, full, emit))
    handle.thread = threading.Thread(target=handle.run, args=(emit,), name=f"kmon-informer-{context}-{full}",
                                     daemon=False)
    return handle
