"""The node's own facts: capacity and allocatable as the kubelet computes and prints them."""

from __future__ import annotations

import os

import pytest

from kybernetes.kubelet.nodestatus import Machine, allocatable, capacity, node_info, parse_resource_list, read_machine

GI = 1024 ** 3
MACHINE = Machine(cpus=4, memory=16 * GI, ephemeral_storage=100 * GI, hostname="box", kernel="6.1.0",
                  os_image="Debian GNU/Linux 12 (bookworm)", machine_id="a" * 32, boot_id="b", system_uuid="c",
                  architecture="amd64")


def test_capacity_in_the_kubelets_units():
    assert capacity(MACHINE) == {"cpu": "4", "ephemeral-storage": "104857600Ki", "hugepages-1Gi": "0",
                                 "hugepages-2Mi": "0", "memory": "16777216Ki", "pods": "110"}


def test_allocatable_subtracts_reservations_and_hard_eviction():
    # default --eviction-hard only: memory - 100Mi, storage - 10% (printed in bytes)
    assert allocatable(MACHINE) == {"cpu": "4", "ephemeral-storage": str(100 * GI - (100 * GI) // 10),
                                    "hugepages-1Gi": "0", "hugepages-2Mi": "0",
                                    "memory": f"{16 * 1024 * 1024 - 100 * 1024}Ki", "pods": "110"}
    got = allocatable(MACHINE, system_reserved=parse_resource_list("cpu=500m,memory=1Gi"),
                      kube_reserved=parse_resource_list("cpu=250m, memory=512Mi,ephemeral-storage=1Gi"),
                      eviction_hard={})
    assert got["cpu"] == "3250m"
    assert got["memory"] == f"{(16 * GI - GI - 512 * 1024 * 1024) // 1024}Ki"
    assert got["ephemeral-storage"] == str(99 * GI)
    # a decimal reservation leaves bytes that are not whole Ki: printed as bytes
    assert allocatable(MACHINE, system_reserved={"memory": parse_resource_list("memory=1M")["memory"]},
                       eviction_hard={})["memory"] == str(16 * GI - 10 ** 6)
    assert allocatable(MACHINE, system_reserved=parse_resource_list("cpu=8"))["cpu"] == "0"   # never negative


@pytest.mark.parametrize("bad", ["cpu", "=1", "cpu=lots"])
def test_bad_reservations_are_refused(bad):
    with pytest.raises(ValueError):
        parse_resource_list(bad)


def test_this_machine(tmp_path):
    m = read_machine(tmp_path)
    assert m.cpus >= 1 and m.memory > 0 and m.ephemeral_storage > 0
    assert m.kernel == os.uname().release and m.boot_id
    info = node_info(m, kubelet_version="v1.33.0", runtime_version="runc://1.1.5")
    assert info["operatingSystem"] == "linux" and info["kubeletVersion"] == "v1.33.0"
    assert info["containerRuntimeVersion"] == "runc://1.1.5" and info["osImage"]
