"""The scheduling framework's extension points, as upstream defines them
(pkg/scheduler/framework/interface.go), and the :class:`Handle` a plugin gets.

A plugin is an object with a ``name`` and any of the methods below; the framework
calls the ones it has, in the order the profile lists the plugins. Everything here
runs on the scheduler's event loop; only ``bind`` (and ``permit`` waits) are async.

Cycle of one pod::

    pre_filter -> filter (per node) -> [post_filter if no node fits]
    -> pre_score -> score (per feasible node) -> normalize_score -> weights
    -> reserve -> permit -> (binding cycle, async) pre_bind -> bind -> post_bind
    (unreserve if anything after reserve fails)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from .types import CycleState, NodeInfo, NodeScore, PodInfo, Snapshot, Status

__all__ = [
    "BindPlugin", "EnqueueExtensions", "FilterPlugin", "Handle", "PermitPlugin", "PostBindPlugin",
    "PostFilterPlugin", "PostFilterResult", "PreBindPlugin", "PreFilterPlugin", "PreFilterResult",
    "PreScorePlugin", "QueueSortPlugin", "ReservePlugin", "ScorePlugin", "ClusterEvent",
]


@dataclass(frozen=True, slots=True)
class PreFilterResult:
    """``node_names``: when not None, only these nodes can fit (e.g. NodeAffinity on
    ``metadata.name``, NodeName); the framework filters just them."""
    node_names: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class PostFilterResult:
    """Preemption's outcome: the node the pod was nominated to (victims being evicted)."""
    nominated_node_name: str = ""


@dataclass(frozen=True, slots=True)
class ClusterEvent:
    """A change that may make an unschedulable pod schedulable: ``resource`` is one of
    "Pod", "Node", "PersistentVolumeClaim", "Namespace", ... and ``action`` one of
    "Add", "Update", "Delete" (upstream's framework.ClusterEvent, simplified: the
    queue moves a pod back when any of its rejecting plugins registered the event)."""
    resource: str
    action: str


class Handle(Protocol):
    """What the framework offers plugins (upstream's framework.Handle)."""

    def snapshot(self) -> Snapshot: ...                 # the current cycle's nodes
    @property
    def client(self) -> Any: ...                       # kybernetes.client.Client (preemption deletes victims)
    def nominated_pods_for_node(self, node_name: str) -> list[PodInfo]: ...
    def pod_disruption_budgets(self, namespace: str) -> list[dict]: ...
    def run_filter_plugins(self, state: CycleState, pod: dict, node: NodeInfo) -> Status: ...
    def run_pre_filter_extension_add_pod(self, state: CycleState, pod: dict, to_add: PodInfo, node: NodeInfo) -> Status: ...
    def run_pre_filter_extension_remove_pod(self, state: CycleState, pod: dict, to_remove: PodInfo, node: NodeInfo) -> Status: ...
    def record_event(self, obj: dict, type_: str, reason: str, message: str) -> None: ...


@runtime_checkable
class QueueSortPlugin(Protocol):
    name: str
    def less(self, a: PodInfo, a_timestamp: float, b: PodInfo, b_timestamp: float) -> bool: ...


@runtime_checkable
class PreFilterPlugin(Protocol):
    """``pre_filter`` computes per-pod state (written to ``state``); returning
    ``Status(Code.SKIP)`` skips this plugin's Filter for the cycle. ``add_pod`` /
    ``remove_pod`` (optional, the PreFilterExtensions) update that state when preemption
    simulates adding or removing a pod on ``node``."""
    name: str
    def pre_filter(self, state: CycleState, pod: dict, pod_info: PodInfo, nodes: Sequence[NodeInfo]) -> tuple[PreFilterResult | None, Status]: ...


@runtime_checkable
class FilterPlugin(Protocol):
    name: str
    def filter(self, state: CycleState, pod: dict, pod_info: PodInfo, node: NodeInfo) -> Status: ...


@runtime_checkable
class PostFilterPlugin(Protocol):
    """Runs when no node fits; ``filtered`` maps node name -> the rejecting Status."""
    name: str
    async def post_filter(self, state: CycleState, pod: dict, pod_info: PodInfo,
                          filtered: dict[str, Status]) -> tuple[PostFilterResult | None, Status]: ...


@runtime_checkable
class PreScorePlugin(Protocol):
    name: str
    def pre_score(self, state: CycleState, pod: dict, pod_info: PodInfo, nodes: Sequence[NodeInfo]) -> Status: ...


@runtime_checkable
class ScorePlugin(Protocol):
    """``score`` is 0..100 (MAX_NODE_SCORE) unless the plugin normalizes: then
    ``normalize_score`` (optional) maps the raw scores of all feasible nodes into 0..100
    in place. The framework multiplies by the profile's weight and sums."""
    name: str
    def score(self, state: CycleState, pod: dict, pod_info: PodInfo, node: NodeInfo) -> tuple[int, Status]: ...


class NormalizeScore(Protocol):
    def normalize_score(self, state: CycleState, pod: dict, scores: list[NodeScore]) -> Status: ...


@runtime_checkable
class ReservePlugin(Protocol):
    name: str
    def reserve(self, state: CycleState, pod: dict, node_name: str) -> Status: ...
    def unreserve(self, state: CycleState, pod: dict, node_name: str) -> None: ...


@runtime_checkable
class PermitPlugin(Protocol):
    """Returns (status, timeout seconds); ``Code.WAIT`` holds the pod until allowed or timed out."""
    name: str
    def permit(self, state: CycleState, pod: dict, node_name: str) -> tuple[Status, float]: ...


@runtime_checkable
class PreBindPlugin(Protocol):
    name: str
    async def pre_bind(self, state: CycleState, pod: dict, node_name: str) -> Status: ...


@runtime_checkable
class BindPlugin(Protocol):
    """``Code.SKIP`` passes the binding to the next bind plugin."""
    name: str
    async def bind(self, state: CycleState, pod: dict, node_name: str) -> Status: ...


@runtime_checkable
class PostBindPlugin(Protocol):
    name: str
    def post_bind(self, state: CycleState, pod: dict, node_name: str) -> None: ...


class EnqueueExtensions(Protocol):
    """Optional on any plugin: the cluster events after which a pod it rejected may fit."""
    def events_to_register(self) -> list[ClusterEvent]: ...


PluginFactory = Callable[[dict, Handle], Any]   # (plugin args from the profile, handle) -> plugin
