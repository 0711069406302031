"""The pod network's address book (kubelet/network.IPAM): which addresses it hands out,
that a pod keeps its own, that released ones come back, and its file on disk."""

from __future__ import annotations

import json
import threading

import pytest

from kybernetes.kubelet.network import IPAM, NetworkError


def test_skips_network_gateway_and_broadcast_and_keeps_a_pods_address(tmp_path):
    ipam = IPAM(tmp_path / "ipam.json", "10.9.0.0/29")
    assert str(ipam.gateway) == "10.9.0.1"
    got = [ipam.allocate(f"u{i}") for i in range(5)]
    assert got == [f"10.9.0.{i}" for i in range(2, 7)]
    assert ipam.allocate("u3") == "10.9.0.5"
    with pytest.raises(NetworkError, match="exhausted"):
        ipam.allocate("extra")
    ipam.release("u1")
    ipam.release("u1")   # idempotent
    assert ipam.allocate("extra") == "10.9.0.3"
    assert json.loads((tmp_path / "ipam.json").read_text()) == {
        "cidr": "10.9.0.0/29", "allocations": {"u0": "10.9.0.2", "extra": "10.9.0.3", "u2": "10.9.0.4",
                                               "u3": "10.9.0.5", "u4": "10.9.0.6"}}
    assert not (tmp_path / "ipam.tmp").exists()


def test_state_survives_a_new_instance_and_a_changed_cidr_moves_the_pod(tmp_path):
    IPAM(tmp_path / "ipam.json", "10.9.0.0/24").allocate("a")
    assert IPAM(tmp_path / "ipam.json", "10.9.0.0/24").allocations() == {"a": "10.9.0.2"}
    assert IPAM(tmp_path / "ipam.json", "10.9.1.0/24").allocate("a") == "10.9.1.2"


@pytest.mark.parametrize("cidr", ["10.9.0.0/31", "10.9.0.1/24", "fd00::/64", "nonsense"])
def test_bad_cidrs_are_network_errors(tmp_path, cidr):
    with pytest.raises(NetworkError):
        IPAM(tmp_path / "ipam.json", cidr)
    assert issubclass(NetworkError, ValueError)


def test_parallel_instances_never_hand_out_one_address_twice(tmp_path):
    got: list[str] = []

    def grab(i: int) -> None:
        ipam = IPAM(tmp_path / "ipam.json", "10.9.0.0/24")   # each its own flock
        for j in range(10):
            got.append(ipam.allocate(f"t{i}-{j}"))

    threads = [threading.Thread(target=grab, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 40 and len(set(got)) == 40
    assert len(IPAM(tmp_path / "ipam.json", "10.9.0.0/24").allocations()) == 40
