"""Widget tier: keyboard use, filter box, quick switcher, resource picker, settings, CLI."""

from __future__ import annotations

import os
import subprocess
import sys

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest

from kmon.ui.settings import Settings


def test_filter_box_and_shortcuts(make_app, demo, qtbot):
    app = make_app(demo.kubeconfig_path, contexts=["kmon-demo"]).open()
    app.wait_synced()
    win = app.win
    win.show()
    win.activateWindow()
    assert QTest.qWaitForWindowActive(win)
    win.tree.setFocus()
    qtbot.keyClick(win.tree, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(win.filter.hasFocus, timeout=2000)
    qtbot.keyClicks(win.filter, "tier=backend")
    qtbot.waitUntil(lambda: app.ws.filtered is not None, timeout=2000)  # after typing pauses
    assert app.ws.filtered is not None and win.tree.model() is app.ws.filtered_model
    proxy = win.tree.model()

    def visible_objects(parent=None, out=None):
        from PySide6.QtCore import QModelIndex

        from kmon.ui.tree_model import NodeRole

        parent = parent or QModelIndex()
        out = [] if out is None else out
        for r in range(proxy.rowCount(parent)):
            idx = proxy.index(r, 0, parent)
            node = idx.data(NodeRole)
            if node.level == 4:
                out.append(node)
            else:
                visible_objects(idx, out)
        return out

    shown = visible_objects()
    assert shown and all((n.obj["metadata"].get("labels") or {}).get("tier") == "backend" for n in shown)
    # the filtered tree follows the cache: exactly the matching objects, live
    app.ws.bridge.drain()
    want = {(n.context, n.resource, n.key) for n in app.ws.tree.objects()
            if (n.obj["metadata"].get("labels") or {}).get("tier") == "backend"}
    assert {(n.context, n.resource, n.key) for n in app.ws.filtered.objects()} == want
    # a header click sorts inside the (filtered) tree; the expanded rows stay expanded
    kind = next(n for n in app.ws.filtered.walk() if n.level == 3)
    win.tree.header().setSortIndicator(2, Qt.SortOrder.DescendingOrder)
    rvs = [int(n.rv) for n in kind.children]
    assert rvs == sorted(rvs, reverse=True)
    assert win.tree.isExpanded(win.tree.map_node(kind))
    win.tree.header().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
    assert [n.name for n in kind.children] == sorted(n.name for n in kind.children)
    win.filter.clear()
    qtbot.waitUntil(lambda: app.ws.filtered is None, timeout=2000)
    assert win.tree.model() is app.ws.model


def test_quick_switcher_opens_another_context(make_app, demo, qtbot):
    app = make_app(demo.kubeconfig_path, contexts=["kmon-demo"]).open()
    win = app.win
    win.show()
    dlg = win.quick_switch("open")
    qtbot.keyClicks(dlg.filter, "demo-2")
    assert dlg.model.rowCount() == 1
    qtbot.keyClick(dlg.filter, Qt.Key.Key_Return)
    assert app.ws.open_contexts() == ["kmon-demo", "kmon-demo-2"]
    qtbot.waitUntil(lambda: app.ws.tree.context("kmon-demo-2") is not None and app.ws.tree.context("kmon-demo-2").count > 0, timeout=15000)
    assert [c.name for c in app.ws.tree.root.children] == ["kmon-demo", "kmon-demo-2"]
    # Ctrl+K is bound to the switcher
    assert win.act_quick.shortcut().toString() == "Ctrl+K"


def test_resource_picker_starts_and_stops_informers(make_app, demo, qtbot):
    app = make_app(demo.kubeconfig_path, contexts=["kmon-demo"]).open()
    app.wait_synced()
    picker = app.win.picker
    qtbot.waitUntil(lambda: picker.model.rowCount() >= 9, timeout=10000)
    names = [picker.model.item(r).text() for r in range(picker.model.rowCount())]
    assert "widgets.demo.kmon.io" in names  # custom resources come from discovery
    item = next(picker.model.item(r) for r in range(picker.model.rowCount()) if picker.model.item(r).text() == "widgets.demo.kmon.io")
    item.setCheckState(Qt.CheckState.Checked)
    qtbot.waitUntil(lambda: any(True for _ in app.ws.tree.objects("kmon-demo", "widgets.demo.kmon.io")), timeout=10000)
    handle = app.ws.sessions["kmon-demo"].resources["widgets.demo.kmon.io"]
    item = next(picker.model.item(r) for r in range(picker.model.rowCount()) if picker.model.item(r).text() == "widgets.demo.kmon.io")
    item.setCheckState(Qt.CheckState.Unchecked)
    assert not any(True for _ in app.ws.tree.objects("kmon-demo", "widgets.demo.kmon.io"))
    qtbot.waitUntil(lambda: not handle.thread.is_alive(), timeout=3000)
    app.ws.bridge.drain()
    assert not any(True for _ in app.ws.tree.objects("kmon-demo", "widgets.demo.kmon.io"))


def test_layout_and_contexts_persist(make_app, demo, qtbot, settings):
    app = make_app(demo.kubeconfig_path, contexts=["kmon-demo-2"]).open()
    app.win.show()
    app.win.resize(700, 520)  # the offscreen screen is 800x600: restoring clamps to it
    app.win.save_layout()
    assert settings.last_contexts() == ["kmon-demo-2"]
    again = make_app(demo.kubeconfig_path)
    assert again.contexts == ["kmon-demo-2"]  # the last session's context opens first
    assert again.win.size().width() == 700


def test_settings_file_is_the_injected_one(tmp_path):
    s = Settings(QSettings(str(tmp_path / "x.ini"), QSettings.Format.IniFormat))
    s.set_resources(["pods", "nodes"])
    s.sync()
    assert "pods" in (tmp_path / "x.ini").read_text()
    assert Settings(QSettings(str(tmp_path / "x.ini"), QSettings.Format.IniFormat)).resources() == ["pods", "nodes"]


def test_screenshot_command(tmp_path):
    shot = tmp_path / "shot.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    r = subprocess.run([sys.executable, "-m", "kmon", "--demo", "--screenshot", str(shot), "--after", "3"],
                       env=env, capture_output=True, text=True, timeout=90)
    assert r.returncode == 0, r.stderr
    img = QImage(str(shot))
    assert not img.isNull() and img.width() >= 1200 and img.height() >= 700


