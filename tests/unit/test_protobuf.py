"""Kubernetes protobuf codec (kybernetes.api.protobuf).

The ``fixtures/protobuf/*.bin`` files are request bodies recorded from kubectl
v1.37.1 (``kubectl --server http://127.0.0.1:PORT create ...`` against a tiny
recording server); the matching ``*.json`` files are what the same kubectl
prints for ``create ... --dry-run=client -o json``, i.e. Go's encoding/json of
the typed object.
"""

from __future__ import annotations

import base64
import copy
import json
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kybernetes.api import protobuf as pb
from kybernetes.api.protobuf import ProtobufError

FIXTURES = Path(__file__).parent / "fixtures" / "protobuf"


def ordered(obj):
    """JSON text that keeps key order, to compare dicts including their order."""
    return json.dumps(obj)


def roundtrip(obj: dict) -> dict:
    return pb.decode(pb.encode(obj))


# --------------------------------------------------------------------------
# helpers to build protobuf bytes by hand (independent of the module)
# --------------------------------------------------------------------------


def varint(n: int) -> bytes:
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def ld(num: int, payload: bytes) -> bytes:
    return varint(num << 3 | 2) + varint(len(payload)) + payload


def vi(num: int, value: int) -> bytes:
    return varint(num << 3) + varint(value)


def envelope(api_version: str, kind: str, raw: bytes) -> bytes:
    type_meta = ld(1, api_version.encode()) + ld(2, kind.encode())
    return b"k8s\x00" + ld(1, type_meta) + ld(2, raw) + ld(3, b"") + ld(4, b"")


# --------------------------------------------------------------------------
# real kubectl bodies
# --------------------------------------------------------------------------

KUBECTL_WITH_JSON = [
    "namespace",
    "configmap",
    "secret",
    "deployment",
    "service",
    "job",
    "cronjob",
    "quota",
    "pdb",
    "priorityclass",
    "ingress",
]


@pytest.mark.parametrize("name", KUBECTL_WITH_JSON)
def test_kubectl_body_decodes_to_kubectl_json(name):
    body = (FIXTURES / f"{name}.bin").read_bytes()
    expected = json.loads((FIXTURES / f"{name}.json").read_text())
    got = pb.decode(body)
    assert ordered(got) == ordered(expected)


@pytest.mark.parametrize("name", KUBECTL_WITH_JSON + ["ssar", "ssr", "token"])
def test_kubectl_body_reencodes_byte_for_byte(name):
    body = (FIXTURES / f"{name}.bin").read_bytes()
    assert pb.encode(pb.decode(body)) == body


def test_kubectl_auth_bodies():
    ssar = pb.decode((FIXTURES / "ssar.bin").read_bytes())
    assert ordered(ssar) == ordered(
        {
            "kind": "SelfSubjectAccessReview",
            "apiVersion": "authorization.k8s.io/v1",
            "metadata": {},
            "spec": {"resourceAttributes": {"namespace": "default", "verb": "create", "resource": "pods"}},
            "status": {"allowed": False},
        }
    )
    ssr = pb.decode((FIXTURES / "ssr.bin").read_bytes())
    assert ssr == {
        "kind": "SelfSubjectReview",
        "apiVersion": "authentication.k8s.io/v1",
        "metadata": {},
        "status": {"userInfo": {}},
    }
    token = pb.decode((FIXTURES / "token.bin").read_bytes())
    # Fields without omitempty render null / zero, as Go does.
    assert ordered(token) == ordered(
        {
            "kind": "TokenRequest",
            "apiVersion": "authentication.k8s.io/v1",
            "metadata": {},
            "spec": {"audiences": None, "expirationSeconds": 3600, "boundObjectRef": None},
            "status": {"token": "", "expirationTimestamp": None},
        }
    )


def test_kubectl_configmap_binary_data():
    cm = pb.decode((FIXTURES / "configmap.bin").read_bytes())
    assert base64.b64decode(cm["binaryData"]["blob"]) == b"\x00\x01\xfe\xffbin"


# --------------------------------------------------------------------------
# hand-built bytes
# --------------------------------------------------------------------------

