"""DefaultPreemption (PostFilter): when no node fits, find a node where evicting
lower-priority pods would make room, evict them, and nominate the pod to that node.

For each node that failed with a resolvable reason (``UNSCHEDULABLE``), on a copy of
the node and of the cycle state: remove every lower-priority pod, check the pod fits,
then give pods back ("reprieve") highest priority first -- those whose eviction would
break a PodDisruptionBudget before the others -- keeping each one that still lets the
pod fit. What is left are the victims. Among the candidate nodes pick (upstream's
order) fewest PDB violations, lowest highest-victim priority, lowest priority sum,
fewest victims, latest start among the highest-priority victims, then the first.

The candidate search stops once ``max(minCandidateNodesAbsolute,
minCandidateNodesPercentage% of nodes)`` candidates are found; when that is fewer than the
potential nodes it starts at a random one, as upstream does, so that preemption does not
always land on the first nodes. When every potential node is examined anyway it starts at
the first, which keeps ties (broken in favour of the earlier candidate) reproducible."""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ...api.selectors import SelectorError, label_selector_from_dict
from ..errors import fit_error_message
from ..interface import ClusterEvent, PostFilterResult
from ..types import Code, CycleState, NodeInfo, PodInfo, Status
from .helpers import pod_priority

log = logging.getLogger(__name__)

NAME = "DefaultPreemption"
NOT_HELPFUL = "Preemption is not helpful for scheduling"
NO_VICTIMS = "No preemption victims found for incoming pod"
_FAR_FUTURE = dt.datetime.max.replace(tzinfo=dt.timezone.utc)
_INT32_MAX = 2 ** 31 - 1


def start_time(pod: Mapping[str, Any]) -> dt.datetime:
    """When the pod started; not started yet counts as "now or later" (upstream uses now)."""
    raw = (pod.get("status") or {}).get("startTime")
    if raw:
        try:
            return dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            pass
    return _FAR_FUTURE


