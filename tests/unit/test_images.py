"""The node's image store: references, archive import (OCI layout, docker save), the
rootfs with whiteouts, and layers that try to write outside it."""

from __future__ import annotations

import io
import os
import tarfile

import pytest

from kybernetes.kubelet.images import ImageError, ImageStore, InvalidReference, normalize
from kybernetes.kubelet.images.layers import LayerError
from tests.imagebuild import ImageSpec, layer_tar

BASE = {"bin/": ("dir",), "bin/tool": ("mode", b"#!/bin/sh\necho hi\n", 0o4755), "bin/sh": ("symlink", "/bin/tool"),
        "etc/": ("dir",), "etc/motd": b"hello\n", "etc/old": b"to be removed\n", "etc/link": ("hardlink", "etc/motd"),
        "var/cache/": ("dir",), "var/cache/a": b"a", "var/cache/b": b"b", "lib": ("symlink", "usr/lib"),
        "usr/lib/": ("dir",)}
TOP = {"etc/.wh.old": b"", "var/cache/.wh..wh..opq": b"", "var/cache/c": b"c", "lib/libx.so": b"x"}


@pytest.mark.parametrize("given, expected", [
    ("busybox", "docker.io/library/busybox:latest"),
    ("busybox:1.36", "docker.io/library/busybox:1.36"),
    ("library/busybox", "docker.io/library/busybox:latest"),
    ("index.docker.io/foo/bar:v1", "docker.io/foo/bar:v1"),
    ("localhost:5000/app", "localhost:5000/app:latest"),
    ("127.0.0.1:5000/team/app:v2", "127.0.0.1:5000/team/app:v2"),
    ("registry.local/pause:3.9", "registry.local/pause:3.9"),
    ("busybox@sha256:" + "a" * 64, "docker.io/library/busybox@sha256:" + "a" * 64),
])
def test_references_are_normalised_as_containerd_does(given, expected):
    assert normalize(given) == expected


@pytest.mark.parametrize("bad", ["Busybox", "busybox:", "a//b", "busybox@sha256:zz", ""])
def test_bad_references_are_refused(bad):
    with pytest.raises(InvalidReference):
        normalize(bad)


def test_oci_archive_import_list_rootfs_and_remove(tmp_path):
    store = ImageStore(tmp_path / "store")
    archive = ImageSpec([BASE, TOP]).oci_archive(tmp_path / "img.tar", "registry.local/tools:1.0")
    (image,) = store.import_archive(archive)
    assert image.name == "registry.local/tools:1.0"
    assert [i.name for i in store.list()] == ["registry.local/tools:1.0"]
    assert store.get("registry.local/tools:1.0") == image
    assert store.get(image.id[7:19]) == image                       # a short ID finds it too
    assert image.size > 0

    root = store.rootfs(image)
    assert (root / "etc/motd").read_bytes() == b"hello\n"
    assert not (root / "etc/old").exists()                          # whiteout
    assert sorted(os.listdir(root / "var/cache")) == ["c"]          # opaque directory
    assert os.readlink(root / "bin/sh") == "/bin/tool"
    assert os.stat(root / "bin/tool").st_mode & 0o7777 == 0o4755    # setuid kept, as a runtime does
    assert os.stat(root / "etc/link").st_ino == os.stat(root / "etc/motd").st_ino
    assert (root / "usr/lib/libx.so").read_bytes() == b"x"          # written through the lib -> usr/lib link
    assert store.rootfs(image) == root                              # unpacked once

    assert store.remove("registry.local/tools:1.0") == ["registry.local/tools:1.0"]
    assert store.list() == []
    assert not any(p for p in (tmp_path / "store/blobs/sha256").iterdir())
    assert not root.exists()


def test_multi_platform_index_takes_this_machines_image(tmp_path):
    store = ImageStore(tmp_path / "store")
    (image,) = store.import_archive(ImageSpec([BASE]).oci_archive(tmp_path / "i.tar", "app:v1", as_index=True))
    assert image.name == "docker.io/library/app:v1"
    assert (store.rootfs(image) / "etc/motd").exists()


def test_docker_archive_with_two_tags(tmp_path):
    store = ImageStore(tmp_path / "store")
    archive = ImageSpec([BASE, TOP]).docker_archive(tmp_path / "d.tar", "busybox:latest", "busybox:1.36")
    images = store.import_archive(archive)
    assert [i.name for i in images] == ["docker.io/library/busybox:latest", "docker.io/library/busybox:1.36"]
    assert images[0].id == images[1].id
    assert (store.rootfs(images[0]) / "var/cache/c").read_bytes() == b"c"
    # removing one tag keeps the content for the other; removing by ID removes every tag
    store.remove("busybox:1.36")
    assert [i.name for i in store.list()] == ["docker.io/library/busybox:latest"]
    assert store.rootfs(images[0]).exists()
    store.remove(images[0].id)
    assert store.list() == []


def test_a_blob_whose_digest_is_wrong_is_refused(tmp_path):
    archive = ImageSpec([BASE]).oci_archive(tmp_path / "img.tar", "x.local/app:1")
    with tarfile.open(archive) as src, tarfile.open(tmp_path / "bad.tar", "w") as dst:
        for m in src.getmembers():
            data = src.extractfile(m).read()
            if m.name.startswith("blobs/") and data[:2] == b"\x1f\x8b":
                data = layer_tar({"evil": b"tampered"})
                m.size = len(data)
            dst.addfile(m, io.BytesIO(data))
    store = ImageStore(tmp_path / "store")
    with pytest.raises(ImageError, match="does not match"):
        store.import_archive(tmp_path / "bad.tar")
    assert store.list() == []


@pytest.mark.parametrize("layers", [
    [{"../escape": b"x"}],                                                    # dot-dot: stays inside
    [{"/abs/escape": b"x"}],                                                  # absolute: stays inside
    [{"out": ("symlink", "/")}, {"out/escape": b"x"}],                        # through an absolute link
    [{"out": ("symlink", "../../../..")}, {"out/escape": b"x"}],              # through a relative link
    [{"d/": ("dir",), "d/out": ("symlink", "/..")}, {"d/out/escape": b"x"}],
])
def test_layers_cannot_write_outside_the_rootfs(tmp_path, layers):
    outside = tmp_path / "store" / "rootfs"
    store = ImageStore(tmp_path / "store")
    (image,) = store.import_archive(ImageSpec(layers).oci_archive(tmp_path / "e.tar", "x.local/evil:1"))
    root = store.rootfs(image)
    assert not (tmp_path / "escape").exists() and not (outside / "escape").exists()
    assert not (tmp_path / "abs").exists() and not os.path.exists("/abs/escape")
    found = [os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs if f == "escape"]
    assert len(found) == 1 and found[0].startswith(str(root))


def test_a_hard_link_to_a_missing_file_is_refused(tmp_path):
    store = ImageStore(tmp_path / "store")
    (image,) = store.import_archive(ImageSpec([{"a": ("hardlink", "nothing")}]).oci_archive(
        tmp_path / "h.tar", "x.local/h:1"))
    with pytest.raises(LayerError):
        store.rootfs(image)
    assert not any(p.name.startswith(".tmp") for p in (tmp_path / "store" / "rootfs").iterdir())


def test_unknown_archive_is_refused(tmp_path):
    with tarfile.open(tmp_path / "junk.tar", "w"):
        pass
    with pytest.raises(ImageError, match="neither an OCI image layout nor a docker archive"):
        ImageStore(tmp_path / "store").import_archive(tmp_path / "junk.tar")
