"""Simulated nodes benchmark: what ``kyb sim`` costs at 1,000 and 5,000 nodes.

For each size it starts a fresh ``kyb apiserver`` (the API server alone, temporary
data dir) and a ``kyb sim --nodes N`` process with the default intervals (leases
renewed every 10 s, node status every 5 minutes), then prints:

* registration: process start to "nodes ready" (nodes and leases written);
* steady-state writes/s: the store's revision (one per write) over the window
  (expected: N/10 lease renewals plus N/300 node status reports);
* CPU% of the sim and of the API server over the window (100% = one core);
* the oldest lease renewTime at the end (must stay well under the 40 s lease).

Usage: .venv/bin/python bench/sim.py [--nodes 1000,5000] [--window 30]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kybernetes.client import Client  # noqa: E402
from kybproc import start_kyb, stop  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS   # utime + stime


def start(args: list[str], marker: str) -> tuple[subprocess.Popen, str, float]:
    began = time.monotonic()
    proc, line = start_kyb(*args, wait_for=marker)
    return proc, line, time.monotonic() - began


async def revision(client: Client) -> int:
    page = await client.list("", "v1", "namespaces", limit=1)
    return int(page["metadata"]["resourceVersion"])


async def oldest_lease_age(client: Client, prefix: str) -> tuple[int, float]:
    leases = (await client.list("coordination.k8s.io", "v1", "leases", namespace="kube-node-lease"))["items"]
    now = dt.datetime.now(dt.UTC)
    ages = [(now - dt.datetime.fromisoformat(le["spec"]["renewTime"].replace("Z", "+00:00"))).total_seconds()
            for le in leases if le["metadata"]["name"].startswith(prefix)]
    return len(ages), max(ages, default=0.0)


async def ready_nodes(client: Client) -> int:
    nodes = (await client.list("", "v1", "nodes"))["items"]
    return sum(1 for n in nodes for c in n["status"].get("conditions") or []
               if c["type"] == "Ready" and c["status"] == "True")


async def measure(nodes: int, window: float) -> dict:
    data = Path(tempfile.mkdtemp(prefix="kyb-bench-sim-"))
    server, _, _ = start(["apiserver", "--data-dir", str(data), "--https-port", "0"], "kyb: serving on ")
    try:
        kubeconfig = data / "kubeconfig"
        sim, line, took = start(["sim", "--kubeconfig", str(kubeconfig), "--nodes", str(nodes)], "kyb sim: ")
        try:
            client = await Client.from_kubeconfig(str(kubeconfig), qps=0)
            try:
                await asyncio.sleep(5)   # past the registration burst
                rev0, t0 = await revision(client), time.monotonic()
                sim0, srv0 = cpu_seconds(sim.pid), cpu_seconds(server.pid)
                await asyncio.sleep(window)
                rev1, t1 = await revision(client), time.monotonic()
                sim1, srv1 = cpu_seconds(sim.pid), cpu_seconds(server.pid)
                count, oldest = await oldest_lease_age(client, "kyb-sim-")
                ready = await ready_nodes(client)
            finally:
                await client.close()
        finally:
            stop(sim)
    finally:
        stop(server)
    span = t1 - t0
    return {"nodes": nodes, "registration_s": took, "reported": line, "writes_per_s": (rev1 - rev0) / span,
            "expected_per_s": nodes / 10 + nodes / 300,   # lease renewals + status reports
            "sim_cpu": 100 * (sim1 - sim0) / span,
            "server_cpu": 100 * (srv1 - srv0) / span, "leases": count, "oldest_lease_s": oldest, "ready": ready}


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--nodes", default="1000,5000")
    ap.add_argument("--window", type=float, default=30.0)
    args = ap.parse_args()
    print(f"{'nodes':>6} {'registration':>13} {'writes/s':>9} {'(expected)':>10} {'sim CPU':>8} "
          f"{'server CPU':>10} {'Ready':>6} {'oldest lease':>13}")
    for n in (int(x) for x in args.nodes.split(",")):
        r = await measure(n, args.window)
        print(f"{r['nodes']:>6} {r['registration_s']:>12.1f}s {r['writes_per_s']:>9.1f} {r['expected_per_s']:>10.1f} "
              f"{r['sim_cpu']:>7.1f}% {r['server_cpu']:>9.1f}% {r['ready']:>6} {r['oldest_lease_s']:>12.1f}s",
              flush=True)


if __name__ == "__main__":
    asyncio.run(main())
