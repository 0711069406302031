"""API discovery documents, built from the registry.

Aggregated discovery (``apidiscovery.k8s.io`` v2 and v2beta1, one request for
everything, typed Content-Type, ETag) is what kubectl 1.30+ asks for first; the
legacy documents (APIVersions, APIGroupList, APIGroup, APIResourceList) serve
older clients and ``kubectl auth can-i``. Bodies are rebuilt only when the
registry changes (CRDs), and served as pre-encoded bytes.
"""

from __future__ import annotations

import hashlib

import orjson

from ..api.registry import Registry, Resource

AGG_V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
AGG_V2BETA1 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"


def _agg_resource(r: Resource) -> dict:
    d: dict = {
        "resource": r.plural,
        "responseKind": {"group": r.group, "version": r.version, "kind": r.kind},
        "scope": "Namespaced" if r.namespaced else "Cluster",
        "singularResource": r.singular,
        "verbs": list(r.verbs),
    }
    if r.short_names:
        d["shortNames"] = list(r.short_names)
    if r.categories:
        d["categories"] = list(r.categories)
    subs = []
    for s in r.subresources.values():
        subs.append({
            "subresource": s.name,
            "responseKind": {"group": s.group if s.group else r.group,
                             "version": s.version if s.version else r.version, "kind": s.kind},
            "verbs": list(s.verbs),
        })
    if subs:
        d["subresources"] = subs
    return d


def _legacy_resource(r: Resource) -> list[dict]:
    d: dict = {
        "name": r.plural,
        "singularName": r.singular,
        "namespaced": r.namespaced,
        "kind": r.kind,
        "verbs": list(r.verbs),
    }
    if r.short_names:
        d["shortNames"] = list(r.short_names)
    if r.categories:
        d["categories"] = list(r.categories)
    out = [d]
    for s in r.subresources.values():
        sd: dict = {"name": f"{r.plural}/{s.name}", "singularName": "", "namespaced": r.namespaced}
        if s.group:
            sd["group"] = s.group
        if s.version:
            sd["version"] = s.version
        sd["kind"] = s.kind
        sd["verbs"] = list(s.verbs)
        out.append(sd)
    return out


class Discovery:
    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.generation = -1
        self._docs: dict[str, bytes] = {}
        self.etags: dict[str, str] = {}

    def invalidate(self) -> None:
        self._docs.clear()

    def _build(self) -> None:
        groups = self.registry.groups()
        by_gv: dict[tuple[str, str], list[Resource]] = {}
        for r in self.registry.all():
            by_gv.setdefault((r.group, r.version), []).append(r)
        core_versions = groups.get("", [])
        docs: dict[str, bytes] = {}
        # aggregated
        for prefix, want_core in (("api", True), ("apis", False)):
            items = []
            for group, versions in groups.items():
                if (group == "") != want_core:
                    continue
                item: dict = {"metadata": {"name": group} if group else {}, "versions": []}
                if not group:
                    item = {"metadata": {}, "versions": []}
                for v in versions:
                    resources = sorted(by_gv.get((group, v), []), key=lambda r: r.plural)
                    item["versions"].append({"version": v, "resources": [_agg_resource(r) for r in resources],
                                             "freshness": "Current"})
                items.append(item)
            for ver in ("v2", "v2beta1"):
                body = {"kind": "APIGroupDiscoveryList", "apiVersion": f"apidiscovery.k8s.io/{ver}",
                        "metadata": {}, "items": items}
                docs[f"agg/{prefix}/{ver}"] = orjson.dumps(body)
        # legacy
        docs["legacy/api"] = orjson.dumps({
            "kind": "APIVersions", "versions": core_versions,
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": self.server_address}],
        })
        group_docs = []
        for group, versions in groups.items():
            if not group:
                continue
            g = {
                "name": group,
                "versions": [{"groupVersion": f"{group}/{v}", "version": v} for v in versions],
                "preferredVersion": {"groupVersion": f"{group}/{versions[0]}", "version": versions[0]},
            }
            group_docs.append(g)
            docs[f"legacy/apis/{group}"] = orjson.dumps({"kind": "APIGroup", "apiVersion": "v1", **g})
        docs["legacy/apis"] = orjson.dumps({"kind": "APIGroupList", "apiVersion": "v1", "groups": group_docs})
        for (group, version), resources in by_gv.items():
            gv = f"{group}/{version}" if group else version
            rl = []
            for r in sorted(resources, key=lambda r: r.plural):
                rl.extend(_legacy_resource(r))
            docs[f"legacy/gv/{gv}"] = orjson.dumps({"kind": "APIResourceList", "apiVersion": "v1",
                                                    "groupVersion": gv, "resources": rl})
        self._docs = docs
        self.etags = {k: '"' + hashlib.sha256(v).hexdigest().upper() + '"' for k, v in docs.items() if k.startswith("agg/")}

    server_address = "127.0.0.1:6443"

    def doc(self, name: str) -> bytes | None:
        if not self._docs:
            self._build()
        return self._docs.get(name)

    def etag(self, name: str) -> str:
        if not self._docs:
            self._build()
        return self.etags.get(name, "")
