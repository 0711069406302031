"""``kubectl exec``, ``attach`` and ``port-forward`` at the kubelet.

``/exec/<namespace>/<pod>/<container>`` runs a command and ``/attach/...`` joins the
container's own streams, over a WebSocket speaking the remotecommand channel protocol
(``v5.channel.k8s.io``, or v4); ``/portForward/<namespace>/<pod>`` relays TCP connections
over SPDY/3.1 frames inside a WebSocket (see :func:`portforward_handler`). The API server
bridges older clients' SPDY upgrades to these.

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
import os
import signal
import socket
from typing import TYPE_CHECKING

from aiohttp import WSMsgType, web

from .. import spdy
from .runtime.runc import set_window

if TYPE_CHECKING:
    from .kubelet import Kubelet

log = logging.getLogger(__name__)

__all__ = ["PORTFORWARD_PROTOCOL", "PROTOCOLS", "attach_handler", "exec_handler", "portforward_handler"]

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
    tty = _flag(query, "tty")
    want_stdin, want_out, want_err = _flag(query, "stdin"), _flag(query, "stdout"), _flag(query, "stderr")
    if not (want_stdin or want_out or want_err):
        return web.Response(status=400, text="you must specify at least one of stdin, stdout, stderr")
    ws = web.WebSocketResponse(protocols=PROTOCOLS, max_msg_size=0)
    if not ws.can_prepare(request).ok:
        return web.Response(status=400, text="exec needs a WebSocket upgrade (v5.channel.k8s.io or v4.channel.k8s.io)")
    await ws.prepare(request)
    v5 = ws.ws_protocol == "v5.channel.k8s.io"
    await asyncio.sleep(START_DELAY)
    if tty:
        return await _exec_tty(kubelet, ws, container_state, argv)
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


async def _exec_tty(kubelet: Kubelet, ws: web.WebSocketResponse, container_state,
                    argv: list[str]) -> web.WebSocketResponse:
    """The command on a pseudo-terminal: its output (stdout and stderr are one) goes on
    channel 1, the client's keys come on channel 0 and its window size on channel 4."""
    loop = asyncio.get_running_loop()
    try:
        async with kubelet.runtime.exec_tty(container_state.id, argv) as (proc, master):
            os.set_blocking(master, False)
            output: asyncio.Queue[bytes] = asyncio.Queue()

            def readable() -> None:
                try:
                    output.put_nowait(os.read(master, 32 * 1024))
                except BlockingIOError:
                    return
                except OSError:          # EIO: runc, the other end, is gone
                    loop.remove_reader(master)
                    output.put_nowait(b"")
            loop.add_reader(master, readable)
            keys = asyncio.create_task(_feed_tty(ws, master, proc))
            waiter = asyncio.ensure_future(proc.wait())
            try:
                while True:
                    getter = asyncio.ensure_future(output.get())
                    await asyncio.wait({getter, waiter}, return_when=asyncio.FIRST_COMPLETED)
                    if not getter.done():       # runc exited: what is left, then stop
                        getter.cancel()
                        await asyncio.sleep(0.05)
                        while not output.empty():
                            if chunk := output.get_nowait():
                                await ws.send_bytes(bytes([STDOUT]) + chunk)
                        break
                    chunk = getter.result()
                    if not chunk:
                        break
                    await ws.send_bytes(bytes([STDOUT]) + chunk)
            finally:
                loop.remove_reader(master)
                keys.cancel()
            code = await waiter
        if not ws.closed:
            await ws.send_bytes(bytes([ERROR]) + json.dumps(exit_status(code, argv)).encode())
    except (ConnectionResetError, RuntimeError) as e:
        log.debug("exec -t in %s ended early: %s", container_state.id[:12], e)
    finally:
        if not ws.closed:
            await ws.close()
    return ws


async def _feed_tty(ws: web.WebSocketResponse, master: int, proc: asyncio.subprocess.Process) -> None:
    async for msg in ws:
        if msg.type != WSMsgType.BINARY or not msg.data:
            continue
        channel, data = msg.data[0], msg.data[1:]
        with contextlib.suppress(OSError, ValueError):
            if channel == STDIN and data:
                os.write(master, data)
            elif channel == RESIZE:
                size = json.loads(data or b"{}")
                set_window(master, int(size.get("Width", 80)), int(size.get("Height", 24)))
                proc.send_signal(signal.SIGWINCH)     # runc resizes the command's terminal to match


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


