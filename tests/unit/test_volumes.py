"""Pod volumes: the atomic writer's layout, the payloads of API data volumes, hostPath
type checks, emptyDir (tmpfs too, as root) and the containers' bind mounts."""

from __future__ import annotations

import base64
import os
import socket
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kybernetes.kubelet.volumes import (
    VolumeError,
    disk_usage,
    empty_dir_over_limit,
    payload_for,
    release_volumes,
    setup_volume,
    volume_mounts,
    write_atomic,
)

POD = {"metadata": {"name": "web-1", "namespace": "prod", "uid": "u-1", "labels": {"b": "2", "a": "1"},
                    "annotations": {"note": "hi"}},
       "spec": {"containers": [{"name": "app", "resources": {"limits": {"memory": "64Mi", "cpu": "500m"}}}]}}
CM = {"metadata": {"name": "cfg"}, "data": {"game.properties": "lives=3\n", "ui": "dark"},
      "binaryData": {"logo": base64.b64encode(b"\x89PNG").decode()}}
SECRET = {"metadata": {"name": "creds"}, "data": {"password": base64.b64encode(b"s3cret").decode()}}
OBJECTS = {("configmaps", "cfg"): CM, ("secrets", "creds"): SECRET}


def lookup(plural: str, name: str):
    return OBJECTS.get((plural, name))


def payload(volume: dict):
    return payload_for(POD, volume, lookup=lookup, allocatable={"memory": "8Gi", "cpu": "2"})


def visible(target: Path) -> dict[str, str]:
    """What a container sees: every file reached through the visible names."""
    out = {}
    for dirpath, _, files in os.walk(target, followlinks=True):
        rel_dir = os.path.relpath(dirpath, target)
        if rel_dir.split(os.sep)[0].startswith(".."):
            continue
        for name in files:
            if not name.startswith(".."):
                out[os.path.normpath(os.path.join(rel_dir, name))] = Path(dirpath, name).read_text()
    return out


def test_configmap_every_key_and_binary_data():
    assert payload({"name": "v", "configMap": {"name": "cfg"}}) == {
        "game.properties": (b"lives=3\n", 0o644), "ui": (b"dark", 0o644), "logo": (b"\x89PNG", 0o644)}


def test_configmap_items_modes_and_missing_keys():
    vol = {"name": "v", "configMap": {"name": "cfg", "defaultMode": 0o600,
                                      "items": [{"key": "ui", "path": "conf/ui.txt", "mode": 0o400},
                                                {"key": "game.properties", "path": "game"}]}}
    assert payload(vol) == {"conf/ui.txt": (b"dark", 0o400), "game": (b"lives=3\n", 0o600)}
    missing_key = {"name": "v", "configMap": {"name": "cfg", "items": [{"key": "nope", "path": "x"}]}}
    with pytest.raises(VolumeError, match="configmap references non-existent configmap key: nope"):
        payload(missing_key)
    missing_key["configMap"]["optional"] = True
    assert payload(missing_key) == {}
    with pytest.raises(VolumeError, match='configmap "gone" not found'):
        payload({"name": "v", "configMap": {"name": "gone"}})
    assert payload({"name": "v", "configMap": {"name": "gone", "optional": True}}) == {}


def test_paths_may_not_escape():
    for bad in ("../x", "/etc/passwd", "a/../../b", "..data/x"):
        with pytest.raises(VolumeError, match="invalid path"):
            payload({"name": "v", "configMap": {"name": "cfg", "items": [{"key": "ui", "path": bad}]}})


def test_secret_is_decoded_with_its_mode():
    assert payload({"name": "v", "secret": {"secretName": "creds", "defaultMode": 0o400}}) == {
        "password": (b"s3cret", 0o400)}
    with pytest.raises(VolumeError, match='secret "nope" not found'):
        payload({"name": "v", "secret": {"secretName": "nope"}})


