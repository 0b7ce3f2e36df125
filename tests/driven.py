"""Driving an informer by hand on one client-go path, for the tests of what kmon shows of
its deltas (monitor and ui): no thread, no network, no sleep."""

from __future__ import annotations

from typing import Any

from kmon.monitor.feed import DeltaItem


def pod(name: str, ns: str = "default", rv: str = "1") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns, "resourceVersion": rv}}


class Driven:
    """An informer on the given client-go path, driven by hand on this thread (never
    started): ``relist``/``add``/``update``/``delete``/``resync`` queue deltas and apply
    them at once; ``items`` collects the ``DeltaItem``s its delta listener got and
    ``heard`` the notifications one handler got (every resync too: it is made due)."""

    def __init__(self, features: Any, ctx: str = "c", res: str = "pods") -> None:
        from kmon.cache.informer import SharedIndexInformer

        self.inf = SharedIndexInformer(None, name=res, features=features, freeze_gc_after_sync=False, gc_policy=False)
        self.reg = self.inf.add_event_handler(_Quiet())
        self.inf._sync_targets = (self.reg,)
        self.items: list[DeltaItem] = []
        self.inf.add_delta_listener(lambda records: self.items.extend(DeltaItem(ctx, res, r) for r in records))

    def _drain(self) -> None:
        while self.inf._process_next(timeout=0):
            pass

    def relist(self, objs: list[dict[str, Any]], rv: str) -> None:
        self.inf.fifo.replace(objs, rv)
        self._drain()

    def add(self, obj: dict[str, Any]) -> None:
        self.inf.fifo.add(obj)
        self._drain()

    def update(self, obj: dict[str, Any]) -> None:
        self.inf.fifo.update(obj)
        self._drain()

    def delete(self, obj: dict[str, Any]) -> None:
        self.inf.fifo.delete(obj)
        self._drain()

    def resync(self) -> None:
        self.inf.fifo.resync()
        self._drain()

    def heard(self) -> list[tuple[str, Any, Any]]:
        """The notifications queued for the handler since the last call: (method, a, b)."""
        out = []
        buf = self.reg._buf
        while buf:
            kind, a, b = buf.popleft()
            out.append((("on_add", "on_update", "on_delete")[kind], a, b))
        return out

    def take(self) -> list[DeltaItem]:
        items, self.items = self.items, []
        return items


class _Quiet:
    def on_add(self, obj: Any, initial: bool) -> None: ...

    def on_update(self, old: Any, new: Any) -> None: ...

    def on_delete(self, obj: Any) -> None: ...
