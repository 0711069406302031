"""Work queue and controller runner: client-go semantics, on a fake clock (nothing sleeps)."""

from __future__ import annotations

import asyncio
import logging

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from kybernetes.client.controller import Controller, Result
from kybernetes.client.workqueue import (
    BucketRateLimiter,
    FakeClock,
    ItemExponentialFailureRateLimiter,
    MaxOfRateLimiter,
    ShutDown,
    WorkQueue,
    default_controller_rate_limiter,
)


async def settle(rounds: int = 20) -> None:
    """Let woken tasks run (no time passes)."""
    for _ in range(rounds):
        await asyncio.sleep(0)


def drain(q: WorkQueue) -> list:
    out = []
    while len(q):
        key = q.get_nowait()
        out.append(key)
        q.done(key)
    return out


# --------------------------------------------------------------------------- basic queue

async def test_add_deduplicates():
    q = WorkQueue(clock=FakeClock())
    for key in ["a", "b", "a", "a", "c", "b"]:
        q.add(key)
    assert len(q) == 3
    assert [await q.get() for _ in range(3)] == ["a", "b", "c"]
    assert len(q) == 0


async def test_readd_while_processing_requeues_once_after_done():
    q = WorkQueue(clock=FakeClock())
    q.add("a")
    key = await q.get()
    assert key == "a" and q.is_processing("a")
    q.add("a")
    q.add("a")
    assert len(q) == 0  # not handed out again while processing
    q.done("a")
    assert len(q) == 1
    assert await q.get() == "a"
    q.done("a")
    assert len(q) == 0


async def test_done_without_readd_does_not_requeue():
    q = WorkQueue(clock=FakeClock())
    q.add("a")
    q.done(await q.get())
    assert len(q) == 0


async def test_waiting_getter_is_woken_by_add():
    q = WorkQueue(clock=FakeClock())
    getter = asyncio.create_task(q.get())
    await settle()
    assert not getter.done()
    q.add("x")
    assert await asyncio.wait_for(getter, 1) == "x"


async def test_shutdown_wakes_all_waiting_getters():
    q = WorkQueue(clock=FakeClock())
    getters = [asyncio.create_task(q.get()) for _ in range(3)]
    await settle()
    q.shut_down()
    results = await asyncio.wait_for(asyncio.gather(*getters, return_exceptions=True), 1)
    assert all(isinstance(r, ShutDown) for r in results)
    q.add("late")  # ignored after shutdown
    assert len(q) == 0
    with pytest.raises(ShutDown):
        await q.get()


async def test_shutdown_still_hands_out_queued_keys_then_raises():
    q = WorkQueue(clock=FakeClock())
    q.add("a")
    q.shut_down()
    assert await q.get() == "a"
    with pytest.raises(ShutDown):
        await q.get()


async def test_shut_down_with_drain_waits_for_processing():
    q = WorkQueue(clock=FakeClock())
    q.add("a")
    key = await q.get()
    drainer = asyncio.create_task(q.shut_down_with_drain())
    await settle()
    assert not drainer.done()
    q.done(key)
    await asyncio.wait_for(drainer, 1)


async def test_cancelled_getter_passes_its_wakeup_on():
    q = WorkQueue(clock=FakeClock())
    first = asyncio.create_task(q.get())
    second = asyncio.create_task(q.get())
    await settle()
    q.add("a")      # wakes `first`...
    first.cancel()  # ...which is cancelled before it takes the key
    await settle()
    assert first.cancelled()
    assert await asyncio.wait_for(second, 1) == "a"


async def test_four_workers_never_process_one_key_concurrently():
    q = WorkQueue(clock=FakeClock())
    active: set[str] = set()
    overlaps: list[str] = []
    processed: list[str] = []

    async def worker():
        while True:
            try:
                key = await q.get()
            except ShutDown:
                return
            if key in active:
                overlaps.append(key)
            active.add(key)
            await settle(3)  # hold the key across other workers' turns
            # re-add while processing: must come back later, never concurrently
            if processed.count(key) < 3:
                q.add(key)
            processed.append(key)
            active.discard(key)
            q.done(key)

    workers = [asyncio.create_task(worker()) for _ in range(4)]
    for _ in range(5):
        for key in ["a", "b", "a", "c", "a"]:
            q.add(key)
        await settle(2)
    while len(q) or any(q.is_processing(k) for k in "abc"):
        await settle()
    q.shut_down()
    await asyncio.wait_for(asyncio.gather(*workers), 1)
    assert overlaps == []
    assert set(processed) == {"a", "b", "c"}


