"""What the controllers share: the context the manager hands to each controller's
factory, and the small protocol a running controller offers the manager."""

from __future__ import annotations

import datetime as dt
import socket
from dataclasses import dataclass, field
from typing import Protocol

from ..client import Client, Controller, EventRecorder, Informer, SharedInformerFactory

__all__ = ["ControllerContext", "EventingController", "RunnableController", "is_terminating",
           "namespace_is_active", "parse_time", "rfc3339"]


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


class EventingController:
    """Base of controllers that reconcile through one :class:`Controller` and record
    Events as ``component``: ``run()`` waits for the informers named by
    ``synced_informers()``, then reconciles until cancelled."""

    name: str
    component: str
    client: Client
    controller: Controller
    recorder: EventRecorder | None = None

    def synced_informers(self) -> list[Informer]:
        raise NotImplementedError

    async def run(self) -> None:
        for informer in self.synced_informers():
            await informer.wait_synced()
        self.recorder = EventRecorder(self.client, component=self.component, host=socket.gethostname())
        try:
            await self.controller.run()
        finally:
            await self.recorder.close()

    def _event(self, obj: dict, type_: str, reason: str, message: str) -> None:
        if self.recorder is not None:
            self.recorder.record(obj, type=type_, reason=reason, message=message)


def rfc3339(t: float) -> str:
    """A Unix time as Kubernetes writes timestamps (whole seconds, UTC)."""
    return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(s: str | None) -> float | None:
    """A Kubernetes timestamp as Unix time; None when missing or malformed."""
    if not s:
        return None
    try:
        return dt.datetime.fromisoformat(s).timestamp()
    except ValueError:
        return None
