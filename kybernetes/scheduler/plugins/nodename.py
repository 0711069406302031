"""NodeName: a pod that names its node (``spec.nodeName``) fits only there."""

from __future__ import annotations

from typing import Any

from ..interface import ClusterEvent
import numpy as np

from ..types import SUCCESS, CycleState, NodeInfo, PodInfo, Status

NAME = "NodeName"
REASON = "node(s) didn't match the requested node name"


class NodeName:
    name = NAME

    def filter(self, state: CycleState, pod: dict, pod_info: PodInfo, node: NodeInfo) -> Status:
        wanted = (pod.get("spec") or {}).get("nodeName")
        if wanted and wanted != node.name:
            return Status.unresolvable(REASON)
        return SUCCESS

    def filter_batch(self, state: CycleState, pod: dict, pod_info: PodInfo, table: Any) -> np.ndarray:
        wanted = (pod.get("spec") or {}).get("nodeName")
        if not wanted:
            return np.ones(len(table), dtype=bool)
        mask = np.zeros(len(table), dtype=bool)
        i = table.index.get(wanted)
        if i is not None:
            mask[i] = True
        return mask

    def events_to_register(self) -> list[ClusterEvent]:
        return [ClusterEvent("Node", "Add"), ClusterEvent("Node", "Update")]


def new(args: dict, handle: Any) -> NodeName:
    return NodeName()