# ---------------------------------------------------------------------- attach
async def attach_handler(kubelet: Kubelet, request: web.Request, container_state,
                         container: dict) -> web.StreamResponse:
    """``/attach/<namespace>/<pod>/<container>``: the container's output from now on (read
    as the shim writes it to the log) on channels 1 and 2, and, for a container with
    ``stdin: true``, channel 0 into its stdin through the shim's attach socket. Ends when
    the container does."""
    query = request.query
    want_stdin, want_out, want_err = _flag(query, "stdin"), _flag(query, "stdout"), _flag(query, "stderr")
    if want_stdin and not container.get("stdin"):
        return web.Response(status=400, text=f"container {container.get('name')} has no stdin to attach to "
                                             "(set stdin: true in its spec)")
    ws = web.WebSocketResponse(protocols=PROTOCOLS, max_msg_size=0)
    if not ws.can_prepare(request).ok:
        return web.Response(status=400, text="attach needs a WebSocket upgrade (v5.channel.k8s.io or v4.channel.k8s.io)")
    await ws.prepare(request)
    if container.get("tty"):   # the container's setting decides, as upstream: it has a terminal or not
        return await _attach_tty(kubelet, ws, container_state, want_out)
    v5 = ws.ws_protocol == "v5.channel.k8s.io"
    cid = container_state.id
    writer = None
    if want_stdin:
        dirfd = os.open(kubelet.runtime.attach_socket(cid).parent, os.O_RDONLY)
        try:
            _, writer = await asyncio.open_unix_connection(f"/proc/self/fd/{dirfd}/attach.sock")
        except OSError as e:
            log.warning("attach to %s: no stdin: %s", cid[:12], e)
        finally:
            os.close(dirfd)
    channels = {b"stdout": STDOUT if want_out else None, b"stderr": STDERR if want_err else None}
    tail = asyncio.create_task(_tail_log(ws, container_state.meta.log_path, channels))
    feed = asyncio.create_task(_feed_attach(ws, writer, v5))
    exited = asyncio.create_task(kubelet.runtime.wait(cid))
    try:
        await asyncio.wait({feed, exited}, return_when=asyncio.FIRST_COMPLETED)
        if exited.done():
            await asyncio.sleep(0.3)        # the shim's last lines reach the log
        tail.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await tail
        if exited.done() and not ws.closed:
            await ws.send_bytes(bytes([ERROR]) + json.dumps({"metadata": {}, "status": "Success"}).encode())
    except (ConnectionResetError, RuntimeError) as e:
        log.debug("attach to %s ended early: %s", cid[:12], e)
    finally:
        for task in (feed, exited, tail):
            task.cancel()
        if writer is not None:
            writer.close()
        if not ws.closed:
            await ws.close()
    return ws


