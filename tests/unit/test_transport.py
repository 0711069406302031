"""The client's lean HTTP/1.1 transport against a small aiohttp server on loopback:
keep-alive reuse, the connection limit, chunked and close-delimited answers, a
server that drops an idle connection, timeouts, and refused connections."""

from __future__ import annotations

import asyncio
import json
import socket

import aiohttp
import pytest
from aiohttp import web

from kybernetes.client.transport import Transport, header_lines


class Server:
    def __init__(self) -> None:
        self.peers: set[tuple] = set()
        self.in_flight = 0
        self.max_in_flight = 0
        self.release = asyncio.Event()
        self.release.set()

    async def echo(self, request: web.Request) -> web.Response:
        self.peers.add(request.transport.get_extra_info("peername"))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await self.release.wait()
            body = await request.read()
            return web.json_response(dumps=lambda o: json.dumps(o, separators=(",", ":")), data={"method": request.method, "path": request.path_qs,
                                      "ua": request.headers.get("User-Agent"), "len": len(body)})
        finally:
            self.in_flight -= 1

    async def chunked(self, request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(status=202)
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        for part in (b"one,", b"two,", b"three"):
            await resp.write(part)
        await resp.write_eof()
        return resp

    async def closing(self, request: web.Request) -> web.Response:
        self.peers.add(request.transport.get_extra_info("peername"))
        resp = web.Response(status=404, body=b"gone")
        resp.force_close()
        return resp

    async def slow(self, request: web.Request) -> web.Response:
        await asyncio.sleep(1)
        return web.Response(text="late")


@pytest.fixture
async def server():
    srv = Server()
    app = web.Application()
    app.router.add_route("*", "/echo", srv.echo)
    app.router.add_get("/base/echo", srv.echo)
    app.router.add_get("/chunked", srv.chunked)
    app.router.add_get("/closing", srv.closing)
    app.router.add_get("/slow", srv.slow)
    runner = web.AppRunner(app, keepalive_timeout=30)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    srv.url = f"http://127.0.0.1:{port}"
    srv.runner = runner
    yield srv
    await runner.cleanup()


HEADERS = header_lines({"User-Agent": "transport-test", "Accept": "application/json"})


async def test_requests_reuse_one_keep_alive_connection(server):
    tr = Transport(server.url, None)
    try:
        for i in range(5):
            code, body = await tr.request("POST", f"/echo?i={i}", HEADERS, b"x" * i)
            assert code == 200
            assert b'"path":"/echo?i=%d"' % i in body and b'"len":%d' % i in body
            assert b'"ua":"transport-test"' in body
        assert len(server.peers) == 1
    finally:
        await tr.close()


async def test_connection_limit_queues_callers(server):
    tr = Transport(server.url, None, max_connections=2)
    server.release.clear()
    try:
        calls = [asyncio.create_task(tr.request("GET", "/echo", HEADERS, None)) for _ in range(10)]
        await asyncio.sleep(0.2)
        assert server.in_flight == 2
        server.release.set()
        answers = await asyncio.gather(*calls)
        assert [code for code, _ in answers] == [200] * 10
        assert server.max_in_flight == 2
        assert len(server.peers) == 2
    finally:
        await tr.close()


async def test_chunked_answer_is_joined(server):
    tr = Transport(server.url, None)
    try:
        assert await tr.request("GET", "/chunked", HEADERS, None) == (202, b"one,two,three")
    finally:
        await tr.close()


async def test_connection_close_answer_then_a_new_connection(server):
    tr = Transport(server.url, None)
    try:
        assert await tr.request("GET", "/closing", HEADERS, None) == (404, b"gone")
        assert await tr.request("GET", "/closing", HEADERS, None) == (404, b"gone")
        assert len(server.peers) == 2          # the first connection was not reused
    finally:
        await tr.close()


async def test_idle_connection_dropped_by_server_is_replaced(server):
    tr = Transport(server.url, None)
    try:
        assert (await tr.request("GET", "/echo", HEADERS, None))[0] == 200
        # the server goes away and comes back on the same port: the kept-alive connection is dead
        port = int(server.url.rsplit(":", 1)[1])
        await server.runner.cleanup()
        app = web.Application()
        app.router.add_get("/echo", server.echo)
        server.runner = web.AppRunner(app)
        await server.runner.setup()
        await web.TCPSite(server.runner, "127.0.0.1", port).start()
        assert (await tr.request("GET", "/echo", HEADERS, None))[0] == 200
    finally:
        await tr.close()


async def raw_server(handle):
    """A bare TCP server: ``handle(reader, writer, connection_number)`` per connection."""
    count = 0

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal count
        count += 1
        await handle(reader, writer, count)
    return await asyncio.start_server(on_connect, "127.0.0.1", 0)


OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


async def test_request_on_a_connection_closed_as_it_is_reused_is_sent_again():
    async def handle(reader, writer, n):
        await reader.readuntil(b"\r\n\r\n")
        writer.write(OK)
        await writer.drain()
        await reader.readuntil(b"\r\n\r\n")    # the second request: dropped unanswered on connection 1
        if n > 1:
            writer.write(OK)
            await writer.drain()
        writer.close()

    srv = await raw_server(handle)
    tr = Transport(f"http://127.0.0.1:{srv.sockets[0].getsockname()[1]}", None)
    try:
        assert await tr.request("GET", "/", HEADERS, None) == (200, b"ok")
        assert await tr.request("GET", "/", HEADERS, None) == (200, b"ok")
    finally:
        await tr.close()
        srv.close()


async def test_fresh_connection_closed_without_an_answer_is_an_error():
    async def handle(reader, writer, n):
        await reader.readuntil(b"\r\n\r\n")
        writer.close()

    srv = await raw_server(handle)
    tr = Transport(f"http://127.0.0.1:{srv.sockets[0].getsockname()[1]}", None)
    try:
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await tr.request("POST", "/", HEADERS, b"{}")
    finally:
        await tr.close()
        srv.close()


async def test_timeout_closes_the_connection_and_the_next_request_works(server):
    tr = Transport(server.url, None)
    try:
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.2):
                await tr.request("GET", "/slow", HEADERS, None)
        assert (await tr.request("GET", "/echo", HEADERS, None))[0] == 200
    finally:
        await tr.close()


