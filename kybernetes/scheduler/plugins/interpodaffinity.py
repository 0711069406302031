"""InterPodAffinity: pods that want to be near (affinity) or away from (anti-affinity)
other pods, per topology domain (the value of ``topologyKey`` on the node).

PreFilter counts, once per pod, how many matching pods each topology pair
``(key, value)`` holds -- for the pod's own required terms, and for the required
anti-affinity of pods already running that the new pod would violate -- so Filter
is a few dict lookups per node. The counts move with the PreFilter extensions
(``add_pod``/``remove_pod``) when preemption simulates evictions.
PreScore does the same for preferred terms (and existing pods' terms pointing at the
new pod, with ``hardPodAffinityWeight`` for their required affinity)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..interface import ClusterEvent, PreFilterResult
from ..types import MAX_NODE_SCORE, AffinityTerm, Code, CycleState, NodeInfo, NodeScore, PodInfo, Status

NAME = "InterPodAffinity"
REASON_AFFINITY = "node(s) didn't match pod affinity rules"
REASON_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules"
REASON_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules"
_PREFILTER = "PreFilter" + NAME
_PRESCORE = "PreScore" + NAME

Pair = tuple[str, str]


def _bump(counts: dict[Pair, int], pair: Pair, delta: int) -> None:
    v = counts.get(pair, 0) + delta
    if v:
        counts[pair] = v
    else:
        counts.pop(pair, None)


def matches_all(terms: Sequence[AffinityTerm], pod: Mapping[str, Any], ns_labels: Mapping[str, str]) -> bool:
    return bool(terms) and all(t.matches(pod, ns_labels) for t in terms)


class _FilterState:
    """Counts per topology pair; cloned when preemption simulates on a copy."""

    __slots__ = ("affinity", "anti_affinity", "existing_anti_affinity", "ns_labels", "pod_info")

    def __init__(self, pod_info: PodInfo, ns_labels: Mapping[str, Mapping[str, str]]) -> None:
        self.pod_info = pod_info
        self.ns_labels = ns_labels
        self.affinity: dict[Pair, int] = {}
        self.anti_affinity: dict[Pair, int] = {}
        self.existing_anti_affinity: dict[Pair, int] = {}

    def clone(self) -> _FilterState:
        c = _FilterState(self.pod_info, self.ns_labels)
        c.affinity = dict(self.affinity)
        c.anti_affinity = dict(self.anti_affinity)
        c.existing_anti_affinity = dict(self.existing_anti_affinity)
        return c

    def labels_of(self, namespace: str) -> Mapping[str, str]:
        return self.ns_labels.get(namespace) or {}

    def update_existing_anti_affinity(self, existing: PodInfo, node_labels: Mapping[str, str], delta: int) -> None:
        own_ns = self.labels_of(self.pod_info.namespace)
        for term in existing.required_anti_affinity:
            value = node_labels.get(term.topology_key)
            if value is not None and term.matches(self.pod_info.pod, own_ns):
                _bump(self.existing_anti_affinity, (term.topology_key, value), delta)

    def update_with_incoming_terms(self, existing: PodInfo, node_labels: Mapping[str, str], delta: int) -> None:
        me = self.pod_info
        ns = self.labels_of(existing.namespace)
        if me.required_affinity and matches_all(me.required_affinity, existing.pod, ns):
            for term in me.required_affinity:
                value = node_labels.get(term.topology_key)
                if value is not None:
                    _bump(self.affinity, (term.topology_key, value), delta)
        for term in me.required_anti_affinity:
            value = node_labels.get(term.topology_key)
            if value is not None and term.matches(existing.pod, ns):
                _bump(self.anti_affinity, (term.topology_key, value), delta)

    def update_with_pod(self, existing: PodInfo, node: NodeInfo, delta: int) -> None:
        labels = node.labels
        self.update_existing_anti_affinity(existing, labels, delta)
        self.update_with_incoming_terms(existing, labels, delta)


class InterPodAffinity:
    name = NAME

    def __init__(self, args: Mapping[str, Any], handle: Any) -> None:
        self.hard_pod_affinity_weight = int(args.get("hardPodAffinityWeight", 1))
        self.ignore_preferred_terms_of_existing_pods = bool(args.get("ignorePreferredTermsOfExistingPods", False))
        self.handle = handle

    def _snapshot_nodes(self, nodes: Sequence[NodeInfo]) -> tuple[Sequence[NodeInfo], Sequence[NodeInfo], Mapping]:
        snap = self.handle.snapshot() if self.handle is not None else None
        if snap is None:
            return (nodes, [n for n in nodes if n.pods_with_required_anti_affinity],
                    {})
        return snap.node_list, snap.have_pods_with_required_anti_affinity, snap.namespace_labels

    # ------------------------------------------------------------------ filter
    def pre_filter(self, state: CycleState, pod: dict, pod_info: PodInfo,
                   nodes: Sequence[NodeInfo]) -> tuple[PreFilterResult | None, Status]:
        all_nodes, with_anti, ns_labels = self._snapshot_nodes(nodes)
        if not pod_info.required_affinity and not pod_info.required_anti_affinity and not with_anti:
            return None, Status(Code.SKIP)
        s = _FilterState(pod_info, ns_labels)
        for node in with_anti:
            labels = node.labels
            for existing in node.pods_with_required_anti_affinity.values():
                s.update_existing_anti_affinity(existing, labels, 1)
        if pod_info.required_affinity or pod_info.required_anti_affinity:
            for node in all_nodes:
                labels = node.labels
                for existing in node.pods.values():
                    s.update_with_incoming_terms(existing, labels, 1)
        state.write(_PREFILTER, s)
        return None, Status()

    def add_pod(self, state: CycleState, pod: dict, to_add: PodInfo, node: NodeInfo) -> Status:
        s = state.get(_PREFILTER)
        if s is not None:
            s.update_with_pod(to_add, node, 1)
        return Status()

    def remove_pod(self, state: CycleState, pod: dict, to_remove: PodInfo, node: NodeInfo) -> Status:
        s = state.get(_PREFILTER)
        if s is not None:
            s.update_with_pod(to_remove, node, -1)
        return Status()

    def filter(self, state: CycleState, pod: dict, pod_info: PodInfo, node: NodeInfo) -> Status:
        s: _FilterState = state.get(_PREFILTER)
        if s is None:
            return Status.error("InterPodAffinity: PreFilter state missing", plugin=NAME)
        labels = node.labels
        if not self._satisfies_affinity(s, labels):
            return Status.unresolvable(REASON_AFFINITY)
        if s.anti_affinity:
            for term in pod_info.required_anti_affinity:
                value = labels.get(term.topology_key)
                if value is not None and s.anti_affinity.get((term.topology_key, value), 0) > 0:
                    return Status.unschedulable(REASON_ANTI_AFFINITY)
        if s.existing_anti_affinity:
            for pair in labels.items():
                if s.existing_anti_affinity.get(pair, 0) > 0:
                    return Status.unschedulable(REASON_EXISTING_ANTI_AFFINITY)
        return Status()

    @staticmethod
    def _satisfies_affinity(s: _FilterState, labels: Mapping[str, str]) -> bool:
        terms = s.pod_info.required_affinity
        if not terms:
            return True
        pods_exist = True
        for term in terms:
            value = labels.get(term.topology_key)
            if value is None:
                return False          # every topology key must exist on the node
            if s.affinity.get((term.topology_key, value), 0) <= 0:
                pods_exist = False
        if pods_exist:
            return True
        # The first pod of a group with affinity to itself: if no pod anywhere matches,
        # let it in when it matches its own terms, so such groups can ever start.
        return not s.affinity and matches_all(terms, s.pod_info.pod, s.labels_of(s.pod_info.namespace))

    # ------------------------------------------------------------------ score
    def pre_score(self, state: CycleState, pod: dict, pod_info: PodInfo, nodes: Sequence[NodeInfo]) -> Status:
        snap = self.handle.snapshot() if self.handle is not None else None
        has_preferred = bool(pod_info.preferred_affinity or pod_info.preferred_anti_affinity)
        if snap is not None:
            # the snapshot keeps the nodes with affinity pods (in node order): no scan per pod
            candidates: Iterable[NodeInfo] = snap.node_list if has_preferred else snap.have_pods_with_affinity
            ns_labels = snap.namespace_labels
        else:
            candidates = nodes if has_preferred else [n for n in nodes if n.pods_with_affinity]
            ns_labels = {}
        if not has_preferred and not candidates:
            return Status(Code.SKIP)
        own_ns = ns_labels.get(pod_info.namespace) or {}
        scores: dict[str, dict[str, int]] = {}    # topology key -> value -> score

        def add(key: str, labels: Mapping[str, str], weight: int) -> None:
            value = labels.get(key)
            if value is not None and weight:
                per_key = scores.setdefault(key, {})
                per_key[value] = per_key.get(value, 0) + weight

        for node in candidates:
            labels = node.labels
            existing_pods = node.pods if has_preferred else node.pods_with_affinity
            for existing in existing_pods.values():
                ns = ns_labels.get(existing.namespace) or {}
                for wt in pod_info.preferred_affinity:
                    if wt.term.matches(existing.pod, ns):
                        add(wt.term.topology_key, labels, wt.weight)
                for wt in pod_info.preferred_anti_affinity:
                    if wt.term.matches(existing.pod, ns):
                        add(wt.term.topology_key, labels, -wt.weight)
                if self.hard_pod_affinity_weight > 0:
                    for term in existing.required_affinity:
                        if term.matches(pod, own_ns):
                            add(term.topology_key, labels, self.hard_pod_affinity_weight)
                if not self.ignore_preferred_terms_of_existing_pods:
                    for wt in existing.preferred_affinity:
                        if wt.term.matches(pod, own_ns):
                            add(wt.term.topology_key, labels, wt.weight)
                    for wt in existing.preferred_anti_affinity:
                        if wt.term.matches(pod, own_ns):
                            add(wt.term.topology_key, labels, -wt.weight)
        state.write(_PRESCORE, scores)
        return Status()

    def score(self, state: CycleState, pod: dict, pod_info: PodInfo, node: NodeInfo) -> tuple[int, Status]:
        scores = state.get(_PRESCORE)
        if not scores:
            return 0, Status()
        labels = node.labels
        total = 0
        for key, per_value in scores.items():
            value = labels.get(key)
            if value is not None:
                total += per_value.get(value, 0)
        return total, Status()

    def normalize_score(self, state: CycleState, pod: dict, scores: list[NodeScore]) -> Status:
        if not state.get(_PRESCORE) or not scores:
            return Status()
        lo = min(s.score for s in scores)
        hi = max(s.score for s in scores)
        spread = hi - lo
        for s in scores:
            s.score = int(MAX_NODE_SCORE * ((s.score - lo) / spread)) if spread > 0 else 0
        return Status()

    def events_to_register(self) -> list[ClusterEvent]:
        return [ClusterEvent("Pod", "Add"), ClusterEvent("Pod", "Update"), ClusterEvent("Pod", "Delete"),
                ClusterEvent("Node", "Add"), ClusterEvent("Node", "Update")]


def new(args: dict, handle: Any) -> InterPodAffinity:
    return InterPodAffinity(args or {}, handle)
