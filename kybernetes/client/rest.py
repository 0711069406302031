"""An async REST client for the Kubernetes API, on one keep-alive aiohttp session.

Resources are addressed generically by ``(group, version, plural, namespace)`` and
objects are plain dicts, as everywhere in kybernetes (client-go's "unstructured"
style). Non-2xx answers raise :class:`APIStatusError` carrying the server's
``Status``; ``watch`` turns the chunked stream of JSON lines into an async iterator
of ``(type, object)`` pairs (``ERROR`` events are yielded too, with the Status as
object, so a caller such as the informer can react to ``410 Gone``).

Plain requests go over a lean keep-alive transport (``transport.py``); watches use
aiohttp's streaming. Every request first takes a token from a :class:`TokenBucket` so that a busy
controller cannot flood the API server; the ``User-Agent`` names the program,
which the server uses as the default field manager in ``managedFields``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, Self
from urllib.parse import quote, urlencode

import aiohttp
import orjson

from .. import __version__
from .kubeconfig import ClientConfig, load_kubeconfig
from .transport import Transport, header_lines

log = logging.getLogger(__name__)

PATCH_CONTENT_TYPES = {
    "merge": "application/merge-patch+json",
    "json": "application/json-patch+json",
    "strategic": "application/strategic-merge-patch+json",
    "apply": "application/apply-patch+yaml",
}


class APIStatusError(Exception):
    """A non-2xx answer: ``code``, ``reason`` and ``message`` from its ``Status``."""

    def __init__(self, status: dict) -> None:
        self.status = status
        self.code: int = int(status.get("code") or 0)
        self.reason: str = status.get("reason") or ""
        self.message: str = status.get("message") or ""
        super().__init__(f"{self.code} {self.reason}: {self.message}")

    @classmethod
    def from_response(cls, code: int, body: bytes) -> APIStatusError:
        try:
            status = orjson.loads(body)
        except orjson.JSONDecodeError:
            status = None
        if not isinstance(status, dict) or status.get("kind") != "Status":
            status = {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                      "message": body.decode(errors="replace")[:1024], "reason": "", "code": code}
        status.setdefault("code", code)
        return cls(status)


class TokenBucket:
    """Client-side rate limiting: ``qps`` tokens a second, at most ``burst`` saved up.

    ``qps <= 0`` turns limiting off. ``clock`` and ``sleep`` are injectable for tests.
    """

    def __init__(self, qps: float, burst: int, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Any] = asyncio.sleep) -> None:
        self.qps = qps
        self.burst = max(1, burst)
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(self.burst)
        self._last = clock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.qps)
        self._last = now

    async def acquire(self) -> None:
        if self.qps <= 0:
            return
        self._refill()
        # take the token now (possibly going negative) so concurrent callers queue up fairly,
        # each sleeping for its own place in line
        self._tokens -= 1
        if self._tokens < 0:
            await self._sleep(-self._tokens / self.qps)


def resource_path(group: str, version: str, plural: str, namespace: str = "", name: str = "",
                  subresource: str = "") -> str:
    path = f"/api/{version}" if not group else f"/apis/{group}/{version}"
    if namespace:
        path += f"/namespaces/{quote(namespace, safe='')}"
    path += f"/{plural}"
    if name:
        path += f"/{quote(name, safe='')}"
    if subresource:
        path += f"/{subresource}"
    return path


def _list_params(label_selector: str, field_selector: str, resource_version: str | None,
                 timeout_seconds: int | None) -> dict[str, str]:
    params: dict[str, str] = {}
    if label_selector:
        params["labelSelector"] = label_selector
    if field_selector:
        params["fieldSelector"] = field_selector
    if resource_version is not None:
        params["resourceVersion"] = resource_version
    if timeout_seconds is not None:
        params["timeoutSeconds"] = str(int(timeout_seconds))
    return params


class Client:
    """Async Kubernetes API client. Use ``await Client.from_kubeconfig(path)`` and
    ``await client.close()`` (or ``async with``)."""

    def __init__(self, config: ClientConfig, *, user_agent: str = f"kyb-client/{__version__}",
                 qps: float = 100.0, burst: int = 200, ssl_context: Any = None,
                 accept: str = "application/json") -> None:
        self.config = config
        self.user_agent = user_agent
        self.accept = accept
        self.limiter = TokenBucket(qps, burst)
        self._ssl = ssl_context if ssl_context is not None else config.ssl_context()
        self._session: aiohttp.ClientSession | None = None
        self._transport: Transport | None = None

    @classmethod
    async def from_kubeconfig(cls, path: str | None = None, *, context: str | None = None, **kw: Any) -> Client:
        config = await asyncio.to_thread(load_kubeconfig, path, context=context)
        ssl_context = await asyncio.to_thread(config.ssl_context)
        return cls(config, ssl_context=ssl_context, **kw)

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            # limit=0: long-running watches each hold a connection; they must not starve requests
            connector = aiohttp.TCPConnector(ssl=self._ssl, limit=0)
            self._session = aiohttp.ClientSession(base_url=None, connector=connector,
                                                  headers={"User-Agent": self.user_agent})
        return self._session

    @property
    def transport(self) -> Transport:
        if self._transport is None:
            self._transport = Transport(self.config.server, self._ssl or None)
        return self._transport

    async def close(self) -> None:
        if self._transport is not None:
            await self._transport.close()
            self._transport = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def sibling(self, *, accept: str) -> Client:
        """A client for the same server, credentials and request budget (one rate
        limiter) that asks for another representation, e.g. PartialObjectMetadata.
        It has its own HTTP session: close it too."""
        other = Client(self.config, user_agent=self.user_agent, ssl_context=self._ssl, accept=accept)
        other.limiter = self.limiter
        return other

    # ------------------------------------------------------------------ transport
    def _headers(self, content_type: str | None = None) -> dict[str, str]:
        h = {"Accept": self.accept}
        if content_type:
            h["Content-Type"] = content_type
        token = self.config.bearer_token()
        if token:
            h["Authorization"] = f"Bearer {token}"
        return h

    async def request(self, method: str, path: str, *, params: dict | None = None, body: Any = None,
                      content_type: str = "application/json", timeout: float | None = 60.0) -> dict:
        """One request; the parsed JSON answer, or :class:`APIStatusError`."""
        await self.limiter.acquire()
        data = None if body is None else (body if isinstance(body, bytes) else orjson.dumps(body))
        target = f"{path}?{urlencode(params, quote_via=quote)}" if params else path
        headers = header_lines(self._headers(content_type if data is not None else None))
        async with asyncio.timeout(timeout):
            code, raw = await self.transport.request(method, target, f"User-Agent: {self.user_agent}\r\n{headers}",
                                                     data)
        if code >= 300:
            raise APIStatusError.from_response(code, raw)
        return orjson.loads(raw) if raw else {}

    # ------------------------------------------------------------------ verbs
    async def get(self, group: str, version: str, plural: str, name: str, *, namespace: str = "",
                  subresource: str = "") -> dict:
        return await self.request("GET", resource_path(group, version, plural, namespace, name, subresource))

    async def list(self, group: str, version: str, plural: str, *, namespace: str = "", label_selector: str = "",
                   field_selector: str = "", limit: int | None = None, continue_: str = "",
                   resource_version: str | None = None, resource_version_match: str = "") -> dict:
        params = _list_params(label_selector, field_selector, resource_version, None)
        if limit:
            params["limit"] = str(limit)
        if continue_:
            params["continue"] = continue_
        if resource_version_match:
            params["resourceVersionMatch"] = resource_version_match
        return await self.request("GET", resource_path(group, version, plural, namespace), params=params)

    async def create(self, group: str, version: str, plural: str, body: dict, *, namespace: str = "",
                     field_manager: str = "", dry_run: bool = False) -> dict:
        return await self.request("POST", resource_path(group, version, plural, namespace),
                                  params=_write_params(field_manager, dry_run), body=body)

    async def replace(self, group: str, version: str, plural: str, name: str, body: dict, *, namespace: str = "",
                      field_manager: str = "", dry_run: bool = False) -> dict:
        return await self.request("PUT", resource_path(group, version, plural, namespace, name),
                                  params=_write_params(field_manager, dry_run), body=body)

    async def update_status(self, group: str, version: str, plural: str, name: str, body: dict, *,
                            namespace: str = "", field_manager: str = "") -> dict:
        return await self.request("PUT", resource_path(group, version, plural, namespace, name, "status"),
                                  params=_write_params(field_manager, False), body=body)

    async def patch(self, group: str, version: str, plural: str, name: str, body: Any, *, namespace: str = "",
                    patch_type: str = "merge", field_manager: str = "", force: bool = False,
                    subresource: str = "", dry_run: bool = False) -> dict:
        """``patch_type``: ``merge``, ``json``, ``strategic`` or ``apply`` (server-side apply;
        needs ``field_manager``; ``force`` takes over conflicting fields)."""
        try:
            content_type = PATCH_CONTENT_TYPES[patch_type]
        except KeyError:
            raise ValueError(f"unknown patch type {patch_type!r}; one of {sorted(PATCH_CONTENT_TYPES)}") from None
        if patch_type == "apply" and not field_manager:
            raise ValueError("server-side apply needs a field_manager")
        params = _write_params(field_manager, dry_run)
        if force:
            params["force"] = "true"
        return await self.request("PATCH", resource_path(group, version, plural, namespace, name, subresource),
                                  params=params, body=body, content_type=content_type)

    async def delete(self, group: str, version: str, plural: str, name: str, *, namespace: str = "",
                     propagation_policy: str = "", grace_period_seconds: int | None = None,
                     preconditions: dict | None = None, dry_run: bool = False) -> dict:
        """Delete one object; the answer is the object (being finalized) or a Status."""
        opts: dict[str, Any] = {"kind": "DeleteOptions", "apiVersion": "v1"}
        if propagation_policy:
            opts["propagationPolicy"] = propagation_policy
        if grace_period_seconds is not None:
            opts["gracePeriodSeconds"] = grace_period_seconds
        if preconditions:
            opts["preconditions"] = preconditions
        if dry_run:
            opts["dryRun"] = ["All"]
        return await self.request("DELETE", resource_path(group, version, plural, namespace, name), body=opts)

    async def watch(self, group: str, version: str, plural: str, *, namespace: str = "", name: str = "",
                    label_selector: str = "", field_selector: str = "", resource_version: str | None = None,
                    allow_watch_bookmarks: bool = False, timeout_seconds: int | None = None,
                    ) -> AsyncIterator[tuple[str, dict]]:
        """Stream ``(type, object)``: ADDED, MODIFIED, DELETED, BOOKMARK and ERROR (Status object).

        Ends when the server closes the stream (``timeout_seconds``); raises
        :class:`APIStatusError` if the watch is refused outright."""
        params = _list_params(label_selector, field_selector, resource_version, timeout_seconds)
        params["watch"] = "true"
        if allow_watch_bookmarks:
            params["allowWatchBookmarks"] = "true"
        if name:
            params["fieldSelector"] = ",".join(filter(None, [f"metadata.name={name}", field_selector]))
        await self.limiter.acquire()
        # no total timeout: the server ends the watch; a read timeout only catches a dead peer
        sock_read = (timeout_seconds + 30) if timeout_seconds else None
        async with self.session.get(
            self.config.server + resource_path(group, version, plural, namespace), params=params,
            headers=self._headers(), timeout=aiohttp.ClientTimeout(total=None, sock_read=sock_read),
        ) as resp:
            if resp.status >= 300:
                raise APIStatusError.from_response(resp.status, await resp.read())
            # split lines ourselves: aiohttp's readline caps the line length and objects can be
            # large; a chunk may hold many events (the server writes a commit's events at once)
            partial: list[bytes] = []
            async for chunk in resp.content.iter_any():
                if b"\n" not in chunk:
                    partial.append(chunk)
                    continue
                lines = (b"".join(partial) + chunk if partial else chunk).split(b"\n")
                rest = lines.pop()
                partial = [rest] if rest else []
                for line in lines:
                    if line.strip():
                        ev = orjson.loads(line)
                        yield ev.get("type", ""), ev.get("object") or {}
            tail = b"".join(partial)
            if tail.strip():
                ev = orjson.loads(tail)
                yield ev.get("type", ""), ev.get("object") or {}


def _write_params(field_manager: str, dry_run: bool) -> dict[str, str]:
    params: dict[str, str] = {}
    if field_manager:
        params["fieldManager"] = field_manager
    if dry_run:
        params["dryRun"] = "All"
    return params
