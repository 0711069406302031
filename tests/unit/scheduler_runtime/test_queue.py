"""The scheduling queue on a fake clock: ordering, back-off, unschedulable pods and the
events that move them, scheduling gates, the nominator."""

from __future__ import annotations

import asyncio

import pytest

from kybernetes.client.workqueue import FakeClock
from kybernetes.scheduler.interface import ClusterEvent
from kybernetes.scheduler.queue import (
    NODE_ADD,
    QueueClosed,
    SchedulingQueue,
    event_matches,
)
from kybernetes.scheduler.types import Code, PodInfo, Status


def pod(name: str, *, priority: int = 0, gates: list[str] | None = None, nominated: str = "", labels=None) -> dict:
    spec: dict = {"containers": [{"name": "c", "image": "x"}], "priority": priority}
    if gates:
        spec["schedulingGates"] = [{"name": g} for g in gates]
    status = {"nominatedNodeName": nominated} if nominated else {}
    return {"metadata": {"name": name, "namespace": "default", "uid": f"uid-{name}", "labels": labels or {}},
            "spec": spec, "status": status}


def gates_pre_enqueue(p: dict) -> Status:
    if (p.get("spec") or {}).get("schedulingGates"):
        return Status(Code.UNSCHEDULABLE_AND_UNRESOLVABLE, "waiting for scheduling gates", plugin="SchedulingGates")
    return Status()


def make_queue(clock: FakeClock, **kw) -> SchedulingQueue:
    kw.setdefault("events_to_register", {
        "NodeResourcesFit": [ClusterEvent("Node", "Add"), ClusterEvent("Pod", "Delete")],
        "TaintToleration": [ClusterEvent("Node", "Update")],
    })
    return SchedulingQueue(clock=clock, pre_enqueue=gates_pre_enqueue, **kw)


def names(q: SchedulingQueue) -> list[str]:
    out = []
    while (info := q.pop_nowait()) is not None:
        out.append(info.pod["metadata"]["name"])
        q.done(info.pod)
    return out


def test_priority_then_arrival_order():
    clock = FakeClock()
    q = make_queue(clock)
    q.add(pod("low-early", priority=0))
    clock.advance(1)
    q.add(pod("high", priority=100))
    clock.advance(1)
    q.add(pod("low-late", priority=0))
    assert names(q) == ["high", "low-early", "low-late"]


def test_priority_update_resorts_the_active_heap():
    clock = FakeClock()
    q = make_queue(clock)
    q.add(pod("a"))
    clock.advance(1)
    q.add(pod("b"))
    q.update(pod("b"), pod("b", priority=10))
    assert names(q) == ["b", "a"]


def test_error_backs_off_exponentially_up_to_the_max():
    clock = FakeClock()
    q = make_queue(clock, initial_backoff=1.0, max_backoff=10.0)
    q.add(pod("p"))
    expected = [1, 2, 4, 8, 10, 10]
    for want in expected:
        info = q.pop_nowait()
        assert info is not None
        assert q.backoff_duration(info) == want
        q.add_unschedulable_if_not_present(info, error=True)
        assert q.where(info.pod) == "backoff"
        clock.advance(want - 0.5)
        q.flush_backoff_completed()
        assert q.where(info.pod) == "backoff"
        clock.advance(0.5)
        q.flush_backoff_completed()
        assert q.where(info.pod) == "active"


def test_unschedulable_pod_waits_for_an_event_its_plugin_registered():
    clock = FakeClock()
    q = make_queue(clock)
    q.add(pod("p"))
    info = q.pop_nowait()
    info.unschedulable_plugins = {"NodeResourcesFit"}
    q.add_unschedulable_if_not_present(info)
    assert q.where(info.pod) == "unschedulable"
    # an event no rejecting plugin cares about leaves it there
    assert q.move_all_to_active_or_backoff(ClusterEvent("Node", "Update")) == 0
    assert q.where(info.pod) == "unschedulable"
    clock.advance(5)   # past its 1 s back-off
    assert q.move_all_to_active_or_backoff(NODE_ADD) == 1
    assert q.where(info.pod) == "active"


def test_moved_pod_still_backing_off_goes_to_backoffq():
    clock = FakeClock()
    q = make_queue(clock)
    q.add(pod("p"))
    info = q.pop_nowait()
    info.unschedulable_plugins = {"NodeResourcesFit"}
    q.add_unschedulable_if_not_present(info)
    q.move_all_to_active_or_backoff(ClusterEvent("Pod", "Delete"))
    assert q.where(info.pod) == "backoff"
    clock.advance(1)
    q.flush_backoff_completed()
    assert q.where(info.pod) == "active"


