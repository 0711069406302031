"""NodeAffinity: the pod's ``nodeSelector`` and required node affinity (plus any
scheduler-enforced ``addedAffinity`` from the profile) filter nodes; preferred terms
score them (sum of matching weights, normalized to 0..100).

Selectors are compiled once per pod in PreFilter/PreScore, so Filter/Score are just
predicate calls on the node's labels."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..interface import ClusterEvent, PreFilterResult
import numpy as np

from ..types import SUCCESS, Code, CycleState, NodeInfo, NodeScore, PodInfo, Status
from .helpers import (NodeMatcher, compile_node_selector, compile_node_selector_term, default_normalize_array,
                      default_normalize_score, node_names_from_selector)

NAME = "NodeAffinity"
REASON_POD = "node(s) didn't match Pod's node affinity/selector"
REASON_ENFORCED = "node(s) didn't match scheduler-enforced node affinity"
REASON_CONFLICT = "pod affinity terms conflict"
_PREFILTER = "PreFilter" + NAME
_PRESCORE = "PreScore" + NAME


def required_matcher(pod: Mapping[str, Any]) -> NodeMatcher | None:
    """The pod's nodeSelector AND its required node affinity, or None when it has neither."""
    spec = pod.get("spec") or {}
    node_selector = spec.get("nodeSelector")
    required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution")
    if node_selector is None and required is None:
        return None
    wanted = frozenset((node_selector or {}).items())
    affinity = compile_node_selector(required) if required is not None else None

    def match(labels: Mapping[str, str], name: str) -> bool:
        if wanted and not labels.items() >= wanted:
            return False
        return affinity is None or affinity(labels, name)
    return match


def preferred_terms(raw: Sequence[Mapping[str, Any]]) -> list[tuple[NodeMatcher, int]]:
    return [(compile_node_selector_term(t.get("preference") or {}), int(t.get("weight") or 0))
            for t in raw if t.get("weight")]


class NodeAffinity:
    name = NAME

    def __init__(self, args: Mapping[str, Any]) -> None:
        added = args.get("addedAffinity") or {}
        req = added.get("requiredDuringSchedulingIgnoredDuringExecution")
        self.added_required: NodeMatcher | None = compile_node_selector(req) if req is not None else None
        self.added_preferred = preferred_terms(added.get("preferredDuringSchedulingIgnoredDuringExecution") or [])

    # ------------------------------------------------------------------ filter
    def pre_filter(self, state: CycleState, pod: dict, pod_info: PodInfo,
                   nodes: Sequence[NodeInfo]) -> tuple[PreFilterResult | None, Status]:
        matcher = required_matcher(pod)
        if matcher is None and self.added_required is None:
            return None, Status(Code.SKIP)
        state.write(_PREFILTER, matcher)
        required = (((pod.get("spec") or {}).get("affinity") or {}).get("nodeAffinity") or {}).get(
            "requiredDuringSchedulingIgnoredDuringExecution")
        if not required or not required.get("nodeSelectorTerms"):
            return None, Status()
        names = node_names_from_selector(required)
        if names is None:
            return None, Status()
        if not names:
            return None, Status.unresolvable(REASON_CONFLICT)
        return PreFilterResult(node_names=names), Status()

    def filter(self, state: CycleState, pod: dict, pod_info: PodInfo, node: NodeInfo) -> Status:
        labels = node.labels
        if self.added_required is not None and not self.added_required(labels, node.name):
            return Status.unresolvable(REASON_ENFORCED)
        try:
            matcher: Callable | None = state.read(_PREFILTER)
        except KeyError:
            matcher = required_matcher(pod)
        if matcher is not None and not matcher(labels, node.name):
            return Status.unresolvable(REASON_POD)
        return SUCCESS

    # ------------------------------------------------------------------ score
    def pre_score(self, state: CycleState, pod: dict, pod_info: PodInfo, nodes: Sequence[NodeInfo]) -> Status:
        raw = (((pod.get("spec") or {}).get("affinity") or {}).get("nodeAffinity") or {}).get(
            "preferredDuringSchedulingIgnoredDuringExecution") or []
        terms = preferred_terms(raw) + self.added_preferred
        if not terms:
            return Status(Code.SKIP)
        state.write(_PRESCORE, terms)
        return Status()

    def score(self, state: CycleState, pod: dict, pod_info: PodInfo, node: NodeInfo) -> tuple[int, Status]:
        terms = state.get(_PRESCORE)
        if terms is None:
            return 0, SUCCESS
        labels, name = node.labels, node.name
        return sum(w for match, w in terms if match(labels, name)), SUCCESS

    def normalize_score(self, state: CycleState, pod: dict, scores: list[NodeScore]) -> Status:
        default_normalize_score(scores)
        return Status()

    # ------------------------------------------------------------------ batch (see nodetable.py)
    # Label selectors do not vectorise; the matchers run per node here, but without the
    # per-node framework overhead of the other plugins.
    def filter_batch(self, state: CycleState, pod: dict, pod_info: PodInfo, table: Any) -> np.ndarray:
        added = self.added_required
        try:
            matcher: Callable | None = state.read(_PREFILTER)
        except KeyError:
            matcher = required_matcher(pod)

        def ok(node: NodeInfo) -> bool:
            labels, name = node.labels, node.name
            if added is not None and not added(labels, name):
                return False
            return matcher is None or matcher(labels, name)
        return np.fromiter((ok(n) for n in table.nodes), dtype=bool, count=len(table))

    def score_batch(self, state: CycleState, pod: dict, pod_info: PodInfo, table: Any,
                    idx: np.ndarray) -> np.ndarray:
        terms = state.get(_PRESCORE)
        if terms is None:
            return np.zeros(len(idx), dtype=np.int64)
        nodes = table.nodes
        return np.fromiter((sum(w for match, w in terms if match(nodes[i].labels, nodes[i].name)) for i in idx.tolist()),
                           dtype=np.int64, count=len(idx))

    def normalize_batch(self, state: CycleState, pod: dict, scores: np.ndarray, table: Any,
                        idx: np.ndarray) -> np.ndarray:
        return default_normalize_array(scores)

    def events_to_register(self) -> list[ClusterEvent]:
        return [ClusterEvent("Node", "Add"), ClusterEvent("Node", "Update"), ClusterEvent("Pod", "Update")]


def new(args: dict, handle: Any) -> NodeAffinity:
    return NodeAffinity(args or {})
