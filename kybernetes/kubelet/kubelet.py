"""The kubelet: registers its node, keeps it alive, and runs the pods bound to it.

It puts together the node's pieces: the image store and puller, the runc runtime, the
pod network, one :class:`~.worker.PodWorker` per pod, and the node's registration and
heartbeats (:class:`~.node.NodeAgent`). Everything it keeps lives under
``<data-dir>/agent/``::

    store/       images (kyb images ...)         images/   archives imported at start
    containers/  one directory per container     runc/     runc's state
    network/     pod addresses                    pods/     per-pod files (/etc/hosts ...)
    logs/        <namespace>_<pod>_<uid>/<container>/<attempt>.log
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from ..apiserver.server import KUBE_MINOR
from ..client import APIStatusError, Client, EventRecorder, Informer
from .apirelay import APIRelay
from .env import resolve_env, service_env
from .images.cli import store_root
from .images.pull import Puller
from .images.store import ImageError, ImageStore
from .network import NetworkError, PodNetwork
from .node import NodeAgent
from .nodestatus import allocatable, capacity, node_info, read_machine
from .rootless import in_user_namespace
from .runtime.runc import RuncRuntime
from .server import KubeletServer
from .volumes import release_volumes
from .worker import PodWorker

log = logging.getLogger(__name__)

__all__ = ["Kubelet", "KubeletConfig", "agent_names"]


@dataclass
class KubeletConfig:
    data_dir: Path
    kubeconfig: str
    node_name: str = ""
    node_ip: str = ""
    cluster_cidr: str = "10.42.0.0/16"
    cluster_dns: list[str] = field(default_factory=list)
    cluster_domain: str = "cluster.local"
    system_reserved: dict = field(default_factory=dict)
    kube_reserved: dict = field(default_factory=dict)
    max_pods: int = 110
    pod_pids_limit: int = -1
    cgroup_root: str = "/kubepods"
    runc: str = "runc"
    node_labels: dict[str, str] = field(default_factory=dict)
    register_with_taints: list[dict] = field(default_factory=list)
    container_log_max_size: int = 10 * 1024 * 1024
    container_log_max_files: int = 5
    port: int = 10250
    lease_duration: int = 40
    lease_renew_interval: float = 10.0
    status_update_interval: float = 10.0
    sync_frequency: float = 60.0     # configMap/secret/downwardAPI volumes follow their sources this often

    @property
    def agent_dir(self) -> Path:
        return self.data_dir / "agent"


def agent_names(data_dir: Path) -> tuple[str, str]:
    """(bridge, netns prefix) of a data dir: short and unique to it, so that several
    nodes (test clusters) can share one machine."""
    h = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:8]
    return f"kyb{h}", f"kyb-{h}"


class Kubelet:
    def __init__(self, config: KubeletConfig) -> None:
        self.config = config
        agent = config.agent_dir
        self.machine = read_machine(config.data_dir)
        self.name = (config.node_name or self.machine.hostname).lower()
        self.rootless = in_user_namespace()
        self.images = ImageStore(store_root(config.data_dir))
        self.puller = Puller(self.images)
        self.runtime = RuncRuntime(agent, runc=config.runc, cgroup_root=config.cgroup_root,
                                   log_max_size=config.container_log_max_size,
                                   log_max_files=config.container_log_max_files, rootless=self.rootless)
        self.network: PodNetwork | None = None
        self.sockets = None   # makes sockets that reach pods (rootless); None: any socket does
        self.node_ip = config.node_ip
        self.client: Client | None = None   # type: ignore[assignment]
        self.recorder: EventRecorder | None = None
        self.workers: dict[str, PodWorker] = {}
        self.informer: Informer | None = None
        self.node: NodeAgent | None = None
        self.server = KubeletServer(self)
        self.relay: APIRelay | None = None
        self.service_env: dict[str, str] = {}   # where containers find the API server

    # ------------------------------------------------------------------ paths
    def pod_dir(self, uid: str) -> Path:
        return self.config.agent_dir / "pods" / uid

    def pod_log_dir(self, pod: dict) -> Path:
        m = pod["metadata"]
        return self.config.agent_dir / "logs" / f"{m.get('namespace', '')}_{m['name']}_{m['uid']}"

    # ------------------------------------------------------------------ start-up
    def import_archives(self) -> None:
        """Every archive in ``<data-dir>/agent/images/`` (like k3s's agent/images)."""
        folder = self.config.agent_dir / "images"
        if not folder.is_dir():
            return
        for path in sorted(folder.iterdir()):
            if path.suffix not in (".tar", ".gz", ".tgz") or not path.is_file():
                continue
            try:
                for image in self.images.import_archive(path):
                    log.info("imported %s from %s", image.name, path.name)
            except (ImageError, OSError, ValueError, KeyError) as e:
                log.warning("could not import %s: %s", path, e)

    def _network_for(self, pod_cidr: str) -> PodNetwork:
        return pod_network(self.config, pod_cidr, rootless=self.rootless)

    def node_images(self) -> list[dict]:
        out = []
        for image in self.images.list():
            out.append({"names": [image.name], "sizeBytes": image.size})
        return out[:50]

    async def run(self, stop: asyncio.Event) -> None:
        cfg = self.config
        await asyncio.to_thread(self.import_archives)
        self.client = await Client.from_kubeconfig(cfg.kubeconfig, user_agent=f"kubelet/v1.{KUBE_MINOR}.0 (kyb)",
                                                   qps=50, burst=100)
        self.recorder = EventRecorder(self.client, component="kubelet", host=self.name)
        runtime_version = await asyncio.to_thread(self.runtime.version)
        labels = {"kubernetes.io/hostname": self.name, "kubernetes.io/os": "linux",
                  "kubernetes.io/arch": self.machine.architecture, "beta.kubernetes.io/os": "linux",
                  "beta.kubernetes.io/arch": self.machine.architecture, **cfg.node_labels}
        self.node = NodeAgent(
            self.client, name=self.name, machine=self.machine, data_dir=str(cfg.data_dir), labels=labels,
            capacity=capacity(self.machine, max_pods=cfg.max_pods),
            allocatable=allocatable(self.machine, system_reserved=cfg.system_reserved,
                                    kube_reserved=cfg.kube_reserved, max_pods=cfg.max_pods),
            node_info=node_info(self.machine, kubelet_version=f"v1.{KUBE_MINOR}.0-kyb.{__version__}",
                                runtime_version=f"runc://{runtime_version}"),
            taints=cfg.register_with_taints, images=self.node_images,
            lease_duration=cfg.lease_duration, lease_renew_interval=cfg.lease_renew_interval,
            status_update_interval=cfg.status_update_interval)
        tasks: list[asyncio.Task] = []
        try:
            await self.node.register()
            tasks.append(asyncio.create_task(self.node.run(), name="node heartbeats"))
            pod_cidr = await self.node.wait_for_pod_cidr()
            if self.rootless:
                # the pods' namespaces died with the last run's user namespace: start clean
                await teardown(cfg, rootless=True)
            self.network = self._network_for(pod_cidr)
            await asyncio.to_thread(self.network.setup_node)
            self.sockets = self.network.socket_maker()
            if not self.node_ip:
                # a rootless node's bridge is out of the host's reach: its API is on loopback
                self.node_ip = "127.0.0.1" if self.rootless else self.network.gateway
            await self._serve()
            await self._relay_api()
            self.node.addresses = [{"type": "InternalIP", "address": self.node_ip},
                                   {"type": "Hostname", "address": self.name}]
            self.node.ready, self.node.ready_message = True, ""
            await self.node.update_status(force=True)
            log.info("node %s ready: pod CIDR %s, node IP %s, runc %s", self.name, pod_cidr, self.node_ip,
                     runtime_version)
            await self._run_pods(stop)
        finally:
            for t in tasks:
                t.cancel()
            for w in self.workers.values():
                if w.task is not None:
                    w.task.cancel()
            await asyncio.gather(*tasks, *(w.task for w in self.workers.values() if w.task),
                                 return_exceptions=True)
            if self.informer is not None:
                await self.informer.stop()
            if self.recorder is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self.recorder.close(), 5)
            await self.server.stop()
            if self.relay is not None:
                await self.relay.stop()
            await self.client.close()

    async def _serve(self) -> None:
        """The kubelet API on the node IP, with a self-signed certificate for it; only
        clients with a certificate from the cluster's CA get in."""
        from ..pki import ensure_self_signed

        pki = self.config.agent_dir / "pki"
        cert, key = pki / "kubelet.crt", pki / "kubelet.key"
        await asyncio.to_thread(ensure_self_signed, cert, key, cn=f"{self.name}@kubelet",
                                server_names=[self.node_ip, self.name])
        ca = self.client.config.ca_data
        if not ca:
            raise RuntimeError("the kubeconfig has no certificate authority to check the API server's client "
                               "certificate against")
        port = await self.server.start(self.node_ip, self.config.port, cert=str(cert), key=str(key), client_ca=ca)
        self.node.port = port
        log.info("kubelet API listening on https://%s:%d", self.node_ip, port)

    async def _relay_api(self) -> None:
        """Tell containers where the API server is (the kubernetes Service), and carry
        that service to it (see apirelay)."""
        svc = await self.get_object("services", "default", "kubernetes")
        spec = (svc or {}).get("spec") or {}
        if not spec.get("clusterIP") or not spec.get("ports"):
            log.warning("there is no kubernetes Service: pods will not find the API server")
            return
        self.service_env = service_env(svc)
        self.relay = APIRelay(self.client.config.server)
        port = await self.relay.start(self.network.gateway, self.sockets)
        try:
            await asyncio.to_thread(self.network.forward_service, spec["clusterIP"], spec["ports"][0]["port"], port)
        except NetworkError as e:
            log.warning("pods will not reach the API server: %s", e)

    async def _run_pods(self, stop: asyncio.Event) -> None:
        self.informer = Informer(self.client, "", "v1", "pods", field_selector=f"spec.nodeName={self.name}")
        self.informer.start()
        await self.informer.wait_synced()
        await self._adopt()
        self.informer.add_event_handler(on_add=self._pod_changed, on_update=lambda old, new: self._pod_changed(new),
                                        on_delete=self._pod_deleted)
        await stop.wait()

    async def _adopt(self) -> None:
        """After a restart: containers and sandboxes of pods that no longer exist go;
        the others are picked up as they are by their pods' workers."""
        known = {p["metadata"]["uid"] for p in self.informer.list()}
        for st in self.runtime.list():
            if st.meta.pod_uid not in known:
                log.info("removing container %s of pod %s/%s, which is gone", st.id[:12], st.meta.pod_namespace,
                         st.meta.pod_name)
                await self.runtime.stop(st.id, 0)
                await self.runtime.remove(st.id)
        for uid in list(await asyncio.to_thread(self.network.pods)):
            if uid not in known:
                await asyncio.to_thread(self.network.teardown_pod, uid)

    def _pod_changed(self, pod: dict) -> None:
        uid = pod["metadata"]["uid"]
        worker = self.workers.get(uid)
        if worker is None or worker.task is None or worker.task.done():
            worker = self.workers[uid] = PodWorker(self, pod)
            worker.start()
            worker.task.add_done_callback(lambda t, uid=uid, w=worker: self._worker_done(uid, w))
        else:
            worker.update(pod)

    def _pod_deleted(self, pod: dict) -> None:
        worker = self.workers.get(pod["metadata"]["uid"])
        if worker is not None:
            worker.remove()

    def _worker_done(self, uid: str, worker: PodWorker) -> None:
        if self.workers.get(uid) is worker:
            del self.workers[uid]

    # ------------------------------------------------------------------ for the workers
    def event(self, pod: dict, type_: str, reason: str, message: str) -> None:
        if self.recorder is not None:
            self.recorder.record(pod, type=type_, reason=reason, message=message)

    async def get_object(self, plural: str, namespace: str, name: str) -> dict | None:
        """A core/v1 object, or None when there is no such object."""
        try:
            return await self.client.get("", "v1", plural, name, namespace=namespace)
        except APIStatusError as e:
            if e.code == 404:
                return None
            raise

    async def resolve_env(self, pod: dict, container: dict, *, pod_ip: str) -> tuple[list[tuple[str, str]], list[str]]:
        """The container's environment, with the ConfigMaps and Secrets it names read now."""
        ns = pod["metadata"].get("namespace", "")
        wanted: set[tuple[str, str]] = set()
        for src in container.get("envFrom") or []:
            if src.get("configMapRef"):
                wanted.add(("configmaps", src["configMapRef"].get("name", "")))
            if src.get("secretRef"):
                wanted.add(("secrets", src["secretRef"].get("name", "")))
        for var in container.get("env") or []:
            ref = var.get("valueFrom") or {}
            if ref.get("configMapKeyRef"):
                wanted.add(("configmaps", ref["configMapKeyRef"].get("name", "")))
            if ref.get("secretKeyRef"):
                wanted.add(("secrets", ref["secretKeyRef"].get("name", "")))
        found = dict(zip(wanted, await asyncio.gather(*(self.get_object(p, ns, n) for p, n in wanted))))
        return resolve_env(pod, container, configmaps=lambda _ns, n: found.get(("configmaps", n)),
                           secrets=lambda _ns, n: found.get(("secrets", n)),
                           allocatable=self.node.allocatable, pod_ip=pod_ip, host_ip=self.node_ip,
                           service_env=self.service_env)

    async def pull_secrets(self, pod: dict) -> list[dict]:
        ns = pod["metadata"].get("namespace", "")
        names = [s.get("name", "") for s in (pod.get("spec") or {}).get("imagePullSecrets") or []]
        found = await asyncio.gather(*(self.get_object("secrets", ns, n) for n in names))
        return [s for s in found if s is not None]


