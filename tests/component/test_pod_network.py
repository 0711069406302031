"""The pod network on this machine: real namespaces, veths and a bridge. Every test
uses its own bridge, namespace prefix and pod CIDR (so xdist workers and kubelets of
other test clusters never meet), and the fixture tears the node down and checks that
nothing is left, whether the test passed or not. Traffic only goes between pods and
the bridge these tests made; the one packet aimed outside is refused inside the pod."""

from __future__ import annotations

import errno
import ipaddress
import itertools
import json
import os
import socket
import subprocess
import sys
import threading

import pytest
from pyroute2 import IPRoute, netns

from kybernetes.kubelet.network import NetworkError, PodNet, PodNetwork

# (as root, like the rest of the runtime tests: .ci/run and make test run as root)
_seq = itertools.count()
_POOL = ipaddress.IPv4Network("10.160.0.0/11")   # test pod CIDRs: /24s from here


def _free_cidr(n: int) -> ipaddress.IPv4Network:
    """A /24 of the pool that no route on this machine touches yet (other workers' and
    clusters' bridges included); the pid spreads parallel workers apart."""
    with IPRoute() as ipr:
        taken = [ipaddress.IPv4Network(f"{r.get('dst')}/{r['dst_len']}") for r in ipr.get_routes(family=socket.AF_INET)
                 if r["dst_len"]]
    subnets = 1 << (24 - _POOL.prefixlen)
    for i in range(subnets):
        candidate = ipaddress.IPv4Network((int(_POOL.network_address) + ((os.getpid() * 16 + n + i) % subnets) * 256, 24))
        if not any(candidate.overlaps(t) for t in taken):
            return candidate
    raise RuntimeError("no free test CIDR")


def _links() -> set[str]:
    with IPRoute() as ipr:
        return {ln.get("ifname") for ln in ipr.get_links()}


@pytest.fixture
def node(tmp_path):
    """make(**overrides) -> a set-up PodNetwork with names of its own; every one made is
    torn down afterwards, with a check that its bridge, veths and namespaces are gone."""
    made: list[PodNetwork] = []

    def make(cidr: str | None = None, *, state_dir=None, cluster_cidr: str | None = None) -> PodNetwork:
        n = next(_seq)
        net = PodNetwork(state_dir or tmp_path / f"net{n}", bridge=f"kt{os.getpid()}b{n}",
                         pod_cidr=cidr or str(_free_cidr(n)), cluster_cidr=cluster_cidr,
                         netns_prefix=f"kt{os.getpid()}p{n}")
        made.append(net)
        net.setup_node()
        return net

    yield make
    errors = []
    for net in made:
        veths = {net.veth_name(uid) for uid in net.pods()}
        try:
            net.teardown_node()
        except Exception as e:  # noqa: BLE001 -- keep going: the others must be cleaned too
            errors.append(e)
            continue
        left = [n for n in netns.listnetns() if n.startswith(net.prefix + "-")]
        left += sorted(({net.bridge} | veths) & _links())
        if left or net.pods():
            errors.append(AssertionError(f"left behind: {left} {net.pods()}"))
    if errors:
        raise errors[0]


# each pod-side snippet first checks it really runs in a pod namespace (lo and eth0 only)
_GUARD = ("import socket, sys\n"
          "assert sorted(n for _, n in socket.if_nameindex()) == ['eth0', 'lo'], socket.if_nameindex()\n")