async def test_refused_connection_is_a_client_error():
    with socket.socket() as s:          # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    tr = Transport(f"http://127.0.0.1:{port}", None)
    with pytest.raises(aiohttp.ClientConnectionError):
        await tr.request("GET", "/", HEADERS, None)
    await tr.close()


async def test_server_path_is_a_prefix(server):
    tr = Transport(server.url + "/base/", None)
    try:
        code, body = await tr.request("GET", "/echo?x=1", HEADERS, None)
        assert code == 200 and b'"path":"/base/echo?x=1"' in body
    finally:
        await tr.close()


async def test_a_waiter_cancelled_after_being_handed_a_connection_passes_it_on():
    class Idle:
        closed = False

        def close(self):
            self.closed = True

    tr = Transport("http://127.0.0.1:1", None, max_connections=1)
    tr._open = 1                                  # the one connection is busy
    waiting = asyncio.create_task(tr._acquire())
    await asyncio.sleep(0)
    conn = Idle()
    tr._release(conn)                             # handed to the waiter ...
    waiting.cancel()                              # ... which is cancelled before it runs
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert list(tr._idle) == [conn] and tr._open == 1


async def test_a_waiter_cancelled_after_being_given_a_free_slot_passes_it_on():
    tr = Transport("http://127.0.0.1:1", None, max_connections=1)
    tr._open = 1
    first = asyncio.create_task(tr._acquire())
    second = asyncio.create_task(tr._acquire())
    await asyncio.sleep(0)
    tr._open = 0
    tr._wake()                                    # the busy connection went away: a free slot
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    # the slot went on to the next waiter, which opens a connection (refused: nobody listens)
    with pytest.raises(aiohttp.ClientConnectionError):
        async with asyncio.timeout(5):
            await second
    assert tr._open == 0
