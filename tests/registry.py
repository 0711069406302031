"""A real OCI registry for tests (Debian's ``docker-registry``, on loopback) and a
minimal push over the distribution API, so tests can pull what they built."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from kybernetes.cli.supervisor import die_with_parent
from kybernetes.kubelet.images.store import host_platform
from tests.imagebuild import ImageSpec, digest

REGISTRY_BINARY = shutil.which("docker-registry") or "/usr/bin/docker-registry"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Registry:
    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        config = workdir / "registry.yml"
        config.write_text(json.dumps({      # YAML is a superset of JSON
            "version": 0.1, "log": {"level": "warn"},
            "storage": {"filesystem": {"rootdirectory": str(workdir / "registry-data")}},
            "http": {"addr": self.host}}))
        self.proc = subprocess.Popen([REGISTRY_BINARY, "serve", str(config)], stdout=subprocess.DEVNULL,
                                     stderr=open(workdir / "registry.log", "wb"), start_new_session=True,
                                     preexec_fn=die_with_parent)
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(f"http://{self.host}/v2/", timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.stop()
                    raise RuntimeError(f"docker-registry did not start: {(workdir / 'registry.log').read_text()}")
                time.sleep(0.1)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    # ------------------------------------------------------------------ push
    def _request(self, method: str, url: str, data: bytes = b"", content_type: str = "") -> tuple[int, dict]:
        req = urllib.request.Request(url if url.startswith("http") else f"http://{self.host}{url}", data=data or None,
                                     method=method)
        if content_type:
            req.add_header("Content-Type", content_type)
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, dict(resp.headers)

    def push_blob(self, repo: str, data: bytes) -> str:
        d = digest(data)
        _, headers = self._request("POST", f"/v2/{repo}/blobs/uploads/")
        location = headers["Location"]
        sep = "&" if "?" in location else "?"
        self._request("PUT", f"{location}{sep}digest={d}", data, "application/octet-stream")
        return d

    def push_manifest(self, repo: str, ref: str, body: bytes, media_type: str) -> str:
        self._request("PUT", f"/v2/{repo}/manifests/{ref}", body, media_type)
        return digest(body)

    def push(self, repo: str, tag: str, image: ImageSpec, *, as_index: bool = False) -> str:
        """Push ``image``; the digest of what the tag points to."""
        manifest, config, blobs = image.manifest()
        for blob in (config, *blobs):
            self.push_blob(repo, blob)
        if not as_index:
            return self.push_manifest(repo, tag, manifest, "application/vnd.oci.image.manifest.v1+json")
        m = self.push_manifest(repo, digest(manifest), manifest, "application/vnd.oci.image.manifest.v1+json")
        os_, arch = host_platform()
        other = "riscv64" if arch != "riscv64" else "s390x"
        index = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                            "manifests": [
                                {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": m,
                                 "size": len(manifest), "platform": {"os": "linux", "architecture": other}},
                                {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": m,
                                 "size": len(manifest), "platform": {"os": os_, "architecture": arch}}]}).encode()
        return self.push_manifest(repo, tag, index, "application/vnd.oci.image.index.v1+json")
