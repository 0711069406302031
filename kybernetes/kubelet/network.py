"""Pod networking: every pod gets its own named network namespace, joined by a veth
pair to a per-node bridge, with an IPv4 address from the node's podCIDR.

    root netns:  <bridge> (gateway, e.g. 10.42.0.1/24) ── kv<hash> ─┐
    pod netns:   lo, eth0 (10.42.0.N/24) ───────────────────────────┘

A rootless kubelet (root only inside a user namespace of its own) cannot touch the
host's namespace; its bridge then lives in a *node* namespace of its own instead of the
root one, and sockets meant for pods (probes) are made there (:class:`SocketMaker`).

Pods see their subnet on-link and, when a cluster CIDR is given, a route to it via the
gateway, and routes to the service IPs the node carries itself
(:meth:`PodNetwork.forward_service`); there is no default route, so nothing a pod sends
can leave the node (the kubelet never enables forwarding, nor NAT beyond that DNAT to
the node itself). Addresses are kept in ``ipam.json`` under the state dir, which is also
how a restarted kubelet finds the pods it set up before.

The calls are synchronous and meant for ``asyncio.to_thread``. Namespace work runs in
a fresh thread: a thread may switch its own network namespace (setns/unshare act per
thread), and a switched thread must never go back to a pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import errno
import fcntl
import hashlib
import ipaddress
import json
import os
import queue
import re
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from pyroute2 import IPRoute, NetlinkError, netns

T = TypeVar("T")
CLONE_NEWNET = 0x40000000
POD_IFNAME = "eth0"
_libc = ctypes.CDLL(None, use_errno=True)
_SAFE_NAME = re.compile(r"[A-Za-z0-9_.-]+")


class NetworkError(ValueError):
    """The pod network cannot be set up as asked (bad CIDR, addresses exhausted, no bridge)."""


@dataclass(frozen=True)
class PodNet:
    netns_path: str   # <netns dir>/<netns>: the OCI "network" namespace path for runc
    ip: str
    netns: str


class IPAM:
    """pod uid -> IPv4 address of a CIDR, in a JSON file. Writes are atomic (temp file,
    fsync, rename) and done under an flock, so threads and processes sharing the file
    never hand out one address twice."""

    def __init__(self, path: Path, cidr: str) -> None:
        try:
            self.network = ipaddress.IPv4Network(cidr)
        except ValueError as e:
            raise NetworkError(f"pod CIDR {cidr!r}: {e}") from None
        if self.network.prefixlen > 30:
            raise NetworkError(f"pod CIDR {cidr} is too small (needs a gateway and a pod)")
        self.path = path
        self.gateway = self.network.network_address + 1

    def allocations(self) -> dict[str, str]:
        try:
            return dict(json.loads(self.path.read_text()).get("allocations", {}))
        except FileNotFoundError:
            return {}

    def allocate(self, uid: str) -> str:
        with self._locked():
            allocs = self.allocations()
            mine = allocs.get(uid)
            # the same pod keeps its address (unless the node's CIDR changed under it)
            if mine and ipaddress.IPv4Address(mine) in self.network and mine != str(self.gateway):
                return mine
            used = set(allocs.values())
            # hosts() already leaves out the network and broadcast addresses
            for host in self.network.hosts():
                if host != self.gateway and str(host) not in used:
                    allocs[uid] = str(host)
                    self._write(allocs)
                    return str(host)
        raise NetworkError(f"pod CIDR {self.network} is exhausted ({len(used)} addresses in use)")

    def release(self, uid: str) -> None:
        with self._locked():
            allocs = self.allocations()
            if allocs.pop(uid, None) is not None:
                self._write(allocs)

    def remove(self) -> None:
        with self._locked():
            self.path.unlink(missing_ok=True)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)   # released when the file is closed
            yield

    def _write(self, allocs: dict[str, str]) -> None:
        tmp = self.path.with_suffix(".tmp")
        with open(tmp, "w") as f:
            json.dump({"cidr": str(self.network), "allocations": allocs}, f, indent=1, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)
        dir_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)   # make the rename itself durable
        finally:
            os.close(dir_fd)


class PodNetwork:
    def __init__(self, state_dir: Path, *, bridge: str, pod_cidr: str, cluster_cidr: str | None = None,
                 netns_prefix: str, mtu: int = 1500, netns_dir: str = netns.NETNS_RUN_DIR,
                 node_netns: str | None = None) -> None:
        """``node_netns`` names the namespace that holds the bridge (rootless); by
        default the bridge is in the kubelet's own, the host's."""
        if not 0 < len(bridge) <= 15:
            raise NetworkError(f"bridge name {bridge!r} must have 1 to 15 characters")
        self.bridge = bridge
        self.prefix = netns_prefix
        self.mtu = mtu
        self.netns_dir = str(netns_dir)
        self.node_netns = node_netns
        self.ipam = IPAM(Path(state_dir) / "ipam.json", pod_cidr)
        try:
            self.cluster_cidr = ipaddress.IPv4Network(cluster_cidr) if cluster_cidr else None
        except ValueError as e:
            raise NetworkError(f"cluster CIDR {cluster_cidr!r}: {e}") from None
        self.service_ips: list[str] = []   # routed to the node (forward_service)
        # setup and teardown of one uid must not interleave; different uids may
        self._locks = [threading.Lock() for _ in range(16)]

    @property
    def gateway(self) -> str:
        return str(self.ipam.gateway)

    # ------------------------------------------------------------------ names
    def netns_name(self, uid: str) -> str:
        name = f"{self.prefix}-{uid}"
        if len(name) > 64 or not _SAFE_NAME.fullmatch(uid):
            name = f"{self.prefix}-{hashlib.sha256(uid.encode()).hexdigest()[:16]}"
        return name

    def veth_name(self, uid: str) -> str:
        # IFNAMSIZ leaves 15 characters; the prefix keeps two nodes' pods of one uid apart
        return "kv" + hashlib.sha256(f"{self.prefix}/{uid}".encode()).hexdigest()[:12]

    def _pod_net(self, uid: str, ip: str) -> PodNet:
        name = self.netns_name(uid)
        return PodNet(netns_path=self._netns_path(name), ip=ip, netns=name)

    def _netns_path(self, name: str) -> str:
        return os.path.join(self.netns_dir, name)

    def _on_node(self, fn: Callable[..., T], *args) -> T:
        """Run ``fn`` in the namespace that holds the bridge."""
        if self.node_netns is None:
            return fn(*args)

        def run() -> T:
            _enter_netns(self._netns_path(self.node_netns))
            return fn(*args)
        return _in_fresh_thread(run)

    def socket_maker(self) -> SocketMaker | None:
        """How to make sockets that reach pods: None when the kubelet's own do."""
        return None if self.node_netns is None else SocketMaker(self._netns_path(self.node_netns))

    def _lock(self, uid: str) -> threading.Lock:
        return self._locks[int(hashlib.sha256(uid.encode()).hexdigest()[:4], 16) % len(self._locks)]

    # ------------------------------------------------------------------ node
    def setup_node(self) -> None:
        self._on_node(self._setup_bridge)

    def _setup_bridge(self) -> None:
        with _rtnl() as ipr:
            index = _lookup(ipr, self.bridge)
            if index is None:
                with _ignore(errno.EEXIST):   # another thread was quicker
                    ipr.link("add", ifname=self.bridge, kind="bridge", mtu=self.mtu)
                index = _lookup(ipr, self.bridge)
            if self.gateway not in _ipv4_addresses(ipr, index):
                with _ignore(errno.EEXIST):
                    ipr.addr("add", index=index, address=self.gateway, prefixlen=self.ipam.network.prefixlen)
            ipr.link("set", index=index, state="up")

    def forward_service(self, ip: str, port: int, to_port: int) -> None:
        """Send pods' TCP connections to ``ip:port`` to ``to_port`` on the gateway
        (pods set up from now on get a route to ``ip``)."""
        table = self.bridge   # the node's own table, named like its bridge
        rules = (_drop_table(table) + f"table ip {table} {{\n chain prerouting {{\n"
                 f"  type nat hook prerouting priority dstnat; policy accept;\n"
                 f"  iifname \"{self.bridge}\" ip daddr {ip} tcp dport {port} dnat to {self.gateway}:{to_port}\n"
                 f" }}\n}}\n")
        self._on_node(_nft, rules)
        if ip not in self.service_ips:
            self.service_ips.append(ip)

    def teardown_node(self, wait: float = 2.0) -> None:
        """Remove every pod namespace of this node (recorded, or just named ``<prefix>-*``:
        a crash, a wiped state dir), their veths, the bridge and the address file."""
        names = {self.netns_name(uid) for uid in self.ipam.allocations()}
        names |= {n for n in netns.listnetns(self.netns_dir) if n.startswith(self.prefix + "-")}
        names.discard(self.node_netns)
        for name in names:
            _remove_netns(self._netns_path(name))
        self._on_node(self._remove_bridge, wait)
        if self.node_netns is not None:   # a node namespace takes its nft table along
            _remove_netns(self._netns_path(self.node_netns))
        else:
            with contextlib.suppress(NetworkError):   # (no nft: no table either)
                _nft(_drop_table(self.bridge))
        self.ipam.remove()

    def _remove_bridge(self, wait: float) -> None:
        with _rtnl() as ipr:
            # a dying namespace takes its veth pair along, and the kernel batches that far
            # better than one synchronous delete per veth; wait for it, then delete what
            # is left (a namespace some process still holds)
            deadline = time.monotonic() + wait
            while True:
                index = _lookup(ipr, self.bridge)
                ports = [] if index is None else [ln["index"] for ln in ipr.get_links() if ln.get("master") == index]
                if not ports or time.monotonic() > deadline:
                    break
                time.sleep(0.01)
            for port in ports:
                with _ignore(errno.ENODEV):
                    ipr.link("del", index=port)
            if index is not None:
                with _ignore(errno.ENODEV):
                    ipr.link("del", index=index)

    # ------------------------------------------------------------------ pods
    def pods(self) -> dict[str, PodNet]:
        return {uid: self._pod_net(uid, ip) for uid, ip in self.ipam.allocations().items()}

    def setup_pod(self, pod_uid: str) -> PodNet:
        with self._lock(pod_uid):
            net = self._pod_net(pod_uid, self.ipam.allocate(pod_uid))
            _in_fresh_thread(self._plumb, net, self.veth_name(pod_uid))
            return net

    def teardown_pod(self, pod_uid: str) -> None:
        with self._lock(pod_uid):
            self._on_node(self._remove_veth, self.veth_name(pod_uid))
            _remove_netns(self._netns_path(self.netns_name(pod_uid)))
            self.ipam.release(pod_uid)   # last: a crash before this leaves a record to retry

    @staticmethod
    def _remove_veth(veth: str) -> None:
        with _rtnl() as ipr:
            index = _lookup(ipr, veth)
            if index is not None:
                with _ignore(errno.ENODEV):   # deleting one end removes both
                    ipr.link("del", index=index)

    def _plumb(self, net: PodNet, veth: str) -> None:
        """Create or repair the pod's namespace, veth and addresses (in a throwaway thread)."""
        net_mask = self.ipam.network.prefixlen
        if self.node_netns is not None:
            _enter_netns(self._netns_path(self.node_netns))
        with _rtnl() as host:   # opened before the switch, so it stays in the bridge's namespace
            bridge = _lookup(host, self.bridge)
            if bridge is None:
                raise NetworkError(f"bridge {self.bridge} does not exist (setup_node first)")
            _enter_netns(net.netns_path)
            with _rtnl() as pod:
                eth0, host_end = _lookup(pod, POD_IFNAME), _lookup(host, veth)
                if eth0 is None or host_end is None:   # new, or half made before a crash
                    for ipr, index in ((host, host_end), (pod, eth0)):
                        if index is not None:
                            with _ignore(errno.ENODEV):
                                ipr.link("del", index=index)
                    fd = os.open(net.netns_path, os.O_RDONLY)
                    try:   # the peer is born inside the pod: no clash with the host's own eth0
                        host.link("add", ifname=veth, kind="veth", mtu=self.mtu,
                                  peer={"ifname": POD_IFNAME, "net_ns_fd": fd, "mtu": self.mtu})
                    finally:
                        os.close(fd)
                    eth0, host_end = _lookup(pod, POD_IFNAME), _lookup(host, veth)
                host.link("set", index=host_end, master=bridge, state="up")
                pod.link("set", index=_lookup(pod, "lo"), state="up")
                for stale in _ipv4_addresses(pod, eth0) - {net.ip}:
                    pod.addr("del", index=eth0, address=stale, prefixlen=net_mask)
                if net.ip not in _ipv4_addresses(pod, eth0):
                    # the address brings the on-link route to the pod subnet with it
                    pod.addr("add", index=eth0, address=net.ip, prefixlen=net_mask)
                pod.link("set", index=eth0, state="up")
                cluster = self.cluster_cidr
                if cluster is not None and not cluster.subnet_of(self.ipam.network):
                    pod.route("replace", dst=str(cluster), gateway=self.gateway, oif=eth0)
                for ip in self.service_ips:
                    pod.route("replace", dst=f"{ip}/32", gateway=self.gateway, oif=eth0)


