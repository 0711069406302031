"""``kyb explain-pending POD``: why a pod does or does not fit each node.

It reads the cluster once (nodes, pods, namespaces, PDBs, PriorityClasses), builds
the same cache, snapshot and framework the scheduler uses, and runs PreFilter, every
node's Filter, PreScore and Score -- without the "enough feasible nodes" shortcut,
and without Reserve, Permit, Bind or preemption: nothing is written. The answer
names, per node, the plugin that rejected it and its message, and for feasible nodes
each plugin's score and the total, best first, and which node would be picked.

Scores are the framework's: per plugin as :meth:`Framework.run_score` reports them
(weighted), and the totals it sums.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..client import APIStatusError, Client
from .algorithm import Algorithm, select_host
from .cache import Cache, is_terminal
from .errors import fit_error_message
from .priority import PriorityResolver
from .queue import Nominator, pod_uid
from .scheduler import _NoEvents, build_frameworks, load_scheduler_config, scheduler_name_of
from .types import CycleState, PodInfo, Status

__all__ = ["Explanation", "explain_pending", "explain_with_client", "format_explanation"]


@dataclass
class Explanation:
    pod: str
    found: bool = True
    error: str = ""
    scheduler_name: str = ""
    priority: int = 0
    bound_to: str = ""
    num_nodes: int = 0
    pre_filter_message: str = ""
    rejected: list[tuple[str, str, str]] = field(default_factory=list)         # (node, plugin, message)
    feasible: list[tuple[str, int, dict[str, int]]] = field(default_factory=list)  # (node, total, per plugin)
    pick: str = ""
    message: str = ""    # the FailedScheduling message when nothing fits


async def _list(client: Client, group: str, version: str, plural: str) -> list[dict]:
    try:
        return (await client.list(group, version, plural)).get("items") or []
    except APIStatusError as e:
        if e.code == 404:
            return []
        raise


async def explain_with_client(client: Client, namespace: str, name: str, *, config_path: Any = None) -> Explanation:
    key = f"{namespace}/{name}"
    try:
        pod = await client.get("", "v1", "pods", name, namespace=namespace)
    except APIStatusError as e:
        if e.code == 404:
            return Explanation(key, found=False, error=f'pods "{name}" not found')
        raise
    nodes = await _list(client, "", "v1", "nodes")
    pods = await _list(client, "", "v1", "pods")
    namespaces = await _list(client, "", "v1", "namespaces")
    pdbs = await _list(client, "policy", "v1", "poddisruptionbudgets")
    classes = {(c.get("metadata") or {}).get("name", ""): c
               for c in await _list(client, "scheduling.k8s.io", "v1", "priorityclasses")}
    priorities = PriorityResolver(lambda: list(classes.values()), classes.get)
    pod = priorities.resolve(pod)

    cache = Cache()
    nominator = Nominator()
    for node in nodes:
        cache.add_node(node)
    for ns in namespaces:
        cache.set_namespace(ns)
    for other in pods:
        if pod_uid(other) == pod_uid(pod) or is_terminal(other):
            continue   # the pod itself never counts against its own fit
        other = priorities.resolve(other)
        if (other.get("spec") or {}).get("nodeName"):
            cache.add_pod(other)
        elif (other.get("status") or {}).get("nominatedNodeName"):
            nominator.add(PodInfo(other))
    snapshot = cache.snapshot()

    config = load_scheduler_config(config_path)
    frameworks = build_frameworks(
        config, client=None, snapshot=lambda: snapshot, nominator=nominator,
        pdb_lister=lambda ns: [p for p in pdbs if (p.get("metadata") or {}).get("namespace") == ns],
        recorder_for=lambda _name: _NoEvents())
    out = Explanation(key, scheduler_name=scheduler_name_of(pod), priority=int(pod["spec"].get("priority") or 0),
                      bound_to=(pod.get("spec") or {}).get("nodeName") or "", num_nodes=len(snapshot))
    fwk = frameworks.get(out.scheduler_name)
    if fwk is None:
        out.error = f"no profile for schedulerName {out.scheduler_name!r} (known: {', '.join(frameworks)})"
        return out
    if len(snapshot) == 0:
        out.message = "no nodes available to schedule pods"
        return out

    pod_info = PodInfo(pod)
    state = CycleState()
    status = fwk.pre_enqueue(pod)
    if not status.ok:
        out.pre_filter_message = status.message
        out.message = f"the pod is not ready for scheduling: {status.message}"
        return out
    feasible, diagnosis = Algorithm().find_nodes_that_fit(fwk, state, pod, pod_info, snapshot, find_all=True)
    out.pre_filter_message = diagnosis.pre_filter_msg
    for node in snapshot.node_list:
        st = diagnosis.node_statuses.get(node.name)
        if st is None and node not in feasible:
            st = diagnosis.absent_status or Status.unresolvable("not considered")
        if st is not None:
            out.rejected.append((node.name, st.plugin, st.message))
    if not feasible:
        out.message = fit_error_message(len(snapshot), diagnosis.node_statuses, pre_filter_msg=diagnosis.pre_filter_msg,
                                        absent_status=diagnosis.absent_status)
        return out
    status = fwk.run_pre_score(state, pod, pod_info, feasible)
    totals, per_plugin = fwk.run_score(state, pod, pod_info, feasible)
    by_node: dict[str, dict[str, int]] = {n.name: {} for n in feasible}
    for plugin, scores in (per_plugin or {}).items():
        for s in scores:
            by_node.setdefault(s.name, {})[plugin] = s.score
    out.feasible = sorted(((s.name, s.score, by_node.get(s.name, {})) for s in totals),
                          key=lambda t: (-t[1], t[0]))
    out.pick = select_host(totals) if len(feasible) > 1 else feasible[0].name
    return out


async def explain_pending(kubeconfig: str | None, namespace: str, name: str, *,
                          config_path: Any = None) -> Explanation:
    client = await Client.from_kubeconfig(kubeconfig, user_agent="kyb-explain-pending")
    try:
        return await explain_with_client(client, namespace, name, config_path=config_path)
    finally:
        await client.close()


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  " + "  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]


def format_explanation(e: Explanation) -> str:
    if not e.found or (e.error and not e.num_nodes):
        return f"Error: {e.error}\n"
    lines = [f"Pod {e.pod} (priority {e.priority}, scheduler {e.scheduler_name}): {e.num_nodes} node(s)"]
    if e.bound_to:
        lines.append(f"Already bound to {e.bound_to}; evaluated as if it were pending.")
    if e.error:
        lines.append(f"Error: {e.error}")
    if e.pre_filter_message:
        lines.append(f"PreFilter rejected the pod: {e.pre_filter_message}")
    if e.rejected:
        lines.append("Rejected:")
        lines.extend(_table([["NODE", "PLUGIN", "REASON"]] + [[n, p or "-", m] for n, p, m in e.rejected]))
    if e.feasible:
        plugins = sorted({p for _, _, per in e.feasible for p in per})
        lines.append("Feasible (best first):")
        rows = [["NODE", "TOTAL", *plugins]]
        rows += [[n, str(total), *(str(per.get(p, "-")) for p in plugins)] for n, total, per in e.feasible]
        lines.extend(_table(rows))
        lines.append(f"Would pick: {e.pick}")
    elif e.message:
        lines.append(f"No node fits: {e.message}")
    return "\n".join(lines) + "\n"
