"""``kyb scheduler`` and ``kyb explain-pending``: their flags (upstream kube-scheduler's
names where the concept exists) and how they run."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from typing import Any

__all__ = ["SCHEDULER_COMMANDS", "add_scheduler_parsers", "run_scheduler_command"]

SCHEDULER_COMMANDS = ("scheduler", "explain-pending")


def add_scheduler_parsers(sub: Any, duration: Any) -> None:
    """``duration`` parses Go-style durations ("15s") for the leader election flags."""
    p = sub.add_parser("scheduler", help="bind pending pods to nodes")
    p.add_argument("--kubeconfig", required=True, help="kubeconfig of the API server")
    p.add_argument("--config", default=None, help="a KubeSchedulerConfiguration file (profiles, plugins, weights)")
    p.add_argument("--leader-elect", default="true", choices=["true", "false"],
                   help="elect a leader through a Lease so only one instance schedules (default true)")
    p.add_argument("--leader-elect-lease-duration", type=duration, default=15.0,
                   help="how long a lease is valid after its last renewal (default 15s)")
    p.add_argument("--leader-elect-renew-deadline", type=duration, default=10.0,
                   help="the leader steps down when it could not renew for this long (default 10s)")
    p.add_argument("--leader-elect-retry-period", type=duration, default=2.0,
                   help="how often to renew or try to acquire the lease (default 2s)")
    p.add_argument("--leader-elect-resource-name", default="kube-scheduler")
    p.add_argument("--leader-elect-resource-namespace", default="kube-system")
    p.add_argument("--kube-api-qps", type=float, default=None,
                   help="client-side limit on API requests per second (default 1000; upstream's is 50)")
    p.add_argument("--kube-api-burst", type=int, default=None,
                   help="requests allowed at once above that rate (default 2000; upstream's is 100)")
    p.add_argument("-v", "--v", dest="verbosity", type=int, default=0, help="log verbosity")

    e = sub.add_parser("explain-pending",
                       help="show why a pending pod does (not) fit each node: filters, scores, the pick")
    e.add_argument("pod", help="name of the pod")
    e.add_argument("-n", "--namespace", default="default")
    e.add_argument("--kubeconfig", default=None, help="kubeconfig (default $KUBECONFIG or ~/.kube/config)")
    e.add_argument("--config", default=None, help="a KubeSchedulerConfiguration file")
    e.add_argument("-v", "--v", dest="verbosity", type=int, default=0, help="log verbosity")


async def run_scheduler_command(args: argparse.Namespace) -> int:
    if args.command == "explain-pending":
        from .explain import explain_pending, format_explanation

        explanation = await explain_pending(args.kubeconfig, args.namespace, args.pod, config_path=args.config)
        sys.stdout.write(format_explanation(explanation))
        return 0 if explanation.found else 1

    from .scheduler import run_scheduler

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await run_scheduler(
        args.kubeconfig, config_path=args.config, leader_elect=args.leader_elect == "true", stop=stop,
        qps=args.kube_api_qps, burst=args.kube_api_burst, lease_name=args.leader_elect_resource_name,
        lease_namespace=args.leader_elect_resource_namespace, lease_duration=args.leader_elect_lease_duration,
        renew_deadline=args.leader_elect_renew_deadline, retry_period=args.leader_elect_retry_period)
    return 0
