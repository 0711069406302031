"""The node's image store: content-addressed blobs, named images, unpacked rootfs.

Layout under ``root`` (``<data-dir>/agent/store``)::

    blobs/sha256/<hex>     manifests, configs and layers, each verified against its digest
    images.json            image name -> manifest digest, config digest, size
    rootfs/<config hex>/   the image's layers applied in order (read-only for containers;
                           each container gets its own writable overlay on top)

Images come in as OCI image layouts or ``docker save`` archives (``import_archive``);
a manifest list / OCI index is resolved to the entry for this machine's platform.
Removing an image drops the blobs and rootfs no other image uses. Writes go to a
temporary name first and are renamed into place, so a crash never leaves a torn blob
or index.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import platform
import shutil
import tarfile
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

from .layers import apply_layer
from .reference import InvalidReference, normalize

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
INDEX_TYPES = (OCI_INDEX, DOCKER_LIST)
REF_NAME = "org.opencontainers.image.ref.name"
CONTAINERD_NAME = "io.containerd.image.name"
_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "ppc64le": "ppc64le", "s390x": "s390x"}


class ImageError(ValueError):
    pass


def host_platform() -> tuple[str, str]:
    return "linux", _ARCH.get(platform.machine(), platform.machine())


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class Image:
    name: str             # normalised reference, e.g. docker.io/library/busybox:latest
    manifest: str         # digest of the (single-platform) manifest
    config: str           # digest of the config: the image ID
    size: int             # bytes of the layers, compressed, as kubectl's node status reports
    created: float        # when it was imported here

    @property
    def id(self) -> str:
        return self.config


class ImageStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.blob_dir = self.root / "blobs" / "sha256"
        self.rootfs_dir = self.root / "rootfs"
        self.blob_dir.mkdir(parents=True, exist_ok=True)
        self.rootfs_dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()          # the index; imports may run in threads

    # ------------------------------------------------------------------ blobs
    def blob_path(self, digest: str) -> Path:
        algo, _, hexpart = digest.partition(":")
        if algo != "sha256" or len(hexpart) != 64 or not all(c in "0123456789abcdef" for c in hexpart):
            raise ImageError(f"unsupported digest {digest!r}")
        return self.blob_dir / hexpart

    def has_blob(self, digest: str) -> bool:
        return self.blob_path(digest).exists()

    def put_blob(self, src: IO[bytes], expected: str | None = None) -> str:
        """Copy ``src`` into the store; its digest (checked against ``expected``)."""
        h = hashlib.sha256()
        fd, tmp = tempfile.mkstemp(dir=self.blob_dir, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := src.read(1 << 20):
                    h.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            digest = "sha256:" + h.hexdigest()
            if expected is not None and digest != expected:
                raise ImageError(f"content digest {digest} does not match {expected}")
            os.replace(tmp, self.blob_path(digest))
            return digest
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def writer(self) -> BlobWriter:
        """A blob written in pieces (a download): ``write`` chunks, then ``commit``."""
        return BlobWriter(self)

    def put_bytes(self, data: bytes, expected: str | None = None) -> str:
        return self.put_blob(io.BytesIO(data), expected)

    def read_json(self, digest: str) -> Any:
        return json.loads(self.blob_path(digest).read_bytes())

    # ------------------------------------------------------------------ the index
    def _load(self) -> dict[str, dict]:
        path = self.root / "images.json"
        return json.loads(path.read_text()) if path.exists() else {}

    def _save(self, index: dict[str, dict]) -> None:
        path = self.root / "images.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(index, indent=1, sort_keys=True))
        os.replace(tmp, path)

    def list(self) -> list[Image]:
        with self._lock:
            return [Image(**v) for v in sorted(self._load().values(), key=lambda v: v["name"])]

    def get(self, ref: str) -> Image | None:
        """An image by name (``busybox`` finds ``docker.io/library/busybox:latest``) or ID."""
        index = self._load()
        try:
            key = normalize(ref)
        except InvalidReference:
            key = ref
        if key in index:
            return Image(**index[key])
        want = ref if ref.startswith("sha256:") else f"sha256:{ref}"
        matches = [v for v in index.values() if v["config"].startswith(want)]
        return Image(**matches[0]) if matches and len({m["config"] for m in matches}) == 1 else None

    def tag(self, name: str, manifest_digest: str) -> Image:
        """Name the image whose manifest (blobs already stored) is ``manifest_digest``."""
        manifest = self.read_json(manifest_digest)
        config = manifest["config"]["digest"]
        for d in [config, *(layer["digest"] for layer in manifest["layers"])]:
            if not self.has_blob(d):
                raise ImageError(f"image {name}: blob {d} is missing")
        image = Image(normalize(name), manifest_digest, config,
                      sum(int(layer.get("size", 0)) for layer in manifest["layers"]), time.time())
        with self._lock:
            index = self._load()
            index[image.name] = asdict(image)
            self._save(index)
        return image

    def remove(self, ref: str) -> list[str]:
        """Untag ``ref`` (a name, or an ID: every name of it); the names removed. Blobs
        and rootfs nothing names any more are deleted."""
        image = self.get(ref)
        if image is None:
            raise ImageError(f"image {ref!r} not found")
        with self._lock:
            index = self._load()
            by_id = not _is_name_of(ref, image)
            removed = [n for n, v in index.items() if (v["config"] == image.config if by_id else n == image.name)]
            for n in removed:
                del index[n]
            self._save(index)
            self._collect(index)
        return removed

    def _collect(self, index: dict[str, dict]) -> None:
        live: set[str] = set()
        configs: set[str] = set()
        for v in index.values():
            manifest = self.read_json(v["manifest"])
            live.update([v["manifest"], manifest["config"]["digest"], *(layer["digest"] for layer in manifest["layers"])])
            configs.add(v["config"].split(":", 1)[1])
        for blob in self.blob_dir.iterdir():
            if not blob.name.startswith(".") and f"sha256:{blob.name}" not in live:
                blob.unlink()
        for tree in self.rootfs_dir.iterdir():
            if tree.name not in configs:
                shutil.rmtree(tree, ignore_errors=True)

    # ------------------------------------------------------------------ rootfs
    def rootfs(self, image: Image) -> Path:
        """The image's layers applied in order, unpacked once per image ID."""
        dest = self.rootfs_dir / image.config.split(":", 1)[1]
        if dest.exists():
            return dest
        manifest = self.read_json(image.manifest)
        tmp = Path(tempfile.mkdtemp(dir=self.rootfs_dir, prefix=".tmp-"))
        try:
            for layer in manifest["layers"]:
                with open(self.blob_path(layer["digest"]), "rb") as f:
                    apply_layer(f, str(tmp))
            os.replace(tmp, dest)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return dest

    # ------------------------------------------------------------------ archives
    def import_archive(self, path: str | Path) -> list[Image]:
        """Import an OCI image layout or ``docker save`` tar (gzip allowed); the images named."""
        with _open_archive(path) as tar:
            names = set(tar.getnames())
            if "index.json" in names or "./index.json" in names:
                return self._import_oci(tar)
            if "manifest.json" in names or "./manifest.json" in names:
                return self._import_docker(tar)
        raise ImageError(f"{path}: neither an OCI image layout nor a docker archive")

    def _import_oci(self, tar: tarfile.TarFile) -> list[Image]:
        index = json.loads(_read(tar, "index.json"))
        images = []
        for desc in index.get("manifests") or []:
            annotations = desc.get("annotations") or {}
            name = annotations.get(CONTAINERD_NAME) or annotations.get(REF_NAME) or ""
            manifest_digest = self._copy_oci(tar, desc)
            if not name or ("/" not in name and ":" not in name):
                continue           # no name, or a ref.name that is only a tag: nothing to call it
            try:
                images.append(self.tag(name, manifest_digest))
            except InvalidReference as e:
                raise ImageError(f"image name {name!r}: {e}") from None
        return images

    def _copy_oci(self, tar: tarfile.TarFile, desc: dict) -> str:
        """Store ``desc`` and everything it points to; the single-platform manifest's digest."""
        digest = desc["digest"]
        data = _read(tar, _blob_name(digest))
        self.put_bytes(data, digest)
        doc = json.loads(data)
        media = desc.get("mediaType") or doc.get("mediaType")
        if media in INDEX_TYPES:
            return self._copy_oci(tar, pick_platform(doc["manifests"]))
        for d in [doc["config"], *doc["layers"]]:
            if not self.has_blob(d["digest"]):
                src = tar.extractfile(_member(tar, _blob_name(d["digest"])))
                assert src is not None
                self.put_blob(src, d["digest"])
        return digest

    def _import_docker(self, tar: tarfile.TarFile) -> list[Image]:
        entries = json.loads(_read(tar, "manifest.json"))
        images = []
        for entry in entries:
            config = _read(tar, entry["Config"])
            config_digest = self.put_bytes(config)
            layers = []
            for layer_name in entry["Layers"]:
                src = tar.extractfile(_member(tar, layer_name))
                assert src is not None
                digest = self.put_blob(src)
                layers.append({"mediaType": OCI_LAYER + (".gzip" if _is_gzip(self.blob_path(digest)) else ""),
                               "digest": digest, "size": self.blob_path(digest).stat().st_size})
            manifest = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                        "config": {"mediaType": OCI_CONFIG, "digest": config_digest, "size": len(config)},
                        "layers": layers}
            manifest_digest = self.put_bytes(json.dumps(manifest, separators=(",", ":")).encode())
            for name in entry.get("RepoTags") or []:
                images.append(self.tag(name, manifest_digest))
        return images


