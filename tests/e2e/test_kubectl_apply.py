"""Every way kubectl writes: client-side apply, diff, server-side apply with
conflicts, edit, replace, explain, and create -f of Lists and multi-document YAML.
Runs with each kubectl variant (1.37, and the machine's 1.33, 1.30, 1.27)."""

from __future__ import annotations

import json
import stat
import uuid

import pytest

pytestmark = pytest.mark.e2e


def ns_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def deployment(ns: str, *, replicas: int = 1, image: str = "nginx:1.27", env: dict | None = None,
               labels: dict | None = None) -> str:
    env_yaml = "".join(f"\n        - name: {k}\n          value: \"{v}\"" for k, v in (env or {}).items())
    labels_yaml = "".join(f"\n    {k}: {v}" for k, v in (labels or {}).items())
    return f"""
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: {ns}
  labels:
    app: web{labels_yaml}
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      containers:
      - name: nginx
        image: {image}
        env:{env_yaml if env else " []"}
"""


def test_client_side_apply_create_change_remove_and_diff(kubectl, tmp_path):
    ns = ns_name("csa")
    kubectl("create", "ns", ns)
    f = tmp_path / "d.yaml"
    f.write_text(deployment(ns, env={"A": "1", "B": "2"}, labels={"tier": "web"}))
    assert "deployment.apps/web created" in kubectl("apply", "-f", str(f))
    d = kubectl.json("get", "deployment", "web", "-n", ns)
    assert "kubectl.kubernetes.io/last-applied-configuration" in d["metadata"]["annotations"]
    # change: image, replicas, drop env B and the tier label
    f.write_text(deployment(ns, replicas=2, image="nginx:1.28", env={"A": "1"}))
    diff = kubectl.run("diff", "-f", str(f), check=False)
    assert diff.returncode == 1, diff.stderr  # 1 = differences found
    assert "nginx:1.28" in diff.stdout and "-        image: nginx:1.27" in diff.stdout
    assert kubectl.json("get", "deployment", "web", "-n", ns)["spec"]["replicas"] == 1  # diff changed nothing
    assert "deployment.apps/web configured" in kubectl("apply", "-f", str(f))
    d = kubectl.json("get", "deployment", "web", "-n", ns)
    c = d["spec"]["template"]["spec"]["containers"][0]
    assert d["spec"]["replicas"] == 2 and c["image"] == "nginx:1.28"
    assert c["env"] == [{"name": "A", "value": "1"}]
    assert "tier" not in d["metadata"]["labels"]
    assert "unchanged" in kubectl("apply", "-f", str(f))
    assert kubectl.run("diff", "-f", str(f), check=False).returncode == 0


def test_edit_and_replace(kubectl, tmp_path):
    ns = ns_name("edit")
    kubectl("create", "ns", ns)
    kubectl("create", "configmap", "c", "-n", ns, "--from-literal=k=v")
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nsed -i 's/k: v/k: edited/' \"$1\"\n")
    editor.chmod(editor.stat().st_mode | stat.S_IEXEC)
    env = kubectl.env()
    env["KUBE_EDITOR"] = str(editor)
    import subprocess

    p = subprocess.run([kubectl.binary, "edit", "configmap", "c", "-n", ns], env=env, capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    assert "edited" in p.stdout
    obj = kubectl.json("get", "configmap", "c", "-n", ns)
    assert obj["data"] == {"k": "edited"}
    obj["data"]["k"] = "replaced"
    f = tmp_path / "c.json"
    f.write_text(json.dumps(obj))
    assert "replaced" in kubectl("replace", "-f", str(f))
    assert kubectl.json("get", "configmap", "c", "-n", ns)["data"] == {"k": "replaced"}


def test_create_list_and_multi_document_yaml(kubectl, tmp_path):
    ns = ns_name("multi")
    kubectl("create", "ns", ns)
    docs = "\n---\n".join(
        f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: m{i}\n  namespace: {ns}\ndata:\n  i: \"{i}\"" for i in range(2))
    f = tmp_path / "multi.yaml"
    f.write_text(docs)
    out = kubectl("create", "-f", str(f))
    assert "configmap/m0 created" in out and "configmap/m1 created" in out
    lst = {"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"l{i}", "namespace": ns}} for i in range(2)]}
    g = tmp_path / "list.json"
    g.write_text(json.dumps(lst))
    out = kubectl("create", "-f", str(g))
    assert "configmap/l0 created" in out and "configmap/l1 created" in out


def test_strict_field_validation_reports_the_path(kubectl, tmp_path):
    ns = ns_name("strict")
    kubectl("create", "ns", ns)
    f = tmp_path / "bad.yaml"
    f.write_text(f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad\n  namespace: {ns}\nbogus: 1\n")
    p = kubectl.run("create", "-f", str(f), check=False)
    assert p.returncode != 0
    assert 'unknown field "bogus"' in p.stderr
    assert kubectl.run("get", "configmap", "bad", "-n", ns, check=False).returncode != 0


def test_explain(kubectl):
    out = kubectl("explain", "pods.spec.containers.livenessProbe")
    assert "livenessProbe" in out and "FIELDS:" in out and "httpGet" in out
    out = kubectl("explain", "deployment.spec.strategy", "--recursive")
    assert "rollingUpdate" in out and "maxSurge" in out


def test_protobuf_create_generators(kubectl):
    ns = ns_name("gen")
    kubectl("create", "ns", ns)
    assert "deployment.apps/d created" in kubectl("create", "deployment", "d", "-n", ns, "--image=nginx")
    assert "secret/s created" in kubectl("create", "secret", "generic", "s", "-n", ns, "--from-literal=a=b")
    assert "service/svc created" in kubectl("create", "service", "clusterip", "svc", "-n", ns, "--tcp=80:8080")
    assert "job.batch/j created" in kubectl("create", "job", "j", "-n", ns, "--image=busybox")
    svc = kubectl.json("get", "service", "svc", "-n", ns)
    assert svc["spec"]["clusterIP"].startswith("10.43.")
    assert svc["spec"]["ports"][0]["targetPort"] == 8080
    secret = kubectl.json("get", "secret", "s", "-n", ns)
    assert secret["data"] == {"a": "Yg=="} and secret["type"] == "Opaque"


def test_server_dry_run_changes_nothing(kubectl, tmp_path):
    ns = ns_name("dry")
    kubectl("create", "ns", ns)
    f = tmp_path / "d.yaml"
    f.write_text(deployment(ns))
    out = kubectl("apply", "-f", str(f), "--dry-run=server")
    assert "(server dry run)" in out
    assert kubectl.run("get", "deployment", "web", "-n", ns, check=False).returncode != 0
    kubectl("apply", "-f", str(f))
    f.write_text(deployment(ns, replicas=4))
    kubectl("apply", "-f", str(f), "--dry-run=server")
    assert kubectl.json("get", "deployment", "web", "-n", ns)["spec"]["replicas"] == 1
