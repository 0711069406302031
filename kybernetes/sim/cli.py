"""The ``kyb sim`` subcommand: its flags (kubelet and kwok names where they exist) and
the coroutine that runs :func:`~.runner.run_sim` until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import signal

from ..cli.flags import duration
from .config import parse_labels, parse_taints

__all__ = ["add_sim_parser", "run_sim_command"]


def _labels(text: str) -> dict[str, str]:
    try:
        return parse_labels(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _taints(text: str) -> list[dict]:
    try:
        return parse_taints(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def add_sim_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("sim", help="simulate many nodes (kubelets without containers), like kwok")
    p.add_argument("--kubeconfig", required=True, help="kubeconfig of the API server to join")
    p.add_argument("--nodes", type=int, default=1, help="how many nodes to simulate (default 1)")
    p.add_argument("--name-prefix", default="kyb-sim-", help="node names are PREFIX0, PREFIX1 ... (default kyb-sim-)")
    p.add_argument("--cpu", default="32", help="CPU capacity per node (default 32)")
    p.add_argument("--memory", default="256Gi", help="memory capacity per node (default 256Gi)")
    p.add_argument("--pods", type=int, default=110, help="pod capacity per node (default 110)")
    p.add_argument("--ephemeral-storage", default="1Ti", help="ephemeral-storage capacity per node (default 1Ti)")
    p.add_argument("--labels", "--node-labels", dest="labels", type=_labels, default={},
                   help="extra node labels, k=v,k2=v2")
    p.add_argument("--taints", "--register-with-taints", dest="taints", type=_taints, default=[],
                   help="node taints, key=value:Effect,...")
    p.add_argument("--zones", type=int, default=0,
                   help="spread nodes over Z zones (label topology.kubernetes.io/zone=zone-<i mod Z>, and region)")
    p.add_argument("--node-lease-duration", "--node-lease-duration-seconds", dest="node_lease_duration",
                   type=int, default=40, help="leaseDurationSeconds of each node's Lease (default 40)")
    p.add_argument("--lease-renew-interval", type=duration, default=10.0,
                   help="how often each node renews its Lease (default 10s)")
    p.add_argument("--status-update-frequency", "--node-status-report-frequency", dest="status_update_frequency",
                   type=duration, default=300.0,
                   help="how often each node rewrites its status when nothing changed (default 5m)")
    p.add_argument("--pod-ready-delay", type=duration, default=0.0,
                   help="how long a bound pod takes to become Running and Ready (default 0s)")
    p.add_argument("--cluster-cidr", default="10.128.0.0/10",
                   help="pod address range, split into one podCIDR per node (data only; default 10.128.0.0/10)")
    p.add_argument("--node-cidr-mask-size", type=int, default=24, help="size of each node's podCIDR (default 24)")
    p.add_argument("--kube-api-qps", type=float, default=None,
                   help="client-side request limit (default: twice the heartbeat rate, at least 100)")
    p.add_argument("--kube-api-burst", type=int, default=None, help="requests allowed at once above that rate")
    p.add_argument("--delete-nodes-on-exit", action="store_true", help="delete the nodes and leases on exit")
    p.add_argument("-v", "--v", dest="verbosity", type=int, default=0, help="log verbosity")
    return p


async def run_sim_command(args: argparse.Namespace) -> None:
    from .runner import run_sim

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    def ready(nodes: dict, seconds: float) -> None:
        # A line scripts and tests can wait for.
        print(f"kyb sim: {len(nodes)} nodes ready in {seconds:.2f}s", flush=True)

    try:
        await run_sim(
            args.kubeconfig, nodes=args.nodes, stop=stop, on_ready=ready, name_prefix=args.name_prefix,
            cpu=args.cpu, memory=args.memory, pods=args.pods, ephemeral_storage=args.ephemeral_storage,
            labels=args.labels, taints=args.taints, zones=args.zones, node_lease_duration=args.node_lease_duration,
            lease_renew_interval=args.lease_renew_interval, status_update_frequency=args.status_update_frequency,
            pod_ready_delay=args.pod_ready_delay, cluster_cidr=args.cluster_cidr,
            node_cidr_mask_size=args.node_cidr_mask_size, kube_api_qps=args.kube_api_qps,
            kube_api_burst=args.kube_api_burst, delete_nodes_on_exit=args.delete_nodes_on_exit)
    except ValueError as e:
        raise SystemExit(f"kyb sim: {e}") from None
