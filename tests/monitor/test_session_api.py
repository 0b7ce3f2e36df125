"""The ``Session`` protocol: a live ``ContextSession`` and a replayed ``ReplayContext``
provide every member it declares, methods with parameters a caller of the protocol can
use, so the GUI's workspace may hold either (and neither drifts away unnoticed)."""

from __future__ import annotations

import inspect

import pytest

from kmon.monitor import ContextSession
from kmon.monitor.feed import Feed
from kmon.monitor.recording_reader import Recording
from kmon.monitor.replay_source import ReplayContext, ReplaySource
from kmon.monitor.session_api import ResourceHandleView, Session

T0 = 1_700_000_000.0


def _members(proto: type) -> dict[str, object]:
    """The protocol's own members: name -> the function (methods), the property, or None
    (a plain attribute)."""
    out: dict[str, object] = {n: None for n in getattr(proto, "__annotations__", {})}
    for name, value in vars(proto).items():
        if not name.startswith("_"):
            out[name] = value
    return out


def _accepts(impl, declared) -> list[str]:
    """What a call made as ``declared`` says would not fit ``impl`` (both unbound)."""
    want = [p for p in inspect.signature(declared).parameters.values()][1:]  # without self
    have = inspect.signature(impl).parameters
    params = list(have.values())[1:]
    var_pos = any(p.kind is p.VAR_POSITIONAL for p in params)
    var_kw = any(p.kind is p.VAR_KEYWORD for p in params)
    problems = []
    for i, p in enumerate(want):
        got = have.get(p.name)
        if got is None:
            positional_ok = var_pos or (i < len(params) and params[i].kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))
            if not (positional_ok and p.kind is not p.KEYWORD_ONLY) and not (var_kw and p.kind is p.KEYWORD_ONLY):
                problems.append(f"no parameter {p.name!r}")
        elif p.default is not p.empty and got.default is p.empty:
            problems.append(f"{p.name!r} must be optional")
    names = {p.name for p in want}
    for p in params:  # what the implementation needs and a protocol caller never passes
        if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) and p.name not in names:
            problems.append(f"requires {p.name!r}")
    return problems


def _live() -> ContextSession:
    return ContextSession("live", feed=Feed())  # nothing starts before start()


def _replayed() -> ReplayContext:
    header = {"kind": "header", "started": T0, "contexts": [{"name": "rec"}], "resources": ["pods"]}
    source = ReplaySource(Recording("r.kmonrec", header, [], {"kind": "footer", "time": T0 + 1}))
    return ReplayContext.factory(source)("rec", feed=Feed())


@pytest.mark.parametrize("make", [_live, _replayed], ids=["ContextSession", "ReplayContext"])
def test_live_and_replayed_sessions_provide_the_protocol(make):
    session = make()
    cls = type(session)
    members = _members(Session)
    assert {"context", "state", "resources", "stats", "verify", "get_full"} <= set(members)
    for name, declared in members.items():
        assert hasattr(session, name), f"{cls.__name__} has no {name}"
        if inspect.isfunction(declared):
            impl = inspect.getattr_static(cls, name)
            assert inspect.isfunction(impl), f"{cls.__name__}.{name} is not a method"
            assert not _accepts(impl, declared), f"{cls.__name__}.{name}: {_accepts(impl, declared)}"
    assert isinstance(session, Session)
    assert isinstance(session.state, str) and isinstance(session.context, str)
    for handle in session.resources.values():
        assert isinstance(handle, ResourceHandleView)
    assert session.stop(0.1) is True


def test_the_check_catches_a_drift():
    class Drifted:
        def verify(self, full_name, namespace):  # needs more than a protocol caller passes
            return None

        def get_full(self, full_name, namespace=None):  # misses ``name``
            return None

    assert _accepts(Drifted.verify, Session.verify) == ["requires 'namespace'"]
    assert _accepts(Drifted.get_full, Session.get_full) == ["no parameter 'name'"]
