import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kybernetes.scheduler.config import Profile
from kybernetes.scheduler.framework import Framework, ScoreError
from kybernetes.scheduler.interface import PreFilterResult
from kybernetes.scheduler.plugins.helpers import default_normalize_score
from kybernetes.scheduler.plugins.registry import in_tree_registry
from kybernetes.scheduler.types import Code, CycleState, NodeInfo, NodeScore, PodInfo, Status

from .util import framework, node, node_info, only_plugins, pod


class Recorder:
    """A configurable fake plugin that logs calls."""

    def __init__(self, name, log, *, pre=None, verdict=None, score=None, names=None, normalize=False):
        self.name, self.log = name, log
        self.pre, self.verdict, self.scores, self.names, self.normalize = pre, verdict or {}, score or {}, names, normalize

    def pre_filter(self, state, pod, info, nodes):
        self.log.append(("pre_filter", self.name))
        return (PreFilterResult(frozenset(self.names)) if self.names is not None else None), self.pre or Status()

    def filter(self, state, pod, info, node):
        self.log.append(("filter", self.name, node.name))
        return self.verdict.get(node.name, Status())

    def score(self, state, pod, info, node):
        return self.scores.get(node.name, 0), Status()

    def normalize_score(self, state, pod, scores):
        if self.normalize:
            default_normalize_score(scores)
        return Status()

    def reserve(self, state, pod, node_name):
        self.log.append(("reserve", self.name))
        return Status()

    def unreserve(self, state, pod, node_name):
        self.log.append(("unreserve", self.name))

    def permit(self, state, pod, node_name):
        return Status(Code.WAIT), 5.0


def fake_framework(plugins, weights=None, points=("preFilter", "filter", "score", "reserve")):
    registry = dict(in_tree_registry())
    for p in plugins:
        registry[p.name] = (lambda plugin: lambda args, handle: plugin)(p)
    names = [p.name for p in plugins]
    profile = Profile(plugins={"multiPoint": names, "queueSort": ["PrioritySort"], "bind": ["DefaultBinder"],
                               **{pt: names for pt in points}},
                      score_weights=weights or {})
    return Framework(profile, registry=registry)


NODES = [NodeInfo(node("a")), NodeInfo(node("b"))]


def test_filter_order_first_rejection_wins_with_plugin_name():
    log = []
    one = Recorder("One", log, verdict={"a": Status.unschedulable("one says no")})
    two = Recorder("Two", log, verdict={"a": Status.unschedulable("two says no"), "b": Status.unresolvable("nope")})
    fw = fake_framework([one, two])
    p = pod()
    st = fw.run_filter(CycleState(), p, PodInfo(p), NODES[0])
    assert st.reasons == ["one says no"] and st.plugin == "One"
    assert ("filter", "Two", "a") not in log
    st = fw.run_filter(CycleState(), p, PodInfo(p), NODES[1])
    assert st.plugin == "Two" and st.code == Code.UNSCHEDULABLE_AND_UNRESOLVABLE


def test_error_status_is_wrapped():
    fw = fake_framework([Recorder("Bad", [], verdict={"a": Status.error("boom")})])
    p = pod()
    st = fw.run_filter(CycleState(), p, PodInfo(p), NODES[0])
    assert st.code == Code.ERROR and st.reasons == ['running Filter plugin "Bad": boom'] and st.plugin == "Bad"


def test_prefilter_skip_skips_filter():
    log = []
    skipper = Recorder("Skipper", log, pre=Status(Code.SKIP), verdict={"a": Status.unschedulable("x")})
    fw = fake_framework([skipper])
    state, p = CycleState(), pod()
    res, st = fw.run_pre_filter(state, p, PodInfo(p), NODES)
    assert st.ok and res is None and state.skip_filter_plugins == {"Skipper"}
    assert fw.run_filter(state, p, PodInfo(p), NODES[0]).ok


def test_prefilter_rejection_and_node_name_intersection():
    fw = fake_framework([Recorder("X", [], names={"a", "b"}), Recorder("Y", [], names={"b", "c"})])
    p = pod()
    res, st = fw.run_pre_filter(CycleState(), p, PodInfo(p), NODES)
    assert st.ok and res.node_names == {"b"}
    fw = fake_framework([Recorder("X", [], names={"a"}), Recorder("Y", [], names={"c"})])
    res, st = fw.run_pre_filter(CycleState(), p, PodInfo(p), NODES)
    assert st.code == Code.UNSCHEDULABLE_AND_UNRESOLVABLE
    assert st.reasons == ["node(s) didn't satisfy plugin(s) [X Y] simultaneously"]
    fw = fake_framework([Recorder("X", [], pre=Status.unresolvable("bad pod"))])
    res, st = fw.run_pre_filter(CycleState(), p, PodInfo(p), NODES)
    assert st.reasons == ["bad pod"] and st.plugin == "X"


