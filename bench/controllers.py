"""Controller manager benchmark: a Deployment (or ReplicaSet) of N replicas -> seconds
until N pods exist, and until the owner's status reports them.

Usage: .venv/bin/python bench/controllers.py [--replicas 500] [--kind deployment|replicaset] [--runs 3]
                                             [--qps Q --burst B]

Starts its own ``kyb server`` (API server + controller manager child process, default
client rate limits; with ``--qps``/``--burst`` the controller manager runs as a separate
``kyb controller-manager`` with those limits instead) on a temporary data dir, and for each run creates the object in a
fresh namespace and watches pods from a separate client. The clock starts just before
the create request. There is no scheduler yet, so pods stay Pending: "exist" is the
figure (upstream's 24 s on this machine was "exist and bound").
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kybernetes.client import APIStatusError, Client  # noqa: E402
from kybproc import start_kyb, stop  # noqa: E402


def body(kind: str, name: str, replicas: int) -> dict:
    template = {"metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "c", "image": "registry.local/pause:1",
                                         "resources": {"requests": {"cpu": "10m", "memory": "10Mi"}}}]}}
    return {"apiVersion": "apps/v1", "kind": "Deployment" if kind == "deployment" else "ReplicaSet",
            "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}}, "template": template}}


async def wait_controllers_ready(client: Client) -> None:
    # the serviceaccount controller's work in "default" shows the manager is up and leading
    while True:
        try:
            await client.get("", "v1", "serviceaccounts", "default", namespace="default")
            return
        except APIStatusError:
            await asyncio.sleep(0.1)


async def one_run(client: Client, kind: str, replicas: int, run: int) -> tuple[float, float]:
    ns = f"bench-{run}"
    await client.create("", "v1", "namespaces", {"metadata": {"name": ns}})
    plural = "deployments" if kind == "deployment" else "replicasets"
    listed = await client.list("", "v1", "pods", namespace=ns)
    rv = listed["metadata"]["resourceVersion"]
    seen: set[str] = set()
    start = time.monotonic()
    await client.create("apps", "v1", plural, body(kind, "web", replicas), namespace=ns)
    pods_at = 0.0
    async for etype, obj in client.watch("", "v1", "pods", namespace=ns, resource_version=rv):
        if etype == "ADDED":
            seen.add(obj["metadata"]["name"])
            if len(seen) >= replicas:
                pods_at = time.monotonic() - start
                break
    while True:
        owner = await client.get("apps", "v1", plural, "web", namespace=ns)
        if (owner.get("status") or {}).get("replicas") == replicas:
            return pods_at, time.monotonic() - start
        await asyncio.sleep(0.05)


async def main_async(args: argparse.Namespace, data_dir: Path) -> None:
    client = await Client.from_kubeconfig(str(data_dir / "kubeconfig"), qps=0)  # the observer is unthrottled
    try:
        await wait_controllers_ready(client)
        for run in range(args.runs):
            pods_at, status_at = await one_run(client, args.kind, args.replicas, run)
            print(f"run {run + 1}: {args.replicas} pods exist after {pods_at:.2f} s; "
                  f"{args.kind} status.replicas={args.replicas} after {status_at:.2f} s", flush=True)
    finally:
        await client.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--replicas", type=int, default=500)
    ap.add_argument("--kind", choices=["deployment", "replicaset"], default="deployment")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--qps", type=float, help="run the controller manager separately with this client QPS")
    ap.add_argument("--burst", type=int, default=None, help="... and this burst")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kyb-bench-cm-"))
    procs = []
    server = ("--data-dir", str(tmp / "data"), "--https-port", "0")
    try:
        if args.qps is None:
            procs.append(start_kyb("server", *server, "--disable-agent", wait_for="kyb: serving on ")[0])
        else:
            procs.append(start_kyb("server", *server, "--disable-agent", "--disable-controller-manager", wait_for="kyb: serving on ")[0])
            limits = ["--kube-api-qps", str(args.qps)] + (["--kube-api-burst", str(args.burst)] if args.burst else [])
            procs.append(start_kyb("controller-manager", "--kubeconfig", str(tmp / "data" / "kubeconfig"), *limits)[0])
        asyncio.run(main_async(args, tmp / "data"))
    finally:
        for proc in reversed(procs):
            stop(proc)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