# ---------------------------------------------------------------------- helpers
@contextlib.contextmanager
def _rtnl() -> Iterator[IPRoute]:
    # a netlink socket in the calling thread's namespace; one per call serves all of its
    # requests (a sync IPRoute is tied to the thread that made it, so it is not pooled),
    # and no multicast groups: we only ask, we do not listen to every link event.
    # pyroute2 runs an event loop of its own; it must be a plain asyncio one (uvloop, which
    # the kubelet installs as the default, cannot open netlink sockets)
    loop = asyncio.SelectorEventLoop()
    try:
        with IPRoute(groups=0, use_event_loop=loop) as ipr:
            yield ipr
    finally:
        loop.close()


def _lookup(ipr: IPRoute, ifname: str) -> int | None:
    found = ipr.link_lookup(ifname=ifname)
    return found[0] if found else None


def _ipv4_addresses(ipr: IPRoute, index: int) -> set[str]:
    return {a.get("address") for a in ipr.get_addr(index=index, family=socket.AF_INET)}


@contextlib.contextmanager
def _ignore(*codes: int) -> Iterator[None]:
    try:
        yield
    except NetlinkError as e:
        if e.code not in codes:
            raise


def _enter_netns(path: str) -> None:
    """Move the calling thread into the namespace bound at ``path``, creating it if needed."""
    with contextlib.suppress(FileNotFoundError):
        fd = os.open(path, os.O_RDONLY)
        try:
            netns.setns(fd)
            return
        except OSError as e:
            if e.errno != errno.EINVAL:
                raise
            _remove_netns(path)   # a bare file, left by a crash between create and mount
        finally:
            os.close(fd)
    # unshare moves only this thread; attach bind-mounts its namespace to the path,
    # which is what `ip netns add` does, without forking a helper process
    if _libc.unshare(CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"unshare(CLONE_NEWNET): {os.strerror(err)}")
    netns.attach(path, threading.get_native_id())


