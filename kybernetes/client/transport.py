"""A lean HTTP/1.1 keep-alive transport for the client's plain request/response calls.

aiohttp's client costs ~0.3 ms of CPU per request (session, request and response
objects, URL building, timers, tracing hooks), which at a scheduler's rate of a
thousand bindings and events a second is a third of a core. Requests to the API
server need none of that: one host, keep-alive, a JSON body each way. This module
writes the request bytes itself and parses the answer with ``httptools`` (the llhttp
parser uvicorn uses), on a small pool of connections.

Watches and other streams stay on aiohttp (``rest.Client.watch``).

Errors are aiohttp's own classes, so callers' ``except aiohttp.ClientError`` keeps
working: ``ClientConnectorError``-like trouble connecting becomes
``aiohttp.ClientConnectionError``, a peer that goes away mid-answer
``aiohttp.ServerDisconnectedError``, and an unparsable answer
``aiohttp.ClientPayloadError``. Timeouts raise ``TimeoutError``.
"""

from __future__ import annotations

import asyncio
import collections
import ssl
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import httptools

DEFAULT_MAX_CONNECTIONS = 32


class _Connection(asyncio.Protocol):
    """One keep-alive connection: at most one request in flight."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.closed = False
        self.used = False                     # has answered a request before (keep-alive reuse)
        self._waiter: asyncio.Future | None = None
        self._body: list[bytes] = []
        self._received = False

    # -- asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self._received = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as e:
            self._fail(aiohttp.ClientPayloadError(f"bad HTTP answer: {e}"))
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(aiohttp.ServerDisconnectedError())

    # -- httptools callbacks
    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        waiter, self._waiter = self._waiter, None
        keep = self.parser.should_keep_alive()
        if waiter is not None and not waiter.done():
            waiter.set_result((self.parser.get_status_code(), b"".join(self._body)))
        self._body = []
        if not keep:
            self.close()

    # -- use
    def _fail(self, exc: Exception) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    @property
    def answered_anything(self) -> bool:
        return self._received

    async def send(self, data: bytes) -> tuple[int, bytes]:
        assert self.transport is not None
        self._waiter = asyncio.get_running_loop().create_future()
        self._received = False
        self.transport.write(data)
        try:
            return await self._waiter
        finally:
            self._waiter = None
            self.used = True


class Transport:
    """Requests to one server (``https://host:port/prefix``) over up to
    ``max_connections`` keep-alive connections; callers beyond that wait their turn."""

    def __init__(self, server: str, ssl_context: ssl.SSLContext | None, *,
                 max_connections: int = DEFAULT_MAX_CONNECTIONS) -> None:
        url = urlsplit(server)
        self.tls = url.scheme == "https"
        self.host = url.hostname or "localhost"
        self.port = url.port or (443 if self.tls else 80)
        self.prefix = url.path.rstrip("/")
        host_header = f"[{self.host}]" if ":" in self.host else self.host
        if url.port:
            host_header += f":{url.port}"
        self.host_header = host_header
        self.ssl = ssl_context if self.tls else None
        self.max_connections = max(1, max_connections)
        self._idle: collections.deque[_Connection] = collections.deque()
        self._open = 0
        self._waiters: collections.deque[asyncio.Future] = collections.deque()
        self._closed = False

    async def _connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            _, conn = await loop.create_connection(_Connection, self.host, self.port, ssl=self.ssl,
                                                   server_hostname=self.host if self.ssl else None)
        except (OSError, ssl.SSLError) as e:
            raise aiohttp.ClientConnectionError(f"cannot connect to {self.host}:{self.port}: {e}") from e
        return conn

    async def _acquire(self) -> _Connection:
        while self._idle:
            conn = self._idle.pop()                 # the most recently used: least likely timed out
            if not conn.closed:
                return conn
            self._open -= 1
        if self._open >= self.max_connections:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                conn = await waiter                 # handed over by _release
            except BaseException:
                # cancelled after being handed a connection (or a free slot): pass it on
                if waiter.done() and not waiter.cancelled():
                    handed = waiter.result()
                    if handed is None:
                        self._wake()
                    else:
                        self._release(handed)
                raise
            if conn is not None:
                return conn
        self._open += 1
        try:
            return await self._connect()
        except BaseException:
            self._open -= 1
            self._wake()
            raise

    def _release(self, conn: _Connection) -> None:
        if conn.closed or self._closed:
            conn.close()
            self._open -= 1
            self._wake()
            return
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(conn)
                return
        self._idle.append(conn)

    def _wake(self) -> None:
        """A slot freed up: let one waiter open a new connection."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    async def request(self, method: str, target: str, headers: str, body: bytes | None) -> tuple[int, bytes]:
        """Send ``method target`` (path and query, without the server's prefix) with the
        extra ``headers`` (pre-formatted ``Name: value\\r\\n`` lines); the status code
        and the whole body."""
        if self._closed:
            raise aiohttp.ClientConnectionError("transport is closed")
        head = (f"{method} {self.prefix}{target} HTTP/1.1\r\nHost: {self.host_header}\r\n{headers}"
                f"Content-Length: {len(body) if body else 0}\r\n\r\n").encode("latin-1")
        data = head + body if body else head
        for attempt in (1, 2):
            conn = await self._acquire()
            reused = conn.used
            try:
                answer = await conn.send(data)
            except aiohttp.ServerDisconnectedError:
                # a kept-alive connection the server closed as we reused it: the request
                # never reached a handler (nothing came back), so sending it again is safe
                if attempt == 1 and reused and not conn.answered_anything:
                    continue
                raise
            except BaseException:
                conn.close()          # cancelled or timed out mid-answer: the stream is out of step
                raise
            finally:
                self._release(conn)
            return answer
        raise AssertionError("unreachable")

    async def close(self) -> None:
        self._closed = True
        while self._idle:
            self._idle.pop().close()
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_exception(aiohttp.ClientConnectionError("transport is closed"))
        self._waiters.clear()


def header_lines(headers: dict[str, Any]) -> str:
    return "".join(f"{k}: {v}\r\n" for k, v in headers.items())
