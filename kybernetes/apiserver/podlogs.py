"""``GET pods/{name}/log``: the API server checks the request against the pod, then
streams the answer of the pod's kubelet (``/containerLogs/...`` on the node's
InternalIP and kubeletEndpoint port), as upstream's LogREST does.

The API server presents the cluster's admin client certificate to the kubelet and,
like upstream without ``--kubelet-certificate-authority``, does not verify the
kubelet's self-signed serving certificate.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

from ..api import errors

__all__ = ["KubeletClient", "LOG_PARAMS"]

LOG_PARAMS = ("container", "follow", "previous", "sinceSeconds", "sinceTime", "timestamps", "tailLines",
              "limitBytes", "insecureSkipTLSVerifyBackend", "stream")


def pick_container(pod: dict, requested: str) -> str:
    """The container a log request is about, or upstream's BadRequest."""
    spec = pod.get("spec") or {}
    name = pod["metadata"]["name"]
    apps = [c["name"] for c in spec.get("containers") or []]
    inits = [c["name"] for c in spec.get("initContainers") or []]
    ephemeral = [c["name"] for c in spec.get("ephemeralContainers") or []]
    if not requested:
        if len(apps) == 1:
            return apps[0]
        message = f"a container name must be specified for pod {name}, choose one of: [{' '.join(apps)}]"
        if inits:
            message += f" or one of the init containers: [{' '.join(inits)}]"
        if ephemeral:
            message += f" or one of the ephemeral containers: [{' '.join(ephemeral)}]"
        raise errors.bad_request(message)
    if requested not in apps + inits + ephemeral:
        raise errors.bad_request(f"container {requested} is not valid for pod {name}")
    return requested


def _check_ints(query) -> None:
    for key, minimum in (("tailLines", 0), ("limitBytes", 1), ("sinceSeconds", 1)):
        raw = query.get(key)
        if raw is None:
            continue
        try:
            value = int(raw)
        except ValueError:
            raise errors.bad_request(f"{key}: invalid value {raw!r}") from None
        if value < minimum:
            word = "non-negative" if minimum == 0 else "greater than 0"
            raise errors.invalid_object("PodLogOptions", "", "", [errors.invalid(key, value, f"must be {word}")])
    if "sinceSeconds" in query and "sinceTime" in query:
        raise errors.invalid_object("PodLogOptions", "", "", [
            errors.forbidden("sinceTime", "at most one of `sinceTime` or `sinceSeconds` may be specified")])


class KubeletClient:
    """The API server's way to its kubelets: ``pods/log`` here, and the streaming
    subresources in :mod:`.podexec` through its session (admin client certificate)."""

    def __init__(self, client_cert: tuple[Path, Path] | None) -> None:
        self.client_cert = client_cert
        self._session: aiohttp.ClientSession | None = None

    def _ssl(self) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        if self.client_cert is not None:
            ctx.load_cert_chain(str(self.client_cert[0]), str(self.client_cert[1]))
        return ctx

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=self._ssl()),
                                                  timeout=aiohttp.ClientTimeout(sock_connect=10))
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    @staticmethod
    def kubelet_base(pod: dict, node: dict | None) -> str:
        """``https://<node's InternalIP>:<kubelet port>`` of the pod's node."""
        meta = pod["metadata"]
        node_name = (pod.get("spec") or {}).get("nodeName", "")
        if not node_name:
            raise errors.bad_request(f"pod {meta['name']} does not have a host assigned")
        if node is None:
            raise errors.not_found("nodes", "", node_name)
        status = node.get("status") or {}
        address = next((a["address"] for a in status.get("addresses") or [] if a.get("type") == "InternalIP"),
                       next((a["address"] for a in status.get("addresses") or []), ""))
        port = ((status.get("daemonEndpoints") or {}).get("kubeletEndpoint") or {}).get("Port") or 10250
        host = f"[{address}]" if ":" in address else address
        return f"https://{host}:{port}"

    async def stream(self, request: web.Request, pod: dict, node: dict | None) -> web.StreamResponse:
        query = request.query
        _check_ints(query)
        container = pick_container(pod, query.get("container", ""))
        meta = pod["metadata"]
        base = self.kubelet_base(pod, node)
        params = {k: v for k, v in query.items() if k in LOG_PARAMS and k != "container"}
        url = f"{base}/containerLogs/{meta['namespace']}/{meta['name']}/{container}"
        if params:
            url += "?" + urlencode(params)
        try:
            upstream = await self.session.get(url, timeout=aiohttp.ClientTimeout(total=None, sock_connect=10))
        except (aiohttp.ClientError, OSError) as e:
            raise errors.APIError(500, "InternalError", f'Get "{url}": {e}') from None
        try:
            if upstream.status != 200:
                text = (await upstream.text()).strip()
                reason = {400: "BadRequest", 404: "NotFound", 403: "Forbidden"}.get(upstream.status, "InternalError")
                raise errors.APIError(upstream.status if upstream.status < 500 else 500, reason, text)
            resp = web.StreamResponse(headers={"Content-Type": "text/plain", "Cache-Control": "no-cache, private"})
            await resp.prepare(request)
            async for chunk in upstream.content.iter_any():
                await resp.write(chunk)
            await resp.write_eof()
            return resp
        finally:
            upstream.release()