# --------------------------------------------------------------------------- delays

async def test_add_after_orders_by_deadline():
    clock = FakeClock()
    q = WorkQueue(clock=clock)
    q.add_after("slow", 3)
    q.add_after("fast", 1)
    q.add_after("mid", 2)
    q.add_after("now", 0)
    assert drain(q) == ["now"]
    clock.advance(0.5)
    assert len(q) == 0 and q.num_waiting == 3
    clock.advance(1.0)
    assert drain(q) == ["fast"]
    clock.advance(10)
    assert drain(q) == ["mid", "slow"]
    assert q.num_waiting == 0


async def test_add_after_keeps_the_earlier_deadline():
    clock = FakeClock()
    q = WorkQueue(clock=clock)
    q.add_after("a", 10)
    q.add_after("a", 2)
    q.add_after("a", 5)
    clock.advance(2)
    assert drain(q) == ["a"]
    clock.advance(100)
    assert len(q) == 0  # the superseded timers do not add it again


async def test_add_after_wakes_a_waiting_getter():
    clock = FakeClock()
    q = WorkQueue(clock=clock)
    getter = asyncio.create_task(q.get())
    q.add_after("a", 5)
    await settle()
    assert not getter.done()
    clock.advance(5)
    assert await asyncio.wait_for(getter, 1) == "a"


async def test_shutdown_drops_delayed_keys():
    clock = FakeClock()
    q = WorkQueue(clock=clock)
    q.add_after("a", 1)
    q.shut_down()
    clock.advance(2)
    assert len(q) == 0 and clock.pending_timers == 0


async def test_fake_clock_sleep_until():
    clock = FakeClock(start=100)
    sleeper = asyncio.create_task(clock.sleep_until(105))
    await settle()
    clock.advance(4)
    await settle()
    assert not sleeper.done()
    clock.advance(1)
    await asyncio.wait_for(sleeper, 1)
    assert clock.now() == 105


# --------------------------------------------------------------------------- rate limiting

def test_exponential_backoff_doubles_caps_and_forget_resets():
    rl = ItemExponentialFailureRateLimiter(base=0.005, max_delay=1000)
    delays = [rl.when("a") for _ in range(20)]
    assert delays[:5] == pytest.approx([0.005, 0.01, 0.02, 0.04, 0.08])
    assert delays[-1] == 1000 and max(delays) == 1000
    assert rl.num_requeues("a") == 20
    assert rl.when("b") == pytest.approx(0.005)  # per key
    rl.forget("a")
    assert rl.num_requeues("a") == 0
    assert rl.when("a") == pytest.approx(0.005)
    for _ in range(5000):  # no overflow however long it fails
        rl.when("c")
    assert rl.when("c") == 1000


def test_token_bucket_limits_after_burst_and_refills():
    clock = FakeClock()
    bucket = BucketRateLimiter(qps=10, burst=100, clock=clock)
    assert [bucket.when(i) for i in range(100)] == [0.0] * 100
    # the burst is spent: further reservations line up 1/qps apart
    assert [bucket.when(i) for i in range(3)] == pytest.approx([0.1, 0.2, 0.3])
    clock.advance(10)  # 100 tokens back, minus the 3 owed
    assert bucket.when("x") == 0.0


