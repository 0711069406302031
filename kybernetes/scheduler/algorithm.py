"""Choosing a node for one pod on one snapshot (upstream's schedulePod,
findNodesThatFitPod, prioritizeNodes and selectHost in schedule_one.go).

1. PreFilter; a rejection there rejects every node at once.
2. A pod nominated by an earlier preemption tries its nominated node first.
3. Filter nodes starting where the previous cycle stopped (round robin, so every node
   gets its turn) and stop once ``adaptive_num_feasible_nodes`` fit: on a large cluster
   scoring a sample is as good as scoring all, and much cheaper.
4. One feasible node is the answer; otherwise PreScore, Score, and the highest total
   wins, ties broken at random.

:class:`Algorithm` keeps the round-robin position between cycles. ``explain`` uses
the same steps with ``find_all=True`` and keeps every node's verdict and scores.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import FitError, NoNodesAvailable, SchedulingError, ScoreError
from .types import Code, CycleState, NodeInfo, NodeScore, PodInfo, Snapshot, Status

__all__ = ["Algorithm", "ScheduleResult", "adaptive_num_feasible_nodes", "select_host"]

MIN_FEASIBLE_NODES_TO_FIND = 100
MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5


def adaptive_num_feasible_nodes(num_all_nodes: int, percentage: int | None) -> int:
    """How many feasible nodes are enough (upstream's numFeasibleNodesToFind); prefers the
    config module's version when the framework helper provides one."""
    try:
        from .config import adaptive_num_feasible_nodes as configured
    except ImportError:
        configured = None
    if configured is not None:
        return configured(num_all_nodes, percentage or 0)
    if num_all_nodes < MIN_FEASIBLE_NODES_TO_FIND:
        return num_all_nodes
    pct = percentage or 0
    if pct <= 0:
        pct = max(50 - num_all_nodes // 125, MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND)
    num = num_all_nodes * pct // 100
    return max(num, MIN_FEASIBLE_NODES_TO_FIND)


def select_host(scores: Sequence[NodeScore], rng: random.Random | None = None) -> str:
    """The highest total; among equals each is equally likely (reservoir sampling)."""
    if not scores:
        raise SchedulingError("empty priority list")
    rng = rng or random
    best = scores[0]
    ties = 1
    for s in scores[1:]:
        if s.score > best.score:
            best, ties = s, 1
        elif s.score == best.score:
            ties += 1
            if rng.randrange(ties) == 0:
                best = s
    return best.name


@dataclass
class ScheduleResult:
    suggested_host: str
    evaluated_nodes: int
    feasible_nodes: int
    # filled only when asked for (explain): every node's filter verdict, and the scores
    node_statuses: dict[str, Status] = field(default_factory=dict)
    totals: list[NodeScore] = field(default_factory=list)
    per_plugin: dict[str, list[NodeScore]] = field(default_factory=dict)


def _percentage(framework: Any, default: int | None) -> int | None:
    pct = getattr(framework, "percentage_of_nodes_to_score", None)
    if callable(pct):
        pct = pct()
    if pct is None:  # the profile's own setting overrides the global one
        pct = getattr(getattr(framework, "profile", None), "percentage_of_nodes_to_score", None)
    return pct if pct is not None else default


class Algorithm:
    def __init__(self, *, percentage_of_nodes_to_score: int | None = None, rng: random.Random | None = None) -> None:
        self.percentage_of_nodes_to_score = percentage_of_nodes_to_score
        self.next_start_node_index = 0
        self.rng = rng or random.Random()

    def schedule(self, framework: Any, state: CycleState, pod: dict, pod_info: PodInfo, snapshot: Snapshot, *,
                 find_all: bool = False) -> ScheduleResult:
        """Pick a node or raise :class:`FitError` (nothing fits) / :class:`SchedulingError`."""
        if len(snapshot) == 0:
            raise NoNodesAvailable(pod_info.key, 0)
        feasible, diagnosis = self.find_nodes_that_fit(framework, state, pod, pod_info, snapshot, find_all=find_all)
        if not feasible:
            raise diagnosis
        if len(feasible) == 1 and not find_all:
            return ScheduleResult(feasible[0].name, diagnosis.num_all_nodes, 1)
        status = framework.run_pre_score(state, pod, pod_info, feasible)
        if not status.ok and status.code != Code.SKIP:
            raise SchedulingError(status.message or "running PreScore plugins failed")
        try:
            totals, per_plugin = framework.run_score(state, pod, pod_info, feasible)
        except ScoreError as e:
            raise SchedulingError(e.status.message) from e
        host = select_host(totals, self.rng)
        return ScheduleResult(host, len(diagnosis.node_statuses) + len(feasible), len(feasible),
                              node_statuses=diagnosis.node_statuses if find_all else {},
                              totals=list(totals), per_plugin=dict(per_plugin))

    def find_nodes_that_fit(self, framework: Any, state: CycleState, pod: dict, pod_info: PodInfo,
                            snapshot: Snapshot, *, find_all: bool = False) -> tuple[list[NodeInfo], FitError]:
        all_nodes = snapshot.node_list
        diagnosis = FitError(pod_info.key, len(all_nodes))
        pre_result, status = framework.run_pre_filter(state, pod, pod_info, all_nodes)
        if not status.ok:
            if not status.is_rejected:
                raise SchedulingError(status.message or "running PreFilter plugins failed")
            diagnosis.pre_filter_msg = status.message
            diagnosis.node_statuses = {n.name: status for n in all_nodes}
            if status.plugin:
                diagnosis.unschedulable_plugins.add(status.plugin)
            return [], diagnosis
        nodes: Sequence[NodeInfo] = all_nodes
        if pre_result is not None and pre_result.node_names is not None:
            nodes = [n for name in sorted(pre_result.node_names) if (n := snapshot.get(name)) is not None]
            plugins = getattr(pre_result, "plugins", None) or ()
            diagnosis.absent_status = Status.unresolvable(
                f"node(s) didn't satisfy plugin(s) [{' '.join(sorted(plugins))}]" if plugins
                else "node(s) didn't satisfy plugin(s) in PreFilter")
            if not nodes:
                return [], diagnosis

        # a pod nominated by preemption goes where room was made for it, if it still fits
        nominated = (pod.get("status") or {}).get("nominatedNodeName") or ""
        if nominated and not find_all:
            node = snapshot.get(nominated)
            if node is not None and framework.run_filter_with_nominated_pods(state, pod, pod_info, node).ok:
                return [node], diagnosis

        n = len(nodes)
        to_find = n if find_all else adaptive_num_feasible_nodes(
            n, _percentage(framework, self.percentage_of_nodes_to_score))
        feasible: list[NodeInfo] = []
        start = 0 if find_all else self.next_start_node_index % n
        processed = 0
        for i in range(n):
            node = nodes[(start + i) % n]
            processed += 1
            status = framework.run_filter_with_nominated_pods(state, pod, pod_info, node)
            if status.ok:
                feasible.append(node)
                if len(feasible) >= to_find:
                    break
            elif status.is_rejected:
                diagnosis.node_statuses[node.name] = status
                if status.plugin:
                    diagnosis.unschedulable_plugins.add(status.plugin)
            else:
                raise SchedulingError(status.message or f"running Filter plugins on node {node.name!r} failed")
        if not find_all:
            self.next_start_node_index = (start + processed) % n
        return feasible, diagnosis
