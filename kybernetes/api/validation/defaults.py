"""Defaulting: upstream's ``SetDefaults_*`` functions for the built-in kinds.

The API server defaults every object it decodes (create, update and patch
bodies alike, and objects read back from storage). Defaults only fill what is
missing, so applying them twice is harmless.

Besides real defaults this also fills in what Go's JSON encoder writes for zero
values that are not ``omitempty`` and which therefore show up in every object
read back from a real cluster: ``resources: {}`` on containers and
``metadata: {creationTimestamp: null}`` on pod templates. Quantities are
rewritten in canonical form (``1000m`` -> ``1``) and ResourceLists are rounded
up to milli units, as ``SetDefaults_ResourceList`` does.

Not here (they are not defaulting upstream either): the ServiceAccount
admission plugin's token volume and ``serviceAccountName``, the
DefaultTolerationSeconds tolerations, the DefaultStorageClass annotation,
cluster IP / node port allocation, and anything a controller writes. Pod
``priority``/``preemptionPolicy`` come from the Priority admission plugin; they
are filled here for pods without a ``priorityClassName`` because kybernetes has
no separate plugin for it.
"""

from __future__ import annotations

from typing import Any, Callable

from . import schema
from .meta import sub as _sub

DEFAULT_GRACE = 30
TERMINATION_MESSAGE_PATH = "/dev/termination-log"


def _d(x: Any) -> dict | None:
    return x if type(x) is dict else None


def _list(x: Any) -> list:
    return x if type(x) is list else ()  # type: ignore[return-value]


# --- images -------------------------------------------------------------------------------------

def image_tag(image: str) -> str:
    """The tag of an image reference, as upstream's parsers.ParseImageName sees it.

    ``nginx`` -> "latest", ``nginx:1.25`` -> "1.25", ``nginx@sha256:..`` -> "" (digest only).
    """
    ref = image
    digest = ""
    if "@" in ref:
        ref, digest = ref.split("@", 1)
    last = ref.rsplit("/", 1)[-1]
    if ":" in last:
        return last.rsplit(":", 1)[1]
    if digest:
        return ""
    return "latest"


def pull_policy_for(image: Any) -> str:
    return "Always" if image_tag(image if isinstance(image, str) else "") == "latest" else "IfNotPresent"


# --- pod spec -----------------------------------------------------------------------------------

def _http_get(h: dict) -> None:
    hg = _d(h.get("httpGet"))
    if hg is not None:
        if not hg.get("path"):
            hg["path"] = "/"
        if not hg.get("scheme"):
            hg["scheme"] = "HTTP"
    grpc = _d(h.get("grpc"))
    if grpc is not None and grpc.get("service") is None:
        grpc["service"] = ""


def _probe(p: Any) -> None:
    p = _d(p)
    if p is None:
        return
    if not p.get("timeoutSeconds"):
        p["timeoutSeconds"] = 1
    if not p.get("periodSeconds"):
        p["periodSeconds"] = 10
    if not p.get("successThreshold"):
        p["successThreshold"] = 1
    if not p.get("failureThreshold"):
        p["failureThreshold"] = 3
    _http_get(p)


def _field_ref(fr: Any) -> None:
    fr = _d(fr)
    if fr is not None and not fr.get("apiVersion"):
        fr["apiVersion"] = "v1"


def _resource_field_ref(rf: Any) -> None:
    rf = _d(rf)
    if rf is not None and rf.get("divisor") is None:
        rf["divisor"] = "0"


def _container(c: Any) -> None:
    c = _d(c)
    if c is None:
        return
    if not c.get("imagePullPolicy"):
        c["imagePullPolicy"] = pull_policy_for(c.get("image"))
    if not c.get("terminationMessagePath"):
        c["terminationMessagePath"] = TERMINATION_MESSAGE_PATH
    if not c.get("terminationMessagePolicy"):
        c["terminationMessagePolicy"] = "File"
    if c.get("resources") is None:
        c["resources"] = {}
    for port in _list(c.get("ports")):
        if type(port) is dict and not port.get("protocol"):
            port["protocol"] = "TCP"
    for key in ("livenessProbe", "readinessProbe", "startupProbe"):
        if key in c:
            _probe(c[key])
    lc = _d(c.get("lifecycle"))
    if lc is not None:
        for key in ("postStart", "preStop"):
            h = _d(lc.get(key))
            if h is not None:
                _http_get(h)
    for ev in _list(c.get("env")):
        vf = _d(ev.get("valueFrom")) if type(ev) is dict else None
        if vf is not None:
            if "fieldRef" in vf:
                _field_ref(vf["fieldRef"])
            if "resourceFieldRef" in vf:
                _resource_field_ref(vf["resourceFieldRef"])


