"""Defaulting and validation of API objects, with upstream's rules and messages.

This is what the API server runs on every write, between decoding the body and
storing the object:

* :func:`type_errors` / :func:`strict_unknown_fields` / :func:`check_fields` -
  what decoding into typed structs would say about the body (wrong JSON types
  -> 400 BadRequest; unknown fields -> ``fieldValidation`` warnings or errors),
  from the official schemas (``kybernetes.api.validation.schema``);
  :func:`duplicate_fields` / :func:`decode_json` for repeated JSON keys;
* :func:`apply_defaults` - upstream's ``SetDefaults_*`` for the kind, plus the
  canonical form of every quantity (``kybernetes.api.validation.defaults``);
* :func:`prepare_create` / :func:`prepare_update` - the few create/update-only
  mutations upstream's registry strategies make that depend on the kind
  (namespace finalizer, DaemonSet template generation);
* :func:`validate` - create or update validation: ObjectMeta for every kind and
  the kind's own rules (``core``, ``apps``, ``batch``, ``others``), returning
  ``details.causes`` entries in upstream's order;
* :func:`tracks_generation` / :func:`spec_changed` - when ``metadata.generation``
  exists and moves.

Everything works on JSON-shaped dicts and is keyed by the :class:`Resource`
(group, version, kind); kinds without specific rules (custom resources
included) get ObjectMeta validation only.
"""

from __future__ import annotations

from typing import Any, Callable

from ..errors import Cause
from ..registry import Resource
from . import apps, batch, core, defaults, meta, names, others, schema

__all__ = [
    "apply_defaults",
    "validate",
    "prepare_create",
    "prepare_update",
    "strict_unknown_fields",
    "type_errors",
    "check_fields",
    "duplicate_fields",
    "decode_json",
    "tracks_generation",
    "spec_changed",
    "empty_status",
]

CreateFn = Callable[[dict], list]
UpdateFn = Callable[[dict, dict], list]

_VALIDATORS: dict[tuple, tuple[CreateFn, UpdateFn]] = {
    ("", "Pod"): (core.validate_pod, core.validate_pod_update),
    ("", "PodTemplate"): (core.validate_pod_template, core.validate_pod_template_update),
    ("", "ReplicationController"): (core.validate_replication_controller, core.validate_replication_controller_update),
    ("", "Service"): (core.validate_service, core.validate_service_update),
    ("", "ConfigMap"): (core.validate_config_map, core.validate_config_map_update),
    ("", "Secret"): (core.validate_secret, core.validate_secret_update),
    ("", "Namespace"): (core.validate_namespace, core.validate_namespace_update),
    ("", "ServiceAccount"): (core.validate_service_account, core.validate_service_account_update),
    ("", "Endpoints"): (core.validate_endpoints, core.validate_endpoints_update),
    ("", "PersistentVolumeClaim"): (core.validate_pvc, core.validate_pvc_update),
    ("", "PersistentVolume"): (core.validate_pv, core.validate_pv_update),
    ("", "Node"): (core.validate_node, core.validate_node_update),
    ("", "Event"): (core.validate_event, core.validate_event_update),
    ("", "ResourceQuota"): (core.validate_resource_quota, core.validate_resource_quota_update),
    ("", "LimitRange"): (core.validate_limit_range, core.validate_limit_range_update),
    ("", "Binding"): (core.validate_binding, core.validate_binding_update),
    ("events.k8s.io", "Event"): (core.validate_events_v1, core.validate_events_v1_update),
    ("apps", "Deployment"): (apps.validate_deployment, apps.validate_deployment_update),
    ("apps", "ReplicaSet"): (apps.validate_replica_set, apps.validate_replica_set_update),
    ("apps", "StatefulSet"): (apps.validate_stateful_set, apps.validate_stateful_set_update),
    ("apps", "DaemonSet"): (apps.validate_daemon_set, apps.validate_daemon_set_update),
    ("apps", "ControllerRevision"): (apps.validate_controller_revision, apps.validate_controller_revision_update),
    ("batch", "Job"): (batch.validate_job, batch.validate_job_update),
    ("batch", "CronJob"): (batch.validate_cron_job, batch.validate_cron_job_update),
    ("networking.k8s.io", "Ingress"): (others.validate_ingress, others.validate_ingress_update),
    ("networking.k8s.io", "IngressClass"): (others.validate_ingress_class, others.validate_ingress_class_update),
    ("networking.k8s.io", "NetworkPolicy"): (others.validate_network_policy, others.validate_network_policy_update),
    ("policy", "PodDisruptionBudget"): (others.validate_pdb, others.validate_pdb_update),
    ("autoscaling", "v2", "HorizontalPodAutoscaler"): (others.validate_hpa_v2, others.validate_hpa_v2_update),
    ("autoscaling", "v1", "HorizontalPodAutoscaler"): (others.validate_hpa_v1, others.validate_hpa_v1_update),
    ("rbac.authorization.k8s.io", "Role"): (others.validate_role, others.validate_role_update),
    ("rbac.authorization.k8s.io", "ClusterRole"): (others.validate_cluster_role, others.validate_cluster_role_update),
    ("rbac.authorization.k8s.io", "RoleBinding"): (others.validate_role_binding, others.validate_role_binding_update),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"): (others.validate_cluster_role_binding, others.validate_cluster_role_binding_update),
    ("coordination.k8s.io", "Lease"): (others.validate_lease, others.validate_lease_update),
    ("scheduling.k8s.io", "PriorityClass"): (others.validate_priority_class, others.validate_priority_class_update),
    ("storage.k8s.io", "StorageClass"): (others.validate_storage_class, others.validate_storage_class_update),
    ("discovery.k8s.io", "EndpointSlice"): (others.validate_endpoint_slice, others.validate_endpoint_slice_update),
    ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"): (others.validate_validating_webhooks, others.validate_validating_webhooks_update),
    ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"): (others.validate_mutating_webhooks, others.validate_mutating_webhooks_update),
    ("apiextensions.k8s.io", "CustomResourceDefinition"): (others.validate_crd, others.validate_crd_update),
}

