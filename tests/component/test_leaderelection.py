"""Leader election against a real API server: two candidates on one Lease."""

from __future__ import annotations

import asyncio
import re

import pytest

from kybernetes.client.leaderelection import LeaderElector

MICRO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


class Candidate:
    def __init__(self, client, namespace: str, identity: str, *, release_on_cancel: bool = False) -> None:
        self.started = asyncio.Event()
        self.stopped = asyncio.Event()
        self.leaders: list[str] = []
        self.elector = LeaderElector(
            client, lease_namespace=namespace, lease_name="lock", identity=identity,
            lease_duration=1.0, renew_deadline=0.6, retry_period=0.2,
            on_started_leading=self.started.set, on_stopped_leading=self.stopped.set,
            on_new_leader=self.leaders.append, release_on_cancel=release_on_cancel)
        self.task = asyncio.create_task(self.elector.run())

    async def stop(self) -> None:
        self.task.cancel()
        try:
            await self.task
        except asyncio.CancelledError:
            pass


async def _first_leader(a: Candidate, b: Candidate) -> tuple[Candidate, Candidate]:
    done, _ = await asyncio.wait([asyncio.create_task(a.started.wait()), asyncio.create_task(b.started.wait())],
                                 timeout=5, return_when=asyncio.FIRST_COMPLETED)
    assert done, "nobody became leader"
    return (a, b) if a.elector.is_leader else (b, a)


async def _lease(client, namespace: str) -> dict:
    return await client.get("coordination.k8s.io", "v1", "leases", "lock", namespace=namespace)


@pytest.mark.parametrize("release", [False, True], ids=["expire", "release"])
async def test_one_leader_and_takeover(client, namespace, release):
    a = Candidate(client, namespace, "alpha", release_on_cancel=release)
    b = Candidate(client, namespace, "beta", release_on_cancel=release)
    try:
        leader, follower = await _first_leader(a, b)
        # several renew periods later there is still exactly one leader, and it is the same one
        await asyncio.sleep(0.7)
        assert leader.elector.is_leader and not follower.elector.is_leader
        assert not follower.started.is_set()

        lease = await _lease(client, namespace)
        spec = lease["spec"]
        assert spec["holderIdentity"] == leader.elector.identity
        assert spec["leaseDurationSeconds"] == 1
        assert MICRO_TIME.match(spec["acquireTime"]) and MICRO_TIME.match(spec["renewTime"])
        assert spec["renewTime"] > spec["acquireTime"]  # it has been renewed
        transitions = spec.get("leaseTransitions", 0)
        assert follower.leaders == [leader.elector.identity]

        loop = asyncio.get_running_loop()
        t0 = loop.time()
        await leader.stop()
        assert leader.stopped.is_set() and not leader.elector.is_leader
        await asyncio.wait_for(follower.started.wait(), timeout=5)
        took = loop.time() - t0
        assert follower.elector.is_leader
        if release:
            # no need to wait for the lease to expire
            assert took < 0.9, took

        spec = (await _lease(client, namespace))["spec"]
        assert spec["holderIdentity"] == follower.elector.identity
        assert spec["leaseTransitions"] == transitions + 1
        assert follower.leaders == [leader.elector.identity, follower.elector.identity]
    finally:
        await a.stop()
        await b.stop()


async def test_release_clears_holder(client, namespace):
    a = Candidate(client, namespace, "solo", release_on_cancel=True)
    await asyncio.wait_for(a.started.wait(), timeout=5)
    await a.stop()
    assert a.stopped.is_set()
    spec = (await _lease(client, namespace))["spec"]
    assert spec.get("holderIdentity", "") == ""


async def test_async_work_is_cancelled_on_stop(client, namespace):
    running = asyncio.Event()
    cancelled = asyncio.Event()

    async def work():
        running.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    elector = LeaderElector(client, lease_namespace=namespace, lease_name="work", identity="w",
                            lease_duration=1.0, renew_deadline=0.6, retry_period=0.2,
                            on_started_leading=work, on_stopped_leading=lambda: None)
    task = asyncio.create_task(elector.run())
    await asyncio.wait_for(running.wait(), timeout=5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cancelled.is_set() and not elector.is_leader


def test_rejects_bad_timings():
    with pytest.raises(ValueError):
        LeaderElector(None, lease_namespace="d", lease_name="l", identity="i", lease_duration=1, renew_deadline=2,
                      on_started_leading=print, on_stopped_leading=print)
    with pytest.raises(ValueError):
        LeaderElector(None, lease_namespace="d", lease_name="l", identity="", on_started_leading=print,
                      on_stopped_leading=print)
