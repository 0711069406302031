"""Addresses of simulated nodes and pods: data written into objects, never contacted.

Node ``i`` gets the ``i+1``-th host of the node address range as its InternalIP and
the ``i``-th subnet of the cluster CIDR as its podCIDR, so names, addresses and
ranges are stable across restarts. A :class:`PodIPAllocator` per node hands out
pod IPs from that podCIDR; after a restart it is told the IPs of pods already
running (``mark_used``) before it allocates, so no address is given twice.
"""

from __future__ import annotations

import ipaddress

__all__ = ["PodIPAllocator", "node_internal_ip", "node_pod_cidr"]


def node_internal_ip(address_range: str, index: int) -> str:
    net = ipaddress.ip_network(address_range)
    return str(net.network_address + index + 1)


def node_pod_cidr(cluster_cidr: str, mask_size: int, index: int) -> str:
    net = ipaddress.ip_network(cluster_cidr)
    step = 2 ** (net.max_prefixlen - mask_size)
    return str(ipaddress.ip_network((int(net.network_address) + index * step, mask_size)))


class PodIPAllocator:
    """Pod IPs of one node. The network address, the first host (a bridge's gateway
    on a real node) and the broadcast address are never handed out."""

    def __init__(self, cidr: str) -> None:
        self.network = ipaddress.ip_network(cidr)
        self._first = int(self.network.network_address) + 2
        self._last = int(self.network.broadcast_address) - 1
        self._next = self._first
        self._used: set[int] = set()

    def mark_used(self, ip: str) -> None:
        """Record an address a pod already has (found on restart)."""
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            return
        if addr in self.network:
            self._used.add(int(addr))

    def allocate(self) -> str:
        """The next free address, round-robin so a released address is reused last."""
        size = self._last - self._first + 1
        for _ in range(max(0, size)):
            candidate = self._next
            self._next = self._first if candidate >= self._last else candidate + 1
            if candidate not in self._used:
                self._used.add(candidate)
                return str(ipaddress.ip_address(candidate))
        raise RuntimeError(f"pod CIDR {self.network} is full")

    def release(self, ip: str) -> None:
        try:
            self._used.discard(int(ipaddress.ip_address(ip)))
        except ValueError:
            pass

    def __len__(self) -> int:
        return len(self._used)
