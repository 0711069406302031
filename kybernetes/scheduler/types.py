"""The scheduler's data model, shared by the framework, the plugins, the cache and the queue.

Objects from the API stay plain dicts (``pod``, ``node``); what scheduling reads over and
over is parsed once into:

* :class:`Resource` -- a bundle of quantities in integer units (milli-CPU, bytes, pods,
  extended resources), and :func:`pod_requests` which sums a pod's requests the way
  upstream does (init containers, restartable "sidecar" init containers, overhead);
* :class:`PodInfo` -- a pod with its requests and its parsed affinity terms;
* :class:`NodeInfo` -- a node with the pods on it and what they add up to (requested
  resources, host ports, pods with affinity), kept by the scheduler cache so that a
  scheduling cycle never scans the API;
* :class:`Snapshot` -- the NodeInfos a scheduling cycle sees, fixed for that cycle;
* :class:`Status` and :class:`Code` -- what a plugin answers; :class:`CycleState` --
  per-cycle scratch space plugins share between extension points.
"""

from __future__ import annotations

import copy
import enum
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..api.quantity import QuantityError, parse_quantity
from ..api.selectors import LabelSelector, SelectorError, label_selector_from_dict

__all__ = [
    "DEFAULT_MEMORY_REQUEST", "DEFAULT_MILLI_CPU_REQUEST", "MAX_NODE_SCORE", "MIN_NODE_SCORE",
    "AffinityTerm", "Code", "CycleState", "HostPort", "NodeInfo", "NodeScore", "PodInfo", "Resource", "Snapshot",
    "Status", "WeightedAffinityTerm", "pod_key", "pod_requests",
]

MAX_NODE_SCORE = 100
MIN_NODE_SCORE = 0
# What scoring assumes for a container that requests nothing (upstream's non-zero defaults),
# so that BestEffort pods still spread instead of piling onto one node.
DEFAULT_MILLI_CPU_REQUEST = 100
DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024

CPU, MEMORY, EPHEMERAL_STORAGE, PODS = "cpu", "memory", "ephemeral-storage", "pods"


def pod_key(pod: Mapping[str, Any]) -> str:
    meta = pod.get("metadata") or {}
    return f"{meta.get('namespace', '')}/{meta.get('name', '')}"


# ---------------------------------------------------------------------------- status
class Code(enum.IntEnum):
    """A plugin's verdict (upstream's framework.Code)."""
    SUCCESS = 0
    ERROR = 1
    UNSCHEDULABLE = 2                     # may fit after preemption or a cluster change
    UNSCHEDULABLE_AND_UNRESOLVABLE = 3    # preemption on this node cannot help
    WAIT = 4                              # Permit: hold the pod
    SKIP = 5                              # PreFilter/PreScore: this plugin has nothing to do
    PENDING = 6                           # waiting on something outside the scheduler


class Status:
    """``Status()`` is success. ``reasons`` are the human messages that end up in the
    FailedScheduling event ("Insufficient cpu", "node(s) had untolerated taint ...")."""

    __slots__ = ("code", "plugin", "reasons")

    def __init__(self, code: Code = Code.SUCCESS, *reasons: str, plugin: str = "") -> None:
        self.code = code
        self.reasons: list[str] = list(reasons)
        self.plugin = plugin

    @classmethod
    def unschedulable(cls, *reasons: str, plugin: str = "") -> Status:
        return cls(Code.UNSCHEDULABLE, *reasons, plugin=plugin)

    @classmethod
    def unresolvable(cls, *reasons: str, plugin: str = "") -> Status:
        return cls(Code.UNSCHEDULABLE_AND_UNRESOLVABLE, *reasons, plugin=plugin)

    @classmethod
    def error(cls, reason: str, plugin: str = "") -> Status:
        return cls(Code.ERROR, reason, plugin=plugin)

    @property
    def ok(self) -> bool:
        return self.code == Code.SUCCESS

    @property
    def is_rejected(self) -> bool:
        return self.code in (Code.UNSCHEDULABLE, Code.UNSCHEDULABLE_AND_UNRESOLVABLE, Code.PENDING)

    @property
    def message(self) -> str:
        return ", ".join(self.reasons)

    def __repr__(self) -> str:
        return f"Status({self.code.name}, {self.reasons!r}, plugin={self.plugin!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Status) and (self.code, self.reasons) == (other.code, other.reasons)


