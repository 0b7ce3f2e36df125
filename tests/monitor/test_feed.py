import threading
from types import SimpleNamespace

from kmon.monitor.feed import DeltaItem, Feed, ReflectorItem, SessionItem, attach

from .helpers import delta, refl


def test_put_extend_drain_in_order():
    f = Feed()
    f.put(1)
    f.extend([2, 3])
    assert len(f) == 3 and f
    assert f.drain() == [1, 2, 3]
    assert len(f) == 0 and not f
    assert f.drain() == []
    assert f.high_water == 3


def test_drain_max_items():
    f = Feed(range(10))
    assert f.drain(4) == [0, 1, 2, 3]
    assert f.drain() == list(range(4, 10))


def test_many_producers_one_consumer_lose_nothing():
    f = Feed()
    n, producers = 50_000, 4
    got: list = []
    done = threading.Event()

    def produce(p):
        for i in range(n):
            f.put((p, i))

    def consume():
        while not done.is_set() or len(f):
            got.extend(f.drain())

    c = threading.Thread(target=consume)
    c.start()
    ps = [threading.Thread(target=produce, args=(p,)) for p in range(producers)]
    for t in ps:
        t.start()
    for t in ps:
        t.join()
    done.set()
    c.join(10)
    assert len(got) == n * producers
    for p in range(producers):  # each producer's items stay in order
        assert [i for q, i in got if q == p] == list(range(n))


def test_session_item_defaults():
    s = SessionItem("ctx", None, "error", "boom", "failed")
    assert s.time > 0 and s.detail is None


def test_attach_wires_both_listeners():
    listeners = {}
    inf = SimpleNamespace(
        add_delta_listener=lambda fn: listeners.setdefault("delta", fn),
        add_reflector_listener=lambda fn: listeners.setdefault("refl", fn),
    )
    f = Feed()
    attach(inf, f, "ctx", "pods")
    d1, d2 = delta(name="a").record, delta(name="b").record
    listeners["delta"]([d1, d2])
    ev = refl("Bookmark", "7").event
    listeners["refl"](ev)
    items = f.drain()
    assert items == [DeltaItem("ctx", "pods", d1), DeltaItem("ctx", "pods", d2), ReflectorItem("ctx", "pods", ev)]
    assert items[0].time == d1.time and items[2].time == ev.time


def test_200k_puts_drain_in_order_in_one_batch():
    """How fast informer threads can put is measured by benchmarks/bench_gui_ops.py (feed)."""
    f = Feed()
    n = 200_000
    for i in range(n):
        f.put(i)
    assert f.drain() == list(range(n))
    assert f.drain() == []
