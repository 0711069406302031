"""Pod volumes, as the kubelet's volume plugins lay them out.

Each volume of a pod is a directory under ``<pod dir>/volumes/<plugin>/<name>`` (hostPath:
the host's own path), bind-mounted into the containers that name it:

- ``emptyDir``: an empty directory (mode 0777), or with ``medium: Memory`` a tmpfs of
  ``sizeLimit`` (default: half the node's memory, as tmpfs does); a disk one that grows
  past its ``sizeLimit`` gets the pod evicted (:func:`empty_dir_over_limit`);
- ``hostPath``: the path on this machine, checked against ``type`` first;
- ``configMap``, ``secret``, ``downwardAPI`` and ``projected``: files written by
  :func:`write_atomic`, the way upstream's AtomicWriter does, so a change replaces all
  of them at once: the files live in a timestamped directory, ``..data`` is a symlink
  to it, and every visible name is a symlink through ``..data``. They are mounted
  read-only, as upstream does.

``volumeMounts`` become OCI bind mounts (``subPath`` and ``readOnly`` honoured).
"""

from __future__ import annotations

import base64
import ctypes
import os
import shutil
import stat
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..api.quantity import parse_quantity
from .env import EnvError, container_resource, pod_field

__all__ = ["VolumeError", "Payload", "disk_usage", "empty_dir_over_limit", "mount_options", "payload_for",
           "release_volumes", "setup_volume",
           "api_refs", "token_sources", "volume_mounts", "write_atomic", "API_VOLUMES"]

Payload = dict[str, tuple[bytes, int]]   # relative path -> (content, mode)
Lookup = Callable[[str, str], "Mapping[str, Any] | None"]   # (plural, name) -> object or None

API_VOLUMES = ("configMap", "secret", "downwardAPI", "projected")
PLUGIN_DIRS = {"emptyDir": "kubernetes.io~empty-dir", "configMap": "kubernetes.io~configmap",
               "secret": "kubernetes.io~secret", "downwardAPI": "kubernetes.io~downward-api",
               "projected": "kubernetes.io~projected"}
DEFAULT_MODE = 0o644
DATA = "..data"
_libc = ctypes.CDLL(None, use_errno=True)
MNT_DETACH = 2


class VolumeError(ValueError):
    """A volume cannot be set up (yet): the message is what upstream's FailedMount says."""


def kind_of(volume: Mapping[str, Any]) -> str:
    for kind in ("emptyDir", "hostPath", *API_VOLUMES):
        if kind in volume:
            return kind
    raise VolumeError(f"volume {volume.get('name')!r}: unsupported volume type "
                      f"({', '.join(k for k in volume if k != 'name') or 'none'})")


def volume_dir(pod_dir: Path, volume: Mapping[str, Any]) -> Path:
    kind = kind_of(volume)
    if kind == "hostPath":
        return Path(volume["hostPath"].get("path") or "/")
    return pod_dir / "volumes" / PLUGIN_DIRS[kind] / volume["name"]


# ---------------------------------------------------------------------- emptyDir and hostPath
def setup_volume(pod_dir: Path, volume: Mapping[str, Any], *, memory_capacity: int) -> Path:
    """Make an emptyDir or check a hostPath; the directory (or file) to mount."""
    kind = kind_of(volume)
    path = volume_dir(pod_dir, volume)
    if kind == "emptyDir":
        _empty_dir(path, volume["emptyDir"] or {}, memory_capacity)
    elif kind == "hostPath":
        _check_host_path(path, volume["hostPath"].get("type") or "")
    else:
        path.mkdir(parents=True, exist_ok=True)
    return path


def _empty_dir(path: Path, spec: Mapping[str, Any], memory_capacity: int) -> None:
    path.mkdir(parents=True, exist_ok=True)
    if spec.get("medium") == "Memory" and not os.path.ismount(path):
        size = int(parse_quantity(spec["sizeLimit"])) if spec.get("sizeLimit") else memory_capacity // 2
        if _libc.mount(b"tmpfs", str(path).encode(), b"tmpfs", 0, f"size={max(size, 4096)},mode=0777".encode()):
            err = ctypes.get_errno()
            raise VolumeError(f"mount of tmpfs at {path} failed: {os.strerror(err)}")
    os.chmod(path, 0o777)


