"""``pods/exec``, ``pods/attach`` and ``pods/portforward``: the API server checks the
request against the pod, then relays a WebSocket (``v5.channel.k8s.io`` or v4 for exec and attach,
``SPDY/3.1+portforward.k8s.io`` for port-forward) between the client and the pod's
kubelet, message by message, as upstream proxies the upgraded connection.

SPDY/3.1, which kubectl up to 1.29 uses (1.30 for port-forward, and later ones fall
back to when the WebSocket is refused), is bridged to the same WebSocket
(:mod:`.spdybridge`).
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode

import aiohttp
from aiohttp import WSMsgType, web

from ..api import errors
from ..api.pods import container_spec
from .podlogs import KubeletClient, pick_container
from .spdybridge import bridge_exec, bridge_portforward, wants_spdy

__all__ = ["proxy_attach", "proxy_exec", "proxy_portforward"]

EXEC_PARAMS = ("command", "stdin", "stdout", "stderr", "tty")
ATTACH_PARAMS = ("stdin", "stdout", "stderr", "tty")
EXEC_PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")
PORTFORWARD_PROTOCOL = "SPDY/3.1+portforward.k8s.io"


def _check_pod(pod: dict, container: str, *, verb: str = "exec into") -> None:
    status = pod.get("status") or {}
    phase = status.get("phase", "")
    if phase in ("Succeeded", "Failed"):
        raise errors.bad_request(f"cannot {verb} a container in a completed pod; current phase is {phase}")
    statuses = [*(status.get("containerStatuses") or []), *(status.get("initContainerStatuses") or []),
                *(status.get("ephemeralContainerStatuses") or [])]
    mine = next((s for s in statuses if s.get("name") == container), None)
    if mine is None or "running" not in (mine.get("state") or {}):
        raise errors.bad_request(f'unable to upgrade connection: container not found ("{container}")')


async def proxy_exec(kubelet: KubeletClient, request: web.Request, pod: dict, node: dict | None) -> web.StreamResponse:
    query = request.query
    container = pick_container(pod, query.get("container", ""))
    _check_pod(pod, container)
    meta = pod["metadata"]
    params = [(k, v) for k, v in query.items() if k in EXEC_PARAMS]
    url = f"{kubelet.kubelet_base(pod, node)}/exec/{meta['namespace']}/{meta['name']}/{container}?{urlencode(params)}"
    return await _tunnel(kubelet, request, url, EXEC_PROTOCOLS, what="exec")


async def proxy_attach(kubelet: KubeletClient, request: web.Request, pod: dict, node: dict | None) -> web.StreamResponse:
    query = request.query
    container = pick_container(pod, query.get("container", ""))
    _check_pod(pod, container, verb="attach to")
    if query.get("stdin") in ("1", "true") and not container_spec(pod, container).get("stdin"):
        raise errors.bad_request(f"container {container} has no stdin to attach to (set stdin: true in its spec)")
    meta = pod["metadata"]
    params = [(k, v) for k, v in query.items() if k in ATTACH_PARAMS]
    url = f"{kubelet.kubelet_base(pod, node)}/attach/{meta['namespace']}/{meta['name']}/{container}?{urlencode(params)}"
    return await _tunnel(kubelet, request, url, EXEC_PROTOCOLS, what="attach")


async def proxy_portforward(kubelet: KubeletClient, request: web.Request, pod: dict,
                            node: dict | None) -> web.StreamResponse:
    meta = pod["metadata"]
    if (pod.get("status") or {}).get("phase") != "Running":
        raise errors.bad_request(f"unable to upgrade connection: pod {meta['name']} is not running")
    url = f"{kubelet.kubelet_base(pod, node)}/portForward/{meta['namespace']}/{meta['name']}"
    return await _tunnel(kubelet, request, url, (PORTFORWARD_PROTOCOL,), what="port-forward")


async def _tunnel(kubelet: KubeletClient, request: web.Request, url: str, protocols: tuple[str, ...], *,
                  what: str) -> web.StreamResponse:
    """Accept the client's WebSocket and relay it to the same one at the kubelet."""
    if wants_spdy(request):
        if what == "port-forward":
            return await bridge_portforward(kubelet.session, request, url, protocols[0])
        return await bridge_exec(kubelet.session, request, url)
    down = web.WebSocketResponse(protocols=protocols, max_msg_size=0)
    if not down.can_prepare(request).ok:
        raise errors.bad_request(f"unable to upgrade connection: {what} needs a WebSocket "
                                 f"({', '.join(protocols)}) or SPDY/3.1 upgrade")
    offered = [p.strip() for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",") if p.strip()]
    try:
        up = await kubelet.session.ws_connect(url, protocols=[p for p in offered if p in protocols] or protocols,
                                              max_msg_size=0, timeout=aiohttp.ClientWSTimeout(ws_close=10))
    except aiohttp.WSServerHandshakeError as e:
        raise errors.APIError(e.status if e.status < 500 else 500, "BadRequest",
                              f"unable to upgrade connection: {e.message}") from None
    except (aiohttp.ClientError, OSError) as e:
        raise errors.APIError(500, "InternalError", f"error dialing backend: {e}") from None
    try:
        down = web.WebSocketResponse(protocols=(up.protocol,) if up.protocol else protocols, max_msg_size=0)
        await down.prepare(request)
        await asyncio.gather(_relay(down, up), _relay(up, down))
    finally:
        await up.close()
    return down


async def _relay(source, sink) -> None:
    """Copy messages until ``source`` closes, then close ``sink`` with the same code."""
    try:
        async for msg in source:
            if msg.type == WSMsgType.BINARY:
                await sink.send_bytes(msg.data)
            elif msg.type == WSMsgType.TEXT:
                await sink.send_str(msg.data)
    except (ConnectionResetError, RuntimeError):
        pass
    finally:
        if not sink.closed:
            await sink.close(code=source.close_code or 1000)
