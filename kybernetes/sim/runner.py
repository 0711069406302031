"""``run_sim``: register the nodes, then heartbeat and run their pods until told to stop.

The order matters: nodes and leases are written first (a pod can only be bound to
a node that exists, and heartbeats need the objects the server returned); the pod
informer has synced before pod workers start, so allocators know which IPs are
taken. On stop the heartbeats end first (the nodes will go NotReady once their
leases run out, as when a kubelet stops), then, with ``delete_nodes_on_exit``, the
nodes and their leases are deleted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from .. import __version__
from ..client import Client, Informer
from .config import SimConfig
from .heartbeat import Heartbeats
from .pods import PodRunner
from .registration import register_nodes, unregister_nodes
from .schedule import SpreadSchedule
from .simnode import SimNode

log = logging.getLogger(__name__)

__all__ = ["run_sim"]


async def _until(stop: asyncio.Event, work: asyncio.Future) -> bool:
    """Wait for ``work`` unless ``stop`` comes first (then cancel it); True if it finished."""
    stopper = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({work, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopper.cancel()
    if work.done():
        work.result()   # re-raise what failed
        return True
    work.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await work
    return False


async def run_sim(kubeconfig: str, *, nodes: int, stop: asyncio.Event,
                  on_ready: Callable[[dict[str, SimNode], float], Any] | None = None, **options: Any) -> None:
    """Simulate ``nodes`` kubelets against the API server of ``kubeconfig`` until ``stop``.

    ``options`` are :class:`SimConfig` fields. ``on_ready(nodes, seconds)`` is called once
    all nodes are registered and the pod informer has synced."""
    config = SimConfig(nodes=nodes, **options)
    client = await Client.from_kubeconfig(kubeconfig, qps=config.api_qps(), burst=config.api_burst(),
                                          user_agent=f"kyb-sim/{__version__}")
    loop = asyncio.get_running_loop()
    started = loop.time()
    tasks: list[asyncio.Task] = []
    informer: Informer | None = None
    pods: PodRunner | None = None
    try:
        registering = asyncio.ensure_future(
            register_nodes(client, config, concurrency=config.max_concurrent_requests))
        if not await _until(stop, registering):
            return
        sim_nodes: dict[str, SimNode] = registering.result()

        heartbeats = Heartbeats(client, config, sim_nodes)
        names = list(sim_nodes)
        # The first round starts now, spread over one interval: registration wrote the
        # nodes in index order too, so no lease gets older than an interval plus the
        # time registration took (a first round one interval later would double that).
        leases = SpreadSchedule("lease renewal", names, config.lease_renew_interval, heartbeats.renew_lease,
                                concurrency=config.max_concurrent_requests, first_delay=0)
        statuses = SpreadSchedule("node status", names, config.status_update_frequency,
                                  heartbeats.report_status, concurrency=config.max_concurrent_requests,
                                  first_delay=0)
        tasks += [asyncio.create_task(leases.run(), name="sim-leases"),
                  asyncio.create_task(statuses.run(), name="sim-node-status")]

        informer = Informer(client, "", "v1", "pods")
        pods = PodRunner(client, informer, sim_nodes, ready_delay=config.pod_ready_delay,
                         workers=config.pod_workers)
        informer.start()
        if not await _until(stop, asyncio.ensure_future(informer.wait_synced())):
            return
        tasks.append(asyncio.create_task(pods.controller.run(), name="sim-pods"))
        elapsed = loop.time() - started
        log.info("simulating %d nodes (ready in %.2fs)", len(sim_nodes), elapsed)
        if on_ready is not None:
            on_ready(sim_nodes, elapsed)
        # Surface a crashed loop instead of simulating half a cluster in silence.
        waiter = asyncio.ensure_future(asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION))
        if await _until(stop, waiter):
            for t in tasks:
                if t.done() and not t.cancelled() and t.exception():
                    raise t.exception()
    finally:
        if pods is not None:
            pods.controller.stop()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if informer is not None:
            await informer.stop()
        try:
            if config.delete_nodes_on_exit:
                await unregister_nodes(client, config.node_names(), concurrency=config.max_concurrent_requests)
        finally:
            await client.close()
