"""NodeResourcesFit and NodeResourcesBalancedAllocation.

Fit filters nodes without room for the pod's requests (``PodInfo.requests`` already
folds in init containers, sidecars and overhead) and scores by a strategy:

* ``LeastAllocated`` (default) -- prefer emptier nodes: ``(alloc - req) * 100 / alloc``;
* ``MostAllocated`` -- bin packing: ``req * 100 / alloc``;
* ``RequestedToCapacityRatio`` -- a broken-linear ``shape`` of utilization -> score.

Scoring counts cpu/memory with the non-zero defaults (100m / 200Mi per container that
asks for nothing), like upstream, so that best-effort pods still spread.
BalancedAllocation favours nodes whose resource fractions stay close to each other.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..interface import ClusterEvent, PreFilterResult
from ..nodetable import small
from ..types import MAX_NODE_SCORE, SUCCESS, Code, CycleState, NodeInfo, PodInfo, Resource, Status
from . import resourcebatch

FIT = "NodeResourcesFit"
BALANCED = "NodeResourcesBalancedAllocation"
_FIT_FILTER_STATE = "PreFilter" + FIT
_FIT_SCORE_STATE = "PreScore" + FIT
_BALANCED_STATE = "PreScore" + BALANCED
MAX_CUSTOM_PRIORITY_SCORE = 10   # RequestedToCapacityRatio shape scores are 0..10

DEFAULT_RESOURCES = [{"name": "cpu", "weight": 1}, {"name": "memory", "weight": 1}]


def _is_extended(name: str) -> bool:
    # upstream's IsExtendedResourceName: fully qualified, outside kubernetes.io, not requests.*
    return "/" in name and "kubernetes.io/" not in name and not name.startswith("requests.")


# ---------------------------------------------------------------------------- fit filter
def insufficient_resources(req: Resource, node: NodeInfo, scalars: Sequence[tuple[str, int]]) -> tuple[list[str], bool]:
    """Reasons the pod does not fit, and whether any of them can never be fixed on this
    node (the pod alone asks for more than the node has, so preemption cannot help)."""
    reasons: list[str] = []
    unresolvable = False
    alloc, used = node.allocatable, node.requested
    if len(node.pods) + 1 > alloc.allowed_pod_number:
        reasons.append("Too many pods")
    if req.milli_cpu == 0 and req.memory == 0 and req.ephemeral_storage == 0 and not scalars:
        return reasons, False
    if req.milli_cpu > 0 and alloc.milli_cpu < req.milli_cpu + used.milli_cpu:
        reasons.append("Insufficient cpu")
        unresolvable |= req.milli_cpu > alloc.milli_cpu
    if req.memory > 0 and alloc.memory < req.memory + used.memory:
        reasons.append("Insufficient memory")
        unresolvable |= req.memory > alloc.memory
    if req.ephemeral_storage > 0 and alloc.ephemeral_storage < req.ephemeral_storage + used.ephemeral_storage:
        reasons.append("Insufficient ephemeral-storage")
        unresolvable |= req.ephemeral_storage > alloc.ephemeral_storage
    for name, quantity in scalars:
        have = alloc.scalar.get(name, 0)
        if have < quantity + used.scalar.get(name, 0):
            reasons.append(f"Insufficient {name}")
            unresolvable |= quantity > have
    return reasons, unresolvable


# ---------------------------------------------------------------------------- scorers
def least_allocated(requested: Sequence[int], allocatable: Sequence[int], weights: Sequence[int]) -> int:
    total = weight_sum = 0
    for req, alloc, w in zip(requested, allocatable, weights):
        if alloc == 0:
            continue
        score = 0 if req > alloc else (alloc - req) * MAX_NODE_SCORE // alloc
        total += score * w
        weight_sum += w
    return total // weight_sum if weight_sum else 0


def most_allocated(requested: Sequence[int], allocatable: Sequence[int], weights: Sequence[int]) -> int:
    total = weight_sum = 0
    for req, alloc, w in zip(requested, allocatable, weights):
        if alloc == 0:
            continue
        total += min(req, alloc) * MAX_NODE_SCORE // alloc * w
        weight_sum += w
    return total // weight_sum if weight_sum else 0


def _go_div(a: int, b: int) -> int:
    """Integer division truncating toward zero, as Go does (shapes may slope down)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def broken_linear(shape: Sequence[tuple[int, int]]) -> Callable[[int], int]:
    """Piecewise-linear utilization (0..100) -> score through the shape's points."""
    def f(p: int) -> int:
        for i, (u, s) in enumerate(shape):
            if p <= u:
                if i == 0:
                    return s
                pu, ps = shape[i - 1]
                return ps + _go_div((s - ps) * (p - pu), u - pu)
        return shape[-1][1]
    return f


