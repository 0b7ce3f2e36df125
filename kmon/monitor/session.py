"""``ContextSession``: the informers kmon runs for one kubeconfig context.

Why this module exists: the GUI and the headless commands both need "watch these resources
of that context and tell me everything that happens", with the network and the threads kept
away from the GUI thread and every failure turned into something a person can read. A
``ContextSession`` owns one API client, connects and runs discovery on a worker thread, runs
one informer per resource on its own thread (``resource_handle``), reports into a ``Feed``
and stops (joining every thread it started) on ``stop``. Its state (``SessionState``) moves
new -> connecting -> ready or failed -> stopping -> stopped. What it watches and how is its
``SessionOptions``; ``kmon.monitor.contexts.Monitor`` is a set of sessions.

Failure handling, so one problem never takes down more than it must:
- the context cannot be used (unknown context, broken kubeconfig entry, missing exec
  plugin, bad CA, unreachable server, 401/403 during discovery; or, before connecting, a
  selector the server would reject or a bad environment variable): ``session.error``, a
  ``SessionItem`` with level "error" and state "failed"; other sessions are unaffected.
- a name discovery does not know (``pods,nosuchthing``): rejected once, with kubectl's
  message, in a context-level ``SessionItem`` (state "rejected", ``detail["resource"]``
  the name) and ``session.unknown_resources[name]``; it is never a resource of the session
  (no informer, no retry) and the others run.
- a resource cannot be started (informer construction failed): a ``SessionItem`` for that
  resource and ``session.failed_resources[name]``; the others run.
- a running resource fails (403 on list, server gone): the informer's reflector backs off
  and retries as client-go does; ``handle.error`` and one ``SessionItem`` per distinct error
  say why, and a "ready" ``SessionItem`` says when it recovered (``resource_errors``). A 400
  on list (the request itself is wrong) is not retried: the resource is "failed" for good.
Messages never contain credentials (``redact_text`` is applied to every one).

Threads: "kmon-session-<context>" (connect and discovery; daemon, as a connect may hang past
stop's timeout), "kmon-informer-<context>-<resource>" per resource (not daemon; ``stop``
joins them) and "kmon-verify-<context>-<resource>" per ``verify_async`` (``workers``). The
app never writes to a cluster: only GET requests are made.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future
from dataclasses import replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Iterable

from kmon.kube.api_client import api_client_for, close_client
from kmon.kube.discovery import ApiResource, UnknownResourceError, discover, resolve
from kmon.kube.informers import new_list_watcher
from kmon.monitor.error_text import describe_error
from kmon.monitor.feed import Feed, SessionItem
from kmon.monitor.masking import redact_text
from kmon.monitor.resource_handle import ResourceHandle, open_resource
from kmon.monitor.session_options import SessionOptions, resolve_options
from kmon.monitor.verify import VerifyResult, verify_reported
from kmon.monitor.workers import Workers

if TYPE_CHECKING:
    from kmon.cache.stats import InformerStats

__all__ = ["ContextSession", "SessionState"]

TLS_INSECURE_TEXT = "TLS verification disabled by kubeconfig (insecure-skip-tls-verify)"


class SessionState(StrEnum):
    """Where a ``ContextSession`` is in its life (the values are what ``state`` always said)."""

    NEW = "new"
    CONNECTING = "connecting"
    READY = "ready"
    FAILED = "failed"
    STOPPING = "stopping"
    STOPPED = "stopped"


class ContextSession:
    """The informers of one kubeconfig context (see the module doc).

    ``start()`` returns at once; the API client and discovery load on a worker thread and the
    resources named in ``options.resources`` start when discovery is done. ``start_resource`` /
    ``stop_resource`` may be called from any thread at any time (before discovery is done, a
    start is queued).
    """

    def __init__(
        self,
        context: str,
        options: SessionOptions | None = None,
        *,
        feed: Feed | None = None,
        api_client: Any = None,
        **overrides: Any,
    ) -> None:
        """``options`` (default ``SessionOptions()``), with ``overrides`` (``SessionOptions``
        fields, as ``dataclasses.replace`` takes them) applied; ``api_client``: a client to
        use (and not close) instead of one built from the kubeconfig."""
        self.context = context
        options = replace(options or SessionOptions(), context=context, **overrides)
        # what makes this session unusable before it connects (a selector the server would
        # reject, a bad environment variable): said by start() as the session's failure; the
        # KUBE_FEATURE_* values client-go would ignore: said as warnings as it connects
        # (options.informer.features: the gates its informers run with)
        self.options, self._invalid, self._warnings = resolve_options(options)
        self.feed = feed if feed is not None else Feed()
        self.server = ""
        # the kubeconfig turned TLS verification off (insecure-skip-tls-verify): said in the
        # "ready" message and shown by the GUI for as long as the context is open
        self.tls_insecure = False
        self._api_client = api_client
        self._own_client = api_client is None
        self._lock = threading.Lock()  # guards every attribute below
        self._state = SessionState.NEW
        self._error: str | None = None
        self._available: list[ApiResource] = []
        self._handles: dict[str, ResourceHandle] = {}
        self._pending: list[str] = []  # start_resource calls made before discovery finished
        self._failed: dict[str, str] = {}
        self._unknown: dict[str, Any] = {}  # names discovery does not know: UnknownResourceError
        self._stopped = threading.Event()
        self._settled = threading.Event()  # discovery finished (ok or not)
        self._connect_thread: threading.Thread | None = None
        self._workers = Workers()  # verify_async calls

    # --- life -----------------------------------------------------------------------------
    def start(self) -> "ContextSession":
        """Connect and discover on a worker thread; returns at once."""
        with self._lock:
            if self._state != SessionState.NEW:
                return self
            self._state = SessionState.CONNECTING
            self._pending.extend(self.options.resources)
            t = threading.Thread(target=self._connect, name=f"kmon-session-{self.context}", daemon=True)
            self._connect_thread = t
        t.start()
        return self

    def _emit(self, resource: str | None, level: str, message: str, state: str, detail: dict | None = None) -> None:
        self.feed.put(SessionItem(self.context, resource, level, redact_text(message), state, detail=detail))  # type: ignore[arg-type]

    def _fail(self, message: str) -> None:
        with self._lock:
            self._error = message
            if self._state == SessionState.CONNECTING:
                self._state = SessionState.FAILED
            pending = list(self._pending)
            self._pending.clear()
        self._emit(None, "error", f"{self.context}: {message}", "failed")
        for name in pending:
            with self._lock:
                self._failed[name] = message

    def _connect(self) -> None:
        try:
            if self._invalid:
                self._fail("; ".join(self._invalid))
                return
            for text in self._warnings:
                self._emit(None, "warning", f"{self.context}: {text}", "connecting")
            self._emit(None, "info", f"{self.context}: connecting", "connecting")
            try:
                client = self._api_client
                if client is None:
                    client = api_client_for(self.context, self.options.kubeconfig)
                self._api_client = client
                cfg = getattr(client, "configuration", None)
                self.server = str(getattr(cfg, "host", "") or "")
                self.tls_insecure = self.server.startswith("https") and getattr(cfg, "verify_ssl", True) is False
                if self._stopped.is_set():
                    return
                errors: list[tuple[str, BaseException]] = []
                found = discover(client, errors=errors)
            except Exception as e:
                self._fail(describe_error(e, server=self.server, what="reading API discovery"))
                return
            if self._stopped.is_set():
                return
            with self._lock:
                self._available = list(found)
                self._state = SessionState.READY
                pending = list(self._pending)
                self._pending.clear()
            msg = f"{self.context}: connected to {self.server}, {len(found)} resource types"
            if errors:
                msg += f" ({len(errors)} API groups did not answer: {', '.join(g for g, _ in errors[:5])})"
            if self.tls_insecure:
                msg += f"; {TLS_INSECURE_TEXT}"
            self._emit(None, "warning" if errors or self.tls_insecure else "info", msg, "ready")
            for name in pending:
                if self._stopped.is_set():
                    break
                self.start_resource(name)
        finally:
            self._settled.set()

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Block until discovery finished; True if the session is usable."""
        self._settled.wait(timeout)
        with self._lock:
            return self._state == SessionState.READY

    def wait_synced(self, timeout: float, names: Iterable[str] | None = None) -> bool:
        """Block until every (named) running resource has synced, or ``timeout`` passed."""
        deadline = time.monotonic() + timeout
        if not self.wait_ready(timeout):
            return False
        while True:
            with self._lock:
                handles = list(self._handles.values()) if names is None else [
                    h for h in self._handles.values() if h.full_name in set(names)
                ]
            if all(h.has_synced() for h in handles):
                return True
            if time.monotonic() >= deadline or self._stopped.is_set():
                return False
            time.sleep(0.01)

    def stop(self, timeout: float = 1.0) -> bool:
        """Stop every informer and join every thread this session started (all in parallel,
        within ``timeout`` overall); True if they all ended."""
        deadline = time.monotonic() + timeout
        with self._lock:
            if self._state == SessionState.STOPPED:
                return True
            self._state = SessionState.STOPPING
            self._stopped.set()
            handles = list(self._handles.values())
            self._pending.clear()
        for h in handles:
            h.stop_event.set()
        ok = all([h.join(max(0.0, deadline - time.monotonic())) for h in handles])  # (every one joined)
        self._workers.join(deadline)  # (verify stops early once _stopped is set)
        ct = self._connect_thread
        if ct is not None and ct is not threading.current_thread():
            ct.join(max(0.0, deadline - time.monotonic()))
            ok = ok and not ct.is_alive()
        if self._own_client and self._api_client is not None and ok:
            close_client(self._api_client)
        with self._lock:
            self._state = SessionState.STOPPED
        self._emit(None, "info", f"{self.context}: stopped" + ("" if ok else " (some threads still ending)"), "stopped")
        return ok

    close = stop

    def __enter__(self) -> "ContextSession":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- state ----------------------------------------------------------------------------
    @property
    def state(self) -> SessionState:
        with self._lock:
            return self._state

    @property
    def error(self) -> str | None:
        with self._lock:
            return self._error

    @property
    def available_resources(self) -> list[ApiResource]:
        with self._lock:
            return list(self._available)

    @property
    def resources(self) -> dict[str, ResourceHandle]:
        with self._lock:
            return dict(self._handles)

    @property
    def failed_resources(self) -> dict[str, str]:
        """Resources that could not be started: {name as asked: why}."""
        with self._lock:
            return dict(self._failed)

    @property
    def unknown_resources(self) -> dict[str, Any]:
        """Names discovery does not know, as asked: {name: its ``UnknownResourceError``}
        (``str()`` is kubectl's message, ``hint`` suggests close names)."""
        with self._lock:
            return dict(self._unknown)

    @property
    def api_client(self) -> Any:
        return self._api_client

    def stats(self) -> dict[str, "InformerStats"]:
        out = {}
        for name, h in self.resources.items():
            try:
                out[name] = h.informer.stats()
            except Exception:
                continue
        return out

    # --- resources ------------------------------------------------------------------------
    def resolve(self, name: str) -> ApiResource:
        return resolve(self.available_resources, name)

    def start_resource(self, name: str) -> ResourceHandle | None:
        """Start watching ``name`` (kubectl spelling). Returns its handle (the existing one if
        it already runs), or None when queued (discovery not done) or when it failed (a
        ``SessionItem`` and ``failed_resources`` say why). Never blocks on the network."""
        with self._lock:
            if self._state in (SessionState.NEW, SessionState.CONNECTING):
                if name not in self._pending:
                    self._pending.append(name)
                return None
            if self._state != SessionState.READY:
                why = self._error or f"session is {self._state}"
                self._failed[name] = why
                return None
        try:
            res = self.resolve(name)
        except UnknownResourceError as e:
            self._reject(name, e)
            return None
        except Exception as e:
            self._resource_failed(name, describe_error(e))
            return None
        full = res.full_name
        with self._lock:
            existing = self._handles.get(full)
            if existing is not None:
                return existing
        try:
            handle = open_resource(self.context, self._api_client, res, self.options, self.feed, self._emit)
        except Exception as e:
            self._resource_failed(name, describe_error(e, what=f"starting {full}"))
            return None
        with self._lock:
            if self._state != SessionState.READY:
                return None
            if full in self._handles:
                return self._handles[full]
            self._handles[full] = handle
            self._failed.pop(name, None)
            handle.thread.start()
        ns = self.options.namespace
        scope = f" in namespace {ns}" if ns and res.namespaced else ""
        self._emit(full, "info", f"{full}: watching{scope}", "started")
        return handle

    def _resource_failed(self, name: str, message: str) -> None:
        with self._lock:
            self._failed[name] = message
        self._emit(name, "error", f"{name}: {message}", "failed")

    def _reject(self, name: str, err: Any) -> None:
        """``name`` is no resource of this server: say so once, as kubectl does."""
        with self._lock:
            if name in self._unknown:
                return
            self._unknown[name] = err
        detail = {"resource": name, "suggestions": list(err.suggestions)}
        hint = f" ({err.hint})" if err.hint else ""
        self._emit(None, "error", f"{self.context}: error: {err}{hint}", "rejected", detail)

    def stop_resource(self, name: str, timeout: float = 1.0) -> bool:
        """Stop one resource and join its thread; True if it ended (False if unknown)."""
        with self._lock:
            handle = self._handles.get(name)
            if handle is None and name in self._pending:
                self._pending.remove(name)
                return True
        if handle is None:
            try:
                full = self.resolve(name).full_name
            except Exception:
                return False
            with self._lock:
                handle = self._handles.get(full)
        if handle is None:
            return False
        with self._lock:
            if self._handles.get(handle.full_name) is not handle:
                return False
            del self._handles[handle.full_name]
        handle.stop_event.set()
        ended = handle.join(timeout)
        self._emit(handle.full_name, "info", f"{handle.full_name}: stopped", "stopped")
        return ended

    # --- blocking helpers (call off the GUI thread) ----------------------------------------
    def _handle(self, full_name: str) -> ResourceHandle:
        with self._lock:
            h = self._handles.get(full_name)
        if h is None:
            try:
                h = self._handles.get(self.resolve(full_name).full_name)
            except Exception:
                h = None
        if h is None:
            raise KeyError(f"{full_name} is not watched in context {self.context}")
        return h

    def verify(self, full_name: str, **options: Any) -> VerifyResult:
        """Compare the resource's cache with a fresh consistent list (see ``verify.py``) and
        report the outcome into the feed (a SessionItem, state "verified"). Blocking."""
        h = self._handle(full_name)
        return verify_reported(h.informer, h.list_watcher, h.full_name, self._emit, stop=self._stopped.is_set, **options)

    def verify_async(self, full_name: str, **options: Any) -> "Future[VerifyResult]":
        """``verify`` on a worker thread ("kmon-verify-<context>-<resource>", joined by
        ``stop``); the outcome also reaches the feed. Returns at once."""
        return self._workers.submit(f"kmon-verify-{self.context}-{full_name}",
                                    lambda: self.verify(full_name, **options))

    def get_full(self, full_name: str, namespace: str | None, name: str) -> dict[str, Any]:
        """The whole object from the server (for metadata-only mode). Not masked: mask before
        showing. Blocking."""
        try:
            lw = self._handle(full_name).list_watcher
        except KeyError:
            lw = new_list_watcher(self._api_client, self.resolve(full_name))
        return lw.get_full(namespace or None, name)

    def __repr__(self) -> str:
        return f"<ContextSession {self.context!r} state={self.state} resources={len(self._handles)}>"
