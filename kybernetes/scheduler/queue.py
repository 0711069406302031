"""The scheduling queue: which pending pod the scheduler tries next, and when a pod that
did not fit is worth trying again (upstream's internal/queue/scheduling_queue.go).

A pod waiting to be scheduled is in exactly one of three places:

* **activeQ** -- a heap ordered by the profile's QueueSort (priority, then the time
  the pod entered the queue); :meth:`SchedulingQueue.pop` takes the head;
* **backoffQ** -- pods that failed recently and wait out a per-pod exponential
  back-off (``initial * 2**(attempts-1)``, capped), so a pod that cannot be
  scheduled does not spin; a periodic flush moves the expired ones to activeQ;
* **unschedulable pods** -- pods the filters rejected. Retrying them before the
  cluster changes is pointless, so they wait for a :class:`ClusterEvent` that one of
  the plugins which rejected them registered interest in (a node added, a pod
  deleted ...), or for :data:`MAX_UNSCHEDULABLE_SECONDS` as a safety net. Pods held
  back by PreEnqueue (``spec.schedulingGates``) also wait here, until an update of
  the pod itself lets them pass.

While a pod is being scheduled it is *in flight*: events that arrive meanwhile are
remembered, so a pod that is rejected because of a node that was added a moment
later does not sleep in the unschedulable pods for five minutes (upstream's
in-flight events).

The :class:`Nominator` remembers which pending pods were nominated to which node by
preemption (``status.nominatedNodeName``), so the filters of other pods leave room
for them.

Everything runs on one event loop on an injectable clock; tests drive it with
``FakeClock`` and the explicit ``flush_*`` calls instead of sleeping.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..client.workqueue import Clock, SystemClock
from .interface import ClusterEvent
from .types import PodInfo, Status

log = logging.getLogger(__name__)

__all__ = [
    "MAX_UNSCHEDULABLE_SECONDS", "Nominator", "QueueClosed", "QueuedPodInfo", "SchedulingQueue",
    "default_less", "event_matches", "pod_priority", "pod_uid",
]

MAX_UNSCHEDULABLE_SECONDS = 300.0   # upstream's podMaxInUnschedulablePodsDuration
BACKOFF_FLUSH_PERIOD = 1.0          # upstream flushes backoffQ every second ...
UNSCHEDULABLE_FLUSH_PERIOD = 30.0   # ... and the leftover unschedulable pods every 30 s

ACTIVE, BACKOFF, UNSCHEDULABLE = "active", "backoff", "unschedulable"

# Events the scheduler generates (resource, action); plugins register the ones they care about.
NODE_ADD = ClusterEvent("Node", "Add")
NODE_UPDATE = ClusterEvent("Node", "Update")
NODE_DELETE = ClusterEvent("Node", "Delete")
ASSIGNED_POD_ADD = ClusterEvent("Pod", "Add")
ASSIGNED_POD_UPDATE = ClusterEvent("Pod", "Update")
ASSIGNED_POD_DELETE = ClusterEvent("Pod", "Delete")
UNSCHEDULABLE_TIMEOUT = ClusterEvent("*", "UnschedulableTimeout")
FORCE_ACTIVATE = ClusterEvent("*", "ForceActivate")


class QueueClosed(Exception):
    """``pop()`` on a queue that was closed."""


def pod_uid(pod: Mapping[str, Any]) -> str:
    meta = pod.get("metadata") or {}
    return meta.get("uid") or f"{meta.get('namespace', '')}/{meta.get('name', '')}"


def pod_priority(pod: Mapping[str, Any]) -> int:
    return int((pod.get("spec") or {}).get("priority") or 0)


def default_less(a: PodInfo, a_ts: float, b: PodInfo, b_ts: float) -> bool:
    """PrioritySort: higher priority first, then whoever has waited longer."""
    pa, pb = pod_priority(a.pod), pod_priority(b.pod)
    return pa > pb or (pa == pb and a_ts < b_ts)


def event_matches(registered: ClusterEvent, happened: ClusterEvent) -> bool:
    """Whether a plugin that registered ``registered`` cares about ``happened``. ``*`` is a
    wildcard for both fields; a plain "Update" covers the finer "Update<Something>"."""
    if registered.resource not in ("*", happened.resource) and happened.resource != "*":
        return False
    ra, ha = registered.action, happened.action
    if ra in ("*", "All") or ha in ("*", "All") or ra == ha:
        return True
    return (ra == "Update" and ha.startswith("Update")) or (ha == "Update" and ra.startswith("Update"))


class QueuedPodInfo:
    """A pod in the queue and its scheduling history."""

    __slots__ = ("attempts", "gated", "gating_plugin", "initial_attempt_timestamp", "pod_info",
                 "popped_at_event", "timestamp", "uid", "unschedulable_plugins")

    def __init__(self, pod_info: PodInfo, *, timestamp: float) -> None:
        self.pod_info = pod_info
        self.uid = pod_uid(pod_info.pod)
        self.timestamp = timestamp                  # entered the queue / last failed (for sort and backoff)
        self.initial_attempt_timestamp: float | None = None
        self.attempts = 0
        self.unschedulable_plugins: set[str] = set()  # who rejected it last time; empty = an error
        self.gated = False                          # held back by PreEnqueue
        self.gating_plugin = ""
        self.popped_at_event = 0                    # in-flight: the event sequence number when popped

    @property
    def pod(self) -> dict:
        return self.pod_info.pod

    @property
    def key(self) -> str:
        return self.pod_info.key

    def __repr__(self) -> str:
        return f"QueuedPodInfo({self.key}, attempts={self.attempts})"


class _HeapEntry:
    """A heap slot; ``live`` goes False when the pod leaves or is re-pushed (lazy deletion)."""

    __slots__ = ("info", "less", "live")

    def __init__(self, info: QueuedPodInfo, less: Callable[[QueuedPodInfo, QueuedPodInfo], bool]) -> None:
        self.info = info
        self.less = less
        self.live = True

    def __lt__(self, other: _HeapEntry) -> bool:
        return self.less(self.info, other.info)


class Nominator:
    """Pending pods nominated to a node by preemption. Filters of other pods count them
    on that node (upstream's nominator), so the room preemption made is not taken by
    a lower-priority pod meanwhile."""

    def __init__(self) -> None:
        self._by_node: dict[str, dict[str, PodInfo]] = {}
        self._node_of: dict[str, str] = {}

    def add(self, pod_info: PodInfo, node_name: str = "") -> None:
        """Nominate ``pod_info`` to ``node_name`` (default: its status.nominatedNodeName);
        an assigned pod, or one without nomination, is removed instead."""
        pod = pod_info.pod
        uid = pod_uid(pod)
        self.delete(pod)
        node = node_name or (pod.get("status") or {}).get("nominatedNodeName") or ""
        if not node or (pod.get("spec") or {}).get("nodeName"):
            return
        self._node_of[uid] = node
        self._by_node.setdefault(node, {})[uid] = pod_info

    def delete(self, pod: Mapping[str, Any]) -> None:
        uid = pod_uid(pod)
        node = self._node_of.pop(uid, None)
        if node is None:
            return
        pods = self._by_node.get(node)
        if pods is not None:
            pods.pop(uid, None)
            if not pods:
                del self._by_node[node]

    def update(self, old: Mapping[str, Any], new_info: PodInfo) -> None:
        """Keep a nomination the scheduler made in memory when an update of the pod does not
        yet show it (the status patch may lag behind the decision)."""
        new = new_info.pod
        node = (new.get("status") or {}).get("nominatedNodeName") or ""
        if not node and not (new.get("spec") or {}).get("nodeName"):
            node = self._node_of.get(pod_uid(old), "")
        self.add(new_info, node)

    def nominated_node(self, pod: Mapping[str, Any]) -> str:
        return self._node_of.get(pod_uid(pod), "")

    def nominated_pods_for_node(self, node_name: str) -> list[PodInfo]:
        return list((self._by_node.get(node_name) or {}).values())

    def has_nominated_pods(self) -> bool:
        """Whether any node has a nominated pod (the batch Filter path is off then)."""
        return bool(self._by_node)


class SchedulingQueue:
    """activeQ, backoffQ, unschedulable pods and the nominator (see the module docstring).

    ``less(a_info, a_ts, b_info, b_ts)`` is the QueueSort; ``pre_enqueue(pod) -> Status``
    gates pods (SchedulingGates); ``events_to_register`` maps plugin name -> the cluster
    events after which a pod it rejected may fit.
    """

    def __init__(self, *, less: Callable[[PodInfo, float, PodInfo, float], bool] = default_less,
                 pre_enqueue: Callable[[dict], Status] | None = None,
                 events_to_register: Mapping[str, Iterable[ClusterEvent]] | None = None,
                 clock: Clock | None = None, initial_backoff: float = 1.0, max_backoff: float = 10.0,
                 max_unschedulable_seconds: float = MAX_UNSCHEDULABLE_SECONDS,
                 nominator: Nominator | None = None) -> None:
        self.clock: Clock = clock or SystemClock()
        self._less_pods = less
        self.pre_enqueue = pre_enqueue
        self.initial_backoff = initial_backoff
        self.max_backoff = max_backoff
        self.max_unschedulable_seconds = max_unschedulable_seconds
        self.nominator = nominator or Nominator()
        self.events_to_register: dict[str, list[ClusterEvent]] = {
            k: list(v) for k, v in (events_to_register or {}).items()}
        self._where: dict[str, tuple[str, QueuedPodInfo]] = {}       # uid -> (ACTIVE|BACKOFF|UNSCHEDULABLE, info)
        self._active: list[_HeapEntry] = []
        self._active_entry: dict[str, _HeapEntry] = {}
        self._backoff: list[tuple[float, int, QueuedPodInfo]] = []   # (expiry, seq, info); stale ones skipped
        self._seq = itertools.count()
        # unschedulable pods, indexed by the plugins that rejected them so an event only
        # looks at the pods it may help
        self._by_plugin: dict[str, set[str]] = {}
        self._rejected_by_error: set[str] = set()
        self._in_flight: dict[str, QueuedPodInfo] = {}
        self._deleted: set[str] = set()     # deleted while in flight
        self._in_flight_events: list[tuple[int, ClusterEvent]] = []
        self._interested: dict[ClusterEvent, frozenset[str]] = {}
        self._event_seq = 0
        self.scheduling_cycle = 0
        self._wakeup = asyncio.Event() if _has_loop() else None
        self._closed = False

    # ------------------------------------------------------------------ ordering
    def _less(self, a: QueuedPodInfo, b: QueuedPodInfo) -> bool:
        return self._less_pods(a.pod_info, a.timestamp, b.pod_info, b.timestamp)

    def backoff_duration(self, info: QueuedPodInfo) -> float:
        """``initial`` for the first failure, doubling per attempt, at most ``max``."""
        if info.attempts <= 0 or self.initial_backoff <= 0:
            return 0.0
        duration = self.initial_backoff
        for _ in range(1, info.attempts):
            duration *= 2
            if duration >= self.max_backoff:
                return self.max_backoff
        return min(duration, self.max_backoff)

    def backoff_expiry(self, info: QueuedPodInfo) -> float:
        return info.timestamp + self.backoff_duration(info)

    def is_backing_off(self, info: QueuedPodInfo) -> bool:
        return self.backoff_expiry(info) > self.clock.now()

    # ------------------------------------------------------------------ placing pods
    def _remove(self, uid: str) -> QueuedPodInfo | None:
        where = self._where.pop(uid, None)
        if where is None:
            return None
        state, info = where
        if state == ACTIVE:
            entry = self._active_entry.pop(uid, None)
            if entry is not None:
                entry.live = False
        elif state == UNSCHEDULABLE:
            for plugin in info.unschedulable_plugins:
                pods = self._by_plugin.get(plugin)
                if pods is not None:
                    pods.discard(uid)
                    if not pods:
                        del self._by_plugin[plugin]
            self._rejected_by_error.discard(uid)
        # BACKOFF: the heap slot is stale once _where no longer says BACKOFF for this info
        return info

    def _to_active(self, info: QueuedPodInfo) -> None:
        self._remove(info.uid)
        entry = _HeapEntry(info, self._less)
        self._active_entry[info.uid] = entry
        self._where[info.uid] = (ACTIVE, info)
        heapq.heappush(self._active, entry)
        self._wake()

    def _to_backoff(self, info: QueuedPodInfo) -> None:
        self._remove(info.uid)
        self._where[info.uid] = (BACKOFF, info)
        heapq.heappush(self._backoff, (self.backoff_expiry(info), next(self._seq), info))

    def _to_unschedulable(self, info: QueuedPodInfo) -> None:
        self._remove(info.uid)
        self._where[info.uid] = (UNSCHEDULABLE, info)
        if info.gated:
            return  # only an update of the pod itself can ungate it
        if info.unschedulable_plugins:
            for plugin in info.unschedulable_plugins:
                self._by_plugin.setdefault(plugin, set()).add(info.uid)
        else:
            self._rejected_by_error.add(info.uid)

    def _requeue(self, info: QueuedPodInfo) -> None:
        """A pod worth another try: backoffQ if it is still backing off, else activeQ."""
        if self.is_backing_off(info):
            self._to_backoff(info)
        else:
            self._to_active(info)

    def _gate(self, info: QueuedPodInfo) -> bool:
        """Run PreEnqueue; a pod it refuses is parked as gated. True if the pod may proceed."""
        if self.pre_enqueue is None:
            info.gated = False
            return True
        status = self.pre_enqueue(info.pod)
        info.gated = not status.ok
        info.gating_plugin = status.plugin if info.gated else ""
        if info.gated:
            self._to_unschedulable(info)
        return not info.gated

    def _wake(self) -> None:
        if self._wakeup is None:
            self._wakeup = asyncio.Event()
        self._wakeup.set()

    # ------------------------------------------------------------------ informer-facing API
    def add(self, pod: dict) -> None:
        """A new pending pod (or one seen again after a re-list)."""
        uid = pod_uid(pod)
        info = QueuedPodInfo(PodInfo(pod), timestamp=self.clock.now())
        if uid in self._where or uid in self._in_flight:
            self.update(None, pod)
            return
        self.nominator.add(info.pod_info)
        if self._gate(info):
            self._to_active(info)

    def update(self, old: dict | None, new: dict) -> None:
        """A pending pod changed. A pod being scheduled gets its new version next time; a
        gated pod is offered to PreEnqueue again; an unschedulable pod whose spec or labels
        changed is worth another try."""
        uid = pod_uid(new)
        new_info = PodInfo(new)
        if old is not None:
            self.nominator.update(old, new_info)
        else:
            self.nominator.add(new_info)
        flying = self._in_flight.get(uid)
        if flying is not None:
            flying.pod_info = new_info
            return
        where = self._where.get(uid)
        if where is None:
            self.add(new)
            return
        state, info = where
        info.pod_info = new_info
        if state == ACTIVE:
            self._to_active(info)   # priority may have changed: re-sort
        elif state == UNSCHEDULABLE:
            if info.gated:
                if self._gate(info):
                    self._to_active(info)
            elif old is None or _pod_spec_changed(old, new):
                self._requeue(info)

    def delete(self, pod: Mapping[str, Any]) -> None:
        uid = pod_uid(pod)
        self.nominator.delete(pod)
        self._remove(uid)
        if uid in self._in_flight:
            # being scheduled right now: the scheduler drops it instead of re-queueing
            self._deleted.add(uid)

    def was_deleted(self, pod: Mapping[str, Any]) -> bool:
        return pod_uid(pod) in self._deleted

    # ------------------------------------------------------------------ scheduler-facing API
    async def pop(self) -> QueuedPodInfo:
        """The next pod to schedule (waits for one). It is in flight until :meth:`done`."""
        while True:
            if self._closed:
                raise QueueClosed()
            info = self._pop_active()
            if info is not None:
                return info
            if self._wakeup is None:
                self._wakeup = asyncio.Event()
            self._wakeup.clear()
            await self._wakeup.wait()

    def pop_nowait(self) -> QueuedPodInfo | None:
        return self._pop_active()

    def _pop_active(self) -> QueuedPodInfo | None:
        while self._active:
            entry = heapq.heappop(self._active)
            if not entry.live:
                continue
            info = entry.info
            self._active_entry.pop(info.uid, None)
            self._where.pop(info.uid, None)
            info.attempts += 1
            if info.initial_attempt_timestamp is None:
                info.initial_attempt_timestamp = self.clock.now()
            self.scheduling_cycle += 1
            info.popped_at_event = self._event_seq
            self._in_flight[info.uid] = info
            return info
        return None

    def done(self, pod: Mapping[str, Any] | str) -> None:
        """The scheduling attempt of ``pod`` is over (scheduled, or re-queued)."""
        uid = pod if isinstance(pod, str) else pod_uid(pod)
        self._in_flight.pop(uid, None)
        self._deleted.discard(uid)
        if not self._in_flight:
            self._in_flight_events.clear()

    def add_unschedulable_if_not_present(self, info: QueuedPodInfo, *, error: bool = False) -> None:
        """Put a pod that failed back. ``info.unschedulable_plugins`` names the plugins that
        rejected it; ``error=True`` (or no plugin) means it failed for another reason and just
        backs off. A pod deleted meanwhile is dropped."""
        uid = info.uid
        if uid in self._deleted or uid in self._where:
            self.done(uid)
            return
        info.timestamp = self.clock.now()
        if error:
            info.unschedulable_plugins = set()
        if self.pre_enqueue is not None and not self._gate(info):
            self.done(uid)
            return
        if error or not info.unschedulable_plugins or self._event_since_pop_helps(info):
            self._to_backoff(info)
        else:
            self._to_unschedulable(info)
        self.done(uid)

    def activate(self, pods: Iterable[Mapping[str, Any]]) -> None:
        """Move these pods to activeQ at once (upstream's Activate)."""
        for pod in pods:
            where = self._where.get(pod_uid(pod))
            if where is not None and where[0] != ACTIVE and not where[1].gated:
                self._to_active(where[1])

    # ------------------------------------------------------------------ cluster events
    def _plugins_interested(self, event: ClusterEvent) -> frozenset[str]:
        """The plugins that registered ``event`` (memoised: every binding brings one)."""
        found = self._interested.get(event)
        if found is None:
            found = self._interested[event] = frozenset(plugin for plugin, events in self.events_to_register.items()
                                                         if any(event_matches(reg, event) for reg in events))
        return found

    def _event_since_pop_helps(self, info: QueuedPodInfo) -> bool:
        for seq, event in self._in_flight_events:
            if seq <= info.popped_at_event:
                continue
            if event.resource == "*" or info.unschedulable_plugins & self._plugins_interested(event):
                return True
        return False

    def move_all_to_active_or_backoff(self, event: ClusterEvent,
                                      pre_check: Callable[[dict], bool] | None = None) -> int:
        """A cluster change happened: move the unschedulable pods it may help. Returns how
        many moved. ``pre_check(pod)`` can narrow it further (e.g. only pods whose affinity
        matches the added pod)."""
        self._event_seq += 1
        if self._in_flight:
            self._in_flight_events.append((self._event_seq, event))
        if event.resource == "*":
            candidates = {uid for uid, (state, info) in self._where.items()
                          if state == UNSCHEDULABLE and not info.gated}
        else:
            candidates = set(self._rejected_by_error)
            for plugin in self._plugins_interested(event):
                candidates |= self._by_plugin.get(plugin, set())
        moved = 0
        for uid in candidates:
            where = self._where.get(uid)
            if where is None or where[0] != UNSCHEDULABLE:
                continue
            info = where[1]
            if pre_check is not None and not pre_check(info.pod):
                continue
            self._requeue(info)
            moved += 1
        if moved:
            log.debug("%s/%s moved %d unschedulable pods", event.resource, event.action, moved)
        return moved

    # ------------------------------------------------------------------ periodic flushes
    def flush_backoff_completed(self) -> int:
        now = self.clock.now()
        moved = 0
        while self._backoff:
            expiry, _, info = self._backoff[0]
            where = self._where.get(info.uid)
            if where is None or where[0] != BACKOFF or where[1] is not info:
                heapq.heappop(self._backoff)  # stale slot
                continue
            if expiry > now:
                break
            heapq.heappop(self._backoff)
            self._to_active(info)
            moved += 1
        return moved

    def flush_unschedulable_leftover(self) -> int:
        now = self.clock.now()
        stale = [info for state, info in self._where.values()
                 if state == UNSCHEDULABLE and not info.gated
                 and now - info.timestamp > self.max_unschedulable_seconds]
        for info in stale:
            self._requeue(info)
        return len(stale)

    async def run(self) -> None:
        """The periodic flushes, until cancelled or closed."""
        next_leftover = self.clock.now() + UNSCHEDULABLE_FLUSH_PERIOD
        while not self._closed:
            await self.clock.sleep_until(self.clock.now() + BACKOFF_FLUSH_PERIOD)
            self.flush_backoff_completed()
            if self.clock.now() >= next_leftover:
                self.flush_unschedulable_leftover()
                next_leftover = self.clock.now() + UNSCHEDULABLE_FLUSH_PERIOD

    def close(self) -> None:
        self._closed = True
        self._wake()

    # ------------------------------------------------------------------ introspection
    def where(self, pod: Mapping[str, Any]) -> str:
        """``active``, ``backoff``, ``unschedulable``, ``in-flight`` or ``""``."""
        uid = pod_uid(pod)
        if uid in self._in_flight:
            return "in-flight"
        where = self._where.get(uid)
        return where[0] if where else ""

    def get(self, pod: Mapping[str, Any]) -> QueuedPodInfo | None:
        uid = pod_uid(pod)
        where = self._where.get(uid)
        return where[1] if where else self._in_flight.get(uid)

    def counts(self) -> dict[str, int]:
        out = {ACTIVE: 0, BACKOFF: 0, UNSCHEDULABLE: 0, "gated": 0}
        for state, info in self._where.values():
            out[state] += 1
            out["gated"] += int(info.gated)
        out["in-flight"] = len(self._in_flight)
        return out

    def __len__(self) -> int:
        return len(self._where) + len(self._in_flight)


def _has_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


_IGNORED_META = ("resourceVersion", "generation", "managedFields", "finalizers", "annotations")


def _pod_spec_changed(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """Whether an update may change the scheduling outcome (upstream's isPodUpdated
    ignores status and bookkeeping metadata)."""
    if old.get("spec") != new.get("spec"):
        return True
    om, nm = old.get("metadata") or {}, new.get("metadata") or {}
    return any(om.get(k) != nm.get(k) for k in set(om) | set(nm) if k not in _IGNORED_META)
