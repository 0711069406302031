"""The default container runtime: runc, driven through a per-container shim.

Each container has a directory ``<root>/containers/<id>/`` holding everything about it,
so a restarted kubelet finds its containers again by reading the directories:

- ``meta.json``: which pod and container it is, its attempt, image and log path;
- ``config.json`` and ``rootfs/`` (an overlay of the image's unpacked rootfs with the
  container's own ``upper/`` and ``work/``): the OCI bundle runc runs;
- ``started.json`` (pid, start time) and ``exit.json`` (exit code, finish time, OOM),
  written by the shim (:mod:`.shim`), which outlives the kubelet.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import fcntl
import json
import logging
import os
import secrets
import shutil
import signal
import struct
import subprocess
import sys
import termios
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from collections.abc import AsyncIterator, Iterator
from typing import Any

from . import cgroups

log = logging.getLogger(__name__)

__all__ = ["ContainerMeta", "ContainerState", "RuncRuntime", "RuntimeError_"]

_libc = ctypes.CDLL(None, use_errno=True)
MNT_DETACH = 2

# the package root, for running the shim with ``python -S`` (no site-packages to scan)
_PACKAGE_PARENT = str(Path(__file__).resolve().parents[3])


class RuntimeError_(Exception):
    """Creating or starting a container failed; the message is what the user sees
    (upstream: RunContainerError / CreateContainerError)."""

    def __init__(self, message: str, reason: str = "RunContainerError") -> None:
        super().__init__(message)
        self.reason = reason


@dataclass
class ContainerMeta:
    pod_uid: str
    pod_namespace: str
    pod_name: str
    name: str
    attempt: int
    image: str
    image_id: str
    log_path: str
    init: bool = False
    id: str = ""
    created_at: float = 0.0
    cgroup: str = ""
    labels: dict[str, str] = field(default_factory=dict)


@dataclass
class ContainerState:
    meta: ContainerMeta
    state: str                       # created | running | exited
    pid: int = 0
    started_at: float | None = None
    finished_at: float | None = None
    exit_code: int | None = None
    oom_killed: bool = False
    reason: str = ""

    @property
    def id(self) -> str:
        return self.meta.id


def set_window(fd: int, width: int, height: int) -> None:
    """Set a terminal's size (rows and columns)."""
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))


