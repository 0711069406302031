"""Server-side Table output: the columns and cells ``kubectl get`` prints.

Behaviour follows the kube-apiserver 1.33 table convertors: the print handlers of
``pkg/printers/internalversion``, kube-aggregator's APIService convertor, and the
default convertor (``Name`` + ``Created At``) that LimitRange, Role, ClusterRole,
CSIStorageCapacity, CustomResourceDefinition and any kind without a print handler
get. The server always builds the wide form, so ``row_cells`` returns every
column, priority 1 included.

Differences from the 1.28 tables captured in the reference data (all are 1.33
upstream behaviour):

* Job: a ``Status`` column after ``Name`` (Complete, Failed, Terminating,
  Suspended, FailureTarget, Running).
* CronJob: a ``Timezone`` column after ``Schedule``.
* PersistentVolume / PersistentVolumeClaim: a ``VolumeAttributesClass`` column
  after ``StorageClass`` ("<unset>" when empty).
* PriorityClass: a wide ``PreemptionPolicy`` column.
* ResourceQuota: ``Age`` moved after ``Request`` and ``Limit``.
* HorizontalPodAutoscaler: resource metrics name the resource ("cpu: 20%/50%").
* Column descriptions come from the 1.33 API documentation, which reworded
  some fields (e.g. Deployment ``Up-to-date``/``Available``, ReplicaSet
  ``Desired``/``Current``, Pod ``Node``, Node addresses, Job completions,
  Lease holder, ServiceAccount secrets).

Objects are plain JSON dicts in the served version (e.g. ``events.k8s.io/v1``
events or ``autoscaling/v1`` HPAs); they are mapped onto the fields the
upstream printer reads (its internal version) before printing.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable

from . import quantity as _quantity
from .registry import Resource

__all__ = [
    "column_definitions",
    "row_cells",
    "row_conditions",
    "supports_table",
    "human_duration",
    "format_quantity",
    "format_label_selector",
]

# ---------------------------------------------------------------------------
# small helpers


def _get(obj: Any, *path: str, default: Any = None) -> Any:
    cur = obj
    for p in path:
        if not isinstance(cur, dict):
            return default
        cur = cur.get(p)
        if cur is None:
            return default
    return cur


def _name(obj: dict) -> str:
    return _get(obj, "metadata", "name", default="")


def _parse_time(value: Any) -> datetime | None:
    """RFC 3339 (with or without fractional seconds) -> aware datetime; None for unset/zero."""
    if not value or not isinstance(value, str):
        return None
    s = value.strip()
    if s.endswith(("Z", "z")):
        s = s[:-1] + "+00:00"
    m = re.match(r"^(.*T\d\d:\d\d:\d\d)(\.\d+)?(.*)$", s)
    if m and m.group(2) and len(m.group(2)) > 7:  # more than microseconds
        s = m.group(1) + m.group(2)[:7] + m.group(3)
    try:
        t = datetime.fromisoformat(s)
    except ValueError:
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    if t.year <= 1:  # Go's zero time
        return None
    return t


def _aware(now: datetime) -> datetime:
    return now if now.tzinfo is not None else now.replace(tzinfo=timezone.utc)


def _trunc_div(a: int, b: int) -> int:
    """Integer division truncating toward zero, like Go."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def human_duration(d: timedelta | float | int) -> str:
    """Upstream ``duration.HumanDuration``: "5s", "3m2s", "10m", "5h3m", "3d4h", "2y5d", ...

    Accepts a timedelta or a number of seconds.
    """
    if isinstance(d, timedelta):
        us = (d.days * 86400 + d.seconds) * 1_000_000 + d.microseconds
    else:
        us = int(round(d * 1_000_000))
    seconds = _trunc_div(us, 1_000_000)
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 60 * 2:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        s = seconds % 60
        return f"{minutes}m" if s == 0 else f"{minutes}m{s}s"
    if minutes < 60 * 3:
        return f"{minutes}m"
    hours = seconds // 3600
    if hours < 8:
        m = minutes % 60
        return f"{hours}h" if m == 0 else f"{hours}h{m}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        h = hours % 24
        return f"{hours // 24}d" if h == 0 else f"{hours // 24}d{h}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        dy = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if dy == 0 else f"{hours // 24 // 365}y{dy}d"
    return f"{hours // 24 // 365}y"


def _since(value: Any, now: datetime) -> str:
    """translateTimestampSince: "<unknown>" for an unset time, else a human duration."""
    t = _parse_time(value)
    if t is None:
        return "<unknown>"
    return human_duration(_aware(now) - t)


def _created_at(obj: dict) -> str:
    """The default convertor's cell: creationTimestamp in UTC, RFC 3339, seconds precision."""
    t = _parse_time(_get(obj, "metadata", "creationTimestamp"))
    if t is None:
        return "0001-01-01T00:00:00Z"
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _bool_ptr(value: Any) -> str:
    if value is None:
        return "<unset>"
    return "True" if value else "False"


def _unset(value: Any) -> str:
    """An optional string field: "<unset>" when absent."""
    return "<unset>" if value is None else str(value)


def _int_or_string(value: Any) -> str:
    if isinstance(value, bool):
        return str(int(value))
    return str(value)


def _format_labels(labels: dict | None) -> str:
    """labels.FormatLabels: sorted k=v pairs, "<none>" when empty."""
    if not labels:
        return "<none>"
    return ",".join(f"{k}={labels[k]}" for k in sorted(labels))


class _SelectorError(ValueError):
    pass


def _selector_string(selector: Any) -> str:
    """metav1.LabelSelectorAsSelector(sel).String(); raises _SelectorError when invalid."""
    if selector is None:
        return ""  # labels.Nothing()
    if not isinstance(selector, dict):
        raise _SelectorError("not an object")
    match_labels = selector.get("matchLabels") or {}
    exprs = selector.get("matchExpressions") or []
    if not match_labels and not exprs:
        return ""  # labels.Everything()
    reqs: list[tuple[str, str]] = []
    for k, v in match_labels.items():
        reqs.append((k, f"{k}={v}"))
    for e in exprs:
        key = e.get("key", "")
        op = e.get("operator")
        values = list(e.get("values") or [])
        if op in ("In", "NotIn"):
            if not values:
                raise _SelectorError("values required")
            word = " in " if op == "In" else " notin "
            reqs.append((key, f"{key}{word}({','.join(sorted(values))})"))
        elif op in ("Exists", "DoesNotExist"):
            if values:
                raise _SelectorError("values not allowed")
            reqs.append((key, key if op == "Exists" else f"!{key}"))
        else:
            raise _SelectorError(f"{op!r} is not a valid label selector operator")
    reqs.sort(key=lambda r: r[0])
    return ",".join(r[1] for r in reqs)


def format_label_selector(selector: Any) -> str:
    """metav1.FormatLabelSelector: "<none>" for nil/empty, "<error>" when invalid."""
    try:
        s = _selector_string(selector)
    except _SelectorError:
        return "<error>"
    return s or "<none>"


def _label_selector_go_string(sel: dict) -> str:
    """The protobuf-generated String() of a metav1.LabelSelector (used by one printer)."""
    labels = sel.get("matchLabels") or {}
    ml = "".join(f"{k}: {labels[k]}," for k in sorted(labels))
    me = "".join(
        "LabelSelectorRequirement{Key:%s,Operator:%s,Values:[%s],}," % (
            e.get("key", ""), e.get("operator", ""), " ".join(e.get("values") or []))
        for e in sel.get("matchExpressions") or [])
    return f"&LabelSelector{{MatchLabels:map[string]string{{{ml}}},MatchExpressions:[]LabelSelectorRequirement{{{me}}},}}"


def _containers(pod_spec: Any) -> tuple[str, str]:
    """layoutContainerCells: comma-joined container names and images."""
    containers = _get(pod_spec, "containers", default=[]) or []
    return (",".join(c.get("name", "") for c in containers),
            ",".join(c.get("image", "") for c in containers))


# ---------------------------------------------------------------------------
# resource.Quantity


def format_quantity(q: Any) -> str:
    """resource.Quantity.String(): the canonical form ("1536Mi", "500m", "1500"); "0" when unset."""
    if q is None:
        return "0"
    try:
        return _quantity.canonical(q)
    except (_quantity.QuantityError, TypeError, ValueError):
        return str(q)


# ---------------------------------------------------------------------------
# column definitions

Column = tuple  # (name, type, format, priority, description or "@doc-key")


def _col(name: str, type_: str, desc: str, priority: int = 0, fmt: str = "") -> Column:
    return (name, type_, fmt, priority, desc)


_NAME = _col("Name", "string", "@meta.ObjectMeta.name", fmt="name")
_AGE = _col("Age", "string", "@meta.ObjectMeta.creationTimestamp")
_CONTAINERS = _col("Containers", "string", "Names of each container in the template.", 1)
_IMAGES = _col("Images", "string", "Images referenced by each container in the template.", 1)


def _desc(d: str) -> str:
    return _DOCS[d[1:]] if d.startswith("@") else d


def _render(columns: Iterable[Column]) -> list[dict]:
    return [{"name": n, "type": t, "format": f, "description": _desc(d), "priority": p}
            for n, t, f, p, d in columns]


_DEFAULT_COLUMNS = (_NAME, _col("Created At", "date", "@meta.ObjectMeta.creationTimestamp"))

_Printer = tuple[tuple[Column, ...], Callable[[dict, datetime], list]]
_PRINTERS: dict[tuple[str, str], _Printer] = {}


def _printer(group: str, kind: str, *columns: Column):
    def register(fn):
        _PRINTERS[(group, kind)] = (tuple(columns), fn)
        return fn
    return register


# Resources whose upstream storage uses the default table convertor even though
# a print handler exists (CSIStorageCapacity), or that have no print handler.
_DEFAULT_TABLE_KINDS = {
    ("", "LimitRange"), ("rbac.authorization.k8s.io", "Role"),
    ("rbac.authorization.k8s.io", "ClusterRole"), ("storage.k8s.io", "CSIStorageCapacity"),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
}


def _lookup(resource: Resource) -> _Printer | None:
    key = (resource.group, resource.kind)
    if key in _DEFAULT_TABLE_KINDS:
        return None
    if key == ("events.k8s.io", "Event"):
        key = ("", "Event")
    return _PRINTERS.get(key)


def supports_table(resource: Resource) -> bool:
    """Whether upstream can render this resource as a Table (create-only kinds cannot)."""
    return "get" in resource.verbs or "list" in resource.verbs


def column_definitions(resource: Resource) -> list[dict]:
    """The Table columnDefinitions upstream serves for ``resource``."""
    printer = _lookup(resource)
    return _render(printer[0] if printer else _DEFAULT_COLUMNS)


def row_cells(resource: Resource, obj: dict, *, now: datetime) -> list:
    """The cells of one object's Table row (wide form, matching ``column_definitions``)."""
    printer = _lookup(resource)
    if printer is None:
        return [_name(obj), _created_at(obj)]
    obj = _to_internal(resource, obj)
    return printer[1](obj, _aware(now))


def row_conditions(resource: Resource, obj: dict) -> list[dict] | None:
    """Row conditions upstream attaches (only pods that have finished carry one)."""
    if (resource.group, resource.kind) != ("", "Pod"):
        return None
    phase = _get(obj, "status", "phase")
    if phase == "Succeeded":
        return [{"type": "Completed", "status": "True", "reason": "Succeeded",
                 "message": "The pod has completed successfully."}]
    if phase == "Failed":
        return [{"type": "Completed", "status": "True", "reason": "Failed", "message": "The pod failed."}]
    return None


def _to_internal(resource: Resource, obj: dict) -> dict:
    """Map served-version field names onto the ones the printers read."""
    if resource.group == "events.k8s.io" and resource.kind == "Event":
        return _events_v1_to_core(obj)
    if resource.group == "autoscaling" and resource.kind == "HorizontalPodAutoscaler" and resource.version == "v1":
        return _hpa_v1_to_v2(obj)
    return obj


def _events_v1_to_core(ev: dict) -> dict:
    if "involvedObject" in ev:  # already in the stored core/v1 shape
        return ev
    out = dict(ev)
    src = ev.get("deprecatedSource") or {}
    out["involvedObject"] = ev.get("regarding") or {}
    out["message"] = ev.get("note", "")
    out["source"] = {"component": src.get("component", ""), "host": src.get("host", "")}
    out["firstTimestamp"] = ev.get("deprecatedFirstTimestamp")
    out["lastTimestamp"] = ev.get("deprecatedLastTimestamp")
    out["count"] = ev.get("deprecatedCount", 0)
    # core/v1 spells ReportingController "reportingComponent" on the wire
    out["reportingComponent"] = ev.get("reportingController", "")
    return out


def _hpa_v1_to_v2(hpa: dict) -> dict:
    spec = dict(hpa.get("spec") or {})
    status = dict(hpa.get("status") or {})
    if "metrics" not in spec:
        target = spec.get("targetCPUUtilizationPercentage")
        spec["metrics"] = [] if target is None else [{
            "type": "Resource",
            "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": target}}}]
    if "currentMetrics" not in status:
        current = status.get("currentCPUUtilizationPercentage")
        status["currentMetrics"] = [] if current is None else [{
            "type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": current}}}]
    return {**hpa, "spec": spec, "status": status}


