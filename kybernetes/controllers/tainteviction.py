"""The taint eviction controller (upstream's ``taint-eviction-controller``): pods leave
nodes tainted NoExecute.

For a pod bound to a node (``spec.nodeName``) with NoExecute taints:

* some taint is tolerated by none of the pod's tolerations: it is evicted now;
* otherwise the tolerations used (the first matching one per taint) decide: the
  smallest ``tolerationSeconds`` after the controller first scheduled work for the pod
  (none set: the pod stays for good, and any scheduled eviction is cancelled; a value
  <= 0: now).

Work already counting down for the same pod keeps its time, as upstream's does. A taint
that goes away, or a pod deleted, before then cancels the eviction, with a Normal
``TaintManagerEviction`` event "Cancelling deletion of Pod ns/name".

An eviction records ``TaintManagerEviction`` "Marking for deletion Pod ns/name", adds
the ``DisruptionTarget`` condition (reason ``DeletionByTaintManager``) through the
status subresource and deletes the pod with its own grace period, retrying a few times;
a pod that is gone, or replaced by another of the same name, counts as done.

Nodes get their NoExecute not-ready/unreachable taints from the node lifecycle
controller; DefaultTolerationSeconds admission gives pods 300 s of tolerance for those.
"""

from __future__ import annotations

import asyncio
import logging
import math
import socket
import time
from dataclasses import dataclass

from ..client import APIStatusError, EventRecorder, index_by_node, object_key
from ..client.workqueue import Clock, SystemClock
from ..scheduler.plugins.helpers import tolerates
from .base import ControllerContext, rfc3339

log = logging.getLogger(__name__)

__all__ = ["TaintEvictionController", "disruption_condition", "eviction_delay", "new_taint_eviction_controller",
           "no_execute_taints"]

NO_EXECUTE = "NoExecute"
REASON = "TaintManagerEviction"
RETRIES = 5             # upstream's retries for one eviction ...
RETRY_DELAY = 0.01      # ... 10 ms apart
NODE_INDEX = "node"            # shared with the node lifecycle controller


def no_execute_taints(node: dict | None) -> list[dict]:
    return [t for t in ((node or {}).get("spec") or {}).get("taints") or [] if t.get("effect") == NO_EXECUTE]


def eviction_delay(taints: list[dict], tolerations: list[dict]) -> float | None:
    """Seconds until a pod with ``tolerations`` must leave a node with ``taints``: 0 when
    a NoExecute taint is not tolerated, ``math.inf`` when all are tolerated for good,
    None when there is no NoExecute taint."""
    no_execute = [t for t in taints if t.get("effect") == NO_EXECUTE]
    if not no_execute:
        return None
    delay = math.inf
    for taint in no_execute:
        used = next((tol for tol in tolerations if tolerates(tol, taint)), None)
        if used is None:
            return 0.0
        seconds = used.get("tolerationSeconds")
        if seconds is not None:
            delay = min(delay, max(0.0, float(seconds)))
    return delay


def disruption_condition(pod: dict, now: str) -> dict | None:
    """The ``DisruptionTarget`` condition to write before deleting ``pod``, or None when
    it already says so. The transition time is kept when the status does not change."""
    want = {"type": "DisruptionTarget", "status": "True", "reason": "DeletionByTaintManager",
            "message": "Taint manager: deleting due to NoExecute taint"}
    old = next((c for c in (pod.get("status") or {}).get("conditions") or []
                if c.get("type") == "DisruptionTarget"), None)
    if old and all(old.get(k) == v for k, v in want.items()):
        return None
    keep = old and old.get("status") == "True" and old.get("lastTransitionTime")
    return {**want, "lastTransitionTime": old["lastTransitionTime"] if keep else now}


@dataclass
class _Work:
    """One pod's eviction: counting down (``task``), or done (``task`` None; the key is
    kept, as upstream does, so the pod is not evicted twice while it terminates)."""

    uid: str
    created_at: float
    fire_at: float
    task: asyncio.Task | None = None
    firing: bool = False        # the API calls started: cancelling no longer stops them


