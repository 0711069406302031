"""What the controllers share: the context the manager hands to each controller's
factory, and the small protocol a running controller offers the manager."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from ..client import Client, SharedInformerFactory

__all__ = ["ControllerContext", "RunnableController", "is_terminating", "namespace_is_active"]


@dataclass
class ControllerContext:
    """Everything a controller factory may use; built once per manager (per leadership term)."""

    client: Client
    informers: SharedInformerFactory
    root_ca_pem: str = ""          # the cluster CA bundle published by root-ca-cert-publisher
    options: dict = field(default_factory=dict)  # per-controller knobs (workers, requeue periods ...)


class RunnableController(Protocol):
    """A built controller: its informers are registered with the factory at construction,
    ``run()`` waits for their caches and reconciles until cancelled."""

    name: str

    async def run(self) -> None: ...


def is_terminating(ns: dict) -> bool:
    return bool((ns.get("metadata") or {}).get("deletionTimestamp")) or \
        (ns.get("status") or {}).get("phase") == "Terminating"


def namespace_is_active(ns: dict | None) -> bool:
    """A namespace that exists and is not being deleted: the only kind objects may be created in."""
    return ns is not None and not is_terminating(ns)
