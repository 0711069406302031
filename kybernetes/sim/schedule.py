"""Run a job for each of many keys once per interval, the keys spread evenly across it.

Thousands of simulated kubelets renewing their leases "every 10 s" must not all
wake up in the same millisecond: the API server would see a burst of thousands of
writes followed by silence. A :class:`SpreadSchedule` gives key ``i`` of ``n`` the
phase ``i/n`` of the interval and keeps that phase (the next run is due one
interval after the last was *due*, not after it finished), so the load is a flat
``n / interval`` jobs a second. One heap and one dispatcher serve all keys, and at
most ``concurrency`` jobs are in flight, which bounds connections and memory.

A failed job is retried sooner, with doubling delays capped at the interval; a job
that falls more than an interval behind (the server was down) is re-phased instead of
being run several times in a row to catch up.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
from collections.abc import Awaitable, Callable, Hashable, Sequence

log = logging.getLogger(__name__)

__all__ = ["SpreadSchedule"]

RETRY_INITIAL = 0.5


class SpreadSchedule:
    def __init__(self, name: str, keys: Sequence[Hashable], interval: float,
                 job: Callable[[Hashable], Awaitable[None]], *, concurrency: int = 64,
                 first_delay: float | None = None, clock: Callable[[], float] | None = None) -> None:
        """``first_delay``: when the first run of the earliest key is due (default: one
        interval, every key having just been written by registration)."""
        self.name = name
        self.interval = interval
        self.job = job
        self._clock = clock or asyncio.get_running_loop().time
        self._sem = asyncio.Semaphore(max(1, concurrency))
        self._seq = itertools.count()
        self._heap: list[tuple[float, int, Hashable]] = []
        self._failures: dict[Hashable, int] = {}
        self._wakeup = asyncio.Event()
        self._running: set[asyncio.Task] = set()
        self.runs = 0        # jobs finished, for tests and benchmarks
        self.errors = 0
        start = self._clock() + (interval if first_delay is None else first_delay)
        n = max(1, len(keys))
        for i, key in enumerate(keys):
            self._push(start + interval * i / n, key)

    def _push(self, due: float, key: Hashable) -> None:
        heapq.heappush(self._heap, (due, next(self._seq), key))
        self._wakeup.set()

    async def run(self) -> None:
        """Dispatch until cancelled; jobs in flight are cancelled with it."""
        try:
            while True:
                if not self._heap:
                    self._wakeup.clear()
                    await self._wakeup.wait()
                    continue
                due = self._heap[0][0]
                delay = due - self._clock()
                if delay > 0:
                    # Sleep until due or until a push (an earlier retry may arrive). Not
                    # asyncio.wait_for: before Python 3.12 it can swallow a cancellation
                    # that coincides with the event, and the schedule would never stop.
                    self._wakeup.clear()
                    timer = asyncio.get_running_loop().call_later(delay, self._wakeup.set)
                    try:
                        await self._wakeup.wait()
                    finally:
                        timer.cancel()
                    continue
                await self._sem.acquire()
                due, _, key = heapq.heappop(self._heap)
                task = asyncio.create_task(self._run_one(due, key))
                self._running.add(task)
                task.add_done_callback(self._running.discard)
        finally:
            for task in list(self._running):
                task.cancel()
            if self._running:
                await asyncio.gather(*self._running, return_exceptions=True)

    async def _run_one(self, due: float, key: Hashable) -> None:
        try:
            await self.job(key)
        except asyncio.CancelledError:
            raise
        except Exception as e:
            self.errors += 1
            failures = self._failures.get(key, 0) + 1
            self._failures[key] = failures
            retry = min(self.interval, RETRY_INITIAL * 2 ** (failures - 1))
            log.warning("%s %s failed (%s); retrying in %.1fs", self.name, key, e, retry)
            self._push(self._clock() + retry, key)
            return
        finally:
            self._sem.release()
        self.runs += 1
        self._failures.pop(key, None)
        following = due + self.interval
        now = self._clock()
        if following < now - self.interval:   # fell far behind: re-phase rather than burst
            following = now + self.interval * (hash(key) % 1000) / 1000
        self._push(max(following, now), key)