# Namespace{metadata{name:"demo"}, spec{}, status{phase:""}} exactly as gogo
# writes it: every non-pointer string of ObjectMeta is written even when empty,
# generation 0 is written, and creationTimestamp is an empty Time message.
TINY_NAMESPACE = (
    b"k8s\x00"
    + b"\x0a\x0f" + b"\x0a\x02v1" + b"\x12\x09Namespace"  # typeMeta
    + b"\x12\x1c"  # raw, 28 bytes
    + b"\x0a\x14"  # metadata, 20 bytes
    + b"\x0a\x04demo"  # 1 name
    + b"\x12\x00\x1a\x00\x22\x00\x2a\x00\x32\x00"  # 2 generateName .. 6 resourceVersion
    + b"\x38\x00"  # 7 generation 0
    + b"\x42\x00"  # 8 creationTimestamp (zero Time)
    + b"\x12\x00"  # spec {}
    + b"\x1a\x02\x0a\x00"  # status {phase: ""}
    + b"\x1a\x00\x22\x00"  # contentEncoding "", contentType ""
)

TINY_NAMESPACE_JSON = {"kind": "Namespace", "apiVersion": "v1", "metadata": {"name": "demo"}, "spec": {}, "status": {}}


def test_hand_built_namespace_decodes():
    assert ordered(pb.decode(TINY_NAMESPACE)) == ordered(TINY_NAMESPACE_JSON)


def test_hand_built_namespace_matches_kubectl_and_encoder():
    assert (FIXTURES / "namespace.bin").read_bytes() == TINY_NAMESPACE
    assert pb.encode({"kind": "Namespace", "apiVersion": "v1", "metadata": {"name": "demo"}}) == TINY_NAMESPACE


def test_minimal_namespace_without_defaults_decodes():
    raw = ld(1, ld(1, b"demo"))
    assert ordered(pb.decode(envelope("v1", "Namespace", raw))) == ordered(TINY_NAMESPACE_JSON)
    # no raw at all: every non-pointer struct still renders
    body = b"k8s\x00" + ld(1, ld(1, b"v1") + ld(2, b"Namespace"))
    assert pb.decode(body) == {"kind": "Namespace", "apiVersion": "v1", "metadata": {}, "spec": {}, "status": {}}


def test_unknown_fields_are_skipped():
    raw = (
        ld(1, ld(1, b"demo") + vi(99, 12345) + ld(98, b"junk"))
        + vi(77, 1)
        + varint(76 << 3 | 1) + b"\x00" * 8  # fixed64
        + varint(75 << 3 | 5) + b"\x00" * 4  # fixed32
        + ld(74, b"\x01\x02\x03")
    )
    assert ordered(pb.decode(envelope("v1", "Namespace", raw))) == ordered(TINY_NAMESPACE_JSON)


def test_packed_repeated_scalars_decode():
    values = [80, 443, 8080]
    unpacked = b"".join(vi(1, v) for v in values)
    packed = ld(1, b"".join(varint(v) for v in values))
    for raw in (unpacked, packed, vi(1, 80) + ld(1, varint(443) + varint(8080))):
        got = pb.decode(envelope("v1", "PodPortForwardOptions", raw))
        assert got == {"kind": "PodPortForwardOptions", "apiVersion": "v1", "ports": values}
    # the encoder writes them unpacked, like gogo
    obj = {"kind": "PodPortForwardOptions", "apiVersion": "v1", "ports": values}
    assert pb.encode(obj) == envelope("v1", "PodPortForwardOptions", unpacked)


def test_negative_ints_use_ten_byte_varints():
    obj = {
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": {"name": "p", "generation": -3},
        "spec": {
            "containers": [{"name": "c", "image": "i"}],
            "priority": -5,
            "securityContext": {"runAsUser": -1, "supplementalGroups": [-2, 0, 7]},
        },
    }
    body = pb.encode(obj)
    assert b"\x38" + b"\xfd" + b"\xff" * 8 + b"\x01" in body  # generation -3, field 7
    got = pb.decode(body)
    assert got["metadata"]["generation"] == -3
    assert got["spec"]["priority"] == -5
    assert got["spec"]["securityContext"] == {"runAsUser": -1, "supplementalGroups": [-2, 0, 7]}


def test_malformed_input_raises():
    with pytest.raises(ProtobufError):
        pb.decode(b'{"kind":"Namespace"}')
    with pytest.raises(ProtobufError):
        pb.decode(TINY_NAMESPACE[:-9])  # truncated
    with pytest.raises(ProtobufError):
        pb.decode(b"k8s\x00\x0a")
    with pytest.raises(ProtobufError):
        pb.decode(envelope("v1", "NoSuchKind", b""))
    with pytest.raises(ProtobufError):
        pb.decode(envelope("example.com/v1", "Widget", b""))
    with pytest.raises(ProtobufError):
        pb.decode(envelope("v1", "Namespace", vi(1, 5)))  # metadata with varint wire type
    with pytest.raises(ProtobufError):
        pb.decode(envelope("v1", "Namespace", b"\x0a\x05\x0a\x10ab"))  # inner length past end
    with pytest.raises(ProtobufError):
        pb.decode(b"k8s\x00" + ld(2, b""))  # no kind
    body = b"k8s\x00" + ld(1, ld(1, b"v1") + ld(2, b"Namespace")) + ld(3, b"gzip")
    with pytest.raises(ProtobufError):
        pb.decode(body)


