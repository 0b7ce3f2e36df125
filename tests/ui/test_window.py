"""Window tier: what a new user meets first — the quick switcher, the menu bar and its
shortcuts, Help, the title, the palette, tree columns, the filter box, a missing context,
per-context resource choices and the first start without a kubeconfig."""

from __future__ import annotations

import os

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QKeySequence, QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QToolBar, QToolButton

from kmon.ui.context_switcher import ContextEntry, QuickSwitcher
from kmon.ui.settings import Settings


def _active(qtbot, win):
    win.show()
    win.activateWindow()
    assert QTest.qWaitForWindowActive(win)


def _switchers():
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, QuickSwitcher) and w.isVisible()]


# ---------------------------------------------------------------------- quick switcher
def test_quick_switcher_takes_the_keyboard_one_at_a_time(make_app, demo, qtbot):
    app = make_app(demo.kubeconfig_path, argv=["--resources", "namespaces"], contexts=["kmon-demo"]).open()
    app.wait_synced()
    win = app.win
    _active(qtbot, win)
    win.tree.setFocus()
    win.tree.expandAll()
    ctx_index = win.tree.model().index(0, 0)
    assert win.tree.isExpanded(ctx_index)
    qtbot.keyClick(win.tree, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: len(_switchers()) == 1, timeout=3000)
    dlg = _switchers()[0]
    # a focused dialog of its own (a Popup dialog is a tool window the window manager never focuses)
    assert dlg.windowType() == Qt.WindowType.Dialog
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dlg.filter, timeout=3000)
    assert dlg.isActiveWindow()
    # typing goes to its field, not to the tree ("-" used to collapse the tree's row)
    QTest.keyClicks(QApplication.focusWidget(), "-2")
    assert dlg.filter.text() == "-2"
    assert win.tree.isExpanded(ctx_index)
    # Esc closes it
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not _switchers(), timeout=3000)
    # Ctrl+K three times: one switcher, its search empty again
    _active(qtbot, win)
    for _ in range(3):
        win.act_quick.trigger()
    assert len(_switchers()) == 1 and _switchers()[0] is dlg and dlg.filter.text() == ""
    assert sum(isinstance(w, QuickSwitcher) for w in QApplication.topLevelWidgets()) == 1
    # Enter switches to the best match
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dlg.filter, timeout=3000)
    QTest.keyClicks(dlg.filter, "demo-2")
    QTest.keyClick(dlg.filter, Qt.Key.Key_Return)
    assert not dlg.isVisible()
    assert app.ws.open_contexts() == ["kmon-demo-2"]


def test_quick_switcher_ranks_the_exact_name_first_and_ignores_the_server(qtbot):
    from kmon.ui.context_switcher import rank_entries

    entries = [
        ContextEntry("prod-eu", "c1", "u1", server="https://prod-eu.example"),
        ContextEntry("eu-prod", "c2", "u2", server="https://eu.example"),
        ContextEntry("prod", "c3", "u3", server="https://prod.example"),
        ContextEntry("staging", "c4", "u4", server="https://prod.staging.example"),
        ContextEntry("kind-products", "c5", "u5"),
        ContextEntry("dev", "prod-cluster", "u6"),
    ]
    assert [e.name for e in rank_entries(entries, "prod")] == ["prod", "prod-eu", "eu-prod", "kind-products", "dev"]
    assert [e.name for e in rank_entries(entries, "PROD")][0] == "prod"
    assert [e.name for e in rank_entries(entries, "pe")] == ["prod-eu"]  # letters in order
    assert rank_entries(entries, "example") == []  # the server URL is not searched
    assert [e.name for e in rank_entries(entries, "")] == [e.name for e in entries]
    dlg = QuickSwitcher(entries)
    qtbot.addWidget(dlg)
    dlg.open_for("switch")
    got = []
    dlg.sigSwitch.connect(got.append)
    QTest.keyClicks(dlg.filter, "prod")
    QTest.keyClick(dlg.filter, Qt.Key.Key_Return)
    assert got == ["prod"]
    # Down moves the choice; mode "open" emits sigOpen
    opened = []
    dlg.sigOpen.connect(opened.append)
    dlg.open_for("open")
    QTest.keyClicks(dlg.filter, "prod")
    QTest.keyClick(dlg.filter, Qt.Key.Key_Down)
    QTest.keyClick(dlg.filter, Qt.Key.Key_Return)
    assert opened == ["prod-eu"]
    dlg.open_for("switch")
    QTest.keyClicks(dlg.filter, "zzz")
    assert dlg.model.rowCount() == 0 and "zzz" in dlg.empty.text()


