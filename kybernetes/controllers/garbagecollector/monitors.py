"""One metadata-only informer per collectable resource type, kept in step with discovery.

Each monitor feeds the graph: add and update become ``Graph.observe``, delete becomes
``Graph.remove``. Identities are built from the discovered type, not from the
object (a PartialObjectMetadata carries no kind of its own).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable

from ...client import Informer
from .discovery import APIResource
from .graph import Graph, ObjectRef

log = logging.getLogger(__name__)

__all__ = ["Monitors", "identity_of"]


def identity_of(resource: APIResource, obj: dict) -> ObjectRef | None:
    meta = obj.get("metadata") or {}
    if not meta.get("uid"):
        return None
    return ObjectRef(resource.api_version, resource.kind, meta.get("namespace") or "", meta.get("name") or "",
                     meta["uid"])


class Monitors:
    """The running informers, keyed by (group, plural): one version of a type is enough."""

    def __init__(self, graph: Graph, new_informer: Callable[[APIResource], Informer], *,
                 sync_grace: float = 30.0) -> None:
        self.graph = graph
        self._new_informer = new_informer
        self.sync_grace = sync_grace
        self.informers: dict[tuple[str, str], tuple[APIResource, Informer]] = {}
        self._started_at: dict[tuple[str, str], float] = {}

    def resources(self) -> list[APIResource]:
        return [r for r, _ in self.informers.values()]

    def all_synced(self) -> bool:
        return all(inf.has_synced for _, inf in self.informers.values())

    def settled(self) -> bool:
        """Whether the graph can be trusted to list every dependent: each monitor has
        synced, or has been trying for longer than ``sync_grace`` (a type whose list keeps
        failing must not stall every foreground and orphan deletion forever; upstream
        likewise goes ahead after a sync timeout)."""
        now = asyncio.get_running_loop().time()
        return all(inf.has_synced or now - self._started_at.get(key, now) > self.sync_grace
                   for key, (_, inf) in self.informers.items())

    async def wait_synced(self, timeout: float | None) -> bool:
        results = await asyncio.gather(*(inf.wait_synced(timeout) for _, inf in self.informers.values()))
        return all(results)

    async def sync(self, wanted: Iterable[APIResource], *, keep: Callable[[APIResource], bool] = lambda r: False,
                   ) -> tuple[list[APIResource], list[APIResource]]:
        """Start monitors for new types, stop those of types no longer served (unless
        ``keep`` says their discovery merely failed this time). A type whose preferred
        version changed is watched at the new version. Returns (started, stopped)."""
        wanted_by_key = {(r.group, r.plural): r for r in wanted}
        stopped: list[APIResource] = []
        for key, (res, inf) in list(self.informers.items()):
            new = wanted_by_key.get(key)
            if new == res or (new is None and keep(res)):
                continue
            del self.informers[key]
            self._started_at.pop(key, None)
            await inf.stop()
            stopped.append(res)
        started: list[APIResource] = []
        for key, res in wanted_by_key.items():
            if key in self.informers:
                continue
            inf = self._new_informer(res)
            self._connect(res, inf)
            inf.start()
            self.informers[key] = (res, inf)
            self._started_at[key] = asyncio.get_running_loop().time()
            started.append(res)
        if started or stopped:
            log.info("garbage collector: monitoring %d resource types (%d started, %d stopped)",
                     len(self.informers), len(started), len(stopped))
            log.debug("garbage collector: monitors started: %s; stopped: %s", _names(started), _names(stopped))
        return started, stopped

    async def stop(self) -> None:
        informers, self.informers = self.informers, {}
        await asyncio.gather(*(inf.stop() for _, inf in informers.values()))

    def _connect(self, res: APIResource, inf: Informer) -> None:
        def on_change(obj: dict) -> None:
            identity = identity_of(res, obj)
            if identity is not None:
                self.graph.observe(identity, obj.get("metadata") or {})

        def on_delete(obj: dict) -> None:
            identity = identity_of(res, obj)
            if identity is not None:
                self.graph.remove(identity.uid)

        inf.add_event_handler(on_add=on_change, on_update=lambda old, new: on_change(new), on_delete=on_delete)


def _names(resources: list[APIResource]) -> str:
    return ", ".join(sorted(f"{r.plural}.{r.group}" if r.group else r.plural for r in resources)) or "none"
