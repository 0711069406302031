"""Validation: ``details.causes`` (order included) and messages as a real API server gives them.

The golden cases are 422 responses captured from kube-apiserver 1.28
(tests/fixtures/upstream-1.28/errors). Where 1.33 words a message
differently the test says so (ConfigMap size: 1.33's field.TooLong reads "may not
be more than N bytes", 1.28's "must have at most N bytes").
"""

from __future__ import annotations

from tests.golden import UPSTREAM
import copy
import json

import pytest

from kybernetes.api import errors, validation
from kybernetes.api.builtin import builtin_registry
from kybernetes.api.registry import Resource

REF = UPSTREAM
REG = builtin_registry()


def res(api_version: str, kind: str) -> Resource:
    group, _, version = api_version.rpartition("/")
    r = REG.by_kind(group, version, kind)
    assert r is not None, (api_version, kind)
    return r


POD = res("v1", "Pod")
CM = res("v1", "ConfigMap")
SVC = res("v1", "Service")
SECRET = res("v1", "Secret")
NS = res("v1", "Namespace")
PVC = res("v1", "PersistentVolumeClaim")
DEPLOY = res("apps/v1", "Deployment")
STS = res("apps/v1", "StatefulSet")
DS = res("apps/v1", "DaemonSet")
JOB = res("batch/v1", "Job")
CRONJOB = res("batch/v1", "CronJob")
ROLE = res("rbac.authorization.k8s.io/v1", "Role")
ROLEBINDING = res("rbac.authorization.k8s.io/v1", "RoleBinding")
INGRESS = res("networking.k8s.io/v1", "Ingress")
HPA = res("autoscaling/v2", "HorizontalPodAutoscaler")
PDB = res("policy/v1", "PodDisruptionBudget")
WIDGET = Resource("example.com", "v1", "Widget", "widgets", "widget", True, ("get", "create"))


def golden(name: str) -> dict:
    path = REF / "errors" / name
    return json.loads(path.read_text())


def run(resource: Resource, obj: dict, old: dict | None = None, namespace: str = "demo") -> list[dict]:
    """What the server does before storing: default, then validate."""
    obj = copy.deepcopy(obj)
    if resource.namespaced:
        obj.setdefault("metadata", {}).setdefault("namespace", namespace)
    validation.apply_defaults(resource, obj)
    if old is not None:
        old = copy.deepcopy(old)
        if resource.namespaced:
            old.setdefault("metadata", {}).setdefault("namespace", namespace)
        validation.apply_defaults(resource, old)
    return [c.to_dict() for c in validation.validate(resource, obj, old)]


def status_of(resource: Resource, obj: dict, causes: list[dict]) -> dict:
    from kybernetes.api.errors import Cause

    err = errors.invalid_object(
        resource.kind, resource.group, obj.get("metadata", {}).get("name", ""),
        [Cause(c["reason"], c["message"], c.get("field", "")) for c in causes],
    )
    return err.status()


# --- golden 422s ----------------------------------------------------------------------------------

GOLDEN_CASES = [
    "422-invalid-name-configmap.json",
    "422-invalid-missing-name.json",
    "422-invalid-pod-no-containers.json",
    "422-invalid-multiple-causes-pod.json",
    "422-invalid-service-multiple.json",
    "422-invalid-deployment-selector-mismatch.json",
]


@pytest.mark.parametrize("name", GOLDEN_CASES)
def test_golden_invalid_create(name: str) -> None:
    case = golden(name)
    body = case["request"]["body"]
    resource = res(body["apiVersion"], body["kind"])
    causes = run(resource, body)
    expected = case["response"]["body"]
    assert causes == expected["details"]["causes"]
    assert status_of(resource, body, causes) == expected


def test_golden_immutable_selector_update() -> None:
    case = golden("422-invalid-immutable-selector-update.json")
    new = case["request"]["body"]
    old = copy.deepcopy(new)
    old["spec"]["selector"] = {"matchLabels": {"app": "web"}}
    causes = run(DEPLOY, new, old)
    expected = case["response"]["body"]
    assert causes == expected["details"]["causes"]
    assert status_of(DEPLOY, new, causes) == expected


