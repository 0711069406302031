"""Every resource a Kubernetes 1.33 API server serves with its default settings.

Only APIs that are enabled by default are listed: the GA versions plus
autoscaling/v2 (GA) next to autoscaling/v1. No beta API is on by default in 1.33:
``resource.k8s.io``, ``storage.k8s.io/v1beta1`` VolumeAttributesClass,
``coordination.k8s.io/v1beta1`` LeaseCandidate, ``certificates.k8s.io/v1beta1``
ClusterTrustBundle and ``admissionregistration.k8s.io`` MutatingAdmissionPolicy
all need ``--runtime-config``, so they are left out.

Differences from the 1.28 discovery this table was checked against:

* ``flowcontrol.apiserver.k8s.io``: v1 (GA in 1.29) only. v1beta2 stopped being
  served in 1.29 and v1beta3 in 1.32, so no version shares storage with v1.
* ``admissionregistration.k8s.io/v1`` gains validatingadmissionpolicies (with
  a status subresource) and validatingadmissionpolicybindings (GA in 1.30).
* ``networking.k8s.io/v1`` gains ipaddresses and servicecidrs (GA in 1.33,
  MultiCIDRServiceAllocator).
* ``pods/resize`` (in-place pod resize, beta and on by default in 1.33).

Order matters: discovery lists groups in registration order (the order of the
upstream ``/apis`` list) and resources within a group version alphabetically,
as upstream does. ``kubectl get all`` walks the resources in that order, which
gives pods, replicationcontrollers, services, daemonsets, deployments,
replicasets, statefulsets, horizontalpodautoscalers, cronjobs, jobs.

Shared storage (see ``api.registry``):

* autoscaling/v1 and autoscaling/v2 HorizontalPodAutoscaler are one resource,
  stored as v2 under ``autoscaling/horizontalpodautoscalers``; v2 is the
  preferred version.
* events.k8s.io/v1 Event is a second view of core/v1 Event: both live under
  ``core/events`` and are stored in the core/v1 shape (``storage_version`` is
  "v1", and because the groups differ that means *core* v1). ``api.conversion``
  maps the events.k8s.io field names (regarding, note, deprecatedSource, ...)
  onto the stored core fields.
"""

from __future__ import annotations

from .registry import Registry, Resource, Subresource

# Groups in the order upstream lists them in /apis (the core group comes first,
# served under /api).
API_GROUP_ORDER: tuple[str, ...] = (
    "",
    "apiregistration.k8s.io",
    "apps",
    "events.k8s.io",
    "authentication.k8s.io",
    "authorization.k8s.io",
    "autoscaling",
    "batch",
    "certificates.k8s.io",
    "networking.k8s.io",
    "policy",
    "rbac.authorization.k8s.io",
    "storage.k8s.io",
    "admissionregistration.k8s.io",
    "apiextensions.k8s.io",
    "scheduling.k8s.io",
    "coordination.k8s.io",
    "node.k8s.io",
    "discovery.k8s.io",
    "flowcontrol.apiserver.k8s.io",
)

# Verb sets, spelled as discovery lists them (sorted).
CRUD = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
CRUD_NO_COLLECTION_DELETE = ("create", "delete", "get", "list", "patch", "update", "watch")
CREATE_ONLY = ("create",)
READ_ONLY = ("get", "list")
GET_PATCH_UPDATE = ("get", "patch", "update")
PROXY_VERBS = ("create", "delete", "get", "patch", "update")
CONNECT_VERBS = ("create", "get")

# Subresource shorthands. A subresource whose response kind is the parent's own
# kind leaves kind/group/version to be filled in from the parent.
_SAME = ""
_SUB: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    # name: (kind, group, version, verbs); kind _SAME means "the parent's kind"
    "status": (_SAME, "", "", GET_PATCH_UPDATE),
    "scale": ("Scale", "autoscaling", "v1", GET_PATCH_UPDATE),
    "approval": (_SAME, "", "", GET_PATCH_UPDATE),
    "finalize": (_SAME, "", "", ("update",)),
    "ephemeralcontainers": (_SAME, "", "", GET_PATCH_UPDATE),
    "resize": (_SAME, "", "", GET_PATCH_UPDATE),
    "attach": ("PodAttachOptions", "", "", CONNECT_VERBS),
    "exec": ("PodExecOptions", "", "", CONNECT_VERBS),
    "portforward": ("PodPortForwardOptions", "", "", CONNECT_VERBS),
    "binding": ("Binding", "", "", CREATE_ONLY),
    "eviction": ("Eviction", "policy", "v1", CREATE_ONLY),
    "log": (_SAME, "", "", ("get",)),  # pods/log answers with kind Pod in discovery
    "token": ("TokenRequest", "authentication.k8s.io", "v1", CREATE_ONLY),
}
_PROXY_KIND = {"Pod": "PodProxyOptions", "Node": "NodeProxyOptions", "Service": "ServiceProxyOptions"}

# One row per served resource:
#   (group, version, plural, kind, namespaced, verbs, short names, categories, subresources)
# Within a group version the rows are alphabetical by plural, as discovery lists them.
NS, CL = True, False
_ALL = ("all",)
_EXT = ("api-extensions",)

