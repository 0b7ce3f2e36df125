"""API errors of the sim, rendered as ``Status`` objects."""

from __future__ import annotations

from kmon.sim import resources as R


class StoreError(Exception):
    """An API error: ``code`` (HTTP), ``reason`` (Status reason), ``message``."""

    def __init__(self, code: int, reason: str, message: str, *, details: dict | None = None,
                 causes: list[dict] | None = None, retry_after: int | None = None) -> None:
        super().__init__(f"{code} {reason}: {message}")
        self.code, self.reason, self.message = code, reason, message
        self.details = dict(details or {})
        if causes:
            self.details["causes"] = causes
        self.retry_after = retry_after  # seconds: a Retry-After header (and details.retryAfterSeconds)
        if retry_after is not None:
            self.details.setdefault("retryAfterSeconds", int(retry_after))
        self.metadata: dict = {}  # the Status's ListMeta (a 410 on a continue token carries a new token)

    def status(self) -> dict:
        st = {"kind": "Status", "apiVersion": "v1", "metadata": dict(self.metadata), "status": "Failure",
              "message": self.message, "reason": self.reason, "code": self.code}
        if self.details:
            st["details"] = self.details
        return st


def not_found(res: R.Resource, name: str) -> StoreError:
    g = res.plural if not res.group else f"{res.plural}.{res.group}"
    return StoreError(404, "NotFound", f'{g} "{name}" not found',
                      details={"name": name, "group": res.group, "kind": res.plural})


# kube-apiserver's texts (k8s.io/apiserver/pkg/storage/etcd3/errors.go and the cacher)
EXPIRED_LIST = "The resourceVersion for the provided list is too old."
CONTINUE_EXPIRED = ("The provided continue parameter is too old to display a consistent list result. You can start "
                    "a new list without the continue parameter, or use the continue token in this response to "
                    "retrieve the remainder of the results. Continuing with the provided token results in an "
                    "inconsistent list - objects that were created, modified, or deleted between the time the "
                    "first chunk was returned and now may show up in the list.")
INITIALIZING = "storage is (re)initializing"


def expired(message: str) -> StoreError:
    return StoreError(410, "Expired", message)


def too_old(requested: int, oldest: int) -> StoreError:
    """A watch from a version the watch cache no longer holds (the cacher's text)."""
    return expired(f"too old resource version: {requested} ({oldest})")


def too_large(requested: int, current: int) -> StoreError:
    """The watch cache did not reach ``requested`` in time (errors.NewTimeoutError's text)."""
    return StoreError(504, "Timeout", f"Timeout: Too large resource version: {requested}, current: {current}",
                      causes=[{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}],
                      retry_after=1)


def invalid_list_options(field: str, reason: str, message: str) -> StoreError:
    """422 for list/watch options that fail validation, as ``ValidateListOptions`` words it."""
    return StoreError(422, "Invalid", f'ListOptions.meta.k8s.io "" is invalid: {field}: {message}',
                      details={"group": "meta.k8s.io", "kind": "ListOptions"},
                      causes=[{"reason": reason, "message": message, "field": field}])


def initializing() -> StoreError:
    """A request the watch cache must serve while it initializes (after a restart)."""
    return StoreError(429, "TooManyRequests", INITIALIZING, retry_after=1)