def _downward_items(items: Any) -> None:
    for item in _list(items):
        if type(item) is dict:
            if "fieldRef" in item:
                _field_ref(item["fieldRef"])
            if "resourceFieldRef" in item:
                _resource_field_ref(item["resourceFieldRef"])


_VOLUME_SOURCES = (
    "hostPath", "emptyDir", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "secret", "nfs", "iscsi",
    "glusterfs", "persistentVolumeClaim", "rbd", "flexVolume", "cinder", "cephfs", "flocker", "downwardAPI", "fc",
    "azureFile", "configMap", "vsphereVolume", "quobyte", "azureDisk", "photonPersistentDisk", "projected",
    "portworxVolume", "scaleIO", "storageos", "csi", "ephemeral", "image",
)


def _volume(v: Any) -> None:
    v = _d(v)
    if v is None:
        return
    if not any(v.get(k) is not None for k in _VOLUME_SOURCES):
        v["emptyDir"] = {}
        return
    for key in ("secret", "configMap", "downwardAPI", "projected"):
        src = _d(v.get(key))
        if src is not None and src.get("defaultMode") is None:
            src["defaultMode"] = 420
    dapi = _d(v.get("downwardAPI"))
    if dapi is not None:
        _downward_items(dapi.get("items"))
    hp = _d(v.get("hostPath"))
    if hp is not None and hp.get("type") is None:
        hp["type"] = ""
    proj = _d(v.get("projected"))
    if proj is not None:
        for src in _list(proj.get("sources")):
            if type(src) is not dict:
                continue
            sat = _d(src.get("serviceAccountToken"))
            if sat is not None and sat.get("expirationSeconds") is None:
                sat["expirationSeconds"] = 3600
            da = _d(src.get("downwardAPI"))
            if da is not None:
                _downward_items(da.get("items"))
    iscsi = _d(v.get("iscsi"))
    if iscsi is not None and not iscsi.get("iscsiInterface"):
        iscsi["iscsiInterface"] = "default"
    rbd = _d(v.get("rbd"))
    if rbd is not None:
        if not rbd.get("pool"):
            rbd["pool"] = "rbd"
        if not rbd.get("user"):
            rbd["user"] = "admin"
        if not rbd.get("keyring"):
            rbd["keyring"] = "/etc/ceph/keyring"
    az = _d(v.get("azureDisk"))
    if az is not None:
        az.setdefault("cachingMode", "ReadWrite")
        az.setdefault("fsType", "ext4")
        az.setdefault("readOnly", False)
        az.setdefault("kind", "Shared")
    sio = _d(v.get("scaleIO"))
    if sio is not None:
        if not sio.get("storageMode"):
            sio["storageMode"] = "ThinProvisioned"
        if not sio.get("fsType"):
            sio["fsType"] = "xfs"
    eph = _d(v.get("ephemeral"))
    if eph is not None:
        vct = _d(eph.get("volumeClaimTemplate"))
        if vct is not None:
            pvc_spec(_sub(vct, "spec"))


def pod_spec(spec: dict) -> None:
    """SetDefaults_PodSpec and everything nested in it (shared by pods and templates)."""
    if not spec.get("dnsPolicy"):
        spec["dnsPolicy"] = "ClusterFirst"
    if not spec.get("restartPolicy"):
        spec["restartPolicy"] = "Always"
    if spec.get("securityContext") is None:
        spec["securityContext"] = {}
    if spec.get("terminationGracePeriodSeconds") is None:
        spec["terminationGracePeriodSeconds"] = DEFAULT_GRACE
    if not spec.get("schedulerName"):
        spec["schedulerName"] = "default-scheduler"
    for key in ("containers", "initContainers", "ephemeralContainers"):
        for c in _list(spec.get(key)):
            _container(c)
    for v in _list(spec.get("volumes")):
        _volume(v)


