"""What the handlers received, said from the delta records alone (``notification_of``), on
both client-go paths: it must be exactly what a handler registered on the informer got."""

from __future__ import annotations

import pytest

from kmon.cache.features import FeatureGates
from kmon.cache.keys import DeletedFinalStateUnknown
from kmon.monitor.notifications import (LABELS, Notification, group_handlers_text, group_text, label_tooltip,
                                        notification_of)

from driven import Driven, pod

CLASSIC = FeatureGates.for_client_go("1.32")
CURRENT = FeatureGates()  # the default: client-go 1.36


def _script(d: Driven) -> None:
    d.relist([pod("a", rv="1"), pod("b", rv="2"), pod("c", rv="3")], "3")  # the initial list
    d.add(pod("d", rv="4"))
    d.update(pod("a", rv="5"))
    d.delete(pod("b", rv="6"))
    d.relist([pod("a", rv="5"), pod("d", rv="7"), pod("e", rv="8")], "8")  # c gone while not watching
    d.resync()


def _said(n: Notification) -> tuple:
    return (n.handler, n.initial, n.resync, n.final_state_unknown)


def _heard(method, a, b) -> tuple:
    if method == "on_add":
        return ("on_add", bool(b), False, False)
    if method == "on_update":
        return ("on_update", False, a["metadata"]["resourceVersion"] == b["metadata"]["resourceVersion"], False)
    return ("on_delete", False, False, isinstance(a, DeletedFinalStateUnknown))


@pytest.mark.parametrize("gates", [CLASSIC, CURRENT], ids=["1.32", "1.36"])
def test_each_record_says_the_notification_its_handlers_got(gates):
    d = Driven(gates)
    _script(d)
    said = [_said(notification_of(it.record)) for it in d.take()]
    heard = [_heard(*h) for h in d.heard()]
    assert said == heard
    # every kind of call appears: the script exercises them all
    assert {s[0] for s in said} == {"on_add", "on_update", "on_delete"}
    assert ("on_add", True, False, False) in said and ("on_delete", False, False, True) in said
    assert ("on_update", False, True, False) in said


def test_labels_versions_and_outcomes():
    d = Driven(CURRENT)
    d.relist([pod("a", rv="1"), pod("b", rv="2")], "2")
    d.relist([pod("a", rv="1"), pod("c", rv="9")], "9")
    d.update(pod("a", rv="10"))
    notes = [notification_of(it.record) for it in d.take()]
    assert [n.label for n in notes] == [
        "on_add (initial list)", "on_add (initial list)",
        "on_delete (tombstone)", "on_update (resync)", "on_add",
        "on_update",
    ]
    assert [n.outcome for n in notes[2:]] == ["deleted (final state unknown)", "unchanged", "added", "updated rv 1 → 10"]
    assert (notes[-1].old_rv, notes[-1].new_rv) == ("1", "10")
    assert notes[2].old_rv == "2" and notes[2].new_rv == ""
    assert all(n.label in LABELS and label_tooltip(n.label) for n in notes)
    assert "resync period is due" in notes[3].tooltip


def test_group_texts_say_counts_in_the_order_handlers_hear_them():
    d = Driven(CURRENT)
    d.relist([pod("a", rv="1"), pod("b", rv="2"), pod("c", rv="3")], "3")
    initial = d.take()[0].record.group
    assert group_text(initial, initial=True) == "initial list: ReplacedAll at rv 3: 0 deleted, 0 updated, 3 added, 0 unchanged"
    assert group_handlers_text(initial, initial=True) == "on_add (initial list) ×3"
    d.relist([pod("a", rv="1"), pod("b", rv="5"), pod("d", rv="6")], "6")
    g = d.take()[0].record.group
    assert group_text(g) == "ReplacedAll at rv 6: 1 deleted, 1 updated, 1 added, 1 unchanged"
    assert group_handlers_text(g) == "on_delete ×1, on_update ×1, on_add ×1, on_update (resync) ×1"
    d.resync()
    s = d.take()[0].record.group
    assert group_text(s) == "SyncAll at rv 6: resync of 3 objects"
    assert group_handlers_text(s) == "on_update (resync) ×3"
