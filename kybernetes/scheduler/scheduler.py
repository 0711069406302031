"""The scheduler process (``kyb scheduler``): informers feed the queue and the cache,
one loop schedules one pod at a time, bindings run in the background (upstream's
scheduler.go, eventhandlers.go and schedule_one.go).

One pod's journey:

* the pod informer sees an unscheduled pod whose ``schedulerName`` is one of our
  profiles: it goes to the :class:`~.queue.SchedulingQueue`; assigned pods and nodes
  go to the :class:`~.cache.Cache` instead, and cluster changes move unschedulable
  pods back to the active queue;
* :meth:`Scheduler.schedule_one` pops it, brings the snapshot up to date and runs the
  :class:`~.algorithm.Algorithm` (PreFilter, Filter on enough nodes, Score, pick). If
  nothing fits, PostFilter (preemption) may nominate a node; the pod gets a
  FailedScheduling event and ``PodScheduled=False`` (reason Unschedulable) and waits
  in the queue;
* if a node was picked, the pod is *assumed* on it in the cache at once -- so the next
  cycle already sees the room it takes -- Reserve and Permit run, and the binding
  cycle (WaitOnPermit, PreBind, Bind, PostBind) runs as a background task while the
  loop goes on with the next pod. A failed binding undoes the reservation, forgets
  the assumed pod and re-queues it;
* when the informer shows the binding, the cache confirms the assumed pod.

Writes per scheduled pod: one binding and one ``Scheduled`` event (the event
recorder's aggregation and spam filter stay on). Only the leader of the
``kube-system/kube-scheduler`` Lease schedules.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from .. import __version__
from ..client import APIStatusError, Client, EventRecorder, SharedInformerFactory
from ..client.leaderelection import run_while_leading
from ..client.rest import resource_path
from ..client.workqueue import Clock, SystemClock
from .algorithm import Algorithm
from .cache import Cache, is_terminal
from .errors import FitError, NoNodesAvailable, SchedulingError
from .interface import ClusterEvent
from .ownerselectors import OwnerSelectors
from .priority import PriorityResolver
from .queue import (
    ASSIGNED_POD_ADD,
    ASSIGNED_POD_DELETE,
    ASSIGNED_POD_UPDATE,
    NODE_ADD,
    Nominator,
    QueueClosed,
    QueuedPodInfo,
    SchedulingQueue,
    default_less,
    pod_uid,
)
from .types import Code, CycleState, Snapshot, Status, pod_requests

log = logging.getLogger(__name__)

__all__ = ["DEFAULT_BURST", "DEFAULT_QPS", "USER_AGENT", "Scheduler", "build_frameworks", "run_scheduler"]

USER_AGENT = f"kube-scheduler/v{__version__} (kybernetes)"
DEFAULT_SCHEDULER_NAME = "default-scheduler"

# Client-side rate limits. Upstream's kube-scheduler defaults to 50/100, sized for a
# scheduler that binds tens of pods a second; ours aims at hundreds, each costing a
# binding and an event, so the budget is sized for that.
DEFAULT_QPS = 1000.0
DEFAULT_BURST = 2000

ASSUMED_POD_CLEANUP_PERIOD = 1.0
MAX_EVENT_MESSAGE = 1024   # upstream truncates event messages to this many bytes

# pods that are over for good never need scheduling nor count on a node
POD_FIELD_SELECTOR = "status.phase!=Succeeded,status.phase!=Failed"


def _now_rfc3339() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _truncate(message: str) -> str:
    return message if len(message) <= MAX_EVENT_MESSAGE else message[: MAX_EVENT_MESSAGE - 3] + "..."


def scheduler_name_of(pod: dict) -> str:
    return (pod.get("spec") or {}).get("schedulerName") or DEFAULT_SCHEDULER_NAME


def is_assigned(pod: dict) -> bool:
    return bool((pod.get("spec") or {}).get("nodeName"))


class _NoEvents:
    """A recorder that records nothing (explain-pending is read-only)."""

    def record(self, obj: dict, *, type: str, reason: str, message: str) -> None:
        pass


def build_frameworks(config: Any, *, client: Any, snapshot: Callable[[], Any], nominator: Any,
                     pdb_lister: Callable[[str], list[dict]],
                     recorder_for: Callable[[str], Any],
                     selectors_for: Callable[[dict], list] | None = None) -> dict[str, Any]:
    """One Framework per profile, by scheduler name."""
    from .framework import Framework

    frameworks = {}
    for profile in config.profiles:
        frameworks[profile.scheduler_name] = Framework(
            profile, client=client, snapshot=snapshot, nominator=nominator, pdb_lister=pdb_lister,
            recorder=recorder_for(profile.scheduler_name), selectors_for=selectors_for)
    return frameworks


def _merged_events(frameworks: dict[str, Any]) -> dict[str, list[ClusterEvent]]:
    merged: dict[str, list[ClusterEvent]] = {}
    for fwk in frameworks.values():
        for plugin, events in (fwk.events_to_register() or {}).items():
            merged.setdefault(plugin, []).extend(events)
    return merged


def _node_update_events(old: dict, new: dict) -> list[ClusterEvent]:
    """The kinds of node change that may let a pod fit (upstream's nodeSchedulingPropertiesChange);
    heartbeats that only move timestamps give none."""
    events = []
    os_, ns_ = old.get("status") or {}, new.get("status") or {}
    om, nm = old.get("metadata") or {}, new.get("metadata") or {}
    osp, nsp = old.get("spec") or {}, new.get("spec") or {}
    if os_.get("allocatable") != ns_.get("allocatable"):
        events.append(ClusterEvent("Node", "UpdateNodeAllocatable"))
    if om.get("labels") != nm.get("labels"):
        events.append(ClusterEvent("Node", "UpdateNodeLabel"))
    if osp.get("taints") != nsp.get("taints") or osp.get("unschedulable") != nsp.get("unschedulable"):
        events.append(ClusterEvent("Node", "UpdateNodeTaint"))

    def conditions(status: dict) -> list[tuple]:
        return sorted((c.get("type"), c.get("status")) for c in status.get("conditions") or [])
    if conditions(os_) != conditions(ns_):
        events.append(ClusterEvent("Node", "UpdateNodeCondition"))
    if om.get("annotations") != nm.get("annotations"):
        events.append(ClusterEvent("Node", "UpdateNodeAnnotation"))
    return events


def _assigned_pod_changed(old: dict, new: dict) -> bool:
    """Whether an update of a bound pod matters to other pods (labels for affinity and
    spreading, requests for resize); status changes (Running, Ready) do not."""
    if ((old.get("metadata") or {}).get("labels")) != ((new.get("metadata") or {}).get("labels")):
        return True
    return old.get("spec") != new.get("spec") and pod_requests(old) != pod_requests(new)


class Scheduler:
    """The informers' handlers, the scheduling loop and the binding cycle, for one leader term."""

    def __init__(self, client: Client, config: Any, *, informers: SharedInformerFactory | None = None,
                 clock: Clock | None = None, frameworks: dict[str, Any] | None = None,
                 host: str = "") -> None:
        self.client = client
        self.config = config
        self.clock = clock or SystemClock()
        self.informers = informers or SharedInformerFactory(client)
        self.pods = self.informers.informer("", "v1", "pods", field_selector=POD_FIELD_SELECTOR)
        self.nodes = self.informers.informer("", "v1", "nodes")
        self.namespaces = self.informers.informer("", "v1", "namespaces")
        self.pdbs = self.informers.informer("policy", "v1", "poddisruptionbudgets")
        self.priority_classes = self.informers.informer("scheduling.k8s.io", "v1", "priorityclasses")
        self.priorities = PriorityResolver(self.priority_classes.list, self.priority_classes.get)
        self.owner_selectors = OwnerSelectors(self.informers)
        self.cache = Cache(clock=self.clock)
        self.snapshot = Snapshot()
        self.recorders: dict[str, EventRecorder] = {}
        # events get connections of their own (same credentials and rate limit): binding
        # tasks are as many as pods in flight and would otherwise crowd them out of the pool
        self.events_client = client.sibling(accept=client.accept)
        self._host = host or socket.gethostname()

        nominator = Nominator()
        self.frameworks = frameworks if frameworks is not None else build_frameworks(
            config, client=client, snapshot=lambda: self.snapshot, nominator=nominator,
            pdb_lister=lambda ns: self.pdbs.by_index("namespace", ns), recorder_for=self._recorder,
            selectors_for=self.owner_selectors)
        first = next(iter(self.frameworks.values()), None)
        less = getattr(first, "queue_sort_less", None) or default_less
        self.queue = SchedulingQueue(
            less=less, pre_enqueue=self._pre_enqueue, events_to_register=_merged_events(self.frameworks),
            clock=self.clock, nominator=nominator,
            initial_backoff=float(getattr(config, "pod_initial_backoff_seconds", 1) or 0),
            max_backoff=float(getattr(config, "pod_max_backoff_seconds", 10) or 0))
        self.algorithm = Algorithm(percentage_of_nodes_to_score=getattr(config, "percentage_of_nodes_to_score", None))
        self._background: set[asyncio.Task] = set()
        self.scheduled = 0          # pods bound; for tests and benchmarks
        self.failed_attempts = 0
        self._register_handlers()

    # ------------------------------------------------------------------ wiring
    def _recorder(self, scheduler_name: str) -> EventRecorder:
        rec = self.recorders.get(scheduler_name)
        if rec is None:
            rec = self.recorders[scheduler_name] = EventRecorder(self.events_client, component=scheduler_name,
                                                                 host=self._host)
        return rec

    def _pre_enqueue(self, pod: dict) -> Status:
        fwk = self.frameworks.get(scheduler_name_of(pod))
        return fwk.pre_enqueue(pod) if fwk is not None else Status()

    def responsible_for(self, pod: dict) -> bool:
        return scheduler_name_of(pod) in self.frameworks

    def _register_handlers(self) -> None:
        self.pods.add_event_handler(on_add=self._on_pod_add, on_update=self._on_pod_update,
                                    on_delete=self._on_pod_delete)
        self.nodes.add_event_handler(on_add=self._on_node_add, on_update=self._on_node_update,
                                     on_delete=self._on_node_delete)
        self.namespaces.add_event_handler(
            on_add=lambda ns: self._on_namespace(ns, "Add"),
            on_update=lambda old, new: self._on_namespace(new, "Update"),
            on_delete=self.cache.remove_namespace)

    def _move(self, event: ClusterEvent) -> None:
        self.queue.move_all_to_active_or_backoff(event)

    # ------------------------------------------------------------------ event handlers
    def _on_pod_add(self, pod: dict) -> None:
        pod = self.priorities.resolve(pod)
        if is_assigned(pod):
            self.cache.add_pod(pod)
            self.queue.nominator.delete(pod)
            self._move(ASSIGNED_POD_ADD)
        elif self.responsible_for(pod) and not is_terminal(pod):
            self.queue.add(pod)

    def _on_pod_update(self, old: dict, new: dict) -> None:
        old, new = self.priorities.resolve(old), self.priorities.resolve(new)
        if is_assigned(new):
            if not is_assigned(old):
                # bound (by us or by someone else): it leaves the queue, and counts on its node
                self.queue.delete(new)
                self.cache.add_pod(new)
                self._move(ASSIGNED_POD_ADD)
                return
            was_counted = not is_terminal(old)
            self.cache.update_pod(old, new)
            if is_terminal(new) and was_counted:
                self._move(ASSIGNED_POD_DELETE)
            elif _assigned_pod_changed(old, new):
                self._move(ASSIGNED_POD_UPDATE)
        elif self.responsible_for(new):
            if is_terminal(new):
                self.queue.delete(new)
            else:
                self.queue.update(old, new)

    def _on_pod_delete(self, pod: dict) -> None:
        if is_assigned(pod) or self.cache.has_pod(pod):
            self.cache.remove_pod(pod)
            self._move(ASSIGNED_POD_DELETE)
        self.queue.delete(pod)

    def _on_node_add(self, node: dict) -> None:
        self.cache.add_node(node)
        self._move(NODE_ADD)

    def _on_node_update(self, old: dict, new: dict) -> None:
        self.cache.update_node(new)
        for event in _node_update_events(old, new):
            self._move(event)

    def _on_node_delete(self, node: dict) -> None:
        self.cache.remove_node(node)

    def _on_namespace(self, ns: dict, action: str) -> None:
        self.cache.set_namespace(ns)
        self._move(ClusterEvent("Namespace", action))

    # ------------------------------------------------------------------ running
    async def run(self, *, sync_timeout: float | None = None) -> None:
        """Schedule until cancelled."""
        self.informers.start()
        await self.informers.wait_for_cache_sync(sync_timeout)
        log.info("scheduler: caches synced (%d nodes, %d pods pending); profiles %s",
                 self.cache.node_count, len(self.queue), ", ".join(self.frameworks))
        flusher = asyncio.create_task(self.queue.run(), name="scheduler-queue-flush")
        cleaner = asyncio.create_task(self._cleanup_assumed_pods(), name="scheduler-assumed-cleanup")
        try:
            while True:
                try:
                    await self.schedule_one()
                except QueueClosed:
                    return
                await asyncio.sleep(0)  # let informers and bindings run between cycles
        finally:
            self.queue.close()
            for t in (flusher, cleaner, *self._background):
                t.cancel()
            await asyncio.gather(flusher, cleaner, *self._background, return_exceptions=True)
            for rec in self.recorders.values():
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(rec.close(), 5)
            await self.events_client.close()
            await self.informers.stop()

    async def _cleanup_assumed_pods(self) -> None:
        while True:
            await self.clock.sleep_until(self.clock.now() + ASSUMED_POD_CLEANUP_PERIOD)
            self.cache.cleanup_expired_assumed_pods()

    def _spawn(self, coro: Any, name: str) -> None:
        task = asyncio.create_task(coro, name=name)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # ------------------------------------------------------------------ scheduling cycle
    async def schedule_one(self) -> None:
        qinfo = await self.queue.pop()
        pod = qinfo.pod
        fwk = self.frameworks.get(scheduler_name_of(pod))
        if fwk is None or self._skip(pod):
            self.queue.done(pod)
            return
        state = CycleState()
        self.cache.update_snapshot(self.snapshot)
        try:
            result = self.algorithm.schedule(fwk, state, pod, qinfo.pod_info, self.snapshot)
        except NoNodesAvailable as e:
            self._handle_failure(fwk, qinfo, e.message, reason="Unschedulable")
            return
        except FitError as e:
            await self._post_filter(fwk, state, qinfo, e)
            return
        except SchedulingError as e:
            self._handle_failure(fwk, qinfo, str(e), reason="SchedulerError", error=True)
            return
        except Exception as e:  # a plugin bug must not stop the scheduler
            log.exception("scheduling %s failed", qinfo.key)
            self._handle_failure(fwk, qinfo, f"internal error: {e}", reason="SchedulerError", error=True)
            return
        self._assume_and_bind(fwk, state, qinfo, result.suggested_host)

    def _skip(self, pod: dict) -> bool:
        """Pods being deleted, and pods already assumed (a stale queue entry), are not scheduled."""
        return bool((pod.get("metadata") or {}).get("deletionTimestamp")) or self.cache.is_assumed(pod)

    async def _post_filter(self, fwk: Any, state: CycleState, qinfo: QueuedPodInfo, fit: FitError) -> None:
        nominated: str | None = None
        try:
            result, status = await fwk.run_post_filter(state, qinfo.pod, qinfo.pod_info, fit.node_statuses)
        except Exception:
            log.exception("PostFilter for %s failed", qinfo.key)
            result, status = None, Status.error("PostFilter failed")
        if status.code == Code.ERROR:
            log.warning("PostFilter for %s: %s", qinfo.key, status.message)
        elif status.message:
            fit.post_filter_msg = status.message
        if result is not None and result.nominated_node_name:
            nominated = result.nominated_node_name
        self._handle_failure(fwk, qinfo, fit.message, reason="Unschedulable",
                             plugins=fit.unschedulable_plugins, nominated_node=nominated)

    def _assume_and_bind(self, fwk: Any, state: CycleState, qinfo: QueuedPodInfo, host: str) -> None:
        pod = qinfo.pod
        assumed = {**pod, "spec": {**(pod.get("spec") or {}), "nodeName": host}}
        assumed_info = qinfo.pod_info.with_pod(assumed)
        try:
            self.cache.assume_pod(assumed_info, host)
        except ValueError as e:
            self._handle_failure(fwk, qinfo, str(e), reason="SchedulerError", error=True)
            return
        status = fwk.run_reserve(state, assumed, host)
        if not status.ok:
            fwk.run_unreserve(state, assumed, host)
            self.cache.forget_pod(assumed)
            self._handle_failure(fwk, qinfo, status.message or "Reserve failed", reason="SchedulerError",
                                 error=not status.is_rejected, plugins={status.plugin} if status.plugin else None)
            return
        status = fwk.run_permit(state, assumed, host)
        if not status.ok and status.code != Code.WAIT:
            fwk.run_unreserve(state, assumed, host)
            self.cache.forget_pod(assumed)
            self._handle_failure(fwk, qinfo, status.message or "Permit failed", reason="SchedulerError",
                                 error=not status.is_rejected, plugins={status.plugin} if status.plugin else None)
            return
        # a nomination is moot once the pod has its node
        self.queue.nominator.delete(pod)
        self.queue.done(pod)
        self._spawn(self._binding_cycle(fwk, state, qinfo, assumed, host), name=f"bind-{qinfo.key}")

    # ------------------------------------------------------------------ binding cycle
    async def _binding_cycle(self, fwk: Any, state: CycleState, qinfo: QueuedPodInfo, assumed: dict,
                             host: str) -> None:
        try:
            status = await fwk.wait_on_permit(assumed)
            if status.ok:
                status = await fwk.run_pre_bind(state, assumed, host)
            if status.ok:
                status = await fwk.run_bind(state, assumed, host)
                if status.code == Code.SKIP:
                    status = await self.bind(assumed, host)
        except asyncio.CancelledError:
            raise
        except Exception as e:
            log.exception("binding %s to %s failed", qinfo.key, host)
            status = Status.error(f"binding failed: {e}")
        if not status.ok:
            self._binding_failed(fwk, state, qinfo, assumed, host, status)
            return
        self.cache.finish_binding(assumed)
        self.scheduled += 1
        log.debug("bound %s to %s", qinfo.key, host)
        fwk_recorder = self._recorder(scheduler_name_of(assumed))
        meta = assumed.get("metadata") or {}
        fwk_recorder.record(assumed, type="Normal", reason="Scheduled",
                            message=f"Successfully assigned {meta.get('namespace', '')}/{meta.get('name', '')} to {host}")
        try:
            fwk.run_post_bind(state, assumed, host)
        except Exception:
            log.exception("PostBind for %s failed", qinfo.key)

    async def bind(self, pod: dict, host: str) -> Status:
        """POST pods/<name>/binding (what DefaultBinder does; used when no Bind plugin acted)."""
        meta = pod.get("metadata") or {}
        body = {"apiVersion": "v1", "kind": "Binding",
                "metadata": {"name": meta.get("name"), "namespace": meta.get("namespace"), "uid": meta.get("uid")},
                "target": {"apiVersion": "v1", "kind": "Node", "name": host}}
        try:
            await self.client.request("POST", resource_path("", "v1", "pods", meta.get("namespace", ""),
                                                            meta.get("name", ""), "binding"), body=body)
        except APIStatusError as e:
            return Status.error(f"binding rejected: {e}")
        return Status()

    def _binding_failed(self, fwk: Any, state: CycleState, qinfo: QueuedPodInfo, assumed: dict, host: str,
                        status: Status) -> None:
        try:
            fwk.run_unreserve(state, assumed, host)
        except Exception:
            log.exception("Unreserve for %s failed", qinfo.key)
        self.cache.forget_pod(assumed)
        # the room the pod held is free again: pods waiting for room may fit now
        self.queue.move_all_to_active_or_backoff(ASSIGNED_POD_DELETE)
        # a rejected WaitOnPermit is "unschedulable", anything else an error that backs off
        self._handle_failure(fwk, qinfo, status.message or "binding failed",
                             reason="Unschedulable" if status.is_rejected else "SchedulerError",
                             error=not status.is_rejected, plugins={status.plugin} if status.plugin else None)

    # ------------------------------------------------------------------ failure
    def _handle_failure(self, fwk: Any, qinfo: QueuedPodInfo, message: str, *, reason: str,
                        error: bool = False, plugins: set[str] | None = None,
                        nominated_node: str | None = None) -> None:
        """Re-queue the pod (unless it is gone or was bound meanwhile), record FailedScheduling
        and write ``PodScheduled=False`` (and a nomination) to its status."""
        self.failed_attempts += 1
        pod = qinfo.pod
        meta = pod.get("metadata") or {}
        current = self.pods.get(f"{meta.get('namespace', '')}/{meta.get('name', '')}")
        if current is None or pod_uid(current) != pod_uid(pod) or self.queue.was_deleted(pod):
            log.debug("pod %s was deleted while being scheduled; dropping it", qinfo.key)
            self.queue.done(pod)
            return
        if is_assigned(current):
            log.debug("pod %s was bound meanwhile; not re-queueing it", qinfo.key)
            self.queue.done(pod)
            return
        qinfo.unschedulable_plugins = set(plugins or ())
        self.queue.add_unschedulable_if_not_present(qinfo, error=error)
        if nominated_node:
            self.queue.nominator.add(qinfo.pod_info, nominated_node)
        log.info("unable to schedule %s: %s", qinfo.key, message)
        self._recorder(scheduler_name_of(pod)).record(current, type="Warning", reason="FailedScheduling",
                                                      message=_truncate(message))
        self._spawn(self._write_failure(current, reason, message, nominated_node), name=f"status-{qinfo.key}")

    async def _write_failure(self, pod: dict, reason: str, message: str, nominated_node: str | None) -> None:
        """Patch pods/status, only if the condition or the nomination would change (a pod
        that keeps failing the same way costs no writes)."""
        status = pod.get("status") or {}
        old = next((c for c in status.get("conditions") or [] if c.get("type") == "PodScheduled"), None)
        same_condition = (old is not None and old.get("status") == "False" and old.get("reason") == reason
                          and old.get("message") == message)
        nomination_changes = nominated_node is not None and nominated_node != status.get("nominatedNodeName")
        if same_condition and not nomination_changes:
            return
        condition = {"type": "PodScheduled", "status": "False", "reason": reason, "message": message,
                     "lastTransitionTime": (old.get("lastTransitionTime") if old and old.get("status") == "False"
                                            else None) or _now_rfc3339()}
        body: dict = {"status": {"conditions": [condition]}}
        if nomination_changes:
            body["status"]["nominatedNodeName"] = nominated_node
        meta = pod.get("metadata") or {}
        try:
            await self.client.patch("", "v1", "pods", meta.get("name", ""), body, namespace=meta.get("namespace", ""),
                                    patch_type="strategic", subresource="status")
        except APIStatusError as e:
            if e.code != 404:
                log.warning("could not update the status of pod %s/%s: %s", meta.get("namespace"), meta.get("name"), e)
        except Exception as e:  # transport trouble: the next attempt writes it again
            log.warning("could not update the status of pod %s/%s: %r", meta.get("namespace"), meta.get("name"), e)


# ---------------------------------------------------------------------------- the process
def load_scheduler_config(config: Any = None) -> Any:
    """The defaults for None, a file for a path, the parsed document for a dict."""
    from . import config as cfg

    if config is None:
        return cfg.KubeSchedulerConfiguration.default()
    if isinstance(config, dict):
        return cfg.load_config(config)
    return cfg.load_config_file(config)


async def _run_term(client: Client, config: Any, ready: asyncio.Event | None) -> None:
    scheduler = Scheduler(client, config)
    if ready is not None:
        ready.set()
    await scheduler.run()


async def run_scheduler(kubeconfig: str, *, config_path: str | dict | None = None, leader_elect: bool = True,
                        stop: asyncio.Event | None = None, qps: float | None = None, burst: int | None = None,
                        lease_name: str = "kube-scheduler", lease_namespace: str = "kube-system",
                        identity: str | None = None, lease_duration: float = 15.0, renew_deadline: float = 10.0,
                        retry_period: float = 2.0) -> None:
    """Run the scheduler until ``stop`` is set (or the task is cancelled); like
    run_controller_manager, only the Lease holder schedules."""
    config = load_scheduler_config(config_path)
    client = await Client.from_kubeconfig(kubeconfig, user_agent=USER_AGENT,
                                          qps=DEFAULT_QPS if qps is None else qps,
                                          burst=DEFAULT_BURST if burst is None else burst)
    try:
        await run_while_leading(
            client, lambda: _run_term(client, config, None), component="scheduler", stop=stop or asyncio.Event(),
            leader_elect=leader_elect, lease_name=lease_name, lease_namespace=lease_namespace, identity=identity,
            lease_duration=lease_duration, renew_deadline=renew_deadline, retry_period=retry_period)
    finally:
        await client.close()
