"""``kmon -l 'bad'`` and unusable environment variables: the window says what is wrong at
start (the error area, in the API server's words for a selector) and opens no context, rather
than informers the server refuses or settings the user did not ask for."""

from __future__ import annotations

import pytest
import yaml


@pytest.fixture
def kubeconfig(tmp_path):
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "c",
        "clusters": [{"name": "c", "cluster": {"server": "http://127.0.0.1:9"}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
    }))
    return str(path)


def test_a_bad_label_selector_is_shown_at_start_and_nothing_opens(make_app, kubeconfig):
    app = make_app(kubeconfig, argv=["-l", "app in (web"])
    assert app.contexts == []
    assert [t.split("  ", 1)[1] for t in app.win.errors.texts()] == [
        "invalid label selector 'app in (web': unable to parse requirement: found '', expected: ',' or ')'; "
        "no context opened"]


def test_an_unusable_environment_variable_is_shown_at_start(make_app, kubeconfig, monkeypatch):
    monkeypatch.setenv("KMON_WATCH_INACTIVITY_TIMEOUT", "abc")
    monkeypatch.setenv("KMON_GC_THRESHOLDS", "700,10")
    app = make_app(kubeconfig)
    assert app.contexts == []
    texts = [t.split("  ", 1)[1] for t in app.win.errors.texts()]  # (after the time)
    assert any(t.startswith("environment variable KMON_WATCH_INACTIVITY_TIMEOUT='abc' is not a number") for t in texts)
    assert any(t.startswith("environment variable KMON_GC_THRESHOLDS='700,10' is not 3 non-negative") for t in texts)


def test_good_settings_open_the_current_context(make_app, kubeconfig):
    app = make_app(kubeconfig, argv=["-l", "app in (web, api),tier!=db"])
    assert app.contexts == ["c"] and app.win.errors.texts() == []