# ---------------------------------------------------------------------------
# core/v1


def _restartable_init(container: Any) -> bool:
    return isinstance(container, dict) and container.get("restartPolicy") == "Always"


def _condition_true(conditions: Any, ctype: str) -> bool:
    for c in conditions or []:
        if c.get("type") == ctype:
            return c.get("status") == "True"
    return False


@_printer("", "Pod",
          _NAME,
          _col("Ready", "string", "The aggregate readiness state of this pod for accepting traffic."),
          _col("Status", "string", "The aggregate status of the containers in this pod."),
          _col("Restarts", "string", "The number of times the containers in this pod have been restarted "
                                     "and when the last container in this pod has restarted."),
          _AGE,
          _col("IP", "string", "@core/v1.PodStatus.podIP", 1),
          _col("Node", "string", "@core/v1.PodSpec.nodeName", 1),
          _col("Nominated Node", "string", "@core/v1.PodStatus.nominatedNodeName", 1),
          _col("Readiness Gates", "string", "@core/v1.PodSpec.readinessGates", 1))
def _print_pod(pod: dict, now: datetime) -> list:
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    restarts = 0
    restartable_restarts = 0
    total = len(spec.get("containers") or [])
    ready = 0
    last_restart: datetime | None = None
    last_restartable_restart: datetime | None = None

    def later(current: datetime | None, cs: dict) -> datetime | None:
        term = _get(cs, "lastState", "terminated")
        if term is None:
            return current
        t = _parse_time(term.get("finishedAt"))
        if t is not None and (current is None or current < t):
            return t
        return current

    phase = status.get("phase") or ""
    reason = status.get("reason") or phase
    for cond in status.get("conditions") or []:
        if cond.get("type") == "PodScheduled" and cond.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"

    init_specs = spec.get("initContainers") or []
    init_by_name = {c.get("name"): c for c in init_specs}
    total += sum(1 for c in init_specs if _restartable_init(c))

    initializing = False
    for i, cs in enumerate(status.get("initContainerStatuses") or []):
        restarts += int(cs.get("restartCount") or 0)
        last_restart = later(last_restart, cs)
        restartable = _restartable_init(init_by_name.get(cs.get("name")))
        if restartable:
            restartable_restarts += int(cs.get("restartCount") or 0)
            last_restartable_restart = later(last_restartable_restart, cs)
        terminated = _get(cs, "state", "terminated")
        waiting = _get(cs, "state", "waiting")
        if terminated is not None and int(terminated.get("exitCode") or 0) == 0:
            continue
        if restartable and cs.get("started"):
            if cs.get("ready"):
                ready += 1
            continue
        if terminated is not None:
            if not terminated.get("reason"):
                if terminated.get("signal"):
                    reason = f"Init:Signal:{terminated['signal']}"
                else:
                    reason = f"Init:ExitCode:{int(terminated.get('exitCode') or 0)}"
            else:
                reason = "Init:" + terminated["reason"]
        elif waiting is not None and waiting.get("reason") and waiting["reason"] != "PodInitializing":
            reason = "Init:" + waiting["reason"]
        else:
            reason = f"Init:{i}/{len(init_specs)}"
        initializing = True
        break

    if not initializing or _condition_true(status.get("conditions"), "Initialized"):
        restarts = restartable_restarts
        last_restart = last_restartable_restart
        has_running = False
        for cs in reversed(status.get("containerStatuses") or []):
            restarts += int(cs.get("restartCount") or 0)
            last_restart = later(last_restart, cs)
            waiting = _get(cs, "state", "waiting")
            terminated = _get(cs, "state", "terminated")
            if waiting is not None and waiting.get("reason"):
                reason = waiting["reason"]
            elif terminated is not None and terminated.get("reason"):
                reason = terminated["reason"]
            elif terminated is not None:
                if terminated.get("signal"):
                    reason = f"Signal:{terminated['signal']}"
                else:
                    reason = f"ExitCode:{int(terminated.get('exitCode') or 0)}"
            elif cs.get("ready") and _get(cs, "state", "running") is not None:
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            reason = "Running" if _condition_true(status.get("conditions"), "Ready") else "NotReady"

    deleting = _get(pod, "metadata", "deletionTimestamp") is not None
    if deleting and status.get("reason") == "NodeLost":
        reason = "Unknown"
    elif deleting and phase not in ("Succeeded", "Failed"):
        reason = "Terminating"

    restarts_str = str(restarts)
    if restarts != 0 and last_restart is not None:
        restarts_str = f"{restarts} ({human_duration(now - last_restart)} ago)"

    pod_ips = status.get("podIPs") or []
    pod_ip = (pod_ips[0].get("ip") if pod_ips else "") or "<none>"
    gates = spec.get("readinessGates") or []
    readiness = "<none>"
    if gates:
        true_count = 0
        for gate in gates:
            for cond in status.get("conditions") or []:
                if cond.get("type") == gate.get("conditionType"):
                    if cond.get("status") == "True":
                        true_count += 1
                    break
        readiness = f"{true_count}/{len(gates)}"
    return [_name(pod), f"{ready}/{total}", reason, restarts_str, _since(_get(pod, "metadata", "creationTimestamp"), now),
            pod_ip, spec.get("nodeName") or "<none>", status.get("nominatedNodeName") or "<none>", readiness]


@_printer("", "PodTemplate",
          _NAME,
          _col("Containers", "string", "Names of each container in the template."),
          _col("Images", "string", "Images referenced by each container in the template."),
          _col("Pod Labels", "string", "The labels for the pod template."))
def _print_pod_template(obj: dict, now: datetime) -> list:
    names, images = _containers(_get(obj, "template", "spec"))
    return [_name(obj), names, images, _format_labels(_get(obj, "template", "metadata", "labels"))]


@_printer("", "ReplicationController",
          _NAME,
          _col("Desired", "integer", "@core/v1.ReplicationControllerSpec.replicas"),
          _col("Current", "integer", "@core/v1.ReplicationControllerStatus.replicas"),
          _col("Ready", "integer", "@core/v1.ReplicationControllerStatus.readyReplicas"),
          _AGE, _CONTAINERS, _IMAGES,
          _col("Selector", "string", "@core/v1.ReplicationControllerSpec.selector", 1))
def _print_rc(obj: dict, now: datetime) -> list:
    names, images = _containers(_get(obj, "spec", "template", "spec"))
    return [_name(obj), int(_get(obj, "spec", "replicas", default=1)), int(_get(obj, "status", "replicas", default=0)),
            int(_get(obj, "status", "readyReplicas", default=0)), _age(obj, now),
            names, images, _format_labels(_get(obj, "spec", "selector"))]


def _age(obj: dict, now: datetime) -> str:
    return _since(_get(obj, "metadata", "creationTimestamp"), now)


def _load_balancer_string(lb: Any) -> str:
    seen = set()
    for ing in _get(lb, "ingress", default=[]) or []:
        if ing.get("ip"):
            seen.add(ing["ip"])
        elif ing.get("hostname"):
            seen.add(ing["hostname"])
    return ",".join(sorted(seen))  # the server prints the wide form: no clipping


def _service_external_ip(svc: dict) -> str:
    spec = svc.get("spec") or {}
    external = spec.get("externalIPs") or []
    stype = spec.get("type")
    if stype in ("ClusterIP", "NodePort"):
        return ",".join(external) if external else "<none>"
    if stype == "LoadBalancer":
        lb = _load_balancer_string(_get(svc, "status", "loadBalancer"))
        if external:
            return ",".join((lb.split(",") if lb else []) + list(external))
        return lb or "<pending>"
    if stype == "ExternalName":
        return spec.get("externalName", "")
    return "<unknown>"


def _service_ports(ports: list) -> str:
    pieces = []
    for p in ports:
        if p.get("nodePort"):
            pieces.append(f"{p.get('port', 0)}:{p['nodePort']}/{p.get('protocol', '')}")
        else:
            pieces.append(f"{p.get('port', 0)}/{p.get('protocol', '')}")
    return ",".join(pieces)


@_printer("", "Service",
          _NAME,
          _col("Type", "string", "@core/v1.ServiceSpec.type"),
          _col("Cluster-IP", "string", "@core/v1.ServiceSpec.clusterIP"),
          _col("External-IP", "string", "@core/v1.ServiceSpec.externalIPs"),
          _col("Port(s)", "string", "@core/v1.ServiceSpec.ports"),
          _AGE,
          _col("Selector", "string", "@core/v1.ServiceSpec.selector", 1))
def _print_service(svc: dict, now: datetime) -> list:
    spec = svc.get("spec") or {}
    cluster_ips = spec.get("clusterIPs") or []
    return [_name(svc), spec.get("type", ""), cluster_ips[0] if cluster_ips else "<none>",
            _service_external_ip(svc), _service_ports(spec.get("ports") or []) or "<none>",
            _age(svc, now), _format_labels(spec.get("selector"))]


def _join_host_port(host: str, port: Any) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _format_endpoints(ep: dict) -> str:
    subsets = ep.get("subsets") or []
    if not subsets:
        return "<none>"
    items: list[str] = []
    limit, more, count = 3, False, 0
    for ss in subsets:
        addresses = ss.get("addresses") or []
        for port in ss.get("ports") or [None]:  # no ports: the bare IPs, once
            count += len(addresses)
            for a in addresses:
                if len(items) == limit:
                    more = True
                    break
                ip = a.get("ip", "")
                items.append(ip if port is None else _join_host_port(ip, port.get("port", 0)))
    ret = ",".join(items)
    return f"{ret} + {count - limit} more..." if more else ret


@_printer("", "Endpoints", _NAME, _col("Endpoints", "string", "@core/v1.Endpoints.subsets"), _AGE)
def _print_endpoints(obj: dict, now: datetime) -> list:
    return [_name(obj), _format_endpoints(obj), _age(obj, now)]


def _node_roles(labels: dict) -> list[str]:
    roles = set()
    for k, v in (labels or {}).items():
        if k.startswith("node-role.kubernetes.io/"):
            role = k[len("node-role.kubernetes.io/"):]
            if role:
                roles.add(role)
        elif k == "kubernetes.io/role" and v:
            roles.add(v)
    return sorted(roles)


def _node_address(node: dict, kind: str) -> str:
    for a in _get(node, "status", "addresses", default=[]) or []:
        if a.get("type") == kind:
            return a.get("address", "")
    return "<none>"


@_printer("", "Node",
          _NAME,
          _col("Status", "string", "The status of the node"),
          _col("Roles", "string", "The roles of the node"),
          _AGE,
          _col("Version", "string", "@core/v1.NodeSystemInfo.kubeletVersion"),
          _col("Internal-IP", "string", "@core/v1.NodeStatus.addresses", 1),
          _col("External-IP", "string", "@core/v1.NodeStatus.addresses", 1),
          _col("OS-Image", "string", "@core/v1.NodeSystemInfo.osImage", 1),
          _col("Kernel-Version", "string", "@core/v1.NodeSystemInfo.kernelVersion", 1),
          _col("Container-Runtime", "string", "@core/v1.NodeSystemInfo.containerRuntimeVersion", 1))
