"""The namespace, service account and root CA publisher controllers, run in-process by
``run_controller_manager`` against a real API server (which runs no controllers itself)."""

from __future__ import annotations

import base64
import contextlib
import uuid

import pytest
import yaml

from tests.component.conftest import eventually, running_controller_manager
from kybernetes.client import APIStatusError
from kybernetes.controllers import CONTROLLERS
from kybernetes.controllers.manager import enabled_controllers
from kybernetes.controllers.rootca import (
    CONFIGMAP_NAME,
    DESCRIPTION,
    DESCRIPTION_ANNOTATION,
)



@pytest.fixture
async def manager(cluster):
    async with running_controller_manager(cluster, None) as task:
        yield task


async def get_or_none(client, plural, name, namespace=""):
    try:
        return await client.get("", "v1", plural, name, namespace=namespace)
    except APIStatusError as e:
        if e.code == 404:
            return None
        raise


def cluster_ca(cluster) -> str:
    cfg = yaml.safe_load(cluster.kubeconfig.read_text())
    return base64.b64decode(cfg["clusters"][0]["cluster"]["certificate-authority-data"]).decode()


def test_registry_and_selection():
    assert set(CONTROLLERS) >= {"namespace", "serviceaccount", "root-ca-cert-publisher"}
    assert enabled_controllers(None) == list(CONTROLLERS)
    assert enabled_controllers(["*", "-namespace"]) == [n for n in CONTROLLERS if n != "namespace"]
    assert enabled_controllers(["serviceaccount-controller"]) == ["serviceaccount"]
    with pytest.raises(ValueError):
        enabled_controllers(["no-such"])


async def test_new_namespace_gets_default_sa_and_root_ca(cluster, client, manager, namespace):
    await eventually(lambda: get_or_none(client, "serviceaccounts", "default", namespace), what="default SA")
    cm = await eventually(lambda: get_or_none(client, "configmaps", CONFIGMAP_NAME, namespace), what="root CA map")
    # the manager's User-Agent names it in managedFields, as upstream's does
    assert {m.get("manager") for m in cm["metadata"].get("managedFields") or []} == {"kube-controller-manager"}
    assert cm["data"] == {"ca.crt": cluster_ca(cluster)}
    assert cm["metadata"]["annotations"][DESCRIPTION_ANNOTATION] == DESCRIPTION


async def test_deleted_or_edited_objects_come_back(cluster, client, manager, namespace):
    sa = await eventually(lambda: get_or_none(client, "serviceaccounts", "default", namespace), what="default SA")
    await client.delete("", "v1", "serviceaccounts", "default", namespace=namespace)

    async def recreated_sa():
        new = await get_or_none(client, "serviceaccounts", "default", namespace)
        return new if new and new["metadata"]["uid"] != sa["metadata"]["uid"] else None
    await eventually(recreated_sa, what="recreated default SA")

    cm = await eventually(lambda: get_or_none(client, "configmaps", CONFIGMAP_NAME, namespace), what="root CA map")
    await client.delete("", "v1", "configmaps", CONFIGMAP_NAME, namespace=namespace)

    async def recreated_cm():
        new = await get_or_none(client, "configmaps", CONFIGMAP_NAME, namespace)
        return new if new and new["metadata"]["uid"] != cm["metadata"]["uid"] else None
    cm = await eventually(recreated_cm, what="recreated root CA map")

    cm["data"] = {"ca.crt": "tampered"}
    await client.replace("", "v1", "configmaps", CONFIGMAP_NAME, cm, namespace=namespace)

    async def restored():
        new = await get_or_none(client, "configmaps", CONFIGMAP_NAME, namespace)
        return new if new and new["data"] == {"ca.crt": cluster_ca(cluster)} else None
    await eventually(restored, what="restored root CA map")


async def test_deleting_a_namespace_removes_its_content_and_then_it(client, manager):
    ns = f"t-{uuid.uuid4().hex[:8]}"
    await client.create("", "v1", "namespaces", {"metadata": {"name": ns}})
    for i in range(2):
        await client.create("", "v1", "configmaps", {"metadata": {"name": f"cm-{i}"}, "data": {"k": "v"}}, namespace=ns)
    await client.create("", "v1", "secrets", {"metadata": {"name": "s"}, "stringData": {"k": "v"}}, namespace=ns)
    await client.create("apps", "v1", "deployments", {
        "metadata": {"name": "web"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "c", "image": "nginx"}]}}},
    }, namespace=ns)
    await client.delete("", "v1", "namespaces", ns)

    async def gone():
        return await get_or_none(client, "namespaces", ns) is None
    await eventually(gone, what=f"namespace {ns} deleted")


async def test_content_with_a_finalizer_holds_the_namespace_and_is_reported(client, manager):
    ns = f"t-{uuid.uuid4().hex[:8]}"
    await client.create("", "v1", "namespaces", {"metadata": {"name": ns}})
    await client.create("", "v1", "configmaps", {"metadata": {"name": "held", "finalizers": ["example.com/hold"]}},
                        namespace=ns)
    await client.delete("", "v1", "namespaces", ns)

    async def reported():
        obj = await get_or_none(client, "namespaces", ns)
        conds = {c["type"]: c for c in (obj or {}).get("status", {}).get("conditions") or []}
        c = conds.get("NamespaceContentRemaining")
        return conds if c and c["status"] == "True" else None
    conds = await eventually(reported, what="NamespaceContentRemaining")
    assert conds["NamespaceContentRemaining"]["reason"] == "SomeResourcesRemain"
    assert conds["NamespaceContentRemaining"]["message"] == \
        "Some resources are remaining: configmaps. has 1 resource instances"
    assert conds["NamespaceFinalizersRemaining"]["status"] == "True"
    assert conds["NamespaceFinalizersRemaining"]["reason"] == "SomeFinalizersRemain"
    assert conds["NamespaceFinalizersRemaining"]["message"] == \
        "Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances"
    assert conds["NamespaceDeletionDiscoveryFailure"]["status"] == "False"
    assert conds["NamespaceDeletionDiscoveryFailure"]["reason"] == "ResourcesDiscovered"
    assert conds["NamespaceDeletionContentFailure"]["reason"] == "ContentDeleted"

    # let the held object go: the namespace follows
    cm = await client.get("", "v1", "configmaps", "held", namespace=ns)
    cm["metadata"]["finalizers"] = []
    with contextlib.suppress(APIStatusError):
        await client.replace("", "v1", "configmaps", "held", cm, namespace=ns)

    async def gone():
        return await get_or_none(client, "namespaces", ns) is None
    await eventually(gone, what=f"namespace {ns} deleted")


async def test_leader_elected_manager_runs_controllers(cluster, client, namespace):
    async with running_controller_manager(cluster, ["serviceaccount"], leader_elect=True,
                                          lease_name=f"kcm-{uuid.uuid4().hex[:6]}"):
        await eventually(lambda: get_or_none(client, "serviceaccounts", "default", namespace), what="default SA")
