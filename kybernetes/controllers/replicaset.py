"""The ReplicaSet controller: keeps ``spec.replicas`` active pods matching ``spec.selector``.

Keys are ``namespace/name`` of apps/v1 ReplicaSets. ``reconcile(key)`` reads both
informer caches and:

1. **claims** the active pods of the namespace (not Succeeded/Failed, not being
   deleted): a pod we control that still matches the selector is kept, one that no
   longer matches is *released* (our ownerReference removed), and an orphan that
   matches is *adopted* (a controller ownerReference added) -- unless the ReplicaSet
   itself is being deleted, in which case it neither adopts nor releases;
2. **manages** the count: too few pods are created from ``spec.template`` in slow-start
   batches (1, 2, 4 ...; a failing batch stops the rest), too many are deleted, least
   valuable first (unscheduled before scheduled, Pending < Unknown < Running, not
   ready before ready, doubled-up on a node first, recently ready first, more restarts
   first, newer first);
3. writes **status** through the status subresource: replicas, fullyLabeledReplicas,
   readyReplicas, availableReplicas (Ready for ``minReadySeconds``), observedGeneration
   and the ``ReplicaFailure`` condition when creating or deleting failed.

**Expectations** keep a slow watch from causing duplicate pods: before creating N pods
(or deleting some) the controller records what it expects to see, and the informer's
handlers count the observations down. Step 2 is skipped while expectations are
pending; they expire after :data:`EXPECTATIONS_TIMEOUT` seconds (5 minutes, as upstream)
in case an event was lost.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..api.selectors import SelectorError, label_selector_from_dict
from ..client import APIStatusError, Controller, Result
from .base import ControllerContext, EventingController, parse_time, rfc3339

log = logging.getLogger(__name__)

__all__ = ["BURST_REPLICAS", "EXPECTATIONS_TIMEOUT", "Expectations", "ReplicaSetController",
           "new_replicaset_controller", "pod_deletion_order"]

BURST_REPLICAS = 500            # at most this many creates/deletes per reconcile (upstream's burstReplicas)
EXPECTATIONS_TIMEOUT = 300.0    # upstream's ExpectationsTimeout
SLOW_START_INITIAL_BATCH = 1
DELETION_COST_ANNOTATION = "controller.kubernetes.io/pod-deletion-cost"

GROUP, VERSION, PLURAL, KIND = "apps", "v1", "replicasets", "ReplicaSet"


# ---------------------------------------------------------------------------- expectations
@dataclass
class _Expectation:
    adds: int = 0
    deletes: set[str] = field(default_factory=set)   # pod keys we asked to delete, not yet seen gone
    stamp: float = 0.0


class Expectations:
    """Creates and deletes a controller is waiting to observe, per controller key.

    Deletes are tracked by pod key (like upstream's UID-tracking expectations), so the
    same pod observed deleted twice (update with deletionTimestamp, then delete) counts once.
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic,
                 timeout: float = EXPECTATIONS_TIMEOUT) -> None:
        self.clock = clock
        self.timeout = timeout
        self._by_key: dict[str, _Expectation] = {}

    def satisfied(self, key: str) -> bool:
        e = self._by_key.get(key)
        if e is None:
            return True  # never recorded (or forgotten): act
        if e.adds <= 0 and not e.deletes:
            return True
        if self.clock() - e.stamp > self.timeout:
            log.info("%s: expectations expired (adds %d, deletes %d)", key, e.adds, len(e.deletes))
            return True
        return False

    def remaining_time(self, key: str) -> float:
        e = self._by_key.get(key)
        return 0.0 if e is None else max(0.0, self.timeout - (self.clock() - e.stamp))

    def expect_creations(self, key: str, n: int) -> None:
        self._by_key[key] = _Expectation(adds=n, stamp=self.clock())

    def expect_deletions(self, key: str, pod_keys: list[str]) -> None:
        self._by_key[key] = _Expectation(deletes=set(pod_keys), stamp=self.clock())

    def creation_observed(self, key: str, n: int = 1) -> None:
        e = self._by_key.get(key)
        if e is not None:
            e.adds -= n

    def deletion_observed(self, key: str, pod_key: str) -> None:
        e = self._by_key.get(key)
        if e is not None:
            e.deletes.discard(pod_key)

    def forget(self, key: str) -> None:
        self._by_key.pop(key, None)

    def pending(self, key: str) -> tuple[int, int] | None:
        e = self._by_key.get(key)
        return None if e is None else (e.adds, len(e.deletes))


