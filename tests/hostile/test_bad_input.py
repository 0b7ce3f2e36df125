"""Bad input on the wire: each kind of garbage in a watch stream (or instead of an API
answer) gets a clear message -- in the feed/journal and in the inspector's stats
(last_error) -- and nothing already cached is lost: the indexer keeps its objects through the
error, and after the relist it equals the server again."""

from __future__ import annotations

import re

import pytest

from waiting import wait_for

POD = b'{"kind":"Pod","apiVersion":"v1","metadata":{"name":"ghost","namespace":"default","resourceVersion":"1"}}'
DEEP = 10_000

CASES = {
    "malformed-json": (b'{"type":"MODIFIED","object":{"kind":"Pod",oops not json\n', r"malformed watch line"),
    "unknown-event-type": (b'{"type":"EXPLODED","object":' + POD + b"}\n", r"unknown watch event type 'EXPLODED'"),
    "error-with-non-status": (b'{"type":"ERROR","object":' + POD + b"}\n", r"unexpected object instead of a Status"),
    "truncated-line-then-eof": (b'{"type":"MODIFIED","object":{"kind":"Po', None),
    "deeply-nested": (b'{"type":"MODIFIED","object":' + b'{"a":' * DEEP + b"1" + b"}" * DEEP + b"}\n",
                      r"malformed watch line.*(recursion|depth|nest)"),
    "missing-metadata": (b'{"type":"ADDED","object":{"kind":"Pod","apiVersion":"v1"}}\n', r"no metadata"),
    "non-utf8": (b'{"type":"ADDED","object":{"kind":"Pod","metadata":{"name":"\xff\xfe\xfd"}}}\n',
                 r"malformed watch line.*(utf|UTF|unicode)"),
    "not-an-object": (b'[1, 2, 3]\n', r"not an event object"),
    "html-in-stream": (b"<html><body><h1>502 Bad Gateway</h1></body></html>\n", r"malformed watch line.*html"),
}


def _keys(env, s, r="pods"):
    return set(env.cache_state(s, r))


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_garbage_in_watch_stream(env, case):
    data, pattern = CASES[case]
    s = env.session(["pods", "configmaps"])
    before = _keys(env, s)
    watches = env.stats(s, "pods")["watches_started"]
    close = case == "truncated-line-then-eof"
    assert env.srv.faults.inject_raw(data, close=close) >= 2
    if pattern is None:  # an abrupt end inside an event ends the watch normally: re-watch
        wait_for(lambda: env.stats(s, "pods")["watches_started"] > watches, 10, "a new watch")
    else:
        wait_for(lambda: re.search(pattern, env.stats(s, "pods")["last_error"], re.S), 10,
                 f"last_error matching {pattern!r}: {env.stats(s, 'pods')['last_error']!r}")
        err = env.stats(s, "pods")["last_error"]
        assert len(err) < 400, f"the message must stay short: {len(err)} chars"
        wait_for(lambda: any(re.search(pattern, m.message, re.S) for m in env.messages("pods")), 5,
                 "a feed (journal) message saying why")
        assert any(r.category == "session" and re.search(pattern, r.detail if isinstance(r.detail, str)
                                                         else str(r.detail) + str(r.type), re.S) or
                   re.search(pattern, str(r.detail), re.S) for r in env.journal), "journal row"
    # nothing cached was lost through the error: the old objects are all still there
    assert before <= _keys(env, s)
    # and after the relist (plus some churn) the cache equals the server
    env.workload.step(20)
    env.wait_converged(s, ["pods", "configmaps"])
    assert "ghost" not in {k.split("/")[-1] for k in _keys(env, s)}


def test_html_error_page_from_a_proxy(env):
    """A proxy answers a list with an HTML 502 page: the message names the HTTP code and the
    content type instead of quoting HTML or failing to parse it."""
    s = env.session(["pods"])
    before = _keys(env, s)
    env.srv.faults.html_next(3, 502)
    env.srv.faults.drop_watches()
    wait_for(lambda: re.search(r"502", env.stats(s, "pods")["last_error"]), 10, "a 502 message")
    err = env.stats(s, "pods")["last_error"]
    assert "text/html" in err or "HTML" in err, err
    assert "<html" not in err.lower() and len(err) < 400, err
    assert before <= _keys(env, s)
    env.wait_converged(s, ["pods"])


def test_an_object_of_several_megabytes(env):
    """A 6 MB object (list and watch) is cached like any other."""
    s = env.session(["configmaps"])
    env.srv.store.create("configmaps", {"metadata": {"name": "huge", "namespace": "default"},
                                        "data": {f"k{i}": "x" * 1_000_000 for i in range(6)}})
    wait_for(lambda: "default/huge" in env.cache_state(s, "configmaps"), 15, "the huge configmap via watch")
    env.srv.faults.expire_watch_cache()  # the re-watch gets 410: a relist carries it too
    env.srv.faults.drop_watches()
    env.wait_converged(s, ["configmaps"])
    obj, ok = s.resources["configmaps"].informer.indexer.get_by_key("default/huge")
    assert ok and len(obj["data"]["k5"]) == 1_000_000
    assert not env.stats(s, "configmaps")["last_error"]
