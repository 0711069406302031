"""TaintToleration: Filter rejects nodes with a NoSchedule/NoExecute taint the pod
does not tolerate; Score counts untolerated PreferNoSchedule taints (fewer is better,
so the normalization is reversed)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..interface import ClusterEvent
import numpy as np

from ..types import SUCCESS, CycleState, NodeInfo, NodeScore, PodInfo, Status
from .helpers import (default_normalize_array, default_normalize_score, first_untolerated, node_taints,
                      pod_tolerations, tolerates)

NAME = "TaintToleration"
_HARD = frozenset(("NoSchedule", "NoExecute"))
_STATE = "PreScore" + NAME


class TaintToleration:
    name = NAME

    def filter(self, state: CycleState, pod: dict, pod_info: PodInfo, node: NodeInfo) -> Status:
        taints = node_taints(node.node)
        if not taints:
            return SUCCESS
        taint = first_untolerated(taints, pod_tolerations(pod), _HARD)
        if taint is None:
            return SUCCESS
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
        return count, SUCCESS

    def normalize_score(self, state: CycleState, pod: dict, scores: list[NodeScore]) -> Status:
        default_normalize_score(scores, reverse=True)
        return Status()

    # ------------------------------------------------------------------ batch (see nodetable.py)
    # Tolerations are evaluated once per distinct taint set, then mapped through the
    # table's taint-set ids.
    def filter_batch(self, state: CycleState, pod: dict, pod_info: PodInfo, table: Any) -> np.ndarray:
        tolerations = pod_tolerations(pod)
        ok = np.fromiter((not taints or first_untolerated(_as_dicts(taints), tolerations, _HARD) is None
                          for taints in table.taint_sets), dtype=bool, count=len(table.taint_sets))
        return ok[table.taint_id]

    def score_batch(self, state: CycleState, pod: dict, pod_info: PodInfo, table: Any,
                    idx: np.ndarray) -> np.ndarray:
        tolerations = state.get(_STATE)
        if tolerations is None:
            tolerations = pod_tolerations(pod)
        counts = np.fromiter(
            (sum(1 for t in _as_dicts(taints) if t["effect"] == "PreferNoSchedule"
                 and not any(tolerates(tol, t) for tol in tolerations))
             for taints in table.taint_sets), dtype=np.int64, count=len(table.taint_sets))
        return counts[table.taint_id[idx]]

    def normalize_batch(self, state: CycleState, pod: dict, scores: np.ndarray, table: Any,
                        idx: np.ndarray) -> np.ndarray:
        return default_normalize_array(scores, reverse=True)

    def events_to_register(self) -> list[ClusterEvent]:
        return [ClusterEvent("Node", "Add"), ClusterEvent("Node", "Update"), ClusterEvent("Pod", "Update")]


def _as_dicts(taints: tuple[tuple[str, str, str], ...]) -> list[dict]:
    return [{"key": k, "value": v, "effect": e} for k, v, e in taints]


def new(args: dict, handle: Any) -> TaintToleration:
    return TaintToleration()
