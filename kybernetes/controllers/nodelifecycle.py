"""The node lifecycle controller (upstream's ``node-lifecycle-controller``).

Every ``monitor_period`` it checks each node's health: a kubelet proves it is alive by
renewing its Lease in ``kube-node-lease`` or by posting a new Ready heartbeat. The
controller notes, on its own clock, when it last saw either move. A node silent for
longer than ``grace_period`` (``startup_grace_period`` while it has never posted Ready)
gets its Ready, MemoryPressure, DiskPressure and PIDPressure conditions set to Unknown.
Its pods are marked not Ready and a ``NodeNotReady`` event is recorded.

Taints follow the conditions:

* **NoSchedule**, at once: ``not-ready`` (Ready=False), ``unreachable`` (Ready=Unknown),
  ``memory-pressure``, ``disk-pressure``, ``pid-pressure``, ``network-unavailable``, and
  ``unschedulable`` for a cordoned node. The scheduler keeps new pods off.
* **NoExecute** ``not-ready`` / ``unreachable``: rate-limited per zone (``eviction_rate``
  nodes a second). The taint eviction controller then evicts the pods that do not
  tolerate it; by default pods tolerate it for 300 s (DefaultTolerationSeconds
  admission). A node that is Ready again loses both at once.

Zones protect against a control-plane-side outage looking like dead nodes:

* A zone with ≥ ``unhealthy_zone_threshold`` of its nodes (and more than 2) not Ready is
  partially disrupted. It is tainted at ``secondary_eviction_rate`` if it is large, else
  not at all.
* If every zone is fully disrupted, no node is tainted NoExecute (existing taints are
  removed) until one comes back.

One difference from upstream: upstream taints a node one monitor period after writing
its Unknown conditions. Here both happen in the same pass.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import socket
import time
from dataclasses import dataclass

from ..client import APIStatusError, EventRecorder, index_by_node, object_key
from ..client.workqueue import Clock, SystemClock
from .base import ControllerContext, parse_time, rfc3339

log = logging.getLogger(__name__)

__all__ = ["NodeLifecycleController", "new_node_lifecycle_controller"]

NOT_READY = "node.kubernetes.io/not-ready"
UNREACHABLE = "node.kubernetes.io/unreachable"
UNSCHEDULABLE = "node.kubernetes.io/unschedulable"
LEASE_NAMESPACE = "kube-node-lease"

# condition type -> {status: taint key} for the NoSchedule taints
CONDITION_TAINTS = {
    "Ready": {"False": NOT_READY, "Unknown": UNREACHABLE},
    "MemoryPressure": {"True": "node.kubernetes.io/memory-pressure"},
    "DiskPressure": {"True": "node.kubernetes.io/disk-pressure"},
    "NetworkUnavailable": {"True": "node.kubernetes.io/network-unavailable"},
    "PIDPressure": {"True": "node.kubernetes.io/pid-pressure"},
}
NO_SCHEDULE_KEYS = frozenset([k for m in CONDITION_TAINTS.values() for k in m.values()] + [UNSCHEDULABLE])
NO_EXECUTE_KEYS = frozenset((NOT_READY, UNREACHABLE))
UNKNOWN_CONDITIONS = ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure")

NORMAL, PARTIAL_DISRUPTION, FULL_DISRUPTION = "Normal", "PartialDisruption", "FullDisruption"
TAINT_PASS_PERIOD = 0.1      # upstream's nodeEvictionPeriod: how often queued NoExecute taints go out


@dataclass
class _Health:
    probe: float                      # when (our clock) we last saw the kubelet alive
    heartbeat: str | None             # the Ready condition's lastHeartbeatTime we saw
    lease_renew: str | None           # the Lease renewTime we saw


class _ZoneTainter:
    """Nodes waiting for their NoExecute taint in one zone, let out at ``qps`` (burst 1)."""

    def __init__(self, qps: float, now: float) -> None:
        self.qps = qps
        self.tokens = 1.0
        self.last = now
        self.queue: collections.OrderedDict[str, None] = collections.OrderedDict()

    def take(self, now: float) -> bool:
        if self.qps <= 0:
            self.last = now
            return False
        self.tokens = min(1.0, self.tokens + (now - self.last) * self.qps)
        self.last = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


def zone_of(node: dict) -> str:
    """Upstream's zone key: region and zone labels (either may be empty)."""
    labels = (node.get("metadata") or {}).get("labels") or {}
    region = labels.get("topology.kubernetes.io/region") or labels.get("failure-domain.beta.kubernetes.io/region", "")
    zone = labels.get("topology.kubernetes.io/zone") or labels.get("failure-domain.beta.kubernetes.io/zone", "")
    return f"{region}:\x00:{zone}" if region or zone else ""