def test_downward_api_fields_and_resources():
    vol = {"name": "v", "downwardAPI": {"items": [
        {"path": "name", "fieldRef": {"fieldPath": "metadata.name"}},
        {"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}},
        {"path": "note", "fieldRef": {"fieldPath": "metadata.annotations['note']"}},
        {"path": "mem", "resourceFieldRef": {"containerName": "app", "resource": "limits.memory",
                                             "divisor": "1Mi"}},
        {"path": "cpu", "resourceFieldRef": {"containerName": "app", "resource": "limits.cpu", "divisor": "1m"}},
    ]}}
    got = {k: v[0].decode() for k, v in payload(vol).items()}
    assert got == {"name": "web-1", "labels": 'a="1"\nb="2"', "note": "hi", "mem": "64", "cpu": "500"}


def test_projected_merges_its_sources():
    vol = {"name": "v", "projected": {"defaultMode": 0o440, "sources": [
        {"configMap": {"name": "cfg", "items": [{"key": "ui", "path": "ui"}]}},
        {"secret": {"name": "creds"}},
        {"downwardAPI": {"items": [{"path": "ns", "fieldRef": {"fieldPath": "metadata.namespace"}}]}},
    ]}}
    assert payload(vol) == {"ui": (b"dark", 0o440), "password": (b"s3cret", 0o440), "ns": (b"prod", 0o440)}


def test_write_atomic_layout_and_switch(tmp_path):
    target = tmp_path / "vol"
    assert write_atomic(target, {"a": (b"1", 0o644), "dir/b": (b"2", 0o400)})
    assert os.readlink(target / "a") == "..data/a" and os.readlink(target / "dir") == "..data/dir"
    first = os.readlink(target / "..data")
    assert first.startswith("..") and (target / first).is_dir()
    assert visible(target) == {"a": "1", "dir/b": "2"}
    assert stat.S_IMODE(os.stat(target / "dir" / "b").st_mode) == 0o400
    assert not write_atomic(target, {"a": (b"1", 0o644), "dir/b": (b"2", 0o400)})   # unchanged: untouched
    assert os.readlink(target / "..data") == first
    assert write_atomic(target, {"a": (b"changed", 0o644), "c": (b"3", 0o644)})
    assert visible(target) == {"a": "changed", "c": "3"}
    assert not (target / "dir").exists() and not (target / first).exists()   # stale name and old data gone
    assert {p.name for p in target.iterdir() if p.name.startswith("..")} == {"..data",
                                                                              os.readlink(target / "..data")}


@settings(max_examples=30, deadline=None)
@given(st.lists(st.dictionaries(st.sampled_from(["a", "b", "c/d", "c/e", "f"]), st.binary(max_size=8), max_size=4),
                min_size=1, max_size=4))
def test_write_atomic_always_shows_the_last_payload(tmp_path_factory, payloads):
    target = tmp_path_factory.mktemp("vol") / "v"
    for p in payloads:
        write_atomic(target, {k: (v, 0o644) for k, v in p.items()})
        seen = {}
        for dirpath, _, files in os.walk(target, followlinks=True):
            rel = os.path.relpath(dirpath, target)
            if not rel.split(os.sep)[0].startswith(".."):
                for name in files:
                    seen[os.path.normpath(os.path.join(rel, name))] = Path(dirpath, name).read_bytes()
        assert seen == p


def test_host_path_types(tmp_path):
    pod_dir = tmp_path / "pod"
    d = tmp_path / "made" / "here"
    assert setup_volume(pod_dir, {"name": "h", "hostPath": {"path": str(d), "type": "DirectoryOrCreate"}},
                        memory_capacity=0) == d
    assert d.is_dir()
    f = tmp_path / "file.txt"
    setup_volume(pod_dir, {"name": "h", "hostPath": {"path": str(f), "type": "FileOrCreate"}}, memory_capacity=0)
    assert f.is_file() and stat.S_IMODE(f.stat().st_mode) == 0o644
    with pytest.raises(VolumeError, match=f"hostPath type check failed: {f} is not a directory"):
        setup_volume(pod_dir, {"name": "h", "hostPath": {"path": str(f), "type": "Directory"}}, memory_capacity=0)
    with pytest.raises(VolumeError, match="is not a file"):
        setup_volume(pod_dir, {"name": "h", "hostPath": {"path": str(d), "type": "File"}}, memory_capacity=0)
    with pytest.raises(VolumeError, match="is not a directory"):
        setup_volume(pod_dir, {"name": "h", "hostPath": {"path": str(tmp_path / "no" / "f"), "type": "FileOrCreate"}},
                     memory_capacity=0)
    sock_path = tmp_path / "s.sock"
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(sock_path))
        setup_volume(pod_dir, {"name": "h", "hostPath": {"path": str(sock_path), "type": "Socket"}},
                     memory_capacity=0)
    with pytest.raises(VolumeError, match="invalid HostPathType"):
        setup_volume(pod_dir, {"name": "h", "hostPath": {"path": str(d), "type": "Dir"}}, memory_capacity=0)