def pod_template(tpl: Any) -> None:
    tpl = _d(tpl)
    if tpl is None:
        return
    meta = _sub(tpl, "metadata")
    if "creationTimestamp" not in meta:
        meta["creationTimestamp"] = None
    pod_spec(_sub(tpl, "spec"))


def _requests_from_limits(containers: Any) -> None:
    for c in _list(containers):
        if type(c) is not dict:
            continue
        res = _d(c.get("resources"))
        if res is None:
            continue
        limits = _d(res.get("limits"))
        if limits is None:
            continue
        req = _sub(res, "requests")
        for k, v in limits.items():
            if k not in req:
                req[k] = v


def pod(obj: dict) -> None:
    spec = _sub(obj, "spec")
    pod_spec(spec)
    _requests_from_limits(spec.get("containers"))
    _requests_from_limits(spec.get("initContainers"))
    if spec.get("enableServiceLinks") is None:
        spec["enableServiceLinks"] = True
    if spec.get("hostNetwork") is True:
        for key in ("containers", "initContainers"):
            for c in _list(spec.get(key)):
                for port in _list(c.get("ports") if type(c) is dict else None):
                    if type(port) is dict and not port.get("hostPort"):
                        port["hostPort"] = port.get("containerPort")
    # Priority admission (kybernetes has no separate plugin): no class -> priority 0.
    if not spec.get("priorityClassName"):
        if spec.get("priority") is None:
            spec["priority"] = 0
        if spec.get("preemptionPolicy") is None:
            spec["preemptionPolicy"] = "PreemptLowerPriority"


def pod_template_obj(obj: dict) -> None:
    pod_template(obj.get("template"))


def replication_controller(obj: dict) -> None:
    spec = _sub(obj, "spec")
    tpl = _d(spec.get("template"))
    if tpl is not None:
        labels = _d(_sub(tpl, "metadata").get("labels"))
        if labels:
            if not spec.get("selector"):
                spec["selector"] = dict(labels)
            meta = _sub(obj, "metadata")
            if not meta.get("labels"):
                meta["labels"] = dict(labels)
        pod_template(tpl)
    if spec.get("replicas") is None:
        spec["replicas"] = 1


# --- core ----------------------------------------------------------------------------------------

def _is_ipv6(ip: str) -> bool:
    return ":" in ip


def service(obj: dict) -> None:
    spec = _sub(obj, "spec")
    if not spec.get("sessionAffinity"):
        spec["sessionAffinity"] = "None"
    if spec["sessionAffinity"] == "None":
        spec.pop("sessionAffinityConfig", None)
    elif spec["sessionAffinity"] == "ClientIP":
        sac = _d(spec.get("sessionAffinityConfig"))
        cip = _d(sac.get("clientIP")) if sac else None
        if cip is None or cip.get("timeoutSeconds") is None:
            spec["sessionAffinityConfig"] = {"clientIP": {"timeoutSeconds": 10800}}
    if not spec.get("type"):
        spec["type"] = "ClusterIP"
    typ = spec["type"]
    for sp in _list(spec.get("ports")):
        if type(sp) is not dict:
            continue
        if not sp.get("protocol"):
            sp["protocol"] = "TCP"
        tp = sp.get("targetPort")
        if tp is None or tp == 0 or tp == "":
            sp["targetPort"] = sp.get("port", 0)
    externally = typ in ("LoadBalancer", "NodePort") or (typ == "ClusterIP" and bool(spec.get("externalIPs")))
    if externally and not spec.get("externalTrafficPolicy"):
        spec["externalTrafficPolicy"] = "Cluster"
    if spec.get("internalTrafficPolicy") is None and typ in ("NodePort", "LoadBalancer", "ClusterIP"):
        spec["internalTrafficPolicy"] = "Cluster"
    if typ == "LoadBalancer":
        if spec.get("allocateLoadBalancerNodePorts") is None:
            spec["allocateLoadBalancerNodePorts"] = True
        status = _d(obj.get("status"))
        lb = _d(status.get("loadBalancer")) if status else None
        for ing in _list(lb.get("ingress") if lb else None):
            if type(ing) is dict and ing.get("ip") and ing.get("ipMode") is None:
                ing["ipMode"] = "VIP"
    # Upstream's REST layer (not the defaulter) keeps clusterIP/clusterIPs in step and
    # picks the IP families on a single-stack IPv4 cluster; clusterIP allocation itself
    # is the server's job.
    if typ != "ExternalName":
        cip = spec.get("clusterIP")
        if cip and not spec.get("clusterIPs"):
            spec["clusterIPs"] = [cip]
        headless_no_selector = cip == "None" and not spec.get("selector")
        if spec.get("ipFamilyPolicy") is None:
            if headless_no_selector:
                spec["ipFamilyPolicy"] = "RequireDualStack"
            elif len(_list(spec.get("ipFamilies"))) == 2 or len(_list(spec.get("clusterIPs"))) == 2:
                spec["ipFamilyPolicy"] = "RequireDualStack"
            else:
                spec["ipFamilyPolicy"] = "SingleStack"
        if not spec.get("ipFamilies"):
            fams = []
            for ip in _list(spec.get("clusterIPs")):
                if isinstance(ip, str) and ip and ip != "None":
                    fams.append("IPv6" if _is_ipv6(ip) else "IPv4")
            spec["ipFamilies"] = fams or ["IPv4"]


