"""NodeUnschedulable: cordoned nodes (``spec.unschedulable``) take only pods that
tolerate the ``node.kubernetes.io/unschedulable:NoSchedule`` taint."""

from __future__ import annotations

from typing import Any

from ..interface import ClusterEvent
import numpy as np

from ..types import SUCCESS, CycleState, NodeInfo, PodInfo, Status
from .helpers import pod_tolerations, tolerates

NAME = "NodeUnschedulable"
REASON = "node(s) were unschedulable"
_TAINT = {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}


class NodeUnschedulable:
    name = NAME

    def filter(self, state: CycleState, pod: dict, pod_info: PodInfo, node: NodeInfo) -> Status:
        if not ((node.node or {}).get("spec") or {}).get("unschedulable"):
            return SUCCESS
        if any(tolerates(t, _TAINT) for t in pod_tolerations(pod)):
            return SUCCESS
        return Status.unresolvable(REASON)

    def filter_batch(self, state: CycleState, pod: dict, pod_info: PodInfo, table: Any) -> np.ndarray:
        if any(tolerates(t, _TAINT) for t in pod_tolerations(pod)):
            return np.ones(len(table), dtype=bool)
        return ~table.unschedulable

    def events_to_register(self) -> list[ClusterEvent]:
        return [ClusterEvent("Node", "Add"), ClusterEvent("Node", "Update")]


def new(args: dict, handle: Any) -> NodeUnschedulable:
    return NodeUnschedulable()
