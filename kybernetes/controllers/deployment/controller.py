"""The Deployment controller proper: informers, event handlers, and one sync per key.

Keys are ``namespace/name`` of apps/v1 Deployments. A sync (upstream's
syncDeployment) reads the Deployment and ReplicaSet caches and:

1. **claims** ReplicaSets: keeps those it controls that match the selector,
   releases those that stopped matching, adopts matching orphans;
2. when the Deployment is being deleted, only writes status;
3. records the DeploymentPaused / DeploymentResumed Progressing condition;
4. when paused, or when only ``spec.replicas`` changed (a *scaling event*, seen
   from the desired-replicas annotations), **scales** the ReplicaSets
   (proportionally during a rollout) and writes status;
5. otherwise rolls out by the strategy: **RollingUpdate** grows the new
   ReplicaSet within ``replicas + maxSurge`` and shrinks old ones while at least
   ``replicas - maxUnavailable`` stay available; **Recreate** scales old ones to 0,
   waits until their pods are gone, then scales the new one up;
6. prunes old ReplicaSets beyond ``revisionHistoryLimit`` once complete, and writes
   status with the Progressing / Available / ReplicaFailure conditions, asking to
   be requeued when the progress deadline should be checked.

The decisions are all in :mod:`.util`. Every write carries the resourceVersion of
the cached object it was computed from (or creates a name derived from the
template hash), so a stale cache leads to a 409 and a retry, never to a second
ReplicaSet or an overshoot: restarting the controller mid-rollout is safe.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ...api.selectors import SelectorError, label_selector_from_dict
from ...client import APIStatusError, Controller, Result
from ..base import ControllerContext, EventingController
from . import util as u

log = logging.getLogger(__name__)

__all__ = ["DeploymentController", "new_deployment_controller"]

GROUP, VERSION = "apps", "v1"


def _key(obj: dict) -> str:
    m = u.meta(obj)
    return f"{m.get('namespace', '')}/{m.get('name', '')}"


def controller_ref(obj: dict) -> dict | None:
    return next((r for r in u.meta(obj).get("ownerReferences") or [] if r.get("controller")), None)


@dataclass
class _Pass:
    """One sync's working copy: the Deployment as last written, and its ReplicaSets as
    last written (a write replaces the cached copy here, so later steps of the same
    sync build on it instead of on the lagging informer cache)."""

    d: dict
    rses: list[dict]

    def replace(self, rs: dict) -> dict:
        uid = u.meta(rs).get("uid")
        self.rses = [rs if u.meta(r).get("uid") == uid else r for r in self.rses]
        if all(u.meta(r).get("uid") != uid for r in self.rses):
            self.rses.append(rs)
        return rs

    def fresh(self, rs: dict | None) -> dict | None:
        if rs is None:
            return None
        uid = u.meta(rs).get("uid")
        return next((r for r in self.rses if u.meta(r).get("uid") == uid), rs)

    def split(self) -> tuple[dict | None, list[dict]]:
        """(new ReplicaSet or None, all old ReplicaSets)."""
        new = u.find_new_replica_set(self.d, self.rses)
        _, old = u.find_old_replica_sets(self.d, self.rses)
        return new, old


class DeploymentController(EventingController):
    name = "deployment"
    component = "deployment-controller"

    def __init__(self, ctx: ControllerContext, *, workers: int = 5, clock: Callable[[], float] = time.time) -> None:
        self.client = ctx.client
        self.clock = clock
        self.deployments = ctx.informers.informer(GROUP, VERSION, "deployments")
        self.replicasets = ctx.informers.informer(GROUP, VERSION, "replicasets")
        self.pods = ctx.informers.informer("", "v1", "pods")
        self.controller = Controller(self.name, self.reconcile, workers=workers)
        self.deployments.add_event_handler(on_add=self._enqueue, on_update=lambda _old, new: self._enqueue(new),
                                           on_delete=self._enqueue)
        self.replicasets.add_event_handler(on_add=self._on_rs_add, on_update=self._on_rs_update,
                                           on_delete=self._on_rs_delete)
        self.pods.add_event_handler(on_delete=self._on_pod_delete)

    # ------------------------------------------------------------------ event handlers
    def _enqueue(self, d: dict) -> None:
        self.controller.enqueue(_key(d))

    def _resolve(self, namespace: str, ref: dict | None) -> dict | None:
        """The Deployment a controller reference points at, if it still exists with that uid."""
        if not ref or ref.get("kind") != "Deployment" or (ref.get("apiVersion") or "").rpartition("/")[0] != GROUP:
            return None
        d = self.deployments.get(f"{namespace}/{ref.get('name')}")
        if d is None or u.meta(d).get("uid") != ref.get("uid"):
            return None
        return d

    def _matching_deployments(self, rs: dict) -> list[dict]:
        labels = u.meta(rs).get("labels") or {}
        if not labels:
            return []
        out = []
        for d in self.deployments.by_index("namespace", u.meta(rs).get("namespace", "")):
            try:
                sel = label_selector_from_dict(u.spec(d).get("selector"))
            except SelectorError:
                continue
            if not sel.empty and sel.matches(labels):
                out.append(d)
        return out

    def _on_rs_add(self, rs: dict) -> None:
        if u.meta(rs).get("deletionTimestamp"):
            self._on_rs_delete(rs)
            return
        ref = controller_ref(rs)
        if ref is not None:
            d = self._resolve(u.meta(rs).get("namespace", ""), ref)
            if d is not None:
                self._enqueue(d)
            return
        for d in self._matching_deployments(rs):  # an orphan: whoever matches may adopt it
            self._enqueue(d)

    def _on_rs_update(self, old: dict, new: dict) -> None:
        if u.meta(old).get("resourceVersion") == u.meta(new).get("resourceVersion"):
            return
        ns = u.meta(new).get("namespace", "")
        cur_ref, old_ref = controller_ref(new), controller_ref(old)
        ref_changed = (cur_ref or {}).get("uid") != (old_ref or {}).get("uid")
        if ref_changed and old_ref is not None:
            d = self._resolve(ns, old_ref)
            if d is not None:
                self._enqueue(d)
        if cur_ref is not None:
            d = self._resolve(ns, cur_ref)
            if d is not None:
                self._enqueue(d)
            return
        labels_changed = (u.meta(new).get("labels") or {}) != (u.meta(old).get("labels") or {})
        if labels_changed or ref_changed:
            for d in self._matching_deployments(new):
                self._enqueue(d)

    def _on_rs_delete(self, rs: dict) -> None:
        d = self._resolve(u.meta(rs).get("namespace", ""), controller_ref(rs))
        if d is not None:
            self._enqueue(d)

    def _on_pod_delete(self, pod: dict) -> None:
        """A Recreate rollout waits for the old pods to be gone: look again when the last goes."""
        ns = u.meta(pod).get("namespace", "")
        ref = controller_ref(pod)
        if not ref or ref.get("kind") != "ReplicaSet":
            return
        rs = self.replicasets.get(f"{ns}/{ref.get('name')}")
        if rs is None or u.meta(rs).get("uid") != ref.get("uid"):
            return
        d = self._resolve(ns, controller_ref(rs))
        if d is None or u.strategy_type(d) != "Recreate":
            return
        rs_uids = [u.meta(r).get("uid") for r in self.replicasets.by_index("controller", u.meta(d).get("uid", ""))]
        if not any(self.pods.index_keys("controller", uid) for uid in rs_uids if uid):
            self._enqueue(d)

    # ------------------------------------------------------------------ lifecycle
    def synced_informers(self) -> list:
        return [self.deployments, self.replicasets, self.pods]

    # ------------------------------------------------------------------ the sync
    async def reconcile(self, key: Any) -> Result | None:
        cached = self.deployments.get(key)
        if cached is None:
            return None
        d = copy.deepcopy(cached)
        try:
            selector = label_selector_from_dict(u.spec(d).get("selector"))
        except SelectorError as e:
            log.warning("deployment %s: invalid selector: %s", key, e)
            return None
        if selector.empty:
            self._event(d, "Warning", "SelectingAll",
                        "This deployment is selecting all pods. A non-empty selector is required.")
            gen = int(u.meta(d).get("generation") or 0)
            if int(u.status(d).get("observedGeneration") or 0) < gen:
                await self._write_status(_Pass(d, []), {**u.status(d), "observedGeneration": gen})
            return None
        p = _Pass(d, await self._claim_replicasets(d, selector))
        if u.meta(d).get("deletionTimestamp"):
            await self._get_all_and_sync_revision(p, create=False)
            await self._sync_status(p)
            return None
        await self._check_paused_conditions(p)
        if u.spec(p.d).get("paused"):
            return await self._sync(p)
        new_rs, olds = await self._get_all_and_sync_revision(p, create=False)
        if u.is_scaling_event(p.d, [*olds, new_rs]):
            return await self._sync(p)
        if u.strategy_type(p.d) == "Recreate":
            return await self._rollout_recreate(p)
        return await self._rollout_rolling(p)

    # ------------------------------------------------------------------ adoption
    async def _claim_replicasets(self, d: dict, selector: Any) -> list[dict]:
        uid = u.meta(d).get("uid")
        deleting = bool(u.meta(d).get("deletionTimestamp"))
        claimed: list[dict] = []
        can_adopt: bool | None = None
        for rs in self.replicasets.by_index("namespace", u.meta(d).get("namespace", "")):
            matches = selector.matches(u.meta(rs).get("labels") or {})
            ref = controller_ref(rs)
            if ref is not None:
                if ref.get("uid") != uid:
                    continue
                if matches:
                    claimed.append(rs)
                elif not deleting:
                    await self._patch_owner(d, rs, adopt=False)
                continue
            if not matches or deleting or u.meta(rs).get("deletionTimestamp"):
                continue
            if can_adopt is None:
                # the cache may lag: check once, live, that the Deployment still exists
                # and is not being deleted before taking anything over
                can_adopt = await self._still_alive(d)
            if can_adopt:
                adopted = await self._patch_owner(d, rs, adopt=True)
                if adopted is not None:
                    claimed.append(adopted)
        return [copy.deepcopy(rs) for rs in claimed]

    async def _still_alive(self, d: dict) -> bool:
        m = u.meta(d)
        try:
            fresh = await self.client.get(GROUP, VERSION, "deployments", m["name"], namespace=m.get("namespace", ""))
        except APIStatusError as e:
            if e.code == 404:
                return False
            raise
        return u.meta(fresh).get("uid") == m.get("uid") and not u.meta(fresh).get("deletionTimestamp")

    @staticmethod
    def _owner_ref(d: dict) -> dict:
        m = u.meta(d)
        return {"apiVersion": f"{GROUP}/{VERSION}", "kind": "Deployment", "name": m["name"], "uid": m["uid"],
                "controller": True, "blockOwnerDeletion": True}

    async def _patch_owner(self, d: dict, rs: dict, *, adopt: bool) -> dict | None:
        m = u.meta(rs)
        ref = self._owner_ref(d) if adopt else {"$patch": "delete", "uid": u.meta(d)["uid"]}
        body = {"metadata": {"ownerReferences": [ref], "uid": m.get("uid")}}
        try:
            out = await self.client.patch(GROUP, VERSION, "replicasets", m["name"], body,
                                          namespace=m.get("namespace", ""), patch_type="strategic")
        except APIStatusError as e:
            if e.code in (404, 409, 422):
                return None  # gone, or replaced by another of the same name
            raise
        log.info("deployment %s: %s replica set %s", _key(d), "adopted" if adopt else "released", m["name"])
        return out

    # ------------------------------------------------------------------ the new ReplicaSet
    async def _get_all_and_sync_revision(self, p: _Pass, *, create: bool) -> tuple[dict | None, list[dict]]:
        _, all_old = u.find_old_replica_sets(p.d, p.rses)
        new_rs = await self._get_new_replica_set(p, all_old, create=create)
        _, all_old = u.find_old_replica_sets(p.d, p.rses)
        return new_rs, all_old

    async def _get_new_replica_set(self, p: _Pass, olds: list[dict], *, create: bool) -> dict | None:
        d = p.d
        new_revision = u.max_revision(olds) + 1
        existing = u.find_new_replica_set(d, p.rses)
        if existing is not None:
            rs = copy.deepcopy(existing)
            changed = u.set_new_rs_annotations(d, rs, new_revision, exists=True)
            mrs = int(u.spec(d).get("minReadySeconds") or 0)
            if changed or int(u.spec(rs).get("minReadySeconds") or 0) != mrs:
                rs["spec"]["minReadySeconds"] = mrs
                rs = p.replace(await self._replace_rs(rs))
            await self._set_deployment_revision(p, u.annotations(rs).get(u.REVISION_ANNOTATION, ""))
            if u.has_progress_deadline(p.d) and u.get_condition(u.status(p.d), u.PROGRESSING) is None:
                # a Deployment from before progress was tracked: start counting now
                st = copy.deepcopy(u.status(p.d))
                u.set_condition(st, u.new_condition(u.PROGRESSING, "True", u.REASON_FOUND_NEW_RS,
                                                    f'Found new replica set "{u.meta(rs)["name"]}"', self.clock()))
                await self._write_status(p, st)
            return rs
        if not create:
            return None
        return await self._create_new_replica_set(p, olds, new_revision)

    def _new_replica_set_body(self, d: dict) -> dict:
        template = copy.deepcopy(u.spec(d).get("template") or {})
        pod_hash = u.compute_hash(template, u.status(d).get("collisionCount"))
        tmeta = template.setdefault("metadata", {})
        tmeta["labels"] = {**(tmeta.get("labels") or {}), u.POD_TEMPLATE_HASH_LABEL: pod_hash}
        selector = copy.deepcopy(u.spec(d).get("selector") or {})
        selector["matchLabels"] = {**(selector.get("matchLabels") or {}), u.POD_TEMPLATE_HASH_LABEL: pod_hash}
        return {"apiVersion": f"{GROUP}/{VERSION}", "kind": "ReplicaSet",
                "metadata": {"name": f"{u.meta(d)['name']}-{pod_hash}", "namespace": u.meta(d).get("namespace", ""),
                             "labels": dict(tmeta["labels"]), "ownerReferences": [self._owner_ref(d)]},
                "spec": {"replicas": 0, "minReadySeconds": int(u.spec(d).get("minReadySeconds") or 0),
                         "selector": selector, "template": template}}

    async def _create_new_replica_set(self, p: _Pass, olds: list[dict], new_revision: int) -> dict | None:
        d = p.d
        body = self._new_replica_set_body(d)
        body["spec"]["replicas"] = u.new_rs_replicas(d, [*olds, body], body)
        u.set_new_rs_annotations(d, body, new_revision, exists=False)
        name, ns = body["metadata"]["name"], body["metadata"]["namespace"]
        already = False
        try:
            created = await self.client.create(GROUP, VERSION, "replicasets", body, namespace=ns)
        except APIStatusError as e:
            if e.code == 409 and e.reason == "AlreadyExists":
                created = await self._existing_or_collision(p, name, e)
                already = True
            elif e.code == 403 and "terminat" in e.message.lower():
                raise  # the namespace is going away; nothing to report
            else:
                msg = f'Failed to create new replica set "{name}": {e.message or e}'
                if u.has_progress_deadline(d):
                    st = copy.deepcopy(u.status(d))
                    u.set_condition(st, u.new_condition(u.PROGRESSING, "False", u.REASON_FAILED_RS_CREATE, msg,
                                                        self.clock()))
                    try:
                        await self._write_status(p, st)
                    except APIStatusError:
                        pass  # the create error is the one worth retrying on
                self._event(d, "Warning", u.REASON_FAILED_RS_CREATE, msg)
                raise
        p.replace(created)
        n = u.replicas(created)
        if not already and n > 0:
            self._event(p.d, "Normal", "ScalingReplicaSet", f"Scaled up replica set {name} to {n}")
        await self._set_deployment_revision(p, str(new_revision))
        if not already and u.has_progress_deadline(p.d):
            st = copy.deepcopy(u.status(p.d))
            u.set_condition(st, u.new_condition(u.PROGRESSING, "True", u.REASON_NEW_RS,
                                                f'Created new replica set "{name}"', self.clock()))
            await self._write_status(p, st)
        return created

    async def _existing_or_collision(self, p: _Pass, name: str, error: APIStatusError) -> dict:
        """The name is taken: by our own new ReplicaSet (the cache had not shown it yet), or
        by a different template with the same hash -- then bump collisionCount, which
        changes the hash, and retry."""
        d = p.d
        live = await self.client.get(GROUP, VERSION, "replicasets", name, namespace=u.meta(d).get("namespace", ""))
        ref = controller_ref(live)
        if (ref is not None and ref.get("uid") == u.meta(d).get("uid")
                and u.equal_ignore_hash(u.spec(d).get("template"), u.spec(live).get("template"))):
            return live
        before = u.status(d).get("collisionCount") or 0
        st = {**copy.deepcopy(u.status(d)), "collisionCount": before + 1}
        await self._write_status(p, st)
        log.info("deployment %s: hash collision on replica set %s, collisionCount %d->%d",
                 _key(d), name, before, before + 1)
        raise error

    async def _set_deployment_revision(self, p: _Pass, revision: str) -> None:
        """Copy the new ReplicaSet's revision onto the Deployment (``kubectl rollout history``
        and ``undo`` read it there).

        Upstream writes it through the status subresource, whose Deployment strategy keeps
        the request's annotations -- and so does not bump ``metadata.generation``, which a
        change of annotations through the main resource does. Try that first; an API
        server whose status writes keep all metadata gets a metadata patch instead."""
        if not revision or u.annotations(p.d).get(u.REVISION_ANNOTATION) == revision:
            return
        m = u.meta(p.d)
        body = copy.deepcopy(p.d)
        body["metadata"].setdefault("annotations", {})[u.REVISION_ANNOTATION] = revision
        try:
            p.d = await self.client.update_status(GROUP, VERSION, "deployments", m["name"], body,
                                                  namespace=m.get("namespace", ""))
        except APIStatusError as e:
            if e.code == 404:
                return
            raise
        if u.annotations(p.d).get(u.REVISION_ANNOTATION) == revision:
            return
        try:
            p.d = await self.client.patch(GROUP, VERSION, "deployments", m["name"],
                                          {"metadata": {"annotations": {u.REVISION_ANNOTATION: revision}}},
                                          namespace=m.get("namespace", ""), patch_type="merge")
        except APIStatusError as e:
            if e.code != 404:
                raise

    # ------------------------------------------------------------------ scaling
    async def _scale_rs(self, p: _Pass, rs: dict, new_scale: int, operation: str) -> tuple[bool, dict]:
        """Set a ReplicaSet's size and replicas annotations (both only if they differ)."""
        d = p.d
        rs = p.fresh(rs) or rs
        want_desired, want_max = u.replicas(d), u.replicas(d) + u.max_surge(d)
        size_changes = u.replicas(rs) != new_scale
        if not size_changes and not u.replicas_annotations_need_update(rs, want_desired, want_max):
            return False, rs
        old_scale = u.replicas(rs)
        body = copy.deepcopy(rs)
        body.setdefault("spec", {})["replicas"] = new_scale
        u.set_replicas_annotations(body, want_desired, want_max)
        updated = p.replace(await self._replace_rs(body))
        if size_changes:
            self._event(d, "Normal", "ScalingReplicaSet",
                        f"Scaled {operation} replica set {u.meta(rs)['name']} to {new_scale} from {old_scale}")
        return size_changes, updated

    async def _scale_and_record(self, p: _Pass, rs: dict, new_scale: int) -> bool:
        rs = p.fresh(rs) or rs
        if u.replicas(rs) == new_scale:
            return False
        scaled, _ = await self._scale_rs(p, rs, new_scale, "up" if u.replicas(rs) < new_scale else "down")
        return scaled

    async def _replace_rs(self, rs: dict) -> dict:
        m = u.meta(rs)
        return await self.client.replace(GROUP, VERSION, "replicasets", m["name"], rs, namespace=m.get("namespace", ""))

    async def _scale(self, p: _Pass, new_rs: dict | None, olds: list[dict]) -> None:
        """Upstream's scale(): follow a change of ``spec.replicas``."""
        d = p.d
        target = u.find_active_or_latest(new_rs, olds)
        if target is not None:
            if u.replicas(target) != u.replicas(d):
                await self._scale_and_record(p, target, u.replicas(d))
            return
        if u.is_saturated(d, new_rs):
            # the new ReplicaSet already does all the work (e.g. just adopted): drop the old ones
            for old in u.filter_active(olds):
                await self._scale_and_record(p, old, 0)
            return
        if u.is_rolling(d):
            plan, op = u.proportional_scale(d, u.filter_active([*olds, new_rs]))
            for rs, size in plan:
                await self._scale_rs(p, rs, size, op)

    async def _sync(self, p: _Pass) -> Result | None:
        """Scaling only (a paused Deployment, or a replicas change): no rollout progress."""
        new_rs, olds = await self._get_all_and_sync_revision(p, create=False)
        await self._scale(p, new_rs, olds)
        if u.spec(p.d).get("paused"):
            await self._cleanup(p, [p.fresh(rs) for rs in olds])
        await self._sync_status(p)
        return None

    # ------------------------------------------------------------------ strategies
    async def _reconcile_new_rs(self, p: _Pass, new_rs: dict) -> bool:
        d = p.d
        new_rs = p.fresh(new_rs)
        if u.replicas(new_rs) == u.replicas(d):
            return False
        if u.replicas(new_rs) > u.replicas(d):
            return await self._scale_and_record(p, new_rs, u.replicas(d))
        new, olds = p.split()
        want = u.new_rs_replicas(d, [*olds, new_rs], new_rs)
        return await self._scale_and_record(p, new_rs, want)

    async def _reconcile_old_rses(self, p: _Pass, new_rs: dict) -> bool:
        d = p.d
        new_rs = p.fresh(new_rs)
        _, all_old = p.split()
        olds = u.filter_active(all_old)
        if u.replica_count(olds) == 0:
            return False
        limit = u.max_scaled_down([*olds, new_rs], new_rs, d)
        if limit <= 0:
            return False
        scaled_down = 0
        for rs, size in u.unhealthy_cleanup_plan(olds, limit):
            await self._scale_and_record(p, rs, size)
            scaled_down += u.replicas(rs) - size
        olds = [p.fresh(rs) for rs in olds]
        for rs, size in u.rolling_scale_down_plan([*olds, new_rs], olds, d):
            await self._scale_and_record(p, rs, size)
            scaled_down += u.replicas(rs) - size
        return scaled_down > 0

    async def _rollout_rolling(self, p: _Pass) -> Result | None:
        new_rs, olds = await self._get_all_and_sync_revision(p, create=True)
        if new_rs is None:
            return await self._sync_rollout_status(p)
        if await self._reconcile_new_rs(p, new_rs):
            return await self._sync_rollout_status(p)
        if await self._reconcile_old_rses(p, new_rs):
            return await self._sync_rollout_status(p)
        if u.deployment_complete(p.d, u.status(p.d)):
            await self._cleanup(p, [p.fresh(rs) for rs in olds])
        return await self._sync_rollout_status(p)

    def _old_pods_running(self, new_rs: dict | None, olds: list[dict]) -> bool:
        """Any pod of an old ReplicaSet not yet Succeeded/Failed (still counts while terminating)."""
        if u.actual_count(olds) > 0:
            return True
        new_uid = u.meta(new_rs).get("uid") if new_rs is not None else None
        for rs in olds:
            uid = u.meta(rs).get("uid")
            if not uid or uid == new_uid:
                continue
            for pod in self.pods.by_index("controller", uid):
                if (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed"):
                    return True
        return False

    async def _rollout_recreate(self, p: _Pass) -> Result | None:
        new_rs, olds = await self._get_all_and_sync_revision(p, create=False)
        scaled = False
        for rs in u.filter_active(olds):
            scaled = await self._scale_and_record(p, rs, 0) or scaled
        if scaled:
            return await self._sync_rollout_status(p)
        if self._old_pods_running(new_rs, olds):
            return await self._sync_rollout_status(p)
        if new_rs is None:
            new_rs, olds = await self._get_all_and_sync_revision(p, create=True)
        if new_rs is not None:
            await self._reconcile_new_rs(p, new_rs)
        if u.deployment_complete(p.d, u.status(p.d)):
            await self._cleanup(p, [p.fresh(rs) for rs in olds])
        return await self._sync_rollout_status(p)

    async def _cleanup(self, p: _Pass, olds: list[dict | None]) -> None:
        """Delete old ReplicaSets beyond ``revisionHistoryLimit`` (scaled-down ones only)."""
        limit = u.spec(p.d).get("revisionHistoryLimit")
        if limit is None:
            return
        for rs in u.history_to_delete([rs for rs in olds if rs is not None], int(limit)):
            m = u.meta(rs)
            log.info("deployment %s: deleting old replica set %s", _key(p.d), m["name"])
            try:
                await self.client.delete(GROUP, VERSION, "replicasets", m["name"], namespace=m.get("namespace", ""),
                                         preconditions={"uid": m.get("uid")})
            except APIStatusError as e:
                if e.code not in (404, 409):
                    raise
            p.rses = [r for r in p.rses if u.meta(r).get("uid") != m.get("uid")]

    # ------------------------------------------------------------------ status
    async def _check_paused_conditions(self, p: _Pass) -> None:
        if not u.has_progress_deadline(p.d):
            return
        cond = u.get_condition(u.status(p.d), u.PROGRESSING)
        if cond is not None and cond.get("reason") == u.REASON_TIMED_OUT:
            return  # a reported failure to progress is not overwritten by pausing
        paused = bool(u.spec(p.d).get("paused"))
        paused_shown = cond is not None and cond.get("reason") == u.REASON_PAUSED
        if paused == paused_shown:
            return
        reason, message = ((u.REASON_PAUSED, "Deployment is paused") if paused
                           else (u.REASON_RESUMED, "Deployment is resumed"))
        st = copy.deepcopy(u.status(p.d))
        u.set_condition(st, u.new_condition(u.PROGRESSING, "Unknown", reason, message, self.clock()))
        await self._write_status(p, st)

    async def _sync_status(self, p: _Pass) -> None:
        new_rs, olds = p.split()
        st = u.calculate_status([*olds, new_rs], new_rs, p.d, self.clock())
        if st != u.comparable_status(u.status(p.d)):
            await self._write_status(p, st)

    async def _sync_rollout_status(self, p: _Pass) -> Result | None:
        """Status plus the progress estimate (Progressing condition); requeue to catch the deadline."""
        d = p.d
        now = self.clock()
        new_rs, olds = p.split()
        all_rses = [*olds, new_rs]
        st = u.calculate_status(all_rses, new_rs, d, now)
        deadline = u.has_progress_deadline(d)
        if not deadline:
            u.remove_condition(st, u.PROGRESSING)
        current = u.get_condition(u.status(d), u.PROGRESSING)
        finished_before = (int(st.get("replicas") or 0) == int(st.get("updatedReplicas") or 0)
                           and current is not None and current.get("reason") == u.REASON_NEW_RS_AVAILABLE)
        if deadline and not finished_before:
            what = f'ReplicaSet "{u.meta(new_rs)["name"]}"' if new_rs is not None else f'Deployment "{u.meta(d)["name"]}"'
            if u.deployment_complete(d, st):
                u.set_condition(st, u.new_condition(u.PROGRESSING, "True", u.REASON_NEW_RS_AVAILABLE,
                                                    f"{what} has successfully progressed.", now))
            elif u.deployment_progressing(d, st):
                cond = u.new_condition(u.PROGRESSING, "True", u.REASON_RS_UPDATED, f"{what} is progressing.", now)
                if current is not None:
                    # progress refreshes lastUpdateTime even with the same reason; the
                    # transition time stays if it was already True
                    if current.get("status") == "True":
                        cond["lastTransitionTime"] = current.get("lastTransitionTime")
                    u.remove_condition(st, u.PROGRESSING)
                u.set_condition(st, cond)
            elif u.deployment_timed_out(d, st, now):
                u.set_condition(st, u.new_condition(u.PROGRESSING, "False", u.REASON_TIMED_OUT,
                                                    f"{what} has timed out progressing.", now))
        failures = u.replica_failures(all_rses, new_rs)
        if failures:
            u.set_condition(st, failures[0])
        else:
            u.remove_condition(st, u.REPLICA_FAILURE)
        st = u.comparable_status(st)
        if st != u.comparable_status(u.status(d)):
            await self._write_status(p, st)
            return None  # our own status update brings the Deployment back to the queue
        after = u.seconds_until_deadline(d, st, now)
        if after is None:
            return None
        return Result(requeue_after=after + 1.0 if after >= 1.0 else 0.5)

    async def _write_status(self, p: _Pass, st: dict) -> None:
        m = u.meta(p.d)
        try:
            p.d = await self.client.update_status(GROUP, VERSION, "deployments", m["name"], {**p.d, "status": st},
                                                  namespace=m.get("namespace", ""))
        except APIStatusError as e:
            if e.code != 404:
                raise


def new_deployment_controller(ctx: ControllerContext) -> DeploymentController:
    return DeploymentController(ctx, **ctx.options.get("deployment", {}))
