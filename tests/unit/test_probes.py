"""Probe and hook handlers against real local servers on 127.0.0.1, and the probe
manager's timing and thresholds against a scripted runtime."""

from __future__ import annotations

import asyncio
import os
import socket
import time
from types import SimpleNamespace

import grpc
import pytest
from aiohttp import web

from kybernetes.kubelet.probes import HandlerTarget, ProbeManager, run_handler

TARGET = HandlerTarget(pod_ip="127.0.0.1", container_id="c1", ports={"http": 0})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
async def http_server():
    seen: list[dict] = []

    async def handle(request: web.Request) -> web.StreamResponse:
        seen.append(dict(request.headers) | {"path": request.path_qs})
        if request.path == "/slow":
            await asyncio.sleep(3)
        if request.path == "/redirect":
            raise web.HTTPFound("/ok")
        if request.path == "/away":
            raise web.HTTPFound("http://localhost:%d/ok" % request.url.port)
        return web.Response(status=500 if request.path == "/fail" else 200, text="body")

    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    yield port, seen
    await runner.cleanup()


async def test_http_get_success_headers_and_named_port(http_server):
    port, seen = http_server
    target = HandlerTarget("127.0.0.1", "c1", {"web": port})
    handler = {"httpGet": {"path": "healthz?x=1", "port": "web",
                           "httpHeaders": [{"name": "X-Probe", "value": "yes"}]}}
    assert await run_handler(handler, target, None, timeout=1) == ("success", "")
    assert seen[-1]["path"] == "/healthz?x=1"
    assert seen[-1]["User-Agent"] == "kube-probe/1.33"
    assert seen[-1]["X-Probe"] == "yes"


async def test_http_get_status_codes_and_redirects(http_server):
    port, _ = http_server
    get = lambda path: {"httpGet": {"path": path, "port": port}}  # noqa: E731
    assert await run_handler(get("/fail"), TARGET, None, timeout=1) == (
        "failure", "HTTP probe failed with statuscode: 500")
    assert await run_handler(get("/redirect"), TARGET, None, timeout=1) == ("success", "")
    result, message = await run_handler(get("/away"), TARGET, None, timeout=1)
    assert (result, message) == ("warning", "Probe terminated redirects, Response body: 302: Found")


async def test_http_get_timeout_and_refused(http_server):
    port, _ = http_server
    result, message = await run_handler({"httpGet": {"path": "/slow", "port": port}}, TARGET, None, timeout=1)
    assert result == "failure"
    assert message == (f'Get "http://127.0.0.1:{port}/slow": context deadline exceeded '
                       "(Client.Timeout exceeded while awaiting headers)")
    closed = free_port()
    result, message = await run_handler({"httpGet": {"path": "/", "port": closed}}, TARGET, None, timeout=1)
    assert (result, message) == (
        "failure", f'Get "http://127.0.0.1:{closed}/": dial tcp 127.0.0.1:{closed}: connect: connection refused')


async def test_unknown_port_name_fails_clearly():
    result, message = await run_handler({"tcpSocket": {"port": "nope"}}, TARGET, None, timeout=1)
    assert (result, message) == ("failure", "couldn't find port: 'nope'")


async def test_tcp_socket(http_server):
    port, _ = http_server
    assert await run_handler({"tcpSocket": {"port": port}}, TARGET, None, timeout=1) == ("success", "")
    closed = free_port()
    assert await run_handler({"tcpSocket": {"port": closed, "host": "127.0.0.1"}}, TARGET, None, timeout=1) == (
        "failure", f"dial tcp 127.0.0.1:{closed}: connect: connection refused")


class ScriptedRuntime:
    """exec_sync answers from a script: command[0] → (exit code, output) or a delay."""

    def __init__(self) -> None:
        self.answers: dict[str, tuple[int, bytes]] = {}
        self.calls: list[tuple[str, list[str]]] = []

    async def exec_sync(self, cid: str, argv: list[str], timeout: float) -> tuple[int, bytes]:
        self.calls.append((cid, argv))
        if argv[0] == "hang":
            await asyncio.wait_for(asyncio.sleep(60), timeout)
        return self.answers.get(argv[0], (0, b""))