def test_score_weights_and_breakdown():
    a = Recorder("A", [], score={"a": 10, "b": 20})
    b = Recorder("B", [], score={"a": 50, "b": 100}, normalize=True)
    fw = fake_framework([a, b], weights={"A": 3, "B": 2})
    state, p = CycleState(), pod()
    totals, per = fw.run_score(state, p, PodInfo(p), NODES)
    assert [(s.name, s.score) for s in totals] == [("a", 30 + 100), ("b", 60 + 200)]
    assert [s.score for s in per["A"]] == [30, 60] and [s.score for s in per["B"]] == [100, 200]
    state.skip_score_plugins.add("A")
    totals, per = fw.run_score(state, p, PodInfo(p), NODES)
    assert "A" not in per and totals[0].score == 100


def test_out_of_range_score_raises():
    fw = fake_framework([Recorder("A", [], score={"a": 101})])
    p = pod()
    with pytest.raises(ScoreError) as e:
        fw.run_score(CycleState(), p, PodInfo(p), NODES)
    assert e.value.status.plugin == "A"


def test_reserve_unreserve_order():
    log = []
    fw = fake_framework([Recorder("A", log), Recorder("B", log)])
    assert fw.run_reserve(CycleState(), pod(), "a").ok
    fw.run_unreserve(CycleState(), pod(), "a")
    assert [e for e in log if e[0] in ("reserve", "unreserve")] == [
        ("reserve", "A"), ("reserve", "B"), ("unreserve", "B"), ("unreserve", "A")]


async def test_permit_wait_allow_reject_timeout():
    fw = fake_framework([Recorder("W", [])], points=("permit",))
    p = pod("w")
    assert fw.run_permit(CycleState(), p, "a").code == Code.WAIT
    waiter = asyncio.create_task(fw.wait_on_permit(p))
    await asyncio.sleep(0)
    assert fw.allow("default/w")
    assert (await waiter).ok and fw.waiting_pods() == []
    fw.run_permit(CycleState(), p, "a")
    waiter = asyncio.create_task(fw.wait_on_permit(p))
    await asyncio.sleep(0)
    fw.reject("default/w", "W", "no")
    st = await waiter
    assert st.code == Code.UNSCHEDULABLE and st.reasons == ["no"]
    fw._waiting.clear()
    fw.run_permit(CycleState(), p, "a")
    fw._waiting["default/w"].pending["W"] = 0.01
    st = await fw.wait_on_permit(p)
    assert st.code == Code.UNSCHEDULABLE and "timeout" in st.message


class Nominator:
    def __init__(self, pods):
        self.pods = pods

    def nominated_pods_for_node(self, name):
        return self.pods.get(name, [])


def test_nominated_pods_of_higher_priority_take_room():
    n = node_info(node("a", cpu="2"))
    nominated = PodInfo(pod("nom", cpu="2", priority=10))
    fw = framework([n], only_plugins("NodeResourcesFit"), nominator=Nominator({"a": [nominated]}))
    for prio, fits in ((5, False), (10, False), (20, True)):
        p = pod("p", cpu="1", priority=prio)
        if prio == 20:   # a lower-priority nomination does not count
            fw = framework([n], only_plugins("NodeResourcesFit"),
                           nominator=Nominator({"a": [PodInfo(pod("nom", cpu="2", priority=10))]}))
        state = CycleState()
        fw.run_pre_filter(state, p, PodInfo(p), [n])
        assert fw.run_filter_with_nominated_pods(state, p, PodInfo(p), n).ok is fits
    assert len(n.pods) == 0           # the real NodeInfo is untouched


def test_default_profile_events_and_handle():
    fw = framework([], {})
    events = fw.events_to_register()
    assert "NodeResourcesFit" in events and "ImageLocality" not in events
    assert fw.scheduler_name == "default-scheduler" and fw.has_filter_plugins
    assert fw.plugin("NodeResourcesFit").name == "NodeResourcesFit"


async def test_default_binder_posts_binding():
    calls = []

    class Client:
        async def request(self, method, path, body=None, **kw):
            calls.append((method, path, body))
            return {}
    fw = framework([], {}, client=Client())
    st = await fw.run_bind(CycleState(), pod("web", ns="prod"), "node-1")
    assert st.ok
    method, path, body = calls[0]
    assert (method, path) == ("POST", "/api/v1/namespaces/prod/pods/web/binding")
    assert body["target"] == {"apiVersion": "v1", "kind": "Node", "name": "node-1"}


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 10_000), min_size=1, max_size=20), st.booleans())
def test_default_normalize_stays_in_range(raw, reverse):
    scores = [NodeScore(str(i), v) for i, v in enumerate(raw)]
    default_normalize_score(scores, reverse=reverse)
    assert all(0 <= s.score <= 100 for s in scores)
    if max(raw) > 0:
        best = [s.score for s, v in zip(scores, raw) if v == max(raw)]
        assert all(b == (0 if reverse else 100) for b in best)
