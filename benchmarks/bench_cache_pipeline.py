"""Throughput of kmon's cache pipeline against baselines measured in the same run.

    .venv/bin/python benchmarks/bench_cache_pipeline.py [--events N] [--pods N] [--quick]

1. Watch events: MODIFIED events of realistic ~5 KB pods through
   Reflector -> DeltaFIFO -> informer -> Indexer -> 1 handler, from pre-decoded objects and
   with the JSON decode done in the (fake) ListerWatcher as a real one does. Baselines: the
   bare orjson decode rate of the same event lines, and iterating the decoded events into a
   dict by key.
2. Initial list: N pods (default 50,000) served in pages of 500, list + Replace + processing
   until has_synced and the handler saw every add, with the reflector's GC pause and without.
3. Cyclic GC: time of a full collection with the cache populated, before and after
   ``gc.freeze()``.
"""

from __future__ import annotations

import argparse
import gc
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kmon.cache import gcguard  # noqa: E402
from kmon.cache import relist as relist_mod  # noqa: E402
from kmon.cache.informer import FuncHandler, SharedIndexInformer  # noqa: E402
from kmon.cache.keys import meta_namespace_key  # noqa: E402
from kmon.cache.listwatch import ListOptions, ListPage, WatchEvent  # noqa: E402


