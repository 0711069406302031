"""TaintToleration: Filter rejects nodes with a NoSchedule/NoExecute taint the pod
does not tolerate; Score counts untolerated PreferNoSchedule taints (fewer is better,
so the normalization is reversed)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..interface import ClusterEvent
from ..types import CycleState, NodeInfo, NodeScore, PodInfo, Status
from .helpers import default_normalize_score, first_untolerated, node_taints, pod_tolerations, tolerates

NAME = "TaintToleration"
_HARD = frozenset(("NoSchedule", "NoExecute"))
_STATE = "PreScore" + NAME


class TaintToleration:
    name = NAME

    def filter(self, state: CycleState, pod: dict, pod_info: PodInfo, node: NodeInfo) -> Status:
        taints = node_taints(node.node)
        if not taints:
            return Status()
        taint = first_untolerated(taints, pod_tolerations(pod), _HARD)
        if taint is None:
            return Status()
        return Status.unresolvable(
            f"node(s) had untolerated taint {{{taint.get('key', '')}: {taint.get('value', '')}}}")

    def pre_score(self, state: CycleState, pod: dict, pod_info: PodInfo, nodes: Sequence[NodeInfo]) -> Status:
        # only tolerations that can apply to PreferNoSchedule taints matter for scoring
        soft = [t for t in pod_tolerations(pod) if (t.get("effect") or "") in ("", "PreferNoSchedule")]
        state.write(_STATE, soft)
        return Status()

    def score(self, state: CycleState, pod: dict, pod_info: PodInfo, node: NodeInfo) -> tuple[int, Status]:
        tolerations = state.get(_STATE)
        if tolerations is None:
            tolerations = pod_tolerations(pod)
        count = 0
        for taint in node_taints(node.node):
            if taint.get("effect") == "PreferNoSchedule" and not any(tolerates(t, taint) for t in tolerations):
                count += 1
        return count, Status()

    def normalize_score(self, state: CycleState, pod: dict, scores: list[NodeScore]) -> Status:
        default_normalize_score(scores, reverse=True)
        return Status()

    def events_to_register(self) -> list[ClusterEvent]:
        return [ClusterEvent("Node", "Add"), ClusterEvent("Node", "Update"), ClusterEvent("Pod", "Update")]


def new(args: dict, handle: Any) -> TaintToleration:
    return TaintToleration()
