"""Work queues: the buffer between "something changed" and "reconcile it".

Controllers are level-triggered (DESIGN.md): informer handlers do not act on
events, they only drop the object's *key* (``"namespace/name"``) into a
:class:`WorkQueue`, and workers take keys out and reconcile the current state.
The queue has the semantics of client-go's workqueue, which is what makes that
pattern safe:

* **de-duplication** -- a key added many times before a worker takes it is
  handed out once: ten events for one pod are one reconcile;
* **one worker per key** -- a key being processed (between :meth:`~WorkQueue.get`
  and :meth:`~WorkQueue.done`) is never handed to a second worker. If it is added
  again meanwhile, it is marked *dirty* and queued again when ``done`` is called,
  so the change that arrived during the reconcile is not lost, and the two
  reconciles never race;
* **delays** -- :meth:`~WorkQueue.add_after` adds a key once a delay has passed
  (``Result(requeue_after=...)``, periodic resyncs), on an injectable
  :class:`Clock`, so tests move time with :class:`FakeClock` instead of sleeping;
* **rate limiting** -- :meth:`~WorkQueue.add_rate_limited` re-adds a key that
  failed after a delay chosen by a :class:`RateLimiter`. The default (as in
  client-go's default controller rate limiter) is the larger of a per-key
  exponential backoff (5 ms, 10 ms, 20 ms ... capped at 1000 s) and an overall
  token bucket (10 qps, burst 100) that keeps a storm of failures from hammering
  the API server. :meth:`~WorkQueue.forget` resets a key's backoff after success.

Keys are any hashable value; in practice strings. The queue is not thread-safe:
it belongs to one event loop, like everything else in kybernetes.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections import deque
from collections.abc import Callable, Hashable
from typing import Protocol

__all__ = [
    "BucketRateLimiter", "Clock", "FakeClock", "ItemExponentialFailureRateLimiter", "MaxOfRateLimiter",
    "RateLimiter", "ShutDown", "SystemClock", "Timer", "WorkQueue", "default_controller_rate_limiter",
]


# --------------------------------------------------------------------------- clocks

class Timer(Protocol):
    def cancel(self) -> None: ...


class Clock(Protocol):
    """Monotonic time in seconds, and callbacks / sleeps at a point of that time."""

    def now(self) -> float: ...

    def call_at(self, when: float, callback: Callable[[], object]) -> Timer: ...

    async def sleep_until(self, when: float) -> None: ...


class SystemClock:
    """The event loop's monotonic clock (``loop.time()``); ``call_at`` is ``loop.call_at``."""

    def now(self) -> float:
        try:
            return asyncio.get_running_loop().time()
        except RuntimeError:  # not inside a loop; loop.time() is time.monotonic() too
            return time.monotonic()

    def call_at(self, when: float, callback: Callable[[], object]) -> Timer:
        return asyncio.get_running_loop().call_at(when, callback)

    async def sleep_until(self, when: float) -> None:
        await asyncio.sleep(max(0.0, when - self.now()))


class _FakeTimer:
    __slots__ = ("callback", "cancelled")

    def __init__(self, callback: Callable[[], object]) -> None:
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class FakeClock:
    """A clock that only moves when told to: ``advance(seconds)`` runs the timers that fell due.

    Timers fire in order of their deadline (ties in the order they were set), and
    :meth:`now` reads each timer's own deadline while its callback runs, so
    ``advance(10)`` behaves like ten seconds passing, not like a jump. Tasks woken by
    a timer (``sleep_until``) run at the next ``await`` of the test.
    """

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self._seq = itertools.count()
        self._timers: list[tuple[float, int, _FakeTimer]] = []

    def now(self) -> float:
        return self._now

    def call_at(self, when: float, callback: Callable[[], object]) -> Timer:
        timer = _FakeTimer(callback)
        heapq.heappush(self._timers, (when, next(self._seq), timer))
        return timer

    async def sleep_until(self, when: float) -> None:
        if when <= self._now:
            await asyncio.sleep(0)
            return
        fut = asyncio.get_running_loop().create_future()
        self.call_at(when, lambda: fut.done() or fut.set_result(None))
        await fut

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("time does not go backwards")
        end = self._now + seconds
        while self._timers and self._timers[0][0] <= end:
            when, _, timer = heapq.heappop(self._timers)
            self._now = max(self._now, when)
            if not timer.cancelled:
                timer.callback()
        self._now = end

    @property
    def pending_timers(self) -> int:
        return sum(1 for _, _, t in self._timers if not t.cancelled)


