"""Server-side apply through kubectl: managed fields, conflicts, --force-conflicts."""

from __future__ import annotations

import pytest

from .test_kubectl_apply import deployment, ns_name

pytestmark = pytest.mark.e2e


def test_server_side_apply_conflict_and_force(kubectl, tmp_path):
    ns = ns_name("ssa")
    kubectl("create", "ns", ns)
    f = tmp_path / "d.yaml"
    f.write_text(deployment(ns, replicas=2))
    out = kubectl("apply", "--server-side", "-f", str(f))
    assert "serverside-applied" in out
    d = kubectl.json("get", "deployment", "web", "-n", ns, "--show-managed-fields")
    managers = {(m["manager"], m["operation"]) for m in d["metadata"]["managedFields"]}
    assert ("kubectl", "Apply") in managers
    # another manager changes replicas with a plain update: a later apply of a different value conflicts
    kubectl("scale", "deployment", "web", "-n", ns, "--replicas=5")
    f.write_text(deployment(ns, replicas=3))
    p = kubectl.run("apply", "--server-side", "-f", str(f), check=False)
    assert p.returncode != 0
    assert "Apply failed with 1 conflict" in p.stderr and ".spec.replicas" in p.stderr
    assert kubectl.json("get", "deployment", "web", "-n", ns)["spec"]["replicas"] == 5
    kubectl("apply", "--server-side", "--force-conflicts", "-f", str(f))
    assert kubectl.json("get", "deployment", "web", "-n", ns)["spec"]["replicas"] == 3


def test_client_side_to_server_side_migration(kubectl, tmp_path):
    ns = ns_name("mig")
    kubectl("create", "ns", ns)
    f = tmp_path / "d.yaml"
    f.write_text(deployment(ns, replicas=2, labels={"tier": "web"}))
    kubectl("apply", "-f", str(f))
    # the same file, now server-side: kubectl migrates ownership from kubectl-client-side-apply
    f.write_text(deployment(ns, replicas=2))
    kubectl("apply", "--server-side", "-f", str(f))
    d = kubectl.json("get", "deployment", "web", "-n", ns, "--show-managed-fields")
    managers = {m["manager"] for m in d["metadata"]["managedFields"]}
    assert "kubectl" in managers
    # the label dropped from the file is gone, as it would be with client-side apply
    assert "tier" not in d["metadata"].get("labels", {})


def test_every_write_is_recorded_by_its_manager(kubectl):
    ns = ns_name("mgr")
    kubectl("create", "ns", ns)
    kubectl("create", "configmap", "c", "-n", ns, "--from-literal=a=1")
    kubectl("label", "configmap", "c", "-n", ns, "x=y")
    cm = kubectl.json("get", "configmap", "c", "-n", ns, "--show-managed-fields")
    by_manager = {m["manager"]: m for m in cm["metadata"]["managedFields"]}
    assert by_manager["kubectl-create"]["operation"] == "Update"
    assert "f:data" in by_manager["kubectl-create"]["fieldsV1"]
    assert by_manager["kubectl-label"]["fieldsV1"] == {"f:metadata": {"f:labels": {".": {}, "f:x": {}}}}


def test_apply_prune_and_kustomize(kubectl, tmp_path):
    ns = ns_name("prune")
    kubectl("create", "ns", ns)
    d = tmp_path / "k"
    d.mkdir()
    (d / "a.yaml").write_text(f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: {ns}\n"
                              "  labels: {set: demo}\ndata: {k: v}\n")
    (d / "b.yaml").write_text(f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  namespace: {ns}\n"
                              "  labels: {set: demo}\n")
    (d / "kustomization.yaml").write_text("resources:\n- a.yaml\n- b.yaml\ncommonAnnotations:\n  made-by: kustomize\n")
    out = kubectl("apply", "-k", str(d))
    assert "configmap/a created" in out and "configmap/b created" in out
    assert kubectl.json("get", "configmap", "a", "-n", ns)["metadata"]["annotations"]["made-by"] == "kustomize"
    (d / "b.yaml").unlink()
    (d / "kustomization.yaml").write_text("resources:\n- a.yaml\n")
    out = kubectl("apply", "-f", str(d / "a.yaml"), "--prune", "-l", "set=demo", "-n", ns)
    assert "configmap/b pruned" in out
    names = kubectl("get", "configmaps", "-n", ns, "-l", "set=demo", "-o", "name").split()
    assert names == ["configmap/a"]
