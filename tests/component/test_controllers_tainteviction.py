"""The taint eviction controller against a real API server: pods leave a node tainted
NoExecute at once, after their tolerationSeconds, or never; a taint removed (or a pod
deleted) in time cancels the eviction. No kubelet runs, so a deleted pod keeps its
deletionTimestamp: "gone" means deleted or being deleted."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import pytest

from kybernetes.client import APIStatusError
from kybernetes.controllers.tainteviction import disruption_condition, eviction_delay

from .conftest import eventually, running_controller_manager

TAINT = {"key": "example.com/broken", "effect": "NoExecute"}
CONTROLLERS = ["taint-eviction-controller"]


@contextlib.asynccontextmanager
async def node(client):
    name = f"n-{uuid.uuid4().hex[:6]}"
    await client.create("", "v1", "nodes", {"metadata": {"name": name}})
    try:
        yield name
    finally:
        with contextlib.suppress(APIStatusError):
            await client.delete("", "v1", "nodes", name)


async def set_taints(client, name: str, taints: list[dict]) -> None:
    n = await client.get("", "v1", "nodes", name)
    n.setdefault("spec", {})["taints"] = taints
    await client.replace("", "v1", "nodes", name, n)


async def make_pod(client, namespace: str, name: str, node_name: str, tolerations: list | None = None,
                   **meta) -> dict:
    spec: dict = {"nodeName": node_name, "containers": [{"name": "c", "image": "busybox"}]}
    if tolerations is not None:
        spec["tolerations"] = tolerations
    return await client.create("", "v1", "pods", {"metadata": {"name": name, **meta}, "spec": spec},
                               namespace=namespace)


async def gone(client, namespace: str, name: str) -> bool:
    try:
        pod = await client.get("", "v1", "pods", name, namespace=namespace)
    except APIStatusError as e:
        return e.code == 404
    return bool(pod["metadata"].get("deletionTimestamp"))


async def messages(client, namespace: str) -> list[str]:
    evs = await client.list("", "v1", "events", namespace=namespace, field_selector="reason=TaintManagerEviction")
    return sorted(e["message"] for e in evs["items"])


def having(namespace_client, namespace: str, *wanted: str):
    """An ``eventually`` probe: the TaintManagerEviction messages once all ``wanted`` are there."""
    async def probe():
        got = await messages(namespace_client, namespace)
        return got if all(w in got for w in wanted) else None
    return probe


async def test_pods_go_at_once_after_their_seconds_or_never(cluster, client, namespace):
    async with node(client) as n, running_controller_manager(cluster, CONTROLLERS):
        await make_pod(client, namespace, "intolerant", n, tolerations=[])
        await make_pod(client, namespace, "patient", n, tolerations=[{**TAINT, "operator": "Exists",
                                                                     "tolerationSeconds": 2}])
        await make_pod(client, namespace, "forever", n, tolerations=[{"operator": "Exists"}])
        await make_pod(client, namespace, "elsewhere", "some-other-node", tolerations=[])
        await asyncio.sleep(0.5)          # the controller has seen the pods on an untainted node
        loop = asyncio.get_running_loop()
        await set_taints(client, n, [TAINT])
        tainted_at = loop.time()

        await eventually(lambda: gone(client, namespace, "intolerant"), deadline=10, what="intolerant pod evicted")
        await asyncio.sleep(max(0.0, tainted_at + 1.0 - loop.time()))
        assert not await gone(client, namespace, "patient"), "evicted before its tolerationSeconds"
        await eventually(lambda: gone(client, namespace, "patient"), deadline=15, what="patient pod evicted")
        assert loop.time() - tainted_at >= 1.5

        await asyncio.sleep(max(0.0, tainted_at + 4.0 - loop.time()))
        assert not await gone(client, namespace, "forever")
        assert not await gone(client, namespace, "elsewhere")
        got = await eventually(having(client, namespace, f"Marking for deletion Pod {namespace}/intolerant",
                                      f"Marking for deletion Pod {namespace}/patient"), what="eviction events")
        assert not any(m.endswith(("/forever", "/elsewhere")) for m in got)


async def test_evicted_pod_carries_the_disruption_target_condition(cluster, client, namespace):
    async with node(client) as n, running_controller_manager(cluster, CONTROLLERS):
        # a finalizer keeps the deleted pod readable
        pod = await make_pod(client, namespace, "kept", n, tolerations=[], finalizers=["example.com/hold"])
        pod.setdefault("status", {})["conditions"] = [{"type": "PodScheduled", "status": "True"}]
        await client.update_status("", "v1", "pods", "kept", pod, namespace=namespace)
        try:
            await set_taints(client, n, [TAINT])
            await eventually(lambda: gone(client, namespace, "kept"), deadline=10, what="pod evicted")
            pod = await client.get("", "v1", "pods", "kept", namespace=namespace)
            by_type = {c["type"]: c for c in pod["status"]["conditions"]}
            assert by_type["PodScheduled"]["status"] == "True"      # merged in, not replaced
            target = by_type["DisruptionTarget"]
            assert (target["status"], target["reason"]) == ("True", "DeletionByTaintManager")
            assert target["message"] == "Taint manager: deleting due to NoExecute taint"
            assert target["lastTransitionTime"]
            await eventually(having(client, namespace, f"Marking for deletion Pod {namespace}/kept"),
                             what="eviction event")
        finally:
            await client.patch("", "v1", "pods", "kept", {"metadata": {"finalizers": None}}, namespace=namespace)


async def test_a_taint_removed_in_time_cancels_the_eviction(cluster, client, namespace):
    async with node(client) as n, running_controller_manager(cluster, CONTROLLERS):
        await make_pod(client, namespace, "lucky", n, tolerations=[{**TAINT, "operator": "Exists",
                                                                   "tolerationSeconds": 3}])
        await asyncio.sleep(0.5)
        await set_taints(client, n, [TAINT])
        await asyncio.sleep(1)
        await set_taints(client, n, [])
        got = await eventually(having(client, namespace, f"Cancelling deletion of Pod {namespace}/lucky"),
                               what="cancel event")
        assert got == [f"Cancelling deletion of Pod {namespace}/lucky"]
        await asyncio.sleep(3)
        assert not await gone(client, namespace, "lucky")
        assert await messages(client, namespace) == got


async def test_a_pod_deleted_in_time_cancels_its_eviction(cluster, client, namespace):
    async with node(client) as n, running_controller_manager(cluster, CONTROLLERS):
        await make_pod(client, namespace, "leaving", n, tolerations=[{**TAINT, "operator": "Exists",
                                                                     "tolerationSeconds": 30}])
        await asyncio.sleep(0.5)
        await set_taints(client, n, [TAINT])
        await asyncio.sleep(0.5)
        await client.delete("", "v1", "pods", "leaving", namespace=namespace, grace_period_seconds=0)
        await eventually(having(client, namespace, f"Cancelling deletion of Pod {namespace}/leaving"),
                         what="cancel event")


@pytest.mark.parametrize("taints, tolerations, delay", [
    ([], [], None),
    ([{"key": "a", "effect": "NoSchedule"}], [], None),
    ([TAINT], [], 0.0),
    ([TAINT], [{"key": "example.com/broken", "operator": "Exists"}], float("inf")),
    ([TAINT], [{"operator": "Exists", "tolerationSeconds": 30}], 30.0),
    ([TAINT], [{"operator": "Exists", "tolerationSeconds": -5}], 0.0),
    ([TAINT], [{"key": "example.com/broken", "operator": "Exists", "effect": "NoSchedule"}], 0.0),
    ([TAINT], [{"key": "example.com/broken", "value": "x"}], 0.0),
    ([TAINT, {"key": "b", "effect": "NoExecute"}],
     [{"key": "example.com/broken", "operator": "Exists", "tolerationSeconds": 30},
      {"key": "b", "operator": "Exists", "tolerationSeconds": 10}], 10.0),
    # the first toleration matching a taint is the one used, even if a later one allows longer
    ([TAINT], [{"operator": "Exists", "tolerationSeconds": 5}, {"key": "example.com/broken",
                                                                 "operator": "Exists"}], 5.0),
    ([TAINT, {"key": "b", "effect": "NoExecute"}], [{"key": "b", "operator": "Exists"}], 0.0),
])
def test_eviction_delay(taints, tolerations, delay):
    assert eviction_delay(taints, tolerations) == delay


def test_disruption_condition_is_written_once_and_keeps_its_transition_time():
    now = "2026-01-01T00:00:00Z"
    cond = disruption_condition({"status": {}}, now)
    assert cond == {"type": "DisruptionTarget", "status": "True", "reason": "DeletionByTaintManager",
                    "message": "Taint manager: deleting due to NoExecute taint", "lastTransitionTime": now}
    assert disruption_condition({"status": {"conditions": [cond]}}, "2026-01-02T00:00:00Z") is None
    other = {**cond, "reason": "EvictionByEvictionAPI", "message": "x"}
    again = disruption_condition({"status": {"conditions": [other]}}, "2026-01-02T00:00:00Z")
    assert again["reason"] == "DeletionByTaintManager" and again["lastTransitionTime"] == now
    was_false = {**other, "status": "False"}
    assert disruption_condition({"status": {"conditions": [was_false]}}, "later")["lastTransitionTime"] == "later"
