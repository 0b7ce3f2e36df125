"""kmon.sim -- an embedded Kubernetes API server speaking the real wire protocol.

Real HTTP/1.1 on 127.0.0.1 (ephemeral port by default), real Kubernetes JSON: the official
``kubernetes`` Python client and ``kubectl`` work against it unmodified. It is the demo
cluster (``kmon --demo``, ``kmon sim``) and the backbone of the integration tests.

Server
------
    from kmon.sim import SimServer
    srv = SimServer(token="t0ken", tls=False, bookmark_interval=60.0, seed=1,
                    host="127.0.0.1", port=0, *, history_limit=100_000,
                    too_large_wait=3.0, user="kmon", watch_timeout=1800.0,
                    watch_cache=WatchCacheOptions(window=75.0, min_events=100,
                                                  max_events=102400, progress_interval=600.0))
    srv.start()        # listening when it returns; serves on background threads; returns srv
    srv.url            # "http://127.0.0.1:PORT" ("https://..." with tls=True)
    srv.token          # bearer token required on every path except /healthz /livez /readyz
    srv.ca_data        # PEM bytes of the self-signed CA when tls=True, else None. The server
                       # certificate has SAN IP:127.0.0.1 and DNS:localhost.
    srv.store          # kmon.sim.storage.Store (below): etcd, with its history and compaction
    srv.cache          # kmon.sim.watch_cache.WatchCache: the watch cache in front of it
    srv.faults         # kmon.sim.faults.Faults (below)
    srv.phase()        # a lifecycle.Phase (str enum): "serving", or after a restart fault
                       # "down", "installing" (503), "initializing" (429);
                       # srv.lifecycle.clock measures the phases
    srv.requests       # RequestLog: list-like (iter, len, [i], .snapshot(), .clear()) of
                       # RequestRecord(method, path, query: dict[str, str], time, status);
                       # admin calls under /_kmon are not recorded; a watch is recorded (200)
                       # as soon as its stream starts; 499 = client went away mid-response.
    srv.watches        # open watch streams: len(srv.watches), srv.watches.all()
    srv.stop()         # closes the listener and every open connection/watch; joins threads
    with SimServer() as srv: ...   # start()/stop()

``bookmark_interval``: kube-apiserver's bookmark frequency (60 s): a watch with
allowWatchBookmarks has a bookmark due that long after it starts and every interval after,
and one 2 s before its timeout; each is sent only once the resource's cache version passed
the watch's version (a quiet resource's watch gets none). ``seed``: seeds uid generation
(same seed + same writes -> same uids). ``history_limit``: events storage keeps for lists
at an exact past revision the watch cache cannot serve (older ones are compacted
automatically). ``too_large_wait``: how long a list at a revision newer than the watch
cache's waits for it before 504 (kube-apiserver: 3 s). ``watch_timeout``: server-side end
of a watch without timeoutSeconds. ``watch_cache``: each resource's window in the watch
cache (kmon.sim.watch_cache.WatchCacheOptions; defaults are kube-apiserver's).

A new server's store is empty -- not even the "default" namespace: create namespaces
first (``Workload.populate()`` creates default and kube-system plus its own).

kubectl sends bearer tokens only over TLS: use ``tls=True`` (``kmon sim --tls``) for kubectl.

Resources (the store's resource identifiers)
--------------------------------------------
Identifier = kubectl's full name: the plural for core/v1, ``plural.group`` otherwise.
Store methods also accept the kind (``"Pod"``), the short name (``"po"``) or the plural.

    namespaces (ns, cluster)      nodes (no, cluster)       pods (po)
    services (svc)                configmaps (cm)           secrets
    events (ev)                   deployments.apps (deploy) replicasets.apps (rs)
    widgets.demo.kmon.io (wd; group demo.kmon.io, version v1, kind Widget, namespaced)
    ... and every other listable built-in type of kube-apiserver 1.36 (``kmon.sim.catalog``:
    serviceaccounts, statefulsets.apps, jobs.batch, ingresses.networking.k8s.io,
    customresourcedefinitions.apiextensions.k8s.io, leases.coordination.k8s.io, ...; 60 in
    all), empty until something creates objects.

Field selectors: metadata.name and metadata.namespace everywhere; pods also spec.nodeName,
status.phase, spec.restartPolicy, spec.schedulerName, spec.serviceAccountName,
spec.hostNetwork, status.podIP, status.nominatedNodeName; namespaces status.phase; nodes
spec.unschedulable; secrets type; events involvedObject.{kind,namespace,name,uid,apiVersion,
resourceVersion,fieldPath}, reason, reportingComponent, source, type; another one is 400
"field label not supported". Operators = == != (a backslash escapes , = and itself in a value).
Label selectors: = == != in notin exists !key and > < (integers). Both are parsed by
``kmon.selectors`` as kube-apiserver parses them: a bad one is 400 BadRequest with the
apiserver's message (``kmon.sim.selection``).

Store (``srv.store``; thread-safe; all methods return copies, never live objects)
--------------------------------------------------------------------------------
    store.revision -> int                     # global revision (starts at 1)
    store.compacted_revision -> int           # history below it is gone (410)
    store.create(resource, obj, namespace=None, *, copy=True) -> dict
        # namespace from the argument, else obj.metadata.namespace, else "default"; the
        # namespace must exist (404). Sets uid, creationTimestamp (kept if given),
        # generation=1 when the object has spec, resourceVersion, kind, apiVersion;
        # metadata.generateName supported. 409 AlreadyExists. Applies the apiserver's
        # defaults (``kmon.sim.defaulting``: a pod without status.phase gets Pending and
        # its qosClass, services a clusterIP, ...) but no validation: in-process writers
        # (the workload, tests) are trusted like controllers; HTTP clients are validated.
    store.get(resource, name, namespace=None) -> dict          # 404 NotFound
    store.list(resource, namespace=None, label_selector=None, field_selector=None) -> list[dict]
        # current objects sorted by (namespace, name); selectors in API syntax
    store.count(resource, namespace=None) -> int
    store.update(resource, obj, namespace=None, *, subresource=None, copy=True) -> dict
        # full replace; obj.metadata.resourceVersion, if set, must match (409 Conflict);
        # uid/creationTimestamp kept; generation bumped when spec changes; a no-op update
        # writes nothing (no new revision); subresource="status" replaces only status.
        # create/update with copy=False may modify ``obj`` in place (no defensive copy; the
        # store keeps only its encoding): for generators that build a fresh dict per write.
    store.patch(resource, name, patch, namespace=None, *, patch_type="merge", subresource=None) -> dict
        # patch_type: "merge" (RFC 7386), "strategic" (merge patch + lists merged by key:
        # containers/env/volumes by name, ports by containerPort, conditions by type ...),
        # "json" (RFC 6902), or the matching content types.
    store.delete(resource, name, namespace=None, *, propagation="Background", preconditions=None) -> dict
        # immediate (the final step: a kubelet's grace-0 delete, the garbage collector;
        # graceful deletion is the HTTP API's, ``kmon.sim.deletion``);
        # returns the last state (resourceVersion = deletion revision). Deleting a
        # namespace deletes everything in it; unless propagation == "Orphan", objects whose
        # ownerReferences name the deleted uid are deleted too (cascading).
    store.bulk_load(resource, objs) -> int    # fast create, takes ownership of the dicts
    store.compact(revision=None) -> int       # drop history up to revision (default: now)
    store.jump_revision(delta) -> int         # revision += delta, no events
    store.wait_for_revision(rev, timeout) -> bool
Errors raise ``kmon.sim.StoreError`` (``.code``, ``.reason``, ``.message``, ``.status()``).

HTTP API
--------
As kube-apiserver 1.36 answers (the reference where this text is silent).
Authentication: the bearer token is ``user``; another bearer token -> 401 Unauthorized; no
token -> ``system:anonymous``, which RBAC allows only /version, /healthz, /livez, /readyz:
403 'pods is forbidden: User "system:anonymous" cannot list resource "pods" in API group ""
at the cluster scope' ('forbidden: User "system:anonymous" cannot get path "/apis"').
Discovery: /version (1.36), /api, /api/v1, /apis, /apis/<group>, /apis/<group>/<version>
(21 groups with core, every resource with singularName, namespaced, kind, verbs,
shortNames, categories, storageVersionHash, and subresources such as pods/log, pods/exec,
pods/eviction, pods/binding, deployments/scale). /api and /apis answer aggregated
discovery (``Accept: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList``
-> that Content-Type, an ETag). /openapi/v2 (JSON) and /openapi/v3 (+ per group version):
schemas with typed properties, descriptions and required fields derived from the
``kubernetes`` client's models (``kubectl explain`` works), cached. /healthz.
Paths: /api/v1/<plural>[/<name>[/<sub>]], /api/v1/namespaces/<ns>/<plural>[/<name>[/<sub>]]
and the same under /apis/<group>/<version>. A verb a type does not offer -> 405.
Writes (``kmon.sim.writes``): POST, PUT, PATCH (merge / strategic-merge / json-patch /
apply-patch+yaml = server-side apply with fieldManager, conflicts 409 unless force=true),
DELETE, DELETE on a collection; ``dryRun=All`` answers without storing (create 201 without
resourceVersion). Unknown fields are dropped: ``fieldValidation=Strict`` -> 400 'strict
decoding error: unknown field "x"', Warn (default) -> ``Warning: 299 - "unknown field ..."``.
metadata.resourceVersion on create -> 500 "resourceVersion should not be set on objects to
be created"; client-set uid, creationTimestamp, selfLink, deletionTimestamp, generation are
reset. Status sent to the main endpoint is ignored (types with a status subresource);
/status changes only status, /finalize only spec.finalizers. Defaults are applied
(``kmon.sim.defaulting``); validation failures -> 422 Invalid '<Kind> "<name>" is invalid:
<field>: <error>' with details.causes (names, labels, configmap keys, pods without
containers, workload selectors not matching the template, immutable fields).
managedFields record each writer (fieldManager, else the user agent's product name).
Deletion (``kmon.sim.deletion``): a pod on no node -> MODIFIED (deletionTimestamp, grace 0)
then DELETED; a pod bound to a node -> MODIFIED (grace = gracePeriodSeconds or its
terminationGracePeriodSeconds, 30) and Terminating until a grace-0 delete (its kubelet);
objects with finalizers stay until an update removes the last one; a namespace becomes
Terminating with its contents (no namespace controller) until /finalize empties its
finalizers; creating in it -> 403 with cause NamespaceTerminating. DELETE answers the
object (pods, services, PVs... or anything not yet gone) or a Status Success.
Subresources (``kmon.sim.subresources``): pods/log (text/plain, tailLines, container),
pods/binding and bindings (schedules), pods/eviction (graceful delete, 201), */scale
(autoscaling/v1 Scale), serviceaccounts/token; exec/attach/portforward -> 400 "Upgrade
request required"; proxy -> 503.

List: ``*List`` kind/apiVersion, metadata.resourceVersion. Served as kube-apiserver 1.36's
cacher serves it (kmon/sim/reads.py):
  resourceVersion "" = consistent read from the watch cache (the store's revision; paged by
  limit); "0" = the watch cache at the resource's cache version (may be older than the
  store's revision for a quiet resource), limit ignored, never paged; N with NotOlderThan
  (or unset, no limit) = the cache once it reached N; N > the store's revision: waits
  ``too_large_wait``, then 504 "Timeout: Too large resource version: N, current: M",
  Retry-After 1, details.causes [{reason: ResourceVersionTooLarge}]. N with Exact (or
  unset with a limit) = the state at N: from the watch cache while its window reaches
  back to N, else from storage; 410 "The resourceVersion for the provided list is too
  old." once storage is compacted past it too.
  limit + continue: opaque token; later pages are a consistent snapshot at the first
  page's revision (from the cache, else storage); metadata.remainingItemCount when no
  selector is used; a token neither holds -> 410 Expired whose metadata.continue continues
  at the latest revision. Items sorted by (namespace, name).
Watch (watch=1|true): chunked, one {"type","object"} JSON per line, always from the watch
  cache. resourceVersion unset/""/"0": ADDED for every current object, then live events;
  N: events after N. N older than the cache's window: HTTP 200, one ERROR event with
  Status {code 410, reason Expired, message "too old resource version: N (oldest)"},
  stream ends. N in the future: HTTP 200, silent until events pass N (or the timeout).
  sendInitialEvents=true requires resourceVersionMatch=NotOlderThan (422 otherwise):
  ADDED for every object, then -- with allowWatchBookmarks only -- a BOOKMARK with
  metadata.annotations {"k8s.io/initial-events-end": "true"}. allowWatchBookmarks=true:
  BOOKMARKs (only kind, apiVersion, metadata.resourceVersion) as ``bookmark_interval``
  describes. timeoutSeconds: the server ends the stream cleanly. A watch that falls out of
  the cache's window is ended cleanly. Selectors apply (stops matching -> DELETED with the
  previous state; starts matching -> ADDED). A watch on a named path
  (.../pods/NAME?watch=1) watches that object only.
HTTP: a body over 128 KiB is gzip-compressed when the request accepts gzip
(Content-Encoding: gzip, Vary: Accept-Encoding; never a watch). HEAD answers 405 with no
body (/healthz, /livez, /readyz: 200); a method a route lacks answers 405 (discovery is GET
only; a collection takes GET POST DELETE, across namespaces GET only; an object GET PUT
PATCH DELETE). /readyz answers 500 while a restarted server starts.
Metadata only: Accept "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
(list) or ";as=PartialObjectMetadata;..." (get/watch) -> kind PartialObjectMetadata(List),
apiVersion meta.k8s.io/v1, items/objects {kind, apiVersion, metadata}. The first
acceptable alternative of a comma-separated Accept wins; protobuf alternatives are skipped.
Table (";as=Table;g=meta.k8s.io;v=v1", what kubectl asks for): kubectl's usual columns
for the built-in kinds (NAME, AGE for widgets), rows carry PartialObjectMetadata; on watch
every event's object is a one-row Table.
Errors are Status objects: 400 BadRequest (bad selector/parameters), 401 Unauthorized,
403 Forbidden (anonymous, faults.forbid, NamespaceTerminating), 404 NotFound, 405, 409
AlreadyExists/Conflict, 410 Expired, 415, 422 Invalid (invalid objects; invalid list
options: 'ListOptions.meta.k8s.io "" is invalid: ...'), 429 TooManyRequests, 500
InternalError, 503, 504; a Status with details.retryAfterSeconds comes with a Retry-After
header.

Faults (``srv.faults``; also ``POST /_kmon/faults/<name>?seconds=&n=&code=&retry_after=
&delta=&revision=&resource=&group=`` with the bearer token)
---------------------------------------------------------------------------------------
    compact(revision=None) -> int         # storage history up to revision (default now) is
                                          # gone: Exact lists / continue tokens the watch
                                          # cache no longer holds -> 410; watches unaffected
    expire_watch_cache(resource=None) -> int  # the watch cache's history is gone (revision
                                          # += 1): the next watch from an older version ->
                                          # 200 + ERROR 410; open watches carry on
    drop_watches() -> int                 # every open watch connection is closed abruptly
                                          # (no terminating chunk)
    restart(seconds=3.0, starting=1.5)    # a real restart: every connection closed now,
                                          # ECONNREFUSED for `seconds`; then for `starting`
                                          # s 503 (paths not installed; first third) and 429
                                          # "storage is (re)initializing" (watches, cache-
                                          # served lists); the watch cache starts empty at
                                          # the current revision (+1): old versions -> 410
    refuse_connections(seconds)           # a network fault: listener and connections closed
                                          # now, ECONNREFUSED for `seconds`, then the same
                                          # port listens again, watch cache intact
    fail_next(n, code=500, retry_after=None)  # next n API requests (not /healthz, /_kmon)
                                          # answer `code` with a Status; 429 -> Retry-After
                                          # (default 1 s)
    stall_watches(seconds)                # watches write nothing (no bookmarks) meanwhile;
                                          # buffered events follow afterwards
    send_malformed_line() -> int          # each open watch writes one non-JSON line
    jump_revision(delta) -> int           # revision += delta without events
    inject_raw(data, close=False) -> int  # each open watch writes `data` verbatim as one
                                          # chunk (partial line, non-UTF-8, HTML...); close:
                                          # then the connection is closed abruptly
    html_next(n=1, code=502)              # next n API requests answer an HTML error page
                                          # (text/html), as a proxy in front would
    forbid(resource_plural, group="")     # 403 on every verb, RBAC-style message:
        # 'pods is forbidden: User "kmon" cannot list resource "pods" in API group "" at the
        # cluster scope' (or 'in the namespace "ns"'; named: 'pods "x" is forbidden: ...')
    allow(resource_plural=None, group="") # undo forbid (all when no argument)
    reset()                               # clear pending failures, forbids, stalls
HTTP names are the method names; query parameters are their parameters (``forbid``/``allow``
take ``resource``); the first line of each method's docstring is its help text.

Other modules
-------------
    kmon.sim.kubeconfig.write_kubeconfig(path, [("kmon-demo", srv), ("kmon-demo-2", srv2)],
                                         current="kmon-demo", namespace=None) -> str
        # one cluster/user (token)/context per entry; certificate-authority-data with TLS
    kmon.sim.workload.Workload(store, seed=1, rate=50.0, namespaces=4, pods=200,
                               deployments=None, nodes=6, configmaps=3, secrets=2,
                               widgets=4, max_events=300, node_prefix="node")
        .populate()   # namespaces (+ default, kube-system), nodes, deployments with
                      # replicasets, services and pods (3-7 KB JSON), configmaps, secrets,
                      # widgets, events -- synchronously
        .step(n=1) -> writes   # n churn operations synchronously (deterministic per seed);
                               # a removed pod is first Terminating (grace 30, MODIFIED) and
                               # deleted TERMINATION_STEPS (120) operations later, as its
                               # kubelet would once its containers stopped
        .start() / .stop()     # churn on a thread at `rate` writes/s (token bucket: every
                               # 10 ms the writes owed, in one batch under the store's lock,
                               # so watchers wake once per batch; `rate` may change live)
        .writes, .achieved_rate  # writes so far; writes/s measured over the last ~1 s
        .churning              # the churn thread runs
        .namespaces            # the application namespaces used
    kmon.sim.demo.DemoCluster(churn=20.0, pods=120, seed=1, *, tls=False,
                              bookmark_interval=60.0, directory=None)
        # `kmon --demo`: two servers with different content (contexts kmon-demo, kmon-demo-2),
        # each churned by a Workload, and their kubeconfig (.kubeconfig_path) in a temp dir;
        # .pause() / .resume() / .set_churn(rate) / .step(n), .stop() removes it all
    kmon.sim.cli.main(argv) -> int   # `kmon sim --kubeconfig FILE [--port P] [--token T]
        # [--tls] [--churn RATE] [--seed S] [--pods N] [--namespaces N] [--bookmark-interval S]`
"""

from kmon.sim.protocol import RequestLog, RequestRecord
from kmon.sim.server import SimServer
from kmon.sim.storage import Store, StoreError

__all__ = ["SimServer", "RequestRecord", "RequestLog", "Store", "StoreError"]
