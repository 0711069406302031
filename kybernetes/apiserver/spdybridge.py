"""SPDY/3.1 for the kubectls that stream that way: exec and attach up to 1.29, and
port-forward up to 1.30 (and any later one that falls back).

The API server answers the ``Upgrade: SPDY/3.1`` request with a 101, takes the raw
connection over from aiohttp, and bridges it to the WebSocket the kubelet speaks:

- exec/attach: each SPDY stream (``streamtype`` error, stdin, stdout, stderr, resize)
  maps to a remotecommand channel;
- port-forward: the kubelet's tunnel carries SPDY frames anyway, so bytes pass as they are.
"""

from __future__ import annotations

import asyncio
import contextlib

import aiohttp
from aiohttp import WSMsgType, web

from .. import spdy
from ..api import errors

__all__ = ["bridge_exec", "bridge_portforward", "wants_spdy"]

CHANNEL_PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")
CHANNELS = {"stdin": 0, "stdout": 1, "stderr": 2, "error": 3, "resize": 4}
STREAMS = {v: k for k, v in CHANNELS.items()}


def wants_spdy(request: web.Request) -> bool:
    return "spdy/3.1" in request.headers.get("Upgrade", "").lower()


class _RawFeed:
    """Takes the place of aiohttp's payload parser once the connection is upgraded."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes] = asyncio.Queue()

    def feed_data(self, data: bytes) -> tuple[bool, bytes]:
        self.queue.put_nowait(bytes(data))
        return False, b""

    def feed_eof(self) -> None:
        self.queue.put_nowait(b"")


async def _upgrade(request: web.Request,
                   protocol: str) -> tuple[web.StreamResponse, asyncio.Transport, asyncio.Queue[bytes]]:
    resp = web.StreamResponse(status=101, headers={"Connection": "Upgrade", "Upgrade": "SPDY/3.1",
                                                   "X-Stream-Protocol-Version": protocol})
    resp.force_close()
    await resp.prepare(request)
    feed = _RawFeed()
    request.protocol.set_parser(feed)
    request.protocol.keep_alive(False)
    transport = request.protocol.transport
    if transport is None:
        raise ConnectionResetError("the client went away during the upgrade")
    return resp, transport, feed.queue


async def _dial(session: aiohttp.ClientSession, url: str, protocol: str) -> aiohttp.ClientWebSocketResponse:
    try:
        return await session.ws_connect(url, protocols=[protocol], max_msg_size=0,
                                        timeout=aiohttp.ClientWSTimeout(ws_close=10))
    except aiohttp.WSServerHandshakeError as e:
        raise errors.APIError(e.status if e.status < 500 else 500, "BadRequest",
                              f"unable to upgrade connection: {e.message}") from None
    except (aiohttp.ClientError, OSError) as e:
        raise errors.APIError(500, "InternalError", f"error dialing backend: {e}") from None


async def bridge_exec(session: aiohttp.ClientSession, request: web.Request, url: str) -> web.StreamResponse:
    offered = [v.strip() for h in request.headers.getall("X-Stream-Protocol-Version", []) for v in h.split(",")]
    protocol = next((p for p in offered if p in CHANNEL_PROTOCOLS), None)
    if protocol is None:
        raise errors.bad_request("unable to upgrade connection: this server speaks v5.channel.k8s.io and "
                                 f"v4.channel.k8s.io, not {', '.join(offered) or 'nothing'}")
    up = await _dial(session, url, protocol)
    try:
        resp, transport, incoming = await _upgrade(request, protocol)
        codec = spdy.Codec()
        streams: dict[str, int] = {}
        ready = asyncio.Event()          # the client opened its streams

        def send(frame: bytes) -> None:
            if not transport.is_closing():
                transport.write(frame)

        async def from_client() -> None:
            while data := await incoming.get():
                for frame in codec.feed(data):
                    if frame.kind == spdy.SYN_STREAM:
                        kind = frame.headers.get("streamtype", "")
                        streams[kind] = frame.stream_id
                        send(codec.syn_reply(frame.stream_id, {}))
                        if {"error", "stdout"} <= streams.keys() or {"error", "stderr"} <= streams.keys():
                            ready.set()
                    elif frame.kind == 0:
                        kind = next((k for k, sid in streams.items() if sid == frame.stream_id), "")
                        if frame.data:
                            send(codec.window_update(frame.stream_id, len(frame.data)))
                            send(codec.window_update(0, len(frame.data)))
                            if kind in ("stdin", "resize"):
                                await up.send_bytes(bytes([CHANNELS[kind]]) + frame.data)
                        if frame.fin and kind == "stdin" and protocol == "v5.channel.k8s.io":
                            await up.send_bytes(bytes([255, CHANNELS["stdin"]]))
                    elif frame.kind == spdy.PING:
                        send(codec.ping(frame.value))
                    elif frame.kind == spdy.GOAWAY:
                        return

        async def from_kubelet() -> None:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(ready.wait(), 10)
            async for msg in up:
                if msg.type != WSMsgType.BINARY or not msg.data:
                    continue
                sid = streams.get(STREAMS.get(msg.data[0], ""))
                if sid:
                    send(codec.data(sid, msg.data[1:]))
            for kind in ("stdout", "stderr", "error"):
                if kind in streams:
                    send(codec.data(streams[kind], b"", fin=True))

        reader = asyncio.create_task(from_client())
        try:
            await from_kubelet()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(reader), 5)    # the client's RST/GOAWAY
        finally:
            reader.cancel()
            transport.close()
    finally:
        await up.close()
    return resp   # already sent: aiohttp leaves a prepared response alone


async def bridge_portforward(session: aiohttp.ClientSession, request: web.Request, url: str,
                             protocol: str) -> web.StreamResponse:
    offered = [v.strip() for h in request.headers.getall("X-Stream-Protocol-Version", []) for v in h.split(",")]
    if "portforward.k8s.io" not in offered:
        raise errors.bad_request("unable to upgrade connection: this server speaks portforward.k8s.io, not "
                                 f"{', '.join(offered) or 'nothing'}")
    up = await _dial(session, url, protocol)
    try:
        resp, transport, incoming = await _upgrade(request, "portforward.k8s.io")

        async def from_client() -> None:
            while data := await incoming.get():
                await up.send_bytes(data)
            await up.close()

        reader = asyncio.create_task(from_client())
        try:
            async for msg in up:
                if msg.type == WSMsgType.BINARY and not transport.is_closing():
                    transport.write(msg.data)
        finally:
            reader.cancel()
            transport.close()
    finally:
        await up.close()
    return resp
