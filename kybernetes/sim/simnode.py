"""What the simulator remembers about each of its nodes (shared by registration,
heartbeats and pods)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .addresses import PodIPAllocator

__all__ = ["SimNode"]


@dataclass
class SimNode:
    """What the simulator remembers about one of its nodes."""

    index: int
    name: str
    uid: str
    pod_cidr: str
    internal_ip: str
    ready_since: str                     # lastTransitionTime of the conditions
    lease: dict | None = None            # the last Lease the server returned (its resourceVersion)
    ips: PodIPAllocator = field(init=False)

    def __post_init__(self) -> None:
        self.ips = PodIPAllocator(self.pod_cidr)