# A shared success answer for the hot per-node plugin methods (Filter/Score), which the
# framework never stamps or mutates (it stamps only rejections). Extension points whose
# success statuses do get ``plugin`` set (Bind, PostFilter) must keep returning fresh ones.
SUCCESS = Status()


# ---------------------------------------------------------------------------- resources
@dataclass(slots=True)
class Resource:
    """Quantities in integer units: milli-CPU, bytes, a pod count, and extended resources
    (``nvidia.com/gpu``, ``hugepages-2Mi`` ...) in their own base units."""

    milli_cpu: int = 0
    memory: int = 0
    ephemeral_storage: int = 0
    allowed_pod_number: int = 0
    scalar: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_list(cls, rl: Mapping[str, Any] | None) -> Resource:
        """From a ResourceList (``{"cpu": "500m", "memory": "1Gi", ...}``); bad quantities count as 0."""
        r = cls()
        for name, q in (rl or {}).items():
            try:
                v = parse_quantity(q)
            except (QuantityError, ValueError, TypeError):
                continue
            if name == CPU:
                r.milli_cpu = _ceil(v * 1000)
            elif name == MEMORY:
                r.memory = _ceil(v)
            elif name == EPHEMERAL_STORAGE:
                r.ephemeral_storage = _ceil(v)
            elif name == PODS:
                r.allowed_pod_number = _ceil(v)
            elif _is_scalar(name):
                r.scalar[name] = _ceil(v)
        return r

    def add(self, other: Resource) -> None:
        self.milli_cpu += other.milli_cpu
        self.memory += other.memory
        self.ephemeral_storage += other.ephemeral_storage
        self.allowed_pod_number += other.allowed_pod_number
        for k, v in other.scalar.items():
            self.scalar[k] = self.scalar.get(k, 0) + v

    def sub(self, other: Resource) -> None:
        self.milli_cpu -= other.milli_cpu
        self.memory -= other.memory
        self.ephemeral_storage -= other.ephemeral_storage
        self.allowed_pod_number -= other.allowed_pod_number
        for k, v in other.scalar.items():
            self.scalar[k] = self.scalar.get(k, 0) - v

    def set_max(self, other: Resource) -> None:
        self.milli_cpu = max(self.milli_cpu, other.milli_cpu)
        self.memory = max(self.memory, other.memory)
        self.ephemeral_storage = max(self.ephemeral_storage, other.ephemeral_storage)
        for k, v in other.scalar.items():
            self.scalar[k] = max(self.scalar.get(k, 0), v)

    def copy(self) -> Resource:
        return Resource(self.milli_cpu, self.memory, self.ephemeral_storage, self.allowed_pod_number,
                        dict(self.scalar))

    def get(self, name: str) -> int:
        if name == CPU:
            return self.milli_cpu
        if name == MEMORY:
            return self.memory
        if name == EPHEMERAL_STORAGE:
            return self.ephemeral_storage
        if name == PODS:
            return self.allowed_pod_number
        return self.scalar.get(name, 0)


def _ceil(v: Any) -> int:
    n = int(v)
    return n + 1 if n < v else n


def _is_scalar(name: str) -> bool:
    # extended resources (example.com/gpu), prefixed native ones (kubernetes.io/...),
    # hugepages-* and attachable volumes; never quota names (requests.*)
    if name.startswith("requests."):
        return False
    return "/" in name or name.startswith(("hugepages-", "attachable-volumes-"))


def _container_requests(c: Mapping[str, Any]) -> Resource:
    res = c.get("resources") or {}
    # a limit without a request defaults the request (API defaulting does this too; be robust)
    merged = dict(res.get("limits") or {})
    merged.update(res.get("requests") or {})
    return Resource.from_list(merged)


def pod_requests(pod: Mapping[str, Any]) -> Resource:
    """What a pod asks a node for (upstream's resource.PodRequests): the sum of its
    containers plus restartable init containers (sidecars, which keep running), or
    the largest init container -- together with the sidecars started before it --
    if that is more; plus the pod overhead."""
    spec = pod.get("spec") or {}
    total = Resource()
    for c in spec.get("containers") or []:
        total.add(_container_requests(c))
    sidecars = Resource()
    init_peak = Resource()
    for c in spec.get("initContainers") or []:
        req = _container_requests(c)
        if c.get("restartPolicy") == "Always":
            sidecars.add(req)
            during = sidecars.copy()
        else:
            during = sidecars.copy()
            during.add(req)
        init_peak.set_max(during)
    total.add(sidecars)
    total.set_max(init_peak)
    overhead = spec.get("overhead")
    if overhead:
        total.add(Resource.from_list(overhead))
    return total


