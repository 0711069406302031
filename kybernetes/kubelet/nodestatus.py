"""What a real node reports about itself: capacity read off the machine, allocatable
after reservations and hard-eviction thresholds, and nodeInfo. These are the parts of
the kubelet's node status that are facts about the host. The agent that writes them
comes later in issue #6.

Formats follow the kubelet:

- capacity memory and ephemeral-storage are in ``Ki``;
- allocatable memory is in ``Ki`` too;
- allocatable ephemeral-storage is a plain number of bytes, because the ``nodefs.available``
  threshold is a percentage.
"""

from __future__ import annotations

import math
import os
import platform
import uuid
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from ..api.quantity import parse_quantity
from .images.store import host_platform

__all__ = ["DEFAULT_EVICTION_HARD", "DEFAULT_MAX_PODS", "Machine", "allocatable", "capacity", "node_info",
           "parse_resource_list", "read_machine"]

DEFAULT_MAX_PODS = 110
# the kubelet's default --eviction-hard, as far as allocatable is concerned
DEFAULT_EVICTION_HARD = {"memory.available": "100Mi", "nodefs.available": "10%"}


@dataclass(frozen=True)
class Machine:
    cpus: int
    memory: int             # bytes (MemTotal)
    ephemeral_storage: int  # bytes of the filesystem holding the data dir
    hostname: str
    kernel: str
    os_image: str
    machine_id: str
    boot_id: str
    system_uuid: str
    architecture: str


def _read(path: str, default: str = "") -> str:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return default


def _os_image() -> str:
    for line in _read("/etc/os-release").splitlines():
        if line.startswith("PRETTY_NAME="):
            return line.split("=", 1)[1].strip().strip('"')
    return "Linux"


def read_machine(data_dir: str | Path) -> Machine:
    mem_kib = next((int(line.split()[1]) for line in _read("/proc/meminfo").splitlines()
                    if line.startswith("MemTotal:")), 0)
    fs = os.statvfs(data_dir)
    machine_id = _read("/etc/machine-id") or _read("/var/lib/dbus/machine-id")
    return Machine(
        cpus=len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1),
        memory=mem_kib * 1024,
        ephemeral_storage=fs.f_blocks * fs.f_frsize,
        hostname=platform.node().lower(),
        kernel=platform.release(),
        os_image=_os_image(),
        machine_id=machine_id,
        boot_id=_read("/proc/sys/kernel/random/boot_id"),
        # product_uuid needs root and DMI; the machine ID is the kubelet's fallback too
        system_uuid=_read("/sys/class/dmi/id/product_uuid") or
        (str(uuid.UUID(machine_id)) if len(machine_id) == 32 else ""),
        architecture=host_platform()[1],
    )


def parse_resource_list(text: str) -> dict[str, Fraction]:
    """``--system-reserved``/``--kube-reserved`` syntax: ``cpu=100m,memory=100Mi,...``."""
    out: dict[str, Fraction] = {}
    for item in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise ValueError(f"{item!r}: expected name=quantity")
        out[name.strip()] = parse_quantity(value.strip())
    return out


def _ki(n: int) -> str:
    """Bytes as the kubelet's binary quantities print them: Ki when whole, else bytes."""
    return f"{n // 1024}Ki" if n % 1024 == 0 else str(n)


def capacity(machine: Machine, *, max_pods: int = DEFAULT_MAX_PODS) -> dict[str, str]:
    return {"cpu": str(machine.cpus), "ephemeral-storage": _ki(machine.ephemeral_storage),
            "hugepages-1Gi": "0", "hugepages-2Mi": "0", "memory": _ki(machine.memory), "pods": str(max_pods)}


def _threshold(value: str, total: int) -> int:
    if value.endswith("%"):
        return math.floor(Fraction(value[:-1]) / 100 * total)
    return math.ceil(parse_quantity(value))


def allocatable(machine: Machine, *, system_reserved: dict[str, Fraction] | None = None,
                kube_reserved: dict[str, Fraction] | None = None,
                eviction_hard: dict[str, str] | None = None, max_pods: int = DEFAULT_MAX_PODS) -> dict[str, str]:
    """Capacity minus ``--system-reserved``, ``--kube-reserved`` and the hard eviction
    thresholds (memory.available, nodefs.available), never below zero."""
    reserved: dict[str, Fraction] = {}
    for source in (system_reserved or {}, kube_reserved or {}):
        for name, q in source.items():
            reserved[name] = reserved.get(name, Fraction(0)) + q
    eviction = DEFAULT_EVICTION_HARD if eviction_hard is None else eviction_hard
    memory = machine.memory - math.ceil(reserved.get("memory", 0))
    if "memory.available" in eviction:
        memory -= _threshold(eviction["memory.available"], machine.memory)
    storage = machine.ephemeral_storage - math.ceil(reserved.get("ephemeral-storage", 0))
    if "nodefs.available" in eviction:
        storage -= _threshold(eviction["nodefs.available"], machine.ephemeral_storage)
    millicpu = machine.cpus * 1000 - math.ceil(reserved.get("cpu", 0) * 1000)
    cpu = str(max(0, millicpu) // 1000) if millicpu % 1000 == 0 else f"{max(0, millicpu)}m"
    return {"cpu": cpu, "ephemeral-storage": str(max(0, storage)), "hugepages-1Gi": "0", "hugepages-2Mi": "0",
            "memory": _ki(max(0, memory)), "pods": str(max_pods)}


def node_info(machine: Machine, *, kubelet_version: str, runtime_version: str) -> dict[str, str]:
    return {"machineID": machine.machine_id, "systemUUID": machine.system_uuid, "bootID": machine.boot_id,
            "kernelVersion": machine.kernel, "osImage": machine.os_image,
            "containerRuntimeVersion": runtime_version, "kubeletVersion": kubelet_version,
            "kubeProxyVersion": "", "operatingSystem": "linux", "architecture": machine.architecture}
