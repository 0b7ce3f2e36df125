"""The cache's vocabulary: what state an informer is in, which phase of a round the reflector
is in, why a watch ended, what kind of error it met.

Each is a ``str`` enum whose values are the strings that reach ``InformerStats``, the
``ReflectorEvent`` details, recordings and the UI, so a member compares equal to its string
and formats as it (``str(member)`` is its value). ``classify_error`` and ``watch_end_reason``
put an exception into these words.
"""

from __future__ import annotations

from enum import Enum

from kmon.cache import errors as e


class _Word(str, Enum):
    def __str__(self) -> str:
        return self.value


class InformerState(_Word):
    """``InformerStats.state``: what the informer is doing."""

    STARTING = "starting"
    LISTING = "listing"
    WATCHING = "watching"
    BACKING_OFF = "backing-off"
    STOPPED = "stopped"
    FAILED = "failed"  # for good: a 400 on the first page of a list, or a crashed thread


class ReflectorPhase(_Word):
    """Where in a round the reflector is (the ``reason`` of an Error or Expired event, and
    the prefix of its error texts)."""

    LIST = "list"
    WATCH_LIST = "watch-list"
    WATCH_START = "watch-start"  # opening a watch
    WATCH = "watch"  # reading one
    RESYNC = "resync"  # (an Error's reason only) the periodic resync failed


class WatchEndReason(_Word):
    """Why a watch ended (``WatchEnded``'s ``reason``, the keys of ``watches_ended``)."""

    CLOSED = "closed"  # the server ended the stream normally (timeout, end of stream)
    STOPPED = "stopped"  # we were told to stop
    EXPIRED = "expired"  # 410 Expired/Gone
    TOO_MANY_REQUESTS = "too-many-requests"  # 429
    INTERNAL_ERROR = "internal-error"  # 500
    VERY_SHORT = "very-short"  # closed in < 1 s without an event
    ERROR = "error"  # anything else
    INITIAL_EVENTS_END = "initial-events-end"  # WatchList: initial events complete, the watch stays open


class ErrorClass(_Word):
    """The kinds of ``InformerStats.errors`` that have a name; ``classify_error`` answers
    ``api-<code>`` for other API errors and the exception's type name for the rest."""

    EXPIRED = "expired"
    TOO_LARGE_RESOURCE_VERSION = "too-large-resource-version"
    TOO_MANY_REQUESTS = "too-many-requests"
    INTERNAL_ERROR = "internal-error"
    CONNECTION_REFUSED = "connection-refused"
    VERY_SHORT_WATCH = "very-short-watch"
    TRANSPORT = "transport"  # any other OSError
    SILENT = "silent"  # the list-watcher gave a silent watch up (kmon.kube.liveness)
    PROCESS = "process"  # applying deltas to the indexer failed


def classify_error(err: BaseException) -> str:
    """A short kind for ``errors`` counts: an ``ErrorClass``, ``api-<code>`` or a type name."""
    if e.is_expired(err):
        return ErrorClass.EXPIRED
    if e.is_too_large_resource_version(err):
        return ErrorClass.TOO_LARGE_RESOURCE_VERSION
    if e.is_too_many_requests(err):
        return ErrorClass.TOO_MANY_REQUESTS
    if e.is_internal_error(err):
        return ErrorClass.INTERNAL_ERROR
    if e.is_connection_refused(err):
        return ErrorClass.CONNECTION_REFUSED
    if isinstance(err, e.ApiStatusError):
        return f"api-{err.code}"
    if isinstance(err, e.VeryShortWatchError):
        return ErrorClass.VERY_SHORT_WATCH
    if isinstance(err, OSError):
        return ErrorClass.TRANSPORT
    return type(err).__name__


def short_reason(err: BaseException, limit: int = 60) -> str:
    """An error in a few words, for a label ("422 Invalid", "very short watch", ...)."""
    if isinstance(err, e.ApiStatusError):
        return f"{err.code} {err.reason}".strip()
    if isinstance(err, e.VeryShortWatchError):
        return "very short watch"
    text = (str(err).splitlines() or [""])[0].strip() or type(err).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def fallback_reason(err: BaseException) -> str:
    """Why a round's WatchList gave way to a LIST, in a few words: "WatchList refused: 422
    Invalid" when the server answered with a status, else "WatchList failed: very short
    watch"."""
    verb = "refused" if isinstance(err, e.ApiStatusError) else "failed"
    return f"WatchList {verb}: {short_reason(err)}"


_WATCH_END_BY_CLASS = {
    ErrorClass.EXPIRED: WatchEndReason.EXPIRED,
    ErrorClass.TOO_MANY_REQUESTS: WatchEndReason.TOO_MANY_REQUESTS,
    ErrorClass.INTERNAL_ERROR: WatchEndReason.INTERNAL_ERROR,
    ErrorClass.VERY_SHORT_WATCH: WatchEndReason.VERY_SHORT,
}


def watch_end_reason(err: BaseException | None, stopped: bool) -> WatchEndReason:
    """Why a watch ended (never ``INITIAL_EVENTS_END``, which is not an end)."""
    if stopped:
        return WatchEndReason.STOPPED
    if err is None:
        return WatchEndReason.CLOSED
    return _WATCH_END_BY_CLASS.get(classify_error(err), WatchEndReason.ERROR)
