"""Building container images for tests, with no registry and no Docker: layers from
dicts of files, written as an OCI image layout or a ``docker save`` archive."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import shutil
import subprocess
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

from kybernetes.kubelet.images.store import host_platform

# path -> bytes (a file), ("symlink", target), ("hardlink", target), ("dir",), or ("mode", bytes, mode)
Files = dict[str, object]


def layer_tar(files: Files, *, compress: bool = True) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path, spec in files.items():
            info = tarfile.TarInfo(path)
            info.mtime = 1_700_000_000
            data = b""
            if isinstance(spec, bytes):
                data, info.mode = spec, 0o644
            elif spec[0] == "mode":
                data, info.mode = spec[1], spec[2]
            elif spec[0] == "symlink":
                info.type, info.linkname = tarfile.SYMTYPE, spec[1]
            elif spec[0] == "hardlink":
                info.type, info.linkname = tarfile.LNKTYPE, spec[1]
            elif spec[0] == "dir":
                info.type, info.mode = tarfile.DIRTYPE, 0o755
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data else None)
    raw = buf.getvalue()
    return gzip.compress(raw, mtime=0) if compress else raw


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class ImageSpec:
    layers: list[Files]
    entrypoint: list[str] = field(default_factory=lambda: ["/bin/sh"])
    cmd: list[str] = field(default_factory=list)
    env: list[str] = field(default_factory=lambda: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"])

    def parts(self, *, compress: bool = True) -> tuple[bytes, list[bytes]]:
        """The config JSON and the layer blobs."""
        blobs = [layer_tar(files, compress=compress) for files in self.layers]
        diff_ids = [digest(gzip.decompress(b) if compress else b) for b in blobs]
        os_, arch = host_platform()
        config = json.dumps({"architecture": arch, "os": os_,
                             "config": {"Entrypoint": self.entrypoint, "Cmd": self.cmd, "Env": self.env},
                             "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
        return config, blobs

    def manifest(self) -> tuple[bytes, bytes, list[bytes]]:
        """The OCI manifest JSON, the config and the (gzip) layer blobs."""
        config, blobs = self.parts()
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": digest(config),
                       "size": len(config)},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": digest(b),
                        "size": len(b)} for b in blobs]}).encode()
        return manifest, config, blobs

    def oci_archive(self, path: Path, name: str, *, as_index: bool = False) -> Path:
        manifest, config, blobs = self.manifest()
        entries = {digest(config): config, digest(manifest): manifest, **{digest(b): b for b in blobs}}
        top = {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest(manifest),
               "size": len(manifest)}
        if as_index:   # a multi-platform image: ours and one for another architecture
            os_, arch = host_platform()
            nested = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                                 "manifests": [
                                     {**top, "digest": "sha256:" + "0" * 64,
                                      "platform": {"os": "linux", "architecture": "riscv64"}},
                                     {**top, "platform": {"os": os_, "architecture": arch}}]}).encode()
            entries[digest(nested)] = nested
            top = {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": digest(nested),
                   "size": len(nested)}
        index = {"schemaVersion": 2, "manifests": [{**top, "annotations": {
            "io.containerd.image.name": name, "org.opencontainers.image.ref.name": name.rsplit(":", 1)[-1]}}]}
        files = {"oci-layout": json.dumps({"imageLayoutVersion": "1.0.0"}).encode(),
                 "index.json": json.dumps(index).encode(),
                 **{f"blobs/sha256/{d.split(':')[1]}": data for d, data in entries.items()}}
        _write_tar(path, files)
        return path

    def docker_archive(self, path: Path, *tags: str) -> Path:
        config, blobs = self.parts(compress=False)
        cname = f"{digest(config).split(':')[1]}.json"
        layers = {f"{digest(b).split(':')[1]}/layer.tar": b for b in blobs}
        manifest = [{"Config": cname, "RepoTags": list(tags), "Layers": list(layers)}]
        _write_tar(path, {"manifest.json": json.dumps(manifest).encode(), cname: config, **layers})
        return path


def _write_tar(path: Path, files: dict[str, bytes]) -> None:
    with tarfile.open(path, "w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


BUSYBOX = Path("/bin/busybox")      # Debian's busybox-static: one static binary, every applet
BUSYBOX_APPLETS = ("sh", "ash", "sleep", "echo", "cat", "ls", "ps", "httpd", "wget", "nc", "true", "false", "env",
                   "id", "hostname", "mkdir", "rm", "touch", "test", "[", "head", "tail", "grep", "kill", "date",
                   "printf", "seq", "yes", "dd", "ip", "ifconfig", "ping", "nslookup", "timeout", "pwd", "whoami", "unshare",
                   "mount", "tar", "gzip", "find", "stat", "tr", "wc", "cp", "mv", "chmod", "sed", "uname", "stty", "tty")


def busybox_image(*, cmd: list[str] | None = None, openssl: bool = False) -> ImageSpec:
    """A busybox image like docker.io/library/busybox: the static binary, applet links,
    root and nobody in /etc/passwd; ``sh`` as the default command. With ``openssl``, the
    host's ``openssl`` and its libraries too: busybox's wget then speaks TLS through
    ``openssl s_client`` (its built-in TLS offers no signature_algorithms, which an
    OpenSSL 3 server at Debian's security level refuses)."""
    data = BUSYBOX.read_bytes()
    files: Files = {"bin/": ("dir",), "bin/busybox": ("mode", data, 0o755)}
    for applet in BUSYBOX_APPLETS:
        files[f"bin/{applet}"] = ("symlink", "busybox")
    files.update({
        "etc/": ("dir",), "tmp/": ("dir",), "var/": ("dir",), "var/www/": ("dir",), "root/": ("dir",),
        "etc/passwd": b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n",
        "etc/group": b"root:x:0:\nnogroup:x:65534:\n",
    })
    if openssl:
        files.update(_binary_with_libraries(Path(shutil.which("openssl") or "/usr/bin/openssl"), "usr/bin/openssl"))
    return ImageSpec(layers=[files], entrypoint=[], cmd=cmd or ["sh"])


def _binary_with_libraries(binary: Path, at: str) -> Files:
    """A dynamically linked host program and the shared libraries ``ldd`` finds for it,
    each at the path the loader will look for it."""
    files: Files = {}

    def add(path: str, data: bytes) -> None:
        parts = path.split("/")
        for depth in range(1, len(parts)):
            files.setdefault("/".join(parts[:depth]) + "/", ("dir",))
        files[path] = ("mode", data, 0o755)

    add(at, binary.read_bytes())
    listing = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, check=True).stdout
    for lib in re.findall(r"(/\S+) \(0x", listing):
        add(lib.lstrip("/"), Path(lib).resolve().read_bytes())
    return files
