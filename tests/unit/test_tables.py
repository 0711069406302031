"""Server-side Table columns and cells, checked against the Tables a real 1.28 server
served (the reference captures under tests/fixtures), with the changes 1.33 made on top."""

from __future__ import annotations

from tests.golden import UPSTREAM
import copy
import json
from datetime import datetime, timedelta, timezone

import pytest

from kybernetes.api.builtin import builtin_registry, builtin_resources
from kybernetes.api.registry import Resource
from kybernetes.api.tables import (
    column_definitions,
    format_label_selector,
    format_quantity,
    human_duration,
    row_cells,
    row_conditions,
    supports_table,
)

REF = UPSTREAM
REG = builtin_registry()
NOW = datetime(2026, 11, 22, 2, 57, 16, tzinfo=timezone.utc)  # creation + Age of the golden rows
T0 = "2026-11-22T02:56:34Z"  # when most golden objects were created
SCALE = Resource("autoscaling", "v1", "Scale", "scale", "scale", True, ())

# ---------------------------------------------------------------------------
# the deliberate 1.33 differences from the 1.28 captures

# Columns 1.33 adds or moves: table file stem -> list of (column name, insert after)
COLUMN_CHANGES_1_33 = {
    "jobs": [("Status", "Name")],
    "cronjobs": [("Timezone", "Schedule")],
    "persistentvolumes": [("VolumeAttributesClass", "StorageClass")],
    "persistentvolumeclaims": [("VolumeAttributesClass", "StorageClass")],
    "priorityclasses": [("PreemptionPolicy", "Age")],
    "resourcequotas": [("Age", "Limit")],  # moved from second to last
}
# The cells for those columns, per golden row name.
CELL_CHANGES_1_33 = {
    "jobs": {"once": {"Status": "Running"}},
    "cronjobs": {"nightly": {"Timezone": "<none>"}},
    "persistentvolumes": {"pv-1": {"VolumeAttributesClass": "<unset>"}, "pv-2": {"VolumeAttributesClass": "<unset>"}},
    "persistentvolumeclaims": {"data": {"VolumeAttributesClass": "<unset>"},
                               "pending-claim": {"VolumeAttributesClass": "<unset>"}},
    "priorityclasses": {"high-priority": {"PreemptionPolicy": "PreemptLowerPriority"},
                        "system-cluster-critical": {"PreemptionPolicy": "PreemptLowerPriority"}},
    # 1.30+ names the resource of a resource metric
    "horizontalpodautoscalers": {"web": {"Targets": "cpu: <unknown>/50%"}},
}
# Column descriptions taken from field docs that were reworded between 1.28 and 1.33.
REWORDED_DOCS_1_33 = {
    ("deployments", "Up-to-date"), ("deployments", "Available"),
    ("replicasets", "Desired"), ("replicasets", "Current"), ("replicasets", "Ready"),
    ("jobs", "Completions"), ("leases", "Holder"),
    ("nodes", "Internal-IP"), ("nodes", "External-IP"),
    ("serviceaccounts", "Secrets"),
    *((f, "Node") for f in ("pods", "pod-single-get", "pods-includeObject-None", "pods-includeObject-Object",
                            "pods-kubectl-accept", "pods-v1beta1-accept")),
}


def _golden_tables():
    out = []
    for f in sorted((REF / "tables").glob("*.json")):
        d = json.loads(f.read_text())
        body = d["response"]["body"]
        if "columnDefinitions" not in body or f.stem == "customresource-widgets":
            continue
        out.append((f.stem, d["request"]["path"], body))
    return out


def _resource_for(path: str) -> Resource:
    parts = path.strip("/").split("/")
    group, version, rest = ("", parts[1], parts[2:]) if parts[0] == "api" else (parts[1], parts[2], parts[3:])
    if rest[0] == "namespaces" and len(rest) > 2:
        rest = rest[2:]
    if rest[-1] == "scale":
        return SCALE
    return REG.get(group, version, rest[0])


def _expected_columns(stem: str, golden: list[dict]) -> list[dict]:
    cols = [dict(c) for c in golden]
    for name, after in COLUMN_CHANGES_1_33.get(stem, []):
        existing = [c for c in cols if c["name"] == name]
        col = existing[0] if existing else None
        if col is not None:
            cols.remove(col)
        idx = [c["name"] for c in cols].index(after) + 1
        cols.insert(idx, col or {"name": name})
    return cols


def _expected_cells(stem: str, golden_cols: list[dict], row: dict) -> list:
    by_name = dict(zip([c["name"] for c in golden_cols], row["cells"]))
    name = row["object"]["metadata"]["name"] if row.get("object") else row["cells"][0]
    by_name.update(CELL_CHANGES_1_33.get(stem, {}).get(name, {}))
    return [by_name[c["name"]] for c in _expected_columns(stem, golden_cols)]


GOLDEN = _golden_tables()


@pytest.mark.parametrize("stem,path,body", GOLDEN, ids=[g[0] for g in GOLDEN])
def test_column_definitions_match_golden(stem, path, body):
    ours = column_definitions(_resource_for(path))
    expected = _expected_columns(stem, body["columnDefinitions"])
    assert [c["name"] for c in ours] == [c["name"] for c in expected]
    for mine, theirs in zip(ours, expected):
        assert set(mine) == {"name", "type", "format", "description", "priority"}
        if len(theirs) == 1:  # a column new in 1.33
            continue
        assert (mine["type"], mine["format"], mine["priority"]) == (theirs["type"], theirs["format"],
                                                                   theirs["priority"]), mine["name"]
        if (stem, mine["name"]) in REWORDED_DOCS_1_33:
            assert mine["description"] and mine["description"] != theirs["description"]
        else:
            assert mine["description"] == theirs["description"], mine["name"]


