"""The scheduler cache: what each node has on it, as the scheduler believes it
(upstream's internal/cache/{cache.go,snapshot.go,node_tree.go}).

Node and pod informers feed it; only pods that are bound (``spec.nodeName``) and not
finished (phase Succeeded/Failed) count. Because binding goes through the API and
the informer shows it later, a pod the scheduler decided on is **assumed** at once --
added to its node here, so the next pod's cycle already sees the room it takes --
and is then **confirmed** when the informer reports the binding, **forgotten** if the
binding failed, or **expired** if it was bound but the informer never confirmed it
within :data:`ASSUMED_POD_TTL` (the pod was deleted meanwhile and the delete was
missed).

Every change gives the touched NodeInfo a new cache-wide ``generation`` and moves it
to the end of a recency list, so :meth:`Cache.update_snapshot` walks back from the
newest change and stops at the first NodeInfo the snapshot already has: a cycle
costs O(nodes changed since the last cycle), not O(all nodes) -- what lets the
scheduler keep up with hundreds of pods a second on thousands of nodes.

Nodes are listed in zone-interleaved order (node a of zone 1, node a of zone 2, ...,
node b of zone 1, ...), like upstream's node tree, so the "stop after enough feasible
nodes" search of a cycle does not look at one zone only.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..client.workqueue import Clock, SystemClock
from .queue import pod_uid
from .types import NodeInfo, PodInfo, Snapshot

log = logging.getLogger(__name__)

__all__ = ["ASSUMED_POD_TTL", "Cache", "NodeTree", "is_terminal", "zone_key"]

# How long a bound-but-unconfirmed assumed pod is kept. Upstream made this 0 (never
# expire) once informers became reliable; a finite TTL is a safety net against a lost
# delete, long enough for the slowest informer.
ASSUMED_POD_TTL = 30.0

ZONE_LABEL = "topology.kubernetes.io/zone"
REGION_LABEL = "topology.kubernetes.io/region"
_LEGACY_ZONE = "failure-domain.beta.kubernetes.io/zone"
_LEGACY_REGION = "failure-domain.beta.kubernetes.io/region"


def zone_key(node: Mapping[str, Any]) -> str:
    """``region:\\x00:zone`` of a node, "" when it has neither label (upstream's GetZoneKey)."""
    labels = (node.get("metadata") or {}).get("labels") or {}
    zone = labels.get(ZONE_LABEL) or labels.get(_LEGACY_ZONE) or ""
    region = labels.get(REGION_LABEL) or labels.get(_LEGACY_REGION) or ""
    if not zone and not region:
        return ""
    return f"{region}:\x00:{zone}"


def is_terminal(pod: Mapping[str, Any]) -> bool:
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


def _node_name(node: Mapping[str, Any]) -> str:
    return (node.get("metadata") or {}).get("name", "")


class NodeTree:
    """Node names grouped by zone; :meth:`list` interleaves the zones round-robin."""

    def __init__(self) -> None:
        self._zones: dict[str, list[str]] = {}
        self._zone_of: dict[str, str] = {}
        self.version = 0   # moves on every change of membership or order

    def __len__(self) -> int:
        return len(self._zone_of)

    def add(self, node: Mapping[str, Any]) -> None:
        name = _node_name(node)
        zone = zone_key(node)
        if self._zone_of.get(name) == zone:
            return
        self.remove(name)
        self._zones.setdefault(zone, []).append(name)
        self._zone_of[name] = zone
        self.version += 1

    def remove(self, name: str) -> None:
        zone = self._zone_of.pop(name, None)
        if zone is None:
            return
        names = self._zones[zone]
        names.remove(name)
        if not names:
            del self._zones[zone]
        self.version += 1

    def list(self) -> list[str]:
        zones = list(self._zones.values())
        out: list[str] = []
        for i in range(max((len(z) for z in zones), default=0)):
            for names in zones:
                if i < len(names):
                    out.append(names[i])
        return out


@dataclass(slots=True)
class _PodState:
    pod_info: PodInfo
    node_name: str
    assumed: bool = False
    binding_finished: bool = False
    deadline: float | None = None


_SNAPSHOT_FIELDS = tuple(NodeInfo.__slots__)


def _copy_into(dst: NodeInfo, src: NodeInfo) -> None:
    """Make ``dst`` an independent copy of ``src`` without changing its identity (the
    snapshot's node list holds ``dst``)."""
    fresh = src.clone()
    for name in _SNAPSHOT_FIELDS:
        setattr(dst, name, getattr(fresh, name))


class Cache:
    def __init__(self, *, clock: Clock | None = None, assumed_ttl: float = ASSUMED_POD_TTL) -> None:
        self.clock: Clock = clock or SystemClock()
        self.assumed_ttl = assumed_ttl
        self._nodes: dict[str, NodeInfo] = {}
        self._recent: OrderedDict[str, None] = OrderedDict()   # node names, least recently changed first
        self._generation = 0
        self._tree = NodeTree()
        self._pods: dict[str, _PodState] = {}                   # by pod uid
        self._assumed: set[str] = set()
        self._namespace_labels: dict[str, dict[str, str]] = {}  # replaced, never mutated: snapshots share it

    # ------------------------------------------------------------------ bookkeeping
    def _node_info(self, name: str) -> NodeInfo:
        info = self._nodes.get(name)
        if info is None:
            info = self._nodes[name] = NodeInfo()
        return info

    def _touch(self, name: str) -> None:
        """Stamp a changed NodeInfo with the next cache generation (after its own mutation
        bumped its local counter) and mark it most recent."""
        self._generation += 1
        self._nodes[name].generation = self._generation
        self._recent[name] = None
        self._recent.move_to_end(name)

    def _drop_if_empty_ghost(self, name: str) -> None:
        info = self._nodes.get(name)
        if info is not None and info.node is None and not info.pods:
            del self._nodes[name]
            self._recent.pop(name, None)

    # ------------------------------------------------------------------ nodes
    def add_node(self, node: dict) -> None:
        name = _node_name(node)
        info = self._node_info(name)
        info.set_node(node)
        self._tree.add(node)
        self._touch(name)

    update_node = add_node

    def remove_node(self, node: Mapping[str, Any]) -> None:
        """The node is gone. Its pods stay accounted to a ghost NodeInfo (not in snapshots)
        until their own deletes arrive, as upstream does."""
        name = _node_name(node)
        self._tree.remove(name)
        info = self._nodes.get(name)
        if info is None:
            return
        info._set_node_object(None)
        self._touch(name)
        self._drop_if_empty_ghost(name)

    @property
    def node_count(self) -> int:
        return len(self._tree)

    # ------------------------------------------------------------------ pods
    def _add_to_node(self, state: _PodState) -> None:
        self._node_info(state.node_name).add_pod(state.pod_info)
        self._touch(state.node_name)

    def _remove_from_node(self, state: _PodState) -> None:
        info = self._nodes.get(state.node_name)
        if info is None:
            return
        info.remove_pod(state.pod_info.key)
        self._touch(state.node_name)
        self._drop_if_empty_ghost(state.node_name)

    def assume_pod(self, pod_info: PodInfo, node_name: str) -> None:
        """Count ``pod_info`` on ``node_name`` before its binding is written."""
        uid = pod_uid(pod_info.pod)
        if uid in self._pods:
            raise ValueError(f"pod {pod_info.key} is already in the cache, cannot be assumed")
        state = _PodState(pod_info, node_name, assumed=True)
        self._pods[uid] = state
        self._assumed.add(uid)
        self._add_to_node(state)

    def finish_binding(self, pod: Mapping[str, Any]) -> None:
        """The binding was written; start the assumed pod's expiry clock."""
        state = self._pods.get(pod_uid(pod))
        if state is not None and state.assumed:
            state.binding_finished = True
            state.deadline = self.clock.now() + self.assumed_ttl

    def forget_pod(self, pod: Mapping[str, Any]) -> None:
        """The binding failed: undo the assumption."""
        uid = pod_uid(pod)
        state = self._pods.get(uid)
        if state is None or not state.assumed:
            return
        self._remove_from_node(state)
        del self._pods[uid]
        self._assumed.discard(uid)

    def is_assumed(self, pod: Mapping[str, Any]) -> bool:
        return pod_uid(pod) in self._assumed

    def has_pod(self, pod: Mapping[str, Any]) -> bool:
        return pod_uid(pod) in self._pods

    def pod_node(self, pod: Mapping[str, Any]) -> str:
        state = self._pods.get(pod_uid(pod))
        return state.node_name if state else ""

    def add_pod(self, pod: dict) -> None:
        """An assigned pod from the informer: confirms an assumed pod (moving it if it landed
        elsewhere), or adds a pod bound by someone else."""
        if is_terminal(pod):
            self.remove_pod(pod)
            return
        uid = pod_uid(pod)
        node_name = (pod.get("spec") or {}).get("nodeName") or ""
        state = self._pods.get(uid)
        if state is not None and state.assumed:
            self._assumed.discard(uid)
            state.assumed = False
            state.deadline = None
            if state.node_name != node_name:
                log.warning("pod %s assumed on %s but bound to %s", state.pod_info.key, state.node_name, node_name)
                self._remove_from_node(state)
                state.node_name = node_name
                state.pod_info = PodInfo(pod)
                self._add_to_node(state)
            else:
                # same requests (the spec did not change but for nodeName): keep the parsed info
                state.pod_info.pod = pod
            return
        if state is not None:
            self.update_pod(state.pod_info.pod, pod)
            return
        state = self._pods[uid] = _PodState(PodInfo(pod), node_name)
        self._add_to_node(state)

    def update_pod(self, old: Mapping[str, Any], new: dict) -> None:
        uid = pod_uid(new)
        state = self._pods.get(uid)
        if state is None or state.assumed:
            self.add_pod(new)
            return
        if is_terminal(new):
            self.remove_pod(new)
            return
        self._remove_from_node(state)
        state.pod_info = PodInfo(new)
        state.node_name = (new.get("spec") or {}).get("nodeName") or ""
        self._add_to_node(state)

    def remove_pod(self, pod: Mapping[str, Any]) -> None:
        uid = pod_uid(pod)
        state = self._pods.pop(uid, None)
        self._assumed.discard(uid)
        if state is not None:
            self._remove_from_node(state)

    def cleanup_expired_assumed_pods(self) -> int:
        """Drop assumed pods whose binding finished more than the TTL ago and were never confirmed."""
        now = self.clock.now()
        expired = [uid for uid in self._assumed
                   if (s := self._pods[uid]).binding_finished and s.deadline is not None and s.deadline <= now]
        for uid in expired:
            state = self._pods.pop(uid)
            self._assumed.discard(uid)
            log.warning("assumed pod %s expired without its binding being seen", state.pod_info.key)
            self._remove_from_node(state)
        return len(expired)

    # ------------------------------------------------------------------ namespaces
    def set_namespace(self, ns: Mapping[str, Any]) -> None:
        meta = ns.get("metadata") or {}
        labels = dict(meta.get("labels") or {})
        if self._namespace_labels.get(meta.get("name", "")) != labels:
            self._namespace_labels = {**self._namespace_labels, meta.get("name", ""): labels}

    def remove_namespace(self, ns: Mapping[str, Any]) -> None:
        name = (ns.get("metadata") or {}).get("name", "")
        if name in self._namespace_labels:
            self._namespace_labels = {k: v for k, v in self._namespace_labels.items() if k != name}

    # ------------------------------------------------------------------ snapshots
    def update_snapshot(self, snapshot: Snapshot) -> None:
        """Bring ``snapshot`` up to date, copying only the NodeInfos changed since its
        generation; the node order and the affinity lists are rebuilt only when needed."""
        by_name: dict[str, NodeInfo] = snapshot._by_name
        rebuild_order = getattr(snapshot, "tree_version", -1) != self._tree.version
        rebuild_affinity = False
        changed: list[NodeInfo] = []       # snapshot NodeInfos re-copied in place: their table rows move
        for name in reversed(self._recent):
            info = self._nodes[name]
            if info.generation <= snapshot.generation:
                break
            if info.node is None:
                continue  # a ghost; removed below via the node tree
            existing = by_name.get(name)
            if existing is None:
                by_name[name] = info.clone()
                rebuild_order = True
                continue
            if (bool(existing.pods_with_affinity) != bool(info.pods_with_affinity)
                    or bool(existing.pods_with_required_anti_affinity) != bool(info.pods_with_required_anti_affinity)):
                rebuild_affinity = True
            _copy_into(existing, info)
            changed.append(existing)
        snapshot.generation = self._generation
        if rebuild_order or len(by_name) != len(self._tree):
            order = self._tree.list()
            fresh = {}
            for name in order:
                fresh[name] = by_name.get(name) or self._nodes[name].clone()
            snapshot._by_name = fresh
            snapshot.node_list = [fresh[n] for n in order]
            snapshot.tree_version = self._tree.version  # type: ignore[attr-defined]
            rebuild_affinity = True
            if snapshot._table is not None:
                snapshot._table.rebuild(snapshot.node_list)
        elif snapshot._table is not None and changed:
            snapshot._table.update_rows(changed)
        snapshot._table_managed = True
        if rebuild_affinity:
            snapshot.have_pods_with_affinity = [n for n in snapshot.node_list if n.pods_with_affinity]
            snapshot.have_pods_with_required_anti_affinity = [
                n for n in snapshot.node_list if n.pods_with_required_anti_affinity]
        snapshot.namespace_labels = self._namespace_labels

    def snapshot(self) -> Snapshot:
        """A fresh snapshot (for one-off readers such as explain-pending)."""
        snap = Snapshot()
        self.update_snapshot(snap)
        return snap

    def dump(self) -> dict[str, NodeInfo]:
        return dict(self._nodes)
