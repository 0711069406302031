"""Create-only "virtual" resources: requests that are answered, never stored.

SelfSubjectAccessReview (``kubectl auth can-i``), SubjectAccessReview,
LocalSubjectAccessReview, SelfSubjectRulesReview, SelfSubjectReview
(``kubectl auth whoami``) and TokenReview. Access reviews ask the same
authorizer the request pipeline uses, so their answers match what the server
actually enforces.
"""

from __future__ import annotations

from typing import Callable

from ..api import errors
from ..api.registry import Resource
from .resources import User

# (user, verb, namespace, group, resource, subresource, name, non_resource_path) -> (allowed, reason)
Authorizer = Callable[[User, dict], tuple[bool, str]]


def _user_info(user: User) -> dict:
    info: dict = {"username": user.name}
    if user.uid:
        info["uid"] = user.uid
    info["groups"] = list(user.groups)
    if user.extra:
        info["extra"] = user.extra
    return info


def _decide(authorize: Authorizer, user: User, spec: dict, namespace: str = "") -> dict:
    ra = spec.get("resourceAttributes")
    nra = spec.get("nonResourceAttributes")
    if ra is None and nra is None:
        raise errors.invalid_object("SelfSubjectAccessReview", "authorization.k8s.io", "", [
            errors.invalid("spec.resourceAttributes", None,
                           "exactly one of nonResourceAttributes or resourceAttributes must be specified")])
    attrs = dict(ra or {})
    if namespace:
        attrs["namespace"] = namespace
    if nra is not None:
        attrs = {"path": nra.get("path", ""), "verb": nra.get("verb", "")}
    allowed, reason = authorize(user, attrs)
    status: dict = {"allowed": allowed}
    if reason:
        status["reason"] = reason
    return status


def review(resource: Resource, body: dict, *, user: User, namespace: str, authorize: Authorizer) -> dict:
    """Fill ``status`` of a review object and return it (with kind/apiVersion/metadata)."""
    kind = resource.kind
    out = {"kind": kind, "apiVersion": resource.api_version,
           "metadata": {"creationTimestamp": None, **(body.get("metadata") or {})}}
    spec = body.get("spec") or {}
    if kind == "SelfSubjectAccessReview":
        out["spec"] = spec
        out["status"] = _decide(authorize, user, spec)
    elif kind in ("SubjectAccessReview", "LocalSubjectAccessReview"):
        subject = User(spec.get("user", ""), list(spec.get("groups") or []), spec.get("uid", ""), spec.get("extra") or {})
        if not subject.name and not subject.groups:
            raise errors.invalid_object(kind, "authorization.k8s.io", "", [
                errors.invalid("spec.user", "", "at least one of user or group must be specified")])
        out["spec"] = spec
        out["status"] = _decide(authorize, subject, spec, namespace if kind == "LocalSubjectAccessReview" else "")
    elif kind == "SelfSubjectRulesReview":
        ns = spec.get("namespace", "")
        allowed, _ = authorize(user, {"verb": "*", "resource": "*", "group": "*", "namespace": ns})
        out["spec"] = spec
        rules = [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}] if allowed else []
        nonres = [{"verbs": ["*"], "nonResourceURLs": ["*"]}] if allowed else []
        out["status"] = {"resourceRules": rules, "nonResourceRules": nonres, "incomplete": False}
    elif kind == "SelfSubjectReview":
        out["status"] = {"userInfo": _user_info(user)}
    elif kind == "TokenReview":
        # No token authenticator is configured yet: every token is unknown.
        out["spec"] = spec
        out["status"] = {"user": {}, "error": "token authentication is not enabled on this server"}
    else:
        raise errors.method_not_allowed()
    return out