def test_new_1_33_columns():
    def cols(group, version, plural):
        return {c["name"]: c for c in column_definitions(REG.get(group, version, plural))}

    job_status = cols("batch", "v1", "jobs")["Status"]
    assert (job_status["type"], job_status["priority"], job_status["description"]) == (
        "string", 0, "Status of the job.")
    tz = cols("batch", "v1", "cronjobs")["Timezone"]
    assert tz["type"] == "string" and tz["description"].startswith("The time zone name for the given schedule")
    assert cols("", "v1", "persistentvolumes")["VolumeAttributesClass"]["description"] == \
        "VolumeAttributesClass of the pv"
    assert cols("", "v1", "persistentvolumeclaims")["VolumeAttributesClass"]["description"] == \
        "VolumeAttributesClass of the pvc"
    pp = cols("scheduling.k8s.io", "v1", "priorityclasses")["PreemptionPolicy"]
    assert pp["priority"] == 1 and pp["description"].startswith("preemptionPolicy is the Policy")
    up = cols("apps", "v1", "deployments")["Up-to-date"]["description"]
    assert up == ("Total number of non-terminating pods targeted by this deployment that have the desired "
                  "template spec.")


# ---------------------------------------------------------------------------
# input objects that reproduce the golden rows


def _meta(name, created=T0, **extra):
    return {"metadata": {"name": name, "creationTimestamp": created, **extra}}


def _tmpl(*containers):
    return {"spec": {"containers": [{"name": n, "image": i} for n, i in containers]}}


def _running_pod():
    body = json.loads((REF / "tables/pods-includeObject-Object.json").read_text())["response"]["body"]
    return body["rows"][0]["object"]


EVENT_TIME = "2026-11-22T02:56:34.870213Z"


def _core_event(pod, node):
    return {**_meta(f"{pod}.18ea3e912aaa0846" if pod == "agent-bcmw7" else f"{pod}.18ea3e9129a1aa43"),
            "involvedObject": {"kind": "Pod", "namespace": "demo", "name": pod, "apiVersion": "v1"},
            "reason": "Scheduled", "message": f"Successfully assigned demo/{pod} to {node}",
            "source": {}, "firstTimestamp": None, "lastTimestamp": None, "type": "Normal",
            "eventTime": EVENT_TIME, "action": "Binding", "reportingComponent": "default-scheduler",
            "reportingInstance": "default-scheduler-<hostname>"}


def _new_event(pod, node):
    return {**_meta(f"{pod}.18ea3e912aaa0846" if pod == "agent-bcmw7" else f"{pod}.18ea3e9129a1aa43"),
            "eventTime": EVENT_TIME, "reportingController": "default-scheduler",
            "reportingInstance": "default-scheduler-<hostname>", "action": "Binding", "reason": "Scheduled",
            "regarding": {"kind": "Pod", "namespace": "demo", "name": pod, "apiVersion": "v1"},
            "note": f"Successfully assigned demo/{pod} to {node}", "type": "Normal"}