def condition(node: dict, type_: str) -> dict | None:
    for c in (node.get("status") or {}).get("conditions") or []:
        if c.get("type") == type_:
            return c
    return None


def desired_no_schedule(node: dict) -> set[str]:
    keys = {CONDITION_TAINTS[c.get("type")][c.get("status")]
            for c in (node.get("status") or {}).get("conditions") or []
            if c.get("status") in CONDITION_TAINTS.get(c.get("type"), {})}
    if (node.get("spec") or {}).get("unschedulable"):
        keys.add(UNSCHEDULABLE)
    return keys


class NodeLifecycleController:
    name = "node-lifecycle-controller"
    component = "node-controller"

    def __init__(self, ctx: ControllerContext, *, monitor_period: float = 5.0, grace_period: float = 40.0,
                 startup_grace_period: float = 60.0, eviction_rate: float = 0.1,
                 secondary_eviction_rate: float = 0.01, unhealthy_zone_threshold: float = 0.55,
                 large_cluster_threshold: int = 50, clock: Clock | None = None) -> None:
        self.client = ctx.client
        self.clock: Clock = clock or SystemClock()
        self.monitor_period = monitor_period
        self.grace_period = grace_period
        self.startup_grace_period = startup_grace_period
        self.eviction_rate = eviction_rate
        self.secondary_eviction_rate = secondary_eviction_rate
        self.unhealthy_zone_threshold = unhealthy_zone_threshold
        self.large_cluster_threshold = large_cluster_threshold
        self.nodes = ctx.informers.informer("", "v1", "nodes")
        self.leases = ctx.informers.informer("coordination.k8s.io", "v1", "leases", namespace=LEASE_NAMESPACE)
        self.pods = ctx.informers.informer("", "v1", "pods")
        self.pods.add_indexer("node", index_by_node)      # the taint eviction controller uses it too
        self.nodes.add_event_handler(on_add=self._on_node_add, on_update=self._on_node_update,
                                     on_delete=self._on_node_delete)
        self.health: dict[str, _Health] = {}
        self.zone_states: dict[str, str] = {}
        self.tainters: dict[str, _ZoneTainter] = {}
        self.all_disrupted = False
        # made now (not in run) so the initial sync's RegisteredNode events are recorded too
        self.recorder = EventRecorder(self.client, component=self.component, host=socket.gethostname())
        self._no_schedule_pending: set[str] = set()
        self._wake = asyncio.Event()

    # ------------------------------------------------------------------ informer handlers
    def _on_node_add(self, node: dict) -> None:
        name = node["metadata"]["name"]
        self._event(node, "RegisteredNode", f"Node {name} event: Registered Node {name} in Controller")
        self._no_schedule_pending.add(name)
        self._wake.set()

    def _on_node_update(self, old: dict, new: dict) -> None:
        self._no_schedule_pending.add(new["metadata"]["name"])
        self._wake.set()

    def _on_node_delete(self, node: dict) -> None:
        name = node["metadata"]["name"]
        self._event(node, "RemovingNode", f"Node {name} event: Removing Node {name} from Controller")
        self.health.pop(name, None)
        for tainter in self.tainters.values():
            tainter.queue.pop(name, None)

    def _event(self, obj: dict, reason: str, message: str) -> None:
        self.recorder.record(obj, type="Normal", reason=reason, message=message)

    # ------------------------------------------------------------------ running
    async def run(self) -> None:
        try:
            for informer in (self.nodes, self.leases, self.pods):
                await informer.wait_synced()
            next_monitor = 0.0
            while True:
                now = self.clock.now()
                if now >= next_monitor:
                    await self.monitor()
                    next_monitor = now + self.monitor_period
                await self._no_schedule_pass()
                await self._no_execute_pass()
                self._wake.clear()
                try:
                    async with asyncio.timeout(TAINT_PASS_PERIOD):
                        await self._wake.wait()
                except TimeoutError:
                    pass
        finally:
            await self.recorder.close()

    # ------------------------------------------------------------------ health
    async def monitor(self) -> None:
        """One pass over all nodes: health, zone states, NoExecute tainting decisions."""
        nodes = self.nodes.list()
        ready_by_zone: dict[str, list[bool]] = collections.defaultdict(list)
        observed: dict[str, str | None] = {}
        for node in nodes:
            status = await self._update_health(node)
            observed[node["metadata"]["name"]] = status
            ready_by_zone[zone_of(node)].append(status == "True")
        self._update_zone_states(ready_by_zone)
        for node in nodes:
            name = node["metadata"]["name"]
            status = observed[name]
            zone = zone_of(node)
            if status is None:
                continue      # no Ready condition yet: nothing to taint for (as upstream)
            if self.all_disrupted or status == "True":
                await self._mark_reachable(name)
            elif not self._has_no_execute(name, NOT_READY if status == "False" else UNREACHABLE):
                self._tainter(zone).queue[name] = None

    async def _update_health(self, node: dict) -> str | None:
        """Refresh what we know of the kubelet; past the grace period, write Unknown
        conditions. Returns the Ready status the node has after this pass (None: it has
        no Ready condition)."""
        name = node["metadata"]["name"]
        now = self.clock.now()
        ready = condition(node, "Ready")
        heartbeat = ready.get("lastHeartbeatTime") if ready else None
        lease = self.leases.get(f"{LEASE_NAMESPACE}/{name}")
        renew = ((lease or {}).get("spec") or {}).get("renewTime")
        health = self.health.get(name)
        if health is None:
            # a node we have not seen: count from its creation if it never posted Ready,
            # else from now (a restarted controller gives every node the full grace period)
            created = parse_time((node.get("metadata") or {}).get("creationTimestamp")) if ready is None else None
            health = self.health[name] = _Health(self._local(created) if created else now, heartbeat, renew)
        if heartbeat != health.heartbeat:
            health.heartbeat, health.probe = heartbeat, now
        if renew and (health.lease_renew is None or _micro(renew) > _micro(health.lease_renew)):
            health.lease_renew, health.probe = renew, now
        grace = self.startup_grace_period if ready is None else self.grace_period
        status = ready.get("status", "Unknown") if ready else None
        if now <= health.probe + grace or (status == "Unknown" and all(_unknown(node, t) for t in UNKNOWN_CONDITIONS)):
            return status
        await self._write_unknown(node)
        if status == "True":
            self._event(node, "NodeNotReady", f"Node {name} status is now: NodeNotReady")
            await self._mark_pods_not_ready(name)
        return "Unknown"

    async def _write_unknown(self, node: dict) -> None:
        name = node["metadata"]["name"]
        stamp = rfc3339(time.time())
        created = (node.get("metadata") or {}).get("creationTimestamp")
        conditions = [dict(c) for c in (node.get("status") or {}).get("conditions") or []]
        for type_ in UNKNOWN_CONDITIONS:
            current = next((c for c in conditions if c.get("type") == type_), None)
            if current is None:
                conditions.append({"type": type_, "status": "Unknown", "lastHeartbeatTime": created,
                                   "lastTransitionTime": stamp, "reason": "NodeStatusNeverUpdated",
                                   "message": "Kubelet never posted node status."})
            elif current.get("status") != "Unknown":
                current.update(status="Unknown", reason="NodeStatusUnknown",
                               message="Kubelet stopped posting node status.", lastTransitionTime=stamp)
        try:
            await self.client.patch("", "v1", "nodes", name, {"status": {"conditions": conditions}},
                                    patch_type="strategic", subresource="status")
            log.info("node %s: kubelet stopped posting status; conditions set to Unknown", name)
        except APIStatusError as e:
            log.warning("node %s: cannot set its conditions to Unknown: %s", name, e)

    async def _mark_pods_not_ready(self, node_name: str) -> None:
        """Upstream's MarkPodsNotReady: a pod on a silent node is not Ready any more."""
        stamp = rfc3339(time.time())
        for pod in self.pods.by_index("node", node_name):
            ready = next((c for c in (pod.get("status") or {}).get("conditions") or []
                          if c.get("type") == "Ready"), None)
            if ready is None or ready.get("status") == "False":
                continue
            meta = pod["metadata"]
            try:
                await self.client.patch("", "v1", "pods", meta["name"], namespace=meta.get("namespace", ""),
                                        subresource="status", patch_type="strategic",
                                        body={"status": {"conditions": [
                                            {"type": "Ready", "status": "False", "lastTransitionTime": stamp}]}})
            except APIStatusError as e:
                if e.code != 404:
                    log.warning("pod %s: cannot mark it not ready: %s", object_key(pod), e)

    def _local(self, wall: float) -> float:
        """A wall-clock time on our clock (which may be a test clock)."""
        return self.clock.now() - max(0.0, time.time() - wall)

    # ------------------------------------------------------------------ zones
    def _update_zone_states(self, ready_by_zone: dict[str, list[bool]]) -> None:
        states: dict[str, str] = {}
        for zone, readies in ready_by_zone.items():
            not_ready = readies.count(False)
            if not_ready and not_ready == len(readies):
                states[zone] = FULL_DISRUPTION
            elif not_ready > 2 and not_ready / len(readies) >= self.unhealthy_zone_threshold:
                states[zone] = PARTIAL_DISRUPTION
            else:
                states[zone] = NORMAL
        all_disrupted = bool(states) and all(s == FULL_DISRUPTION for s in states.values())
        if self.all_disrupted and not all_disrupted:
            # back from a total outage: every node gets a fresh grace period, as upstream
            now = self.clock.now()
            for h in self.health.values():
                h.probe = now
        if all_disrupted != self.all_disrupted:
            log.info("all zones fully disrupted: %s; NoExecute tainting %s", all_disrupted,
                     "stopped" if all_disrupted else "resumed")
        self.all_disrupted = all_disrupted
        for zone, state in states.items():
            if self.zone_states.get(zone) != state:
                log.info("zone %r: %s", zone, state)
            tainter = self._tainter(zone)
            if state == PARTIAL_DISRUPTION:
                tainter.qps = self.secondary_eviction_rate if len(ready_by_zone[zone]) > self.large_cluster_threshold \
                    else 0.0
            else:
                tainter.qps = self.eviction_rate
        self.zone_states = states

    def _tainter(self, zone: str) -> _ZoneTainter:
        t = self.tainters.get(zone)
        if t is None:
            t = self.tainters[zone] = _ZoneTainter(self.eviction_rate, self.clock.now())
        return t

    # ------------------------------------------------------------------ taints
    def _has_no_execute(self, name: str, key: str) -> bool:
        node = self.nodes.get(name) or {}
        return any(t.get("key") == key and t.get("effect") == "NoExecute"
                   for t in (node.get("spec") or {}).get("taints") or [])

    async def _no_execute_pass(self) -> None:
        """Let queued nodes have their NoExecute taint, as each zone's rate allows."""
        if self.all_disrupted:
            return
        now = self.clock.now()
        for tainter in self.tainters.values():
            while tainter.queue:
                name = next(iter(tainter.queue))
                node = self.nodes.get(name)
                ready = condition(node, "Ready") if node else None
                status = ready.get("status", "Unknown") if ready else "Unknown"
                if node is None or status == "True":
                    tainter.queue.pop(name)
                    continue
                if not tainter.take(now):
                    break
                tainter.queue.pop(name)
                add = NOT_READY if status == "False" else UNREACHABLE
                await self._swap_taints(name, add={(add, "NoExecute")}, remove={(k, "NoExecute") for k in NO_EXECUTE_KEYS})

    async def _mark_reachable(self, name: str) -> None:
        for tainter in self.tainters.values():
            tainter.queue.pop(name, None)
        if any(self._has_no_execute(name, k) for k in NO_EXECUTE_KEYS):
            await self._swap_taints(name, add=set(), remove={(k, "NoExecute") for k in NO_EXECUTE_KEYS})

    async def _no_schedule_pass(self) -> None:
        names, self._no_schedule_pending = self._no_schedule_pending, set()
        for name in sorted(names):
            node = self.nodes.get(name)
            if node is None:
                continue
            want = desired_no_schedule(node)
            have = {t.get("key") for t in (node.get("spec") or {}).get("taints") or []
                    if t.get("effect") == "NoSchedule" and t.get("key") in NO_SCHEDULE_KEYS}
            if want != have:
                await self._swap_taints(name, add={(k, "NoSchedule") for k in want - have},
                                        remove={(k, "NoSchedule") for k in have - want})

    async def _swap_taints(self, name: str, *, add: set[tuple[str, str]], remove: set[tuple[str, str]]) -> None:
        """Read-modify-write of the node's taints (the resourceVersion guards against a
        concurrent change; a conflict is retried from a fresh read)."""
        for _ in range(5):
            try:
                node = await self.client.get("", "v1", "nodes", name)
            except APIStatusError as e:
                if e.code == 404:
                    return
                raise
            taints = (node.get("spec") or {}).get("taints") or []
            kept = [t for t in taints if (t.get("key"), t.get("effect")) not in remove | add]
            present = {(t.get("key"), t.get("effect")) for t in taints}
            stamp = rfc3339(time.time())
            new = kept + [t for t in taints if (t.get("key"), t.get("effect")) in add] + \
                [{"key": k, "effect": e, "timeAdded": stamp} for k, e in sorted(add - present)]
            if new == taints:
                return
            node.setdefault("spec", {})["taints"] = new
            if not new:
                node["spec"].pop("taints")
            try:
                await self.client.replace("", "v1", "nodes", name, node)
                log.info("node %s: taints %s", name, ", ".join(f"{k}:{e}" for k, e in
                                                                sorted(add - present)) or "removed some")
                return
            except APIStatusError as e:
                if e.code == 404:
                    return
                if e.code != 409:
                    raise


def _micro(ts: str) -> float:
    """A MicroTime (or Time) as Unix seconds; 0 when unreadable."""
    return parse_time(ts) or 0.0


def _unknown(node: dict, type_: str) -> bool:
    c = condition(node, type_)
    return c is not None and c.get("status") == "Unknown"


def new_node_lifecycle_controller(ctx: ControllerContext) -> NodeLifecycleController:
    return NodeLifecycleController(ctx, **ctx.options.get("nodelifecycle", {}))