async def test_queue_rate_limited_takes_max_of_backoff_and_bucket():
    clock = FakeClock()
    q = WorkQueue(clock=clock, rate_limiter=default_controller_rate_limiter(clock=clock))
    # per-key backoff: 5 ms, 10 ms, 20 ms
    for expected in [0.005, 0.01, 0.02]:
        q.add_rate_limited("a")
        clock.advance(expected * 0.99)
        assert len(q) == 0
        clock.advance(expected * 0.02)
        assert drain(q) == ["a"]
    assert q.num_requeues("a") == 3
    q.forget("a")
    assert q.num_requeues("a") == 0
    # a storm of distinct failing keys: the first 100 are limited by backoff only,
    # then the bucket (10 qps) spreads the rest
    clock.advance(100)
    for i in range(110):
        q.add_rate_limited(f"k{i}")
    clock.advance(0.005)
    assert len(drain(q)) == 100  # the bucket refilled to its burst while idle
    clock.advance(0.1 - 0.005 + 1e-9)
    assert drain(q) == ["k100"]
    clock.advance(0.1)
    assert drain(q) == ["k101"]


def test_max_of_rate_limiter_asks_all_limiters():
    clock = FakeClock()
    rl = MaxOfRateLimiter(ItemExponentialFailureRateLimiter(base=1, max_delay=8),
                          BucketRateLimiter(qps=1, burst=2, clock=clock))
    assert [rl.when("a") for _ in range(5)] == [1, 2, 4, 8, 8]  # bucket: 0, 0, 1, 2, 3
    assert rl.when("b") == 4  # backoff says 1, the bucket is 4 tokens behind
    assert rl.num_requeues("a") == 5
    rl.forget("a")
    assert rl.num_requeues("a") == 0


# --------------------------------------------------------------------------- controller

async def test_controller_retries_failures_with_backoff_then_forgets():
    clock = FakeClock()
    q = WorkQueue(clock=clock)
    calls: list[str] = []

    async def reconcile(key):
        calls.append(key)
        if len(calls) <= 3:
            raise RuntimeError("boom")

    ctl = Controller("test", reconcile, workers=2, queue=q)
    runner = asyncio.create_task(ctl.run())
    ctl.enqueue("ns/a")
    await settle()
    assert calls == ["ns/a"] and ctl.errors == 1 and q.num_requeues("ns/a") == 1
    for n, delay in enumerate([0.005, 0.01, 0.02], start=2):
        clock.advance(delay * 0.9)
        await settle()
        assert len(calls) == n - 1  # not before the backoff
        clock.advance(delay * 0.1)
        await settle()
        assert len(calls) == n
    assert ctl.errors == 3 and ctl.reconciles == 4
    assert q.num_requeues("ns/a") == 0  # success forgets the backoff
    clock.advance(1000)
    await settle()
    assert len(calls) == 4
    ctl.stop()
    await asyncio.wait_for(runner, 1)


async def test_controller_requeue_after_and_requeue():
    clock = FakeClock()
    q = WorkQueue(clock=clock)
    calls: list[tuple[str, float]] = []

    async def reconcile(key):
        calls.append((key, clock.now()))
        if key == "periodic":
            return Result(requeue_after=30)
        if key == "again" and len(calls) < 3:
            return Result(requeue=True)
        return None

    ctl = Controller("test", reconcile, workers=1, queue=q)
    runner = asyncio.create_task(ctl.run())
    ctl.enqueue("periodic")
    await settle()
    clock.advance(30)
    await settle()
    clock.advance(30)
    await settle()
    assert calls == [("periodic", 0), ("periodic", 30), ("periodic", 60)]
    assert q.num_requeues("periodic") == 0
    ctl.stop()
    await asyncio.wait_for(runner, 1)

    calls.clear()
    q2 = WorkQueue(clock=clock)
    ctl2 = Controller("test2", reconcile, queue=q2)
    runner = asyncio.create_task(ctl2.run())
    ctl2.enqueue("again")
    await settle()
    clock.advance(0.005)
    await settle()
    assert [k for k, _ in calls] == ["again", "again"]
    assert q2.num_requeues("again") == 2
    clock.advance(0.01)
    await settle()
    assert len(calls) == 3  # third time it is done: backoff forgotten
    assert q2.num_requeues("again") == 0
    ctl2.stop()
    await asyncio.wait_for(runner, 1)


