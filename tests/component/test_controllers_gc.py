"""The garbage collector, run in-process by ``run_controller_manager`` against a real API
server: background, foreground and orphan propagation, dangling owners, partial
ownership, owners that appear after their dependents, and discovery refresh.

Owners and dependents are mostly ConfigMaps and Secrets (no other controller touches
them); one test runs the ReplicaSet controller too. A ``example.com/hold`` finalizer
keeps an object around (being deleted) for as long as a test needs."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from kybernetes.client import APIStatusError, Client
from kybernetes.controllers import CONTROLLERS
from kybernetes.controllers.base import ControllerContext
from kybernetes.controllers.garbagecollector import GarbageCollector, Graph, ObjectRef, discover_resources
from kybernetes.controllers.manager import ALIASES
from tests.component.conftest import eventually, running_controller_manager

HOLD = "example.com/hold"


@pytest.fixture
async def gc(cluster):
    async with running_controller_manager(cluster, ["garbagecollector", "replicaset"],
                                          options={"garbagecollector": {"discovery_period": 2.0}}) as task:
        yield task


def ref(owner: dict, *, block: bool | None = None, controller: bool | None = None) -> dict:
    r = {"apiVersion": owner.get("apiVersion", "v1"), "kind": owner["kind"], "name": owner["metadata"]["name"],
         "uid": owner["metadata"]["uid"]}
    if block is not None:
        r["blockOwnerDeletion"] = block
    if controller is not None:
        r["controller"] = controller
    return r


async def configmap(client: Client, ns: str, name: str, *owners: dict, finalizers: list[str] | None = None) -> dict:
    meta: dict = {"name": name}
    if owners:
        meta["ownerReferences"] = list(owners)
    if finalizers:
        meta["finalizers"] = finalizers
    obj = await client.create("", "v1", "configmaps", {"metadata": meta, "data": {"k": "v"}}, namespace=ns)
    obj.setdefault("kind", "ConfigMap")
    obj.setdefault("apiVersion", "v1")
    return obj


async def secret(client: Client, ns: str, name: str, *owners: dict) -> dict:
    meta: dict = {"name": name}
    if owners:
        meta["ownerReferences"] = list(owners)
    obj = await client.create("", "v1", "secrets", {"metadata": meta, "stringData": {"k": "v"}}, namespace=ns)
    obj.setdefault("kind", "Secret")
    obj.setdefault("apiVersion", "v1")
    return obj


async def get_or_none(client: Client, plural: str, name: str, ns: str) -> dict | None:
    try:
        return await client.get("", "v1", plural, name, namespace=ns)
    except APIStatusError as e:
        if e.code == 404:
            return None
        raise


def gone(client: Client, plural: str, name: str, ns: str):
    async def check():
        return await get_or_none(client, plural, name, ns) is None
    return check


async def drop_finalizer(client: Client, plural: str, name: str, ns: str) -> None:
    await client.patch("", "v1", plural, name, {"metadata": {"finalizers": None}}, namespace=ns)


async def gc_caught_up(client: Client, ns: str) -> None:
    """A positive signal that the collector processed everything before this point: a
    fresh owner/dependent pair created now is collected once its owner is deleted."""
    marker = f"marker-{uuid.uuid4().hex[:6]}"
    owner = await configmap(client, ns, marker)
    await configmap(client, ns, f"{marker}-dep", ref(owner))
    await client.delete("", "v1", "configmaps", marker, namespace=ns)
    await eventually(gone(client, "configmaps", f"{marker}-dep", ns), what="marker dependent collected")


def test_registered():
    assert "garbagecollector" in CONTROLLERS
    assert ALIASES["garbage-collector-controller"] == "garbagecollector"


async def test_background_cascades_two_levels(client, gc, namespace):
    root = await configmap(client, namespace, "root")
    mid = await configmap(client, namespace, "mid", ref(root))
    leaf_cm = await configmap(client, namespace, "leaf-cm", ref(mid))
    leaf_secret = await secret(client, namespace, "leaf-secret", ref(mid))
    await client.delete("", "v1", "configmaps", "root", namespace=namespace)
    await eventually(gone(client, "configmaps", "mid", namespace), what="mid collected")
    await eventually(gone(client, "configmaps", "leaf-cm", namespace), what="leaf configmap collected")
    await eventually(gone(client, "secrets", "leaf-secret", namespace), what="leaf secret collected")
    assert leaf_cm["metadata"]["uid"] and leaf_secret["metadata"]["uid"]


async def test_owner_present_nothing_deleted(client, gc, namespace):
    owner = await configmap(client, namespace, "owner")
    await configmap(client, namespace, "dep", ref(owner))
    await gc_caught_up(client, namespace)
    assert await get_or_none(client, "configmaps", "dep", namespace) is not None
    assert await get_or_none(client, "configmaps", "owner", namespace) is not None


async def test_foreground_waits_for_blocking_dependents(client, gc, namespace):
    owner = await configmap(client, namespace, "fg-owner")
    # a blocking dependent that lingers (its own finalizer) holds the owner ...
    await configmap(client, namespace, "blocker", ref(owner, block=True), finalizers=[HOLD])
    # ... a non-blocking one that lingers does not
    await configmap(client, namespace, "nonblocker", ref(owner, block=False), finalizers=[HOLD])
    # a blocking one with dependents of its own is deleted in foreground in turn
    mid = await configmap(client, namespace, "fg-mid", ref(owner, block=True))
    await configmap(client, namespace, "fg-leaf", ref(mid, block=True))

    await client.delete("", "v1", "configmaps", "fg-owner", namespace=namespace, propagation_policy="Foreground")

    async def dependents_deleting():
        objs = [await get_or_none(client, "configmaps", n, namespace) for n in ("blocker", "nonblocker")]
        return all(o and o["metadata"].get("deletionTimestamp") for o in objs)
    await eventually(dependents_deleting, what="dependents marked for deletion")
    await eventually(gone(client, "configmaps", "fg-leaf", namespace), what="grandchild collected")
    await eventually(gone(client, "configmaps", "fg-mid", namespace), what="foreground child collected")

    still = await get_or_none(client, "configmaps", "fg-owner", namespace)
    assert still is not None, "the owner went away while a blocking dependent exists"
    assert "foregroundDeletion" in still["metadata"]["finalizers"]
    assert still["metadata"].get("deletionTimestamp")

    await drop_finalizer(client, "configmaps", "blocker", namespace)
    await eventually(gone(client, "configmaps", "fg-owner", namespace), what="owner gone after its blocker")
    # the non-blocking dependent is still being deleted (held by its finalizer) and did not hold the owner
    nb = await get_or_none(client, "configmaps", "nonblocker", namespace)
    assert nb is not None and nb["metadata"].get("deletionTimestamp")
    await drop_finalizer(client, "configmaps", "nonblocker", namespace)
    await eventually(gone(client, "configmaps", "nonblocker", namespace))


async def test_foreground_without_dependents_finishes(client, gc, namespace):
    await configmap(client, namespace, "lonely")
    await client.delete("", "v1", "configmaps", "lonely", namespace=namespace, propagation_policy="Foreground")
    await eventually(gone(client, "configmaps", "lonely", namespace), what="owner without dependents gone")


@pytest.mark.parametrize("how", ["propagationPolicy", "orphanDependents"])
async def test_orphan_keeps_dependents(client, gc, namespace, how):
    owner = await configmap(client, namespace, "orphan-owner")
    other = await configmap(client, namespace, "other-owner")
    await configmap(client, namespace, "kept-1", ref(owner, block=True))
    await configmap(client, namespace, "kept-2", ref(owner), ref(other))
    await secret(client, namespace, "kept-3", ref(owner))
    if how == "propagationPolicy":
        await client.delete("", "v1", "configmaps", "orphan-owner", namespace=namespace, propagation_policy="Orphan")
    else:  # what kubectl --cascade=orphan used to send
        await client.request("DELETE", f"/api/v1/namespaces/{namespace}/configmaps/orphan-owner",
                             body={"kind": "DeleteOptions", "apiVersion": "v1", "orphanDependents": True})
    await eventually(gone(client, "configmaps", "orphan-owner", namespace), what="orphaning owner gone")
    kept1 = await client.get("", "v1", "configmaps", "kept-1", namespace=namespace)
    kept2 = await client.get("", "v1", "configmaps", "kept-2", namespace=namespace)
    kept3 = await client.get("", "v1", "secrets", "kept-3", namespace=namespace)
    assert not kept1["metadata"].get("ownerReferences")
    assert [r["uid"] for r in kept2["metadata"]["ownerReferences"]] == [other["metadata"]["uid"]]
    assert not kept3["metadata"].get("ownerReferences")
    await gc_caught_up(client, namespace)
    for plural, name in (("configmaps", "kept-1"), ("configmaps", "kept-2"), ("secrets", "kept-3")):
        assert await get_or_none(client, plural, name, namespace) is not None


async def test_dangling_owner_uid_collected(client, gc, namespace):
    ghost = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ghost", "uid": str(uuid.uuid4())}}
    await configmap(client, namespace, "haunted", ref(ghost))
    # an owner of the right name but another UID does not count either
    await configmap(client, namespace, "impostor")
    fake = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "impostor", "uid": str(uuid.uuid4())}}
    await secret(client, namespace, "fooled", ref(fake))
    await eventually(gone(client, "configmaps", "haunted", namespace), what="dependent of a UID that never existed")
    await eventually(gone(client, "secrets", "fooled", namespace), what="dependent of a replaced owner")
    assert await get_or_none(client, "configmaps", "impostor", namespace) is not None


async def test_two_owners_one_deleted(client, gc, namespace):
    a = await configmap(client, namespace, "owner-a")
    b = await configmap(client, namespace, "owner-b")
    await configmap(client, namespace, "shared", ref(a), ref(b))
    await client.delete("", "v1", "configmaps", "owner-a", namespace=namespace)

    async def dangling_ref_removed():
        obj = await client.get("", "v1", "configmaps", "shared", namespace=namespace)
        return [r["uid"] for r in obj["metadata"].get("ownerReferences") or []] == [b["metadata"]["uid"]]
    await eventually(dangling_ref_removed, what="dangling reference removed")
    await gc_caught_up(client, namespace)
    assert await get_or_none(client, "configmaps", "shared", namespace) is not None
    # and with the second owner gone too, it is collected
    await client.delete("", "v1", "configmaps", "owner-b", namespace=namespace)
    await eventually(gone(client, "configmaps", "shared", namespace), what="dependent of two deleted owners")


async def test_owner_seen_after_dependent(client, namespace):
    """The collector may see a dependent before its owner (informers lag, or the owner's
    type is not watched at all, the extreme case used here: Secrets are ignored). The
    owner is then a virtual node that a live GET finds: nothing is deleted. Once the
    owner really goes, the dependent is collected."""
    ctx = ControllerContext(client=client, informers=None)  # type: ignore[arg-type]
    collector = GarbageCollector(ctx, ignored_resources=[("", "events"), ("", "secrets")])
    task = asyncio.create_task(collector.run())
    try:
        owner = await secret(client, namespace, "unwatched-owner")
        await configmap(client, namespace, "early-dep", ref(owner))

        async def verified():  # the virtual owner was looked at (and found) at least once
            node = collector.graph.get(owner["metadata"]["uid"])
            return node is not None and collector.attempt_to_delete.reconciles > 0 \
                and collector.attempt_to_delete.queue.num_requeues(node.uid) > 0
        await eventually(verified, what="virtual owner verified")
        assert await get_or_none(client, "configmaps", "early-dep", namespace) is not None
        await client.delete("", "v1", "secrets", "unwatched-owner", namespace=namespace)
        await eventually(gone(client, "configmaps", "early-dep", namespace), what="collected once the owner goes")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_cross_namespace_reference_is_absent(client, gc, namespace):
    """A namespaced owner only owns objects in its own namespace: a reference from
    another namespace is dangling there, while the owner itself is left alone."""
    other_ns = f"t-{uuid.uuid4().hex[:8]}"
    await client.create("", "v1", "namespaces", {"metadata": {"name": other_ns}})
    owner = await configmap(client, other_ns, "far-owner")
    local = await configmap(client, other_ns, "local-dep", ref(owner))
    await configmap(client, namespace, "far-dep", ref(owner))
    await eventually(gone(client, "configmaps", "far-dep", namespace), what="cross-namespace dependent collected")
    assert await get_or_none(client, "configmaps", "far-owner", other_ns) is not None
    assert await get_or_none(client, "configmaps", "local-dep", other_ns) is not None
    assert local["metadata"]["uid"]


async def test_cluster_scoped_dependent_of_namespaced_owner_is_kept(client, gc, namespace):
    owner = await configmap(client, namespace, "ns-owner")
    name = f"gc-{uuid.uuid4().hex[:8]}"
    body = {"metadata": {"name": name, "ownerReferences": [ref(owner)]},
            "rules": []}
    await client.create("rbac.authorization.k8s.io", "v1", "clusterroles", body)
    try:
        await client.delete("", "v1", "configmaps", "ns-owner", namespace=namespace)

        async def warned():
            events = (await client.list("", "v1", "events", namespace="default"))["items"]
            return [e for e in events if e.get("reason") == "OwnerRefInvalidNamespace"
                    and e["involvedObject"].get("name") == name]
        (event,) = await eventually(warned, what="an OwnerRefInvalidNamespace event")
        assert event["type"] == "Warning" and event["involvedObject"]["kind"] == "ClusterRole"
        await gc_caught_up(client, namespace)
        assert await client.get("rbac.authorization.k8s.io", "v1", "clusterroles", name)
    finally:
        await client.delete("rbac.authorization.k8s.io", "v1", "clusterroles", name)


async def test_cluster_scoped_owner_of_namespaced_dependent(client, gc, namespace):
    name = f"gc-{uuid.uuid4().hex[:8]}"
    role = await client.create("rbac.authorization.k8s.io", "v1", "clusterroles",
                               {"metadata": {"name": name}, "rules": []})
    role_ref = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "name": name,
                "uid": role["metadata"]["uid"]}
    await configmap(client, namespace, "owned-by-cluster", role_ref)
    await gc_caught_up(client, namespace)
    assert await get_or_none(client, "configmaps", "owned-by-cluster", namespace) is not None
    await client.delete("rbac.authorization.k8s.io", "v1", "clusterroles", name)
    await eventually(gone(client, "configmaps", "owned-by-cluster", namespace), what="dependent of a ClusterRole")


async def test_replicaset_pods_chain(client, gc, namespace):
    body = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web"},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}
    await client.create("apps", "v1", "replicasets", body, namespace=namespace)

    async def pods(n: int):
        items = (await client.list("", "v1", "pods", namespace=namespace, label_selector="app=web"))["items"]
        return len(items) == n
    await eventually(lambda: pods(2), what="2 pods")
    await client.delete("apps", "v1", "replicasets", "web", namespace=namespace, propagation_policy="Foreground")
    await eventually(lambda: pods(0), what="pods collected")

    async def rs_gone():
        try:
            await client.get("apps", "v1", "replicasets", "web", namespace=namespace)
        except APIStatusError as e:
            return e.code == 404
        return False
    await eventually(rs_gone, what="foreground ReplicaSet gone")

    # background: the ReplicaSet goes at once, its pods follow
    await client.create("apps", "v1", "replicasets", body, namespace=namespace)
    await eventually(lambda: pods(2), what="2 pods again")
    await client.delete("apps", "v1", "replicasets", "web", namespace=namespace)
    await eventually(lambda: pods(0), what="pods of a background-deleted ReplicaSet collected")


async def test_refresh_picks_up_new_types(client):
    """A type discovery did not list before is watched after the next refresh (and one
    that disappeared is dropped); a failed group keeps its monitors."""
    ctx = ControllerContext(client=client, informers=None)  # type: ignore[arg-type]
    collector = GarbageCollector(ctx)
    try:
        full = await discover_resources(client)
        assert not full.failed
        plurals = {(r.group, r.plural) for r in full.collectable()}
        assert ("", "configmaps") in plurals and ("apps", "replicasets") in plurals
        assert ("", "events") not in plurals and ("events.k8s.io", "events") not in plurals
        assert full.resolve("apps/v1", "ReplicaSet").plural == "replicasets"
        assert full.resolve("v1", "Pod").namespaced

        partial = await discover_resources(client)
        partial.preferred = [r for r in partial.preferred if r.plural != "configmaps"]
        started, _ = await collector.refresh(partial)
        assert ("", "configmaps") not in {(r.group, r.plural) for r in started}
        started, stopped = await collector.refresh(full)
        assert [(r.group, r.plural) for r in started] == [("", "configmaps")] and not stopped
        await collector.monitors.wait_synced(10)
        # monitors hold metadata only
        await configmap(client, "default", f"meta-{uuid.uuid4().hex[:6]}")
        cms = collector.monitors.informers[("", "configmaps")][1]
        await eventually(lambda: _async(bool(cms.list())), what="a configmap in the monitor")
        assert all("data" not in o and o["metadata"].get("uid") for o in cms.list())

        # a group whose discovery failed keeps being watched
        broken = await discover_resources(client)
        broken.preferred = [r for r in broken.preferred if r.group != "apps"]
        broken.failed["apps/v1"] = "boom"
        _, stopped = await collector.refresh(broken)
        assert not stopped
        # it really went away: dropped
        gone_now = await discover_resources(client)
        gone_now.preferred = [r for r in gone_now.preferred if r.plural != "configmaps"]
        _, stopped = await collector.refresh(gone_now)
        assert [(r.group, r.plural) for r in stopped] == [("", "configmaps")]
    finally:
        await collector.monitors.stop()
        if collector._metadata is not None:
            await collector._metadata.close()


async def _async(value):
    return value


# ---------------------------------------------------------------------- the graph alone
def _graph():
    deletes: list[str] = []
    orphans: list[str] = []
    return Graph(enqueue_delete=deletes.append, enqueue_orphan=orphans.append), deletes, orphans


def _id(name: str, uid: str, ns: str = "ns") -> ObjectRef:
    return ObjectRef("v1", "ConfigMap", ns, name, uid)


def _owned_by(*uids: str, block: bool = False) -> dict:
    return {"ownerReferences": [{"apiVersion": "v1", "kind": "ConfigMap", "name": f"o-{u}", "uid": u,
                                 "blockOwnerDeletion": block} for u in uids]}


def test_graph_virtual_owner_turns_real():
    g, deletes, _ = _graph()
    g.observe(_id("dep", "d"), _owned_by("o"))
    assert not g.get("o").observed and deletes == ["o"]  # the virtual owner is to be verified
    g.observe(_id("o-o", "o"), {})
    assert g.get("o").observed and g.get("o").dependents == {"d"}
    assert deletes == ["o"]  # nothing more to look at


def test_graph_owner_in_other_namespace_rechecks_dependent():
    g, deletes, _ = _graph()
    g.observe(_id("dep", "d", ns="a"), _owned_by("o"))
    g.observe(_id("o-o", "o", ns="b"), {})
    assert deletes == ["o", "d"]


def test_graph_removal_hands_over_dependents_and_drops_unreferenced_virtual_nodes():
    g, deletes, _ = _graph()
    g.observe(_id("o", "o"), {})
    g.observe(_id("d1", "d1"), _owned_by("o", "ghost"))
    g.observe(_id("d2", "d2"), _owned_by("o"))
    deletes.clear()
    g.remove("o")
    assert deletes == ["d1", "d2"] and g.get("o") is None
    g.observe(_id("d1", "d1"), {})  # its references were removed: the virtual "ghost" goes
    assert g.get("ghost") is None


def test_graph_foreground_and_orphan_transitions():
    g, deletes, orphans = _graph()
    g.observe(_id("o", "o"), {})
    g.observe(_id("blocker", "b"), _owned_by("o", block=True))
    g.observe(_id("free", "f"), _owned_by("o"))
    assert [d.uid for d in g.blocking_dependents(g.get("o"))] == ["b"]
    deletes.clear()
    deleting = {"deletionTimestamp": "2024-01-01T00:00:00Z", "finalizers": ["foregroundDeletion"]}
    g.observe(_id("o", "o"), deleting)
    assert g.get("o").deleting_dependents and deletes == ["b", "f", "o"]
    g.observe(_id("o", "o"), deleting)  # no new transition, no new work
    assert deletes == ["b", "f", "o"]
    g.observe(_id("blocker", "b"), _owned_by("o", block=False))  # one blocker fewer: the owner is looked at
    assert deletes[-1] == "o"
    g.observe(_id("p", "p"), {"deletionTimestamp": "2024-01-01T00:00:00Z", "finalizers": ["orphan"]})
    assert orphans == ["p"]


async def test_dependent_seen_after_orphaning_is_kept(client, gc, namespace):
    """A dependent the collector first sees after it orphaned the owner's dependents (its
    type's watch lagged behind the owner's) loses the reference and lives on."""
    owner = await configmap(client, namespace, "orphaned-owner")
    await client.delete("", "v1", "configmaps", "orphaned-owner", namespace=namespace, propagation_policy="Orphan")
    await eventually(gone(client, "configmaps", "orphaned-owner", namespace), what="orphaning owner gone")
    await secret(client, namespace, "late", ref(owner))
    await configmap(client, namespace, "late-too", ref(owner), ref({"kind": "ConfigMap", "metadata": {
        "name": "never-was", "uid": str(uuid.uuid4())}}))

    async def late_reference_dropped():
        late = await get_or_none(client, "secrets", "late", namespace)
        assert late is not None, "a dependent of an orphaning owner was collected"
        return not late["metadata"].get("ownerReferences")
    await eventually(late_reference_dropped, what="reference to the orphaned owner removed")
    # with another owner that is simply absent, the object is garbage as usual
    await eventually(gone(client, "configmaps", "late-too", namespace), what="dependent of an absent owner collected")
    await gc_caught_up(client, namespace)
    assert await get_or_none(client, "secrets", "late", namespace) is not None
