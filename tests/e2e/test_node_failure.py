"""A node dies: two ``kyb sim`` processes play four nodes; one is killed (SIGKILL: its
leases simply stop). The node lifecycle controller marks its nodes Unknown and taints
them, the taint eviction controller evicts their pods once the pods' tolerationSeconds
are over, and the Deployment's pods all end up Running on the surviving nodes.
Timings are shortened: 3 s grace period, 2 s toleration."""

from __future__ import annotations

import json
import signal
import time

import pytest

from .conftest import KUBECTL_PIP, Kubectl, start_cluster, start_controller_manager, stop_process, wait_for
from .test_sim import start_sim

pytestmark = pytest.mark.e2e

TOLERATE_2S = [{"key": k, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 2}
               for k in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable")]


def deployment(replicas: int) -> str:
    return json.dumps({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                       "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                                "template": {"metadata": {"labels": {"app": "web"}},
                                             "spec": {"tolerations": TOLERATE_2S,
                                                      "containers": [{"name": "c", "image": "busybox"}]}}}})


def pods(k: Kubectl) -> list[dict]:
    return k.json("get", "pods", "-l", "app=web")["items"]


def test_pods_of_a_dead_node_are_replaced_on_the_live_ones(tmp_path):
    cluster = start_cluster(tmp_path / "data", scheduler=True)
    procs = []
    try:
        procs.append(start_controller_manager(
            cluster.kubeconfig, tmp_path / "cm.log", "--leader-elect", "false", "--node-monitor-period", "0.5s",
            "--node-monitor-grace-period", "3s", "--node-eviction-rate", "10"))
        doomed = start_sim(cluster.kubeconfig, "--nodes", "2", "--name-prefix", "doomed-", "--lease-renew-interval",
                           "1s", log_path=tmp_path / "sim-doomed.log")
        procs.append(doomed)
        procs.append(start_sim(cluster.kubeconfig, "--nodes", "2", "--name-prefix", "alive-",
                               "--lease-renew-interval", "1s", log_path=tmp_path / "sim-alive.log"))
        k = Kubectl(str(KUBECTL_PIP), cluster, tmp_path / "home")
        k("apply", "-f", "-", input=deployment(4))

        def running_on(prefix: str | None = None) -> list[dict]:
            return [p for p in pods(k) if p["status"].get("phase") == "Running"
                    and not p["metadata"].get("deletionTimestamp")
                    and (prefix is None or p["spec"]["nodeName"].startswith(prefix))]
        assert wait_for(lambda: len(running_on()) == 4, timeout=30, interval=0.5), "4 pods running"
        if not running_on("doomed-"):
            pytest.fail("the scheduler put no pod on the doomed nodes: "
                        f"{[p['spec']['nodeName'] for p in pods(k)]}")

        doomed.send_signal(signal.SIGKILL)
        doomed.wait()
        killed_at = time.monotonic()

        def doomed_nodes_tainted() -> bool:
            nodes = k.json("get", "nodes")["items"]
            dead = [n for n in nodes if n["metadata"]["name"].startswith("doomed-")]
            return all(any(t["key"] == "node.kubernetes.io/unreachable" and t["effect"] == "NoExecute"
                           for t in n["spec"].get("taints", [])) for n in dead)
        assert wait_for(doomed_nodes_tainted, timeout=30, interval=0.5), "unreachable NoExecute taints"
        statuses = k("get", "nodes", "--no-headers")
        assert all(line.split()[1] == "NotReady" for line in statuses.splitlines() if line.startswith("doomed-"))
        assert all(line.split()[1] == "Ready" for line in statuses.splitlines() if line.startswith("alive-"))

        assert wait_for(lambda: len(running_on("alive-")) == 4, timeout=60, interval=0.5), \
            f"4 pods running on the live nodes: {[(p['spec'].get('nodeName'), p['status'].get('phase')) for p in pods(k)]}"
        assert time.monotonic() - killed_at >= 3 + 2 - 1   # not before the grace period and the toleration
        events = k("get", "events", "--field-selector", "reason=TaintManagerEviction", "-o", "json")
        messages = [e["message"] for e in json.loads(events)["items"]]
        assert any(m.startswith("Marking for deletion Pod default/web-") for m in messages), messages
    finally:
        for p in procs:
            stop_process(p)
        cluster.stop()
