"""How pods reach the API server, which listens on the node's loopback only.

Pods are told, as upstream, that the API server is the ``kubernetes`` Service
(``KUBERNETES_SERVICE_HOST=10.43.0.1``, port 443; its address is in the server's
certificate). Until Services are proxied, the kubelet carries that one service itself:

- every pod has a route to the service IP via the node's bridge;
- a DNAT rule on the node (nftables, a table of the node's own, only for packets that
  come in on its bridge) sends the service's IP and port to the relay;
- the relay, listening on the bridge's gateway address, pipes each connection to the
  API server's address from the kubeconfig: TLS stays end to end, so the pod sees the
  API server's own certificate and is known by its own token, never the kubelet's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

_CHUNK = 64 * 1024


class APIRelay:
    def __init__(self, api_url: str) -> None:
        parts = urlsplit(api_url)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or (443 if parts.scheme == "https" else 80))
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.Task] = set()

    async def start(self, host: str, sockets=None) -> int:
        """Listen on ``host`` (a free port) with a socket from ``sockets`` (the node's
        namespace, rootless) or the kubelet's own; returns the port."""
        sock = sockets(socket.AF_INET, socket.SOCK_STREAM, 0) if sockets else socket.socket()
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, 0))
            sock.listen(128)
            sock.setblocking(False)
        except BaseException:
            sock.close()
            raise
        self._server = await asyncio.start_server(self._accept, sock=sock)
        return sock.getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._pipes):
            task.cancel()
        await asyncio.gather(*self._pipes, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self._pipes.add(task)
        try:
            try:
                up_reader, up_writer = await asyncio.open_connection(*self.upstream)
            except OSError as e:
                log.warning("pod connection to the API server failed: %s", e)
                return
            try:
                await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
            finally:
                up_writer.close()
        except asyncio.CancelledError:
            pass   # stop(): the connection just ends
        finally:
            writer.close()
            self._pipes.discard(task)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy until EOF, then half-close, so the other direction can still finish."""
    try:
        while data := await reader.read(_CHUNK):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except (ConnectionError, OSError):
        with contextlib.suppress(Exception):
            writer.close()