def test_encode_errors():
    with pytest.raises(ProtobufError):
        pb.encode({"apiVersion": "v1", "metadata": {}})
    with pytest.raises(ProtobufError):
        pb.encode({"kind": "Widget", "apiVersion": "example.com/v1"})
    with pytest.raises(ProtobufError):
        pb.encode({"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": 5}})
    with pytest.raises(ProtobufError):
        pb.encode({"kind": "Secret", "apiVersion": "v1", "metadata": {}, "data": {"k": "not base64!"}})
    with pytest.raises(ProtobufError):
        pb.encode({"kind": "Namespace", "apiVersion": "v1", "metadata": {"creationTimestamp": "yesterday"}})


def test_int_range_checked_on_encode():
    with pytest.raises(ProtobufError):
        pb.encode({"kind": "Deployment", "apiVersion": "apps/v1", "spec": {"replicas": 2**31}})
    with pytest.raises(ProtobufError):
        pb.encode({"kind": "Namespace", "apiVersion": "v1", "metadata": {"generation": 2**63}})
    with pytest.raises(ProtobufError):
        pb.encode({"kind": "Deployment", "apiVersion": "apps/v1", "spec": {"replicas": True}})


def test_table_loads_lazily():
    code = (
        "import time; from kybernetes.api import protobuf as pb\n"
        "assert pb._table is None\n"
        "t = time.perf_counter(); assert pb.supports('v1', 'Pod'); dt = time.perf_counter() - t\n"
        "assert pb._table is not None\n"
        "t0 = pb._table; pb.supports('v1', 'Pod'); assert pb._table is t0\n"
        "print(dt)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=Path(__file__).parents[2], capture_output=True, text=True, check=True
    )
    assert float(out.stdout) < 2.0


def test_ProtobufError_is_a_value_error():
    err = ProtobufError("boom")
    assert isinstance(err, ValueError)
    assert err.message == "boom"


def test_supports():
    assert pb.supports("v1", "Namespace")
    assert pb.supports("apps/v1", "Deployment")
    assert pb.supports("v1", "Status")
    assert pb.supports("v1", "ConfigMapList")
    assert pb.supports("authorization.k8s.io/v1", "SelfSubjectAccessReview")
    assert pb.supports("apps/v1", "WatchEvent")
    assert pb.supports("meta.k8s.io/v1", "PartialObjectMetadataList")
    assert not pb.supports("meta.k8s.io/v1", "Table")
    assert not pb.supports("stable.example.com/v1", "CronTab")
    assert not pb.supports("v1", "Deployment")
    assert pb.message_name("v1", "Pod") == "k8s.io.api.core.v1.Pod"


# --------------------------------------------------------------------------
# round trips of Go-shaped objects
# --------------------------------------------------------------------------

NAMESPACE = {
    "kind": "Namespace",
    "apiVersion": "v1",
    "metadata": {
        "name": "team-a",
        "uid": "4f0e9a52-1d2c-4a49-9e83-5a3e4b8f0b11",
        "resourceVersion": "42",
        "creationTimestamp": "2024-05-06T07:08:09Z",
        "labels": {"kubernetes.io/metadata.name": "team-a", "tier": "gold"},
        "annotations": {"note": "hello"},
    },
    "spec": {"finalizers": ["kubernetes"]},
    "status": {"phase": "Active"},
}

CONFIGMAP = {
    "kind": "ConfigMap",
    "apiVersion": "v1",
    "metadata": {"name": "cfg", "namespace": "default"},
    "data": {"a": "1", "b": "", "config.yaml": "x: 1\ny: [2, 3]\n", "ünï": "cödé ✓"},
    "binaryData": {"blob": base64.b64encode(bytes(range(256))).decode(), "empty": ""},
    "immutable": False,
}

SECRET = {
    "kind": "Secret",
    "apiVersion": "v1",
    "metadata": {"name": "s", "namespace": "default", "finalizers": ["x/y"]},
    "immutable": True,
    "data": {"password": "cEBzcw==", "user": "YWRtaW4="},
    "stringData": {"extra": "plain"},
    "type": "Opaque",
}