def _node(name, ip):
    return {**_meta(name, "2026-11-22T02:56:00Z", labels={"kubernetes.io/hostname": name, "refk8s/fake": "true"}),
            "spec": {}, "status": {
                "conditions": [{"type": "MemoryPressure", "status": "False"}, {"type": "Ready", "status": "True"}],
                "addresses": [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": name}],
                "nodeInfo": {"kubeletVersion": "v1.28.7", "osImage": "Debian GNU/Linux 12 (bookworm)",
                             "kernelVersion": "6.1.0-18-amd64", "containerRuntimeVersion": "containerd://1.7.13"}}}


def _service(name, typ, cluster_ip, ports, selector=None, **spec):
    s = {"type": typ, "ports": ports, **spec}
    if cluster_ip:
        s["clusterIP"] = cluster_ip
        s["clusterIPs"] = [cluster_ip]
    if selector:
        s["selector"] = selector
    return {**_meta(name), "spec": s, "status": {"loadBalancer": {}}}


PENDING_POD = {**_meta("pending-pod"), "spec": {"containers": [{"name": "c", "image": "busybox"}]},
               "status": {"phase": "Pending", "conditions": [
                   {"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}]}}

OBJECTS: dict[str, list[dict]] = {
    "clusterrolebindings": [
        {**_meta("cluster-admin", "2026-11-22T02:53:37Z"), "roleRef": {"kind": "ClusterRole", "name": "cluster-admin"},
         "subjects": [{"kind": "Group", "name": "system:masters", "apiGroup": "rbac.authorization.k8s.io"}]},
        {**_meta("system:kube-scheduler", "2026-11-22T02:53:37Z"),
         "roleRef": {"kind": "ClusterRole", "name": "system:kube-scheduler"},
         "subjects": [{"kind": "User", "name": "system:kube-scheduler"}]},
    ],
    "clusterroles": [{**_meta("admin", "2026-11-22T02:53:36Z"), "rules": []},
                     {**_meta("system:node", "2026-11-22T02:53:36Z"), "rules": []}],
    "configmaps": [{**_meta("app-config"), "data": {"a": "1", "b": "2"}},
                   {**_meta("kube-root-ca.crt", "2026-11-22T02:56:00Z"), "data": {"ca.crt": "x"}}],
    "configmaps-limit1-continue": [{**_meta("app-config"), "data": {"a": "1"}, "binaryData": {"b": "AA=="}}],
    "cronjobs": [{**_meta("nightly"), "spec": {
        "schedule": "0 3 * * *", "suspend": False, "concurrencyPolicy": "Allow",
        "jobTemplate": {"spec": {"template": _tmpl(("n", "busybox:1.36"))}}}, "status": {}}],
    "customresourcedefinitions": [{**_meta("widgets.example.com", "2026-11-22T02:56:47Z"), "spec": {}}],
    "daemonsets": [{**_meta("agent"), "spec": {"selector": {"matchLabels": {"app": "agent"}},
                                               "template": _tmpl(("agent", "busybox:1.36"))},
                    "status": {"desiredNumberScheduled": 2, "currentNumberScheduled": 2, "numberReady": 0,
                               "updatedNumberScheduled": 2, "numberMisscheduled": 0}}],
    "deployments-scale-subresource-table": [
        {**_meta("web", "2026-11-22T02:58:47Z"), "spec": {"replicas": 2}, "status": {"replicas": 2}}],
    "deployments": [{**_meta("web"), "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                                              "template": _tmpl(("main", "nginx:1.25"))},
                     "status": {"replicas": 2, "updatedReplicas": 2, "unavailableReplicas": 2}}],
    "endpoints": [{**_meta("db-headless")},
                  {**_meta("frontend"), "subsets": [{"addresses": [{"ip": "10.244.1.7"}],
                                                     "ports": [{"name": "http", "port": 8080}]}]}],
    "endpointslices": [
        {**_meta("db-headless-zbb2f"), "addressType": "IPv4", "endpoints": None, "ports": None},
        {**_meta("frontend-7k7ws"), "addressType": "IPv4",
         "endpoints": [{"addresses": ["10.244.1.7"], "conditions": {"ready": True}}],
         "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]}],
    "events": [_core_event("agent-bcmw7", "fake-node-2"), _core_event("agent-k7lzb", "fake-node-1")],
    "events-events.k8s.io": [_new_event("agent-bcmw7", "fake-node-2"), _new_event("agent-k7lzb", "fake-node-1")],
    "horizontalpodautoscalers": [{**_meta("web"), "spec": {
        "scaleTargetRef": {"kind": "Deployment", "name": "web", "apiVersion": "apps/v1"},
        "minReplicas": 2, "maxReplicas": 5,
        "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
            "type": "Utilization", "averageUtilization": 50}}}]},
        "status": {"currentReplicas": 2, "desiredReplicas": 2, "currentMetrics": None}}],
    "ingressclasses": [{**_meta("nginx"), "spec": {"controller": "k8s.io/ingress-nginx"}}],
    "ingresses": [{**_meta("web"), "spec": {
        "ingressClassName": "nginx", "tls": [{"hosts": ["web.example.com"], "secretName": "tls-cert"}],
        "rules": [{"host": "web.example.com", "http": {"paths": []}}]}, "status": {"loadBalancer": {}}}],
    "jobs": [{**_meta("once"), "spec": {
        "parallelism": 1, "completions": 1, "backoffLimit": 6,
        "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "4e034170-b9c6-4c17-a0f0-8f6a09824938"}},
        "template": _tmpl(("once", "busybox:1.36"))},
        "status": {"startTime": T0, "active": 1, "ready": 0}}],
    "leases": [{**_meta(n, "2026-11-22T02:56:03Z"), "spec": {"holderIdentity": n, "leaseDurationSeconds": 40}}
               for n in ("fake-node-1", "fake-node-2")],
    "limitranges": [{**_meta("limits"), "spec": {"limits": []}}],
    "namespaces": [{**_meta("default", "2026-11-22T02:53:36Z"), "status": {"phase": "Active"}},
                   {**_meta("demo", "2026-11-22T02:56:00Z"), "status": {"phase": "Active"}}],
    "nodes": [_node("fake-node-1", "192.0.2.11"), _node("fake-node-3", "192.0.2.13")],
    "persistentvolumeclaims": [
        {**_meta("data"), "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}},
                                   "volumeName": "pv-1", "storageClassName": "standard", "volumeMode": "Filesystem"},
         "status": {"phase": "Bound", "accessModes": ["ReadWriteOnce"], "capacity": {"storage": "1Gi"}}},
        {**_meta("pending-claim"), "spec": {"accessModes": ["ReadWriteOnce"],
                                            "resources": {"requests": {"storage": "1Gi"}},
                                            "storageClassName": "manual", "volumeMode": "Filesystem"},
         "status": {"phase": "Pending"}}],
    "persistentvolumes": [
        {**_meta("pv-1"), "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"],
                                   "claimRef": {"kind": "PersistentVolumeClaim", "namespace": "demo", "name": "data"},
                                   "persistentVolumeReclaimPolicy": "Retain", "storageClassName": "standard",
                                   "volumeMode": "Filesystem", "hostPath": {"path": "/tmp/pv-1"}},
         "status": {"phase": "Bound"}},
        {**_meta("pv-2"), "spec": {"capacity": {"storage": "5Gi"}, "accessModes": ["ReadWriteMany"],
                                   "persistentVolumeReclaimPolicy": "Delete", "storageClassName": "manual",
                                   "volumeMode": "Filesystem", "hostPath": {"path": "/tmp/pv-2"}},
         "status": {"phase": "Available"}}],
    "pod-single-get": [_running_pod()],
    "pods": [PENDING_POD, _running_pod()],
    "pods-includeObject-None": [PENDING_POD],
    "pods-includeObject-Object": [_running_pod()],
    "pods-kubectl-accept": [_running_pod()],
    "pods-v1beta1-accept": [_running_pod()],
    "poddisruptionbudgets": [
        {**_meta("db-pdb"), "spec": {"maxUnavailable": "50%", "selector": {"matchLabels": {"app": "db"}}},
         "status": {"disruptionsAllowed": 0}},
        {**_meta("web-pdb"), "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "web"}}},
         "status": {"disruptionsAllowed": 0}}],
    "priorityclasses": [
        {**_meta("high-priority"), "value": 100000, "preemptionPolicy": "PreemptLowerPriority"},
        {**_meta("system-cluster-critical", "2026-11-22T02:53:36Z"), "value": 2000000000, "globalDefault": False,
         "preemptionPolicy": "PreemptLowerPriority"}],
    "replicasets": [{**_meta("web-555fbbd65"), "spec": {
        "replicas": 2, "selector": {"matchLabels": {"pod-template-hash": "555fbbd65", "app": "web"}},
        "template": _tmpl(("main", "nginx:1.25"))}, "status": {"replicas": 2, "fullyLabeledReplicas": 2}}],
    "resourcequotas": [{**_meta("quota"), "spec": {}, "status": {
        "hard": {"pods": "10", "requests.memory": "8Gi", "limits.cpu": "8", "configmaps": "20",
                 "requests.cpu": "4", "count/deployments.apps": "5"},
        "used": {"pods": "0", "requests.memory": "0", "limits.cpu": "0", "configmaps": "1",
                 "requests.cpu": "0", "count/deployments.apps": "0"}}}],
    "rolebindings": [{**_meta("read-pods"), "roleRef": {"kind": "Role", "name": "pod-reader"}, "subjects": [
        {"kind": "User", "name": "jane"}, {"kind": "Group", "name": "devs"},
        {"kind": "ServiceAccount", "name": "builder", "namespace": "demo"}]}],
    "roles": [{**_meta("pod-reader"), "rules": []}],
    "secrets": [{**_meta("app-secret"), "type": "Opaque", "data": {"password": "cw=="}},
                {**_meta("tls-cert"), "type": "kubernetes.io/tls", "data": {"tls.crt": "", "tls.key": ""}}],
    "serviceaccounts": [_meta("builder"), _meta("default", "2026-11-22T02:56:00Z")],
    "services": [
        _service("db-headless", "ClusterIP", "None", [{"port": 5432, "protocol": "TCP", "targetPort": 5432}],
                 {"app": "db"}),
        _service("external", "ExternalName", None, [], externalName="db.example.com"),
        _service("frontend", "ClusterIP", "10.96.91.23", [{"port": 80, "protocol": "TCP", "targetPort": 8080}],
                 {"app": "frontend"}),
        _service("web-nodeport", "NodePort", "10.96.227.111",
                 [{"port": 80, "protocol": "TCP", "targetPort": 80, "nodePort": 30080}], {"app": "web"}),
    ],
    "statefulsets": [{**_meta("db"), "spec": {"replicas": 1, "serviceName": "db",
                                              "template": _tmpl(("pg", "postgres:16"))},
                      "status": {"replicas": 0, "availableReplicas": 0}}],
    "storageclasses": [{**_meta("standard", annotations={"storageclass.kubernetes.io/is-default-class": "true"}),
                        "provisioner": "example.com/fake", "reclaimPolicy": "Delete",
                        "volumeBindingMode": "Immediate", "allowVolumeExpansion": True}],
}
NOW_FOR = {"deployments-scale-subresource-table": datetime(2026, 11, 22, 2, 59, 30, tzinfo=timezone.utc)}


