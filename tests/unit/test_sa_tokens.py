"""Service-account tokens: what the API server signs and what it accepts."""

from __future__ import annotations

import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from kybernetes.apiserver.tokens import ServiceAccountTokens, TokenError
from kybernetes.kubelet.volumes import VolumeError, payload_for, token_sources


@pytest.fixture
def tokens(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    path = tmp_path / "sa.key"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return ServiceAccountTokens(path)


OBJECTS = {("serviceaccounts", "ns", "robot"): {"metadata": {"uid": "sa-1"}},
           ("pods", "ns", "web"): {"metadata": {"uid": "pod-1"}}}


def lookup(plural, namespace, name):
    return OBJECTS.get((plural, namespace, name))


def test_issue_and_verify(tokens):
    token, expires = tokens.issue(namespace="ns", name="robot", uid="sa-1", audiences=tokens.audiences,
                                  expiration=600, bound={"kind": "Pod", "name": "web", "uid": "pod-1"})
    assert expires - time.time() == pytest.approx(600, abs=2)
    who = tokens.verify(token, lookup)
    assert who.name == "system:serviceaccount:ns:robot" and who.uid == "sa-1"
    assert who.groups == ["system:serviceaccounts", "system:serviceaccounts:ns", "system:authenticated"]
    assert who.extra["authentication.kubernetes.io/pod-uid"] == ["pod-1"]


def test_rejections(tokens):
    def issue(**kw):
        args = dict(namespace="ns", name="robot", uid="sa-1", audiences=tokens.audiences, expiration=600)
        return tokens.issue(**{**args, **kw})[0]
    with pytest.raises(TokenError, match="expired"):
        tokens.verify(issue(now=time.time() - 700), lookup)
    with pytest.raises(TokenError, match="Audience doesn.t match"):
        tokens.verify(issue(audiences=["vault"]), lookup)
    with pytest.raises(TokenError, match="invalidated"):
        tokens.verify(issue(uid="sa-old"), lookup)                 # the account was recreated
    with pytest.raises(TokenError, match="its pod is gone"):
        tokens.verify(issue(bound={"kind": "Pod", "name": "web", "uid": "pod-0"}), lookup)
    token = issue()
    with pytest.raises(TokenError):
        tokens.verify(token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB"), lookup)   # forged signature
    assert tokens.verify(issue(audiences=["vault"]), lookup, audiences=["vault"]).name.endswith(":robot")


def test_projected_token_source():
    volume = {"name": "api", "projected": {"sources": [
        {"serviceAccountToken": {"path": "token", "audience": "vault", "expirationSeconds": 7200}},
        {"serviceAccountToken": {"path": "api-token"}}]}}
    assert token_sources(volume) == [{"path": "token", "audience": "vault", "expirationSeconds": 7200},
                                     {"path": "api-token", "audience": "", "expirationSeconds": 3600}]
    got = payload_for({"metadata": {}}, volume, lookup=lambda *_: None, allocatable={},
                      tokens={"token": "t1", "api-token": "t2"})
    assert got == {"token": (b"t1", 0o644), "api-token": (b"t2", 0o644)}
    with pytest.raises(VolumeError, match="no service account token"):
        payload_for({"metadata": {}}, volume, lookup=lambda *_: None, allocatable={}, tokens={"token": "t1"})
