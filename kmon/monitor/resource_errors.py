"""How a running resource's failures reach people: the reflector's Error events turned into
``SessionItem``s (which the tree, the status bar and the event log show).

One item per distinct error, not per retry: a server that stays down for an hour is one
warning, then one "recovered" when a list finishes or a watch starts again. 401/403 are
errors (the credentials or the RBAC rules must change), others warnings (kmon retries with
backoff). A failure the reflector gave up on (a 400 on list: the request itself is wrong) is
an error in state "failed" that says it is not retried. A WatchList that fails gives way to
a LIST at once (client-go's fallback, for that round): information, said as such ("pods:
WatchList refused (422 ...); listing instead"), not an error to recover from.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Protocol

from kmon.monitor.masking import redact_text

__all__ = ["reflector_error_reporter"]

_AUTH_CODE = re.compile(r"^\s*(401|403)\b")


class _Handle(Protocol):
    error: str | None


Emit = Callable[[str, str, str, str], None]  # (resource, level, message, state)


def reflector_error_reporter(handle: _Handle, full_name: str, emit: Emit) -> Callable[[Any], None]:
    """A reflector listener reporting ``full_name``'s errors and recovery through ``emit``;
    ``handle.error`` holds the last error (None once recovered)."""

    def on_event(event: Any) -> None:
        kind = getattr(event.kind, "value", event.kind)
        detail = event.detail or {}
        if kind == "Error":
            text = redact_text(str(detail.get("error") or "error"))
            if detail.get("fallback"):  # client-go lists at once, for this round: nothing failed
                head = str(detail["fallback"]).partition(":")[0]  # "WatchList refused"
                emit(full_name, "info", f"{full_name}: {head} ({text}); listing instead", "listing")
            elif detail.get("permanent"):
                handle.error = text
                emit(full_name, "error", f"{full_name}: failed: {text} (the server rejects the request "
                     "itself: not retried; check the selectors)", "failed")
            elif text != handle.error:
                handle.error = text
                auth = _AUTH_CODE.match(text)
                emit(full_name, "error" if auth else "warning", f"{full_name}: {text}; retrying with backoff",
                     "failed" if auth else "error")
        elif kind in ("ListFinished", "WatchStarted") and handle.error is not None:
            handle.error = None
            what = f"listed {detail.get('items', '?')} objects" if kind == "ListFinished" else "watching again"
            emit(full_name, "info", f"{full_name}: recovered, {what}", "ready")

    return on_event