# ---------------------------------------------------------------------------- pod helpers
def _meta(obj: dict) -> dict:
    return obj.get("metadata") or {}


def _key(obj: dict) -> str:
    m = _meta(obj)
    return f"{m.get('namespace', '')}/{m.get('name', '')}"


def _group_of(api_version: str) -> str:
    return api_version.rpartition("/")[0]


def controller_ref(obj: dict) -> dict | None:
    for ref in _meta(obj).get("ownerReferences") or []:
        if ref.get("controller"):
            return ref
    return None


def is_active(pod: dict) -> bool:
    phase = (pod.get("status") or {}).get("phase")
    return phase not in ("Succeeded", "Failed") and not _meta(pod).get("deletionTimestamp")


def _ready_condition(pod: dict) -> dict | None:
    for c in (pod.get("status") or {}).get("conditions") or []:
        if c.get("type") == "Ready":
            return c
    return None


def is_ready(pod: dict) -> bool:
    c = _ready_condition(pod)
    return bool(c and c.get("status") == "True")


def available_in(pod: dict, min_ready_seconds: int, now: float) -> float | None:
    """``0`` when the pod is available now, seconds until it will be if Ready but not yet
    for long enough, ``None`` when it is not Ready."""
    c = _ready_condition(pod)
    if not c or c.get("status") != "True":
        return None
    if min_ready_seconds <= 0:
        return 0.0
    since = parse_time(c.get("lastTransitionTime"))
    if since is None:
        return 0.0
    return max(0.0, since + min_ready_seconds - now)


def _restarts(pod: dict) -> int:
    return sum(int(s.get("restartCount") or 0) for s in (pod.get("status") or {}).get("containerStatuses") or [])


_PHASE_RANK = {"Pending": 0, "Unknown": 1, "Running": 2}


def pod_deletion_order(pods: list[dict], ranks: dict[str, int] | None = None) -> list[dict]:
    """Pods sorted so that the ones to delete first come first (upstream's ActivePodsWithRanks)."""
    ranks = ranks or {}

    def sort_key(pod: dict) -> tuple:
        spec, status, meta = pod.get("spec") or {}, pod.get("status") or {}, _meta(pod)
        ready = is_ready(pod)
        try:
            cost = int((meta.get("annotations") or {}).get(DELETION_COST_ANNOTATION, 0))
        except ValueError:
            cost = 0
        ready_since = parse_time((_ready_condition(pod) or {}).get("lastTransitionTime")) if ready else None
        created = parse_time(meta.get("creationTimestamp"))
        return (
            1 if spec.get("nodeName") else 0,                   # unassigned first
            _PHASE_RANK.get(status.get("phase") or "Pending", 0),  # Pending < Unknown < Running
            1 if ready else 0,                                   # not ready first
            cost,                                                # lower deletion cost first
            -ranks.get(_key(pod), 0),                            # doubled up on a node first
            -(ready_since or float("inf")) if ready else 0,      # ready for less time first
            -_restarts(pod),                                     # more restarts first
            0 if created is None else 1, -(created or 0),        # no timestamp, then newer first
        )
    return sorted(pods, key=sort_key)


def _ranks_by_colocation(to_rank: list[dict], related: list[dict]) -> dict[str, int]:
    on_node: dict[str, int] = {}
    for p in related:
        node = (p.get("spec") or {}).get("nodeName")
        if node and is_active(p):
            on_node[node] = on_node.get(node, 0) + 1
    return {_key(p): on_node.get((p.get("spec") or {}).get("nodeName") or "", 0) for p in to_rank}


