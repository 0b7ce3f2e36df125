"""What persists between runs: window layout, open contexts, resources and client-go profile per
context, palette, hidden tree columns, thresholds.

Why this module exists: every widget reads and writes through one small typed wrapper, and
tests inject a ``QSettings`` on a temporary INI file so they never touch the user's settings.
Organisation "kmon", application "kmon".
"""

from __future__ import annotations

from urllib.parse import quote

from PySide6.QtCore import QByteArray, QSettings

__all__ = ["Settings", "default_qsettings"]


def default_qsettings() -> QSettings:
    return QSettings(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, "kmon", "kmon")


def _list(value) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


class Settings:
    def __init__(self, qsettings: QSettings | None = None) -> None:
        self.q = qsettings if qsettings is not None else default_qsettings()

    # window
    def geometry(self) -> QByteArray | None:
        v = self.q.value("window/geometry")
        return v if isinstance(v, QByteArray) and not v.isEmpty() else None

    def set_geometry(self, value: QByteArray) -> None:
        self.q.setValue("window/geometry", value)

    def window_state(self) -> QByteArray | None:
        v = self.q.value("window/state")
        return v if isinstance(v, QByteArray) and not v.isEmpty() else None

    def set_window_state(self, value: QByteArray) -> None:
        self.q.setValue("window/state", value)

    def splitter(self, name: str) -> QByteArray | None:
        v = self.q.value(f"window/splitter/{name}")
        return v if isinstance(v, QByteArray) and not v.isEmpty() else None

    def set_splitter(self, name: str, value: QByteArray) -> None:
        self.q.setValue(f"window/splitter/{name}", value)

    # contexts and resources
    def last_contexts(self) -> list[str]:
        return _list(self.q.value("session/contexts"))

    def set_last_contexts(self, names: list[str]) -> None:
        self.q.setValue("session/contexts", list(names))

    @staticmethod
    def _resources_key(context: str) -> str:
        # context names hold "/" and ":" (EKS ARNs): one key each, never a settings group
        return "session/resources_of/" + quote(context, safe="")

    def resources(self, context: str | None = None) -> list[str]:
        """The resources chosen for ``context``; for a context never configured (or None)
        the global list older versions kept (empty when there is none: the defaults)."""
        if context:
            key = self._resources_key(context)
            if self.q.contains(key):
                return _list(self.q.value(key))
        return _list(self.q.value("session/resources"))

    def set_resources(self, names: list[str], context: str | None = None) -> None:
        self.q.setValue(self._resources_key(context) if context else "session/resources", list(names))

    @staticmethod
    def _client_go_key(context: str) -> str:
        return "session/client_go_of/" + quote(context, safe="")

    def client_go(self, context: str) -> str | None:
        """The client-go minor whose informer path ``context`` runs ("1.32"); None: the
        latest kmon knows (never chosen, or chosen back)."""
        value = self.q.value(self._client_go_key(context))
        return str(value) if value else None

    def set_client_go(self, context: str, version: str | None) -> None:
        if version:
            self.q.setValue(self._client_go_key(context), version)
        else:
            self.q.remove(self._client_go_key(context))

    # appearance
    def palette(self) -> str:
        """"system", "light" or "dark"."""
        v = str(self.q.value("ui/palette", "system")).lower()
        return v if v in ("system", "light", "dark") else "system"

    def set_palette(self, name: str) -> None:
        self.q.setValue("ui/palette", name)

    def hidden_columns(self, view: str = "tree") -> list[str] | None:
        """Header texts of the columns the user hid in ``view`` ("tree", "log",
        "inspector"); None when never chosen (the view's own default holds)."""
        value = self.q.value(f"{view}/hidden_columns")
        return None if value is None else _list(value)

    def set_hidden_columns(self, names: list[str], view: str = "tree") -> None:
        # (an empty list is stored as one empty string: "chosen, none hidden")
        self.q.setValue(f"{view}/hidden_columns", list(names) or "")

    # behaviour
    def freshness_thresholds(self) -> tuple[float, float]:
        amber = float(self.q.value("freshness/amber", 60.0))
        red = float(self.q.value("freshness/red", 120.0))
        return amber, max(red, amber)

    def keep_deleted(self) -> bool:
        return str(self.q.value("tree/keep_deleted", "false")).lower() == "true"

    def set_keep_deleted(self, on: bool) -> None:
        self.q.setValue("tree/keep_deleted", "true" if on else "false")

    def sync(self) -> None:
        self.q.sync()
