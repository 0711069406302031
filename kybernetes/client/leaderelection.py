"""Leader election over a ``coordination.k8s.io/v1`` Lease, with client-go's semantics.

Several replicas of a component (controller manager, scheduler) run a
:class:`LeaderElector` on the same Lease; at most one of them holds it and does the
work, the others wait to take over. The Lease's ``spec`` is the lock record:

* ``holderIdentity`` -- who holds it (``""`` once released);
* ``leaseDurationSeconds`` -- how long others must wait without seeing a renewal;
* ``acquireTime`` / ``renewTime`` -- MicroTime stamps (RFC 3339 with microseconds);
* ``leaseTransitions`` -- how many times the holder changed.

How a candidate decides (one "try acquire or renew" step, as client-go's
``tryAcquireOrRenew``):

1. read the Lease; if there is none, create it holding it ourselves;
2. if the record differs from the one seen last time, remember it together with the
   *local* monotonic time of that observation. Expiry is judged from that local time,
   never from the remote ``renewTime``, so clock skew between machines does not matter:
   a lease is expired when nobody changed it for ``leaseDurationSeconds`` as seen here;
3. if someone else holds it and it has not expired, give up this round;
4. otherwise write the record with ourselves as holder (keeping ``acquireTime`` and the
   transition count when we already held it, else bumping ``leaseTransitions``). The
   write carries the ``resourceVersion`` that was read, so two candidates racing for an
   expired lease cannot both win: the loser gets ``409 Conflict`` and retries later.

The leader renews every ``retry_period``; when no renewal succeeded for
``renew_deadline`` it steps down (``on_stopped_leading``). Because
``renew_deadline < lease_duration``, it stops working before anybody else may take
over. With ``release_on_cancel`` a leader that is stopped clears ``holderIdentity``
so that a successor need not wait for the lease to expire.

Time is read from an injectable :class:`~kybernetes.client.workqueue.Clock` (monotonic
seconds); the timestamps written into the Lease come from the wall clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import math
import random
import socket
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import aiohttp

from .rest import APIStatusError, Client
from .workqueue import Clock, SystemClock

log = logging.getLogger(__name__)

__all__ = ["JITTER_FACTOR", "LeaderElector", "micro_time_now", "run_while_leading"]

GROUP, VERSION, PLURAL = "coordination.k8s.io", "v1", "leases"
JITTER_FACTOR = 1.2  # acquisition retries wait retry_period * (1 + rand * JITTER_FACTOR), as upstream

Callback = Callable[..., Any]


def micro_time_now() -> str:
    """The current wall-clock time as a Kubernetes MicroTime: ``2026-11-22T05:52:08.123456Z``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


async def _maybe_await(result: Any) -> None:
    if inspect.isawaitable(result):
        await result