DEPLOYMENT = {
    "kind": "Deployment",
    "apiVersion": "apps/v1",
    "metadata": {
        "name": "web",
        "namespace": "default",
        "uid": "1111",
        "resourceVersion": "7",
        "generation": 2,
        "creationTimestamp": "2024-05-06T07:08:09Z",
        "labels": {"app": "web"},
        "ownerReferences": [
            {"apiVersion": "v1", "kind": "Thing", "name": "o", "uid": "2222", "controller": True, "blockOwnerDeletion": False}
        ],
        "managedFields": [
            {
                "manager": "kubectl-create",
                "operation": "Update",
                "apiVersion": "apps/v1",
                "time": "2024-05-06T07:08:09Z",
                "fieldsType": "FieldsV1",
                "fieldsV1": {"f:metadata": {"f:labels": {".": {}, "f:app": {}}}, "f:spec": {"f:replicas": {}}},
            }
        ],
    },
    "spec": {
        "replicas": 0,
        "selector": {
            "matchLabels": {"app": "web"},
            "matchExpressions": [{"key": "tier", "operator": "In", "values": ["a", "b"]}],
        },
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {
                "volumes": [
                    {"name": "cfg", "configMap": {"name": "cfg", "defaultMode": 420}},
                    {"name": "scratch", "emptyDir": {"sizeLimit": "1Gi"}},
                ],
                "containers": [
                    {
                        "name": "nginx",
                        "image": "nginx:1.25",
                        "command": ["nginx"],
                        "args": ["-g", "daemon off;"],
                        "ports": [{"name": "http", "containerPort": 80, "protocol": "TCP"}],
                        "env": [
                            {"name": "A", "value": "1"},
                            {
                                "name": "B",
                                "valueFrom": {"secretKeyRef": {"name": "s", "key": "user", "optional": True}},
                            },
                            {"name": "C", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu", "divisor": "1m"}}},
                        ],
                        "resources": {
                            "limits": {"cpu": "500m", "memory": "128Mi"},
                            "requests": {"cpu": "250m", "memory": "64Mi", "nvidia.com/gpu": "1"},
                        },
                        "volumeMounts": [{"name": "cfg", "readOnly": True, "mountPath": "/etc/cfg"}],
                        "livenessProbe": {
                            "httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTP"},
                            "initialDelaySeconds": 3,
                            "timeoutSeconds": 1,
                            "periodSeconds": 10,
                            "successThreshold": 1,
                            "failureThreshold": 3,
                        },
                        "readinessProbe": {"tcpSocket": {"port": "http"}, "periodSeconds": 5},
                        "imagePullPolicy": "IfNotPresent",
                    }
                ],
                "restartPolicy": "Always",
                "terminationGracePeriodSeconds": 30,
                "dnsPolicy": "ClusterFirst",
                "nodeSelector": {"disk": "ssd"},
                "securityContext": {},
                "schedulerName": "default-scheduler",
                "tolerations": [{"key": "k", "operator": "Exists", "effect": "NoSchedule", "tolerationSeconds": 60}],
            },
        },
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": "25%"}},
        "revisionHistoryLimit": 10,
        "progressDeadlineSeconds": 600,
    },
    "status": {
        "observedGeneration": 2,
        "replicas": 3,
        "updatedReplicas": 3,
        "readyReplicas": 3,
        "availableReplicas": 3,
        "conditions": [
            {
                "type": "Available",
                "status": "True",
                "lastUpdateTime": "2024-05-06T07:08:19Z",
                "lastTransitionTime": "2024-05-06T07:08:19Z",
                "reason": "MinimumReplicasAvailable",
                "message": "Deployment has minimum availability.",
            }
        ],
    },
}

SERVICE = {
    "kind": "Service",
    "apiVersion": "v1",
    "metadata": {"name": "svc", "namespace": "default", "labels": {"app": "svc"}},
    "spec": {
        "ports": [
            {"name": "http", "protocol": "TCP", "port": 80, "targetPort": 8080},
            {"name": "https", "protocol": "TCP", "port": 443, "targetPort": "https"},
            {"name": "zero", "protocol": "UDP", "port": 53, "targetPort": 0, "nodePort": 30053},
        ],
        "selector": {"app": "svc"},
        "clusterIP": "10.96.0.10",
        "clusterIPs": ["10.96.0.10"],
        "type": "ClusterIP",
        "sessionAffinity": "None",
        "ipFamilies": ["IPv4"],
        "ipFamilyPolicy": "SingleStack",
        "internalTrafficPolicy": "Cluster",
    },
    "status": {"loadBalancer": {}},
}

