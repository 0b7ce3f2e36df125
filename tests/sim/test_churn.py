"""The churn thread's token bucket, on a virtual clock: batches per wake-up, the rate held,
no spinning when there is nothing to write, no burst after a stall."""

from kmon.sim.churn import ChurnThread


class VirtualClock:
    """``monotonic()`` and a stop flag whose ``wait(delay)`` moves time on by ``delay`` plus
    ``oversleep`` (a wake-up the OS delivers late); set once ``seconds`` have passed."""

    def __init__(self, seconds: float, oversleep: float = 0.0) -> None:
        self.now = 1000.0
        self.end = self.now + seconds
        self.oversleep = oversleep
        self.wakeups = 0  # waits: one per tick when the loop keeps up
        self.spins = 0  # sleep(0): the loop was behind and went on without waiting
        self.stall_at: float | None = None  # (now, seconds): one wait takes that long
        self.stall = 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.spins += 1
        self.now += max(seconds, 1e-5)

    def is_set(self) -> bool:
        return self.now >= self.end

    def wait(self, delay: float) -> bool:
        self.wakeups += 1
        self.now += delay + self.oversleep
        if self.stall_at is not None and self.now >= self.stall_at:
            self.now += self.stall
            self.stall_at = None
        return self.is_set()


class Writer:
    """A workload that writes what it is asked (``limit``: nothing beyond that many)."""

    def __init__(self, limit: float = float("inf")) -> None:
        self.writes = 0
        self.batches: list[int] = []
        self.limit = limit

    def churn(self, n: int) -> int:
        n = int(min(n, self.limit - self.writes))
        self.writes += n
        self.batches.append(n)
        return n


def test_paced_churn_holds_the_rate_in_batches_when_wakeups_come_late():
    w = Writer()
    t = ChurnThread(w.churn, lambda: w.writes, rate=1000.0, max_batch=64)
    clock = VirtualClock(1.5, oversleep=0.004)
    t.run(clock, clock)
    assert 1490 <= w.writes <= 1510, w.writes  # 1,000/s for 1.5 s
    assert w.writes / clock.wakeups > 5, (w.writes, clock.wakeups)  # ~14 writes per 14 ms wake-up
    assert max(w.batches) <= 64 and clock.spins == 0
    assert 990 <= t.achieved_rate <= 1010, t.achieved_rate


def test_nothing_to_write_waits_a_tick_instead_of_spinning():
    w = Writer(limit=0)
    t = ChurnThread(w.churn, lambda: w.writes, rate=500.0, max_batch=64)
    clock = VirtualClock(0.5)
    t.run(clock, clock)
    assert w.writes == 0 and clock.spins == 0
    assert clock.wakeups <= 0.5 / t.TICK + 1


def test_a_stall_is_forgiven_beyond_half_a_second_of_writes():
    w = Writer()
    t = ChurnThread(w.churn, lambda: w.writes, rate=1000.0, max_batch=10_000)
    clock = VirtualClock(6.0)
    clock.stall_at, clock.stall = 1000.2, 5.0  # the process stops for 5 s
    t.run(clock, clock)
    assert max(w.batches) == 500  # the debt owed for 5 s is capped at rate x 0.5