def non_zero_requests(pod: Mapping[str, Any]) -> tuple[int, int]:
    """(milli-CPU, memory) for scoring: each container that requests no CPU (memory)
    counts as 100m (200Mi); init containers as in :func:`pod_requests`."""
    spec = pod.get("spec") or {}

    def nz(c: Mapping[str, Any]) -> tuple[int, int]:
        r = _container_requests(c)
        reqs = (c.get("resources") or {}).get("requests") or {}
        lims = (c.get("resources") or {}).get("limits") or {}
        cpu = r.milli_cpu if (CPU in reqs or CPU in lims) else DEFAULT_MILLI_CPU_REQUEST
        mem = r.memory if (MEMORY in reqs or MEMORY in lims) else DEFAULT_MEMORY_REQUEST
        return cpu, mem

    cpu = mem = 0
    for c in spec.get("containers") or []:
        a, b = nz(c)
        cpu += a
        mem += b
    side_cpu = side_mem = peak_cpu = peak_mem = 0
    for c in spec.get("initContainers") or []:
        a, b = nz(c)
        if c.get("restartPolicy") == "Always":
            side_cpu += a
            side_mem += b
            peak_cpu, peak_mem = max(peak_cpu, side_cpu), max(peak_mem, side_mem)
        else:
            peak_cpu, peak_mem = max(peak_cpu, side_cpu + a), max(peak_mem, side_mem + b)
    cpu, mem = max(cpu + side_cpu, peak_cpu), max(mem + side_mem, peak_mem)
    overhead = Resource.from_list(spec.get("overhead"))
    return cpu + overhead.milli_cpu, mem + overhead.memory


# ---------------------------------------------------------------------------- affinity terms
@dataclass(frozen=True, slots=True)
class AffinityTerm:
    """A parsed PodAffinityTerm: which pods (selector, in which namespaces) and the
    topology key that defines "together". ``namespace_selector`` is None when the term
    names only ``namespaces`` (empty list = the pod's own namespace)."""

    selector: LabelSelector
    namespaces: frozenset[str]
    namespace_selector: LabelSelector | None
    topology_key: str

    def matches(self, pod: Mapping[str, Any], namespace_labels: Mapping[str, str] | None = None) -> bool:
        meta = pod.get("metadata") or {}
        ns = meta.get("namespace", "")
        in_ns = ns in self.namespaces or (
            self.namespace_selector is not None and namespace_labels is not None
            and self.namespace_selector.matches(namespace_labels))
        return in_ns and self.selector.matches(meta.get("labels") or {})


@dataclass(frozen=True, slots=True)
class WeightedAffinityTerm:
    term: AffinityTerm
    weight: int


def _parse_term(raw: Mapping[str, Any], pod_namespace: str) -> AffinityTerm | None:
    try:
        selector = label_selector_from_dict(raw.get("labelSelector"))
        if raw.get("labelSelector") is None:
            selector = LabelSelector(nothing=True)  # a nil selector matches no pods
        ns_sel_raw = raw.get("namespaceSelector")
        ns_selector = label_selector_from_dict(ns_sel_raw) if ns_sel_raw is not None else None
    except SelectorError:
        return None
    namespaces = frozenset(raw.get("namespaces") or ())
    if not namespaces and ns_selector is None:
        namespaces = frozenset((pod_namespace,))
    return AffinityTerm(selector, namespaces, ns_selector, raw.get("topologyKey") or "")


def _terms(pod: Mapping[str, Any], kind: str, which: str) -> list[Any]:
    aff = ((pod.get("spec") or {}).get("affinity") or {}).get(kind) or {}
    return list(aff.get(which) or [])


# ---------------------------------------------------------------------------- pods and nodes
@dataclass(frozen=True, slots=True)
class HostPort:
    ip: str
    protocol: str
    port: int