def secret(obj: dict) -> None:
    if not obj.get("type"):
        obj["type"] = "Opaque"


def namespace(obj: dict) -> None:
    meta = _sub(obj, "metadata")
    name = meta.get("name")
    if name:
        _sub(meta, "labels")["kubernetes.io/metadata.name"] = name
    status = _d(obj.get("status"))
    if status is None:
        obj["status"] = {"phase": "Active"}
    elif not status.get("phase"):
        status["phase"] = "Active"


def pvc_spec(spec: dict) -> None:
    if spec.get("volumeMode") is None:
        spec["volumeMode"] = "Filesystem"


def pvc(obj: dict) -> None:
    pvc_spec(_sub(obj, "spec"))
    status = obj.get("status")
    if type(status) is not dict:
        status = {}
        obj["status"] = status
    if not status.get("phase"):
        status["phase"] = "Pending"


def pv(obj: dict) -> None:
    spec = _sub(obj, "spec")
    if not spec.get("persistentVolumeReclaimPolicy"):
        spec["persistentVolumeReclaimPolicy"] = "Retain"
    if spec.get("volumeMode") is None:
        spec["volumeMode"] = "Filesystem"
    status = obj.get("status")
    if type(status) is not dict:
        status = {}
        obj["status"] = status
    if not status.get("phase"):
        status["phase"] = "Pending"


def node(obj: dict) -> None:
    status = _d(obj.get("status"))
    if status is not None and status.get("allocatable") is None and status.get("capacity") is not None:
        status["allocatable"] = dict(status["capacity"])


def endpoints(obj: dict) -> None:
    for ss in _list(obj.get("subsets")):
        if type(ss) is dict:
            for p in _list(ss.get("ports")):
                if type(p) is dict and not p.get("protocol"):
                    p["protocol"] = "TCP"


def limit_range(obj: dict) -> None:
    spec = _d(obj.get("spec"))
    for item in _list(spec.get("limits") if spec else None):
        if type(item) is not dict or item.get("type") != "Container":
            continue
        default = _sub(item, "default")
        dreq = _sub(item, "defaultRequest")
        for k, v in (_d(item.get("max")) or {}).items():
            default.setdefault(k, v)
        for k, v in default.items():
            dreq.setdefault(k, v)
        for k, v in (_d(item.get("min")) or {}).items():
            dreq.setdefault(k, v)


# --- apps ----------------------------------------------------------------------------------------

def _rolling_update(spec: dict, key: str) -> dict | None:
    """Default ``spec[key].type`` to RollingUpdate; its ``rollingUpdate`` when that is the type, else None."""
    strategy = _sub(spec, key)
    if not strategy.get("type"):
        strategy["type"] = "RollingUpdate"
    return _sub(strategy, "rollingUpdate") if strategy["type"] == "RollingUpdate" else None


def deployment(obj: dict) -> None:
    spec = _sub(obj, "spec")
    if spec.get("replicas") is None:
        spec["replicas"] = 1
    ru = _rolling_update(spec, "strategy")
    if ru is not None:
        if ru.get("maxUnavailable") is None:
            ru["maxUnavailable"] = "25%"
        if ru.get("maxSurge") is None:
            ru["maxSurge"] = "25%"
    if spec.get("revisionHistoryLimit") is None:
        spec["revisionHistoryLimit"] = 10
    if spec.get("progressDeadlineSeconds") is None:
        spec["progressDeadlineSeconds"] = 600
    pod_template(_sub(spec, "template"))


