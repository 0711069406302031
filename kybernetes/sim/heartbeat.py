"""Heartbeats of simulated nodes: Lease renewals and node status reports.

A kubelet tells the control plane it is alive in two ways (KEP-589): it renews its
Lease in ``kube-node-lease`` every ``--lease-renew-interval`` (10 s, a quarter of
the 40 s lease), a small write; and it rewrites its node status, with fresh
``lastHeartbeatTime`` on the conditions, every ``--status-update-frequency``
(5 minutes when nothing changes). A node lifecycle controller calls a node dead
when both go stale.

Each is a :class:`~.schedule.SpreadSchedule` over all nodes. A renewal is a PUT of
the Lease last returned by the server (optimistic concurrency on its
resourceVersion, as the kubelet does); on a conflict the fresh Lease is read and
the renewal written again, and a Lease deleted behind our back is re-created.
"""

from __future__ import annotations

import logging

from ..client import APIStatusError, Client
from .config import SimConfig
from .nodeobject import LEASE_NAMESPACE, micro_time, node_conditions, now_time
from .simnode import SimNode

log = logging.getLogger(__name__)

__all__ = ["Heartbeats", "write_lease"]

COORDINATION = ("coordination.k8s.io", "v1", "leases")


async def write_lease(client: Client, lease: dict) -> dict:
    """Write ``lease`` with renewTime now: update, or create when it is gone; on a
    conflict, renew the server's copy instead (keeping our holder and owner)."""
    name = lease["metadata"]["name"]
    lease["spec"]["renewTime"] = micro_time()
    try:
        return await client.replace(*COORDINATION, name, lease, namespace=LEASE_NAMESPACE)
    except APIStatusError as e:
        if e.code == 404:
            fresh = {"apiVersion": lease.get("apiVersion", "coordination.k8s.io/v1"), "kind": "Lease",
                     "metadata": {"name": name, "namespace": LEASE_NAMESPACE,
                                  "ownerReferences": lease["metadata"].get("ownerReferences") or []},
                     "spec": lease["spec"]}
            return await client.create(*COORDINATION, fresh, namespace=LEASE_NAMESPACE)
        if e.code != 409:
            raise
    current = await client.get(*COORDINATION, name, namespace=LEASE_NAMESPACE)
    current["spec"] = {**(current.get("spec") or {}), **lease["spec"], "renewTime": micro_time()}
    current["metadata"]["ownerReferences"] = lease["metadata"].get("ownerReferences") or []
    return await client.replace(*COORDINATION, name, current, namespace=LEASE_NAMESPACE)


class Heartbeats:
    """The two heartbeat jobs, keyed by node name (see :class:`~.schedule.SpreadSchedule`)."""

    def __init__(self, client: Client, config: SimConfig, nodes: dict[str, SimNode]) -> None:
        self.client = client
        self.config = config
        self.nodes = nodes
        self.lease_renewals = 0
        self.status_reports = 0

    async def renew_lease(self, name: str) -> None:
        node = self.nodes[name]
        assert node.lease is not None, "registration writes every lease first"
        node.lease = await write_lease(self.client, node.lease)
        self.lease_renewals += 1

    async def report_status(self, name: str) -> None:
        """Fresh heartbeat times on the conditions; nothing else about the node changes."""
        node = self.nodes[name]
        patch = {"status": {"conditions": node_conditions(now_time(), node.ready_since)}}
        await self.client.patch("", "v1", "nodes", name, patch, subresource="status")
        self.status_reports += 1
