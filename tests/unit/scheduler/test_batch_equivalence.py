"""The batch Filter/Score path (NodeTable + filter_batch/score_batch) must answer exactly
what the per-node plugins answer: same feasible nodes, same weighted totals, and the
same host and round-robin position out of the Algorithm."""

from __future__ import annotations

import random

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kybernetes.scheduler.algorithm import Algorithm, select_host, select_index_array
from kybernetes.scheduler.errors import FitError
from kybernetes.scheduler.nodetable import NodeTable
from kybernetes.scheduler.types import CycleState, NodeScore, PodInfo, Snapshot

from .util import framework, node, node_info, pod

TAINTS = [
    {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"},
    {"key": "dedicated", "value": "infra", "effect": "NoExecute"},
    {"key": "spot", "value": "", "effect": "PreferNoSchedule"},
    {"key": "noisy", "value": "yes", "effect": "PreferNoSchedule"},
    {"key": "slow", "effect": "PreferNoSchedule"},
]
TOLERATIONS = [
    {"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"},
    {"key": "dedicated", "operator": "Exists"},
    {"key": "spot", "operator": "Exists", "effect": "PreferNoSchedule"},
    {"key": "noisy", "value": "yes"},
    {"operator": "Exists"},
    {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"},
]
STRATEGIES = [
    {"type": "LeastAllocated"},
    {"type": "MostAllocated"},
    {"type": "LeastAllocated", "resources": [{"name": "cpu", "weight": 3}, {"name": "memory", "weight": 1},
                                             {"name": "ephemeral-storage", "weight": 2}]},
    {"type": "RequestedToCapacityRatio",
     "requestedToCapacityRatio": {"shape": [{"utilization": 0, "score": 10}, {"utilization": 100, "score": 0}]}},
    {"type": "RequestedToCapacityRatio",
     "requestedToCapacityRatio": {"shape": [{"utilization": 0, "score": 0}, {"utilization": 30, "score": 7},
                                            {"utilization": 70, "score": 3}, {"utilization": 100, "score": 10}]}},
]
BALANCED = [None, [{"name": "cpu", "weight": 1}, {"name": "memory", "weight": 1},
                   {"name": "ephemeral-storage", "weight": 1}]]

cpu = st.sampled_from([None, "0", "1m", "100m", "250m", "333m", "1", "1500m", "3", "8"])
memory = st.sampled_from([None, "0", "1Mi", "100Mi", "333Mi", "1Gi", "3Gi", "7Gi"])
eph = st.sampled_from([None, "1Gi", "10Gi"])


@st.composite
def small_pod(draw: st.DrawFn, name: str) -> dict:
    c, m, e = draw(cpu), draw(memory), draw(eph)
    res: dict = {}
    requests = {k: v for k, v in (("cpu", c), ("memory", m), ("ephemeral-storage", e)) if v is not None}
    if requests:
        res = {"requests": requests}
    p = pod(name, labels={"app": "x"})
    p["spec"]["containers"][0]["resources"] = res
    tols = draw(st.lists(st.sampled_from(TOLERATIONS), max_size=3))
    if tols:
        p["spec"]["tolerations"] = tols
    return p


@st.composite
def cluster(draw: st.DrawFn) -> list:
    n = draw(st.integers(1, 14))
    infos = []
    for i in range(n):
        alloc = {"cpu": draw(st.sampled_from(["0", "1", "2", "4", "7500m"])),
                 "memory": draw(st.sampled_from(["0", "1Gi", "4Gi", "8Gi"])),
                 "pods": draw(st.sampled_from(["0", "1", "3", "110"]))}
        extra = {}
        if draw(st.booleans()):
            extra["ephemeral-storage"] = draw(st.sampled_from(["0", "20Gi", "100Gi"]))
        taints = draw(st.lists(st.sampled_from(TAINTS), max_size=3, unique_by=lambda t: (t["key"], t["effect"])))
        n_ = node(f"n{i}", taints=taints, unschedulable=draw(st.booleans()), **alloc, **extra)
        pods = [draw(small_pod(f"e{i}-{j}")) for j in range(draw(st.integers(0, 3)))]
        infos.append(node_info(n_, *pods))
    return infos


def _config(strategy: dict, balanced: list | None) -> dict:
    cfg = [{"name": "NodeResourcesFit", "args": {"scoringStrategy": strategy}}]
    if balanced is not None:
        cfg.append({"name": "NodeResourcesBalancedAllocation", "args": {"resources": balanced}})
    return {"profiles": [{"pluginConfig": cfg}]}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(nodes=cluster(), data=st.data(), strategy=st.sampled_from(STRATEGIES), balanced=st.sampled_from(BALANCED))
def test_batch_filter_and_score_equal_per_node(nodes, data, strategy, balanced):
    p = data.draw(small_pod("incoming"))
    if data.draw(st.integers(0, 5)) == 0:
        p["spec"]["nodeName"] = data.draw(st.sampled_from([n.name for n in nodes] + ["elsewhere"]))
    fw = framework(nodes, _config(strategy, balanced))
    info = PodInfo(p)
    state = CycleState()
    _, status = fw.run_pre_filter(state, p, info, nodes)
    assert status.ok
    table = NodeTable(nodes)
    mask = fw.run_filter_batch(state, p, info, table)
    assert mask is not None
    per_node = [fw.run_filter(state, p, info, n).ok for n in nodes]
    assert mask.tolist() == per_node

    feasible = [n for n, ok in zip(nodes, per_node) if ok]
    if not feasible:
        return
    fw.run_pre_score(state, p, info, feasible)
    idx = np.flatnonzero(mask)
    batch = fw.run_score_batch(state, p, info, table, idx)
    assert batch is not None
    totals, per_plugin = fw.run_score(state, p, info, feasible)
    assert batch[0].tolist() == [s.score for s in totals]
    for name, scores in per_plugin.items():
        assert batch[1][name].tolist() == [s.score for s in scores], name


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(nodes=cluster(), data=st.data(), seed=st.integers(0, 2**32), start=st.integers(0, 50),
       pct=st.sampled_from([None, 5, 30, 60]))
def test_algorithm_batch_and_per_node_agree(nodes, data, seed, start, pct):
    """Same host (same random tie-break), same round-robin position, same diagnosis."""
    p = data.draw(small_pod("incoming"))
    snap = Snapshot(nodes)
    cfg = {"percentageOfNodesToScore": pct} if pct is not None else {}
    outcomes = []
    for batch in (True, False):
        fw = framework(nodes, cfg)
        if not batch:
            fw.run_filter_batch = lambda *a: None    # type: ignore[method-assign]
        fw._snapshot = lambda: snap                  # plugins that read the snapshot see this one
        algo = Algorithm(percentage_of_nodes_to_score=pct, rng=random.Random(seed))
        algo.next_start_node_index = start
        try:
            r = algo.schedule(fw, CycleState(), p, PodInfo(p), snap)
            outcomes.append((r.suggested_host, r.evaluated_nodes, r.feasible_nodes, algo.next_start_node_index))
        except FitError as e:
            outcomes.append(("fail", e.message, sorted(e.unschedulable_plugins), algo.next_start_node_index))
    assert outcomes[0] == outcomes[1]


def test_nominated_pods_turn_the_batch_off():
    nodes = [node_info(node("a")), node_info(node("b"))]

    class Nominator:
        def nominated_pods_for_node(self, name):
            return []

        def has_nominated_pods(self):
            return True

    fw = framework(nodes, nominator=Nominator())
    p = pod("x")
    state = CycleState()
    fw.run_pre_filter(state, p, PodInfo(p), nodes)
    assert fw.run_filter_batch(state, p, PodInfo(p), NodeTable(nodes)) is None


def test_extended_resource_requests_fall_back():
    nodes = [node_info(node("a", **{"example.com/gpu": "2"}))]
    fw = framework(nodes)
    p = pod("x")
    p["spec"]["containers"][0]["resources"] = {"requests": {"example.com/gpu": "1"}}
    state = CycleState()
    fw.run_pre_filter(state, p, PodInfo(p), nodes)
    assert fw.run_filter_batch(state, p, PodInfo(p), NodeTable(nodes)) is None


def test_round_robin_and_stopping_rule_on_a_large_cluster():
    """Over 100 nodes only a sample is filtered: the batch walk must stop where the
    per-node walk stops, pod after pod, as nodes fill up."""
    rng = random.Random(7)
    raw = [node(f"n{i}", cpu=rng.choice(["1", "2", "4"]), memory=rng.choice(["2Gi", "4Gi"]), pods="5",
                taints=[TAINTS[2]] if i % 7 == 0 else ([TAINTS[0]] if i % 11 == 0 else None),
                unschedulable=i % 13 == 0) for i in range(260)]
    worlds = []
    for batch in (True, False):
        nodes = [node_info(n) for n in raw]
        snap = Snapshot(nodes)
        fw = framework(nodes, {"profiles": [{"pluginConfig": [
            {"name": "NodeResourcesFit", "args": {"scoringStrategy": {"type": "MostAllocated"}}}]}]})
        if not batch:
            fw.run_filter_batch = lambda *a: None    # type: ignore[method-assign]
        fw._snapshot = lambda: snap
        worlds.append((fw, Algorithm(rng=random.Random(3)), snap, nodes))
    pods = [pod(f"p{k}", cpu=rng.choice(["200m", "500m", "1", None]), memory="300Mi") for k in range(1100)]
    results: list[list] = [[], []]
    for w, (fw, algo, snap, nodes) in enumerate(worlds):
        by_name = {n.name: n for n in nodes}
        for p in pods:
            info = PodInfo(p)
            try:
                r = algo.schedule(fw, CycleState(), p, info, snap)
            except FitError as e:
                results[w].append(("fail", e.message, algo.next_start_node_index))
                continue
            results[w].append((r.suggested_host, r.evaluated_nodes, algo.next_start_node_index))
            by_name[r.suggested_host].add_pod(info)    # unmanaged snapshot: the table re-reads it
    assert results[0] == results[1]
    assert any(r[0] == "fail" for r in results[0]) and any(r[0] != "fail" for r in results[0])


@settings(max_examples=300, deadline=None)
@given(values=st.lists(st.integers(0, 4), min_size=1, max_size=60), seed=st.integers(0, 2**32))
def test_select_index_array_draws_like_select_host(values, seed):
    r1, r2 = random.Random(seed), random.Random(seed)
    want = select_host([NodeScore(str(i), v) for i, v in enumerate(values)], r1)
    got = select_index_array(np.array(values, dtype=np.int64), r2)
    assert str(got) == want and values[got] == max(values)
    assert r1.random() == r2.random()      # the same numbers were drawn


def test_ties_are_broken_uniformly():
    rng = random.Random(7)
    picks = [select_host([NodeScore(n, 5) for n in "abcd"] + [NodeScore("e", 1)], rng) for _ in range(4000)]
    counts = {n: picks.count(n) for n in "abcde"}
    assert counts["e"] == 0 and all(850 < counts[n] < 1150 for n in "abcd"), counts
