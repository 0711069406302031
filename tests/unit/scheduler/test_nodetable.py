"""NodeTable: columns match the NodeInfos, and the cache's row-by-row upkeep of a
snapshot's table ends where a rebuild from scratch would."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kybernetes.scheduler.cache import Cache
from kybernetes.scheduler.nodetable import EXACT_LIMIT, NodeTable, taint_set_key
from kybernetes.scheduler.types import PodInfo, Snapshot

from .util import node, node_info, pod

COLUMNS = ("alloc_cpu", "alloc_memory", "alloc_ephemeral", "alloc_pods", "req_cpu", "req_memory",
           "req_ephemeral", "num_pods", "nz_cpu", "nz_memory", "unschedulable")
TAINTS = [{"key": "a", "value": "1", "effect": "NoSchedule"}, {"key": "b", "effect": "PreferNoSchedule"},
          {"key": "c", "value": "x", "effect": "NoExecute"}]


def _same(t1: NodeTable, t2: NodeTable) -> None:
    assert t1.names == t2.names
    assert [n is m for n, m in zip(t1.nodes, t2.nodes)] == [True] * len(t1.nodes)
    for col in COLUMNS:
        assert np.array_equal(getattr(t1, col), getattr(t2, col)), col
    assert [t1.taint_sets[i] for i in t1.taint_id] == [t2.taint_sets[i] for i in t2.taint_id]
    assert t1.exact == t2.exact
    assert t1.image_nodes == t2.image_nodes


def test_columns_follow_the_node_infos():
    a = node_info(node("a", cpu="2", memory="1Gi", pods="3", taints=[TAINTS[0]]), pod("p", cpu="250m"))
    b = node_info(node("b", unschedulable=True, taints=[TAINTS[0]]))
    c = node_info(node("c"))
    t = NodeTable([a, b, c])
    assert t.names == ["a", "b", "c"] and t.index == {"a": 0, "b": 1, "c": 2}
    assert t.alloc_cpu.tolist() == [2000, 4000, 4000]
    assert t.req_cpu.tolist() == [250, 0, 0]
    assert t.nz_memory.tolist() == [200 * 1024 * 1024, 0, 0]
    assert t.num_pods.tolist() == [1, 0, 0]
    assert t.unschedulable.tolist() == [False, True, False]
    assert t.taint_id[0] == t.taint_id[1] != t.taint_id[2]
    assert len(t.taint_sets) == 2
    assert taint_set_key(c.node) == ()


def test_huge_quantities_make_the_table_inexact():
    t = NodeTable([node_info(node("a", memory=str(EXACT_LIMIT)))])
    assert not t.exact


def test_unmanaged_snapshot_rereads_changed_rows():
    a = node_info(node("a"))
    snap = Snapshot([a])
    assert snap.table.req_cpu.tolist() == [0]
    a.add_pod(PodInfo(pod("p", cpu="1")))
    assert snap.table.req_cpu.tolist() == [1000]


ops = st.lists(st.tuples(st.sampled_from(["add_pod", "remove_pod", "update_node", "add_node", "remove_node",
                                          "snapshot"]),
                         st.integers(0, 7), st.integers(0, 30), st.sampled_from(["0", "100m", "1", "3"]),
                         st.lists(st.sampled_from(TAINTS), max_size=2, unique_by=lambda t: t["key"]),
                         st.booleans()),
               max_size=60)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=ops)
def test_incremental_updates_equal_a_rebuild(ops):
    cache = Cache()
    for i in range(4):
        cache.add_node(node(f"n{i}", labels={"topology.kubernetes.io/zone": f"z{i % 2}"}))
    snap = Snapshot()
    cache.update_snapshot(snap)
    _ = snap.table          # built now, then kept up to date by the cache
    pods: dict[str, dict] = {}
    for op, n, k, cpu, taints, flag in ops:
        name = f"n{n}"
        if op == "add_pod":
            p = pod(f"p{k}", cpu=cpu if cpu != "0" else None, memory="10Mi" if flag else None, node=name)
            if f"p{k}" in pods:
                cache.remove_pod(pods.pop(f"p{k}"))
            pods[f"p{k}"] = p
            cache.add_pod(p)
        elif op == "remove_pod" and f"p{k}" in pods:
            cache.remove_pod(pods.pop(f"p{k}"))
        elif op in ("update_node", "add_node"):
            images = [{"names": [f"img{j}:1"], "sizeBytes": 10} for j in range(k % 4)]
            cache.add_node(node(name, cpu=cpu if cpu != "0" else "2", taints=taints, unschedulable=flag,
                                labels={"topology.kubernetes.io/zone": f"z{n % 2}"}, images=images))
        elif op == "remove_node":
            cache.remove_node(node(name))
        elif op == "snapshot":
            cache.update_snapshot(snap)
            _same(snap.table, NodeTable(snap.node_list))
    cache.update_snapshot(snap)
    _same(snap.table, NodeTable(snap.node_list))
