"""Sessions: the informers kmon runs for one kubeconfig context, and the set of them.

Why this module exists: the GUI and the headless commands both need "watch these resources
of that context and tell me everything that happens", with the network and the threads kept
away from the GUI thread and every failure turned into something a person can read. A
``ContextSession`` owns one API client, runs discovery on a worker thread, runs one
``SharedIndexInformer`` per resource on its own thread, reports into a ``Feed`` and stops
(joining every thread it started) on ``stop``. ``Monitor`` is the set of open sessions.

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

Threads: "kmon-session-<context>" (discovery; daemon, as a connect may hang past stop's
timeout) and "kmon-informer-<context>-<resource>" per resource (not daemon; ``stop`` joins
them). The app never writes to a cluster: only GET requests are made.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Iterable

from kmon.monitor.feed import Feed, SessionItem, attach
from kmon.monitor.masking import redact_text
from kmon.monitor.resource_errors import reflector_error_reporter
from kmon.monitor.session_options import SessionOptions
from kmon.monitor.session_options import resolve as resolve_options
from kmon.monitor.verify import VerifyResult, verify_informer

if TYPE_CHECKING:
    from kmon.cache.stats import InformerStats
    from kmon.kube.discovery import ApiResource

__all__ = [
    "ContextSession",
    "Monitor",
    "ResourceHandle",
    "describe_error",
]

@dataclass(eq=False)
class ResourceHandle:
    """One running resource of a session. ``error`` is the last error its informer
    reported (None once it recovered); ``thread`` runs ``informer.run``."""

    resource: "ApiResource"
    informer: Any
    thread: threading.Thread | None = None
    error: str | None = None
    stop_event: threading.Event = field(default_factory=threading.Event)
    list_watcher: Any = None
    started_at: float = field(default_factory=time.time)

    @property
    def full_name(self) -> str:
        return self.resource.full_name

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def has_synced(self) -> bool:
        return bool(self.informer is not None and self.informer.has_synced())


def describe_error(err: BaseException, *, server: str = "", what: str = "") -> str:
    """A short, credential-free explanation of ``err`` for people."""
    from kmon.cache.errors import ApiStatusError, is_connection_refused
    from kmon.kube.config import KubeconfigError

    where = f" {server}" if server else ""
    if isinstance(err, KubeconfigError):
        text = f"kubeconfig: {err}"
    elif isinstance(err, ApiStatusError):
        if err.code == 401:
            text = f"unauthorized (401): the server{where} rejected the credentials"
        elif err.code == 403:
            text = f"forbidden (403){': ' + what if what else ''}: {err.message or err.reason}"
        else:
            text = f"{what + ': ' if what else ''}{err}"
    elif is_connection_refused(err):
        text = f"cannot connect to{where or ' the server'}: connection refused"
    elif isinstance(err, TimeoutError):
        text = f"no answer from{where or ' the server'} (timed out): {err}"
    elif isinstance(err, OSError):
        name, msg = type(err).__name__.lower(), str(err)
        if msg.lower().startswith(("tls", "ssl")) or (server and server in msg):
            text = msg  # the transport layer already said what and where
        elif "ssl" in name or "tls" in name or "certificate" in msg.lower():
            text = f"TLS failure talking to{where or ' the server'}: {msg}"
        else:
            text = f"cannot reach{where or ' the server'}: {msg}"
    elif isinstance(err, LookupError):
        text = str(err)
    else:
        text = f"{type(err).__name__}: {err}"
    return redact_text(text)


TLS_INSECURE_TEXT = "TLS verification disabled by kubeconfig (insecure-skip-tls-verify)"
class ContextSession:
    """The informers of one kubeconfig context (see the module doc).

    ``start()`` returns at once; the API client and discovery load on a worker thread and the
    resources named in ``resources`` start when discovery is done. ``start_resource`` /
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
        # reject, a bad environment variable): said by start() as the session's failure
        self.options, self._invalid = resolve_options(options)
        self.feed = feed if feed is not None else Feed()
        self.server = ""
        # the kubeconfig turned TLS verification off (insecure-skip-tls-verify): said in the
        # "ready" message and shown by the GUI for as long as the context is open
        self.tls_insecure = False
        self._api_client = api_client
        self._own_client = api_client is None
        self._lock = threading.Lock()  # guards every attribute below
        self._state = "new"  # new, connecting, ready, failed, stopping, stopped
        self._error: str | None = None
        self._available: list[ApiResource] = []
        self._handles: dict[str, ResourceHandle] = {}
        self._pending: list[str] = []  # start_resource calls made before discovery finished
        self._failed: dict[str, str] = {}
        self._unknown: dict[str, Any] = {}  # names discovery does not know: UnknownResourceError
        self._stopped = threading.Event()
        self._settled = threading.Event()  # discovery finished (ok or not)
        self._connect_thread: threading.Thread | None = None
        self._workers: set[threading.Thread] = set()  # verify_async threads

    # --- life -----------------------------------------------------------------------------
    def start(self) -> "ContextSession":
        """Connect and discover on a worker thread; returns at once."""
        with self._lock:
            if self._state != "new":
                return self
            self._state = "connecting"
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
            if self._state == "connecting":
                self._state = "failed"
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
            self._emit(None, "info", f"{self.context}: connecting", "connecting")
            try:
                client = self._api_client
                if client is None:
                    from kmon.kube.api_client import api_client_for

                    client = api_client_for(self.context, self.options.kubeconfig)
                self._api_client = client
                cfg = getattr(client, "configuration", None)
                self.server = str(getattr(cfg, "host", "") or "")
                self.tls_insecure = self.server.startswith("https") and getattr(cfg, "verify_ssl", True) is False
                if self._stopped.is_set():
                    return
                from kmon.kube.discovery import discover

                errors: list[tuple[str, BaseException]] = []
                found = discover(client, errors=errors)
            except Exception as e:
                self._fail(describe_error(e, server=self.server, what="reading API discovery"))
                return
            if self._stopped.is_set():
                return
            with self._lock:
                self._available = list(found)
                self._state = "ready"
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
            return self._state == "ready"

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
            if self._state == "stopped":
                return True
            self._state = "stopping"
            self._stopped.set()
            handles = list(self._handles.values())
            self._pending.clear()
        for h in handles:
            h.stop_event.set()
        ok = True
        for h in handles:
            if h.thread is not None:
                h.thread.join(max(0.0, deadline - time.monotonic()))
                if h.thread.is_alive():
                    ok = False
        with self._lock:
            workers = list(self._workers)
        for w in workers:  # verify stops early once _stopped is set
            if w is not threading.current_thread():
                w.join(max(0.0, deadline - time.monotonic()))
        ct = self._connect_thread
        if ct is not None and ct is not threading.current_thread():
            ct.join(max(0.0, deadline - time.monotonic()))
            ok = ok and not ct.is_alive()
        if self._own_client and self._api_client is not None and ok:
            from kmon.kube.api_client import close_client

            close_client(self._api_client)
        with self._lock:
            self._state = "stopped"
        self._emit(None, "info", f"{self.context}: stopped" + ("" if ok else " (some threads still ending)"), "stopped")
        return ok

    close = stop

    def __enter__(self) -> "ContextSession":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- state ----------------------------------------------------------------------------
    @property
    def state(self) -> str:
        with self._lock:
            return self._state

    @property
    def error(self) -> str | None:
        with self._lock:
            return self._error

    @property
    def available_resources(self) -> list["ApiResource"]:
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
    def resolve(self, name: str) -> "ApiResource":
        from kmon.kube.discovery import resolve

        return resolve(self.available_resources, name)

    def start_resource(self, name: str) -> ResourceHandle | None:
        """Start watching ``name`` (kubectl spelling). Returns its handle (the existing one if
        it already runs), or None when queued (discovery not done) or when it failed (a
        ``SessionItem`` and ``failed_resources`` say why). Never blocks on the network."""
        with self._lock:
            if self._state in ("new", "connecting"):
                if name not in self._pending:
                    self._pending.append(name)
                return None
            if self._state != "ready":
                why = self._error or f"session is {self._state}"
                self._failed[name] = why
                return None
        from kmon.kube.discovery import UnknownResourceError

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
            from kmon.kube.informers import ListWatchOptions, new_informer

            o = self.options
            scope = ListWatchOptions(
                namespace=o.namespace,
                label_selector=o.label_selector,
                field_selector=o.field_selector,
                metadata_only=o.metadata_only,
                inactivity_timeout=o.watch_inactivity_timeout,
                health_check=o.health_check,
            )
            informer = new_informer(self._api_client, res, scope, replace(o.informer, name=o.informer.name or f"{self.context}/{full}"))
            lw = informer.list_watcher
            handle = ResourceHandle(resource=res, informer=informer, list_watcher=lw)
            attach(informer, self.feed, self.context, full)
            informer.add_reflector_listener(reflector_error_reporter(handle, full, self._emit))
        except Exception as e:
            self._resource_failed(name, describe_error(e, what=f"starting {full}"))
            return None
        t = threading.Thread(
            target=self._run_informer, args=(handle,), name=f"kmon-informer-{self.context}-{full}", daemon=False
        )
        handle.thread = t
        with self._lock:
            if self._state != "ready":
                return None
            if full in self._handles:
                return self._handles[full]
            self._handles[full] = handle
            self._failed.pop(name, None)
            t.start()
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

    def _run_informer(self, handle: ResourceHandle) -> None:
        full = handle.resource.full_name
        try:
            handle.informer.run(handle.stop_event)
        except BaseException as e:  # the informer died: say so, keep the others running
            handle.error = describe_error(e)
            self._emit(full, "error", f"{full}: informer stopped: {handle.error}", "failed")

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
        if handle.thread is not None:
            handle.thread.join(timeout)
        ended = handle.thread is None or not handle.thread.is_alive()
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
        full = h.full_name
        try:
            result = verify_informer(h.informer, h.list_watcher, stop=self._stopped.is_set, **options)
        except Exception as e:
            self._emit(full, "error", f"{full}: verify failed: {describe_error(e)}", "verify-failed")
            raise
        self._emit(full, "info" if result.ok else "warning", f"{full}: {result.summary()}", "verified", result.as_dict())
        return result

    def verify_async(self, full_name: str, **options: Any) -> "Future[VerifyResult]":
        """``verify`` on a worker thread ("kmon-verify-<context>-<resource>", joined by
        ``stop``); the outcome also reaches the feed. Returns at once."""
        fut: Future[VerifyResult] = Future()

        def work() -> None:
            if not fut.set_running_or_notify_cancel():
                return
            try:
                fut.set_result(self.verify(full_name, **options))
            except BaseException as e:
                fut.set_exception(e)
            finally:
                with self._lock:
                    self._workers.discard(threading.current_thread())

        t = threading.Thread(target=work, name=f"kmon-verify-{self.context}-{full_name}", daemon=True)
        with self._lock:
            self._workers.add(t)
        t.start()
        return fut

    def get_full(self, full_name: str, namespace: str | None, name: str) -> dict[str, Any]:
        """The whole object from the server (for metadata-only mode). Not masked: mask before
        showing. Blocking."""
        try:
            lw = self._handle(full_name).list_watcher
        except KeyError:
            from kmon.kube.informers import new_list_watcher

            lw = new_list_watcher(self._api_client, self.resolve(full_name))
        return lw.get_full(namespace or None, name)

    def __repr__(self) -> str:
        return f"<ContextSession {self.context!r} state={self.state} resources={len(self._handles)}>"


