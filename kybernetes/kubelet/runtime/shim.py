"""The per-container shim: the one process that stays with a container for its whole life.

The kubelet starts it (in a session of its own, so it outlives a kubelet crash or
restart) and it:

1. becomes a child subreaper, so the container's init process, which ``runc create``
   leaves behind, is reparented to it and its exit status is ours to collect;
2. runs ``runc run --detach`` with the container's stdout and stderr on pipes it holds
   (a container with ``tty: true`` gets a pseudo-terminal instead: runc hands its master
   to us through a console socket); it then tells the kubelet, on its own stdout,
   ``ok <pid>`` or ``error <message>``, and closes that;
3. copies the container's output into the CRI-format log file (with rotation) until
   the container exits, and feeds its stdin from attached clients (see StdinRelay and
   TtyRelay);
4. writes ``exit.json`` (exit code, finish time, whether the kernel's OOM killer ended
   it) next to the bundle, and exits. A kubelet that was down meanwhile reads it there.

A container start pays for the shim's start-up, so it runs with ``python -S`` and
imports only what loads fast: no argparse, subprocess or json (``os.posix_spawnp``, a
small flag parser and hand-written JSON of numbers do), and :mod:`..logwriter`.
"""

from __future__ import annotations

import _signal   # the C module: ``signal`` would load enum for its IntEnum wrappers
import ctypes
import errno
import os
import select
import sys
import time

from ..logwriter import LogWriter

PR_SET_CHILD_SUBREAPER = 36
READ_CHUNK = 65536


def _json(data: dict) -> str:
    """JSON of a flat dict of numbers and booleans."""
    def value(v: object) -> str:
        return ("true" if v else "false") if isinstance(v, bool) else repr(v)
    return "{" + ", ".join(f'"{k}": {value(v)}' for k, v in data.items()) + "}"


def write_json_atomic(path: str, data: dict) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        f.write(_json(data))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def runc_error(log_path: str, fallback: str) -> str:
    """The last error runc logged (it logs JSON lines with --log-format json)."""
    import json   # only when something went wrong

    message = ""
    try:
        with open(log_path) as f:
            for line in f:
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if entry.get("level") in ("error", "fatal"):
                    message = entry.get("msg", "")
    except OSError:
        pass
    return message or fallback.strip() or "runc failed"


def oom_killed(cgroup_files: list[str]) -> bool:
    """Whether the kernel's OOM killer killed a process in the container's cgroup
    (``oom_kill`` in memory.oom_control on cgroup v1, memory.events on v2)."""
    for path in cgroup_files:
        try:
            with open(path) as f:
                for line in f:
                    key, _, value = line.partition(" ")
                    if key == "oom_kill" and int(value or 0) > 0:
                        return True
        except (OSError, ValueError):
            continue
    return False


