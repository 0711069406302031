"""One pod worker per pod: makes the runtime's containers match the pod spec, and
reports the pod's status. Level-triggered: every sync looks at the latest pod and at
what the runtime really has (so a restarted kubelet adopts running containers as they
are), and is woken by pod updates, container exits and its own timers (back-offs).

A sync, in order (upstream's SyncPod and computePodActions):

1. a pod being deleted (or gone from the API) is terminated: containers get SIGTERM,
   then SIGKILL after the grace period; the sandbox goes; the kubelet confirms the
   deletion with a zero-grace DELETE;
2. a pod that finished (Succeeded/Failed) keeps its exited containers, for logs, and
   loses its sandbox;
3. otherwise the sandbox (network namespace and address, /etc files) exists;
4. init containers run one at a time, in order, each to success; then every app
   container runs, restarted by ``restartPolicy`` with the crash-loop back-off
   (10 s doubling to 5 min; a container that ran 10 minutes starts over);
5. the status is written when it changed.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import shutil
import time
from collections.abc import Mapping
from pathlib import Path
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..api.pods import container_spec
from ..client import APIStatusError
from .env import EnvError
from .images.pull import PullError, credentials_for
from .images.reference import parse_reference
from .images.store import Image, ImageError
from .probes import HandlerTarget, ProbeManager, run_handler, target_for
from .podstatus import (
    ContainerView,
    Waiting,
    container_status,
    pod_conditions,
    pod_phase,
    rfc3339,
)
from .runtime.runc import ContainerMeta, ContainerState, RuntimeError_
from .runtime.seccomp import SeccompError, seccomp_for
from .runtime.spec import SpecError, capabilities, oci_spec, pod_qos
from .sandbox import write_pod_files
from .volumes import API_VOLUMES, VolumeError, api_refs, empty_dir_over_limit, kind_of, payload_for, \
    release_volumes, setup_volume, token_sources, volume_mounts, write_atomic

if TYPE_CHECKING:
    from .kubelet import Kubelet

log = logging.getLogger(__name__)

__all__ = ["PodWorker", "Backoff"]

BACKOFF_INITIAL = 10.0
BACKOFF_MAX = 300.0
IMAGE_BACKOFF_INITIAL = 10.0
POST_START_TIMEOUT = 300.0      # upstream waits for ever; a hung hook must not hold the pod's worker for good
STORAGE_CHECK_INTERVAL = 10.0   # how often emptyDir usage is measured, as upstream's eviction manager
EVICTION_GRACE = 1.0            # upstream evicts for local storage with a 1 s grace period


@dataclass
class Backoff:
    """upstream's flowcontrol.Backoff for one key: the first retry is immediate, then
    each waits twice as long as the one before, up to ``cap``; a key left alone for
    twice the cap starts over."""
    delay: float = 0.0
    last: float = 0.0

    def ready(self, now: float, since: float) -> bool:
        return self.delay == 0.0 or now - since >= self.delay

    def next(self, now: float, initial: float = BACKOFF_INITIAL, cap: float = BACKOFF_MAX) -> None:
        if self.delay == 0.0 or now - self.last > 2 * cap:
            self.delay = initial
        else:
            self.delay = min(self.delay * 2, cap)
        self.last = now


def _key(pod: Mapping[str, Any]) -> str:
    m = pod.get("metadata") or {}
    return f"{m.get('namespace', '')}/{m.get('name', '')}"


class PodWorker:
    def __init__(self, kubelet: Kubelet, pod: dict) -> None:
        self.kubelet = kubelet
        self.pod = pod
        self.uid: str = pod["metadata"]["uid"]
        self.removed = False                    # gone from the API server
        self.ip = ""
        self.sandbox_ready = False
        self.mounts: list[dict] = []
        self.volume_paths: dict[str, Path] = {}
        self.volume_kinds: dict[str, str] = {}
        self.volumes_ready = False
        self._volumes_due = 0.0
        self._immutable: dict[tuple[str, str], dict] = {}   # immutable ConfigMaps/Secrets are read once
        self._tokens: dict[tuple[str, int], tuple[str, float, float]] = {}   # (audience, ttl) -> token, issued, expires
        self.waiting: dict[str, Waiting] = {}  # container name -> why it is not running
        self.backoffs: dict[str, Backoff] = {}
        self.image_backoffs: dict[str, Backoff] = {}
        self.started_at = _parse_time((pod.get("status") or {}).get("startTime")) or time.time()
        self.reason = ""                        # status.reason/message of a pod the kubelet failed
        self.message = ""
        self._wake = asyncio.Event()
        self._next_wake: float | None = None
        self._watching: set[str] = set()
        self._last_status: dict | None = None
        self._storage_due = 0.0
        self.task: asyncio.Task | None = None
        self.probes = ProbeManager(kubelet.runtime, on_change=self.poke, event=kubelet.event,
                                   sockets=kubelet.sockets)

    # ------------------------------------------------------------------ driving
    def start(self) -> None:
        self.task = asyncio.create_task(self._run(), name=f"pod-worker {_key(self.pod)}")

    def update(self, pod: dict) -> None:
        self.pod = pod
        self._wake.set()

    def remove(self) -> None:
        self.removed = True
        self._wake.set()

    def poke(self) -> None:
        self._wake.set()

    def _wake_at(self, when: float) -> None:
        if self._next_wake is None or when < self._next_wake:
            self._next_wake = when

    async def _run(self) -> None:
        try:
            await self._loop()
        finally:
            await self.probes.close()

    async def _loop(self) -> None:
        while True:
            self._wake.clear()
            self._next_wake = None
            try:
                if await self.sync():
                    return
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("pod %s: sync failed", _key(self.pod))
                self._wake_at(time.time() + 1.0)
            timeout = None if self._next_wake is None else max(0.0, self._next_wake - time.time())
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    # ------------------------------------------------------------------ the sync
    def _containers(self) -> dict[str, list[ContainerState]]:
        """This pod's containers in the runtime, by name, latest attempt last."""
        out: dict[str, list[ContainerState]] = {}
        for st in self.kubelet.runtime.list(self.uid):
            out.setdefault(st.meta.name, []).append(st)
        for attempts in out.values():
            attempts.sort(key=lambda s: (s.meta.attempt, s.meta.created_at))
        return out

    def _views(self, specs: list[dict], have: dict[str, list[ContainerState]]) -> list[ContainerView]:
        views = []
        for c in specs:
            attempts = have.get(c["name"], [])
            cur = attempts[-1] if attempts else None
            view = ContainerView(name=c["name"], image=c.get("image", ""), current=cur,
                                 previous=attempts[-2] if len(attempts) > 1 else None,
                                 waiting=self.waiting.get(c["name"]))
            if cur is not None:
                view.image_id = cur.meta.image_id
                view.started = cur.state == "running" and self.probes.started(cur.id, c)
                view.ready = view.started and self.probes.ready(cur.id, c)
                if cur.state == "running" and cur.id not in self._watching:
                    self._watch(cur.id)
            views.append(view)
        return views

    def _watch(self, cid: str) -> None:
        self._watching.add(cid)

        async def watch() -> None:
            try:
                await self.kubelet.runtime.wait(cid)
            finally:
                self._watching.discard(cid)
                self._wake.set()
        asyncio.create_task(watch(), name=f"container-exit {cid[:12]}")

    async def sync(self) -> bool:
        """One pass; True once the pod is gone for good (the worker then ends)."""
        pod = self.pod
        meta = pod["metadata"]
        spec = pod.get("spec") or {}
        if self.removed or meta.get("deletionTimestamp"):
            await self.terminate()
            return True
        if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            await self._stop_all(grace=0)
            await self._teardown_sandbox()
            return False
        deadline = spec.get("activeDeadlineSeconds")
        if deadline is not None and time.time() - self.started_at >= deadline:
            return await self._deadline_exceeded()
        if deadline is not None:
            self._wake_at(self.started_at + deadline)
        if not self.sandbox_ready:
            await self._setup_sandbox()
        volumes_ok = await self._sync_volumes()
        evicted = self.message if self.reason == "Evicted" else await self._storage_exceeded(now=time.time())
        if evicted:
            return await self._fail("Evicted", evicted, grace=EVICTION_GRACE)
        have = self._containers()
        running = [st for attempts in have.values() for st in attempts[-1:] if st.state == "running"]
        self.probes.sync(self.pod, running, self.ip)
        if await self._restart_unhealthy(running):
            have = self._containers()
        inits = self._views(spec.get("initContainers") or [], have)
        apps = self._views(spec.get("containers") or [], have)
        policy = spec.get("restartPolicy") or "Always"
        now = time.time()
        phase = pod_phase(spec, inits, apps)
        if phase not in ("Succeeded", "Failed") and volumes_ok:
            initializing = False
            for c, v in zip(spec.get("initContainers") or [], inits):
                if v.succeeded:
                    continue
                initializing = True
                if not v.running:
                    if v.current is None or policy != "Never":
                        await self._maybe_start(c, v, init=True, now=now)
                break
            if not initializing:
                for c, v in zip(spec.get("containers") or [], apps):
                    if v.running:
                        continue
                    if v.current is None or (v.current.state == "exited" and self._restarts(policy, v.current)):
                        await self._maybe_start(c, v, init=False, now=now)
            await self._start_ephemeral(spec.get("ephemeralContainers") or [], have, now)
            have = self._containers()
            inits = self._views(spec.get("initContainers") or [], have)
            apps = self._views(spec.get("containers") or [], have)
            if initializing:
                for v in apps:
                    if v.current is None and v.waiting is None:
                        v.waiting = Waiting("PodInitializing")
            phase = pod_phase(spec, inits, apps)
        await self._report(inits, apps, phase)
        if phase in ("Succeeded", "Failed"):
            await self._stop_all(grace=0)
            await self._teardown_sandbox()
        return False

    async def _deadline_exceeded(self) -> bool:
        """activeDeadlineSeconds passed: everything is stopped and the pod Failed."""
        return await self._fail("DeadlineExceeded", "Pod was active on the node longer than the specified deadline",
                                grace=self._grace())

    async def _storage_exceeded(self, now: float) -> str:
        """Every STORAGE_CHECK_INTERVAL: why the pod is to be evicted for the disk its
        emptyDirs use, or ""."""
        volumes = [v for v in (self.pod.get("spec") or {}).get("volumes") or []
                   if (v.get("emptyDir") or {}).get("sizeLimit") is not None]
        if not volumes:
            return ""
        if now < self._storage_due:
            self._wake_at(self._storage_due)
            return ""
        self._storage_due = now + STORAGE_CHECK_INTERVAL
        self._wake_at(self._storage_due)
        return await asyncio.to_thread(empty_dir_over_limit, volumes, dict(self.volume_paths))

    async def _fail(self, reason: str, message: str, *, grace: float) -> bool:
        """The kubelet ends the pod (a deadline, an eviction): its containers are stopped
        and it is Failed with ``reason``, told in an event too."""
        if self.reason != reason:
            self.kubelet.event(self.pod, "Warning", reason, message)
        self.reason, self.message = reason, message
        spec = self.pod.get("spec") or {}
        await self._stop_all(grace=grace)
        self.waiting.clear()
        have = self._containers()
        await self._report(self._views(spec.get("initContainers") or [], have),
                           self._views(spec.get("containers") or [], have), "Failed")
        await self._teardown_sandbox()
        return False

    async def _start_ephemeral(self, specs: list[dict], have: dict[str, list[ContainerState]], now: float) -> None:
        """Ephemeral containers (kubectl debug) start once, even while the pod initializes,
        and are never restarted; one that could not be created is retried with back-off."""
        for c in specs:
            backoff = self.backoffs.get(c["name"])
            if c["name"] in have or (backoff is not None and not backoff.ready(now, backoff.last)):
                continue
            await self._start(c, 0, init=False)

    @staticmethod
    def _restarts(policy: str, st: ContainerState) -> bool:
        return policy == "Always" or (policy == "OnFailure" and st.exit_code != 0)

    async def _maybe_start(self, c: dict, v: ContainerView, *, init: bool, now: float) -> None:
        """Start the container's next attempt, unless its back-off says wait."""
        name = c["name"]
        backoff = self.backoffs.setdefault(name, Backoff())
        cur = v.current
        if cur is not None and cur.state == "exited":
            finished = cur.finished_at or now
            if cur.started_at and finished - cur.started_at >= 2 * BACKOFF_MAX:
                backoff.delay = 0.0     # it ran long enough: start over
            if not backoff.ready(now, finished):
                self.waiting[name] = Waiting(
                    "CrashLoopBackOff", f"back-off {_seconds(backoff.delay)} restarting failed container={name} "
                    f"pod={self.pod['metadata']['name']}_{self.pod['metadata'].get('namespace', '')}({self.uid})")
                self._wake_at(finished + backoff.delay)
                if v.waiting is None or v.waiting.reason != "CrashLoopBackOff":
                    self.kubelet.event(self.pod, "Warning", "BackOff",
                                       f"Back-off restarting failed container {name} in pod "
                                       f"{self.pod['metadata']['name']}_{self.pod['metadata'].get('namespace', '')}"
                                       f"({self.uid})")
                return
            backoff.next(now)
        attempt = 0 if cur is None else cur.meta.attempt + 1
        await self._start(c, attempt, init=init)

    async def _start(self, c: dict, attempt: int, *, init: bool) -> None:
        name = c["name"]
        k = self.kubelet
        image = await self._ensure_image(c)
        if image is None:
            return
        try:
            env, warnings = await k.resolve_env(self.pod, c, pod_ip=self.ip)
        except (EnvError, APIStatusError) as e:
            message = str(e) if isinstance(e, EnvError) else e.message
            self.waiting[name] = Waiting("CreateContainerConfigError", message)
            k.event(self.pod, "Warning", "Failed", f"Error: {message}")
            self._wake_at(time.time() + 2.0)
            return
        for w in warnings:
            k.event(self.pod, "Warning", "Failed", w)
        lower = await asyncio.to_thread(k.images.rootfs, image)
        config = await asyncio.to_thread(k.images.read_json, image.config)
        meta = self.pod["metadata"]
        log_path = str(k.pod_log_dir(self.pod) / name / f"{attempt}.log")
        cmeta = ContainerMeta(pod_uid=self.uid, pod_namespace=meta.get("namespace", ""), pod_name=meta["name"],
                              name=name, attempt=attempt, image=c.get("image", ""),
                              image_id=image_id(image), log_path=log_path, init=init)
        pid_namespace = ""
        target = c.get("targetContainerName")
        if target:   # a debug container sees the target's processes
            current = (self._containers().get(target) or [None])[-1]
            if current is None or current.state != "running" or not current.pid:
                message = f"the target container {target!r} is not running"
                self.waiting[name] = Waiting("CreateContainerError", message)
                k.event(self.pod, "Warning", "Failed", f"Error: {message}")
                self.backoffs.setdefault(name, Backoff()).next(time.time())
                self._wake_at(time.time() + self.backoffs[name].delay)
                return
            pid_namespace = f"/proc/{current.pid}/ns/pid"
        try:
            profile = seccomp_for(self.pod.get("spec") or {}, c, capabilities(c.get("securityContext") or {}),
                                  profile_root=k.config.agent_dir / "seccomp")
            mounts = self.mounts + volume_mounts(c, self.volume_paths, self.volume_kinds)
            spec = oci_spec(self.pod, c, config, rootfs=lower, env=env, netns_path=self.netns_path,
                            cgroups_path="", memory_capacity=k.machine.memory, extra_mounts=mounts,
                            pids_limit=k.config.pod_pids_limit, seccomp=profile, pid_namespace=pid_namespace)
            stdin = ("once" if c.get("stdinOnce") else "open") if c.get("stdin") else ""
            st = await k.runtime.run(cmeta, spec, lower, pod_qos(self.pod.get("spec") or {}), stdin=stdin)
        except (SpecError, SeccompError, RuntimeError_, VolumeError) as e:
            reason = getattr(e, "reason", "CreateContainerConfigError" if isinstance(e, VolumeError)
                             else "CreateContainerError")
            self.waiting[name] = Waiting(reason, str(e))
            k.event(self.pod, "Warning", "Failed", f"Error: {e}")
            self.backoffs.setdefault(name, Backoff()).next(time.time())
            self._wake_at(time.time() + self.backoffs[name].delay)
            return
        self.waiting.pop(name, None)
        k.event(self.pod, "Normal", "Created", f"Created container: {name}")
        k.event(self.pod, "Normal", "Started", f"Started container {name}")
        self._watch(st.id)
        await self._prune(name, keep=st.id)
        hook = (c.get("lifecycle") or {}).get("postStart")
        if hook:
            result, message = await run_handler(hook, self._target(c, st), k.runtime, timeout=POST_START_TIMEOUT)
            if result == "failure":
                k.event(self.pod, "Warning", "FailedPostStartHook",
                        f"PostStartHook failed: {message}" if message else "PostStartHook failed")
                k.event(self.pod, "Normal", "Killing", "FailedPostStartHook")
                await self._kill({**c, "lifecycle": {}}, st, self._grace())

    async def _prune(self, name: str, keep: str) -> None:
        """Keep the new attempt and the one before it (for lastState and logs --previous)."""
        attempts = self._containers().get(name, [])
        for st in attempts[:-2]:
            if st.id != keep:
                await self.kubelet.runtime.remove(st.id)

    async def _ensure_image(self, c: dict) -> Image | None:
        """The container's image by its pull policy; None (with a waiting reason) if not yet."""
        k = self.kubelet
        name = c["name"]
        ref = c.get("image", "")
        policy = c.get("imagePullPolicy") or ("Always" if _latest(ref) else "IfNotPresent")
        present = await asyncio.to_thread(k.images.get, ref)
        if present is not None and policy != "Always":
            if name not in self.waiting or self.waiting[name].reason in ("ErrImagePull", "ImagePullBackOff"):
                k.event(self.pod, "Normal", "Pulled", f'Container image "{ref}" already present on machine')
            return present
        if policy == "Never":
            message = f'Container image "{ref}" is not present with pull policy of Never'
            self.waiting[name] = Waiting("ErrImageNeverPull", message)
            k.event(self.pod, "Warning", "ErrImageNeverPull", message)
            self._wake_at(time.time() + 5.0)
            return None
        backoff = self.image_backoffs.setdefault(name, Backoff())
        now = time.time()
        if not backoff.ready(now, backoff.last):
            self.waiting[name] = Waiting("ImagePullBackOff", f'Back-off pulling image "{ref}"')
            k.event(self.pod, "Normal", "BackOff", f'Back-off pulling image "{ref}"')
            self._wake_at(backoff.last + backoff.delay)
            return None
        k.event(self.pod, "Normal", "Pulling", f'Pulling image "{ref}"')
        started = time.monotonic()
        try:
            secrets = await k.pull_secrets(self.pod)
            image = await k.puller.pull(ref, credentials_for(parse_reference(ref).registry, secrets))
        except (PullError, ImageError, OSError) as e:
            if present is not None:   # Always, but the registry is unreachable: what we have will do
                return present
            backoff.next(time.time(), IMAGE_BACKOFF_INITIAL)
            message = f'Failed to pull image "{ref}": {e}'
            self.waiting[name] = Waiting("ErrImagePull", message)
            k.event(self.pod, "Warning", "Failed", message)
            k.event(self.pod, "Warning", "Failed", "Error: ErrImagePull")
            self._wake_at(time.time() + backoff.delay)
            return None
        took = time.monotonic() - started
        k.event(self.pod, "Normal", "Pulled", f'Successfully pulled image "{ref}" in {_seconds(took)} '
                f"({_seconds(took)} including waiting). Image size: {image_size(image)} bytes.")
        self.image_backoffs.pop(name, None)
        return image

    # ------------------------------------------------------------------ sandbox
    @property
    def netns_path(self) -> str:
        return self._netns_path

    async def _setup_sandbox(self) -> None:
        k = self.kubelet
        if (self.pod.get("spec") or {}).get("hostNetwork"):
            self._netns_path = ""
            self.ip = k.node_ip
        else:
            net = await asyncio.to_thread(k.network.setup_pod, self.uid)
            self._netns_path = net.netns_path
            self.ip = net.ip
        self.mounts = await asyncio.to_thread(
            write_pod_files, k.pod_dir(self.uid), self.pod, self.ip, cluster_dns=k.config.cluster_dns,
            cluster_domain=k.config.cluster_domain)
        self.sandbox_ready = True

    # ------------------------------------------------------------------ volumes
    async def _sync_volumes(self) -> bool:
        """Set the pod's volumes up, and rewrite its API data volumes once a minute; True
        once every volume could be set up (containers start only then)."""
        now = time.time()
        if self.volumes_ready and now < self._volumes_due:
            self._wake_at(self._volumes_due)
            return True
        failed = False
        for volume in (self.pod.get("spec") or {}).get("volumes") or []:
            name = volume.get("name", "")
            try:
                await self._set_up(volume)
            except (VolumeError, OSError) as e:
                failed = True
                self.kubelet.event(self.pod, "Warning", "FailedMount",
                                   f'MountVolume.SetUp failed for volume "{name}" : {e}')
        if failed:
            self._wake_at(now + 2.0)
            return self.volumes_ready   # a running pod keeps its last good files
        self.volumes_ready = True
        self._volumes_due = now + self.kubelet.config.sync_frequency
        self._wake_at(self._volumes_due)
        return True

    async def _set_up(self, volume: dict) -> None:
        k = self.kubelet
        name, kind = volume.get("name", ""), kind_of(volume)
        if kind not in API_VOLUMES:
            if name not in self.volume_paths:
                self.volume_paths[name] = await asyncio.to_thread(
                    setup_volume, k.pod_dir(self.uid), volume, memory_capacity=k.machine.memory)
                self.volume_kinds[name] = kind
            return
        objects = {ref: await self._api_object(*ref) for ref in api_refs(volume)}
        tokens = {src["path"]: await self._token(src["audience"], src["expirationSeconds"])
                  for src in token_sources(volume)}
        payload = payload_for(self.pod, volume, lookup=lambda plural, n: objects.get((plural, n)),
                              allocatable=k.node.allocatable, tokens=tokens)
        path = await asyncio.to_thread(setup_volume, k.pod_dir(self.uid), volume, memory_capacity=0)
        await asyncio.to_thread(write_atomic, path, payload)
        self.volume_paths[name], self.volume_kinds[name] = path, kind

    async def _token(self, audience: str, ttl: int) -> str:
        """A token of the pod's service account bound to the pod (TokenRequest), renewed
        once 80% of its life has passed, as upstream's token manager does."""
        key = (audience, ttl)
        cached = self._tokens.get(key)
        now = time.time()
        if cached is not None and now < cached[1] + 0.8 * (cached[2] - cached[1]):
            return cached[0]
        meta, spec = self.pod["metadata"], self.pod.get("spec") or {}
        account = spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"
        body = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                "spec": {"audiences": [audience] if audience else None, "expirationSeconds": ttl,
                         "boundObjectRef": {"apiVersion": "v1", "kind": "Pod", "name": meta["name"],
                                            "uid": meta["uid"]}}}
        try:
            answer = await self.kubelet.client.request(
                "POST", f"/api/v1/namespaces/{meta.get('namespace', '')}/serviceaccounts/{account}/token", body=body)
        except APIStatusError as e:
            raise VolumeError(f"failed to fetch token: {e.message}") from None
        token = answer["status"]["token"]
        expires = dt.datetime.fromisoformat(answer["status"]["expirationTimestamp"].replace("Z", "+00:00")).timestamp()
        self._tokens[key] = (token, now, expires)
        return token

    async def _api_object(self, plural: str, name: str) -> dict | None:
        key = (plural, name)
        if key in self._immutable:
            return self._immutable[key]
        obj = await self.kubelet.get_object(plural, self.pod["metadata"].get("namespace", ""), name)
        if obj is not None and obj.get("immutable"):
            self._immutable[key] = obj
        return obj

    async def _teardown_sandbox(self) -> None:
        if not self.sandbox_ready and not (self.kubelet.pod_dir(self.uid)).exists():
            return
        await asyncio.to_thread(self.kubelet.network.teardown_pod, self.uid)
        self.sandbox_ready = False

    # ------------------------------------------------------------------ stopping
    def _container_spec(self, name: str) -> dict:
        return container_spec(self.pod, name)

    def _grace(self) -> float:
        return float((self.pod.get("spec") or {}).get("terminationGracePeriodSeconds", 30))

    async def _restart_unhealthy(self, running: list[ContainerState]) -> bool:
        """Kill containers whose liveness (or startup) probe failed; True if any was."""
        killed = False
        for st in running:
            kind = self.probes.liveness_failed(st.id)
            if kind is None:
                continue
            c = self._container_spec(st.meta.name)
            self.kubelet.event(self.pod, "Normal", "Killing",
                               f"Container {st.meta.name} failed {kind} probe, will be restarted")
            probe = c.get(f"{kind}Probe") or {}
            grace = probe.get("terminationGracePeriodSeconds")
            await self._kill(c, st, float(grace) if grace is not None else self._grace())
            killed = True
        return killed

    def _target(self, c: dict, st: ContainerState) -> HandlerTarget:
        return target_for(c, st.id, self.ip, self.kubelet.sockets)

    async def _kill(self, c: dict, st: ContainerState, grace: float) -> None:
        """preStop (within the grace period), then SIGTERM, then SIGKILL when the rest of
        the grace period is over (never less than 2 s after the preStop hook, as upstream)."""
        hook = (c.get("lifecycle") or {}).get("preStop")
        if hook and grace > 0:
            started = time.monotonic()
            try:
                result, message = await asyncio.wait_for(
                    run_handler(hook, self._target(c, st), self.kubelet.runtime, timeout=grace), grace)
            except asyncio.TimeoutError:
                result, message = "failure", f"PreStopHook timed out after {_seconds(grace)}"
            if result == "failure":
                self.kubelet.event(self.pod, "Warning", "FailedPreStopHook",
                                   f"PreStopHook failed: {message}" if message else "PreStopHook failed")
            grace = max(grace - (time.monotonic() - started), 2.0)
        await self.kubelet.runtime.stop(st.id, grace)

    async def _stop_all(self, grace: float) -> None:
        running = [st for attempts in self._containers().values() for st in attempts if st.state == "running"]
        if not running:
            return
        for st in running:
            self.kubelet.event(self.pod, "Normal", "Killing", f"Stopping container {st.meta.name}")
        await asyncio.gather(*(self._kill(self._container_spec(st.meta.name), st, grace) for st in running))

    async def terminate(self) -> None:
        """Stop everything, report the final status, confirm the deletion, clean up."""
        meta = self.pod["metadata"]
        grace = meta.get("deletionGracePeriodSeconds")
        if grace is None:
            grace = (self.pod.get("spec") or {}).get("terminationGracePeriodSeconds", 30)
        await self._stop_all(float(grace))
        if not self.removed:
            spec = self.pod.get("spec") or {}
            have = self._containers()
            inits = self._views(spec.get("initContainers") or [], have)
            apps = self._views(spec.get("containers") or [], have)
            self.waiting.clear()
            for v in inits + apps:
                v.waiting = None
            phase = (self.pod.get("status") or {}).get("phase") or "Pending"
            if phase not in ("Succeeded", "Failed"):
                phase = pod_phase(spec, inits, apps)
                if phase in ("Pending", "Running"):
                    phase = "Failed" if spec.get("restartPolicy") == "Never" else phase
            with contextlib.suppress(APIStatusError):
                await self._report(inits, apps, phase)
        self.probes.stop()
        for attempts in self._containers().values():
            for st in attempts:
                await self.kubelet.runtime.remove(st.id)
        await self._teardown_sandbox()
        await asyncio.to_thread(release_volumes, self.kubelet.pod_dir(self.uid))
        await asyncio.to_thread(shutil.rmtree, self.kubelet.pod_dir(self.uid), True)
        await asyncio.to_thread(shutil.rmtree, self.kubelet.pod_log_dir(self.pod), True)
        if not self.removed:
            try:
                await self.kubelet.client.delete("", "v1", "pods", meta["name"], namespace=meta.get("namespace", ""),
                                                 grace_period_seconds=0, preconditions={"uid": self.uid})
            except APIStatusError as e:
                if e.code not in (404, 409):
                    raise

    # ------------------------------------------------------------------ status
    async def _report(self, inits: list[ContainerView], apps: list[ContainerView], phase: str) -> None:
        k = self.kubelet
        pod = self.pod
        status: dict[str, Any] = {
            "phase": phase,
            "conditions": pod_conditions(pod, inits, apps, sandbox_ready=self.sandbox_ready, phase=phase,
                                         now=rfc3339(time.time()) or ""),
            "hostIP": k.node_ip, "hostIPs": [{"ip": k.node_ip}],
            "startTime": (pod.get("status") or {}).get("startTime") or rfc3339(self.started_at),
            "containerStatuses": [container_status(v) for v in apps],
        }
        if inits:
            status["initContainerStatuses"] = [container_status(v) for v in inits]
        ephemeral = (pod.get("spec") or {}).get("ephemeralContainers") or []
        if ephemeral:
            status["ephemeralContainerStatuses"] = [ephemeral_status(v) for v in self._views(ephemeral, self._containers())]
        if self.reason:
            status["reason"], status["message"] = self.reason, self.message
        if self.ip:
            status["podIP"] = self.ip
            status["podIPs"] = [{"ip": self.ip}]
        comparable = {**status, "conditions": [{**c, "lastTransitionTime": None} for c in status["conditions"]]}
        if comparable == self._last_status:
            return
        meta = pod["metadata"]
        try:
            updated = await k.client.patch("", "v1", "pods", meta["name"], {"status": status},
                                           namespace=meta.get("namespace", ""), subresource="status",
                                           patch_type="strategic")
        except APIStatusError as e:
            if e.code == 404:
                self.removed = True
                self._wake.set()
                return
            raise
        self._last_status = comparable
        if updated.get("metadata", {}).get("uid") == self.uid:
            self.pod = updated if not self.pod["metadata"].get("deletionTimestamp") else self.pod