class Monitor:
    """The open sessions, all reporting into one feed."""

    def __init__(self, feed: Feed | None = None, *, kubeconfig: Any = None) -> None:
        self.feed = feed if feed is not None else Feed()
        self.kubeconfig = kubeconfig
        self._lock = threading.Lock()  # guards _sessions
        self._sessions: dict[str, ContextSession] = {}

    def open_context(self, name: str | None = None, options: SessionOptions | None = None,
                     **overrides: Any) -> ContextSession:
        """Open (and start) a session for context ``name`` (else ``options.context``, else the
        current context) with ``options`` and ``overrides`` as ``ContextSession`` takes them;
        returns the running one if that context is already open (a failed one is replaced,
        so calling this again is how to retry). The kubeconfig defaults to the monitor's."""
        options = replace(options or SessionOptions(), **overrides)
        if options.kubeconfig is None:
            options = replace(options, kubeconfig=self.kubeconfig)
        if name is None:
            from kmon.kube.config import load_kubeconfig

            name = options.context or load_kubeconfig(options.kubeconfig).context().name
        with self._lock:
            s = self._sessions.get(name)
            if s is not None and s.state not in ("stopping", "stopped", "failed"):
                return s
            old = s
            s = ContextSession(name, options, feed=self.feed)
            self._sessions[name] = s
        if old is not None:
            old.stop(0.0)  # a failed or stopped session holds no informers: nothing to wait for
        return s.start()

    def close_context(self, name: str, timeout: float = 1.0) -> bool:
        with self._lock:
            s = self._sessions.pop(name, None)
        return s.stop(timeout) if s is not None else False

    @property
    def sessions(self) -> dict[str, ContextSession]:
        with self._lock:
            return dict(self._sessions)

    def stats(self) -> dict[tuple[str, str], "InformerStats"]:
        """{(context, full_name): stats} of every running resource (for ``SeriesBook.sample_all``)."""
        return {(c, r): st for c, s in self.sessions.items() for r, st in s.stats().items()}

    def close(self, timeout: float = 1.0) -> bool:
        """Stop every session in parallel, within ``timeout`` overall."""
        with self._lock:
            sessions = list(self._sessions.values())
            self._sessions.clear()
        results: list[bool] = []
        threads = [
            threading.Thread(target=lambda s=s: results.append(s.stop(timeout)), name=f"kmon-close-{s.context}")
            for s in sessions
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return all(results)

    def __enter__(self) -> "Monitor":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