_HOST_PATH_KINDS = {"Directory": (stat.S_ISDIR, "a directory"), "File": (stat.S_ISREG, "a file"),
                    "Socket": (stat.S_ISSOCK, "a socket"), "CharDevice": (stat.S_ISCHR, "a character device"),
                    "BlockDevice": (stat.S_ISBLK, "a block device")}


def _check_host_path(path: Path, kind: str) -> None:
    if kind == "DirectoryOrCreate":
        if not path.exists():
            path.mkdir(mode=0o755, parents=True)
        kind = "Directory"
    elif kind == "FileOrCreate":
        if not path.exists():
            if not path.parent.is_dir():
                raise VolumeError(f"hostPath type check failed: {path.parent} is not a directory")
            path.touch(mode=0o644)
        kind = "File"
    if not kind:
        return
    if kind not in _HOST_PATH_KINDS:
        raise VolumeError(f"invalid HostPathType {kind!r}")
    test, what = _HOST_PATH_KINDS[kind]
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise VolumeError(f"hostPath type check failed: {path} is not {what}") from None
    if not test(mode):
        raise VolumeError(f"hostPath type check failed: {path} is not {what}")


def empty_dir_over_limit(volumes: list[Mapping[str, Any]], paths: Mapping[str, Path]) -> str:
    """The eviction message for the first emptyDir that uses more than its ``sizeLimit``
    (upstream's words, trailing space included), or ""."""
    for volume in volumes:
        limit = (volume.get("emptyDir") or {}).get("sizeLimit") if "emptyDir" in volume else None
        path = paths.get(volume.get("name", ""))
        if limit is None or path is None:
            continue
        if disk_usage(path) > parse_quantity(limit):
            return f'Usage of EmptyDir volume "{volume["name"]}" exceeds the limit "{limit}". '
    return ""


def disk_usage(path: Path) -> int:
    """Bytes of disk a tree takes, as ``du`` counts them: allocated blocks, each inode
    once, on the tree's own filesystem only."""
    total = 0
    seen: set[int] = set()
    try:
        dev = os.lstat(path).st_dev
    except FileNotFoundError:
        return 0
    stack = [str(path)]
    while stack:
        top = stack.pop()
        try:
            st = os.lstat(top)
        except FileNotFoundError:
            continue
        if st.st_dev != dev or st.st_ino in seen:
            continue
        seen.add(st.st_ino)
        total += st.st_blocks * 512
        if stat.S_ISDIR(st.st_mode):
            try:
                stack.extend(entry.path for entry in os.scandir(top))
            except (FileNotFoundError, NotADirectoryError, PermissionError):
                continue
    return total


def release_volumes(pod_dir: Path) -> None:
    """Unmount the pod's tmpfs emptyDirs (before its directory is removed)."""
    base = pod_dir / "volumes" / PLUGIN_DIRS["emptyDir"]
    if base.is_dir():
        for entry in base.iterdir():
            if os.path.ismount(entry):
                _libc.umount2(str(entry).encode(), MNT_DETACH)


# ---------------------------------------------------------------------- API data volumes
def _mode(value: Any, default: int) -> int:
    return int(value) & 0o777 if value is not None else default


def _clean_path(path: str) -> str:
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if not parts or path.startswith("/") or ".." in parts or parts[0].startswith(".."):
        raise VolumeError(f"invalid path {path!r}: must be relative and may not contain '..'")
    return "/".join(parts)


