"""The kubelet on this machine, as root with runc: pods really run, driven with kubectl."""

from __future__ import annotations

import ipaddress
import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest

from tests.e2e.conftest import KUBECTL_PIP, Kubectl, spawn_kyb, start_cluster, stop_process, wait_for
from tests.imagebuild import busybox_image

pytestmark = pytest.mark.e2e

NODE = "kyb-e2e-node"


def free_cluster_cidr() -> str:
    """A /16 under 10/8 that no route on this machine uses (parallel test clusters each
    get their own bridge and range)."""
    used = subprocess.run(["ip", "-4", "route"], capture_output=True, text=True).stdout
    nets = [ipaddress.ip_network(w, strict=False) for line in used.splitlines() for w in line.split()[:1]
            if "/" in w]
    rng = random.Random(os.getpid() ^ time.time_ns())
    while True:
        cand = ipaddress.ip_network(f"10.{rng.randrange(64, 250)}.0.0/16")
        if not any(cand.overlaps(n) for n in nets):
            return str(cand)


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    base = tmp_path_factory.mktemp("kyb-node")
    data = base / "data"
    cidr = free_cluster_cidr()
    cgroup_root = f"/kyb-e2e-{os.getpid()}"
    cluster = start_cluster(data, "--cluster-cidr", cidr, controllers=True, scheduler=True)
    images = data / "agent" / "images"
    images.mkdir(parents=True)
    busybox_image().oci_archive(images / "busybox.tar", "busybox:1.36")
    flags = ["--data-dir", str(data), "--hostname-override", NODE, "--cluster-cidr", cidr,
             "--cgroup-root", cgroup_root]
    kubelet = spawn_kyb("kubelet", *flags, log_path=base / "kubelet.log")
    state = {"kubelet": kubelet, "flags": flags, "log": base / "kubelet.log", "cidr": cidr}
    try:
        k = Kubectl(str(KUBECTL_PIP), cluster, base)
        assert wait_for(lambda: _node_ready(k), timeout=60), (base / "kubelet.log").read_text()[-3000:]
        yield k, state
    finally:
        stop_process(state["kubelet"])
        subprocess.run([sys.executable, "-m", "kybernetes.cli.main", "kubelet", "--teardown", *flags],
                       capture_output=True, timeout=120)
        cluster.stop()


def _node_ready(k: Kubectl) -> bool:
    p = k.run("get", "node", NODE, "-o", "json", check=False)
    if p.returncode != 0:
        return False
    conds = {c["type"]: c["status"] for c in json.loads(p.stdout)["status"].get("conditions", [])}
    return conds.get("Ready") == "True"


def pod_json(k: Kubectl, name: str, ns: str = "default") -> dict:
    p = k.run("get", "pod", name, "-n", ns, "-o", "json", check=False)
    return json.loads(p.stdout) if p.returncode == 0 else {}


def apply(k: Kubectl, manifest: dict) -> None:
    k("apply", "-f", "-", input=json.dumps(manifest))


def simple_pod(name: str, script: str, **spec) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"terminationGracePeriodSeconds": 2, **spec,
                     "containers": [{"name": "main", "image": "busybox:1.36", "command": ["sh", "-c", script]}]}}


def container_status(pod: dict, name: str = "main", init: bool = False) -> dict:
    key = "initContainerStatuses" if init else "containerStatuses"
    return next((c for c in (pod.get("status") or {}).get(key, []) if c["name"] == name), {})


def test_node_registered_with_machine_facts(node):
    k, state = node
    n = k.json("get", "node", NODE)
    assert n["metadata"]["labels"]["kubernetes.io/hostname"] == NODE
    assert int(n["status"]["capacity"]["cpu"]) == len(os.sched_getaffinity(0))
    assert n["status"]["nodeInfo"]["containerRuntimeVersion"].startswith("runc://")
    assert ipaddress.ip_network(n["spec"]["podCIDR"]).subnet_of(ipaddress.ip_network(state["cidr"]))
    addresses = {a["type"]: a["address"] for a in n["status"]["addresses"]}
    assert ipaddress.ip_address(addresses["InternalIP"]) in ipaddress.ip_network(n["spec"]["podCIDR"])
    lease = k.json("get", "lease", NODE, "-n", "kube-node-lease")
    assert lease["spec"]["holderIdentity"] == NODE


