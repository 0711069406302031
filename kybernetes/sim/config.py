"""The options of a simulation and the parsers for the flags that are not plain values.

:class:`SimConfig` is what ``run_sim`` and the ``kyb sim`` command share; defaults
follow the kubelet where the concept exists (lease of 40 s renewed every 10 s, node
status reported every 5 minutes, 110 pods per node).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from ..api.quantity import QuantityError, parse as parse_quantity

__all__ = ["SIMULATED_ANNOTATION", "SimConfig", "parse_labels", "parse_taints"]

# Marks the objects the simulator owns, so a restart adopts them knowingly and a
# person (or a test) can tell simulated nodes from real ones.
SIMULATED_ANNOTATION = "kyb.io/simulated"

TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")


@dataclass
class SimConfig:
    nodes: int
    name_prefix: str = "kyb-sim-"
    cpu: str = "32"
    memory: str = "256Gi"
    pods: int = 110
    ephemeral_storage: str = "1Ti"
    labels: dict[str, str] = field(default_factory=dict)
    taints: list[dict] = field(default_factory=list)
    zones: int = 0                      # 0: no topology labels
    region: str = "region-0"
    node_lease_duration: int = 40       # seconds, the Lease's leaseDurationSeconds
    lease_renew_interval: float = 10.0
    status_update_frequency: float = 300.0
    pod_ready_delay: float = 0.0
    kube_api_qps: float | None = None   # None: enough for the heartbeats plus headroom (see api_qps)
    kube_api_burst: int | None = None
    delete_nodes_on_exit: bool = False
    # Data only, never contacted: node addresses count up from the first host of
    # node_address_range; each node gets the next /node_cidr_mask_size of cluster_cidr.
    # 10.128.0.0/10 holds 16,384 /24s (a /16 such as flannel's 10.244.0.0/16 only 256).
    node_address_range: str = "10.250.0.0/16"
    cluster_cidr: str = "10.128.0.0/10"
    node_cidr_mask_size: int = 24
    max_concurrent_requests: int = 64   # heartbeats and registration in flight at once
    pod_workers: int = 16
    kubelet_version: str = "v1.33.0"

    def __post_init__(self) -> None:
        if self.nodes < 0:
            raise ValueError("--nodes must not be negative")
        for flag, value in (("--cpu", self.cpu), ("--memory", self.memory),
                            ("--ephemeral-storage", self.ephemeral_storage)):
            try:
                parse_quantity(value)
            except (QuantityError, ValueError) as e:
                raise ValueError(f"{flag}: {e}") from None
        if self.lease_renew_interval <= 0 or self.status_update_frequency <= 0:
            raise ValueError("heartbeat intervals must be positive")
        nodes_net = ipaddress.ip_network(self.node_address_range)
        if self.nodes > nodes_net.num_addresses - 2:
            raise ValueError(f"{self.node_address_range} has no address for each of {self.nodes} nodes")
        pods_net = ipaddress.ip_network(self.cluster_cidr)
        if self.node_cidr_mask_size < pods_net.prefixlen:
            raise ValueError("--node-cidr-mask-size is wider than --cluster-cidr")
        if self.nodes > 2 ** (self.node_cidr_mask_size - pods_net.prefixlen):
            raise ValueError(f"{self.cluster_cidr} has no /{self.node_cidr_mask_size} for each of {self.nodes} nodes")

    def node_name(self, index: int) -> str:
        return f"{self.name_prefix}{index}"

    def node_names(self) -> list[str]:
        return [self.node_name(i) for i in range(self.nodes)]

    def api_qps(self) -> float:
        """The client-side request rate: the flag, or the steady heartbeat load with room
        to spare for registration, pod status and retries (the kubelet's own 50 qps
        is per node; one process for thousands of nodes needs a budget that grows)."""
        if self.kube_api_qps is not None:
            return self.kube_api_qps
        heartbeats = self.nodes / self.lease_renew_interval + self.nodes / self.status_update_frequency
        return max(100.0, 2 * heartbeats + 100)

    def api_burst(self) -> int:
        if self.kube_api_burst is not None:
            return self.kube_api_burst
        return int(max(200, self.api_qps()))


def parse_labels(text: str) -> dict[str, str]:
    """``k=v,k2=v2`` (the ``--node-labels`` form) into a dict."""
    labels: dict[str, str] = {}
    for item in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"invalid label {item!r}: want key=value")
        labels[key] = value
    return labels


def parse_taints(text: str) -> list[dict]:
    """``key=value:Effect`` or ``key:Effect`` items (``--register-with-taints``) into taints."""
    taints: list[dict] = []
    for item in filter(None, (p.strip() for p in text.split(","))):
        kv, sep, effect = item.rpartition(":")
        if not sep or effect not in TAINT_EFFECTS:
            raise ValueError(f"invalid taint {item!r}: want key[=value]:{'|'.join(TAINT_EFFECTS)}")
        key, _, value = kv.partition("=")
        if not key:
            raise ValueError(f"invalid taint {item!r}: empty key")
        taint = {"key": key, "effect": effect}
        if value:
            taint["value"] = value
        taints.append(taint)
    return taints