_TABLE: tuple[tuple, ...] = (
    # --- core/v1 (/api/v1) ---
    ("", "v1", "bindings", "Binding", NS, CREATE_ONLY, (), (), ()),
    ("", "v1", "componentstatuses", "ComponentStatus", CL, READ_ONLY, ("cs",), (), ()),
    ("", "v1", "configmaps", "ConfigMap", NS, CRUD, ("cm",), (), ()),
    ("", "v1", "endpoints", "Endpoints", NS, CRUD, ("ep",), (), ()),
    ("", "v1", "events", "Event", NS, CRUD, ("ev",), (), ()),
    ("", "v1", "limitranges", "LimitRange", NS, CRUD, ("limits",), (), ()),
    ("", "v1", "namespaces", "Namespace", CL, CRUD_NO_COLLECTION_DELETE, ("ns",), (), ("finalize", "status")),
    ("", "v1", "nodes", "Node", CL, CRUD, ("no",), (), ("proxy", "status")),
    ("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", NS, CRUD, ("pvc",), (), ("status",)),
    ("", "v1", "persistentvolumes", "PersistentVolume", CL, CRUD, ("pv",), (), ("status",)),
    ("", "v1", "pods", "Pod", NS, CRUD, ("po",), _ALL,
     ("attach", "binding", "ephemeralcontainers", "eviction", "exec", "log", "portforward", "proxy",
      "resize", "status")),
    ("", "v1", "podtemplates", "PodTemplate", NS, CRUD, (), (), ()),
    ("", "v1", "replicationcontrollers", "ReplicationController", NS, CRUD, ("rc",), _ALL, ("scale", "status")),
    ("", "v1", "resourcequotas", "ResourceQuota", NS, CRUD, ("quota",), (), ("status",)),
    ("", "v1", "secrets", "Secret", NS, CRUD, (), (), ()),
    ("", "v1", "serviceaccounts", "ServiceAccount", NS, CRUD, ("sa",), (), ("token",)),
    ("", "v1", "services", "Service", NS, CRUD, ("svc",), _ALL, ("proxy", "status")),
    # --- apiregistration.k8s.io ---
    ("apiregistration.k8s.io", "v1", "apiservices", "APIService", CL, CRUD, (), _EXT, ("status",)),
    # --- apps ---
    ("apps", "v1", "controllerrevisions", "ControllerRevision", NS, CRUD, (), (), ()),
    ("apps", "v1", "daemonsets", "DaemonSet", NS, CRUD, ("ds",), _ALL, ("status",)),
    ("apps", "v1", "deployments", "Deployment", NS, CRUD, ("deploy",), _ALL, ("scale", "status")),
    ("apps", "v1", "replicasets", "ReplicaSet", NS, CRUD, ("rs",), _ALL, ("scale", "status")),
    ("apps", "v1", "statefulsets", "StatefulSet", NS, CRUD, ("sts",), _ALL, ("scale", "status")),
    # --- events.k8s.io (stored together with core/v1 events) ---
    ("events.k8s.io", "v1", "events", "Event", NS, CRUD, ("ev",), (), ()),
    # --- authentication.k8s.io ---
    ("authentication.k8s.io", "v1", "selfsubjectreviews", "SelfSubjectReview", CL, CREATE_ONLY, (), (), ()),
    ("authentication.k8s.io", "v1", "tokenreviews", "TokenReview", CL, CREATE_ONLY, (), (), ()),
    # --- authorization.k8s.io ---
    ("authorization.k8s.io", "v1", "localsubjectaccessreviews", "LocalSubjectAccessReview", NS, CREATE_ONLY,
     (), (), ()),
    ("authorization.k8s.io", "v1", "selfsubjectaccessreviews", "SelfSubjectAccessReview", CL, CREATE_ONLY,
     (), (), ()),
    ("authorization.k8s.io", "v1", "selfsubjectrulesreviews", "SelfSubjectRulesReview", CL, CREATE_ONLY,
     (), (), ()),
    ("authorization.k8s.io", "v1", "subjectaccessreviews", "SubjectAccessReview", CL, CREATE_ONLY, (), (), ()),
    # --- autoscaling (v2 preferred; v1 shares its storage) ---
    ("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", NS, CRUD, ("hpa",), _ALL,
     ("status",)),
    ("autoscaling", "v1", "horizontalpodautoscalers", "HorizontalPodAutoscaler", NS, CRUD, ("hpa",), _ALL,
     ("status",)),
    # --- batch ---
    ("batch", "v1", "cronjobs", "CronJob", NS, CRUD, ("cj",), _ALL, ("status",)),
    ("batch", "v1", "jobs", "Job", NS, CRUD, (), _ALL, ("status",)),
    # --- certificates.k8s.io ---
    ("certificates.k8s.io", "v1", "certificatesigningrequests", "CertificateSigningRequest", CL, CRUD, ("csr",),
     (), ("approval", "status")),
    # --- networking.k8s.io ---
    ("networking.k8s.io", "v1", "ingressclasses", "IngressClass", CL, CRUD, (), (), ()),
    ("networking.k8s.io", "v1", "ingresses", "Ingress", NS, CRUD, ("ing",), (), ("status",)),
    ("networking.k8s.io", "v1", "ipaddresses", "IPAddress", CL, CRUD, ("ip",), (), ()),
    ("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", NS, CRUD, ("netpol",), (), ()),
    ("networking.k8s.io", "v1", "servicecidrs", "ServiceCIDR", CL, CRUD, (), (), ("status",)),
    # --- policy ---
    ("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", NS, CRUD, ("pdb",), (), ("status",)),
    # --- rbac.authorization.k8s.io ---
    ("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", CL, CRUD, (), (), ()),
    ("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", CL, CRUD, (), (), ()),
    ("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", NS, CRUD, (), (), ()),
    ("rbac.authorization.k8s.io", "v1", "roles", "Role", NS, CRUD, (), (), ()),
    # --- storage.k8s.io ---
    ("storage.k8s.io", "v1", "csidrivers", "CSIDriver", CL, CRUD, (), (), ()),
    ("storage.k8s.io", "v1", "csinodes", "CSINode", CL, CRUD, (), (), ()),
    ("storage.k8s.io", "v1", "csistoragecapacities", "CSIStorageCapacity", NS, CRUD, (), (), ()),
    ("storage.k8s.io", "v1", "storageclasses", "StorageClass", CL, CRUD, ("sc",), (), ()),
    ("storage.k8s.io", "v1", "volumeattachments", "VolumeAttachment", CL, CRUD, (), (), ("status",)),
    # --- admissionregistration.k8s.io ---
    ("admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations", "MutatingWebhookConfiguration", CL,
     CRUD, (), _EXT, ()),
    ("admissionregistration.k8s.io", "v1", "validatingadmissionpolicies", "ValidatingAdmissionPolicy", CL, CRUD,
     (), _EXT, ("status",)),
    ("admissionregistration.k8s.io", "v1", "validatingadmissionpolicybindings", "ValidatingAdmissionPolicyBinding",
     CL, CRUD, (), _EXT, ()),
    ("admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations", "ValidatingWebhookConfiguration", CL,
     CRUD, (), _EXT, ()),
    # --- apiextensions.k8s.io ---
    ("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", CL, CRUD,
     ("crd", "crds"), _EXT, ("status",)),
    # --- scheduling.k8s.io ---
    ("scheduling.k8s.io", "v1", "priorityclasses", "PriorityClass", CL, CRUD, ("pc",), (), ()),
    # --- coordination.k8s.io ---
    ("coordination.k8s.io", "v1", "leases", "Lease", NS, CRUD, (), (), ()),
    # --- node.k8s.io ---
    ("node.k8s.io", "v1", "runtimeclasses", "RuntimeClass", CL, CRUD, (), (), ()),
    # --- discovery.k8s.io ---
    ("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", NS, CRUD, (), (), ()),
    # --- flowcontrol.apiserver.k8s.io ---
    ("flowcontrol.apiserver.k8s.io", "v1", "flowschemas", "FlowSchema", CL, CRUD, (), (), ("status",)),
    ("flowcontrol.apiserver.k8s.io", "v1", "prioritylevelconfigurations", "PriorityLevelConfiguration", CL, CRUD,
     (), (), ("status",)),
)

