"""Defaulting, checked against objects a real API server read back after a minimal create.

The captures (tests/fixtures/upstream-1.28/defaulting) POST a minimal
body and GET the object back. Everything in the read-back that defaulting (and
the per-kind create strategy) produces must come out of ``apply_defaults`` +
``prepare_create`` (+ ``empty_status`` for the zero-valued status Go prints).
What other parts of the system add is excluded, each with the reason:
"""

from __future__ import annotations

from tests.golden import UPSTREAM
import copy
import json

import pytest

from kybernetes.api import validation
from kybernetes.api.builtin import builtin_registry
from kybernetes.api.registry import Resource

REF = UPSTREAM / "defaulting"
REG = builtin_registry()

# (capture, path in the read-back object): why apply_defaults does not produce it
EXCLUDED = {
    # set by the server itself
    ("*", "metadata.uid"): "assigned by the server on create",
    ("*", "metadata.resourceVersion"): "storage revision",
    ("*", "metadata.creationTimestamp"): "set by the server on create",
    ("*", "metadata.generation"): "set by the server (see validation.tracks_generation)",
    ("*", "metadata.namespace"): "taken from the request URL",
    # admission plugins
    ("pod.json", "spec.volumes"): "kube-api-access projected token volume: ServiceAccount admission",
    ("pod.json", "spec.containers[0].volumeMounts"): "its mount: ServiceAccount admission",
    ("pod.json", "spec.serviceAccountName"): "ServiceAccount admission",
    ("pod.json", "spec.serviceAccount"): "ServiceAccount admission (deprecated alias)",
    ("pod.json", "spec.tolerations"): "not-ready/unreachable tolerations: DefaultTolerationSeconds admission",
    ("pvc.json", "spec.storageClassName"): "DefaultStorageClass admission",
    ("pvc.json", "metadata.finalizers"): "kubernetes.io/pvc-protection: StorageObjectInUseProtection admission",
    # controllers and the scheduler
    ("pod.json", "spec.nodeName"): "the scheduler's binding",
    ("pod.json", "status"): "phase/qosClass by the pod strategy, PodScheduled condition by the scheduler",
    ("pvc.json", "metadata.annotations"): "storage-provisioner annotations: PV controller",
    ("deployment.json", "metadata.annotations"): "deployment.kubernetes.io/revision: deployment controller",
    ("deployment.json", "status"): "deployment controller",
    ("replicaset.json", "status.observedGeneration"): "replicaset controller",
    ("pdb.json", "status"): "disruption controller",
    # allocation by the service REST layer
    ("service-clusterip.json", "spec.clusterIP"): "cluster IP allocation",
    ("service-clusterip.json", "spec.clusterIPs"): "cluster IP allocation",
    ("service-nodeport.json", "spec.clusterIP"): "cluster IP allocation",
    ("service-nodeport.json", "spec.clusterIPs"): "cluster IP allocation",
    ("service-nodeport.json", "spec.ports[0].nodePort"): "node port allocation",
    # the Job's selector needs the uid: generated in validation (checked in test_job_selector_from_uid)
    ("job.json", "spec.selector"): "generated from metadata.uid during validation",
    ("job.json", "spec.template.metadata.labels"): "generated from metadata.uid during validation",
    ("job.json", "metadata.labels"): "copied from the generated template labels",
}

# 1.33 defaults that the 1.28 captures do not have yet.
ADDED_IN_1_33 = {
    ("job.json", "spec.podReplacementPolicy"): "TerminatingOrFailed",  # JobPodReplacementPolicy is on since 1.29
    ("pod.json", "metadata.generation"): 1,
}


def captures() -> list[str]:
    if not REF.exists():
        return []
    return sorted(p.name for p in REF.glob("*.json") if "create" in json.loads(p.read_text()))


def resource_for(obj: dict) -> Resource:
    group, _, version = obj["apiVersion"].rpartition("/")
    r = REG.by_kind(group, version, obj["kind"])
    assert r is not None
    return r