class BlobWriter:
    """A blob being written in pieces to a temporary file of the store; ``commit``
    checks the digest and renames it into place, ``abort`` (or a failed commit)
    throws it away."""

    def __init__(self, store: ImageStore) -> None:
        self.store = store
        self.hash = hashlib.sha256()
        fd, self.tmp = tempfile.mkstemp(dir=store.blob_dir, prefix=".tmp-")
        self.file = os.fdopen(fd, "wb")
        self.size = 0

    def write(self, chunk: bytes) -> None:
        self.hash.update(chunk)
        self.file.write(chunk)
        self.size += len(chunk)

    def commit(self, expected: str) -> str:
        try:
            self.file.flush()
            os.fsync(self.file.fileno())
            self.file.close()
            digest = "sha256:" + self.hash.hexdigest()
            if digest != expected:
                raise ImageError(f"content digest {digest} does not match {expected}")
            os.replace(self.tmp, self.store.blob_path(digest))
            return digest
        finally:
            self.abort()

    def abort(self) -> None:
        if not self.file.closed:
            self.file.close()
        if os.path.exists(self.tmp):
            os.unlink(self.tmp)


def pick_platform(manifests: list[dict]) -> dict:
    """The manifest of an index for this machine (linux and its architecture)."""
    os_, arch = host_platform()
    for m in manifests:
        p = m.get("platform") or {}
        if p.get("os", "linux") == os_ and p.get("architecture") == arch:
            return m
    raise ImageError(f"no image for {os_}/{arch} in the index "
                     f"(has {', '.join(sorted(str((m.get('platform') or {}).get('architecture')) for m in manifests))})")