# Per-resource overrides of the storage defaults (storage_key, storage_version, preferred).
_STORAGE: dict[tuple[str, str, str], dict] = {
    ("autoscaling", "v2", "horizontalpodautoscalers"): {
        "storage_key": "autoscaling/horizontalpodautoscalers", "storage_version": "v2"},
    ("autoscaling", "v1", "horizontalpodautoscalers"): {
        "storage_key": "autoscaling/horizontalpodautoscalers", "storage_version": "v2", "preferred": False},
    # events.k8s.io/v1 Event is stored as core/v1 Event (storage_version "v1" of the core group).
    ("events.k8s.io", "v1", "events"): {"storage_key": "core/events", "storage_version": "v1"},
}


def _subresource(name: str, parent_kind: str) -> Subresource:
    if name == "proxy":
        return Subresource("proxy", _PROXY_KIND[parent_kind], verbs=PROXY_VERBS)
    kind, group, version, verbs = _SUB[name]
    return Subresource(name, kind or parent_kind, group, version, verbs)


def builtin_resources() -> list[Resource]:
    """Fresh Resource entries for every built-in resource, in discovery order."""
    out = []
    for group, version, plural, kind, namespaced, verbs, short, cats, subs in _TABLE:
        out.append(Resource(
            group=group,
            version=version,
            kind=kind,
            plural=plural,
            singular=kind.lower(),
            namespaced=namespaced,
            verbs=tuple(verbs),
            short_names=tuple(short),
            categories=tuple(cats),
            subresources={s: _subresource(s, kind) for s in subs},
            **_STORAGE.get((group, version, plural), {}),
        ))
    return out


def builtin_registry() -> Registry:
    return Registry(builtin_resources())