class LeaderElector:
    """Campaign for, hold and renew one Lease. ``await run()`` until cancelled.

    ``on_started_leading()`` is called on becoming leader; if it returns an awaitable
    that is run as a task which is cancelled when leadership ends (the asyncio
    counterpart of client-go's leader context). ``on_stopped_leading()`` (sync or async)
    is called when leadership ends, whether lost or given up on cancellation.
    ``on_new_leader(identity)`` is called whenever a different holder is observed
    (ourselves included). With ``rejoin`` (the default) a replica that lost the lease
    campaigns again; with ``rejoin=False`` ``run()`` returns after losing it, as
    client-go's ``Run`` does.
    """

    def __init__(self, client: Client, *, lease_namespace: str, lease_name: str, identity: str,
                 lease_duration: float = 15.0, renew_deadline: float = 10.0, retry_period: float = 2.0,
                 clock: Clock | None = None, on_started_leading: Callback, on_stopped_leading: Callback,
                 on_new_leader: Callable[[str], Any] | None = None, release_on_cancel: bool = False,
                 rejoin: bool = True) -> None:
        if not identity:
            raise ValueError("leader election needs a non-empty identity")
        if lease_duration <= renew_deadline:
            raise ValueError("lease_duration must be greater than renew_deadline")
        if renew_deadline <= JITTER_FACTOR * retry_period:
            raise ValueError(f"renew_deadline must be greater than retry_period*{JITTER_FACTOR}")
        if retry_period <= 0:
            raise ValueError("retry_period must be greater than zero")
        self.client = client
        self.lease_namespace = lease_namespace
        self.lease_name = lease_name
        self.identity = identity
        self.lease_duration = lease_duration
        self.renew_deadline = renew_deadline
        self.retry_period = retry_period
        self.clock: Clock = clock or SystemClock()
        self.on_started_leading = on_started_leading
        self.on_stopped_leading = on_stopped_leading
        self.on_new_leader = on_new_leader
        self.release_on_cancel = release_on_cancel
        self.rejoin = rejoin

        self._leading = False
        self._observed_spec: dict | None = None  # the Lease spec seen last ...
        self._observed_time = 0.0                 # ... and the local time it was first seen
        self._observed_rv = ""
        self._reported_leader = ""
        self._work_task: asyncio.Task | None = None

    # ------------------------------------------------------------------ state
    @property
    def is_leader(self) -> bool:
        return self._leading

    @property
    def leader(self) -> str:
        """The holder identity last observed (``""`` if none)."""
        return (self._observed_spec or {}).get("holderIdentity") or ""

    @property
    def _lease_seconds(self) -> int:
        return max(1, math.ceil(self.lease_duration))

    # ------------------------------------------------------------------ main loop
    async def run(self) -> None:
        try:
            while True:
                await self._acquire()
                await self._start_leading()
                await self._renew_until_lost()
                log.info("lease %s/%s lost by %s", self.lease_namespace, self.lease_name, self.identity)
                await self._stop_leading()
                if not self.rejoin:
                    return
        finally:
            if self._leading:
                # cancelled while leading: stop the work first, then hand the lease back, so
                # that a successor never overlaps with work still running here
                await self._cancel_work()
                if self.release_on_cancel:
                    await self._release()
                await self._stop_leading()

    async def _acquire(self) -> None:
        log.info("%s attempting to acquire lease %s/%s", self.identity, self.lease_namespace, self.lease_name)
        while True:
            if await self._try_step():
                log.info("%s acquired lease %s/%s", self.identity, self.lease_namespace, self.lease_name)
                return
            jitter = self.retry_period * random.random() * JITTER_FACTOR
            await self.clock.sleep_until(self.clock.now() + self.retry_period + jitter)

    async def _renew_until_lost(self) -> None:
        while True:
            deadline = self.clock.now() + self.renew_deadline
            while True:
                if await self._try_step(timeout=max(0.0, deadline - self.clock.now())):
                    break
                if self.clock.now() + self.retry_period >= deadline:
                    return  # no renewal within renew_deadline: step down
                await self.clock.sleep_until(self.clock.now() + self.retry_period)
            await self.clock.sleep_until(self.clock.now() + self.retry_period)

    async def _start_leading(self) -> None:
        self._leading = True
        result = self.on_started_leading()
        if inspect.isawaitable(result):
            self._work_task = asyncio.ensure_future(result)

    async def _cancel_work(self) -> None:
        task, self._work_task = self._work_task, None
        if task is not None and not task.done():
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
            except Exception:
                log.exception("leader work of %s failed", self.identity)

    async def _stop_leading(self) -> None:
        if not self._leading:
            return
        await self._cancel_work()
        self._leading = False
        try:
            await _maybe_await(self.on_stopped_leading())
        except Exception:
            log.exception("on_stopped_leading of %s failed", self.identity)

    # ------------------------------------------------------------------ one step
    async def _try_step(self, timeout: float | None = None) -> bool:
        try:
            if timeout is None:
                return await self._try_acquire_or_renew()
            return await asyncio.wait_for(self._try_acquire_or_renew(), timeout=max(timeout, 0.001))
        except TimeoutError:
            log.warning("%s: lease %s/%s request timed out", self.identity, self.lease_namespace, self.lease_name)
        except APIStatusError as e:
            if e.code == 409:
                log.debug("%s: lease %s/%s changed under us: %s", self.identity, self.lease_namespace,
                          self.lease_name, e)
            else:
                log.warning("%s: lease %s/%s: %s", self.identity, self.lease_namespace, self.lease_name, e)
        except (aiohttp.ClientError, OSError, ValueError) as e:  # connection trouble: try again later
            log.warning("%s: lease %s/%s: %r", self.identity, self.lease_namespace, self.lease_name, e)
        return False

    def _observe(self, spec: dict, rv: str) -> None:
        if spec != self._observed_spec:
            self._observed_spec = dict(spec)
            self._observed_time = self.clock.now()
        self._observed_rv = rv
        holder = spec.get("holderIdentity") or ""
        if holder and holder != self._reported_leader:
            self._reported_leader = holder
            if self.on_new_leader is not None:
                try:
                    result = self.on_new_leader(holder)
                    if inspect.isawaitable(result):
                        asyncio.ensure_future(result)
                except Exception:
                    log.exception("on_new_leader of %s failed", self.identity)

    async def _try_acquire_or_renew(self) -> bool:
        now = micro_time_now()
        mine = {
            "holderIdentity": self.identity,
            "leaseDurationSeconds": self._lease_seconds,
            "acquireTime": now,
            "renewTime": now,
            "leaseTransitions": 0,
        }
        try:
            lease = await self.client.get(GROUP, VERSION, PLURAL, self.lease_name, namespace=self.lease_namespace)
        except APIStatusError as e:
            if e.code != 404:
                raise
            created = await self.client.create(GROUP, VERSION, PLURAL, {
                "apiVersion": f"{GROUP}/{VERSION}", "kind": "Lease",
                "metadata": {"name": self.lease_name, "namespace": self.lease_namespace},
                "spec": mine,
            }, namespace=self.lease_namespace)
            self._observe(created.get("spec") or {}, (created.get("metadata") or {}).get("resourceVersion", ""))
            return True

        spec = lease.get("spec") or {}
        self._observe(spec, (lease.get("metadata") or {}).get("resourceVersion", ""))
        holder = spec.get("holderIdentity") or ""
        duration = spec.get("leaseDurationSeconds") or self._lease_seconds
        i_hold_it = holder == self.identity
        if holder and not i_hold_it and self._observed_time + duration > self.clock.now():
            return False  # held by someone else and not expired (as observed here)

        if i_hold_it:
            # a renewal (or ours from an earlier life of this identity): not a transition
            mine["acquireTime"] = spec.get("acquireTime") or now
            mine["leaseTransitions"] = spec.get("leaseTransitions") or 0
        else:
            mine["leaseTransitions"] = (spec.get("leaseTransitions") or 0) + 1
        body = dict(lease)
        body["spec"] = {**spec, **mine}
        # the resourceVersion read above makes this a compare-and-swap: 409 if anyone wrote since
        updated = await self.client.replace(GROUP, VERSION, PLURAL, self.lease_name, body,
                                            namespace=self.lease_namespace)
        self._observe(updated.get("spec") or {}, (updated.get("metadata") or {}).get("resourceVersion", ""))
        return True

    async def _release(self) -> None:
        """Clear ``holderIdentity`` if we still hold the lease. A renewal cancelled in
        flight may still land after our read, so a 409 is retried (a few times)."""
        try:
            for attempt in range(3):
                lease = await asyncio.wait_for(
                    self.client.get(GROUP, VERSION, PLURAL, self.lease_name, namespace=self.lease_namespace),
                    timeout=self.renew_deadline)
                spec = lease.get("spec") or {}
                if spec.get("holderIdentity") != self.identity:
                    return
                now = micro_time_now()
                body = dict(lease)
                body["spec"] = {**spec, "holderIdentity": "", "leaseDurationSeconds": 1,
                                "acquireTime": now, "renewTime": now}
                try:
                    await asyncio.wait_for(
                        self.client.replace(GROUP, VERSION, PLURAL, self.lease_name, body,
                                            namespace=self.lease_namespace),
                        timeout=self.renew_deadline)
                except APIStatusError as e:
                    if e.code == 409 and attempt < 2:
                        continue
                    raise
                log.info("%s released lease %s/%s", self.identity, self.lease_namespace, self.lease_name)
                return
        except (APIStatusError, aiohttp.ClientError, OSError, TimeoutError, ValueError) as e:
            log.warning("%s failed to release lease %s/%s: %r", self.identity, self.lease_namespace,
                        self.lease_name, e)


