from hypothesis import given, settings
from hypothesis import strategies as st

from kybernetes.api.selectors import label_selector_from_dict
from kybernetes.scheduler.types import Code

from .util import filter_all, framework, node, node_info, only_plugins, pod, score_all

ZONE = "zone"


def spread(max_skew=1, key=ZONE, when="DoNotSchedule", labels=None, **extra):
    return {"maxSkew": max_skew, "topologyKey": key, "whenUnsatisfiable": when,
            "labelSelector": {"matchLabels": labels or {"app": "web"}}, **extra}


def web(name, **kw):
    return pod(name, labels={"app": "web"}, **kw)


def cluster(layout, extra_nodes=()):
    """layout: node name -> (zone, number of matching pods)."""
    infos = []
    for name, (zone, count) in layout.items():
        labels = {ZONE: zone} if zone else {}
        infos.append(node_info(node(name, labels=labels), *[web(f"{name}-{i}") for i in range(count)]))
    infos.extend(node_info(n) for n in extra_nodes)
    return infos, framework(infos, only_plugins("PodTopologySpread"))


def test_max_skew_across_zones():
    # zone1: 2 pods, zone2: 1 pod; maxSkew 1 -> only zone2 fits
    infos, fw = cluster({"a": ("z1", 2), "b": ("z2", 1)})
    out = filter_all(fw, web("new", topologySpreadConstraints=[spread()]), infos)
    assert out["b"].ok
    assert out["a"].code == Code.UNSCHEDULABLE
    assert out["a"].reasons == ["node(s) didn't match pod topology spread constraints"]


def test_missing_topology_label_is_unresolvable():
    infos, fw = cluster({"a": ("z1", 0), "nolabel": (None, 0)})
    out = filter_all(fw, web("new", topologySpreadConstraints=[spread()]), infos)
    assert out["a"].ok
    assert out["nolabel"].code == Code.UNSCHEDULABLE_AND_UNRESOLVABLE
    assert out["nolabel"].reasons == ["node(s) didn't match pod topology spread constraints (missing required label)"]


def test_pod_not_matching_itself_does_not_count_itself():
    infos, fw = cluster({"a": ("z1", 1), "b": ("z2", 0)})
    out = filter_all(fw, pod("other", labels={"app": "other"}, topologySpreadConstraints=[spread()]), infos)
    assert out["a"].ok and out["b"].ok     # 1 + 0 - 0 <= 1


def test_min_domains_treats_global_minimum_as_zero():
    infos, fw = cluster({"a": ("z1", 1), "b": ("z2", 1)})
    p = web("new", topologySpreadConstraints=[spread(minDomains=3)])
    out = filter_all(fw, p, infos)
    assert not out["a"].ok and not out["b"].ok         # 1 + 1 - 0 > 1
    p = web("new", topologySpreadConstraints=[spread(minDomains=2)])
    assert all(s.ok for s in filter_all(fw, p, infos).values())


def test_node_affinity_policy_honor_vs_ignore():
    # zone z3 node is excluded by the pod's nodeSelector; with Honor its domain doesn't count
    infos = [node_info(node("a", labels={ZONE: "z1", "pool": "x"}), web("a1")),
             node_info(node("b", labels={ZONE: "z2", "pool": "x"}), web("b1")),
             node_info(node("c", labels={ZONE: "z3"}))]
    fw = framework(infos, only_plugins("PodTopologySpread"))
    honor = web("n", nodeSelector={"pool": "x"}, topologySpreadConstraints=[spread()])
    out = filter_all(fw, honor, infos)
    assert out["a"].ok and out["b"].ok
    ignore = web("n", nodeSelector={"pool": "x"}, topologySpreadConstraints=[spread(nodeAffinityPolicy="Ignore")])
    out = filter_all(fw, ignore, infos)
    assert not out["a"].ok and not out["b"].ok     # z3 counts with 0 pods


def test_node_taints_policy_honor():
    infos = [node_info(node("a", labels={ZONE: "z1"}), web("a1")),
             node_info(node("t", labels={ZONE: "z2"}, taints=[{"key": "k", "effect": "NoSchedule"}]))]
    fw = framework(infos, only_plugins("PodTopologySpread"))
    out = filter_all(fw, web("n", topologySpreadConstraints=[spread()]), infos)
    assert not out["a"].ok     # tainted z2 counts (policy Ignore): 1 + 1 - 0 > 1
    out = filter_all(fw, web("n", topologySpreadConstraints=[spread(nodeTaintsPolicy="Honor")]), infos)
    assert out["a"].ok


def test_match_label_keys():
    infos = [node_info(node("a", labels={ZONE: "z1"}), pod("old", labels={"app": "web", "rev": "1"}),
                       pod("old2", labels={"app": "web", "rev": "1"})),
             node_info(node("b", labels={ZONE: "z2"}))]
    fw = framework(infos, only_plugins("PodTopologySpread"))
    p = pod("n", labels={"app": "web", "rev": "2"}, topologySpreadConstraints=[spread(matchLabelKeys=["rev"])])
    assert all(s.ok for s in filter_all(fw, p, infos).values())   # rev=1 pods don't count


def test_schedule_anyway_scoring_prefers_emptier_domain():
    infos, fw = cluster({"a": ("z1", 3), "b": ("z2", 1), "c": ("z3", 0)})
    scores = score_all(fw, web("n", topologySpreadConstraints=[spread(when="ScheduleAnyway")]), infos)
    assert scores["c"] == 100 and scores["c"] > scores["b"] > scores["a"]


def test_scoring_ignores_nodes_without_the_key():
    infos, fw = cluster({"a": ("z1", 1)}, extra_nodes=[node("bare")])
    scores = score_all(fw, web("n", topologySpreadConstraints=[spread(when="ScheduleAnyway")]), infos)
    assert scores == {"a": 100, "bare": 0}


def test_system_defaults_need_an_owning_selector():
    infos = [node_info(node("a", labels={"topology.kubernetes.io/zone": "z1"}), web("a1"), web("a2")),
             node_info(node("b", labels={"topology.kubernetes.io/zone": "z2"}))]
    fw = framework(infos, only_plugins("PodTopologySpread"))
    assert score_all(fw, web("n"), infos) == {"a": 0, "b": 0}       # skipped: no selectors known
    sel = label_selector_from_dict({"matchLabels": {"app": "web"}})
    fw = framework(infos, only_plugins("PodTopologySpread"), selectors_for=lambda p: [sel])
    scores = score_all(fw, web("n"), infos)
    assert scores["b"] == 100 and scores["a"] < 100


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["z1", "z2", "z3"]), st.integers(0, 6)), min_size=1, max_size=6))
def test_scores_normalized_into_range(layout):
    infos, fw = cluster({f"n{i}": z for i, z in enumerate(layout)})
    scores = score_all(fw, web("n", topologySpreadConstraints=[spread(when="ScheduleAnyway")]), infos)
    assert all(0 <= s <= 100 for s in scores.values())
