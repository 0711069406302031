"""``kubectl exec`` at the kubelet: ``/exec/<namespace>/<pod>/<container>`` over a
WebSocket speaking the remotecommand channel protocol (``v5.channel.k8s.io``, or v4).

Every binary message starts with its channel: 0 stdin (from the client), 1 stdout,
2 stderr, 3 the final Status as JSON, 4 terminal resize (from the client), and in v5
255 "close" (``[255, 0]``: the client's stdin ended). The exit status travels on
channel 3 — ``{"status": "Success"}`` or a ``NonZeroExitCode`` Failure, which kubectl
turns into "command terminated with exit code N" — before a normal close.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import TYPE_CHECKING

from aiohttp import WSMsgType, web

if TYPE_CHECKING:
    from .kubelet import Kubelet

log = logging.getLogger(__name__)

__all__ = ["PROTOCOLS", "exec_handler"]

PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")
STDIN, STDOUT, STDERR, ERROR, RESIZE, CLOSE = 0, 1, 2, 3, 4, 255
# client-go registers its channel readers only after the handshake: output that follows
# the 101 at once can be dropped ("Unknown stream id 1"), so the command starts a little later
START_DELAY = 0.2


def exit_status(code: int, argv: list[str]) -> dict:
    if code == 0:
        return {"metadata": {}, "status": "Success"}
    return {"metadata": {}, "status": "Failure",
            "message": f"command terminated with non-zero exit code: error executing command {argv}, "
                       f"exit code {code}",
            "reason": "NonZeroExitCode", "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]}}


def _flag(query, name: str) -> bool:
    return query.get(name, "") in ("1", "true", "True")


async def exec_handler(kubelet: Kubelet, request: web.Request, container_state) -> web.StreamResponse:
    """Run the command of an exec request in ``container_state``'s container."""
    query = request.query
    argv = query.getall("command", [])
    if not argv:
        return web.Response(status=400, text="you must specify at least 1 command")
    if _flag(query, "tty"):
        return web.Response(status=400, text="exec with a terminal (tty=true) is not supported by this kubelet yet")
    want_stdin, want_out, want_err = _flag(query, "stdin"), _flag(query, "stdout"), _flag(query, "stderr")
    if not (want_stdin or want_out or want_err):
        return web.Response(status=400, text="you must specify at least one of stdin, stdout, stderr")
    ws = web.WebSocketResponse(protocols=PROTOCOLS, max_msg_size=0)
    if not ws.can_prepare(request).ok:
        return web.Response(status=400, text="exec needs a WebSocket upgrade (v5.channel.k8s.io or v4.channel.k8s.io)")
    await ws.prepare(request)
    v5 = ws.ws_protocol == "v5.channel.k8s.io"
    await asyncio.sleep(START_DELAY)
    try:
        async with kubelet.runtime.exec_process(container_state.id, argv, stdin=want_stdin) as proc:
            feeder = asyncio.create_task(_feed(ws, proc, v5))
            await asyncio.gather(_pump(ws, proc.stdout, STDOUT if want_out else None),
                                 _pump(ws, proc.stderr, STDERR if want_err else None))
            code = await proc.wait()
            feeder.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await feeder
        if not ws.closed:
            await ws.send_bytes(bytes([ERROR]) + json.dumps(exit_status(code, argv)).encode())
    except (ConnectionResetError, RuntimeError) as e:   # the client went away
        log.debug("exec in %s ended early: %s", container_state.id[:12], e)
    finally:
        if not ws.closed:
            await ws.close()
    return ws


async def _pump(ws: web.WebSocketResponse, stream: asyncio.StreamReader | None, channel: int | None) -> None:
    """Copy a stream of the command to its channel (or drain it when nobody asked)."""
    if stream is None:
        return
    while True:
        chunk = await stream.read(32 * 1024)
        if not chunk:
            return
        if channel is not None and not ws.closed:
            await ws.send_bytes(bytes([channel]) + chunk)


async def _feed(ws: web.WebSocketResponse, proc: asyncio.subprocess.Process, v5: bool) -> None:
    """The client's messages: stdin to the command; its end (v5's close, or the socket's) ends stdin."""
    try:
        async for msg in ws:
            if msg.type != WSMsgType.BINARY or not msg.data:
                continue
            channel, data = msg.data[0], msg.data[1:]
            if channel == STDIN and proc.stdin is not None and data:
                proc.stdin.write(data)
                await proc.stdin.drain()
            elif channel == CLOSE and v5 and data[:1] == bytes([STDIN]) and proc.stdin is not None:
                proc.stdin.close()
    except (ConnectionResetError, BrokenPipeError):
        pass
    finally:
        if proc.stdin is not None and not proc.stdin.is_closing():
            proc.stdin.close()