async def test_controller_logs_failures(caplog):
    clock = FakeClock()

    async def reconcile(key):
        raise ValueError("bad spec")

    ctl = Controller("logger", reconcile, queue=WorkQueue(clock=clock))
    runner = asyncio.create_task(ctl.run())
    with caplog.at_level(logging.ERROR, logger="kybernetes.client.controller"):
        ctl.enqueue("ns/x")
        await settle()
    assert "ns/x" in caplog.text and "bad spec" in caplog.text
    ctl.stop()
    await asyncio.wait_for(runner, 1)


async def test_controller_stop_lets_the_current_reconcile_finish():
    clock = FakeClock()
    release = asyncio.Event()
    finished: list[str] = []

    async def reconcile(key):
        await release.wait()
        finished.append(key)

    q = WorkQueue(clock=clock)
    ctl = Controller("test", reconcile, workers=3, queue=q)
    runner = asyncio.create_task(ctl.run())
    ctl.enqueue("a")
    await settle()
    ctl.stop()
    await settle()
    assert not runner.done()
    release.set()
    await asyncio.wait_for(runner, 1)
    assert finished == ["a"] and not q.is_processing("a")


# --------------------------------------------------------------------------- properties

KEYS = st.sampled_from(["a", "b", "c", "d"])


class QueueMachine(RuleBasedStateMachine):
    """A model of the queue: every key added after its last get is still owed a get."""

    def __init__(self):
        super().__init__()
        self.q = WorkQueue(clock=FakeClock())
        self.processing: set[str] = set()
        self.owed: set[str] = set()  # added since its last get

    @rule(key=KEYS)
    def add(self, key):
        self.q.add(key)
        self.owed.add(key)

    @rule()
    def get(self):
        try:
            key = self.q.get_nowait()
        except asyncio.QueueEmpty:
            assert not (self.owed - self.processing)  # nothing ready may be hidden
            return
        assert key not in self.processing, f"{key} handed to two workers"
        assert key in self.owed, f"{key} handed out without being added"
        self.processing.add(key)
        self.owed.discard(key)

    @precondition(lambda self: self.processing)
    @rule(data=st.data())
    def done(self, data):
        key = data.draw(st.sampled_from(sorted(self.processing)))
        self.q.done(key)
        self.processing.discard(key)

    @invariant()
    def ready_keys_are_exactly_the_owed_idle_ones(self):
        assert len(self.q) == len(self.owed - self.processing)

    def teardown(self):
        # finishing everything hands out every owed key exactly once more
        for key in list(self.processing):
            self.q.done(key)
        got = drain(self.q)
        assert sorted(got) == sorted(self.owed)


QueueMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
TestQueueMachine = QueueMachine.TestCase


@settings(max_examples=40, deadline=None)
@given(script=st.lists(st.tuples(KEYS, st.integers(0, 4)), min_size=1, max_size=30),
       holds=st.lists(st.integers(0, 4), min_size=1, max_size=10), workers=st.integers(1, 4))
def test_concurrent_workers_property(script, holds, workers):
    """Real asyncio workers, adds interleaved at random: no key is held by two workers,
    and every add is followed by a get of that key that starts after it."""

    async def scenario():
        q = WorkQueue(clock=FakeClock())
        active: set[str] = set()
        last_add: dict[str, int] = {}
        last_get: dict[str, int] = {}
        tick = 0
        n = 0

        async def worker():
            nonlocal n, tick
            while True:
                try:
                    key = await q.get()
                except ShutDown:
                    return
                assert key not in active, f"{key} handed to two workers"
                active.add(key)
                tick += 1
                last_get[key] = tick
                await settle(holds[n % len(holds)])
                n += 1
                active.discard(key)
                q.done(key)

        tasks = [asyncio.create_task(worker()) for _ in range(workers)]
        for key, pause in script:
            tick += 1
            last_add[key] = tick
            q.add(key)
            await settle(pause)
        while len(q) or active:
            await settle()
        await q.shut_down_with_drain()
        await asyncio.gather(*tasks)
        for key, added in last_add.items():
            assert last_get.get(key, -1) > added, f"{key} added at {added} but never got after"

    asyncio.run(scenario())
