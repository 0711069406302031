"""``kyb scheduler`` and ``kyb explain-pending``: their flags (upstream kube-scheduler's
names where the concept exists) and how they run."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from typing import Any

from ..cli.flags import add_leader_election_flags, add_rate_limit_flags

__all__ = ["SCHEDULER_COMMANDS", "add_scheduler_parsers", "run_scheduler_command"]

SCHEDULER_COMMANDS = ("scheduler", "explain-pending")


def add_scheduler_parsers(sub: Any) -> None:
    p = sub.add_parser("scheduler", help="bind pending pods to nodes")
    p.add_argument("--kubeconfig", required=True, help="kubeconfig of the API server")
    p.add_argument("--config", default=None, help="a KubeSchedulerConfiguration file (profiles, plugins, weights)")
    add_leader_election_flags(p, "kube-scheduler")
    add_rate_limit_flags(p, ours=(1000, 2000), upstreams=(50, 100))
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
