"""The nodeipam controller against a real API server: each node gets its own pod CIDR,
lowest first; a node's own CIDR is respected; a deleted node's CIDR is reused; an
exhausted range is reported."""

from __future__ import annotations

import contextlib
import uuid

from kybernetes.client import APIStatusError

from .conftest import eventually, running_controller_manager


def small(cidr: str = "10.99.0.0/22", mask: int = 24) -> dict:
    return {"nodeipam": {"cluster_cidr": cidr, "node_cidr_mask_size": mask}}


@contextlib.asynccontextmanager
async def nodes(client, *specs: dict):
    names = []
    try:
        for spec in specs:
            name = f"n-{uuid.uuid4().hex[:6]}"
            await client.create("", "v1", "nodes", {"metadata": {"name": name}, "spec": spec})
            names.append(name)
        yield names
    finally:
        for name in names:
            with contextlib.suppress(APIStatusError):
                await client.delete("", "v1", "nodes", name)


async def pod_cidr(client, name: str) -> str | None:
    spec = (await client.get("", "v1", "nodes", name)).get("spec") or {}
    if spec.get("podCIDR"):
        assert spec["podCIDRs"] == [spec["podCIDR"]]
    return spec.get("podCIDR")


async def test_nodes_get_distinct_cidrs_and_a_preset_one_is_kept(cluster, client):
    async with nodes(client, {"podCIDR": "10.99.1.0/24", "podCIDRs": ["10.99.1.0/24"]}, {}, {}) as names, \
            running_controller_manager(cluster, ["nodeipam"], options=small()):
        got = [await eventually(lambda n=n: pod_cidr(client, n), what=f"{n}'s CIDR") for n in names]
        assert got[0] == "10.99.1.0/24"                              # its own, kept
        assert sorted(got[1:]) == ["10.99.0.0/24", "10.99.2.0/24"]  # the lowest free ones, not 1 again


async def test_a_deleted_nodes_cidr_is_reused_and_exhaustion_is_reported(cluster, client):
    options = small("10.98.0.0/23", 24)        # room for two nodes
    async with nodes(client, {}, {}) as (a, b), running_controller_manager(cluster, ["nodeipam"], options=options):
        cidr_a = await eventually(lambda: pod_cidr(client, a), what="a's CIDR")
        await eventually(lambda: pod_cidr(client, b), what="b's CIDR")
        async with nodes(client, {}) as (c,):
            async def reported():
                evs = await client.list("", "v1", "events", namespace="default",
                                        field_selector=f"involvedObject.name={c}")
                return [e["message"] for e in evs["items"] if e["reason"] == "CIDRNotAvailable"]
            assert await eventually(reported, what="CIDRNotAvailable") == [f"Node {c} status is now: CIDRNotAvailable"]
            assert await pod_cidr(client, c) is None
            await client.delete("", "v1", "nodes", a)
            assert await eventually(lambda: pod_cidr(client, c), what="c gets a's CIDR") == cidr_a
