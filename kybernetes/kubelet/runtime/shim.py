"""The per-container shim: the one process that stays with a container for its whole life.

The kubelet starts it (in a session of its own, so it outlives a kubelet crash or
restart) and it:

1. becomes a child subreaper, so the container's init process, which ``runc create``
   leaves behind, is reparented to it and its exit status is ours to collect;
2. runs ``runc create`` with the container's stdout and stderr on pipes it holds, and
   ``runc start``; it then tells the kubelet, on its own stdout, ``ok <pid>`` or
   ``error <message>``, and closes that;
3. copies the container's output into the CRI-format log file (with rotation) until
   the container exits;
4. writes ``exit.json`` (exit code, finish time, whether the kernel's OOM killer ended
   it) next to the bundle, and exits. A kubelet that was down meanwhile reads it there.

It imports only the standard library and :mod:`..logs` and runs with ``python -S``:
a container start pays for its start-up.
"""

from __future__ import annotations

import argparse
import ctypes
import errno
import json
import os
import select
import signal
import subprocess
import sys
import time

from ..logs import LogWriter

PR_SET_CHILD_SUBREAPER = 36
READ_CHUNK = 65536


def write_json_atomic(path: str, data: dict) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        json.dump(data, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def runc_error(log_path: str, fallback: str) -> str:
    """The last error runc logged (it logs JSON lines with --log-format json)."""
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
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.runc = [args.runc, "--root", args.root, "--log", os.path.join(args.dir, "runc.log"),
                     "--log-format", "json"]
        self.log = LogWriter(args.log, max_size=args.log_max_size, max_files=args.log_max_files)
        self.pipes: dict[int, str] = {}

    def report(self, text: str) -> None:
        os.write(1, (text + "\n").encode())
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)

    def start(self) -> int | None:
        """runc create + start; the container's pid, or None after reporting the error."""
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        pid_file = os.path.join(self.args.dir, "init.pid")
        stdin = open(os.devnull, "rb")
        try:
            created = subprocess.run(
                [*self.runc, "create", "--bundle", self.args.dir, "--pid-file", pid_file, self.args.id],
                stdin=stdin, stdout=out_w, stderr=err_w)
        finally:
            stdin.close()
            os.close(out_w)
            os.close(err_w)
        if created.returncode != 0:
            leftover = os.read(err_r, READ_CHUNK).decode(errors="replace") if _readable(err_r) else ""
            self.report("error " + runc_error(os.path.join(self.args.dir, "runc.log"), leftover).replace("\n", " "))
            return None
        with open(pid_file) as f:
            pid = int(f.read().strip())
        self.pipes = {out_r: "stdout", err_r: "stderr"}
        for fd in self.pipes:
            os.set_blocking(fd, False)
        started = subprocess.run([*self.runc, "start", self.args.id], stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if started.returncode != 0:
            os.kill(pid, signal.SIGKILL)
            self.report("error " + runc_error(os.path.join(self.args.dir, "runc.log"),
                                              started.stderr.decode(errors="replace")).replace("\n", " "))
            return None
        write_json_atomic(os.path.join(self.args.dir, "started.json"),
                          {"pid": pid, "shimPid": os.getpid(), "startedAt": time.time()})
        self.report(f"ok {pid}")
        return pid

    def pump(self, timeout: float) -> None:
        """Copy what the container wrote since the last call into the log."""
        if not self.pipes:
            time.sleep(timeout)
            return
        try:
            ready, _, _ = select.select(list(self.pipes), [], [], timeout)
        except InterruptedError:
            return
        for fd in ready:
            self.drain(fd)

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
                return
            self.log.write(self.pipes[fd], data)

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


def _readable(fd: int) -> bool:
    return bool(select.select([fd], [], [], 0)[0])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="kyb-shim")
    p.add_argument("--id", required=True)
    p.add_argument("--dir", required=True, help="the container's bundle directory")
    p.add_argument("--root", required=True, help="runc's state root")
    p.add_argument("--runc", default="runc")
    p.add_argument("--log", required=True, help="the container's log file")
    p.add_argument("--log-max-size", type=int, default=10 * 1024 * 1024)
    p.add_argument("--log-max-files", type=int, default=5)
    p.add_argument("--oom-file", action="append", default=[], help="a cgroup file with an oom_kill counter")
    args = p.parse_args(argv)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a terminal's ^C is for the kubelet, not for us
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    return Shim(args).run()


if __name__ == "__main__":
    sys.exit(main())