def _keyed(kind: str, name: str, data: Mapping[str, bytes], source: Mapping[str, Any], default: int,
           optional: bool) -> Payload:
    """The files of a configMap or secret source: every key, or the ``items`` asked for."""
    items = source.get("items")
    if not items:
        return {_clean_path(k): (v, default) for k, v in data.items()}
    out: Payload = {}
    for item in items:
        key = item.get("key", "")
        if key not in data:
            if optional:
                continue
            raise VolumeError(f"{kind} references non-existent {kind} key: {key}")
        out[_clean_path(item.get("path") or key)] = (data[key], _mode(item.get("mode"), default))
    return out


def _configmap_data(cm: Mapping[str, Any]) -> dict[str, bytes]:
    data = {k: v.encode() for k, v in (cm.get("data") or {}).items()}
    data.update({k: base64.b64decode(v) for k, v in (cm.get("binaryData") or {}).items()})
    return data


def _secret_data(secret: Mapping[str, Any]) -> dict[str, bytes]:
    return {k: base64.b64decode(v) for k, v in (secret.get("data") or {}).items()}


def _api_source(kind: str, source: Mapping[str, Any], default: int, lookup: Lookup) -> Payload:
    plural, name_key = ("configmaps", "name") if kind == "configMap" else ("secrets", "secretName")
    name = source.get(name_key) or source.get("name") or ""
    optional = bool(source.get("optional"))
    obj = lookup(plural, name)
    if obj is None:
        if optional:
            return {}
        raise VolumeError(f'{plural[:-1]} "{name}" not found')
    data = _configmap_data(obj) if kind == "configMap" else _secret_data(obj)
    return _keyed(kind.lower(), name, data, source, default, optional)


def _downward(pod: Mapping[str, Any], items: list, default: int, allocatable: Mapping[str, str]) -> Payload:
    containers = {c["name"]: c for c in (pod.get("spec") or {}).get("containers") or []}
    out: Payload = {}
    for item in items or []:
        try:
            if item.get("fieldRef"):
                value = pod_field(pod, item["fieldRef"].get("fieldPath", ""), "", "")
            elif item.get("resourceFieldRef"):
                ref = item["resourceFieldRef"]
                container = containers.get(ref.get("containerName", ""))
                if container is None:
                    raise VolumeError(f"container {ref.get('containerName')!r} not found in the pod")
                value = container_resource(container, ref, allocatable)
            else:
                continue
        except EnvError as e:
            raise VolumeError(str(e)) from None
        out[_clean_path(item.get("path", ""))] = (value.encode(), _mode(item.get("mode"), default))
    return out


