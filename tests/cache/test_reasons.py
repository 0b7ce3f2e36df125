"""The cache's words (states, phases, watch-end reasons, error kinds) are the strings that
recordings and the UI already know: the enums must not change them."""

import orjson

from kmon.cache.errors import ApiStatusError, VeryShortWatchError
from kmon.cache.reasons import (
    ErrorClass,
    InformerState,
    ReflectorPhase,
    WatchEndReason,
    classify_error,
    watch_end_reason,
)
from kmon.cache.stats import Counters


def test_the_words_are_the_recorded_strings():
    assert [s.value for s in InformerState] == ["starting", "listing", "watching", "backing-off", "stopped", "failed"]
    assert [p.value for p in ReflectorPhase] == ["list", "watch-list", "watch-start", "watch", "resync"]
    assert [r.value for r in WatchEndReason] == [
        "closed", "stopped", "expired", "too-many-requests", "internal-error", "very-short", "error", "initial-events-end",
    ]
    assert [e.value for e in ErrorClass] == [
        "expired", "too-large-resource-version", "too-many-requests", "internal-error", "connection-refused",
        "very-short-watch", "transport", "silent", "process",
    ]


def test_a_word_is_its_string_wherever_it_goes():
    p = ReflectorPhase.WATCH_START
    assert p == "watch-start" and str(p) == "watch-start" and f"{p} error" == "watch-start error"
    assert {"watch-start": 1}[p] == 1
    assert orjson.loads(orjson.dumps({"reason": p})) == {"reason": "watch-start"}


def test_counters_keep_plain_strings_as_keys():
    c = Counters()
    c.count_error(ErrorClass.SILENT, "x")
    c.count_watch_end(WatchEndReason.CLOSED)
    assert [type(k) for k in c.errors] == [str] and [type(k) for k in c.watches_ended] == [str]
    assert orjson.dumps(c.errors) == b'{"silent":1}'


def test_classification_of_errors_and_watch_ends():
    assert classify_error(ApiStatusError(410, "Expired")) is ErrorClass.EXPIRED
    assert classify_error(ApiStatusError(403, "Forbidden")) == "api-403"
    assert classify_error(VeryShortWatchError("x")) is ErrorClass.VERY_SHORT_WATCH
    assert classify_error(ConnectionResetError("reset")) is ErrorClass.TRANSPORT
    assert classify_error(ValueError("x")) == "ValueError"
    assert watch_end_reason(None, stopped=True) is WatchEndReason.STOPPED
    assert watch_end_reason(None, stopped=False) is WatchEndReason.CLOSED
    assert watch_end_reason(ApiStatusError(429), stopped=False) is WatchEndReason.TOO_MANY_REQUESTS
    assert watch_end_reason(VeryShortWatchError("x"), stopped=False) is WatchEndReason.VERY_SHORT
    assert watch_end_reason(OSError("x"), stopped=False) is WatchEndReason.ERROR
    assert watch_end_reason(ApiStatusError(410, "Expired"), stopped=False) is WatchEndReason.EXPIRED
    assert watch_end_reason(ApiStatusError(500), stopped=False) is WatchEndReason.INTERNAL_ERROR
    assert watch_end_reason(ConnectionRefusedError("refused"), stopped=False) is WatchEndReason.ERROR
    assert watch_end_reason(ApiStatusError(504, "Timeout", "Too large resource version"), stopped=False) is WatchEndReason.ERROR
