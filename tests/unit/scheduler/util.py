"""Builders for scheduler unit tests: pods, nodes and a framework over a snapshot,
all from plain dicts (no API server)."""

from __future__ import annotations

from typing import Any

from kybernetes.scheduler.config import KubeSchedulerConfiguration
from kybernetes.scheduler.framework import Framework
from kybernetes.scheduler.types import CycleState, NodeInfo, PodInfo, Snapshot


def pod(name: str = "p", *, ns: str = "default", labels: dict | None = None, cpu: str | None = None,
        memory: str | None = None, priority: int | None = None, node: str = "", **spec: Any) -> dict:
    res: dict[str, Any] = {}
    if cpu or memory:
        res = {"requests": {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v}}
    body: dict[str, Any] = {"containers": [{"name": "c", "image": "pause", "resources": res}]}
    if priority is not None:
        body["priority"] = priority
    if node:
        body["nodeName"] = node
    body.update(spec)
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": ns, "uid": f"uid-{name}", "labels": labels or {}},
            "spec": body, "status": {}}


def node(name: str, *, labels: dict | None = None, cpu: str = "4", memory: str = "8Gi", pods: str = "110",
         taints: list | None = None, unschedulable: bool = False, images: list | None = None, **alloc: str) -> dict:
    allocatable = {"cpu": cpu, "memory": memory, "pods": pods, **alloc}
    spec: dict[str, Any] = {}
    if taints:
        spec["taints"] = taints
    if unschedulable:
        spec["unschedulable"] = True
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, **(labels or {})}},
            "spec": spec, "status": {"allocatable": allocatable, "capacity": allocatable, "images": images or []}}


def node_info(n: dict, *pods: dict) -> NodeInfo:
    info = NodeInfo(n)
    for p in pods:
        info.add_pod(PodInfo(p))
    return info


def framework(nodes: list[NodeInfo], config: dict | None = None, ns_labels: dict | None = None,
              **kw: Any) -> Framework:
    cfg = KubeSchedulerConfiguration.from_dict(config or {})
    snap = Snapshot(nodes, ns_labels)
    return Framework(cfg.profiles[0], snapshot=lambda: snap, **kw)


def filter_all(fw: Framework, p: dict, nodes: list[NodeInfo]) -> dict[str, Any]:
    """Run PreFilter then Filter on every node: node name -> Status (like the scheduler)."""
    state = CycleState()
    info = PodInfo(p)
    result, st = fw.run_pre_filter(state, p, info, nodes)
    if not st.ok:
        return {n.name: st for n in nodes}
    out = {}
    for n in nodes:
        if result is not None and result.node_names is not None and n.name not in result.node_names:
            continue
        out[n.name] = fw.run_filter(state, p, info, n)
    return out


def only_plugins(*names: str, weights: dict | None = None, args: dict | None = None) -> dict:
    """A config whose profile runs just ``names`` (plus the queue sort and binder)."""
    weights = weights or {}
    return {"profiles": [{
        "plugins": {"multiPoint": {"enabled": [{"name": n, "weight": weights.get(n, 0)} for n in names],
                                   "disabled": [{"name": "*"}]},
                    "queueSort": {"enabled": [{"name": "PrioritySort"}]},
                    "bind": {"enabled": [{"name": "DefaultBinder"}]}},
        "pluginConfig": [{"name": k, "args": v} for k, v in (args or {}).items()]}]}


def score_all(fw: Framework, p: dict, nodes: list[NodeInfo]) -> dict[str, int]:
    state = CycleState()
    info = PodInfo(p)
    fw.run_pre_filter(state, p, info, nodes)
    fw.run_pre_score(state, p, info, nodes)
    totals, _ = fw.run_score(state, p, info, nodes)
    return {s.name: s.score for s in totals}