class PodInfo:
    """A pod and what scheduling reads from it, parsed once."""

    __slots__ = ("key", "namespace", "non_zero_cpu", "non_zero_memory", "pod", "preferred_affinity",
                 "preferred_anti_affinity", "required_affinity", "required_anti_affinity", "requests")

    def __init__(self, pod: dict) -> None:
        self.pod = pod
        self.key = pod_key(pod)
        self.namespace = (pod.get("metadata") or {}).get("namespace", "")
        self.requests = pod_requests(pod)
        self.non_zero_cpu, self.non_zero_memory = non_zero_requests(pod)
        ns = self.namespace
        self.required_affinity = [t for raw in _terms(pod, "podAffinity", "requiredDuringSchedulingIgnoredDuringExecution")
                                  if (t := _parse_term(raw, ns)) is not None]
        self.required_anti_affinity = [
            t for raw in _terms(pod, "podAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution")
            if (t := _parse_term(raw, ns)) is not None]
        self.preferred_affinity = [
            WeightedAffinityTerm(t, int(w.get("weight") or 0))
            for w in _terms(pod, "podAffinity", "preferredDuringSchedulingIgnoredDuringExecution")
            if (t := _parse_term(w.get("podAffinityTerm") or {}, ns)) is not None]
        self.preferred_anti_affinity = [
            WeightedAffinityTerm(t, int(w.get("weight") or 0))
            for w in _terms(pod, "podAntiAffinity", "preferredDuringSchedulingIgnoredDuringExecution")
            if (t := _parse_term(w.get("podAffinityTerm") or {}, ns)) is not None]

    def with_pod(self, pod: dict) -> PodInfo:
        """This parsed info for another version of the pod whose spec differs at most in
        ``nodeName`` (the scheduler's assumed copy): nothing needs parsing again."""
        other = copy.copy(self)
        other.pod = pod
        return other

    @property
    def has_affinity(self) -> bool:
        return bool(self.required_affinity or self.required_anti_affinity or self.preferred_affinity
                    or self.preferred_anti_affinity)

    def host_ports(self) -> list[HostPort]:
        return pod_host_ports(self.pod)

    def __repr__(self) -> str:
        return f"PodInfo({self.key})"


def pod_host_ports(pod: Mapping[str, Any]) -> list[HostPort]:
    out = []
    for c in (pod.get("spec") or {}).get("containers") or []:
        for p in c.get("ports") or []:
            hp = p.get("hostPort") or 0
            if hp > 0:
                out.append(HostPort(p.get("hostIP") or "0.0.0.0", p.get("protocol") or "TCP", hp))
    return out


class NodeInfo:
    """A node and the pods the scheduler knows are on it (bound, or assumed while their
    binding is in flight). ``generation`` moves on every change, so a snapshot can copy
    only the NodeInfos that changed since it was last taken."""

    __slots__ = ("_name", "allocatable", "generation", "image_sizes", "node", "non_zero_cpu", "non_zero_memory",
                 "pods", "pods_with_affinity", "pods_with_required_anti_affinity", "requested", "used_ports")

    def __init__(self, node: dict | None = None) -> None:
        self.node: dict | None = None
        self._name = ""                                 # cached: read per node per plugin per pod
        self.pods: dict[str, PodInfo] = {}              # by pod key
        self.pods_with_affinity: dict[str, PodInfo] = {}
        self.pods_with_required_anti_affinity: dict[str, PodInfo] = {}
        self.requested = Resource()
        self.non_zero_cpu = 0
        self.non_zero_memory = 0
        self.used_ports: dict[HostPort, int] = {}       # port -> how many pods use it
        self.allocatable = Resource()
        self.image_sizes: dict[str, int] = {}           # image name -> size in bytes (from node.status.images)
        self.generation = 0
        if node is not None:
            self.set_node(node)

    @property
    def name(self) -> str:
        return self._name

    def _set_node_object(self, node: dict | None) -> None:
        self.node = node
        self._name = ((node or {}).get("metadata") or {}).get("name", "")

    @property
    def labels(self) -> dict[str, str]:
        return ((self.node or {}).get("metadata") or {}).get("labels") or {}

    def set_node(self, node: dict) -> None:
        self._set_node_object(node)
        status = node.get("status") or {}
        self.allocatable = Resource.from_list(status.get("allocatable") or status.get("capacity"))
        self.image_sizes = {}
        for image in status.get("images") or []:
            for name in image.get("names") or []:
                self.image_sizes[name] = int(image.get("sizeBytes") or 0)
        self.generation += 1

    def add_pod(self, info: PodInfo) -> None:
        if info.key in self.pods:
            self.remove_pod(info.key)
        self.pods[info.key] = info
        self.requested.add(info.requests)
        self.requested.allowed_pod_number += 1
        self.non_zero_cpu += info.non_zero_cpu
        self.non_zero_memory += info.non_zero_memory
        if info.has_affinity:
            self.pods_with_affinity[info.key] = info
        if info.required_anti_affinity:
            self.pods_with_required_anti_affinity[info.key] = info
        for hp in info.host_ports():
            self.used_ports[hp] = self.used_ports.get(hp, 0) + 1
        self.generation += 1

    def remove_pod(self, key: str) -> PodInfo | None:
        info = self.pods.pop(key, None)
        if info is None:
            return None
        self.requested.sub(info.requests)
        self.requested.allowed_pod_number -= 1
        self.non_zero_cpu -= info.non_zero_cpu
        self.non_zero_memory -= info.non_zero_memory
        self.pods_with_affinity.pop(key, None)
        self.pods_with_required_anti_affinity.pop(key, None)
        for hp in info.host_ports():
            left = self.used_ports.get(hp, 0) - 1
            if left > 0:
                self.used_ports[hp] = left
            else:
                self.used_ports.pop(hp, None)
        self.generation += 1
        return info

    def clone(self) -> NodeInfo:
        """A copy whose pod maps and totals can change independently (the PodInfos are shared)."""
        c = NodeInfo.__new__(NodeInfo)
        c.node = self.node
        c._name = self._name
        c.pods = dict(self.pods)
        c.pods_with_affinity = dict(self.pods_with_affinity)
        c.pods_with_required_anti_affinity = dict(self.pods_with_required_anti_affinity)
        c.requested = self.requested.copy()
        c.non_zero_cpu = self.non_zero_cpu
        c.non_zero_memory = self.non_zero_memory
        c.used_ports = dict(self.used_ports)
        c.allocatable = self.allocatable.copy()
        c.image_sizes = self.image_sizes
        c.generation = self.generation
        return c

    def __repr__(self) -> str:
        return f"NodeInfo({self.name}, pods={len(self.pods)})"


