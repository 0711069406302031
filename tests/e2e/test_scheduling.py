"""The scheduler end to end: ``kyb server`` (API server, controller manager, scheduler)
with simulated nodes from ``kyb sim``, driven by kubectl: a Deployment of 100 spreads
over 10 nodes and runs; nodeSelector and taints/tolerations steer pods to the tainted
pool; a pod too large for any node stays Pending with upstream's message, a
FailedScheduling event and a PodScheduled=False condition, and `kyb explain-pending`
says why."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

import pytest

from .conftest import KUBECTL_PIP, Kubectl, spawn_kyb, start_cluster, stop_process, wait_for

pytestmark = pytest.mark.e2e


def start_sim(kubeconfig, log_path, *flags: str) -> subprocess.Popen:
    return spawn_kyb("sim", "--kubeconfig", str(kubeconfig), *flags, log_path=log_path)


@pytest.fixture(scope="module")
def k(tmp_path_factory):
    base = tmp_path_factory.mktemp("kyb-sched")
    cluster = start_cluster(base / "data", controllers=True, scheduler=True)
    sims = [start_sim(cluster.kubeconfig, base / "sim.log", "--nodes", "10", "--zones", "3", "--cpu", "8"),
            start_sim(cluster.kubeconfig, base / "sim-gpu.log", "--nodes", "2", "--name-prefix", "gpu-",
                      "--labels", "accel=gpu", "--taints", "accel=gpu:NoSchedule")]
    kubectl = Kubectl(str(KUBECTL_PIP), cluster, base / "home")
    kubectl.kubeconfig = cluster.kubeconfig
    assert wait_for(lambda: len(kubectl.json("get", "nodes")["items"]) == 12)
    yield kubectl
    for sim in sims:
        stop_process(sim)
    cluster.stop()


def pod_json(name: str, **spec) -> str:
    return json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                       "spec": {"containers": [{"name": "c", "image": "nginx"}], **spec}})


def test_a_deployment_of_100_spreads_over_the_10_nodes_and_runs(k):
    k("create", "deployment", "web", "--image=nginx", "--replicas=100")
    out = k("rollout", "status", "deployment/web", "--timeout=120s", timeout=150)
    assert 'deployment "web" successfully rolled out' in out
    pods = k.json("get", "pods", "-l", "app=web")["items"]
    per_node = Counter(p["spec"]["nodeName"] for p in pods)
    assert set(per_node) == {f"kyb-sim-{i}" for i in range(10)}  # untolerated gpu- nodes got none
    assert all(p["status"]["phase"] == "Running" for p in pods)
    events = k.json("get", "events", "--field-selector", f"involvedObject.name={pods[0]['metadata']['name']}")
    scheduled = [e for e in events["items"] if e["reason"] == "Scheduled"]
    assert scheduled and scheduled[0]["message"] == (
        f"Successfully assigned default/{pods[0]['metadata']['name']} to {pods[0]['spec']['nodeName']}")


def test_node_selector_and_tolerations_steer_pods_to_the_tainted_pool(k):
    k("apply", "-f", "-", input=pod_json("no-toleration", nodeSelector={"accel": "gpu"}))
    k("apply", "-f", "-", input=pod_json("tolerates", nodeSelector={"accel": "gpu"}, tolerations=[
        {"key": "accel", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}]))
    assert wait_for(lambda: k.json("get", "pod", "tolerates")["spec"].get("nodeName", "").startswith("gpu-"))

    def condition():
        pod = k.json("get", "pod", "no-toleration")
        return next((c for c in pod["status"].get("conditions", []) if c["type"] == "PodScheduled"), None)
    cond = wait_for(condition)
    assert cond["status"] == "False" and cond["reason"] == "Unschedulable"
    assert cond["message"] == (
        "0/12 nodes are available: 10 node(s) didn't match Pod's node affinity/selector, "
        "2 node(s) had untolerated taint {accel: gpu}. preemption: 0/12 nodes are available: "
        "12 Preemption is not helpful for scheduling.")


def test_a_pod_too_large_for_any_node_stays_pending_and_explain_pending_says_why(k):
    k("apply", "-f", "-", input=pod_json("huge", containers=[
        {"name": "c", "image": "nginx", "resources": {"requests": {"cpu": "64"}}}]))

    def failed_event():
        events = k.json("get", "events", "--field-selector", "involvedObject.name=huge")["items"]
        return next((e for e in events if e["reason"] == "FailedScheduling"), None)
    event = wait_for(failed_event)
    assert event and event["type"] == "Warning"
    assert event["message"] == (
        "0/12 nodes are available: 10 Insufficient cpu, 2 node(s) had untolerated taint {accel: gpu}. "
        "preemption: 0/12 nodes are available: 12 Preemption is not helpful for scheduling.")
    pod = k.json("get", "pod", "huge")
    assert pod["status"]["phase"] == "Pending" and not pod["spec"].get("nodeName")
    out = subprocess.run([sys.executable, "-m", "kybernetes.cli.main", "explain-pending", "huge",
                          "--kubeconfig", str(k.kubeconfig)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "kyb-sim-0" in out.stdout and "NodeResourcesFit" in out.stdout and "Insufficient cpu" in out.stdout
    assert "TaintToleration" in out.stdout


def deployment(name: str, replicas: int, *, spec: dict | None = None, container: dict | None = None) -> str:
    labels = {"app": name}
    pod_spec = {"containers": [{"name": "c", "image": "nginx", **(container or {})}], **(spec or {})}
    return json.dumps({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
                       "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                                "template": {"metadata": {"labels": labels}, "spec": pod_spec}}})


def pods_of(k: Kubectl, app: str) -> list[dict]:
    return [p for p in k.json("get", "pods", "-l", f"app={app}")["items"] if not p["metadata"].get("deletionTimestamp")]


def test_required_anti_affinity_puts_one_pod_per_node(k):
    anti = {"affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"labelSelector": {"matchLabels": {"app": "solo"}}, "topologyKey": "kubernetes.io/hostname"}]}}}
    k("apply", "-f", "-", input=deployment("solo", 10, spec=anti))
    k("rollout", "status", "deployment/solo", "--timeout=60s", timeout=90)
    nodes = [p["spec"]["nodeName"] for p in pods_of(k, "solo")]
    assert sorted(nodes) == sorted(f"kyb-sim-{i}" for i in range(10))
    # an 11th has nowhere to go
    k("scale", "deployment/solo", "--replicas=11")

    def pending_message():
        for p in pods_of(k, "solo"):
            for c in p["status"].get("conditions", []):
                if c["type"] == "PodScheduled" and c["status"] == "False":
                    return c["message"]
        return None
    message = wait_for(pending_message)
    assert message and message.startswith(
        "0/12 nodes are available: 10 node(s) didn't match pod anti-affinity rules, "
        "2 node(s) had untolerated taint {accel: gpu}."), message
    k("delete", "deployment", "solo")


def test_topology_spread_across_zones(k):
    spread = {"topologySpreadConstraints": [{
        "maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "DoNotSchedule",
        "labelSelector": {"matchLabels": {"app": "zoned"}}}]}
    k("apply", "-f", "-", input=deployment("zoned", 9, spec=spread))
    k("rollout", "status", "deployment/zoned", "--timeout=60s", timeout=90)
    zone_of = {n["metadata"]["name"]: n["metadata"]["labels"].get("topology.kubernetes.io/zone")
               for n in k.json("get", "nodes")["items"]}
    per_zone = Counter(zone_of[p["spec"]["nodeName"]] for p in pods_of(k, "zoned"))
    assert per_zone == {"zone-0": 3, "zone-1": 3, "zone-2": 3}
    k("delete", "deployment", "zoned")


def test_a_high_priority_pod_preempts_a_low_priority_one(k):
    for name, value in (("low", 10), ("high", 1000)):
        k("apply", "-f", "-", input=json.dumps({"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                                                "metadata": {"name": name}, "value": value}))
    # one 6-CPU pod per 8-CPU node fills every untainted node
    k("apply", "-f", "-", input=deployment("hog", 10, spec={"priorityClassName": "low"},
                                           container={"resources": {"requests": {"cpu": "6"}}}))
    k("rollout", "status", "deployment/hog", "--timeout=60s", timeout=90)
    hogs = {p["metadata"]["name"] for p in pods_of(k, "hog")}
    k("apply", "-f", "-", input=pod_json("vip", priorityClassName="high", containers=[
        {"name": "c", "image": "nginx", "resources": {"requests": {"cpu": "6"}}}]))
    node = wait_for(lambda: k.json("get", "pod", "vip")["spec"].get("nodeName"))
    assert node and node.startswith("kyb-sim-")
    # exactly one hog was evicted from that node; its replacement has nowhere to go
    left = {p["metadata"]["name"] for p in pods_of(k, "hog") if p["spec"].get("nodeName")}
    assert len(hogs - left) == 1
    events = k.json("get", "events", "--field-selector", "reason=Preempted")["items"]
    assert any(e["involvedObject"]["name"] in hogs for e in events)
    k("delete", "deployment", "hog")
    k("delete", "pod", "vip")
    # leave the nodes empty for the next test (terminating pods still hold their requests)
    assert wait_for(lambda: not k.json("get", "pods", "-l", "app=hog")["items"])


def test_a_second_scheduler_profile_from_a_config_file_packs_pods(k, tmp_path):
    config = tmp_path / "sched.yaml"
    config.write_text(json.dumps({
        "apiVersion": "kubescheduler.config.k8s.io/v1", "kind": "KubeSchedulerConfiguration",
        "profiles": [{"schedulerName": "bin-packer", "pluginConfig": [{
            "name": "NodeResourcesFit", "args": {"scoringStrategy": {"type": "MostAllocated"}}}]}]}))
    packer = spawn_kyb("scheduler", "--kubeconfig", str(k.kubeconfig), "--config", str(config),
                       "--leader-elect", "false", log_path=tmp_path / "bin-packer.log")
    try:
        # cpu and memory in the same proportion, so only the scoring strategy tells nodes apart
        for i in range(3):
            k("apply", "-f", "-", input=pod_json(f"packed-{i}", schedulerName="bin-packer", containers=[
                {"name": "c", "image": "nginx", "resources": {"requests": {"cpu": "2", "memory": "64Gi"}}}]))
        nodes = [wait_for(lambda i=i: k.json("get", "pod", f"packed-{i}")["spec"].get("nodeName")) for i in range(3)]
        assert nodes[0] and len(set(nodes)) == 1, nodes   # MostAllocated: all on the first one's node
        events = k.json("get", "events", "--field-selector", "involvedObject.name=packed-0,reason=Scheduled")
        assert events["items"][0]["source"]["component"] == "bin-packer"
    finally:
        stop_process(packer)
        for i in range(3):
            k("delete", "pod", f"packed-{i}", "--wait=false")
