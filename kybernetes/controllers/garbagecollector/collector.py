"""The garbage collector: deletes objects whose owners are gone, and carries out the
foreground and orphan deletion policies (upstream's pkg/controller/garbagecollector).

How the pieces fit:

* discovery (refreshed every ``discovery_period`` seconds) says which types exist;
  :class:`~.monitors.Monitors` keeps a metadata-only informer on each collectable one;
* the informers feed the :class:`~.graph.Graph` of owners and dependents, which turns
  interesting changes into work: *attempt to delete* an object (its owner went away,
  it references an owner never seen, it is a dependent of an owner being deleted in
  foreground, or it is such an owner itself) and *attempt to orphan* (an owner being
  deleted with the ``orphan`` finalizer);
* two work queues with rate-limited retries run those attempts. Every decision is
  re-checked against the live API (GET the object, GET each owner) before anything is
  deleted, and deletes carry a UID precondition, so a stale graph never deletes an
  object that still has an owner.

The rules for one object with ownerReferences (each owner is looked up in the
object's namespace, or cluster-wide for a cluster-scoped owner type):

* an owner is *absent* if the GET answers 404 or finds another UID (remembered in a
  small cache of absent owners), *waiting* if it exists with ``deletionTimestamp`` and
  the ``foregroundDeletion`` finalizer, and *solid* otherwise;
* some owner solid: nothing is deleted; references to absent and waiting owners are
  removed from the object;
* every owner absent, each of them one this collector orphaned the dependents of: the
  references are removed and the object kept. The orphaning walked the graph's
  dependents, and this one's type may have been watched with a lag (each type has its
  own watch), so it was missed; upstream deletes such a late dependent, which a user
  who asked for ``--cascade=orphan`` would not expect;
* no solid owner but a waiting one, and the object has dependents itself: it is
  deleted in foreground, so the wait cascades down the chain (if one of its
  dependents is itself deleting in foreground, its ``blockOwnerDeletion`` flags are
  dropped first to break the cycle);
* otherwise it is deleted with the policy its own finalizers ask for (``orphan``,
  ``foregroundDeletion``), else in background;
* a cluster-scoped object naming a namespaced owner type is an invalid reference:
  such an object is never collected (an ``OwnerRefInvalidNamespace`` warning Event is
  recorded instead), as upstream.

An owner in foreground deletion loses its ``foregroundDeletion`` finalizer once the
graph holds no dependent with ``blockOwnerDeletion: true`` (and every monitor has
synced, so "none in the graph" means none in the cluster); an owner with the
``orphan`` finalizer first has its reference removed from every dependent, then
loses the finalizer. Removing the last finalizer makes the API server delete it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from ...client import APIStatusError, Client, Controller, EventRecorder, Informer, Result
from ..base import ControllerContext
from .discovery import IGNORED_RESOURCES, APIResource, ResourceMap, discover_resources
from .graph import FOREGROUND, ORPHAN, Graph, Node, ObjectRef, owner_references
from .metadata import metadata_client
from .monitors import Monitors

log = logging.getLogger(__name__)

__all__ = ["GarbageCollector", "InvalidOwnerReference", "UnknownKind"]

COMPONENT = "garbage-collector-controller"
PATCH_CONFLICT_RETRIES = 5


class UnknownKind(Exception):
    """An apiVersion/kind discovery does not know (yet): retry later, never guess."""


class InvalidOwnerReference(Exception):
    """A cluster-scoped object names a namespaced owner type: retrying will not help."""


class RecentKeys:
    """A bounded set that forgets its oldest keys first."""

    def __init__(self, size: int = 1000) -> None:
        self.size = size
        self._keys: OrderedDict[tuple, None] = OrderedDict()

    def add(self, key: tuple) -> None:
        self._keys[key] = None
        self._keys.move_to_end(key)
        while len(self._keys) > self.size:
            self._keys.popitem(last=False)

    def __contains__(self, key: tuple) -> bool:
        return key in self._keys


class GarbageCollector:
    name = "garbagecollector"

    def __init__(self, ctx: ControllerContext, *, workers: int = 10, discovery_period: float = 30.0,
                 initial_sync_timeout: float = 30.0, absent_cache_size: int = 1000,
                 ignored_resources: Iterable[tuple[str, str]] = IGNORED_RESOURCES) -> None:
        self.client = ctx.client
        # (group, plural) never watched (upstream's --gc-ignored-resources; Events by default)
        self.ignored_resources = frozenset(tuple(r) for r in ignored_resources)
        self.discovery_period = discovery_period
        self.initial_sync_timeout = initial_sync_timeout
        self.attempt_to_delete = Controller("garbagecollector-attempt-to-delete", self._attempt_to_delete,
                                            workers=workers)
        self.attempt_to_orphan = Controller("garbagecollector-attempt-to-orphan", self._attempt_to_orphan,
                                            workers=workers)
        self.graph = Graph(enqueue_delete=self.attempt_to_delete.enqueue,
                           enqueue_orphan=self.attempt_to_orphan.enqueue)
        self.resources = ResourceMap()
        # owners proven absent, by (group, kind, namespace, name, uid): saves a GET per
        # dependent when many share one deleted owner. Keyed by coordinates, not UID alone,
        # because a reference into the wrong namespace is absent only *there*
        self.absent = RecentKeys(absent_cache_size)
        # UIDs of owners deleted with the orphan policy: a dependent the graph saw only
        # after the orphaning (its type's watch lagged) keeps living, losing the reference
        self.orphaned = RecentKeys(absent_cache_size)
        self.recorder = EventRecorder(self.client, component=COMPONENT, host=socket.gethostname())
        self._metadata: Client | None = None
        self.monitors = Monitors(self.graph, self._new_informer, sync_grace=initial_sync_timeout)

    @property
    def metadata(self) -> Client:
        if self._metadata is None:
            self._metadata = metadata_client(self.client)
        return self._metadata

    def _new_informer(self, res: APIResource) -> Informer:
        return Informer(self.metadata, *res.gvr)

    # ------------------------------------------------------------------ lifecycle
    async def run(self) -> None:
        try:
            await self.refresh()
            if not await self.monitors.wait_synced(self.initial_sync_timeout):
                log.warning("garbage collector: not every monitor synced within %.0fs; starting anyway "
                            "(the graph may miss dependents of the unsynced types for now)", self.initial_sync_timeout)
            await asyncio.gather(self.attempt_to_delete.run(), self.attempt_to_orphan.run(),
                                 self._refresh_loop())
        finally:
            # the manager may cancel us more than once; finish cleaning up regardless, or the
            # informers' watches and the metadata client's connections would outlive us
            cleanup = asyncio.create_task(self._shut_down())
            while not cleanup.done():
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.shield(cleanup)

    async def _shut_down(self) -> None:
        self.attempt_to_delete.stop()
        self.attempt_to_orphan.stop()
        await self.monitors.stop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.recorder.close(), 5)
        if self._metadata is not None:
            await self._metadata.close()

    async def _refresh_loop(self) -> None:
        while True:
            await asyncio.sleep(self.discovery_period)
            try:
                await self.refresh()
            except Exception:
                log.exception("garbage collector: discovery refresh failed")

    async def refresh(self, resources: ResourceMap | None = None) -> tuple[list[APIResource], list[APIResource]]:
        """Re-read discovery (or take ``resources``) and adjust the monitors: types added
        since are watched from now on; types gone are dropped, unless their group's
        discovery failed this time. Returns the (started, stopped) types."""
        found = resources if resources is not None else await discover_resources(self.client)
        if found.failed:
            log.warning("garbage collector: discovery failed for %s", ", ".join(sorted(found.failed)))
            # keep resolving kinds of groups that failed this time with what we knew
            for key, res in self.resources.by_gvk.items():
                found.by_gvk.setdefault(key, res)
            for key, res in self.resources.by_gk.items():
                found.by_gk.setdefault(key, res)
        self.resources = found

        def failed_this_time(res: APIResource) -> bool:  # not gone: its group's discovery failed
            return res.api_version in found.failed or "apis" in found.failed
        return await self.monitors.sync(found.collectable(self.ignored_resources), keep=failed_this_time)

    # ------------------------------------------------------------------ API helpers
    def _resource(self, api_version: str, kind: str) -> APIResource:
        res = self.resources.resolve(api_version, kind)
        if res is None:
            raise UnknownKind(f"no resource type for apiVersion {api_version!r} kind {kind!r}")
        return res

    async def _get_live(self, identity: ObjectRef) -> dict | None:
        """The object as the API has it now, or None if it is gone (or replaced by
        another object of the same name, or not addressable by these coordinates)."""
        res = self._resource(identity.api_version, identity.kind)
        if res.namespaced and not identity.namespace:
            return None
        try:
            obj = await self.metadata.get(*res.gvr, identity.name, namespace=identity.namespace if res.namespaced else "")
        except APIStatusError as e:
            if e.code == 404:
                return None
            raise
        return obj if (obj.get("metadata") or {}).get("uid") == identity.uid else None

    async def _delete(self, identity: ObjectRef, policy: str) -> None:
        res = self._resource(identity.api_version, identity.kind)
        log.info("garbage collector: deleting %s (propagationPolicy=%s)", identity, policy)
        try:
            await self.client.delete(*res.gvr, identity.name, namespace=identity.namespace if res.namespaced else "",
                                     propagation_policy=policy, preconditions={"uid": identity.uid})
        except APIStatusError as e:
            if e.code not in (404, 409):  # gone already; 409: the UID no longer matches (gone)
                raise

    async def _patch_metadata(self, identity: ObjectRef, change: Callable[[dict], dict | None]) -> bool:
        """Read-modify-write of the object's metadata with a merge patch that carries the
        resourceVersion read, so a concurrent change makes it fail (409) and we redo it.
        ``change(meta)`` returns the metadata fields to set (``None`` values remove),
        or None when there is nothing to do. A merge patch works for every type,
        custom resources included (strategic merge does not). False if the object is gone."""
        res = self._resource(identity.api_version, identity.kind)
        namespace = identity.namespace if res.namespaced else ""
        for _ in range(PATCH_CONFLICT_RETRIES):
            latest = await self._get_live(identity)
            if latest is None:
                return False
            meta = latest.get("metadata") or {}
            fields = change(meta)
            if fields is None:
                return True
            body = {"metadata": {**fields, "resourceVersion": meta.get("resourceVersion")}}
            try:
                await self.client.patch(*res.gvr, identity.name, body, namespace=namespace, patch_type="merge")
                return True
            except APIStatusError as e:
                if e.code == 404:
                    return False
                if e.code != 409:
                    raise
        raise RuntimeError(f"{identity}: metadata kept changing under us; retrying later")

    async def _remove_owner_references(self, identity: ObjectRef, owner_uids: set[str]) -> None:
        def change(meta: dict) -> dict | None:
            refs = meta.get("ownerReferences") or []
            kept = [r for r in refs if r.get("uid") not in owner_uids]
            if len(kept) == len(refs):
                return None
            return {"ownerReferences": kept or None}
        log.info("garbage collector: removing owner references %s from %s", sorted(owner_uids), identity)
        await self._patch_metadata(identity, change)

    async def _unblock_owner_references(self, identity: ObjectRef, owner_uids: set[str]) -> None:
        def change(meta: dict) -> dict | None:
            refs = meta.get("ownerReferences") or []
            if not any(r.get("uid") in owner_uids and r.get("blockOwnerDeletion") for r in refs):
                return None
            return {"ownerReferences": [{**r, "blockOwnerDeletion": False} if r.get("uid") in owner_uids else r
                                        for r in refs]}
        await self._patch_metadata(identity, change)

    async def _remove_finalizer(self, identity: ObjectRef, finalizer: str) -> None:
        def change(meta: dict) -> dict | None:
            finalizers = meta.get("finalizers") or []
            if finalizer not in finalizers:
                return None
            return {"finalizers": [f for f in finalizers if f != finalizer] or None}
        log.info("garbage collector: removing finalizer %s from %s", finalizer, identity)
        await self._patch_metadata(identity, change)

    # ------------------------------------------------------------------ attempt to delete
    async def _attempt_to_delete(self, uid: Any) -> Result | None:
        node = self.graph.get(uid)
        if node is None:
            return None
        if node.being_deleted and not node.deleting_dependents:
            return None  # deletion is a one-way trip; its dependents are looked at once it is gone
        try:
            latest = await self._get_live(node.identity)
        except UnknownKind as e:
            if node.observed:
                raise
            # a virtual owner of a kind nobody serves cannot exist: its dependents decide for themselves
            log.info("garbage collector: %s", e)
            latest = None
        if latest is None:
            # gone (or never existed): forget it, and look at whatever depended on it
            if not node.observed:
                log.info("garbage collector: owner %s does not exist", node.identity)
            self.graph.remove(uid)
            return None
        meta = latest.get("metadata") or {}
        if node.deleting_dependents:
            return await self._process_deleting_dependents(node)
        refs = owner_references(meta)
        if refs:
            try:
                await self._collect_if_orphaned(node, meta, refs)
            except InvalidOwnerReference as e:
                log.warning("garbage collector: %s", e)
                self.recorder.record(self._event_target(node.identity), type="Warning",
                                     reason="OwnerRefInvalidNamespace", message=str(e))
                return None  # will not get better by retrying
        if not node.observed:
            # it exists but its informer has not shown it yet (or it is of a type not watched): look again
            return Result(requeue=True)
        return None

    async def _collect_if_orphaned(self, node: Node, meta: dict, refs: list[dict]) -> None:
        solid: list[dict] = []
        dangling: list[dict] = []
        waiting: list[dict] = []
        for ref in refs:
            state = await self._owner_state(ref, node.identity)
            {"solid": solid, "dangling": dangling, "waiting": waiting}[state].append(ref)
        if solid or (dangling and not waiting and all(r["uid"] in self.orphaned for r in dangling)):
            if dangling or waiting:
                await self._remove_owner_references(node.identity, {r["uid"] for r in dangling + waiting})
            return
        if waiting and node.dependents:
            if any(d.deleting_dependents for d in self.graph.dependents(node)):
                # a dependent waits for us while we would wait for our owner: break the cycle
                await self._unblock_owner_references(node.identity, {r["uid"] for r in waiting})
            await self._delete(node.identity, "Foreground")
            return
        finalizers = meta.get("finalizers") or []
        policy = "Orphan" if ORPHAN in finalizers else "Foreground" if FOREGROUND in finalizers else "Background"
        await self._delete(node.identity, policy)

    async def _owner_state(self, ref: dict, dependent: ObjectRef) -> str:
        """``solid``, ``dangling`` (absent) or ``waiting`` (deleting in foreground)."""
        res = self._resource(ref.get("apiVersion", ""), ref.get("kind", ""))
        if res.namespaced and not dependent.namespace:
            raise InvalidOwnerReference(
                f"ownerRef [{res.api_version}/{res.kind}, namespace: , name: {ref.get('name', '')}, "
                f"uid: {ref['uid']}] does not exist in namespace \"\" (a cluster-scoped object cannot "
                f"have a namespaced owner)")
        namespace = dependent.namespace if res.namespaced else ""
        key = (res.group, res.kind, namespace, ref.get("name", ""), ref["uid"])
        if key in self.absent:
            return "dangling"
        owner = await self._get_live(ObjectRef(res.api_version, res.kind, namespace, ref.get("name", ""), ref["uid"]))
        if owner is None:
            self.absent.add(key)
            return "dangling"
        meta = owner.get("metadata") or {}
        if meta.get("deletionTimestamp") and FOREGROUND in (meta.get("finalizers") or []):
            return "waiting"
        return "solid"

    async def _process_deleting_dependents(self, node: Node) -> Result | None:
        if not self.monitors.settled():
            return Result(requeue_after=0.5)  # an unsynced monitor could hide a blocking dependent
        blocking = self.graph.blocking_dependents(node)
        if not blocking:
            await self._remove_finalizer(node.identity, FOREGROUND)
            return None
        for dep in blocking:
            if not dep.deleting_dependents:
                self.attempt_to_delete.enqueue(dep.uid)
        return None

    @staticmethod
    def _event_target(identity: ObjectRef) -> dict:
        return {"apiVersion": identity.api_version, "kind": identity.kind,
                "metadata": {"name": identity.name, "namespace": identity.namespace, "uid": identity.uid}}

    # ------------------------------------------------------------------ attempt to orphan
    async def _attempt_to_orphan(self, uid: Any) -> Result | None:
        owner = self.graph.get(uid)
        if owner is None:
            return None
        if not self.monitors.settled():
            return Result(requeue_after=0.5)  # an unsynced monitor could hide a dependent
        for dep in self.graph.dependents(owner):
            await self._remove_owner_references(dep.identity, {uid})
        self.orphaned.add(uid)
        await self._remove_finalizer(owner.identity, ORPHAN)
        return None


def new_garbage_collector(ctx: ControllerContext) -> GarbageCollector:
    return GarbageCollector(ctx, **ctx.options.get("garbagecollector", {}))
