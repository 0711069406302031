"""Where containers' cgroups live and how to clean them up, on cgroup v1 (one hierarchy
per controller, this machine's hybrid layout included) and v2 (one unified tree).

runc creates a container's cgroup from the OCI spec's ``cgroupsPath`` and removes it on
``runc delete``; the parents it made on the way (``kubepods/burstable/pod<uid>``) are
ours to remove once empty.
"""

from __future__ import annotations

import os
from pathlib import Path

CGROUP_MOUNT = Path("/sys/fs/cgroup")

__all__ = ["cgroup_path", "is_v2", "oom_files", "remove_empty", "remove_tree"]


def is_v2() -> bool:
    """The unified hierarchy is mounted at /sys/fs/cgroup (runc's own test)."""
    return (CGROUP_MOUNT / "cgroup.controllers").exists()


def _hierarchies() -> list[Path]:
    if is_v2():
        return [CGROUP_MOUNT]
    out = []
    try:
        for entry in sorted(CGROUP_MOUNT.iterdir()):
            # v1 controllers, and the v2 tree of a hybrid layout (runc makes the path there too)
            if entry.is_dir() and not entry.is_symlink():
                out.append(entry)
    except OSError:
        pass
    return out


def cgroup_path(root: str, qos: str, pod_uid: str, container_id: str) -> str:
    """The kubelet's layout: ``<root>/pod<uid>`` for Guaranteed pods,
    ``<root>/burstable|besteffort/pod<uid>`` for the others."""
    parts = [root.rstrip("/") or ""]
    if qos != "Guaranteed":
        parts.append(qos.lower())
    parts += [f"pod{pod_uid}", container_id]
    return "/".join(parts)


def oom_files(path: str) -> list[str]:
    """The files whose ``oom_kill`` counter tells that the OOM killer struck in ``path``."""
    rel = path.lstrip("/")
    if is_v2():
        return [str(CGROUP_MOUNT / rel / "memory.events")]
    return [str(CGROUP_MOUNT / "memory" / rel / "memory.oom_control")]


def remove_empty(path: str) -> None:
    """rmdir ``path`` in every hierarchy; a cgroup still in use (EBUSY) or gone is left be."""
    rel = path.lstrip("/")
    for h in _hierarchies():
        try:
            os.rmdir(h / rel)
        except OSError:
            pass


def remove_tree(path: str) -> None:
    """Remove ``path`` and every cgroup below it (deepest first) in every hierarchy, for a
    node's teardown after its containers are gone."""
    rel = path.lstrip("/")
    for h in _hierarchies():
        top = h / rel
        if not top.is_dir():
            continue
        for dirpath, _dirs, _files in sorted(os.walk(top), key=lambda w: -w[0].count("/")):
            try:
                os.rmdir(dirpath)
            except OSError:
                pass
