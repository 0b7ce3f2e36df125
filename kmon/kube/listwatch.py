"""``RestListerWatcher``: the reflector's list and watch over the Kubernetes REST API.

Why this module exists: lists and watches are read raw from the official client's connection
pool (its TLS settings, proxy and auth, including exec-plugin token refresh) and decoded into
``RawObject``s (``kmon.cache.raw_decode``: each object kept as its wire bytes with a small
typed header, decoded further only when a view reads it; list pages item by item, never a
dict per item): no generated models. ``raw_objects=False`` decodes plain dicts instead
(``dict_decode``: the path the benchmark compares with). Lists ask for gzip, as client-go does
(kube-apiserver compresses bodies over 128 KB: most of an initial sync's bytes on a remote
cluster); the watch stream is ``watchstream.RestWatch``.

Failure modes are made explicit, because the reflector decides what to do from their type:
- HTTP errors and watch ``ERROR`` events -> ``ApiStatusError`` (``retry_after`` from the
  Retry-After header); a non-Status body (an HTML page from a proxy) -> a short message
  naming the HTTP code and content type.
- a line that is not a well-formed watch event -> ``WatchDecodeError`` (an ApiStatusError with
  code 500, as client-go reports decode failures, and a ValueError): the reflector ends the
  round and relists; nothing cached is lost.
- the stream closing abruptly (reset, unexpected EOF, even inside an event) ends the watch
  normally, as client-go's StreamWatcher does: the reflector re-watches from its last version.
- transport failures -> ``OSError`` subclasses; ``ConnectionRefusedError`` for ECONNREFUSED.
- dead connections and stalled servers (``liveness``): TCP keepalive fails a dead connection;
  the API client's health check ends the watches that stayed idle while the server did not
  answer it -> ``TimeoutError``; so does a stream silent for ``inactivity_timeout`` past its
  own ``timeoutSeconds`` (sent as the reflector chose it), and a list silent that long.
``RestWatch.stop()`` and ``RestListerWatcher.cancel()`` may be called from any thread: they
shut the socket down so a blocked read returns at once.
"""

from __future__ import annotations

import threading
from http.client import HTTPException
from typing import Any, Callable

from urllib3 import exceptions as u3e

from kmon.cache.errors import ApiStatusError
from kmon.cache.listwatch import ListOptions, ListPage, WatchEvent
from kmon.cache.raw_decode import DecodeOptions, WatchDecoder, decode_list
from kmon.kube import _http, transforms
from kmon.kube.dechunk import WatchDecodeError
from kmon.kube.dict_decode import DictWatchDecoder, decode_list_dicts
from kmon.kube.discovery import ApiResource
from kmon.kube.liveness import (
    DEFAULT_INACTIVITY_TIMEOUT,
    HealthCheck,
    checker_for,
    enable_keepalive,
    last_resort_timeout,
)
from kmon.kube.watchstream import RestWatch, WatchLineDecoder


__all__ = [
    "DEFAULT_INACTIVITY_TIMEOUT",
    "METADATA_LIST_ACCEPT",
    "METADATA_WATCH_ACCEPT",
    "RestListerWatcher",
    "RestWatch",
    "WatchCancelledError",
    "WatchDecodeError",
]

METADATA_LIST_ACCEPT = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"
METADATA_WATCH_ACCEPT = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json"


class WatchCancelledError(ConnectionAbortedError):
    """A list was cancelled from another thread (the reflector is stopping)."""


