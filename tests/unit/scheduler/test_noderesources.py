from hypothesis import given, settings
from hypothesis import strategies as st

from kybernetes.scheduler.plugins.noderesources import balanced, broken_linear
from kybernetes.scheduler.types import Code, CycleState, NodeInfo, PodInfo

from .util import filter_all, framework, node, node_info, only_plugins, pod, score_all


def container(cpu=None, memory=None, **extra):
    req = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v is not None}
    return {"name": "c", "image": "x", "resources": {"requests": req}, **extra}


def fit(p, n, *existing, args=None):
    infos = [node_info(n, *existing)]
    cfg = only_plugins("NodeResourcesFit", args={"NodeResourcesFit": args} if args else None)
    return filter_all(framework(infos, cfg), p, infos)[infos[0].name]


def test_fits_and_insufficient_cpu_memory():
    n = node("n", cpu="10", memory="20")
    used = pod("u", cpu="5", memory="5")
    assert fit(pod(cpu="5", memory="15"), n, used).ok
    st = fit(pod(cpu="6", memory="16"), n, used)
    assert st.code == Code.UNSCHEDULABLE and st.reasons == ["Insufficient cpu", "Insufficient memory"]
    assert st.plugin == "NodeResourcesFit"


def test_request_bigger_than_node_is_unresolvable():
    st = fit(pod(cpu="11"), node("n", cpu="10"))
    assert st.code == Code.UNSCHEDULABLE_AND_UNRESOLVABLE and st.reasons == ["Insufficient cpu"]


def test_init_container_peak_counts():
    # containers 1 cpu, init container 3 cpu -> the pod needs 3 while starting
    p = pod(containers=[container("1")], initContainers=[container("3")])
    n = node("n", cpu="10")
    assert fit(p, n, pod("u", cpu="7")).ok
    assert fit(p, n, pod("u", cpu="8")).reasons == ["Insufficient cpu"]


def test_sidecars_add_to_containers():
    # a restartable init container keeps running next to the app containers
    p = pod(containers=[container("2")], initContainers=[container("1", restartPolicy="Always"), container("2")])
    assert PodInfo(p).requests.milli_cpu == 3000
    assert fit(p, node("n", cpu="3")).ok
    assert not fit(p, node("n", cpu="2.9")).ok


def test_overhead_counts():
    p = pod(cpu="1", overhead={"cpu": "500m"})
    assert not fit(p, node("n", cpu="1")).ok
    assert fit(p, node("n", cpu="1500m")).ok


def test_too_many_pods_even_for_empty_requests():
    st = fit(pod(), node("n", pods="1"), pod("u"))
    assert st.reasons == ["Too many pods"] and st.code == Code.UNSCHEDULABLE


def test_extended_resources_and_ignored():
    p = pod(containers=[{"name": "c", "resources": {"requests": {"example.com/gpu": "2"}}}])
    assert fit(p, node("n", **{"example.com/gpu": "2"})).ok
    assert fit(p, node("n", **{"example.com/gpu": "1"})).reasons == ["Insufficient example.com/gpu"]
    assert fit(p, node("n")).code == Code.UNSCHEDULABLE_AND_UNRESOLVABLE
    assert fit(p, node("n"), args={"ignoredResources": ["example.com/gpu"]}).ok
    assert fit(p, node("n"), args={"ignoredResourceGroups": ["example.com"]}).ok


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 3000), max_size=5), st.integers(0, 3000), st.integers(1, 8000))
def test_fit_agrees_with_naive_sum(existing, want, alloc):
    n = node_info(node("n", cpu=f"{alloc}m"), *[pod(f"e{i}", cpu=f"{c}m") for i, c in enumerate(existing) if c])
    p = pod(cpu=f"{want}m") if want else pod()
    fw = framework([n], only_plugins("NodeResourcesFit"))
    state = CycleState()
    fw.run_pre_filter(state, p, PodInfo(p), [n])
    st = fw.run_filter(state, p, PodInfo(p), n)
    naive = want == 0 or sum(existing) + want <= alloc
    assert st.ok is naive


