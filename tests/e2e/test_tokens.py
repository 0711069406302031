"""Service-account tokens: `kubectl create token` (TokenRequest) and the API server
accepting them as bearer tokens, bound to an object's life."""

from __future__ import annotations

import base64
import json
import subprocess

import pytest

from tests.e2e.conftest import KUBECTL_PIP, Kubectl, start_cluster

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    base = tmp_path_factory.mktemp("kyb-tokens")
    c = start_cluster(base / "data")
    try:
        yield Kubectl(str(KUBECTL_PIP), c, base), c
    finally:
        c.stop()


def as_token(k: Kubectl, c, token: str, *args: str) -> subprocess.CompletedProcess:
    """kubectl with nothing but the server, its CA and the token (no client certificate)."""
    ca = json.loads(k("config", "view", "--raw", "-o", "json"))["clusters"][0]["cluster"]["certificate-authority-data"]
    ca_file = c.data_dir.parent / "token-ca.crt"
    ca_file.write_bytes(base64.b64decode(ca))
    env = {**k.env(), "KUBECONFIG": "/dev/null"}
    return subprocess.run([k.binary, "--server", c.url, "--certificate-authority", str(ca_file), "--token", token,
                           *args], capture_output=True, text=True, env=env, timeout=60)


def assert_dies_with(k: Kubectl, c, token: str, kind: str, name: str) -> None:
    """The token works until the object (its account, or what it is bound to) is deleted."""
    assert as_token(k, c, token, "get", "pods").returncode == 0
    k("delete", kind, name)
    assert "Unauthorized" in as_token(k, c, token, "get", "pods").stderr


def claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_create_token_and_use_it(cluster):
    k, c = cluster
    k("create", "serviceaccount", "robot")
    token = k("create", "token", "robot", "--duration=1h").strip()
    got = claims(token)
    assert got["sub"] == "system:serviceaccount:default:robot"
    assert got["aud"] == ["https://kubernetes.default.svc.cluster.local"]
    assert got["exp"] - got["iat"] == 3600
    who = as_token(k, c, token, "auth", "whoami", "-o", "json")
    assert who.returncode == 0, who.stderr
    user = json.loads(who.stdout)["status"]["userInfo"]
    assert user["username"] == "system:serviceaccount:default:robot"
    assert set(user["groups"]) == {"system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated"}
    listed = as_token(k, c, token, "get", "serviceaccounts", "-o", "name")
    assert "serviceaccount/robot" in listed.stdout, listed.stderr


def test_bad_tokens_and_requests(cluster):
    k, c = cluster
    k("create", "serviceaccount", "short")
    bad = as_token(k, c, "not-a-jwt", "get", "pods")
    assert bad.returncode != 0 and "Unauthorized" in bad.stderr
    other_audience = k("create", "token", "short", "--audience=vault").strip()
    assert "Unauthorized" in as_token(k, c, other_audience, "get", "pods").stderr
    too_short = k.run("create", "token", "short", "--duration=5m", check=False)
    assert too_short.returncode != 0
    assert "spec.expirationSeconds: Invalid value: 300: may not specify a duration less than 10 minutes" \
        in too_short.stderr
    missing = k.run("create", "token", "nobody", check=False)
    assert 'serviceaccounts "nobody" not found' in missing.stderr
    # a token dies with its service account
    assert_dies_with(k, c, k("create", "token", "short").strip(), "serviceaccount", "short")


def test_token_bound_to_a_secret(cluster):
    k, c = cluster
    k("create", "serviceaccount", "bound")
    k("create", "secret", "generic", "anchor", "--from-literal=a=b")
    token = k("create", "token", "bound", "--bound-object-kind=Secret", "--bound-object-name=anchor").strip()
    assert claims(token)["kubernetes.io"]["secret"]["name"] == "anchor"
    review = json.loads(k("create", "-f", "-", "-o", "json", input=json.dumps(
        {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": {"token": token}})))
    assert review["status"]["authenticated"] is True
    assert review["status"]["user"]["username"] == "system:serviceaccount:default:bound"
    assert_dies_with(k, c, token, "secret", "anchor")


def test_service_account_admission_mounts_a_token_volume(cluster):
    k, _ = cluster
    k("create", "serviceaccount", "quiet")
    k("patch", "serviceaccount", "quiet", "-p", '{"automountServiceAccountToken": false}')
    base = {"apiVersion": "v1", "kind": "Pod",
            "spec": {"containers": [{"name": "a", "image": "busybox:1.36"},
                                    {"name": "b", "image": "busybox:1.36", "volumeMounts": [
                                        {"name": "own", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}]}],
                     "volumes": [{"name": "own", "emptyDir": {}}]}}
    k("create", "-f", "-", input=json.dumps({**base, "metadata": {"name": "auto"}}))
    pod = k.json("get", "pod", "auto")
    spec = pod["spec"]
    assert spec["serviceAccountName"] == "default" and spec["serviceAccount"] == "default"
    [access] = [v for v in spec["volumes"] if v["name"].startswith("kube-api-access-")]
    assert len(access["name"]) == len("kube-api-access-") + 5
    assert access["projected"] == {"defaultMode": 420, "sources": [
        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
        {"downwardAPI": {"items": [{"path": "namespace",
                                    "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}}]}
    a, b = spec["containers"]
    assert a["volumeMounts"] == [{"name": access["name"], "readOnly": True,
                                  "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}]
    assert [m["name"] for m in b["volumeMounts"]] == ["own"]      # it mounts something there itself
    # automount off: on the pod, or on its account
    k("create", "-f", "-", input=json.dumps({**base, "metadata": {"name": "off"},
                                             "spec": {**base["spec"], "automountServiceAccountToken": False}}))
    k("create", "-f", "-", input=json.dumps({**base, "metadata": {"name": "quiet-pod"},
                                             "spec": {**base["spec"], "serviceAccountName": "quiet"}}))
    for name in ("off", "quiet-pod"):
        volumes = [v["name"] for v in k.json("get", "pod", name)["spec"]["volumes"]]
        assert volumes == ["own"], (name, volumes)
