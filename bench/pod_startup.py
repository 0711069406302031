"""Pod startup on the real kubelet: a Deployment of N busybox pods, from creation to
every pod Running and Ready, then deletion until every pod is gone.

Usage: .venv/bin/python bench/pod_startup.py [--pods 100] [--rate R] [--profile FILE]   (as root, with runc)

Starts its own ``kyb server --disable-agent`` and a separate ``kyb kubelet`` (so its CPU
time is its own) on a temporary data dir, with busybox imported at start, so image pulls
are excluded as in upstream's pod startup SLO (p99 <= 5 s). A pod's startup latency runs
from the moment a watch sees it ADDED (creationTimestamp has whole seconds only) to the
moment the watch sees it Running with every container ready. With ``--rate R`` it
creates N bare pods, R per second, instead of one Deployment (like the "latency pods"
of upstream's density test, which measure startup on a node that is not swamped).
``--profile`` runs the kubelet under cProfile. Everything it started is stopped and torn
down at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from kybernetes.client import APIStatusError, Client  # noqa: E402
from kybproc import start_kyb, stop  # noqa: E402
from tests.imagebuild import busybox_image  # noqa: E402

NODE = "bench-node"
TICK = os.sysconf("SC_CLK_TCK")


def unused_cidr() -> str:
    """A /16 under 10/8 that no route on this machine overlaps."""
    routes = subprocess.run(["ip", "-4", "route"], capture_output=True, text=True).stdout
    used = [ipaddress.ip_network(line.split()[0], strict=False) for line in routes.splitlines()
            if line and "/" in line.split()[0]]
    while True:
        cand = ipaddress.ip_network(f"10.{random.randrange(64, 250)}.0.0/16")
        if not any(cand.overlaps(n) for n in used):
            return str(cand)


def cpu_seconds(pid: int) -> tuple[float, float]:
    """(own, reaped children's) CPU seconds of a process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime, cutime, cstime = (int(f) for f in fields[11:15])
    return (utime + stime) / TICK, (cutime + cstime) / TICK


def tree_cpu_seconds(root: int) -> float:
    """CPU seconds of a process and its living descendants (the control plane's children)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                parents[int(entry)] = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                pass
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        try:
            total += sum(cpu_seconds(pid)[:1])
        except OSError:
            continue
        todo += [child for child, parent in parents.items() if parent == pid]
    return total


TEMPLATE = {"metadata": {"labels": {"app": "startup"}},
            "spec": {"terminationGracePeriodSeconds": 1,
                     "containers": [{"name": "sleep", "image": "busybox:1.36", "imagePullPolicy": "IfNotPresent",
                                     "command": ["sleep", "3600"]}]}}


def deployment(replicas: int) -> dict:
    template = TEMPLATE
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "startup"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "startup"}}, "template": template}}


def running_and_ready(pod: dict) -> bool:
    status = pod.get("status") or {}
    containers = status.get("containerStatuses") or []
    return status.get("phase") == "Running" and bool(containers) and all(c.get("ready") for c in containers)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


async def wait_ready(client: Client) -> None:
    while True:
        try:
            node = await client.get("", "v1", "nodes", NODE)
            if any(c["type"] == "Ready" and c["status"] == "True" for c in node["status"].get("conditions", [])):
                await client.get("", "v1", "serviceaccounts", "default", namespace="default")
                return
        except APIStatusError:
            pass
        await asyncio.sleep(0.2)


async def create_pods(client: Client, pods: int, rate: float) -> None:
    if not rate:
        await client.create("apps", "v1", "deployments", deployment(pods), namespace="default")
        return
    for i in range(pods):
        await client.create("", "v1", "pods", {**TEMPLATE, "metadata": {**TEMPLATE["metadata"], "name": f"startup-{i}"}},
                            namespace="default")
        await asyncio.sleep(1 / rate)


async def delete_pods(client: Client, names: set[str], rate: float) -> None:
    if not rate:
        await client.delete("apps", "v1", "deployments", "startup", namespace="default")
        return
    await asyncio.gather(*(client.delete("", "v1", "pods", name, namespace="default") for name in names))


async def measure(client: Client, pods: int, rate: float, kubelet_pid: int, server_pid: int) -> None:
    listed = await client.list("", "v1", "pods", namespace="default")
    rv = listed["metadata"]["resourceVersion"]
    seen: dict[str, float] = {}
    ready: dict[str, float] = {}
    cpu0 = cpu_seconds(kubelet_pid)
    plane0 = tree_cpu_seconds(server_pid)
    start = time.monotonic()
    creating = asyncio.create_task(create_pods(client, pods, rate))
    async for etype, pod in client.watch("", "v1", "pods", namespace="default", resource_version=rv):
        name = pod["metadata"]["name"]
        now = time.monotonic()
        seen.setdefault(name, now)
        if etype != "DELETED" and name not in ready and running_and_ready(pod):
            ready[name] = now
            if len(ready) >= pods:
                break
    await creating
    all_ready = time.monotonic() - start
    cpu1 = cpu_seconds(kubelet_pid)
    plane1 = tree_cpu_seconds(server_pid)
    latencies = [ready[n] - seen[n] for n in ready]
    what = f"the first of {pods} pods ({rate:g}/s) was" if rate else "the Deployment was"
    print(f"{pods} pods Running and Ready {all_ready:.2f} s after {what} created")
    print("pod startup latency (watch ADDED -> Running/Ready): "
          f"p50 {percentile(latencies, 0.5):.2f} s, p90 {percentile(latencies, 0.9):.2f} s, "
          f"p99 {percentile(latencies, 0.99):.2f} s, max {max(latencies):.2f} s")
    print(f"kubelet CPU while starting: {cpu1[0] - cpu0[0]:.1f} s own, {cpu1[1] - cpu0[1]:.1f} s reaped children "
          "(the per-container shims, which start the containers, live on)")
    print(f"control plane CPU while starting (API server, controller manager, scheduler): {plane1 - plane0:.1f} s",
          flush=True)

    listed = await client.list("", "v1", "pods", namespace="default")
    rv = listed["metadata"]["resourceVersion"]
    left = {p["metadata"]["name"] for p in listed["items"]}
    start = time.monotonic()
    await delete_pods(client, set(left), rate)
    async for etype, pod in client.watch("", "v1", "pods", namespace="default", resource_version=rv):
        if etype == "DELETED":
            left.discard(pod["metadata"]["name"])
            if not left:
                break
    cpu2 = cpu_seconds(kubelet_pid)
    print(f"all {pods} pods gone {time.monotonic() - start:.2f} s after the deletion "
          f"(grace period 1 s; `sleep` ignores SIGTERM, so each container ends by SIGKILL)")
    print(f"kubelet CPU while deleting: {cpu2[0] - cpu1[0]:.1f} s own, {cpu2[1] - cpu1[1]:.1f} s reaped children "
          "(the shims over their whole lives, runc run and delete)", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pods", type=int, default=100)
    ap.add_argument("--rate", type=float, default=0, help="create bare pods at this many per second")
    ap.add_argument("--profile", default="", help="write a cProfile of the kubelet to this file")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root: the benchmark measures the runc runtime with cgroups and a host bridge")
    tmp = Path(tempfile.mkdtemp(prefix="kyb-bench-pods-"))
    data = tmp / "data"
    (data / "agent" / "images").mkdir(parents=True)
    busybox_image().oci_archive(data / "agent" / "images" / "busybox.tar", "busybox:1.36")
    cidr = unused_cidr()
    kubelet_flags = ["--data-dir", str(data), "--hostname-override", NODE, "--cluster-cidr", cidr,
                     "--cgroup-root", f"/kyb-bench-{os.getpid()}", "--port", "0"]
    procs = []
    try:
        server, _ = start_kyb("server", "--data-dir", str(data), "--https-port", "0", "--disable-agent",
                              "--cluster-cidr", cidr, wait_for="kyb: serving on ")
        procs.append(server)
        kubelet, _ = start_kyb("kubelet", *kubelet_flags, profile=os.path.abspath(args.profile) if args.profile else "")
        procs.append(kubelet)

        async def run() -> None:
            client = await Client.from_kubeconfig(str(data / "kubeconfig"), qps=0)   # an unthrottled observer
            try:
                await asyncio.wait_for(wait_ready(client), 120)
                await measure(client, args.pods, args.rate, kubelet.pid, server.pid)
            finally:
                await client.close()
        asyncio.run(run())
    finally:
        for proc in reversed(procs):
            stop(proc)
        subprocess.run([sys.executable, "-m", "kybernetes.cli.main", "kubelet", "--teardown", *kubelet_flags],
                       cwd=ROOT, capture_output=True, timeout=300)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
