"""``kyb sim`` as a process next to a ``kyb server``: ``kubectl get nodes`` shows its
nodes Ready with the upstream columns, and it stops cleanly on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import threading
import time


from tests.e2e.conftest import KUBECTL_PIP, Kubectl, spawn_kyb

NODES = 20


def start_sim(kubeconfig, *args: str, log_path) -> subprocess.Popen:
    proc = spawn_kyb("sim", "--kubeconfig", str(kubeconfig), *args, log_path=log_path, stdout=subprocess.PIPE)
    assert proc.stdout is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline().decode()
        if line.startswith("kyb sim: ") and "ready" in line:
            threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
            return proc
        if not line and proc.poll() is not None:
            break
    proc.kill()
    proc.wait()
    raise AssertionError(f"kyb sim did not get ready:\n{log_path.read_text()}")


def test_kubectl_sees_simulated_nodes(cluster, tmp_path):
    k = Kubectl(str(KUBECTL_PIP), cluster, tmp_path)
    sim = start_sim(cluster.kubeconfig, "--nodes", str(NODES), "--name-prefix", "e2e-sim-", "--zones", "3",
                    "--lease-renew-interval", "1s", log_path=tmp_path / "sim.log")
    try:
        out = k("get", "nodes")
        lines = out.strip().splitlines()
        assert lines[0].split() == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
        rows = [line.split() for line in lines[1:]]
        assert len(rows) == NODES
        assert {r[0] for r in rows} == {f"e2e-sim-{i}" for i in range(NODES)}
        for row in rows:
            assert row[1] == "Ready" and row[2] == "<none>" and row[4].startswith("v1.")
        zones = k("get", "nodes", "-L", "topology.kubernetes.io/zone", "--no-headers").split()
        assert {"zone-0", "zone-1", "zone-2"} <= set(zones)
        leases = k("get", "leases", "-n", "kube-node-lease", "--no-headers").strip().splitlines()
        assert sum(1 for line in leases if line.startswith("e2e-sim-")) == NODES
    finally:
        sim.send_signal(signal.SIGTERM)
        try:
            rc = sim.wait(15)
        except subprocess.TimeoutExpired:
            sim.kill()
            sim.wait()
            raise
    assert rc == 0, (tmp_path / "sim.log").read_text()