class Shim:
    def __init__(self, args: Flags) -> None:
        self.args = args
        self.runc = [args.runc, "--root", args.root, "--log", os.path.join(args.dir, "runc.log"),
                     "--log-format", "json"]
        self.log = LogWriter(args.log, max_size=args.log_max_size, max_files=args.log_max_files)
        self.pipes: dict[int, str] = {}
        self.relay: StdinRelay | TtyRelay | None = None
        if args.tty:
            self.relay = TtyRelay(args.dir, stdin=bool(args.stdin))
        elif args.stdin:
            self.relay = StdinRelay(args.dir, once=args.stdin == "once")

    def report(self, text: str) -> None:
        os.write(1, (text + "\n").encode())
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)

    def start(self) -> int | None:
        """``runc run --detach``; the container's pid, or None after reporting the error."""
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        pid_file = os.path.join(self.args.dir, "init.pid")
        stdin = self.relay.take_read_end() if isinstance(self.relay, StdinRelay) else os.open(os.devnull, os.O_RDONLY)
        console = ConsoleSocket(self.args.dir) if isinstance(self.relay, TtyRelay) else None
        try:
            # the container inherits runc's stdio (its output comes to our pipes), or
            # gets a terminal whose master runc sends to the console socket
            extra = ["--console-socket", console.path] if console else []
            code = run([*self.runc, "run", "--detach", *extra, "--bundle", self.args.dir, "--pid-file", pid_file,
                        self.args.id], stdin=stdin, stdout=out_w, stderr=err_w)
            master = console.receive() if console and code == 0 else -1
        finally:
            for fd in (stdin, out_w, err_w):
                os.close(fd)
            if console:
                console.close()
        if code != 0 or (console and master < 0):
            leftover = os.read(err_r, READ_CHUNK).decode(errors="replace") if _readable(err_r) else ""
            fallback = leftover or ("" if code != 0 else "runc sent no terminal to the console socket")
            self.report("error " + runc_error(os.path.join(self.args.dir, "runc.log"), fallback).replace("\n", " "))
            return None
        with open(pid_file) as f:
            pid = int(f.read().strip())
        if isinstance(self.relay, TtyRelay):   # one stream, the terminal's
            os.close(out_r)
            os.close(err_r)
            self.relay.master = master
            self.pipes = {master: "stdout"}
        else:
            self.pipes = {out_r: "stdout", err_r: "stderr"}
        for fd in self.pipes:
            os.set_blocking(fd, False)
        write_json_atomic(os.path.join(self.args.dir, "started.json"),
                          {"pid": pid, "shimPid": os.getpid(), "startedAt": time.time()})
        self.report(f"ok {pid}")
        return pid

    def pump(self, timeout: float) -> None:
        """Copy what the container wrote since the last call into the log (and what an
        attached client typed into its stdin)."""
        watched = list(self.pipes) + (self.relay.fds() if self.relay else [])
        if not watched:
            time.sleep(timeout)
            return
        try:
            ready, _, _ = select.select(watched, [], [], timeout)
        except InterruptedError:
            return
        for fd in ready:
            if fd in self.pipes:
                self.drain(fd)
            elif self.relay is not None:
                self.relay.handle(fd)

    def drain(self, fd: int) -> None:
        while True:
            try:
                data = os.read(fd, READ_CHUNK)
            except BlockingIOError:
                return
            except OSError as e:
                if e.errno != errno.EINTR:
                    data = b""
                else:
                    continue
            if not data:  # EOF: nobody in the container holds this stream any more
                self.log.flush_partial(self.pipes.pop(fd))
                os.close(fd)
                if isinstance(self.relay, TtyRelay) and fd == self.relay.master:
                    self.relay.master = -1
                return
            self.log.write(self.pipes[fd], data)
            if isinstance(self.relay, TtyRelay):
                self.relay.broadcast(data)

    def wait(self, pid: int) -> int:
        """Pump output until ``pid`` exits; reap every orphan reparented to us meanwhile."""
        status = None
        while status is None:
            self.pump(0.5)
            while True:
                try:
                    child, st = os.waitpid(-1, os.WNOHANG)
                except ChildProcessError:
                    child = 0
                if child == 0:
                    break
                if child == pid:
                    status = st
        # what the container wrote just before it exited (daemons it left may hold the pipes open)
        for fd in list(self.pipes):
            self.drain(fd)
        for fd, stream in list(self.pipes.items()):
            self.log.flush_partial(stream)
            os.close(fd)
        self.pipes.clear()
        if os.WIFSIGNALED(status):
            return 128 + os.WTERMSIG(status)
        return os.WEXITSTATUS(status)

    def run(self) -> int:
        pid = self.start()
        if pid is None:
            return 1
        code = self.wait(pid)
        write_json_atomic(os.path.join(self.args.dir, "exit.json"), {
            "exitCode": code, "finishedAt": time.time(), "oomKilled": oom_killed(self.args.oom_file)})
        self.log.close()
        return 0


class StdinRelay:
    """The stdin of a container that asks for one (``stdin: true``): a pipe whose write
    end the shim keeps, fed by whoever connects to ``attach.sock`` in the bundle (the
    kubelet, for ``kubectl attach``/``run -i``), one client at a time. With ``once``
    (``stdinOnce``) the first client's end is the container's end of input."""

    def __init__(self, bundle: str, *, once: bool) -> None:
        self.read_end, self.write_end = os.pipe()
        self.once = once
        self.client = None
        self.server = _listen(bundle, "attach.sock")

    def take_read_end(self) -> int:
        fd, self.read_end = self.read_end, -1
        return fd

    def fds(self) -> list[int]:
        out = [self.server.fileno()] if self.server.fileno() >= 0 else []
        return out + ([self.client.fileno()] if self.client is not None else [])

    def handle(self, fd: int) -> None:
        if fd == self.server.fileno():
            conn = _accept(self.server)
            if conn is None:
                return
            if self.client is not None or self.write_end < 0:
                conn.close()                  # one client at a time; after stdinOnce, none
            else:
                self.client = conn
            return
        try:
            data = self.client.recv(READ_CHUNK)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if data:
            try:
                os.write(self.write_end, data)
            except OSError:       # the container closed its stdin
                pass
            return
        self.client.close()
        self.client = None
        if self.once and self.write_end >= 0:
            os.close(self.write_end)
            self.write_end = -1
            self.server.close()


