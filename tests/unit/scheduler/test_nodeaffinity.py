import pytest

from kybernetes.scheduler.plugins.helpers import compile_node_selector
from kybernetes.scheduler.types import Code, CycleState, PodInfo

from .util import filter_all, framework, node, node_info, only_plugins, pod, score_all


def req(key, op, *values):
    return {"key": key, "operator": op, "values": list(values)} if values else {"key": key, "operator": op}


def sel(*terms):
    return {"nodeSelectorTerms": list(terms)}


@pytest.mark.parametrize("expr,labels,ok", [
    (req("foo", "In", "bar", "baz"), {"foo": "bar"}, True),
    (req("foo", "In", "bar"), {"foo": "qux"}, False),
    (req("foo", "In", "bar"), {}, False),
    (req("foo", "NotIn", "bar"), {"foo": "qux"}, True),
    (req("foo", "NotIn", "bar"), {}, True),
    (req("foo", "NotIn", "bar"), {"foo": "bar"}, False),
    (req("foo", "Exists"), {"foo": ""}, True),
    (req("foo", "Exists"), {}, False),
    (req("foo", "DoesNotExist"), {}, True),
    (req("foo", "DoesNotExist"), {"foo": "x"}, False),
    (req("gpus", "Gt", "4"), {"gpus": "8"}, True),
    (req("gpus", "Gt", "4"), {"gpus": "4"}, False),
    (req("gpus", "Gt", "4"), {"gpus": "many"}, False),
    (req("gpus", "Lt", "4"), {"gpus": "-1"}, True),
    (req("gpus", "Lt", "4"), {"gpus": "4"}, False),
    (req("gpus", "Gt", "x"), {"gpus": "8"}, False),          # malformed bound matches nothing
    (req("foo", "Bogus", "x"), {"foo": "x"}, False),
])
def test_operators(expr, labels, ok):
    assert compile_node_selector(sel({"matchExpressions": [expr]}))(labels, "n") is ok


def test_terms_are_ored_expressions_anded_empty_term_matches_nothing():
    m = compile_node_selector(sel({"matchExpressions": [req("a", "Exists"), req("b", "Exists")]},
                                  {"matchExpressions": [req("c", "Exists")]}))
    assert m({"a": "", "b": ""}, "n") and m({"c": ""}, "n") and not m({"a": ""}, "n")
    assert not compile_node_selector(sel({}))({"a": ""}, "n")
    assert not compile_node_selector(sel())({}, "n")


def test_match_fields_metadata_name():
    m = compile_node_selector(sel({"matchFields": [req("metadata.name", "In", "n1")]}))
    assert m({}, "n1") and not m({}, "n2")
    m = compile_node_selector(sel({"matchFields": [req("metadata.name", "NotIn", "n1")]}))
    assert not m({}, "n1") and m({}, "n2")


def affinity(required=None, preferred=None):
    na = {}
    if required is not None:
        na["requiredDuringSchedulingIgnoredDuringExecution"] = required
    if preferred is not None:
        na["preferredDuringSchedulingIgnoredDuringExecution"] = preferred
    return {"nodeAffinity": na}


def run(p, *nodes, args=None):
    infos = [node_info(n) for n in nodes]
    cfg = only_plugins("NodeAffinity", args={"NodeAffinity": args} if args else None)
    return filter_all(framework(infos, cfg), p, infos)


def test_node_selector_and_affinity_both_required():
    p = pod(nodeSelector={"disk": "ssd"},
            affinity=affinity(sel({"matchExpressions": [req("zone", "In", "z1")]})))
    out = run(p, node("ok", labels={"disk": "ssd", "zone": "z1"}), node("nosel", labels={"zone": "z1"}),
              node("noaff", labels={"disk": "ssd", "zone": "z2"}))
    assert out["ok"].ok
    for n in ("nosel", "noaff"):
        assert out[n].code == Code.UNSCHEDULABLE_AND_UNRESOLVABLE
        assert out[n].reasons == ["node(s) didn't match Pod's node affinity/selector"]


def test_prefilter_skips_pod_without_affinity_and_pins_node_names():
    fw = framework([], only_plugins("NodeAffinity"))
    state = CycleState()
    p = pod()
    res, st = fw.run_pre_filter(state, p, PodInfo(p), [])
    assert st.ok and res is None and "NodeAffinity" in state.skip_filter_plugins
    p = pod(affinity=affinity(sel({"matchFields": [req("metadata.name", "In", "n1")]},
                                  {"matchFields": [req("metadata.name", "In", "n2")]})))
    res, st = fw.run_pre_filter(CycleState(), p, PodInfo(p), [])
    assert res.node_names == {"n1", "n2"}
    p = pod(affinity=affinity(sel({"matchFields": [req("metadata.name", "In", "n1")]},
                                  {"matchExpressions": [req("a", "Exists")]})))
    res, st = fw.run_pre_filter(CycleState(), p, PodInfo(p), [])
    assert res is None and st.ok


def test_added_affinity_enforced():
    args = {"addedAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": sel(
        {"matchExpressions": [req("pool", "In", "batch")]})}}
    out = run(pod(), node("a", labels={"pool": "batch"}), node("b"), args=args)
    assert out["a"].ok
    assert out["b"].reasons == ["node(s) didn't match scheduler-enforced node affinity"]


def test_preferred_scoring_normalized():
    p = pod(affinity=affinity(preferred=[
        {"weight": 2, "preference": {"matchExpressions": [req("foo", "In", "bar")]}},
        {"weight": 4, "preference": {"matchExpressions": [req("key", "In", "value")]}},
        {"weight": 5, "preference": {"matchExpressions": [req("az", "In", "az1")]}}]))
    nodes = [node_info(node("m1", labels={"foo": "bar"})),
             node_info(node("m2", labels={"key": "value"})),
             node_info(node("m3", labels={"foo": "bar", "key": "value", "az": "az1"})),
             node_info(node("m4"))]
    fw = framework(nodes, only_plugins("NodeAffinity"))
    # raw 2, 4, 11, 0 -> *100/11
    assert score_all(fw, p, nodes) == {"m1": 18, "m2": 36, "m3": 100, "m4": 0}
