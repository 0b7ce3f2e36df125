"""What the event log shows: a filter (``EventFilter``) and the text a row is searched in.

Why this module exists: the filter is a value the controls build, the index applies
(``kmon.monitor.filtered_index``, which keeps the shown rows up to date batch by batch and
says how groups -- an atomic relist's header and members -- meet it) and tests compare with.
Qt-free.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kmon.monitor.journal import JournalRow

__all__ = ["EventFilter", "haystack"]


@dataclass(frozen=True)
class EventFilter:
    """What the event log shows. Hidden sets exclude (so types and resources that appear
    later are shown by default); ``hidden_notifications``: notification labels
    (``kmon.monitor.notifications.LABELS``) whose delta rows are hidden; ``namespace`` None
    means any; ``text`` is a case-insensitive substring of name, namespace, detail, type,
    resource, context, resourceVersion or notification."""

    hidden_types: frozenset[str] = field(default_factory=frozenset)
    hidden_resources: frozenset[str] = field(default_factory=frozenset)
    namespace: str | None = None
    text: str = ""
    contexts: frozenset[str] | None = None
    hidden_notifications: frozenset[str] = field(default_factory=frozenset)

    @property
    def empty(self) -> bool:
        return not (self.hidden_types or self.hidden_resources or self.namespace is not None
                    or self.text or self.contexts is not None or self.hidden_notifications)

    def matches(self, row: JournalRow) -> bool:
        """Whether a row passes on its own (a group member also needs its header's type
        shown; see the module doc)."""
        if row.type in self.hidden_types or row.resource in self.hidden_resources:
            return False
        if row.notification in self.hidden_notifications and row.members == 0:
            return False
        if self.namespace is not None and row.namespace != self.namespace:
            return False
        if self.contexts is not None and row.context not in self.contexts:
            return False
        return not self.text or self.text.lower() in haystack(row)


def haystack(row: JournalRow) -> str:
    """The text a filter's free text is looked for in (lower case)."""
    return "\x00".join(
        (row.name, row.namespace, row.detail, row.type, row.resource, row.context, row.resource_version,
         row.notification)
    ).lower()