def _print_node(node: dict, now: datetime) -> list:
    status: list[str] = []
    conditions = {c.get("type"): c for c in _get(node, "status", "conditions", default=[]) or []}
    ready = conditions.get("Ready")
    if ready is not None:
        status.append("Ready" if ready.get("status") == "True" else "NotReady")
    if not status:
        status.append("Unknown")
    if _get(node, "spec", "unschedulable"):
        status.append("SchedulingDisabled")
    info = _get(node, "status", "nodeInfo", default={}) or {}
    return [_name(node), ",".join(status), ",".join(_node_roles(_get(node, "metadata", "labels"))) or "<none>",
            _age(node, now), info.get("kubeletVersion", ""),
            _node_address(node, "InternalIP"), _node_address(node, "ExternalIP"),
            info.get("osImage") or "<unknown>", info.get("kernelVersion") or "<unknown>",
            info.get("containerRuntimeVersion") or "<unknown>"]


@_printer("", "Event",
          _col("Last Seen", "string", "@core/v1.Event.lastTimestamp"),
          _col("Type", "string", "@core/v1.Event.type"),
          _col("Reason", "string", "@core/v1.Event.reason"),
          _col("Object", "string", "@core/v1.Event.involvedObject"),
          _col("Subobject", "string", "@core/v1.ObjectReference.fieldPath", 1),
          _col("Source", "string", "@core/v1.Event.source", 1),
          _col("Message", "string", "@core/v1.Event.message"),
          _col("First Seen", "string", "@core/v1.Event.firstTimestamp", 1),
          _col("Count", "string", "@core/v1.Event.count", 1),
          _col("Name", "string", "@meta.ObjectMeta.name", 1, fmt="name"))
def _print_event(ev: dict, now: datetime) -> list:
    if _parse_time(ev.get("firstTimestamp")) is None:
        first = _since(ev.get("eventTime"), now)
    else:
        first = _since(ev.get("firstTimestamp"), now)
    last = first if _parse_time(ev.get("lastTimestamp")) is None else _since(ev.get("lastTimestamp"), now)
    count = int(ev.get("count") or 0)
    series = ev.get("series")
    if series is not None:
        last = _since(series.get("lastObservedTime"), now)
        count = int(series.get("count") or 0)
    elif count == 0:
        count = 1  # singleton events don't have a count set in the new API
    involved = ev.get("involvedObject") or {}
    kind = (involved.get("kind") or "").lower()
    target = f"{kind}/{involved['name']}" if involved.get("name") else kind
    source = ev.get("source") or {}
    component = source.get("component") or ev.get("reportingComponent") or ""
    instance = source.get("host") or ev.get("reportingInstance") or ""
    return [last, ev.get("type", ""), ev.get("reason", ""), target, involved.get("fieldPath", ""),
            f"{component}, {instance}" if instance else component,
            (ev.get("message") or "").strip(), first, count, _name(ev)]


@_printer("", "Namespace", _NAME, _col("Status", "string", "The status of the namespace"), _AGE)
def _print_namespace(obj: dict, now: datetime) -> list:
    return [_name(obj), _get(obj, "status", "phase", default=""), _age(obj, now)]


@_printer("", "Secret", _NAME,
          _col("Type", "string", "@core/v1.Secret.type"),
          _col("Data", "string", "@core/v1.Secret.data"), _AGE)
def _print_secret(obj: dict, now: datetime) -> list:
    return [_name(obj), obj.get("type", ""), len(obj.get("data") or {}), _age(obj, now)]


@_printer("", "ServiceAccount", _NAME, _col("Secrets", "string", "@core/v1.ServiceAccount.secrets"), _AGE)
def _print_service_account(obj: dict, now: datetime) -> list:
    return [_name(obj), len(obj.get("secrets") or []), _age(obj, now)]


def _access_modes(modes: Any) -> str:
    modes = modes or []
    out = []
    for mode, short in (("ReadWriteOnce", "RWO"), ("ReadOnlyMany", "ROX"),
                        ("ReadWriteMany", "RWX"), ("ReadWriteOncePod", "RWOP")):
        if mode in modes:
            out.append(short)
    return ",".join(out)


_BETA_STORAGE_CLASS = "volume.beta.kubernetes.io/storage-class"


def _storage_class(obj: dict) -> str:
    annotations = _get(obj, "metadata", "annotations", default={}) or {}
    if _BETA_STORAGE_CLASS in annotations:
        return annotations[_BETA_STORAGE_CLASS]
    return _get(obj, "spec", "storageClassName", default="")


@_printer("", "PersistentVolume",
          _NAME,
          _col("Capacity", "string", "@core/v1.PersistentVolumeSpec.capacity"),
          _col("Access Modes", "string", "@core/v1.PersistentVolumeSpec.accessModes"),
          _col("Reclaim Policy", "string", "@core/v1.PersistentVolumeSpec.persistentVolumeReclaimPolicy"),
          _col("Status", "string", "@core/v1.PersistentVolumeStatus.phase"),
          _col("Claim", "string", "@core/v1.PersistentVolumeSpec.claimRef"),
          _col("StorageClass", "string", "StorageClass of the pv"),
          _col("VolumeAttributesClass", "string", "VolumeAttributesClass of the pv"),
          _col("Reason", "string", "@core/v1.PersistentVolumeStatus.reason"),
          _AGE,
          _col("VolumeMode", "string", "@core/v1.PersistentVolumeSpec.volumeMode", 1))
def _print_pv(pv: dict, now: datetime) -> list:
    spec = pv.get("spec") or {}
    claim = ""
    if spec.get("claimRef") is not None:
        claim = f"{spec['claimRef'].get('namespace', '')}/{spec['claimRef'].get('name', '')}"
    phase = _get(pv, "status", "phase", default="")
    if _get(pv, "metadata", "deletionTimestamp") is not None:
        phase = "Terminating"
    return [_name(pv), format_quantity((spec.get("capacity") or {}).get("storage")),
            _access_modes(spec.get("accessModes")), spec.get("persistentVolumeReclaimPolicy", ""),
            phase, claim, _storage_class(pv), _unset(spec.get("volumeAttributesClassName")),
            _get(pv, "status", "reason", default=""), _age(pv, now), _unset(spec.get("volumeMode"))]


@_printer("", "PersistentVolumeClaim",
          _NAME,
          _col("Status", "string", "@core/v1.PersistentVolumeClaimStatus.phase"),
          _col("Volume", "string", "@core/v1.PersistentVolumeClaimSpec.volumeName"),
          _col("Capacity", "string", "@core/v1.PersistentVolumeClaimStatus.capacity"),
          _col("Access Modes", "string", "@core/v1.PersistentVolumeClaimStatus.accessModes"),
          _col("StorageClass", "string", "StorageClass of the pvc"),
          _col("VolumeAttributesClass", "string", "VolumeAttributesClass of the pvc"),
          _AGE,
          _col("VolumeMode", "string", "@core/v1.PersistentVolumeClaimSpec.volumeMode", 1))
def _print_pvc(pvc: dict, now: datetime) -> list:
    spec = pvc.get("spec") or {}
    phase = _get(pvc, "status", "phase", default="")
    if _get(pvc, "metadata", "deletionTimestamp") is not None:
        phase = "Terminating"
    capacity = access = ""
    if spec.get("volumeName"):
        access = _access_modes(_get(pvc, "status", "accessModes"))
        capacity = format_quantity(_get(pvc, "status", "capacity", "storage"))
    vac = spec.get("volumeAttributesClassName")
    return [_name(pvc), phase, spec.get("volumeName", ""), capacity, access, _storage_class(pvc),
            _unset(vac), _age(pvc, now), _unset(spec.get("volumeMode"))]


@_printer("", "ComponentStatus",
          _NAME,
          _col("Status", "string", "Status of the component conditions"),
          _col("Message", "string", "Message of the component conditions"),
          _col("Error", "string", "Error of the component conditions"))
def _print_component_status(obj: dict, now: datetime) -> list:
    status, message, error = "Unknown", "", ""
    for c in obj.get("conditions") or []:
        if c.get("type") == "Healthy":
            status = "Healthy" if c.get("status") == "True" else "Unhealthy"
            message, error = c.get("message", ""), c.get("error", "")
            break
    return [_name(obj), status, message, error]


@_printer("", "ConfigMap", _NAME, _col("Data", "string", "@core/v1.ConfigMap.data"), _AGE)
def _print_configmap(obj: dict, now: datetime) -> list:
    return [_name(obj), len(obj.get("data") or {}) + len(obj.get("binaryData") or {}), _age(obj, now)]


@_printer("", "ResourceQuota",
          _NAME,
          _col("Request", "string", "Request represents a minimum amount of cpu/memory that a container may consume."),
          _col("Limit", "string", "Limits control the maximum amount of cpu/memory that a container may use "
                                  "independent of contention on the node."),
          _AGE)
def _print_resource_quota(obj: dict, now: datetime) -> list:
    hard = _get(obj, "status", "hard", default={}) or {}
    used = _get(obj, "status", "used", default={}) or {}
    requests, limits = [], []
    for name in sorted(hard):
        text = f"{name}: {format_quantity(used.get(name))}/{format_quantity(hard[name])}"
        pieces = name.split(".")
        (limits if len(pieces) > 1 and pieces[0] == "limits" else requests).append(text)
    return [_name(obj), ", ".join(requests), ", ".join(limits), _age(obj, now)]


# ---------------------------------------------------------------------------
# apps/v1


def _ready_of_desired(obj: dict) -> str:
    """The READY cell of Deployments and StatefulSets: ``readyReplicas/replicas``."""
    return f"{int(_get(obj, 'status', 'readyReplicas', default=0))}/{int(_get(obj, 'spec', 'replicas', default=1))}"


@_printer("apps", "Deployment",
          _NAME,
          _col("Ready", "string", "Number of the pod with ready state"),
          _col("Up-to-date", "string", "@extensions/v1beta1.DeploymentStatus.updatedReplicas"),
          _col("Available", "string", "@extensions/v1beta1.DeploymentStatus.availableReplicas"),
          _AGE, _CONTAINERS, _IMAGES,
          _col("Selector", "string", "@extensions/v1beta1.DeploymentSpec.selector", 1))
def _print_deployment(obj: dict, now: datetime) -> list:
    try:
        selector = _selector_string(_get(obj, "spec", "selector"))
    except _SelectorError:
        selector = "<invalid>"
    names, images = _containers(_get(obj, "spec", "template", "spec"))
    return [_name(obj), _ready_of_desired(obj), int(_get(obj, "status", "updatedReplicas", default=0)),
            int(_get(obj, "status", "availableReplicas", default=0)), _age(obj, now), names, images, selector]


@_printer("apps", "ReplicaSet",
          _NAME,
          _col("Desired", "integer", "@extensions/v1beta1.ReplicaSetSpec.replicas"),
          _col("Current", "integer", "@extensions/v1beta1.ReplicaSetStatus.replicas"),
          _col("Ready", "integer", "@extensions/v1beta1.ReplicaSetStatus.readyReplicas"),
          _AGE, _CONTAINERS, _IMAGES,
          _col("Selector", "string", "@extensions/v1beta1.ReplicaSetSpec.selector", 1))
def _print_replicaset(obj: dict, now: datetime) -> list:
    names, images = _containers(_get(obj, "spec", "template", "spec"))
    return [_name(obj), int(_get(obj, "spec", "replicas", default=1)), int(_get(obj, "status", "replicas", default=0)),
            int(_get(obj, "status", "readyReplicas", default=0)), _age(obj, now), names, images,
            format_label_selector(_get(obj, "spec", "selector"))]


@_printer("apps", "DaemonSet",
          _NAME,
          _col("Desired", "integer", "@extensions/v1beta1.DaemonSetStatus.desiredNumberScheduled"),
          _col("Current", "integer", "@extensions/v1beta1.DaemonSetStatus.currentNumberScheduled"),
          _col("Ready", "integer", "@extensions/v1beta1.DaemonSetStatus.numberReady"),
          _col("Up-to-date", "integer", "@extensions/v1beta1.DaemonSetStatus.updatedNumberScheduled"),
          _col("Available", "integer", "@extensions/v1beta1.DaemonSetStatus.numberAvailable"),
          _col("Node Selector", "string", "@core/v1.PodSpec.nodeSelector"),
          _AGE, _CONTAINERS, _IMAGES,
          _col("Selector", "string", "@extensions/v1beta1.DaemonSetSpec.selector", 1))