def test_empty_dirs_on_disk_and_in_memory(tmp_path):
    pod_dir = tmp_path / "pod"
    disk = setup_volume(pod_dir, {"name": "scratch", "emptyDir": {}}, memory_capacity=1 << 30)
    assert disk == pod_dir / "volumes" / "kubernetes.io~empty-dir" / "scratch"
    assert stat.S_IMODE(disk.stat().st_mode) == 0o777 and not os.path.ismount(disk)
    mem = setup_volume(pod_dir, {"name": "cache", "emptyDir": {"medium": "Memory", "sizeLimit": "1Mi"}},
                       memory_capacity=1 << 30)
    try:
        assert os.path.ismount(mem)
        vfs = os.statvfs(mem)
        assert vfs.f_blocks * vfs.f_frsize == 1 << 20
        # a second set-up (a restarted kubelet) leaves the mount alone
        setup_volume(pod_dir, {"name": "cache", "emptyDir": {"medium": "Memory", "sizeLimit": "1Mi"}},
                     memory_capacity=1 << 30)
    finally:
        release_volumes(pod_dir)
    assert not os.path.ismount(mem)


def test_volume_mounts_read_only_and_sub_paths(tmp_path):
    data = tmp_path / "data"
    cfg = tmp_path / "cfg"
    write_atomic(cfg, {"app.conf": (b"x", 0o644)})
    data.mkdir()
    paths = {"data": data, "cfg": cfg}
    kinds = {"data": "emptyDir", "cfg": "configMap"}
    container = {"volumeMounts": [
        {"name": "data", "mountPath": "/data"},
        {"name": "data", "mountPath": "/logs", "subPath": "logs/app", "readOnly": True},
        {"name": "cfg", "mountPath": "/etc/app"},
        {"name": "cfg", "mountPath": "/etc/app.conf", "subPath": "app.conf"},
    ]}
    mounts = volume_mounts(container, paths, kinds)
    assert [(m["destination"], m["source"], m["options"][-1]) for m in mounts] == [
        ("/data", str(data), "rw"),
        ("/logs", str(data / "logs" / "app"), "ro"),
        ("/etc/app", str(cfg), "ro"),            # API data volumes are always read-only
        ("/etc/app.conf", str(cfg / "app.conf"), "ro"),
    ]
    assert (data / "logs" / "app").is_dir()     # a missing subPath is made
    with pytest.raises(VolumeError, match="invalid path"):
        volume_mounts({"volumeMounts": [{"name": "data", "mountPath": "/x", "subPath": "../../etc"}]}, paths, kinds)
    (data / "out").symlink_to("/etc")
    with pytest.raises(VolumeError, match="leaves volume"):
        volume_mounts({"volumeMounts": [{"name": "data", "mountPath": "/x", "subPath": "out"}]}, paths, kinds)
    with pytest.raises(VolumeError, match="no such volume"):
        volume_mounts({"volumeMounts": [{"name": "nope", "mountPath": "/x"}]}, paths, kinds)


def test_disk_usage_counts_allocated_blocks_once(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "data").write_bytes(os.urandom(300 * 1024))
    os.link(tmp_path / "sub" / "data", tmp_path / "again")          # a hard link is not twice the disk
    with open(tmp_path / "sparse", "wb") as f:                      # a hole takes no disk
        f.truncate(50 * 1024 * 1024)
    (tmp_path / "loop").symlink_to(tmp_path)                         # nor is a symlink followed
    used = disk_usage(tmp_path)
    assert 300 * 1024 <= used < 400 * 1024, used
    assert disk_usage(tmp_path / "missing") == 0


def test_an_empty_dir_over_its_limit_is_named(tmp_path):
    scratch, other = tmp_path / "scratch", tmp_path / "other"
    scratch.mkdir()
    other.mkdir()
    (scratch / "big").write_bytes(os.urandom(200 * 1024))
    volumes = [{"name": "other", "emptyDir": {"sizeLimit": "1Mi"}}, {"name": "nolimit", "emptyDir": {}},
               {"name": "scratch", "emptyDir": {"sizeLimit": "100Ki"}}]
    paths = {"other": other, "nolimit": tmp_path, "scratch": scratch}
    assert empty_dir_over_limit(volumes, paths) == 'Usage of EmptyDir volume "scratch" exceeds the limit "100Ki". '
    volumes[2]["emptyDir"]["sizeLimit"] = "1Mi"
    assert empty_dir_over_limit(volumes, paths) == ""
