"""Choosing a node for one pod on one snapshot (upstream's schedulePod,
findNodesThatFitPod, prioritizeNodes and selectHost in schedule_one.go).

1. PreFilter; a rejection there rejects every node at once.
2. A pod nominated by an earlier preemption tries its nominated node first.
3. Filter nodes starting where the previous cycle stopped (round robin, so every node
   gets its turn) and stop once ``adaptive_num_feasible_nodes`` fit: on a large cluster
   scoring a sample is as good as scoring all, and much cheaper.
4. One feasible node is the answer; otherwise PreScore, Score, and the highest total
   wins, ties broken at random.

When every active Filter plugin can answer in batch (``Framework.run_filter_batch``
over the snapshot's NodeTable), steps 3 and 4 run vectorised: one mask over all
nodes, the same round-robin walk and stopping rule over its feasible rows, and batch
Score on them. The per-node Filter only runs when nothing fits, to say why.

:class:`Algorithm` keeps the round-robin position between cycles. ``explain`` uses
the same steps with ``find_all=True`` and keeps every node's verdict and scores.
"""

from __future__ import annotations

import random
from operator import itemgetter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

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
    """The highest total; among equals each is equally likely. Upstream draws once per
    tie while walking the list (reservoir sampling); one draw among all the best gives
    the same distribution with one random number instead of hundreds."""
    if not scores:
        raise SchedulingError("empty priority list")
    top = max(s.score for s in scores)
    best = [s for s in scores if s.score == top]
    return best[(rng or random).randrange(len(best))].name if len(best) > 1 else best[0].name


def select_index_array(values: np.ndarray, rng: random.Random | None = None) -> int:
    """:func:`select_host` for an array of totals: the index of a highest one, uniformly
    among equals -- the same draw from ``rng`` as select_host makes for the same totals."""
    if len(values) == 0:
        raise SchedulingError("empty priority list")
    best = np.flatnonzero(values == values.max())
    return int(best[(rng or random).randrange(len(best))]) if len(best) > 1 else int(best[0])


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
        feasible, diagnosis, rows, evaluated = self._find(framework, state, pod, pod_info, snapshot, find_all)
        if not feasible:
            raise diagnosis
        if len(feasible) == 1 and not find_all:
            return ScheduleResult(feasible[0].name, diagnosis.num_all_nodes, 1)
        status = framework.run_pre_score(state, pod, pod_info, feasible)
        if not status.ok and status.code != Code.SKIP:
            raise SchedulingError(status.message or "running PreScore plugins failed")
        if rows is not None:
            try:
                batch = framework.run_score_batch(state, pod, pod_info, snapshot.table, rows)
            except ScoreError as e:
                raise SchedulingError(e.status.message) from e
            if batch is not None:
                # totals/per_plugin stay empty here: only explain (find_all, per node) shows them
                host = feasible[select_index_array(batch[0], self.rng)].name
                return ScheduleResult(host, evaluated, len(feasible))
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
        feasible, diagnosis, _, _ = self._find(framework, state, pod, pod_info, snapshot, find_all)
        return feasible, diagnosis

    def _find(self, framework: Any, state: CycleState, pod: dict, pod_info: PodInfo, snapshot: Snapshot,
              find_all: bool) -> tuple[list[NodeInfo], FitError, np.ndarray | None, int]:
        """The feasible nodes, the diagnosis, their table rows when the batch path found
        them (else None), and how many nodes were looked at."""
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
            return [], diagnosis, None, 0
        nodes: Sequence[NodeInfo] = all_nodes
        if pre_result is not None and pre_result.node_names is not None:
            nodes = [n for name in sorted(pre_result.node_names) if (n := snapshot.get(name)) is not None]
            plugins = getattr(pre_result, "plugins", None) or ()
            diagnosis.absent_status = Status.unresolvable(
                f"node(s) didn't satisfy plugin(s) [{' '.join(sorted(plugins))}]" if plugins
                else "node(s) didn't satisfy plugin(s) in PreFilter")
            if not nodes:
                return [], diagnosis, None, 0

        # a pod nominated by preemption goes where room was made for it, if it still fits
        nominated = (pod.get("status") or {}).get("nominatedNodeName") or ""
        if nominated and not find_all:
            node = snapshot.get(nominated)
            if node is not None and framework.run_filter_with_nominated_pods(state, pod, pod_info, node).ok:
                return [node], diagnosis, None, 1

        n = len(nodes)
        to_find = n if find_all else adaptive_num_feasible_nodes(
            n, _percentage(framework, self.percentage_of_nodes_to_score))
        start = 0 if find_all else self.next_start_node_index % n
        if not find_all and callable(getattr(framework, "run_filter_batch", None)):
            found = self._find_batch(framework, state, pod, pod_info, snapshot, nodes, to_find, start, diagnosis)
            if found is not None:
                return found
        feasible: list[NodeInfo] = []
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
        return feasible, diagnosis, None, processed

    def _find_batch(self, framework: Any, state: CycleState, pod: dict, pod_info: PodInfo, snapshot: Snapshot,
                    nodes: Sequence[NodeInfo], to_find: int, start: int,
                    diagnosis: FitError) -> tuple[list[NodeInfo], FitError, np.ndarray, int] | None:
        """The per-node walk's outcome from one batch mask: the first ``to_find`` feasible
        positions going round from ``start``, and the same next start (positions up to
        and including the last one taken count as looked at). None: no batch this time."""
        table = snapshot.table
        mask = framework.run_filter_batch(state, pod, pod_info, table)
        if mask is None:
            return None
        n = len(nodes)
        if nodes is snapshot.node_list:
            rows_of = None
        else:   # narrowed by PreFilter: positions in ``nodes`` -> table rows
            rows_of = np.fromiter((table.index[node.name] for node in nodes), dtype=np.intp, count=n)
            mask = mask[rows_of]
        want = max(to_find, 1)
        # feasible positions counted from ``start``, going round
        offsets = np.flatnonzero(np.concatenate((mask[start:], mask[:start])))[:want]
        chosen = offsets + start
        chosen[chosen >= n] -= n
        processed = int(offsets[-1]) + 1 if len(offsets) >= want else n
        self.next_start_node_index = (start + processed) % n
        picked = chosen.tolist()
        # itemgetter fetches them in C: this list is ~500 long on a large cluster, every pod
        feasible = list(itemgetter(*picked)(nodes)) if len(picked) > 1 else [nodes[p] for p in picked]
        if not feasible:
            # nothing fits: the per-node Filter says why, node by node, as the walk would
            for i in range(n):
                node = nodes[(start + i) % n]
                status = framework.run_filter_with_nominated_pods(state, pod, pod_info, node)
                if status.is_rejected:
                    diagnosis.node_statuses[node.name] = status
                    if status.plugin:
                        diagnosis.unschedulable_plugins.add(status.plugin)
                elif not status.ok:
                    raise SchedulingError(status.message or f"running Filter plugins on node {node.name!r} failed")
                else:
                    raise SchedulingError(f"batch and per-node Filter disagree on node {node.name!r}")
            return [], diagnosis, chosen, n
        rows = chosen if rows_of is None else rows_of[chosen]
        return feasible, diagnosis, rows, processed