def _print_daemonset(obj: dict, now: datetime) -> list:
    st = obj.get("status") or {}
    names, images = _containers(_get(obj, "spec", "template", "spec"))
    return [_name(obj), int(st.get("desiredNumberScheduled") or 0), int(st.get("currentNumberScheduled") or 0),
            int(st.get("numberReady") or 0), int(st.get("updatedNumberScheduled") or 0),
            int(st.get("numberAvailable") or 0),
            _format_labels(_get(obj, "spec", "template", "spec", "nodeSelector")), _age(obj, now),
            names, images, format_label_selector(_get(obj, "spec", "selector"))]


@_printer("apps", "StatefulSet",
          _NAME,
          _col("Ready", "string", "Number of the pod with ready state"),
          _AGE, _CONTAINERS, _IMAGES)
def _print_statefulset(obj: dict, now: datetime) -> list:
    names, images = _containers(_get(obj, "spec", "template", "spec"))
    return [_name(obj), _ready_of_desired(obj), _age(obj, now), names, images]


def _go_group_kind(api_version: str, kind: str) -> str:
    group = api_version.rsplit("/", 1)[0] if "/" in api_version else ""
    return f"{kind}.{group}" if group else kind


@_printer("apps", "ControllerRevision",
          _NAME,
          _col("Controller", "string", "Controller of the object"),
          _col("Revision", "string", "@apps/v1beta1.ControllerRevision.revision"),
          _AGE)
def _print_controller_revision(obj: dict, now: datetime) -> list:
    controller = "<none>"
    for ref in _get(obj, "metadata", "ownerReferences", default=[]) or []:
        if ref.get("controller"):
            gk = _go_group_kind(ref.get("apiVersion", ""), ref.get("kind", ""))
            controller = f"{gk.lower()}/{ref.get('name', '')}" if gk else ref.get("name", "")
            break
    return [_name(obj), controller, int(obj.get("revision") or 0), _age(obj, now)]


# ---------------------------------------------------------------------------
# batch/v1


@_printer("batch", "Job",
          _NAME,
          _col("Status", "string", "Status of the job."),
          _col("Completions", "string", "@batch/v1.JobStatus.succeeded"),
          _col("Duration", "string", "Time required to complete the job."),
          _AGE, _CONTAINERS, _IMAGES,
          _col("Selector", "string", "@batch/v1.JobSpec.selector", 1))
def _print_job(job: dict, now: datetime) -> list:
    spec = job.get("spec") or {}
    status = job.get("status") or {}
    succeeded = int(status.get("succeeded") or 0)
    if spec.get("completions") is not None:
        completions = f"{succeeded}/{spec['completions']}"
    else:
        parallelism = int(spec.get("parallelism") or 0)
        completions = f"{succeeded}/1 of {parallelism}" if parallelism > 1 else f"{succeeded}/1"
    start = _parse_time(status.get("startTime"))
    end = _parse_time(status.get("completionTime"))
    if start is None:
        duration = ""
    elif end is None:
        duration = human_duration(now - start)
    else:
        duration = human_duration(end - start)
    conditions = status.get("conditions")
    if _condition_true(conditions, "Complete"):
        state = "Complete"
    elif _condition_true(conditions, "Failed"):
        state = "Failed"
    elif _get(job, "metadata", "deletionTimestamp") is not None:
        state = "Terminating"
    elif _condition_true(conditions, "Suspended"):
        state = "Suspended"
    elif _condition_true(conditions, "FailureTarget"):
        state = "FailureTarget"
    else:
        state = "Running"
    names, images = _containers(_get(spec, "template", "spec"))
    return [_name(job), state, completions, duration, _age(job, now), names, images,
            format_label_selector(spec.get("selector"))]


@_printer("batch", "CronJob",
          _NAME,
          _col("Schedule", "string", "@batch/v1beta1.CronJobSpec.schedule"),
          _col("Timezone", "string", "@batch/v1beta1.CronJobSpec.timeZone"),
          _col("Suspend", "boolean", "@batch/v1beta1.CronJobSpec.suspend"),
          _col("Active", "integer", "@batch/v1beta1.CronJobStatus.active"),
          _col("Last Schedule", "string", "@batch/v1beta1.CronJobStatus.lastScheduleTime"),
          _AGE, _CONTAINERS, _IMAGES,
          _col("Selector", "string", "@batch/v1.JobSpec.selector", 1))
def _print_cronjob(cj: dict, now: datetime) -> list:
    spec = cj.get("spec") or {}
    last = _get(cj, "status", "lastScheduleTime")
    job_spec = _get(spec, "jobTemplate", "spec", default={}) or {}
    names, images = _containers(_get(job_spec, "template", "spec"))
    return [_name(cj), spec.get("schedule", ""),
            spec.get("timeZone") if spec.get("timeZone") is not None else "<none>",
            _bool_ptr(spec.get("suspend")), len(_get(cj, "status", "active", default=[]) or []),
            "<none>" if last is None else _since(last, now), _age(cj, now), names, images,
            format_label_selector(job_spec.get("selector"))]


# ---------------------------------------------------------------------------
# autoscaling


def _hpa_metrics(specs: list, statuses: list) -> str:
    if not specs:
        return "<none>"
    items: list[str] = []

    def status_of(i: int, key: str) -> dict | None:
        if len(statuses) > i and statuses[i].get(key) is not None:
            return statuses[i][key]
        return None

    for i, spec in enumerate(specs):
        mtype = spec.get("type")
        if mtype in ("External", "Object"):
            key = "external" if mtype == "External" else "object"
            target = _get(spec, key, "target", default={}) or {}
            cur = status_of(i, key)
            if target.get("averageValue") is not None:
                current = "<unknown>"
                if cur is not None and _get(cur, "current", "averageValue") is not None:
                    current = format_quantity(cur["current"]["averageValue"])
                items.append(f"{current}/{format_quantity(target['averageValue'])} (avg)")
            else:
                current = "<unknown>" if cur is None else format_quantity(_get(cur, "current", "value"))
                items.append(f"{current}/{format_quantity(target.get('value'))}")
        elif mtype == "Pods":
            cur = status_of(i, "pods")
            current = "<unknown>" if cur is None else format_quantity(_get(cur, "current", "averageValue"))
            items.append(f"{current}/{format_quantity(_get(spec, 'pods', 'target', 'averageValue'))}")
        elif mtype in ("Resource", "ContainerResource"):
            key = "resource" if mtype == "Resource" else "containerResource"
            source = spec.get(key) or {}
            target = source.get("target") or {}
            cur = status_of(i, key)
            rname = source.get("name", "")
            if target.get("averageValue") is not None:
                current = "<unknown>" if cur is None else format_quantity(_get(cur, "current", "averageValue"))
                items.append(f"{rname}: {current}/{format_quantity(target['averageValue'])}")
            else:
                current = "<unknown>"
                if cur is not None and _get(cur, "current", "averageUtilization") is not None:
                    current = f"{cur['current']['averageUtilization']}%"
                goal = "<auto>"
                if target.get("averageUtilization") is not None:
                    goal = f"{target['averageUtilization']}%"
                items.append(f"{rname}: {current}/{goal}")
        else:
            items.append("<unknown type>")
    limit = 2
    if len(items) > limit:
        return f"{', '.join(items[:limit])} + {len(items) - limit} more..."
    return ", ".join(items)


@_printer("autoscaling", "HorizontalPodAutoscaler",
          _NAME,
          _col("Reference", "string", "@autoscaling/v2beta1.HorizontalPodAutoscalerSpec.scaleTargetRef"),
          _col("Targets", "string", "@autoscaling/v2beta1.HorizontalPodAutoscalerSpec.metrics"),
          _col("MinPods", "string", "@autoscaling/v2beta1.HorizontalPodAutoscalerSpec.minReplicas"),
          _col("MaxPods", "string", "@autoscaling/v2beta1.HorizontalPodAutoscalerSpec.maxReplicas"),
          _col("Replicas", "string", "@autoscaling/v2beta1.HorizontalPodAutoscalerStatus.currentReplicas"),
          _AGE)
def _print_hpa(hpa: dict, now: datetime) -> list:
    spec = hpa.get("spec") or {}
    ref = spec.get("scaleTargetRef") or {}
    min_pods = "<unset>" if spec.get("minReplicas") is None else str(spec["minReplicas"])
    return [_name(hpa), f"{ref.get('kind', '')}/{ref.get('name', '')}",
            _hpa_metrics(spec.get("metrics") or [], _get(hpa, "status", "currentMetrics", default=[]) or []),
            min_pods, int(spec.get("maxReplicas") or 0), int(_get(hpa, "status", "currentReplicas", default=0)),
            _age(hpa, now)]


@_printer("autoscaling", "Scale",
          _col("Name", "string", "@meta.ObjectMeta.name"),
          _col("Desired", "integer", "@autoscaling/v1.ScaleSpec.replicas"),
          _col("Available", "integer", "@autoscaling/v1.ScaleStatus.replicas"),
          _AGE)
def _print_scale(obj: dict, now: datetime) -> list:
    return [_name(obj), int(_get(obj, "spec", "replicas", default=0)), int(_get(obj, "status", "replicas", default=0)),
            _age(obj, now)]


# ---------------------------------------------------------------------------
# policy, networking, discovery, rbac, certificates, coordination


@_printer("policy", "PodDisruptionBudget",
          _NAME,
          _col("Min Available", "string", "The minimum number of pods that must be available."),
          _col("Max Unavailable", "string", "The maximum number of pods that may be unavailable."),
          _col("Allowed Disruptions", "integer", "Calculated number of pods that may be disrupted at this time."),
          _AGE)
def _print_pdb(obj: dict, now: datetime) -> list:
    spec = obj.get("spec") or {}
    min_av = "N/A" if spec.get("minAvailable") is None else _int_or_string(spec["minAvailable"])
    max_un = "N/A" if spec.get("maxUnavailable") is None else _int_or_string(spec["maxUnavailable"])
    return [_name(obj), min_av, max_un, int(_get(obj, "status", "disruptionsAllowed", default=0)), _age(obj, now)]


def _format_hosts(rules: list) -> str:
    items: list[str] = []
    limit, more = 3, False
    for rule in rules:
        if len(items) == limit:
            more = True
        if not more and rule.get("host"):
            items.append(rule["host"])
    if not items:
        return "*"
    ret = ",".join(items)
    return f"{ret} + {len(rules) - limit} more..." if more else ret


@_printer("networking.k8s.io", "Ingress",
          _NAME,
          _col("Class", "string", "The name of the IngressClass resource that should be used for additional "
                                  "configuration"),
          _col("Hosts", "string", "Hosts that incoming requests are matched against before the ingress rule"),
          _col("Address", "string", "Address is a list containing ingress points for the load-balancer"),
          _col("Ports", "string", "Ports of TLS configurations that open"),
          _AGE)
def _print_ingress(obj: dict, now: datetime) -> list:
    spec = obj.get("spec") or {}
    cls = spec.get("ingressClassName")
    return [_name(obj), "<none>" if cls is None else cls, _format_hosts(spec.get("rules") or []),
            _load_balancer_string(_get(obj, "status", "loadBalancer")),
            "80, 443" if spec.get("tls") else "80", _age(obj, now)]


@_printer("networking.k8s.io", "IngressClass",
          _NAME,
          _col("Controller", "string", "Controller that is responsible for handling this class"),
          _col("Parameters", "string", "A reference to a resource with additional parameters"),
          _AGE)
def _print_ingress_class(obj: dict, now: datetime) -> list:
    params = _get(obj, "spec", "parameters")
    text = "<none>"
    if params is not None:
        text = params.get("kind", "")
        if params.get("apiGroup") is not None:
            text += "." + params["apiGroup"]
        text += "/" + params.get("name", "")
    return [_name(obj), _get(obj, "spec", "controller", default=""), text, _age(obj, now)]


@_printer("networking.k8s.io", "NetworkPolicy",
          _NAME, _col("Pod-Selector", "string", "@extensions/v1beta1.NetworkPolicySpec.podSelector"), _AGE)
def _print_network_policy(obj: dict, now: datetime) -> list:
    return [_name(obj), format_label_selector(_get(obj, "spec", "podSelector", default={})), _age(obj, now)]


