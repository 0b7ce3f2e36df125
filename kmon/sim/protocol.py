"""Wire-level helpers: the request log, continue tokens, Accept negotiation."""

from __future__ import annotations

import base64
import threading
from dataclasses import dataclass, field

import orjson

from kmon.sim.storage import StoreError


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str
    query: dict = field(hash=False)
    time: float
    status: int


class RequestLog:
    """Thread-safe, list-like record of requests (``/_kmon`` admin calls are not recorded)."""

    def __init__(self) -> None:
        self._mu = threading.Lock()
        self._items: list[RequestRecord] = []

    def append(self, r: RequestRecord) -> None:
        with self._mu:
            self._items.append(r)

    def clear(self) -> None:
        with self._mu:
            self._items.clear()

    def snapshot(self) -> list[RequestRecord]:
        with self._mu:
            return list(self._items)

    def __iter__(self):
        return iter(self.snapshot())

    def __len__(self) -> int:
        with self._mu:
            return len(self._items)

    def __getitem__(self, i):
        with self._mu:
            return self._items[i]

    def __repr__(self) -> str:
        return f"RequestLog({self.snapshot()!r})"


def encode_continue(rev: int, key: tuple[str, str]) -> str:
    """A list's continue token: the revision it reads at and the last key it returned."""
    raw = orjson.dumps({"v": "meta.k8s.io/v1", "rv": rev, "start": list(key)})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_continue(token: str) -> tuple[int, tuple[str, str]]:
    """``(revision, last key)`` of a continue token (400 BadRequest for a bad one)."""
    try:
        d = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        return int(d["rv"]), (str(d["start"][0]), str(d["start"][1]))
    except Exception:
        raise StoreError(400, "BadRequest", "continue key is not valid: illegal base64 data") from None


def metadata_only(accept: str) -> bool:
    """Whether an Accept header asks for PartialObjectMetadata (``as=...;g=meta.k8s.io``)."""
    for alt in accept.split(","):
        parts = [p.strip() for p in alt.split(";")]
        mt = parts[0].lower()
        kv = dict(p.split("=", 1) for p in parts[1:] if "=" in p)
        if mt not in ("application/json", "*/*", "application/*"):
            continue
        as_ = kv.get("as")
        if as_ in ("PartialObjectMetadata", "PartialObjectMetadataList") and kv.get("g") == "meta.k8s.io":
            return True
        if as_ is None:
            return False
    return False


def truthy(v: str | None) -> bool:
    """A boolean query parameter: ``1``, ``true``, ``t`` or ``yes`` (any case) is true."""
    return (v or "").lower() in ("1", "true", "t", "yes")
