"""SchedulingGates (PreEnqueue): a pod with ``spec.schedulingGates`` stays out of the
active queue until every gate is removed (by whoever added it)."""

from __future__ import annotations

from typing import Any

from ..interface import ClusterEvent
from ..types import Code, Status

NAME = "SchedulingGates"


class SchedulingGates:
    name = NAME

    def pre_enqueue(self, pod: dict) -> Status:
        gates = (pod.get("spec") or {}).get("schedulingGates") or []
        if not gates:
            return Status()
        names = " ".join(g.get("name", "") for g in gates)
        return Status(Code.UNSCHEDULABLE_AND_UNRESOLVABLE, f"waiting for scheduling gates: [{names}]", plugin=NAME)

    def events_to_register(self) -> list[ClusterEvent]:
        return [ClusterEvent("Pod", "Update")]


def new(args: dict, handle: Any) -> SchedulingGates:
    return SchedulingGates()