# --------------------------------------------------------------------------- rate limiters

class RateLimiter(Protocol):
    """Decides how long a failed key waits before it is retried."""

    def when(self, key: Hashable) -> float:
        """The delay (seconds) for this retry of ``key``; counts the retry."""
        ...

    def forget(self, key: Hashable) -> None:
        """``key`` succeeded: stop tracking it (its next failure starts from scratch)."""
        ...

    def num_requeues(self, key: Hashable) -> int: ...


class ItemExponentialFailureRateLimiter:
    """Per-key exponential backoff: ``base * 2**failures``, capped at ``max_delay``."""

    def __init__(self, *, base: float = 0.005, max_delay: float = 1000.0) -> None:
        self.base = base
        self.max_delay = max_delay
        self._failures: dict[Hashable, int] = {}

    def when(self, key: Hashable) -> float:
        exp = self._failures.get(key, 0)
        self._failures[key] = exp + 1
        if exp >= 1024:  # 2**exp would overflow a float long before this; it is capped anyway
            return self.max_delay
        return min(self.base * 2.0 ** exp, self.max_delay)

    def forget(self, key: Hashable) -> None:
        self._failures.pop(key, None)

    def num_requeues(self, key: Hashable) -> int:
        return self._failures.get(key, 0)


class BucketRateLimiter:
    """An overall token bucket: ``qps`` retries a second, ``burst`` saved up, shared by all keys.

    Every call reserves a token, possibly one that only exists in the future (the
    balance goes negative), and returns how long until it exists. So concurrent
    failures line up ``1/qps`` apart instead of all retrying at once.
    """

    def __init__(self, *, qps: float = 10.0, burst: int = 100, clock: Clock | None = None) -> None:
        if qps <= 0:
            raise ValueError("qps must be positive")
        self.qps = qps
        self.burst = max(1, burst)
        self._clock = clock or SystemClock()
        self._tokens = float(self.burst)
        self._last: float | None = None

    def when(self, key: Hashable) -> float:
        now = self._clock.now()
        if self._last is not None:
            self._tokens = min(float(self.burst), self._tokens + (now - self._last) * self.qps)
        self._last = now
        self._tokens -= 1
        return 0.0 if self._tokens >= 0 else -self._tokens / self.qps

    def forget(self, key: Hashable) -> None:
        pass

    def num_requeues(self, key: Hashable) -> int:
        return 0


class MaxOfRateLimiter:
    """Asks every limiter and waits for the longest answer."""

    def __init__(self, *limiters: RateLimiter) -> None:
        if not limiters:
            raise ValueError("at least one rate limiter is needed")
        self.limiters = limiters

    def when(self, key: Hashable) -> float:
        # every limiter must be asked (each one counts the retry), so no max() over a generator
        # that could stop early
        delays = [limiter.when(key) for limiter in self.limiters]
        return max(delays)

    def forget(self, key: Hashable) -> None:
        for limiter in self.limiters:
            limiter.forget(key)

    def num_requeues(self, key: Hashable) -> int:
        return max(limiter.num_requeues(key) for limiter in self.limiters)


def default_controller_rate_limiter(*, clock: Clock | None = None) -> MaxOfRateLimiter:
    """client-go's default: per-key backoff 5 ms .. 1000 s, and 10 qps / burst 100 overall."""
    return MaxOfRateLimiter(ItemExponentialFailureRateLimiter(base=0.005, max_delay=1000.0),
                            BucketRateLimiter(qps=10.0, burst=100, clock=clock))


# --------------------------------------------------------------------------- the queue

class ShutDown(Exception):
    """Raised by :meth:`WorkQueue.get` once the queue is shut down and empty."""