async def test_exec_handler():
    rt = ScriptedRuntime()
    rt.answers["cat"] = (1, b"cat: can't open '/tmp/healthy': No such file or directory\n")
    assert await run_handler({"exec": {"command": ["true"]}}, TARGET, rt, timeout=1) == ("success", "")
    assert await run_handler({"exec": {"command": ["cat", "/tmp/healthy"]}}, TARGET, rt, timeout=1) == (
        "failure", "cat: can't open '/tmp/healthy': No such file or directory\n")
    assert await run_handler({"exec": {"command": ["hang", "x"]}}, TARGET, rt, timeout=1) == (
        "failure", "command 'hang x' timed out")
    assert rt.calls[0] == ("c1", ["true"])


async def test_sleep_handler():
    started = time.monotonic()
    assert await run_handler({"sleep": {"seconds": 1}}, TARGET, None, timeout=5) == ("success", "")
    assert time.monotonic() - started >= 0.9


@pytest.fixture
async def grpc_server():
    """A grpc.health.v1 server answering from ``statuses`` (service → status number)."""
    statuses = {"": 1, "sick": 2}

    async def check(request: bytes, context) -> bytes:
        service = request[2:].decode() if request else ""
        if service == "unknown":
            await context.abort(grpc.StatusCode.NOT_FOUND, "unknown service")
        return b"\x08" + bytes([statuses.get(service, 3)])

    handler = grpc.method_handlers_generic_handler(
        "grpc.health.v1.Health", {"Check": grpc.unary_unary_rpc_method_handler(check)})
    server = grpc.aio.server()
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    yield port
    await server.stop(None)


async def test_grpc_health(grpc_server):
    port = grpc_server
    assert await run_handler({"grpc": {"port": port}}, TARGET, None, timeout=2) == ("success", "")
    assert await run_handler({"grpc": {"port": port, "service": "sick"}}, TARGET, None, timeout=2) == (
        "failure", "service unhealthy (responded with 'NOT_SERVING')")
    result, message = await run_handler({"grpc": {"port": port, "service": "unknown"}}, TARGET, None, timeout=2)
    assert result == "failure" and "code = NotFound desc = unknown service" in message
    closed = free_port()
    result, message = await run_handler({"grpc": {"port": closed}}, TARGET, None, timeout=1)
    assert result == "failure" and message.startswith(f"timeout: failed to connect service '127.0.0.1:{closed}'")


# ---------------------------------------------------------------------------- the manager

def container_state(cid: str, name: str, started_at: float) -> SimpleNamespace:
    return SimpleNamespace(id=cid, meta=SimpleNamespace(name=name), started_at=started_at)


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, str, str]] = []
        self.changes = 0

    def event(self, pod, type_, reason, message) -> None:
        self.events.append((type_, reason, message))

    def change(self) -> None:
        self.changes += 1


def manager(rt) -> tuple[ProbeManager, Recorder]:
    rec = Recorder()
    return ProbeManager(rt, on_change=rec.change, event=rec.event), rec


