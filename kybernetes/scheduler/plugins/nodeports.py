"""NodePorts: a pod asking for host ports fits only where nobody holds them
(same protocol and port, and the same IP or either side bound to 0.0.0.0)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..interface import ClusterEvent, PreFilterResult
import numpy as np

from ..types import SUCCESS, Code, CycleState, HostPort, NodeInfo, PodInfo, Status

NAME = "NodePorts"
REASON = "node(s) didn't have free ports for the requested pod ports"
_STATE = "PreFilter" + NAME
_ANY_IP = "0.0.0.0"


def conflicts(wanted: Sequence[HostPort], used: dict[HostPort, int]) -> bool:
    if not used:
        return False
    for hp in wanted:
        if hp in used:
            return True
        if hp.ip == _ANY_IP:
            if any(u.port == hp.port and u.protocol == hp.protocol for u in used):
                return True
        elif HostPort(_ANY_IP, hp.protocol, hp.port) in used:
            return True
    return False


class NodePorts:
    name = NAME

    def pre_filter(self, state: CycleState, pod: dict, pod_info: PodInfo,
                   nodes: Sequence[NodeInfo]) -> tuple[PreFilterResult | None, Status]:
        ports = pod_info.host_ports()
        if not ports:
            return None, Status(Code.SKIP)
        state.write(_STATE, ports)
        return None, Status()

    def filter(self, state: CycleState, pod: dict, pod_info: PodInfo, node: NodeInfo) -> Status:
        wanted = state.get(_STATE)
        if wanted is None:
            wanted = pod_info.host_ports()
        if conflicts(wanted, node.used_ports):
            return Status.unschedulable(REASON)
        return SUCCESS

    def filter_batch(self, state: CycleState, pod: dict, pod_info: PodInfo, table: Any) -> np.ndarray:
        """Only reached when the pod asks for host ports (PreFilter skips otherwise);
        nodes without used ports cannot conflict, the rest are checked one by one."""
        wanted = state.get(_STATE)
        if wanted is None:
            wanted = pod_info.host_ports()
        return np.fromiter((not conflicts(wanted, n.used_ports) for n in table.nodes), dtype=bool, count=len(table))

    def events_to_register(self) -> list[ClusterEvent]:
        return [ClusterEvent("Pod", "Delete"), ClusterEvent("Node", "Add"), ClusterEvent("Node", "Update")]


def new(args: dict, handle: Any) -> NodePorts:
    return NodePorts()
