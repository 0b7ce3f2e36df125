"""The detail pane: what it shows for object rows and for context, namespace and kind rows."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from kmon.monitor.tree_node import KIND, NAMESPACE
from kmon.ui.detail_pane import DetailPane
from kmon.ui.tree_view import ObjectTreeView
from kmon.ui.workspace import Workspace

from helpers import item, obj


def _pane(qtbot):
    ws = Workspace()
    view = ObjectTreeView(ws.model)
    pane = DetailPane(ws)
    view.sigNodeSelected.connect(pane.show_node)
    for w in (view, pane):
        qtbot.addWidget(w)
    pod = obj("web-1", "shop", spec={"replicas": 1})
    items = [item("Added", pod, initial=True)]
    for i in range(5):
        pod = {**pod, "metadata": {**pod["metadata"], "resourceVersion": str(1000 + i)}, "spec": {"replicas": i}}
        items.append(item("Updated", pod))
    items.append(item("Added", obj("db", "shop", kind="ConfigMap"), res="configmaps"))
    ws.apply_batch(items)
    return ws, view, pane


def _texts(pane) -> str:
    """Every text the pane holds (on any tab or page, shown or not)."""
    labels = [w.text() for w in pane.findChildren(QLabel)]
    tabs = [pane.tabs.tabText(i) for i in range(pane.tabs.count())]
    summary = getattr(pane, "summary", None)
    return "\n".join(labels + tabs + ([summary.toPlainText()] if summary is not None else []))


def test_a_namespace_row_after_an_object_leaves_no_history_of_it(qtbot):
    ws, view, pane = _pane(qtbot)
    assert view.select_node(ws.tree.find("c1", "pods", "shop/web-1"))
    assert pane.tabs.tabText(1) == "History (6)"
    assert "6 deltas recorded for this object" in _texts(pane)
    ns = ws.tree.context("c1").child("shop")
    assert ns.level == NAMESPACE and view.select_node(ns)
    text = _texts(pane)
    assert "History (6)" not in text and "6 deltas" not in text and "deltas recorded" not in text
    assert not pane.tabs.isTabEnabled(1) and pane.entries.topLevelItemCount() == 0
    assert pane.yaml.toPlainText() == "" and pane.diff.toPlainText() == ""
    # ... and it says what the namespace holds instead
    assert pane.pages.currentWidget() is pane.summary
    assert pane.title.text() == "Namespace shop"
    summary = pane.summary.toPlainText()
    assert "pods" in summary and "configmaps" in summary
    # back to the object: its tabs and history again
    assert view.select_node(ws.tree.find("c1", "pods", "shop/web-1"))
    assert pane.pages.currentWidget() is pane.tabs and pane.tabs.isTabEnabled(1)
    assert pane.tabs.tabText(1) == "History (6)"


def test_context_and_kind_rows_say_what_they_are(qtbot):
    ws, view, pane = _pane(qtbot)
    assert view.select_node(ws.tree.find("c1", "pods", "shop/web-1"))
    ctx = ws.tree.context("c1")
    assert view.select_node(ctx)
    assert pane.title.text() == "Context c1"
    assert pane.subtitle.text() == "2 objects in 1 namespace" and "History (6)" not in _texts(pane)
    summary = pane.summary.toPlainText()
    assert "pods" in summary and "configmaps" in summary
    kind = ctx.child("shop").child("pods")
    assert kind.level == KIND and view.select_node(kind)
    assert pane.title.text() == "pods in shop" and "1 object cached" in pane.summary.toPlainText()
    # counts follow the batches while the row is selected
    ws.apply_batch([item("Added", obj("web-2", "shop"))])
    assert "2 objects cached" in pane.summary.toPlainText()
    # nothing selected: the prompt
    pane.show_node(None)
    assert pane.title.text() == "Select an object in the tree" and "History (" not in _texts(pane)


def test_reveal_shows_secret_values_decoded_and_says_so(qtbot):
    import base64

    from kmon.monitor.masking import MASK

    ws = Workspace()
    pane = DetailPane(ws)
    qtbot.addWidget(pane)
    pane.show()
    pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    data = {"password": "hunter2", "tls.crt": pem}
    secret = obj("db-creds", "shop", kind="Secret", type="Opaque",
                 data={**{k: base64.b64encode(v.encode()).decode() for k, v in data.items()},
                       "blob": base64.b64encode(bytes(range(0, 256, 7))).decode()})
    ws.apply_batch([item("Added", secret, res="secrets")])
    pane.show_node(ws.tree.find("c1", "secrets", "shop/db-creds"))
    text = pane.yaml.toPlainText()
    # masked by default: neither the encoded nor the decoded value
    assert "hunter2" not in text and "aHVudGVyMg==" not in text and MASK in text
    assert pane.reveal.isVisible() and not pane.decoded_note.isVisible()
    qtbot.mouseClick(pane.reveal, Qt.MouseButton.LeftButton)
    text = pane.yaml.toPlainText()
    assert "password: hunter2" in text and "aHVudGVyMg==" not in text
    assert "tls.crt: |\n    -----BEGIN CERTIFICATE-----\n    MIIB\n" in text  # a block, as written
    assert "blob: <37 bytes, binary>" in text
    assert pane.decoded_note.isVisible() and "decoded from base64" in pane.decoded_note.text()
    assert "+  password: hunter2" in pane.diff.toPlainText()  # the history's diff too
    # hiding them again masks them and drops the note
    qtbot.mouseClick(pane.reveal, Qt.MouseButton.LeftButton)
    assert "hunter2" not in pane.yaml.toPlainText() and not pane.decoded_note.isVisible()


def test_history_list_is_as_tall_as_its_rows_and_the_diff_gets_the_rest(qtbot):
    ws, view, pane = _pane(qtbot)
    pane.resize(500, 600)
    pane.show()
    qtbot.waitExposed(pane)
    assert view.select_node(ws.tree.find("c1", "pods", "shop/web-1"))
    pane.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: sum(pane.hist_split.sizes()) > 0)
    entries, diff = pane.hist_split.sizes()
    row = pane.entries.sizeHintForRow(0)
    assert 6 * row <= entries <= 6 * row + pane.entries.header().height() + 12  # all six rows, no more
    assert diff > entries


def test_yaml_colours_follow_a_palette_switch(qtbot):
    from PySide6.QtGui import QColor, QPalette

    from kmon.ui.yaml_view import YamlView

    view = YamlView()
    qtbot.addWidget(view)
    view.set_text("metadata:\n  name: web\n")
    dark = QPalette(view.palette())
    dark.setColor(QPalette.ColorRole.Link, QColor("#6aa7ff"))
    view.setPalette(dark)
    block = view.document().firstBlock()
    colours = {r.format.foreground().color().name() for r in block.layout().formats()}
    assert "#6aa7ff" in colours


def test_one_managed_fields_switch_for_yaml_and_history_and_no_empty_button_row(qtbot):
    ws = Workspace()
    pane = DetailPane(ws)
    qtbot.addWidget(pane)
    pane.show()
    pod = obj("web", "shop")
    pod["metadata"]["managedFields"] = [{"manager": "kubectl", "operation": "Apply"}]
    ws.apply_batch([item("Added", pod)])
    pane.show_node(ws.tree.find("c1", "pods", "shop/web"))
    assert not pane.yaml_bar.isVisible()  # no Secret, not metadata-only: no row of buttons
    assert pane.tabs.cornerWidget(Qt.Corner.TopRightCorner) is pane.managed
    assert "managedFields" not in pane.yaml.toPlainText()
    pane.managed.setChecked(True)
    assert "manager: kubectl" in pane.yaml.toPlainText() and "manager: kubectl" in pane.diff.toPlainText()


def test_history_tells_each_object_s_part_of_an_atomic_relist(qtbot):
    from driven import Driven, pod

    from kmon.cache.features import FeatureGates

    ws = Workspace()
    pane = DetailPane(ws)
    qtbot.addWidget(pane)
    d = Driven(FeatureGates(), ctx="c1")  # the default path: client-go 1.36, atomic relists
    d.relist([pod("a", rv="1"), pod("b", rv="2")], "2")
    d.relist([pod("a", rv="5"), pod("b", rv="2")], "5")
    ws.apply_batch(d.take())
    col = pane.entries.headerItem().text(3)
    for name, last in (("a", "relist at rv 5: updated rv 1 → 5 (on_update)"),
                       ("b", "relist at rv 5: unchanged (resync on_update)")):
        pane.show_node(ws.tree.find("c1", "pods", f"default/{name}"))
        texts = [pane.entries.topLevelItem(i).text(3) for i in range(pane.entries.topLevelItemCount())]
        assert texts == ["initial list at rv 2: added (on_add, initial list)", last], col
    assert col == "What the handlers got"
    assert "resync period is due" in pane.entries.topLevelItem(1).toolTip(3)
