"""Pulling images into the node's store: from a real registry (Debian's docker-registry
on loopback, plain HTTP) and from a token-authenticated one (a small fake that speaks
the Bearer challenge flow), with credentials taken from imagePullSecrets."""

from __future__ import annotations

import base64
import json

import pytest
from aiohttp import web

from kybernetes.kubelet.images import ImageStore
from kybernetes.kubelet.images.pull import Credentials, PullError, Puller, credentials_for
from tests.imagebuild import ImageSpec, digest
from tests.registry import Registry

FILES = {"etc/": ("dir",), "etc/motd": b"pulled\n", "bin/sh": ("symlink", "/bin/busybox")}


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    r = Registry(tmp_path_factory.mktemp("registry"))
    yield r
    r.stop()


async def test_pull_by_tag_and_by_digest(registry, tmp_path):
    pushed = registry.push("team/app", "v1", ImageSpec([FILES]))
    store = ImageStore(tmp_path / "store")
    image = await Puller(store).pull(f"{registry.host}/team/app:v1")
    assert image.name == f"{registry.host}/team/app:v1" and image.manifest == pushed
    assert (store.rootfs(image) / "etc/motd").read_bytes() == b"pulled\n"

    again = await Puller(store).pull(f"{registry.host}/team/app@{pushed}")
    assert again.id == image.id and again.name == f"{registry.host}/team/app@{pushed}"


async def test_pull_of_a_multi_platform_image_takes_this_machines(registry, tmp_path):
    registry.push("multi", "latest", ImageSpec([FILES]), as_index=True)
    store = ImageStore(tmp_path / "store")
    image = await Puller(store).pull(f"{registry.host}/multi")
    assert (store.rootfs(image) / "etc/motd").exists()


async def test_missing_tag_is_not_found(registry, tmp_path):
    with pytest.raises(PullError) as e:
        await Puller(ImageStore(tmp_path / "store")).pull(f"{registry.host}/team/app:nope")
    assert e.value.reason == "NotFound"


# ---------------------------------------------------------------------- a token-auth registry
class TokenRegistry:
    """The distribution API's read side, for one image, behind the Bearer challenge."""

    def __init__(self, image: ImageSpec, user: str, password: str) -> None:
        manifest, config, blobs = image.manifest()
        self.manifest = manifest
        self.blobs = {digest(b): b for b in [config, *blobs]}
        self.basic = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        self.token_requests: list[dict] = []

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/token", self.token)
        app.router.add_get("/v2/private/app/manifests/{ref}", self.get_manifest)
        app.router.add_get("/v2/private/app/blobs/{digest}", self.get_blob)
        return app

    async def token(self, request: web.Request) -> web.Response:
        self.token_requests.append(dict(request.query))
        if request.headers.get("Authorization") != self.basic:
            return web.json_response({"errors": [{"code": "UNAUTHORIZED"}]}, status=401)
        return web.json_response({"token": "secret-token"})

    def _challenge(self, request: web.Request) -> web.Response | None:
        if request.headers.get("Authorization") == "Bearer secret-token":
            return None
        host = request.host
        return web.Response(status=401, headers={"WWW-Authenticate": (
            f'Bearer realm="http://{host}/token",service="{host}",scope="repository:private/app:pull"')})

    async def get_manifest(self, request: web.Request) -> web.Response:
        return self._challenge(request) or web.Response(
            body=self.manifest, content_type="application/vnd.oci.image.manifest.v1+json")

    async def get_blob(self, request: web.Request) -> web.Response:
        return self._challenge(request) or web.Response(body=self.blobs[request.match_info["digest"]])


@pytest.fixture
async def token_registry():
    fake = TokenRegistry(ImageSpec([FILES]), "alice", "s3cret")
    runner = web.AppRunner(fake.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    fake.host = f"127.0.0.1:{site._server.sockets[0].getsockname()[1]}"
    yield fake
    await runner.cleanup()


def pull_secret(host: str, user: str, password: str) -> dict:
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    config = json.dumps({"auths": {host: {"auth": auth}}}).encode()
    return {"type": "kubernetes.io/dockerconfigjson", "data": {".dockerconfigjson": base64.b64encode(config).decode()}}


async def test_bearer_token_flow_with_a_pull_secret(token_registry, tmp_path):
    host = token_registry.host
    secrets = [pull_secret("other.example:5000", "bob", "x"), pull_secret(host, "alice", "s3cret")]
    creds = credentials_for(host, secrets)
    assert creds == [Credentials("alice", "s3cret")]
    store = ImageStore(tmp_path / "store")
    image = await Puller(store).pull(f"{host}/private/app:v1", creds)
    assert (store.rootfs(image) / "etc/motd").read_bytes() == b"pulled\n"
    assert token_registry.token_requests[0] == {"service": host, "scope": "repository:private/app:pull"}


async def test_wrong_or_missing_credentials_are_unauthorized(token_registry, tmp_path):
    host = token_registry.host
    for creds in ([Credentials("alice", "wrong")], None):
        with pytest.raises(PullError) as e:
            await Puller(ImageStore(tmp_path / "store")).pull(f"{host}/private/app:v1", creds)
        assert e.value.reason == "Unauthorized"


def test_docker_hub_keys_in_a_pull_secret_mean_docker_io():
    secret = pull_secret("https://index.docker.io/v1/", "u", "p")
    assert credentials_for("docker.io", [secret]) == [Credentials("u", "p")]
    assert credentials_for("quay.io", [secret]) == []
