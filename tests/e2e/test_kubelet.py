"""The kubelet on this machine, as root with runc: pods really run, driven with kubectl."""

from __future__ import annotations

import concurrent.futures
import contextlib
import fcntl
import http.client
import ipaddress
import json
import os
import pty
import random
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import termios
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.conftest import KUBECTL_MACHINE, KUBECTL_PIP, Kubectl, spawn_kyb, start_cluster, stop_process, wait_for
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


def start_kubelet(data, log_path, cidr: str, name: str = NODE, *extra: str) -> tuple[subprocess.Popen, list[str]]:
    """A ``kyb kubelet`` for the cluster on ``data``, with busybox:1.36 to import at start."""
    images = data / "agent" / "images"
    images.mkdir(parents=True, exist_ok=True)
    busybox_image().oci_archive(images / "busybox.tar", "busybox:1.36")
    flags = ["--data-dir", str(data), "--hostname-override", name, "--cluster-cidr", cidr,
             "--cgroup-root", f"/kyb-e2e-{os.getpid()}-{name}", "--port", "0", "--sync-frequency", "2", *extra]
    return spawn_kyb("kubelet", *flags, log_path=log_path), flags


def teardown_kubelet(proc: subprocess.Popen, flags: list[str]) -> None:
    stop_process(proc)
    subprocess.run([sys.executable, "-m", "kybernetes.cli.main", "kubelet", "--teardown", *flags],
                   capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    base = tmp_path_factory.mktemp("kyb-node")
    data = base / "data"
    cidr = free_cluster_cidr()
    cluster = start_cluster(data, "--cluster-cidr", cidr, controllers=True, scheduler=True)
    kubelet, flags = start_kubelet(data, base / "kubelet.log", cidr)
    state = {"kubelet": kubelet, "flags": flags, "log": base / "kubelet.log", "cidr": cidr}
    try:
        k = Kubectl(str(KUBECTL_PIP), cluster, base)
        assert wait_for(lambda: node_ready(k), timeout=60), (base / "kubelet.log").read_text()[-3000:]
        yield k, state
    finally:
        teardown_kubelet(state["kubelet"], flags)
        cluster.stop()
        leftover = [line for line in Path("/proc/mounts").read_text().splitlines() if str(data) in line]
        assert not leftover, f"mounts left behind: {leftover}"


def node_ready(k: Kubectl, name: str = NODE) -> bool:
    p = k.run("get", "node", name, "-o", "json", check=False)
    if p.returncode != 0:
        return False
    conds = {c["type"]: c["status"] for c in json.loads(p.stdout)["status"].get("conditions", [])}
    return conds.get("Ready") == "True"


def pod_json(k: Kubectl, name: str, ns: str = "default") -> dict:
    p = k.run("get", "pod", name, "-n", ns, "-o", "json", check=False)
    return json.loads(p.stdout) if p.returncode == 0 else {}


def in_phase(k: Kubectl, name: str, *phases: str) -> dict | None:
    """The pod, once it is in one of ``phases``."""
    p = pod_json(k, name)
    return p if p.get("status", {}).get("phase") in phases else None


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
    # the next crash doubles the delay
    longer = wait_for(lambda: (lambda cs: cs if "back-off 20s" in (cs.get("state") or {}).get("waiting", {}).get(
        "message", "") else None)(container_status(pod_json(k, "crash"))), timeout=60)
    assert longer and longer["restartCount"] >= 2, container_status(pod_json(k, "crash"))
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
    p = wait_for(lambda: in_phase(k, "inits", "Succeeded"), timeout=60)
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
    p = wait_for(lambda: in_phase(k, "hog", "Failed"), timeout=60)
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
    done = wait_for(lambda: in_phase(k, "fetch", "Succeeded", "Failed"), timeout=60)
    assert done and done["status"]["phase"] == "Succeeded", k("logs", "fetch", check=False)
    assert "hello-from-httpd" in k("logs", "fetch")
    # no way out of the node
    apply(k, simple_pod("outside", "nc -w 2 203.0.113.1 80 </dev/null 2>&1; echo rc=$?", restartPolicy="Never"))
    assert wait_for(lambda: in_phase(k, "outside", "Succeeded"), timeout=60)
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


def events_of(k: Kubectl, name: str) -> str:
    return k("get", "events", "--field-selector", f"involvedObject.name={name}", "-o",
             "custom-columns=TYPE:.type,REASON:.reason,MESSAGE:.message")


def test_lifecycle_hooks_run_around_the_container(node):
    k, _ = node
    pod = simple_pod("hooked", "trap 'echo got TERM; exit 0' TERM; "
                     "until [ -f /tmp/poststart ]; do sleep 0.1; done; echo saw poststart; "
                     "until [ -f /tmp/prestop ]; do sleep 0.1; done; echo saw prestop; "
                     "while true; do sleep 0.1; done", terminationGracePeriodSeconds=20)
    pod["spec"]["containers"][0]["lifecycle"] = {
        "postStart": {"exec": {"command": ["touch", "/tmp/poststart"]}},
        "preStop": {"exec": {"command": ["sh", "-c", "touch /tmp/prestop; sleep 2"]}},
    }
    apply(k, pod)
    assert wait_for(lambda: "saw poststart" in k("logs", "hooked", check=False), timeout=60), \
        k("describe", "pod", "hooked")
    follow = k.popen("logs", "-f", "hooked")
    time.sleep(0.5)
    started = time.monotonic()
    k("delete", "pod", "hooked", "--wait=true", timeout=60)
    took = time.monotonic() - started
    follow.wait(10)
    lines = follow.stdout.read().split()
    assert "prestop" in lines and "TERM" in lines, lines
    assert lines.index("prestop") < lines.index("TERM"), f"SIGTERM came before the preStop hook ended: {lines}"
    assert 2 <= took < 15, f"deletion took {took:.1f}s: the preStop hook sleeps 2 s, then the container exits on TERM"


def test_failing_liveness_probe_restarts_the_container(node):
    k, _ = node
    pod = simple_pod("unwell", "touch /tmp/healthy; sleep 3; rm /tmp/healthy; while true; do sleep 1; done")
    pod["spec"]["containers"][0]["livenessProbe"] = {
        "exec": {"command": ["cat", "/tmp/healthy"]}, "initialDelaySeconds": 1, "periodSeconds": 1,
        "failureThreshold": 2}
    apply(k, pod)
    restarted = wait_for(lambda: (lambda cs: cs if cs.get("restartCount", 0) >= 1 else None)(
        container_status(pod_json(k, "unwell"))), timeout=60)
    assert restarted, k("describe", "pod", "unwell")
    # sh as pid 1 ignores SIGTERM, so the 2 s grace ends in SIGKILL
    assert restarted["lastState"]["terminated"]["exitCode"] == 137
    events = events_of(k, "unwell")
    assert "Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory" in events, events
    assert "Container main failed liveness probe, will be restarted" in events, events
    k("delete", "pod", "unwell")


def test_readiness_probe_gates_ready(node):
    k, _ = node
    pod = simple_pod("gated", "mkdir -p /www; httpd -f -p 8080 -h /www & sleep 5; echo ok > /www/ready; "
                     "sleep 6; rm /www/ready; while true; do sleep 1; done")
    main = pod["spec"]["containers"][0]
    main["ports"] = [{"name": "http", "containerPort": 8080}]
    main["readinessProbe"] = {"httpGet": {"path": "/ready", "port": "http"}, "periodSeconds": 1,
                              "failureThreshold": 1}
    apply(k, pod)
    running = wait_for(lambda: (lambda p: p if container_status(p).get("state", {}).get("running") else None)(
        pod_json(k, "gated")), timeout=60)
    assert running, k("describe", "pod", "gated")
    assert container_status(running)["ready"] is False
    assert {c["type"]: c["status"] for c in running["status"]["conditions"]}["Ready"] == "False"
    assert " 0/1 " in k("get", "pod", "gated")
    assert wait_for(lambda: container_status(pod_json(k, "gated")).get("ready"), timeout=20), \
        k("describe", "pod", "gated")
    assert " 1/1 " in k("get", "pod", "gated")
    assert wait_for(lambda: container_status(pod_json(k, "gated")).get("ready") is False, timeout=20)
    assert container_status(pod_json(k, "gated"))["restartCount"] == 0   # readiness never restarts
    assert "Readiness probe failed: HTTP probe failed with statuscode: 404" in events_of(k, "gated")
    k("delete", "pod", "gated")


def test_volumes_reach_the_containers(node, tmp_path):
    k, _ = node
    k("create", "configmap", "app-config", "--from-literal=greeting=hello", "--from-literal=mode=dark")
    k("create", "secret", "generic", "app-secret", "--from-literal=password=s3cret")
    (tmp_path / "hello.txt").write_text("from-the-host")
    script = ("echo greeting=$(cat /cfg/greeting); echo mode=$(cat /etc/mode); "
              "echo secret=$(cat /secret/password) $(stat -L -c %a /secret/password); "
              "echo name=$(cat /pod/name) labels=$(cat /pod/labels | tr '\\n' ,); "
              "echo host=$(cat /host/hello.txt); echo shared > /scratch/x && echo scratch=$(cat /scratch/x); "
              "touch /cfg/new 2>/dev/null || echo cfg-read-only; "
              "grep -q ' /cache tmpfs ' /proc/mounts && echo cache=tmpfs; "
              "while true; do echo now=$(cat /cfg/greeting); sleep 1; done")
    pod = simple_pod("vols", script)
    pod["metadata"]["labels"] = {"app": "vols", "tier": "web"}
    pod["spec"]["volumes"] = [
        {"name": "cfg", "configMap": {"name": "app-config"}},
        {"name": "secret", "secret": {"secretName": "app-secret", "defaultMode": 0o400}},
        {"name": "pod", "downwardAPI": {"items": [{"path": "name", "fieldRef": {"fieldPath": "metadata.name"}},
                                                  {"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}]}},
        {"name": "host", "hostPath": {"path": str(tmp_path), "type": "Directory"}},
        {"name": "scratch", "emptyDir": {}},
        {"name": "cache", "emptyDir": {"medium": "Memory", "sizeLimit": "8Mi"}},
    ]
    pod["spec"]["containers"][0]["volumeMounts"] = [
        {"name": "cfg", "mountPath": "/cfg"}, {"name": "cfg", "mountPath": "/etc/mode", "subPath": "mode"},
        {"name": "secret", "mountPath": "/secret"}, {"name": "pod", "mountPath": "/pod"},
        {"name": "host", "mountPath": "/host", "readOnly": True}, {"name": "scratch", "mountPath": "/scratch"},
        {"name": "cache", "mountPath": "/cache"}]
    apply(k, pod)
    assert wait_for(lambda: "now=hello" in k("logs", "vols", check=False), timeout=60), \
        (k("describe", "pod", "vols"), k("logs", "vols", check=False))
    out = k("logs", "vols").splitlines()
    for line in ("greeting=hello", "mode=dark", "secret=s3cret 400", "name=vols labels=app=\"vols\",tier=\"web\"",
                 "host=from-the-host", "scratch=shared", "cfg-read-only", "cache=tmpfs"):
        assert line in out, (line, out)
    # a ConfigMap change reaches the mounted file (--sync-frequency 2 here; upstream's default is a minute)
    k("patch", "configmap", "app-config", "-p", '{"data": {"greeting": "bonjour"}}')
    assert wait_for(lambda: "now=bonjour" in k("logs", "vols", "--tail=3"), timeout=30), k("logs", "vols", "--tail=5")
    k("delete", "pod", "vols")
    k("delete", "configmap", "app-config")
    k("delete", "secret", "app-secret")


def test_an_empty_dir_over_its_size_limit_gets_the_pod_evicted(node):
    k, _ = node
    pod = simple_pod("hoarder", "echo filling; dd if=/dev/zero of=/scratch/big bs=1024 count=3072; sleep 600")
    pod["spec"]["volumes"] = [{"name": "scratch", "emptyDir": {"sizeLimit": "1Mi"}}]
    pod["spec"]["containers"][0]["volumeMounts"] = [{"name": "scratch", "mountPath": "/scratch"}]
    apply(k, pod)
    p = wait_for(lambda: in_phase(k, "hoarder", "Failed"), timeout=60)   # measured every 10 s
    message = 'Usage of EmptyDir volume "scratch" exceeds the limit "1Mi". '
    assert p and (p["status"].get("reason"), p["status"].get("message")) == ("Evicted", message), p.get("status")
    assert "terminated" in container_status(p)["state"], container_status(p)
    events = k.json("get", "events", "--field-selector", "involvedObject.name=hoarder")["items"]
    assert any((e["type"], e["reason"], e["message"]) == ("Warning", "Evicted", message) for e in events), events
    k("delete", "pod", "hoarder")


def test_projected_service_account_token(node):
    k, _ = node
    pod = simple_pod("tokened", "cat /var/run/secrets/kubernetes.io/serviceaccount/token; echo; "
                     "echo ns=$(cat /var/run/secrets/kubernetes.io/serviceaccount/namespace); "
                     "grep -c CERTIFICATE /var/run/secrets/kubernetes.io/serviceaccount/ca.crt; sleep 600")
    pod["spec"]["serviceAccountName"] = "default"   # (set by ServiceAccount admission upstream, not here yet)
    pod["spec"]["volumes"] = [{"name": "kube-api-access", "projected": {"defaultMode": 0o644, "sources": [
        {"serviceAccountToken": {"path": "token", "expirationSeconds": 3607}},
        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
        {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"fieldPath": "metadata.namespace"}}]}}]}}]
    pod["spec"]["containers"][0]["volumeMounts"] = [
        {"name": "kube-api-access", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "readOnly": True}]
    assert wait_for(lambda: k.run("get", "serviceaccount", "default", check=False).returncode == 0, timeout=30)
    apply(k, pod)
    assert wait_for(lambda: "ns=default" in k("logs", "tokened", check=False), timeout=60), \
        (k("describe", "pod", "tokened"), k("logs", "tokened", check=False))
    token, ns_line, certs = k("logs", "tokened").splitlines()[:3]
    assert ns_line == "ns=default" and int(certs) >= 2     # BEGIN and END CERTIFICATE
    # the token is the pod's: the API server says who it is, and that it is bound to this pod
    review = json.loads(k("create", "-f", "-", "-o", "json", input=json.dumps(
        {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": {"token": token}})))
    user = review["status"]["user"]
    assert review["status"]["authenticated"] is True
    assert user["username"] == "system:serviceaccount:default:default"
    assert user["extra"]["authentication.kubernetes.io/pod-name"] == ["tokened"]
    k("delete", "pod", "tokened")
    gone = json.loads(k("create", "-f", "-", "-o", "json", input=json.dumps(
        {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": {"token": token}})))
    assert not gone["status"].get("authenticated"), "a deleted pod's token must stop working"


def test_pods_reach_the_api_server_with_their_token(node, tmp_path):
    k, state = node
    # busybox's wget speaks TLS through openssl when the image has it (see busybox_image)
    busybox_image(openssl=True).oci_archive(tmp_path / "tls.tar", "busybox-openssl:1")
    data_dir = state["flags"][state["flags"].index("--data-dir") + 1]
    subprocess.run([sys.executable, "-m", "kybernetes.cli.main", "images", "--data-dir", data_dir,
                    "import", str(tmp_path / "tls.tar")], check=True, capture_output=True, timeout=120)
    pod = simple_pod("caller", "sleep 600")
    pod["spec"]["containers"][0]["image"] = "busybox-openssl:1"
    apply(k, pod)
    assert wait_for(lambda: container_status(pod_json(k, "caller")).get("ready"), timeout=60)
    env = dict(line.split("=", 1) for line in k("exec", "caller", "--", "env").splitlines() if "=" in line)
    ip = json.loads(k("get", "service", "kubernetes", "-o", "json"))["spec"]["clusterIP"]
    assert (env["KUBERNETES_SERVICE_HOST"], env["KUBERNETES_SERVICE_PORT"]) == (ip, "443"), env
    assert env["KUBERNETES_PORT_443_TCP"] == f"tcp://{ip}:443" and env["KUBERNETES_SERVICE_PORT_HTTPS"] == "443"
    sa = "/var/run/secrets/kubernetes.io/serviceaccount"
    # the API server's own certificate, end to end, valid for the service IP under the cluster CA
    verify = k("exec", "caller", "--", "sh", "-c",
               f"openssl s_client -connect {ip}:443 -CAfile {sa}/ca.crt -verify_ip {ip} -verify_return_error "
               "</dev/null 2>&1")
    assert "Verify return code: 0 (ok)" in verify, verify
    # known by the pod's own token, not the kubelet's credentials
    url = "https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT/api/v1/namespaces/default/pods/caller"
    got = k("exec", "caller", "--", "sh", "-c",
            f'wget -q -O - --no-check-certificate --header "Authorization: Bearer $(cat {sa}/token)" {url}')
    assert json.loads(got)["metadata"]["name"] == "caller", got
    denied = k.run("exec", "caller", "--", "sh", "-c",
                   f'wget -q -S -O - --no-check-certificate --header "Authorization: Bearer forged" {url} 2>&1',
                   check=False)
    assert "401 Unauthorized" in denied.stdout, denied.stdout
    k("delete", "pod", "caller")


def test_a_missing_configmap_holds_the_pod_until_it_exists(node):
    k, _ = node
    pod = simple_pod("waits", "cat /cfg/key; echo; sleep 600")   # (a line without its newline stays unlogged, as with containerd)
    pod["spec"]["volumes"] = [{"name": "cfg", "configMap": {"name": "later"}}]
    pod["spec"]["containers"][0]["volumeMounts"] = [{"name": "cfg", "mountPath": "/cfg"}]
    apply(k, pod)
    assert wait_for(lambda: 'MountVolume.SetUp failed for volume "cfg" : configmap "later" not found'
                    in events_of(k, "waits"), timeout=60), events_of(k, "waits")
    waiting = container_status(pod_json(k, "waits")).get("state", {}).get("waiting", {})
    assert waiting.get("reason") == "ContainerCreating", waiting
    k("create", "configmap", "later", "--from-literal=key=arrived")
    assert wait_for(lambda: "arrived" in k("logs", "waits", check=False), timeout=60), \
        (k("logs", "waits", check=False), k("get", "pod", "waits", "-o", "yaml"))
    k("delete", "pod", "waits")
    k("delete", "configmap", "later")


def test_exec_runs_commands_in_the_container(node):
    k, _ = node
    apply(k, simple_pod("shell", "while true; do sleep 1; done"))
    assert wait_for(lambda: container_status(pod_json(k, "shell")).get("ready"), timeout=60)
    p = k.run("exec", "shell", "--", "sh", "-c", "echo out; echo err >&2; cat /etc/hostname")
    assert p.stdout.split() == ["out", "shell"] and p.stderr.strip() == "err", (p.stdout, p.stderr)
    # every pod gets its service account's token (ServiceAccount admission + the kubelet's projection)
    mounted = k("exec", "shell", "--", "sh", "-c", "cat /var/run/secrets/kubernetes.io/serviceaccount/namespace; "
                "echo; head -c 3 /var/run/secrets/kubernetes.io/serviceaccount/token")
    assert mounted.split() == ["default", "eyJ"], mounted
    failed = k.run("exec", "shell", "--", "sh", "-c", "exit 3", check=False)
    assert failed.returncode == 3 and "command terminated with exit code 3" in failed.stderr, failed.stderr
    piped = k.run("exec", "-i", "shell", "--", "sh", "-c", "tr a-z A-Z; echo done", input="hello\nworld\n")
    assert piped.stdout.split() == ["HELLO", "WORLD", "done"], piped.stdout
    big = k.run("exec", "shell", "--", "sh", "-c", "head -c 300000 /dev/zero | tr '\\0' x")
    assert big.stdout == "x" * 300000
    k133 = Kubectl(str(KUBECTL_MACHINE), k.cluster, k.home)   # the machine's kubectl 1.33: WebSocket v5 too
    assert k133.run("exec", "shell", "--", "echo", "from-1.33").stdout.strip() == "from-1.33"
    # SPDY/3.1, as kubectl up to 1.29 streams (the API server bridges it to the kubelet's WebSocket)
    spdy = {**k.env(), "KUBECTL_REMOTE_COMMAND_WEBSOCKETS": "false"}
    for binary in (k.binary, str(KUBECTL_MACHINE)):
        done = subprocess.run([binary, "exec", "-i", "shell", "--", "sh", "-c", "tr a-z A-Z; echo err >&2; exit 4"],
                              input="over spdy\n", capture_output=True, text=True, env=spdy, timeout=60)
        assert (done.stdout, done.returncode) == ("OVER SPDY\n", 4), (binary, done.stdout, done.stderr)
        assert "err" in done.stderr and "command terminated with exit code 4" in done.stderr, done.stderr
    big = subprocess.run([k.binary, "exec", "shell", "--", "sh", "-c", "head -c 300000 /dev/zero | tr '\\0' y"],
                         capture_output=True, text=True, env=spdy, timeout=60)
    assert big.stdout == "y" * 300000, (len(big.stdout), big.stderr)
    # kubectl cp runs tar through exec, both ways
    src = k.home / "cp-src"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_text("alpha\n")
    (src / "sub" / "b.txt").write_text("beta\n")
    k("cp", str(src), "shell:/tmp/copied")
    assert k("exec", "shell", "--", "cat", "/tmp/copied/a.txt", "/tmp/copied/sub/b.txt").split() == ["alpha", "beta"]
    k("cp", "shell:/tmp/copied", str(k.home / "cp-back"))
    assert (k.home / "cp-back" / "sub" / "b.txt").read_text() == "beta\n"
    wrong = k.run("exec", "shell", "-c", "nope", "--", "true", check=False)
    assert wrong.returncode != 0 and "container nope is not valid for pod shell" in wrong.stderr, wrong.stderr
    apply(k, simple_pod("finished", "true", restartPolicy="Never"))
    assert wait_for(lambda: in_phase(k, "finished", "Succeeded"), timeout=60)
    done = k.run("exec", "finished", "--", "true", check=False)
    assert "cannot exec into a container in a completed pod; current phase is Succeeded" in done.stderr, done.stderr
    k("delete", "pod", "shell", "finished")


def run_in_terminal(argv: list[str], env: dict, script: list[tuple[str, str]], *, rows: int, cols: int,
                    resize: tuple[int, int] | None = None, timeout: float = 30) -> tuple[str, int]:
    """Run ``argv`` on a pseudo-terminal of ``rows``×``cols``: for each (wait-for, send)
    step, wait until the output shows ``wait-for``, then type ``send`` (a ``None`` send
    resizes the terminal to ``resize`` first). The whole output and the exit code."""
    pid, fd = pty.fork()
    if pid == 0:   # the child: kubectl on the terminal
        os.execve(argv[0], argv, env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    out = b""
    deadline = time.monotonic() + timeout
    try:
        for wait, send in script:
            while wait.encode() not in out:
                assert time.monotonic() < deadline, out.decode(errors="replace")
                ready, _, _ = select.select([fd], [], [], 0.2)
                if ready:
                    try:
                        out += os.read(fd, 4096)
                    except OSError:
                        break
            if send is None:
                fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", resize[0], resize[1], 0, 0))
                os.kill(pid, signal.SIGWINCH)
                time.sleep(0.5)
            else:
                os.write(fd, send.encode())
        while True:   # the rest, until kubectl exits
            assert time.monotonic() < deadline, out.decode(errors="replace")
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
        _, status = os.waitpid(pid, 0)
    finally:
        with contextlib.suppress(ProcessLookupError, ChildProcessError):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)
    return out.decode(errors="replace"), os.waitstatus_to_exitcode(status)


def test_exec_with_a_terminal(node):
    k, _ = node
    apply(k, simple_pod("term", "while true; do sleep 1; done"))
    assert wait_for(lambda: container_status(pod_json(k, "term")).get("ready"), timeout=60)
    out, code = run_in_terminal(
        [k.binary, "exec", "-it", "term", "--", "sh"], k.env(),
        [("# ", "stty size; tty\r"), ("/dev/pts/", None), ("# ", "stty size; exit 7\r")],
        rows=30, cols=100, resize=(40, 120))
    assert code == 7, out
    assert "30 100" in out and "/dev/pts/" in out, out       # the terminal's size and a real pty
    assert "40 120" in out, out                             # the resize reached the container
    k("delete", "pod", "term")


def test_attach_and_run_interactively(node):
    k, _ = node
    # run -i --rm: kubectl feeds the pod's stdin (stdinOnce), shows its output, then deletes it
    p = k.run("run", "upper", "-i", "--rm", "--restart=Never", "--image=busybox:1.36",
              "--image-pull-policy=IfNotPresent", "--", "sh", "-c", "tr a-z A-Z", input="hello attach\n",
              timeout=120)
    assert "HELLO ATTACH" in p.stdout, (p.stdout, p.stderr)
    assert wait_for(lambda: k.run("get", "pod", "upper", check=False).returncode != 0, timeout=60)
    spdy = subprocess.run([k.binary, "run", "lower", "-i", "--rm", "--restart=Never", "--image=busybox:1.36",
                           "--image-pull-policy=IfNotPresent", "--", "sh", "-c", "tr A-Z a-z"], input="OVER SPDY\n",
                          capture_output=True, text=True, env={**k.env(), "KUBECTL_REMOTE_COMMAND_WEBSOCKETS": "false"},
                          timeout=120)
    assert "over spdy" in spdy.stdout, (spdy.stdout, spdy.stderr)
    # attach to what a running container prints from now on
    apply(k, simple_pod("talker", "i=0; while true; do i=$((i+1)); echo line $i; sleep 0.2; done"))
    assert wait_for(lambda: container_status(pod_json(k, "talker")).get("ready"), timeout=60)
    time.sleep(1)
    lines = attached_lines(k, "talker")
    numbers = [int(line.split()[1]) for line in lines]
    assert numbers == list(range(numbers[0], numbers[0] + 3)) and numbers[0] > 2, lines   # live, not from the start
    no_stdin = k.run("attach", "-i", "talker", check=False, input="x\n", timeout=30)
    assert no_stdin.returncode != 0 and "has no stdin to attach to" in no_stdin.stderr, no_stdin.stderr
    k("delete", "pod", "talker")


def test_run_and_attach_with_a_terminal(node):
    k, _ = node
    # run -it --rm: the container has a terminal of its own, which kubectl attaches to
    for env in ({}, {"KUBECTL_REMOTE_COMMAND_WEBSOCKETS": "false"}):
        out, code = run_in_terminal(
            [k.binary, "run", "typist", "-it", "--rm", "--restart=Never", "--image=busybox:1.36",
             "--image-pull-policy=IfNotPresent", "--", "sh"], {**k.env(), **env},
            [("try pressing enter", "\r"), ("# ", "tty; stty size\r"), ("/dev/pts/", None),
             ("# ", "stty size; exit 5\r")], rows=30, cols=100, resize=(40, 120), timeout=90)
        assert code == 5, (env, out)
        assert "30 100" in out and "40 120" in out, (env, out)    # the size, then the resize
        assert 'pod "typist" deleted' in out, (env, out)
        assert wait_for(lambda: k.run("get", "pod", "typist", check=False).returncode != 0, timeout=60)


def test_debug_with_an_ephemeral_container(node):
    k, _ = node
    apply(k, simple_pod("patient", "exec sleep 600"))
    assert wait_for(lambda: container_status(pod_json(k, "patient")).get("ready"), timeout=60)
    # one command: it sees the target's processes, its output comes back
    done = k.run("debug", "patient", "-i", "--image=busybox:1.36", "--target=main", "--",
                 "sh", "-c", "read go; ps; echo from-the-debugger", input="go\n", timeout=90)
    assert "from-the-debugger" in done.stdout and "sleep 600" in done.stdout, (done.stdout, done.stderr)
    name = re.search(r"Defaulting debug container name to (debugger-\w+)\.", done.stdout + done.stderr)[1]
    pod = pod_json(k, "patient")
    [spec] = pod["spec"]["ephemeralContainers"]
    assert spec["name"] == name and spec["targetContainerName"] == "main"
    [status] = pod["status"]["ephemeralContainerStatuses"]
    assert status["state"]["terminated"]["exitCode"] == 0 and status["ready"] is False, status
    time.sleep(2.5)   # never restarted
    assert pod_json(k, "patient")["status"]["ephemeralContainerStatuses"][0]["restartCount"] == 0
    # a shell on a terminal
    out, code = run_in_terminal(
        [k.binary, "debug", "-it", "patient", "--image=busybox:1.36", "--target=main", "--", "sh"], k.env(),
        [("try pressing enter", "\r"), ("# ", "stty size; ps\r"), ("sleep 600", None),
         ("# ", "stty size; exit\r")], rows=30, cols=100, resize=(40, 120), timeout=90)
    assert code == 0 and "30 100" in out and "40 120" in out, out
    assert len(pod_json(k, "patient")["status"]["ephemeralContainerStatuses"]) == 2
    # what the subresource refuses, and changes nothing
    refused = {
        "remove": k.run("patch", "pod", "patient", "--subresource=ephemeralcontainers", "--type=json",
                        "-p", '[{"op": "remove", "path": "/spec/ephemeralContainers/0"}]', check=False),
        "ports": k.run("patch", "pod", "patient", "--subresource=ephemeralcontainers", "-p", json.dumps(
            {"spec": {"ephemeralContainers": [{"name": "x", "image": "busybox:1.36",
                                               "ports": [{"containerPort": 80}]}]}}), check=False),
        "target": k.run("debug", "patient", "--image=busybox:1.36", "--target=nope", "--", "true", check=False),
    }
    assert f'existing ephemeral containers "{name}" may not be removed' in refused["remove"].stderr, refused
    assert "ports: Forbidden: cannot be set for an Ephemeral Container" in refused["ports"].stderr, refused
    assert 'targetContainerName: Not found: "nope"' in refused["target"].stderr, refused
    assert len(pod_json(k, "patient")["spec"]["ephemeralContainers"]) == 2
    born_with = simple_pod("born-with", "true")
    born_with["spec"]["ephemeralContainers"] = [{"name": "x", "image": "busybox:1.36"}]
    created = k.run("create", "-f", "-", input=json.dumps(born_with), check=False)
    assert "spec.ephemeralContainers: Forbidden: cannot be set on create" in created.stderr, created.stderr
    k("delete", "pod", "patient")


def test_debug_a_node(node):
    k, _ = node
    # kubectl debug node/: a pod on the node's network, PIDs and IPC, with its root at /host
    # (it reads its stdin first: its output then comes once kubectl has attached)
    p = k.run("debug", f"node/{NODE}", "-i", "--image=busybox:1.36", "--", "sh", "-c",
              "read go; hostname; ps -o args | grep -c '[k]ybernetes.cli.main kubelet'; ip -o link | grep -c ': kyb'; "
              "test -d /host/proc/1 && echo host-root", input="go\n", timeout=90)
    lines = [line for line in p.stdout.splitlines() if not line.startswith("Creating debugging pod")]
    assert lines[:1] == [socket.gethostname()], (p.stdout, p.stderr)     # the node's hostname, not the pod's
    assert int(lines[1]) >= 1 and int(lines[2]) >= 1 and lines[3] == "host-root", p.stdout   # the kubelet, the bridge
    name = re.search(r"Creating debugging pod (\S+) ", p.stdout + p.stderr)[1]
    k("delete", "pod", name)


def attached_lines(k: Kubectl, pod: str, count: int = 3) -> list[str]:
    """The next ``count`` lines a running container prints, read through ``kubectl attach``."""
    attached = k.popen("attach", pod)
    try:
        return [attached.stdout.readline().strip() for _ in range(count)]
    finally:
        attached.kill()
        attached.communicate(timeout=10)


def forwarded_ports(forward: subprocess.Popen, count: int) -> dict[str, int]:
    """Remote port -> local port, from the first lines of a running ``kubectl port-forward``."""
    local: dict[str, int] = {}
    while len(local) < count:
        line = forward.stdout.readline()
        assert line, forward.stderr.read()
        if m := re.match(r"Forwarding from 127\.0\.0\.1:(\d+) -> (\d+)", line):
            local[m[2]] = int(m[1])
    return local


def fetch(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as resp:
        return resp.read().decode().strip()


def test_port_forward_to_a_pod(node):
    k, _ = node
    apply(k, simple_pod("pf", "mkdir -p /www && echo through-the-tunnel > /www/index.html && "
                        "dd if=/dev/zero of=/www/big bs=1024 count=3000 2>/dev/null && exec httpd -f -p 8080 -h /www"))
    assert wait_for(lambda: container_status(pod_json(k, "pf")).get("ready"), timeout=60)
    forward = k.popen("port-forward", "--address", "127.0.0.1", "pod/pf", ":8080", ":9999")
    try:
        local = forwarded_ports(forward, 2)
        with concurrent.futures.ThreadPoolExecutor(2) as pool:   # two connections at once
            assert list(pool.map(fetch, [local["8080"]] * 2)) == ["through-the-tunnel"] * 2
        with urllib.request.urlopen(f"http://127.0.0.1:{local['8080']}/big", timeout=20) as resp:
            assert len(resp.read()) == 3000 * 1024                # far beyond SPDY's 64 KiB window
        with pytest.raises((urllib.error.URLError, ConnectionError, http.client.HTTPException)):
            fetch(local["9999"])                                  # nothing listens there
        # kubectl reports the error and, like with any cluster (1.27 does too), ends the whole session
        forward.wait(20)
    finally:
        if forward.poll() is None:
            forward.kill()
        _, err = forward.communicate(timeout=10)
    assert "error forwarding port 9999 to pod" in err and "connection refused" in err, err
    # a new session works: the failure stayed with that connection; and plain SPDY (kubectl <= 1.30)
    for env in ({}, {"KUBECTL_PORT_FORWARD_WEBSOCKETS": "false"}):
        again = subprocess.Popen([k.binary, "port-forward", "--address", "127.0.0.1", "pod/pf", ":8080"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**k.env(), **env})
        try:
            port = forwarded_ports(again, 1)["8080"]
            assert fetch(port) == "through-the-tunnel", (env, again.stderr.read())
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/big", timeout=20) as resp:
                assert len(resp.read()) == 3000 * 1024
        finally:
            again.kill()
            again.communicate(timeout=10)
    k("delete", "pod", "pf")


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
    assert wait_for(lambda: node_ready(k), timeout=30)
    after = container_status(pod_json(k, "survivor"))
    assert after["containerID"] == before["containerID"] and after["restartCount"] == 0
    assert after["state"]["running"]["startedAt"] == before["state"]["running"]["startedAt"]
    k("delete", "pod", "survivor")


def test_logs_follow_tail_and_timestamps(node):
    k, _ = node
    apply(k, simple_pod("ticker", "i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.3; done"))
    assert wait_for(lambda: container_status(pod_json(k, "ticker")).get("ready"), timeout=60)
    follow = k.popen("logs", "-f", "ticker")
    try:
        lines = [follow.stdout.readline().strip() for _ in range(4)]
    finally:
        follow.kill()
        follow.wait()
    assert lines[:2] == ["tick 1", "tick 2"] and lines[3] == "tick 4", lines
    last = k("logs", "ticker", "--tail=1").splitlines()
    assert len(last) == 1 and last[0].startswith("tick ")
    stamped = k("logs", "ticker", "--timestamps", "--tail=2").splitlines()
    assert len(stamped) == 2 and all(" tick " in s and s.split(" ")[0].endswith("Z") for s in stamped), stamped
    bad = k.run("logs", "ticker", "-c", "nope", check=False)
    assert bad.returncode != 0 and "container nope is not valid for pod ticker" in bad.stderr
    k("delete", "pod", "ticker")


def test_active_deadline_fails_the_pod(node):
    k, _ = node
    apply(k, simple_pod("deadline", "while true; do sleep 1; done", activeDeadlineSeconds=2))
    p = wait_for(lambda: in_phase(k, "deadline", "Failed"), timeout=60)
    assert p, pod_json(k, "deadline").get("status")
    assert p["status"]["reason"] == "DeadlineExceeded"
    assert p["status"]["message"] == "Pod was active on the node longer than the specified deadline"
    assert container_status(p)["state"]["terminated"]["exitCode"] == 137   # sh as pid 1 ignores SIGTERM
    k("delete", "pod", "deadline")


def test_images_pulled_from_a_registry_and_pull_errors(node, tmp_path):
    from tests.registry import Registry

    k, _ = node
    registry = Registry(tmp_path)
    try:
        registry.push("team/bb", "v1", busybox_image(cmd=["sh", "-c", "echo pulled-and-ran; sleep 3600"]))
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "pulled"},
               "spec": {"terminationGracePeriodSeconds": 1,
                        "containers": [{"name": "main", "image": f"{registry.host}/team/bb:v1"}]}}
        apply(k, pod)
        assert wait_for(lambda: container_status(pod_json(k, "pulled")).get("ready"), timeout=60), \
            pod_json(k, "pulled").get("status")
        assert wait_for(lambda: "pulled-and-ran" in k("logs", "pulled"), timeout=10)
        events = k("get", "events", "--field-selector", "involvedObject.name=pulled")
        assert f'Pulling image "{registry.host}/team/bb:v1"' in events and "Successfully pulled image" in events
        missing = {**pod, "metadata": {"name": "missing"}}
        missing["spec"] = {**pod["spec"], "containers": [{"name": "main", "image": f"{registry.host}/team/nope:v1"}]}
        apply(k, missing)

        def backing_off():
            w = container_status(pod_json(k, "missing")).get("state", {}).get("waiting", {})
            return w if w.get("reason") == "ImagePullBackOff" else None
        assert wait_for(backing_off, timeout=60), pod_json(k, "missing").get("status")
        events = k("get", "events", "--field-selector", "involvedObject.name=missing")
        assert "Failed to pull image" in events and "Error: ErrImagePull" in events and "Back-off pulling image" in events
        k("delete", "pod", "pulled", "missing")
    finally:
        registry.stop()


def test_pods_of_a_silent_simulated_node_move_to_the_real_node(tmp_path):
    from .conftest import start_controller_manager
    from .test_node_failure import TOLERATE_2S
    from .test_sim import start_sim

    cidr = free_cluster_cidr()
    cluster = start_cluster(tmp_path / "data", "--cluster-cidr", cidr, scheduler=True)
    procs: list[subprocess.Popen] = []
    kubelet, flags = start_kubelet(tmp_path / "data", tmp_path / "kubelet.log", cidr, "kyb-real",
                                   "--node-lease-duration-seconds", "4")   # renewed every second
    try:
        procs.append(start_controller_manager(
            cluster.kubeconfig, tmp_path / "cm.log", "--leader-elect", "false", "--node-monitor-period", "0.5s",
            "--node-monitor-grace-period", "3s", "--node-eviction-rate", "10", "--cluster-cidr", cidr))
        sim = start_sim(cluster.kubeconfig, "--nodes", "1", "--name-prefix", "sim-", "--lease-renew-interval", "1s",
                        log_path=tmp_path / "sim.log")
        procs.append(sim)
        k = Kubectl(str(KUBECTL_PIP), cluster, tmp_path / "home")
        assert wait_for(lambda: "kyb-real" in k("get", "nodes") and all(
            line.split()[1] == "Ready" for line in k("get", "nodes", "--no-headers").splitlines()), timeout=60)
        prefer_sim = {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{
            "weight": 100, "preference": {"matchExpressions": [
                {"key": "kubernetes.io/hostname", "operator": "NotIn", "values": ["kyb-real"]}]}}]}}
        k("apply", "-f", "-", input=json.dumps({
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "moving"},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "moving"}},
                     "template": {"metadata": {"labels": {"app": "moving"}},
                                  "spec": {"tolerations": TOLERATE_2S, "affinity": prefer_sim,
                                           "terminationGracePeriodSeconds": 1,
                                           "containers": [{"name": "c", "image": "busybox:1.36",
                                                           "command": ["sh", "-c", "echo on $(hostname); sleep 3600"]}]}}}}))

        def running(node_prefix: str) -> list[dict]:
            items = k.json("get", "pods", "-l", "app=moving")["items"]
            return [p for p in items if p["status"].get("phase") == "Running" and not p["metadata"].get(
                "deletionTimestamp") and p["spec"].get("nodeName", "").startswith(node_prefix)]
        assert wait_for(lambda: len(running("sim-")) == 2, timeout=60), k("get", "pods", "-o", "wide")
        sim.send_signal(signal.SIGKILL)
        sim.wait()
        moved = wait_for(lambda: len(running("kyb-real")) == 2 and running("kyb-real"), timeout=90)
        assert moved, k("get", "pods", "-o", "wide")
        for p in moved:   # real containers now
            assert container_status(p, "c")["containerID"].startswith("runc://")
            assert wait_for(lambda: "on " in k("logs", p["metadata"]["name"]), timeout=10)
    finally:
        for p in procs:
            stop_process(p)
        teardown_kubelet(kubelet, flags)
        cluster.stop()
