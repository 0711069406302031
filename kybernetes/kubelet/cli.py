"""``kyb kubelet``: the node agent on its own, with the kubelet's flag names.
``kyb server`` starts one as a child unless ``--disable-agent``.
``kyb kubelet --teardown`` kills the node's containers and removes its pod network."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
from pathlib import Path
from typing import Any

from ..api.quantity import parse_quantity
from .nodestatus import parse_resource_list

__all__ = ["add_kubelet_parser", "kubelet_config", "run_kubelet_command"]


def _labels(text: str) -> dict[str, str]:
    out = {}
    for item in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = item.partition("=")
        if not sep:
            raise argparse.ArgumentTypeError(f"{item!r}: expected key=value")
        out[key] = value
    return out


def _taints(text: str) -> list[dict]:
    out = []
    for item in filter(None, (p.strip() for p in text.split(","))):
        kv, sep, effect = item.rpartition(":")
        if not sep or effect not in ("NoSchedule", "PreferNoSchedule", "NoExecute"):
            raise argparse.ArgumentTypeError(f"{item!r}: expected key[=value]:Effect")
        key, _, value = kv.partition("=")
        taint = {"key": key, "effect": effect}
        if value:
            taint["value"] = value
        out.append(taint)
    return out


def _size(text: str) -> int:
    return int(parse_quantity(text))


def add_kubelet_parser(sub: Any) -> None:
    p = sub.add_parser("kubelet", help="run the node agent: register this machine and run its pods")
    p.add_argument("--data-dir", default=os.environ.get("KYB_DATA_DIR", str(Path.home() / ".kyb")),
                   help="where the node keeps images, containers and logs (default ~/.kyb)")
    p.add_argument("--kubeconfig", default="", help="kubeconfig of the API server (default <data-dir>/kubeconfig)")
    p.add_argument("--hostname-override", default="", help="the node's name (default: the hostname)")
    p.add_argument("--node-ip", default="", help="the node's InternalIP (default: its pod bridge's address)")
    p.add_argument("--cluster-cidr", default="10.42.0.0/16", help="the pods' address range, routed via the bridge")
    p.add_argument("--cluster-dns", default="", help="comma-separated DNS server IPs for pods (default none)")
    p.add_argument("--cluster-domain", default="cluster.local")
    p.add_argument("--system-reserved", type=parse_resource_list, default={}, help="e.g. cpu=100m,memory=100Mi")
    p.add_argument("--kube-reserved", type=parse_resource_list, default={}, help="e.g. cpu=100m,memory=100Mi")
    p.add_argument("--max-pods", type=int, default=110)
    p.add_argument("--pod-max-pids", type=int, default=-1, help="pids limit per container (-1: none)")
    p.add_argument("--cgroup-root", default="/kubepods", help="the cgroup under which pods' cgroups go")
    p.add_argument("--runc", default="runc", help="the runc binary")
    p.add_argument("--node-labels", type=_labels, default={}, help="key=value,... added to the node's labels")
    p.add_argument("--register-with-taints", type=_taints, default=[], help="key=value:Effect,...")
    p.add_argument("--container-log-max-size", type=_size, default=10 * 1024 * 1024,
                   help="rotate a container's log at this size (default 10Mi)")
    p.add_argument("--container-log-max-files", type=int, default=5)
    p.add_argument("--node-lease-duration-seconds", type=int, default=40,
                   help="the node Lease's duration; it is renewed every quarter of it (default 40)")
    p.add_argument("--sync-frequency", type=float, default=60.0,
                   help="seconds between rewrites of configMap, secret and downwardAPI volumes from their sources")
    p.add_argument("--node-status-update-frequency", type=float, default=10.0,
                   help="seconds between node status checks; a changed status is written at once (default 10)")
    p.add_argument("--port", type=int, default=10250, help="the kubelet API's port (0: any free port)")
    p.add_argument("--teardown", action="store_true",
                   help="kill this node's containers, remove its pod network, and exit")
    p.add_argument("-v", "--v", dest="verbosity", type=int, default=0, help="log verbosity")


def kubelet_config(args: argparse.Namespace) -> Any:
    from .kubelet import KubeletConfig

    data_dir = Path(args.data_dir).expanduser().resolve()
    return KubeletConfig(
        data_dir=data_dir, kubeconfig=args.kubeconfig or str(data_dir / "kubeconfig"),
        node_name=args.hostname_override, node_ip=args.node_ip, cluster_cidr=args.cluster_cidr,
        cluster_dns=[s.strip() for s in args.cluster_dns.split(",") if s.strip()],
        cluster_domain=args.cluster_domain, system_reserved=args.system_reserved, kube_reserved=args.kube_reserved,
        max_pods=args.max_pods, pod_pids_limit=args.pod_max_pids, cgroup_root=args.cgroup_root, runc=args.runc,
        node_labels=args.node_labels, register_with_taints=args.register_with_taints,
        container_log_max_size=args.container_log_max_size, container_log_max_files=args.container_log_max_files,
        port=args.port, lease_duration=args.node_lease_duration_seconds,
        lease_renew_interval=args.node_lease_duration_seconds / 4,
        status_update_interval=args.node_status_update_frequency, sync_frequency=args.sync_frequency)


async def run_kubelet_command(args: argparse.Namespace) -> int:
    from .kubelet import Kubelet, teardown

    config = kubelet_config(args)
    if args.teardown:
        await teardown(config)
        return 0
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await Kubelet(config).run(stop)
    return 0
