"""kubectl against a real ``kyb server``: the everyday reads and writes.

Every test runs once per kubectl binary (the pip-installed 1.37 and the
machine's version dispatcher, which picks its client from our /version)."""

from __future__ import annotations

import json
import uuid

import pytest

pytestmark = pytest.mark.e2e


def ns_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def test_version_reports_the_api_level(kubectl):
    out = kubectl("version", "-o", "json")
    client, server = json.loads(out)["clientVersion"], json.loads(out)["serverVersion"]
    minor = "33" if kubectl.version == "1.37" else kubectl.version.split(".")[1]
    assert server["major"] == "1" and server["minor"] == minor
    assert server["gitVersion"].startswith(f"v1.{minor}.0+kyb.")
    if kubectl.version != "1.37":  # the dispatcher ran the client of the server's minor
        assert client["minor"] == minor


def test_api_resources_and_versions(kubectl):
    out = kubectl("api-resources")
    lines = out.splitlines()
    assert lines[0].split()[:2] == ["NAME", "SHORTNAMES"]
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert rows["pods"][1] == "po"
    assert rows["deployments"][1] == "deploy"
    assert rows["deployments"][2] == "apps/v1"
    assert rows["namespaces"][1] == "ns" and rows["namespaces"][3] == "false"
    for r in ("configmaps", "secrets", "services", "jobs", "cronjobs", "ingresses", "leases", "roles",
              "customresourcedefinitions", "horizontalpodautoscalers", "poddisruptionbudgets", "events"):
        assert r in rows, r
    versions = kubectl("api-versions").split()
    for gv in ("v1", "apps/v1", "batch/v1", "autoscaling/v1", "autoscaling/v2", "networking.k8s.io/v1",
               "policy/v1", "rbac.authorization.k8s.io/v1", "storage.k8s.io/v1", "events.k8s.io/v1"):
        assert gv in versions


def test_namespaces_listed_with_upstream_columns(kubectl):
    out = kubectl("get", "ns")
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "STATUS", "AGE"]
    names = {line.split()[0]: line.split()[1] for line in lines[1:]}
    for ns in ("default", "kube-system", "kube-public", "kube-node-lease"):
        assert names[ns] == "Active"


def test_create_namespace_and_configmap_then_get_yaml(kubectl):
    ns = ns_name("cm")
    assert f"namespace/{ns} created" in kubectl("create", "ns", ns)
    out = kubectl("create", "configmap", "app", "-n", ns, "--from-literal=LOG=debug", "--from-literal=MODE=x")
    assert "configmap/app created" in out
    y = kubectl("get", "configmap", "app", "-n", ns, "-o", "yaml")
    assert "LOG: debug" in y and "kind: ConfigMap" in y and "resourceVersion:" in y
    table = kubectl("get", "configmaps", "-n", ns).splitlines()
    assert table[0].split() == ["NAME", "DATA", "AGE"]
    assert table[1].split()[:2] == ["app", "2"]
    wide = kubectl("get", "configmaps", "-n", ns, "-o", "wide").splitlines()
    assert wide[0].split() == ["NAME", "DATA", "AGE"]


def test_errors_are_readable(kubectl):
    ns = ns_name("err")
    kubectl("create", "ns", ns)
    p = kubectl.run("get", "configmap", "nope", "-n", ns, check=False)
    assert p.returncode != 0
    assert 'Error from server (NotFound): configmaps "nope" not found' in p.stderr
    kubectl("create", "configmap", "dup", "-n", ns)
    p = kubectl.run("create", "configmap", "dup", "-n", ns, check=False)
    assert 'error: failed to create configmap: configmaps "dup" already exists' in p.stderr
    manifest = '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dup","namespace":"%s"}}' % ns
    p = kubectl.run("create", "-f", "-", "--validate=false", input=manifest, check=False)
    assert 'Error from server (AlreadyExists): error when creating "STDIN": configmaps "dup" already exists' in p.stderr
    p = kubectl.run("create", "configmap", "Bad_Name", "-n", ns, check=False)
    assert p.returncode != 0
    assert "Invalid" in p.stderr and 'ConfigMap "Bad_Name" is invalid: metadata.name' in p.stderr
    p = kubectl.run("create", "configmap", "x", "-n", "no-such-ns", check=False)
    assert 'namespaces "no-such-ns" not found' in p.stderr


