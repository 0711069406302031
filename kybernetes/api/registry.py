"""The registry of resource kinds: one entry per served (group, version, resource).

Everything that differs between kinds lives in its :class:`Resource` entry or is
looked up by it (defaulting and validation in ``api.validation``, Table columns in
``api.tables``, field selectors in ``api.selectors``). Discovery, CRUD, watch and
kubectl's printing all read from here, so serving a new kind (or a CRD at run
time) is adding an entry.

A kind served in several versions (autoscaling/v1 and v2 HorizontalPodAutoscaler,
core/v1 and events.k8s.io/v1 Event) shares one storage location: ``storage_key``
names it and ``storage_version`` says in which version objects are stored;
``api.conversion`` translates between versions.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Subresource:
    name: str  # "status", "scale", "log", "exec", "binding", ...
    kind: str  # response kind, e.g. "Scale"
    group: str = ""  # response kind's group ("autoscaling" for Scale; "" = same as parent)
    version: str = ""  # response kind's version ("" = same as parent)
    verbs: tuple[str, ...] = ()


@dataclass(slots=True)
class Resource:
    group: str  # "" for the core group
    version: str
    kind: str
    plural: str  # the resource name in URLs: "deployments"
    singular: str
    namespaced: bool
    verbs: tuple[str, ...]
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    subresources: dict[str, Subresource] = field(default_factory=dict)
    # where objects live: /registry/<storage_key>/[<namespace>/]<name>
    storage_key: str = ""
    # version objects are stored in (others are converted on the way in and out)
    storage_version: str = ""
    # the version discovery lists first for the group (the "preferred" one)
    preferred: bool = True

    def __post_init__(self) -> None:
        if not self.storage_key:
            self.storage_key = f"{self.group or 'core'}/{self.plural}"
        if not self.storage_version:
            self.storage_version = self.version

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_resource(self) -> str:
        """How errors name the resource: ``pods``, ``deployments.apps``."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"

    @property
    def has_status(self) -> bool:
        return "status" in self.subresources

    def key(self, namespace: str | None, name: str) -> str:
        if self.namespaced:
            return f"/registry/{self.storage_key}/{namespace}/{name}"
        return f"/registry/{self.storage_key}/{name}"

    def prefix(self, namespace: str | None = None) -> str:
        if self.namespaced and namespace:
            return f"/registry/{self.storage_key}/{namespace}/"
        return f"/registry/{self.storage_key}/"


class Registry:
    """Lookup of resources by URL parts, by kind, and by short name."""

    def __init__(self, resources: list[Resource] | None = None) -> None:
        self._by_gvr: dict[tuple[str, str, str], Resource] = {}
        self._by_gvk: dict[tuple[str, str, str], Resource] = {}
        self._order: list[Resource] = []
        for r in resources or []:
            self.add(r)

    def add(self, resource: Resource) -> None:
        gvr = (resource.group, resource.version, resource.plural)
        if gvr in self._by_gvr:
            self._order.remove(self._by_gvr[gvr])
        self._by_gvr[gvr] = resource
        self._by_gvk[(resource.group, resource.version, resource.kind)] = resource
        self._order.append(resource)

    def remove(self, group: str, version: str, plural: str) -> None:
        r = self._by_gvr.pop((group, version, plural), None)
        if r is not None:
            self._order.remove(r)
            self._by_gvk.pop((r.group, r.version, r.kind), None)

    def get(self, group: str, version: str, plural: str) -> Resource | None:
        return self._by_gvr.get((group, version, plural))

    def by_kind(self, group: str, version: str, kind: str) -> Resource | None:
        return self._by_gvk.get((group, version, kind))

    def all(self) -> list[Resource]:
        return list(self._order)

    def groups(self) -> dict[str, list[str]]:
        """group -> versions, preferred version first, in registration order."""
        out: dict[str, list[str]] = {}
        for r in self._order:
            versions = out.setdefault(r.group, [])
            if r.version not in versions:
                if r.preferred:
                    versions.insert(0, r.version)
                else:
                    versions.append(r.version)
        return out

    def versions_of(self, resource: Resource) -> list[Resource]:
        """Every served version that shares ``resource``'s storage."""
        return [r for r in self._order if r.storage_key == resource.storage_key]