def test_deployment_runs_and_logs(node):
    k, state = node
    k("create", "deployment", "web", "--image=busybox:1.36", "--replicas=2", "--",
      "sh", "-c", "echo started $(hostname); while true; do sleep 1; done")

    def running():
        pods = k.json("get", "pods", "-l", "app=web")["items"]
        return len(pods) == 2 and all(p["status"].get("phase") == "Running" and
                                      all(c.get("ready") for c in p["status"].get("containerStatuses", []))
                                      for p in pods) and pods
    pods = wait_for(running, timeout=60)
    assert pods, k("get", "pods", "-o", "wide") + k("describe", "pods")
    out = k("get", "pods", "-l", "app=web")
    assert all(" 1/1 " in line and "Running" in line for line in out.splitlines()[1:]), out
    for p in pods:
        st = p["status"]
        assert ipaddress.ip_address(st["podIP"]) in ipaddress.ip_network(state["cidr"])
        assert st["qosClass"] == "BestEffort" and st["hostIP"] and st["startTime"]
        cs = container_status(p, "busybox")   # kubectl create deployment names it after the image
        assert cs["containerID"].startswith("runc://") and cs["started"] is True and cs["restartCount"] == 0
        assert cs["imageID"].startswith("docker.io/library/busybox@sha256:")
        conds = {c["type"]: c["status"] for c in st["conditions"]}
        assert conds == {"PodReadyToStartContainers": "True", "Initialized": "True", "Ready": "True",
                         "ContainersReady": "True", "PodScheduled": "True"}
        name = p["metadata"]["name"]
        assert wait_for(lambda: f"started {name}" in k("logs", name), timeout=10)
    events = k("get", "events", "--field-selector", f"involvedObject.name={pods[0]['metadata']['name']}")
    assert "Created container: busybox" in events and "Started container busybox" in events
    k("delete", "deployment", "web")
    assert wait_for(lambda: not k.json("get", "pods", "-l", "app=web")["items"], timeout=60)


def test_crashing_container_backs_off(node):
    k, _ = node
    apply(k, simple_pod("crash", "echo dying; exit 2"))

    def looping():
        cs = container_status(pod_json(k, "crash"))
        return cs if cs.get("restartCount", 0) >= 1 and \
            (cs.get("state") or {}).get("waiting", {}).get("reason") == "CrashLoopBackOff" else None
    cs = wait_for(looping, timeout=60)
    assert cs, pod_json(k, "crash").get("status")
    assert cs["lastState"]["terminated"]["exitCode"] == 2 and cs["lastState"]["terminated"]["reason"] == "Error"
    assert "back-off 10s restarting failed container=main" in cs["state"]["waiting"]["message"]
    assert "CrashLoopBackOff" in k("get", "pod", "crash")
    assert "dying" in k("logs", "crash", "--previous")
    k("delete", "pod", "crash", "--wait=true")


def test_init_containers_run_first_and_pod_completes(node):
    k, _ = node
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "inits"},
           "spec": {"restartPolicy": "Never", "terminationGracePeriodSeconds": 1,
                    "initContainers": [{"name": "one", "image": "busybox:1.36",
                                        "command": ["sh", "-c", "sleep 1; date +%s%N > /tmp/x; echo one"]},
                                       {"name": "two", "image": "busybox:1.36", "command": ["sh", "-c", "echo two"]}],
                    "containers": [{"name": "main", "image": "busybox:1.36", "command": ["sh", "-c", "echo main"]}]}}
    apply(k, pod)

    def done():
        p = pod_json(k, "inits")
        return p if p.get("status", {}).get("phase") == "Succeeded" else None
    p = wait_for(done, timeout=60)
    assert p, pod_json(k, "inits").get("status")
    one = container_status(p, "one", init=True)["state"]["terminated"]
    two = container_status(p, "two", init=True)["state"]["terminated"]
    main = container_status(p, "main")["state"]["terminated"]
    assert one["reason"] == two["reason"] == main["reason"] == "Completed"
    assert one["finishedAt"] <= two["startedAt"] and two["finishedAt"] <= main["startedAt"]
    assert "Completed" in k("get", "pod", "inits")
    assert k("logs", "inits", "-c", "one").strip() == "one"
    k("delete", "pod", "inits")


