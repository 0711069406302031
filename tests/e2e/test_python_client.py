"""The official ``kubernetes`` Python client against a real ``kyb server``."""

from __future__ import annotations

import threading
import uuid

import pytest
from kubernetes import client, watch
from kubernetes.client.rest import ApiException

pytestmark = pytest.mark.e2e


@pytest.fixture()
def namespace(k8s_client):
    core = client.CoreV1Api(k8s_client)
    name = f"py-{uuid.uuid4().hex[:6]}"
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    return name


def test_crud_and_selectors(k8s_client, namespace):
    core = client.CoreV1Api(k8s_client)
    cm = client.V1ConfigMap(metadata=client.V1ObjectMeta(name="one", labels={"app": "a"}), data={"k": "v"})
    created = core.create_namespaced_config_map(namespace, cm)
    assert created.metadata.uid and created.metadata.resource_version
    got = core.read_namespaced_config_map("one", namespace)
    assert got.data == {"k": "v"}
    got.data["k"] = "w"
    replaced = core.replace_namespaced_config_map("one", namespace, got)
    assert int(replaced.metadata.resource_version) > int(created.metadata.resource_version)
    patched = core.patch_namespaced_config_map("one", namespace, {"metadata": {"labels": {"tier": "x"}}})
    assert patched.metadata.labels == {"app": "a", "tier": "x"}
    core.create_namespaced_config_map(namespace, client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name="two", labels={"app": "b"})))
    names = [i.metadata.name for i in core.list_namespaced_config_map(namespace, label_selector="app in (a,b)").items]
    assert names == ["one", "two"]
    names = [i.metadata.name for i in core.list_namespaced_config_map(namespace, label_selector="tier").items]
    assert names == ["one"]
    names = [i.metadata.name for i in core.list_namespaced_config_map(namespace, field_selector="metadata.name!=one").items]
    assert names == ["two"]
    # stale update -> 409
    got.metadata.resource_version = created.metadata.resource_version
    with pytest.raises(ApiException) as e:
        core.replace_namespaced_config_map("one", namespace, got)
    assert e.value.status == 409
    core.delete_namespaced_config_map("one", namespace)
    with pytest.raises(ApiException) as e:
        core.read_namespaced_config_map("one", namespace)
    assert e.value.status == 404


def test_invalid_object_gets_field_path(k8s_client, namespace):
    core = client.CoreV1Api(k8s_client)
    pod = client.V1Pod(metadata=client.V1ObjectMeta(name="bad"), spec=client.V1PodSpec(containers=[]))
    with pytest.raises(ApiException) as e:
        core.create_namespaced_pod(namespace, pod)
    assert e.value.status == 422
    assert "spec.containers" in e.value.body


def test_watch_from_resource_version(k8s_client, namespace):
    core = client.CoreV1Api(k8s_client)
    listed = core.list_namespaced_config_map(namespace)
    rv = listed.metadata.resource_version
    seen: list[tuple[str, str]] = []
    w = watch.Watch()
    done = threading.Event()

    def consume():
        for ev in w.stream(core.list_namespaced_config_map, namespace, resource_version=rv, timeout_seconds=20):
            seen.append((ev["type"], ev["object"].metadata.name))
            if ev["type"] == "DELETED":
                break
        done.set()

    t = threading.Thread(target=consume, daemon=True)
    t.start()
    core.create_namespaced_config_map(namespace, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="w")))
    core.patch_namespaced_config_map("w", namespace, {"data": {"x": "1"}})
    core.delete_namespaced_config_map("w", namespace)
    assert done.wait(20)
    w.stop()
    assert seen == [("ADDED", "w"), ("MODIFIED", "w"), ("DELETED", "w")]


def test_deployment_scale_subresource(k8s_client, namespace):
    apps = client.AppsV1Api(k8s_client)
    dep = client.V1Deployment(
        metadata=client.V1ObjectMeta(name="d"),
        spec=client.V1DeploymentSpec(
            selector=client.V1LabelSelector(match_labels={"app": "d"}),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels={"app": "d"}),
                spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="busybox")]))))
    apps.create_namespaced_deployment(namespace, dep)
    scale = apps.read_namespaced_deployment_scale("d", namespace)
    assert scale.spec.replicas == 1 and scale.status.selector == "app=d"
    apps.patch_namespaced_deployment_scale("d", namespace, {"spec": {"replicas": 4}})
    assert apps.read_namespaced_deployment("d", namespace).spec.replicas == 4
    # status changes through the main resource are ignored
    d = apps.read_namespaced_deployment("d", namespace)
    d.status = client.V1DeploymentStatus(replicas=7)
    apps.replace_namespaced_deployment("d", namespace, d)
    assert (apps.read_namespaced_deployment("d", namespace).status.replicas or 0) == 0
    apps.patch_namespaced_deployment_status("d", namespace, {"status": {"replicas": 2}})
    d = apps.read_namespaced_deployment("d", namespace)
    assert d.status.replicas == 2 and d.spec.replicas == 4
