"""PodTopologySpread: keep matching pods evenly spread over topology domains.

Filter (``whenUnsatisfiable: DoNotSchedule``): placing the pod on a node must keep
``matching pods in the node's domain + (1 if the pod matches itself) - the global
minimum <= maxSkew``; the minimum counts as 0 while fewer than ``minDomains`` domains
exist. Score (``ScheduleAnyway``, or the profile's default constraints for pods with
none): fewer matching pods in the node's domains is better, weighted by log(domains+2).

Per-pod work (parsing constraints, counting pods per domain across all nodes) happens in
PreFilter/PreScore; Filter/Score look a count up per constraint. Counts are kept per
constraint (not per topology pair as upstream does), which only differs when two
constraints share a topology key with different selectors.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ...api.selectors import LabelSelector, SelectorError, label_selector_from_dict, new_requirement
from ..interface import ClusterEvent, PreFilterResult
from ..types import MAX_NODE_SCORE, Code, CycleState, NodeInfo, NodeScore, PodInfo, Status
from .helpers import NodeMatcher, first_untolerated, node_taints, pod_tolerations
from .nodeaffinity import required_matcher

NAME = "PodTopologySpread"
REASON_CONSTRAINTS = "node(s) didn't match pod topology spread constraints"
REASON_MISSING_LABEL = "node(s) didn't match pod topology spread constraints (missing required label)"
HOSTNAME = "kubernetes.io/hostname"
ZONE = "topology.kubernetes.io/zone"
SYSTEM_DEFAULT_CONSTRAINTS = (
    {"topologyKey": HOSTNAME, "whenUnsatisfiable": "ScheduleAnyway", "maxSkew": 3},
    {"topologyKey": ZONE, "whenUnsatisfiable": "ScheduleAnyway", "maxSkew": 5},
)
_PREFILTER = "PreFilter" + NAME
_PRESCORE = "PreScore" + NAME
_HARD_TAINTS = frozenset(("NoSchedule", "NoExecute"))


@dataclass(frozen=True, slots=True)
class Constraint:
    max_skew: int
    topology_key: str
    selector: LabelSelector
    min_domains: int
    honor_node_affinity: bool
    honor_node_taints: bool


def parse_constraints(raw: Sequence[Mapping[str, Any]], pod_labels: Mapping[str, str], action: str,
                      default_selector: LabelSelector | None = None) -> list[Constraint]:
    """The constraints with ``whenUnsatisfiable == action``; ``matchLabelKeys`` narrows
    the selector to the pod's own values of those keys. ``default_selector`` replaces
    the selector (for the profile's default constraints)."""
    out = []
    for c in raw:
        if (c.get("whenUnsatisfiable") or "DoNotSchedule") != action:
            continue
        if default_selector is not None:
            selector = default_selector
        else:
            try:
                selector = label_selector_from_dict(c.get("labelSelector"))
                extra = [new_requirement(k, "in", [pod_labels[k]]) for k in c.get("matchLabelKeys") or []
                         if k in pod_labels]
            except SelectorError:
                continue
            if extra:
                selector = selector.add(*extra)
        out.append(Constraint(
            max_skew=int(c.get("maxSkew") or 1), topology_key=c.get("topologyKey") or "", selector=selector,
            min_domains=int(c.get("minDomains") or 1),
            honor_node_affinity=(c.get("nodeAffinityPolicy") or "Honor") == "Honor",
            honor_node_taints=(c.get("nodeTaintsPolicy") or "Ignore") == "Honor"))
    return out


def count_matching(node: NodeInfo, selector: LabelSelector, namespace: str) -> int:
    n = 0
    for info in node.pods.values():
        meta = info.pod.get("metadata") or {}
        if info.namespace == namespace and not meta.get("deletionTimestamp") and selector.matches(meta.get("labels")):
            n += 1
    return n


def has_all_keys(labels: Mapping[str, str], constraints: Sequence[Constraint]) -> bool:
    return all(c.topology_key in labels for c in constraints)


class _Inclusion:
    """Whether a node's pods count toward a constraint (nodeAffinityPolicy / nodeTaintsPolicy)."""

    def __init__(self, pod: Mapping[str, Any]) -> None:
        self.affinity: NodeMatcher | None = required_matcher(pod)
        self.tolerations = pod_tolerations(pod)

    def includes(self, c: Constraint, node: NodeInfo) -> bool:
        if c.honor_node_affinity and self.affinity is not None and not self.affinity(node.labels, node.name):
            return False
        if c.honor_node_taints and first_untolerated(node_taints(node.node), self.tolerations, _HARD_TAINTS):
            return False
        return True


class _FilterState:
    __slots__ = ("constraints", "counts", "domains", "inclusion", "minimums", "namespace")

    def __init__(self, constraints: list[Constraint], inclusion: _Inclusion, namespace: str) -> None:
        self.constraints = constraints
        self.inclusion = inclusion
        self.namespace = namespace
        self.counts: list[dict[str, int]] = [{} for _ in constraints]   # per constraint: domain -> matching pods
        self.minimums: list[int] = [0] * len(constraints)
        self.domains: dict[str, set[str]] = {}

    def clone(self) -> _FilterState:
        c = _FilterState(self.constraints, self.inclusion, self.namespace)
        c.counts = [dict(m) for m in self.counts]
        c.minimums = list(self.minimums)
        c.domains = self.domains
        return c

    def refresh_minimums(self) -> None:
        for i, c in enumerate(self.constraints):
            counts = self.counts[i]
            if len(counts) < c.min_domains:
                self.minimums[i] = 0
            else:
                self.minimums[i] = min(counts.values()) if counts else 0

    def update(self, pod_info: PodInfo, node: NodeInfo, delta: int) -> None:
        if pod_info.namespace != self.namespace:
            return
        labels = node.labels
        if not has_all_keys(labels, self.constraints):
            return
        pod_labels = (pod_info.pod.get("metadata") or {}).get("labels")
        for i, c in enumerate(self.constraints):
            if not self.inclusion.includes(c, node) or not c.selector.matches(pod_labels):
                continue
            value = labels[c.topology_key]
            self.counts[i][value] = self.counts[i].get(value, 0) + delta
        self.refresh_minimums()


class _ScoreState:
    __slots__ = ("constraints", "counts", "ignored", "namespace", "weights")

    def __init__(self, constraints: list[Constraint], namespace: str) -> None:
        self.constraints = constraints
        self.namespace = namespace
        self.ignored: set[str] = set()
        self.counts: list[dict[str, int]] = [{} for _ in constraints]
        self.weights: list[float] = [0.0] * len(constraints)


class PodTopologySpread:
    name = NAME

    def __init__(self, args: Mapping[str, Any], handle: Any) -> None:
        self.handle = handle
        defaulting = args.get("defaultingType") or "System"
        if defaulting == "System":
            self.default_constraints: Sequence[Mapping[str, Any]] = SYSTEM_DEFAULT_CONSTRAINTS
            self.system_defaulted = True
        else:
            self.default_constraints = list(args.get("defaultConstraints") or [])
            self.system_defaulted = False

    # ------------------------------------------------------------------ constraints
    def _default_selector(self, pod: Mapping[str, Any]) -> LabelSelector | None:
        """The selector of the Services/ReplicaSets/... that own the pod, ANDed; None
        when nothing selects it (then the default constraints don't apply)."""
        selectors_for = getattr(self.handle, "selectors_for", None)
        if selectors_for is None:
            return None
        reqs = []
        for sel in selectors_for(pod) or ():
            if sel.nothing:
                continue
            reqs.extend(sel.requirements)
        return LabelSelector(reqs) if reqs else None

    def _constraints(self, pod: Mapping[str, Any], action: str) -> list[Constraint]:
        spec = pod.get("spec") or {}
        labels = (pod.get("metadata") or {}).get("labels") or {}
        own = spec.get("topologySpreadConstraints") or []
        if own:
            return parse_constraints(own, labels, action)
        if not self.default_constraints or not any(
                (c.get("whenUnsatisfiable") or "DoNotSchedule") == action for c in self.default_constraints):
            return []
        selector = self._default_selector(pod)
        if selector is None:
            return []
        return parse_constraints(self.default_constraints, labels, action, default_selector=selector)

    def _all_nodes(self, nodes: Sequence[NodeInfo]) -> Sequence[NodeInfo]:
        snap = self.handle.snapshot() if self.handle is not None else None
        return snap.node_list if snap is not None else nodes

    # ------------------------------------------------------------------ filter
    def pre_filter(self, state: CycleState, pod: dict, pod_info: PodInfo,
                   nodes: Sequence[NodeInfo]) -> tuple[PreFilterResult | None, Status]:
        constraints = self._constraints(pod, "DoNotSchedule")
        if not constraints:
            return None, Status(Code.SKIP)
        s = _FilterState(constraints, _Inclusion(pod), pod_info.namespace)
        for node in self._all_nodes(nodes):
            labels = node.labels
            if not has_all_keys(labels, constraints):
                continue
            for i, c in enumerate(constraints):
                if not s.inclusion.includes(c, node):
                    continue
                value = labels[c.topology_key]
                s.counts[i][value] = s.counts[i].get(value, 0) + count_matching(node, c.selector, s.namespace)
        s.refresh_minimums()
        state.write(_PREFILTER, s)
        return None, Status()

    def add_pod(self, state: CycleState, pod: dict, to_add: PodInfo, node: NodeInfo) -> Status:
        s = state.get(_PREFILTER)
        if s is not None:
            s.update(to_add, node, 1)
        return Status()

    def remove_pod(self, state: CycleState, pod: dict, to_remove: PodInfo, node: NodeInfo) -> Status:
        s = state.get(_PREFILTER)
        if s is not None:
            s.update(to_remove, node, -1)
        return Status()

    def filter(self, state: CycleState, pod: dict, pod_info: PodInfo, node: NodeInfo) -> Status:
        s: _FilterState | None = state.get(_PREFILTER)
        if s is None:
            return Status.error("PodTopologySpread: PreFilter state missing", plugin=NAME)
        labels = node.labels
        pod_labels = (pod.get("metadata") or {}).get("labels")
        for i, c in enumerate(s.constraints):
            value = labels.get(c.topology_key)
            if value is None:
                return Status.unresolvable(REASON_MISSING_LABEL)
            self_match = 1 if c.selector.matches(pod_labels) else 0
            skew = s.counts[i].get(value, 0) + self_match - s.minimums[i]
            if skew > c.max_skew:
                return Status.unschedulable(REASON_CONSTRAINTS)
        return Status()

    # ------------------------------------------------------------------ score
    def pre_score(self, state: CycleState, pod: dict, pod_info: PodInfo, nodes: Sequence[NodeInfo]) -> Status:
        constraints = self._constraints(pod, "ScheduleAnyway")
        if not constraints:
            return Status(Code.SKIP)
        own = bool((pod.get("spec") or {}).get("topologySpreadConstraints"))
        require_all = own or not self.system_defaulted
        s = _ScoreState(constraints, pod_info.namespace)
        domains: list[set[str]] = [set() for _ in constraints]
        for node in nodes:
            labels = node.labels
            if require_all and not has_all_keys(labels, constraints):
                s.ignored.add(node.name)
                continue
            for i, c in enumerate(constraints):
                value = labels.get(c.topology_key)
                if c.topology_key != HOSTNAME and value is not None:
                    s.counts[i].setdefault(value, 0)
                    domains[i].add(value)
        for i, c in enumerate(constraints):
            size = len(nodes) - len(s.ignored) if c.topology_key == HOSTNAME else len(domains[i])
            s.weights[i] = math.log(size + 2)
        inclusion = _Inclusion(pod)
        for node in self._all_nodes(nodes):
            labels = node.labels
            if require_all and not has_all_keys(labels, constraints):
                continue
            for i, c in enumerate(constraints):
                if c.topology_key == HOSTNAME:
                    continue                       # counted per node in Score
                value = labels.get(c.topology_key)
                if value is None or value not in s.counts[i] or not inclusion.includes(c, node):
                    continue
                s.counts[i][value] += count_matching(node, c.selector, s.namespace)
        state.write(_PRESCORE, s)
        return Status()

    def score(self, state: CycleState, pod: dict, pod_info: PodInfo, node: NodeInfo) -> tuple[int, Status]:
        s: _ScoreState | None = state.get(_PRESCORE)
        if s is None:
            return 0, Status.error("PodTopologySpread: PreScore state missing", plugin=NAME)
        if node.name in s.ignored:
            return 0, Status()
        labels = node.labels
        total = 0.0
        for i, c in enumerate(s.constraints):
            value = labels.get(c.topology_key)
            if value is None:
                continue
            if c.topology_key == HOSTNAME:
                count = count_matching(node, c.selector, s.namespace)
            else:
                count = s.counts[i].get(value, 0)
            total += count * s.weights[i] + (c.max_skew - 1)
        return math.floor(total + 0.5), Status()   # Go's math.Round: halves away from zero

    def normalize_score(self, state: CycleState, pod: dict, scores: list[NodeScore]) -> Status:
        s: _ScoreState | None = state.get(_PRESCORE)
        if s is None:
            return Status()
        valid = [x.score for x in scores if x.name not in s.ignored]
        lo = min(valid, default=0)
        hi = max(valid, default=0)
        for x in scores:
            if x.name in s.ignored:
                x.score = 0
            elif hi == 0:
                x.score = MAX_NODE_SCORE
            else:
                x.score = MAX_NODE_SCORE * (hi + lo - x.score) // hi
        return Status()

    def events_to_register(self) -> list[ClusterEvent]:
        return [ClusterEvent("Pod", "Add"), ClusterEvent("Pod", "Update"), ClusterEvent("Pod", "Delete"),
                ClusterEvent("Node", "Add"), ClusterEvent("Node", "Update"), ClusterEvent("Node", "Delete")]


def new(args: dict, handle: Any) -> PodTopologySpread:
    return PodTopologySpread(args or {}, handle)
