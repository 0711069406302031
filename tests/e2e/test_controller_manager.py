"""Two ``kyb controller-manager`` processes against one API server: one leads and acts,
the other waits; when the leader is killed (SIGKILL: no lease release) the other takes
over once the lease expires, and the controllers work under the new leader."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest

from .conftest import KUBECTL_PIP, Kubectl, start_cluster, start_controller_manager, stop_process, wait_for

pytestmark = pytest.mark.e2e

LEASE, RENEW, RETRY = 4.0, 3.0, 0.5   # shortened from 15/10/2 s so the test is quick


def start_manager(kubeconfig: Path, log_path: Path) -> subprocess.Popen:
    return start_controller_manager(
        kubeconfig, log_path, "--leader-elect-lease-duration", f"{LEASE}s", "--leader-elect-renew-deadline",
        f"{RENEW}s", "--leader-elect-retry-period", f"{RETRY}s", "--controllers", "replicaset,serviceaccount")




@pytest.fixture
def setup(tmp_path):
    cluster = start_cluster(tmp_path / "data")  # API server only
    logs = [tmp_path / "cm-a.log", tmp_path / "cm-b.log"]
    procs = [start_manager(cluster.kubeconfig, p) for p in logs]
    k = Kubectl(str(KUBECTL_PIP), cluster, tmp_path / "home")
    yield k, procs, logs
    for p in procs:
        stop_process(p)
    cluster.stop()


def lease(k: Kubectl) -> dict:
    p = k.run("get", "lease", "kube-controller-manager", "-n", "kube-system", "-o", "json", check=False)
    return json.loads(p.stdout)["spec"] if p.returncode == 0 else {}


def pods_of(k: Kubectl, ns: str, app: str) -> list[str]:
    out = k("get", "pods", "-n", ns, "-l", f"app={app}", "-o", "jsonpath={.items[*].metadata.name}")
    return out.split()


def replicaset(name: str, replicas: int) -> str:
    return json.dumps({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": name},
                       "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                                "template": {"metadata": {"labels": {"app": name}},
                                             "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}})


def test_one_leader_acts_and_the_other_takes_over_when_it_is_killed(setup):
    k, procs, logs = setup
    spec = wait_for(lambda: lease(k).get("holderIdentity") and lease(k))
    assert spec, "no controller manager acquired the lease"
    holder = spec["holderIdentity"]
    assert spec["leaseDurationSeconds"] == int(LEASE)

    found = wait_for(lambda: [i for i, p in enumerate(logs) if f"{holder} acquired lease" in p.read_text()])
    assert found, f"neither log names {holder} as acquiring the lease"
    (leader,) = found
    follower = 1 - leader

    # only the leader runs controllers; both manage one ReplicaSet without doubling pods
    k("create", "ns", "work")
    k("apply", "-n", "work", "-f", "-", input=replicaset("web", 3))
    assert wait_for(lambda: len(pods_of(k, "work", "web")) == 3)
    time.sleep(1.0)
    assert len(pods_of(k, "work", "web")) == 3
    assert "controller manager: running" in logs[leader].read_text()
    assert "controller manager: running" not in logs[follower].read_text()

    # kill -9: the lease is not released, the follower must wait for it to expire
    killed_at = time.monotonic()
    procs[leader].send_signal(signal.SIGKILL)
    procs[leader].wait(10)
    new = wait_for(lambda: (lease(k).get("holderIdentity") not in (None, holder)) and lease(k), timeout=60,
                   interval=0.05)
    took = time.monotonic() - killed_at
    assert new, "the surviving controller manager never took over"
    assert new["leaseTransitions"] == spec.get("leaseTransitions", 0) + 1
    print(f"take-over after {took:.2f} s (lease duration {LEASE} s, retry period {RETRY} s)")
    assert wait_for(lambda: "controller manager: running" in logs[follower].read_text())

    # the new leader's controllers act: a deleted pod is replaced, a new ReplicaSet gets pods
    victim = pods_of(k, "work", "web")[0]
    k("delete", "pod", victim, "-n", "work", "--wait=false")
    assert wait_for(lambda: victim not in pods_of(k, "work", "web") and len(pods_of(k, "work", "web")) == 3)
    k("apply", "-n", "work", "-f", "-", input=replicaset("api", 2))
    assert wait_for(lambda: len(pods_of(k, "work", "api")) == 2)