JOB = {
    "kind": "Job",
    "apiVersion": "batch/v1",
    "metadata": {"name": "pi", "namespace": "default"},
    "spec": {
        "parallelism": 1,
        "completions": 1,
        "activeDeadlineSeconds": 100,
        "backoffLimit": 4,
        "ttlSecondsAfterFinished": 0,
        "template": {
            "metadata": {},
            "spec": {
                "containers": [{"name": "pi", "image": "perl", "command": ["perl", "-e", "print 1"], "resources": {}}],
                "restartPolicy": "Never",
            },
        },
        "podFailurePolicy": {
            "rules": [
                {"action": "FailJob", "onExitCodes": {"operator": "In", "values": [1, 2, 42]}},
            ]
        },
    },
    "status": {"startTime": "2024-05-06T07:08:09Z", "active": 1, "ready": 0},
}

SSAR = {
    "kind": "SelfSubjectAccessReview",
    "apiVersion": "authorization.k8s.io/v1",
    "metadata": {},
    "spec": {
        "resourceAttributes": {"namespace": "default", "verb": "create", "group": "apps", "resource": "deployments"}
    },
    "status": {"allowed": True, "reason": "RBAC: allowed by ClusterRoleBinding"},
}

SUBJECT_ACCESS_REVIEW = {
    "kind": "SubjectAccessReview",
    "apiVersion": "authorization.k8s.io/v1",
    "metadata": {},
    "spec": {
        "nonResourceAttributes": {"path": "/healthz", "verb": "get"},
        "user": "alice",
        "groups": ["devs"],
        "extra": {"scopes": ["a", "b"], "single": ["x"]},
        "uid": "u1",
    },
    "status": {"allowed": False, "denied": True},
}

STATUS = {
    "kind": "Status",
    "apiVersion": "v1",
    "metadata": {},
    "status": "Failure",
    "message": 'Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be >= 0',
    "reason": "Invalid",
    "details": {
        "name": "web",
        "group": "apps",
        "kind": "Deployment",
        "causes": [{"reason": "FieldValueInvalid", "message": "Invalid value: -1", "field": "spec.replicas"}],
        "retryAfterSeconds": 3,
    },
    "code": 422,
}

CONFIGMAP_LIST = {
    "kind": "ConfigMapList",
    "apiVersion": "v1",
    "metadata": {"resourceVersion": "1234", "continue": "abc", "remainingItemCount": 5},
    "items": [
        {"metadata": {"name": "a", "namespace": "default"}, "data": {"k": "v"}},
        {"metadata": {"name": "b", "namespace": "kube-system", "creationTimestamp": "2024-01-02T03:04:05Z"}},
    ],
}

LEASE = {
    "kind": "Lease",
    "apiVersion": "coordination.k8s.io/v1",
    "metadata": {"name": "node-1", "namespace": "kube-node-lease"},
    "spec": {
        "holderIdentity": "node-1",
        "leaseDurationSeconds": 40,
        "acquireTime": "2024-05-06T07:08:09.000000Z",
        "renewTime": "2024-05-06T07:08:09.123456Z",
        "leaseTransitions": 0,
    },
}

CRD = {
    "kind": "CustomResourceDefinition",
    "apiVersion": "apiextensions.k8s.io/v1",
    "metadata": {"name": "crontabs.stable.example.com"},
    "spec": {
        "group": "stable.example.com",
        "names": {"plural": "crontabs", "singular": "crontab", "kind": "CronTab", "listKind": "CronTabList"},
        "scope": "Namespaced",
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "required": ["spec"],
                        "properties": {
                            "spec": {
                                "type": "object",
                                "properties": {
                                    "replicas": {"type": "integer", "minimum": 1, "maximum": 10.5, "default": 1},
                                    "mode": {"type": "string", "enum": ["a", "b", {"x": None}]},
                                    "tags": {"type": "array", "items": {"type": "string"}},
                                    "pair": {"type": "array", "items": [{"type": "string"}, {"type": "integer"}]},
                                    "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                                    "strict": {"type": "object", "additionalProperties": False},
                                    "port": {"x-kubernetes-int-or-string": True},
                                    "blob": {"x-kubernetes-preserve-unknown-fields": True, "nullable": True},
                                },
                                "dependencies": {"a": ["b", "c"], "d": {"required": ["e"]}},
                            },
                        },
                    }
                },
                "subresources": {"status": {}, "scale": {"specReplicasPath": ".spec.replicas", "statusReplicasPath": ".status.replicas"}},
            }
        ],
        "conversion": {"strategy": "None"},
    },
    "status": {
        "conditions": [
            {"type": "Established", "status": "True", "lastTransitionTime": "2024-05-06T07:08:09Z", "reason": "InitialNamesAccepted", "message": "ok"}
        ],
        "acceptedNames": {"plural": "crontabs", "kind": "CronTab"},
        "storedVersions": ["v1"],
    },
}

