"""Flags several ``kyb`` commands share, with upstream's names and defaults."""

from __future__ import annotations

import argparse

__all__ = ["add_leader_election_flags", "add_node_ipam_flags", "add_node_lifecycle_flags", "add_rate_limit_flags",
           "duration", "node_ipam_options", "node_lifecycle_options"]


def duration(text: str) -> float:
    """A Go-style duration ("15s", "500ms", "1m", "1m30s") or plain seconds, in seconds."""
    units = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
    try:
        return float(text)
    except ValueError:
        pass
    total, number = 0.0, ""
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isdigit() or ch == ".":
            number += ch
            i += 1
            continue
        unit = "ms" if text.startswith("ms", i) else ch
        if unit not in units or not number:
            raise argparse.ArgumentTypeError(f"invalid duration {text!r}")
        total += float(number) * units[unit]
        number = ""
        i += len(unit)
    if number:
        raise argparse.ArgumentTypeError(f"invalid duration {text!r} (missing unit)")
    return total


def add_leader_election_flags(p: argparse.ArgumentParser, lease_name: str) -> None:
    """``--leader-elect`` and its timings, as kube-controller-manager and kube-scheduler take them."""
    p.add_argument("--leader-elect", default="true", choices=["true", "false"],
                   help="elect a leader through a Lease so only one instance acts (default true)")
    p.add_argument("--leader-elect-lease-duration", type=duration, default=15.0,
                   help="how long a lease is valid after its last renewal (default 15s)")
    p.add_argument("--leader-elect-renew-deadline", type=duration, default=10.0,
                   help="the leader steps down when it could not renew for this long (default 10s)")
    p.add_argument("--leader-elect-retry-period", type=duration, default=2.0,
                   help="how often to renew or try to acquire the lease (default 2s)")
    p.add_argument("--leader-elect-resource-name", default=lease_name)
    p.add_argument("--leader-elect-resource-namespace", default="kube-system")


def add_rate_limit_flags(p: argparse.ArgumentParser, *, ours: tuple[float, int], upstreams: tuple[float, int]) -> None:
    """``--kube-api-qps``/``--kube-api-burst``; None means the component's own default (``ours``)."""
    p.add_argument("--kube-api-qps", type=float, default=None,
                   help=f"client-side limit on API requests per second (default {ours[0]:g}; upstream's is {upstreams[0]:g})")
    p.add_argument("--kube-api-burst", type=int, default=None,
                   help=f"requests allowed at once above that rate (default {ours[1]}; upstream's is {upstreams[1]})")


def add_node_lifecycle_flags(p: argparse.ArgumentParser) -> None:
    """kube-controller-manager's node lifecycle flags (the node lifecycle controller)."""
    p.add_argument("--node-monitor-period", type=duration, default=5.0,
                   help="how often node health is checked (default 5s)")
    p.add_argument("--node-monitor-grace-period", type=duration, default=40.0,
                   help="how long a node may go without a Lease renewal or status before it is Unknown (default 40s)")
    p.add_argument("--node-startup-grace-period", type=duration, default=60.0,
                   help="the same for a node that has never posted Ready (default 1m)")
    p.add_argument("--node-eviction-rate", type=float, default=0.1,
                   help="nodes per second tainted NoExecute in a healthy zone (default 0.1)")
    p.add_argument("--secondary-node-eviction-rate", type=float, default=0.01,
                   help="the same in a partially disrupted large zone (default 0.01)")
    p.add_argument("--unhealthy-zone-threshold", type=float, default=0.55,
                   help="share of not-Ready nodes that makes a zone partially disrupted (default 0.55)")
    p.add_argument("--large-cluster-size-threshold", type=int, default=50,
                   help="zones with more nodes than this keep tainting, slower, when disrupted (default 50)")


def add_node_ipam_flags(p: argparse.ArgumentParser) -> None:
    """kube-controller-manager's pod CIDR flags (the nodeipam controller). Unlike
    upstream (and like k3s) allocation is on by default."""
    p.add_argument("--allocate-node-cidrs", default="true", choices=["true", "false"],
                   help="give each node a pod CIDR from --cluster-cidr (default true)")
    p.add_argument("--cluster-cidr", default="10.42.0.0/16", help="the pods' address range (default 10.42.0.0/16)")
    p.add_argument("--node-cidr-mask-size", type=int, default=24, help="the size of each node's slice (default 24)")


def node_ipam_options(args: argparse.Namespace) -> dict:
    return {"allocate_node_cidrs": args.allocate_node_cidrs == "true", "cluster_cidr": args.cluster_cidr,
            "node_cidr_mask_size": args.node_cidr_mask_size}


def node_lifecycle_options(args: argparse.Namespace) -> dict:
    return {"monitor_period": args.node_monitor_period, "grace_period": args.node_monitor_grace_period,
            "startup_grace_period": args.node_startup_grace_period, "eviction_rate": args.node_eviction_rate,
            "secondary_eviction_rate": args.secondary_node_eviction_rate,
            "unhealthy_zone_threshold": args.unhealthy_zone_threshold,
            "large_cluster_threshold": args.large_cluster_size_threshold}
