"""Pulling images from an OCI distribution (registry v2) API into the image store.

- The manifest is asked for with every manifest media type. An index (manifest list)
  is resolved to this machine's platform.
- Every manifest and blob is checked against its digest.
- Blobs already in the store are not fetched again.
- Authentication follows the registry's ``WWW-Authenticate`` challenge. For ``Basic``
  the credentials go with the request. For ``Bearer`` a token comes from the realm
  (with the credentials, if any, as Basic auth) for the challenge's service and scope.
- Credentials come from ``imagePullSecrets`` (``.dockerconfigjson``, see
  :func:`credentials_for`).
- Loopback registries may speak plain HTTP (tried after HTTPS), as Docker treats
  127.0.0.0/8 as insecure. Other registries must use HTTPS.
"""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import json
import logging
import re
from dataclasses import dataclass
from typing import Any

import aiohttp

from .reference import DEFAULT_REGISTRY, parse_reference
from .store import (
    DOCKER_LIST,
    DOCKER_MANIFEST,
    INDEX_TYPES,
    OCI_INDEX,
    OCI_MANIFEST,
    Image,
    ImageError,
    ImageStore,
    pick_platform,
    sha256_digest,
)

log = logging.getLogger(__name__)

__all__ = ["Credentials", "PullError", "Puller", "credentials_for"]

MANIFEST_ACCEPT = ", ".join((OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST))
_CHALLENGE_PARAM = re.compile(r'(\w+)="([^"]*)"')


class PullError(ImageError):
    """``reason``: ``NotFound``, ``Unauthorized`` or ``Error`` (what the kubelet reports)."""

    def __init__(self, message: str, reason: str = "Error") -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Credentials:
    username: str = ""
    password: str = ""


def _registry_key(text: str) -> str:
    """A ``.dockerconfigjson`` auths key as a registry host (``https://index.docker.io/v1/`` → docker.io)."""
    host = re.sub(r"^[a-z]+://", "", text.strip()).split("/", 1)[0]
    return DEFAULT_REGISTRY if host in ("index.docker.io", "registry-1.docker.io", "docker.io") else host


def credentials_for(registry: str, secrets: list[dict]) -> list[Credentials]:
    """The credentials ``imagePullSecrets`` (Secret objects) hold for ``registry``, in order."""
    out: list[Credentials] = []
    for secret in secrets:
        data = secret.get("data") or {}
        raw = data.get(".dockerconfigjson") or data.get(".dockercfg")
        if not raw:
            continue
        try:
            doc = json.loads(base64.b64decode(raw))
        except ValueError:
            continue
        auths = doc.get("auths", doc) if isinstance(doc, dict) else {}
        for key, entry in auths.items():
            if _registry_key(key) != registry or not isinstance(entry, dict):
                continue
            user, password = entry.get("username", ""), entry.get("password", "")
            if entry.get("auth"):
                try:
                    user, _, password = base64.b64decode(entry["auth"]).decode().partition(":")
                except ValueError:
                    continue
            out.append(Credentials(user, password))
    return out


def _is_loopback(host: str) -> bool:
    name = host.rsplit(":", 1)[0].strip("[]") if host.count(":") <= 1 or host.startswith("[") else host
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class _Registry:
    """One repository on one registry, with the token its challenge asked for."""

    def __init__(self, session: aiohttp.ClientSession, registry: str, repository: str,
                 credentials: Credentials | None) -> None:
        self.session = session
        self.host = "registry-1.docker.io" if registry == DEFAULT_REGISTRY else registry
        self.repository = repository
        self.credentials = credentials
        self.schemes = ["https", "http"] if _is_loopback(self.host) else ["https"]
        self.auth: str | None = None

    async def get(self, path: str, accept: str = "") -> aiohttp.ClientResponse:
        """GET ``/v2/<repository>/<path>``, answering one auth challenge; the response is
        open (the caller reads and releases it)."""
        for attempt in range(2):
            resp = await self._get_any_scheme(path, accept)
            if resp.status != 401 or attempt:
                return resp
            challenge = resp.headers.get("WWW-Authenticate", "")
            resp.release()
            await self._authenticate(challenge)
        raise AssertionError("unreachable")

    async def _get_any_scheme(self, path: str, accept: str) -> aiohttp.ClientResponse:
        headers = {"Accept": accept} if accept else {}
        if self.auth:
            headers["Authorization"] = self.auth
        last: Exception | None = None
        for scheme in list(self.schemes):
            url = f"{scheme}://{self.host}/v2/{self.repository}/{path}"
            try:
                resp = await self.session.get(url, headers=headers)
                self.schemes = [scheme]          # this one answers: stick to it
                return resp
            except (aiohttp.ClientConnectorError, aiohttp.ClientSSLError, aiohttp.ServerDisconnectedError,
                    aiohttp.ClientOSError) as e:
                last = e
        raise PullError(f"cannot reach registry {self.host}: {last}")

    async def _authenticate(self, challenge: str) -> None:
        scheme, _, rest = challenge.partition(" ")
        params = dict(_CHALLENGE_PARAM.findall(rest))
        creds = self.credentials
        basic = None
        if creds and creds.username:
            basic = "Basic " + base64.b64encode(f"{creds.username}:{creds.password}".encode()).decode()
        if scheme.lower() == "basic":
            if basic is None:
                raise PullError(f"registry {self.host} requires credentials", "Unauthorized")
            self.auth = basic
            return
        if scheme.lower() != "bearer" or "realm" not in params:
            raise PullError(f"registry {self.host}: unsupported authentication {challenge!r}", "Unauthorized")
        query = {k: v for k, v in params.items() if k in ("service", "scope")}
        query.setdefault("scope", f"repository:{self.repository}:pull")
        async with self.session.get(params["realm"], params=query,
                                    headers={"Authorization": basic} if basic else {}) as resp:
            if resp.status in (401, 403):
                raise PullError(f"registry {self.host}: authorization failed", "Unauthorized")
            if resp.status >= 300:
                raise PullError(f"registry {self.host}: token service answered {resp.status}")
            body = await resp.json(content_type=None)
        token = body.get("token") or body.get("access_token")
        if not token:
            raise PullError(f"registry {self.host}: token service gave no token")
        self.auth = f"Bearer {token}"


