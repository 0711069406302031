"""The kubelet's HTTPS API (port 10250): what the API server proxies to a node.

- ``GET /healthz``
- ``GET /containerLogs/{namespace}/{pod}/{container}``: a container's log, with the
  pods/log options (``follow``, ``previous``, ``tailLines``, ``sinceSeconds``,
  ``sinceTime``, ``timestamps``, ``limitBytes``); errors in the kubelet's words as
  plain text with a 4xx code, which the API server turns into a Status.

Callers must present a client certificate issued by the cluster's CA (the API server
does). Anything so authenticated may read logs: finer authorization (upstream asks
the API server with a SubjectAccessReview) is not done here.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import ssl
import time
from typing import TYPE_CHECKING

from aiohttp import web

from ..api.pods import container_spec
from .logs import LogOptions, follow_log, read_log
from .network import SocketMaker
from .streaming import attach_handler, exec_handler, portforward_handler

if TYPE_CHECKING:
    from .kubelet import Kubelet

log = logging.getLogger(__name__)

__all__ = ["KubeletServer", "log_options"]


class BadRequest(Exception):
    pass


def _int(query, name: str) -> int | None:
    raw = query.get(name)
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError:
        raise BadRequest(f"invalid {name} {raw!r}") from None


def log_options(query) -> LogOptions:
    since = None
    seconds = _int(query, "sinceSeconds")
    if seconds is not None:
        since = time.time() - seconds
    elif query.get("sinceTime"):
        try:
            since = dt.datetime.fromisoformat(query["sinceTime"].replace("Z", "+00:00")).timestamp()
        except ValueError:
            raise BadRequest(f"invalid sinceTime {query['sinceTime']!r}") from None
    true = ("true", "1")
    return LogOptions(tail_lines=_int(query, "tailLines"), since_time=since, limit_bytes=_int(query, "limitBytes"),
                      timestamps=query.get("timestamps", "") in true, follow=query.get("follow", "") in true)


class KubeletServer:
    def __init__(self, kubelet: Kubelet) -> None:
        self.kubelet = kubelet
        self.app = web.Application()
        self.app.router.add_get("/healthz", lambda r: web.Response(text="ok"))
        self.app.router.add_get("/containerLogs/{namespace}/{pod}/{container}", self.container_logs)
        self.app.router.add_route("*", "/exec/{namespace}/{pod}/{container}", self.exec)
        self.app.router.add_route("*", "/portForward/{namespace}/{pod}", self.port_forward)
        self.app.router.add_route("*", "/attach/{namespace}/{pod}/{container}", self.attach)
        self.runner: web.AppRunner | None = None
        self.port = 0

    async def start(self, host: str, port: int, *, cert: str, key: str, client_ca: bytes) -> int:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        ctx.load_verify_locations(cadata=client_ca.decode())
        ctx.verify_mode = ssl.CERT_REQUIRED
        self.runner = web.AppRunner(self.app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, host, port, ssl_context=ctx)
        await site.start()
        self.port = self.runner.addresses[0][1]
        return self.port

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    async def container_logs(self, request: web.Request) -> web.StreamResponse:
        ns, name, container = (request.match_info[k] for k in ("namespace", "pod", "container"))
        try:
            opts = log_options(request.query)
            st = self._container(ns, name, container, previous=request.query.get("previous", "") in ("true", "1"))
        except BadRequest as e:
            return web.Response(status=400, text=str(e))
        except LookupError as e:
            return web.Response(status=404, text=str(e))
        runtime = self.kubelet.runtime
        resp = web.StreamResponse(headers={"Content-Type": "text/plain"})
        if opts.follow and st.state == "running":
            def running() -> bool:
                now = runtime.state(st.id)
                return now is not None and now.state == "running"
            await resp.prepare(request)
            async for chunk in follow_log(st.meta.log_path, opts, still_running=running):
                await resp.write(chunk)
        else:
            try:
                chunks = read_log(st.meta.log_path, opts)
            except FileNotFoundError:
                return web.Response(status=404, text=f'the log of container "{container}" in pod "{name}" is gone')
            await resp.prepare(request)
            for chunk in chunks:
                await resp.write(chunk)
        await resp.write_eof()
        return resp

    def _running(self, request: web.Request):
        """The running container a streaming request names, or the error response to give."""
        ns, name, container = (request.match_info[k] for k in ("namespace", "pod", "container"))
        try:
            st = self._container(ns, name, container, previous=False)
        except BadRequest as e:
            return web.Response(status=400, text=str(e))
        except LookupError as e:
            return web.Response(status=404, text=str(e))
        if st.state != "running":
            return web.Response(status=400, text=f'container not found ("{container}")')
        return st

    async def exec(self, request: web.Request) -> web.StreamResponse:
        st = self._running(request)
        if isinstance(st, web.Response):
            return st
        return await exec_handler(self.kubelet, request, st)

    async def attach(self, request: web.Request) -> web.StreamResponse:
        st = self._running(request)
        if isinstance(st, web.Response):
            return st
        pod = self.kubelet.informer.get(f"{st.meta.pod_namespace}/{st.meta.pod_name}") or {}
        return await attach_handler(self.kubelet, request, st, container_spec(pod, st.meta.name))

    async def port_forward(self, request: web.Request) -> web.StreamResponse:
        ns, name = request.match_info["namespace"], request.match_info["pod"]
        k = self.kubelet
        pod = k.informer.get(f"{ns}/{name}") if k.informer is not None else None
        worker = k.workers.get(pod["metadata"]["uid"]) if pod is not None else None
        if worker is None or not worker.sandbox_ready:
            return web.Response(status=404, text=f'pod "{name}" in namespace "{ns}" is not running on this node')
        sockets = SocketMaker(worker.netns_path) if worker.netns_path else _HostSockets()
        try:
            return await portforward_handler(k, request, pod, sockets)
        finally:
            sockets.close()

    def _container(self, ns: str, name: str, container: str, *, previous: bool):
        k = self.kubelet
        pod = k.informer.get(f"{ns}/{name}") if k.informer is not None else None
        if pod is None:
            raise LookupError(f'pod "{name}" in namespace "{ns}" not found')
        uid = pod["metadata"]["uid"]
        attempts = sorted((st for st in k.runtime.list(uid) if st.meta.name == container),
                          key=lambda s: s.meta.attempt)
        if previous:
            if len(attempts) < 2:
                raise BadRequest(f'previous terminated container "{container}" in pod "{name}" not found')
            return attempts[-2]
        if not attempts:
            worker = k.workers.get(uid)
            waiting = worker.waiting.get(container) if worker is not None else None
            reason = waiting.reason if waiting is not None else "ContainerCreating"
            raise BadRequest(f'container "{container}" in pod "{name}" is waiting to start: {reason}')
        return attempts[-1]


class _HostSockets:
    """A hostNetwork pod's ports are the node's own."""

    open_connection = staticmethod(asyncio.open_connection)

    def close(self) -> None:
        pass
