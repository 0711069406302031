import random

from kybernetes.scheduler.plugins.defaultpreemption import (
    Candidate, pick_one_node, split_by_pdb_violation)
from kybernetes.scheduler.errors import fit_error_message
from kybernetes.scheduler.types import CycleState, PodInfo, Status

from .util import framework, node, node_info, only_plugins, pod


class FakeClient:
    def __init__(self):
        self.deleted = []

    async def delete(self, group, version, plural, name, *, namespace="", **kw):
        self.deleted.append(f"{namespace}/{name}")
        return {}


def started(p, ts):
    p["status"]["startTime"] = ts
    return p


async def preempt(p, infos, pdbs=(), args=None, seed=None):
    client = FakeClient()
    cfg = only_plugins("NodeResourcesFit", "DefaultPreemption", args={"DefaultPreemption": args} if args else None)
    fw = framework(infos, cfg, client=client, pdb_lister=lambda ns: [b for b in pdbs if b["metadata"]["namespace"] == ns])
    if seed is not None:
        fw.plugin("DefaultPreemption").rng = random.Random(seed)
    state = CycleState()
    info = PodInfo(p)
    fw.run_pre_filter(state, p, info, infos)
    filtered = {n.name: fw.run_filter(state, p, info, n) for n in infos}
    result, st = await fw.run_post_filter(state, p, info, filtered)
    return result, st, client.deleted


async def test_preempts_lowest_priority_node():
    infos = [node_info(node("n1", cpu="2"), pod("a", cpu="1", priority=5), pod("b", cpu="1", priority=5)),
             node_info(node("n2", cpu="2"), pod("c", cpu="1", priority=1), pod("d", cpu="1", priority=1))]
    result, st, deleted = await preempt(pod("hi", cpu="1", priority=10), infos)
    assert st.ok and result.nominated_node_name == "n2"
    assert len(deleted) == 1 and deleted[0] in ("default/c", "default/d")


async def test_reprieves_highest_priority_victims():
    # n1 needs 2 cpu freed: pods 1,1,1 cpu with priorities 1,2,3 -> evict the two lowest
    infos = [node_info(node("n1", cpu="3"), pod("p1", cpu="1", priority=1), pod("p2", cpu="1", priority=2),
                       pod("p3", cpu="1", priority=3))]
    result, st, deleted = await preempt(pod("hi", cpu="2", priority=10), infos)
    assert result.nominated_node_name == "n1"
    assert sorted(deleted) == ["default/p1", "default/p2"]


async def test_higher_priority_pods_are_never_victims():
    infos = [node_info(node("n1", cpu="2"), pod("big", cpu="2", priority=100))]
    result, st, deleted = await preempt(pod("hi", cpu="1", priority=10), infos)
    assert not st.ok and deleted == []
    assert st.reasons == ["preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod."]


async def test_not_helpful_when_unresolvable():
    infos = [node_info(node("n1", cpu="1"), pod("low", cpu="1", priority=0))]
    result, st, _ = await preempt(pod("hi", cpu="5", priority=10), infos)      # more than the node has
    assert st.reasons == ["preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."]


async def test_preemption_policy_never():
    infos = [node_info(node("n1", cpu="1"), pod("low", cpu="1", priority=0))]
    result, st, deleted = await preempt(pod("hi", cpu="1", priority=10, preemptionPolicy="Never"), infos)
    assert st.reasons == ["preemption: not eligible due to preemptionPolicy=Never."] and deleted == []


async def test_prefers_node_without_pdb_violation():
    pdb = {"metadata": {"name": "guard", "namespace": "default"},
           "spec": {"selector": {"matchLabels": {"app": "guarded"}}}, "status": {"disruptionsAllowed": 0}}
    infos = [node_info(node("n1", cpu="1"), pod("g", labels={"app": "guarded"}, cpu="1", priority=1)),
             node_info(node("n2", cpu="1"), pod("f", cpu="1", priority=5))]
    result, st, deleted = await preempt(pod("hi", cpu="1", priority=10), infos, pdbs=[pdb])
    assert result.nominated_node_name == "n2" and deleted == ["default/f"]


def test_split_by_pdb_violation_budget_is_used_up():
    pdb = {"metadata": {"name": "x", "namespace": "default"}, "spec": {"selector": {"matchLabels": {"app": "a"}}},
           "status": {"disruptionsAllowed": 1, "disruptedPods": {"gone": "2024-01-01T00:00:00Z"}}}
    pods = [PodInfo(pod(n, labels={"app": "a"})) for n in ("p1", "p2", "gone")] + [PodInfo(pod("other"))]
    violating, ok = split_by_pdb_violation(pods, [pdb])
    assert [p.key for p in violating] == ["default/p2"]
    assert [p.key for p in ok] == ["default/p1", "default/gone", "default/other"]


def test_pick_one_node_order():
    def c(name, prios, violations=0, starts=None):
        victims = [PodInfo(started(pod(f"{name}{i}", priority=p), (starts or {}).get(i, "2024-01-01T00:00:00Z")))
                   for i, p in enumerate(prios)]
        return Candidate(name, victims, violations)
    assert pick_one_node([c("a", [1], 1), c("b", [9])]).node == "b"                 # fewer PDB violations
    assert pick_one_node([c("a", [5]), c("b", [1, 1, 1])]).node == "b"              # lower highest priority
    assert pick_one_node([c("a", [3, 3]), c("b", [3, 1])]).node == "b"              # lower sum
    assert pick_one_node([c("a", [3, 1, 1]), c("b", [3, 3])]).node == "b"           # each victim adds 2^31 to the sum
    assert pick_one_node([c("a", [2, 2]), c("b", [2])]).node == "b"                 # fewer victims
    late = c("b", [2], starts={0: "2024-06-01T00:00:00Z"})
    assert pick_one_node([c("a", [2]), late]).node == "b"                          # latest start
    assert pick_one_node([c("a", [2]), c("b", [2])]).node == "a"                    # first
    assert pick_one_node([c("a", [2]), Candidate("free")]).node == "free"          # no victims at all


def test_fit_error_message_sorted_histogram():
    msg = fit_error_message(3, {"a": Status.unschedulable("Insufficient cpu"),
                                "b": Status.unschedulable("Insufficient cpu", "Insufficient memory"),
                                "c": Status.unresolvable("node(s) were unschedulable")})
    assert msg == "0/3 nodes are available: 1 Insufficient memory, 1 node(s) were unschedulable, 2 Insufficient cpu."


async def test_limited_candidate_search_starts_at_a_random_node():
    """With minCandidateNodesAbsolute 1 (10% of 6 rounds to 0) the search stops at the first
    node with victims; upstream starts it at a random node, so every node gets chosen."""
    def cluster():
        return [node_info(node(f"n{i}", cpu="1"), pod(f"low{i}", cpu="1", priority=1)) for i in range(6)]

    chosen = set()
    for seed in range(40):
        result, st, _ = await preempt(pod("hi", cpu="1", priority=10), cluster(), seed=seed,
                                      args={"minCandidateNodesAbsolute": 1, "minCandidateNodesPercentage": 10})
        assert st.ok
        chosen.add(result.nominated_node_name)
    assert chosen == {f"n{i}" for i in range(6)}