class TtyRelay:
    """The terminal of a container with ``tty: true``, shared by whoever connects to
    ``attach.sock``: each client first gets the terminal's master (one byte with the
    descriptor, so that it can set the window size itself), then the terminal's output
    as it comes, and what it sends is typed in (for a container with ``stdin: true``)."""

    def __init__(self, bundle: str, *, stdin: bool) -> None:
        self.stdin = stdin
        self.master = -1
        self.clients: dict[int, object] = {}
        self.server = _listen(bundle, "attach.sock")

    def fds(self) -> list[int]:
        return ([self.server.fileno()] if self.master >= 0 else []) + list(self.clients)

    def handle(self, fd: int) -> None:
        import socket

        if fd == self.server.fileno():
            conn = _accept(self.server)
            if conn is None:
                return
            conn.settimeout(5)    # a client that stops reading for that long is dropped
            try:
                socket.send_fds(conn, [b"T"], [self.master])
            except OSError:
                conn.close()
                return
            self.clients[conn.fileno()] = conn
            return
        conn = self.clients[fd]
        try:
            data = conn.recv(READ_CHUNK)
        except OSError:
            data = b""
        if not data:
            self._drop(fd)
        elif self.stdin:
            try:
                os.write(self.master, data)
            except OSError:       # the terminal is gone with the container
                pass

    def broadcast(self, data: bytes) -> None:
        for fd, conn in list(self.clients.items()):
            try:
                conn.sendall(data)
            except OSError:
                self._drop(fd)

    def _drop(self, fd: int) -> None:
        self.clients.pop(fd).close()


class ConsoleSocket:
    """Where ``runc run --console-socket`` sends the master of the container's terminal."""

    def __init__(self, bundle: str) -> None:
        self.server = _listen(bundle, "console.sock")
        self.server.setblocking(True)
        self.server.settimeout(10)
        # runc is another process: a path through our /proc entry keeps it short
        self._dirfd = os.open(bundle, os.O_RDONLY)
        self.path = f"/proc/{os.getpid()}/fd/{self._dirfd}/console.sock"

    def receive(self) -> int:
        """The master's descriptor (runc has sent it by the time it exits), or -1."""
        import socket

        try:
            conn, _ = self.server.accept()
            with conn:
                _, fds, _, _ = socket.recv_fds(conn, 4096, 1)
        except OSError:
            return -1
        if not fds:
            return -1
        os.set_blocking(fds[0], False)
        return fds[0]

    def close(self) -> None:
        self.server.close()
        try:
            os.unlink(f"/proc/self/fd/{self._dirfd}/console.sock")
        except OSError:
            pass
        os.close(self._dirfd)


def _accept(server):
    """A client of a listening socket that select() found readable, or None if it left."""
    try:
        return server.accept()[0]
    except (BlockingIOError, ConnectionAbortedError):
        return None


def _listen(bundle: str, name: str):
    """A listening Unix socket ``name`` in the bundle directory."""
    import socket   # (only containers with a stdin or a terminal pay for it)

    dirfd = os.open(bundle, os.O_RDONLY)
    try:   # through the directory's fd: a socket's path may have 107 bytes at most
        path = f"/proc/self/fd/{dirfd}/{name}"
        if os.path.lexists(path):
            os.unlink(path)
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(path)
    finally:
        os.close(dirfd)
    server.listen(4)
    server.setblocking(False)
    return server


def run(argv: list[str], *, stdin: int, stdout: int, stderr: int) -> int:
    """Run a program with the given descriptors as its stdio; its exit code."""
    actions = [(os.POSIX_SPAWN_DUP2, fd, target) for target, fd in enumerate((stdin, stdout, stderr))]
    pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=actions)
    while True:
        try:
            _, status = os.waitpid(pid, 0)
        except InterruptedError:
            continue
        return os.waitstatus_to_exitcode(status)


class Flags:
    """The shim's command line: ``--name value`` pairs (``--oom-file`` may repeat)."""

    def __init__(self, argv: list[str]) -> None:
        self.runc = "runc"
        self.stdin = ""           # "", "open" or "once"
        self.tty = ""             # "1": the container has a terminal
        self.log_max_size = 10 * 1024 * 1024
        self.log_max_files = 5
        self.oom_file: list[str] = []
        pairs = iter(argv)
        for flag in pairs:
            name = flag.removeprefix("--").replace("-", "_")
            value = next(pairs, None)
            if not flag.startswith("--") or value is None or name not in (
                    "id", "dir", "root", "runc", "log", "log_max_size", "log_max_files", "oom_file", "stdin",
                    "tty"):
                raise SystemExit(f"kyb-shim: bad flag {flag!r}")
            if name == "oom_file":
                self.oom_file.append(value)
            else:
                setattr(self, name, int(value) if name.startswith("log_max") else value)
        missing = [f"--{n}" for n in ("id", "dir", "root", "log") if not hasattr(self, n)]
        if missing:
            raise SystemExit(f"kyb-shim: missing {', '.join(missing)}")


def _readable(fd: int) -> bool:
    return bool(select.select([fd], [], [], 0)[0])


def main(argv: list[str] | None = None) -> int:
    """``--id ID --dir BUNDLE --root RUNC_STATE --log FILE [--runc runc] [--log-max-size N]
    [--log-max-files N] [--oom-file CGROUP_FILE]... [--stdin open|once] [--tty 1]``"""
    args = Flags(sys.argv[1:] if argv is None else argv)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    _signal.signal(_signal.SIGINT, _signal.SIG_IGN)  # a terminal's ^C is for the kubelet, not for us
    _signal.signal(_signal.SIGHUP, _signal.SIG_IGN)
    return Shim(args).run()


if __name__ == "__main__":
    sys.exit(main())