# Name rules of built-in kinds validated by ObjectMeta only (default: DNS-1123 subdomain).
_NAME_FNS: dict[tuple[str, str], Callable] = {
    ("flowcontrol.apiserver.k8s.io", "FlowSchema"): names.path_segment_name,
    ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"): names.path_segment_name,
    ("certificates.k8s.io", "CertificateSigningRequest"): names.path_segment_name,
    ("apiregistration.k8s.io", "APIService"): names.path_segment_name,
    ("networking.k8s.io", "IPAddress"): names.any_name,
}

# Create-only "review" kinds: no stored object, no ObjectMeta rules.
_VIRTUAL_KINDS = frozenset({
    "TokenReview", "SelfSubjectReview", "SubjectAccessReview", "SelfSubjectAccessReview",
    "LocalSubjectAccessReview", "SelfSubjectRulesReview", "TokenRequest",
})

BUILTIN_GROUPS = frozenset({
    "", "apps", "batch", "autoscaling", "policy", "networking.k8s.io", "rbac.authorization.k8s.io",
    "coordination.k8s.io", "scheduling.k8s.io", "storage.k8s.io", "discovery.k8s.io", "events.k8s.io",
    "admissionregistration.k8s.io", "apiextensions.k8s.io", "apiregistration.k8s.io", "certificates.k8s.io",
    "flowcontrol.apiserver.k8s.io", "node.k8s.io", "resource.k8s.io", "authentication.k8s.io",
    "authorization.k8s.io", "internal.apiserver.k8s.io", "storagemigration.k8s.io",
})


def _entry(resource: Resource) -> tuple[CreateFn, UpdateFn] | None:
    e = _VALIDATORS.get((resource.group, resource.version, resource.kind))
    if e is None:
        e = _VALIDATORS.get((resource.group, resource.kind))
    return e


def _d(x: Any) -> dict:
    return x if isinstance(x, dict) else {}


_SUBRESOURCE_VALIDATORS: dict[tuple[str, str, str], UpdateFn] = {
    ("", "Pod", "status"): core.validate_pod_status_update,
    ("", "Pod", "ephemeralcontainers"): core.validate_pod_ephemeral_containers_update,
    ("", "Pod", "resize"): core.validate_pod_resize,
}


