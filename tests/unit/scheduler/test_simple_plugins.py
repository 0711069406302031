"""NodeName, NodeUnschedulable, NodePorts, SchedulingGates, PrioritySort, ImageLocality."""

from kybernetes.scheduler.plugins.imagelocality import MB, calculate_priority, normalized_image_name
from kybernetes.scheduler.types import Code, PodInfo

from .util import filter_all, framework, node, node_info, only_plugins, pod, score_all


def run(plugin, p, *nodes):
    infos = [n if not isinstance(n, dict) else node_info(n) for n in nodes]
    return filter_all(framework(infos, only_plugins(plugin)), p, infos)


def test_node_name():
    out = run("NodeName", pod(node="b"), node("a"), node("b"))
    assert out["b"].ok
    assert out["a"].code == Code.UNSCHEDULABLE_AND_UNRESOLVABLE
    assert out["a"].reasons == ["node(s) didn't match the requested node name"]
    assert run("NodeName", pod(), node("a"))["a"].ok


def test_node_unschedulable():
    out = run("NodeUnschedulable", pod(), node("a", unschedulable=True), node("b"))
    assert out["a"].reasons == ["node(s) were unschedulable"] and out["b"].ok
    tol = pod(tolerations=[{"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"}])
    assert run("NodeUnschedulable", tol, node("a", unschedulable=True))["a"].ok


def port_pod(name, port, ip="", proto="TCP"):
    p = {"containerPort": 80, "hostPort": port, "protocol": proto}
    if ip:
        p["hostIP"] = ip
    return pod(name, containers=[{"name": "c", "image": "x", "ports": [p]}])


def test_node_ports():
    n = node_info(node("a"), port_pod("u", 8080, "127.0.0.1"))
    assert run("NodePorts", port_pod("p", 8080, "127.0.0.2"), n)["a"].ok           # other IP
    assert run("NodePorts", port_pod("p", 8080, "127.0.0.1", "UDP"), n)["a"].ok    # other protocol
    st = run("NodePorts", port_pod("p", 8080, "127.0.0.1"), n)["a"]
    assert st.code == Code.UNSCHEDULABLE
    assert st.reasons == ["node(s) didn't have free ports for the requested pod ports"]
    assert not run("NodePorts", port_pod("p", 8080), n)["a"].ok                      # 0.0.0.0 vs specific
    n2 = node_info(node("a"), port_pod("u", 8080))
    assert not run("NodePorts", port_pod("p", 8080, "10.0.0.1"), n2)["a"].ok        # specific vs 0.0.0.0


def test_scheduling_gates():
    fw = framework([], only_plugins("SchedulingGates"))
    assert fw.pre_enqueue(pod()).ok
    st = fw.pre_enqueue(pod(schedulingGates=[{"name": "a"}, {"name": "b"}]))
    assert st.code == Code.UNSCHEDULABLE_AND_UNRESOLVABLE
    assert st.reasons == ["waiting for scheduling gates: [a b]"] and st.plugin == "SchedulingGates"


def test_priority_sort():
    fw = framework([], only_plugins())
    hi, lo = PodInfo(pod("hi", priority=10)), PodInfo(pod("lo", priority=1))
    assert fw.queue_sort_less(hi, 5.0, lo, 1.0)
    assert not fw.queue_sort_less(lo, 1.0, hi, 5.0)
    a, b = PodInfo(pod("a")), PodInfo(pod("b"))
    assert fw.queue_sort_less(a, 1.0, b, 2.0) and not fw.queue_sort_less(b, 2.0, a, 1.0)


def test_image_names_and_priority():
    assert normalized_image_name("nginx") == "nginx:latest"
    assert normalized_image_name("gcr.io:5000/nginx") == "gcr.io:5000/nginx:latest"
    assert normalized_image_name("nginx:1.25") == "nginx:1.25"
    assert calculate_priority(0, 1) == 0
    assert calculate_priority(2000 * MB, 1) == 100
    assert calculate_priority(2000 * MB, 3) == 100 * (2000 - 23) // (3000 - 23)


def image(name, size_mb):
    return {"names": [name], "sizeBytes": size_mb * MB}


def test_image_locality_scales_by_spread():
    p = pod(containers=[{"name": "c", "image": "big"}])
    nodes = [node_info(node("has", images=[image("big:latest", 250)])), node_info(node("none"))]
    fw = framework(nodes, only_plugins("ImageLocality"))
    # 250Mi present on 1 of 2 nodes -> 125Mi; (125 - 23) * 100 / (1000 - 23) = 10
    assert score_all(fw, p, nodes) == {"has": 10, "none": 0}


def test_image_locality_two_containers_everywhere():
    p = pod(containers=[{"name": "a", "image": "x:1"}, {"name": "b", "image": "y:1"}])
    nodes = [node_info(node("n1", images=[image("x:1", 500), image("y:1", 800)])),
             node_info(node("n2", images=[image("x:1", 500)]))]
    fw = framework(nodes, only_plugins("ImageLocality"))
    # n1: 500 * 1 + 800 * 0.5 = 900Mi of max 2000Mi; n2: 500Mi
    assert score_all(fw, p, nodes) == {"n1": 100 * (900 - 23) // (2000 - 23), "n2": 100 * (500 - 23) // (2000 - 23)}