ROUND_TRIP = {
    "namespace": NAMESPACE,
    "configmap": CONFIGMAP,
    "secret": SECRET,
    "deployment": DEPLOYMENT,
    "service": SERVICE,
    "job": JOB,
    "ssar": SSAR,
    "sar": SUBJECT_ACCESS_REVIEW,
    "status": STATUS,
    "configmaplist": CONFIGMAP_LIST,
    "lease": LEASE,
    "crd": CRD,
}


@pytest.mark.parametrize("name", sorted(ROUND_TRIP))
def test_round_trip(name):
    obj = ROUND_TRIP[name]
    before = copy.deepcopy(obj)
    body = pb.encode(obj)
    assert obj == before  # encode does not mutate its input
    assert body.startswith(b"k8s\x00")
    assert roundtrip(obj) == obj
    # and the bytes are stable
    assert pb.encode(pb.decode(body)) == body


def test_deployment_details():
    got = roundtrip(DEPLOYMENT)
    c = got["spec"]["template"]["spec"]["containers"][0]
    assert c["resources"]["requests"] == {"cpu": "250m", "memory": "64Mi", "nvidia.com/gpu": "1"}
    assert got["spec"]["strategy"]["rollingUpdate"] == {"maxUnavailable": 1, "maxSurge": "25%"}
    assert got["spec"]["replicas"] == 0  # pointer: kept although zero
    assert c["readinessProbe"]["tcpSocket"]["port"] == "http"
    # inline members (Volume.volumeSource, Probe.handler, LocalObjectReference)
    assert got["spec"]["template"]["spec"]["volumes"][0] == {"name": "cfg", "configMap": {"name": "cfg", "defaultMode": 420}}
    assert c["env"][1]["valueFrom"]["secretKeyRef"] == {"name": "s", "key": "user", "optional": True}
    assert got["metadata"]["managedFields"][0]["fieldsV1"] == DEPLOYMENT["metadata"]["managedFields"][0]["fieldsV1"]


def test_service_target_port_int_or_string_bytes():
    body = pb.encode(SERVICE)
    # IntOrString always carries all three fields: type, intVal, strVal.
    assert ld(4, b"\x08\x00\x10\x90\x3f\x1a\x00") in body  # targetPort 8080
    assert ld(4, b"\x08\x01\x10\x00\x1a\x05https") in body  # targetPort "https"
    ports = pb.decode(body)["spec"]["ports"]
    assert [p["targetPort"] for p in ports] == [8080, "https", 0]


def test_go_json_defaults_on_decode():
    # A Service sent with nothing but a name: non-pointer structs render, a
    # non-omitempty IntOrString renders 0, nil pointers/slices drop.
    obj = pb.decode(envelope("v1", "Service", ld(1, ld(1, b"s")) + ld(2, ld(1, ld(1, b"p")))))
    assert ordered(obj) == ordered(
        {
            "kind": "Service",
            "apiVersion": "v1",
            "metadata": {"name": "s"},
            "spec": {"ports": [{"name": "p", "port": 0, "targetPort": 0}]},
            "status": {"loadBalancer": {}},
        }
    )


def test_list_items_carry_no_type_meta():
    lst = copy.deepcopy(CONFIGMAP_LIST)
    for item in lst["items"]:
        item["kind"] = "ConfigMap"
        item["apiVersion"] = "v1"
    assert pb.encode(lst) == pb.encode(CONFIGMAP_LIST)
    got = pb.decode(pb.encode(lst))
    assert all("kind" not in item for item in got["items"])
    assert ordered(list(got)) == ordered(["kind", "apiVersion", "metadata", "items"])


def test_empty_list_items():
    lst = {"kind": "NamespaceList", "apiVersion": "v1", "metadata": {"resourceVersion": "5"}, "items": []}
    # Go's NamespaceList.items has no omitempty; an empty slice decodes as nil.
    assert pb.decode(pb.encode(lst)) == {**lst, "items": None}


def test_status_without_details():
    st = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 200}
    assert roundtrip(st) == st


