"""Scheduler benchmark, SchedulingBasic-like: N nodes, P pods with small requests and no
affinity; prints pods/s.

Usage: .venv/bin/python bench/scheduler.py [--case 2000x100] [--case 2000x1000] [--case 10000x5000]
                                           [--profile FILE]

For each case it starts a fresh ``kyb apiserver`` on a temporary data dir, creates the
Node objects directly (as upstream's scheduler_perf does: no kubelets, so nothing but
the scheduler writes while it is measured), creates the pods while no scheduler runs,
then starts ``kyb scheduler`` (no leader election) and watches bindings. Two figures:
pods/s from the first binding to the last (the scheduling rate), and from the
scheduler's start (including its informer sync). It also counts the Scheduled events
written: like client-go's, the event recorder drops events when its queue is full.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kybernetes.client import Client  # noqa: E402
from kybproc import start_kyb, stop  # noqa: E402


def node(i: int) -> dict:
    capacity = {"cpu": "32", "memory": "256Gi", "pods": "110"}
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": f"node-{i}", "labels": {"kubernetes.io/hostname": f"node-{i}",
                                                         "topology.kubernetes.io/zone": f"zone-{i % 3}"}},
            "status": {"capacity": capacity, "allocatable": capacity,
                       "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}]}}


def pod(i: int) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"pod-{i}"},
            "spec": {"containers": [{"name": "c", "image": "registry.local/pause:3.9",
                                     "resources": {"requests": {"cpu": "100m", "memory": "500Mi"}}}]}}


async def create_all(client: Client, plural: str, objects: list[dict], namespace: str = "") -> None:
    sem = asyncio.Semaphore(32)

    async def one(obj: dict) -> None:
        async with sem:
            await client.create("", "v1", plural, obj, namespace=namespace)
    await asyncio.gather(*(one(o) for o in objects))


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def run_case(pods: int, nodes: int, profile: str = "") -> None:
    tmp = Path(tempfile.mkdtemp(prefix="kyb-bench-sched-"))
    api, _ = start_kyb("apiserver", "--data-dir", str(tmp / "data"), "--https-port", "0", wait_for="kyb: serving on ")
    sched = None
    client = await Client.from_kubeconfig(str(tmp / "data" / "kubeconfig"), qps=0)
    try:
        await create_all(client, "nodes", [node(i) for i in range(nodes)])
        await client.create("", "v1", "namespaces", {"metadata": {"name": "bench"}})
        await create_all(client, "pods", [pod(i) for i in range(pods)], namespace="bench")
        listed = await client.list("", "v1", "pods", namespace="bench", limit=1)
        rv = listed["metadata"]["resourceVersion"]
        started = time.monotonic()
        # scheduler_perf lifts the client's rate limit to 5000 QPS; so do we
        sched, _ = start_kyb("scheduler", "--kubeconfig", str(tmp / "data" / "kubeconfig"), "--leader-elect", "false",
                             "--kube-api-qps", "5000", "--kube-api-burst", "5000", profile=profile)
        bound = 0
        first = last = 0.0
        cpu_first: tuple[float, float] | None = None
        while bound < pods:
            async for etype, obj in client.watch("", "v1", "pods", namespace="bench", resource_version=rv,
                                                 timeout_seconds=300):
                if etype == "MODIFIED" and obj["spec"].get("nodeName"):
                    rv = obj["metadata"]["resourceVersion"]
                    bound += 1  # each pod is bound once; later changes would come from a kubelet
                    last = time.monotonic()
                    if not first:
                        first = last
                        cpu_first = (cpu_seconds(sched.pid), cpu_seconds(api.pid))
                    if bound >= pods:
                        break
            if time.monotonic() - started > 600:
                break
        rate = (bound - 1) / (last - first) if last > first else float("nan")
        assert cpu_first is not None
        per_pod = [(cpu_seconds(p.pid) - c) / max(bound - 1, 1) * 1000 for p, c in zip((sched, api), cpu_first)]
        stop(sched)   # it flushes its event queue as it stops
        sched = None
        events = await client.list("", "v1", "events", namespace="bench")
        print(f"{pods} pods on {nodes} nodes: {bound} bound; {rate:.0f} pods/s from the first binding "
              f"({last - first:.2f} s); {bound / (last - started):.0f} pods/s from the scheduler's start "
              f"({last - started:.2f} s); {len(events['items'])} Scheduled events written; CPU per pod while "
              f"binding: scheduler {per_pod[0]:.2f} ms, API server {per_pod[1]:.2f} ms", flush=True)
    finally:
        await client.close()
        if sched is not None:
            stop(sched)
        stop(api)
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--case", action="append", help="PODSxNODES (default: 2000x100, 2000x1000, 10000x5000)")
    ap.add_argument("--profile", default="", help="write the scheduler's cProfile data to this file (one case)")
    args = ap.parse_args()
    for case in args.case or ["2000x100", "2000x1000", "10000x5000"]:
        p, n = (int(x) for x in case.split("x"))
        asyncio.run(run_case(p, n, args.profile))


if __name__ == "__main__":
    main()