def validate(resource: Resource, obj: dict, old: dict | None = None, *, subresource: str = "") -> list[Cause]:
    """Validation causes for a create (``old`` None) or an update, in upstream's order.

    For Jobs on create this also generates the selector and pod-template labels
    from ``metadata.uid`` (upstream does that in its Validate step), so call it
    after the server assigned the uid.

    ``subresource`` selects upstream's rules for writes through a subresource:
    ``status`` (pods: ValidatePodStatusUpdate; other kinds: ObjectMeta rules,
    as the rest of the object is the stored one), ``ephemeralcontainers`` and
    ``resize`` for pods, ``binding`` (no object validation: the Binding itself
    is checked when it is created). ``scale`` and others use the main rules.
    """
    if not isinstance(obj, dict):
        return [Cause("FieldValueInvalid", "Invalid value: the object must be a JSON object", "")]
    if subresource and old is not None:
        if subresource == "binding":
            return []
        fn = _SUBRESOURCE_VALIDATORS.get((resource.group, resource.kind, subresource))
        if fn is not None:
            return fn(obj, old if isinstance(old, dict) else {})
        if subresource == "status":
            errs: list[Cause] = []
            meta.validate_object_meta_update(obj.get("metadata"), _d(old).get("metadata"), errs,
                                             kube_finalizers=resource.group in BUILTIN_GROUPS)
            return errs
    e = _entry(resource)
    if e is not None:
        if old is None:
            return e[0](obj)
        return e[1](obj, old if isinstance(old, dict) else {})
    if resource.kind in _VIRTUAL_KINDS:
        return []
    builtin = resource.group in BUILTIN_GROUPS
    name_fn = _NAME_FNS.get((resource.group, resource.kind), names.name_is_dns_subdomain)
    errs: list[Cause] = []
    if old is None:
        meta.validate_object_meta(obj.get("metadata"), resource.namespaced, name_fn, errs, kube_finalizers=builtin)
    else:
        meta.validate_object_meta_update(obj.get("metadata"), _d(old).get("metadata"), errs, kube_finalizers=builtin)
    return errs


def apply_defaults(resource: Resource, obj: dict) -> None:
    """Fill upstream's defaults for the kind (in ``resource.version``) into ``obj``, in place."""
    if isinstance(obj, dict):
        defaults.apply(resource.group, resource.version, resource.kind, obj)


def prepare_create(resource: Resource, obj: dict) -> None:
    """Create-only mutations of upstream's registry strategies that depend on the kind.

    * Namespace: ``spec.finalizers`` gets ``kubernetes`` (not a default: the
      namespace controller removes it while deleting, and it must not come back);
    * DaemonSet: the template generation annotation starts at 1.
    """
    g, k = resource.group, resource.kind
    if not isinstance(obj, dict):
        return
    if g == "" and k == "Namespace":
        spec = meta.sub(obj, "spec")
        fins = spec.get("finalizers")
        if not isinstance(fins, list) or not fins:
            spec["finalizers"] = ["kubernetes"]
        elif "kubernetes" not in fins:
            fins.append("kubernetes")
    elif g == "apps" and k == "DaemonSet":
        ann = meta.sub(meta.sub(obj, "metadata"), "annotations")
        if _ds_template_generation(ann) < 1:
            ann[DS_TEMPLATE_GENERATION] = "1"


DS_TEMPLATE_GENERATION = "deprecated.daemonset.template.generation"


def _ds_template_generation(ann: dict) -> int:
    try:
        return int(ann.get(DS_TEMPLATE_GENERATION, "0"))
    except ValueError:
        return 0


def prepare_update(resource: Resource, obj: dict, old: dict) -> None:
    """Update-only strategy mutations: a changed DaemonSet template bumps its generation annotation."""
    if resource.group == "apps" and resource.kind == "DaemonSet" and isinstance(obj, dict) and isinstance(old, dict):
        new_tpl = _d(obj.get("spec")).get("template")
        old_tpl = _d(old.get("spec")).get("template")
        old_ann = _d(_d(old.get("metadata")).get("annotations"))
        old_gen = _ds_template_generation(old_ann)
        ann = meta.sub(meta.sub(obj, "metadata"), "annotations")
        if core._strip_nulls(new_tpl) != core._strip_nulls(old_tpl):
            ann[DS_TEMPLATE_GENERATION] = str(old_gen + 1)
        elif DS_TEMPLATE_GENERATION in old_ann:
            ann[DS_TEMPLATE_GENERATION] = old_ann[DS_TEMPLATE_GENERATION]


# --- schema-driven checks ----------------------------------------------------------------------

def check_fields(resource: Resource, obj: dict, *, unknown: bool = True) -> tuple[list[str], list[str]]:
    """(decode type errors, ``unknown field "..."`` messages) in one walk over ``obj``."""
    errs, paths = schema.check(resource.group, resource.version, resource.kind, obj, unknown=unknown)
    return errs, schema.unknown_field_messages(paths)


