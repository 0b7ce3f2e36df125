"""The object tree view: fades of recently changed rows, live ages, sorting, selection.

Why this module exists: repainting is the view's business, not the model's. A 100 ms timer
repaints the viewport while rows under an expanded parent still fade (the model's data()
computes the fade from each row's change timestamp and the model tracks which parents have
fading rows, so no per-row timers, per-event signals or walks over rows exist; the timer
stops when nothing fades, and skips a tick when the viewport was repainted whole since the
last one, as after every relayout that inserted or removed rows) and once a second the age
column. QTreeView re-lays out every expanded row after any insertion, so the model
caps each kind at ``ROW_CAP`` rows plus a "... N more" row; filtering swaps in the
workspace's filtered tree (``set_source``); header clicks sort inside the tree model (no
proxy). Expanded rows and the selection survive every model reset and swap.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QModelIndex, QRect, Qt, QTimer, Signal
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTreeView

from kmon.monitor.timeseries import DELTA_TYPES
from kmon.monitor.tree_node import CONTEXT, KIND, OBJECT, ROOT, Node

from .columns import ColumnChooser, ColumnSizer, ElidedToolTips, Fit, chars_width, elide_column, header_width, text_width
from .tree_model import COL_AGE, COL_DELTA, COL_NAME, COL_RV, COL_STATUS, NodeRole, ObjectTreeModel

__all__ = ["ObjectTreeView"]

_PAINT = QEvent.Type.Paint


class ObjectTreeView(QTreeView):
    sigNodeSelected = Signal(object)  # the selected Node (or None)

    def __init__(self, model: ObjectTreeModel, parent=None) -> None:
        super().__init__(parent)
        self.source = model
        self._saved = None
        self._lost: Node | None = None  # the selected object while its row moves
        self._fade = QTimer(self)  # runs while rows fade (started by the model's sigFading)
        self._fade.setInterval(100)
        self._fade.timeout.connect(self._repaint_fades)
        self._full_paint = 0.0  # monotonic time of the viewport's last whole repaint
        model.rowsAboutToBeRemoved.connect(self._rows_removing)  # before the selection model's
        self.setModel(model)
        self.setUniformRowHeights(True)  # constant-time layout with 50,000 rows
        self.setAlternatingRowColors(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAllColumnsShowFocus(True)
        header = self.header()
        header.setSortIndicatorClearable(True)
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.setSortingEnabled(True)  # source order (by name) until a header is clicked
        header.setStretchLastSection(False)
        # the name takes what is left; the other columns fit their content (Status keeps a
        # readable width however narrow the window: the name gives way first, elided in
        # the middle, where a generated pod name's suffix tells it apart)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(COL_NAME, QHeaderView.ResizeMode.Stretch)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        elide_column(self, COL_STATUS, Qt.TextElideMode.ElideRight)
        self.columns = ColumnSizer(self, self._measure, stretch=COL_NAME, stretch_least=chars_width(self, 24))
        self._refit = QTimer(self)  # rows arrived: measure again in a moment (not per batch)
        self._refit.setSingleShot(True)
        self._refit.setInterval(1000)
        self._refit.timeout.connect(self.columns.refit)
        self.expanded.connect(lambda _i: QTimer.singleShot(0, self.columns.refit))  # (once expanded)
        ElidedToolTips(self)
        self.column_chooser = ColumnChooser(self, self.columns)
        self._connect(model)
        self.columns.refit()
        self.selectionModel().currentRowChanged.connect(self._current_changed)
        self._ages = QTimer(self)
        self._ages.setInterval(1000)
        self._ages.timeout.connect(self._repaint)
        self._ages.start()

    # ------------------------------------------------------------------ repaint
    def _repaint_fades(self) -> None:
        """Repaint while a shown row fades: the model knows which parents have fading rows
        (O(parents), no walk over rows: asking the view where rows are makes it re-lay out
        every expanded row after each insertion or removal); the timer stops when nothing
        fades and the model's ``sigFading`` starts it again."""
        model = self.source
        parents = model.fading_parents()
        if not parents:
            self._fade.stop()
            return
        if time.monotonic() - self._full_paint < 0.09:
            return  # the viewport was repainted whole since the last tick (after a relayout)
        for p in parents:
            if self._shown(p):
                model.tick()
                self.viewport().update()
                return

    def viewportEvent(self, event) -> bool:  # noqa: N802
        # a structural change repaints the whole viewport after the relayout (most batches
        # under churn): fades need no repaint of their own then
        if event.type() == _PAINT and event.rect().contains(self.viewport().rect()):
            self._full_paint = time.monotonic()
        return super().viewportEvent(event)

    def _fading(self) -> None:
        if not self._fade.isActive():
            self._fade.start()

    def _shown(self, node: Node) -> bool:
        """Whether ``node``'s children are on screen rows: it and its ancestors expanded
        (a lookup in the view's set of expanded indexes, no layout)."""
        model = self.source
        while node is not None and node.level > ROOT:
            idx = model.index_for(node)
            if not idx.isValid() or not self.isExpanded(idx):
                return False
            node = node.parent
        return True

    def _repaint(self) -> None:
        """Once a second: the age column only."""
        self.source.tick()
        x = self.columnViewportPosition(COL_AGE)
        vp = self.viewport()
        vp.update(QRect(x, 0, self.columnWidth(COL_AGE), vp.height()))

    # ------------------------------------------------------------------ structure
    def _rows_inserted(self, parent: QModelIndex, first: int, last: int) -> None:
        if not parent.isValid() and parent.model() in (None, self.model()):
            # a new context: show its namespaces
            model = self.model()
            for r in range(first, last + 1):
                self.expand(model.index(r, 0))

    # ------------------------------------------------------------------ columns
    def _content_arrived(self, *_a) -> None:
        if not self._refit.isActive():
            self._refit.start()

    def _measure(self) -> dict[int, Fit]:
        """Column widths from the font and a sample of the shown objects (at most 300, from
        the expanded kinds): ages and delta types are short known texts."""
        model = self.source
        sample: list[Node] = []
        for node in self._expanded_nodes():
            if node.level == KIND:
                sample.extend(node.children[:max(0, min(300 - len(sample), node.shown if node.shown >= 0 else 300))])
                if len(sample) >= 300:
                    break
        status = [model.data(model.index_for(n, COL_STATUS)) or "" for n in sample]
        rv = [n.rv for n in sample]
        want = {
            COL_AGE: (text_width(self, ["999d", "23h", "59m"]), 0),
            COL_RV: (text_width(self, rv), 0),
            COL_STATUS: (min(text_width(self, status + ["Running, 1/1 ready"]), chars_width(self, 48)),
                         text_width(self, ["Running, 1/1 ready"])),
            COL_DELTA: (text_width(self, DELTA_TYPES), 0),
        }
        out = {}
        for c, (w, least) in want.items():
            w = max(w, header_width(self, c))
            out[c] = Fit(w, min(w, max(least, header_width(self, c))))
        return out

    # ------------------------------------------------------------------ models
    def set_source(self, model: ObjectTreeModel) -> None:
        """Show another tree model (the workspace's filtered one, or the full one again),
        sorted like the current one, keeping expanded rows and the selection."""
        if model is self.source:
            return
        expanded, sel_key = self._state()
        for sig, slot in ((self.source.rowsInserted, self._rows_inserted),
                          (self.source.rowsInserted, self._content_arrived),
                          (self.source.rowsAboutToBeRemoved, self._rows_removing),
                          (self.source.modelAboutToBeReset, self._save_state),
                          (self.source.modelReset, self._restore_state),
                          (self.source.sigFading, self._fading)):
            try:
                sig.disconnect(slot)
            except (RuntimeError, TypeError):
                pass
        self.source = model
        header = self.header()
        model.sort(header.sortIndicatorSection(), header.sortIndicatorOrder())
        # before setModel: must see the current row before the selection model moves it
        model.rowsAboutToBeRemoved.connect(self._rows_removing)
        self.setModel(model)
        self._connect(model)  # after setModel: our modelReset slot must run after the view's
        self.selectionModel().currentRowChanged.connect(self._current_changed)
        self._restore(expanded, sel_key)

    def _connect(self, model: ObjectTreeModel) -> None:
        """Connect after ``setModel`` (our modelReset slot must run after the view's)."""
        model.rowsInserted.connect(self._rows_inserted)
        model.rowsInserted.connect(self._content_arrived)
        model.modelAboutToBeReset.connect(self._save_state)
        model.modelReset.connect(self._restore_state)
        model.sigFading.connect(self._fading)
        self._fading()  # (rows of a swapped-in model may be fading already)

    def _state(self):
        expanded = [n.path() for n in self._expanded_nodes()]
        selected = self.selected_node()
        sel_key = (selected.context, selected.resource, selected.key) if selected is not None and selected.level == OBJECT else None
        return expanded, sel_key

    def _save_state(self) -> None:
        self._saved = self._state()

    def _restore_state(self) -> None:
        saved, self._saved = self._saved, None
        if saved is not None:
            self._restore(*saved)

    def _restore(self, expanded: list[tuple[str, ...]], sel_key) -> None:
        tree = self.source.tree
        for path in expanded:
            node = tree.root
            for name in path:
                node = node.child(name) if node is not None else None
            if node is not None:
                self.expand_node(node)
        if sel_key is not None:
            node = tree.find(*sel_key)
            if node is not None:
                self.select_node(node)

    def _expanded_nodes(self) -> list[Node]:
        """Expanded container rows (objects have no children: never walked)."""
        out: list[Node] = []
        model = self.model()
        stack = [QModelIndex()]
        while stack:
            parent = stack.pop()
            for r in range(model.rowCount(parent)):
                idx = model.index(r, 0, parent)
                node = idx.data(NodeRole)
                if node is None or node.level >= OBJECT or not node.children:
                    continue
                if self.isExpanded(idx):
                    out.append(node)
                    if node.level < KIND:
                        stack.append(idx)
        return out

    def map_node(self, node: Node) -> QModelIndex:
        """The view index of ``node`` (a node of the shown tree; for the full tree's nodes
        while filtering, the filtered tree's node with the same key)."""
        tree = self.source.tree
        if node.level == OBJECT and tree.find(node.context, node.resource, node.key) is not node:
            node = tree.find(node.context, node.resource, node.key)
            if node is None:
                return QModelIndex()
        return self.source.index_for(node)

    # ------------------------------------------------------------------ selection
    def node_at(self, index: QModelIndex) -> Node | None:
        return index.data(NodeRole) if index.isValid() else None

    def selected_node(self) -> Node | None:
        return self.node_at(self.currentIndex())

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self._lost is None:  # (while the selected row moves, _reselect decides)
            self.sigNodeSelected.emit(self.node_at(current))

    def _rows_removing(self, parent: QModelIndex, first: int, last: int) -> None:
        """A sorted row moves by a removal and an insertion in one batch: keep it selected."""
        cur = self.currentIndex()
        if self._lost is None and cur.isValid() and first <= cur.row() <= last and cur.parent() == parent:
            node = self.node_at(cur)
            if node is not None and node.level == OBJECT:
                self._lost = node
                QTimer.singleShot(0, self._reselect)

    def _reselect(self) -> None:
        lost, self._lost = self._lost, None
        if lost is None or not lost.attached or not self.select_node(lost, scroll=False):
            self.sigNodeSelected.emit(self.selected_node())

    def select_node(self, node: Node, *, scroll: bool = True) -> bool:
        """Select (and reveal) ``node``; False when it is filtered out or gone."""
        idx = self.map_node(node)
        if not idx.isValid():
            return False
        p = idx.parent()
        while p.isValid():
            self.expand(p)
            p = p.parent()
        if idx == self.currentIndex():
            self.sigNodeSelected.emit(node)
        else:
            self.setCurrentIndex(idx)
        if scroll:
            self.scrollTo(idx, QAbstractItemView.ScrollHint.PositionAtCenter)
        return True

    def expand_node(self, node: Node) -> None:
        idx = self.map_node(node)
        if idx.isValid():
            self.expand(idx)

    def context_of_current(self) -> str:
        n = self.selected_node()
        while n is not None and n.level > CONTEXT:
            n = n.parent
        return n.name if n is not None and n.level == CONTEXT else ""