def rootless_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """The OCI spec without what a user namespace cannot have: cgroups (limits and the
    cgroup mount) and users other than 0 (the only one mapped)."""
    user = (spec.get("process") or {}).get("user") or {}
    if user.get("uid", 0) != 0 or user.get("gid", 0) != 0:
        raise RuntimeError_(f"the rootless runtime cannot run as uid {user.get('uid', 0)}, gid {user.get('gid', 0)}: "
                            "its user namespace maps only uid and gid 0 (the kubelet's own user)",
                            reason="CreateContainerConfigError")
    linux = {k: v for k, v in (spec.get("linux") or {}).items() if k not in ("resources", "cgroupsPath")}
    process = {**spec.get("process", {}), "user": {"uid": 0, "gid": 0}}   # no setgroups in the namespace
    mounts = [{**m, "options": [o for o in m.get("options") or [] if not o.startswith(("uid=", "gid="))]}
              for m in spec.get("mounts") or [] if m.get("type") != "cgroup"]   # (devpts' gid=5 is unmapped)
    return {**spec, "linux": linux, "process": process, "mounts": mounts}


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class RuncRuntime:
    name = "runc"

    def __init__(self, root: str | Path, *, runc: str = "runc", cgroup_root: str = "/kubepods",
                 log_max_size: int = 10 * 1024 * 1024, log_max_files: int = 5, rootless: bool = False) -> None:
        """``rootless``: runc runs as root of the kubelet's own user namespace
        (see :mod:`..rootless`): no cgroups, and only uid/gid 0."""
        self.root = Path(root)
        self.rootless = rootless
        self.containers_dir = self.root / "containers"
        self.state_root = self.root / "runc"
        self.runc = runc
        self.cgroup_root = cgroup_root
        self.log_max_size = log_max_size
        self.log_max_files = log_max_files
        self.containers_dir.mkdir(parents=True, exist_ok=True)
        self.state_root.mkdir(parents=True, exist_ok=True)
        self._shims: dict[str, asyncio.subprocess.Process] = {}
        # meta.json never changes, and neither does a container once it exited: both are
        # read once (a node's pod workers ask for their containers on every sync)
        self._metas: dict[str, ContainerMeta] = {}
        self._exited: dict[str, ContainerState] = {}

    # ------------------------------------------------------------------ facts
    def version(self) -> str:
        try:
            out = subprocess.run([self.runc, "--version"], capture_output=True, text=True, timeout=10).stdout
        except (OSError, subprocess.TimeoutExpired):
            return "unknown"
        first = out.splitlines()[0] if out else ""
        return first.split()[-1].split("+")[0] if first else "unknown"

    def _dir(self, cid: str) -> Path:
        return self.containers_dir / cid

    def _runc(self, *args: str) -> list[str]:
        return [self.runc, "--root", str(self.state_root), *args]

    # ------------------------------------------------------------------ create and start
    async def run(self, meta: ContainerMeta, spec: dict[str, Any], lower: Path, qos: str, *,
                  stdin: str = "") -> ContainerState:
        """Create and start a container; its state once started. Raises
        :class:`RuntimeError_` with runc's own message when it cannot start. ``stdin``
        ("open", or "once" for stdinOnce) gives it a stdin that ``attach`` can feed."""
        meta.id = meta.id or secrets.token_hex(32)
        meta.created_at = time.time()
        if self.rootless:
            spec = rootless_spec(spec)
            meta.cgroup = ""
        else:
            meta.cgroup = cgroups.cgroup_path(self.cgroup_root, qos, meta.pod_uid, meta.id)
        cdir = self._dir(meta.id)
        rootfs = cdir / "rootfs"
        for d in (rootfs, cdir / "upper", cdir / "work"):
            d.mkdir(parents=True, exist_ok=True)
        (cdir / "meta.json").write_text(json.dumps(asdict(meta)))
        self._metas[meta.id] = meta
        spec = dict(spec)
        spec["root"] = {**spec.get("root", {}), "path": str(rootfs)}
        if meta.cgroup:
            spec.setdefault("linux", {})["cgroupsPath"] = meta.cgroup
        (cdir / "config.json").write_text(json.dumps(spec))
        Path(meta.log_path).parent.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(self._mount_rootfs, lower, cdir)
        args = [sys.executable, "-S", "-m", "kybernetes.kubelet.runtime.shim", "--id", meta.id, "--dir", str(cdir),
                "--root", str(self.state_root), "--runc", self.runc, "--log", meta.log_path,
                "--log-max-size", str(self.log_max_size), "--log-max-files", str(self.log_max_files)]
        for f in cgroups.oom_files(meta.cgroup) if meta.cgroup else ():
            args += ["--oom-file", f]
        if stdin:
            args += ["--stdin", stdin]
        if (spec.get("process") or {}).get("terminal"):
            args += ["--tty", "1"]
        env = {**os.environ, "PYTHONPATH": _PACKAGE_PARENT}
        proc = await asyncio.create_subprocess_exec(
            *args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            start_new_session=True, env=env)
        assert proc.stdout is not None
        line = (await proc.stdout.readline()).decode(errors="replace").strip()
        if not line.startswith("ok "):
            await proc.wait()
            await self.remove(meta.id)
            message = line.removeprefix("error ").strip() or f"the container shim exited with {proc.returncode}"
            raise RuntimeError_(message)
        self._shims[meta.id] = proc
        return self.state(meta.id) or ContainerState(meta, "running", pid=int(line.split()[1]),
                                                     started_at=time.time())

    @staticmethod
    def _mount_rootfs(lower: Path, cdir: Path) -> None:
        # mount(2) itself rather than mount(8): one fork and exec fewer per container
        opts = f"lowerdir={lower},upperdir={cdir / 'upper'},workdir={cdir / 'work'}"
        if _libc.mount(b"overlay", str(cdir / "rootfs").encode(), b"overlay", 0, opts.encode()) != 0:
            err = ctypes.get_errno()
            raise RuntimeError_(f"failed to mount the container's root filesystem: overlay on {cdir / 'rootfs'}: "
                                f"{os.strerror(err)}", reason="CreateContainerError")

    # ------------------------------------------------------------------ state
    def _meta(self, cid: str) -> ContainerMeta | None:
        meta = self._metas.get(cid)
        if meta is None:
            raw = _read_json(self._dir(cid) / "meta.json")
            if raw is None:
                return None
            meta = self._metas[cid] = ContainerMeta(**raw)
        return meta

    def state(self, cid: str) -> ContainerState | None:
        done = self._exited.get(cid)
        if done is not None:
            return done
        meta = self._meta(cid)
        if meta is None:
            return None
        cdir = self._dir(cid)
        started = _read_json(cdir / "started.json")
        exited = _read_json(cdir / "exit.json")
        if exited is not None:
            done = self._exited[cid] = ContainerState(
                meta, "exited", started_at=(started or {}).get("startedAt"), finished_at=exited["finishedAt"],
                exit_code=exited["exitCode"], oom_killed=bool(exited.get("oomKilled")))
            return done
        if started is None:
            return ContainerState(meta, "created")
        if not _alive(started["shimPid"]) and not (cdir / "exit.json").exists():
            # the shim died without recording an exit: nobody can know how it ended
            return ContainerState(meta, "exited", started_at=started["startedAt"], finished_at=time.time(),
                                  exit_code=255, reason="Unknown")
        return ContainerState(meta, "running", pid=started["pid"], started_at=started["startedAt"])

    def list(self, pod_uid: str | None = None) -> list[ContainerState]:
        """Every container, or those of one pod."""
        out = []
        with contextlib.suppress(FileNotFoundError):
            for cid in os.listdir(self.containers_dir):
                if pod_uid is not None:
                    meta = self._meta(cid)
                    if meta is None or meta.pod_uid != pod_uid:
                        continue
                st = self.state(cid)
                if st is not None:
                    out.append(st)
        return out

    async def wait(self, cid: str) -> None:
        """Return once the container's shim has exited (its exit is then recorded)."""
        proc = self._shims.get(cid)
        if proc is not None:
            await proc.wait()
            self._shims.pop(cid, None)
            return
        started = _read_json(self._dir(cid) / "started.json")
        if started is None:
            return
        try:
            fd = os.pidfd_open(started["shimPid"])
        except (ProcessLookupError, OSError):
            return
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        loop.add_reader(fd, lambda: done.done() or done.set_result(None))
        try:
            await done
        finally:
            loop.remove_reader(fd)
            os.close(fd)

    @contextlib.contextmanager
    def _exec_spec(self, cid: str, argv: list[str], *, terminal: bool) -> Iterator[Path]:
        """A ``runc exec --process`` file: the container's own process settings, running
        ``argv``; removed afterwards."""
        cdir = self._dir(cid)
        process = dict((_read_json(cdir / "config.json") or {}).get("process") or {})
        process.update(args=list(argv), terminal=terminal)
        spec_file = cdir / f"exec-{secrets.token_hex(4)}.json"
        spec_file.write_text(json.dumps(process))
        try:
            yield spec_file
        finally:
            spec_file.unlink(missing_ok=True)

    @staticmethod
    async def _reap(proc: asyncio.subprocess.Process | None) -> None:
        """Kill ``proc`` if it still runs, and wait for it."""
        if proc is not None and proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()

    @contextlib.asynccontextmanager
    async def exec_process(self, cid: str, argv: list[str], *, stdin: bool = False,
                           merge_stderr: bool = False) -> AsyncIterator[asyncio.subprocess.Process]:
        """``argv`` running in the container (``runc exec`` with the container's own
        process settings), with pipes for its stdio; killed if still running at the end."""
        with self._exec_spec(cid, argv, terminal=False) as spec_file:
            proc = await asyncio.create_subprocess_exec(
                *self._runc("exec", "--process", str(spec_file), cid),
                stdin=subprocess.PIPE if stdin else subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT if merge_stderr else subprocess.PIPE)
            try:
                yield proc
            finally:
                await self._reap(proc)

    @contextlib.asynccontextmanager
    async def exec_tty(self, cid: str, argv: list[str], *, width: int = 80,
                       height: int = 24) -> AsyncIterator[tuple[asyncio.subprocess.Process, int]]:
        """``argv`` running in the container on a pseudo-terminal: ``(runc exec, the
        master fd of a terminal pair whose other end is runc's stdio)``. runc, in the
        foreground, gives the command a terminal of its own and copies between the two;
        a resize is the master's TIOCSWINSZ plus a SIGWINCH to runc, which passes it on."""
        with self._exec_spec(cid, argv, terminal=True) as spec_file:
            master, slave = os.openpty()
            set_window(master, width, height)
            proc = None
            try:
                proc = await asyncio.create_subprocess_exec(
                    *self._runc("exec", "--tty", "--process", str(spec_file), cid),
                    stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
                os.close(slave)
                slave = -1
                yield proc, master
            finally:
                if slave >= 0:
                    os.close(slave)
                await self._reap(proc)
                os.close(master)

    async def exec_sync(self, cid: str, argv: list[str], timeout: float) -> tuple[int, bytes]:
        """Run ``argv`` in the running container; its exit code and combined output. A
        command still running after ``timeout`` seconds is killed and raises
        :class:`asyncio.TimeoutError`."""
        async with self.exec_process(cid, argv, merge_stderr=True) as proc:
            out, _ = await asyncio.wait_for(proc.communicate(), timeout)
        return proc.returncode if proc.returncode is not None else 255, out

    def attach_socket(self, cid: str) -> Path:
        """Where the shim of a container with a stdin or a terminal takes it (see the
        shim's StdinRelay and TtyRelay)."""
        return self._dir(cid) / "attach.sock"

    # ------------------------------------------------------------------ stop and remove
    async def kill(self, cid: str, sig: int = signal.SIGTERM) -> None:
        st = self.state(cid)
        if st is None or st.state != "running":
            return
        # the init pid, not `runc kill`: one fork fewer, and the pid is ours (a subreaper's child)
        with contextlib.suppress(ProcessLookupError):
            os.kill(st.pid, sig)

    async def stop(self, cid: str, grace: float) -> None:
        """SIGTERM, then SIGKILL once ``grace`` seconds have passed (at least 2 s, as upstream's minimum)."""
        st = self.state(cid)
        if st is None or st.state != "running":
            return
        await self.kill(cid, signal.SIGTERM)
        try:
            await asyncio.wait_for(self.wait(cid), max(grace, 0))
        except asyncio.TimeoutError:
            await self.kill(cid, signal.SIGKILL)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.wait(cid), 10)

    async def remove(self, cid: str) -> None:
        """Forget a container: runc's state, its cgroups, its rootfs mount and directory.
        The log file stays (it belongs to the pod's log directory)."""
        cdir = self._dir(cid)
        raw = _read_json(cdir / "meta.json") or {}
        proc = await asyncio.create_subprocess_exec(*self._runc("delete", "--force", cid),
                                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        await proc.wait()
        await asyncio.to_thread(self._remove_files, cdir, raw.get("cgroup", ""))
        self._shims.pop(cid, None)
        self._metas.pop(cid, None)
        self._exited.pop(cid, None)

    @staticmethod
    def _remove_files(cdir: Path, cgroup: str) -> None:
        rootfs = cdir / "rootfs"
        if os.path.ismount(rootfs):
            _libc.umount2(str(rootfs).encode(), MNT_DETACH)
        if cgroup:
            cgroups.remove_empty(cgroup)
            cgroups.remove_empty(cgroup.rsplit("/", 1)[0])  # the pod's, once its last container is gone
        shutil.rmtree(cdir, ignore_errors=True)

    async def teardown(self) -> None:
        """Kill and remove every container (``kyb kubelet --teardown``, tests' cleanup)."""
        for st in self.list():
            await self.kill(st.id, signal.SIGKILL)
        for st in self.list():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.wait(st.id), 10)
            await self.remove(st.id)
        if not self.rootless:
            await asyncio.to_thread(cgroups.remove_tree, self.cgroup_root)
