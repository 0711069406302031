"""Service-account tokens: JWTs the API server signs (TokenRequest, ``kubectl create
token``, the kubelet's projected tokens) and accepts as bearer tokens.

The claims are upstream's bound-token claims: ``iss``, ``sub``
(``system:serviceaccount:<ns>:<name>``), ``aud``, ``exp``/``iat``/``nbf``, ``jti`` and
``kubernetes.io`` (namespace, service account, and the pod or secret the token is bound
to). A token is accepted while it has not expired, names an audience of this server, and
the service account (and the object it is bound to) still exist with the same uid: a
deleted pod's tokens stop working at once.
"""

from __future__ import annotations

import base64
import hashlib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization

__all__ = ["ISSUER", "TokenError", "ServiceAccountTokens", "TokenUser"]

ISSUER = "https://kubernetes.default.svc.cluster.local"
MIN_EXPIRATION = 600
MAX_EXPIRATION = 2**32


class TokenError(ValueError):
    pass


@dataclass
class TokenUser:
    name: str
    uid: str
    groups: list[str]
    extra: dict[str, list[str]]


Lookup = Callable[[str, str, str], "dict | None"]   # (plural, namespace, name) -> the object, or None


class ServiceAccountTokens:
    def __init__(self, key_path: Path, *, issuer: str = ISSUER) -> None:
        self.key = serialization.load_pem_private_key(key_path.read_bytes(), None)
        self.public = self.key.public_key()
        der = self.public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        self.kid = base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode()
        self.issuer = issuer
        self.audiences = [issuer]      # what this API server accepts (upstream's --api-audiences default)

    def issue(self, *, namespace: str, name: str, uid: str, audiences: list[str], expiration: int,
              bound: dict | None = None, now: float | None = None) -> tuple[str, int]:
        """A signed token and its expiry (Unix seconds). ``bound``: ``{"kind", "name", "uid"}``."""
        now = int(now if now is not None else time.time())
        private = {"namespace": namespace, "serviceaccount": {"name": name, "uid": uid}}
        if bound:
            private[bound["kind"].lower()] = {"name": bound["name"], "uid": bound["uid"]}
        claims = {"aud": audiences, "exp": now + expiration, "iat": now, "nbf": now, "iss": self.issuer,
                  "jti": str(uuid.uuid4()), "kubernetes.io": private,
                  "sub": f"system:serviceaccount:{namespace}:{name}"}
        return jwt.encode(claims, self.key, algorithm="ES256", headers={"kid": self.kid}), now + expiration

    def verify(self, token: str, lookup: Lookup, *, audiences: list[str] | None = None) -> TokenUser:
        """The user a token stands for; :class:`TokenError` if it is not (or no longer) good."""
        try:
            claims = jwt.decode(token, self.public, algorithms=["ES256"], audience=audiences or self.audiences,
                                issuer=self.issuer, options={"require": ["exp", "iat", "sub", "aud"]})
        except jwt.PyJWTError as e:
            raise TokenError(f"invalid bearer token, {e}") from None
        private = claims.get("kubernetes.io") or {}
        namespace = private.get("namespace", "")
        sa = private.get("serviceaccount") or {}
        live = lookup("serviceaccounts", namespace, sa.get("name", ""))
        if live is None or live["metadata"].get("uid") != sa.get("uid"):
            raise TokenError("service account token has been invalidated")
        extra: dict[str, list[str]] = {}
        for kind, plural in (("pod", "pods"), ("secret", "secrets")):
            ref = private.get(kind)
            if ref:
                obj = lookup(plural, namespace, ref.get("name", ""))
                if obj is None or obj["metadata"].get("uid") != ref.get("uid"):
                    raise TokenError(f"service account token has been invalidated (its {kind} is gone)")
                if kind == "pod":
                    extra = {"authentication.kubernetes.io/pod-name": [ref["name"]],
                             "authentication.kubernetes.io/pod-uid": [ref["uid"]]}
        extra["authentication.kubernetes.io/credential-id"] = [f"JTI={claims.get('jti', '')}"]
        return TokenUser(name=claims["sub"], uid=sa.get("uid", ""),
                         groups=["system:serviceaccounts", f"system:serviceaccounts:{namespace}",
                                 "system:authenticated"], extra=extra)
