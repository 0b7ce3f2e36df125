"""Turning feed items and informer stats into terminal text or JSON lines.

Why this module exists: the output formats are contracts (people read the table, scripts
parse the JSON), so they live apart from the commands' plumbing and are tested alone.

- ``EventTable``: ``kmon watch -o table``: fixed column widths (TIME, RESOURCE, EVENT,
  NAMESPACE/NAME, RV, NOTIFICATION, DETAIL), long fields truncated with "…" so the columns
  never move; DETAIL gets what the terminal width leaves. NOTIFICATION is what the
  informer's handlers received (``kmon.monitor.notifications``); an atomic relist or resync
  (client-go 1.36) is a "ReplacedAll"/"SyncAll" line with its counts, then its objects, each
  marked "└". ANSI colour only when asked (the caller decides: a TTY and no ``NO_COLOR``).
- ``json_line``: ``kmon watch -o json`` and ``kmon replay --to-json``: one record per line,
  exactly the recording's records (``kmon.monitor.recording_format.record_from_item``).
- ``stats_table``: ``kmon stats``: one row per informer, fitted to the terminal's width
  (``output_width``): the last error is cut with "…" and the least telling columns are
  dropped, so a row never wraps; pipes and files get every column. Ages are kubectl's
  (``kmon.monitor.summary.format_age``), as in the GUI. The path an informer runs (QUEUE,
  INITIAL SYNC, GATES) is said as the inspector says it (``kmon.monitor.path_text``).
- ``stats_record``: ``kmon stats -o json``: one JSON object per refresh, every informer's
  ``InformerStats`` (its feature gates as ``path_text.gates_json``) and its client-go
  1.36 informer metrics by their Prometheus names.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from dataclasses import fields
from typing import Any, Iterable, Sequence, TextIO

from kmon.monitor.feed import FeedItem
from kmon.monitor.journal_rows import JournalRow, RowBuilder
from kmon.monitor.masking import redact_text
from kmon.monitor.path_text import gates_json, gates_text
from kmon.monitor.recording_format import dumps_record, record_from_item
from kmon.monitor.summary import format_age
from kmon.monitor.watch_text import watches_text

__all__ = [
    "COLUMNS",
    "EventTable",
    "json_line",
    "output_width",
    "stats_layout",
    "stats_record",
    "stats_rows",
    "stats_table",
    "truncate",
    "use_color",
]

# (title, width); DETAIL (last) takes the rest of the line
COLUMNS: tuple[tuple[str, int], ...] = (
    ("TIME", 12),
    ("RESOURCE", 18),
    ("EVENT", 12),
    ("NAMESPACE/NAME", 44),
    ("RV", 10),
    ("NOTIFICATION", 21),
    ("DETAIL", 0),
)
GAP = "  "
MIN_DETAIL = 20

_RESET = "\x1b[0m"
_COLORS = {
    "Added": "\x1b[32m",  # green
    "Updated": "\x1b[36m",  # cyan
    "Deleted": "\x1b[31m",  # red
    "Replaced": "\x1b[35m",  # magenta: came from a relist
    "Sync": "\x1b[2m",
    "ReplacedAll": "\x1b[1;35m",
    "SyncAll": "\x1b[2m",
    "Relist": "\x1b[1;35m",
    "Expired": "\x1b[1;33m",
    "Error": "\x1b[1;31m",
    "Backoff": "\x1b[33m",
    "WatchEnded": "\x1b[33m",
    "Bookmark": "\x1b[2m",
    "Page": "\x1b[2m",
}
_LEVEL_COLORS = {"error": "\x1b[1;31m", "warning": "\x1b[33m", "info": "\x1b[2m"}


def use_color(stream: TextIO = sys.stdout) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def truncate(text: str, width: int, *, middle: bool = False) -> str:
    """``text`` cut to ``width`` characters with "…" (in the middle when ``middle``: names
    keep their distinctive end, e.g. a pod's random suffix)."""
    text = text.replace("\n", " ").replace("\t", " ")
    if width <= 0 or len(text) <= width:
        return text
    if width == 1:
        return "…"
    if middle:
        head = (width - 1) // 2
        tail = width - 1 - head
        return text[:head] + "…" + text[len(text) - tail:]
    return text[: width - 1] + "…"


def _clock(t: float) -> str:
    lt = time.localtime(t)
    return time.strftime("%H:%M:%S", lt) + f".{int((t % 1) * 1000):03d}"


class EventTable:
    """Formats feed items as aligned table lines (see the module doc)."""

    def __init__(self, width: int | None = None, color: bool = False) -> None:
        if width is None:
            width = shutil.get_terminal_size((160, 24)).columns if _isatty() else 200
        self.color = color
        # a narrow terminal takes room from NAMESPACE/NAME first (down to 24), then from
        # NOTIFICATION (down to 9: "on_updat…"; below that it goes to the start of DETAIL),
        # then DETAIL
        widths = [w for _, w in COLUMNS[:-1]]
        excess = max(0, sum(widths) + len(GAP) * (len(COLUMNS) - 1) + MIN_DETAIL - width)
        for col, least in ((3, 24), (5, 9)):
            take = min(excess, widths[col] - least)
            widths[col] -= take
            excess -= take
        self.folded = excess > 0  # no NOTIFICATION column: the notification starts DETAIL
        self.shown = [0, 1, 2, 3, 4] + ([] if self.folded else [5])
        self.widths = [widths[i] for i in self.shown]
        fixed = sum(self.widths) + len(GAP) * len(self.shown)
        self.detail_width = max(MIN_DETAIL, width - fixed)
        self._rows = RowBuilder()  # (an atomic relist may come over several drains)

    def header(self) -> str:
        cells = [COLUMNS[i][0].ljust(w) for i, w in zip(self.shown, self.widths)] + [COLUMNS[-1][0]]
        line = GAP.join(cells)
        return f"\x1b[1m{line}{_RESET}" if self.color else line

    def row(self, r: JournalRow) -> str:
        name = f"{r.namespace}/{r.name}" if r.namespace else r.name
        if r.category == "session":
            event = r.type
            color = _LEVEL_COLORS.get(r.level, "") if r.level != "info" else ""
        else:
            event = f"└ {r.type}" if r.group >= 0 and not r.members else r.type
            color = _COLORS.get(r.type, "")
        if r.category == "delta" and r.detail.startswith("deleted while not watching"):
            color = _COLORS["Relist"]
        note = r.notification if r.notification and not r.members else ""
        values = (_clock(r.time), r.resource or "-", event, name or "-", r.resource_version or "-", note or "-")
        cells = [truncate(values[i], w, middle=(i in (1, 3))).ljust(w) for i, w in zip(self.shown, self.widths)]
        detail = redact_text(r.detail)
        if self.folded and note:
            detail = f"{note} · {detail}" if detail and detail not in note else note
        detail = truncate(detail, self.detail_width)
        if self.color and color:
            cells[2] = f"{color}{cells[2]}{_RESET}"
        return GAP.join(cells + [detail]).rstrip()

    def lines(self, items: Iterable[FeedItem]) -> list[str]:
        return [self.row(r) for r in self._rows.rows(items)]


def _isatty() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def json_line(item: FeedItem, *, mask: bool = True) -> bytes:
    """The JSON line (no newline) for a feed item: the same object a recording stores."""
    return dumps_record(record_from_item(item, mask=mask))


# --- stats ---------------------------------------------------------------------------------
STATS_COLUMNS = (
    "RESOURCE", "STATE", "SYNCED RV", "FLAGS", "LISTS", "RELISTS", "WATCHES", "LAST END",
    "BOOKMARKS", "QUEUED", "STORE", "QUEUE", "INITIAL SYNC", "GATES", "BACKOFF", "SYNCED FOR",
    "LAST EVENT", "LAST ERROR",
)
# what a narrow terminal gives up, in order, while a row does not fit: ("drop", column) or
# ("cut", column, narrowest) — RESOURCE is cut in the middle so a group keeps its end
# ("deploym…kmon.io"). RESOURCE, STATE and LAST ERROR always stay. The path columns (QUEUE,
# INITIAL SYNC, GATES) say what an informer was started with: cut, then dropped, before the
# counters that tell how it does.
STATS_FIT_STEPS: tuple[tuple[Any, ...], ...] = (
    ("drop", "BOOKMARKS"), ("drop", "LISTS"), ("drop", "FLAGS"), ("cut", "GATES", 5),
    ("cut", "QUEUE", 9), ("cut", "INITIAL SYNC", 12), ("drop", "GATES"), ("drop", "SYNCED FOR"),
    ("drop", "BACKOFF"), ("drop", "INITIAL SYNC"), ("drop", "LAST END"), ("drop", "QUEUE"),
    ("drop", "QUEUED"), ("drop", "WATCHES"),
    ("cut", "RESOURCE", 16),
    ("drop", "RELISTS"), ("drop", "STORE"), ("drop", "LAST EVENT"), ("drop", "SYNCED RV"),
    ("cut", "RESOURCE", 8),
)
# LAST ERROR keeps this much (when it has that much to say; a third of a narrower line)
# before a column goes
_ERROR_WANTED = 48
_ERR = STATS_COLUMNS.index("LAST ERROR")


def stats_rows(
    stats: dict[str, Any],
    *,
    last_end: dict[str, str] | None = None,
    synced_at: dict[str, float] | None = None,
    now: float | None = None,
    error_width: int | None = None,
) -> list[list[str]]:
    """One row of cells per informer ({resource: InformerStats}), sorted by resource.
    ``last_end``: the reason of each resource's last WatchEnded; ``synced_at``: when it
    first synced (both come from the feed). The last error is whole (one line, redacted)
    unless ``error_width`` cuts it: ``stats_table`` fits it to the terminal."""
    now = time.time() if now is None else now
    last_end = last_end or {}
    synced_at = synced_at or {}
    rows = []
    for res in sorted(stats):
        st = stats[res]
        flags = ",".join(f for f, on in (("unavailable", st.unavailable), ("paginated", st.paginated)) if on) or "-"
        since = synced_at.get(res)
        error = truncate(redact_text(st.last_error), error_width or 0) if st.last_error else "-"
        rows.append([
            res,
            st.state,
            st.last_synced_version or "-",
            flags,
            str(st.lists),
            str(st.relists),
            watches_text(st.watches_started, st.watches_ended),
            last_end.get(res, "-"),
            str(st.bookmarks),
            str(st.queue_depth),
            str(st.store_size),
            st.queue or "-",
            st.initial_sync or "-",
            gates_text(st.features) or "-",
            f"{st.current_backoff:.1f}s" if st.current_backoff else "-",
            format_age(now - since) if st.synced and since is not None else ("yes" if st.synced else "no"),
            format_age(now - st.last_event_time) if st.last_event_time else "-",
            error,
        ])
    return rows


def stats_record(
    stats: dict[str, Any],
    *,
    context: str,
    server: str,
    last_end: dict[str, str] | None = None,
    synced_at: dict[str, float] | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """``kmon stats -o json``'s object for one refresh: ``{"kind": "stats", "time",
    "context", "server", "informers": [...]}``, an informer being its ``InformerStats``
    fields (``features``: ``path_text.gates_json``; the last error redacted) plus
    ``resource``, ``last_watch_end``, ``synced_at`` (epoch s; null before its first
    sync) and ``metrics``: client-go 1.36's informer metrics by their Prometheus names
    (``InformerStats.metrics``: ``informer_queued_items``, ``informer_processing_latency_seconds``
    as count, sum, last and cumulative buckets, ``informer_store_resource_version``), sorted
    by resource."""
    last_end = last_end or {}
    synced_at = synced_at or {}
    informers = []
    for res in sorted(stats):
        st = stats[res]
        d = {f.name: getattr(st, f.name) for f in fields(st) if f.name != "processing_latency"}
        d.update(resource=res, features=gates_json(st.features), last_error=redact_text(st.last_error),
                 last_watch_end=last_end.get(res), synced_at=synced_at.get(res), metrics=st.metrics())
        informers.append(d)
    return {"kind": "stats", "time": time.time() if now is None else now, "context": context, "server": server,
            "informers": informers}


def stats_layout(rows: Sequence[Sequence[str]], width: int | None) -> tuple[list[int], list[int]]:
    """(columns shown, width of every column) for lines of at most ``width`` characters
    (None: every column, whole). LAST ERROR gets what the others leave, down to its title;
    while it would get less than ``_ERROR_WANTED`` (a third of the line, what it has to
    say, if less), the steps of ``STATS_FIT_STEPS`` apply in order."""
    widths = [len(c) for c in STATS_COLUMNS]
    for r in rows:
        for i, cell in enumerate(r):
            widths[i] = max(widths[i], len(cell))
    shown = list(range(len(STATS_COLUMNS)))
    if width is None:
        return shown, widths
    wanted = max(len(STATS_COLUMNS[_ERR]), min(widths[_ERR], _ERROR_WANTED, width // 3))

    def excess() -> int:
        return sum(widths[i] for i in shown if i != _ERR) + len(GAP) * (len(shown) - 1) + wanted - width

    for step in STATS_FIT_STEPS:
        if excess() <= 0:
            break
        i = STATS_COLUMNS.index(step[1])
        if step[0] == "drop":
            shown.remove(i)
        else:
            widths[i] = max(step[2], widths[i] - excess())
    widths[_ERR] = max(len(STATS_COLUMNS[_ERR]), min(widths[_ERR], wanted - excess()))
    return shown, widths


def stats_table(rows: Sequence[Sequence[str]], *, color: bool = False, width: int | None = None) -> list[str]:
    """Aligned lines (header first). With ``width`` every line fits in it (see
    ``stats_layout``; a line is cut only where even RESOURCE, STATE and LAST ERROR do not
    fit); without, every column is shown whole."""
    shown, widths = stats_layout(rows, width)
    last = shown[-1]

    def fmt(cells: Sequence[str]) -> str:
        parts = [truncate(cells[i], widths[i], middle=i == 0) for i in shown]
        line = GAP.join(p if i == last else p.ljust(widths[i]) for p, i in zip(parts, shown)).rstrip()
        return line[:width] if width is not None else line

    head = fmt(STATS_COLUMNS)
    out = [f"\x1b[1m{head}{_RESET}" if color else head]
    for r in rows:
        line = fmt(r)
        if color and r[1] in ("failed", "backing-off"):
            line = f"\x1b[31m{line}{_RESET}"
        out.append(line)
    return out


def output_width(stream: TextIO = sys.stdout) -> int | None:
    """How wide lines written to ``stream`` may be: ``$COLUMNS`` when set, else the
    terminal's width; None (no limit) for a pipe or a file, so ``kmon stats > log`` and
    scripts get every column."""
    try:
        cols = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        cols = 0
    if cols > 0:
        return cols
    try:
        if stream.isatty():
            return os.get_terminal_size(stream.fileno()).columns or None
    except (AttributeError, ValueError, OSError):
        pass
    return None
