"""Per-kind behaviour of writes that is not defaulting or validation: what a
create resets, what a main-resource update keeps from the old object (status),
what a status update keeps (everything but status), when ``generation`` moves,
and which kinds may be created by a PUT.

Mirrors upstream's registry strategies (PrepareForCreate / PrepareForUpdate).
"""

from __future__ import annotations

import copy
import os
import random
import time
import uuid

from ..api import validation
from ..api.pods import qos_class
from ..api.registry import Resource

# Kinds whose PUT creates the object when it is missing (upstream AllowCreateOnUpdate).
CREATE_ON_UPDATE = {
    ("", "endpoints"), ("", "events"), ("events.k8s.io", "events"), ("", "limitranges"),
    ("coordination.k8s.io", "leases"), ("", "serviceaccounts"),
    ("rbac.authorization.k8s.io", "roles"), ("rbac.authorization.k8s.io", "rolebindings"),
    ("rbac.authorization.k8s.io", "clusterroles"), ("rbac.authorization.k8s.io", "clusterrolebindings"),
    ("discovery.k8s.io", "endpointslices"),
}

# Kinds whose create keeps the status the client sent (the rest start with an empty one).
KEEPS_STATUS_ON_CREATE = {("", "nodes"), ("", "persistentvolumes"), ("", "persistentvolumeclaims"),
                          ("certificates.k8s.io", "certificatesigningrequests")}

# Immutable metadata that updates never change (taken from the stored object).
_SERVER_METADATA = ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation")


_last_stamp: tuple[int, str] = (0, "")


def now_rfc3339() -> str:
    """The current time as Kubernetes writes timestamps (whole seconds, UTC); cached per second."""
    global _last_stamp
    second = int(time.time())
    if _last_stamp[0] != second:
        _last_stamp = (second, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second)))
    return _last_stamp[1]


# UIDs must be unique, not secret: a generator seeded once from the OS, rather than
# uuid4()'s os.urandom per object -- a syscall that lets the store's writer thread take
# the GIL in the middle of every create.
_uid_random = random.Random(os.urandom(32))
os.register_at_fork(after_in_child=lambda: _uid_random.seed(os.urandom(32)))


def new_uid() -> str:
    return str(uuid.UUID(int=_uid_random.getrandbits(128), version=4))


def prepare_create(resource: Resource, obj: dict) -> None:
    """Reset what a client may not set on create; fill server-owned metadata."""
    meta = obj.setdefault("metadata", {})
    meta["uid"] = new_uid()
    meta["creationTimestamp"] = now_rfc3339()
    for k in ("deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"):
        meta.pop(k, None)
    if validation.tracks_generation(resource):
        meta["generation"] = 1
    else:
        meta.pop("generation", None)
    gk = (resource.group, resource.plural)
    if resource.has_status and gk not in KEEPS_STATUS_ON_CREATE:
        obj["status"] = validation.empty_status(resource)
    if gk == ("", "pods"):
        obj["status"] = {"phase": "Pending", "qosClass": qos_class(obj)}
    elif gk == ("", "namespaces"):
        obj["status"] = {"phase": "Active"}
    elif gk == ("", "services"):
        obj["status"] = {"loadBalancer": {}}
    elif gk == ("", "persistentvolumeclaims"):
        obj["status"] = {"phase": "Pending"}
    elif gk == ("", "persistentvolumes"):
        obj["status"] = {"phase": "Pending"}
    validation.prepare_create(resource, obj)


def prepare_update(resource: Resource, obj: dict, old: dict) -> None:
    """A main-resource update: keep server metadata and (if split) the status."""
    meta = obj.setdefault("metadata", {})
    old_meta = old.get("metadata", {})
    for k in _SERVER_METADATA:
        if k in old_meta:
            meta[k] = old_meta[k]
        else:
            meta.pop(k, None)
    if (resource.group, resource.plural) == ("", "namespaces"):
        # spec.finalizers only change through the finalize subresource
        old_finalizers = (old.get("spec") or {}).get("finalizers")
        if old_finalizers:
            obj.setdefault("spec", {})["finalizers"] = list(old_finalizers)
        elif isinstance(obj.get("spec"), dict):
            obj["spec"].pop("finalizers", None)
    if resource.has_status:
        if "status" in old:
            obj["status"] = copy.deepcopy(old["status"])
        else:
            obj.pop("status", None)
    if validation.tracks_generation(resource) and validation.spec_changed(resource, old, obj):
        meta["generation"] = int(old_meta.get("generation") or 0) + 1
    validation.prepare_update(resource, obj, old)


def prepare_ephemeral_containers_update(obj: dict, old: dict) -> dict:
    """A write through pods/ephemeralcontainers: the stored pod with the request's
    ``spec.ephemeralContainers`` (and its managedFields entry); whatever else the
    request changed is dropped, as upstream."""
    new = copy.deepcopy(old)
    ecs = (obj.get("spec") or {}).get("ephemeralContainers")
    if ecs:
        new.setdefault("spec", {})["ephemeralContainers"] = ecs
    else:
        new.get("spec", {}).pop("ephemeralContainers", None)
    if "managedFields" in (obj.get("metadata") or {}):
        new["metadata"]["managedFields"] = obj["metadata"]["managedFields"]
    new["kind"] = obj.get("kind", old.get("kind"))
    new["apiVersion"] = obj.get("apiVersion", old.get("apiVersion"))
    return new


# What a status update takes from the stored object besides spec. Upstream's older
# status strategies reset only the spec, so a status write may change labels,
# annotations and so on (the Deployment controller writes its revision annotation
# that way, without moving generation); some reset more, the newer ones use
# ResetObjectMetaForStatus and keep all user metadata.
_USER_METADATA = ("labels", "annotations", "finalizers", "ownerReferences")
STATUS_RESETS_METADATA: dict[tuple[str, str], tuple[str, ...]] = {
    ("apps", "deployments"): ("labels",),
    ("", "pods"): ("ownerReferences",),   # old kubelets corrupted them
    ("apiextensions.k8s.io", "customresourcedefinitions"): ("labels", "annotations", "ownerReferences"),
    **{gk: _USER_METADATA for gk in (
        ("flowcontrol.apiserver.k8s.io", "flowschemas"),
        ("flowcontrol.apiserver.k8s.io", "prioritylevelconfigurations"),
        ("admissionregistration.k8s.io", "validatingadmissionpolicies"),
        ("networking.k8s.io", "servicecidrs"),
        ("internal.apiserver.k8s.io", "storageversions"),
    )},
}


def prepare_status_update(resource: Resource, obj: dict, old: dict) -> dict:
    """A status update: status and (per kind) user metadata come from the request;
    the spec, server-owned metadata and the kind's reset fields from the stored object."""
    new = copy.deepcopy(old)
    if "status" in obj:
        new["status"] = obj["status"]
    else:
        new.pop("status", None)
    meta, req_meta = new["metadata"], obj.get("metadata") or {}
    resets = STATUS_RESETS_METADATA.get((resource.group, resource.plural), ())
    for k in _USER_METADATA:
        if k in resets:
            continue
        if req_meta.get(k):
            meta[k] = req_meta[k]
        else:
            meta.pop(k, None)
    if "managedFields" in req_meta:
        meta["managedFields"] = req_meta["managedFields"]
    # kind/apiVersion from the request (it may be another served version)
    new["kind"] = obj.get("kind", old.get("kind"))
    new["apiVersion"] = obj.get("apiVersion", old.get("apiVersion"))
    return new
