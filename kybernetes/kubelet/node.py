"""The kubelet's own Node: registration, its Lease, and its status.

- **Registration**: create the Node with its labels, capacity, allocatable, nodeInfo
  and conditions; if it exists (a restart), take it over and refresh its status.
- **Lease** in ``kube-node-lease``, renewed every ``lease_renew_interval`` (10 s).
- **Status**: conditions (MemoryPressure, DiskPressure, PIDPressure, Ready), addresses,
  capacity, allocatable, images; written when it changed, else every
  ``status_report_interval`` (5 min, upstream's nodeStatusReportFrequency), looked at
  every ``status_update_interval`` (10 s).
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import Callable
from typing import Any

from ..client import APIStatusError, Client
from ..sim.heartbeat import write_lease
from ..sim.nodeobject import LEASE_NAMESPACE, micro_time, now_time
from .nodestatus import Machine

log = logging.getLogger(__name__)

__all__ = ["NodeAgent", "pressure_conditions"]

KUBELET_PORT = 10250
DISK_PRESSURE_FREE = 0.10     # the kubelet's default nodefs.available<10% hard eviction threshold
MEMORY_PRESSURE_FREE = 100 * 1024 * 1024


def _meminfo_available() -> int:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 1 << 62


def pressure_conditions(data_dir: str, *, ready: bool, ready_message: str = "") -> list[tuple[str, str, str, str]]:
    """(type, status, reason, message) of the four conditions, in the kubelet's order."""
    memory = _meminfo_available() < MEMORY_PRESSURE_FREE
    usage = shutil.disk_usage(data_dir)
    disk = usage.free < usage.total * DISK_PRESSURE_FREE
    return [
        ("MemoryPressure", "True", "KubeletHasInsufficientMemory", "kubelet has insufficient memory available")
        if memory else
        ("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
        ("DiskPressure", "True", "KubeletHasDiskPressure", "kubelet has disk pressure")
        if disk else ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
        ("Ready", "True", "KubeletReady", "kubelet is posting ready status") if ready else
        ("Ready", "False", "KubeletNotReady", ready_message or "container runtime is not ready"),
    ]


class NodeAgent:
    def __init__(self, client: Client, *, name: str, machine: Machine, data_dir: str, labels: dict[str, str],
                 capacity: dict[str, str], allocatable: dict[str, str], node_info: dict[str, str],
                 taints: list[dict], images: Callable[[], list[dict]],
                 lease_duration: int = 40, lease_renew_interval: float = 10.0,
                 status_update_interval: float = 10.0, status_report_interval: float = 300.0) -> None:
        self.client = client
        self.name = name
        self.machine = machine
        self.data_dir = data_dir
        self.labels = labels
        self.capacity = capacity
        self.allocatable = allocatable
        self.node_info = node_info
        self.taints = taints
        self.images = images
        self.lease_duration = lease_duration
        self.lease_renew_interval = lease_renew_interval
        self.status_update_interval = status_update_interval
        self.status_report_interval = status_report_interval
        self.addresses: list[dict] = [{"type": "Hostname", "address": name}]
        self.node: dict = {}
        self.lease: dict | None = None
        self._transitions: dict[str, tuple[str, str]] = {}   # type -> (status, since)
        self._last_written: Any = None
        self._last_write_at = 0.0
        # not Ready until the pod network is up (upstream: until the CNI plugin is initialized)
        self.ready = False
        self.ready_message = ("container runtime network not ready: NetworkReady=false "
                              "reason:NetworkPluginNotReady message:the node has no pod CIDR yet")
        self.port = KUBELET_PORT

    # ------------------------------------------------------------------ registration
    def _status(self) -> dict:
        now = now_time()
        conditions = []
        for ctype, status, reason, message in pressure_conditions(self.data_dir, ready=self.ready,
                                                                  ready_message=self.ready_message):
            prev = self._transitions.get(ctype)
            since = prev[1] if prev and prev[0] == status else now
            self._transitions[ctype] = (status, since)
            conditions.append({"type": ctype, "status": status, "lastHeartbeatTime": now,
                               "lastTransitionTime": since, "reason": reason, "message": message})
        return {"capacity": self.capacity, "allocatable": self.allocatable, "conditions": conditions,
                "addresses": self.addresses, "daemonEndpoints": {"kubeletEndpoint": {"Port": self.port}},
                "nodeInfo": self.node_info, "images": self.images()}

    async def register(self) -> dict:
        body = {"apiVersion": "v1", "kind": "Node",
                "metadata": {"name": self.name, "labels": self.labels,
                             "annotations": {"node.alpha.kubernetes.io/ttl": "0",
                                             "volumes.kubernetes.io/controller-managed-attach-detach": "true"}},
                "spec": {"taints": self.taints} if self.taints else {},
                "status": self._status()}
        try:
            self.node = await self.client.create("", "v1", "nodes", body)
            log.info("registered node %s", self.name)
        except APIStatusError as e:
            if e.code != 409:
                raise
            # a restart: the node is ours; refresh its labels and status
            self.node = await self.client.patch("", "v1", "nodes", self.name,
                                                {"metadata": {"labels": self.labels}})
            self.node = await self.client.patch("", "v1", "nodes", self.name, {"status": self._status()},
                                                subresource="status", patch_type="strategic")
            log.info("node %s already registered; took it over", self.name)
        self._mark_written()
        return self.node

    async def wait_for_pod_cidr(self, timeout: float | None = None) -> str:
        """The podCIDR the control plane assigned (nodeipam), waiting for it if need be."""
        deadline = None if timeout is None else asyncio.get_running_loop().time() + timeout
        while True:
            node = await self.client.get("", "v1", "nodes", self.name)
            cidr = (node.get("spec") or {}).get("podCIDR")
            if cidr:
                self.node = node
                return cidr
            if deadline is not None and asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"node {self.name} got no podCIDR (is the node IPAM controller running?)")
            await asyncio.sleep(0.2)

    # ------------------------------------------------------------------ heartbeats
    def _lease_object(self) -> dict:
        meta = self.node["metadata"]
        return {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                "metadata": {"name": self.name, "namespace": LEASE_NAMESPACE,
                             "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": self.name,
                                                  "uid": meta["uid"]}]},
                "spec": {"holderIdentity": self.name, "leaseDurationSeconds": self.lease_duration,
                         "renewTime": micro_time()}}

    async def renew_lease(self) -> None:
        if self.lease is None:
            try:
                self.lease = await self.client.get("coordination.k8s.io", "v1", "leases", self.name,
                                                   namespace=LEASE_NAMESPACE)
                self.lease["spec"].update(self._lease_object()["spec"])
                self.lease["metadata"]["ownerReferences"] = self._lease_object()["metadata"]["ownerReferences"]
            except APIStatusError as e:
                if e.code != 404:
                    raise
                self.lease = self._lease_object()
                self.lease = await self.client.create("coordination.k8s.io", "v1", "leases", self.lease,
                                                      namespace=LEASE_NAMESPACE)
                return
        self.lease = await write_lease(self.client, self.lease)

    def _mark_written(self) -> None:
        self._last_written = self._comparable(self._status())
        self._last_write_at = asyncio.get_running_loop().time()

    @staticmethod
    def _comparable(status: dict) -> Any:
        return {**status, "conditions": [{k: v for k, v in c.items() if k != "lastHeartbeatTime"}
                                         for c in status["conditions"]]}

    async def update_status(self, *, force: bool = False) -> bool:
        status = self._status()
        loop = asyncio.get_running_loop()
        stale = loop.time() - self._last_write_at >= self.status_report_interval
        if not force and not stale and self._comparable(status) == self._last_written:
            return False
        self.node = await self.client.patch("", "v1", "nodes", self.name, {"status": status},
                                            subresource="status", patch_type="strategic")
        self._last_written = self._comparable(status)
        self._last_write_at = loop.time()
        return True

    async def run(self) -> None:
        """Renew the Lease and keep the status fresh until cancelled."""
        async def leases() -> None:
            while True:
                try:
                    await self.renew_lease()
                except Exception as e:   # the API server restarting: keep trying
                    log.warning("node %s: lease renewal failed: %s", self.name, e)
                    self.lease = None
                await asyncio.sleep(self.lease_renew_interval)

        async def statuses() -> None:
            while True:
                await asyncio.sleep(self.status_update_interval)
                try:
                    await self.update_status()
                except Exception as e:
                    log.warning("node %s: status update failed: %s", self.name, e)

        await asyncio.gather(leases(), statuses())