def more_important(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    pa, pb = pod_priority(a), pod_priority(b)
    if pa != pb:
        return pa > pb
    return start_time(a) < start_time(b)


def importance_key(info: PodInfo) -> tuple[int, dt.datetime]:
    """Sort key putting the most important pod (highest priority, then oldest) first."""
    return -pod_priority(info.pod), start_time(info.pod)


def split_by_pdb_violation(pods: Sequence[PodInfo], pdbs: Sequence[Mapping[str, Any]]) -> tuple[list[PodInfo], list[PodInfo]]:
    """(pods whose eviction would break a PDB, the others), keeping the order. A PDB's
    budget is used up as pods are considered; pods it already counts as disrupted are free."""
    allowed = [int((p.get("status") or {}).get("disruptionsAllowed") or 0) for p in pdbs]
    selectors = []
    for p in pdbs:
        raw = (p.get("spec") or {}).get("selector")
        try:
            sel = label_selector_from_dict(raw) if raw else None
        except SelectorError:
            sel = None
        selectors.append(None if sel is None or sel.empty else sel)
    violating, ok = [], []
    for info in pods:
        meta = info.pod.get("metadata") or {}
        labels = meta.get("labels") or {}
        broken = False
        for i, pdb in enumerate(pdbs):
            if (pdb.get("metadata") or {}).get("namespace", "") != info.namespace:
                continue
            sel = selectors[i]
            if sel is None or not sel.matches(labels):
                continue
            if meta.get("name") in ((pdb.get("status") or {}).get("disruptedPods") or {}):
                continue
            allowed[i] -= 1
            if allowed[i] < 0:
                broken = True
        (violating if broken else ok).append(info)
    return violating, ok


@dataclass
class Candidate:
    node: str
    victims: list[PodInfo] = field(default_factory=list)
    pdb_violations: int = 0


def pick_one_node(candidates: Sequence[Candidate]) -> Candidate | None:
    """Upstream's pickOneNodeForPreemption order; ties keep the earlier candidate."""
    if not candidates:
        return None
    for c in candidates:
        if not c.victims:
            return c

    def key(c: Candidate) -> tuple:
        prios = [pod_priority(v.pod) for v in c.victims]
        highest = max(prios)
        earliest_of_highest = min(start_time(v.pod) for v in c.victims if pod_priority(v.pod) == highest)
        # latest start wins: negate via timestamp
        return (c.pdb_violations, highest, sum(p + _INT32_MAX + 1 for p in prios), len(c.victims),
                -earliest_of_highest.timestamp())
    return min(candidates, key=key)


class DefaultPreemption:
    name = NAME

    def __init__(self, args: Mapping[str, Any], handle: Any) -> None:
        self.handle = handle
        self.min_percentage = int(args.get("minCandidateNodesPercentage", 10))
        self.min_absolute = int(args.get("minCandidateNodesAbsolute", 100))
        self.rng = random.Random()

    def num_candidates(self, num_nodes: int) -> int:
        n = num_nodes * self.min_percentage // 100
        return min(max(n, self.min_absolute), num_nodes)

    # ------------------------------------------------------------------ eligibility
    def eligible(self, pod: Mapping[str, Any], filtered: Mapping[str, Status]) -> tuple[bool, str]:
        spec = pod.get("spec") or {}
        if spec.get("preemptionPolicy") == "Never":
            return False, "not eligible due to preemptionPolicy=Never."
        nominated = (pod.get("status") or {}).get("nominatedNodeName")
        if nominated:
            st = filtered.get(nominated)
            if st is not None and st.code == Code.UNSCHEDULABLE_AND_UNRESOLVABLE:
                return True, ""
            node = self.handle.snapshot().get(nominated)
            if node is not None:
                me = pod_priority(pod)
                for info in node.pods.values():
                    if (info.pod.get("metadata") or {}).get("deletionTimestamp") and pod_priority(info.pod) < me:
                        return False, "not eligible due to a terminating pod on the nominated node."
        return True, ""

    # ------------------------------------------------------------------ victims
    def _pdbs(self, cache: dict[str, list[dict]], namespace: str) -> list[dict]:
        if namespace not in cache:
            lister = getattr(self.handle, "pod_disruption_budgets", None)
            cache[namespace] = list(lister(namespace) or []) if lister is not None else []
        return cache[namespace]

    def select_victims(self, state: CycleState, pod: dict, pod_info: PodInfo, node: NodeInfo,
                       pdb_cache: dict[str, list[dict]]) -> tuple[Candidate | None, Status]:
        """Victims on ``node`` (already a copy, as is ``state``), or the reason there are none."""
        handle = self.handle
        me = pod_priority(pod)
        potential = [info for info in node.pods.values() if pod_priority(info.pod) < me]
        if not potential:
            return None, Status.unresolvable(NO_VICTIMS)
        for info in potential:
            node.remove_pod(info.key)
            handle.run_pre_filter_extension_remove_pod(state, pod, info, node)
        status = handle.run_filter_with_nominated_pods(state, pod, pod_info, node)
        if not status.ok:
            return None, status
        potential.sort(key=importance_key)
        pdbs: list[dict] = []
        for ns in {info.namespace for info in potential}:
            pdbs.extend(self._pdbs(pdb_cache, ns))
        violating, ok = split_by_pdb_violation(potential, pdbs)
        cand = Candidate(node.name)

        def reprieve(info: PodInfo) -> bool:
            node.add_pod(info)
            handle.run_pre_filter_extension_add_pod(state, pod, info, node)
            if handle.run_filter_with_nominated_pods(state, pod, pod_info, node).ok:
                return True
            node.remove_pod(info.key)
            handle.run_pre_filter_extension_remove_pod(state, pod, info, node)
            cand.victims.append(info)
            return False

        for info in violating:
            if not reprieve(info):
                cand.pdb_violations += 1
        for info in ok:
            reprieve(info)
        return cand, Status()

    def find_candidates(self, state: CycleState, pod: dict, pod_info: PodInfo,
                        filtered: Mapping[str, Status]) -> tuple[list[Candidate], dict[str, Status]]:
        snapshot = self.handle.snapshot()
        statuses: dict[str, Status] = {}
        potential = []
        for node in snapshot.node_list:
            st = filtered.get(node.name)
            if st is None or st.code != Code.UNSCHEDULABLE:
                statuses[node.name] = Status.unresolvable(NOT_HELPFUL)
            else:
                potential.append(node)
        wanted = self.num_candidates(len(potential))
        if wanted < len(potential):
            start = self.rng.randrange(len(potential))
            potential = potential[start:] + potential[:start]
        candidates: list[Candidate] = []
        non_violating = 0
        pdb_cache: dict[str, list[dict]] = {}
        for node in potential:
            cand, st = self.select_victims(state.clone(), pod, pod_info, node.clone(), pdb_cache)
            if cand is None:
                statuses[node.name] = st
                continue
            candidates.append(cand)
            if cand.pdb_violations == 0:
                non_violating += 1
            if non_violating and len(candidates) >= wanted:
                break
        return candidates, statuses

    # ------------------------------------------------------------------ post filter
    async def post_filter(self, state: CycleState, pod: dict, pod_info: PodInfo,
                          filtered: dict[str, Status]) -> tuple[PostFilterResult | None, Status]:
        ok, why = self.eligible(pod, filtered)
        if not ok:
            return None, Status.unschedulable("preemption: " + why)
        candidates, statuses = self.find_candidates(state, pod, pod_info, filtered)
        best = pick_one_node(candidates)
        if best is None:
            msg = fit_error_message(len(self.handle.snapshot()), statuses)
            return PostFilterResult(""), Status.unschedulable("preemption: " + msg)
        await self.evict(pod, best)
        return PostFilterResult(best.node), Status()

    async def evict(self, pod: Mapping[str, Any], cand: Candidate) -> None:
        client = getattr(self.handle, "client", None)
        meta = pod.get("metadata") or {}
        for victim in cand.victims:
            vmeta = victim.pod.get("metadata") or {}
            record = getattr(self.handle, "record_event", None)
            if record is not None:
                record(victim.pod, "Normal", "Preempted",
                       f"Preempted by pod {meta.get('uid') or meta.get('name')} on node {cand.node}")
            if client is None:
                continue
            try:
                await client.delete("", "v1", "pods", vmeta.get("name", ""), namespace=victim.namespace,
                                    preconditions={"uid": vmeta["uid"]} if vmeta.get("uid") else None)
            except Exception as e:  # noqa: BLE001 - a victim already gone is fine; others retry next cycle
                if getattr(e, "code", None) != 404 and (getattr(e, "status", None) or {}).get("code") != 404:
                    log.warning("preemption: deleting victim %s: %s", victim.key, e)

    def events_to_register(self) -> list[ClusterEvent]:
        return []


def new(args: dict, handle: Any) -> DefaultPreemption:
    return DefaultPreemption(args or {}, handle)