def _drop_table(table: str) -> str:
    """nft commands that remove ``table`` whether or not it exists (created first, so the
    delete cannot fail)."""
    return f"table ip {table}\ndelete table ip {table}\n"


def _nft(rules: str) -> None:
    """Load an nftables ruleset (atomically) in the calling thread's namespace."""
    try:
        done = subprocess.run(["nft", "-f", "-"], input=rules, capture_output=True, text=True, timeout=30)
    except FileNotFoundError:
        raise NetworkError("nft is not installed (Debian package nftables)") from None
    if done.returncode != 0:
        raise NetworkError(f"nft: {done.stderr.strip()}")


def _remove_netns(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        netns.remove(path)   # lazy unmount, then unlink; gone for good once unused


class SocketMaker:
    """Makes sockets inside one network namespace: a thread that lives there makes
    them (a socket keeps the namespace it was made in, wherever it is used). For a
    rootless kubelet, which cannot switch its own threads back and forth."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._requests: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def __call__(self, family: int = socket.AF_INET, type_: int = socket.SOCK_STREAM, proto: int = 0) -> socket.socket:
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name="kyb-node-netns", daemon=True)
                self._thread.start()
        answer: queue.SimpleQueue = queue.SimpleQueue()
        self._requests.put(((family, type_, proto), answer))
        ok, value = answer.get()
        if not ok:
            raise value
        return value

    def enter(self) -> None:
        """Move the calling (single-threaded, e.g. just forked) process into the namespace."""
        fd = os.open(self.path, os.O_RDONLY)
        try:
            if _libc.setns(fd, CLONE_NEWNET) != 0:
                err = ctypes.get_errno()
                raise OSError(err, f"setns({self.path}): {os.strerror(err)}")
        finally:
            os.close(fd)

    async def open_connection(self, host: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """A TCP connection from inside the namespace."""
        sock = self(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM, 0)
        try:
            sock.setblocking(False)
            await asyncio.get_running_loop().sock_connect(sock, (host, port))
        except BaseException:
            sock.close()
            raise
        return await asyncio.open_connection(sock=sock)

    def close(self) -> None:
        """Let the thread go (it ends once it sees this)."""
        if self._thread is not None:
            self._requests.put(None)

    def _serve(self) -> None:
        entered: BaseException | None = None
        try:
            _enter_netns(self.path)
        except BaseException as e:  # noqa: BLE001 -- every caller gets it
            entered = e
        while True:
            request = self._requests.get()
            if request is None:
                return
            args, answer = request
            if entered is not None:
                answer.put((False, entered))
                continue
            try:
                answer.put((True, socket.socket(*args)))
            except OSError as e:
                answer.put((False, e))


def _in_fresh_thread(fn: Callable[..., T], *args) -> T:
    result: list = []

    def run() -> None:
        try:
            result.append((True, fn(*args)))
        except BaseException as e:  # noqa: BLE001 -- re-raised in the caller below
            result.append((False, e))

    thread = threading.Thread(target=run, name="kyb-netns", daemon=True)
    thread.start()
    thread.join()
    ok, value = result[0]
    if not ok:
        raise value
    return value
