"""NodeName: a pod that names its node (``spec.nodeName``) fits only there."""

from __future__ import annotations

from typing import Any

from ..interface import ClusterEvent
from ..types import CycleState, NodeInfo, PodInfo, Status

NAME = "NodeName"
REASON = "node(s) didn't match the requested node name"


class NodeName:
    name = NAME

    def filter(self, state: CycleState, pod: dict, pod_info: PodInfo, node: NodeInfo) -> Status:
        wanted = (pod.get("spec") or {}).get("nodeName")
        if wanted and wanted != node.name:
            return Status.unresolvable(REASON)
        return Status()

    def events_to_register(self) -> list[ClusterEvent]:
        return [ClusterEvent("Node", "Add"), ClusterEvent("Node", "Update")]


def new(args: dict, handle: Any) -> NodeName:
    return NodeName()