@pytest.mark.parametrize("stem,path,body", GOLDEN, ids=[g[0] for g in GOLDEN])
def test_cells_match_golden(stem, path, body):
    resource = _resource_for(path)
    objects = OBJECTS[stem]
    assert len(objects) == len(body["rows"])
    for obj, row in zip(objects, body["rows"]):
        expected = _expected_cells(stem, body["columnDefinitions"], row)
        got = row_cells(resource, copy.deepcopy(obj), now=NOW_FOR.get(stem, NOW))
        assert got == expected
        assert [type(c) for c in got] == [type(c) for c in expected]
        assert len(got) == len(column_definitions(resource))


def test_terminating_namespace_table():
    d = json.loads((REF / "gc-namespaces/namespace-terminating-table.json").read_text())["response"]["body"]
    ns = REG.get("", "v1", "namespaces")
    assert column_definitions(ns) == d["columnDefinitions"]
    obj = {**_meta("doomed", "2026-11-22T03:00:00Z"), "status": {"phase": "Terminating"}}
    assert row_cells(ns, obj, now=datetime(2026, 11, 22, 3, 0, 8, tzinfo=timezone.utc)) == d["rows"][0]["cells"]


# ---------------------------------------------------------------------------
# HumanDuration


@pytest.mark.parametrize("seconds,text", [
    (-3, "<invalid>"), (-2, "<invalid>"), (-1.5, "0s"), (-1, "0s"), (-0.5, "0s"), (0, "0s"), (5, "5s"),
    (119, "119s"), (119.9, "119s"), (120, "2m"), (182, "3m2s"), (599, "9m59s"), (600, "10m"), (601, "10m"),
    (3 * 3600 - 1, "179m"), (3 * 3600, "3h"), (5 * 3600 + 30 * 60, "5h30m"), (8 * 3600 - 1, "7h59m"),
    (8 * 3600, "8h"), (47 * 3600 + 3599, "47h"), (48 * 3600, "2d"), (3 * 86400 + 4 * 3600, "3d4h"),
    (8 * 86400 - 1, "7d23h"), (8 * 86400, "8d"), (730 * 86400 - 1, "729d"), (730 * 86400, "2y"),
    (735 * 86400, "2y5d"), (8 * 365 * 86400 - 1, "7y364d"), (8 * 365 * 86400, "8y"), (20 * 365 * 86400, "20y"),
])
def test_human_duration(seconds, text):
    assert human_duration(seconds) == text
    assert human_duration(timedelta(seconds=seconds)) == text


# ---------------------------------------------------------------------------
# pod status column


POD = REG.get("", "v1", "pods")


def _pod(containers=1, statuses=None, init=None, init_statuses=None, phase="Running", conditions=None, **extra):
    spec = {"containers": [{"name": f"c{i}", "image": "x"} for i in range(containers)]}
    if init is not None:
        spec["initContainers"] = init
    status = {"phase": phase, "containerStatuses": statuses or [], "conditions": conditions or []}
    if init_statuses is not None:
        status["initContainerStatuses"] = init_statuses
    obj = {**_meta("p"), "spec": spec, "status": status}
    for k, v in extra.items():
        if k == "meta":
            obj["metadata"].update(v)
        elif k == "status":
            obj["status"].update(v)
        else:
            obj["spec"][k] = v
    return obj


def _cs(name, state, ready=False, restarts=0, last=None, started=None):
    d = {"name": name, "state": state, "ready": ready, "restartCount": restarts, "lastState": last or {}}
    if started is not None:
        d["started"] = started
    return d


RUNNING = {"running": {"startedAt": T0}}
READY_COND = [{"type": "Ready", "status": "True"}, {"type": "Initialized", "status": "True"}]


def _status_cells(pod):
    cells = row_cells(POD, pod, now=NOW)
    return cells[1], cells[2], cells[3]


def test_pod_ready_and_running():
    pod = _pod(2, [_cs("c0", RUNNING, True), _cs("c1", RUNNING, False)], conditions=READY_COND)
    assert _status_cells(pod) == ("1/2", "Running", "0")


