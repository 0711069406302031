"""The node lifecycle controller against a real API server: nodes whose kubelet goes
silent become Unknown and get tainted, their pods stop being Ready; cordoned and
pressured nodes get NoSchedule taints; a cluster where every node is silent gets no
NoExecute taint at all. Timings are shortened (grace 2 s); the kubelets are the test,
renewing Leases by hand."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import uuid

from kybernetes.client import APIStatusError

from .conftest import eventually, running_controller_manager

FAST = {"nodelifecycle": {"monitor_period": 0.3, "grace_period": 2.0, "startup_grace_period": 3.0,
                          "eviction_rate": 100.0}}
LEASES = ("coordination.k8s.io", "v1", "leases")


def micro_now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeKubelet:
    """A node whose heartbeat (its Lease) the test turns on and off."""

    def __init__(self, client, *, zone: str, ready: bool = True, **status) -> None:
        self.client = client
        self.name = f"n-{uuid.uuid4().hex[:6]}"
        self.zone = zone
        self.ready = ready
        self.status = status
        self.beating = True
        self._task: asyncio.Task | None = None

    async def register(self) -> dict:
        conditions = [{"type": "Ready", "status": "True", "reason": "KubeletReady", "lastHeartbeatTime": now(),
                       "lastTransitionTime": now(), "message": "kubelet is posting ready status"}] if self.ready else []
        node = await self.client.create("", "v1", "nodes", {
            "metadata": {"name": self.name, "labels": {"topology.kubernetes.io/zone": self.zone}},
            "status": {"conditions": conditions, **self.status}})
        if conditions:   # status is ignored on create; write it as a kubelet does
            node["status"]["conditions"] = conditions
            node = await self.client.update_status("", "v1", "nodes", self.name, node)
        await self.client.create(*LEASES, {"metadata": {"name": self.name}, "spec": {
            "holderIdentity": self.name, "leaseDurationSeconds": 40, "renewTime": micro_now()}},
            namespace="kube-node-lease")
        self._task = asyncio.create_task(self._beat())
        return node

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(0.3)
            if self.beating:
                lease = await self.client.get(*LEASES, self.name, namespace="kube-node-lease")
                lease["spec"]["renewTime"] = micro_now()
                with contextlib.suppress(APIStatusError):
                    await self.client.replace(*LEASES, self.name, lease, namespace="kube-node-lease")

    async def post_ready(self) -> None:
        """What a recovered kubelet does: a fresh Ready=True status."""
        node = await self.client.get("", "v1", "nodes", self.name)
        node["status"]["conditions"] = [c for c in node["status"].get("conditions", [])
                                        if c["type"] not in ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure")]
        node["status"]["conditions"].append({"type": "Ready", "status": "True", "reason": "KubeletReady",
                                             "lastHeartbeatTime": now(), "lastTransitionTime": now()})
        await self.client.update_status("", "v1", "nodes", self.name, node)

    async def remove(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(APIStatusError):
            await self.client.delete("", "v1", "nodes", self.name)
        with contextlib.suppress(APIStatusError):
            await self.client.delete(*LEASES, self.name, namespace="kube-node-lease")


@contextlib.asynccontextmanager
async def kubelets(client, *specs: dict):
    nodes = [FakeKubelet(client, **spec) for spec in specs]
    try:
        for n in nodes:
            await n.register()
        yield nodes
    finally:
        for n in nodes:
            await n.remove()


def taints(node: dict) -> set[tuple[str, str]]:
    return {(t["key"], t["effect"]) for t in node.get("spec", {}).get("taints") or []}


def conditions(node: dict) -> dict[str, dict]:
    return {c["type"]: c for c in node.get("status", {}).get("conditions") or []}


async def test_a_silent_node_becomes_unknown_tainted_and_its_pods_not_ready(cluster, client, namespace):
    zone = f"z-{uuid.uuid4().hex[:4]}"
    async with kubelets(client, {"zone": zone}, {"zone": zone}) as (silent, healthy), \
            running_controller_manager(cluster, ["nodelifecycle"], options=FAST):
        pod = await client.create("", "v1", "pods", {"metadata": {"name": "p"}, "spec": {
            "nodeName": silent.name, "containers": [{"name": "c", "image": "busybox"}]}}, namespace=namespace)
        pod["status"]["conditions"] = [{"type": "Ready", "status": "True", "lastTransitionTime": now()}]
        await client.update_status("", "v1", "pods", "p", pod, namespace=namespace)
        await asyncio.sleep(3)    # longer than the grace period: heartbeats keep both Ready
        for n in (silent, healthy):
            node = await client.get("", "v1", "nodes", n.name)
            assert conditions(node)["Ready"]["status"] == "True" and not taints(node)

        silent.beating = False

        async def tainted():
            node = await client.get("", "v1", "nodes", silent.name)
            return node if {(
                "node.kubernetes.io/unreachable", "NoSchedule"), ("node.kubernetes.io/unreachable", "NoExecute")} \
                <= taints(node) else None
        node = await eventually(tainted, what="unreachable taints")
        conds = conditions(node)
        for type_ in ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure"):
            assert conds[type_]["status"] == "Unknown"
        assert conds["Ready"]["reason"] == "NodeStatusUnknown"
        assert conds["Ready"]["message"] == "Kubelet stopped posting node status."
        assert conds["MemoryPressure"]["reason"] == "NodeStatusNeverUpdated"
        assert conds["MemoryPressure"]["message"] == "Kubelet never posted node status."
        assert all(t.get("timeAdded") for t in node["spec"]["taints"])

        async def pod_not_ready():
            p = await client.get("", "v1", "pods", "p", namespace=namespace)
            return [c for c in p["status"]["conditions"] if c["type"] == "Ready"][0]["status"] == "False"
        await eventually(pod_not_ready, what="the pod's Ready=False")

        async def event():
            evs = await client.list("", "v1", "events", namespace="default",
                                    field_selector=f"involvedObject.name={silent.name}")
            return {e["reason"]: e["message"] for e in evs["items"]}
        evs = await eventually(lambda: _has(event, "NodeNotReady"), what="NodeNotReady event")
        assert evs["NodeNotReady"] == f"Node {silent.name} status is now: NodeNotReady"
        assert evs["RegisteredNode"] == f"Node {silent.name} event: Registered Node {silent.name} in Controller"
        healthy_node = await client.get("", "v1", "nodes", healthy.name)
        assert conditions(healthy_node)["Ready"]["status"] == "True" and not taints(healthy_node)

        # the kubelet comes back: the taints go
        silent.beating = True
        await silent.post_ready()

        async def untainted():
            return not taints(await client.get("", "v1", "nodes", silent.name))
        await eventually(untainted, what="taints removed")


async def _has(fn, key):
    got = await fn()
    return got if key in got else None


async def test_a_node_that_never_posted_ready_is_unknown_after_the_startup_grace(cluster, client):
    async with kubelets(client, {"zone": "never", "ready": False}, {"zone": "never-other"}) as (mute, _), \
            running_controller_manager(cluster, ["nodelifecycle"], options=FAST):
        mute.beating = False

        async def unknown():
            node = await client.get("", "v1", "nodes", mute.name)
            conds = conditions(node)
            return conds if conds.get("Ready", {}).get("status") == "Unknown" else None
        conds = await eventually(unknown, what="Unknown conditions")
        for type_ in ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure"):
            assert conds[type_]["reason"] == "NodeStatusNeverUpdated"


async def test_cordon_and_pressure_taint_no_schedule(cluster, client):
    zone = f"z-{uuid.uuid4().hex[:4]}"
    async with kubelets(client, {"zone": zone}) as (n,), \
            running_controller_manager(cluster, ["nodelifecycle"], options=FAST):
        node = await client.get("", "v1", "nodes", n.name)
        node.setdefault("spec", {})["unschedulable"] = True
        await client.replace("", "v1", "nodes", n.name, node)

        async def cordoned():
            return ("node.kubernetes.io/unschedulable", "NoSchedule") in taints(
                await client.get("", "v1", "nodes", n.name))
        await eventually(cordoned, what="unschedulable taint")

        node = await client.get("", "v1", "nodes", n.name)
        node["spec"]["unschedulable"] = False
        node = await client.replace("", "v1", "nodes", n.name, node)
        node["status"]["conditions"].append({"type": "MemoryPressure", "status": "True",
                                             "reason": "KubeletHasInsufficientMemory",
                                             "lastHeartbeatTime": now(), "lastTransitionTime": now()})
        await client.update_status("", "v1", "nodes", n.name, node)

        async def pressured():
            got = taints(await client.get("", "v1", "nodes", n.name))
            return got == {("node.kubernetes.io/memory-pressure", "NoSchedule")}
        await eventually(pressured, what="memory-pressure taint only")


async def test_when_every_node_is_silent_nothing_is_tainted_no_execute(cluster, client):
    leftovers = (await client.list("", "v1", "nodes"))["items"]
    assert not leftovers, "other tests' nodes would make this cluster partly healthy"
    async with kubelets(client, {"zone": "a"}, {"zone": "b"}) as nodes, \
            running_controller_manager(cluster, ["nodelifecycle"], options=FAST):
        for n in nodes:
            n.beating = False

        async def all_unknown():
            got = [await client.get("", "v1", "nodes", n.name) for n in nodes]
            return got if all(conditions(g)["Ready"]["status"] == "Unknown" for g in got) else None
        got = await eventually(all_unknown, what="both Unknown")
        await asyncio.sleep(1.5)          # several monitor passes and tainting passes
        for n in nodes:
            node = await client.get("", "v1", "nodes", n.name)
            assert taints(node) == {("node.kubernetes.io/unreachable", "NoSchedule")}
        assert got