class RestListerWatcher:
    """Lists and watches one resource over REST (implements kmon.cache's ``ListerWatcher``).

    ``label_selector``/``field_selector`` are applied to every call (like client-go's filtered
    list-watch). With ``metadata_only`` the server is asked for ``PartialObjectMetadata`` and,
    unless ``metadata_shrink=None``, each object is shrunk by ``transforms.compact`` (no
    managedFields, cut out of the bytes without decoding them; a RawObject's header shares
    repeated strings already: ~1.4 KiB per cached pod); another ``metadata_shrink`` callable
    is applied to each object as it is decoded;
    ``get_full(namespace, name)`` fetches one whole object on demand. ``inactivity_timeout``
    is the read timeout of lists and of a watch's response headers, and how long a watch may
    stay silent past its own ``timeoutSeconds`` (None: no limit). ``health_check``: the API
    client's health check of idle watches (``liveness.HealthCheck``; None: client-go's
    settings from the environment, ``$HTTP2_READ_IDLE_TIMEOUT_SECONDS`` and
    ``$HTTP2_PING_TIMEOUT_SECONDS``).
    """

    def __init__(
        self,
        api_client: Any,
        resource: ApiResource,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        metadata_only: bool = False,
        inactivity_timeout: float | None = DEFAULT_INACTIVITY_TIMEOUT,
        connect_timeout: float | None = 30.0,
        fill_type_meta: bool = True,
        metadata_shrink: Callable[[Any], Any] | None = transforms.compact,
        health_check: HealthCheck | None = None,
        raw_objects: bool = True,
    ) -> None:
        self.api_client = api_client
        self.resource = resource
        self.namespace = namespace if resource.namespaced else None
        self.label_selector = label_selector or None
        self.field_selector = field_selector or None
        self.metadata_only = metadata_only
        # metadata-only mode exists for huge clusters: by default its objects lose
        # managedFields and share their repeated strings (transforms.compact), ~6 KiB -> <2 KiB
        # per object; the whole object, managedFields included, comes from get_full
        self.metadata_shrink = metadata_shrink if metadata_only else None
        self.inactivity_timeout = inactivity_timeout
        self.connect_timeout = connect_timeout
        self.fill_type_meta = fill_type_meta
        self.raw_objects = raw_objects
        self._path = resource.api_path(self.namespace)
        enable_keepalive(api_client)  # whoever built the client: a dead peer must fail
        self.health_check = health_check if health_check is not None else HealthCheck.from_env(strict=False)
        self._health = checker_for(api_client, self.health_check)  # shared by the client's watches
        self._lock = threading.Lock()  # guards _inflight and _watches
        self._inflight: set[Any] = set()  # responses of lists being read
        self._cancelled: set[int] = set()  # ids of responses cancel() shut down
        self._watches: set[RestWatch] = set()
        # list bodies so far: bytes received (gzipped when the server compressed) and decoded
        self.list_bytes_received = 0
        self.list_bytes_decoded = 0

    def __repr__(self) -> str:
        return f"RestListerWatcher({self._path!r}, metadata_only={self.metadata_only})"

    @property
    def path(self) -> str:
        return self._path

    def _query(self, options: ListOptions, *, watch: bool) -> list[tuple[str, Any]]:
        q: list[tuple[str, Any]] = []
        if watch:
            q.append(("watch", "true"))
        if options.resource_version is not None:
            q.append(("resourceVersion", options.resource_version))
        if options.resource_version_match:
            q.append(("resourceVersionMatch", options.resource_version_match))
        if not watch:
            if options.limit:
                q.append(("limit", int(options.limit)))
            if options.continue_:
                q.append(("continue", options.continue_))
        label = self.label_selector or options.label_selector
        field = self.field_selector or options.field_selector
        if label:
            q.append(("labelSelector", label))
        if field:
            q.append(("fieldSelector", field))
        if watch:
            if options.allow_watch_bookmarks:
                q.append(("allowWatchBookmarks", "true"))
            if options.send_initial_events:
                q.append(("sendInitialEvents", "true"))
        if options.timeout_seconds:
            q.append(("timeoutSeconds", int(options.timeout_seconds)))
        return q

    def _track(self, resp: Any) -> None:
        with self._lock:
            self._inflight.add(resp)

    def list(self, options: ListOptions) -> ListPage:
        accept = METADATA_LIST_ACCEPT if self.metadata_only else _http.JSON
        query = self._query(options, watch=False)
        resp = _http.open_get(
            self.api_client,
            self._path,
            query,
            accept=accept,
            connect_timeout=self.connect_timeout,
            read_timeout=self.inactivity_timeout,
            on_response=self._track,
            compressed=True,  # as client-go: a large list crosses the wire ~10x smaller
        )
        try:
            try:
                body = resp.read()
            except (OSError, ValueError, AttributeError, u3e.HTTPError, HTTPException) as e:
                if id(resp) in self._cancelled:
                    raise WatchCancelledError(f"list of {self._path} cancelled") from None
                raise _http.transport_error(e, self._path, read_timeout=self.inactivity_timeout) from e
        finally:
            with self._lock:
                self._inflight.discard(resp)
                cancelled = id(resp) in self._cancelled
                self._cancelled.discard(id(resp))
            try:
                resp.release_conn()
            except Exception:
                pass
        if cancelled:
            raise WatchCancelledError(f"list of {self._path} cancelled")
        self.list_bytes_received += int(getattr(resp, "tell", lambda: len(body))() or len(body))
        self.list_bytes_decoded += len(body)
        return self._decode_list(body, resp)

    def _decode_options(self) -> DecodeOptions:
        shrink = self.metadata_shrink
        return DecodeOptions(
            metadata_only=self.metadata_only,
            # the shrinking transforms, done on the bytes (a RawObject's header is interned)
            drop_managed_fields=shrink in (transforms.compact, transforms.drop_managed_fields),
            fill_type_meta=self.fill_type_meta,
            kind=self.resource.kind,
            api_version=self.resource.api_version,
        )

    def _extra_shrink(self) -> Callable[[Any], Any] | None:
        """A ``metadata_shrink`` that the raw decoders do not do themselves."""
        shrink = self.metadata_shrink
        return None if shrink in (None, transforms.compact, transforms.drop_managed_fields) else shrink

    def _decode_list(self, body: bytes, resp: Any) -> ListPage:
        kw = dict(status=resp.status, content_type=resp.headers.get("Content-Type") or "", path=self._path,
                  options=self._decode_options())
        if not self.raw_objects:
            return decode_list_dicts(body, shrink=self.metadata_shrink, **kw)  # type: ignore[arg-type]
        page = decode_list(body, **kw)  # type: ignore[arg-type]
        shrink = self._extra_shrink()
        if shrink is not None and self.metadata_only:
            page.items[:] = [shrink(i) for i in page.items]
        return page

    def _watch_decoder(self) -> WatchLineDecoder:
        if not self.raw_objects:
            return DictWatchDecoder(self.metadata_only, self.metadata_shrink)
        decoder = WatchDecoder(self._decode_options())
        shrink = self._extra_shrink()
        return decoder if shrink is None else _ShrinkingDecoder(decoder, shrink)

    def watch(self, options: ListOptions) -> RestWatch:
        accept = METADATA_WATCH_ACCEPT if self.metadata_only else _http.JSON
        # timeoutSeconds exactly as the reflector chose it (client-go's 5-10 min): an idle
        # watch stays open that long, as a controller's does (see liveness)
        timeout = int(options.timeout_seconds) if options.timeout_seconds else None
        resp = _http.open_get(
            self.api_client,
            self._path,
            self._query(options, watch=True),
            accept=accept,
            connect_timeout=self.connect_timeout,
            read_timeout=self.inactivity_timeout,  # until the response headers arrive
        )
        health = self._health
        w = RestWatch(resp, self._path, read_timeout=last_resort_timeout(timeout, self.inactivity_timeout),
                      decoder=self._watch_decoder(), timeout_seconds=timeout,
                      on_close=health.discard if health is not None else None)
        if health is not None:
            health.add(w)
        with self._lock:
            self._watches = {x for x in self._watches if not x.stopped and not x._closed}
            self._watches.add(w)
        return w

    def cancel(self) -> None:
        """Abort in-flight lists and open watches (called by the reflector on stop). Later
        calls work normally."""
        with self._lock:
            inflight = list(self._inflight)
            self._cancelled.update(id(r) for r in inflight)
            watches = list(self._watches)
            self._watches.clear()
        for resp in inflight:
            _http.shutdown_socket(resp)
        for w in watches:
            w.stop()

    def get_full(self, namespace: str | None, name: str) -> dict[str, Any]:
        """The whole object (for metadata-only informers, on demand)."""
        path = self.resource.object_path(namespace, name)
        obj = _http.get_json(self.api_client, path, read_timeout=self.inactivity_timeout)
        if type(obj) is not dict:
            raise ApiStatusError(500, "", f"expected an object from {path}, got {type(obj).__name__}")
        return obj


class _ShrinkingDecoder:
    """A ``WatchDecoder`` whose objects then go through a ``metadata_shrink`` callable."""

    def __init__(self, decoder: WatchDecoder, shrink: Callable[[Any], Any]) -> None:
        self._decoder = decoder
        self._shrink = shrink

    def decode(self, lines: list[Any]) -> tuple[list[WatchEvent], WatchDecodeError | None]:
        events, err = self._decoder.decode(lines)
        shrink = self._shrink
        return [e if e.type in ("BOOKMARK", "ERROR") else WatchEvent(e.type, shrink(e.object)) for e in events], err
