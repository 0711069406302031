"""The scheduler cache: nodes and bound pods, assumed pods, incremental snapshots and
the zone-interleaved node order."""

from __future__ import annotations

from kybernetes.client.workqueue import FakeClock
from kybernetes.scheduler.cache import Cache, NodeTree
from kybernetes.scheduler.types import PodInfo, Snapshot


def node(name: str, *, zone: str = "", cpu: str = "4") -> dict:
    labels = {"topology.kubernetes.io/zone": zone} if zone else {}
    return {"metadata": {"name": name, "labels": labels},
            "status": {"allocatable": {"cpu": cpu, "memory": "8Gi", "pods": "110"}}}


def pod(name: str, node_name: str = "", *, cpu: str = "1", phase: str = "Pending", affinity: bool = False) -> dict:
    spec: dict = {"containers": [{"name": "c", "image": "x", "resources": {"requests": {"cpu": cpu}}}]}
    if node_name:
        spec["nodeName"] = node_name
    if affinity:
        spec["affinity"] = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": {"matchLabels": {"a": "b"}}, "topologyKey": "kubernetes.io/hostname"}]}}
    return {"metadata": {"name": name, "namespace": "default", "uid": f"uid-{name}"}, "spec": spec,
            "status": {"phase": phase}}


def test_node_tree_interleaves_zones():
    tree = NodeTree()
    for n in (node("a1", zone="a"), node("a2", zone="a"), node("a3", zone="a"), node("b1", zone="b"),
              node("c1", zone="c"), node("c2", zone="c")):
        tree.add(n)
    assert tree.list() == ["a1", "b1", "c1", "a2", "c2", "a3"]
    tree.remove("b1")
    assert tree.list() == ["a1", "c1", "a2", "c2", "a3"]


def test_bound_pods_count_and_terminal_pods_do_not():
    cache = Cache(clock=FakeClock())
    cache.add_node(node("n1"))
    cache.add_pod(pod("p1", "n1", cpu="1"))
    cache.add_pod(pod("p2", "n1", cpu="2"))
    snap = cache.snapshot()
    assert snap.get("n1").requested.milli_cpu == 3000
    done = pod("p2", "n1", cpu="2", phase="Succeeded")
    cache.update_pod(pod("p2", "n1", cpu="2"), done)
    cache.update_snapshot(snap)
    assert snap.get("n1").requested.milli_cpu == 1000
    cache.remove_pod(pod("p1", "n1"))
    cache.update_snapshot(snap)
    assert snap.get("n1").pods == {}


def test_assume_confirm_forget_and_expire():
    clock = FakeClock()
    cache = Cache(clock=clock, assumed_ttl=30)
    cache.add_node(node("n1"))
    cache.add_node(node("n2"))
    p = pod("p", cpu="1")
    cache.assume_pod(PodInfo(p), "n1")
    assert cache.is_assumed(p)
    snap = cache.snapshot()
    assert snap.get("n1").requested.milli_cpu == 1000

    # confirmation by the informer
    cache.finish_binding(p)
    cache.add_pod(pod("p", "n1"))
    assert not cache.is_assumed(p)
    clock.advance(60)
    assert cache.cleanup_expired_assumed_pods() == 0
    assert cache.pod_node(p) == "n1"

    # a failed binding is forgotten
    q = pod("q", cpu="2")
    cache.assume_pod(PodInfo(q), "n2")
    cache.forget_pod(q)
    cache.update_snapshot(snap)
    assert snap.get("n2").requested.milli_cpu == 0

    # a bound pod never confirmed expires after the TTL (only once its binding finished)
    r = pod("r", cpu="2")
    cache.assume_pod(PodInfo(r), "n2")
    clock.advance(100)
    assert cache.cleanup_expired_assumed_pods() == 0
    cache.finish_binding(r)
    clock.advance(29)
    assert cache.cleanup_expired_assumed_pods() == 0
    clock.advance(1)
    assert cache.cleanup_expired_assumed_pods() == 1
    cache.update_snapshot(snap)
    assert snap.get("n2").requested.milli_cpu == 0


def test_confirmation_on_another_node_moves_the_pod():
    cache = Cache(clock=FakeClock())
    cache.add_node(node("n1"))
    cache.add_node(node("n2"))
    p = pod("p", cpu="1")
    cache.assume_pod(PodInfo(p), "n1")
    cache.add_pod(pod("p", "n2", cpu="1"))
    snap = cache.snapshot()
    assert snap.get("n1").requested.milli_cpu == 0
    assert snap.get("n2").requested.milli_cpu == 1000


def test_snapshot_copies_only_changed_nodes_and_is_isolated():
    cache = Cache(clock=FakeClock())
    for i in range(5):
        cache.add_node(node(f"n{i}"))
    snap = Snapshot()
    cache.update_snapshot(snap)
    before = {n.name: n for n in snap.node_list}
    gens = {n.name: n.generation for n in snap.node_list}
    cache.add_pod(pod("p", "n3"))
    cache.update_snapshot(snap)
    # same objects in the list (updated in place), only n3 has a new generation
    assert all(snap.get(name) is obj for name, obj in before.items())
    changed = [n.name for n in snap.node_list if n.generation != gens[n.name]]
    assert changed == ["n3"]
    # changing the snapshot's copy does not leak into the cache
    snap.get("n3").remove_pod("default/p")
    assert cache.snapshot().get("n3").requested.milli_cpu == 1000


def test_snapshot_follows_node_add_and_delete_and_affinity_lists():
    cache = Cache(clock=FakeClock())
    cache.add_node(node("a1", zone="a"))
    cache.add_node(node("b1", zone="b"))
    snap = Snapshot()
    cache.update_snapshot(snap)
    assert [n.name for n in snap.node_list] == ["a1", "b1"]
    cache.add_node(node("a2", zone="a"))
    cache.add_pod(pod("anti", "b1", affinity=True))
    cache.update_snapshot(snap)
    assert [n.name for n in snap.node_list] == ["a1", "b1", "a2"]
    assert [n.name for n in snap.have_pods_with_required_anti_affinity] == ["b1"]
    cache.remove_node(node("b1"))
    cache.update_snapshot(snap)
    assert [n.name for n in snap.node_list] == ["a1", "a2"]
    assert snap.get("b1") is None
    assert snap.have_pods_with_affinity == []
    # the ghost's pods go when their delete arrives; a node re-added with that name is fresh
    cache.remove_pod(pod("anti", "b1"))
    cache.add_node(node("b1", zone="b"))
    cache.update_snapshot(snap)
    assert snap.get("b1").pods == {}


def test_namespace_labels_for_snapshots():
    cache = Cache(clock=FakeClock())
    cache.set_namespace({"metadata": {"name": "team-a", "labels": {"team": "a"}}})
    snap = cache.snapshot()
    assert snap.namespace_labels["team-a"] == {"team": "a"}
    cache.remove_namespace({"metadata": {"name": "team-a"}})
    assert "team-a" in snap.namespace_labels  # the old snapshot is unchanged ...
    cache.update_snapshot(snap)
    assert "team-a" not in snap.namespace_labels  # ... until updated