# ---------------------------------------------------------------------------- scoring
def test_least_allocated_upstream_numbers():
    # pod 1000m/2000; node1 4000m/10000 -> (75 + 80) / 2 = 77; node2 6000m/10000 -> (83 + 80) / 2 = 81
    p = pod(cpu="1000m", memory="2000")
    nodes = [node_info(node("node1", cpu="4000m", memory="10000")), node_info(node("node2", cpu="6000m", memory="10000"))]
    fw = framework(nodes, only_plugins("NodeResourcesFit"))
    assert score_all(fw, p, nodes) == {"node1": 77, "node2": 81}


def test_least_allocated_counts_non_zero_defaults():
    # a best-effort pod counts as 100m / 200Mi for scoring
    p = pod()
    nodes = [node_info(node("a", cpu="1", memory="1000Mi"))]
    fw = framework(nodes, only_plugins("NodeResourcesFit"))
    assert score_all(fw, p, nodes) == {"a": (90 + 80) // 2}


def test_most_allocated():
    p = pod(cpu="1000m", memory="2000")
    nodes = [node_info(node("node1", cpu="4000m", memory="10000")), node_info(node("node2", cpu="6000m", memory="10000"))]
    args = {"NodeResourcesFit": {"scoringStrategy": {"type": "MostAllocated"}}}
    fw = framework(nodes, only_plugins("NodeResourcesFit", args=args))
    assert score_all(fw, p, nodes) == {"node1": (25 + 20) // 2, "node2": (16 + 20) // 2}


def test_requested_to_capacity_ratio_bin_packing_shape():
    args = {"NodeResourcesFit": {"scoringStrategy": {
        "type": "RequestedToCapacityRatio",
        "requestedToCapacityRatio": {"shape": [{"utilization": 0, "score": 0}, {"utilization": 100, "score": 10}]}}}}
    p = pod(cpu="2", memory="4Gi")
    nodes = [node_info(node("a", cpu="4", memory="8Gi"))]
    fw = framework(nodes, only_plugins("NodeResourcesFit", args=args))
    assert score_all(fw, p, nodes) == {"a": 50}


def test_broken_linear():
    f = broken_linear([(0, 100), (50, 50), (100, 0)])
    assert [f(0), f(25), f(50), f(75), f(100), f(150)] == [100, 75, 50, 25, 0, 0]
    assert broken_linear([(10, 1), (90, 9)])(0) == 1


def test_balanced_allocation_upstream_numbers():
    # pod 3000m/5000; node1 4000m/10000: fractions 0.75/0.5 -> std 0.125 -> 87; node2 6000m/10000: 0.5/0.5 -> 100
    p = pod(cpu="3000m", memory="5000")
    nodes = [node_info(node("node1", cpu="4000m", memory="10000")), node_info(node("node2", cpu="6000m", memory="10000"))]
    fw = framework(nodes, only_plugins("NodeResourcesBalancedAllocation"))
    assert score_all(fw, p, nodes) == {"node1": 87, "node2": 100}


def test_balanced_allocation_three_resources_and_best_effort_skip():
    # fractions 0.25/0.5/0.75: std = sqrt(0.125 / 3) = 0.204 -> 79
    assert balanced([1, 2, 3], [4, 4, 4]) == 79
    nodes = [node_info(node("a"))]
    fw = framework(nodes, only_plugins("NodeResourcesBalancedAllocation"))
    state = CycleState()
    p = pod()
    fw.run_pre_score(state, p, PodInfo(p), nodes)
    assert "NodeResourcesBalancedAllocation" in state.skip_score_plugins


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.integers(0, 10_000), st.integers(1, 10_000), st.integers(1, 10_000))
def test_resource_scores_in_range(cpu, mem, acpu, amem):
    n = NodeInfo(node("n", cpu=f"{acpu}m", memory=str(amem)))
    p = pod(cpu=f"{cpu}m" if cpu else None, memory=str(mem) if mem else None)
    for name in ("NodeResourcesFit", "NodeResourcesBalancedAllocation"):
        fw = framework([n], only_plugins(name))
        for v in score_all(fw, p, [n]).values():
            assert 0 <= v <= 100
