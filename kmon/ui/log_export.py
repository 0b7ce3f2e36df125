"""Exporting the event log to a file: where, under which name, and telling how it went.

Why this module exists: an export is a small conversation with the desktop — its own save
dialog (the platform's or the portal's, never a Qt look-alike), opened where the user keeps
documents or where they saved the last export (remembered across runs), with a name that
says what the file holds (``kmon-events-<context>-<date>-<time>.jsonl``), and a clear word
when the file could not be written. The rows are written by ``kmon.monitor.journal``, which
redacts details (no Secret value can reach a file), on a thread of its own: 100,000 rows
take seconds, and the window must not freeze meanwhile.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any, Iterable

from PySide6.QtCore import QObject, QStandardPaths, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from kmon.monitor.journal import JournalRow, export_csv, export_jsonl

__all__ = ["EXPORT_DIR_KEY", "ExportJob", "ExportPlace", "default_file_name", "report_failure", "write_rows"]

EXPORT_DIR_KEY = "log/export_dir"
_FILTERS = {"jsonl": "JSON Lines (*.jsonl);;All files (*)", "csv": "CSV (*.csv);;All files (*)"}


def write_rows(rows: Iterable[JournalRow], path: str | os.PathLike[str], fmt: str | None = None) -> int:
    """Write rows as "jsonl" or "csv" (default: from the extension); returns how many."""
    fmt = fmt or ("csv" if str(path).lower().endswith(".csv") else "jsonl")
    return (export_csv if fmt == "csv" else export_jsonl)(rows, path)


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in name).strip("-.") or "context"


def default_file_name(fmt: str, contexts: Iterable[str] = (), now: float | None = None) -> str:
    """``kmon-events-<context>-<YYYYmmdd-HHMMSS>.<fmt>`` (no context part when the rows come
    from several contexts or none)."""
    ctxs = sorted(set(contexts))
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(time.time() if now is None else now))
    middle = f"{_safe(ctxs[0])}-" if len(ctxs) == 1 else ""
    return f"kmon-events-{middle}{stamp}.{fmt}"


class ExportPlace:
    """Where the next export dialog opens: the directory of the last export (kept in the
    settings when there are some), else the user's Documents folder, else their home."""

    def __init__(self, settings: Any = None) -> None:
        self.settings = settings
        self._last = ""

    @property
    def directory(self) -> str:
        last = self._last
        if not last and self.settings is not None:
            last = str(self.settings.q.value(EXPORT_DIR_KEY, "") or "")
        if last and os.path.isdir(last):
            return last
        docs = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        if docs and os.path.isdir(docs):
            return docs
        return os.path.expanduser("~")

    def remember(self, path: str) -> None:
        self._last = os.path.dirname(os.path.abspath(path))
        if self.settings is not None:
            self.settings.q.setValue(EXPORT_DIR_KEY, self._last)

    def ask(self, parent: QWidget, fmt: str, contexts: Iterable[str] = ()) -> str:
        """The desktop's save dialog; the chosen path ("" when cancelled)."""
        start = os.path.join(self.directory, default_file_name(fmt, contexts))
        path, _flt = QFileDialog.getSaveFileName(parent, "Export events", start, _FILTERS[fmt])
        if path and not os.path.splitext(path)[1]:
            path += f".{fmt}"  # (native dialogs do not all add the suffix)
        return path


class ExportJob(QObject):
    """Writes rows (a snapshot: ``JournalRow`` is immutable) to a file off the GUI thread;
    ``sigDone(path, rows written, why it failed or "")`` arrives on the GUI thread."""

    sigDone = Signal(str, int, str)

    def __init__(self, rows: list[JournalRow], path: str, fmt: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows, self.path, self.fmt = rows, path, fmt

    def start(self) -> None:
        # not a daemon: quitting waits for the file to be complete
        threading.Thread(target=self._run, name="kmon-export", daemon=False).start()

    def _run(self) -> None:
        try:
            n, why = write_rows(self.rows, self.path, self.fmt), ""
        except OSError as e:
            n, why = 0, e.strerror or str(e)
        try:
            self.sigDone.emit(self.path, n, why)
        except RuntimeError:  # the window closed meanwhile: the file is written all the same
            pass


def report_failure(parent: QWidget, path: str, why: str) -> QMessageBox:
    """Say, in a window-modal box the user cannot miss, that a file was not written."""
    box = QMessageBox(QMessageBox.Icon.Warning, "Export failed",
                      f"The events could not be written to\n{path}", QMessageBox.StandardButton.Ok, parent)
    box.setInformativeText(why)
    box.setObjectName("exportFailed")
    box.open()
    return box