def pod_network(config: KubeletConfig, pod_cidr: str, *, rootless: bool) -> PodNetwork:
    bridge, prefix = agent_names(config.data_dir)
    # rootless: the bridge in a node namespace of the kubelet's own, namespaces bound under agent/
    where = {"netns_dir": str(config.agent_dir / "netns"), "node_netns": f"{prefix}-node"} if rootless else {}
    return PodNetwork(config.agent_dir / "network", bridge=bridge, pod_cidr=pod_cidr,
                      cluster_cidr=config.cluster_cidr or None, netns_prefix=prefix, **where)


async def teardown(config: KubeletConfig, *, rootless: bool | None = None) -> None:
    """Kill every container of this node, unmount its pods' tmpfs volumes, and remove
    their network and the bridge (for tests and uninstalls; a kubelet restart keeps
    containers running)."""
    rootless = in_user_namespace() if rootless is None else rootless
    runtime = RuncRuntime(config.agent_dir, runc=config.runc, cgroup_root=config.cgroup_root, rootless=rootless)
    await runtime.teardown()
    pods = config.agent_dir / "pods"
    for pod_dir in pods.iterdir() if pods.is_dir() else ():
        await asyncio.to_thread(release_volumes, pod_dir)      # tmpfs emptyDirs
    # the bridge exists from the node's start, its state dir only from its first pod;
    # the CIDR only matters for handing out addresses, which a teardown does not do
    net = pod_network(config, "10.255.255.0/29", rootless=rootless)
    await asyncio.to_thread(net.teardown_node)
