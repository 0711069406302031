"""The controller manager: one client, one informer factory, the enabled controllers.

``run_controller_manager`` is what ``kyb controller-manager`` runs. It connects with a
``kube-controller-manager/<version>`` User-Agent, so objects it writes name
``kube-controller-manager`` in their managedFields, as upstream's do. With leader
election (the default) replicas campaign for the ``kube-system/kube-controller-manager``
Lease and only the holder builds and runs controllers; a replica that loses the lease
stops its controllers (and their informers) before anyone else may take over, and
campaigns again.

Controllers are enabled by name, upstream-style: ``None`` or ``["*"]`` is every
controller, ``["*", "-namespace"]`` all but one, ``["serviceaccount"]`` just that one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from .. import __version__
from ..client import Client, SharedInformerFactory
from ..client.leaderelection import run_while_leading
from .base import ControllerContext, RunnableController
from .deployment import new_deployment_controller
from .garbagecollector import new_garbage_collector
from .namespace import new_namespace_controller
from .nodeipam import new_node_ipam_controller
from .nodelifecycle import new_node_lifecycle_controller
from .replicaset import new_replicaset_controller
from .replicationcontroller import new_replicationcontroller_controller
from .rootca import new_root_ca_cert_publisher
from .serviceaccount import new_serviceaccounts_controller
from .tainteviction import new_taint_eviction_controller

log = logging.getLogger(__name__)

__all__ = ["ALIASES", "CONTROLLERS", "ControllerContext", "enabled_controllers", "run_controller_manager"]

USER_AGENT = f"kube-controller-manager/v{__version__} (kybernetes)"

# Client-side rate limits. Upstream's kube-controller-manager defaults to 20 requests/s
# (burst 30), sized for a much slower API server; ours serves ~900 writes/s on one core,
# so ten times that still leaves most of it to other clients while a 500-replica
# Deployment gets its pods in about a second (bench/controllers.py).
DEFAULT_QPS = 200.0
DEFAULT_BURST = 300

CONTROLLERS: dict[str, Callable[[ControllerContext], RunnableController]] = {
    "namespace": new_namespace_controller,
    "serviceaccount": new_serviceaccounts_controller,
    "root-ca-cert-publisher": new_root_ca_cert_publisher,
    "replicaset": new_replicaset_controller,
    "replicationcontroller": new_replicationcontroller_controller,
    "deployment": new_deployment_controller,
    "garbagecollector": new_garbage_collector,
    "nodelifecycle": new_node_lifecycle_controller,
    "nodeipam": new_node_ipam_controller,
    "taint-eviction-controller": new_taint_eviction_controller,
}

# upstream's newer "<name>-controller" spellings
ALIASES = {
    "namespace-controller": "namespace",
    "serviceaccount-controller": "serviceaccount",
    "root-ca-certificate-publisher-controller": "root-ca-cert-publisher",
    "replicaset-controller": "replicaset",
    "replicationcontroller-controller": "replicationcontroller",
    "deployment-controller": "deployment",
    "garbage-collector-controller": "garbagecollector",
    "node-lifecycle-controller": "nodelifecycle",
    "node-ipam-controller": "nodeipam",
}


def enabled_controllers(names: list[str] | None) -> list[str]:
    """Resolve ``--controllers``: ``*`` for all, ``-name`` to disable, ``name`` to enable."""
    if not names:
        return list(CONTROLLERS)
    star = False
    on: set[str] = set()
    off: set[str] = set()
    for raw in names:
        if raw == "*":
            star = True
            continue
        neg = raw.startswith("-")
        name = raw.removeprefix("-")
        name = ALIASES.get(name, name)
        if name not in CONTROLLERS:
            raise ValueError(f"unknown controller {raw!r}; known: {', '.join(sorted(CONTROLLERS))}")
        (off if neg else on).add(name)
    return [n for n in CONTROLLERS if n not in off and (star or n in on)]


async def _run_controllers(client: Client, names: list[str], root_ca_pem: str, options: dict) -> None:
    """Build the controllers on a fresh informer factory and run them until cancelled."""
    informers = SharedInformerFactory(client)
    ctx = ControllerContext(client=client, informers=informers, root_ca_pem=root_ca_pem, options=options)
    controllers = []
    for name in names:
        try:
            controllers.append(CONTROLLERS[name](ctx))
        except ValueError as e:
            log.warning("controller %s not started: %s", name, e)
    informers.start()
    tasks = [asyncio.create_task(c.run(), name=f"controller-{c.name}") for c in controllers]
    log.info("controller manager: running %s", ", ".join(c.name for c in controllers) or "nothing")
    try:
        await asyncio.gather(*tasks)
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await informers.stop()


async def run_controller_manager(*, kubeconfig: str, leader_elect: bool = True,
                                 lease_name: str = "kube-controller-manager", lease_namespace: str = "kube-system",
                                 identity: str | None = None, controllers: list[str] | None = None,
                                 stop: asyncio.Event | None = None, options: dict | None = None,
                                 lease_duration: float = 15.0, renew_deadline: float = 10.0,
                                 retry_period: float = 2.0, qps: float | None = None,
                                 burst: int | None = None) -> None:
    """Run until ``stop`` is set (or the task is cancelled). ``options`` maps a controller
    name to keyword arguments for its constructor (workers, ...)."""
    names = enabled_controllers(controllers)
    client = await Client.from_kubeconfig(kubeconfig, user_agent=USER_AGENT,
                                          qps=DEFAULT_QPS if qps is None else qps,
                                          burst=DEFAULT_BURST if burst is None else burst)
    root_ca_pem = (client.config.ca_data or b"").decode()
    options = options or {}
    try:
        await run_while_leading(
            client, lambda: _run_controllers(client, names, root_ca_pem, options), component="controller manager",
            stop=stop or asyncio.Event(), leader_elect=leader_elect, lease_name=lease_name,
            lease_namespace=lease_namespace, identity=identity, lease_duration=lease_duration,
            renew_deadline=renew_deadline, retry_period=retry_period)
    finally:
        await client.close()
