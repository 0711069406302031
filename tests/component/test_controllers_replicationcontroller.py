"""The ReplicationController controller (the ReplicaSet logic on core/v1
ReplicationControllers, whose selector is a label map) against a real API server."""

from __future__ import annotations


import pytest

from kybernetes.controllers import CONTROLLERS
from tests.component.conftest import eventually, running_controller_manager


@pytest.fixture
async def manager(cluster):
    async with running_controller_manager(cluster, ["replicationcontroller"]) as task:
        yield task


def rc_body(name: str, replicas: int) -> dict:
    # no spec.selector: defaulting copies the template labels into it
    return {"apiVersion": "v1", "kind": "ReplicationController", "metadata": {"name": name},
            "spec": {"replicas": replicas,
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}


async def pods_of(client, namespace: str, app: str) -> list[dict]:
    items = (await client.list("", "v1", "pods", namespace=namespace, label_selector=f"app={app}"))["items"]
    return [p for p in items if not p["metadata"].get("deletionTimestamp")]


def test_registered():
    assert "replicationcontroller" in CONTROLLERS


async def test_keeps_replicas_adopts_and_reports_status(client, manager, namespace):
    orphan = await client.create("", "v1", "pods", {
        "metadata": {"name": "stray", "labels": {"app": "rc"}},
        "spec": {"containers": [{"name": "c", "image": "nginx"}]}}, namespace=namespace)
    rc = await client.create("", "v1", "replicationcontrollers", rc_body("rc", 3), namespace=namespace)
    assert rc["spec"]["selector"] == {"app": "rc"}

    async def three_owned():
        pods = await pods_of(client, namespace, "rc")
        owned = [p for p in pods if (p["metadata"].get("ownerReferences") or [{}])[0].get("uid") == rc["metadata"]["uid"]]
        return pods if len(pods) == 3 and len(owned) == 3 else None
    pods = await eventually(three_owned, what="3 pods owned by the RC")
    assert "stray" in {p["metadata"]["name"] for p in pods}
    ref = next(p for p in pods if p["metadata"]["name"] == "stray")["metadata"]["ownerReferences"][0]
    assert ref == {"apiVersion": "v1", "kind": "ReplicationController", "name": "rc",
                   "uid": rc["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}
    assert orphan["metadata"]["uid"] == next(p for p in pods if p["metadata"]["name"] == "stray")["metadata"]["uid"]

    async def status_is(n):
        got = await client.get("", "v1", "replicationcontrollers", "rc", namespace=namespace)
        st = got.get("status") or {}
        return got if st.get("replicas") == n and st.get("observedGeneration") == got["metadata"]["generation"] else None
    got = await eventually(lambda: status_is(3), what="status.replicas=3")
    assert got["status"]["fullyLabeledReplicas"] == 3

    await client.patch("", "v1", "replicationcontrollers", "rc", {"spec": {"replicas": 1}}, namespace=namespace)

    async def one_left():
        return len(await pods_of(client, namespace, "rc")) == 1
    await eventually(one_left, what="scaled down to 1")
    await eventually(lambda: status_is(1), what="status.replicas=1")
    events = (await client.list("", "v1", "events", namespace=namespace))["items"]
    sources = {(e.get("source") or {}).get("component") for e in events if e.get("reason") == "SuccessfulCreate"}
    assert sources == {"replication-controller"}