# -- realistic pods --------------------------------------------------------------------------
def make_pod(i: int, rv: int, namespaces: int = 20) -> dict:
    ns = f"team-{i % namespaces:02d}"
    app = f"svc-{i % 97}"
    name = f"{app}-{i:06d}-{(i * 7919) % 100000:05x}"
    containers = []
    for c in range(2):
        containers.append({
            "name": f"{app}-c{c}",
            "image": f"registry.example.com/{ns}/{app}:1.{i % 13}.{c}",
            "imagePullPolicy": "IfNotPresent",
            "ports": [{"containerPort": 8080 + c, "name": f"http-{c}", "protocol": "TCP"}],
            "env": [{"name": f"ENV_VAR_{k}", "value": f"value-{i}-{k}"} for k in range(6)]
            + [{"name": "POD_IP", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "status.podIP"}}}],
            "resources": {"limits": {"cpu": "500m", "memory": "512Mi"}, "requests": {"cpu": "100m", "memory": "128Mi"}},
            "volumeMounts": [
                {"mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "name": f"kube-api-access-{i % 1000:04d}", "readOnly": True},
                {"mountPath": "/etc/config", "name": "config"},
            ],
            "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080 + c, "scheme": "HTTP"},
                              "initialDelaySeconds": 10, "periodSeconds": 10, "timeoutSeconds": 1,
                              "successThreshold": 1, "failureThreshold": 3},
            "terminationMessagePath": "/dev/termination-log",
            "terminationMessagePolicy": "File",
        })
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": ns,
            "uid": f"{i:08x}-1c2d-4e5f-8a9b-{rv:012x}",
            "resourceVersion": str(rv),
            "creationTimestamp": "2026-11-26T10:00:00Z",
            "generateName": f"{app}-{i:06d}-",
            "labels": {"app": app, "pod-template-hash": f"{(i * 31) % 65536:04x}", "tier": "backend", "team": ns},
            "annotations": {
                "kubectl.kubernetes.io/restartedAt": "2026-11-25T08:00:00Z",
                "prometheus.io/scrape": "true",
                "prometheus.io/port": "9090",
            },
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": f"{app}-{i:06d}",
                                 "uid": f"{i:08x}-aaaa-bbbb-cccc-dddddddddddd", "controller": True,
                                 "blockOwnerDeletion": True}],
            "managedFields": [{"apiVersion": "v1", "fieldsType": "FieldsV1", "manager": "kube-controller-manager",
                               "operation": "Update", "time": "2026-11-26T10:00:00Z",
                               "fieldsV1": {"f:metadata": {"f:generateName": {}, "f:labels": {".": {}, "f:app": {}}}}}],
        },
        "spec": {
            "containers": containers,
            "dnsPolicy": "ClusterFirst",
            "enableServiceLinks": True,
            "nodeName": f"node-{i % 50:03d}",
            "preemptionPolicy": "PreemptLowerPriority",
            "priority": 0,
            "restartPolicy": "Always",
            "schedulerName": "default-scheduler",
            "securityContext": {"runAsNonRoot": True, "runAsUser": 1000},
            "serviceAccountName": "default",
            "terminationGracePeriodSeconds": 30,
            "tolerations": [
                {"effect": "NoExecute", "key": "node.kubernetes.io/not-ready", "operator": "Exists", "tolerationSeconds": 300},
                {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable", "operator": "Exists", "tolerationSeconds": 300},
            ],
            "volumes": [
                {"name": f"kube-api-access-{i % 1000:04d}", "projected": {"defaultMode": 420, "sources": [
                    {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                    {"configMap": {"items": [{"key": "ca.crt", "path": "ca.crt"}], "name": "kube-root-ca.crt"}}]}},
                {"name": "config", "configMap": {"name": f"{app}-config", "defaultMode": 420}},
            ],
        },
        "status": {
            "phase": "Running",
            "hostIP": f"10.0.{i % 50}.{i % 250}",
            "podIP": f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}",
            "podIPs": [{"ip": f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"}],
            "qosClass": "Burstable",
            "startTime": "2026-11-26T10:00:01Z",
            "conditions": [{"type": t, "status": "True", "lastProbeTime": None,
                            "lastTransitionTime": "2026-11-26T10:00:05Z"}
                           for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")],
            "containerStatuses": [{
                "name": f"{app}-c{c}", "ready": True, "restartCount": rv % 3, "started": True,
                "image": f"registry.example.com/{ns}/{app}:1.{i % 13}.{c}",
                "imageID": f"registry.example.com/{ns}/{app}@sha256:{(i * 2654435761) % (1 << 64):016x}{'0' * 48}",
                "containerID": f"containerd://{(i * 40503 + c) % (1 << 64):016x}{'f' * 48}",
                "lastState": {}, "state": {"running": {"startedAt": "2026-11-26T10:00:03Z"}},
            } for c in range(2)],
        },
    }


# -- fakes -------------------------------------------------------------------------------------
class ReplayWatch:
    """Yields the given events (decoding JSON lines first when asked), then idles until
    stopped; records when iteration started."""

    def __init__(self, events, decode: bool) -> None:
        self.events = events
        self.decode = decode
        self.started = 0.0
        self._stop = threading.Event()

    def __iter__(self):
        self.started = time.perf_counter()
        stopped = self._stop.is_set
        if self.decode:
            loads = orjson.loads
            for line in self.events:
                if stopped():
                    return
                d = loads(line)
                yield WatchEvent(d["type"], d["object"])
        else:
            for ev in self.events:
                if stopped():
                    return
                yield ev
        self._stop.wait()

    def stop(self) -> None:
        self._stop.set()


class BenchListerWatcher:
    """Serves ``items`` (decoded dicts, or JSON bytes per page when ``page_bytes``) in pages,
    then one ReplayWatch, then idle watches."""

    def __init__(self, items=None, rv="1", page_bytes=None, watch=None) -> None:
        self.items = items or []
        self.rv = rv
        self.page_bytes = page_bytes
        self.first_watch = watch
        self.list_started = 0.0

    def list(self, options: ListOptions) -> ListPage:
        start = int(options.continue_ or 0)
        if start == 0:
            self.list_started = time.perf_counter()
        if self.page_bytes is not None:
            idx = start // 500
            body = orjson.loads(self.page_bytes[idx])
            nxt = start + 500
            return ListPage(body["items"], self.rv, str(nxt) if idx + 1 < len(self.page_bytes) else "")
        limit = options.limit or len(self.items)
        chunk = self.items[start:start + limit]
        nxt = start + limit
        return ListPage(chunk, self.rv, str(nxt) if nxt < len(self.items) else "")

    def watch(self, options: ListOptions):
        w, self.first_watch = self.first_watch, None
        return w or ReplayWatch([], False)


class CountingHandler:
    def __init__(self, expect_adds: int, expect_updates: int) -> None:
        self.adds = 0
        self.updates = 0
        self.expect_adds = expect_adds
        self.expect_updates = expect_updates
        self.adds_done = threading.Event()
        self.updates_done = threading.Event()
        self.t_last = 0.0
        if expect_adds == 0:
            self.adds_done.set()

    def on_add(self, obj, initial):
        self.adds += 1
        if self.adds == self.expect_adds:
            self.adds_done.set()

    def on_update(self, old, new):
        self.updates += 1
        if self.updates == self.expect_updates:
            self.t_last = time.perf_counter()
            self.updates_done.set()

    def on_delete(self, obj):
        pass


@contextmanager
def informer_running(inf):
    stop = threading.Event()
    t = threading.Thread(target=inf.run, args=(stop,))
    t.start()
    try:
        yield
    finally:
        stop.set()
        t.join()


# -- measurements ------------------------------------------------------------------------------
def best(fn, repeat=3):
    return min(fn() for _ in range(repeat))


def bench_watch(n_pods: int, n_events: int) -> None:
    print(f"\n== watch events: {n_events:,} MODIFIED events over {n_pods:,} pods ==")
    gc.disable()
    pods = [make_pod(i, 1) for i in range(n_pods)]
    lines = [orjson.dumps({"type": "MODIFIED", "object": make_pod(i % n_pods, 2 + i)}) for i in range(n_events)]
    gc.enable()
    avg = sum(map(len, lines)) / len(lines)
    print(f"event line size: {avg / 1024:.1f} KiB")

    loads = orjson.loads

    def decode_only():
        t = time.perf_counter()
        for line in lines:
            loads(line)
        return time.perf_counter() - t

    gc.disable()
    decoded = [WatchEvent(d["type"], d["object"]) for d in map(loads, lines)]
    # The fixtures (pods, pre-decoded events) are not the app's heap: move them out of the
    # collector's sight so each measurement pays only for the objects it creates itself.
    gc.freeze()
    gc.enable()
    t_decode = best(decode_only)

    def dict_index():
        d = {}
        t = time.perf_counter()
        for ev in decoded:
            d[meta_namespace_key(ev.object)] = ev.object
        return time.perf_counter() - t

    t_dict = best(dict_index)

    def decode_into_dict():
        d = {}
        t = time.perf_counter()
        for i, line in enumerate(lines):
            d[i % n_pods] = loads(line)
        dt = time.perf_counter() - t
        d.clear()
        return dt

    t_decode_keep = best(decode_into_dict)

    def pipeline(decode: bool, freeze: bool = False, freeze_every: int = 0,
                 policy: bool = False) -> tuple[float, tuple[float, ...]]:
        """Seconds for the events, and seconds of that spent collecting, by generation.
        ``policy``: the app's default (kmon's process-wide GC policy); otherwise CPython's
        default thresholds with the given freezes."""
        gcguard.policy.uninstall()  # each variant starts from CPython's default thresholds
        watch = ReplayWatch(lines if decode else decoded, decode)
        lw = BenchListerWatcher(items=pods, rv="1", watch=watch)
        inf = SharedIndexInformer(lw, name="bench", freeze_gc_after_sync=freeze or policy,
                                  gc_freeze_every=freeze_every, gc_policy=policy)
        h = CountingHandler(len(pods), n_events)
        inf.add_event_handler(FuncHandler(on_add=h.on_add, on_update=h.on_update))
        with informer_running(inf), gc_timer() as spent_by_gen:
            assert h.adds_done.wait(120)
            spent_by_gen[:] = [0.0, 0.0, 0.0]
            assert h.updates_done.wait(900), "events did not all arrive"
            spent = tuple(spent_by_gen)
        gc.unfreeze()  # undo what this run froze (its informer is gone after the return)
        gc.freeze()  # ...but keep the fixtures out of the collector's sight again
        return h.t_last - watch.started, spent

    t_pipe, _ = min(pipeline(False, policy=True) for _ in range(3))
    t_pipe_dec, gc_dec = min(pipeline(True) for _ in range(2))
    t_pipe_dec_frozen, gc_dec_frozen = min(pipeline(True, freeze=True) for _ in range(2))
    t_pipe_dec_periodic, gc_dec_periodic = min(pipeline(True, freeze=True, freeze_every=2000) for _ in range(2))
    t_pipe_dec_policy, gc_dec_policy = min(pipeline(True, policy=True) for _ in range(2))
    gcguard.policy.uninstall()
    gc.unfreeze()
    decoded = pods = lines = None  # noqa: F841 (free the fixtures)
    gc.collect()
    rate = lambda t: n_events / t  # noqa: E731
    us = lambda t: t / n_events * 1e6  # noqa: E731
    print(f"bare JSON decode (result dropped)     : {rate(t_decode):>9,.0f} ev/s  ({us(t_decode):6.1f} us/ev)")
    print(f"JSON decode, kept in a dict by key    : {rate(t_decode_keep):>9,.0f} ev/s  ({us(t_decode_keep):6.1f} us/ev)")
    print(f"dict index of decoded events          : {rate(t_dict):>9,.0f} ev/s  ({us(t_dict):6.1f} us/ev)")
    print(f"PIPELINE, pre-decoded events          : {rate(t_pipe):>9,.0f} ev/s  ({us(t_pipe):6.1f} us/ev = cache-side work)")
    print("pipeline + decode in the LW (end to end, decoded objects live in the cache):")

    def gc_note(spent):
        return f"in GC: gen0+1 {us(spent[0] + spent[1]):5.1f}, gen2 {us(spent[2]):6.1f}"

    print(f"  GC on, nothing frozen               : {rate(t_pipe_dec):>9,.0f} ev/s  ({us(t_pipe_dec):6.1f} us/ev; {gc_note(gc_dec)})")
    print(f"  gc.freeze() at initial sync         : {rate(t_pipe_dec_frozen):>9,.0f} ev/s  ({us(t_pipe_dec_frozen):6.1f} us/ev; {gc_note(gc_dec_frozen)})")
    print(f"  + gc_freeze_every=2000 deltas       : {rate(t_pipe_dec_periodic):>9,.0f} ev/s  ({us(t_pipe_dec_periodic):6.1f} us/ev; {gc_note(gc_dec_periodic)})")
    print(f"  app default: kmon's GC policy       : {rate(t_pipe_dec_policy):>9,.0f} ev/s  ({us(t_pipe_dec_policy):6.1f} us/ev; {gc_note(gc_dec_policy)})")
    print(f"ratio PIPELINE rate / bare decode rate : {t_decode / t_pipe:5.2f}x   (target > 0.6x)")
    print(f"ratio PIPELINE rate / dict-index rate  : {t_dict / t_pipe:5.3f}x")
    print(f"end to end, app default (GC policy) / decode kept in a dict: {t_decode_keep / t_pipe_dec_policy:5.2f}x")


@contextmanager
def gc_timer():
    """Accumulates seconds spent collecting each generation into box[gen]."""
    box = [0.0, 0.0, 0.0]
    start = [0.0]

    def cb(phase, info):
        if phase == "start":
            start[0] = time.perf_counter()
        else:
            box[info["generation"]] += time.perf_counter() - start[0]

    gc.callbacks.append(cb)
    try:
        yield box
    finally:
        gc.callbacks.remove(cb)


def bench_list(n_pods: int) -> None:
    print(f"\n== initial list: {n_pods:,} pods in pages of 500 ==")
    gc.disable()
    page_bytes = [orjson.dumps({"items": [make_pod(i, 1) for i in range(j, min(j + 500, n_pods))]})
                  for j in range(0, n_pods, 500)]
    gc.enable()
    gc.collect()

    def decode_pages(pause: bool) -> float:
        t = time.perf_counter()
        with (gcguard.paused() if pause else _no_pause()):
            out = [orjson.loads(b)["items"] for b in page_bytes]
            d = {meta_namespace_key(p): p for items in out for p in items}
        dt = time.perf_counter() - t
        del out, d
        gc.collect()
        return dt

    t_dec_on = decode_pages(False)
    t_dec_off = decode_pages(True)

    def run_list(pods, pause_gc: bool, keep: bool = False):
        lw = BenchListerWatcher(items=pods, rv="1", page_bytes=None if pods else page_bytes)
        inf = SharedIndexInformer(lw, name="bench-list", freeze_gc_after_sync=False, gc_policy=False)
        h = CountingHandler(n_pods, 0)
        inf.add_event_handler(FuncHandler(on_add=h.on_add))
        saved = relist_mod.gcguard.paused
        if not pause_gc:
            relist_mod.gcguard.paused = _no_pause  # type: ignore[assignment]
        try:
            t0 = time.perf_counter()
            with informer_running(inf):
                assert h.adds_done.wait(900)
                t_done = time.perf_counter()
                assert inf.has_synced()
        finally:
            relist_mod.gcguard.paused = saved  # type: ignore[assignment]
        if keep:
            return t_done - t0, inf
        del inf, lw
        gc.collect()
        return t_done - t0, None

    t_list_nopause, _ = run_list(None, False)
    t_list_pause, inf = run_list(None, True, keep=True)
    print(f"decode all pages + dict by key, GC on     : {t_dec_on:6.2f} s")
    print(f"decode all pages + dict by key, GC paused : {t_dec_off:6.2f} s  ({t_dec_on / t_dec_off:4.1f}x faster)")
    print("LIST (decoding in LW) + Replace + process until the handler saw every add:")
    print(f"    with the reflector's GC pause         : {t_list_pause:6.2f} s  ({t_list_pause / t_dec_off:4.2f}x the paused decode)")
    print(f"    without it                            : {t_list_nopause:6.2f} s")

    # cyclic GC with the decoded cache alive (``inf`` holds n_pods freshly decoded pods)
    page_bytes = None  # noqa: F841
    gc.collect()
    t = time.perf_counter()
    gc.collect()
    t_before = time.perf_counter() - t
    gcguard.freeze()
    t = time.perf_counter()
    gc.collect()
    t_after = time.perf_counter() - t
    print(f"\n== cyclic GC with {len(inf.indexer):,} pods cached ==")
    print(f"full collection before gc.freeze(): {t_before * 1000:8.1f} ms")
    print(f"full collection after gc.freeze() : {t_after * 1000:8.1f} ms")
    gc.unfreeze()
    del inf
    gc.collect()

    # the cache-side share of a list: pods pre-decoded (fixtures frozen out of the GC's way)
    gc.disable()
    pods = [make_pod(i, 1) for i in range(n_pods)]
    gc.freeze()
    gc.enable()
    t = time.perf_counter()
    d = {meta_namespace_key(p): p for p in pods}
    t_dict = time.perf_counter() - t
    del d
    t_pre, _ = run_list(pods, True)
    gc.unfreeze()
    print(f"\n== initial list of {n_pods:,} pre-decoded pods (cache-side work only) ==")
    print(f"dict by key (baseline)                    : {t_dict:6.3f} s")
    print(f"list + Replace + process + handler        : {t_pre:6.3f} s  ({t_pre / n_pods * 1e6:4.1f} us/pod, "
          f"{t_pre / t_dict:4.1f}x the dict)")


@contextmanager
def _no_pause():
    yield


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=50_000)
    ap.add_argument("--watch-pods", type=int, default=5_000)
    ap.add_argument("--pods", type=int, default=50_000)
    ap.add_argument("--quick", action="store_true", help="small sizes (smoke run)")
    a = ap.parse_args()
    if a.quick:
        a.events, a.watch_pods, a.pods = 5_000, 1_000, 5_000
    print(f"python {sys.version.split()[0]}, orjson {orjson.__version__}")
    bench_watch(a.watch_pods, a.events)
    bench_list(a.pods)


if __name__ == "__main__":
    main()