class TaintEvictionController:
    name = "taint-eviction-controller"
    component = "taint-eviction-controller"

    def __init__(self, ctx: ControllerContext, *, clock: Clock | None = None) -> None:
        self.client = ctx.client
        self.clock: Clock = clock or SystemClock()
        self.nodes = ctx.informers.informer("", "v1", "nodes")
        self.pods = ctx.informers.informer("", "v1", "pods")
        self.pods.add_indexer(NODE_INDEX, index_by_node)
        # a deleted node only stops mattering: its pods' work runs on (pod GC removes them)
        self.nodes.add_event_handler(on_add=self._node_changed, on_update=self._node_updated)
        self.pods.add_event_handler(on_add=self._pod_changed, on_update=self._pod_updated,
                                    on_delete=lambda pod: self._cancel(object_key(pod)))
        # made now (not in run) so evictions decided during the initial sync record events too
        self.recorder = EventRecorder(self.client, component=self.component, host=socket.gethostname())
        self.work: dict[str, _Work] = {}        # pod key -> its eviction

    async def run(self) -> None:
        try:
            for informer in (self.nodes, self.pods):
                await informer.wait_synced()
            await asyncio.Event().wait()        # the work happens in the handlers and timers
        finally:
            tasks = [w.task for w in self.work.values() if w.task is not None]
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self.recorder.close()

    # ------------------------------------------------------------------ informer events
    def _node_updated(self, old: dict, new: dict) -> None:
        if no_execute_taints(old) != no_execute_taints(new):   # heartbeats change nothing here
            self._node_changed(new)

    def _node_changed(self, node: dict) -> None:
        taints, now = no_execute_taints(node), self.clock.now()
        for pod in self.pods.by_index(NODE_INDEX, node["metadata"]["name"]):
            self._process(pod, taints, now)

    def _pod_updated(self, old: dict, new: dict) -> None:
        # only the node and the tolerations matter (a status write must not restart an eviction)
        if (old.get("spec") or {}).get("nodeName") == (new.get("spec") or {}).get("nodeName") and \
                (old.get("spec") or {}).get("tolerations") == (new.get("spec") or {}).get("tolerations"):
            return
        self._pod_changed(new)

    def _pod_changed(self, pod: dict) -> None:
        node_name = (pod.get("spec") or {}).get("nodeName")
        taints = no_execute_taints(self.nodes.get(node_name)) if node_name else []
        if taints:      # an untainted node's pods had their work cancelled when the taints went
            self._process(pod, taints, self.clock.now())

    # ------------------------------------------------------------------ decisions
    def _process(self, pod: dict, taints: list[dict], now: float) -> None:
        key, uid = object_key(pod), pod["metadata"].get("uid", "")
        delay = eviction_delay(taints, (pod.get("spec") or {}).get("tolerations") or [])
        if delay is None or delay == math.inf:
            self._cancel(key)
            return
        if delay == 0:
            self._cancel(key)                   # replaced by an eviction now
            self._schedule(key, uid, now, now)
            return
        work = self.work.get(key)
        if work is not None and work.task is None:
            return                              # evicted already; waiting for the pod to go
        start = now
        if work is not None and work.uid == uid:
            start = work.created_at
            if start + delay <= now + delay:    # upstream's rule: work under way keeps its time
                return
        self._cancel(key)
        self._schedule(key, uid, start, now + delay)

    def _schedule(self, key: str, uid: str, created_at: float, fire_at: float) -> None:
        if key in self.work:                    # done work for this pod: upstream skips the add
            return
        work = _Work(uid, created_at, fire_at)
        work.task = asyncio.get_running_loop().create_task(self._run_work(key, work), name=f"evict-{key}")
        self.work[key] = work

    def _cancel(self, key: str) -> None:
        """Drop a pod's work; a cancelled countdown is announced in an event, as upstream's."""
        work = self.work.pop(key, None)
        if work is None or work.task is None:
            return
        if not work.firing:
            work.task.cancel()
        ns, _, name = key.partition("/")
        self.recorder.record({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns}},
                             type="Normal", reason=REASON, message=f"Cancelling deletion of Pod {key}")

    # ------------------------------------------------------------------ eviction
    async def _run_work(self, key: str, work: _Work) -> None:
        await self.clock.sleep_until(work.fire_at)
        work.firing = True
        done = await self._evict(key, work.uid)
        if self.work.get(key) is work:
            if done:
                work.task = None                # keep the key: see _Work
            else:
                del self.work[key]              # failed: a later event may try again

    async def _evict(self, key: str, uid: str) -> bool:
        log.info("deleting pod %s from a node tainted NoExecute", key)
        ns, _, name = key.partition("/")
        announced = False
        for attempt in range(RETRIES):
            if attempt:
                await asyncio.sleep(RETRY_DELAY)
            try:
                pod = await self.client.get("", "v1", "pods", name, namespace=ns)
                if pod["metadata"].get("uid") != uid:
                    return True                 # ours is gone; another took its name
                if not announced:               # once, and only if there is something to do
                    announced = True
                    self.recorder.record(pod, type="Normal", reason=REASON, message=f"Marking for deletion Pod {key}")
                condition = disruption_condition(pod, rfc3339(time.time()))
                if condition is not None:
                    await self.client.patch("", "v1", "pods", name, {"status": {"conditions": [condition]}},
                                            namespace=ns, subresource="status", patch_type="strategic")
                await self.client.delete("", "v1", "pods", name, namespace=ns, preconditions={"uid": uid})
                return True
            except APIStatusError as e:
                if e.code == 404:
                    return True
                log.warning("evicting pod %s (try %d of %d): %s", key, attempt + 1, RETRIES, e)
            except Exception as e:      # connection trouble: try again, as for an API error
                log.warning("evicting pod %s (try %d of %d): %s", key, attempt + 1, RETRIES, e)
        return False


def new_taint_eviction_controller(ctx: ControllerContext) -> TaintEvictionController:
    return TaintEvictionController(ctx, **ctx.options.get("taint-eviction-controller", {}))