def test_time_values():
    ns = copy.deepcopy(NAMESPACE)
    ns["metadata"]["creationTimestamp"] = "2024-05-06T09:08:09+02:00"
    ns["metadata"]["deletionTimestamp"] = "1970-01-01T00:00:00Z"
    ns["metadata"]["deletionGracePeriodSeconds"] = 0
    got = roundtrip(ns)
    assert got["metadata"]["creationTimestamp"] == "2024-05-06T07:08:09Z"
    assert got["metadata"]["deletionTimestamp"] == "1970-01-01T00:00:00Z"
    assert got["metadata"]["deletionGracePeriodSeconds"] == 0
    # seconds/nanos are both written; Time JSON has whole seconds only
    ns["metadata"]["creationTimestamp"] = "1969-12-31T23:59:59.5Z"
    assert roundtrip(ns)["metadata"]["creationTimestamp"] == "1969-12-31T23:59:59Z"
    # zero time is omitted (omitzero) and encoded as an empty message
    ns["metadata"]["creationTimestamp"] = None
    assert "creationTimestamp" not in roundtrip(ns)["metadata"]
    ns["metadata"]["creationTimestamp"] = "0001-01-01T00:00:00Z"
    assert "creationTimestamp" not in roundtrip(ns)["metadata"]


def test_time_wire_layout():
    body = pb.encode({"kind": "Namespace", "apiVersion": "v1", "metadata": {"creationTimestamp": "2024-05-06T07:08:09Z"}})
    assert ld(8, vi(1, 1714979289) + vi(2, 0)) in body


def test_microtime_truncates_to_microseconds():
    ts = vi(1, 1714979289) + vi(2, 123456789)
    raw = ld(1, ld(1, b"l")) + ld(2, ld(4, ts))  # LeaseSpec.renewTime = 4
    got = pb.decode(envelope("coordination.k8s.io/v1", "Lease", raw))
    assert got["spec"]["renewTime"] == "2024-05-06T07:08:09.123456Z"


def test_double_fields():
    body = pb.encode(CRD)
    assert struct.pack("<d", 10.5) in body
    props = pb.decode(body)["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
    assert props["replicas"]["minimum"] == 1 and isinstance(props["replicas"]["minimum"], int)
    assert props["replicas"]["maximum"] == 10.5
    assert props["replicas"]["default"] == 1
    assert props["strict"]["additionalProperties"] is False
    assert props["labels"]["additionalProperties"] == {"type": "string"}
    assert props["pair"]["items"] == [{"type": "string"}, {"type": "integer"}]
    assert props["tags"]["items"] == {"type": "string"}


def test_items_special_messages():
    got = roundtrip(SUBJECT_ACCESS_REVIEW)
    assert got["spec"]["extra"] == {"scopes": ["a", "b"], "single": ["x"]}
    arl = {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": "v1",
        "resources": [
            {"name": "pods", "singularName": "pod", "namespaced": True, "kind": "Pod", "verbs": ["get", "list"], "shortNames": ["po"]},
            {"name": "pods/log", "singularName": "", "namespaced": True, "kind": "Pod", "verbs": None},
        ],
    }
    assert roundtrip(arl) == arl


def test_rawjson_in_controller_revision():
    cr = {
        "kind": "ControllerRevision",
        "apiVersion": "apps/v1",
        "metadata": {"name": "web-5d4f"},
        "data": {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "x"}]}}}},
        "revision": 3,
    }
    body = pb.encode(cr)
    assert b'{"spec":{"template"' in body
    assert roundtrip(cr) == cr
    # data is a non-pointer struct: omitempty keeps it, and empty raw renders null
    cr_none = {"kind": "ControllerRevision", "apiVersion": "apps/v1", "metadata": {"name": "x"}, "revision": 1}
    assert roundtrip(cr_none) == {**cr_none, "data": None}


def test_encode_ignores_unknown_keys():
    obj = copy.deepcopy(CONFIGMAP)
    obj["bogus"] = {"x": 1}
    obj["metadata"]["alsoBogus"] = [1, 2]
    assert pb.encode(obj) == pb.encode(CONFIGMAP)


def test_quantities_encode_as_given():
    rq = {
        "kind": "ResourceQuota",
        "apiVersion": "v1",
        "metadata": {"name": "q"},
        "spec": {"hard": {"cpu": "1000m", "memory": 1073741824, "pods": 10.0}},
        "status": {},
    }
    got = roundtrip(rq)
    assert got["spec"]["hard"] == {"cpu": "1000m", "memory": "1073741824", "pods": "10"}


