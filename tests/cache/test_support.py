"""Backoff, clocks, the GC guard, and the no-Qt boundary."""

import gc
import subprocess
import sys
import threading

from kmon.cache import gcguard
from kmon.cache.backoff import Backoff
from kmon.cache.clock import Clock, FakeClock


def test_backoff_doubles_from_0_8_to_30_cap_without_jitter():
    clock = FakeClock()
    b = Backoff(clock=clock, rand=lambda: 0.0)
    got = [round(b.next(), 3) for _ in range(9)]
    assert got == [0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 30.0, 30.0, 30.0]


def test_backoff_jitter_is_up_to_twice_the_delay():
    b = Backoff(clock=FakeClock(), rand=lambda: 0.999999)
    assert 1.59 < b.next() < 1.6
    assert 3.19 < b.next() < 3.2
    real = Backoff(clock=FakeClock())
    for expected in (0.8, 1.6, 3.2):
        d = real.next()
        assert expected <= d <= 2 * expected


def test_backoff_resets_after_two_minutes_since_the_last_one():
    clock = FakeClock()
    b = Backoff(clock=clock, rand=lambda: 0.0)
    for _ in range(5):
        b.next()
    clock.step(119)
    assert b.next() == 25.6  # not yet: 119 s since the previous
    clock.step(120.5)
    assert b.next() == 0.8
    assert b.next() == 1.6


def test_fake_clock_sleep_wakes_on_step_and_on_stop():
    clock = FakeClock()
    results = []
    t = threading.Thread(target=lambda: results.append(clock.sleep(10, threading.Event())))
    t.start()
    assert clock.wait_for_sleepers(1)
    clock.step(5)
    assert t.is_alive()
    clock.step(5)
    t.join(5)
    assert results == [False]
    stop = threading.Event()
    t2 = threading.Thread(target=lambda: results.append(clock.sleep(10, stop)))
    t2.start()
    assert clock.wait_for_sleepers(1)
    stop.set()
    t2.join(5)
    assert results == [False, True]


def test_fake_clock_auto_advance_and_real_clock():
    clock = FakeClock(start=100.0, auto_advance=True)
    assert clock.sleep(3.5) is False
    assert clock.now() == 103.5 and clock.sleeps == [3.5]
    stop = threading.Event()
    stop.set()
    assert Clock().sleep(5, stop) is True
    assert Clock().sleep(0, None) is False


def test_gc_guard_is_refcounted_and_restores_the_previous_state():
    assert gc.isenabled()
    with gcguard.paused():
        assert not gc.isenabled()
        with gcguard.paused():
            assert gcguard.depth() == 2
        assert not gc.isenabled()
    assert gc.isenabled() and gcguard.depth() == 0
    gc.disable()
    try:
        with gcguard.paused():
            pass
        assert not gc.isenabled()  # was off before: stays off
    finally:
        gc.enable()


def test_gc_guard_concurrent_users_share_one_pause():
    inside = threading.Barrier(3)
    leave = threading.Event()

    def user():
        with gcguard.paused():
            inside.wait(5)
            leave.wait(5)

    threads = [threading.Thread(target=user) for _ in range(2)]
    for t in threads:
        t.start()
    inside.wait(5)
    assert not gc.isenabled() and gcguard.depth() == 2
    leave.set()
    for t in threads:
        t.join(5)
    assert gc.isenabled() and gcguard.depth() == 0