@_printer("networking.k8s.io", "ServiceCIDR",
          _NAME, _col("CIDRs", "string", "@networking/v1.ServiceCIDRSpec.cidrs"), _AGE)
def _print_service_cidr(obj: dict, now: datetime) -> list:
    return [_name(obj), ",".join(_get(obj, "spec", "cidrs", default=[]) or []), _age(obj, now)]


@_printer("networking.k8s.io", "IPAddress",
          _NAME, _col("ParentRef", "string", "@networking/v1.IPAddressSpec.parentRef"))
def _print_ip_address(obj: dict, now: datetime) -> list:
    # Upstream declares two columns but prints three cells (the age); kubectl ignores the extra one.
    ref = _get(obj, "spec", "parentRef")
    parent = "<none>"
    if ref is not None:
        gr = ref.get("resource", "")
        if ref.get("group"):
            gr += "." + ref["group"]
        parent = gr.lower()
        if ref.get("namespace"):
            parent += "/" + ref["namespace"]
        parent += "/" + ref.get("name", "")
    return [_name(obj), parent, _age(obj, now)]


def _discovery_list(items: list[str], count: int, limit: int = 3) -> str:
    ret = ",".join(items[:limit])
    if count > limit:
        return f"{ret} + {count - limit} more..."
    return ret or "<unset>"


@_printer("discovery.k8s.io", "EndpointSlice",
          _NAME,
          _col("AddressType", "string", "@discovery/v1beta1.EndpointSlice.addressType"),
          _col("Ports", "string", "@discovery/v1beta1.EndpointSlice.ports"),
          _col("Endpoints", "string", "@discovery/v1beta1.EndpointSlice.endpoints"),
          _AGE)
def _print_endpoint_slice(obj: dict, now: datetime) -> list:
    ports = []
    for p in obj.get("ports") or []:
        if p.get("port") is not None:
            ports.append(str(p["port"]))
        elif p.get("name") is not None:
            ports.append(p["name"])
        else:
            ports.append("*")
    addresses = [a for ep in obj.get("endpoints") or [] for a in ep.get("addresses") or []]
    return [_name(obj), obj.get("addressType", ""), _discovery_list(ports, len(ports)),
            _discovery_list(addresses, len(addresses)), _age(obj, now)]


def _subjects(subjects: list) -> tuple[str, str, str]:
    users, groups, sas = [], [], []
    for s in subjects or []:
        kind = s.get("kind")
        if kind == "ServiceAccount":
            sas.append(f"{s.get('namespace', '')}/{s.get('name', '')}")
        elif kind == "User":
            users.append(s.get("name", ""))
        elif kind == "Group":
            groups.append(s.get("name", ""))
    return ", ".join(users), ", ".join(groups), ", ".join(sas)


def _binding_printer(kind: str, what: str):
    @_printer("rbac.authorization.k8s.io", kind,
              _NAME,
              _col("Role", "string", f"@rbac/v1beta1.{kind}.roleRef"),
              _AGE,
              _col("Users", "string", f"Users in the {what}", 1),
              _col("Groups", "string", f"Groups in the {what}", 1),
              _col("ServiceAccounts", "string", f"ServiceAccounts in the {what}", 1))
    def _print_binding(obj: dict, now: datetime) -> list:
        ref = obj.get("roleRef") or {}
        return [_name(obj), f"{ref.get('kind', '')}/{ref.get('name', '')}", _age(obj, now),
                *_subjects(obj.get("subjects"))]
    return _print_binding


_binding_printer("RoleBinding", "roleBinding")
_binding_printer("ClusterRoleBinding", "clusterRoleBinding")


@_printer("certificates.k8s.io", "CertificateSigningRequest",
          _NAME, _AGE,
          _col("SignerName", "string", "@certificates/v1beta1.CertificateSigningRequestSpec.signerName"),
          _col("Requestor", "string", "@certificates/v1beta1.CertificateSigningRequestSpec.request"),
          _col("RequestedDuration", "string", "@certificates/v1beta1.CertificateSigningRequestSpec.expirationSeconds"),
          _col("Condition", "string", "@certificates/v1beta1.CertificateSigningRequestStatus.conditions"))
def _print_csr(obj: dict, now: datetime) -> list:
    spec = obj.get("spec") or {}
    approved = denied = failed = False
    for c in _get(obj, "status", "conditions", default=[]) or []:
        approved |= c.get("type") == "Approved"
        denied |= c.get("type") == "Denied"
        failed |= c.get("type") == "Failed"
    state = "Denied" if denied else "Approved" if approved else "Pending"
    if failed:
        state += ",Failed"
    if _get(obj, "status", "certificate"):
        state += ",Issued"
    seconds = spec.get("expirationSeconds")
    return [_name(obj), _age(obj, now), spec.get("signerName") or "<none>", spec.get("username", ""),
            "<none>" if seconds is None else human_duration(int(seconds)), state]


@_printer("coordination.k8s.io", "Lease",
          _NAME, _col("Holder", "string", "@coordination/v1.LeaseSpec.holderIdentity"), _AGE)
def _print_lease(obj: dict, now: datetime) -> list:
    return [_name(obj), _get(obj, "spec", "holderIdentity", default=""), _age(obj, now)]


# ---------------------------------------------------------------------------
# storage, scheduling, node


@_printer("storage.k8s.io", "StorageClass",
          _NAME,
          _col("Provisioner", "string", "@storage/v1.StorageClass.provisioner"),
          _col("ReclaimPolicy", "string", "@storage/v1.StorageClass.reclaimPolicy"),
          _col("VolumeBindingMode", "string", "@storage/v1.StorageClass.volumeBindingMode"),
          _col("AllowVolumeExpansion", "string", "@storage/v1.StorageClass.allowVolumeExpansion"),
          _AGE)
def _print_storage_class(obj: dict, now: datetime) -> list:
    name = _name(obj)
    annotations = _get(obj, "metadata", "annotations", default={}) or {}
    if (annotations.get("storageclass.kubernetes.io/is-default-class") == "true"
            or annotations.get("storageclass.beta.kubernetes.io/is-default-class") == "true"):
        name += " (default)"
    return [name, obj.get("provisioner", ""), obj.get("reclaimPolicy") or "Delete",
            obj.get("volumeBindingMode") or "Immediate", bool(obj.get("allowVolumeExpansion") or False),
            _age(obj, now)]


@_printer("storage.k8s.io", "VolumeAttachment",
          _NAME,
          _col("Attacher", "string", "@storage/v1.VolumeAttachmentSpec.attacher", fmt="name"),
          _col("PV", "string", "@storage/v1.VolumeAttachmentSource.persistentVolumeName"),
          _col("Node", "string", "@storage/v1.VolumeAttachmentSpec.nodeName"),
          _col("Attached", "boolean", "@storage/v1.VolumeAttachmentStatus.attached"),
          _AGE)
def _print_volume_attachment(obj: dict, now: datetime) -> list:
    spec = obj.get("spec") or {}
    return [_name(obj), spec.get("attacher", ""), _get(spec, "source", "persistentVolumeName", default=""),
            spec.get("nodeName", ""), bool(_get(obj, "status", "attached", default=False)), _age(obj, now)]


@_printer("storage.k8s.io", "CSINode",
          _NAME,
          _col("Drivers", "integer", "Drivers indicates the number of CSI drivers registered on the node"),
          _AGE)
def _print_csi_node(obj: dict, now: datetime) -> list:
    return [_name(obj), len(_get(obj, "spec", "drivers", default=[]) or []), _age(obj, now)]


@_printer("storage.k8s.io", "CSIDriver",
          _NAME,
          _col("AttachRequired", "boolean", "@storage/v1.CSIDriverSpec.attachRequired"),
          _col("PodInfoOnMount", "boolean", "@storage/v1.CSIDriverSpec.podInfoOnMount"),
          _col("StorageCapacity", "boolean", "@storage/v1.CSIDriverSpec.storageCapacity"),
          _col("TokenRequests", "string", "@storage/v1.CSIDriverSpec.tokenRequests"),
          _col("RequiresRepublish", "boolean", "@storage/v1.CSIDriverSpec.requiresRepublish"),
          _col("Modes", "string", "@storage/v1.CSIDriverSpec.volumeLifecycleModes"),
          _AGE)
def _print_csi_driver(obj: dict, now: datetime) -> list:
    spec = obj.get("spec") or {}
    tokens = spec.get("tokenRequests")
    token_text = "<unset>" if tokens is None else ",".join(t.get("audience", "") for t in tokens)
    modes = ",".join(spec.get("volumeLifecycleModes") or []) or "<none>"
    attach = spec.get("attachRequired")
    return [_name(obj), True if attach is None else bool(attach), bool(spec.get("podInfoOnMount") or False),
            bool(spec.get("storageCapacity") or False), token_text, bool(spec.get("requiresRepublish") or False),
            modes, _age(obj, now)]


@_printer("scheduling.k8s.io", "PriorityClass",
          _NAME,
          _col("Value", "integer", "@scheduling/v1.PriorityClass.value"),
          _col("Global-Default", "boolean", "@scheduling/v1.PriorityClass.globalDefault"),
          _AGE,
          _col("PreemptionPolicy", "string", "@scheduling/v1.PriorityClass.preemptionPolicy", 1))
def _print_priority_class(obj: dict, now: datetime) -> list:
    return [_name(obj), int(obj.get("value") or 0), bool(obj.get("globalDefault") or False), _age(obj, now),
            obj.get("preemptionPolicy") or ""]


@_printer("node.k8s.io", "RuntimeClass",
          _NAME,
          # upstream takes this description from ObjectMeta's docs, which have no "handler" entry
          _col("Handler", "string", ""),
          _AGE)
def _print_runtime_class(obj: dict, now: datetime) -> list:
    return [_name(obj), obj.get("handler", ""), _age(obj, now)]


# ---------------------------------------------------------------------------
# admissionregistration, flowcontrol, apiregistration

_WEBHOOKS = _col("Webhooks", "integer", "Webhooks indicates the number of webhooks registered in this configuration")


@_printer("admissionregistration.k8s.io", "MutatingWebhookConfiguration", _NAME, _WEBHOOKS, _AGE)
def _print_mutating_webhooks(obj: dict, now: datetime) -> list:
    return [_name(obj), len(obj.get("webhooks") or []), _age(obj, now)]


@_printer("admissionregistration.k8s.io", "ValidatingWebhookConfiguration", _NAME, _WEBHOOKS, _AGE)
def _print_validating_webhooks(obj: dict, now: datetime) -> list:
    return [_name(obj), len(obj.get("webhooks") or []), _age(obj, now)]


@_printer("admissionregistration.k8s.io", "ValidatingAdmissionPolicy",
          _NAME,
          _col("Validations", "integer",
               "Validations indicates the number of validation rules defined in this configuration"),
          _col("ParamKind", "string", "ParamKind specifies the kind of resources used to parameterize this policy"),
          _AGE)
def _print_vap(obj: dict, now: datetime) -> list:
    pk = _get(obj, "spec", "paramKind")
    param_kind = "<unset>" if pk is None else f"{pk.get('apiVersion', '')}/{pk.get('kind', '')}"
    return [_name(obj), len(_get(obj, "spec", "validations", default=[]) or []), param_kind, _age(obj, now)]


@_printer("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding",
          _NAME,
          _col("PolicyName", "string", "PolicyName indicates the policy definition which the policy binding binded to"),
          _col("ParamRef", "string", "ParamRef indicates the param resource which sets the configration param"),
          _AGE)
def _print_vapb(obj: dict, now: datetime) -> list:
    ref = _get(obj, "spec", "paramRef")
    param = "<unset>"
    if ref is not None:
        if ref.get("name"):
            param = f"{ref['namespace']}/{ref['name']}" if ref.get("namespace") else f"*/{ref['name']}"
        elif ref.get("selector") is not None:
            param = _label_selector_go_string(ref["selector"])
    return [_name(obj), _get(obj, "spec", "policyName", default=""), param, _age(obj, now)]


