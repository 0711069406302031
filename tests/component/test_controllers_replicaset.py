"""The ReplicaSet controller, run in-process by ``run_controller_manager`` (only that
controller) against a real API server. No scheduler or kubelet runs, so pods stay
Pending: counts are what is checked, not readiness."""

from __future__ import annotations

import asyncio

import pytest

from tests.component.conftest import eventually, running_controller_manager
from kybernetes.controllers import CONTROLLERS
from kybernetes.controllers.replicaset import Expectations, pod_deletion_order



@pytest.fixture
async def manager(cluster):
    async with running_controller_manager(cluster, ["replicaset"]) as task:
        yield task


def rs_body(name: str, replicas: int, app: str | None = None) -> dict:
    app = app or name
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": app}},
                     "template": {"metadata": {"labels": {"app": app, "tier": "web"}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}


async def active_pods(client, namespace: str, app: str) -> list[dict]:
    pods = (await client.list("", "v1", "pods", namespace=namespace, label_selector=f"app={app}"))["items"]
    return [p for p in pods if not p["metadata"].get("deletionTimestamp")]


async def wait_pods(client, namespace: str, app: str, n: int) -> list[dict]:
    async def check():
        pods = await active_pods(client, namespace, app)
        return len(pods) == n
    await eventually(check, what=f"{n} pods of {app}")
    await asyncio.sleep(0.3)  # no overshoot after settling
    pods = await active_pods(client, namespace, app)
    assert len(pods) == n
    return pods


async def wait_status(client, namespace: str, name: str, replicas: int) -> dict:
    async def check():
        rs = await client.get("apps", "v1", "replicasets", name, namespace=namespace)
        st = rs.get("status") or {}
        ok = st.get("replicas", 0) == replicas and st.get("observedGeneration") == rs["metadata"]["generation"]
        return rs if ok else None
    return await eventually(check, what=f"status.replicas={replicas} of {name}")


def test_registered():
    assert "replicaset" in CONTROLLERS


async def test_creates_replaces_and_scales(client, manager, namespace):
    rs = await client.create("apps", "v1", "replicasets", rs_body("web", 3), namespace=namespace)
    pods = await wait_pods(client, namespace, "web", 3)
    for p in pods:
        assert p["metadata"]["name"].startswith("web-")
        assert p["metadata"]["labels"] == {"app": "web", "tier": "web"}
        assert p["metadata"]["ownerReferences"] == [{
            "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web", "uid": rs["metadata"]["uid"],
            "controller": True, "blockOwnerDeletion": True}]
    got = await wait_status(client, namespace, "web", 3)
    assert got["status"]["fullyLabeledReplicas"] == 3
    assert not got["status"].get("readyReplicas")

    # a deleted pod is replaced
    victim = pods[0]["metadata"]["name"]
    await client.delete("", "v1", "pods", victim, namespace=namespace)
    pods = await wait_pods(client, namespace, "web", 3)
    assert victim not in {p["metadata"]["name"] for p in pods}

    # scale up, then to zero
    await client.patch("apps", "v1", "replicasets", "web", {"spec": {"replicas": 5}}, namespace=namespace)
    await wait_pods(client, namespace, "web", 5)
    await wait_status(client, namespace, "web", 5)
    await client.patch("apps", "v1", "replicasets", "web", {"spec": {"replicas": 0}}, namespace=namespace)
    await wait_pods(client, namespace, "web", 0)
    got = await wait_status(client, namespace, "web", 0)
    assert got["status"]["replicas"] == 0


async def test_scale_down_deletes_newest_first(client, manager, namespace):
    await client.create("apps", "v1", "replicasets", rs_body("api", 2), namespace=namespace)
    pods = await wait_pods(client, namespace, "api", 2)
    await asyncio.sleep(1.1)  # creationTimestamp has one-second resolution
    await client.patch("apps", "v1", "replicasets", "api", {"spec": {"replicas": 3}}, namespace=namespace)
    grown = await wait_pods(client, namespace, "api", 3)
    newest = {p["metadata"]["name"] for p in grown} - {p["metadata"]["name"] for p in pods}
    await client.patch("apps", "v1", "replicasets", "api", {"spec": {"replicas": 2}}, namespace=namespace)
    left = await wait_pods(client, namespace, "api", 2)
    assert {p["metadata"]["name"] for p in left} == {p["metadata"]["name"] for p in pods}
    assert newest


async def test_orphan_is_adopted_and_non_matching_pod_released(client, manager, namespace):
    orphan = await client.create("", "v1", "pods", {
        "metadata": {"name": "orphan", "labels": {"app": "db"}},
        "spec": {"containers": [{"name": "c", "image": "nginx"}]}}, namespace=namespace)
    rs = await client.create("apps", "v1", "replicasets", rs_body("db", 2), namespace=namespace)
    pods = await wait_pods(client, namespace, "db", 2)
    names = {p["metadata"]["name"] for p in pods}
    assert "orphan" in names
    adopted = next(p for p in pods if p["metadata"]["name"] == "orphan")
    assert adopted["metadata"]["uid"] == orphan["metadata"]["uid"]
    refs = adopted["metadata"]["ownerReferences"]
    assert len(refs) == 1 and refs[0]["uid"] == rs["metadata"]["uid"]
    assert refs[0]["controller"] is True and refs[0]["blockOwnerDeletion"] is True
    await wait_status(client, namespace, "db", 2)

    # relabel the adopted pod: it is released, and a replacement is created
    await client.patch("", "v1", "pods", "orphan", {"metadata": {"labels": {"app": "other"}}}, namespace=namespace)

    async def released():
        p = await client.get("", "v1", "pods", "orphan", namespace=namespace)
        return p if not p["metadata"].get("ownerReferences") else None
    await eventually(released, what="orphan released")
    pods = await wait_pods(client, namespace, "db", 2)
    assert "orphan" not in {p["metadata"]["name"] for p in pods}


def test_expectations():
    now = [0.0]
    e = Expectations(clock=lambda: now[0], timeout=300)
    assert e.satisfied("ns/a")
    e.expect_creations("ns/a", 2)
    assert not e.satisfied("ns/a")
    e.creation_observed("ns/a")
    assert not e.satisfied("ns/a")
    e.creation_observed("ns/a")
    assert e.satisfied("ns/a")
    e.expect_deletions("ns/a", ["ns/p1"])
    assert not e.satisfied("ns/a")
    now[0] = 301
    assert e.satisfied("ns/a")  # expired
    e.deletion_observed("ns/a", "ns/p1")
    assert e.satisfied("ns/a")


def test_deletion_order():
    def pod(name, *, node="", phase="Pending", ready=False, restarts=0, created="2024-01-01T00:00:00Z"):
        return {"metadata": {"name": name, "namespace": "ns", "creationTimestamp": created},
                "spec": {"nodeName": node},
                "status": {"phase": phase,
                           "conditions": [{"type": "Ready", "status": "True" if ready else "False",
                                           "lastTransitionTime": "2024-01-01T00:00:00Z"}],
                           "containerStatuses": [{"restartCount": restarts}]}}
    pods = [pod("running-ready", node="n", phase="Running", ready=True),
            pod("running", node="n", phase="Running"),
            pod("assigned-pending", node="n"),
            pod("unknown", node="n", phase="Unknown"),
            pod("old", created="2023-01-01T00:00:00Z"),
            pod("new", created="2024-06-01T00:00:00Z"),
            pod("restarty", restarts=5)]
    order = [p["metadata"]["name"] for p in pod_deletion_order(pods)]
    assert order == ["restarty", "new", "old", "assigned-pending", "unknown", "running", "running-ready"]
