#!/usr/bin/env python3
"""What keeping objects as their wire bytes (``kmon.cache.raw_object``) costs and saves.

Why this benchmark exists: issue 14 chose a decoder and a representation for cached objects
by measurement; this reproduces those measurements on the pipeline benchmark's own pods
(``bench_pipeline.make_pods``: kmon.sim's 5-6 KB pods) and prints every rate as a ratio to
the bare ``orjson.loads`` of the same bytes, measured in the same run (the machine is
shared: compare ratios, not rates). One process, the cyclic GC paused while timing, every
contender interleaved round by round, the best of ``--rounds`` kept.

- watch lines: ``orjson.loads`` of the event (the bare decode); the same kept in a dict by
  key (what a dict cache does); msgspec decoding the event with its object as ``Raw`` then
  the object's header into a Struct; pysimdjson (if installed) reading the header from its
  lazy document; kmon's ``WatchDecoder`` (the product: fast path, RawObject kept by key).
- list pages of 500 items: ``orjson.loads`` of the page; msgspec reading the items as
  ``Raw`` only; kmon's ``decode_list`` (RawObjects, no dict per item).
- bytes kept per pod (tracemalloc, 50,000 pods by default): dicts vs RawObjects, full and
  metadata-only (dicts: PartialObjectMetadata shrunk by ``transforms.compact`` as today;
  raw: ``drop_managed_fields``); and a full ``gc.collect()`` with each cache filled.
- reading bodies: freezing vs the alternatives (fresh decode per read, MappingProxyType with
  tuples, lazy read-only proxies), keeping a decoded body vs dropping it, the per-kind
  summary part vs decoding the body, the managedFields transform on bytes.

Run: ``python benchmarks/bench_raw_object.py`` (50,000 pods) or ``--quick``.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
import tracemalloc
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, Callable

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import msgspec  # noqa: E402
import orjson  # noqa: E402

import bench_pipeline as bp  # noqa: E402
from kmon.cache import raw_bodies  # noqa: E402
from kmon.cache.frozen import freeze  # noqa: E402
from kmon.cache.raw_decode import DecodeOptions, WatchDecoder, decode_list, without_managed_fields  # noqa: E402
from kmon.cache.raw_header import decode_header  # noqa: E402
from kmon.cache.raw_object import RawObject  # noqa: E402
from kmon.kube import transforms  # noqa: E402
from kmon.kube.watchstream import partial_object_metadata  # noqa: E402
from kmon.monitor.summary import summarize  # noqa: E402

try:
    import simdjson  # pysimdjson
except ImportError:  # pragma: no cover - optional contender
    simdjson = None

PAGE = 500
loads = orjson.loads


# --------------------------------------------------------------------------- timing
def timed(fn: Callable[[], Any]) -> float:
    gc.collect()
    gc.disable()
    try:
        t = time.perf_counter()
        fn()
        return time.perf_counter() - t
    finally:
        gc.enable()


def best_rates(contenders: dict[str, Callable[[], Any]], count: int, rounds: int) -> dict[str, float]:
    """Items per second of each contender (``count`` items per call), best of ``rounds``,
    contenders interleaved and each round starting with another one."""
    best = dict.fromkeys(contenders, 0.0)
    names = list(contenders)
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            best[name] = max(best[name], count / timed(contenders[name]))
    return best


def kept_bytes(build: Callable[[], Any], n: int) -> tuple[float, Any]:
    """Bytes per item of what ``build()`` returns and keeps (tracemalloc)."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    kept = build()
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return (after - before) / n, kept


def gc_pause(kept: Any) -> float:
    t = time.perf_counter()
    gc.collect()
    return (time.perf_counter() - t) * 1000


# --------------------------------------------------------------------------- contenders
class _OwnerRef(msgspec.Struct, gc=False):
    name: str = ""
    uid: str = ""


class _Meta(msgspec.Struct, gc=False):
    name: str = ""
    namespace: str = ""
    uid: str = ""
    resourceVersion: str = ""
    labels: dict[str, str] = {}
    ownerReferences: list[_OwnerRef] = []


class _Head(msgspec.Struct, gc=False):
    kind: str = ""
    apiVersion: str = ""
    metadata: _Meta | None = None


class _Event(msgspec.Struct, gc=False):
    type: str
    object: msgspec.Raw