@_printer("flowcontrol.apiserver.k8s.io", "FlowSchema",
          _NAME,
          _col("PriorityLevel", "string", "@flowcontrol/v1.PriorityLevelConfigurationReference.name"),
          _col("MatchingPrecedence", "string", "@flowcontrol/v1.FlowSchemaSpec.matchingPrecedence"),
          _col("DistinguisherMethod", "string", "@flowcontrol/v1.FlowSchemaSpec.distinguisherMethod"),
          _AGE,
          _col("MissingPL", "string", "references a broken or non-existent PriorityLevelConfiguration"))
def _print_flow_schema(obj: dict, now: datetime) -> list:
    spec = obj.get("spec") or {}
    method = _get(spec, "distinguisherMethod", "type")
    missing = "?"
    for c in _get(obj, "status", "conditions", default=[]) or []:
        if c.get("type") == "Dangling":
            missing = c.get("status", "")
            break
    return [_name(obj), _get(spec, "priorityLevelConfiguration", "name", default=""),
            int(spec.get("matchingPrecedence") or 0),
            "<none>" if spec.get("distinguisherMethod") is None else (method or ""), _age(obj, now), missing]


@_printer("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration",
          _NAME,
          _col("Type", "string", "@flowcontrol/v1.PriorityLevelConfigurationSpec.type"),
          _col("NominalConcurrencyShares", "string",
               "@flowcontrol/v1.LimitedPriorityLevelConfiguration.nominalConcurrencyShares"),
          _col("Queues", "string", "@flowcontrol/v1.QueuingConfiguration.queues"),
          _col("HandSize", "string", "@flowcontrol/v1.QueuingConfiguration.handSize"),
          _col("QueueLengthLimit", "string", "@flowcontrol/v1.QueuingConfiguration.queueLengthLimit"),
          _AGE)
def _print_priority_level(obj: dict, now: datetime) -> list:
    spec = obj.get("spec") or {}
    ncs: Any = "<none>"
    queues: Any = "<none>"
    hand: Any = "<none>"
    qlen: Any = "<none>"
    limited = spec.get("limited")
    if limited is not None:
        ncs = int(limited.get("nominalConcurrencyShares") or 0)
        queuing = _get(limited, "limitResponse", "queuing")
        if queuing is not None:
            queues = int(queuing.get("queues") or 0)
            hand = int(queuing.get("handSize") or 0)
            qlen = int(queuing.get("queueLengthLimit") or 0)
    return [_name(obj), spec.get("type", ""), ncs, queues, hand, qlen, _age(obj, now)]


@_printer("apiregistration.k8s.io", "APIService",
          _NAME,
          _col("Service", "string", "The reference to the service that hosts this API endpoint."),
          _col("Available", "string", "Whether this service is available."),
          _AGE)
def _print_api_service(obj: dict, now: datetime) -> list:
    svc = _get(obj, "spec", "service")
    service = "Local" if svc is None else f"{svc.get('namespace', '')}/{svc.get('name', '')}"
    available = "Unknown"
    for c in _get(obj, "status", "conditions", default=[]) or []:
        if c.get("type") == "Available":
            if c.get("status") == "True":
                available = "True"
            elif c.get("reason"):
                available = f"{c.get('status', '')} ({c['reason']})"
            else:
                available = c.get("status", "")
            break
    return [_name(obj), service, available, _age(obj, now)]


