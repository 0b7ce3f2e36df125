"""What the views of a context may ask of its session, live or replayed.

Why this module exists: the GUI's workspace opens one session per context through a factory:
a live ``ContextSession`` (``kmon.monitor.session``) or, in a replay, a ``ReplayContext``
(``kmon.monitor.replay_source``), which shares no code with it. ``Session`` is the one
interface both answer to, so the workspace, the inspector and the views hold a ``Session``
rather than ``Any``; ``tests/monitor/test_session_api.py`` checks that both classes provide
every member, with compatible parameters, so neither can drift away from it.

Only what those users ask is here: the other extras of a live session
(``failed_resources``, ``unknown_resources``, ``wait_synced``...) are ``ContextSession``'s own.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Protocol, Sequence, runtime_checkable

__all__ = ["ResourceHandleView", "Session", "SessionFactory"]


@runtime_checkable
class ResourceHandleView(Protocol):
    """What a session's user reads of one running resource."""

    def has_synced(self) -> bool: ...


@runtime_checkable
class Session(Protocol):
    """The informers of one context as the views see them (see the module doc).

    ``start``/``stop`` are called off the GUI thread; ``verify`` and ``get_full`` block on the
    network (a replay raises ``RuntimeError``: nothing live to ask)."""

    context: str
    server: str  # the API server's URL ("" before connecting, and in a replay)
    tls_insecure: bool  # the kubeconfig turned TLS verification off (the GUI says so)

    @property
    def state(self) -> str:
        """"connecting", "ready", "failed", "stopped"... (a replayed context is "ready")."""
        ...

    @property
    def error(self) -> str | None: ...

    @property
    def resources(self) -> Mapping[str, ResourceHandleView]:
        """The running resources by full name."""
        ...

    @property
    def available_resources(self) -> Sequence[Any]:
        """What discovery found (``kmon.kube.discovery.ApiResource``); [] before (or in a replay)."""
        ...

    def start(self) -> object: ...

    def stop(self, timeout: float = 1.0) -> bool: ...

    def stats(self) -> Mapping[str, Any]:
        """``{full name: InformerStats}`` (a replay: ``ReplayStats``, the same fields)."""
        ...

    def start_resource(self, name: str) -> object: ...

    def stop_resource(self, name: str) -> object: ...

    def verify(self, full_name: str) -> Any: ...

    def get_full(self, full_name: str, namespace: str | None, name: str) -> Any: ...


# called with a context's name and keyword arguments (its feed, the window's session
# options) -> a ``Session``: ``ContextSession`` itself, or ``ReplayContext.factory(source)``
SessionFactory = Callable[..., Session]
