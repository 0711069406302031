"""Seccomp profiles for ``securityContext.seccompProfile`` (the container's over the pod's):

- ``Unconfined``, or none given: no filter (the kubelet's default without ``--seccomp-default``);
- ``RuntimeDefault``: the runtime's default profile. Docker and containerd ship an
  allowlist of ~350 system calls; ours is the equivalent denylist of what that
  allowlist leaves out for a container without extra capabilities (kernel modules,
  kexec, reboot, swap, clock and key management, BPF, perf, mount and namespace
  calls, ...), failing them with EPERM. Calls a capability would allow (mount with
  CAP_SYS_ADMIN, and so on) stay allowed when the container has that capability, as
  the default profile does;
- ``Localhost``: a profile file under ``<data-dir>/agent/seccomp/``, named by
  ``localhostProfile``, in the OCI ``linux.seccomp`` format.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["SeccompError", "runtime_default", "seccomp_for"]

ARCHES = ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"]

# denied unless the container holds the capability named
_DENIED: dict[str, tuple[str, ...]] = {
    "": ("acct", "add_key", "bpf", "clock_adjtime", "clock_settime", "create_module", "delete_module",
         "finit_module", "get_kernel_syms", "get_mempolicy", "init_module", "ioperm", "iopl", "kcmp",
         "kexec_file_load", "kexec_load", "keyctl", "lookup_dcookie", "mbind", "move_pages", "nfsservctl",
         "open_by_handle_at", "perf_event_open", "personality", "pivot_root", "process_vm_readv",
         "process_vm_writev", "quotactl", "reboot", "request_key", "set_mempolicy", "setns", "settimeofday",
         "stime", "swapoff", "swapon", "_sysctl", "sysfs", "umount", "umount2", "unshare", "uselib",
         "userfaultfd", "ustat", "vm86", "vm86old", "mount", "fsconfig", "fsmount", "fsopen", "fspick",
         "move_mount", "open_tree", "name_to_handle_at", "syslog", "ptrace"),
}
_CAPABILITY_ALLOWS: dict[str, tuple[str, ...]] = {
    "CAP_SYS_ADMIN": ("bpf", "lookup_dcookie", "mount", "name_to_handle_at",
                      "perf_event_open", "quotactl", "setns", "syslog",
                      "umount", "umount2", "unshare", "fsconfig", "fsmount", "fsopen", "fspick", "move_mount",
                      "open_tree", "pivot_root", "keyctl", "add_key", "request_key"),
    "CAP_SYS_BOOT": ("reboot",),
    "CAP_SYS_MODULE": ("delete_module", "init_module", "finit_module"),
    "CAP_SYS_PACCT": ("acct",),
    "CAP_SYS_PTRACE": ("kcmp", "process_vm_readv", "process_vm_writev", "ptrace"),
    "CAP_SYS_RAWIO": ("iopl", "ioperm"),
    "CAP_SYS_TIME": ("settimeofday", "stime", "clock_settime", "clock_adjtime"),
    "CAP_SYS_NICE": ("get_mempolicy", "mbind", "set_mempolicy", "move_pages"),
    "CAP_SYSLOG": ("syslog",),
    "CAP_BPF": ("bpf",),
    "CAP_PERFMON": ("perf_event_open",),
}
_EPERM = 1


class SeccompError(ValueError):
    """A profile that cannot be used (CreateContainerError)."""


def runtime_default(capabilities: list[str] | tuple[str, ...]) -> dict[str, Any]:
    allowed: set[str] = set()
    for cap in capabilities:
        allowed.update(_CAPABILITY_ALLOWS.get(cap, ()))
    denied = sorted(set(_DENIED[""]) - allowed)
    return {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ARCHES,
            "syscalls": [{"names": denied, "action": "SCMP_ACT_ERRNO", "errnoRet": _EPERM}]}


def _profile(pod_spec: Mapping[str, Any], container: Mapping[str, Any]) -> Mapping[str, Any] | None:
    own = (container.get("securityContext") or {}).get("seccompProfile")
    return own or (pod_spec.get("securityContext") or {}).get("seccompProfile")


def seccomp_for(pod_spec: Mapping[str, Any], container: Mapping[str, Any], capabilities: list[str], *,
                profile_root: Path) -> dict[str, Any] | None:
    """The OCI ``linux.seccomp`` section, or None for no filter."""
    profile = _profile(pod_spec, container)
    kind = (profile or {}).get("type") or "Unconfined"
    if kind == "Unconfined" or (container.get("securityContext") or {}).get("privileged"):
        return None
    if kind == "RuntimeDefault":
        return runtime_default(capabilities)
    if kind == "Localhost":
        name = (profile or {}).get("localhostProfile") or ""
        path = (profile_root / name).resolve()
        if not name or profile_root.resolve() not in path.parents:
            raise SeccompError(f"invalid localhostProfile {name!r}: it must be a path under {profile_root}")
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError) as e:
            raise SeccompError(f"cannot load seccomp profile {str(path)!r}: {e}") from None
    raise SeccompError(f"unknown seccomp profile type {kind!r}")