# ---------------------------------------------------------------------- menus and help
def _menu_texts(menu):
    out = []
    for a in menu.actions():
        if a.menu() is not None:
            out.append(a.text().replace("&", "") + " ▸")
        elif not a.isSeparator():
            out.append(a.text().replace("&", ""))
    return out


def test_menu_bar_file_view_context_help(make_app, demo, qtbot):
    app = make_app(demo.kubeconfig_path, argv=["--resources", "namespaces"], contexts=["kmon-demo"])
    win = app.win
    bar = win.menuBar()
    assert [a.text().replace("&", "") for a in bar.actions()] == ["File", "View", "Context", "Help"]
    m = win.menus
    assert _menu_texts(m.file) == ["Open kubeconfig…", "Open the demo cluster", "Reload kubeconfig",
                                   "Export event log ▸", "Quit"]
    assert _menu_texts(m.export) == ["Shown events as JSON Lines…", "Shown events as CSV…",
                                     "All kept events as JSON Lines…", "All kept events as CSV…"]
    view = _menu_texts(m.view)
    assert view[:3] == ["Event log", "Charts", "Cache inspector"]
    assert "Columns ▸" in view and "Palette ▸" in view
    assert _menu_texts(m.context) == ["Switch context…", "Open another context…", "Close context",
                                      "client-go profile ▸", "Compare client-go paths…", "Reconnect context",
                                      "Reload kubeconfig"]
    from kmon import __version__

    assert _menu_texts(m.help) == ["Keyboard shortcuts", "About kmon", f"kmon {__version__}"]
    assert m.act_quit.shortcut().toString() == "Ctrl+Q"
    assert m.act_reload.shortcut().toString() == "F5"
    # every shortcut is unique across the window's actions
    keys = [s.toString() for a in win.findChildren(QAction) for s in a.shortcuts() if a.isEnabled()]
    dupes = {k for k in keys if keys.count(k) > 1}
    assert not dupes - {"Escape"}, dupes
    # the docks are toggled from View, not from a toolbar button
    buttons = [b.text() for tb in win.findChildren(QToolBar) for b in tb.findChildren(QToolButton)]
    assert not any(t.startswith("Views") for t in buttons)
    win.show()
    dock_action = next(a for a in m.view.actions() if a.text() == "Charts")
    assert win.views.dock_charts.isVisible()
    dock_action.trigger()
    assert not win.views.dock_charts.isVisible()


