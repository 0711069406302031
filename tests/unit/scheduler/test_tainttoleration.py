import pytest

from kybernetes.scheduler.plugins.helpers import tolerates
from kybernetes.scheduler.types import Code

from .util import filter_all, framework, node, node_info, only_plugins, pod, score_all


def taint(key, value="", effect="NoSchedule"):
    return {"key": key, "value": value, "effect": effect}


@pytest.mark.parametrize("toleration,t,ok", [
    ({"key": "foo", "operator": "Equal", "value": "bar", "effect": "NoSchedule"}, taint("foo", "bar"), True),
    ({"key": "foo", "value": "bar"}, taint("foo", "bar"), True),                       # Equal by default, any effect
    ({"key": "foo", "operator": "Equal", "value": "baz"}, taint("foo", "bar"), False),
    ({"key": "foo", "operator": "Exists"}, taint("foo", "anything"), True),
    ({"operator": "Exists"}, taint("whatever", "x", "NoExecute"), True),                # empty key + Exists: all
    ({"key": "foo", "operator": "Exists", "effect": "NoExecute"}, taint("foo"), False),  # effect mismatch
    ({"key": "other", "operator": "Exists"}, taint("foo"), False),
    ({"key": "foo", "operator": "Bogus", "value": "bar"}, taint("foo", "bar"), False),
])
def test_tolerates(toleration, t, ok):
    assert tolerates(toleration, t) is ok


def run(p, *nodes):
    infos = [node_info(n) for n in nodes]
    return filter_all(framework(infos, only_plugins("TaintToleration")), p, infos)


def test_filter_untolerated_taint_message_and_code():
    st = run(pod(), node("n1", taints=[taint("dedicated", "user1")]))["n1"]
    assert st.code == Code.UNSCHEDULABLE_AND_UNRESOLVABLE
    assert st.reasons == ["node(s) had untolerated taint {dedicated: user1}"]
    assert st.plugin == "TaintToleration"


def test_filter_tolerated_and_prefer_no_schedule_ignored():
    p = pod(tolerations=[{"key": "dedicated", "operator": "Equal", "value": "user1", "effect": "NoSchedule"}])
    out = run(p, node("a", taints=[taint("dedicated", "user1")]),
              node("b", taints=[taint("soft", "x", "PreferNoSchedule")]),
              node("c", taints=[taint("dedicated", "user2")]),
              node("d", taints=[taint("evict", "", "NoExecute")]))
    assert out["a"].ok and out["b"].ok
    assert not out["c"].ok and not out["d"].ok


def test_score_counts_intolerable_prefer_no_schedule_taints_reversed():
    soft = lambda k: taint(k, "v", "PreferNoSchedule")  # noqa: E731
    p = pod(tolerations=[{"key": "tolerated", "operator": "Exists", "effect": "PreferNoSchedule"}])
    nodes = [node_info(node("zero", taints=[soft("tolerated")])),
             node_info(node("one", taints=[soft("a"), soft("tolerated")])),
             node_info(node("two", taints=[soft("a"), soft("b")]))]
    fw = framework(nodes, only_plugins("TaintToleration"))
    assert score_all(fw, p, nodes) == {"zero": 100, "one": 50, "two": 0}


def test_score_no_taints_all_max():
    nodes = [node_info(node("a")), node_info(node("b"))]
    fw = framework(nodes, only_plugins("TaintToleration"))
    assert score_all(fw, pod(), nodes) == {"a": 100, "b": 100}


def test_no_schedule_toleration_does_not_count_for_prefer_scoring():
    p = pod(tolerations=[{"key": "a", "operator": "Exists", "effect": "NoSchedule"}])
    nodes = [node_info(node("x", taints=[taint("a", "", "PreferNoSchedule")])), node_info(node("y"))]
    fw = framework(nodes, only_plugins("TaintToleration"))
    assert score_all(fw, p, nodes) == {"x": 0, "y": 100}