async def _attach_tty(kubelet: Kubelet, ws: web.WebSocketResponse, container_state,
                      want_out: bool) -> web.WebSocketResponse:
    """Attach to a container's terminal through its shim (TtyRelay): the terminal's output
    from now on goes on channel 1, keys come on channel 0 and the window size on 4."""
    cid = container_state.id
    master = -1
    writer = None
    tasks: list[asyncio.Task] = []
    try:
        try:
            sock, master = await asyncio.to_thread(_connect_tty, kubelet.runtime.attach_socket(cid))
            reader, writer = await asyncio.open_unix_connection(sock=sock)
        except OSError as e:
            await ws.send_bytes(bytes([ERROR]) + json.dumps(
                {"metadata": {}, "status": "Failure", "message": f"cannot attach to the terminal: {e}"}).encode())
            return ws

        async def output() -> None:
            while chunk := await reader.read(32 * 1024):
                if want_out:
                    await ws.send_bytes(bytes([STDOUT]) + chunk)

        async def keys() -> None:
            async for msg in ws:
                if msg.type != WSMsgType.BINARY or not msg.data:
                    continue
                channel, data = msg.data[0], msg.data[1:]
                if channel == STDIN and data:
                    writer.write(data)
                    await writer.drain()
                elif channel == RESIZE:   # the kernel tells the terminal's processes (SIGWINCH)
                    with contextlib.suppress(OSError, ValueError):
                        size = json.loads(data or b"{}")
                        set_window(master, int(size.get("Width", 80)), int(size.get("Height", 24)))

        tasks = [asyncio.create_task(output()), asyncio.create_task(keys()),
                 asyncio.create_task(kubelet.runtime.wait(cid))]
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        if tasks[2] in done or tasks[0] in done:   # the container (and so its terminal) ended
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(tasks[0]), 1.0)
            if not ws.closed:
                await ws.send_bytes(bytes([ERROR]) + json.dumps({"metadata": {}, "status": "Success"}).encode())
    except (ConnectionResetError, RuntimeError) as e:
        log.debug("attach -t to %s ended early: %s", cid[:12], e)
    finally:
        for task in tasks:
            task.cancel()
        if writer is not None:
            writer.close()
        if master >= 0:
            os.close(master)
        if not ws.closed:
            await ws.close()
    return ws


def _connect_tty(path) -> tuple[socket.socket, int]:
    """Connect to a shim's TtyRelay: the socket and the terminal's master it sends first."""
    dirfd = os.open(path.parent, os.O_RDONLY)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(5)
        sock.connect(f"/proc/self/fd/{dirfd}/{path.name}")
        _, fds, _, _ = socket.recv_fds(sock, 1, 1)
        if not fds:
            raise OSError("the container's shim sent no terminal")
    except BaseException:
        sock.close()
        raise
    finally:
        os.close(dirfd)
    sock.setblocking(False)
    return sock, fds[0]


async def _tail_log(ws: web.WebSocketResponse, path: str, channels: dict[bytes, int | None]) -> None:
    """Send the CRI log records written from now on to their streams' channels."""
    with open(path, "rb") as f:
        f.seek(0, os.SEEK_END)
        carry = b""
        while True:
            chunk = f.read(64 * 1024)
            if not chunk:
                await asyncio.sleep(0.05)
                continue
            *lines, carry = (carry + chunk).split(b"\n")
            for line in lines:
                parts = line.split(b" ", 3)
                if len(parts) < 4 or channels.get(parts[1]) is None:
                    continue
                content = parts[3] + (b"\n" if parts[2] == b"F" else b"")
                await ws.send_bytes(bytes([channels[parts[1]]]) + content)


async def _feed_attach(ws: web.WebSocketResponse, writer: asyncio.StreamWriter | None, v5: bool) -> None:
    """The client's stdin into the container; its end (v5's close) is passed on."""
    async for msg in ws:
        if msg.type != WSMsgType.BINARY or not msg.data or writer is None:
            continue
        channel, data = msg.data[0], msg.data[1:]
        if channel == STDIN and data:
            writer.write(data)
            await writer.drain()
        elif channel == CLOSE and v5 and data[:1] == bytes([STDIN]):
            writer.close()
            writer = None
    # the client went away: keep the container's stdin for the next one (unless stdinOnce)


# ---------------------------------------------------------------------- port-forward
PORTFORWARD_PROTOCOL = "SPDY/3.1+portforward.k8s.io"