def watch_contenders(lines: list[bytes]) -> dict[str, Callable[[], Any]]:
    dec_event = msgspec.json.Decoder(_Event).decode
    dec_head = msgspec.json.Decoder(_Head).decode
    decoder = WatchDecoder()
    decode_line = decoder.decode_line

    def bare() -> None:
        for line in lines:
            loads(line)

    def dict_keep() -> dict[str, Any]:
        store = {}
        for line in lines:
            o = loads(line)["object"]
            md = o["metadata"]
            store[f"{md['namespace']}/{md['name']}"] = o
        return store

    def msgspec_keep() -> dict[str, Any]:
        store = {}
        for line in lines:
            raw = bytes(dec_event(line).object)
            h = dec_head(raw)
            store[f"{h.metadata.namespace}/{h.metadata.name}"] = (h, raw)
        return store

    def kmon_keep() -> dict[str, Any]:
        store = {}
        for line in lines:
            obj = decode_line(line).object
            store[obj.cache_key] = obj
        return store

    out = {"orjson.loads (bare)": bare, "orjson, dict kept": dict_keep,
           "msgspec Raw + header Struct, kept": msgspec_keep, "kmon WatchDecoder, RawObject kept": kmon_keep}
    if simdjson is not None:
        parser = simdjson.Parser()

        def simd_keep() -> dict[str, Any]:
            store = {}
            for line in lines:
                o = parser.parse(line)["object"]
                md = o["metadata"]
                labels = md.get("labels")
                store[f"{md['namespace']}/{md['name']}"] = (
                    md["resourceVersion"], md["uid"], labels.as_dict() if labels is not None else None, o.mini)
                del o, md, labels  # the parser is reused: no document may outlive its line
            return store

        out["pysimdjson lazy doc, header + mini kept"] = simd_keep
    return out


def list_contenders(pages: list[bytes]) -> dict[str, Callable[[], Any]]:
    dec_items = msgspec.json.Decoder(dict[str, msgspec.Raw]).decode
    dec_list = msgspec.json.Decoder(list[msgspec.Raw]).decode
    options = DecodeOptions(kind="Pod", api_version="v1")

    def bare() -> None:
        for page in pages:
            loads(page)

    def raw_items() -> None:
        for page in pages:
            [bytes(r) for r in dec_list(dec_items(page)["items"])]

    def kmon_list() -> list[Any]:
        return [decode_list(page, options=options).items for page in pages]

    return {"orjson.loads (bare)": bare, "msgspec items as Raw (no header)": raw_items,
            "kmon decode_list (RawObjects)": kmon_list}


# --------------------------------------------------------------------------- body reads
def _mpt(v: Any) -> Any:
    t = type(v)
    if t is dict:
        return MappingProxyType({k: _mpt(x) for k, x in v.items()})
    if t is list:
        return tuple(_mpt(x) for x in v)
    return v


class _Proxy(Mapping):
    __slots__ = ("_d",)

    def __init__(self, d: dict) -> None:
        self._d = d

    def __getitem__(self, k: str) -> Any:
        v = self._d[k]
        return _Proxy(v) if type(v) is dict else _LProxy(v) if type(v) is list else v

    def __iter__(self) -> Any:
        return iter(self._d)

    def __len__(self) -> int:
        return len(self._d)


class _LProxy(Sequence):
    __slots__ = ("_v",)

    def __init__(self, v: list) -> None:
        self._v = v

    def __getitem__(self, i: Any) -> Any:
        v = self._v[i]
        return _Proxy(v) if type(v) is dict else _LProxy(v) if type(v) is list else v

    def __len__(self) -> int:
        return len(self._v)


def _pod_status(o: Any) -> tuple[Any, ...]:
    st = o.get("status") or {}
    cs = st.get("containerStatuses") or ()
    return st.get("phase"), sum(1 for c in cs if c.get("ready")), len(o["spec"]["containers"])


def body_read_costs(raws: list[bytes]) -> dict[str, tuple[float, float]]:
    """µs per pod: (prepare the body, read a pod's status through it)."""
    options = {
        "fresh orjson.loads per read (mutable)": loads,
        "freeze (FrozenDict/FrozenList)": lambda r: freeze(loads(r)),
        "MappingProxyType + tuples": lambda r: _mpt(loads(r)),
        "lazy read-only proxies": lambda r: _Proxy(loads(r)),
    }
    out = {}
    for name, prep in options.items():
        bodies: list[Any] = []
        t_prep = timed(lambda: bodies.extend(prep(r) for r in raws))
        t_read = timed(lambda: [_pod_status(b) for b in bodies])
        out[name] = (t_prep * 1e6 / len(raws), t_read * 1e6 / len(raws))
    return out


def keep_vs_drop(objs: list[RawObject], reads: int = 5) -> dict[str, float]:
    """µs per object for ``reads`` reads of non-header keys (a detail pane reads several)."""
    def read_all() -> None:
        for o in objs:
            for _ in range(reads):
                o["spec"], o["status"]

    out = {}
    saved = raw_bodies.BODY_CACHE
    for name, size in (("keep (bounded cache)", max(saved, len(objs))), ("drop after each read", 0)):
        raw_bodies.BODY_CACHE = size
        raw_bodies.RECENT.clear()
        if size == 0:
            def read_all_dropping() -> None:
                for o in objs:
                    for _ in range(reads):
                        o["spec"]
                        raw_bodies.RECENT.clear()
                        o["status"]
                        raw_bodies.RECENT.clear()
            out[name] = timed(read_all_dropping) * 1e6 / len(objs)
        else:
            out[name] = timed(read_all) * 1e6 / len(objs)
    raw_bodies.BODY_CACHE = saved
    raw_bodies.RECENT.clear()
    return out


