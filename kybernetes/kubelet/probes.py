"""Container probes and lifecycle-hook handlers.

A *handler* (exec, httpGet, tcpSocket, grpc, sleep) is what a probe or a postStart/
preStop hook runs. :func:`run_handler` runs one and answers ``("success" | "failure"
| "warning", message)``; messages read like upstream's, since users see them in
``Unhealthy`` events.

:class:`ProbeManager` keeps one asyncio task per running container of a pod, with
upstream's semantics:

- every probe waits ``initialDelaySeconds`` from the container's start, then runs
  every ``periodSeconds`` with ``timeoutSeconds``; ``successThreshold`` consecutive
  successes or ``failureThreshold`` consecutive failures change its result;
- a startup probe runs first; until it succeeds the container is not *started* and
  neither liveness nor readiness runs;
- without a readiness probe a started container is ready; with one it is not
  ready until the probe succeeds;
- a liveness (or startup) probe that fails stops probing that container; the pod
  worker kills it and the restart policy decides what comes next. A new container
  gets fresh probes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import ssl
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import yarl

from .network import SocketMaker

log = logging.getLogger(__name__)

__all__ = ["HandlerTarget", "ProbeManager", "run_handler", "target_for"]

USER_AGENT = "kube-probe/1.33"
MAX_OUTPUT = 10 * 1024            # upstream keeps at most 10 KiB of a probe's output
MAX_REDIRECTS = 10
GRPC_STATUS = {0: "UNKNOWN", 1: "SERVING", 2: "NOT_SERVING", 3: "SERVICE_UNKNOWN"}


@dataclass(frozen=True)
class HandlerTarget:
    """Where a handler runs: the pod's address, the container, its named ports, and
    (rootless kubelet) the maker of sockets that can reach the pod."""
    pod_ip: str
    container_id: str
    ports: dict[str, int] = field(default_factory=dict)
    sockets: SocketMaker | None = None


def target_for(container: dict, container_id: str, pod_ip: str | None,
               sockets: SocketMaker | None = None) -> HandlerTarget:
    ports = {p["name"]: int(p["containerPort"]) for p in container.get("ports") or []
             if p.get("name") and p.get("containerPort")}
    return HandlerTarget(pod_ip=pod_ip or "127.0.0.1", container_id=container_id, ports=ports, sockets=sockets)


class _HandlerError(Exception):
    """A handler that cannot run as written (e.g. a port name the container lacks)."""


def _port(value: Any, target: HandlerTarget) -> int:
    if isinstance(value, int):
        port = value
    elif isinstance(value, str) and value.isdigit():
        port = int(value)
    elif isinstance(value, str) and value in target.ports:
        port = target.ports[value]
    else:
        raise _HandlerError(f"couldn't find port: {value!r}")
    if not 0 < port < 65536:
        raise _HandlerError(f"invalid port number: {port}")
    return port


def _host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _text(data: bytes) -> str:
    return data[:MAX_OUTPUT].decode("utf-8", "replace")


def _dial_error(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connect: connection refused"
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return "i/o timeout"
    if isinstance(exc, OSError) and exc.strerror:
        return f"connect: {exc.strerror.lower()}"
    return str(exc) or type(exc).__name__


async def run_handler(handler: dict, target: HandlerTarget, runtime: Any, *,
                      timeout: float) -> tuple[str, str]:
    """Run one probe or hook handler; ``(result, message)``."""
    try:
        if "exec" in handler:
            return await _exec(handler["exec"] or {}, target, runtime, timeout)
        if "httpGet" in handler:
            return await _http_get(handler["httpGet"] or {}, target, timeout)
        if "tcpSocket" in handler:
            return await _tcp(handler["tcpSocket"] or {}, target, timeout)
        if "grpc" in handler:
            return await _grpc(handler["grpc"] or {}, target, timeout)
        if "sleep" in handler:
            await asyncio.sleep(max(0, int((handler["sleep"] or {}).get("seconds") or 0)))
            return "success", ""
    except _HandlerError as e:
        return "failure", str(e)
    return "failure", "missing probe handler"


async def _exec(spec: dict, target: HandlerTarget, runtime: Any, timeout: float) -> tuple[str, str]:
    command = [str(a) for a in spec.get("command") or []]
    if not command:
        raise _HandlerError("exec handler has no command")
    try:
        code, output = await runtime.exec_sync(target.container_id, command, timeout)
    except asyncio.TimeoutError:
        return "failure", f"command {' '.join(command)!r} timed out"
    except Exception as e:   # the runtime could not exec at all (container gone, …)
        return "failure", str(e)
    return ("success" if code == 0 else "failure"), _text(output)


async def _http_get(spec: dict, target: HandlerTarget, timeout: float) -> tuple[str, str]:
    scheme = (spec.get("scheme") or "HTTP").lower()
    host = spec.get("host") or target.pod_ip
    port = _port(spec.get("port"), target)
    path = spec.get("path") or ""
    if path and not path.startswith("/"):
        path = "/" + path
    url = f"{scheme}://{_host_port(host, port)}{path}"
    headers = {"User-Agent": USER_AGENT, "Accept": "*/*"}
    for h in spec.get("httpHeaders") or []:   # a header given in the spec replaces the default
        if h.get("name"):
            headers[h["name"]] = h.get("value", "")
    ssl_ctx: ssl.SSLContext | bool = False      # upstream's probes never verify certificates
    make = target.sockets
    factory = None if make is None else (lambda info: make(info[0], info[1], info[2]))
    connector = aiohttp.TCPConnector(ssl=ssl_ctx, force_close=True, socket_factory=factory)
    try:
        async with aiohttp.ClientSession(connector=connector, skip_auto_headers=("Accept-Encoding",),
                                         timeout=aiohttp.ClientTimeout(total=timeout)) as session:
            status, body, redirected_away = await _follow(session, url, headers, host)
    except (asyncio.TimeoutError, TimeoutError):
        return "failure", f'Get "{url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)'
    except aiohttp.TooManyRedirects:
        return "failure", f'Get "{url}": stopped after {MAX_REDIRECTS} redirects'
    except aiohttp.ClientConnectorError as e:
        return "failure", f'Get "{url}": dial tcp {_host_port(host, port)}: {_dial_error(e.os_error)}'
    except aiohttp.ClientError as e:
        return "failure", f'Get "{url}": {e}'
    if 200 <= status < 400:
        if redirected_away:
            return "warning", f"Probe terminated redirects, Response body: {_text(body)}"
        return "success", ""
    return "failure", f"HTTP probe failed with statuscode: {status}"


async def _follow(session: aiohttp.ClientSession, url: str, headers: dict,
                  host: str) -> tuple[int, bytes, bool]:
    """GET, following redirects on the same host; a redirect elsewhere is not followed
    (upstream answers it with a warning). ``(status, body, redirected away)``."""
    for _ in range(MAX_REDIRECTS + 1):
        async with session.get(url, headers=headers, allow_redirects=False) as resp:
            body = await resp.content.read(MAX_OUTPUT)
            location = resp.headers.get("Location") if 300 <= resp.status < 400 else None
            if location is None:
                return resp.status, body, False
            next_url = resp.url.join(yarl.URL(location))
            if next_url.host != host:
                return resp.status, body, True
            url = str(next_url)
    raise aiohttp.TooManyRedirects(None, ())


async def _tcp(spec: dict, target: HandlerTarget, timeout: float) -> tuple[str, str]:
    host = spec.get("host") or target.pod_ip
    port = _port(spec.get("port"), target)
    try:
        if target.sockets is None:
            _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
        else:
            _, writer = await asyncio.wait_for(target.sockets.open_connection(host, port), timeout)
    except (OSError, asyncio.TimeoutError) as e:
        return "failure", f"dial tcp {_host_port(host, port)}: {_dial_error(e)}"
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return "success", ""


def _health_request(service: str) -> bytes:
    """grpc.health.v1.HealthCheckRequest{service}: field 1, length-delimited."""
    data = service.encode()
    if len(data) > 127:
        raise _HandlerError("grpc service name is too long")
    return (b"\x0a" + bytes([len(data)]) + data) if data else b""


def _health_status(reply: bytes) -> int:
    """The ``status`` (field 1, varint) of a grpc.health.v1.HealthCheckResponse."""
    i = 0
    while i < len(reply):
        key = reply[i]
        i += 1
        value = shift = 0
        if key & 7 == 0:                 # varint
            while i < len(reply):
                b = reply[i]
                i += 1
                value |= (b & 0x7F) << shift
                shift += 7
                if not b & 0x80:
                    break
            if key >> 3 == 1:
                return value
        elif key & 7 == 2:               # length-delimited: skip it
            length = reply[i]
            i += 1 + length
        else:
            break
    return 0


async def _grpc(spec: dict, target: HandlerTarget, timeout: float) -> tuple[str, str]:
    if target.sockets is not None:
        return await _grpc_in_netns(spec, target, timeout)
    import grpc                          # heavy; only pods with grpc probes pay for it

    port = int(spec.get("port") or 0)
    address = _host_port(target.pod_ip, port)
    request = _health_request(spec.get("service") or "")
    async with grpc.aio.insecure_channel(address) as channel:
        try:
            await asyncio.wait_for(channel.channel_ready(), timeout)
        except asyncio.TimeoutError:
            return "failure", (f"timeout: failed to connect service {address!r} within "
                               f"{timeout:g}s: context deadline exceeded")
        check = channel.unary_unary("/grpc.health.v1.Health/Check")
        try:
            reply = await check(request, timeout=timeout, metadata=(("user-agent", USER_AGENT),))
        except grpc.aio.AioRpcError as e:
            code = e.code()
            if code == grpc.StatusCode.UNIMPLEMENTED:
                return "failure", ("this server does not implement the grpc health protocol "
                                   f"(grpc.health.v1.Health): {e.details()}")
            if code == grpc.StatusCode.DEADLINE_EXCEEDED:
                return "failure", f"timeout: health rpc did not complete within {timeout:g}s"
            return "failure", (f"error: health rpc probe failed: rpc error: code = "
                               f"{code.name.title().replace('_', '')} desc = {e.details()}")
    status = _health_status(reply or b"")
    if status != 1:
        return "failure", f"service unhealthy (responded with {GRPC_STATUS.get(status, str(status))!r})"
    return "success", ""


async def _grpc_in_netns(spec: dict, target: HandlerTarget, timeout: float) -> tuple[str, str]:
    """gRPC makes its own sockets, so a rootless kubelet checks from a child process
    that lives in the namespace that reaches the pod."""
    assert target.sockets is not None
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "kybernetes.kubelet.probes", json.dumps(
            {"grpc": spec, "pod_ip": target.pod_ip, "timeout": timeout}),
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        preexec_fn=target.sockets.enter)
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), timeout + 10)
    except asyncio.TimeoutError:
        proc.kill()
        await proc.wait()
        return "failure", f"timeout: health rpc did not complete within {timeout:g}s"
    try:
        result, message = json.loads(out)
    except ValueError:
        return "failure", f"the gRPC probe exited with {proc.returncode}"
    return result, message


# ---------------------------------------------------------------------------- probe manager

KINDS = {"startup": "Startup", "readiness": "Readiness", "liveness": "Liveness"}


class _ContainerProbes:
    """The probes of one running container (one container ID) and their results."""

    def __init__(self, manager: ProbeManager, pod: dict, container: dict, cid: str,
                 started_at: float, target: HandlerTarget) -> None:
        self.manager = manager
        self.pod = pod
        self.container = container
        self.cid = cid
        self.started_at = started_at
        self.target = target
        self.started = "startupProbe" not in container
        self.ready = "readinessProbe" not in container
        self.failed: str | None = None      # "liveness" / "startup" once that probe failed
        self.task = asyncio.create_task(self._run(), name=f"probes {cid[:12]}")

    async def _run(self) -> None:
        c = self.container
        try:
            if "startupProbe" in c:
                if not await self._probe("startup", c["startupProbe"]):
                    return
                self.started = True
                self.manager.on_change()
            loops = [self._probe(kind, c[f"{kind}Probe"]) for kind in ("readiness", "liveness")
                     if f"{kind}Probe" in c]
            if loops:
                await asyncio.gather(*loops)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("probes of container %s", self.cid[:12])

    async def _probe(self, kind: str, probe: dict) -> bool:
        """Run one probe until its result is final (startup: success; liveness and
        startup: failure); readiness runs for as long as the container does."""
        delay = self.started_at + int(probe.get("initialDelaySeconds") or 0) - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
        period = max(1, int(probe.get("periodSeconds") or 10))
        timeout = max(1, int(probe.get("timeoutSeconds") or 1))
        need_successes = max(1, int(probe.get("successThreshold") or 1))
        need_failures = max(1, int(probe.get("failureThreshold") or 3))
        successes = failures = 0
        label = KINDS[kind]
        while True:
            result, message = await run_handler(probe, self.target, self.manager.runtime, timeout=timeout)
            if result == "warning":
                self.manager.event(self.pod, "Warning", "ProbeWarning", f"{label} probe warning: {message}")
                result = "success"
            if result == "success":
                successes, failures = successes + 1, 0
                if successes >= need_successes:
                    if kind == "startup":
                        return True
                    if kind == "readiness":
                        self._set_ready(True)
            else:
                successes, failures = 0, failures + 1
                self.manager.event(self.pod, "Warning", "Unhealthy", f"{label} probe failed: {message}")
                if failures >= need_failures:
                    if kind == "readiness":
                        self._set_ready(False)
                    else:
                        self.failed = kind
                        self.manager.on_change()
                        return False
            await asyncio.sleep(period)

    def _set_ready(self, ok: bool) -> None:
        if self.ready != ok:
            self.ready = ok
            self.manager.on_change()


class ProbeManager:
    """The probes of one pod's running containers (see the module docstring)."""

    def __init__(self, runtime: Any, *, on_change: Callable[[], None],
                 event: Callable[[dict, str, str, str], None], sockets: SocketMaker | None = None) -> None:
        self.runtime = runtime
        self.sockets = sockets
        self.on_change = on_change
        self.event = event
        self._containers: dict[str, _ContainerProbes] = {}

    def sync(self, pod: dict, running: list, pod_ip: str | None) -> None:
        """Start probes for newly running containers and stop those of containers
        that are gone. ``running`` holds the runtime's states of running containers."""
        spec = pod.get("spec") or {}
        probed = {c["name"]: c for c in spec.get("containers") or []}
        # restartable init containers (sidecars) are probed too; plain init containers never
        probed.update({c["name"]: c for c in spec.get("initContainers") or []
                       if c.get("restartPolicy") == "Always"})
        alive = set()
        for st in running:
            container = probed.get(st.meta.name)
            if container is None:
                continue
            alive.add(st.id)
            if st.id not in self._containers and _has_probes(container):
                self._containers[st.id] = _ContainerProbes(
                    self, pod, container, st.id, st.started_at or time.time(),
                    target_for(container, st.id, pod_ip, self.sockets))
        for cid in [cid for cid in self._containers if cid not in alive]:
            self._containers.pop(cid).task.cancel()

    def started(self, cid: str, container: dict) -> bool:
        probes = self._containers.get(cid)
        return probes.started if probes is not None else "startupProbe" not in container

    def ready(self, cid: str, container: dict) -> bool:
        probes = self._containers.get(cid)
        return probes.ready if probes is not None else "readinessProbe" not in container

    def liveness_failed(self, cid: str) -> str | None:
        """"liveness" or "startup" when that probe of the container failed."""
        probes = self._containers.get(cid)
        return probes.failed if probes is not None else None

    def stop(self) -> None:
        for probes in self._containers.values():
            probes.task.cancel()
        self._containers.clear()

    async def close(self) -> None:
        tasks = [p.task for p in self._containers.values()]
        self.stop()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


def _has_probes(container: dict) -> bool:
    return any(f"{kind}Probe" in container for kind in KINDS)


if __name__ == "__main__":   # the child of _grpc_in_netns
    asked = json.loads(sys.argv[1])
    answer = asyncio.run(_grpc(asked["grpc"], HandlerTarget(asked["pod_ip"], ""), float(asked["timeout"])))
    print(json.dumps(answer))
