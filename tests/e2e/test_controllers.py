"""``kyb server`` runs the controller manager: namespaces get their default
ServiceAccount and root CA ConfigMap, and deleting a namespace full of objects
finishes (kubectl waits for it, as against a real cluster)."""

from __future__ import annotations

import uuid

import pytest

from .conftest import KUBECTL_PIP, Kubectl, start_cluster, wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def kubectl_cm(tmp_path_factory):
    c = start_cluster(tmp_path_factory.mktemp("kyb-cm") / "data", controllers=True)
    yield Kubectl(str(KUBECTL_PIP), c, tmp_path_factory.mktemp("home"))
    c.stop()




def test_namespace_gets_default_service_account_and_root_ca(kubectl_cm):
    k = kubectl_cm
    ns = f"cm-{uuid.uuid4().hex[:6]}"
    k("create", "ns", ns)
    assert wait_for(lambda: k.run("get", "serviceaccount", "default", "-n", ns, check=False).returncode == 0)
    assert wait_for(lambda: k.run("get", "configmap", "kube-root-ca.crt", "-n", ns, check=False).returncode == 0)
    cm = k.json("get", "configmap", "kube-root-ca.crt", "-n", ns)
    assert cm["data"]["ca.crt"].startswith("-----BEGIN CERTIFICATE-----")


def test_deleting_a_namespace_full_of_objects_completes(kubectl_cm):
    k = kubectl_cm
    ns = f"gone-{uuid.uuid4().hex[:6]}"
    k("create", "ns", ns)
    k("create", "configmap", "a", "-n", ns)
    k("create", "secret", "generic", "s", "-n", ns, "--from-literal=x=y")
    k("create", "deployment", "d", "-n", ns, "--image=nginx")
    out = k("delete", "namespace", ns, timeout=60)  # kubectl waits until the namespace is gone
    assert f'namespace "{ns}" deleted' in out
    assert k.run("get", "namespace", ns, check=False).returncode != 0