def token_sources(volume: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The serviceAccountToken sources of a projected volume, with upstream's defaults."""
    out = []
    for source in ((volume.get("projected") or {}).get("sources") or []) if "projected" in volume else []:
        token = source.get("serviceAccountToken")
        if token is not None:
            out.append({"path": token.get("path", ""), "audience": token.get("audience") or "",
                        "expirationSeconds": int(token.get("expirationSeconds") or 3600)})
    return out


def api_refs(volume: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The ConfigMaps and Secrets an API data volume reads, as (plural, name)."""
    kind = kind_of(volume)
    spec = volume.get(kind) or {}
    if kind == "configMap":
        return [("configmaps", spec.get("name", ""))]
    if kind == "secret":
        return [("secrets", spec.get("secretName", ""))]
    refs = []
    for source in spec.get("sources") or [] if kind == "projected" else []:
        if "configMap" in source:
            refs.append(("configmaps", (source["configMap"] or {}).get("name", "")))
        if "secret" in source:
            refs.append(("secrets", (source["secret"] or {}).get("name", "")))
    return refs


def payload_for(pod: Mapping[str, Any], volume: Mapping[str, Any], *, lookup: Lookup,
                allocatable: Mapping[str, str], tokens: Mapping[str, str] | None = None) -> Payload:
    """The files of a configMap, secret, downwardAPI or projected volume; ``tokens``
    holds the service-account token for each serviceAccountToken source's path."""
    kind = kind_of(volume)
    spec = volume[kind] or {}
    default = _mode(spec.get("defaultMode"), DEFAULT_MODE)
    if kind in ("configMap", "secret"):
        return _api_source(kind, spec, default, lookup)
    if kind == "downwardAPI":
        return _downward(pod, spec.get("items") or [], default, allocatable)
    out: Payload = {}
    for source in spec.get("sources") or []:
        if "configMap" in source or "secret" in source:
            which = "configMap" if "configMap" in source else "secret"
            out.update(_api_source(which, {**source[which], "secretName": source[which].get("name")},
                                   default, lookup))
        elif "downwardAPI" in source:
            out.update(_downward(pod, (source["downwardAPI"] or {}).get("items") or [], default, allocatable))
        elif "serviceAccountToken" in source:
            path = (source["serviceAccountToken"] or {}).get("path", "")
            token = (tokens or {}).get(path)
            if token is None:
                raise VolumeError(f"no service account token for {path!r}")
            out[_clean_path(path)] = (token.encode(), default)
        else:
            raise VolumeError(f"projected volume {volume['name']!r}: unsupported source "
                              f"{', '.join(source) or 'none'}")
    return out


def write_atomic(target: Path, payload: Payload) -> bool:
    """Make ``target`` hold exactly ``payload``, all files changing at once; False if it
    already did."""
    target.mkdir(parents=True, exist_ok=True)
    if _current(target) == payload:
        return False
    old = os.readlink(target / DATA) if (target / DATA).is_symlink() else None
    stamp = time.strftime("..%Y_%m_%d_%H_%M_%S.", time.gmtime()) + f"{time.time_ns() % 10**9:09d}"
    fresh = target / stamp
    fresh.mkdir(mode=0o755)
    for rel, (content, mode) in payload.items():
        path = fresh / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as f:
            f.write(content)
        os.chmod(path, mode)
    tmp = target / f"{DATA}_tmp"
    tmp.unlink(missing_ok=True)
    os.symlink(stamp, tmp)
    os.rename(tmp, target / DATA)        # the switch: one rename
    tops = {rel.split("/", 1)[0] for rel in payload}
    for top in tops:
        link = target / top
        if not link.is_symlink():
            os.symlink(f"{DATA}/{top}", link)
    for entry in target.iterdir():
        if not entry.name.startswith("..") and entry.name not in tops and entry.is_symlink():
            entry.unlink()
    if old:
        shutil.rmtree(target / old, ignore_errors=True)
    return True


def _current(target: Path) -> Payload | None:
    data = target / DATA
    if not data.is_symlink():
        return None
    out: Payload = {}
    root = data.resolve()
    for dirpath, _, files in os.walk(root):
        for name in files:
            path = Path(dirpath) / name
            out[str(path.relative_to(root))] = (path.read_bytes(), stat.S_IMODE(path.stat().st_mode))
    return out


# ---------------------------------------------------------------------- mounts into containers
def mount_options(read_only: bool) -> list[str]:
    return ["rbind", "rprivate", "ro" if read_only else "rw"]


def volume_mounts(container: Mapping[str, Any], paths: Mapping[str, Path],
                  kinds: Mapping[str, str]) -> list[dict[str, Any]]:
    """The OCI bind mounts of a container's ``volumeMounts``."""
    mounts = []
    for vm in container.get("volumeMounts") or []:
        name = vm.get("name", "")
        if name not in paths:
            raise VolumeError(f"volumeMount {name!r}: the pod has no such volume")
        source = paths[name]
        if vm.get("subPath"):
            sub = _clean_path(vm["subPath"])
            source = source / sub
            if not os.path.lexists(source):
                source.mkdir(parents=True, exist_ok=True)    # as upstream: a missing subPath is made a directory
            if not os.path.realpath(source).startswith(os.path.realpath(paths[name]) + os.sep):
                raise VolumeError(f"subPath {vm['subPath']!r} leaves volume {name!r}")
        read_only = bool(vm.get("readOnly")) or kinds.get(name) in API_VOLUMES
        mounts.append({"destination": vm.get("mountPath", ""), "type": "bind", "source": str(source),
                       "options": mount_options(read_only)})
    return mounts