class _Forward:
    """One forwarded connection: the client's error and data streams of one requestid."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.error_id = 0
        self.data_id = 0
        self.pending: list[bytes] = []        # client bytes that came before the connection
        self.client_done = False
        self.writer: asyncio.StreamWriter | None = None
        self.task: asyncio.Task | None = None


async def portforward_handler(kubelet: Kubelet, request: web.Request, pod: dict, sockets) -> web.StreamResponse:
    """``/portForward/<namespace>/<pod>``: SPDY/3.1 frames inside WebSocket messages. Per
    forwarded connection the client opens an error stream and a data stream (headers
    ``streamtype``, ``port``, ``requestid``); the kubelet connects to the port on the
    pod's own loopback and relays, then ends both streams (an error goes on the error
    stream first). ``sockets`` makes sockets in the pod's network namespace."""
    ws = web.WebSocketResponse(protocols=(PORTFORWARD_PROTOCOL,), max_msg_size=0)
    if not ws.can_prepare(request).ok:
        return web.Response(status=400, text=f"port-forward needs a WebSocket upgrade ({PORTFORWARD_PROTOCOL})")
    await ws.prepare(request)
    codec = spdy.Codec()
    lock = asyncio.Lock()
    forwards: dict[str, _Forward] = {}
    by_stream: dict[int, _Forward] = {}
    uid = pod["metadata"]["uid"]

    async def send(frame: bytes) -> None:
        async with lock:
            if not ws.closed:
                await ws.send_bytes(frame)

    async def connect(fw: _Forward) -> None:
        try:
            reader, writer = await asyncio.wait_for(sockets.open_connection("127.0.0.1", fw.port), 10)
        except (OSError, asyncio.TimeoutError) as e:
            reason = "connection refused" if isinstance(e, ConnectionRefusedError) else (str(e) or "timed out")
            message = (f"error forwarding port {fw.port} to pod {uid}, uid : failed to connect to "
                       f"localhost:{fw.port} inside the pod: {reason}")
            await send(codec.data(fw.error_id, message.encode(), fin=True))
            await send(codec.data(fw.data_id, b"", fin=True))
            return
        fw.writer = writer
        for chunk in fw.pending:
            writer.write(chunk)
        fw.pending.clear()
        if fw.client_done and writer.can_write_eof():
            writer.write_eof()
        try:
            while chunk := await reader.read(32 * 1024):
                await send(codec.data(fw.data_id, chunk))
        except (ConnectionResetError, BrokenPipeError):
            pass
        finally:
            writer.close()
        await send(codec.data(fw.data_id, b"", fin=True))
        await send(codec.data(fw.error_id, b"", fin=True))

    try:
        async for msg in ws:
            if msg.type != WSMsgType.BINARY:
                continue
            for frame in codec.feed(msg.data):
                if frame.kind == spdy.SYN_STREAM:
                    headers = frame.headers
                    key = headers.get("requestid", "")
                    fw = forwards.get(key)
                    if fw is None:
                        try:
                            fw = forwards[key] = _Forward(int(headers.get("port", "0")))
                        except ValueError:
                            await send(codec.rst_stream(frame.stream_id, 1))   # PROTOCOL_ERROR
                            continue
                    by_stream[frame.stream_id] = fw
                    await send(codec.syn_reply(frame.stream_id, {}))
                    if headers.get("streamtype") == "error":
                        fw.error_id = frame.stream_id
                    elif headers.get("streamtype") == "data":
                        fw.data_id = frame.stream_id
                    if fw.error_id and fw.data_id and fw.task is None:
                        fw.task = asyncio.create_task(connect(fw))
                elif frame.kind == 0:
                    fw = by_stream.get(frame.stream_id)
                    if frame.data:
                        # SPDY/3.1 flow control: hand the window back as the bytes move on
                        await send(codec.window_update(frame.stream_id, len(frame.data)))
                        await send(codec.window_update(0, len(frame.data)))
                    if fw is None or frame.stream_id != fw.data_id:
                        continue
                    if fw.writer is None:
                        fw.pending.append(frame.data)
                    elif frame.data:
                        fw.writer.write(frame.data)
                        await fw.writer.drain()
                    if frame.fin:
                        fw.client_done = True
                        if fw.writer is not None and fw.writer.can_write_eof():
                            fw.writer.write_eof()
                elif frame.kind == spdy.RST_STREAM:
                    fw = by_stream.get(frame.stream_id)
                    if fw is not None and fw.writer is not None:
                        fw.writer.close()
                elif frame.kind == spdy.PING:
                    await send(codec.ping(frame.value))
                elif frame.kind == spdy.GOAWAY:
                    break
    except (ConnectionResetError, RuntimeError) as e:
        log.debug("port-forward to pod %s ended: %s", uid, e)
    finally:
        for fw in forwards.values():
            if fw.task is not None:
                fw.task.cancel()
            if fw.writer is not None:
                fw.writer.close()
        if not ws.closed:
            await ws.close()
    return ws
