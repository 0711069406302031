"""Registering simulated nodes and their leases, adopting what a previous run left.

A kubelet registers its Node once at start; if a Node of that name exists it
reconciles it instead of failing. The simulator does the same for all of its
nodes with one list of Nodes and one of Leases (not thousands of GETs), then per
node at most: a create (the Node keeps the status it is created with), or for an
existing node a patch of the labels/annotations/taints we own (only when they
differ) plus a status write, and a Lease create or renewal. At most
``concurrency`` of these run at once.

``unregister_nodes`` is the ``--delete-nodes-on-exit`` path.
"""

from __future__ import annotations

import asyncio
import logging

from ..client import APIStatusError, Client
from .addresses import node_internal_ip
from .config import SIMULATED_ANNOTATION, SimConfig
from .heartbeat import write_lease
from .nodeobject import (
    LEASE_NAMESPACE,
    lease_object,
    node_labels,
    node_object,
    node_spec,
    node_status,
    now_time,
)
from .retry import with_retries
from .simnode import SimNode

log = logging.getLogger(__name__)

__all__ = ["register_nodes", "unregister_nodes"]

COORDINATION = ("coordination.k8s.io", "v1", "leases")


async def _list_all(client: Client, group: str, version: str, plural: str, *, namespace: str = "") -> list[dict]:
    items: list[dict] = []
    cont = ""
    while True:
        page = await client.list(group, version, plural, namespace=namespace, limit=500, continue_=cont)
        items.extend(page.get("items") or [])
        cont = (page.get("metadata") or {}).get("continue") or ""
        if not cont:
            return items


async def register_nodes(client: Client, config: SimConfig, *, concurrency: int = 64) -> dict[str, SimNode]:
    """Create or adopt every node and its lease; the nodes by name."""
    existing_nodes = {n["metadata"]["name"]: n for n in await _list_all(client, "", "v1", "nodes")}
    existing_leases = {le["metadata"]["name"]: le
                       for le in await _list_all(client, *COORDINATION, namespace=LEASE_NAMESPACE)}
    sem = asyncio.Semaphore(max(1, concurrency))
    nodes: dict[str, SimNode] = {}

    async def one(index: int) -> None:
        name = config.node_name(index)
        async with sem:
            node = await _ensure_node(client, config, index, existing_nodes.get(name))
            sim = _remember(config, index, node)
            sim.lease = await _ensure_lease(client, config, node, existing_leases.get(name))
            nodes[name] = sim

    adopted = sum(1 for name in config.node_names() if name in existing_nodes)
    await asyncio.gather(*(one(i) for i in range(config.nodes)))
    log.info("registered %d simulated nodes (%d adopted from a previous run)", config.nodes, adopted)
    return {name: nodes[name] for name in config.node_names()}   # in index order


def _remember(config: SimConfig, index: int, node: dict) -> SimNode:
    spec, status = node.get("spec") or {}, node.get("status") or {}
    ready = next((c for c in status.get("conditions") or [] if c.get("type") == "Ready"), {})
    address = next((a.get("address") for a in status.get("addresses") or [] if a.get("type") == "InternalIP"),
                   None) or node_internal_ip(config.node_address_range, index)
    return SimNode(index=index, name=node["metadata"]["name"], uid=node["metadata"]["uid"],
                   pod_cidr=spec.get("podCIDR") or node_spec(config, index)["podCIDR"], internal_ip=address,
                   ready_since=ready.get("lastTransitionTime") or now_time())


async def _ensure_node(client: Client, config: SimConfig, index: int, existing: dict | None) -> dict:
    name = config.node_name(index)
    if existing is None:
        try:
            return await with_retries(f"create node {name}", lambda: client.create(
                "", "v1", "nodes", node_object(config, index, now=now_time())))
        except APIStatusError as e:
            if e.code != 409:
                raise
            existing = await client.get("", "v1", "nodes", name)   # made since our list: adopt it
    return await _adopt_node(client, config, index, existing)


async def _adopt_node(client: Client, config: SimConfig, index: int, node: dict) -> dict:
    name = config.node_name(index)
    meta, spec = node["metadata"], node.get("spec") or {}
    want_labels = node_labels(config, index)
    patch: dict = {}
    labels = {k: v for k, v in want_labels.items() if (meta.get("labels") or {}).get(k) != v}
    if labels:
        patch.setdefault("metadata", {})["labels"] = labels
    if (meta.get("annotations") or {}).get(SIMULATED_ANNOTATION) != "true":
        patch.setdefault("metadata", {})["annotations"] = {SIMULATED_ANNOTATION: "true"}
    # Add our taints; leave others' (a node lifecycle controller's not-ready taint, say).
    have = spec.get("taints") or []
    missing = [t for t in config.taints
               if not any(h.get("key") == t["key"] and h.get("effect") == t["effect"] for h in have)]
    if missing:
        patch["spec"] = {"taints": have + missing}
    if not spec.get("podCIDR"):   # podCIDR is immutable once set: only fill it in
        patch.setdefault("spec", {}).update({k: v for k, v in node_spec(config, index).items() if k != "taints"})
    if patch:
        node = await with_retries(f"adopt node {name}", lambda: client.patch("", "v1", "nodes", name, patch))
        log.info("adopted node %s (updated %s)", name, ", ".join(sorted(patch)))
    now = now_time()
    ready = next((c for c in (node.get("status") or {}).get("conditions") or []
                  if c.get("type") == "Ready" and c.get("status") == "True"), None)
    status = node_status(config, index, heartbeat=now, transition=(ready or {}).get("lastTransitionTime") or now)
    return await with_retries(f"status of node {name}", lambda: client.patch(
        "", "v1", "nodes", name, {"status": status}, subresource="status"))


async def _ensure_lease(client: Client, config: SimConfig, node: dict, existing: dict | None) -> dict:
    name = node["metadata"]["name"]
    want = lease_object(config, node)
    if existing is None:
        try:
            return await with_retries(f"create lease {name}", lambda: client.create(
                *COORDINATION, want, namespace=LEASE_NAMESPACE))
        except APIStatusError as e:
            if e.code != 409:
                raise
            existing = await client.get(*COORDINATION, name, namespace=LEASE_NAMESPACE)
    # Renew now: the lease left by a previous run may have run out (the node looks dead),
    # and the owner may be a Node that was deleted and re-created since.
    existing["metadata"]["ownerReferences"] = want["metadata"]["ownerReferences"]
    existing["spec"] = {**(existing.get("spec") or {}), **want["spec"]}
    return await write_lease(client, existing)


async def unregister_nodes(client: Client, names: list[str], *, concurrency: int = 64) -> None:
    """Delete the nodes and their leases (the leases would also go by garbage collection,
    through their owner reference, but not when no garbage collector runs)."""
    sem = asyncio.Semaphore(max(1, concurrency))

    async def one(name: str) -> None:
        async with sem:
            for group, version, plural, ns in (("", "v1", "nodes", ""), (*COORDINATION, LEASE_NAMESPACE)):
                try:
                    await with_retries(f"delete {plural} {name}", lambda: client.delete(
                        group, version, plural, name, namespace=ns))
                except APIStatusError as e:
                    if e.code != 404:
                        log.warning("could not delete %s %s: %s", plural, name, e)
    await asyncio.gather(*(one(n) for n in names))
    log.info("deleted %d simulated nodes", len(names))