def test_replace_with_stale_resource_version_conflicts(kubectl, tmp_path):
    ns = ns_name("conf")
    kubectl("create", "ns", ns)
    kubectl("create", "configmap", "c", "-n", ns, "--from-literal=a=1")
    obj = kubectl.json("get", "configmap", "c", "-n", ns)
    kubectl("label", "configmap", "c", "-n", ns, "x=y")
    obj["data"]["a"] = "2"
    f = tmp_path / "c.json"
    f.write_text(json.dumps(obj))
    p = kubectl.run("replace", "-f", str(f), "--validate=false", check=False)
    assert p.returncode != 0
    assert "Conflict" in p.stderr
    assert 'Operation cannot be fulfilled on configmaps "c": the object has been modified' in p.stderr


def test_label_annotate_patch(kubectl):
    ns = ns_name("lbl")
    kubectl("create", "ns", ns)
    kubectl("create", "configmap", "c", "-n", ns, "--from-literal=a=1")
    assert "labeled" in kubectl("label", "configmap", "c", "-n", ns, "tier=frontend")
    assert "annotate" in kubectl("annotate", "configmap", "c", "-n", ns, "note=hello")  # 1.27 prints "annotate"
    kubectl("patch", "configmap", "c", "-n", ns, "--type=merge", "-p", '{"data":{"b":"2"}}')
    kubectl("patch", "configmap", "c", "-n", ns, "--type=json", "-p", '[{"op":"replace","path":"/data/a","value":"9"}]')
    obj = kubectl.json("get", "configmap", "c", "-n", ns)
    assert obj["metadata"]["labels"]["tier"] == "frontend"
    assert obj["metadata"]["annotations"]["note"] == "hello"
    assert obj["data"] == {"a": "9", "b": "2"}
    out = kubectl("get", "configmaps", "-n", ns, "-l", "tier=frontend", "-o", "name")
    assert out.strip() == "configmap/c"
    assert kubectl("get", "configmaps", "-n", ns, "-l", "tier!=frontend", "-o", "name").strip() == ""
    out = kubectl("get", "configmaps", "-n", ns, "--field-selector", "metadata.name=c", "-o", "name")
    assert out.strip() == "configmap/c"
    p = kubectl.run("get", "pods", "-n", ns, "--field-selector", "spec.foo=bar", check=False)
    assert "field label not supported: spec.foo" in p.stderr


DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
"""


def test_deployment_scale_and_delete(kubectl):
    ns = ns_name("dep")
    kubectl("create", "ns", ns)
    kubectl("create", "-n", ns, "-f", "-", "--validate=false", input=DEPLOYMENT)
    dep = kubectl.json("get", "deployment", "web", "-n", ns)
    assert dep["spec"]["strategy"]["rollingUpdate"] == {"maxUnavailable": "25%", "maxSurge": "25%"}
    assert dep["metadata"]["generation"] == 1
    assert dep["spec"]["template"]["spec"]["restartPolicy"] == "Always"
    assert "scaled" in kubectl("scale", "deployment", "web", "-n", ns, "--replicas=3")
    dep = kubectl.json("get", "deployment", "web", "-n", ns)
    assert dep["spec"]["replicas"] == 3
    assert dep["metadata"]["generation"] == 2
    header = kubectl("get", "deployments", "-n", ns).splitlines()[0].split()
    assert header == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    wide = kubectl("get", "deployments", "-n", ns, "-o", "wide").splitlines()[0].split()
    assert wide == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"]
    assert 'deployment.apps "web" deleted' in kubectl("delete", "deployment", "web", "-n", ns)
    p = kubectl.run("get", "deployment", "web", "-n", ns, check=False)
    assert "NotFound" in p.stderr


@pytest.mark.parametrize("cascade", ["background", "orphan", "foreground"])
def test_delete_propagation_policies_accepted(kubectl, cascade):
    ns = ns_name("casc")
    kubectl("create", "ns", ns)
    kubectl("create", "configmap", "c", "-n", ns)
    out = kubectl("delete", "configmap", "c", "-n", ns, f"--cascade={cascade}", "--wait=false")
    assert 'configmap "c" deleted' in out


def test_pods_table_has_upstream_columns(kubectl):
    ns = ns_name("pods")
    kubectl("create", "ns", ns)
    kubectl("run", "p1", "-n", ns, "--image=busybox", "--restart=Never")
    lines = kubectl("get", "pods", "-n", ns).splitlines()
    assert lines[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert lines[1].split()[:4] == ["p1", "0/1", "Pending", "0"]
    wide = kubectl("get", "pods", "-n", ns, "-o", "wide").splitlines()[0].split()
    assert wide == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED", "NODE", "READINESS", "GATES"]
    pod = kubectl.json("get", "pod", "p1", "-n", ns)
    spec = pod["spec"]
    assert spec["dnsPolicy"] == "ClusterFirst" and spec["terminationGracePeriodSeconds"] == 30
    assert spec["schedulerName"] == "default-scheduler"
    assert spec["containers"][0]["imagePullPolicy"] == "Always"
    assert pod["status"]["phase"] == "Pending"


def test_get_all_all_namespaces(kubectl):
    out = kubectl("get", "all", "-A")
    assert "service/kubernetes" in out


def test_chunked_list(kubectl):
    ns = ns_name("chunk")
    kubectl("create", "ns", ns)
    for i in range(5):
        kubectl("create", "configmap", f"c{i}", "-n", ns)
    out = kubectl("get", "configmaps", "-n", ns, "--chunk-size=2", "-o", "name").split()
    assert out == [f"configmap/c{i}" for i in range(5)]
    table = kubectl("get", "configmaps", "-n", ns, "--chunk-size=2").splitlines()
    assert [line.split()[0] for line in table[1:]] == [f"c{i}" for i in range(5)]


def test_watch_sees_added_modified_deleted(kubectl):
    ns = ns_name("watch")
    kubectl("create", "ns", ns)
    kubectl("create", "configmap", "w0", "-n", ns)
    w = kubectl.popen("get", "configmaps", "-n", ns, "-w", "--output-watch-events")
    events: list[list[str]] = []
    try:
        assert w.stdout is not None

        def next_event() -> list[str]:
            while True:
                line = w.stdout.readline()
                assert line, "watch ended early"
                cols = line.split()
                if cols and cols[0] != "EVENT":
                    events.append(cols[:2])
                    return cols[:2]

        # the watch is running once it has printed the existing object
        assert next_event() == ["ADDED", "w0"]
        kubectl("create", "configmap", "w1", "-n", ns)
        kubectl("label", "configmap", "w1", "-n", ns, "a=b")
        kubectl("delete", "configmap", "w1", "-n", ns)
        while next_event() != ["DELETED", "w1"]:
            pass
    finally:
        w.kill()
        w.communicate(timeout=10)
    assert events == [["ADDED", "w0"], ["ADDED", "w1"], ["MODIFIED", "w1"], ["DELETED", "w1"]]


def test_describe_lists_events(kubectl, tmp_path):
    ns = ns_name("desc")
    kubectl("create", "ns", ns)
    kubectl("create", "configmap", "target", "-n", ns)
    cm = kubectl.json("get", "configmap", "target", "-n", ns)
    event = {
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": "target.1", "namespace": ns},
        "involvedObject": {"kind": "ConfigMap", "name": "target", "namespace": ns, "uid": cm["metadata"]["uid"],
                           "apiVersion": "v1"},
        "reason": "Checked", "message": "looked at it", "type": "Normal",
        "source": {"component": "e2e"}, "count": 1,
        "firstTimestamp": "2026-01-01T00:00:00Z", "lastTimestamp": "2026-01-01T00:00:00Z",
    }
    f = tmp_path / "ev.json"
    f.write_text(json.dumps(event))
    kubectl("create", "-f", str(f), "--validate=false")
    out = kubectl("describe", "configmap", "target", "-n", ns)
    assert "Events:" in out
    assert "Checked" in out and "looked at it" in out
    # the same object through the events.k8s.io/v1 view
    ev2 = kubectl.json("get", "events.v1.events.k8s.io", "target.1", "-n", ns)
    assert ev2["note"] == "looked at it" and ev2["regarding"]["name"] == "target"


def test_auth_can_i_and_whoami(kubectl):
    assert kubectl("auth", "can-i", "create", "pods").strip() == "yes"
    if kubectl.version == "1.27":
        return  # kubectl 1.27 only knows SelfSubjectReview v1beta1, which 1.33 servers no longer serve
    out = kubectl("auth", "whoami")
    assert "kubernetes-admin" in out and "system:masters" in out