def test_map_entries_sorted_on_wire():
    a = {"kind": "ConfigMap", "apiVersion": "v1", "metadata": {}, "data": {"b": "2", "a": "1", "c": "3"}}
    b = {"kind": "ConfigMap", "apiVersion": "v1", "metadata": {}, "data": {"c": "3", "a": "1", "b": "2"}}
    assert pb.encode(a) == pb.encode(b)
    body = pb.encode(a)
    assert body.index(b"\x0a\x01a") < body.index(b"\x0a\x01b") < body.index(b"\x0a\x01c")
    assert list(pb.decode(body)["data"]) == ["a", "b", "c"]


def test_duration_format_and_parse():
    cases = {
        0: "0s",
        1: "1ns",
        1500: "1.5\u00b5s",
        250_000_000: "250ms",
        1_500_000_000: "1.5s",
        60_000_000_000: "1m0s",
        3_723_000_000_000: "1h2m3s",
        3_600_000_000_000: "1h0m0s",
        -90_000_000_000: "-1m30s",
    }
    for ns, text in cases.items():
        assert pb._format_duration(ns) == text
        assert pb._parse_duration(text) == ns
    assert pb._parse_duration("1h30m") == 5_400_000_000_000
    assert pb._parse_duration("300us") == 300_000
    with pytest.raises(ProtobufError):
        pb._parse_duration("10")
    with pytest.raises(ProtobufError):
        pb._parse_duration("1x")


# --------------------------------------------------------------------------
# watch frames
# --------------------------------------------------------------------------


def test_watch_frame_layout():
    frame = pb.encode_watch_event("ADDED", NAMESPACE)
    length = int.from_bytes(frame[:4], "big")
    assert length == len(frame) - 4
    msg = frame[4:]
    assert not msg.startswith(b"k8s\x00")  # bare WatchEvent, no envelope
    envelope_bytes = pb.encode(NAMESPACE)
    assert msg == ld(1, b"ADDED") + ld(2, ld(1, envelope_bytes))


def test_watch_stream_decodes():
    stream = (
        pb.encode_watch_event("ADDED", NAMESPACE)
        + pb.encode_watch_event("BOOKMARK", {"kind": "Namespace", "apiVersion": "v1", "metadata": {"resourceVersion": "99"}})
        + pb.encode_watch_event("ERROR", {"metadata": {}, "status": "Failure", "reason": "Expired", "code": 410, "message": "too old"})
    )
    events = pb.decode_watch_stream(stream)
    assert [t for t, _ in events] == ["ADDED", "BOOKMARK", "ERROR"]
    assert events[0][1] == NAMESPACE
    assert events[1][1]["metadata"] == {"resourceVersion": "99"}
    assert events[2][1]["kind"] == "Status" and events[2][1]["code"] == 410
    with pytest.raises(ProtobufError):
        pb.decode_watch_stream(stream[:-3])


# --------------------------------------------------------------------------
# property tests
# --------------------------------------------------------------------------

keys = st.text(min_size=1, max_size=20)
values = st.text(max_size=50)


@settings(max_examples=150, deadline=None)
@given(
    data=st.dictionaries(keys, values, max_size=8),
    binary=st.dictionaries(keys, st.binary(max_size=40), max_size=4),
    name=st.text(min_size=1, max_size=30),
    labels=st.dictionaries(keys, values, max_size=4),
)
def test_configmap_maps_round_trip(data, binary, name, labels):
    cm = {"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": name}}
    if labels:
        cm["metadata"]["labels"] = labels
    if data:
        cm["data"] = data
    if binary:
        cm["binaryData"] = {k: base64.b64encode(v).decode() for k, v in binary.items()}
    body = pb.encode(cm)
    assert pb.decode(body) == cm
    # key order in the input never changes the bytes
    shuffled = dict(cm)
    if data:
        shuffled["data"] = dict(reversed(list(data.items())))
    assert pb.encode(shuffled) == body


@settings(max_examples=100, deadline=None)
@given(
    replicas=st.integers(min_value=-(2**31), max_value=2**31 - 1),
    generation=st.integers(min_value=-(2**63), max_value=2**63 - 1),
    surge=st.one_of(st.integers(min_value=-(2**31), max_value=2**31 - 1), st.text(max_size=10)),
)
def test_ints_and_intorstring_round_trip(replicas, generation, surge):
    obj = {
        "kind": "Deployment",
        "apiVersion": "apps/v1",
        "metadata": {"name": "d", "generation": generation} if generation else {"name": "d"},
        "spec": {
            "replicas": replicas,
            "selector": None,
            "template": {"metadata": {}, "spec": {"containers": None}},
            "strategy": {"rollingUpdate": {"maxSurge": surge}},
        },
        "status": {},
    }
    assert roundtrip(obj) == obj