def replica_set(obj: dict) -> None:
    spec = _sub(obj, "spec")
    if spec.get("replicas") is None:
        spec["replicas"] = 1
    pod_template(_sub(spec, "template"))


def stateful_set(obj: dict) -> None:
    spec = _sub(obj, "spec")
    if not spec.get("podManagementPolicy"):
        spec["podManagementPolicy"] = "OrderedReady"
    ru = _rolling_update(spec, "updateStrategy")
    if ru is not None:
        if ru.get("partition") is None:
            ru["partition"] = 0
    if spec.get("replicas") is None:
        spec["replicas"] = 1
    if spec.get("revisionHistoryLimit") is None:
        spec["revisionHistoryLimit"] = 10
    pol = _sub(spec, "persistentVolumeClaimRetentionPolicy")
    if not pol.get("whenDeleted"):
        pol["whenDeleted"] = "Retain"
    if not pol.get("whenScaled"):
        pol["whenScaled"] = "Retain"
    pod_template(_sub(spec, "template"))
    for vct in _list(spec.get("volumeClaimTemplates")):
        if type(vct) is dict:
            meta = _sub(vct, "metadata")
            if "creationTimestamp" not in meta:
                meta["creationTimestamp"] = None
            pvc(vct)


def daemon_set(obj: dict) -> None:
    spec = _sub(obj, "spec")
    ru = _rolling_update(spec, "updateStrategy")
    if ru is not None:
        if ru.get("maxUnavailable") is None:
            ru["maxUnavailable"] = 1
        if ru.get("maxSurge") is None:
            ru["maxSurge"] = 0
    if spec.get("revisionHistoryLimit") is None:
        spec["revisionHistoryLimit"] = 10
    pod_template(_sub(spec, "template"))


# --- batch ---------------------------------------------------------------------------------------

def job_spec(spec: dict) -> None:
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
        spec["parallelism"] = 1
    if spec.get("parallelism") is None:
        spec["parallelism"] = 1
    if spec.get("backoffLimit") is None:
        spec["backoffLimit"] = 2147483647 if spec.get("backoffLimitPerIndex") is not None else 6
    if spec.get("completionMode") is None:
        spec["completionMode"] = "NonIndexed"
    if spec.get("suspend") is None:
        spec["suspend"] = False
    pfp = _d(spec.get("podFailurePolicy"))
    if pfp is not None:
        for rule in _list(pfp.get("rules")):
            for pat in _list(rule.get("onPodConditions") if type(rule) is dict else None):
                if type(pat) is dict and not pat.get("status"):
                    pat["status"] = "True"
    if spec.get("podReplacementPolicy") is None:
        spec["podReplacementPolicy"] = "Failed" if pfp is not None else "TerminatingOrFailed"


def job(obj: dict) -> None:
    spec = _sub(obj, "spec")
    job_spec(spec)
    tpl = _sub(spec, "template")
    tmeta = _d(tpl.get("metadata")) or {}
    labels = _d(tmeta.get("labels"))
    meta = _sub(obj, "metadata")
    if labels and not meta.get("labels"):
        meta["labels"] = dict(labels)
    pod_template(tpl)


def cron_job(obj: dict) -> None:
    spec = _sub(obj, "spec")
    if not spec.get("concurrencyPolicy"):
        spec["concurrencyPolicy"] = "Allow"
    if spec.get("suspend") is None:
        spec["suspend"] = False
    if spec.get("successfulJobsHistoryLimit") is None:
        spec["successfulJobsHistoryLimit"] = 3
    if spec.get("failedJobsHistoryLimit") is None:
        spec["failedJobsHistoryLimit"] = 1
    jt = _sub(spec, "jobTemplate")
    meta = _sub(jt, "metadata")
    if "creationTimestamp" not in meta:
        meta["creationTimestamp"] = None
    pod_template(_sub(_sub(jt, "spec"), "template"))


# --- others --------------------------------------------------------------------------------------

def _scaling_rules(rules: Any, window: int, policies: list[dict]) -> dict:
    out = {"stabilizationWindowSeconds": window, "selectPolicy": "Max", "policies": policies}
    rules = _d(rules)
    if rules is None:
        return out
    merged = dict(rules)
    for k, v in out.items():
        if merged.get(k) is None:
            merged[k] = v
    return merged