class WorkQueue:
    """A de-duplicating, delaying, rate-limited work queue (see the module docstring).

    State, as in client-go: ``_queue`` holds keys in hand-out order; ``_dirty`` holds
    keys that need processing (queued, or re-added while processing); ``_processing``
    holds keys a worker has and has not yet called ``done`` for. A key is in
    ``_queue`` exactly when it is dirty and not processing.
    """

    def __init__(self, *, name: str = "", clock: Clock | None = None,
                 rate_limiter: RateLimiter | None = None) -> None:
        self.name = name
        self.clock: Clock = clock or SystemClock()
        self.rate_limiter: RateLimiter = rate_limiter or default_controller_rate_limiter(clock=self.clock)
        self._queue: deque[Hashable] = deque()
        self._dirty: set[Hashable] = set()
        self._processing: set[Hashable] = set()
        self._getters: deque[asyncio.Future[None]] = deque()
        # keys waiting for add_after, with their deadline and timer (one timer per key)
        self._waiting: dict[Hashable, tuple[float, Timer]] = {}
        self._shutting_down = False
        self._drained: asyncio.Event | None = None

    # ---- basic queue

    def add(self, key: Hashable) -> None:
        """Queue ``key`` unless it is already queued; if it is being processed, queue it after ``done``."""
        if self._shutting_down or key in self._dirty:
            return
        self._dirty.add(key)
        if key in self._processing:
            return  # done() will queue it: one worker per key
        self._queue.append(key)
        self._wake_one()

    def get_nowait(self) -> Hashable:
        """The next key, marked as processing; :class:`asyncio.QueueEmpty` if none is ready."""
        if not self._queue:
            if self._shutting_down:
                raise ShutDown(self.name)
            raise asyncio.QueueEmpty
        key = self._queue.popleft()
        self._processing.add(key)
        self._dirty.discard(key)
        return key

    async def get(self) -> Hashable:
        """Wait for the next key. After :meth:`shut_down`, queued keys are still handed out,
        then :class:`ShutDown` is raised (to every waiting and later caller)."""
        while not self._queue:
            if self._shutting_down:
                raise ShutDown(self.name)
            waiter = asyncio.get_running_loop().create_future()
            self._getters.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                # If we were woken for a key and cancelled before taking it, pass the wake-up on,
                # or the key would sit in the queue while another getter sleeps.
                if waiter.done() and not waiter.cancelled():
                    self._wake_one()
                else:
                    try:
                        self._getters.remove(waiter)
                    except ValueError:
                        pass
                raise
        return self.get_nowait()

    def done(self, key: Hashable) -> None:
        """The worker is finished with ``key``; if it was added meanwhile, queue it again now."""
        self._processing.discard(key)
        if key in self._dirty:
            self._queue.append(key)
            self._wake_one()
        if self._drained is not None and not self._processing:
            self._drained.set()

    def __len__(self) -> int:
        """Keys ready to be handed out (not counting those processing or waiting for a delay)."""
        return len(self._queue)

    def is_processing(self, key: Hashable) -> bool:
        return key in self._processing

    @property
    def shutting_down(self) -> bool:
        return self._shutting_down

    def shut_down(self) -> None:
        """Refuse new keys and wake every waiting getter; delayed keys are dropped."""
        self._shutting_down = True
        for _, timer in self._waiting.values():
            timer.cancel()
        self._waiting.clear()
        while self._getters:
            waiter = self._getters.popleft()
            if not waiter.done():
                waiter.set_result(None)

    async def shut_down_with_drain(self) -> None:
        """Shut down, then wait until every key handed out has been marked ``done``."""
        self.shut_down()
        if self._processing:
            if self._drained is None:
                self._drained = asyncio.Event()
            await self._drained.wait()

    def _wake_one(self) -> None:
        while self._getters:
            waiter = self._getters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    # ---- delays

    def add_after(self, key: Hashable, delay: float) -> None:
        """Add ``key`` once ``delay`` seconds have passed (at once if ``delay <= 0``).

        A key already waiting keeps the earlier of its two deadlines, so a retry in 10 s
        followed by a resync in 5 min still happens in 10 s.
        """
        if self._shutting_down:
            return
        if delay <= 0:
            self.add(key)
            return
        ready_at = self.clock.now() + delay
        existing = self._waiting.get(key)
        if existing is not None:
            if existing[0] <= ready_at:
                return
            existing[1].cancel()
        timer = self.clock.call_at(ready_at, lambda: self._ready(key, ready_at))
        self._waiting[key] = (ready_at, timer)

    def _ready(self, key: Hashable, ready_at: float) -> None:
        entry = self._waiting.get(key)
        if entry is None or entry[0] != ready_at:
            return  # superseded by an earlier deadline, or dropped by shut_down
        del self._waiting[key]
        self.add(key)

    @property
    def num_waiting(self) -> int:
        """Keys waiting for their ``add_after`` delay."""
        return len(self._waiting)

    # ---- rate limiting

    def add_rate_limited(self, key: Hashable) -> None:
        """Add ``key`` after the rate limiter's delay (the retry path after a failure)."""
        self.add_after(key, self.rate_limiter.when(key))

    def forget(self, key: Hashable) -> None:
        """``key`` was handled: reset its backoff. (It does not remove the key from the queue.)"""
        self.rate_limiter.forget(key)

    def num_requeues(self, key: Hashable) -> int:
        return self.rate_limiter.num_requeues(key)
