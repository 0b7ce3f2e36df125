"""The per-context client-go profile in the GUI: chosen from the Context menu or the context's
tree row, saved per context, and applied by restarting that context's informers off the GUI
thread while the other contexts keep running; KUBE_FEATURE_* values client-go would ignore are
said in the error area."""

from __future__ import annotations

import pytest

from kmon.cache.features import GATES

pytestmark = pytest.mark.timeout(120)

CTX, OTHER = "kmon-demo", "kmon-demo-2"


def _gates(ws, ctx):
    """The gates each running informer of ``ctx`` was built with."""
    return {res: h.informer.options.features for res, h in ws.sessions[ctx].resources.items()}


def _rows(ws, ctx):
    return len(list(ws.tree.objects(ctx, "configmaps")))


@pytest.fixture
def no_feature_variables(monkeypatch):
    for gate in GATES:
        monkeypatch.delenv(f"KUBE_FEATURE_{gate}", raising=False)
    return monkeypatch


def test_choosing_a_profile_restarts_only_that_context_and_is_saved(make_app, demo, settings, qtbot,
                                                                    no_feature_variables):
    no_feature_variables.setenv("KUBE_FEATURE_InOrderInformers", "false")  # locked on in 1.36
    app = make_app(demo.kubeconfig_path, argv=["--resources", "configmaps"], contexts=[CTX, OTHER]).open()
    ws, win = app.ws, app.win
    app.wait_synced()
    assert {g.profile for g in _gates(ws, CTX).values()} == {""}  # the latest: what a current controller runs
    locked = "KUBE_FEATURE_InOrderInformers=false ignored: InOrderInformers is locked to true in client-go 1.36"
    assert [t.split("  ", 1)[1] for _k, t in win.errors.messages].count(locked) == 1  # said once, not per context
    other, before = ws.sessions[OTHER], ws.sessions[CTX]
    other_rows = _rows(ws, OTHER)

    # the Context menu, for the selected context: the current choice checked
    win.tree.select_node(next(iter(ws.tree.objects(CTX, "configmaps"))))
    menu = win.menus.client_go_menu
    menu.aboutToShow.emit()
    texts = [a.text() for a in menu.actions()]
    assert texts == ["1.36 (default)", "1.35", "1.33", "1.32", "Other…"] and menu.isEnabled()
    assert [a.text() for a in menu.actions() if a.isChecked()] == ["1.36 (default)"]
    assert "DeltaFIFO, LIST then WATCH" in menu.actions()[3].toolTip()
    next(a for a in menu.actions() if a.text() == "1.32").trigger()

    # the GUI did not wait: the old session stops on the task runner, the new one is in place
    assert not ws.closing[CTX].done() and ws.sessions[CTX] is not before
    assert ws.sessions[OTHER] is other and _rows(ws, OTHER) == other_rows  # untouched
    assert settings.client_go(CTX) == "1.32" and settings.client_go(OTHER) is None
    qtbot.waitUntil(lambda: bool(ws.sessions[CTX].resources) and all(
        h.has_synced() for h in ws.sessions[CTX].resources.values()), timeout=20000)
    assert {(g.profile, g.in_order_informers) for g in _gates(ws, CTX).values()} == {("1.32", False)}
    # (client-go 1.32 has no such gate: the variable is not read, and nothing is said)
    assert {g.source("InOrderInformers") for g in _gates(ws, CTX).values()} == {"profile"}
    qtbot.waitUntil(lambda: _rows(ws, CTX) > 0, timeout=20000)  # its rows came back with the new lists
    qtbot.waitUntil(ws.closing[CTX].done if CTX in ws.closing else (lambda: True), timeout=5000)
    assert not any(h.running for h in before.resources.values())
    assert ws.sessions[OTHER] is other and {g.profile for g in _gates(ws, OTHER).values()} == {""}
    win.tree.select_node(next(iter(ws.tree.objects(CTX, "configmaps"))))
    menu.aboutToShow.emit()
    assert [a.text() for a in menu.actions() if a.isChecked()] == ["1.32"]

    # the tree row's menu of the other context; Other… takes any version kmon can run as
    win.show()
    row = win.tree.visualRect(win.tree.model().index(1, 0)).center()
    tree_menu = win.menus.tree_menu(row)
    sub = next(a.menu() for a in tree_menu.actions() if a.menu() is not None)
    assert sub.title() == f"client-go profile of {OTHER}"
    assert [a.text() for a in sub.actions() if a.isChecked()] == ["1.36 (default)"]
    tree_menu.close()
    assert not win.menus.client_go.choose_text(OTHER, "1.2")  # said, nothing restarted
    assert ws.sessions[OTHER] is other
    assert any("kmon-demo-2: client-go 1.2 is older than kmon can behave as" in t for _k, t in win.errors.messages)
    assert win.menus.client_go.choose_text(OTHER, "v1.34.1")
    assert ws.sessions[OTHER] is not other and settings.client_go(OTHER) == "1.34"
    assert not any(k == f"client-go:{OTHER}" for k, _t in win.errors.messages)
    win.menus.client_go.fill(sub, OTHER)
    assert [a.text() for a in sub.actions() if a.isChecked()] == ["Other (1.34)…"]
    app.wait_synced()
    assert {g.profile for g in _gates(ws, OTHER).values()} == {"1.34"}

    # the next run starts each context with its saved choice; --client-go wins for that run
    again = make_app(demo.kubeconfig_path, contexts=[])
    assert (again.ws.client_go_of(CTX), again.ws.client_go_of(OTHER)) == ("1.32", "1.34")
    forced = make_app(demo.kubeconfig_path, argv=["--client-go", "1.33"], contexts=[])
    assert forced.ws.client_go_of(CTX) == forced.ws.client_go_of(OTHER) == "1.33"


def test_a_replay_offers_no_profile_to_choose(qtbot, settings):
    from kmon.ui.client_go_menu import ClientGoMenu
    from kmon.ui.main_window import MainWindow
    from kmon.ui.workspace import Workspace

    ws = Workspace()
    ws.read_only = True
    win = MainWindow(ws, settings, [])
    qtbot.addWidget(win)
    menu = ClientGoMenu(win).fill(win.menus.client_go_menu, "ctx")
    assert not menu.isEnabled() and not ws.set_client_go("ctx", "1.32")
