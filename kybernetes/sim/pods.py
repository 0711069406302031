"""The pods of simulated nodes: start them (on paper) and confirm their deletion.

One pod informer over all namespaces serves every node; its handlers keep only
pods whose ``spec.nodeName`` is one of ours and queue their ``namespace/name``.
``reconcile(key)`` then does what a kubelet's pod worker would:

* a pod being deleted (``deletionTimestamp`` set) has its containers "stopped" at
  once, so it is deleted with ``gracePeriodSeconds=0`` and a UID precondition (a
  pod re-created under the same name is not touched);
* a pod not yet started waits ``--pod-ready-delay`` from when we first saw it bound
  (``requeue_after``, no sleeping in a worker), then gets one status write
  (Running, Ready, an IP from the node's podCIDR; the node's own IP for
  ``hostNetwork`` pods);
* a pod that already runs, or finished, is left alone, which makes a restarted
  simulator idempotent. Before the workers start, the informer's first list has
  told every node's allocator which IPs running pods hold.
"""

from __future__ import annotations

import asyncio
import logging

from ..client import APIStatusError, Client, Controller, Informer, Result
from .nodeobject import now_time
from .podstatus import running_pod_status
from .simnode import SimNode

log = logging.getLogger(__name__)

__all__ = ["PodRunner"]

_DONE_PHASES = ("Running", "Succeeded", "Failed")


def _key(pod: dict) -> str:
    meta = pod.get("metadata") or {}
    return f"{meta.get('namespace', '')}/{meta.get('name', '')}"


class PodRunner:
    def __init__(self, client: Client, informer: Informer, nodes: dict[str, SimNode], *,
                 ready_delay: float = 0.0, workers: int = 16) -> None:
        self.client = client
        self.informer = informer
        self.nodes = nodes
        self.ready_delay = ready_delay
        self.controller = Controller("sim-pods", self.reconcile, workers=workers)
        self._first_seen: dict[str, float] = {}     # pod UID -> loop time it was first seen bound here
        self._ip_of: dict[str, tuple[str, str]] = {}  # pod UID -> (node, pod IP) allocated or found
        self._reported: set[str] = set()  # pod UIDs whose status we wrote (the event may lag behind)
        self.started = 0    # status writes, for tests and benchmarks
        self.deleted = 0
        informer.add_event_handler(on_add=self._on_add, on_update=self._on_update, on_delete=self._on_delete)

    # ------------------------------------------------------------------ handlers
    def _ours(self, pod: dict) -> SimNode | None:
        return self.nodes.get((pod.get("spec") or {}).get("nodeName") or "")

    def _on_add(self, pod: dict) -> None:
        node = self._ours(pod)
        if node is None:
            return
        status = pod.get("status") or {}
        uid = pod["metadata"].get("uid", "")
        ip = status.get("podIP")
        if ip and uid not in self._ip_of and not (pod.get("spec") or {}).get("hostNetwork"):
            node.ips.mark_used(ip)   # running since a previous run: its address is taken
            self._ip_of[uid] = (node.name, ip)
        self.controller.enqueue(_key(pod))

    def _on_update(self, old: dict, new: dict) -> None:
        self._on_add(new)

    def _on_delete(self, pod: dict) -> None:
        uid = (pod.get("metadata") or {}).get("uid", "")
        self._forget(uid)

    def _forget(self, uid: str) -> None:
        self._first_seen.pop(uid, None)
        self._reported.discard(uid)
        held = self._ip_of.pop(uid, None)
        if held is not None and held[0] in self.nodes:
            self.nodes[held[0]].ips.release(held[1])

    # ------------------------------------------------------------------ reconcile
    async def reconcile(self, key: str) -> Result | None:
        pod = self.informer.get(key)
        if pod is None:
            return None
        node = self._ours(pod)
        if node is None:
            return None
        meta, status = pod["metadata"], pod.get("status") or {}
        uid = meta.get("uid", "")
        if meta.get("deletionTimestamp"):
            return await self._confirm_deletion(pod)
        if status.get("phase") in _DONE_PHASES or uid in self._reported:
            return None
        loop = asyncio.get_running_loop()
        seen = self._first_seen.setdefault(uid, loop.time())
        wait = seen + self.ready_delay - loop.time()
        if wait > 0:
            return Result(requeue_after=wait)
        await self._start(pod, node)
        return None

    async def _start(self, pod: dict, node: SimNode) -> None:
        meta = pod["metadata"]
        uid = meta.get("uid", "")
        if (pod.get("spec") or {}).get("hostNetwork"):
            ip = node.internal_ip
        elif uid in self._ip_of:
            ip = self._ip_of[uid][1]   # allocated by an earlier attempt that failed
        else:
            ip = node.ips.allocate()
            self._ip_of[uid] = (node.name, ip)
        status = running_pod_status(pod, host_ip=node.internal_ip, pod_ip=ip, now=now_time())
        try:
            await self.client.patch("", "v1", "pods", meta["name"], {"status": status},
                                    namespace=meta.get("namespace", ""), subresource="status")
        except APIStatusError as e:
            if e.code == 404:
                self._forget(uid)
                return
            raise
        self._reported.add(uid)
        self.started += 1
        log.debug("pod %s/%s running on %s with IP %s", meta.get("namespace"), meta["name"], node.name, ip)

    async def _confirm_deletion(self, pod: dict) -> None:
        meta = pod["metadata"]
        try:
            await self.client.delete("", "v1", "pods", meta["name"], namespace=meta.get("namespace", ""),
                                     grace_period_seconds=0, preconditions={"uid": meta["uid"]})
        except APIStatusError as e:
            if e.code not in (404, 409):   # gone already, or another pod by now
                raise
        self.deleted += 1
        self._forget(meta.get("uid", ""))