def hpa_v2(obj: dict) -> None:
    spec = _sub(obj, "spec")
    if spec.get("minReplicas") is None:
        spec["minReplicas"] = 1
    if not spec.get("metrics"):
        spec["metrics"] = [
            {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}
        ]
    beh = _d(spec.get("behavior"))
    if beh is not None:
        beh["scaleUp"] = _scaling_rules(
            beh.get("scaleUp"), 0,
            [{"type": "Pods", "value": 4, "periodSeconds": 15}, {"type": "Percent", "value": 100, "periodSeconds": 15}],
        )
        beh["scaleDown"] = _scaling_rules(beh.get("scaleDown"), 300, [{"type": "Percent", "value": 100, "periodSeconds": 15}])


def hpa_v1(obj: dict) -> None:
    spec = _sub(obj, "spec")
    if spec.get("minReplicas") is None:
        spec["minReplicas"] = 1


def network_policy(obj: dict) -> None:
    spec = _sub(obj, "spec")
    for key in ("ingress", "egress"):
        for rule in _list(spec.get(key)):
            for p in _list(rule.get("ports") if type(rule) is dict else None):
                if type(p) is dict and not p.get("protocol"):
                    p["protocol"] = "TCP"
    if not spec.get("policyTypes"):
        types = ["Ingress"]
        if spec.get("egress"):
            types.append("Egress")
        spec["policyTypes"] = types


def _subjects(obj: dict) -> None:
    for sub in _list(obj.get("subjects")):
        if type(sub) is dict and not sub.get("apiGroup"):
            kind = sub.get("kind")
            if kind in ("User", "Group"):
                sub["apiGroup"] = "rbac.authorization.k8s.io"


def role_binding(obj: dict) -> None:
    _subjects(obj)
    rr = _sub(obj, "roleRef")
    if not rr.get("apiGroup"):
        rr["apiGroup"] = "rbac.authorization.k8s.io"


def storage_class(obj: dict) -> None:
    if not obj.get("reclaimPolicy"):
        obj["reclaimPolicy"] = "Delete"
    if not obj.get("volumeBindingMode"):
        obj["volumeBindingMode"] = "Immediate"


def csi_driver(obj: dict) -> None:
    spec = _sub(obj, "spec")
    spec.setdefault("attachRequired", True)
    spec.setdefault("podInfoOnMount", False)
    spec.setdefault("storageCapacity", False)
    spec.setdefault("fsGroupPolicy", "ReadWriteOnceWithFSType")
    if not spec.get("volumeLifecycleModes"):
        spec["volumeLifecycleModes"] = ["Persistent"]
    spec.setdefault("requiresRepublish", False)
    spec.setdefault("seLinuxMount", False)


def priority_class(obj: dict) -> None:
    if obj.get("preemptionPolicy") is None:
        obj["preemptionPolicy"] = "PreemptLowerPriority"


def endpoint_slice(obj: dict) -> None:
    for p in _list(obj.get("ports")):
        if type(p) is dict:
            if p.get("name") is None:
                p["name"] = ""
            if p.get("protocol") is None:
                p["protocol"] = "TCP"


def _webhooks(obj: dict, mutating: bool) -> None:
    for wh in _list(obj.get("webhooks")):
        if type(wh) is not dict:
            continue
        if wh.get("failurePolicy") is None:
            wh["failurePolicy"] = "Fail"
        if wh.get("matchPolicy") is None:
            wh["matchPolicy"] = "Equivalent"
        if wh.get("namespaceSelector") is None:
            wh["namespaceSelector"] = {}
        if wh.get("objectSelector") is None:
            wh["objectSelector"] = {}
        if wh.get("timeoutSeconds") is None:
            wh["timeoutSeconds"] = 10
        if mutating and wh.get("reinvocationPolicy") is None:
            wh["reinvocationPolicy"] = "Never"
        for rule in _list(wh.get("rules")):
            if type(rule) is dict and rule.get("scope") is None:
                rule["scope"] = "*"
        cc = _d(wh.get("clientConfig"))
        svc = _d(cc.get("service")) if cc else None
        if svc is not None and svc.get("port") is None:
            svc["port"] = 443