def test_ctrl_q_closes_the_window_and_ends_the_app(make_app, demo, qtbot, settings):
    app = make_app(demo.kubeconfig_path, argv=["--resources", "namespaces"], contexts=["kmon-demo"]).open()
    win = app.win
    _active(qtbot, win)
    win.tree.setFocus()
    with qtbot.waitSignal(win.menus.sigQuit, timeout=3000):
        qtbot.keyClick(win.tree, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    assert not win.isVisible()
    assert settings.last_contexts() == ["kmon-demo"]  # closed cleanly: the layout was saved


def test_shortcuts_dialog_lists_every_shortcut_from_the_actions(make_app, demo, qtbot):
    app = make_app(demo.kubeconfig_path, argv=["--resources", "namespaces"], contexts=[])
    win = app.win
    dlg = win.menus.show_shortcuts()
    rows = dlg.rows()
    by_action = {(s, a): k for s, a, k in rows}
    assert by_action[("File", "Quit")] == "Ctrl+Q"
    assert by_action[("Context", "Switch context")] == "Ctrl+K"
    assert by_action[("Context", "Open another context")] == "Ctrl+Shift+K"
    assert by_action[("File", "Reload kubeconfig")] == "F5"
    assert ("Context", "Reload kubeconfig") not in by_action  # (in two menus: listed once)
    assert by_action[("View", "Event log")] == "Ctrl+L"
    assert by_action[("View", "Filter")] == "Ctrl+F"
    assert by_action[("Help", "Keyboard shortcuts")].startswith("Ctrl+/")
    # every action of the window with a shortcut is listed (generated: cannot go stale)
    listed = {k for _s, _a, k in rows}
    for a in win.findChildren(QAction):
        for seq in a.shortcuts():
            assert seq.toString(QKeySequence.SequenceFormat.NativeText) in " ".join(listed), a.text()
    extra = QAction("Frobnicate", win, shortcut=QKeySequence("Ctrl+Alt+J"))
    win.addAction(extra)
    assert ("Window", "Frobnicate", "Ctrl+Alt+J") in win.menus.show_shortcuts().rows()
    dlg.search.setText("ctrl+shift+k")
    shown = [dlg.tree.topLevelItem(i).child(j).text(0) for i in range(dlg.tree.topLevelItemCount())
             for j in range(dlg.tree.topLevelItem(i).childCount()) if not dlg.tree.topLevelItem(i).child(j).isHidden()]
    assert shown == ["Open another context"]


def test_about_names_versions_and_kubeconfig_files(make_app, demo, qtbot):
    import platform

    import PySide6
    from PySide6.QtCore import qVersion

    from kmon import __version__

    app = make_app(demo.kubeconfig_path, contexts=[])
    about = app.win.menus.show_about()
    text = about.details
    assert f"kmon {__version__}" in text and f"Qt {qVersion()}" in text
    assert f"PySide6 {PySide6.__version__}" in text and f"Python {platform.python_version()}" in text
    assert os.path.abspath(demo.kubeconfig_path) in text


def test_title_names_kmon_once(make_app, demo, qtbot):
    app = make_app(demo.kubeconfig_path, argv=["--resources", "namespaces"], contexts=["kmon-demo"])
    assert app.win.windowTitle() == "kmon"
    app.open()
    assert app.win.windowTitle() == "kmon — kmon-demo"
    # Qt appends the application display name to every title on X11 and Wayland: kmon sets
    # none (what the window manager shows: tests/ui/test_window_real.py)
    import asyncio

    from kmon.ui.app import make_app as make_qapp

    ours = asyncio.get_event_loop()
    qapp, loop = make_qapp()
    asyncio.set_event_loop(ours)
    loop.close()
    qapp.setApplicationName("probe")  # an unset display name follows the application name
    try:
        assert qapp.applicationDisplayName() == "probe"
    finally:
        qapp.setApplicationName("kmon")


# ---------------------------------------------------------------------- view: palette, columns
def test_palette_is_applied_to_the_app_and_saved(make_app, demo, qtbot, settings):
    from kmon.ui.palette import apply_palette

    app = make_app(demo.kubeconfig_path, contexts=[])
    win = app.win
    try:
        win.menus.palette_actions["dark"].trigger()
        assert QApplication.palette().color(QPalette.ColorRole.Window).lightness() < 100
        assert settings.palette() == "dark"
        win.menus.palette_actions["light"].trigger()
        assert QApplication.palette().color(QPalette.ColorRole.Window).lightness() > 180
        assert settings.palette() == "light"
        settings.set_palette("dark")
        again = make_app(demo.kubeconfig_path, contexts=[])
        assert again.win.menus.palette_actions["dark"].isChecked()
    finally:
        apply_palette("system")


def test_tree_columns_shown_and_hidden_from_the_view_menu_persist(make_app, demo, qtbot, settings):
    app = make_app(demo.kubeconfig_path, contexts=[])
    win = app.win
    win.menus.columns.aboutToShow.emit()
    acts = {a.text(): a for a in win.menus.columns.actions()}
    assert {"Name", "Age", "Status"} <= set(acts)
    assert not acts["Name"].isEnabled()
    acts["Age"].setChecked(False)
    header = win.tree.header()
    model = win.tree.model()
    age = next(c for c in range(header.count()) if model.headerData(c, Qt.Orientation.Horizontal) == "Age")
    assert header.isSectionHidden(age)
    assert settings.hidden_columns() == ["Age"]
    again = make_app(demo.kubeconfig_path, contexts=[])
    assert again.win.tree.header().isSectionHidden(age)
    # the header's own menu (right click) is the same choice, saved the same way
    menu = again.win.tree.column_chooser.menu()
    acts = {a.text(): a for a in menu.actions() if a.isCheckable()}
    assert not acts["Age"].isChecked()
    acts["Age"].setChecked(True)
    acts["Status"].setChecked(False)
    assert settings.hidden_columns() == ["Status"]
    menu.close()


def test_event_log_and_inspector_columns_chosen_by_the_user_persist(make_app, demo, qtbot, settings):
    """The inspector hides some columns by default and the log shows Context only once two
    contexts were seen; what the user picks in either header menu comes back next time."""
    app = make_app(demo.kubeconfig_path, contexts=[])
    views = app.win.views
    assert settings.hidden_columns("inspector") is None  # (nothing chosen yet: the defaults)
    default_hidden = views.inspector.column_chooser.hidden()
    assert default_hidden
    views.inspector.column_chooser.set_shown(views.inspector.column_chooser.titles().index(default_hidden[0]), True)
    assert settings.hidden_columns("inspector") == default_hidden[1:]
    log = views.log.column_chooser
    log.set_shown(log.titles().index("RV"), False)
    assert "RV" in settings.hidden_columns("log")
    again = make_app(demo.kubeconfig_path, contexts=[]).win.views
    assert again.inspector.column_chooser.hidden() == default_hidden[1:]
    assert "RV" in again.log.column_chooser.hidden()


# ---------------------------------------------------------------------- filter box
def test_an_invalid_filter_says_so_in_place_and_names_what_the_tree_shows(make_app, demo, qtbot):
    app = make_app(demo.kubeconfig_path, argv=["--resources", "configmaps"], contexts=["kmon-demo"]).open()
    app.wait_synced()
    win = app.win
    _active(qtbot, win)
    box = win.filter
    box.setFocus()
    QTest.keyClicks(box, "tier=backend")
    QTest.keyClick(box, Qt.Key.Key_Return)
    assert app.ws.filtered is not None
    applied = win.tree.model()
    assert not box.property("invalid") and not box.notice.isVisibleTo(win)
    box.setText("tier=backend x in (a")
    qtbot.waitUntil(lambda: bool(box.property("invalid")), timeout=2000)  # once typing pauses
    assert box.warning.isVisible() and "cannot parse" in box.warning.toolTip()
    assert box.notice.isVisibleTo(win)
    assert "Invalid filter" in box.notice.text() and "cannot parse" in box.notice.text()
    assert "previous filter “tier=backend”" in box.notice.text()
    assert win.tree.model() is applied  # what the notice says
    assert "border" in box.styleSheet()
    box.setText("tier=frontend")
    qtbot.waitUntil(lambda: not box.property("invalid"), timeout=2000)
    assert not box.notice.isVisibleTo(win) and not box.warning.isVisible() and box.styleSheet() == ""
    assert win.tree.model() is not applied
    QTest.keyClick(box, Qt.Key.Key_Escape)
    assert box.text() == ""
    qtbot.waitUntil(lambda: app.ws.filtered is None, timeout=2000)


# ---------------------------------------------------------------------- contexts
def test_a_missing_context_is_shown_as_missing_never_as_another(make_app, demo, qtbot):
    app = make_app(demo.kubeconfig_path, argv=["--context", "nope", "--resources", "namespaces"])
    assert app.contexts == ["nope"]
    app.open()
    sw = app.win.switcher
    assert sw.current_name() == "nope" and sw.missing == "nope"
    assert "not in the kubeconfig" in sw.currentText()
    qtbot.waitUntil(lambda: any("nope" in t for t in app.win.errors.texts()), timeout=10000)
    text = " ".join(app.win.errors.texts())
    assert "not found" in text and "kmon-demo" in text and "kmon-demo-2" in text
    # choosing a real one replaces it; the "missing" entry goes
    app.ws.switch_context("kmon-demo")
    assert sw.current_name() == "kmon-demo" and sw.missing == "" and sw.findData("nope") < 0
    app.ws.close_context("kmon-demo")
    assert sw.currentIndex() == -1 and sw.current_name() == ""


def test_resource_choices_are_kept_per_context(make_app, demo, qtbot, settings):
    settings.set_resources(["configmaps"])  # what an older kmon kept for every context
    app = make_app(demo.kubeconfig_path, contexts=["kmon-demo"]).open()
    qtbot.waitUntil(lambda: app.ws.running_resources("kmon-demo") == ["configmaps"], timeout=10000)
    picker = app.win.picker

    def check(name, on):
        qtbot.waitUntil(lambda: any(picker.model.item(r).text() == name for r in range(picker.model.rowCount())), timeout=10000)
        item = next(picker.model.item(r) for r in range(picker.model.rowCount()) if picker.model.item(r).text() == name)
        item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    check("namespaces", True)
    qtbot.waitUntil(lambda: app.ws.running_resources("kmon-demo") == ["configmaps", "namespaces"], timeout=10000)
    assert settings.resources("kmon-demo") == ["configmaps", "namespaces"]
    assert settings.resources("kmon-demo-2") == ["configmaps"]  # never configured: the old list
    app.ws.open_context("kmon-demo-2")
    qtbot.waitUntil(lambda: app.ws.running_resources("kmon-demo-2") == ["configmaps"], timeout=10000)
    assert picker.context() == "kmon-demo-2"
    check("configmaps", False)  # two changes in a row, before the first has taken effect
    check("services", True)
    assert settings.resources("kmon-demo-2") == ["services"]
    assert settings.resources("kmon-demo") == ["configmaps", "namespaces"]
    app.win.save_layout()
    again = make_app(demo.kubeconfig_path, contexts=["kmon-demo"])
    assert again.ws.resources_for("kmon-demo") == ["configmaps", "namespaces"]
    assert again.ws.resources_for("kmon-demo-2") == ["services"]


def test_resource_settings_keys_survive_awkward_context_names(tmp_path):
    s = Settings(QSettings(str(tmp_path / "x.ini"), QSettings.Format.IniFormat))
    arn = "arn:aws:eks:eu-west-1:123456789012:cluster/prod"
    s.set_resources(["pods"], arn)
    s.set_resources(["nodes"], "prod")
    s.sync()
    s2 = Settings(QSettings(str(tmp_path / "x.ini"), QSettings.Format.IniFormat))
    assert s2.resources(arn) == ["pods"] and s2.resources("prod") == ["nodes"]
    assert s2.resources("other") == []


# ---------------------------------------------------------------------- first start
@pytest.fixture
def no_kubeconfig(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    return home


def test_first_start_without_kubeconfig_offers_the_demo_and_a_file(make_app, qtbot, no_kubeconfig, monkeypatch):
    import kmon.sim.demo as demo_module

    started = []
    real_demo = demo_module.DemoCluster
    monkeypatch.setattr(demo_module, "DemoCluster", lambda: started.append(1) or real_demo(churn=5.0, pods=20))
    app = make_app(None).open()
    win = app.win
    win.show()
    assert app.contexts == []
    assert not win.act_close.isEnabled() and win.switcher.currentIndex() == -1
    assert not win.errors.isVisible()  # the empty state says it all
    assert win.stack.currentWidget() is win.empty
    assert win.empty.title.text() == "No kubeconfig found"
    detail = win.empty.detail.text()
    assert "$KUBECONFIG: not set" in detail
    assert f"~/.kube/config: {no_kubeconfig / '.kube' / 'config'} does not exist" in detail
    assert win.empty.demo_btn.isVisible() and win.empty.file_btn.isVisible()
    assert not win.empty.switch_btn.isVisible()
    # "Open kubeconfig…" asks for a file; a chosen file's contexts are offered
    dlg = win.menus.open_kubeconfig()
    dlg.close()
    # the demo cluster, started from the empty state, off the GUI thread
    kc = win.kubeconfigs
    try:
        win.empty.demo_btn.click()
        win.empty.demo_btn.click()  # impatient: still one demo cluster
        qtbot.waitUntil(lambda: app.ws.open_contexts() == ["kmon-demo"], timeout=30000)
        assert started == [1] and win.act_close.isEnabled()
        assert win.stack.currentWidget() is win.tree
        assert [e.name for e in win.entries] == ["kmon-demo", "kmon-demo-2"]
        assert win.views.faults is not None  # the fault toolbar, as with --demo
        qtbot.waitUntil(lambda: app.ws.tree.context("kmon-demo").count > 0, timeout=20000)
        app.ws.close_context("kmon-demo")
        assert win.stack.currentWidget() is win.empty
        assert win.empty.title.text() == "No context open" and win.empty.switch_btn.isVisibleTo(win)
    finally:
        for task in list(app.ws.closing.values()):
            qtbot.waitUntil(task.done, timeout=5000)
        kc.stop_demo()


def test_open_kubeconfig_merges_the_file_and_offers_its_contexts(make_app, demo, qtbot, no_kubeconfig, tmp_path):
    app = make_app(None).open()
    win = app.win
    win.show()
    bad = tmp_path / "bad.yaml"
    bad.write_text("{not yaml")
    assert win.menus.add_kubeconfig(str(bad)) == []
    assert any("bad.yaml" in t for t in win.errors.texts())
    names = win.menus.add_kubeconfig(demo.kubeconfig_path)
    assert names == ["kmon-demo", "kmon-demo-2"]
    assert not any("bad.yaml" in t for t in win.errors.texts())
    assert win.kubeconfigs.files_in_use() == [os.path.abspath(demo.kubeconfig_path)]
    assert [e.name for e in win.entries] == names and win.switcher.count() == 2
    assert win.quick.isVisible() and win.quick.title.text() == "Contexts of kubeconfig"
    assert win.empty.title.text() == "No context open"
    QTest.keyClick(win.quick.filter, Qt.Key.Key_Return)
    assert app.ws.open_contexts() == ["kmon-demo"]


def test_the_first_window_fits_a_small_screen(make_app, demo):
    """No saved geometry: 1500x900 where there is room, else what the screen's free area
    leaves (with room for the frame), never a window larger than the screen."""
    win = make_app(demo.kubeconfig_path, argv=["--resources", "namespaces"], contexts=["kmon-demo"]).open().win
    win.resize(3000, 2000)
    win.restore_layout()
    free = win.screen().availableGeometry()
    assert win.width() <= free.width() and win.height() <= free.height()
    assert win.width() >= min(1500, free.width() * 0.9) or win.width() == win.minimumWidth()
