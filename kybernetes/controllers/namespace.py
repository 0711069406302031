"""The namespace controller: empties a namespace that is being deleted, then lets it go.

Deleting a Namespace only marks it (``deletionTimestamp``, ``status.phase:
Terminating``); the API server keeps it while ``spec.finalizers`` holds
``"kubernetes"``. This controller owns that finalizer, as upstream's does:

1. discover every namespaced resource type the server serves (``/api/v1`` and the
   preferred version of each group under ``/apis``), keeping those that can be listed
   and deleted; subresources are skipped;
2. delete everything of each type in the namespace (one ``deletecollection`` where the
   type supports it, else list + delete one by one), background propagation;
3. list again and report what is left in ``status.conditions`` with upstream's condition
   types, reasons and messages (``NamespaceContentRemaining``: "Some resources are
   remaining: configmaps. has 1 resource instances" ...);
4. while anything remains (objects with finalizers, pods in their grace period), look
   again later; once nothing is left, remove ``"kubernetes"`` through
   ``PUT /api/v1/namespaces/<name>/finalize``. With no finalizers left the API server
   removes the namespace itself.

Reconcile reads the namespace from the server rather than the informer: a stale cached
copy could be missing the deletionTimestamp or carry an old resourceVersion, and the
cost is one GET per deleting namespace.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp

from ..client import APIStatusError, Client, Controller, Result, resource_path
from .base import ControllerContext

log = logging.getLogger(__name__)

__all__ = ["FINALIZER", "NamespaceController", "NamespacedResource", "discover_namespaced_resources"]

FINALIZER = "kubernetes"
GROUP, VERSION, PLURAL = "", "v1", "namespaces"

# (condition type, reason and message when all is well), in upstream's order
CONDITION_TYPES: list[tuple[str, str, str]] = [
    ("NamespaceDeletionDiscoveryFailure", "ResourcesDiscovered", "All resources successfully discovered"),
    ("NamespaceDeletionGroupVersionParsingFailure", "ParsedGroupVersions", "All legacy kube types successfully parsed"),
    ("NamespaceDeletionContentFailure", "ContentDeleted", "All content successfully deleted, may be waiting on finalization"),
    ("NamespaceContentRemaining", "ContentRemoved", "All content successfully removed"),
    ("NamespaceFinalizersRemaining", "ContentHasNoFinalizers", "All content-preserving finalizers finished"),
]


@dataclass(frozen=True)
class NamespacedResource:
    group: str
    version: str
    plural: str
    verbs: frozenset[str]

    @property
    def group_resource(self) -> str:
        # upstream prints "<resource>.<group>", so core types read "configmaps."
        return f"{self.plural}.{self.group}"


@dataclass
class Discovery:
    resources: list[NamespacedResource] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)       # group/version -> error
    unparsable: dict[str, str] = field(default_factory=dict)   # groupVersion string -> error


def _parse_group_version(gv: str) -> tuple[str, str]:
    parts = gv.split("/")
    if len(parts) == 1 and parts[0]:
        return "", parts[0]
    if len(parts) == 2 and all(parts):
        return parts[0], parts[1]
    raise ValueError(f"unexpected GroupVersion string: {gv}")


async def discover_namespaced_resources(client: Client) -> Discovery:
    """The preferred version of every namespaced, listable and deletable resource type.

    A group version whose discovery fails is recorded and skipped; the rest is still
    returned, so one broken aggregated API does not stop namespace deletion elsewhere."""
    out = Discovery()
    group_versions: list[tuple[str, str]] = [("", "v1")]
    try:
        groups = await client.request("GET", "/apis")
    except (APIStatusError, aiohttp.ClientError, TimeoutError) as e:
        out.failed["apis"] = str(e)
        groups = {}
    for group in groups.get("groups") or []:
        gv = (group.get("preferredVersion") or {}).get("groupVersion") \
            or ((group.get("versions") or [{}])[0]).get("groupVersion") or ""
        try:
            group_versions.append(_parse_group_version(gv))
        except ValueError as e:
            out.unparsable[gv] = str(e)

    async def one(g: str, v: str) -> None:
        try:
            doc = await client.request("GET", f"/apis/{g}/{v}" if g else f"/api/{v}")
        except (APIStatusError, aiohttp.ClientError, TimeoutError) as e:
            out.failed[f"{g}/{v}" if g else v] = str(e)
            return
        for r in doc.get("resources") or []:
            name = r.get("name") or ""
            verbs = frozenset(r.get("verbs") or ())
            if "/" in name or not r.get("namespaced") or not {"list", "delete"} <= verbs:
                continue
            out.resources.append(NamespacedResource(g, v, name, verbs))

    await asyncio.gather(*(one(g, v) for g, v in group_versions))
    out.resources.sort(key=lambda r: (r.group, r.plural))
    return out


@dataclass
class _Progress:
    """What one deletion pass found, as the five conditions need it."""

    discovery_errors: dict[str, str] = field(default_factory=dict)
    parse_errors: dict[str, str] = field(default_factory=dict)
    content_errors: list[str] = field(default_factory=list)
    remaining: dict[str, int] = field(default_factory=dict)     # "<resource>.<group>" -> count
    finalizers: dict[str, int] = field(default_factory=dict)    # finalizer -> count of objects holding it
    estimate: float = 0.0                                       # seconds until it may be gone

    def failures(self) -> dict[str, tuple[str, str] | None]:
        out: dict[str, tuple[str, str] | None] = {t: None for t, _, _ in CONDITION_TYPES}
        if self.discovery_errors:
            detail = ", ".join(f"{gv}: {err}" for gv, err in sorted(self.discovery_errors.items()))
            out["NamespaceDeletionDiscoveryFailure"] = (
                "DiscoveryFailed",
                (f"Discovery failed for some groups, {len(self.discovery_errors)} failing: "
                 f"unable to retrieve the complete list of server APIs: {detail}"))
        if self.parse_errors:
            out["NamespaceDeletionGroupVersionParsingFailure"] = (
                "GroupVersionParsingFailed",
                "Failed to parse some group versions: " + ", ".join(sorted(self.parse_errors.values())))
        if self.content_errors:
            out["NamespaceDeletionContentFailure"] = (
                "ContentDeletionFailed",
                f"Failed to delete all resource types, {len(self.content_errors)} remaining: "
                + ", ".join(self.content_errors))
        if self.remaining:
            out["NamespaceContentRemaining"] = (
                "SomeResourcesRemain",
                "Some resources are remaining: "
                + ", ".join(sorted(f"{gr} has {n} resource instances" for gr, n in self.remaining.items())))
        if self.finalizers:
            out["NamespaceFinalizersRemaining"] = (
                "SomeFinalizersRemain",
                "Some content in the namespace has finalizers remaining: "
                + ", ".join(sorted(f"{f} in {n} resource instances" for f, n in self.finalizers.items())))
        return out


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def updated_conditions(existing: list[dict], progress: _Progress) -> list[dict]:
    """The namespace's conditions after this pass: the five deletion conditions in
    upstream's order (True with the failure, else False with the all-is-well reason),
    a transition time kept when nothing about a condition changed, others kept as they are."""
    by_type = {c.get("type"): c for c in existing or []}
    ours = {t for t, _, _ in CONDITION_TYPES}
    out = [c for c in existing or [] if c.get("type") not in ours]
    failures = progress.failures()
    for ctype, ok_reason, ok_message in CONDITION_TYPES:
        failure = failures[ctype]
        status, reason, message = ("True", *failure) if failure else ("False", ok_reason, ok_message)
        old = by_type.get(ctype)
        if old and (old.get("status"), old.get("reason"), old.get("message")) == (status, reason, message):
            out.append(old)
        else:
            out.append({"type": ctype, "status": status, "lastTransitionTime": _now(),
                        "reason": reason, "message": message})
    return out


_BACKGROUND = {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"}


class NamespaceController:
    name = "namespace"

    def __init__(self, ctx: ControllerContext, *, workers: int = 5, min_requeue: float = 1.0) -> None:
        self.client = ctx.client
        self.min_requeue = min_requeue
        self.namespaces = ctx.informers.informer(GROUP, VERSION, PLURAL)
        self.controller = Controller(self.name, self.reconcile, workers=workers)
        self.namespaces.add_event_handler(on_add=self._on_change, on_update=lambda old, new: self._on_change(new))

    def _on_change(self, ns: dict) -> None:
        if (ns.get("metadata") or {}).get("deletionTimestamp"):
            self.controller.enqueue(ns["metadata"]["name"])

    async def run(self) -> None:
        await self.namespaces.wait_synced()
        await self.controller.run()

    # ------------------------------------------------------------------ reconcile
    async def reconcile(self, name: Any) -> Result | None:
        try:
            ns = await self.client.get(GROUP, VERSION, PLURAL, name)
        except APIStatusError as e:
            if e.code == 404:
                return None
            raise
        meta = ns.get("metadata") or {}
        if not meta.get("deletionTimestamp"):
            return None
        if (ns.get("status") or {}).get("phase") != "Terminating":
            ns.setdefault("status", {})["phase"] = "Terminating"
            ns = await self._update_status(ns)
            if ns is None:
                return None
        if FINALIZER not in ((ns.get("spec") or {}).get("finalizers") or []):
            return None  # already finalized; the API server removes it once metadata.finalizers empty

        progress = await self.delete_all_content(name)
        conditions = updated_conditions((ns.get("status") or {}).get("conditions") or [], progress)
        if conditions != (ns.get("status") or {}).get("conditions"):
            ns.setdefault("status", {})["conditions"] = conditions
            ns = await self._update_status(ns)
            if ns is None:
                return None
        if progress.content_errors or progress.discovery_errors or progress.parse_errors:
            # upstream: some content may be undeleted, so never finalize; retry with backoff
            raise RuntimeError(f"namespace {name}: deletion incomplete: "
                               + "; ".join(progress.content_errors + list(progress.discovery_errors.values())
                                           + list(progress.parse_errors.values())))
        if progress.remaining:
            delay = max(self.min_requeue, progress.estimate / 2)
            log.info("namespace %s: content remaining (%s); looking again in %.1fs", name,
                     ", ".join(f"{k}={v}" for k, v in sorted(progress.remaining.items())), delay)
            return Result(requeue_after=delay)
        await self.finalize(ns)
        return None

    async def _update_status(self, ns: dict) -> dict | None:
        try:
            return await self.client.update_status(GROUP, VERSION, PLURAL, ns["metadata"]["name"], ns)
        except APIStatusError as e:
            if e.code == 404:
                return None
            raise  # 409: someone else wrote it; the retry reads it afresh

    async def finalize(self, ns: dict) -> None:
        name = ns["metadata"]["name"]
        body = {"apiVersion": "v1", "kind": "Namespace", "metadata": dict(ns["metadata"]),
                "spec": dict(ns.get("spec") or {})}
        body["spec"]["finalizers"] = [f for f in body["spec"].get("finalizers") or [] if f != FINALIZER]
        try:
            await self.client.request("PUT", resource_path(GROUP, VERSION, PLURAL, name=name,
                                                          subresource="finalize"), body=body)
        except APIStatusError as e:
            if e.code != 404:
                raise
            if e.reason == "NotFound" and ((e.status.get("details") or {}).get("name") == name):
                return  # the namespace itself is gone
            # a server without the finalize subresource: fall back to updating the namespace
            log.warning("namespace %s: the server has no namespaces/finalize (%s); updating spec.finalizers", name, e)
            try:
                await self.client.replace(GROUP, VERSION, PLURAL, name, {**ns, "spec": body["spec"]})
            except APIStatusError as e2:
                if e2.code != 404:
                    raise
        log.info("namespace %s: content removed; finalized", name)

    # ------------------------------------------------------------------ content
    async def delete_all_content(self, namespace: str) -> _Progress:
        progress = _Progress()
        discovery = await discover_namespaced_resources(self.client)
        progress.discovery_errors = discovery.failed
        progress.parse_errors = discovery.unparsable
        await asyncio.gather(*(self._delete_resource(namespace, r, progress) for r in discovery.resources))
        return progress

    async def _delete_resource(self, namespace: str, r: NamespacedResource, progress: _Progress) -> None:
        path = resource_path(r.group, r.version, r.plural, namespace)
        try:
            deleted = False
            if "deletecollection" in r.verbs:
                try:
                    await self.client.request("DELETE", path, body=_BACKGROUND)
                    deleted = True
                except APIStatusError as e:
                    if e.code not in (404, 405):
                        raise
            if not deleted:
                await self._delete_each(namespace, r)
            items = (await self.client.list(r.group, r.version, r.plural, namespace=namespace)).get("items") or []
        except APIStatusError as e:
            if e.code in (404, 405):
                return  # the type went away meanwhile, or does not really support this
            progress.content_errors.append(f"{r.group_resource}: {e}")
            return
        except (aiohttp.ClientError, TimeoutError) as e:
            progress.content_errors.append(f"{r.group_resource}: {e or type(e).__name__}")
            return
        if not items:
            return
        progress.remaining[r.group_resource] = len(items)
        for item in items:
            meta = item.get("metadata") or {}
            for f in meta.get("finalizers") or []:
                progress.finalizers[f] = progress.finalizers.get(f, 0) + 1
            if (r.group, r.plural) == ("", "pods"):
                grace = meta.get("deletionGracePeriodSeconds")
                if grace is None:
                    grace = (item.get("spec") or {}).get("terminationGracePeriodSeconds", 30)
                progress.estimate = max(progress.estimate, float(grace or 0))

    async def _delete_each(self, namespace: str, r: NamespacedResource) -> None:
        items = (await self.client.list(r.group, r.version, r.plural, namespace=namespace)).get("items") or []
        for item in items:
            try:
                await self.client.delete(r.group, r.version, r.plural, item["metadata"]["name"],
                                         namespace=namespace, propagation_policy="Background")
            except APIStatusError as e:
                if e.code != 404:
                    raise


def new_namespace_controller(ctx: ControllerContext) -> NamespaceController:
    return NamespaceController(ctx, **ctx.options.get("namespace", {}))