def validating_webhooks(obj: dict) -> None:
    _webhooks(obj, False)


def mutating_webhooks(obj: dict) -> None:
    _webhooks(obj, True)


def crd(obj: dict) -> None:
    spec = _sub(obj, "spec")
    names = _sub(spec, "names")
    kind = names.get("kind")
    if not names.get("singular") and isinstance(kind, str):
        names["singular"] = kind.lower()
    if not names.get("listKind") and kind:
        names["listKind"] = f"{kind}List"
    conv = _d(spec.get("conversion"))
    if conv is None:
        spec["conversion"] = {"strategy": "None"}
    else:
        wh = _d(conv.get("webhook"))
        cc = _d(wh.get("clientConfig")) if wh else None
        svc = _d(cc.get("service")) if cc else None
        if svc is not None and svc.get("port") is None:
            svc["port"] = 443


Defaulter = Callable[[dict], None]

# (group, kind) -> defaulter; (group, version, kind) entries win for multi-version kinds.
DEFAULTERS: dict[tuple, Defaulter] = {
    ("", "Pod"): pod,
    ("", "PodTemplate"): pod_template_obj,
    ("", "ReplicationController"): replication_controller,
    ("", "Service"): service,
    ("", "Secret"): secret,
    ("", "Namespace"): namespace,
    ("", "PersistentVolumeClaim"): pvc,
    ("", "PersistentVolume"): pv,
    ("", "Node"): node,
    ("", "Endpoints"): endpoints,
    ("", "LimitRange"): limit_range,
    ("apps", "Deployment"): deployment,
    ("apps", "ReplicaSet"): replica_set,
    ("apps", "StatefulSet"): stateful_set,
    ("apps", "DaemonSet"): daemon_set,
    ("batch", "Job"): job,
    ("batch", "CronJob"): cron_job,
    ("autoscaling", "v2", "HorizontalPodAutoscaler"): hpa_v2,
    ("autoscaling", "v1", "HorizontalPodAutoscaler"): hpa_v1,
    ("networking.k8s.io", "NetworkPolicy"): network_policy,
    ("rbac.authorization.k8s.io", "RoleBinding"): role_binding,
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"): role_binding,
    ("storage.k8s.io", "StorageClass"): storage_class,
    ("storage.k8s.io", "CSIDriver"): csi_driver,
    ("scheduling.k8s.io", "PriorityClass"): priority_class,
    ("discovery.k8s.io", "EndpointSlice"): endpoint_slice,
    ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"): validating_webhooks,
    ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"): mutating_webhooks,
    ("apiextensions.k8s.io", "CustomResourceDefinition"): crd,
}


def defaulter_for(group: str, version: str, kind: str) -> Defaulter | None:
    fn = DEFAULTERS.get((group, version, kind))
    if fn is None:
        fn = DEFAULTERS.get((group, kind))
    return fn


def apply(group: str, version: str, kind: str, obj: dict) -> None:
    fn = defaulter_for(group, version, kind)
    if fn is not None:
        fn(obj)
    schema.normalize_quantities(group, version, kind, obj)


# --- zero-value status (what Go prints for an empty status struct) ---------------------------------

_EMPTY_STATUS: dict[tuple[str, str], dict] = {
    ("apps", "DaemonSet"): {"currentNumberScheduled": 0, "numberMisscheduled": 0, "desiredNumberScheduled": 0, "numberReady": 0},
    ("apps", "ReplicaSet"): {"replicas": 0},
    ("apps", "StatefulSet"): {"replicas": 0, "availableReplicas": 0},
    ("", "ReplicationController"): {"replicas": 0},
    ("autoscaling", "HorizontalPodAutoscaler"): {"desiredReplicas": 0, "currentMetrics": None},
    ("", "Service"): {"loadBalancer": {}},
    ("networking.k8s.io", "Ingress"): {"loadBalancer": {}},
    ("policy", "PodDisruptionBudget"): {"disruptionsAllowed": 0, "currentHealthy": 0, "desiredHealthy": 0, "expectedPods": 0},
}


def empty_status(group: str, version: str, kind: str) -> dict:
    """The status a freshly created object serialises with (Go zero values that are not omitempty)."""
    if group == "autoscaling" and version == "v1":
        return {"currentReplicas": 0, "desiredReplicas": 0}
    return dict(_EMPTY_STATUS.get((group, kind), {}))