def test_golden_configmap_data_too_long() -> None:
    case = golden("422-configmap-data-too-long.json")
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "toolong"}, "data": {"blob": "x" * 1048577}}
    causes = run(CM, body)
    expected = case["response"]["body"]["details"]["causes"]
    assert [c["field"] for c in causes] == [c["field"] for c in expected] == ["[]"]
    assert [c["reason"] for c in causes] == [c["reason"] for c in expected]
    # 1.28 said "must have at most 1048576 bytes"; field.TooLong reads like this since 1.32
    assert causes[0]["message"] == "Too long: may not be more than 1048576 bytes"
    msg = status_of(CM, body, causes)["message"]
    assert msg == 'ConfigMap "toolong" is invalid: []: Too long: may not be more than 1048576 bytes'
    assert run(CM, {"metadata": {"name": "fits"}, "data": {"blob": "x" * 1048576}}) == []


def test_golden_strategic_patch_recreate_with_rolling_update() -> None:
    case = golden("../apply/smp-6-no-retainKeys-strategy-422.json")
    obj = {"metadata": {"name": "smp-6"}, "spec": {
        "selector": {"matchLabels": {"app": "x"}},
        "template": {"metadata": {"labels": {"app": "x"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}},
        "strategy": {"type": "Recreate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
    }}
    causes = run(DEPLOY, obj)
    assert causes == case["after"]["body"]["details"]["causes"]


# --- ObjectMeta -----------------------------------------------------------------------------------

def fields(causes: list[dict]) -> list[tuple[str, str]]:
    return [(c.get("field", ""), c["message"]) for c in causes]


def test_generate_name_is_validated_as_a_prefix() -> None:
    assert run(CM, {"metadata": {"name": "abc-x1y2z", "generateName": "abc-"}}) == []
    causes = run(CM, {"metadata": {"name": "Abc-x1y2z", "generateName": "Abc-"}})
    assert [c["field"] for c in causes] == ["metadata.generateName", "metadata.name"]


def test_name_rules_per_kind() -> None:
    # Service names are DNS-1035 labels, Namespaces DNS-1123 labels, RBAC names path segments
    svc = run(SVC, {"metadata": {"name": "1svc"}, "spec": {"ports": [{"port": 80}]}})
    assert fields(svc) == [("metadata.name", 'Invalid value: "1svc": a DNS-1035 label must consist of lower case alphanumeric characters or \'-\', start with an alphabetic character, and end with an alphanumeric character (e.g. \'my-name\',  or \'abc-123\', regex used for validation is \'[a-z]([-a-z0-9]*[a-z0-9])?\')')]
    ns = run(NS, {"metadata": {"name": "a.b"}})
    assert fields(ns) == [("metadata.name", 'Invalid value: "a.b": must not contain dots')]
    assert run(ROLE, {"metadata": {"name": "system:Weird Name"}, "rules": []}) == []
    role = run(ROLE, {"metadata": {"name": "a/b"}, "rules": []})
    assert fields(role) == [("metadata.name", "Invalid value: \"a/b\": may not contain '/'")]
    assert run(CM, {"metadata": {"name": "a.b-c"}}) == []


def test_namespace_required_or_forbidden() -> None:
    causes = [c.to_dict() for c in validation.validate(CM, {"metadata": {"name": "x"}})]
    assert causes == [{"reason": "FieldValueRequired", "message": "Required value", "field": "metadata.namespace"}]
    causes = [c.to_dict() for c in validation.validate(NS, {"metadata": {"name": "x", "namespace": "y"}})]
    assert causes == [{"reason": "FieldValueForbidden", "message": "Forbidden: not allowed on this type", "field": "metadata.namespace"}]


def test_labels_keys_and_values() -> None:
    causes = run(CM, {"metadata": {"name": "x", "labels": {"example.com/ok": "v", "a/b/c": "x", "k": "v" * 64, "bad": "-x"}}})
    assert fields(causes) == [
        ("metadata.labels", "Invalid value: \"a/b/c\": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"),
        ("metadata.labels", f'Invalid value: "{"v" * 64}": must be no more than 63 characters'),
        ("metadata.labels", "Invalid value: \"-x\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"),
    ]
    prefix = run(CM, {"metadata": {"name": "x", "labels": {"Bad_Prefix/x": "1"}}})
    assert prefix[0]["message"].startswith('Invalid value: "Bad_Prefix/x": prefix part a lowercase RFC 1123 subdomain')


def test_annotations_total_size() -> None:
    ok = {"metadata": {"name": "x", "annotations": {"a": "x" * (256 * 1024 - 1)}}}
    assert run(CM, ok) == []
    too_big = {"metadata": {"name": "x", "annotations": {"a": "x" * (256 * 1024)}}}
    assert fields(run(CM, too_big)) == [("metadata.annotations", "Too long: may not be more than 262144 bytes")]
    bad_key = run(CM, {"metadata": {"name": "x", "annotations": {"a b": "1"}}})
    assert bad_key[0]["field"] == "metadata.annotations"


def test_finalizers() -> None:
    causes = run(CM, {"metadata": {"name": "x", "finalizers": ["example.com/ok", "kubernetes", "custom", "a b/c"]}})
    assert fields(causes) == [
        ("metadata.finalizers", "Invalid value: \"a b/c\": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"),
        ("metadata.finalizers[2]", 'Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified'),
    ]
    both = run(CM, {"metadata": {"name": "x", "finalizers": ["orphan", "foregroundDeletion"]}})
    assert fields(both) == [("metadata.finalizers", 'Invalid value: []string{"orphan", "foregroundDeletion"}: finalizer orphan and foregroundDeletion cannot be both set')]
    # custom resources only get the generic (qualified name) check
    assert run(WIDGET, {"metadata": {"name": "w", "finalizers": ["custom"]}}) == []


def test_owner_references() -> None:
    causes = run(CM, {"metadata": {"name": "x", "ownerReferences": [
        {"apiVersion": "", "kind": "", "name": "", "uid": ""},
        {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "a", "uid": "1", "controller": True},
        {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "b", "uid": "2", "controller": True},
    ]}})
    got = fields(causes)
    assert got[:4] == [
        ("metadata.ownerReferences.apiVersion", 'Invalid value: "": version must not be empty'),
        ("metadata.ownerReferences.kind", 'Invalid value: "": kind must not be empty'),
        ("metadata.ownerReferences.name", 'Invalid value: "": name must not be empty'),
        ("metadata.ownerReferences.uid", 'Invalid value: "": uid must not be empty'),
    ]
    assert got[4][0] == "metadata.ownerReferences"
    assert got[4][1].endswith('Only one reference can have Controller set to true. Found "true" in references for ReplicaSet/a and ReplicaSet/b')


def test_name_and_namespace_are_immutable() -> None:
    old = {"metadata": {"name": "a", "namespace": "demo", "resourceVersion": "5"}, "data": {}}
    new = {"metadata": {"name": "b", "namespace": "other", "resourceVersion": "5"}, "data": {}}
    causes = [c.to_dict() for c in validation.validate(CM, new, old)]
    assert fields(causes) == [
        ("metadata.name", 'Invalid value: "b": field is immutable'),
        ("metadata.namespace", 'Invalid value: "other": field is immutable'),
    ]


def test_no_new_finalizers_while_deleting() -> None:
    old = {"metadata": {"name": "a", "namespace": "demo", "deletionTimestamp": "2026-01-01T00:00:00Z", "finalizers": ["a.io/x"]}}
    new = copy.deepcopy(old)
    new["metadata"]["finalizers"].append("b.io/y")
    causes = [c.to_dict() for c in validation.validate(CM, new, old)]
    assert fields(causes) == [("metadata.finalizers", 'Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"b.io/y"}')]


def test_custom_resources_get_object_meta_only() -> None:
    assert run(WIDGET, {"metadata": {"name": "ok"}, "spec": {"anything": [1, 2]}}) == []
    assert fields(run(WIDGET, {"metadata": {"name": "Bad"}}))[0][0] == "metadata.name"


# --- configmaps, secrets, namespaces ----------------------------------------------------------------

def test_config_map_keys() -> None:
    causes = run(CM, {"metadata": {"name": "x"}, "data": {"ok.key": "1", "bad key": "1", "..": "2"}, "binaryData": {"ok.key": "AA=="}})
    assert fields(causes) == [
        ("data[ok.key]", 'Invalid value: "ok.key": duplicate of key present in binaryData'),
        ("data[bad key]", "Invalid value: \"bad key\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"),
        ("data[..]", "Invalid value: \"..\": must not be '..'"),
    ]


def test_config_map_immutable() -> None:
    old = {"metadata": {"name": "x", "namespace": "demo"}, "immutable": True, "data": {"a": "1"}}
    new = {"metadata": {"name": "x", "namespace": "demo"}, "immutable": False, "data": {"a": "2"}}
    assert fields(run(CM, new, old)) == [
        ("immutable", "Forbidden: field is immutable when `immutable` is set"),
        ("data", "Forbidden: field is immutable when `immutable` is set"),
    ]
    same = {"metadata": {"name": "x", "namespace": "demo", "labels": {"new": "label"}}, "immutable": True, "data": {"a": "1"}}
    assert run(CM, same, old) == []


def test_secret_type_is_immutable_and_defaulted() -> None:
    old = {"metadata": {"name": "s", "namespace": "demo"}, "data": {"a": "YQ=="}}
    new = {"metadata": {"name": "s", "namespace": "demo"}, "type": "kubernetes.io/tls", "data": {"tls.crt": "YQ==", "tls.key": "YQ=="}}
    assert fields(run(SECRET, new, old)) == [("type", 'Invalid value: "kubernetes.io/tls": field is immutable')]
    assert fields(run(SECRET, {"metadata": {"name": "t"}, "type": "kubernetes.io/tls", "data": {}})) == [
        ("data[tls.crt]", "Required value"),
        ("data[tls.key]", "Required value"),
    ]


def test_namespace_name_is_a_label() -> None:
    assert run(NS, {"metadata": {"name": "team-a"}}) == []
    assert run(NS, {"metadata": {"name": "x" * 64}})[0]["message"].endswith("must be no more than 63 characters")


# --- pods -------------------------------------------------------------------------------------------

def pod(**spec) -> dict:
    base = {"containers": [{"name": "c", "image": "nginx"}]}
    base.update(spec)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": base}


def test_valid_pod() -> None:
    assert run(POD, pod()) == []


def test_container_fields() -> None:
    p = pod(containers=[{
        "name": "c", "image": "nginx", "imagePullPolicy": "Sometimes", "terminationMessagePolicy": "Maybe",
        "ports": [{"containerPort": 80, "name": "http"}, {"containerPort": 81, "name": "http", "protocol": "ICMP"}],
        "env": [{"name": ""}, {"name": "A=B"}, {"name": "X", "valueFrom": {}}],
        "volumeMounts": [{"name": "missing", "mountPath": "/data"}],
    }])
    got = fields(run(POD, p))
    assert got == [
        ("spec.containers[0].terminationMessagePolicy", 'Unsupported value: "Maybe": supported values: "File", "FallbackToLogsOnError"'),
        ("spec.containers[0].ports[1].name", 'Duplicate value: "http"'),
        ("spec.containers[0].ports[1].protocol", 'Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"'),
        ("spec.containers[0].env[0].name", "Required value"),
        ("spec.containers[0].env[1].name", "Invalid value: \"A=B\": a valid environment variable name must consist only of printable ASCII characters other than '='"),
        ("spec.containers[0].env[2].valueFrom", 'Invalid value: "": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'),
        ("spec.containers[0].volumeMounts[0].name", 'Not found: "missing"'),
        ("spec.containers[0].imagePullPolicy", 'Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"'),
    ]


def test_volumes_unique_and_typed() -> None:
    p = pod(volumes=[{"name": "data", "emptyDir": {}}, {"name": "data", "emptyDir": {}},
                     {"name": "both", "emptyDir": {}, "configMap": {"name": "x"}}, {"name": "Bad_Name", "secret": {}}])
    assert fields(run(POD, p)) == [
        ("spec.volumes[1].name", 'Duplicate value: "data"'),
        ("spec.volumes[2].configMap", "Forbidden: may not specify more than 1 volume type"),
        ("spec.volumes[3].secret.secretName", "Required value"),
        ("spec.volumes[3].name", "Invalid value: \"Bad_Name\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"),
    ]


def test_resources_requests_and_limits() -> None:
    p = pod(containers=[{"name": "c", "image": "nginx", "resources": {
        "limits": {"memory": "1Gi", "example.com/gpu": "1"}, "requests": {"memory": "2Gi", "example.com/gpu": "2", "cpu": "-1"},
    }}])
    assert fields(run(POD, p)) == [
        ("spec.containers[0].resources.requests", 'Invalid value: "2Gi": must be less than or equal to memory limit of 1Gi'),
        ("spec.containers[0].resources.requests", 'Invalid value: "2": must be equal to example.com/gpu limit of 1'),
        ("spec.containers[0].resources.requests[cpu]", 'Invalid value: "-1": must be greater than or equal to 0'),
    ]


def test_probes_and_dns_and_tolerations() -> None:
    p = pod(containers=[{"name": "c", "image": "nginx", "livenessProbe": {"successThreshold": 2, "exec": {"command": ["true"]}}}],
            dnsPolicy="None", tolerations=[{"operator": "Equal", "value": "x"}])
    assert fields(run(POD, p)) == [
        ("spec.containers[0].livenessProbe.successThreshold", "Invalid value: 2: must be 1"),
        ("spec.dnsConfig", "Required value: must provide `dnsConfig` when `dnsPolicy` is None"),
        ("spec.tolerations[0].operator", 'Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys"'),
    ]


def test_pod_update_may_only_change_images() -> None:
    old = pod()
    old["metadata"]["namespace"] = "demo"
    validation.apply_defaults(POD, old)  # clients PUT back what they read
    new = copy.deepcopy(old)
    new["spec"]["containers"][0]["image"] = "nginx:1.27"
    assert run(POD, new, old) == []
    new["spec"]["restartPolicy"] = "Never"
    causes = run(POD, new, old)
    assert len(causes) == 1 and causes[0]["field"] == "spec"
    assert causes[0]["message"].startswith(
        "Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,"
        "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),"
        "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n"
    )


# --- services -------------------------------------------------------------------------------------

def test_service_port_names_and_cluster_ip_immutable() -> None:
    svc = {"metadata": {"name": "s"}, "spec": {"ports": [{"port": 80, "name": "a"}, {"port": 80, "name": "a"}]}}
    assert fields(run(SVC, svc)) == [
        ("spec.ports[1].name", 'Duplicate value: "a"'),
        ("spec.ports[1]", 'Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}'),
    ]
    old = {"metadata": {"name": "s", "namespace": "demo"}, "spec": {"clusterIP": "10.0.0.1", "clusterIPs": ["10.0.0.1"], "ports": [{"port": 80}]}}
    new = copy.deepcopy(old)
    new["spec"]["clusterIP"] = "10.0.0.2"
    new["spec"]["clusterIPs"] = ["10.0.0.2"]
    assert fields(run(SVC, new, old)) == [("spec.clusterIPs[0]", 'Invalid value: []string{"10.0.0.2"}: may not change once set')]


def test_headless_service() -> None:
    assert run(SVC, {"metadata": {"name": "h"}, "spec": {"clusterIP": "None", "selector": {"a": "b"}}}) == []


# --- workloads ------------------------------------------------------------------------------------

def deployment(labels=None, selector=None) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}, "spec": {
        "selector": selector if selector is not None else {"matchLabels": {"app": "d"}},
        "template": {"metadata": {"labels": labels if labels is not None else {"app": "d"}},
                     "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}


def test_deployment_selector_required() -> None:
    d = deployment()
    del d["spec"]["selector"]
    assert fields(run(DEPLOY, d)) == [
        ("spec.selector", "Required value"),
        ("spec.template.metadata.labels", 'Invalid value: map[string]string{"app":"d"}: `selector` does not match template `labels`'),
    ]
    assert fields(run(DEPLOY, deployment(selector={}))) == [
        ("spec.selector", "Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment"),
    ]


def test_deployment_rolling_update_values() -> None:
    d = deployment()
    d["spec"]["strategy"] = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": "150%"}}
    assert fields(run(DEPLOY, d)) == [
        ("spec.strategy.rollingUpdate.maxUnavailable", 'Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"150%"}: must not be greater than 100%'),
    ]


def test_statefulset_update_forbidden_fields() -> None:
    old = {"metadata": {"name": "s", "namespace": "demo"}, "spec": {
        "serviceName": "s", "selector": {"matchLabels": {"a": "b"}},
        "template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}
    new = copy.deepcopy(old)
    new["spec"]["replicas"] = 5
    assert run(STS, new, old) == []
    new["spec"]["serviceName"] = "other"
    assert fields(run(STS, new, old)) == [("spec", "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden")]


def test_daemonset_rolling_update_needs_one_non_zero() -> None:
    ds = {"metadata": {"name": "ds"}, "spec": {
        "selector": {"matchLabels": {"a": "b"}}, "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 0}},
        "template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}
    assert fields(run(DS, ds)) == [("spec.updateStrategy.rollingUpdate.maxUnavailable", "Required value: cannot be 0 when maxSurge is 0")]


def job(**spec) -> dict:
    base = {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]}}}
    base.update(spec)
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j", "uid": "3f5c0a57-1111-2222-3333-444455556666"}, "spec": base}


def test_job_generates_selector_and_rejects_always() -> None:
    j = job()
    obj = copy.deepcopy(j)
    obj["metadata"]["namespace"] = "demo"
    validation.apply_defaults(JOB, obj)
    assert validation.validate(JOB, obj) == []
    uid = j["metadata"]["uid"]
    assert obj["spec"]["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
    assert obj["spec"]["template"]["metadata"]["labels"] == {
        "job-name": "j", "batch.kubernetes.io/job-name": "j", "controller-uid": uid, "batch.kubernetes.io/controller-uid": uid}
    bad = job()
    bad["spec"]["template"]["spec"]["restartPolicy"] = "Always"
    assert fields(run(JOB, bad)) == [("spec.template.spec.restartPolicy", 'Required value: valid values: "OnFailure", "Never"')]


def test_job_template_is_immutable() -> None:
    old = copy.deepcopy(job())
    old["metadata"]["namespace"] = "demo"
    validation.apply_defaults(JOB, old)
    validation.validate(JOB, old)  # generates the selector
    new = copy.deepcopy(old)
    new["spec"]["template"]["spec"]["containers"][0]["image"] = "busybox:2"
    causes = [c.to_dict() for c in validation.validate(JOB, new, old)]
    assert fields(causes) == [("spec.template", "Invalid value: core.PodTemplateSpec{...}: field is immutable")]


def test_cron_schedule() -> None:
    cj = {"metadata": {"name": "c"}, "spec": {"schedule": "61 * * * *", "jobTemplate": {"spec": {"template": {"spec": {
        "restartPolicy": "OnFailure", "containers": [{"name": "c", "image": "busybox"}]}}}}}}
    assert fields(run(CRONJOB, cj)) == [("spec.schedule", 'Invalid value: "61 * * * *": end of range (61) above maximum (59): 61')]
    cj["spec"]["schedule"] = "* * *"
    assert fields(run(CRONJOB, cj)) == [("spec.schedule", 'Invalid value: "* * *": expected exactly 5 fields, found 3: [* * *]')]
    cj["spec"]["schedule"] = "@hourly"
    assert run(CRONJOB, cj) == []
    cj["metadata"]["name"] = "x" * 53
    assert fields(run(CRONJOB, cj)) == [("metadata.name", f'Invalid value: "{"x" * 53}": must be no more than 52 characters')]


def test_pvc_spec_is_immutable_except_requests_when_bound() -> None:
    old = {"metadata": {"name": "c", "namespace": "demo"}, "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
           "status": {"phase": "Bound"}}
    new = copy.deepcopy(old)
    new["spec"]["resources"]["requests"]["storage"] = "2Gi"
    assert run(PVC, new, old) == []
    new["spec"]["accessModes"] = ["ReadWriteMany"]
    causes = run(PVC, new, old)
    assert [c["field"] for c in causes] == ["spec"]
    assert causes[0]["message"].startswith("Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims")
    assert fields(run(PVC, {"metadata": {"name": "c"}, "spec": {}})) == [
        ("spec.accessModes", "Required value: at least 1 access mode is required"),
        ("spec.resources[storage]", "Required value"),
    ]


# --- other groups ---------------------------------------------------------------------------------

def test_ingress_path_type_required() -> None:
    ing = {"metadata": {"name": "i"}, "spec": {"rules": [{"http": {"paths": [{"path": "/", "backend": {"service": {"name": "s", "port": {"number": 80}}}}]}}]}}
    assert fields(run(INGRESS, ing)) == [("spec.rules[0].http.paths[0].pathType", "Required value: pathType must be specified")]


def test_role_binding_checks() -> None:
    rb = {"metadata": {"name": "rb"}, "roleRef": {"kind": "Thing", "name": "r"}, "subjects": [{"kind": "User", "name": "alice"}, {"kind": "Robot", "name": "x"}]}
    assert fields(run(ROLEBINDING, rb)) == [
        ("roleRef.kind", 'Unsupported value: "Thing": supported values: "Role", "ClusterRole"'),
        ("subjects[1].kind", 'Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"'),
    ]
    old = {"metadata": {"name": "rb", "namespace": "demo"}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "a"}}
    new = copy.deepcopy(old)
    new["roleRef"]["name"] = "b"
    assert fields(run(ROLEBINDING, new, old)) == [("roleRef", 'Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"Role", Name:"b"}: cannot change roleRef')]


def test_hpa_and_pdb() -> None:
    hpa = {"metadata": {"name": "h"}, "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "d"}, "minReplicas": 5, "maxReplicas": 2}}
    assert fields(run(HPA, hpa)) == [("spec.maxReplicas", "Invalid value: 2: must be greater than or equal to `minReplicas`")]
    pdb = {"metadata": {"name": "p"}, "spec": {"minAvailable": "120%", "selector": {"matchLabels": {"a": "b"}}}}
    assert fields(run(PDB, pdb)) == [("spec.minAvailable", 'Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"120%"}: must not be greater than 100%')]


# --- schema checks: unknown fields, types, duplicates --------------------------------------------------

@pytest.mark.parametrize("name", ["400-strict-unknown-field.json", "400-strict-unknown-nested-fields.json", "400-strict-duplicate-field.json", "400-strict-unknown-and-duplicate.json"])
def test_strict_decoding_messages(name: str) -> None:
    case = golden(name)
    req = case["request"]
    raw = req.get("bodyRaw") or json.dumps(req["body"])
    obj, dups = validation.decode_json(raw)
    resource = res(obj["apiVersion"], obj["kind"])
    problems = dups + validation.strict_unknown_fields(resource, obj)
    kind = obj["kind"]
    version = obj["apiVersion"].split("/")[-1]
    message = f'{kind} in version "{version}" cannot be handled as a {kind}: strict decoding error: ' + ", ".join(problems)
    assert message == case["response"]["body"]["message"]


def test_warn_headers_match_golden() -> None:
    case = golden("warn-fieldvalidation-Warn.json")
    obj, dups = validation.decode_json(case["request"]["bodyRaw"])
    warnings = dups + validation.strict_unknown_fields(CM, obj)
    assert [f'299 - "{w.replace(chr(34), chr(92) + chr(34))}"' for w in warnings] == case["response"]["headers"]["Warning"]
    # duplicated objects are merged, as Go's decoder does
    assert obj["metadata"]["labels"] == {"x": "1", "y": "2"}
    nested = golden("warn-fieldvalidation-Warn-nested-deployment.json")
    body = nested["request"]["body"]
    w = validation.strict_unknown_fields(DEPLOY, body)
    assert [f'299 - "{x.replace(chr(34), chr(92) + chr(34))}"' for x in w] == nested["response"]["headers"]["Warning"]


def test_type_error_matches_golden_decode_error() -> None:
    case = golden("400-badrequest-malformed-json-2.json")
    obj = json.loads(case["request"]["bodyRaw"])
    errs = validation.type_errors(CM, obj)
    assert f'ConfigMap in version "v1" cannot be handled as a ConfigMap: {errs[0]}' == case["response"]["body"]["message"]


def test_type_errors_name_the_go_field() -> None:
    d = deployment()
    d["spec"]["replicas"] = "3"
    d["spec"]["template"]["spec"]["containers"][0]["ports"] = [{"containerPort": 1.5}]
    d["metadata"]["labels"] = {"a": 1}
    # in document order (replicas was added last), the first is what upstream reports
    assert validation.type_errors(DEPLOY, d) == [
        "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string",
        "json: cannot unmarshal number 1.5 into Go struct field ContainerPort.spec.template.spec.containers.ports.containerPort of type int32",
        "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32",
    ]
    bad_qty = deployment()
    bad_qty["spec"]["template"]["spec"]["containers"][0]["resources"] = {"limits": {"cpu": "lots"}}
    assert validation.type_errors(DEPLOY, bad_qty) == ["quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"]
    assert validation.type_errors(DEPLOY, deployment()) == []
    assert validation.type_errors(WIDGET, {"spec": 1}) == []


def test_unknown_fields_in_every_built_in_kind_of_the_goldens() -> None:
    # every object a real server returned validates against the 1.33 schemas without unknown fields
    for path in sorted((REF / "defaulting").glob("*.json")):
        case = json.loads(path.read_text())
        if "getAfterCreate" not in case:
            continue
        obj = case["getAfterCreate"]["response"]["body"]
        r = res(obj["apiVersion"], obj["kind"])
        assert validation.check_fields(r, obj) == ([], []), path.name


# --- generation -------------------------------------------------------------------------------------

def test_tracks_generation_follows_the_goldens() -> None:
    for path in sorted((REF / "defaulting").glob("*.json")):
        case = json.loads(path.read_text())
        if "getAfterCreate" not in case:
            continue
        obj = case["getAfterCreate"]["response"]["body"]
        r = res(obj["apiVersion"], obj["kind"])
        if r.kind == "Pod":
            continue  # 1.28 capture; pods keep metadata.generation since 1.33
        assert validation.tracks_generation(r) == ("generation" in obj["metadata"]), path.name
    assert validation.tracks_generation(POD)
    assert not validation.tracks_generation(CM) and not validation.tracks_generation(SVC) and not validation.tracks_generation(NS)
    assert validation.tracks_generation(WIDGET)


def test_spec_changed() -> None:
    a = deployment()
    b = copy.deepcopy(a)
    b["metadata"]["labels"] = {"x": "y"}
    b["status"] = {"replicas": 3}
    assert not validation.spec_changed(DEPLOY, a, b)
    b["metadata"]["annotations"] = {"note": "deployments also count annotations"}
    assert validation.spec_changed(DEPLOY, a, b)
    c = copy.deepcopy(a)
    c["spec"]["replicas"] = 4
    assert validation.spec_changed(DEPLOY, a, c)
    rs = res("apps/v1", "ReplicaSet")
    assert not validation.spec_changed(rs, a, b)
    # custom resources: anything outside metadata (and status when it is a subresource)
    assert validation.spec_changed(WIDGET, {"spec": {"a": 1}}, {"spec": {"a": 2}})
    assert validation.spec_changed(WIDGET, {"data": 1}, {"data": 2})
    assert not validation.spec_changed(WIDGET, {"metadata": {"labels": {}}}, {"metadata": {"labels": {"a": "b"}}})


def test_aggregated_message_lists_each_message_once() -> None:
    from kybernetes.api.errors import Cause

    c = Cause("FieldValueInvalid", "Invalid value: 1: x", "a")
    assert errors.invalid_object("ConfigMap", "", "n", [c, c]).message == 'ConfigMap "n" is invalid: a: Invalid value: 1: x'


# --- subresources ------------------------------------------------------------------------------------

def test_pod_subresource_rules() -> None:
    old = pod()
    old["metadata"].update(namespace="demo")
    validation.apply_defaults(POD, old)
    bound = copy.deepcopy(old)
    bound["spec"]["nodeName"] = "node-1"
    # the main update may not touch nodeName; the binding subresource does exactly that
    assert [c.field for c in validation.validate(POD, bound, old)] == ["spec"]
    assert validation.validate(POD, bound, old, subresource="binding") == []
    st = copy.deepcopy(old)
    st["status"] = {"phase": "Running", "podIP": "10.1.0.5", "podIPs": [{"ip": "10.1.0.5"}], "hostIP": "10.0.0.1", "hostIPs": [{"ip": "10.0.0.2"}]}
    assert fields([c.to_dict() for c in validation.validate(POD, st, old, subresource="status")]) == [
        ("status.hostIPs[0].ip", 'Invalid value: "10.0.0.2": must be equal to `hostIP`'),
    ]
    st["spec"]["nodeName"] = "elsewhere"
    st["status"]["hostIPs"] = [{"ip": "10.0.0.1"}]
    assert fields([c.to_dict() for c in validation.validate(POD, st, old, subresource="status")]) == [
        ("status.nodeName", "Forbidden: may not be changed directly"),
    ]
    resized = copy.deepcopy(old)
    resized["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "200m"}}
    assert validation.validate(POD, resized, old, subresource="resize") == []
    resized["spec"]["containers"][0]["image"] = "other"
    assert fields([c.to_dict() for c in validation.validate(POD, resized, old, subresource="resize")]) == [
        ("spec", "Forbidden: only cpu and memory resources are mutable"),
    ]
    debug = copy.deepcopy(old)
    debug["spec"]["ephemeralContainers"] = [{"name": "debug", "image": "busybox", "imagePullPolicy": "Always",
                                             "terminationMessagePolicy": "File"}]
    assert validation.validate(POD, debug, old, subresource="ephemeralcontainers") == []


# --- robustness ----------------------------------------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 70000) | st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from(["", "x", "None", "1Gi", "Bad_Name", "TCP"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(
        st.sampled_from(["spec", "metadata", "name", "containers", "selector", "template", "ports", "port", "labels", "data", "type",
                         "matchLabels", "rules", "subjects", "roleRef", "resources", "limits", "requests", "image", "status"]),
        children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(sorted({(r.group, r.version, r.kind) for r in REG.all()})), json_values, json_values)
def test_malformed_objects_never_raise(gvk: tuple[str, str, str], body: object, old: object) -> None:
    r = REG.by_kind(*gvk)
    obj = body if isinstance(body, dict) else {"spec": body}
    validation.check_fields(r, obj)
    validation.apply_defaults(r, obj)
    validation.validate(r, obj)
    validation.validate(r, obj, old if isinstance(old, dict) else {})
    validation.spec_changed(r, old if isinstance(old, dict) else {}, obj)
    validation.prepare_create(r, obj)
    validation.prepare_update(r, obj, old if isinstance(old, dict) else {})