class Puller:
    """``await Puller(store).pull("busybox:1.36", credentials)`` → the stored :class:`Image`."""

    def __init__(self, store: ImageStore, *, ssl: Any = None) -> None:
        self.store = store
        self.ssl = ssl

    async def pull(self, ref: str, credentials: list[Credentials] | None = None) -> Image:
        reference = parse_reference(ref)
        attempts = list(credentials or []) or [None]
        connector = aiohttp.TCPConnector(ssl=self.ssl) if self.ssl is not None else None
        async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(sock_read=60)) as session:
            for i, creds in enumerate(attempts):
                try:
                    registry = _Registry(session, reference.registry, reference.repository, creds)
                    return await self._pull(registry, reference)
                except PullError as e:
                    if e.reason != "Unauthorized" or i == len(attempts) - 1:
                        raise
        raise AssertionError("unreachable")

    async def _pull(self, registry: _Registry, reference: Any) -> Image:
        digest = await self._manifest(registry, reference.digest or reference.tag, reference.digest or None)
        doc = self.store.read_json(digest)
        if (doc.get("mediaType") or "") in INDEX_TYPES or "manifests" in doc:
            desc = pick_platform(doc["manifests"])
            digest = await self._manifest(registry, desc["digest"], desc["digest"])
            doc = self.store.read_json(digest)
        for desc in [doc["config"], *doc["layers"]]:
            if not self.store.has_blob(desc["digest"]):
                await self._blob(registry, desc["digest"])
        image = self.store.tag(reference.name, digest)
        log.info("pulled %s (%s)", reference.name, image.id)
        return image

    async def _manifest(self, registry: _Registry, ref: str, expected: str | None) -> str:
        resp = await registry.get(f"manifests/{ref}", MANIFEST_ACCEPT)
        try:
            body = await resp.read()
            _check(resp, registry, f"manifest {ref}")
        finally:
            resp.release()
        digest = sha256_digest(body)
        if expected and digest != expected:
            raise PullError(f"manifest {ref}: content digest {digest} does not match")
        return await asyncio.to_thread(self.store.put_bytes, body, digest)

    async def _blob(self, registry: _Registry, digest: str) -> None:
        resp = await registry.get(f"blobs/{digest}")
        writer = await asyncio.to_thread(self.store.writer)
        try:
            _check(resp, registry, f"blob {digest}")
            async for chunk in resp.content.iter_chunked(1 << 20):
                await asyncio.to_thread(writer.write, chunk)
            await asyncio.to_thread(writer.commit, digest)
        finally:
            resp.release()
            writer.abort()


def _check(resp: aiohttp.ClientResponse, registry: _Registry, what: str) -> None:
    if resp.status == 404:
        raise PullError(f"{registry.host}/{registry.repository}: {what} not found", "NotFound")
    if resp.status in (401, 403):
        raise PullError(f"{registry.host}/{registry.repository}: {what}: authorization failed", "Unauthorized")
    if resp.status >= 300:
        raise PullError(f"{registry.host}/{registry.repository}: {what}: registry answered {resp.status}")