# ---------------------------------------------------------------------------- the controller
class ReplicaSetController(EventingController):
    """Also the ReplicationController controller: a subclass changes only what the
    class attributes below name (the resource, and how its selector is written)."""

    name = "replicaset"
    group, version, plural, kind = GROUP, VERSION, PLURAL, KIND
    component = "replicaset-controller"   # the source of its Events

    @staticmethod
    def selector_of(spec: dict) -> Any:
        """The owner's pod selector (apps/v1 ReplicaSets use a LabelSelector)."""
        return label_selector_from_dict(spec.get("selector"))

    def __init__(self, ctx: ControllerContext, *, workers: int = 5, burst_replicas: int = BURST_REPLICAS,
                 expectations_timeout: float = EXPECTATIONS_TIMEOUT) -> None:
        self.client = ctx.client
        self.burst_replicas = burst_replicas
        self.expectations = Expectations(timeout=expectations_timeout)
        self.replicasets = ctx.informers.informer(self.group, self.version, self.plural)
        self.pods = ctx.informers.informer("", "v1", "pods")
        self.controller = Controller(self.name, self.reconcile, workers=workers)
        self.replicasets.add_event_handler(on_add=self._on_rs, on_update=self._on_rs_update,
                                           on_delete=self._on_rs_delete)
        self.pods.add_event_handler(on_add=self._on_pod_add, on_update=self._on_pod_update,
                                    on_delete=self._on_pod_delete)

    # ------------------------------------------------------------------ event handlers
    def _on_rs(self, rs: dict) -> None:
        self.controller.enqueue(_key(rs))

    def _on_rs_update(self, old: dict, new: dict) -> None:
        self.controller.enqueue(_key(new))

    def _on_rs_delete(self, rs: dict) -> None:
        self.expectations.forget(_key(rs))
        self.controller.enqueue(_key(rs))

    def _resolve(self, namespace: str, ref: dict | None) -> dict | None:
        """The ReplicaSet a controller reference points at, if it is one of ours and still exists."""
        if not ref or ref.get("kind") != self.kind or _group_of(ref.get("apiVersion") or "") != self.group:
            return None
        rs = self.replicasets.get(f"{namespace}/{ref.get('name')}")
        if rs is None or _meta(rs).get("uid") != ref.get("uid"):
            return None
        return rs

    def _matching_replicasets(self, pod: dict) -> list[dict]:
        ns = _meta(pod).get("namespace", "")
        labels = _meta(pod).get("labels") or {}
        if not labels:
            return []
        out = []
        for rs in self.replicasets.by_index("namespace", ns):
            try:
                sel = self.selector_of(rs.get("spec") or {})
            except SelectorError:
                continue
            if not sel.empty and sel.matches(labels):
                out.append(rs)
        return out

    def _on_pod_add(self, pod: dict) -> None:
        meta = _meta(pod)
        if meta.get("deletionTimestamp"):
            # seen for the first time already being deleted (e.g. after a relist)
            self._on_pod_delete(pod)
            return
        ref = controller_ref(pod)
        if ref is not None:
            rs = self._resolve(meta.get("namespace", ""), ref)
            if rs is not None:
                self.expectations.creation_observed(_key(rs))
                self.controller.enqueue(_key(rs))
            return
        for rs in self._matching_replicasets(pod):  # an orphan: whoever matches may adopt it
            self.controller.enqueue(_key(rs))

    def _on_pod_update(self, old: dict, new: dict) -> None:
        meta, old_meta = _meta(new), _meta(old)
        if meta.get("resourceVersion") == old_meta.get("resourceVersion"):
            return  # a resync; nothing changed
        ns = meta.get("namespace", "")
        labels_changed = (meta.get("labels") or {}) != (old_meta.get("labels") or {})
        if meta.get("deletionTimestamp") and not old_meta.get("deletionTimestamp"):
            # a graceful delete: the pod is on its way out; count the deletion now,
            # so a replacement is not held up for the grace period
            self._on_pod_delete(new)
            if labels_changed:
                self._on_pod_delete(old)
            return
        cur_ref, old_ref = controller_ref(new), controller_ref(old)
        if old_ref is not None and (cur_ref is None or cur_ref.get("uid") != old_ref.get("uid")):
            old_rs = self._resolve(ns, old_ref)
            if old_rs is not None:
                self.controller.enqueue(_key(old_rs))
        if cur_ref is not None:
            rs = self._resolve(ns, cur_ref)
            if rs is not None:
                self.controller.enqueue(_key(rs))
                mrs = int((rs.get("spec") or {}).get("minReadySeconds") or 0)
                if mrs > 0 and is_ready(new) and not is_ready(old):
                    # look again when it has been ready long enough to count as available
                    self.controller.queue.add_after(_key(rs), mrs + 0.5)
            return
        if labels_changed or old_ref is not None:
            for rs in self._matching_replicasets(new):
                self.controller.enqueue(_key(rs))

    def _on_pod_delete(self, pod: dict) -> None:
        ref = controller_ref(pod)
        rs = self._resolve(_meta(pod).get("namespace", ""), ref)
        if rs is None:
            return
        self.expectations.deletion_observed(_key(rs), _key(pod))
        self.controller.enqueue(_key(rs))

    # ------------------------------------------------------------------ lifecycle
    def synced_informers(self) -> list:
        return [self.replicasets, self.pods]

    # ------------------------------------------------------------------ reconcile
    async def reconcile(self, key: Any) -> Result | None:
        rs = self.replicasets.get(key)
        if rs is None:
            self.expectations.forget(key)
            return None
        namespace = _meta(rs).get("namespace", "")
        spec = rs.get("spec") or {}
        try:
            selector = self.selector_of(spec)
        except SelectorError as e:
            log.warning("%s %s: invalid selector: %s", self.name, key, e)
            return None
        needs_sync = self.expectations.satisfied(key)

        candidates = [p for p in self.pods.by_index("namespace", namespace) if is_active(p)]
        pods = await self._claim_pods(rs, selector, candidates)

        manage_error: Exception | None = None
        diff = len(pods) - int(spec.get("replicas", 1) if spec.get("replicas") is not None else 1)
        if needs_sync and not _meta(rs).get("deletionTimestamp"):
            try:
                await self._manage(rs, pods, diff)
            except Exception as e:  # noqa: BLE001 -- reported in status and retried below
                manage_error = e

        requeue_after = await self._update_status(rs, pods, manage_error, diff)
        if manage_error is not None:
            raise manage_error
        if not needs_sync:
            # wait for the informer; should an event be lost, look again once expectations expire
            return Result(requeue_after=self.expectations.remaining_time(key) + 1.0)
        if requeue_after is not None:
            return Result(requeue_after=requeue_after)
        return None

    # ------------------------------------------------------------------ adoption
    async def _claim_pods(self, rs: dict, selector: Any, candidates: list[dict]) -> list[dict]:
        meta = _meta(rs)
        uid = meta.get("uid")
        rs_deleting = bool(meta.get("deletionTimestamp"))
        claimed: list[dict] = []
        rechecked: bool | None = None
        for pod in candidates:
            labels = _meta(pod).get("labels") or {}
            matches = not selector.empty and selector.matches(labels)
            ref = controller_ref(pod)
            if ref is not None:
                if ref.get("uid") != uid:
                    continue  # someone else's
                if matches:
                    claimed.append(pod)
                elif not rs_deleting:
                    await self._release(rs, pod)
                continue
            if not matches or rs_deleting or _meta(pod).get("deletionTimestamp"):
                continue
            if rechecked is None:
                # the cache may lag: make sure (once) with a live read that the RS still
                # exists and is not being deleted before taking anything over
                rechecked = await self._can_adopt(rs)
            if not rechecked:
                continue
            adopted = await self._adopt(rs, pod)
            if adopted is not None:
                claimed.append(adopted)
        return claimed

    async def _can_adopt(self, rs: dict) -> bool:
        meta = _meta(rs)
        try:
            fresh = await self.client.get(self.group, self.version, self.plural, meta["name"], namespace=meta.get("namespace", ""))
        except APIStatusError as e:
            if e.code == 404:
                return False
            raise
        return _meta(fresh).get("uid") == meta.get("uid") and not _meta(fresh).get("deletionTimestamp")

    def _owner_ref(self, rs: dict) -> dict:
        meta = _meta(rs)
        api_version = f"{self.group}/{self.version}" if self.group else self.version
        return {"apiVersion": api_version, "kind": self.kind, "name": meta["name"], "uid": meta["uid"],
                "controller": True, "blockOwnerDeletion": True}

    async def _adopt(self, rs: dict, pod: dict) -> dict | None:
        pmeta = _meta(pod)
        body = {"metadata": {"ownerReferences": [self._owner_ref(rs)], "uid": pmeta.get("uid")}}
        try:
            new = await self.client.patch("", "v1", "pods", pmeta["name"], body,
                                          namespace=pmeta.get("namespace", ""), patch_type="strategic")
        except APIStatusError as e:
            if e.code in (404, 409, 422):
                return None  # gone, or replaced by another pod of the same name
            raise
        log.info("%s %s: adopted pod %s", self.name, _key(rs), pmeta["name"])
        return new

    async def _release(self, rs: dict, pod: dict) -> None:
        pmeta = _meta(pod)
        body = {"metadata": {"ownerReferences": [{"$patch": "delete", "uid": _meta(rs)["uid"]}],
                             "uid": pmeta.get("uid")}}
        try:
            await self.client.patch("", "v1", "pods", pmeta["name"], body,
                                    namespace=pmeta.get("namespace", ""), patch_type="strategic")
        except APIStatusError as e:
            if e.code in (404, 409, 422):
                return
            raise
        log.info("%s %s: released pod %s", self.name, _key(rs), pmeta["name"])

    # ------------------------------------------------------------------ creating and deleting
    def _pod_from_template(self, rs: dict) -> dict:
        meta = _meta(rs)
        template = (rs.get("spec") or {}).get("template") or {}
        tmeta = template.get("metadata") or {}
        pod_meta: dict[str, Any] = {"generateName": f"{meta['name']}-", "namespace": meta.get("namespace", ""),
                                    "labels": dict(tmeta.get("labels") or {}),
                                    "ownerReferences": [self._owner_ref(rs)]}
        if tmeta.get("annotations"):
            pod_meta["annotations"] = dict(tmeta["annotations"])
        if tmeta.get("finalizers"):
            pod_meta["finalizers"] = list(tmeta["finalizers"])
        return {"apiVersion": "v1", "kind": "Pod", "metadata": pod_meta, "spec": template.get("spec") or {}}

    async def _manage(self, rs: dict, pods: list[dict], diff: int) -> None:
        key = _key(rs)
        if diff < 0:
            want = min(-diff, self.burst_replicas)
            # record first: the informer may see the new pods before create() returns
            self.expectations.expect_creations(key, want)
            log.info("%s %s: too few replicas, creating %d", self.name, key, want)
            created, error = await self._slow_start(want, lambda: self._create_pod(rs))
            if created < want:
                # the failed and skipped creates will never be observed
                self.expectations.creation_observed(key, want - created)
            if error is not None:
                raise error
        elif diff > 0:
            n = min(diff, self.burst_replicas)
            ranks = _ranks_by_colocation(pods, pods)
            victims = pod_deletion_order(pods, ranks)[:n]
            self.expectations.expect_deletions(key, [_key(p) for p in victims])
            log.info("%s %s: too many replicas, deleting %d", self.name, key, n)
            results = await asyncio.gather(*(self._delete_pod(rs, p) for p in victims), return_exceptions=True)
            errors = [r for r in results if isinstance(r, BaseException)]
            for pod, r in zip(victims, results, strict=True):
                if isinstance(r, BaseException):
                    self.expectations.deletion_observed(key, _key(pod))
            if errors:
                raise errors[0] if isinstance(errors[0], Exception) else RuntimeError(str(errors[0]))

    async def _slow_start(self, count: int, fn: Callable[[], Any]) -> tuple[int, Exception | None]:
        """Run ``fn`` ``count`` times in growing batches (1, 2, 4 ...); stop after a batch
        with a failure. Returns (successes, first error)."""
        done = 0
        batch = min(count, SLOW_START_INITIAL_BATCH)
        remaining = count
        while batch > 0:
            results = await asyncio.gather(*(fn() for _ in range(batch)), return_exceptions=True)
            errors = [r for r in results if isinstance(r, Exception)]
            done += batch - len(errors)
            if errors:
                return done, errors[0]
            remaining -= batch
            batch = min(2 * batch, remaining)
        return done, None

    async def _create_pod(self, rs: dict) -> None:
        namespace = _meta(rs).get("namespace", "")
        try:
            pod = await self.client.create("", "v1", "pods", self._pod_from_template(rs), namespace=namespace)
        except APIStatusError as e:
            self._event(rs, "Warning", "FailedCreate", f"Error creating: {e}")
            raise
        self._event(rs, "Normal", "SuccessfulCreate", f"Created pod: {_meta(pod).get('name')}")

    async def _delete_pod(self, rs: dict, pod: dict) -> None:
        pmeta = _meta(pod)
        try:
            await self.client.delete("", "v1", "pods", pmeta["name"], namespace=pmeta.get("namespace", ""),
                                     preconditions={"uid": pmeta.get("uid")} if pmeta.get("uid") else None)
        except APIStatusError as e:
            if e.code in (404, 409):
                # already gone (or replaced): the informer may never report it as ours
                self.expectations.deletion_observed(_key(rs), _key(pod))
                return
            self._event(rs, "Warning", "FailedDelete", f"Error deleting: {e}")
            raise
        self._event(rs, "Normal", "SuccessfulDelete", f"Deleted pod: {pmeta['name']}")

    # ------------------------------------------------------------------ status
    async def _update_status(self, rs: dict, pods: list[dict], manage_error: Exception | None,
                             diff: int) -> float | None:
        spec = rs.get("spec") or {}
        template_labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
        mrs = int(spec.get("minReadySeconds") or 0)
        now = time.time()
        fully = ready = available = 0
        next_check: float | None = None
        for p in pods:
            labels = _meta(p).get("labels") or {}
            if all(labels.get(k) == v for k, v in template_labels.items()):
                fully += 1
            wait = available_in(p, mrs, now)
            if wait is None:
                continue
            ready += 1
            if wait <= 0:
                available += 1
            else:
                next_check = wait if next_check is None else min(next_check, wait)

        old_status = rs.get("status") or {}
        conditions = [dict(c) for c in old_status.get("conditions") or []]
        failure = next((c for c in conditions if c.get("type") == "ReplicaFailure"), None)
        if manage_error is not None and failure is None:
            conditions.append({"type": "ReplicaFailure", "status": "True",
                               "reason": "FailedCreate" if diff < 0 else "FailedDelete",
                               "message": str(manage_error), "lastTransitionTime": rfc3339(time.time())})
        elif manage_error is None and failure is not None:
            conditions = [c for c in conditions if c.get("type") != "ReplicaFailure"]

        status: dict[str, Any] = {"replicas": len(pods), "fullyLabeledReplicas": fully, "readyReplicas": ready,
                                  "availableReplicas": available,
                                  "observedGeneration": _meta(rs).get("generation", 0)}
        if conditions:
            status["conditions"] = conditions
        # upstream omits zero counts; compare on what would be written
        status = {k: v for k, v in status.items() if v or k == "replicas"}
        managed = ("replicas", "fullyLabeledReplicas", "readyReplicas", "availableReplicas",
                   "observedGeneration", "conditions")
        current = {k: old_status[k] for k in managed if k in old_status and (old_status[k] or k == "replicas")}
        if current != status:
            await self._write_status(rs, status)
        if mrs > 0 and next_check is not None:
            return next_check + 0.1
        return None

    async def _write_status(self, rs: dict, status: dict) -> None:
        meta = _meta(rs)
        body = dict(rs)
        for attempt in range(2):
            body = {**body, "status": status}
            try:
                await self.client.update_status(self.group, self.version, self.plural, meta["name"], body,
                                                namespace=meta.get("namespace", ""))
                return
            except APIStatusError as e:
                if e.code == 404:
                    return
                if e.code != 409 or attempt:
                    raise
            # our copy is stale: fetch the current object and write the same counts on it
            try:
                body = await self.client.get(self.group, self.version, self.plural, meta["name"], namespace=meta.get("namespace", ""))
            except APIStatusError as e:
                if e.code == 404:
                    return
                raise
            if _meta(body).get("uid") != meta.get("uid"):
                return


def new_replicaset_controller(ctx: ControllerContext) -> ReplicaSetController:
    return ReplicaSetController(ctx, **ctx.options.get("replicaset", {}))