def type_errors(resource: Resource, obj: dict) -> list[str]:
    """What decoding ``obj`` into the typed struct would fail with (first entry = upstream's error).

    The server turns the first one into 400 BadRequest:
    ``<Kind> in version "<v>" cannot be handled as a <Kind>: <message>``.
    """
    return schema.check(resource.group, resource.version, resource.kind, obj, unknown=False)[0]


def strict_unknown_fields(resource: Resource, obj: dict) -> list[str]:
    """``unknown field "spec.foo"`` messages for fieldValidation=Strict (error) or Warn (warnings)."""
    return schema.unknown_field_messages(schema.check(resource.group, resource.version, resource.kind, obj)[1])


def prune_unknown_fields(resource: Resource, obj: dict) -> None:
    """Remove fields the kind's schema does not know (built-in kinds only), in place."""
    schema.prune_unknown(resource.group, resource.version, resource.kind, obj)


def duplicate_fields(raw: bytes | str) -> list[str]:
    """``duplicate field "metadata.name"`` messages for repeated keys in a JSON body."""
    return schema.duplicate_fields(raw)


def decode_json(raw: bytes | str) -> tuple[Any, list[str]]:
    """Parse a JSON body like Go does when keys repeat: (object, ``duplicate field`` messages)."""
    obj, paths = schema.decode_json(raw)
    return obj, [f'duplicate field "{p}"' for p in paths]


def empty_status(resource: Resource) -> dict:
    """The ``status`` a new object of the kind reads back with (Go zero values that are not omitempty)."""
    return defaults.empty_status(resource.group, resource.version, resource.kind)


# --- generation ----------------------------------------------------------------------------------

_GENERATION_KINDS = frozenset({
    ("", "Pod"), ("", "ReplicationController"),
    ("apps", "Deployment"), ("apps", "ReplicaSet"), ("apps", "StatefulSet"), ("apps", "DaemonSet"),
    ("batch", "Job"), ("batch", "CronJob"),
    ("policy", "PodDisruptionBudget"),
    ("networking.k8s.io", "Ingress"), ("networking.k8s.io", "IngressClass"), ("networking.k8s.io", "NetworkPolicy"),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
    ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"),
    ("admissionregistration.k8s.io", "MutatingAdmissionPolicy"),
    ("admissionregistration.k8s.io", "MutatingAdmissionPolicyBinding"),
    ("flowcontrol.apiserver.k8s.io", "FlowSchema"), ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
    ("discovery.k8s.io", "EndpointSlice"),
    ("resource.k8s.io", "DeviceClass"),
})


def tracks_generation(resource: Resource) -> bool:
    """Whether the kind keeps ``metadata.generation`` (1 on create, +1 on spec changes).

    Custom resources always do; of the built-ins, the workload controllers'
    kinds and a few others (see ``_GENERATION_KINDS``) - not ConfigMaps,
    Secrets, Services, Namespaces or HPAs. Pods do since 1.33.
    """
    if resource.group not in BUILTIN_GROUPS:
        return True
    return (resource.group, resource.kind) in _GENERATION_KINDS


def _differs(a: Any, b: Any) -> bool:
    if a == b:
        return False
    return core._strip_nulls(a) != core._strip_nulls(b)


_META_KEYS = frozenset({"metadata", "apiVersion", "kind"})


def spec_changed(resource: Resource, old: dict, new: dict) -> bool:
    """Whether a main-resource update moves ``metadata.generation``.

    Most kinds compare ``spec``; Deployments also their annotations (they are
    copied to ReplicaSets); webhook configurations compare ``webhooks``;
    EndpointSlices and custom resources everything but metadata (and status,
    when it is a subresource).
    """
    g, k = resource.group, resource.kind
    old, new = _d(old), _d(new)
    if g not in BUILTIN_GROUPS or (g, k) == ("discovery.k8s.io", "EndpointSlice"):
        skip = _META_KEYS | ({"status"} if resource.has_status or g == "discovery.k8s.io" else set())
        keys = (set(old) | set(new)) - skip
        return any(_differs(old.get(key), new.get(key)) for key in keys)
    if g == "admissionregistration.k8s.io" and k.endswith("WebhookConfiguration"):
        return _differs(old.get("webhooks"), new.get("webhooks"))
    if _differs(old.get("spec"), new.get("spec")):
        return True
    if (g, k) == ("apps", "Deployment"):
        return _differs(_d(old.get("metadata")).get("annotations"), _d(new.get("metadata")).get("annotations"))
    return False