def _is_name_of(ref: str, image: Image) -> bool:
    try:
        return normalize(ref) == image.name
    except InvalidReference:
        return False


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(2) == b"\x1f\x8b"


def _blob_name(digest: str) -> str:
    algo, _, hexpart = digest.partition(":")
    return f"blobs/{algo}/{hexpart}"


def _member(tar: tarfile.TarFile, name: str) -> tarfile.TarInfo:
    for candidate in (name, f"./{name}"):
        try:
            return tar.getmember(candidate)
        except KeyError:
            continue
    raise ImageError(f"archive has no {name}")


def _read(tar: tarfile.TarFile, name: str) -> bytes:
    f = tar.extractfile(_member(tar, name))
    if f is None:
        raise ImageError(f"{name} in the archive is not a file")
    return f.read()


def _open_archive(path: str | Path) -> tarfile.TarFile:
    with open(path, "rb") as f:
        gz = f.read(2) == b"\x1f\x8b"
    if gz:   # random access is needed: decompress once into a temporary file
        tmp = tempfile.TemporaryFile()
        with gzip.open(path, "rb") as src:
            shutil.copyfileobj(src, tmp, 1 << 20)
        tmp.seek(0)
        return tarfile.open(fileobj=tmp, mode="r:")
    return tarfile.open(path, mode="r:")