def test_pod_crashloop_with_restarts_ago():
    last = {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": "2026-11-22T02:54:16Z"}}
    pod = _pod(1, [_cs("c0", {"waiting": {"reason": "CrashLoopBackOff"}}, False, 4, last)])
    assert _status_cells(pod) == ("0/1", "CrashLoopBackOff", "4 (3m ago)")


def test_pod_terminated_reasons():
    assert _status_cells(_pod(1, [_cs("c0", {"terminated": {"exitCode": 0, "reason": "Completed"}})],
                              phase="Succeeded"))[1] == "Completed"
    assert _status_cells(_pod(1, [_cs("c0", {"terminated": {"exitCode": 3}})]))[1] == "ExitCode:3"
    assert _status_cells(_pod(1, [_cs("c0", {"terminated": {"exitCode": 0, "signal": 9}})]))[1] == "Signal:9"


def test_pod_completed_but_one_still_running():
    statuses = [_cs("c0", RUNNING, True), _cs("c1", {"terminated": {"exitCode": 0, "reason": "Completed"}})]
    assert _status_cells(_pod(2, statuses, conditions=READY_COND))[1] == "Running"
    assert _status_cells(_pod(2, statuses, conditions=[{"type": "Ready", "status": "False"}]))[1] == "NotReady"


def test_pod_init_containers():
    init = [{"name": "i0", "image": "x"}, {"name": "i1", "image": "x"}]
    done = _cs("i0", {"terminated": {"exitCode": 0, "reason": "Completed"}})
    waiting = _cs("i1", {"waiting": {"reason": "PodInitializing"}})
    pod = _pod(1, [_cs("c0", {"waiting": {"reason": "PodInitializing"}})], init, [done, waiting], phase="Pending")
    assert _status_cells(pod)[1] == "Init:1/2"
    crash = _cs("i1", {"waiting": {"reason": "CrashLoopBackOff"}}, restarts=3)
    assert _status_cells(_pod(1, [], init, [done, crash], phase="Pending"))[:2] == ("0/1", "Init:CrashLoopBackOff")
    failed = _cs("i0", {"terminated": {"exitCode": 2}})
    assert _status_cells(_pod(1, [], init, [failed], phase="Pending"))[1] == "Init:ExitCode:2"
    oom = _cs("i0", {"terminated": {"exitCode": 137, "reason": "OOMKilled"}})
    assert _status_cells(_pod(1, [], init, [oom], phase="Pending"))[1] == "Init:OOMKilled"
    sig = _cs("i0", {"terminated": {"exitCode": 143, "signal": 15}})
    assert _status_cells(_pod(1, [], init, [sig], phase="Pending"))[1] == "Init:Signal:15"
    # an init container that exited 0 counts as done, whatever else it reports
    clean = _cs("i0", {"terminated": {"exitCode": 0, "signal": 15}})
    assert _status_cells(_pod(1, [], init, [clean], phase="Pending"))[1] == "Pending"
    assert _status_cells(_pod(1, [], init, [], phase="Pending"))[1] == "Pending"


def test_pod_sidecar_counts_as_container():
    init = [{"name": "side", "image": "x", "restartPolicy": "Always"}]
    last = {"terminated": {"exitCode": 1, "finishedAt": "2026-11-22T02:57:06Z"}}
    side = _cs("side", RUNNING, True, 1, last, started=True)
    pod = _pod(1, [_cs("c0", RUNNING, True)], init, [side], conditions=READY_COND)
    assert _status_cells(pod) == ("2/2", "Running", "1 (10s ago)")


def test_pod_terminating_unknown_and_gated():
    deleting = {"deletionTimestamp": "2026-11-22T02:57:00Z"}
    assert _status_cells(_pod(1, [_cs("c0", RUNNING, True)], meta=deleting))[1] == "Terminating"
    assert _status_cells(_pod(1, [], phase="Succeeded", meta=deleting))[1] == "Succeeded"
    lost = _pod(1, [], meta=deleting, status={"reason": "NodeLost"})
    assert _status_cells(lost)[1] == "Unknown"
    gated = _pod(1, [], phase="Pending", conditions=[
        {"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}])
    assert _status_cells(gated)[1] == "SchedulingGated"
    evicted = _pod(1, [], phase="Failed", status={"reason": "Evicted"})
    assert _status_cells(evicted)[1] == "Evicted"


def test_pod_wide_columns():
    pod = _pod(1, [], phase="Pending", readinessGates=[{"conditionType": "a"}, {"conditionType": "b"}],
               conditions=[{"type": "a", "status": "True"}, {"type": "b", "status": "False"}],
               status={"nominatedNodeName": "n2", "podIPs": [{"ip": "fd00::1"}, {"ip": "10.0.0.1"}]},
               nodeName="n1")
    assert row_cells(POD, pod, now=NOW)[5:] == ["fd00::1", "n1", "n2", "1/2"]


def test_pod_row_conditions():
    assert row_conditions(POD, _pod(phase="Succeeded")) == [{
        "type": "Completed", "status": "True", "reason": "Succeeded",
        "message": "The pod has completed successfully."}]
    assert row_conditions(POD, _pod(phase="Failed"))[0]["message"] == "The pod failed."
    assert row_conditions(POD, _pod(phase="Running")) is None
    assert row_conditions(REG.get("", "v1", "services"), {}) is None


# ---------------------------------------------------------------------------
# other printers


def test_service_load_balancer_and_external_ips():
    svc = REG.get("", "v1", "services")
    lb = _service("lb", "LoadBalancer", "10.0.0.9", [{"port": 443, "protocol": "TCP", "nodePort": 31000},
                                                     {"port": 53, "protocol": "UDP", "nodePort": 31001}])
    assert row_cells(svc, lb, now=NOW)[3:5] == ["<pending>", "443:31000/TCP,53:31001/UDP"]
    lb["status"] = {"loadBalancer": {"ingress": [{"ip": "203.0.113.9"}, {"hostname": "a-very-long-hostname.example"}]}}
    assert row_cells(svc, lb, now=NOW)[3] == "203.0.113.9,a-very-long-hostname.example"
    lb["spec"]["externalIPs"] = ["198.51.100.1"]
    assert row_cells(svc, lb, now=NOW)[3] == "203.0.113.9,a-very-long-hostname.example,198.51.100.1"
    cip = _service("c", "ClusterIP", "10.0.0.1", [{"port": 80, "protocol": "TCP"}], externalIPs=["1.2.3.4", "5.6.7.8"])
    assert row_cells(svc, cip, now=NOW)[3] == "1.2.3.4,5.6.7.8"


def test_endpoints_more():
    ep = {**_meta("e"), "subsets": [
        {"addresses": [{"ip": f"10.0.0.{i}"} for i in range(1, 4)], "ports": [{"port": 80}, {"port": 443}]},
        {"addresses": [{"ip": "fd00::1"}], "ports": [{"port": 8080}]},
    ]}
    cell = row_cells(REG.get("", "v1", "endpoints"), ep, now=NOW)[1]
    assert cell == "10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 4 more..."
    v6 = {**_meta("e"), "subsets": [{"addresses": [{"ip": "fd00::1"}], "ports": [{"port": 8080}]},
                                    {"addresses": [{"ip": "10.0.0.1"}]}]}
    assert row_cells(REG.get("", "v1", "endpoints"), v6, now=NOW)[1] == "[fd00::1]:8080,10.0.0.1"


def test_node_status_and_roles():
    node = REG.get("", "v1", "nodes")
    n = _node("n", "10.0.0.1")
    n["metadata"]["labels"].update({"node-role.kubernetes.io/control-plane": "", "node-role.kubernetes.io/": "x",
                                    "kubernetes.io/role": "worker"})
    n["spec"]["unschedulable"] = True
    n["status"]["conditions"][1]["status"] = "Unknown"
    n["status"]["nodeInfo"]["osImage"] = ""
    cells = row_cells(node, n, now=NOW)
    assert cells[1:3] == ["NotReady,SchedulingDisabled", "control-plane,worker"]
    assert cells[6:8] == ["<none>", "<unknown>"]
    n["status"]["conditions"] = []
    assert row_cells(node, n, now=NOW)[1] == "Unknown,SchedulingDisabled"


@pytest.mark.parametrize("conditions,deleting,status", [
    ([{"type": "Complete", "status": "True"}], False, "Complete"),
    ([{"type": "Failed", "status": "True"}], False, "Failed"),
    ([{"type": "FailureTarget", "status": "True"}], True, "Terminating"),
    ([{"type": "Suspended", "status": "True"}], False, "Suspended"),
    ([{"type": "FailureTarget", "status": "True"}], False, "FailureTarget"),
    ([{"type": "Complete", "status": "False"}], False, "Running"),
])
def test_job_status(conditions, deleting, status):
    job = {**_meta("j"), "spec": {"template": _tmpl(("c", "x"))}, "status": {"conditions": conditions}}
    if deleting:
        job["metadata"]["deletionTimestamp"] = T0
    assert row_cells(REG.get("batch", "v1", "jobs"), job, now=NOW)[1] == status


def test_job_completions_and_duration():
    jobs = REG.get("batch", "v1", "jobs")
    job = {**_meta("j"), "spec": {"parallelism": 3, "template": _tmpl(("c", "x"))},
           "status": {"succeeded": 1, "startTime": "2026-11-22T02:50:00Z", "completionTime": "2026-11-22T02:53:05Z"}}
    assert row_cells(jobs, job, now=NOW)[2:4] == ["1/1 of 3", "3m5s"]
    job["spec"] = {"template": _tmpl(("c", "x"))}
    del job["status"]["startTime"]
    assert row_cells(jobs, job, now=NOW)[2:4] == ["1/1", ""]


def test_cronjob_timezone_suspend_last_schedule():
    cj = {**_meta("c"), "spec": {"schedule": "*/5 * * * *", "timeZone": "Etc/UTC",
                                 "jobTemplate": {"spec": {"template": _tmpl(("a", "x"), ("b", "y")),
                                                          "selector": {"matchLabels": {"k": "v"}}}}},
          "status": {"active": [{"name": "j1"}], "lastScheduleTime": "2026-11-22T02:55:00Z"}}
    assert row_cells(REG.get("batch", "v1", "cronjobs"), cj, now=NOW) == [
        "c", "*/5 * * * *", "Etc/UTC", "<unset>", 1, "2m16s", "42s", "a,b", "x,y", "k=v"]


def test_hpa_metrics_formats():
    hpa = REG.get("autoscaling", "v2", "horizontalpodautoscalers")
    metrics = [
        {"type": "Resource", "resource": {"name": "memory", "target": {"type": "AverageValue", "averageValue": "1Gi"}}},
        {"type": "Pods", "pods": {"metric": {"name": "qps"}, "target": {"type": "AverageValue", "averageValue": "1k"}}},
        {"type": "External", "external": {"metric": {"name": "q"}, "target": {"type": "Value", "value": "30"}}},
    ]
    current = [{"type": "Resource", "resource": {"name": "memory", "current": {"averageValue": "512Mi"}}},
               {"type": "Pods", "pods": {"current": {"averageValue": "1500m"}}}]
    obj = {**_meta("h"), "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "d"}, "maxReplicas": 3,
                                  "metrics": metrics}, "status": {"currentMetrics": current, "currentReplicas": 1}}
    cells = row_cells(hpa, obj, now=NOW)
    assert cells[2] == "memory: 512Mi/1Gi, 1500m/1k + 1 more..."
    assert cells[3] == "<unset>"
    obj["spec"]["metrics"] = []
    assert row_cells(hpa, obj, now=NOW)[2] == "<none>"


def test_hpa_v1_objects():
    hpa_v1 = REG.get("autoscaling", "v1", "horizontalpodautoscalers")
    obj = {**_meta("h"), "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "d"}, "minReplicas": 1,
                                  "maxReplicas": 4, "targetCPUUtilizationPercentage": 80},
           "status": {"currentReplicas": 2, "currentCPUUtilizationPercentage": 35}}
    assert row_cells(hpa_v1, obj, now=NOW) == ["h", "Deployment/d", "cpu: 35%/80%", "1", 4, 2, "42s"]
    assert column_definitions(hpa_v1) == column_definitions(REG.get("autoscaling", "v2", "horizontalpodautoscalers"))


def test_events_k8s_io_accepts_either_shape():
    new_api = REG.get("events.k8s.io", "v1", "events")
    core = _core_event("agent-bcmw7", "fake-node-2")
    assert row_cells(new_api, core, now=NOW) == row_cells(new_api, _new_event("agent-bcmw7", "fake-node-2"), now=NOW)
    legacy = {**_meta("e"), "regarding": {"kind": "Pod", "name": "p"}, "note": "n", "type": "Normal", "reason": "R",
              "deprecatedSource": {"component": "kubelet", "host": "n1"}, "deprecatedCount": 3,
              "deprecatedFirstTimestamp": "2026-11-22T02:50:00Z", "deprecatedLastTimestamp": "2026-11-22T02:57:00Z"}
    assert row_cells(new_api, legacy, now=NOW) == ["16s", "Normal", "R", "pod/p", "", "kubelet, n1", "n", "7m16s",
                                                   3, "e"]


def test_event_series_and_legacy_source():
    ev = REG.get("", "v1", "events")
    obj = {**_meta("e"), "involvedObject": {"kind": "Node", "name": "n1", "fieldPath": "spec"},
           "type": "Warning", "reason": "R", "message": "  hi \n", "source": {"component": "kubelet", "host": "n1"},
           "firstTimestamp": "2026-11-22T02:40:00Z", "lastTimestamp": "2026-11-22T02:50:00Z", "count": 7}
    assert row_cells(ev, obj, now=NOW) == ["7m16s", "Warning", "R", "node/n1", "spec", "kubelet, n1", "hi",
                                           "17m", 7, "e"]
    obj["series"] = {"count": 12, "lastObservedTime": "2026-11-22T02:57:00.000000Z"}
    assert row_cells(ev, obj, now=NOW)[0] == "16s" and row_cells(ev, obj, now=NOW)[8] == 12
    anon = {**_meta("e"), "involvedObject": {"kind": "Cluster"}}
    cells = row_cells(ev, anon, now=NOW)
    assert cells[0] == cells[7] == "<unknown>" and cells[3] == "cluster" and cells[8] == 1


def test_statefulset_replicaset_defaults_and_selector_errors():
    dep = REG.get("apps", "v1", "deployments")
    obj = {**_meta("d"), "spec": {"selector": {"matchExpressions": [{"key": "a", "operator": "Bogus"}]},
                                  "template": _tmpl(("c", "x"))}}
    cells = row_cells(dep, obj, now=NOW)
    assert cells[1] == "0/1" and cells[-1] == "<invalid>"
    obj["spec"]["selector"] = {}
    assert row_cells(dep, obj, now=NOW)[-1] == ""
    rs = REG.get("apps", "v1", "replicasets")
    assert row_cells(rs, {**_meta("r"), "spec": {"selector": {}, "template": _tmpl()}}, now=NOW)[-1] == "<none>"


def test_label_selector_format():
    sel = {"matchLabels": {"z": "1", "a": "2"}, "matchExpressions": [
        {"key": "m", "operator": "In", "values": ["y", "x"]}, {"key": "b", "operator": "DoesNotExist"},
        {"key": "n", "operator": "NotIn", "values": ["q"]}, {"key": "e", "operator": "Exists"}]}
    assert format_label_selector(sel) == "a=2,!b,e,m in (x,y),n notin (q),z=1"
    assert format_label_selector(None) == "<none>"
    assert format_label_selector({}) == "<none>"
    assert format_label_selector({"matchExpressions": [{"key": "a", "operator": "In"}]}) == "<error>"


@pytest.mark.parametrize("text,canonical", [
    ("1Gi", "1Gi"), ("1024Mi", "1Gi"), ("1.5Gi", "1536Mi"), ("1536", "1536"), ("1000Mi", "1000Mi"),
    ("512", "512"), ("1023Ki", "1023Ki"), ("0.5", "500m"), ("500m", "500m"), ("1.5k", "1500"),
    ("1500000", "1500k"), ("2000000", "2M"), ("0", "0"), ("0Gi", "0"), ("100e3", "100e3"), ("1e3", "1e3"),
    ("1E3", "1e3"), ("10e2", "1e3"), ("1.1m", "1100u"), ("0.0000000001", "1n"), ("-1.5Gi", "-1536Mi"),
    ("1E", "1E"), (8, "8"), ("1.5Ki", "1536"), ("12e-1", "1200e-3"), (None, "0"), ("0.5Ki", "512"),
])
def test_quantity_canonical(text, canonical):
    assert format_quantity(text) == canonical


def test_resource_quota_quantities():
    rq = REG.get("", "v1", "resourcequotas")
    obj = {**_meta("q"), "status": {"hard": {"limits.memory": "2048Mi", "requests.storage": "1.5Gi", "cpu": "0.5"},
                                    "used": {"cpu": "250m"}}}
    assert row_cells(rq, obj, now=NOW) == ["q", "cpu: 250m/500m, requests.storage: 0/1536Mi",
                                           "limits.memory: 0/2Gi", "42s"]


def test_storage_and_csi_printers():
    va = REG.get("storage.k8s.io", "v1", "volumeattachments")
    obj = {**_meta("va"), "spec": {"attacher": "csi.example", "nodeName": "n1",
                                   "source": {"persistentVolumeName": "pv-1"}}, "status": {"attached": True}}
    assert row_cells(va, obj, now=NOW) == ["va", "csi.example", "pv-1", "n1", True, "42s"]
    assert column_definitions(va)[1]["format"] == "name"
    drv = REG.get("storage.k8s.io", "v1", "csidrivers")
    obj = {**_meta("d"), "spec": {"tokenRequests": [{"audience": "a"}, {"audience": "b"}],
                                  "volumeLifecycleModes": ["Persistent", "Ephemeral"]}}
    assert row_cells(drv, obj, now=NOW) == ["d", True, False, False, "a,b", False, "Persistent,Ephemeral", "42s"]
    node = REG.get("storage.k8s.io", "v1", "csinodes")
    assert row_cells(node, {**_meta("n"), "spec": {"drivers": [{"name": "x"}]}}, now=NOW) == ["n", 1, "42s"]
    cap = REG.get("storage.k8s.io", "v1", "csistoragecapacities")  # upstream serves the default table here
    assert [c["name"] for c in column_definitions(cap)] == ["Name", "Created At"]
    assert row_cells(cap, {**_meta("c"), "storageClassName": "s"}, now=NOW) == ["c", T0]


def test_default_table_created_at():
    role = REG.get("rbac.authorization.k8s.io", "v1", "roles")
    cols = column_definitions(role)
    assert [(c["name"], c["type"], c["format"]) for c in cols] == [("Name", "string", "name"),
                                                                    ("Created At", "date", "")]
    assert row_cells(role, {**_meta("r", "2026-11-22T04:56:34.5+02:00")}, now=NOW) == ["r", "2026-11-22T02:56:34Z"]
    assert row_cells(role, {"metadata": {"name": "r"}}, now=NOW) == ["r", "0001-01-01T00:00:00Z"]


def test_admission_and_flowcontrol_printers():
    vap = REG.get("admissionregistration.k8s.io", "v1", "validatingadmissionpolicies")
    obj = {**_meta("p"), "spec": {"validations": [{"expression": "true"}] * 2,
                                  "paramKind": {"apiVersion": "v1", "kind": "ConfigMap"}}}
    assert row_cells(vap, obj, now=NOW) == ["p", 2, "v1/ConfigMap", "42s"]
    vapb = REG.get("admissionregistration.k8s.io", "v1", "validatingadmissionpolicybindings")
    assert row_cells(vapb, {**_meta("b"), "spec": {"policyName": "p", "paramRef": {"name": "cm"}}},
                     now=NOW) == ["b", "p", "*/cm", "42s"]
    assert row_cells(vapb, {**_meta("b"), "spec": {"policyName": "p", "paramRef": {
        "selector": {"matchLabels": {"a": "b"}}}}}, now=NOW)[2] == \
        "&LabelSelector{MatchLabels:map[string]string{a: b,},MatchExpressions:[]LabelSelectorRequirement{},}"
    mwc = REG.get("admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations")
    assert row_cells(mwc, {**_meta("m"), "webhooks": [{}]}, now=NOW) == ["m", 1, "42s"]
    fs = REG.get("flowcontrol.apiserver.k8s.io", "v1", "flowschemas")
    obj = {**_meta("f"), "spec": {"priorityLevelConfiguration": {"name": "global-default"},
                                  "matchingPrecedence": 9900, "distinguisherMethod": {"type": "ByUser"}},
           "status": {"conditions": [{"type": "Dangling", "status": "False"}]}}
    assert row_cells(fs, obj, now=NOW) == ["f", "global-default", 9900, "ByUser", "42s", "False"]
    pl = REG.get("flowcontrol.apiserver.k8s.io", "v1", "prioritylevelconfigurations")
    obj = {**_meta("l"), "spec": {"type": "Limited", "limited": {"nominalConcurrencyShares": 20, "limitResponse": {
        "type": "Queue", "queuing": {"queues": 128, "handSize": 6, "queueLengthLimit": 50}}}}}
    assert row_cells(pl, obj, now=NOW) == ["l", "Limited", 20, 128, 6, 50, "42s"]
    assert row_cells(pl, {**_meta("e"), "spec": {"type": "Exempt"}}, now=NOW) == [
        "e", "Exempt", "<none>", "<none>", "<none>", "<none>", "42s"]


def test_apiservice_csr_controllerrevision_ipaddress():
    api = REG.get("apiregistration.k8s.io", "v1", "apiservices")
    obj = {**_meta("v1.apps"), "spec": {}, "status": {"conditions": [{"type": "Available", "status": "True"}]}}
    assert row_cells(api, obj, now=NOW) == ["v1.apps", "Local", "True", "42s"]
    obj = {**_meta("v1beta1.metrics.k8s.io"), "spec": {"service": {"namespace": "kube-system", "name": "ms"}},
           "status": {"conditions": [{"type": "Available", "status": "False", "reason": "MissingEndpoints"}]}}
    assert row_cells(api, obj, now=NOW)[1:3] == ["kube-system/ms", "False (MissingEndpoints)"]
    csr = REG.get("certificates.k8s.io", "v1", "certificatesigningrequests")
    obj = {**_meta("c"), "spec": {"signerName": "kubernetes.io/kube-apiserver-client", "username": "alice",
                                  "expirationSeconds": 86400},
           "status": {"conditions": [{"type": "Approved"}, {"type": "Failed"}], "certificate": "Zm9v"}}
    assert row_cells(csr, obj, now=NOW) == ["c", "42s", "kubernetes.io/kube-apiserver-client", "alice", "24h",
                                            "Approved,Failed,Issued"]
    cr = REG.get("apps", "v1", "controllerrevisions")
    obj = {**_meta("r", ownerReferences=[{"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "agent",
                                          "controller": True}]), "revision": 3}
    assert row_cells(cr, obj, now=NOW) == ["r", "daemonset.apps/agent", 3, "42s"]
    ip = REG.get("networking.k8s.io", "v1", "ipaddresses")
    obj = {**_meta("10.96.0.1"), "spec": {"parentRef": {"group": "", "resource": "services",
                                                        "namespace": "default", "name": "kubernetes"}}}
    # upstream declares two columns and prints three cells
    assert [c["name"] for c in column_definitions(ip)] == ["Name", "ParentRef"]
    assert row_cells(ip, obj, now=NOW) == ["10.96.0.1", "services/default/kubernetes", "42s"]


def test_ingress_hosts_and_class():
    ing = REG.get("networking.k8s.io", "v1", "ingresses")
    obj = {**_meta("i"), "spec": {"rules": [{"host": f"h{i}"} for i in range(5)] + [{}]},
           "status": {"loadBalancer": {"ingress": [{"ip": "10.0.0.2"}, {"ip": "10.0.0.1"}]}}}
    assert row_cells(ing, obj, now=NOW) == ["i", "<none>", "h0,h1,h2 + 3 more...", "10.0.0.1,10.0.0.2", "80", "42s"]
    assert row_cells(ing, {**_meta("i"), "spec": {"rules": [{}]}}, now=NOW)[2] == "*"
    ic = REG.get("networking.k8s.io", "v1", "ingressclasses")
    obj = {**_meta("c"), "spec": {"controller": "x", "parameters": {"apiGroup": "k8s.example.com",
                                                                     "kind": "Params", "name": "p"}}}
    assert row_cells(ic, obj, now=NOW)[2] == "Params.k8s.example.com/p"


def test_every_builtin_resource_prints():
    """Each served resource has columns and renders a bare object with one cell per column."""
    for res in builtin_resources():
        cols = column_definitions(res)
        assert cols[0]["name"] in ("Name", "Last Seen")
        cells = row_cells(res, _meta("x"), now=NOW)
        extra = 1 if res.kind == "IPAddress" else 0
        assert len(cells) == len(cols) + extra, res.group_resource


def test_supports_table():
    assert supports_table(REG.get("", "v1", "pods"))
    assert supports_table(REG.get("", "v1", "componentstatuses"))
    assert not supports_table(REG.get("authorization.k8s.io", "v1", "selfsubjectaccessreviews"))
    assert not supports_table(REG.get("", "v1", "bindings"))


def test_naive_now_is_utc():
    cm = REG.get("", "v1", "configmaps")
    assert row_cells(cm, _meta("c"), now=NOW.replace(tzinfo=None))[2] == "42s"
