"""What the garbage collector needs to know about the server's resource types.

Two questions, both answered from the discovery documents (``/api/v1`` and every
served version of every group under ``/apis``):

* which types to watch: the preferred version of each type that can be listed,
  watched and deleted, except Events (upstream's GC ignores ``events`` in the core
  group and in ``events.k8s.io``: they carry no owner references worth following and
  are by far the busiest type);
* how to find an object named by an ownerReference, which only has ``apiVersion`` and
  ``kind``: the plural to use in the URL and whether the type is namespaced (a
  RESTMapper, in client-go's terms).

A group version whose discovery fails is reported in ``failed``; the caller keeps
watching what it watched before for that group rather than dropping the monitors.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import aiohttp

from ...client import APIStatusError, Client

__all__ = ["APIResource", "IGNORED_RESOURCES", "ResourceMap", "discover_resources", "split_api_version"]

# (group, plural) of types the collector never watches, as upstream
IGNORED_RESOURCES: frozenset[tuple[str, str]] = frozenset({("", "events"), ("events.k8s.io", "events")})
GC_VERBS = frozenset({"list", "watch", "delete"})


@dataclass(frozen=True)
class APIResource:
    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    verbs: frozenset[str] = frozenset()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def gvr(self) -> tuple[str, str, str]:
        return self.group, self.version, self.plural


def split_api_version(api_version: str) -> tuple[str, str]:
    """``"apps/v1"`` -> ``("apps", "v1")``, ``"v1"`` -> ``("", "v1")``."""
    group, _, version = api_version.rpartition("/")
    return group, version


@dataclass
class ResourceMap:
    """Every served resource type, plus which version of each is preferred."""

    preferred: list[APIResource] = field(default_factory=list)
    by_gvk: dict[tuple[str, str, str], APIResource] = field(default_factory=dict)
    by_gk: dict[tuple[str, str], APIResource] = field(default_factory=dict)   # preferred version
    failed: dict[str, str] = field(default_factory=dict)                      # group version -> error

    def resolve(self, api_version: str, kind: str) -> APIResource | None:
        """The type an ownerReference points at: its exact version if served, else the
        preferred version of the same group and kind (a UID names the same object in
        every version, and kind names are stable across versions)."""
        group, version = split_api_version(api_version)
        return self.by_gvk.get((group, version, kind)) or self.by_gk.get((group, kind))

    def collectable(self, ignored: frozenset[tuple[str, str]] = IGNORED_RESOURCES) -> list[APIResource]:
        """The types the collector watches: ``ignored`` holds (group, plural) pairs."""
        return [r for r in self.preferred if GC_VERBS <= r.verbs and (r.group, r.plural) not in ignored]


_ERRORS = (APIStatusError, aiohttp.ClientError, TimeoutError)


async def discover_resources(client: Client) -> ResourceMap:
    out = ResourceMap()
    # (group, version, preferred?)
    group_versions: list[tuple[str, str, bool]] = [("", "v1", True)]
    try:
        groups = await client.request("GET", "/apis")
    except _ERRORS as e:
        out.failed["apis"] = str(e)
        groups = {}
    for group in groups.get("groups") or []:
        name = group.get("name") or ""
        preferred = (group.get("preferredVersion") or {}).get("version") or ""
        versions = [v.get("version") or "" for v in group.get("versions") or []]
        if not preferred and versions:
            preferred = versions[0]
        group_versions += [(name, v, v == preferred) for v in versions if v]

    async def one(group: str, version: str, is_preferred: bool) -> None:
        try:
            doc = await client.request("GET", f"/apis/{group}/{version}" if group else f"/api/{version}")
        except _ERRORS as e:
            out.failed[f"{group}/{version}" if group else version] = str(e)
            return
        for r in doc.get("resources") or []:
            plural = r.get("name") or ""
            if not plural or "/" in plural or not r.get("kind"):
                continue  # subresources
            res = APIResource(group, version, plural, r["kind"], bool(r.get("namespaced")),
                              frozenset(r.get("verbs") or ()))
            out.by_gvk.setdefault((group, version, res.kind), res)
            if is_preferred:
                out.preferred.append(res)
                out.by_gk.setdefault((group, res.kind), res)

    await asyncio.gather(*(one(*gv) for gv in group_versions))
    out.preferred.sort(key=lambda r: (r.group, r.plural))
    return out