class Snapshot:
    """The nodes one scheduling cycle sees, in a fixed order (the order the cache keeps,
    which spreads zones round-robin as upstream's node tree does)."""

    def __init__(self, nodes: Iterable[NodeInfo] = (), namespace_labels: Mapping[str, Mapping[str, str]] | None = None) -> None:
        self.node_list: list[NodeInfo] = list(nodes)
        self._by_name = {n.name: n for n in self.node_list}
        self.have_pods_with_affinity = [n for n in self.node_list if n.pods_with_affinity]
        self.have_pods_with_required_anti_affinity = [n for n in self.node_list if n.pods_with_required_anti_affinity]
        # namespace name -> labels, for affinity terms with a namespaceSelector
        self.namespace_labels: Mapping[str, Mapping[str, str]] = namespace_labels or {}
        # the scheduler cache's generation this snapshot reflects; Cache.update_snapshot copies
        # only NodeInfos that changed after it
        self.generation = 0
        # the column view for batch Filter/Score (nodetable.py), built on first use; the cache
        # keeps it current row by row (managed), otherwise each use re-checks generations
        self._table: Any = None
        self._table_managed = False

    @property
    def table(self) -> Any:
        """The :class:`~.nodetable.NodeTable` over ``node_list``."""
        from .nodetable import NodeTable
        t = self._table
        if t is None:
            t = self._table = NodeTable(self.node_list)
        elif not self._table_managed:
            t.refresh(self.node_list)
        return t

    def get(self, name: str) -> NodeInfo | None:
        return self._by_name.get(name)

    def __len__(self) -> int:
        return len(self.node_list)

    def __iter__(self) -> Iterator[NodeInfo]:
        return iter(self.node_list)


@dataclass(slots=True)
class NodeScore:
    name: str
    score: int


class CycleState:
    """Scratch space for one pod's scheduling cycle: PreFilter/PreScore write what
    Filter/Score read back, under the plugin's own key. ``clone()`` is shallow per key;
    values that preemption changes while simulating must offer their own ``clone()``."""

    __slots__ = ("_data", "skip_filter_plugins", "skip_score_plugins")

    def __init__(self) -> None:
        self._data: dict[str, Any] = {}
        self.skip_filter_plugins: set[str] = set()
        self.skip_score_plugins: set[str] = set()

    def write(self, key: str, value: Any) -> None:
        self._data[key] = value

    def read(self, key: str) -> Any:
        """The value, or KeyError (a plugin reading state its PreFilter did not write is an error)."""
        return self._data[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self._data.get(key, default)

    def clone(self) -> CycleState:
        c = CycleState()
        c._data = {k: (v.clone() if hasattr(v, "clone") else v) for k, v in self._data.items()}
        c.skip_filter_plugins = set(self.skip_filter_plugins)
        c.skip_score_plugins = set(self.skip_score_plugins)
        return c
