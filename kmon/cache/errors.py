"""Kubernetes API errors as the cache classifies them.

An ``ApiStatusError`` is built from a ``Status`` object (an error body, or the object of a
watch ``ERROR`` event) or from a bare HTTP status. The ``is_*`` predicates mirror
``k8s.io/apimachinery/pkg/api/errors`` as the reflector uses them.
"""

from __future__ import annotations

import errno
from typing import Any

_REASON_BY_CODE = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    410: "Expired",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}


class ApiStatusError(Exception):
    """An error the API server reported (or one shaped like it)."""

    def __init__(
        self,
        code: int,
        reason: str = "",
        message: str = "",
        causes: list[dict[str, Any]] | None = None,
        *,
        retry_after: float | None = None,
    ) -> None:
        self.code = int(code or 0)
        self.reason = reason or _REASON_BY_CODE.get(self.code, "")
        self.message = message
        self.causes = list(causes or [])
        self.retry_after = retry_after
        super().__init__(self.__str__())

    @classmethod
    def from_status(cls, status: Any, *, http_code: int = 0, retry_after: float | None = None) -> "ApiStatusError":
        """Build from a decoded ``Status`` object; anything else becomes a 500-ish error
        whose message says what arrived instead."""
        if isinstance(status, dict) and status.get("kind") == "Status":
            details = status.get("details") or {}
            return cls(
                status.get("code") or http_code,
                status.get("reason") or "",
                status.get("message") or "",
                details.get("causes") if isinstance(details, dict) else None,
                retry_after=retry_after,
            )
        kind = status.get("kind") if isinstance(status, dict) else type(status).__name__
        return cls(
            http_code or 500,
            "InternalError" if not http_code else "",
            f"unexpected object instead of a Status: {kind!r}",
            retry_after=retry_after,
        )

    def __str__(self) -> str:
        text = f"{self.code} {self.reason}".strip()
        return f"{text}: {self.message}" if self.message else text

    def __repr__(self) -> str:
        return f"ApiStatusError(code={self.code}, reason={self.reason!r}, message={self.message!r})"


def _code(err: BaseException) -> int:
    return err.code if isinstance(err, ApiStatusError) else 0


def is_expired(err: BaseException) -> bool:
    """410 Gone / reason Expired: the requested resourceVersion is compacted away."""
    return isinstance(err, ApiStatusError) and (err.code == 410 or err.reason in ("Expired", "Gone"))


def is_too_large_resource_version(err: BaseException) -> bool:
    """The "Too large resource version" timeout (a 504 with cause ResourceVersionTooLarge)."""
    if not isinstance(err, ApiStatusError):
        return False
    if any(c.get("reason") == "ResourceVersionTooLarge" for c in err.causes if isinstance(c, dict)):
        return True
    return err.code == 504 and "too large resource version" in err.message.lower()


def is_bad_request(err: BaseException) -> bool:
    """400 BadRequest: the request itself is wrong (a selector the server cannot parse, a
    field label the resource does not support): sending it again cannot succeed."""
    return _code(err) == 400


def is_too_many_requests(err: BaseException) -> bool:
    return _code(err) == 429


def is_internal_error(err: BaseException) -> bool:
    return _code(err) == 500


def is_connection_refused(err: BaseException) -> bool:
    """A transport error whose root cause is ECONNREFUSED (the server is restarting)."""
    seen: set[int] = set()
    cur: BaseException | None = err
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, ConnectionRefusedError):
            return True
        if isinstance(cur, OSError) and cur.errno == errno.ECONNREFUSED:
            return True
        if "connection refused" in str(cur).lower():
            return True
        cur = cur.__cause__ or cur.__context__
    return False


class VeryShortWatchError(Exception):
    """A watch closed in under a second without delivering anything (client-go's "very
    short watch"): the server is probably failing, so the round ends and the next relists."""
