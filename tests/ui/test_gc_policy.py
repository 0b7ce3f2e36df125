"""The GUI's memory timer: freeze the caches once synced, fix glibc's mmap threshold and
give the allocator's free pages back then, and every so often (kmon.ui.app.start_gc_policy)."""

from PySide6.QtWidgets import QWidget

from kmon.cache import gcguard, heap_trim
from kmon.ui.app import start_gc_policy


class _Workspace:
    def __init__(self) -> None:
        self.frozen = False
        self.synced = False

    def freeze_after_sync(self) -> bool:
        if self.synced and not self.frozen:
            self.frozen = True
            return True
        return False


def test_heap_is_trimmed_after_the_sync_and_then_on_schedule(qtbot, monkeypatch):
    trims = []
    monkeypatch.setattr(heap_trim, "trim", lambda: trims.append(1) or True)
    fixed = []
    monkeypatch.setattr(heap_trim, "fix_mmap_threshold", lambda: fixed.append(1) or True)
    monkeypatch.setattr(gcguard, "freeze", lambda: None)
    parent = QWidget()
    qtbot.addWidget(parent)
    ws = _Workspace()
    timer = start_gc_policy(ws, parent, refreeze_every=3600.0, trim_every=3600.0)
    timer.stop()  # ticked by hand below
    timer.timeout.emit()
    assert trims == [] and fixed == []  # not synced: nothing to give back yet, glibc's policy for the sync
    ws.synced = True
    timer.timeout.emit()
    assert ws.frozen and len(trims) == 1 and len(fixed) == 1  # at once after the sync
    timer.timeout.emit()
    assert len(trims) == 1  # not due again for an hour
    timer2 = start_gc_policy(ws, parent, refreeze_every=3600.0, trim_every=0.0)
    timer2.stop()
    timer2.timeout.emit()
    timer2.timeout.emit()
    assert len(trims) == 3  # due on every tick