async def run_while_leading(client: Client, work: Callable[[], Any], *, component: str, stop: asyncio.Event,
                            leader_elect: bool = True, lease_name: str, lease_namespace: str = "kube-system",
                            identity: str | None = None, lease_duration: float = 15.0,
                            renew_deadline: float = 10.0, retry_period: float = 2.0) -> None:
    """Run ``work()`` (a coroutine function) until ``stop`` is set -- under leader election
    on the Lease ``lease_namespace/lease_name`` (only the holder runs it; a replica that
    loses the lease cancels it and campaigns again), or at once without. A crash of
    ``work`` is raised. What kube-controller-manager and kube-scheduler share."""
    if leader_elect:
        identity = identity or f"{socket.gethostname()}_{uuid.uuid4()}"
        elector = LeaderElector(
            client, lease_namespace=lease_namespace, lease_name=lease_name, identity=identity,
            lease_duration=lease_duration, renew_deadline=renew_deadline, retry_period=retry_period,
            on_started_leading=work,
            on_stopped_leading=lambda: log.info("%s %s: leading stopped", component, identity),
            on_new_leader=lambda who: log.info("%s: new leader %s", component, who),
            release_on_cancel=True)
        task = asyncio.create_task(elector.run(), name=f"{component}-election")
    else:
        task = asyncio.create_task(work(), name=component)
    stopper = asyncio.create_task(stop.wait())
    try:
        done, _ = await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            task.result()  # surface a crash
    finally:
        for t in (task, stopper):
            t.cancel()
        for t in (task, stopper):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t  # a crash was already raised above by task.result()