def shape_points(shape: Sequence[Mapping[str, Any]]) -> list[tuple[int, int]]:
    return [(int(p.get("utilization", 0)), int(p.get("score", 0)) * (MAX_NODE_SCORE // MAX_CUSTOM_PRIORITY_SCORE))
            for p in shape]


def requested_to_capacity_ratio(shape: Sequence[Mapping[str, Any]]) -> Callable[[Sequence[int], Sequence[int], Sequence[int]], int]:
    raw = broken_linear(shape_points(shape))

    def scorer(requested: Sequence[int], allocatable: Sequence[int], weights: Sequence[int]) -> int:
        total = weight_sum = 0
        for req, alloc, w in zip(requested, allocatable, weights):
            if alloc == 0:
                continue
            score = raw(100) if req > alloc else raw(req * 100 // alloc)
            if score > 0:
                total += score * w
                weight_sum += w
        return round(total / weight_sum) if weight_sum else 0
    return scorer


def balanced(requested: Sequence[int], allocatable: Sequence[int], weights: Sequence[int] = ()) -> int:
    fractions = [min(req / alloc, 1.0) for req, alloc in zip(requested, allocatable) if alloc]
    std = 0.0
    if len(fractions) == 2:
        std = abs(fractions[0] - fractions[1]) / 2
    elif len(fractions) > 2:
        mean = sum(fractions) / len(fractions)
        std = math.sqrt(sum((f - mean) ** 2 for f in fractions) / len(fractions))
    return int((1 - std) * MAX_NODE_SCORE)


class _ResourceScorer:
    """Shared by both plugins: which resources count and how to read them off a node.
    ``use_requested`` reads the real requests (BalancedAllocation); otherwise cpu and
    memory use the non-zero defaults (Fit's strategies)."""

    def __init__(self, resources: Sequence[Mapping[str, Any]], use_requested: bool) -> None:
        self.names = [r["name"] for r in resources]
        self.weights = [int(r.get("weight") or 1) for r in resources]
        self.use_requested = use_requested

    def pod_requests(self, info: PodInfo) -> list[int]:
        out = []
        for name in self.names:
            if not self.use_requested and name == "cpu":
                out.append(info.non_zero_cpu)
            elif not self.use_requested and name == "memory":
                out.append(info.non_zero_memory)
            else:
                out.append(info.requests.get(name))
        return out

    def node_vectors(self, node: NodeInfo, pod_req: Sequence[int]) -> tuple[list[int], list[int]]:
        requested, allocatable = [], []
        for name, preq in zip(self.names, pod_req):
            if name == "cpu":
                alloc = node.allocatable.milli_cpu
                used = node.requested.milli_cpu if self.use_requested else node.non_zero_cpu
            elif name == "memory":
                alloc = node.allocatable.memory
                used = node.requested.memory if self.use_requested else node.non_zero_memory
            elif name == "ephemeral-storage":
                alloc, used = node.allocatable.ephemeral_storage, node.requested.ephemeral_storage
            elif preq == 0 or name not in node.allocatable.scalar:
                alloc = used = 0          # extended resource the pod doesn't use: not scored
            else:
                alloc, used = node.allocatable.scalar[name], node.requested.scalar.get(name, 0)
            allocatable.append(alloc)
            requested.append(used + preq if alloc else 0)
        return requested, allocatable

    def table_vectors(self, table: Any, idx: np.ndarray,
                      pod_req: Sequence[int]) -> list[tuple[np.ndarray, np.ndarray]] | None:
        """:meth:`node_vectors` for the table rows ``idx``; None when a resource is not a
        table column (an extended resource the pod asks for) or a quantity is too big."""
        if not table.exact or not small(*pod_req):
            return None
        out = []
        for name, preq in zip(self.names, pod_req):
            if name == "cpu":
                alloc = table.alloc_cpu[idx]
                used = (table.req_cpu if self.use_requested else table.nz_cpu)[idx]
            elif name == "memory":
                alloc = table.alloc_memory[idx]
                used = (table.req_memory if self.use_requested else table.nz_memory)[idx]
            elif name == "ephemeral-storage":
                alloc, used = table.alloc_ephemeral[idx], table.req_ephemeral[idx]
            elif preq == 0:
                alloc = used = np.zeros(len(idx), dtype=np.int64)
            else:
                return None
            out.append((used + preq if alloc.all() else np.where(alloc != 0, used + preq, 0), alloc))
        return out


class Fit:
    name = FIT

    def __init__(self, args: Mapping[str, Any]) -> None:
        self.ignored = frozenset(args.get("ignoredResources") or ())
        self.ignored_groups = tuple(g + "/" for g in args.get("ignoredResourceGroups") or ())
        strategy = args.get("scoringStrategy") or {}
        kind = strategy.get("type") or "LeastAllocated"
        self.scorer = _ResourceScorer(strategy.get("resources") or DEFAULT_RESOURCES, use_requested=False)
        self.batch_strategy: Callable[..., np.ndarray] | None
        if kind == "LeastAllocated":
            self.strategy = least_allocated
            self.batch_strategy = resourcebatch.least_allocated
        elif kind == "MostAllocated":
            self.strategy = most_allocated
            self.batch_strategy = resourcebatch.most_allocated
        elif kind == "RequestedToCapacityRatio":
            shape = (strategy.get("requestedToCapacityRatio") or {}).get("shape") or []
            self.strategy = requested_to_capacity_ratio(shape)
            points = shape_points(shape)
            self.batch_strategy = resourcebatch.requested_to_capacity_ratio(points) if points else None
        else:
            raise ValueError(f"scoringStrategy.type: Unsupported value: {kind!r}")

    def _checked_scalars(self, req: Resource) -> tuple[tuple[str, int], ...]:
        out = []
        for name, q in req.scalar.items():
            if q == 0:
                continue
            if _is_extended(name) and (name in self.ignored or name.startswith(self.ignored_groups)):
                continue
            out.append((name, q))
        return tuple(out)

    def pre_filter(self, state: CycleState, pod: dict, pod_info: PodInfo,
                   nodes: Sequence[NodeInfo]) -> tuple[PreFilterResult | None, Status]:
        state.write(_FIT_FILTER_STATE, self._checked_scalars(pod_info.requests))
        return None, Status()

    def filter(self, state: CycleState, pod: dict, pod_info: PodInfo, node: NodeInfo) -> Status:
        scalars = state.get(_FIT_FILTER_STATE)
        if scalars is None:
            scalars = self._checked_scalars(pod_info.requests)
        reasons, unresolvable = insufficient_resources(pod_info.requests, node, scalars)
        if not reasons:
            return SUCCESS
        return Status.unresolvable(*reasons) if unresolvable else Status.unschedulable(*reasons)

    def filter_batch(self, state: CycleState, pod: dict, pod_info: PodInfo, table: Any) -> np.ndarray | None:
        """:func:`insufficient_resources` is empty, for every row; None when the pod asks
        for an extended resource (not a table column) or a quantity is too big."""
        scalars = state.get(_FIT_FILTER_STATE)
        if scalars is None:
            scalars = self._checked_scalars(pod_info.requests)
        req = pod_info.requests
        if scalars or not table.exact or not small(req.milli_cpu, req.memory, req.ephemeral_storage):
            return None
        ok = table.num_pods + 1 <= table.alloc_pods
        if req.milli_cpu > 0:
            ok &= table.alloc_cpu >= req.milli_cpu + table.req_cpu
        if req.memory > 0:
            ok &= table.alloc_memory >= req.memory + table.req_memory
        if req.ephemeral_storage > 0:
            ok &= table.alloc_ephemeral >= req.ephemeral_storage + table.req_ephemeral
        return ok

    def pre_score(self, state: CycleState, pod: dict, pod_info: PodInfo, nodes: Sequence[NodeInfo]) -> Status:
        state.write(_FIT_SCORE_STATE, self.scorer.pod_requests(pod_info))
        return Status()

    def score(self, state: CycleState, pod: dict, pod_info: PodInfo, node: NodeInfo) -> tuple[int, Status]:
        pod_req = state.get(_FIT_SCORE_STATE)
        if pod_req is None:
            pod_req = self.scorer.pod_requests(pod_info)
        requested, allocatable = self.scorer.node_vectors(node, pod_req)
        return self.strategy(requested, allocatable, self.scorer.weights), SUCCESS

    def score_batch(self, state: CycleState, pod: dict, pod_info: PodInfo, table: Any,
                    idx: np.ndarray) -> np.ndarray | None:
        pod_req = state.get(_FIT_SCORE_STATE)
        if pod_req is None:
            pod_req = self.scorer.pod_requests(pod_info)
        vectors = self.scorer.table_vectors(table, idx, pod_req)
        if vectors is None or self.batch_strategy is None:
            return None
        return self.batch_strategy(vectors, self.scorer.weights)

    def events_to_register(self) -> list[ClusterEvent]:
        return [ClusterEvent("Pod", "Delete"), ClusterEvent("Pod", "Update"), ClusterEvent("Node", "Add"),
                ClusterEvent("Node", "Update")]


class BalancedAllocation:
    name = BALANCED

    def __init__(self, args: Mapping[str, Any]) -> None:
        self.scorer = _ResourceScorer(args.get("resources") or DEFAULT_RESOURCES, use_requested=True)

    def pre_score(self, state: CycleState, pod: dict, pod_info: PodInfo, nodes: Sequence[NodeInfo]) -> Status:
        pod_req = self.scorer.pod_requests(pod_info)
        if not any(pod_req):
            # best-effort pods would all score the same emptiest-looking node (upstream #129138)
            return Status(Code.SKIP)
        state.write(_BALANCED_STATE, pod_req)
        return Status()

    def score(self, state: CycleState, pod: dict, pod_info: PodInfo, node: NodeInfo) -> tuple[int, Status]:
        pod_req = state.get(_BALANCED_STATE)
        if pod_req is None:
            pod_req = self.scorer.pod_requests(pod_info)
            if not any(pod_req):
                return 0, Status()
        requested, allocatable = self.scorer.node_vectors(node, pod_req)
        return balanced(requested, allocatable), SUCCESS

    def score_batch(self, state: CycleState, pod: dict, pod_info: PodInfo, table: Any,
                    idx: np.ndarray) -> np.ndarray | None:
        pod_req = state.get(_BALANCED_STATE)
        if pod_req is None:
            pod_req = self.scorer.pod_requests(pod_info)
            if not any(pod_req):
                return np.zeros(len(idx), dtype=np.int64)
        vectors = self.scorer.table_vectors(table, idx, pod_req)
        if vectors is None:
            return None
        return resourcebatch.balanced(vectors, balanced)

    def events_to_register(self) -> list[ClusterEvent]:
        return [ClusterEvent("Pod", "Delete"), ClusterEvent("Node", "Add"), ClusterEvent("Node", "Update")]


def new_fit(args: dict, handle: Any) -> Fit:
    return Fit(args or {})


def new_balanced_allocation(args: dict, handle: Any) -> BalancedAllocation:
    return BalancedAllocation(args or {})