def image_id(image: Image) -> str:
    """What containerStatuses[].imageID shows: the repository at the manifest digest."""
    ref = parse_reference(image.name)
    return f"{ref.registry}/{ref.repository}@{image.manifest}"


def image_size(image: Image) -> int:
    return image.size


def _parse_time(text: str | None) -> float | None:
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _latest(ref: str) -> bool:
    """upstream's default pull policy: Always for ``:latest`` or no tag (and no digest)."""
    if "@" in ref:
        return False
    last = ref.rsplit("/", 1)[-1]
    return ":" not in last or last.endswith(":latest")


def _seconds(s: float) -> str:
    """A Go duration's text, as upstream's messages print them (``10s``, ``1m20s``, ``1.234s``)."""
    if s >= 60:
        m, rest = divmod(int(s), 60)
        return f"{m}m{rest}s" if rest else f"{m}m0s"
    if s < 1:
        return f"{int(s * 1000)}ms"
    return f"{s:.3f}".rstrip("0").rstrip(".") + "s"   # to the millisecond, as the kubelet truncates


def ephemeral_status(view: ContainerView) -> dict:
    """An ephemeral container's status: never ready, and no ``started`` (no probes)."""
    out = container_status(view)
    out["ready"] = False
    out.pop("started", None)
    return out
