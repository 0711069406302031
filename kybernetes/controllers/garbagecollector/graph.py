"""The ownership graph: every object the collector watches, linked to its owners.

Nodes are keyed by UID. An edge runs from an owner to each dependent whose
``metadata.ownerReferences`` names the owner's UID. An owner that is referenced but
has not been seen (yet) gets a *virtual* node, identified by the reference's
coordinates; the collector verifies it with a live GET, and either the informer
delivers the real object (the node becomes observed, nothing is deleted) or the GET
proves it absent and the node goes away, which hands its dependents to the
collector.

The graph only decides *what to look at*; it never deletes anything itself. Every
decision to delete or patch is taken by the collector against the live API, so a
stale or incomplete graph costs work, not correctness. The one exception is
foreground deletion, where "no blocking dependent remains" is read from the graph;
the collector only trusts that once every monitor has synced.

Changes arrive from informer handlers, which all run on the event loop, so each
method here is atomic with respect to the others and needs no lock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["FOREGROUND", "ORPHAN", "Graph", "Node", "ObjectRef"]

FOREGROUND = "foregroundDeletion"
ORPHAN = "orphan"


@dataclass(frozen=True)
class ObjectRef:
    """Who an object is: enough to GET it and to check it is still the same one."""

    api_version: str
    kind: str
    namespace: str
    name: str
    uid: str

    def __str__(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind}.{self.api_version} {where}{self.name} ({self.uid})"


@dataclass(eq=False)
class Node:
    identity: ObjectRef
    observed: bool                                   # False: a virtual node (only referenced so far)
    owners: list[dict] = field(default_factory=list)  # ownerReferences as last observed
    dependents: set[str] = field(default_factory=set)  # UIDs
    being_deleted: bool = False                       # deletionTimestamp seen
    deleting_dependents: bool = False                 # deletionTimestamp + foregroundDeletion seen
    deletion_finalizers: frozenset[str] = frozenset()  # orphan/foreground finalizers seen while deleting

    @property
    def uid(self) -> str:
        return self.identity.uid

    def owner_ref(self, owner_uid: str) -> dict | None:
        return next((r for r in self.owners if r.get("uid") == owner_uid), None)


def owner_references(meta: dict) -> list[dict]:
    return [r for r in meta.get("ownerReferences") or [] if isinstance(r, dict) and r.get("uid")]


class Graph:
    """``enqueue_delete(uid)``: look at this object (attemptToDelete);
    ``enqueue_orphan(uid)``: this owner wants its dependents orphaned (attemptToOrphan)."""

    def __init__(self, *, enqueue_delete: Callable[[str], None], enqueue_orphan: Callable[[str], None]) -> None:
        self.nodes: dict[str, Node] = {}
        self._enqueue_delete = enqueue_delete
        self._enqueue_orphan = enqueue_orphan

    def __len__(self) -> int:
        return len(self.nodes)

    def get(self, uid: str) -> Node | None:
        return self.nodes.get(uid)

    def dependents(self, node: Node) -> list[Node]:
        return [d for uid in sorted(node.dependents) if (d := self.nodes.get(uid)) is not None]

    def blocking_dependents(self, node: Node) -> list[Node]:
        """Dependents whose reference to ``node`` says ``blockOwnerDeletion: true``:
        while any exists, a foreground deletion of ``node`` must wait."""
        return [d for d in self.dependents(node) if (d.owner_ref(node.uid) or {}).get("blockOwnerDeletion")]

    # ------------------------------------------------------------------ changes
    def observe(self, identity: ObjectRef, meta: dict) -> None:
        """An object was added or updated (as seen by an informer)."""
        node = self.nodes.get(identity.uid)
        if node is None:
            node = self.nodes[identity.uid] = Node(identity, observed=True)
        elif not node.observed:
            # a virtual node turns real: its dependents referenced it by the coordinates they
            # knew; any whose reference does not really lead here (another namespace, a
            # namespaced owner of a cluster-scoped object) must be re-checked against the API
            node.observed = True
            node.identity = identity
            for dep in self.dependents(node):
                if not _may_own(identity, dep.identity):
                    self._enqueue_delete(dep.uid)
        else:
            node.identity = identity
        self._set_owners(node, owner_references(meta))
        self._deletion_transitions(node, meta)

    def remove(self, uid: str) -> None:
        """An object is gone: deleted (informer) or proven absent (a virtual node verified
        by the collector). Its dependents must be looked at; its owners that wait for
        their dependents may now be free to go."""
        node = self.nodes.pop(uid, None)
        if node is None:
            return
        for ref in node.owners:
            owner = self.nodes.get(ref["uid"])
            if owner is not None:
                self._unlink(owner, node)
        for dep_uid in sorted(node.dependents):
            if dep_uid in self.nodes:
                self._enqueue_delete(dep_uid)

    # ------------------------------------------------------------------ helpers
    def _set_owners(self, node: Node, new_refs: list[dict]) -> None:
        old = {r["uid"]: r for r in node.owners}
        new = {r["uid"]: r for r in new_refs}
        node.owners = new_refs
        for uid, ref in old.items():
            owner = self.nodes.get(uid)
            if owner is None:
                continue
            if uid not in new:
                self._unlink(owner, node)
            elif ref.get("blockOwnerDeletion") and not new[uid].get("blockOwnerDeletion") \
                    and owner.deleting_dependents:
                self._enqueue_delete(uid)  # one blocker fewer for a foreground deletion
        for uid, ref in new.items():
            if uid in old or uid == node.uid:
                continue
            owner = self.nodes.get(uid)
            if owner is None:
                namespace = node.identity.namespace  # where a namespaced owner must live
                owner = self.nodes[uid] = Node(
                    ObjectRef(ref.get("apiVersion", ""), ref.get("kind", ""), namespace, ref.get("name", ""), uid),
                    observed=False)
                self._enqueue_delete(uid)  # verify the owner exists
            elif owner.observed and not _may_own(owner.identity, node.identity):
                self._enqueue_delete(node.uid)  # a reference that cannot resolve: let the API decide
            elif owner.deleting_dependents:
                self._enqueue_delete(node.uid)  # a new dependent of an owner being deleted in foreground
            owner.dependents.add(node.uid)

    def _unlink(self, owner: Node, dependent: Node) -> None:
        owner.dependents.discard(dependent.uid)
        if owner.deleting_dependents:
            self._enqueue_delete(owner.uid)
        if not owner.observed and not owner.dependents:
            del self.nodes[owner.uid]  # nobody refers to it any more

    def _deletion_transitions(self, node: Node, meta: dict) -> None:
        if not meta.get("deletionTimestamp"):
            return
        node.being_deleted = True
        finalizers = frozenset(meta.get("finalizers") or ()) & {ORPHAN, FOREGROUND}
        started = finalizers - node.deletion_finalizers
        node.deletion_finalizers = finalizers
        if ORPHAN in started:
            self._enqueue_orphan(node.uid)
        if FOREGROUND in finalizers:
            node.deleting_dependents = True
        if FOREGROUND in started:
            for dep_uid in sorted(node.dependents):
                self._enqueue_delete(dep_uid)
            self._enqueue_delete(node.uid)


def _may_own(owner: ObjectRef, dependent: ObjectRef) -> bool:
    """Whether ``owner`` is where ``dependent``'s reference leads: a namespaced owner only
    owns objects of its own namespace; a cluster-scoped owner may own anything."""
    return not owner.namespace or owner.namespace == dependent.namespace
