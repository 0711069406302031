"""The node IPAM controller (upstream's ``nodeipam``, range allocator): every node gets a
pod CIDR, a ``/node_cidr_mask_size`` slice of ``cluster_cidr``, in ``spec.podCIDR`` and
``spec.podCIDRs``. The node's kubelet numbers its pods from it.

- Slices are handed out lowest first.
- A node that already has one (set at registration, or by an earlier run of this
  controller) keeps it, and nobody else gets it.
- A deleted node's slice is free again.
- When the range is used up the node gets a ``CIDRNotAvailable`` event and waits for
  a slice to be freed.

At start the controller reads every existing node's slice before handing out any, so a
restart never gives one slice to two nodes. IPv4 only for now.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket

from ..client import APIStatusError, EventRecorder
from .base import ControllerContext

log = logging.getLogger(__name__)

__all__ = ["NodeIPAMController", "new_node_ipam_controller"]

DEFAULT_CLUSTER_CIDR = "10.42.0.0/16"     # k3s's default
DEFAULT_NODE_CIDR_MASK_SIZE = 24


class NodeIPAMController:
    name = "nodeipam"
    component = "cidrAllocator"

    def __init__(self, ctx: ControllerContext, *, cluster_cidr: str = DEFAULT_CLUSTER_CIDR,
                 node_cidr_mask_size: int = DEFAULT_NODE_CIDR_MASK_SIZE) -> None:
        self.client = ctx.client
        self.network = ipaddress.ip_network(cluster_cidr)
        if self.network.version != 4:
            raise ValueError(f"--cluster-cidr {cluster_cidr}: only IPv4 is supported")
        if not self.network.prefixlen <= node_cidr_mask_size <= 30:
            raise ValueError(f"--node-cidr-mask-size {node_cidr_mask_size} does not fit --cluster-cidr {cluster_cidr}")
        self.mask = node_cidr_mask_size
        self.size = 1 << (node_cidr_mask_size - self.network.prefixlen)
        self.used: dict[int, str] = {}            # slice index -> node name
        self.nodes = ctx.informers.informer("", "v1", "nodes")
        self.nodes.add_event_handler(on_add=self._changed, on_update=lambda old, new: self._changed(new),
                                     on_delete=self._deleted)
        self.recorder = EventRecorder(self.client, component=self.component, host=socket.gethostname())
        self._pending: asyncio.Queue[str] = asyncio.Queue()
        self._synced = False

    # ------------------------------------------------------------------ slices
    def slice(self, index: int) -> str:
        first = int(self.network.network_address) + (index << (32 - self.mask))
        return f"{ipaddress.IPv4Address(first)}/{self.mask}"

    def index_of(self, cidr: str) -> int | None:
        try:
            net = ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            return None
        if net.version != 4 or net.prefixlen != self.mask or not net.subnet_of(self.network):  # type: ignore[arg-type]
            return None
        return (int(net.network_address) - int(self.network.network_address)) >> (32 - self.mask)

    def _occupy(self, node: dict) -> bool:
        """Record the slice the node has; False when it has none."""
        name = node["metadata"]["name"]
        cidr = (node.get("spec") or {}).get("podCIDR")
        if not cidr:
            return False
        index = self.index_of(cidr)
        if index is None:
            log.debug("node %s: podCIDR %s is outside %s; left alone", name, cidr, self.network)
        elif self.used.get(index, name) != name:
            log.warning("node %s: podCIDR %s is node %s's too", name, cidr, self.used[index])
        else:
            self.used[index] = name
        return True

    # ------------------------------------------------------------------ informer events
    def _changed(self, node: dict) -> None:
        if not self._occupy(node) and self._synced:
            self._pending.put_nowait(node["metadata"]["name"])

    def _deleted(self, node: dict) -> None:
        name = node["metadata"]["name"]
        for index, owner in list(self.used.items()):
            if owner == name:
                del self.used[index]
                log.info("node %s deleted: pod CIDR %s released", name, self.slice(index))
                if self._synced:      # a node still waiting for a slice may have it now
                    for other in self.nodes.list():
                        if not (other.get("spec") or {}).get("podCIDR"):
                            self._pending.put_nowait(other["metadata"]["name"])

    # ------------------------------------------------------------------ running
    async def run(self) -> None:
        try:
            await self.nodes.wait_synced()
            for node in self.nodes.list():         # every slice in use is known before any is given
                self._occupy(node)
            self._synced = True
            for node in self.nodes.list():
                if not (node.get("spec") or {}).get("podCIDR"):
                    self._pending.put_nowait(node["metadata"]["name"])
            while True:
                await self._allocate(await self._pending.get())
        finally:
            await self.recorder.close()

    async def _allocate(self, name: str) -> None:
        node = self.nodes.get(name)
        if node is None or (node.get("spec") or {}).get("podCIDR") or name in self.used.values():
            return                                  # gone, has one, or ours is on its way
        index = next((i for i in range(self.size) if i not in self.used), None)
        if index is None:
            log.warning("node %s: no pod CIDR left in %s", name, self.network)
            self.recorder.record(node, type="Normal", reason="CIDRNotAvailable",
                                 message=f"Node {name} status is now: CIDRNotAvailable")
            return                                  # retried when a node is deleted or changes
        cidr = self.slice(index)
        self.used[index] = name
        try:
            await self.client.patch("", "v1", "nodes", name, {"spec": {"podCIDR": cidr, "podCIDRs": [cidr]}},
                                    patch_type="merge")
            log.info("node %s: pod CIDR %s", name, cidr)
        except APIStatusError as e:
            del self.used[index]
            if e.code != 404:
                log.warning("node %s: cannot set pod CIDR %s: %s", name, cidr, e)
                self.recorder.record(node, type="Warning", reason="CIDRAssignmentFailed",
                                     message=f"Node {name} status is now: CIDRAssignmentFailed")


def new_node_ipam_controller(ctx: ControllerContext) -> NodeIPAMController:
    options = dict(ctx.options.get("nodeipam", {}))
    if not options.pop("allocate_node_cidrs", True):
        raise ValueError("--allocate-node-cidrs is false")
    return NodeIPAMController(ctx, **options)