def test_over_memory_container_is_oomkilled(node):
    k, _ = node
    pod = simple_pod("hog", "exec dd if=/dev/zero of=/dev/null bs=64M count=1", restartPolicy="Never")
    pod["spec"]["containers"][0]["resources"] = {"limits": {"memory": "16Mi"}}
    apply(k, pod)

    def failed():
        p = pod_json(k, "hog")
        return p if p.get("status", {}).get("phase") == "Failed" else None
    p = wait_for(failed, timeout=60)
    assert p, pod_json(k, "hog").get("status")
    term = container_status(p)["state"]["terminated"]
    assert term["reason"] == "OOMKilled" and term["exitCode"] == 137
    assert "OOMKilled" in k("get", "pod", "hog")
    k("delete", "pod", "hog")


def test_pods_reach_each_other_over_http(node):
    k, _ = node
    server = simple_pod("httpd", "mkdir -p /www && echo hello-from-httpd > /www/index.html && "
                        "exec httpd -f -p 8080 -h /www")
    apply(k, server)
    p = wait_for(lambda: (lambda p: p if p.get("status", {}).get("podIP") and
                          container_status(p).get("ready") else None)(pod_json(k, "httpd")), timeout=60)
    assert p, pod_json(k, "httpd").get("status")
    ip = p["status"]["podIP"]
    client = simple_pod("fetch", f"for i in 1 2 3 4 5; do wget -q -O - http://{ip}:8080/ && exit 0; sleep 1; done; "
                        "exit 1", restartPolicy="Never")
    apply(k, client)
    done = wait_for(lambda: pod_json(k, "fetch").get("status", {}).get("phase") in ("Succeeded", "Failed")
                    and pod_json(k, "fetch"), timeout=60)
    assert done and done["status"]["phase"] == "Succeeded", k("logs", "fetch", check=False)
    assert "hello-from-httpd" in k("logs", "fetch")
    # no way out of the node
    apply(k, simple_pod("outside", "nc -w 2 203.0.113.1 80 </dev/null 2>&1; echo rc=$?", restartPolicy="Never"))
    assert wait_for(lambda: pod_json(k, "outside").get("status", {}).get("phase") == "Succeeded", timeout=60)
    out = k("logs", "outside")
    assert "rc=1" in out and "unreachable" in out.lower(), out
    k("delete", "pod", "httpd", "fetch", "outside")


def test_delete_honours_the_grace_period(node):
    k, _ = node
    apply(k, simple_pod("graceful", "trap 'echo got TERM; sleep 1; exit 0' TERM; while true; do sleep 0.2; done",
                        terminationGracePeriodSeconds=10))
    assert wait_for(lambda: container_status(pod_json(k, "graceful")).get("ready"), timeout=60)
    time.sleep(0.5)
    started = time.monotonic()
    k("delete", "pod", "graceful", "--wait=true", timeout=60)
    took = time.monotonic() - started
    assert took < 9, f"the pod ignored its SIGTERM handler's exit and waited out the grace ({took:.1f}s)"


def test_kubelet_restart_adopts_running_containers(node):
    k, state = node
    apply(k, simple_pod("survivor", "while true; do sleep 1; done"))
    p = wait_for(lambda: (lambda p: p if container_status(p).get("ready") else None)(pod_json(k, "survivor")),
                 timeout=60)
    assert p
    before = container_status(p)
    state["kubelet"].send_signal(signal.SIGKILL)
    state["kubelet"].wait(10)
    state["kubelet"] = spawn_kyb("kubelet", *state["flags"], log_path=state["log"])
    time.sleep(3)   # the new kubelet syncs the pod
    assert wait_for(lambda: _node_ready(k), timeout=30)
    after = container_status(pod_json(k, "survivor"))
    assert after["containerID"] == before["containerID"] and after["restartCount"] == 0
    assert after["state"]["running"]["startedAt"] == before["state"]["running"]["startedAt"]
    k("delete", "pod", "survivor")