def in_pod(pod: PodNet, code: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen(["ip", "netns", "exec", pod.netns, sys.executable, "-c", _GUARD + code, *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def run_in_pod(pod: PodNet, code: str) -> str:
    proc = in_pod(pod, code)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    return out.strip()


ECHO_SERVER = """
srv = socket.create_server((sys.argv[1], 8080))
print("ready", flush=True)
for _ in range(int(sys.argv[2])):
    conn, peer = srv.accept()
    with conn:
        conn.sendall(f"{conn.recv(100).decode()} from {peer[0]}".encode())
"""


def test_pods_get_distinct_addresses_and_reach_each_other_and_the_host_reaches_them(node):
    net = node()
    a, b = net.setup_pod("pod-a"), net.setup_pod("pod-b")
    cidr = net.ipam.network
    assert a.ip != b.ip and {a.ip, b.ip}.isdisjoint({net.gateway, str(cidr[0]), str(cidr[-1])})
    assert all(ipaddress.IPv4Address(p.ip) in cidr for p in (a, b))
    assert net.gateway == str(cidr[1])
    with IPRoute() as ipr:
        [bridge] = ipr.link("get", ifname=net.bridge)
        assert bridge["flags"] & 1   # IFF_UP
        addrs = [(x.get("address"), x["prefixlen"]) for x in ipr.get_addr(index=bridge["index"], family=socket.AF_INET)]
        assert addrs == [(net.gateway, cidr.prefixlen)]

    server = in_pod(a, ECHO_SERVER, a.ip, "2")
    try:
        assert server.stdout.readline().strip() == "ready", server.stderr.read()
        reply = run_in_pod(b, f"""
with socket.create_connection(("{a.ip}", 8080), timeout=5) as s:
    s.sendall(b"hi"); print(s.recv(100).decode())
""")
        assert reply == f"hi from {b.ip}"
        # the root namespace reaches the pod over the bridge, from the gateway address
        with socket.create_connection((a.ip, 8080), timeout=5) as s:
            s.sendall(b"host")
            assert s.recv(100).decode() == f"host from {net.gateway}"
        assert server.wait(timeout=10) == 0
    finally:
        server.kill()
        server.communicate()


def test_a_pod_has_no_default_route_and_cannot_reach_outside(node):
    cidr = _free_cidr(next(_seq))
    cluster = cidr.supernet(new_prefix=16)
    net = node(str(cidr), cluster_cidr=str(cluster))
    pod = net.setup_pod("lonely")
    with IPRoute(netns=pod.netns) as ipr:
        routes = {(f"{r.get('dst')}/{r['dst_len']}", r.get("gateway"))
                  for r in ipr.get_routes(family=socket.AF_INET, table=254)}
    assert routes == {(str(cidr), None), (str(cluster), net.gateway)}
    # no route, so the kernel refuses at connect(): nothing is sent anywhere
    got = run_in_pod(pod, """
s = socket.socket(); s.settimeout(2)
try:
    s.connect(("192.0.2.1", 9))
except OSError as e:
    print(e.errno)
""")
    assert got == str(errno.ENETUNREACH)


def test_setup_is_idempotent_adoptable_and_teardown_releases(node, tmp_path):
    net = node()
    a = net.setup_pod("pod-a")
    assert net.setup_pod("pod-a") == a
    b = net.setup_pod("pod-b")
    assert net.pods() == {"pod-a": a, "pod-b": b}
    assert {a.netns, b.netns} <= set(netns.listnetns()) and os.path.exists(a.netns_path)
    assert a.netns == f"{net.prefix}-pod-a" and a.netns_path == f"/var/run/netns/{a.netns}"
    assert {net.veth_name("pod-a"), net.veth_name("pod-b")} <= _links()
    assert all(len(net.veth_name(u)) <= 15 for u in ("pod-a", "x" * 200))
    assert json.loads((net.ipam.path).read_text())["cidr"] == str(net.ipam.network)

    # a restarted kubelet: a new PodNetwork over the same state sees and keeps the pods
    again = PodNetwork(net.ipam.path.parent, bridge=net.bridge, pod_cidr=str(net.ipam.network),
                       netns_prefix=net.prefix)
    assert again.pods() == net.pods()
    assert again.setup_pod("pod-b") == b

    # a half-broken pod (its veth deleted behind our back) is repaired by setup_pod
    with IPRoute() as ipr:
        ipr.link("del", index=ipr.link_lookup(ifname=net.veth_name("pod-b"))[0])
    assert net.setup_pod("pod-b") == b and net.veth_name("pod-b") in _links()
    with IPRoute(netns=b.netns) as ipr:
        [eth0] = ipr.link_lookup(ifname="eth0")
        assert [(x.get("address"), x["prefixlen"]) for x in ipr.get_addr(index=eth0, family=socket.AF_INET)] \
            == [(b.ip, net.ipam.network.prefixlen)]

    net.teardown_pod("pod-a")
    net.teardown_pod("pod-a")   # idempotent
    net.teardown_pod("never-set-up")
    assert not os.path.exists(a.netns_path) and a.netns not in netns.listnetns()
    assert net.veth_name("pod-a") not in _links()
    assert net.pods() == {"pod-b": b}
    assert net.setup_pod("pod-c").ip == a.ip   # the released address is handed out again


def test_teardown_node_cleans_up_after_a_crashed_kubelet(node, tmp_path):
    net = node()
    pods = [net.setup_pod(f"p{i}") for i in range(3)]
    # the crash: state lost, plus a bare mount point left between create and mount
    net.ipam.path.unlink()
    bare = f"/var/run/netns/{net.prefix}-half"
    open(bare, "w").close()
    fresh = PodNetwork(tmp_path / "elsewhere", bridge=net.bridge, pod_cidr="10.255.255.0/30",
                       netns_prefix=net.prefix)
    fresh.teardown_node()
    assert not any(n.startswith(net.prefix + "-") for n in netns.listnetns())
    assert not ({net.bridge} | {net.veth_name(f"p{i}") for i in range(3)}) & _links()
    assert not any(os.path.exists(p.netns_path) for p in pods)


def test_a_small_cidr_runs_out(node):
    cidr = _free_cidr(next(_seq))
    net = node(str(next(cidr.subnets(new_prefix=29))))   # .0 net, .1 gateway, .7 broadcast
    got = [net.setup_pod(f"p{i}").ip for i in range(5)]
    assert got == [str(net.ipam.network[i]) for i in range(2, 7)]
    with pytest.raises(NetworkError, match="exhausted"):
        net.setup_pod("one-too-many")
    assert isinstance(NetworkError("x"), ValueError)
    assert "one-too-many" not in net.pods()
    net.teardown_pod("p3")
    assert net.setup_pod("late").ip == got[3]

    tiny = node(str(list(cidr.subnets(new_prefix=30))[4]))   # room for a single pod
    tiny.setup_pod("only")
    with pytest.raises(NetworkError):
        tiny.setup_pod("second")


def test_concurrent_setups_share_one_state_dir_without_clashes(node, tmp_path):
    net = node()
    # a second PodNetwork over the same state: like a second process, kept apart by flock
    twin = PodNetwork(net.ipam.path.parent, bridge=net.bridge, pod_cidr=str(net.ipam.network),
                      netns_prefix=net.prefix)
    results: dict[str, PodNet] = {}
    errors: list[BaseException] = []

    def setup(owner: PodNetwork, uid: str) -> None:
        try:
            results[uid] = owner.setup_pod(uid)
        except BaseException as e:  # noqa: BLE001 -- asserted on below
            errors.append(e)

    threads = [threading.Thread(target=setup, args=(net if i % 2 else twin, f"c{i}")) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len({p.ip for p in results.values()}) == 8
    assert net.pods() == results
