"""The filter box's language (``kmon.monitor.object_filter``): name substrings and a label
selector parsed by ``kmon.selectors``, the API server's grammar. No Qt."""

from __future__ import annotations

import pytest

from kmon.monitor.object_filter import ObjectFilter, parse_filter
from kmon.selectors import LabelSelector, SelectorError


def pod(name, labels=None):
    meta = {"name": name, "namespace": "ns"}
    if labels is not None:
        meta["labels"] = labels
    return {"kind": "Pod", "metadata": meta}


def test_parse_filter():
    f = parse_filter("web app in (a, b) !canary tier!=db")
    assert f.names == ["web"]
    assert f.selector.matches({"app": "a", "tier": "fe"})
    assert not f.selector.matches({"app": "a", "canary": "1"})
    assert not f.selector.matches({"app": "c"})


def test_the_selector_is_the_api_servers():
    f = parse_filter("App==web,tier notin (db) API")
    assert isinstance(f.selector, LabelSelector) and f.names == ["api"]
    assert f.matches("ns/api-0", pod("api-0", {"App": "web"}))
    assert not f.matches("ns/api-0", pod("api-0", {"App": "web", "tier": "db"}))
    assert not f.matches("ns/web-0", pod("web-0", {"App": "web"}))  # the name must hold "api"
    # what kube-apiserver rejects, the box rejects, naming the part and the server's reason
    with pytest.raises(SelectorError) as e:
        parse_filter("tier=backend x in (a")
    assert str(e.value).startswith("cannot parse label selector part '(a': found '('")
    with pytest.raises(ValueError, match="cannot parse label selector part 'app=web\\*'"):
        parse_filter("app=web*")


def test_matching_tolerates_objects_without_labels():
    f = parse_filter("!canary")
    assert f and f.matches("ns/a", pod("a")) and f.matches("ns/a", {"metadata": {"labels": None}})
    assert f.matches("ns/a", None) and not f.matches("ns/a", pod("a", {"canary": ""}))
    assert not parse_filter("app=web").matches("ns/a", {"metadata": {"labels": ["app=web"]}})


def test_an_empty_filter_is_false_and_matches_everything():
    assert not parse_filter("   ") and not ObjectFilter()
    assert parse_filter("   ").matches("ns/x", pod("x"))
    assert parse_filter("X") and parse_filter("x").matches("NS/aXb", pod("aXb"))