def test_event_while_in_flight_requeues_instead_of_parking():
    clock = FakeClock()
    q = make_queue(clock)
    q.add(pod("p"))
    q.add(pod("other"))
    info = q.pop_nowait()
    q.move_all_to_active_or_backoff(NODE_ADD)  # a node arrives while "p" is being scheduled
    info.unschedulable_plugins = {"NodeResourcesFit"}
    q.add_unschedulable_if_not_present(info)
    assert q.where(info.pod) == "backoff"


def test_unrelated_event_while_in_flight_still_parks():
    clock = FakeClock()
    q = make_queue(clock)
    q.add(pod("p"))
    info = q.pop_nowait()
    q.move_all_to_active_or_backoff(ClusterEvent("Node", "Update"))
    info.unschedulable_plugins = {"NodeResourcesFit"}
    q.add_unschedulable_if_not_present(info)
    assert q.where(info.pod) == "unschedulable"


def test_leftover_unschedulable_pods_are_retried_after_five_minutes():
    clock = FakeClock()
    q = make_queue(clock)
    q.add(pod("p"))
    info = q.pop_nowait()
    info.unschedulable_plugins = {"NodeResourcesFit"}
    q.add_unschedulable_if_not_present(info)
    clock.advance(299)
    assert q.flush_unschedulable_leftover() == 0
    clock.advance(2)
    assert q.flush_unschedulable_leftover() == 1
    assert q.where(info.pod) == "active"


def test_scheduling_gates_hold_a_pod_until_an_update_removes_them():
    clock = FakeClock()
    q = make_queue(clock)
    gated = pod("g", gates=["example.com/wait"])
    q.add(gated)
    assert q.where(gated) == "unschedulable"
    assert q.counts()["gated"] == 1
    assert q.pop_nowait() is None
    # cluster events never release a gated pod
    q.move_all_to_active_or_backoff(ClusterEvent("*", "ForceActivate"))
    assert q.where(gated) == "unschedulable"
    q.update(gated, pod("g"))
    assert q.where(gated) == "active"


def test_update_of_unschedulable_pod_spec_requeues_but_status_only_does_not():
    clock = FakeClock()
    q = make_queue(clock)
    p = pod("p")
    q.add(p)
    info = q.pop_nowait()
    info.unschedulable_plugins = {"NodeResourcesFit"}
    q.add_unschedulable_if_not_present(info)
    clock.advance(2)
    status_only = {**p, "status": {"conditions": [{"type": "PodScheduled", "status": "False"}]}}
    q.update(p, status_only)
    assert q.where(p) == "unschedulable"
    relabelled = {**p, "metadata": {**p["metadata"], "labels": {"x": "y"}}}
    q.update(status_only, relabelled)
    assert q.where(p) == "active"


def test_delete_removes_queued_and_marks_in_flight_pods():
    clock = FakeClock()
    q = make_queue(clock)
    q.add(pod("a"))
    q.add(pod("b"))
    q.delete(pod("b"))
    info = q.pop_nowait()
    assert info.pod["metadata"]["name"] == "a"
    q.delete(info.pod)
    assert q.was_deleted(info.pod)
    info.unschedulable_plugins = {"NodeResourcesFit"}
    q.add_unschedulable_if_not_present(info)
    assert q.where(info.pod) == ""
    assert len(q) == 0


def test_nominator_tracks_nominated_node_name():
    clock = FakeClock()
    q = make_queue(clock)
    p = pod("p", nominated="node-1")
    q.add(p)
    assert [i.key for i in q.nominator.nominated_pods_for_node("node-1")] == ["default/p"]
    # the scheduler's in-memory nomination survives an update that does not show it yet
    q.nominator.add(PodInfo(p), "node-2")
    q.update(p, pod("p"))
    assert q.nominator.nominated_node(p) == "node-2"
    q.delete(p)
    assert q.nominator.nominated_pods_for_node("node-2") == []


async def test_pop_waits_for_a_pod_and_close_ends_it():
    clock = FakeClock()
    q = make_queue(clock)
    waiter = asyncio.create_task(q.pop())
    await asyncio.sleep(0)
    assert not waiter.done()
    q.add(pod("p"))
    info = await asyncio.wait_for(waiter, 5)
    assert info.attempts == 1
    closing = asyncio.create_task(q.pop())
    await asyncio.sleep(0)
    q.close()
    with pytest.raises(QueueClosed):
        await asyncio.wait_for(closing, 5)


def test_event_matching():
    assert event_matches(ClusterEvent("Node", "Update"), ClusterEvent("Node", "UpdateNodeLabel"))
    assert event_matches(ClusterEvent("Node", "*"), ClusterEvent("Node", "Add"))
    assert event_matches(ClusterEvent("*", "Add"), ClusterEvent("Pod", "Add"))
    assert not event_matches(ClusterEvent("Node", "Add"), ClusterEvent("Pod", "Add"))
    assert not event_matches(ClusterEvent("Node", "Delete"), ClusterEvent("Node", "Add"))
