"""A container's environment as the kubelet builds it: envFrom, env with $(VAR),
ConfigMap/Secret keys, fieldRef, resourceFieldRef, and the kubelet's errors."""

from __future__ import annotations

import base64

import pytest

from kybernetes.kubelet.env import EnvError, resolve_env

POD = {"metadata": {"name": "web-1", "namespace": "prod", "uid": "u-1", "labels": {"app": "web", "tier": "fe"},
                    "annotations": {"note": "x"}},
       "spec": {"nodeName": "node-a", "serviceAccountName": "default"}}
CMS = {("prod", "app"): {"data": {"mode": "fast", "LEVEL": "3", "1bad": "no", "dotted.key": "ok"}}}
SECRETS = {("prod", "creds"): {"data": {"user": base64.b64encode(b"alice").decode()}}}


def env(container: dict, **kw):
    return resolve_env(POD, container, configmaps=lambda ns, n: CMS.get((ns, n)),
                       secrets=lambda ns, n: SECRETS.get((ns, n)), allocatable={"cpu": "4", "memory": "8Gi"},
                       pod_ip="10.42.0.7", host_ip="127.0.0.1", **kw)


def test_env_from_then_env_with_expansion():
    got, warnings = env({"envFrom": [{"configMapRef": {"name": "app"}}, {"secretRef": {"name": "creds"}, "prefix": "S_"}],
                         "env": [{"name": "MODE_COPY", "value": "$(mode)-$(S_user)-$(missing)"},
                                 {"name": "LEVEL", "value": "9"},
                                 {"name": "SVC", "value": "$(KUBERNETES_SERVICE_HOST)"}]},
                        service_env={"KUBERNETES_SERVICE_HOST": "10.43.0.1"})
    values = dict(got)
    assert values["mode"] == "fast" and values["S_user"] == "alice" and values["dotted.key"] == "ok"
    assert values["MODE_COPY"] == "fast-alice-$(missing)"
    assert values["LEVEL"] == "9"                                   # env replaces envFrom
    assert values["SVC"] == "10.43.0.1"
    assert "1bad" not in values
    assert warnings == ["Keys [1bad] from the EnvFrom configMap prod/app were skipped since they are considered "
                        "invalid environment variable names."]


def test_value_from_keys_fields_and_resources():
    container = {"resources": {"limits": {"memory": "512Mi"}, "requests": {"cpu": "250m"}}, "env": [
        {"name": "M", "valueFrom": {"configMapKeyRef": {"name": "app", "key": "mode"}}},
        {"name": "U", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "user"}}},
        {"name": "NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        {"name": "NS", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
        {"name": "APP", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['app']"}}},
        {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
        {"name": "IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
        {"name": "MEM_MI", "valueFrom": {"resourceFieldRef": {"resource": "limits.memory", "divisor": "1Mi"}}},
        {"name": "CPU_REQ_M", "valueFrom": {"resourceFieldRef": {"resource": "requests.cpu", "divisor": "1m"}}},
        {"name": "CPU_LIM", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu"}}},   # none: the node's
    ]}
    got, _ = env(container)
    assert dict(got) == {"M": "fast", "U": "alice", "NAME": "web-1", "NS": "prod", "APP": "web", "NODE": "node-a",
                         "IP": "10.42.0.7", "MEM_MI": "512", "CPU_REQ_M": "250", "CPU_LIM": "4"}


@pytest.mark.parametrize("entry, message", [
    ({"configMapKeyRef": {"name": "nope", "key": "k"}}, 'configmap "nope" not found'),
    ({"configMapKeyRef": {"name": "app", "key": "nokey"}}, "couldn't find key nokey in ConfigMap prod/app"),
    ({"secretKeyRef": {"name": "nope", "key": "k"}}, 'secret "nope" not found'),
    ({"secretKeyRef": {"name": "creds", "key": "pw"}}, "couldn't find key pw in Secret prod/creds"),
])
def test_missing_sources_are_errors_unless_optional(entry, message):
    with pytest.raises(EnvError, match=message):
        env({"env": [{"name": "X", "valueFrom": entry}]})
    optional = {k: {**v, "optional": True} for k, v in entry.items()}
    assert env({"env": [{"name": "X", "valueFrom": optional}]}) == ([], [])


def test_missing_env_from_source():
    with pytest.raises(EnvError, match='configmap "gone" not found'):
        env({"envFrom": [{"configMapRef": {"name": "gone"}}]})
    assert env({"envFrom": [{"secretRef": {"name": "gone", "optional": True}}]}) == ([], [])
