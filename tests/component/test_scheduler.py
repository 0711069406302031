"""The scheduler, run in-process by ``run_scheduler`` against a real API server (which
runs no scheduler and no controllers itself). Nodes are plain Node objects created
through the API with their status; nothing runs the pods -- binding is what counts."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import pytest

from kybernetes.client import APIStatusError
from kybernetes.scheduler.explain import explain_with_client, format_explanation
from kybernetes.scheduler.scheduler import run_scheduler
from tests.component.conftest import eventually

CONTROL_PLANE_TAINT = {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}


@pytest.fixture
async def scheduler(cluster):
    stop = asyncio.Event()
    task = asyncio.create_task(run_scheduler(str(cluster.kubeconfig), leader_elect=False, stop=stop))
    yield task
    stop.set()
    await asyncio.wait_for(task, 15)


@pytest.fixture
async def nodes(client):
    """Create nodes with ``await make(name, ...)``; all of them are deleted after the test,
    so every test sees only its own nodes."""
    made: list[str] = []

    async def make(name: str, *, cpu: str = "2", memory: str = "4Gi", labels: dict | None = None,
                   taints: list | None = None) -> dict:
        body = {
            "apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, **(labels or {})}},
            "spec": {"taints": taints} if taints else {},
            "status": {
                "capacity": {"cpu": cpu, "memory": memory, "pods": "110"},
                "allocatable": {"cpu": cpu, "memory": memory, "pods": "110"},
                "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                                "message": "kubelet is posting ready status"}],
            },
        }
        made.append(name)
        return await client.create("", "v1", "nodes", body)

    yield make
    for name in made:
        with contextlib.suppress(APIStatusError):
            await client.delete("", "v1", "nodes", name)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def pod_body(name: str, *, cpu: str = "100m", node_selector: dict | None = None,
             tolerations: list | None = None, scheduler_name: str = "") -> dict:
    spec: dict = {"containers": [{"name": "c", "image": "registry.k8s.io/pause:3.10",
                                  "resources": {"requests": {"cpu": cpu}}}]}
    if scheduler_name:
        spec["schedulerName"] = scheduler_name
    if node_selector:
        spec["nodeSelector"] = node_selector
    if tolerations:
        spec["tolerations"] = tolerations
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


async def create_pod(client, namespace: str, name: str, **kw) -> dict:
    return await client.create("", "v1", "pods", pod_body(name, **kw), namespace=namespace)


async def bound_node(client, namespace: str, name: str) -> str:
    pod = await client.get("", "v1", "pods", name, namespace=namespace)
    return (pod.get("spec") or {}).get("nodeName") or ""


async def events_for(client, namespace: str, name: str, reason: str) -> list[dict]:
    items = (await client.list("", "v1", "events", namespace=namespace)).get("items") or []
    return [e for e in items if e["involvedObject"].get("name") == name and e.get("reason") == reason]


async def test_pods_are_bound_to_fitting_nodes_with_a_scheduled_event(client, namespace, nodes, scheduler):
    a, b = unique("fit-a"), unique("fit-b")
    await nodes(a, cpu="1")
    await nodes(b, cpu="1")
    for i in range(3):
        await create_pod(client, namespace, f"p{i}", cpu="300m")

    async def all_bound():
        names = [await bound_node(client, namespace, f"p{i}") for i in range(3)]
        return names if all(names) else None
    placed = await eventually(all_bound, what="three pods bound")
    assert set(placed) <= {a, b}

    pod = await client.get("", "v1", "pods", "p0", namespace=namespace)
    cond = next(c for c in pod["status"]["conditions"] if c["type"] == "PodScheduled")
    assert cond["status"] == "True"
    events = await eventually(lambda: events_for(client, namespace, "p0", "Scheduled"), what="Scheduled event")
    assert events[0]["type"] == "Normal"
    assert events[0]["message"] == f"Successfully assigned {namespace}/p0 to {placed[0]}"
    assert events[0]["source"]["component"] == "default-scheduler"
    assert events[0]["reportingComponent"] == "default-scheduler"


async def test_requests_add_up_on_a_node(client, namespace, nodes, scheduler):
    only = unique("small")
    await nodes(only, cpu="1")
    await create_pod(client, namespace, "first", cpu="600m")
    await eventually(lambda: bound_node(client, namespace, "first"), what="first bound")
    await create_pod(client, namespace, "second", cpu="600m")

    async def unschedulable():
        pod = await client.get("", "v1", "pods", "second", namespace=namespace)
        conds = [c for c in (pod.get("status") or {}).get("conditions") or [] if c["type"] == "PodScheduled"]
        return conds and conds[0]["status"] == "False" and conds[0]
    cond = await eventually(unschedulable, what="second pod unschedulable")
    assert cond["message"].startswith("0/1 nodes are available: 1 Insufficient cpu.")
    assert await bound_node(client, namespace, "second") == ""


async def test_too_big_pod_is_unschedulable_until_a_fitting_node_appears(client, namespace, nodes, scheduler):
    cp, w1, w2 = unique("cp"), unique("w1"), unique("w2")
    await nodes(cp, cpu="8", taints=[CONTROL_PLANE_TAINT], labels={"node-role.kubernetes.io/control-plane": ""})
    await nodes(w1, cpu="1")
    await nodes(w2, cpu="1")
    await create_pod(client, namespace, "big", cpu="4")

    async def condition():
        # the scheduler may first try before its informer saw the last node (then it says
        # 0/2); the node's arrival moves the pod back to the queue for another try
        pod = await client.get("", "v1", "pods", "big", namespace=namespace)
        conds = [c for c in (pod.get("status") or {}).get("conditions") or [] if c["type"] == "PodScheduled"]
        return conds[0] if conds and conds[0]["status"] == "False" and "0/3" in conds[0]["message"] else None
    cond = await eventually(condition, what="PodScheduled=False")
    assert cond["reason"] == "Unschedulable"
    assert cond["message"].startswith(
        "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
        "2 Insufficient cpu.")
    async def same_event():
        return [e for e in await events_for(client, namespace, "big", "FailedScheduling")
                if e["message"] == cond["message"]]
    events = await eventually(same_event, what="FailedScheduling event")
    assert events[0]["type"] == "Warning"

    # explain-pending tells the same story, node by node
    explanation = await explain_with_client(client, namespace, "big")
    rejected = {n: (plugin, msg) for n, plugin, msg in explanation.rejected}
    assert rejected[cp][0] == "TaintToleration"
    assert rejected[w1] == ("NodeResourcesFit", "Insufficient cpu")
    assert not explanation.feasible
    assert "No node fits: 0/3 nodes are available" in format_explanation(explanation)

    big = unique("big")
    await nodes(big, cpu="8")
    assert await eventually(lambda: bound_node(client, namespace, "big"), what="big pod bound") == big


async def test_node_selector_and_taints_are_honoured(client, namespace, nodes, scheduler):
    ssd, hdd, tainted = unique("ssd"), unique("hdd"), unique("gpu")
    await nodes(ssd, labels={"disk": "ssd"})
    await nodes(hdd, labels={"disk": "hdd"})
    await nodes(tainted, taints=[{"key": "gpu", "value": "true", "effect": "NoSchedule"}], labels={"gpu": "yes"})
    for i in range(3):
        await create_pod(client, namespace, f"ssd-{i}", node_selector={"disk": "ssd"})
    await create_pod(client, namespace, "tolerant", node_selector={"gpu": "yes"},
                     tolerations=[{"key": "gpu", "operator": "Equal", "value": "true", "effect": "NoSchedule"}])
    await create_pod(client, namespace, "intolerant", node_selector={"gpu": "yes"})
    for i in range(3):
        assert await eventually(lambda i=i: bound_node(client, namespace, f"ssd-{i}"), what="ssd pod bound") == ssd
    assert await eventually(lambda: bound_node(client, namespace, "tolerant"), what="tolerant bound") == tainted
    events = await eventually(lambda: events_for(client, namespace, "intolerant", "FailedScheduling"),
                              what="intolerant FailedScheduling")
    assert "1 node(s) had untolerated taint {gpu: true}" in events[0]["message"]
    assert "2 node(s) didn't match Pod's node affinity/selector" in events[0]["message"]
    assert await bound_node(client, namespace, "intolerant") == ""


async def test_explain_pending_scores_feasible_nodes(client, namespace, nodes):
    """Without a scheduler running: a pending pod explained, best node first."""
    busy, idle = unique("busy"), unique("idle")
    await nodes(busy, cpu="2")
    await nodes(idle, cpu="2")
    filler = pod_body("filler", cpu="1500m")
    filler["spec"]["nodeName"] = busy
    await client.create("", "v1", "pods", filler, namespace=namespace)
    await create_pod(client, namespace, "pending", cpu="200m")
    explanation = await explain_with_client(client, namespace, "pending")
    assert explanation.rejected == []
    assert [n for n, _, _ in explanation.feasible] == [idle, busy]
    assert explanation.pick == idle
    assert explanation.feasible[0][2]  # per-plugin scores
    text = format_explanation(explanation)
    assert "Feasible (best first):" in text and f"Would pick: {idle}" in text
    assert await bound_node(client, namespace, "pending") == ""   # read-only

    missing = await explain_with_client(client, namespace, "nope")
    assert not missing.found


# ---------------------------------------------------------------------------- the runtime alone
class StubFramework:
    """Just enough framework to test the runtime without the plugins: pods fit by CPU,
    emptier nodes score higher, binding is left to the scheduler's own binder."""

    def queue_sort_less(self, a, a_ts, b, b_ts):
        return a_ts < b_ts

    def pre_enqueue(self, pod):
        from kybernetes.scheduler.types import Status
        return Status()

    def run_pre_filter(self, state, pod, pod_info, nodes):
        from kybernetes.scheduler.types import Status
        return None, Status()

    def run_filter_with_nominated_pods(self, state, pod, pod_info, node):
        from kybernetes.scheduler.types import Status
        if node.requested.milli_cpu + pod_info.requests.milli_cpu > node.allocatable.milli_cpu:
            return Status.unschedulable("Insufficient cpu", plugin="NodeResourcesFit")
        return Status()

    async def run_post_filter(self, state, pod, pod_info, filtered):
        from kybernetes.scheduler.types import Status
        return None, Status.unschedulable(
            f"preemption: 0/{len(filtered)} nodes are available: {len(filtered)} Preemption is not helpful for "
            "scheduling.", plugin="DefaultPreemption")

    def run_pre_score(self, state, pod, pod_info, nodes):
        from kybernetes.scheduler.types import Status
        return Status()

    def run_score(self, state, pod, pod_info, nodes):
        from kybernetes.scheduler.types import NodeScore
        scores = [NodeScore(n.name, 100 - n.requested.milli_cpu * 100 // max(1, n.allocatable.milli_cpu))
                  for n in nodes]
        return scores, {"Stub": scores}

    def run_reserve(self, state, pod, node_name):
        from kybernetes.scheduler.types import Status
        return Status()

    def run_unreserve(self, state, pod, node_name):
        pass

    def run_permit(self, state, pod, node_name):
        from kybernetes.scheduler.types import Status
        return Status()

    async def wait_on_permit(self, pod):
        from kybernetes.scheduler.types import Status
        return Status()

    async def run_pre_bind(self, state, pod, node_name):
        from kybernetes.scheduler.types import Status
        return Status()

    async def run_bind(self, state, pod, node_name):
        from kybernetes.scheduler.types import Code, Status
        return Status(Code.SKIP)

    def run_post_bind(self, state, pod, node_name):
        pass

    def events_to_register(self):
        from kybernetes.scheduler.interface import ClusterEvent
        return {"NodeResourcesFit": [ClusterEvent("Node", "Add"), ClusterEvent("Pod", "Delete")]}


async def test_runtime_with_a_stub_framework(client, namespace, nodes):
    from types import SimpleNamespace

    from kybernetes.scheduler.scheduler import Scheduler

    config = SimpleNamespace(profiles=[], percentage_of_nodes_to_score=0, pod_initial_backoff_seconds=1,
                             pod_max_backoff_seconds=10)
    # its own schedulerName, so pods other tests left pending are not its business
    sched = Scheduler(client, config, frameworks={"stub-scheduler": StubFramework()})
    task = asyncio.create_task(sched.run())
    try:
        a, b = unique("stub-a"), unique("stub-b")
        await nodes(a, cpu="1")
        await nodes(b, cpu="1")
        for i in range(4):
            await create_pod(client, namespace, f"s{i}", cpu="600m", scheduler_name="stub-scheduler")

        full = ("0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: "
                "2 Preemption is not helpful for scheduling.")

        async def two_bound_two_failed():
            # (a first try may predate the second node and say 0/1: the node's arrival brings a retry)
            names = [await bound_node(client, namespace, f"s{i}") for i in range(4)]
            failed = [await events_for(client, namespace, f"s{i}", "FailedScheduling")
                      for i, name in enumerate(names) if not name]
            return (sorted(filter(None, names)) == sorted([a, b]) and len(failed) == 2
                    and all(any(e["message"] == full for e in f) for f in failed))
        assert await eventually(two_bound_two_failed, what="two pods bound, two failed on both nodes")
        # a node with room arrives: the waiting pods move back and get bound there
        c = unique("stub-c")
        await nodes(c, cpu="4")

        async def all_bound():
            names = [await bound_node(client, namespace, f"s{i}") for i in range(4)]
            return all(names) and names
        placed = await eventually(all_bound, what="all four bound")
        assert placed.count(c) == 2
        assert sched.cache.node_count == 3
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