# --------------------------------------------------------------------------- main
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pods", type=int, default=50_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="5,000 pods, 2 rounds (smoke test)")
    args = ap.parse_args()
    if args.quick:
        args.pods, args.rounds = 5_000, 2
    n = args.pods
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} (1/5/15 min); "
          f"msgspec {msgspec.__version__}, orjson {orjson.__version__}, "
          f"pysimdjson {'yes' if simdjson is not None else 'not installed'}")
    pods = bp.make_pods(n)
    lines = [orjson.dumps({"type": "MODIFIED", "object": p}) for p in pods]
    raws = [orjson.dumps(p) for p in pods]
    print(f"{n} pods, {sum(map(len, lines)) / n:.0f} bytes per watch line\n")

    print("watch lines (events/s, ratio to the bare decode):")
    rates = best_rates(watch_contenders(lines), n, args.rounds)
    bare = rates["orjson.loads (bare)"]
    for name, rate in rates.items():
        print(f"  {name:44s} {rate / 1000:7.1f}k/s  {rate / bare:5.2f}x")

    items = [{k: v for k, v in p.items() if k not in ("kind", "apiVersion")} for p in pods]
    pages = bp.Dataset._pages([orjson.dumps(i) for i in items], PAGE, b"PodList", b"v1")
    print(f"\nlist pages of {PAGE} (items/s, ratio to the bare decode):")
    rates = best_rates(list_contenders(pages), n, args.rounds)
    bare = rates["orjson.loads (bare)"]
    for name, rate in rates.items():
        print(f"  {name:44s} {rate / 1000:7.1f}k/s  {rate / bare:5.2f}x")

    print("\nbytes kept per pod (tracemalloc) and a full gc.collect() with the cache filled:")
    decoder = WatchDecoder()
    meta_lines = [orjson.dumps({"type": "MODIFIED", "object": partial_object_metadata(p)}) for p in pods]
    del pods, items  # the generated dicts: only bytes are left, so the pauses are the caches'
    print(f"  {'nothing cached':44s} {'':15s} gc.collect() {min(gc_pause(None) for _ in range(3)):7.1f} ms")
    meta_decoder = WatchDecoder(DecodeOptions(metadata_only=True, drop_managed_fields=True))
    caches = {
        "dicts, full": lambda: {i: loads(line)["object"] for i, line in enumerate(lines)},
        "RawObjects, full": lambda: {i: decoder.decode_line(line).object for i, line in enumerate(lines)},
        "dicts, metadata-only (compact)": lambda: {i: transforms.compact(loads(line)["object"])
                                                   for i, line in enumerate(meta_lines)},
        "RawObjects, metadata-only (no managedFields)": lambda: {i: meta_decoder.decode_line(line).object
                                                                 for i, line in enumerate(meta_lines)},
    }
    for name, build in caches.items():
        per, kept = kept_bytes(build, n)
        pause = min(gc_pause(kept) for _ in range(3))
        print(f"  {name:44s} {per / 1024:6.2f} KiB/pod   gc.collect() {pause:7.1f} ms")
        del kept

    sample = raws[: min(n, 5000)]
    print(f"\nreading bodies ({len(sample)} pods; µs per pod):")
    for name, (prep, read) in body_read_costs(sample).items():
        print(f"  {name:44s} prepare {prep:6.1f}   pod status read {read:5.2f}")
    objs = [RawObject(r) for r in sample]
    for name, us in keep_vs_drop(objs[:1000]).items():
        print(f"  decoded body, {name:30s} 5 detail reads: {us:7.1f} µs/object")
    part = timed(lambda: [summarize(o.summary(), "pods") for o in objs]) * 1e6 / len(objs)
    whole = timed(lambda: [summarize(loads(o.raw), "pods") for o in objs]) * 1e6 / len(objs)
    per_part, kept = kept_bytes(lambda: [o.summary() for o in objs], len(objs))
    del kept
    print(f"  tree status: summary part {part:5.1f} µs/pod, orjson.loads of the body {whole:5.1f} µs/pod "
          f"(parts kept would cost {per_part / 1024:.2f} KiB/pod)")
    t_mf = timed(lambda: [without_managed_fields(o) for o in objs]) * 1e6 / len(objs)
    t_hd = timed(lambda: [decode_header(r) for r in sample]) * 1e6 / len(sample)
    t_dict = timed(lambda: [transforms.drop_managed_fields(loads(r)) for r in sample]) * 1e6 / len(sample)
    print(f"  transform drop managedFields on bytes {t_mf:5.1f} µs/pod (header alone {t_hd:4.1f} µs; "
          f"on a dict: decode {t_dict:5.1f} µs + free)")


if __name__ == "__main__":
    main()
