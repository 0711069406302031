"""The OCI runtime spec (runc's ``config.json``) for one container of a pod, from the
pod spec, the container and its image's config, following the kubelet and containerd:

- **What runs**: the image's Entrypoint/Cmd against the container's command/args
  (:func:`process_args`), with ``$(VAR)`` references expanded from the environment.
- **Environment**: the image's variables, then the container's, later names winning.
- **User**: runAsUser/runAsGroup (the container's over the pod's), else the image's
  ``User`` looked up in the rootfs's ``/etc/passwd`` and ``/etc/group``. Supplemental
  groups and fsGroup are added.
- **Privileges**: containerd's default capability set, adjusted by
  ``capabilities.add/drop``. ``privileged`` gets every capability and no masked or
  read-only paths. ``allowPrivilegeEscalation: false`` means no_new_privs.
- **Filesystem**: the default mounts (proc, dev, devpts, shm, mqueue, read-only sys and
  cgroup), masked and read-only /proc paths, and a read-only root if asked.
- **Namespaces**: pid, ipc, uts and mount of its own; the pod's network namespace. The
  node's own with ``hostPID``, ``hostIPC`` and ``hostNetwork`` (which brings the node's
  hostname too, as upstream); a debug container joins its target's PID namespace.
- **Resources**: the memory limit, CPU shares from the request, CFS quota from the
  limit, and the pod's pids limit. The OOM score follows the pod's QoS class, never
  below 0 (a negative value needs CAP_SYS_RESOURCE, which this machine's root lacks).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ...api.pods import qos_class
from ...api.quantity import parse_quantity

__all__ = ["DEFAULT_CAPABILITIES", "ALL_CAPABILITIES", "SpecError", "container_env", "expand", "oci_spec",
           "oom_score_adj", "pod_qos", "process_args", "resolve_user"]

# containerd's default set for containers (what `crictl inspect` shows for a plain pod)
DEFAULT_CAPABILITIES = ("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
                        "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
                        "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE")
ALL_CAPABILITIES = (
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
    "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE")
MASKED_PATHS = ("/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi")
READONLY_PATHS = ("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger")
CPU_PERIOD = 100_000            # µs, the CFS period the kubelet uses
MIN_SHARES = 2
_VAR = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")


class SpecError(ValueError):
    """The container cannot be started as asked (the kubelet's CreateContainerConfigError)."""


# ---------------------------------------------------------------------- command line and env
def expand(text: str, env: Mapping[str, str]) -> str:
    """Kubernetes' ``$(VAR)`` expansion: defined variables are replaced, undefined ones
    stay as written, ``$$`` is a literal ``$``."""
    def sub(m: re.Match) -> str:
        if m.group(0) == "$$":
            return "$"
        name = m.group(1)
        return env[name] if name in env else m.group(0)
    return _VAR.sub(sub, text)


def process_args(container: Mapping[str, Any], image_config: Mapping[str, Any], env: Mapping[str, str]) -> list[str]:
    """The kubelet's rule: command replaces the image's Entrypoint (and drops its Cmd),
    args replace its Cmd."""
    entrypoint = list(image_config.get("Entrypoint") or [])
    cmd = list(image_config.get("Cmd") or [])
    command = [expand(c, env) for c in container.get("command") or []]
    args = [expand(a, env) for a in container.get("args") or []]
    if command:
        argv = command + args
    elif args:
        argv = entrypoint + args
    else:
        argv = entrypoint + cmd
    if not argv:
        raise SpecError("no command specified")
    return argv


def container_env(image_config: Mapping[str, Any], resolved: list[tuple[str, str]]) -> list[str]:
    """``NAME=value`` lines: the image's, then the container's (already resolved, in
    order); a later name replaces an earlier one in place."""
    out: dict[str, str] = {}
    for line in image_config.get("Env") or []:
        name, _, value = line.partition("=")
        out[name] = value
    for name, value in resolved:
        out[name] = value
    return [f"{k}={v}" for k, v in out.items()]


# ---------------------------------------------------------------------- user
def _lookup(path: Path, name: str) -> list[str] | None:
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return None
    for line in lines:
        fields = line.split(":")
        if fields and fields[0] == name:
            return fields
    return None


def _groups_of(rootfs: Path, user: str) -> list[int]:
    try:
        lines = (rootfs / "etc/group").read_text(errors="replace").splitlines()
    except OSError:
        return []
    out = []
    for line in lines:
        fields = line.split(":")
        if len(fields) >= 4 and user in fields[3].split(",") and fields[2].isdigit():
            out.append(int(fields[2]))
    return out


def resolve_user(pod_spec: Mapping[str, Any], container: Mapping[str, Any], image_config: Mapping[str, Any],
                 rootfs: Path) -> dict[str, Any]:
    """The OCI ``process.user``: uid, gid and additional gids."""
    pod_sc = pod_spec.get("securityContext") or {}
    sc = container.get("securityContext") or {}
    uid = sc.get("runAsUser", pod_sc.get("runAsUser"))
    gid = sc.get("runAsGroup", pod_sc.get("runAsGroup"))
    name = ""
    image_user = str(image_config.get("User") or "")
    if uid is None and image_user:
        user_part, _, group_part = image_user.partition(":")
        if user_part.isdigit():
            uid = int(user_part)
        else:
            entry = _lookup(rootfs / "etc/passwd", user_part)
            if entry is None or len(entry) < 4:
                raise SpecError(f"unable to find user {user_part}: no matching entries in passwd file")
            uid, name = int(entry[2]), user_part
            if gid is None and not group_part:
                gid = int(entry[3])
        if gid is None and group_part:
            if group_part.isdigit():
                gid = int(group_part)
            else:
                entry = _lookup(rootfs / "etc/group", group_part)
                if entry is None or len(entry) < 3:
                    raise SpecError(f"unable to find group {group_part}: no matching entries in group file")
                gid = int(entry[2])
    uid = int(uid or 0)
    if gid is None:   # a numeric uid without a group: its passwd entry's group, else 0
        entry = next((f for f in _passwd(rootfs) if len(f) >= 4 and f[2] == str(uid)), None)
        gid, name = (int(entry[3]), entry[0]) if entry else (0, name)
    extra = set(_groups_of(rootfs, name)) if name else set()
    extra.update(int(g) for g in pod_sc.get("supplementalGroups") or [])
    if pod_sc.get("fsGroup") is not None:
        extra.add(int(pod_sc["fsGroup"]))
    extra.discard(int(gid))
    return {"uid": uid, "gid": int(gid), "additionalGids": sorted(extra)}


def _passwd(rootfs: Path) -> list[list[str]]:
    try:
        return [line.split(":") for line in (rootfs / "etc/passwd").read_text(errors="replace").splitlines()]
    except OSError:
        return []


# ---------------------------------------------------------------------- privileges
def capabilities(sc: Mapping[str, Any]) -> list[str]:
    if sc.get("privileged"):
        return list(ALL_CAPABILITIES)
    caps = sc.get("capabilities") or {}

    def norm(c: str) -> str:
        c = c.upper()
        return c if c.startswith("CAP_") else f"CAP_{c}"
    drop = {norm(c) for c in caps.get("drop") or []}
    add = [norm(c) for c in caps.get("add") or []]
    base = [] if "CAP_ALL" in drop else [c for c in DEFAULT_CAPABILITIES if c not in drop]
    if "CAP_ALL" in add:
        return list(ALL_CAPABILITIES)
    return base + [c for c in add if c not in base]


# ---------------------------------------------------------------------- resources
def _resources(container: Mapping[str, Any], kind: str) -> Mapping[str, Any]:
    return (container.get("resources") or {}).get(kind) or {}


def pod_qos(pod_spec: Mapping[str, Any]) -> str:
    """Guaranteed, Burstable or BestEffort (the API server's qosClass rule)."""
    return qos_class({"spec": pod_spec})


def oom_score_adj(pod_spec: Mapping[str, Any], container: Mapping[str, Any], memory_capacity: int) -> int:
    """The kubelet's OOM policy, with Guaranteed's -997 raised to 0 (see the module docstring)."""
    qos = pod_qos(pod_spec)
    if qos == "Guaranteed":
        return 0
    if qos == "BestEffort":
        return 1000
    request = _resources(container, "requests").get("memory")
    if request is None or memory_capacity <= 0:
        return 999
    adj = 1000 - math.floor(1000 * parse_quantity(request) / memory_capacity)
    return max(2, min(999, adj))


def linux_resources(container: Mapping[str, Any], *, pids_limit: int | None = None) -> dict[str, Any]:
    req, lim = _resources(container, "requests"), _resources(container, "limits")
    out: dict[str, Any] = {}
    cpu_request = req.get("cpu", lim.get("cpu"))
    milli = math.ceil(parse_quantity(cpu_request) * 1000) if cpu_request is not None else 0
    cpu: dict[str, Any] = {"shares": max(MIN_SHARES, milli * 1024 // 1000)}
    if "cpu" in lim:
        quota = math.ceil(parse_quantity(lim["cpu"]) * 1000) * CPU_PERIOD // 1000
        cpu.update(quota=max(1000, quota), period=CPU_PERIOD)
    out["cpu"] = cpu
    if "memory" in lim:
        out["memory"] = {"limit": math.ceil(parse_quantity(lim["memory"]))}
    if pids_limit is not None and pids_limit > 0:
        out["pids"] = {"limit": pids_limit}
    return out


# ---------------------------------------------------------------------- the spec
def _default_mounts(sc: Mapping[str, Any]) -> list[dict[str, Any]]:
    sys_opts = ["nosuid", "noexec", "nodev"] + ([] if sc.get("privileged") else ["ro"])
    return [
        {"destination": "/proc", "type": "proc", "source": "proc", "options": ["nosuid", "noexec", "nodev"]},
        {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
         "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
        {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
         "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
        {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
         "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
        {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "noexec", "nodev"]},
        {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": sys_opts},
        {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
         "options": ["nosuid", "noexec", "nodev", "relatime"] + ([] if sc.get("privileged") else ["ro"])},
    ]


def oci_spec(pod: Mapping[str, Any], container: Mapping[str, Any], image_config: Mapping[str, Any], *,
             rootfs: Path, env: list[tuple[str, str]], netns_path: str, cgroups_path: str,
             memory_capacity: int, extra_mounts: list[dict[str, Any]] = (), pids_limit: int | None = None,
             seccomp: dict[str, Any] | None = None, pid_namespace: str = "") -> dict[str, Any]:
    """``config.json`` for ``container`` of ``pod``. ``env`` is the container's resolved
    environment (env and envFrom, in order); ``rootfs`` is the container's root (its
    overlay); ``extra_mounts`` are volumes and the /etc/hosts, hostname and resolv.conf
    files, as OCI mounts; ``pid_namespace`` a PID namespace to join (another
    container's) instead of a new one."""
    spec = pod.get("spec") or {}
    sc = container.get("securityContext") or {}
    cfg = image_config.get("config") or image_config     # a whole image config, or its "config" part
    env_lines = container_env(cfg, env)
    env_map = dict(line.partition("=")[::2] for line in env_lines)
    privileged = bool(sc.get("privileged"))
    user = resolve_user(spec, container, cfg, rootfs)
    caps = capabilities(sc)
    no_new_privs = sc.get("allowPrivilegeEscalation") is False
    process: dict[str, Any] = {
        "terminal": bool(container.get("tty")),
        "user": user,
        "args": process_args(container, cfg, env_map),
        "env": env_lines,
        "cwd": container.get("workingDir") or cfg.get("WorkingDir") or "/",
        "capabilities": {k: list(caps) for k in ("bounding", "effective", "permitted")},
        "noNewPrivileges": no_new_privs,
        "oomScoreAdj": oom_score_adj(spec, container, memory_capacity),
    }
    linux: dict[str, Any] = {
        "namespaces": _namespaces(spec, netns_path, pid_namespace),
        "cgroupsPath": cgroups_path,
        "resources": linux_resources(container, pids_limit=pids_limit),
    }
    if seccomp is not None:
        linux["seccomp"] = seccomp
    if not privileged:
        linux["maskedPaths"] = list(MASKED_PATHS)
        linux["readonlyPaths"] = list(READONLY_PATHS)
    out = {
        "ociVersion": "1.0.2",
        "process": process,
        "root": {"path": str(rootfs), "readonly": bool(sc.get("readOnlyRootFilesystem"))},
        "mounts": _default_mounts(sc) + list(extra_mounts),
        "linux": linux,
    }
    if not spec.get("hostNetwork"):   # (a hostname needs a UTS namespace of its own)
        out["hostname"] = (spec.get("hostname") or (pod.get("metadata") or {}).get("name", ""))[:63]
    return out


def _namespaces(spec: Mapping[str, Any], netns_path: str, pid_namespace: str) -> list[dict[str, str]]:
    """The container's namespaces: new ones, but for those it shares (an absent entry is
    the node's)."""
    out = [{"type": "mount"}]
    if pid_namespace:
        out.append({"type": "pid", "path": pid_namespace})
    elif not spec.get("hostPID"):
        out.append({"type": "pid"})
    if not spec.get("hostIPC"):
        out.append({"type": "ipc"})
    if not spec.get("hostNetwork"):
        out += [{"type": "uts"}, {"type": "network", "path": netns_path}]
    return out
