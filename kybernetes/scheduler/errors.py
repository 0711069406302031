"""Why a pod could not be scheduled, worded as upstream words it (FitError in
pkg/scheduler/framework/types.go): the message users read in ``kubectl describe pod``,
in the FailedScheduling event and the PodScheduled=False condition::

    0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: },
    2 Insufficient cpu. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.

Each reason is counted over the nodes that gave it, the "<count> <reason>" strings
are sorted as plain strings (so "10 ..." sorts before "2 ..." exactly as upstream),
and what PostFilter (preemption) said is appended.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from .types import Status

__all__ = ["NO_NODES_AVAILABLE", "FitError", "NoNodesAvailable", "SchedulingError", "ScoreError", "fit_error_message"]

NO_NODES_AVAILABLE = "no nodes available to schedule pods"


class SchedulingError(Exception):
    """A cycle failed for a reason other than "nothing fits" (a plugin error)."""


class ScoreError(RuntimeError):
    """A Score/NormalizeScore plugin failed; ``status`` says which and why."""

    def __init__(self, status: Status) -> None:
        super().__init__(status.message)
        self.status = status


def fit_error_message(num_all_nodes: int, node_statuses: Mapping[str, Status], *,
                      pre_filter_msg: str = "", post_filter_msg: str = "",
                      absent_status: Status | None = None) -> str:
    """``absent_status`` stands for every node missing from ``node_statuses`` (nodes a
    PreFilterResult excluded)."""
    msg = f"0/{num_all_nodes} nodes are available:"
    if pre_filter_msg:
        # PreFilter rejected the pod before any node was looked at: every node carries the
        # same status, so counting it per node would only repeat it
        msg += f" {pre_filter_msg}."
    else:
        counts: Counter[str] = Counter()
        for status in node_statuses.values():
            for reason in status.reasons:
                counts[reason] += 1
        absent = num_all_nodes - len(node_statuses)
        if absent > 0 and absent_status is not None:
            for reason in absent_status.reasons:
                counts[reason] += absent
        histogram = sorted(f"{n} {reason}" for reason, n in counts.items())
        if histogram:
            msg += f" {', '.join(histogram)}."
    if post_filter_msg:
        msg += f" {post_filter_msg}"  # it ends with its own period, as upstream's does
    return msg


@dataclass
class FitError(Exception):
    """No node fits the pod. ``node_statuses`` maps node name -> the rejecting Status;
    ``unschedulable_plugins`` are the plugins that rejected it (the queue waits for
    events they registered)."""

    pod_key: str
    num_all_nodes: int
    node_statuses: dict[str, Status] = field(default_factory=dict)
    unschedulable_plugins: set[str] = field(default_factory=set)
    pre_filter_msg: str = ""
    post_filter_msg: str = ""
    absent_status: Status | None = None

    def __post_init__(self) -> None:
        super().__init__()

    @property
    def message(self) -> str:
        return fit_error_message(self.num_all_nodes, self.node_statuses, pre_filter_msg=self.pre_filter_msg,
                                 post_filter_msg=self.post_filter_msg, absent_status=self.absent_status)

    def __str__(self) -> str:
        return self.message


class NoNodesAvailable(FitError):
    """The cluster has no nodes at all (upstream's ErrNoNodesAvailable; PostFilter is not run)."""

    @property
    def message(self) -> str:
        return NO_NODES_AVAILABLE
