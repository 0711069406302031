"""A stand-in for a kubelet, for tests that need pods to become Ready before the real
scheduler and kubelet exist: it binds each new pod of its namespace to a Node of its
own, then reports it Running and Ready (after ``ready_delay`` seconds, one status write
per pod as a kubelet does), and finishes graceful deletions at once (a bound pod is
deleted with a grace period and stays until its kubelet confirms with a zero-grace delete).

It runs an asyncio loop in a thread, so synchronous tests drive kubectl meanwhile.
``hold()`` stops it marking new pods Ready (to leave a rollout stuck); ``release()``
resumes.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import threading
from pathlib import Path

from kybernetes.client import APIStatusError, Client, resource_path


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeKubelet:
    def __init__(self, kubeconfig: Path, namespace: str, *, node: str = "fake-node", ready_delay: float = 0.0) -> None:
        self.kubeconfig = kubeconfig
        self.namespace = namespace
        self.node = node
        self.ready_delay = ready_delay
        self._held = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=f"fake-kubelet-{namespace}", daemon=True)
        self._task: asyncio.Task | None = None
        self._pending: dict[str, tuple[dict, float]] = {}   # pods to report Ready, and when first seen

    def start(self) -> FakeKubelet:
        async def spawn() -> asyncio.Task:
            return asyncio.get_running_loop().create_task(self._run())
        self._thread.start()
        self._task = asyncio.run_coroutine_threadsafe(spawn(), self._loop).result(10)
        return self

    def stop(self) -> None:
        """Stop; re-raises what made the loop fail, so a test sees why pods never got Ready."""
        async def finish() -> BaseException | None:
            task = self._task
            if task.done():
                return None if task.cancelled() else task.exception()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            return None
        failure = asyncio.run_coroutine_threadsafe(finish(), self._loop).result(10) if self._task else None
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
        if failure is not None:
            raise RuntimeError("the fake kubelet failed") from failure

    def hold(self) -> None:
        self._held.set()

    def release(self) -> None:
        self._held.clear()

    # ------------------------------------------------------------------ the loop
    async def _run(self) -> None:
        client = await Client.from_kubeconfig(str(self.kubeconfig), qps=0, user_agent="fake-kubelet/0.1")
        try:
            await self._ensure_node(client)
            background = asyncio.create_task(self._report_pending(client))
            try:
                while True:  # the watch ends on the server's timeout: start another
                    listed = await client.list("", "v1", "pods", namespace=self.namespace)
                    for pod in listed["items"]:
                        await self._handle(client, pod)
                    rv = listed["metadata"]["resourceVersion"]
                    async for etype, pod in client.watch("", "v1", "pods", namespace=self.namespace,
                                                         resource_version=rv, timeout_seconds=60):
                        if etype in ("ADDED", "MODIFIED"):
                            await self._handle(client, pod)
            finally:
                background.cancel()
        finally:
            await client.close()

    async def _ensure_node(self, client: Client) -> None:
        try:
            await client.create("", "v1", "nodes", {"metadata": {"name": self.node}})
        except APIStatusError as e:
            if e.code != 409:
                raise

    async def _handle(self, client: Client, pod: dict) -> None:
        meta, spec, status = pod["metadata"], pod.get("spec") or {}, pod.get("status") or {}
        name = meta["name"]
        try:
            if meta.get("deletionTimestamp"):
                self._pending.pop(name, None)
                await client.delete("", "v1", "pods", name, namespace=self.namespace, grace_period_seconds=0,
                                    preconditions={"uid": meta["uid"]})
                return
            if not spec.get("nodeName"):
                await client.request("POST", resource_path("", "v1", "pods", self.namespace, name, "binding"), body={
                    "apiVersion": "v1", "kind": "Binding", "metadata": {"name": name, "uid": meta["uid"]},
                    "target": {"apiVersion": "v1", "kind": "Node", "name": self.node}})
                return  # the binding's MODIFIED event brings the pod back here
            if status.get("phase") != "Running":
                self._pending.setdefault(name, (pod, asyncio.get_running_loop().time()))
        except APIStatusError as e:
            if e.code not in (404, 409):
                raise

    async def _report_pending(self, client: Client) -> None:
        """Report pods Ready once they have waited ``ready_delay`` (unless held)."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(0.05)
            if self._held.is_set():
                continue
            for name, (pod, seen) in list(self._pending.items()):
                if loop.time() - seen >= self.ready_delay and self._pending.pop(name, None) is not None:
                    await self._report_ready(client, pod)

    async def _report_ready(self, client: Client, pod: dict) -> None:
        name = pod["metadata"]["name"]
        now = _now()
        containers = (pod.get("spec") or {}).get("containers") or []
        status = {
            "phase": "Running", "hostIP": "127.0.0.1", "hostIPs": [{"ip": "127.0.0.1"}],
            "podIP": "10.42.0.1", "podIPs": [{"ip": "10.42.0.1"}], "startTime": now,
            "conditions": [{"type": t, "status": "True", "lastProbeTime": None, "lastTransitionTime": now}
                           for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")],
            "containerStatuses": [{"name": c["name"], "image": c.get("image", ""), "imageID": "",
                                   "ready": True, "started": True, "restartCount": 0,
                                   "state": {"running": {"startedAt": now}}} for c in containers],
        }
        try:
            await client.patch("", "v1", "pods", name, {"status": status}, namespace=self.namespace,
                               subresource="status", patch_type="merge")
        except APIStatusError as e:
            if e.code not in (404, 409):
                raise