def test_kmon_cache_imports_no_qt():
    code = (
        "import sys, pkgutil, importlib, kmon.cache\n"
        "for m in pkgutil.iter_modules(kmon.cache.__path__): importlib.import_module('kmon.cache.' + m.name)\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'qasync', 'pyqtgraph', 'shiboken6')]\n"
        "print(len([m for m in sys.modules if m.startswith('kmon.cache')]))\n"
        "sys.exit(1 if bad else 0)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert int(r.stdout.strip()) >= 12


def test_gc_policy_installs_once_freezes_on_schedule_and_restores(monkeypatch):
    freezes = []
    monkeypatch.setattr(gcguard, "freeze", lambda: freezes.append(1))
    before = gc.get_threshold()
    p = gcguard.GcPolicy(thresholds=(50_000, 7, 9), freeze_every_deltas=10, freeze_every_seconds=3600)
    p.enabled = True
    try:
        assert p.note_deltas(100) is False  # not installed: does nothing
        assert p.install() is True and p.install() is False
        assert gc.get_threshold() == (50_000, 7, 9)
        assert p.note_deltas(0) is False  # idle, nothing pending
        assert p.note_deltas(9) is False
        assert p.note_deltas(1) is True and freezes == [1]
        assert p.note_deltas(0) is False  # nothing since the freeze
        p.freeze_every_seconds = 0.0
        assert p.note_deltas(1) is True  # time is up and a delta arrived
        assert p.stats()["freezes"] == 2
    finally:
        p.uninstall()
    assert gc.get_threshold() == before


def test_gc_policy_can_be_switched_off_by_environment(monkeypatch):
    monkeypatch.setenv("KMON_GC_POLICY", "off")
    p = gcguard.GcPolicy()
    assert p.install() is False and not p.installed


def test_gcguard_is_the_only_module_of_kmon_that_touches_the_collector():
    import ast
    import pathlib

    import kmon

    def imports_gc(path):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import) and any(a.name == "gc" for a in node.names):
                return True
            if isinstance(node, ast.ImportFrom) and node.module == "gc":
                return True
        return False

    root = pathlib.Path(kmon.__file__).parent
    assert sorted(str(p.relative_to(root)) for p in root.rglob("*.py") if imports_gc(p)) == ["cache/gcguard.py"]


def test_informer_gc_pauses_for_the_initial_list_freezes_once_synced_then_on_schedule(monkeypatch):
    freezes = []
    monkeypatch.setattr(gcguard, "freeze", lambda: freezes.append(1))
    g = gcguard.InformerGc(freeze_after_sync=True, use_policy=False, freeze_every=5)
    assert g.idle_timeout is None
    g.initial_list()
    assert gc.isenabled()  # not processing yet: no pause to leave hanging
    g.start()
    g.initial_list()
    g.initial_list()
    assert not gc.isenabled() and gcguard.depth() == 1
    g.synced()
    assert gc.isenabled() and gcguard.depth() == 0 and freezes == [1]
    g.initial_list()  # a relist after sync: no pause
    assert gc.isenabled()
    g.applied(3, 3)
    assert freezes == [1]
    g.applied(3, 6)
    assert freezes == [1, 1]
    g.stop()


def test_informer_gc_stop_ends_a_pause_still_held():
    g = gcguard.InformerGc(freeze_after_sync=False, use_policy=False, freeze_every=0)
    g.start()
    g.initial_list()
    assert not gc.isenabled()
    g.stop()
    assert gc.isenabled() and gcguard.depth() == 0
    g.initial_list()
    assert gc.isenabled()


def test_gui_thresholds_follow_the_policy_unless_overridden(monkeypatch):
    before = gc.get_threshold()
    installed = []
    monkeypatch.setattr(gcguard.policy, "enabled", True)
    monkeypatch.setattr(gcguard.policy, "install", lambda: installed.append(1))
    try:
        gcguard.install_thresholds((1234, 5, 6), override=False)
        assert installed == [1] and gc.get_threshold() == before
        gcguard.install_thresholds((1234, 5, 6), override=True)
        assert gc.get_threshold() == (1234, 5, 6)
        monkeypatch.setattr(gcguard.policy, "enabled", False)
        gcguard.install_thresholds((4321, 5, 6), override=False)
        assert installed == [1] and gc.get_threshold() == (4321, 5, 6)
    finally:
        gc.set_threshold(*before)


def test_collect_young_and_freeze_collects_first(monkeypatch):
    calls = []
    monkeypatch.setattr(gc, "collect", lambda gen=2: calls.append(("collect", gen)))
    monkeypatch.setattr(gcguard, "freeze", lambda: calls.append(("freeze",)))
    gcguard.collect_young_and_freeze()
    assert calls == [("collect", 1), ("freeze",)]
