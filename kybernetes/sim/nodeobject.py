"""The objects a simulated kubelet writes about its node: the Node, its status and its Lease.

Pure functions of the options and the node's index, so a restart produces the same
node (same podCIDR, address and IDs) and can adopt what the last run registered.
Condition reasons and messages are the kubelet's own, because tools (``kubectl
describe``, node lifecycle controllers, dashboards) read them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid

from .addresses import node_internal_ip, node_pod_cidr
from .config import SIMULATED_ANNOTATION, SimConfig

__all__ = ["KUBELET_PORT", "LEASE_NAMESPACE", "RUNTIME", "lease_object", "micro_time", "node_conditions",
           "node_object", "node_status", "now_time"]

LEASE_NAMESPACE = "kube-node-lease"
KUBELET_PORT = 10250
RUNTIME = "kyb-sim"
RUNTIME_VERSION = "0.1"

# (type, reason, message) of the kubelet's "everything is fine" conditions, in its order.
_HEALTHY_CONDITIONS = (
    ("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
    ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
    ("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
)


def now_time() -> str:
    """A metav1.Time: whole seconds, UTC."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def micro_time() -> str:
    """A metav1.MicroTime (a Lease's renewTime): microseconds, UTC."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _stable_id(name: str, what: str) -> str:
    return hashlib.sha256(f"{what}/{name}".encode()).hexdigest()[:32]


def node_labels(config: SimConfig, index: int) -> dict[str, str]:
    name = config.node_name(index)
    labels = {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "beta.kubernetes.io/arch": "amd64",
        "node.kubernetes.io/instance-type": "kyb-sim",
        "type": "kyb-sim",
    }
    if config.zones > 0:
        labels["topology.kubernetes.io/region"] = config.region
        labels["topology.kubernetes.io/zone"] = f"zone-{index % config.zones}"
    labels.update(config.labels)
    return labels


def node_conditions(heartbeat: str, transition: str) -> list[dict]:
    return [{"type": t, "status": s, "lastHeartbeatTime": heartbeat, "lastTransitionTime": transition,
             "reason": reason, "message": message} for t, s, reason, message in _HEALTHY_CONDITIONS]


def node_status(config: SimConfig, index: int, *, heartbeat: str, transition: str) -> dict:
    name = config.node_name(index)
    resources = {"cpu": config.cpu, "memory": config.memory, "pods": str(config.pods),
                 "ephemeral-storage": config.ephemeral_storage}
    return {
        "capacity": dict(resources),
        "allocatable": dict(resources),   # nothing reserved for a system that does not exist
        "conditions": node_conditions(heartbeat, transition),
        "addresses": [{"type": "InternalIP", "address": node_internal_ip(config.node_address_range, index)},
                      {"type": "Hostname", "address": name}],
        "daemonEndpoints": {"kubeletEndpoint": {"Port": KUBELET_PORT}},
        "nodeInfo": {
            "machineID": _stable_id(name, "machine"),
            "systemUUID": str(uuid.uuid5(uuid.NAMESPACE_DNS, f"{name}.kyb-sim")),
            "bootID": str(uuid.uuid4()),   # a new boot each run, like a restarted machine
            "kernelVersion": "6.1.0-kyb-sim",
            "osImage": "kyb-sim",
            "containerRuntimeVersion": f"{RUNTIME}://{RUNTIME_VERSION}",
            "kubeletVersion": config.kubelet_version,
            "kubeProxyVersion": "",
            "operatingSystem": "linux",
            "architecture": "amd64",
        },
        "images": [],
    }


def node_spec(config: SimConfig, index: int) -> dict:
    cidr = node_pod_cidr(config.cluster_cidr, config.node_cidr_mask_size, index)
    spec: dict = {"podCIDR": cidr, "podCIDRs": [cidr]}
    if config.taints:
        spec["taints"] = [dict(t) for t in config.taints]
    return spec


def node_object(config: SimConfig, index: int, *, now: str) -> dict:
    """A Node to create; nodes keep the status they are created with, so this is one write."""
    return {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {
            "name": config.node_name(index),
            "labels": node_labels(config, index),
            "annotations": {SIMULATED_ANNOTATION: "true",
                            "node.alpha.kubernetes.io/ttl": "0",
                            "volumes.kubernetes.io/controller-managed-attach-detach": "true"},
        },
        "spec": node_spec(config, index),
        "status": node_status(config, index, heartbeat=now, transition=now),
    }


def lease_object(config: SimConfig, node: dict) -> dict:
    """The node's Lease, owned by the Node (so it goes when the node goes), as the kubelet makes it."""
    meta = node["metadata"]
    return {
        "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
        "metadata": {"name": meta["name"], "namespace": LEASE_NAMESPACE,
                     "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": meta["name"],
                                          "uid": meta["uid"]}]},
        "spec": {"holderIdentity": meta["name"], "leaseDurationSeconds": config.node_lease_duration,
                 "renewTime": micro_time()},
    }