def _drop(obj: dict, path: str) -> None:
    parts = path.replace("]", "").replace("[", ".").split(".")
    cur = obj
    for p in parts[:-1]:
        if isinstance(cur, list):
            cur = cur[int(p)] if int(p) < len(cur) else {}
        else:
            cur = cur.get(p, {})
    if isinstance(cur, dict):
        cur.pop(parts[-1], None)


def _strip(obj: dict, name: str) -> dict:
    obj = copy.deepcopy(obj)
    obj["metadata"].pop("managedFields", None)
    for (cap, path), _why in EXCLUDED.items():
        if cap in ("*", name):
            _drop(obj, path)
    for key in ("labels", "annotations"):
        if obj["metadata"].get(key) == {}:
            obj["metadata"].pop(key)
    if obj.get("status") in ({}, None):
        obj.pop("status", None)
    return obj


@pytest.mark.parametrize("name", captures())
def test_defaults_match_read_back(name: str) -> None:
    case = json.loads((REF / name).read_text())
    body = case["create"]["request"]["body"]
    expected = case["getAfterCreate"]["response"]["body"]
    r = resource_for(body)
    obj = copy.deepcopy(body)
    obj["metadata"]["uid"] = expected["metadata"]["uid"]
    validation.apply_defaults(r, obj)
    validation.prepare_create(r, obj)
    if r.has_status:  # what the create strategy does: a fresh status, then status defaults
        status = obj.pop("status", None)
        obj["status"] = validation.empty_status(r)
        if r.kind in ("Namespace", "PersistentVolumeClaim", "PersistentVolume") and status:
            obj["status"].update(status)
    for (cap, path), value in ADDED_IN_1_33.items():
        if cap == name and path.startswith("spec."):
            parts = path.split(".")
            cur = obj
            for p in parts[:-1]:
                cur = cur[p]
            assert cur.pop(parts[-1]) == value
    got = _strip(obj, name)
    want = _strip(expected, name)
    assert got == want


def test_job_selector_from_uid() -> None:
    case = json.loads((REF / "job.json").read_text())
    expected = case["getAfterCreate"]["response"]["body"]
    job = copy.deepcopy(case["create"]["request"]["body"])
    job["metadata"].update(uid=expected["metadata"]["uid"], namespace="defaults")
    r = resource_for(job)
    validation.apply_defaults(r, job)
    assert validation.validate(r, job) == []
    assert job["spec"]["selector"] == expected["spec"]["selector"]
    assert job["spec"]["template"]["metadata"]["labels"] == expected["spec"]["template"]["metadata"]["labels"]
    assert job["metadata"]["labels"] == expected["metadata"]["labels"]


def res(api_version: str, kind: str) -> Resource:
    group, _, version = api_version.rpartition("/")
    return REG.by_kind(group, version, kind)


