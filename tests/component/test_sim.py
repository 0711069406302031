"""``run_sim`` (simulated nodes) in-process against a real API server: nodes are
registered and heartbeat, pods bound to them run and are deleted, a restart adopts
what the last run left, and a ReplicaSet's pods become ready on them."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import uuid

import pytest

from kybernetes.client import APIStatusError, resource_path
from kybernetes.sim import run_sim
from kybernetes.sim.addresses import PodIPAllocator, node_pod_cidr
from kybernetes.sim.config import SimConfig, parse_taints
from kybernetes.sim.schedule import SpreadSchedule
from tests.component.conftest import eventually, running_controller_manager

FAST = {"lease_renew_interval": 0.3, "status_update_frequency": 0.5}


@contextlib.asynccontextmanager
async def simulating(cluster, nodes: int, **options):
    """Run the simulator until the block ends; yields its nodes once they are registered."""
    stop = asyncio.Event()
    ready: asyncio.Future = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(run_sim(str(cluster.kubeconfig), nodes=nodes, stop=stop,
                                       on_ready=lambda n, _s: ready.set_result(n), **options))
    try:
        done, _ = await asyncio.wait({task, ready}, timeout=20, return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            task.result()   # failed before it was ready: show why
        assert ready.done(), "the simulator did not get ready"
        yield ready.result()
    finally:
        stop.set()
        done, _ = await asyncio.wait({task}, timeout=15)
        if not done:
            task.print_stack()   # where stopping hangs
            task.cancel()
            raise AssertionError("the simulator did not stop")
        task.result()


def prefix() -> str:
    return f"sim-{uuid.uuid4().hex[:6]}-"


async def bind(client, namespace: str, pod: str, node: str) -> None:
    got = await client.get("", "v1", "pods", pod, namespace=namespace)
    await client.request("POST", resource_path("", "v1", "pods", namespace, pod, "binding"), body={
        "apiVersion": "v1", "kind": "Binding", "metadata": {"name": pod, "uid": got["metadata"]["uid"]},
        "target": {"apiVersion": "v1", "kind": "Node", "name": node}})


def pod_body(name: str, *, init: bool = False) -> dict:
    spec: dict = {"containers": [{"name": "app", "image": "nginx:1.27"}, {"name": "side", "image": "busybox"}]}
    if init:
        spec["initContainers"] = [{"name": "setup", "image": "busybox"}]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


async def running_pod(client, namespace: str, name: str) -> dict:
    async def check():
        pod = await client.get("", "v1", "pods", name, namespace=namespace)
        st = pod.get("status") or {}
        ready = {c["type"]: c["status"] for c in st.get("conditions") or []}.get("Ready")
        return pod if st.get("phase") == "Running" and ready == "True" else None
    return await eventually(check, what=f"pod {name} Running and Ready")


def condition(obj: dict, ctype: str) -> dict:
    return next(c for c in obj["status"]["conditions"] if c["type"] == ctype)


# ---------------------------------------------------------------------------- pure parts
def test_parsers_and_addresses():
    assert parse_taints("a=b:NoSchedule,c:NoExecute") == [
        {"key": "a", "value": "b", "effect": "NoSchedule"}, {"key": "c", "effect": "NoExecute"}]
    with pytest.raises(ValueError):
        parse_taints("a=b:Sometimes")
    assert node_pod_cidr("10.128.0.0/10", 24, 0) == "10.128.0.0/24"
    assert node_pod_cidr("10.128.0.0/10", 24, 257) == "10.129.1.0/24"
    alloc = PodIPAllocator("10.0.0.0/29")            # hosts .2 to .6 are handed out
    alloc.mark_used("10.0.0.3")
    assert [alloc.allocate() for _ in range(4)] == ["10.0.0.2", "10.0.0.4", "10.0.0.5", "10.0.0.6"]
    with pytest.raises(RuntimeError):
        alloc.allocate()
    alloc.release("10.0.0.4")
    assert alloc.allocate() == "10.0.0.4"
    with pytest.raises(ValueError):
        SimConfig(nodes=300, cluster_cidr="10.244.0.0/16")   # 256 /24s only
    with pytest.raises(ValueError):
        SimConfig(nodes=1, memory="lots")


async def test_spread_schedule_keeps_phases_and_retries():
    runs: list[str] = []
    failed: set[str] = set()

    async def job(key: str) -> None:
        runs.append(key)
        if key == "c" and key not in failed:
            failed.add(key)
            raise RuntimeError("server busy")

    schedule = SpreadSchedule("test", ["a", "b", "c", "d"], 0.4, job, concurrency=2, first_delay=0)
    task = asyncio.create_task(schedule.run())
    try:
        async def enough():
            return len(runs) >= 12
        await eventually(enough, what="three rounds")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert runs[:4] == ["a", "b", "c", "d"]       # first round in phase order
    assert runs.count("c") >= 2 and schedule.errors == 1   # the failure was retried


# ---------------------------------------------------------------------------- nodes and leases
async def test_registers_nodes_and_heartbeats(cluster, client):
    p = prefix()
    async with simulating(cluster, 4, name_prefix=p, zones=2, cpu="8", memory="64Gi", pods=50,
                          labels={"team": "sim"}, taints=parse_taints("dedicated=sim:NoSchedule"), **FAST):
        nodes = [await client.get("", "v1", "nodes", f"{p}{i}") for i in range(4)]
        cidrs = set()
        for i, node in enumerate(nodes):
            labels = node["metadata"]["labels"]
            assert labels["kubernetes.io/hostname"] == f"{p}{i}"
            assert labels["kubernetes.io/os"] == "linux" and labels["kubernetes.io/arch"] == "amd64"
            assert labels["node.kubernetes.io/instance-type"] == "kyb-sim"
            assert labels["topology.kubernetes.io/zone"] == f"zone-{i % 2}"
            assert "topology.kubernetes.io/region" in labels
            assert labels["team"] == "sim"
            assert node["metadata"]["annotations"]["kyb.io/simulated"] == "true"
            assert node["spec"]["taints"] == [{"key": "dedicated", "value": "sim", "effect": "NoSchedule"}]
            assert node["spec"]["podCIDRs"] == [node["spec"]["podCIDR"]]
            cidrs.add(node["spec"]["podCIDR"])
            st = node["status"]
            assert st["capacity"] == {"cpu": "8", "memory": "64Gi", "pods": "50", "ephemeral-storage": "1Ti"}
            assert st["allocatable"] == st["capacity"]
            ready = condition(node, "Ready")
            assert (ready["status"], ready["reason"], ready["message"]) == (
                "True", "KubeletReady", "kubelet is posting ready status")
            for ctype, reason in (("MemoryPressure", "KubeletHasSufficientMemory"),
                                  ("DiskPressure", "KubeletHasNoDiskPressure"),
                                  ("PIDPressure", "KubeletHasSufficientPID")):
                assert (condition(node, ctype)["status"], condition(node, ctype)["reason"]) == ("False", reason)
            assert {a["type"] for a in st["addresses"]} == {"InternalIP", "Hostname"}
            info = st["nodeInfo"]
            assert info["kubeletVersion"].startswith("v1.") and info["operatingSystem"] == "linux"
            assert info["containerRuntimeVersion"].startswith("kyb-sim://")
            assert st["daemonEndpoints"]["kubeletEndpoint"]["Port"] == 10250
        assert len(cidrs) == 4

        leases = []
        for node in nodes:
            lease = await client.get("coordination.k8s.io", "v1", "leases", node["metadata"]["name"],
                                     namespace="kube-node-lease")
            assert lease["spec"]["holderIdentity"] == node["metadata"]["name"]
            assert lease["spec"]["leaseDurationSeconds"] == 40
            assert lease["metadata"]["ownerReferences"] == [{"apiVersion": "v1", "kind": "Node",
                                                             "name": node["metadata"]["name"],
                                                             "uid": node["metadata"]["uid"]}]
            leases.append(lease)

        async def all_renewed():
            for old in leases:
                new = await client.get("coordination.k8s.io", "v1", "leases", old["metadata"]["name"],
                                       namespace="kube-node-lease")
                if new["spec"]["renewTime"] <= old["spec"]["renewTime"]:
                    return False
            return True
        await eventually(all_renewed, what="every lease renewed")

        async def status_reported():
            fresh = await client.get("", "v1", "nodes", f"{p}0")
            return condition(fresh, "Ready")["lastHeartbeatTime"] > condition(nodes[0], "Ready")["lastHeartbeatTime"]
        await eventually(status_reported, what="a newer node heartbeat")


async def test_restart_adopts_and_delete_on_exit(cluster, client, namespace):
    p = prefix()
    async with simulating(cluster, 2, name_prefix=p, **FAST):
        first = await client.get("", "v1", "nodes", f"{p}0")
        await client.create("", "v1", "pods", pod_body("before"), namespace=namespace)
        await bind(client, namespace, "before", f"{p}0")
        before = await running_pod(client, namespace, "before")

    # A second run (with a label added) adopts the same nodes instead of failing, and
    # leaves the running pod alone; a new pod gets another address.
    async with simulating(cluster, 2, name_prefix=p, labels={"second": "run"}, delete_nodes_on_exit=True, **FAST):
        again = await client.get("", "v1", "nodes", f"{p}0")
        assert again["metadata"]["uid"] == first["metadata"]["uid"]
        assert again["spec"]["podCIDR"] == first["spec"]["podCIDR"]
        assert again["metadata"]["labels"]["second"] == "run"
        assert condition(again, "Ready")["status"] == "True"
        await client.create("", "v1", "pods", pod_body("after"), namespace=namespace)
        await bind(client, namespace, "after", f"{p}0")
        after = await running_pod(client, namespace, "after")
        assert after["status"]["podIP"] != before["status"]["podIP"]
        still = await client.get("", "v1", "pods", "before", namespace=namespace)
        assert still["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]

    for name in (f"{p}0", f"{p}1"):
        with pytest.raises(APIStatusError) as e:
            await client.get("", "v1", "nodes", name)
        assert e.value.code == 404
        with pytest.raises(APIStatusError) as e:
            await client.get("coordination.k8s.io", "v1", "leases", name, namespace="kube-node-lease")
        assert e.value.code == 404


# ---------------------------------------------------------------------------- pods
async def test_bound_pod_runs_and_is_deleted(cluster, client, namespace):
    p = prefix()
    async with simulating(cluster, 2, name_prefix=p, pod_ready_delay=0.2, **FAST):
        node = await client.get("", "v1", "nodes", f"{p}1")
        await client.create("", "v1", "pods", pod_body("web", init=True), namespace=namespace)
        await client.create("", "v1", "pods", pod_body("unbound"), namespace=namespace)
        await bind(client, namespace, "web", f"{p}1")
        pod = await running_pod(client, namespace, "web")

        st = pod["status"]
        internal_ip = next(a["address"] for a in node["status"]["addresses"] if a["type"] == "InternalIP")
        assert st["hostIP"] == internal_ip and st["hostIPs"] == [{"ip": internal_ip}]
        assert ipaddress.ip_address(st["podIP"]) in ipaddress.ip_network(node["spec"]["podCIDR"])
        assert st["podIPs"] == [{"ip": st["podIP"]}]
        assert st["startTime"] and st["qosClass"] == "BestEffort"
        assert [c["type"] for c in st["conditions"]] == [
            "PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"]
        assert all(c["status"] == "True" for c in st["conditions"])
        assert [c["name"] for c in st["containerStatuses"]] == ["app", "side"]
        for cs in st["containerStatuses"]:
            assert cs["ready"] and cs["started"] and cs["restartCount"] == 0
            assert cs["containerID"].startswith("kyb-sim://") and cs["imageID"]
            assert "startedAt" in cs["state"]["running"]
        [init] = st["initContainerStatuses"]
        assert init["state"]["terminated"]["reason"] == "Completed" and init["state"]["terminated"]["exitCode"] == 0

        # a pod nobody bound stays Pending: the simulator runs only its nodes' pods
        unbound = await client.get("", "v1", "pods", "unbound", namespace=namespace)
        assert unbound["status"]["phase"] == "Pending"

        await client.delete("", "v1", "pods", "web", namespace=namespace)

        async def gone():
            try:
                await client.get("", "v1", "pods", "web", namespace=namespace)
            except APIStatusError as e:
                return e.code == 404
            return False
        await eventually(gone, what="the deleted pod gone")


async def test_replicaset_pods_become_ready(cluster, client, namespace):
    p = prefix()
    async with running_controller_manager(cluster, ["replicaset"]), simulating(cluster, 3, name_prefix=p, **FAST):
        await client.create("apps", "v1", "replicasets", {
            "apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web"},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}},
            namespace=namespace)

        async def three_pods():
            pods = (await client.list("", "v1", "pods", namespace=namespace, label_selector="app=web"))["items"]
            return pods if len(pods) == 3 else None
        pods = await eventually(three_pods, what="3 pods")
        for i, pod in enumerate(pods):   # the scheduler's job, done by hand
            await bind(client, namespace, pod["metadata"]["name"], f"{p}{i}")

        async def ready():
            rs = await client.get("apps", "v1", "replicasets", "web", namespace=namespace)
            return (rs.get("status") or {}).get("readyReplicas") == 3
        await eventually(ready, what="readyReplicas=3")
        ips = set()
        for pod in (await client.list("", "v1", "pods", namespace=namespace))["items"]:
            assert pod["status"]["phase"] == "Running"
            ips.add(pod["status"]["podIP"])
        assert len(ips) == 3
