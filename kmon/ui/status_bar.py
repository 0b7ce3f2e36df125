"""The status bar: context, per-resource sync state, events/s and freshness.

Why this module exists: an operator must see at a glance whether the cache can be trusted
right now — every resource synced, events flowing, and no watch silent for too long
(freshness: time since the last event or bookmark per resource; amber after the first
threshold, red after the second). It renders ``ResourceStates`` once a second and on each
batch that changed a state; the per-resource table is in the tooltip and the popup menu.
The freshness indicator names the context it describes ("kmon-demo: fresh · last event <1s
ago"): with several open, the worst one, each context's line in the tooltip. The path the
informers run (client-go's queue, initial sync and feature gates) is said once beside the
context when every informer runs the same ("client-go 1.36"), else per context in its tooltip;
the tooltip's table has it per resource.
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QLabel, QStatusBar, QToolButton

from kmon.monitor.feed import DeltaItem
from kmon.monitor.path_text import context_profile, gates_text
from kmon.monitor.resource_states import ContextFreshness, ResourceStates

from .icons import dot_icon

__all__ = ["StatusBar"]


def _ago(s: float | None) -> str:
    if s is None:
        return "–"
    if s < 1:
        return "<1s"
    if s < 120:
        return f"{int(s)}s"
    return f"{int(s // 60)}m"


class StatusBar(QStatusBar):
    def __init__(self, workspace, parent=None) -> None:
        super().__init__(parent)
        self.ws = workspace
        self.states: ResourceStates = workspace.states
        self.context = QLabel("no context")
        self.synced = QLabel("")
        self.rate = QLabel("")
        self.fresh = QToolButton()
        self.fresh.setAutoRaise(True)
        self.fresh.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.rate.setMinimumWidth(self.rate.fontMetrics().horizontalAdvance("99,999 events/s") + 6)
        for w in (self.context, self.synced, self.rate, self.fresh):
            self.addPermanentWidget(w)
        self.fresh.clicked.connect(self._show_table)
        self.full_message = ""  # the last message shown, before eliding
        self.messageChanged.connect(self._message_gone)
        self.timer = QTimer(self)
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self._tick)
        self.timer.start()
        workspace.sigApplied.connect(self._on_batch)
        workspace.sigContextsChanged.connect(self._contexts_changed)  # (bound: dropped with the bar)
        workspace.sigMessage.connect(self._on_message)
        self.worst = "unknown"
        self.paths: dict[tuple[str, str], Any] = {}  # (context, resource) -> its InformerStats
        self._tick()

    def _contexts_changed(self, _names: list[str]) -> None:
        self._tick()

    def _on_batch(self, items: list) -> None:
        if any(not isinstance(it, DeltaItem) for it in items):
            self.refresh()

    def _on_message(self, level: str, text: str) -> None:
        self.showMessage(("⚠ " if level == "error" else "") + text, 15000 if level == "error" else 6000)

    def showMessage(self, text: str, timeout: int = 0) -> None:  # noqa: N802 (Qt's name)
        """A message longer than the room left of the permanent widgets ends in "…" (Qt
        would cut it mid-word under them); the whole text is the status bar's tooltip while
        it shows."""
        room = self.width() - sum(w.width() + 12 for w in (self.context, self.synced, self.rate, self.fresh) if w.isVisible()) - 16
        shown = self.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, max(room, 80))
        self.full_message = text
        self.setToolTip(text if shown != text else "")
        super().showMessage(shown, timeout)

    def _message_gone(self, text: str) -> None:
        if not text:
            self.full_message = ""
            self.setToolTip("")

    def _tick(self) -> None:
        self._read_paths()
        self.refresh()

    def _read_paths(self) -> None:
        """Every informer's stats (the path it runs), read once a second (not per batch: the
        path changes only when an informer starts or falls back to LIST)."""
        self.paths = {}
        for n in self.ws.open_contexts():
            session = self.ws.sessions.get(n)
            try:
                stats = session.stats() if session is not None else {}
            except Exception:  # (a session between states: said next second)
                continue
            for res, st in stats.items():
                self.paths[(n, res)] = st

    def profile(self, context: str | None = None) -> str:
        """"client-go 1.36" when every informer (of ``context``) runs the same gates; "" when
        they differ or none runs yet."""
        return context_profile(st.features for (c, _r), st in self.paths.items() if context in (None, c))

    def refresh(self) -> None:
        names = self.ws.open_contexts()
        if not names:
            self.context.setText("no context")
        else:
            failing = [n for n in names if (cs := self.states.contexts.get(n)) is not None and cs.error]
            if len(names) <= 2:
                parts = [f"{n} ⚠" if n in failing else n for n in names]
                self.context.setText("Context: " + ", ".join(parts))
            else:
                self.context.setText(f"{len(names)} contexts" + (f" ({len(failing)} failing ⚠)" if failing else ""))
            self.context.setToolTip("\n".join(
                f"{n}: {self.states.contexts[n].error}" if n in failing else
                (f"{n}: {p}" if (p := self.profile(n)) else n) for n in names))
            same = self.profile()
            if same:
                self.context.setText(f"{self.context.text()} · {same}")
            # never let an unverified connection go unnoticed: shown while the context is open
            insecure = [n for n in names if (s := self.ws.sessions.get(n)) is not None and s.tls_insecure]
            if insecure:
                self.context.setText(self.context.text() + " · ⚠ TLS verification disabled by kubeconfig")
                self.context.setToolTip(self.context.toolTip() + "\n" + "\n".join(
                    f"{n}: TLS verification disabled by kubeconfig (insecure-skip-tls-verify)" for n in insecure))
        rs = [s for s in self.states.resources.values() if s.context in self.ws.sessions]
        synced = sum(1 for s in rs if s.state == "synced")
        listing = [s for s in rs if s.state == "listing"]
        text = f"{synced}/{len(rs)} synced" if rs else "no resources"
        if listing:
            items = sum(s.items for s in listing)
            pages = sum(s.pages for s in listing)
            text += f" · listing {items:,} items ({pages} pages)"
        errors = [s for s in rs if s.state == "error"]
        if errors:
            text += f" · {len(errors)} failing"
        self.synced.setText(text)
        self.rate.setText(f"{self.states.events_per_second():,.0f} events/s")
        self._refresh_freshness(names, rs)

    def _refresh_freshness(self, names: list[str], rs: list) -> None:
        """The freshness button names the context it describes: the worst one (the last
        opened among equals); the tooltip has every context's line, then the table."""
        per = [self.states.context_freshness(n) for n in names]
        named = max(reversed(per), key=lambda f: (f.rank, f.silence or 0.0), default=None)
        self.worst = named.level if named is not None else "unknown"
        self.fresh.setVisible(named is not None)  # nothing to describe without a context
        self.fresh.setIcon(dot_icon(self.worst, 12))
        self.fresh.setText(self.freshness_text(named) if named is not None else "")
        lines = "".join(
            f"<b>{html.escape(f.context)}</b>: {html.escape(self.freshness_text(f, named=False))}<br>" for f in per
        )
        self.fresh.setToolTip(lines + self.table_html(rs))

    def freshness_text(self, f: ContextFreshness, *, named: bool = True) -> str:
        """"kmon-demo: fresh · last event <1s ago", "kmon-demo: pods silent 75s"."""
        if f.level in ("amber", "red") and f.resource:
            st = self.states.resources.get((f.context, f.resource))
            what = f"{f.resource} failing" if st is not None and st.state == "error" else f"{f.resource} silent {_ago(f.silence)}"
        elif f.last_event is not None:
            what = f"fresh · last event {_ago(f.last_event)} ago"
        else:
            what = "waiting for events"
        return f"{f.context}: {what}" if named else what

    def table_html(self, rs=None) -> str:
        rs = rs if rs is not None else list(self.states.resources.values())
        same = self.profile()  # said once under the table rather than on every row
        rows = []
        for s in sorted(rs, key=lambda s: (s.context, s.resource)):
            lvl = self.states.freshness(s)
            state = s.state if s.state != "listing" else f"listing {s.items:,} items, {s.pages} pages"
            if s.error:
                state += f": {s.error}"
            path = self.paths.get((s.context, s.resource))
            cells = [s.context, s.resource, state, _ago(self.states.silence(s)), lvl]
            cells += [path.queue, path.initial_sync] if path is not None else ["", ""]
            if not same:
                cells.append(gates_text(path.features) if path is not None else "")
            rows.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
        titles = ["context", "resource", "state", "last event", "freshness", "queue", "initial sync"]
        head = "".join(f"<th>{t}</th>" for t in titles + ([] if same else ["gates"]))
        amber, red = self.states.amber, self.states.red
        return (
            f"<table cellspacing=4><tr>{head}</tr>{''.join(rows)}</table>"
            + (f"<p>every informer runs {html.escape(same)}</p>" if same else "")
            + f"<p>amber after {amber:.0f}s without an event or bookmark, red after {red:.0f}s</p>"
        )

    def _show_table(self) -> None:
        from PySide6.QtWidgets import QToolTip

        QToolTip.showText(self.fresh.mapToGlobal(self.fresh.rect().topLeft()), self.table_html(), self.fresh)
