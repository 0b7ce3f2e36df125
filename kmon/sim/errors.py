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
        self.retry_after = retry_after

    def status(self) -> dict:
        st = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
              "message": self.message, "reason": self.reason, "code": self.code}
        if self.details:
            st["details"] = self.details
        return st


def not_found(res: R.Resource, name: str) -> StoreError:
    g = res.plural if not res.group else f"{res.plural}.{res.group}"
    return StoreError(404, "NotFound", f'{g} "{name}" not found',
                      details={"name": name, "group": res.group, "kind": res.plural})


def expired(message: str) -> StoreError:
    return StoreError(410, "Expired", message)


def too_large(requested: int, current: int) -> StoreError:
    return StoreError(504, "Timeout", f"Too large resource version: {requested}, current: {current}",
                      causes=[{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}],
                      retry_after=1)


def invalid_list_options(field: str, reason: str, message: str) -> StoreError:
    """422 for list/watch options that fail validation, as ``ValidateListOptions`` words it."""
    return StoreError(422, "Invalid", f'ListOptions.meta.k8s.io "" is invalid: {field}: {message}',
                      details={"group": "meta.k8s.io", "kind": "ListOptions"},
                      causes=[{"reason": reason, "message": message, "field": field}])
