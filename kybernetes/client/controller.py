"""The controller runner: workers that take keys from a work queue and reconcile them.

This is the last link of informer -> work queue -> ``reconcile(key)`` (DESIGN.md,
"level-triggered"). Event handlers only call ``controller.queue.add(key)``; the
runner's workers do the rest, following controller-runtime's rules:

* ``reconcile(key)`` returns ``None`` (or ``Result()``): success, the key's backoff
  is forgotten;
* it returns ``Result(requeue_after=s)``: success, look again in ``s`` seconds
  (instead of sleeping inside reconcile, which would hold a worker);
* it returns ``Result(requeue=True)``: not done yet, retry with backoff;
* it raises: the error is logged and counted, and the key is retried with the
  queue's rate limiter (5 ms, 10 ms, 20 ms ... per key, 10 qps overall).

Whatever happens, the worker calls ``queue.done(key)``, so the work queue's
one-worker-per-key guarantee holds and a key re-added during the reconcile is
processed again right after. Since reconcile must be safe to run any number of
times, none of this needs to be exact, only eventually right.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass

from .workqueue import ShutDown, WorkQueue

__all__ = ["Controller", "Reconcile", "Result"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Result:
    """What a reconcile asks for next (``None`` means the same as ``Result()``: nothing)."""

    requeue_after: float | None = None
    requeue: bool = False


Reconcile = Callable[[Hashable], Awaitable["Result | None"]]


class Controller:
    """Runs ``workers`` concurrent reconcile loops over one :class:`WorkQueue` until :meth:`stop`."""

    def __init__(self, name: str, reconcile: Reconcile, *, workers: int = 1,
                 queue: WorkQueue | None = None) -> None:
        if workers < 1:
            raise ValueError("a controller needs at least one worker")
        self.name = name
        self.reconcile = reconcile
        self.workers = workers
        self.queue = queue if queue is not None else WorkQueue(name=name)
        self.reconciles = 0  # reconcile calls made
        self.errors = 0      # of which raised
        self._stopping = False

    def enqueue(self, key: Hashable) -> None:
        """For event handlers: ask for ``key`` to be reconciled."""
        self.queue.add(key)

    async def run(self) -> None:
        """Run the workers until :meth:`stop`; a reconcile in progress is let finish."""
        tasks = [asyncio.create_task(self._worker(), name=f"{self.name}-worker-{i}")
                 for i in range(self.workers)]
        log.info("controller %s: started %d workers", self.name, self.workers)
        try:
            await asyncio.gather(*tasks)
        finally:
            # on cancellation of run() itself, take the workers down with it
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            log.info("controller %s: stopped", self.name)

    def stop(self) -> None:
        """Stop handing out keys; workers exit after their current reconcile."""
        self._stopping = True
        self.queue.shut_down()

    async def _worker(self) -> None:
        while not self._stopping:
            try:
                key = await self.queue.get()
            except ShutDown:
                return
            try:
                await self._process(key)
            finally:
                self.queue.done(key)

    async def _process(self, key: Hashable) -> None:
        self.reconciles += 1
        try:
            result = await self.reconcile(key)
        except Exception:
            self.errors += 1
            log.exception("controller %s: reconcile %s failed (retry %d)", self.name, key,
                          self.queue.num_requeues(key) + 1)
            self.queue.add_rate_limited(key)
            return
        if result is not None and result.requeue_after is not None and result.requeue_after > 0:
            self.queue.forget(key)
            self.queue.add_after(key, result.requeue_after)
        elif result is not None and result.requeue:
            self.queue.add_rate_limited(key)
        else:
            self.queue.forget(key)