def test_screenshot_layout_is_populated(make_app, demo, qtbot):
    """What --screenshot renders: tree expanded to objects, an object selected in the
    detail pane, the status bar filled in."""
    from kmon.ui.app import expand_for_screenshot

    app = make_app(demo.kubeconfig_path, contexts=["kmon-demo"]).open()
    app.wait_synced()
    win = app.win
    win.show()
    expand_for_screenshot(win)
    node = win.tree.selected_node()
    assert node is not None and node.level == 4 and win.detail.sel is not None
    assert win.detail.title.text().startswith("Pod ")
    assert win.detail.yaml.toPlainText().startswith("apiVersion")
    win.status.refresh()
    assert "synced" in win.status.synced.text() and "kmon-demo" in win.status.context.text()
    assert win.tree.isExpanded(win.tree.map_node(node.parent))


def test_selection_follows_a_sorted_row_that_moves(make_app, demo, qtbot):
    store = demo.servers["kmon-demo"].store
    app = make_app(demo.kubeconfig_path, argv=["--resources", "configmaps"], contexts=["kmon-demo"]).open()
    app.wait_synced()
    win = app.win
    win.show()
    tree = app.ws.tree
    win.tree.header().setSortIndicator(2, Qt.SortOrder.DescendingOrder)  # newest resourceVersion first
    kind = tree.context("kmon-demo").child("shop").child("configmaps")
    target = kind.children[-1]  # the oldest: last row
    assert win.tree.select_node(target)
    store.patch("configmaps", target.name, {"data": {"moved": "yes"}}, "shop")
    qtbot.waitUntil(lambda: kind.children[0] is target, timeout=10000)  # moved to the top
    qtbot.waitUntil(lambda: win.tree.selected_node() is target, timeout=2000)
    assert win.detail.sel == ("kmon-demo", "configmaps", target.key)
    assert "moved: 'yes'" in win.detail.yaml.toPlainText() or "moved: yes" in win.detail.yaml.toPlainText()


def test_a_destroyed_resource_picker_is_not_called_by_the_workspace_it_outlived(make_app, demo, qtbot):
    # the workspace outlives a window's widgets (a test's teardown, a window closed while the
    # sessions stop): its context-state signal must not call into a deleted combo box
    import shiboken6

    from kmon.ui.resource_picker import ResourcePicker
    from kmon.ui.status_bar import StatusBar

    app = make_app(demo.kubeconfig_path, contexts=["kmon-demo"]).open()
    app.wait_synced()
    picker, bar = ResourcePicker(app.ws), StatusBar(app.ws)
    box = picker.context_box
    shiboken6.delete(picker)
    shiboken6.delete(bar)
    assert not shiboken6.isValid(box)
    app.ws.sigContextState.emit("kmon-demo", "ready", "")  # raised RuntimeError in a lambda before
    app.ws.sigResourcesChanged.emit("kmon-demo")
    app.ws.sigContextsChanged.emit(["kmon-demo"])