# ---------------------------------------------------------------------------
# Column descriptions: the 1.33 API documentation (SwaggerDoc) of the fields the
# upstream printers name, taken from k8s.io/api and k8s.io/apimachinery v0.33.0.
# BEGIN GENERATED DOCS
_DOCS: dict[str, str] = {
    "apps/v1beta1.ControllerRevision.revision": (
        "revision indicates the revision of the state represented by Data."
    ),
    "autoscaling/v1.ScaleSpec.replicas": "replicas is the desired number of instances for the scaled object.",
    "autoscaling/v1.ScaleStatus.replicas": (
        "replicas is the actual number of observed instances of the scaled object."
    ),
    "autoscaling/v2beta1.HorizontalPodAutoscalerSpec.maxReplicas": (
        "maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up. It "
        "cannot be less that minReplicas."
    ),
    "autoscaling/v2beta1.HorizontalPodAutoscalerSpec.metrics": (
        "metrics contains the specifications for which to use to calculate the desired replica count (the "
        "maximum replica count across all metrics will be used).  The desired replica count is calculated "
        "multiplying the ratio between the target value and the current value by the current number of pods. "
        " Ergo, metrics used must decrease as the pod count is increased, and vice-versa.  See the "
        "individual metric source types for more information about how each type of metric must respond."
    ),
    "autoscaling/v2beta1.HorizontalPodAutoscalerSpec.minReplicas": (
        "minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down.  "
        "It defaults to 1 pod.  minReplicas is allowed to be 0 if the alpha feature gate HPAScaleToZero is "
        "enabled and at least one Object or External metric is configured.  Scaling is active as long as at "
        "least one metric value is available."
    ),
    "autoscaling/v2beta1.HorizontalPodAutoscalerSpec.scaleTargetRef": (
        "scaleTargetRef points to the target resource to scale, and is used to the pods for which metrics "
        "should be collected, as well as to actually change the replica count."
    ),
    "autoscaling/v2beta1.HorizontalPodAutoscalerStatus.currentReplicas": (
        "currentReplicas is current number of replicas of pods managed by this autoscaler, as last seen by "
        "the autoscaler."
    ),
    "batch/v1.JobSpec.selector": (
        "A label query over pods that should match the pod count. Normally, the system sets this field for "
        "you. More info: "
        "https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors"
    ),
    "batch/v1.JobStatus.succeeded": (
        "The number of pods which reached phase Succeeded. The value increases monotonically for a given "
        "spec. However, it may decrease in reaction to scale down of elastic indexed jobs."
    ),
    "batch/v1beta1.CronJobSpec.schedule": (
        "The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron."
    ),
    "batch/v1beta1.CronJobSpec.suspend": (
        "This flag tells the controller to suspend subsequent executions, it does not apply to already "
        "started executions.  Defaults to false."
    ),
    "batch/v1beta1.CronJobSpec.timeZone": (
        "The time zone name for the given schedule, see "
        "https://en.wikipedia.org/wiki/List_of_tz_database_time_zones. If not specified, this will default "
        "to the time zone of the kube-controller-manager process. The set of valid time zone names and the "
        "time zone offset is loaded from the system-wide time zone database by the API server during CronJob "
        "validation and the controller manager during execution. If no system-wide time zone database can be "
        "found a bundled version of the database is used instead. If the time zone name becomes invalid "
        "during the lifetime of a CronJob or due to a change in host configuration, the controller will stop "
        "creating new new Jobs and will create a system event with the reason UnknownTimeZone. More "
        "information can be found in "
        "https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#time-zones"
    ),
    "batch/v1beta1.CronJobStatus.active": "A list of pointers to currently running jobs.",
    "batch/v1beta1.CronJobStatus.lastScheduleTime": (
        "Information when was the last time the job was successfully scheduled."
    ),
    "certificates/v1beta1.CertificateSigningRequestSpec.expirationSeconds": (
        "expirationSeconds is the requested duration of validity of the issued certificate. The certificate "
        "signer may issue a certificate with a different validity duration so a client must check the delta "
        "between the notBefore and and notAfter fields in the issued certificate to determine the actual "
        "duration.\n\nThe v1.22+ in-tree implementations of the well-known Kubernetes signers will honor this "
        "field as long as the requested duration is not greater than the maximum duration they will honor "
        "per the --cluster-signing-duration CLI flag to the Kubernetes controller manager.\n\nCertificate "
        "signers may not honor this field for various reasons:\n\n  1. Old signer that is unaware of the field "
        "(such as the in-tree\n     implementations prior to v1.22)\n  2. Signer whose configured maximum is "
        "shorter than the requested duration\n  3. Signer whose configured minimum is longer than the "
        "requested duration\n\nThe minimum valid value for expirationSeconds is 600, i.e. 10 minutes."
    ),
    "certificates/v1beta1.CertificateSigningRequestSpec.request": "Base64-encoded PKCS#10 CSR data",
    "certificates/v1beta1.CertificateSigningRequestSpec.signerName": (
        "Requested signer for the request. It is a qualified name in the form: `scope-hostname.io/name`. If "
        "empty, it will be defaulted:\n 1. If it's a kubelet client certificate, it is assigned\n    "
        "\"kubernetes.io/kube-apiserver-client-kubelet\".\n 2. If it's a kubelet serving certificate, it is "
        "assigned\n    \"kubernetes.io/kubelet-serving\".\n 3. Otherwise, it is assigned "
        "\"kubernetes.io/legacy-unknown\".\nDistribution of trust for signers happens out of band. You can "
        "select on this field using `spec.signerName`."
    ),
    "certificates/v1beta1.CertificateSigningRequestStatus.conditions": (
        "Conditions applied to the request, such as approval or denial."
    ),
    "coordination/v1.LeaseSpec.holderIdentity": (
        "holderIdentity contains the identity of the holder of a current lease. If Coordinated Leader "
        "Election is used, the holder identity must be equal to the elected LeaseCandidate.metadata.name "
        "field."
    ),
    "core/v1.ConfigMap.data": (
        "Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' or "
        "'.'. Values with non-UTF-8 byte sequences must use the BinaryData field. The keys stored in Data "
        "must not overlap with the keys in the BinaryData field, this is enforced during validation process."
    ),
    "core/v1.Endpoints.subsets": (
        "The set of all endpoints is the union of all subsets. Addresses are placed into subsets according "
        "to the IPs they share. A single address with multiple ports, some of which are ready and some of "
        "which are not (because they come from different containers) will result in the address being "
        "displayed in different subsets for the different ports. No address will appear in both Addresses "
        "and NotReadyAddresses in the same subset. Sets of addresses and ports that comprise a service."
    ),
    "core/v1.Event.count": "The number of times this event has occurred.",
    "core/v1.Event.firstTimestamp": (
        "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)"
    ),
    "core/v1.Event.involvedObject": "The object that this event is about.",
    "core/v1.Event.lastTimestamp": "The time at which the most recent occurrence of this event was recorded.",
    "core/v1.Event.message": "A human-readable description of the status of this operation.",
    "core/v1.Event.reason": (
        "This should be a short, machine understandable string that gives the reason for the transition into "
        "the object's current status."
    ),
    "core/v1.Event.source": (
        "The component reporting this event. Should be a short machine understandable string."
    ),
    "core/v1.Event.type": "Type of this event (Normal, Warning), new types could be added in the future",
    "core/v1.NodeStatus.addresses": (
        "List of addresses reachable to the node. Queried from cloud provider, if available. More info: "
        "https://kubernetes.io/docs/reference/node/node-status/#addresses Note: This field is declared as "
        "mergeable, but the merge key is not sufficiently unique, which can cause data corruption when it is "
        "merged. Callers should instead use a full-replacement patch. See https://pr.k8s.io/79391 for an "
        "example. Consumers should assume that addresses can change during the lifetime of a Node. However, "
        "there are some exceptions where this may not be possible, such as Pods that inherit a Node's "
        "address in its own status or consumers of the downward API (status.hostIP)."
    ),
    "core/v1.NodeSystemInfo.containerRuntimeVersion": (
        "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2)."
    ),
    "core/v1.NodeSystemInfo.kernelVersion": (
        "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64)."
    ),
    "core/v1.NodeSystemInfo.kubeletVersion": "Kubelet Version reported by the node.",
    "core/v1.NodeSystemInfo.osImage": (
        "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy))."
    ),
    "core/v1.ObjectReference.fieldPath": (
        "If referring to a piece of an object instead of an entire object, this string should contain a "
        "valid JSON/Go field access statement, such as desiredState.manifest.containers[2]. For example, if "
        "the object reference is to a container within a pod, this would take on a value like: "
        "\"spec.containers{name}\" (where \"name\" refers to the name of the container that triggered the event) "
        "or if no container name is specified \"spec.containers[2]\" (container with index 2 in this pod). "
        "This syntax is chosen only to have some well-defined way of referencing a part of an object."
    ),
    "core/v1.PersistentVolumeClaimSpec.volumeMode": (
        "volumeMode defines what type of volume is required by the claim. Value of Filesystem is implied "
        "when not included in claim spec."
    ),
    "core/v1.PersistentVolumeClaimSpec.volumeName": (
        "volumeName is the binding reference to the PersistentVolume backing this claim."
    ),
    "core/v1.PersistentVolumeClaimStatus.accessModes": (
        "accessModes contains the actual access modes the volume backing the PVC has. More info: "
        "https://kubernetes.io/docs/concepts/storage/persistent-volumes#access-modes-1"
    ),
    "core/v1.PersistentVolumeClaimStatus.capacity": (
        "capacity represents the actual resources of the underlying volume."
    ),
    "core/v1.PersistentVolumeClaimStatus.phase": (
        "phase represents the current phase of PersistentVolumeClaim."
    ),
    "core/v1.PersistentVolumeSpec.accessModes": (
        "accessModes contains all ways the volume can be mounted. More info: "
        "https://kubernetes.io/docs/concepts/storage/persistent-volumes#access-modes"
    ),
    "core/v1.PersistentVolumeSpec.capacity": (
        "capacity is the description of the persistent volume's resources and capacity. More info: "
        "https://kubernetes.io/docs/concepts/storage/persistent-volumes#capacity"
    ),
    "core/v1.PersistentVolumeSpec.claimRef": (
        "claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim. "
        "Expected to be non-nil when bound. claim.VolumeName is the authoritative bind between PV and PVC. "
        "More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#binding"
    ),
    "core/v1.PersistentVolumeSpec.persistentVolumeReclaimPolicy": (
        "persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its "
        "claim. Valid options are Retain (default for manually created PersistentVolumes), Delete (default "
        "for dynamically provisioned PersistentVolumes), and Recycle (deprecated). Recycle must be supported "
        "by the volume plugin underlying this PersistentVolume. More info: "
        "https://kubernetes.io/docs/concepts/storage/persistent-volumes#reclaiming"
    ),
    "core/v1.PersistentVolumeSpec.volumeMode": (
        "volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in "
        "raw block state. Value of Filesystem is implied when not included in spec."
    ),
    "core/v1.PersistentVolumeStatus.phase": (
        "phase indicates if a volume is available, bound to a claim, or released by a claim. More info: "
        "https://kubernetes.io/docs/concepts/storage/persistent-volumes#phase"
    ),
    "core/v1.PersistentVolumeStatus.reason": (
        "reason is a brief CamelCase string that describes any failure and is meant for machine parsing and "
        "tidy display in the CLI."
    ),
    "core/v1.PodSpec.nodeName": (
        "NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for "
        "scheduling by the scheduler defined in schedulerName. Once this field is set, the kubelet for this "
        "node becomes responsible for the lifecycle of this pod. This field should not be used to express a "
        "desire for the pod to be scheduled on a specific node. "
        "https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodename"
    ),
    "core/v1.PodSpec.nodeSelector": (
        "NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must "
        "match a node's labels for the pod to be scheduled on that node. More info: "
        "https://kubernetes.io/docs/concepts/configuration/assign-pod-node/"
    ),
    "core/v1.PodSpec.readinessGates": (
        "If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its "
        "containers are ready AND all conditions specified in the readiness gates have status equal to "
        "\"True\" More info: https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates"
    ),
    "core/v1.PodStatus.nominatedNodeName": (
        "nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be "
        "scheduled right away as preemption victims receive their graceful termination periods. This field "
        "does not guarantee that the pod will be scheduled on this node. Scheduler may decide to place the "
        "pod elsewhere if other nodes become available sooner. Scheduler may also decide to give the "
        "resources on this node to a higher priority pod that is created after preemption. As a result, this "
        "field may be different than PodSpec.nodeName when the pod is scheduled."
    ),
    "core/v1.PodStatus.podIP": (
        "podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet "
        "allocated."
    ),
    "core/v1.ReplicationControllerSpec.replicas": (
        "Replicas is the number of desired replicas. This is a pointer to distinguish between explicit zero "
        "and unspecified. Defaults to 1. More info: "
        "https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller#what-is-a-replicationcontroller"
    ),
    "core/v1.ReplicationControllerSpec.selector": (
        "Selector is a label query over pods that should match the Replicas count. If Selector is empty, it "
        "is defaulted to the labels present on the Pod template. Label keys and values that must match in "
        "order to be controlled by this replication controller, if empty defaulted to labels on Pod "
        "template. More info: "
        "https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors"
    ),
    "core/v1.ReplicationControllerStatus.readyReplicas": (
        "The number of ready replicas for this replication controller."
    ),
    "core/v1.ReplicationControllerStatus.replicas": (
        "Replicas is the most recently observed number of replicas. More info: "
        "https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller#what-is-a-replicationcontroller"
    ),
    "core/v1.Secret.data": (
        "Data contains the secret data. Each key must consist of alphanumeric characters, '-', '_' or '.'. "
        "The serialized form of the secret data is a base64 encoded string, representing the arbitrary "
        "(possibly non-string) data value here. Described in https://tools.ietf.org/html/rfc4648#section-4"
    ),
    "core/v1.Secret.type": (
        "Used to facilitate programmatic handling of secret data. More info: "
        "https://kubernetes.io/docs/concepts/configuration/secret/#secret-types"
    ),
    "core/v1.ServiceAccount.secrets": (
        "Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount "
        "are allowed to use. Pods are only limited to this list if this service account has a "
        "\"kubernetes.io/enforce-mountable-secrets\" annotation set to \"true\". The "
        "\"kubernetes.io/enforce-mountable-secrets\" annotation is deprecated since v1.32. Prefer separate "
        "namespaces to isolate access to mounted secrets. This field should not be used to find "
        "auto-generated service account token secrets for use outside of pods. Instead, tokens can be "
        "requested directly using the TokenRequest API, or service account token secrets can be manually "
        "created. More info: https://kubernetes.io/docs/concepts/configuration/secret"
    ),
    "core/v1.ServiceSpec.clusterIP": (
        "clusterIP is the IP address of the service and is usually assigned randomly. If an address is "
        "specified manually, is in-range (as per system configuration), and is not in use, it will be "
        "allocated to the service; otherwise creation of the service will fail. This field may not be "
        "changed through updates unless the type field is also being changed to ExternalName (which requires "
        "this field to be blank) or the type field is being changed from ExternalName (in which case this "
        "field may optionally be specified, as describe above).  Valid values are \"None\", empty string (\"\"), "
        "or a valid IP address. Setting this to \"None\" makes a \"headless service\" (no virtual IP), which is "
        "useful when direct endpoint connections are preferred and proxying is not required.  Only applies "
        "to types ClusterIP, NodePort, and LoadBalancer. If this field is specified when creating a Service "
        "of type ExternalName, creation will fail. This field will be wiped when updating a Service to type "
        "ExternalName. More info: "
        "https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies"
    ),
    "core/v1.ServiceSpec.externalIPs": (
        "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for "
        "this service.  These IPs are not managed by Kubernetes.  The user is responsible for ensuring that "
        "traffic arrives at a node with this IP.  A common example is external load-balancers that are not "
        "part of the Kubernetes system."
    ),
    "core/v1.ServiceSpec.ports": (
        "The list of ports that are exposed by this service. More info: "
        "https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies"
    ),
    "core/v1.ServiceSpec.selector": (
        "Route service traffic to pods with label keys and values matching this selector. If empty or not "
        "present, the service is assumed to have an external process managing its endpoints, which "
        "Kubernetes will not modify. Only applies to types ClusterIP, NodePort, and LoadBalancer. Ignored if "
        "type is ExternalName. More info: https://kubernetes.io/docs/concepts/services-networking/service/"
    ),
    "core/v1.ServiceSpec.type": (
        "type determines how the Service is exposed. Defaults to ClusterIP. Valid options are ExternalName, "
        "ClusterIP, NodePort, and LoadBalancer. \"ClusterIP\" allocates a cluster-internal IP address for "
        "load-balancing to endpoints. Endpoints are determined by the selector or if that is not specified, "
        "by manual construction of an Endpoints object or EndpointSlice objects. If clusterIP is \"None\", no "
        "virtual IP is allocated and the endpoints are published as a set of endpoints rather than a virtual "
        "IP. \"NodePort\" builds on ClusterIP and allocates a port on every node which routes to the same "
        "endpoints as the clusterIP. \"LoadBalancer\" builds on NodePort and creates an external load-balancer "
        "(if supported in the current cloud) which routes to the same endpoints as the clusterIP. "
        "\"ExternalName\" aliases this service to the specified externalName. Several other fields do not "
        "apply to ExternalName services. More info: "
        "https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types"
    ),
    "discovery/v1beta1.EndpointSlice.addressType": (
        "addressType specifies the type of address carried by this EndpointSlice. All addresses in this "
        "slice must be the same type. This field is immutable after creation. The following address types "
        "are currently supported: * IPv4: Represents an IPv4 Address. * IPv6: Represents an IPv6 Address. * "
        "FQDN: Represents a Fully Qualified Domain Name."
    ),
    "discovery/v1beta1.EndpointSlice.endpoints": (
        "endpoints is a list of unique endpoints in this slice. Each slice may include a maximum of 1000 "
        "endpoints."
    ),
    "discovery/v1beta1.EndpointSlice.ports": (
        "ports specifies the list of network ports exposed by each endpoint in this slice. Each port must "
        "have a unique name. When ports is empty, it indicates that there are no defined ports. When a port "
        "is defined with a nil port value, it indicates \"all ports\". Each slice may include a maximum of 100 "
        "ports."
    ),
    "extensions/v1beta1.DaemonSetSpec.selector": (
        "A label query over pods that are managed by the daemon set. Must match in order to be controlled. "
        "If empty, defaulted to labels on Pod template. More info: "
        "https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors"
    ),
    "extensions/v1beta1.DaemonSetStatus.currentNumberScheduled": (
        "The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod. "
        "More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/"
    ),
    "extensions/v1beta1.DaemonSetStatus.desiredNumberScheduled": (
        "The total number of nodes that should be running the daemon pod (including nodes correctly running "
        "the daemon pod). More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/"
    ),
    "extensions/v1beta1.DaemonSetStatus.numberAvailable": (
        "The number of nodes that should be running the daemon pod and have one or more of the daemon pod "
        "running and available (ready for at least spec.minReadySeconds)"
    ),
    "extensions/v1beta1.DaemonSetStatus.numberReady": (
        "The number of nodes that should be running the daemon pod and have one or more of the daemon pod "
        "running and ready."
    ),
    "extensions/v1beta1.DaemonSetStatus.updatedNumberScheduled": (
        "The total number of nodes that are running updated daemon pod"
    ),
    "extensions/v1beta1.DeploymentSpec.selector": (
        "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones "
        "affected by this deployment."
    ),
    "extensions/v1beta1.DeploymentStatus.availableReplicas": (
        "Total number of available non-terminating pods (ready for at least minReadySeconds) targeted by "
        "this deployment."
    ),
    "extensions/v1beta1.DeploymentStatus.updatedReplicas": (
        "Total number of non-terminating pods targeted by this deployment that have the desired template "
        "spec."
    ),
    "extensions/v1beta1.NetworkPolicySpec.podSelector": (
        "Selects the pods to which this NetworkPolicy object applies.  The array of ingress rules is applied "
        "to any pods selected by this field. Multiple network policies can select the same set of pods.  In "
        "this case, the ingress rules for each are combined additively. This field is NOT optional and "
        "follows standard label selector semantics. An empty podSelector matches all pods in this namespace."
    ),
    "extensions/v1beta1.ReplicaSetSpec.replicas": (
        "Replicas is the number of desired pods. This is a pointer to distinguish between explicit zero and "
        "unspecified. Defaults to 1. More info: "
        "https://kubernetes.io/docs/concepts/workloads/controllers/replicaset"
    ),
    "extensions/v1beta1.ReplicaSetSpec.selector": (
        "Selector is a label query over pods that should match the replica count. If the selector is empty, "
        "it is defaulted to the labels present on the pod template. Label keys and values that must match in "
        "order to be controlled by this replica set. More info: "
        "https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors"
    ),
    "extensions/v1beta1.ReplicaSetStatus.readyReplicas": (
        "The number of non-terminating pods targeted by this ReplicaSet with a Ready Condition."
    ),
    "extensions/v1beta1.ReplicaSetStatus.replicas": (
        "Replicas is the most recently observed number of non-terminating pods. More info: "
        "https://kubernetes.io/docs/concepts/workloads/controllers/replicaset"
    ),
    "flowcontrol/v1.FlowSchemaSpec.distinguisherMethod": (
        "`distinguisherMethod` defines how to compute the flow distinguisher for requests that match this "
        "schema. `nil` specifies that the distinguisher is disabled and thus will always be the empty string."
    ),
    "flowcontrol/v1.FlowSchemaSpec.matchingPrecedence": (
        "`matchingPrecedence` is used to choose among the FlowSchemas that match a given request. The chosen "
        "FlowSchema is among those with the numerically lowest (which we take to be logically highest) "
        "MatchingPrecedence.  Each MatchingPrecedence value must be ranged in [1,10000]. Note that if the "
        "precedence is not specified, it will be set to 1000 as default."
    ),
    "flowcontrol/v1.LimitedPriorityLevelConfiguration.nominalConcurrencyShares": (
        "`nominalConcurrencyShares` (NCS) contributes to the computation of the NominalConcurrencyLimit "
        "(NominalCL) of this level. This is the number of execution seats available at this priority level. "
        "This is used both for requests dispatched from this priority level as well as requests dispatched "
        "from other priority levels borrowing seats from this level. The server's concurrency limit "
        "(ServerCL) is divided among the Limited priority levels in proportion to their NCS "
        "values:\n\nNominalCL(i)  = ceil( ServerCL * NCS(i) / sum_ncs ) sum_ncs = sum[priority level k] "
        "NCS(k)\n\nBigger numbers mean a larger nominal concurrency limit, at the expense of every other "
        "priority level.\n\nIf not specified, this field defaults to a value of 30.\n\nSetting this field to "
        "zero supports the construction of a \"jail\" for this priority level that is used to hold some "
        "request(s)"
    ),
    "flowcontrol/v1.PriorityLevelConfigurationReference.name": (
        "`name` is the name of the priority level configuration being referenced Required."
    ),
    "flowcontrol/v1.PriorityLevelConfigurationSpec.type": (
        "`type` indicates whether this priority level is subject to limitation on request execution.  A "
        "value of `\"Exempt\"` means that requests of this priority level are not subject to a limit (and thus "
        "are never queued) and do not detract from the capacity made available to other priority levels.  A "
        "value of `\"Limited\"` means that (a) requests of this priority level _are_ subject to limits and (b) "
        "some of the server's limited capacity is made available exclusively to this priority level. "
        "Required."
    ),
    "flowcontrol/v1.QueuingConfiguration.handSize": (
        "`handSize` is a small positive number that configures the shuffle sharding of requests into queues. "
        " When enqueuing a request at this priority level the request's flow identifier (a string pair) is "
        "hashed and the hash value is used to shuffle the list of queues and deal a hand of the size "
        "specified here.  The request is put into one of the shortest queues in that hand. `handSize` must "
        "be no larger than `queues`, and should be significantly smaller (so that a few heavy flows do not "
        "saturate most of the queues).  See the user-facing documentation for more extensive guidance on "
        "setting this field.  This field has a default value of 8."
    ),
    "flowcontrol/v1.QueuingConfiguration.queueLengthLimit": (
        "`queueLengthLimit` is the maximum number of requests allowed to be waiting in a given queue of this "
        "priority level at a time; excess requests are rejected.  This value must be positive.  If not "
        "specified, it will be defaulted to 50."
    ),
    "flowcontrol/v1.QueuingConfiguration.queues": (
        "`queues` is the number of queues for this priority level. The queues exist independently at each "
        "apiserver. The value must be positive.  Setting it to 1 effectively precludes shufflesharding and "
        "thus makes the distinguisher method of associated flow schemas irrelevant.  This field has a "
        "default value of 64."
    ),
    "meta.ObjectMeta.creationTimestamp": (
        "CreationTimestamp is a timestamp representing the server time when this object was created. It is "
        "not guaranteed to be set in happens-before order across separate operations. Clients may not set "
        "this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. "
        "Null for lists. More info: "
        "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"
    ),
    "meta.ObjectMeta.name": (
        "Name must be unique within a namespace. Is required when creating resources, although some "
        "resources may allow a client to request the generation of an appropriate name automatically. Name "
        "is primarily intended for creation idempotence and configuration definition. Cannot be updated. "
        "More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"
    ),
    "networking/v1.IPAddressSpec.parentRef": (
        "ParentRef references the resource that an IPAddress is attached to. An IPAddress must reference a "
        "parent object."
    ),
    "networking/v1.ServiceCIDRSpec.cidrs": (
        "CIDRs defines the IP blocks in CIDR notation (e.g. \"192.168.0.0/24\" or \"2001:db8::/64\") from which "
        "to assign service cluster IPs. Max of two CIDRs is allowed, one of each IP family. This field is "
        "immutable."
    ),
    "rbac/v1beta1.ClusterRoleBinding.roleRef": (
        "RoleRef can only reference a ClusterRole in the global namespace. If the RoleRef cannot be "
        "resolved, the Authorizer must return an error."
    ),
    "rbac/v1beta1.RoleBinding.roleRef": (
        "RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace. If "
        "the RoleRef cannot be resolved, the Authorizer must return an error."
    ),
    "scheduling/v1.PriorityClass.globalDefault": (
        "globalDefault specifies whether this PriorityClass should be considered as the default priority for "
        "pods that do not have any priority class. Only one PriorityClass can be marked as `globalDefault`. "
        "However, if more than one PriorityClasses exists with their `globalDefault` field set to true, the "
        "smallest value of such global default PriorityClasses will be used as the default priority."
    ),
    "scheduling/v1.PriorityClass.preemptionPolicy": (
        "preemptionPolicy is the Policy for preempting pods with lower priority. One of Never, "
        "PreemptLowerPriority. Defaults to PreemptLowerPriority if unset."
    ),
    "scheduling/v1.PriorityClass.value": (
        "value represents the integer value of this priority class. This is the actual priority that pods "
        "receive when they have the name of this class in their pod spec."
    ),
    "storage/v1.CSIDriverSpec.attachRequired": (
        "attachRequired indicates this CSI volume driver requires an attach operation (because it implements "
        "the CSI ControllerPublishVolume() method), and that the Kubernetes attach detach controller should "
        "call the attach volume interface which checks the volumeattachment status and waits until the "
        "volume is attached before proceeding to mounting. The CSI external-attacher coordinates with CSI "
        "volume driver and updates the volumeattachment status when the attach operation is complete. If the "
        "CSIDriverRegistry feature gate is enabled and the value is specified to false, the attach operation "
        "will be skipped. Otherwise the attach operation will be called.\n\nThis field is immutable."
    ),
    "storage/v1.CSIDriverSpec.podInfoOnMount": (
        "podInfoOnMount indicates this CSI volume driver requires additional pod information (like podName, "
        "podUID, etc.) during mount operations, if set to true. If set to false, pod information will not be "
        "passed on mount. Default is false.\n\nThe CSI driver specifies podInfoOnMount as part of driver "
        "deployment. If true, Kubelet will pass pod information as VolumeContext in the CSI "
        "NodePublishVolume() calls. The CSI driver is responsible for parsing and validating the information "
        "passed in as VolumeContext.\n\nThe following VolumeContext will be passed if podInfoOnMount is set to "
        "true. This list might grow, but the prefix will be used. \"csi.storage.k8s.io/pod.name\": pod.Name "
        "\"csi.storage.k8s.io/pod.namespace\": pod.Namespace \"csi.storage.k8s.io/pod.uid\": string(pod.UID) "
        "\"csi.storage.k8s.io/ephemeral\": \"true\" if the volume is an ephemeral inline volume\n                 "
        "               defined by a CSIVolumeSource, otherwise \"false\"\n\n\"csi.storage.k8s.io/ephemeral\" is a "
        "new feature in Kubernetes 1.16. It is only required for drivers which support both the \"Persistent\" "
        "and \"Ephemeral\" VolumeLifecycleMode. Other drivers can leave pod info disabled and/or ignore this "
        "field. As Kubernetes 1.15 doesn't support this field, drivers can only support one mode when "
        "deployed on such a cluster and the deployment determines which mode that is, for example via a "
        "command line parameter of the driver.\n\nThis field was immutable in Kubernetes < 1.29 and now is "
        "mutable."
    ),
    "storage/v1.CSIDriverSpec.requiresRepublish": (
        "requiresRepublish indicates the CSI driver wants `NodePublishVolume` being periodically called to "
        "reflect any possible change in the mounted volume. This field defaults to false.\n\nNote: After a "
        "successful initial NodePublishVolume call, subsequent calls to NodePublishVolume should only update "
        "the contents of the volume. New mount points will not be seen by a running container."
    ),
    "storage/v1.CSIDriverSpec.storageCapacity": (
        "storageCapacity indicates that the CSI volume driver wants pod scheduling to consider the storage "
        "capacity that the driver deployment will report by creating CSIStorageCapacity objects with "
        "capacity information, if set to true.\n\nThe check can be enabled immediately when deploying a "
        "driver. In that case, provisioning new volumes with late binding will pause until the driver "
        "deployment has published some suitable CSIStorageCapacity object.\n\nAlternatively, the driver can be "
        "deployed with the field unset or false and it can be flipped later when storage capacity "
        "information has been published.\n\nThis field was immutable in Kubernetes <= 1.22 and now is mutable."
    ),
    "storage/v1.CSIDriverSpec.tokenRequests": (
        "tokenRequests indicates the CSI driver needs pods' service account tokens it is mounting volume for "
        "to do necessary authentication. Kubelet will pass the tokens in VolumeContext in the CSI "
        "NodePublishVolume calls. The CSI driver should parse and validate the following VolumeContext: "
        "\"csi.storage.k8s.io/serviceAccount.tokens\": {\n  \"<audience>\": {\n    \"token\": <token>,\n    "
        "\"expirationTimestamp\": <expiration timestamp in RFC3339>,\n  },\n  ...\n}\n\nNote: Audience in each "
        "TokenRequest should be different and at most one token is empty string. To receive a new token "
        "after expiry, RequiresRepublish can be used to trigger NodePublishVolume periodically."
    ),
    "storage/v1.CSIDriverSpec.volumeLifecycleModes": (
        "volumeLifecycleModes defines what kind of volumes this CSI volume driver supports. The default if "
        "the list is empty is \"Persistent\", which is the usage defined by the CSI specification and "
        "implemented in Kubernetes via the usual PV/PVC mechanism.\n\nThe other mode is \"Ephemeral\". In this "
        "mode, volumes are defined inline inside the pod spec with CSIVolumeSource and their lifecycle is "
        "tied to the lifecycle of that pod. A driver has to be aware of this because it is only going to get "
        "a NodePublishVolume call for such a volume.\n\nFor more information about implementing this mode, see "
        "https://kubernetes-csi.github.io/docs/ephemeral-local-volumes.html A driver can support one or more "
        "of these modes and more modes may be added in the future.\n\nThis field is beta. This field is "
        "immutable."
    ),
    "storage/v1.StorageClass.allowVolumeExpansion": (
        "allowVolumeExpansion shows whether the storage class allow volume expand."
    ),
    "storage/v1.StorageClass.provisioner": "provisioner indicates the type of the provisioner.",
    "storage/v1.StorageClass.reclaimPolicy": (
        "reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this "
        "storage class. Defaults to Delete."
    ),
    "storage/v1.StorageClass.volumeBindingMode": (
        "volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.  When "
        "unset, VolumeBindingImmediate is used. This field is only honored by servers that enable the "
        "VolumeScheduling feature."
    ),
    "storage/v1.VolumeAttachmentSource.persistentVolumeName": (
        "persistentVolumeName represents the name of the persistent volume to attach."
    ),
    "storage/v1.VolumeAttachmentSpec.attacher": (
        "attacher indicates the name of the volume driver that MUST handle this request. This is the name "
        "returned by GetPluginName()."
    ),
    "storage/v1.VolumeAttachmentSpec.nodeName": (
        "nodeName represents the node that the volume should be attached to."
    ),
    "storage/v1.VolumeAttachmentStatus.attached": (
        "attached indicates the volume is successfully attached. This field must only be set by the entity "
        "completing the attach operation, i.e. the external-attacher."
    ),
}
# END GENERATED DOCS