def test_pod_only_defaults_stay_out_of_templates() -> None:
    d = {"spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {"metadata": {"labels": {"a": "b"}},
         "spec": {"containers": [{"name": "c", "image": "nginx:1.25", "resources": {"limits": {"cpu": "1"}}}]}}}}
    validation.apply_defaults(res("apps/v1", "Deployment"), d)
    spec = d["spec"]["template"]["spec"]
    assert "enableServiceLinks" not in spec and "priority" not in spec
    assert "requests" not in spec["containers"][0]["resources"]  # requests<-limits is Pod-only
    assert spec["containers"][0]["imagePullPolicy"] == "IfNotPresent"
    p = {"spec": {"containers": [{"name": "c", "image": "nginx", "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}}]}}
    validation.apply_defaults(res("v1", "Pod"), p)
    assert p["spec"]["containers"][0]["resources"]["requests"] == {"cpu": "1", "memory": "1Gi"}
    assert p["spec"]["enableServiceLinks"] is True and p["spec"]["priority"] == 0
    assert p["spec"]["preemptionPolicy"] == "PreemptLowerPriority"


@pytest.mark.parametrize("image,policy", [
    ("nginx", "Always"), ("nginx:latest", "Always"), ("nginx:1.25", "IfNotPresent"),
    ("registry:5000/team/app", "Always"), ("registry:5000/team/app:v2", "IfNotPresent"),
    ("nginx@sha256:" + "a" * 64, "IfNotPresent"), ("nginx:latest@sha256:" + "a" * 64, "Always"),
])
def test_image_pull_policy(image: str, policy: str) -> None:
    p = {"spec": {"containers": [{"name": "c", "image": image}]}}
    validation.apply_defaults(res("v1", "Pod"), p)
    assert p["spec"]["containers"][0]["imagePullPolicy"] == policy


def test_nested_pod_spec_defaults() -> None:
    p = {"spec": {
        "containers": [{"name": "c", "image": "x", "ports": [{"containerPort": 80}],
                        "readinessProbe": {"httpGet": {"port": 80}},
                        "env": [{"name": "N", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]}],
        "volumes": [{"name": "scratch"}, {"name": "cfg", "configMap": {"name": "c"}},
                    {"name": "tok", "projected": {"sources": [{"serviceAccountToken": {"path": "t"}}]}}],
    }}
    validation.apply_defaults(res("v1", "Pod"), p)
    c = p["spec"]["containers"][0]
    assert c["ports"] == [{"containerPort": 80, "protocol": "TCP"}]
    assert c["readinessProbe"] == {"httpGet": {"port": 80, "path": "/", "scheme": "HTTP"}, "timeoutSeconds": 1,
                                   "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3}
    assert c["env"][0]["valueFrom"]["fieldRef"] == {"fieldPath": "metadata.name", "apiVersion": "v1"}
    vols = p["spec"]["volumes"]
    assert vols[0] == {"name": "scratch", "emptyDir": {}}
    assert vols[1]["configMap"]["defaultMode"] == 420
    assert vols[2]["projected"] == {"sources": [{"serviceAccountToken": {"path": "t", "expirationSeconds": 3600}}], "defaultMode": 420}


def test_quantities_are_canonicalised() -> None:
    p = {"spec": {"containers": [{"name": "c", "image": "x", "resources": {
        "limits": {"cpu": "1000m", "memory": "1024Mi"}, "requests": {"cpu": 0.5, "memory": "0.0001"}}}],
        "volumes": [{"name": "v", "emptyDir": {"sizeLimit": "2048Mi"}}]}}
    validation.apply_defaults(res("v1", "Pod"), p)
    r = p["spec"]["containers"][0]["resources"]
    assert r == {"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "500m", "memory": "1m"}}
    assert p["spec"]["volumes"][0]["emptyDir"]["sizeLimit"] == "2Gi"
    pvc = {"spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1000Mi"}}}}
    validation.apply_defaults(res("v1", "PersistentVolumeClaim"), pvc)
    assert pvc["spec"]["resources"]["requests"]["storage"] == "1000Mi"
    assert pvc["spec"]["volumeMode"] == "Filesystem" and pvc["status"] == {"phase": "Pending"}


def test_service_defaults() -> None:
    svc = {"spec": {"type": "LoadBalancer", "ports": [{"port": 443, "targetPort": "https"}], "sessionAffinity": "ClientIP"}}
    validation.apply_defaults(res("v1", "Service"), svc)
    s = svc["spec"]
    assert s["ports"] == [{"port": 443, "targetPort": "https", "protocol": "TCP"}]
    assert s["externalTrafficPolicy"] == "Cluster" and s["internalTrafficPolicy"] == "Cluster"
    assert s["allocateLoadBalancerNodePorts"] is True
    assert s["sessionAffinityConfig"] == {"clientIP": {"timeoutSeconds": 10800}}
    assert s["ipFamilyPolicy"] == "SingleStack" and s["ipFamilies"] == ["IPv4"]
    headless = {"spec": {"clusterIP": "None"}}
    validation.apply_defaults(res("v1", "Service"), headless)
    assert headless["spec"]["clusterIPs"] == ["None"]
    assert headless["spec"]["ipFamilyPolicy"] == "RequireDualStack"
    ext = {"spec": {"type": "ExternalName", "externalName": "example.com"}}
    validation.apply_defaults(res("v1", "Service"), ext)
    assert ext["spec"] == {"type": "ExternalName", "externalName": "example.com", "sessionAffinity": "None"}


def test_other_kinds() -> None:
    sec = {}
    validation.apply_defaults(res("v1", "Secret"), sec)
    assert sec["type"] == "Opaque"
    pv = {"spec": {}}
    validation.apply_defaults(res("v1", "PersistentVolume"), pv)
    assert pv["spec"] == {"persistentVolumeReclaimPolicy": "Retain", "volumeMode": "Filesystem"}
    rb = {"roleRef": {"kind": "Role", "name": "r"}, "subjects": [{"kind": "User", "name": "u"}, {"kind": "ServiceAccount", "name": "s"}]}
    validation.apply_defaults(res("rbac.authorization.k8s.io/v1", "RoleBinding"), rb)
    assert rb["roleRef"]["apiGroup"] == "rbac.authorization.k8s.io"
    assert rb["subjects"][0]["apiGroup"] == "rbac.authorization.k8s.io" and "apiGroup" not in rb["subjects"][1]
    sc = {"provisioner": "x"}
    validation.apply_defaults(res("storage.k8s.io/v1", "StorageClass"), sc)
    assert sc == {"provisioner": "x", "reclaimPolicy": "Delete", "volumeBindingMode": "Immediate"}
    np = {"spec": {"podSelector": {}, "egress": [{"ports": [{"port": 53}]}]}}
    validation.apply_defaults(res("networking.k8s.io/v1", "NetworkPolicy"), np)
    assert np["spec"]["policyTypes"] == ["Ingress", "Egress"] and np["spec"]["egress"][0]["ports"][0]["protocol"] == "TCP"
    hpa = {"spec": {"maxReplicas": 3, "behavior": {"scaleDown": {"stabilizationWindowSeconds": 60}}}}
    validation.apply_defaults(res("autoscaling/v2", "HorizontalPodAutoscaler"), hpa)
    assert hpa["spec"]["behavior"] == {
        "scaleDown": {"stabilizationWindowSeconds": 60, "selectPolicy": "Max", "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]},
        "scaleUp": {"stabilizationWindowSeconds": 0, "selectPolicy": "Max", "policies": [
            {"type": "Pods", "value": 4, "periodSeconds": 15}, {"type": "Percent", "value": 100, "periodSeconds": 15}]},
    }


def test_defaults_are_idempotent() -> None:
    for name in captures():
        body = json.loads((REF / name).read_text())["create"]["request"]["body"]
        r = resource_for(body)
        once = copy.deepcopy(body)
        validation.apply_defaults(r, once)
        twice = copy.deepcopy(once)
        validation.apply_defaults(r, twice)
        assert once == twice, name


def test_daemonset_template_generation() -> None:
    ds = res("apps/v1", "DaemonSet")
    obj = {"metadata": {"name": "d"}, "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "a"}]}}}}
    validation.prepare_create(ds, obj)
    assert obj["metadata"]["annotations"] == {"deprecated.daemonset.template.generation": "1"}
    new = copy.deepcopy(obj)
    new["spec"]["template"]["spec"]["containers"][0]["image"] = "b"
    validation.prepare_update(ds, new, obj)
    assert new["metadata"]["annotations"]["deprecated.daemonset.template.generation"] == "2"
    same = copy.deepcopy(new)
    validation.prepare_update(ds, same, new)
    assert same["metadata"]["annotations"]["deprecated.daemonset.template.generation"] == "2"
