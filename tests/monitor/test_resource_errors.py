"""How a resource's reflector errors reach people (``resource_errors``): a WatchList that
gives way to a LIST is said as what happens -- listed at once, not retried with backoff,
and not an error of the resource."""

from types import SimpleNamespace

from kmon.cache.events import ReflectorEvent, ReflectorEventKind as K
from kmon.monitor.resource_errors import reflector_error_reporter


def _reporter():
    handle, said = SimpleNamespace(error=None), []
    on_event = reflector_error_reporter(handle, "pods", lambda *a: said.append(a))
    return handle, said, on_event


def test_a_watch_list_fallback_says_it_lists_instead_as_information():
    handle, said, on_event = _reporter()
    err = "422 Invalid: sendInitialEvents is forbidden for watch unless the WatchList feature is on"
    on_event(ReflectorEvent(K.Error, 1.0, "", {"error": err, "reason": "watch-list",
                                               "fallback": "WatchList refused: 422 Invalid"}))
    assert said == [("pods", "info", f"pods: WatchList refused ({err}); listing instead", "listing")]
    # not an error the resource recovers from: the LIST that follows says no "recovered"
    on_event(ReflectorEvent(K.ListFinished, 2.0, "7", {"items": 3}))
    assert handle.error is None and len(said) == 1


def test_other_errors_still_say_they_are_retried():
    handle, said, on_event = _reporter()
    on_event(ReflectorEvent(K.Error, 1.0, "", {"error": "500 InternalError: boom", "reason": "watch"}))
    on_event(ReflectorEvent(K.ListFinished, 2.0, "7", {"items": 3}))
    assert [s[1:] for s in said] == [("warning", "pods: 500 InternalError: boom; retrying with backoff", "error"),
                                     ("info", "pods: recovered, listed 3 objects", "ready")]
