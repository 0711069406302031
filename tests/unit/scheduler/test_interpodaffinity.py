from kybernetes.scheduler.types import Code, CycleState, PodInfo

from .util import filter_all, framework, node, node_info, only_plugins, pod, score_all

ZONE = "topology.kubernetes.io/zone"


def term(labels, key=ZONE, **extra):
    return {"labelSelector": {"matchLabels": labels}, "topologyKey": key, **extra}


def with_affinity(name="p", labels=None, affinity=None, anti=None, pref_aff=None, pref_anti=None, ns="default"):
    a = {}
    if affinity or pref_aff:
        a["podAffinity"] = {}
        if affinity:
            a["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] = affinity
        if pref_aff:
            a["podAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"] = pref_aff
    if anti or pref_anti:
        a["podAntiAffinity"] = {}
        if anti:
            a["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] = anti
        if pref_anti:
            a["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"] = pref_anti
    return pod(name, labels=labels, affinity=a, ns=ns)


def cluster(*nodes, ns_labels=None):
    infos = [node_info(n, *ps) for n, ps in nodes]
    return infos, framework(infos, only_plugins("InterPodAffinity"), ns_labels=ns_labels)


def test_required_affinity_same_zone():
    infos, fw = cluster((node("a", labels={ZONE: "z1"}), [pod("db", labels={"app": "db"})]),
                        (node("b", labels={ZONE: "z1"}), []),
                        (node("c", labels={ZONE: "z2"}), []),
                        (node("d"), []))
    out = filter_all(fw, with_affinity(affinity=[term({"app": "db"})]), infos)
    assert out["a"].ok and out["b"].ok
    assert out["c"].code == Code.UNSCHEDULABLE_AND_UNRESOLVABLE
    assert out["c"].reasons == ["node(s) didn't match pod affinity rules"]
    assert not out["d"].ok          # no topology label at all


def test_first_pod_of_self_affine_group_may_go_anywhere_with_the_key():
    infos, fw = cluster((node("a", labels={ZONE: "z1"}), []), (node("b"), []))
    out = filter_all(fw, with_affinity(labels={"app": "web"}, affinity=[term({"app": "web"})]), infos)
    assert out["a"].ok and not out["b"].ok
    # ...but not when it doesn't match its own term
    out = filter_all(fw, with_affinity(labels={"app": "x"}, affinity=[term({"app": "web"})]), infos)
    assert not out["a"].ok


def test_required_anti_affinity():
    infos, fw = cluster((node("a", labels={ZONE: "z1"}), [pod("w", labels={"app": "web"})]),
                        (node("b", labels={ZONE: "z1"}), []),
                        (node("c", labels={ZONE: "z2"}), []))
    out = filter_all(fw, with_affinity(anti=[term({"app": "web"})]), infos)
    assert out["a"].reasons == ["node(s) didn't match pod anti-affinity rules"]
    assert out["a"].code == Code.UNSCHEDULABLE
    assert not out["b"].ok and out["c"].ok


def test_existing_pods_anti_affinity():
    existing = with_affinity("guard", labels={"app": "guard"}, anti=[term({"app": "web"}, "kubernetes.io/hostname")])
    infos, fw = cluster((node("a", labels={ZONE: "z1"}), [existing]), (node("b", labels={ZONE: "z1"}), []))
    out = filter_all(fw, pod("w", labels={"app": "web"}), infos)
    assert out["a"].reasons == ["node(s) didn't satisfy existing pods anti-affinity rules"]
    assert out["b"].ok
    assert all(s.ok for s in filter_all(fw, pod("o", labels={"app": "other"}), infos).values())


def test_namespaces_and_namespace_selector():
    infos, fw = cluster((node("a", labels={ZONE: "z1"}), [pod("db", labels={"app": "db"}, ns="prod")]),
                        (node("b", labels={ZONE: "z2"}), []),
                        ns_labels={"prod": {"env": "prod"}, "default": {}})
    # own namespace only by default: no match in "default" -> affinity unsatisfiable (pod isn't self-matching)
    out = filter_all(fw, with_affinity(affinity=[term({"app": "db"})]), infos)
    assert not out["a"].ok and not out["b"].ok
    out = filter_all(fw, with_affinity(affinity=[term({"app": "db"}, namespaces=["prod"])]), infos)
    assert out["a"].ok and not out["b"].ok
    out = filter_all(fw, with_affinity(affinity=[term({"app": "db"}, namespaceSelector={"matchLabels": {"env": "prod"}})]), infos)
    assert out["a"].ok and not out["b"].ok
    out = filter_all(fw, with_affinity(affinity=[term({"app": "db"}, namespaceSelector={})]), infos)
    assert out["a"].ok                  # empty namespaceSelector: all namespaces


def test_prefilter_extensions_track_added_and_removed_pods():
    infos, fw = cluster((node("a", labels={ZONE: "z1"}), []), (node("b", labels={ZONE: "z2"}), []))
    p = with_affinity(anti=[term({"app": "web"})])
    info = PodInfo(p)
    state = CycleState()
    fw.run_pre_filter(state, p, info, infos)
    web = PodInfo(pod("w", labels={"app": "web"}))
    copy_state, copy_node = state.clone(), infos[0].clone()
    copy_node.add_pod(web)
    fw.run_pre_filter_extension_add_pod(copy_state, p, web, copy_node)
    assert not fw.run_filter(copy_state, p, info, copy_node).ok
    assert fw.run_filter(state, p, info, infos[0]).ok          # the original state is untouched
    copy_node.remove_pod(web.key)
    fw.run_pre_filter_extension_remove_pod(copy_state, p, web, copy_node)
    assert fw.run_filter(copy_state, p, info, copy_node).ok


def test_preferred_scoring_and_existing_pods_terms():
    infos, fw = cluster((node("a", labels={ZONE: "z1"}), [pod("db", labels={"app": "db"})]),
                        (node("b", labels={ZONE: "z2"}), [pod("cache", labels={"app": "cache"})]),
                        (node("c", labels={ZONE: "z3"}), []))
    p = with_affinity(pref_aff=[{"weight": 10, "podAffinityTerm": term({"app": "db"})}],
                      pref_anti=[{"weight": 5, "podAffinityTerm": term({"app": "cache"})}])
    # raw: a=10, b=-5, c=0 -> (x - min) * 100 / (max - min)
    assert score_all(fw, p, infos) == {"a": 100, "b": 0, "c": 33}


def test_hard_pod_affinity_weight_of_existing_pods():
    existing = with_affinity("e", labels={"app": "e"}, affinity=[term({"app": "web"})])
    infos, fw = cluster((node("a", labels={ZONE: "z1"}), [existing]), (node("b", labels={ZONE: "z2"}), []))
    assert score_all(fw, pod("w", labels={"app": "web"}), infos) == {"a": 100, "b": 0}
    fw0 = framework(infos, only_plugins("InterPodAffinity", args={"InterPodAffinity": {"hardPodAffinityWeight": 0}}))
    assert score_all(fw0, pod("w", labels={"app": "web"}), infos) == {"a": 0, "b": 0}