async def wait_for(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


def probe(command: str, **fields) -> dict:
    return {"exec": {"command": [command]}, "periodSeconds": 1, **fields}


async def test_no_probes_means_started_and_ready():
    probes, _ = manager(ScriptedRuntime())
    c = {"name": "app"}
    probes.sync({"spec": {"containers": [c]}}, [container_state("c1", "app", time.time())], "127.0.0.1")
    assert probes.started("c1", c) and probes.ready("c1", c)
    assert probes.liveness_failed("c1") is None
    await probes.close()


async def test_readiness_gates_ready_and_follows_thresholds():
    rt = ScriptedRuntime()
    probes, rec = manager(rt)
    c = {"name": "app", "readinessProbe": probe("ready", failureThreshold=2, successThreshold=1)}
    pod = {"spec": {"containers": [c]}}
    assert not probes.ready("c1", c)         # not ready before the first probe, as upstream
    probes.sync(pod, [container_state("c1", "app", time.time())], "127.0.0.1")
    await wait_for(lambda: probes.ready("c1", c))
    rt.answers["ready"] = (1, b"not yet")
    await asyncio.sleep(1.2)
    assert probes.ready("c1", c)              # one failure is below the threshold of 2
    await wait_for(lambda: not probes.ready("c1", c))
    assert ("Warning", "Unhealthy", "Readiness probe failed: not yet") in rec.events
    assert probes.liveness_failed("c1") is None   # readiness never kills
    await probes.close()


async def test_initial_delay_counts_from_container_start():
    rt = ScriptedRuntime()
    probes, _ = manager(rt)
    c = {"name": "app", "readinessProbe": probe("ready", initialDelaySeconds=2)}
    probes.sync({"spec": {"containers": [c]}}, [container_state("c1", "app", time.time() - 1.5)], "127.0.0.1")
    await asyncio.sleep(0.2)
    assert rt.calls == []
    await wait_for(lambda: probes.ready("c1", c), timeout=2)
    await probes.close()


async def test_startup_gates_liveness_and_readiness():
    rt = ScriptedRuntime()
    rt.answers["startup"] = (1, b"")
    probes, rec = manager(rt)
    c = {"name": "app", "startupProbe": probe("startup", failureThreshold=30),
         "livenessProbe": probe("live"), "readinessProbe": probe("ready")}
    probes.sync({"spec": {"containers": [c]}}, [container_state("c1", "app", time.time())], "127.0.0.1")
    await asyncio.sleep(1.5)
    assert not probes.started("c1", c) and not probes.ready("c1", c)
    assert {argv[0] for _, argv in rt.calls} == {"startup"}
    rt.answers["startup"] = (0, b"")
    await wait_for(lambda: probes.started("c1", c) and probes.ready("c1", c))
    assert {argv[0] for _, argv in rt.calls} >= {"live", "ready"}
    assert rec.changes >= 2
    await probes.close()


async def test_failing_liveness_and_startup_are_reported_once_final():
    rt = ScriptedRuntime()
    rt.answers["live"] = (1, b"dead")
    rt.answers["startup"] = (1, b"")
    probes, rec = manager(rt)
    live = {"name": "a", "livenessProbe": probe("live", failureThreshold=2)}
    slow = {"name": "b", "startupProbe": probe("startup", failureThreshold=1)}
    pod = {"spec": {"containers": [live, slow]}}
    probes.sync(pod, [container_state("c1", "a", time.time()), container_state("c2", "b", time.time())],
                "127.0.0.1")
    await wait_for(lambda: probes.liveness_failed("c2") == "startup")
    assert probes.liveness_failed("c1") is None
    await wait_for(lambda: probes.liveness_failed("c1") == "liveness")
    assert rec.events.count(("Warning", "Unhealthy", "Liveness probe failed: dead")) == 2
    calls = len(rt.calls)
    await asyncio.sleep(1.3)
    assert len(rt.calls) == calls             # a failed liveness probe stops probing
    # a new attempt of the container (new ID) starts with fresh probes; the old ones go
    probes.sync(pod, [container_state("c3", "a", time.time())], "127.0.0.1")
    assert probes.liveness_failed("c3") is None and probes.liveness_failed("c1") is None
    await probes.close()


async def test_plain_init_containers_are_not_probed_but_sidecars_are():
    rt = ScriptedRuntime()
    probes, _ = manager(rt)
    init = {"name": "init", "readinessProbe": probe("init")}
    sidecar = {"name": "side", "restartPolicy": "Always", "readinessProbe": probe("side")}
    pod = {"spec": {"initContainers": [init, sidecar], "containers": [{"name": "app"}]}}
    probes.sync(pod, [container_state("c1", "init", time.time()), container_state("c2", "side", time.time())],
                "127.0.0.1")
    await wait_for(lambda: probes.ready("c2", sidecar))
    assert {argv[0] for _, argv in rt.calls} == {"side"}
    await probes.close()


async def test_handlers_through_a_socket_maker(http_server, grpc_server):
    """A rootless kubelet reaches pods through sockets made in its node namespace; here
    the namespace is this process's own, so the same servers answer."""
    from kybernetes.kubelet.network import SocketMaker

    port, seen = http_server
    target = HandlerTarget("127.0.0.1", "c1", {}, sockets=SocketMaker(f"/proc/{os.getpid()}/ns/net"))
    assert await run_handler({"httpGet": {"path": "/ok", "port": port}}, target, None, timeout=1) == ("success", "")
    assert seen[-1]["path"] == "/ok"
    assert await run_handler({"tcpSocket": {"port": port}}, target, None, timeout=1) == ("success", "")
    closed = free_port()
    assert await run_handler({"tcpSocket": {"port": closed}}, target, None, timeout=1) == (
        "failure", f"dial tcp 127.0.0.1:{closed}: connect: connection refused")
    # gRPC makes its own sockets: it runs in a child process that enters the namespace
    assert await run_handler({"grpc": {"port": grpc_server}}, target, None, timeout=5) == ("success", "")
    assert await run_handler({"grpc": {"port": grpc_server, "service": "sick"}}, target, None, timeout=5) == (
        "failure", "service unhealthy (responded with 'NOT_SERVING')")
