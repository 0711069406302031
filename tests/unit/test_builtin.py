"""The built-in registry against the aggregated discovery captured from a real 1.28 server,
updated for 1.33."""

from __future__ import annotations

from tests.golden import UPSTREAM
import json

import pytest

from kybernetes.api.builtin import API_GROUP_ORDER, builtin_registry, builtin_resources

REF = UPSTREAM / "discovery"

# Group versions served by 1.28 and no longer by 1.33.
REMOVED_SINCE_128 = {
    ("flowcontrol.apiserver.k8s.io", "v1beta2"),  # not served since 1.29
    ("flowcontrol.apiserver.k8s.io", "v1beta3"),  # not served since 1.32
}

# What 1.33 serves on top of the 1.28 capture: (group, version, resource).
ADDED_SINCE_128 = {
    ("flowcontrol.apiserver.k8s.io", "v1", "flowschemas"),
    ("flowcontrol.apiserver.k8s.io", "v1", "prioritylevelconfigurations"),
    ("admissionregistration.k8s.io", "v1", "validatingadmissionpolicies"),
    ("admissionregistration.k8s.io", "v1", "validatingadmissionpolicybindings"),
    ("networking.k8s.io", "v1", "ipaddresses"),
    ("networking.k8s.io", "v1", "servicecidrs"),
}
# Subresources new in 1.33 on resources the 1.28 capture already had.
ADDED_SUBRESOURCES = {("", "v1", "pods"): {"resize"}}


def _golden() -> list[tuple[str, str, dict]]:
    out = []
    for f in ("api-aggregated.json", "apis-aggregated.json"):
        body = json.loads((REF / f).read_text())["response"]["body"]
        for g in body["items"]:
            group = g["metadata"].get("name", "")
            for v in g["versions"]:
                for r in v["resources"]:
                    out.append((group, v["version"], r))
    return out


def _as_discovery(res) -> dict:
    """Our Resource rendered the way aggregated discovery (v2beta1) shows it."""
    d = {
        "resource": res.plural,
        "responseKind": {"group": "", "version": "", "kind": res.kind},
        "scope": "Namespaced" if res.namespaced else "Cluster",
        "singularResource": res.singular,
        "verbs": list(res.verbs),
    }
    if res.short_names:
        d["shortNames"] = list(res.short_names)
    if res.categories:
        d["categories"] = list(res.categories)
    if res.subresources:
        d["subresources"] = [
            {"subresource": s.name,
             "responseKind": {"group": s.group, "version": s.version,
                              "kind": s.kind},
             "verbs": list(s.verbs)}
            for s in sorted(res.subresources.values(), key=lambda s: s.name)
        ]
    return d


GOLDEN = _golden()


@pytest.mark.parametrize("group,version,golden", [g for g in GOLDEN if (g[0], g[1]) not in REMOVED_SINCE_128],
                         ids=lambda x: x if isinstance(x, str) else x.get("resource", ""))
def test_resource_matches_1_28_discovery(group, version, golden):
    reg = builtin_registry()
    res = reg.get(group, version, golden["resource"])
    assert res is not None, f"{group}/{version} {golden['resource']} missing"
    ours = _as_discovery(res)
    extra = ADDED_SUBRESOURCES.get((group, version, golden["resource"]), set())
    if extra:
        ours["subresources"] = [s for s in ours["subresources"] if s["subresource"] not in extra]
    assert ours == golden


def test_nothing_beyond_1_28_except_known_additions():
    golden = {(g, v, r["resource"]) for g, v, r in GOLDEN if (g, v) not in REMOVED_SINCE_128}
    ours = {(r.group, r.version, r.plural) for r in builtin_resources()}
    assert ours - golden == ADDED_SINCE_128
    assert golden - ours == set()


def test_removed_versions_are_not_served():
    reg = builtin_registry()
    for group, version in REMOVED_SINCE_128:
        assert not [r for r in reg.all() if (r.group, r.version) == (group, version)]


def test_flowcontrol_v1_looks_like_the_old_beta():
    reg = builtin_registry()
    for g, v, r in GOLDEN:
        if (g, v) == ("flowcontrol.apiserver.k8s.io", "v1beta3"):
            assert _as_discovery(reg.get(g, "v1", r["resource"])) == r


def test_new_1_33_resources():
    reg = builtin_registry()
    vap = reg.get("admissionregistration.k8s.io", "v1", "validatingadmissionpolicies")
    assert vap.kind == "ValidatingAdmissionPolicy" and not vap.namespaced
    assert vap.categories == ("api-extensions",)
    assert vap.subresources["status"].verbs == ("get", "patch", "update")
    assert vap.subresources["status"].kind == "ValidatingAdmissionPolicy"
    vapb = reg.get("admissionregistration.k8s.io", "v1", "validatingadmissionpolicybindings")
    assert vapb.kind == "ValidatingAdmissionPolicyBinding" and not vapb.subresources
    assert vapb.categories == ("api-extensions",)
    ip = reg.get("networking.k8s.io", "v1", "ipaddresses")
    assert ip.short_names == ("ip",) and not ip.namespaced and ip.singular == "ipaddress"
    cidr = reg.get("networking.k8s.io", "v1", "servicecidrs")
    assert set(cidr.subresources) == {"status"} and cidr.singular == "servicecidr"
    resize = reg.get("", "v1", "pods").subresources["resize"]
    assert (resize.kind, resize.group, resize.version, resize.verbs) == ("Pod", "", "", ("get", "patch", "update"))


def test_pod_subresources_in_discovery_order():
    pods = builtin_registry().get("", "v1", "pods")
    assert sorted(pods.subresources) == [
        "attach", "binding", "ephemeralcontainers", "eviction", "exec", "log",
        "portforward", "proxy", "resize", "status"]
    ev = pods.subresources["eviction"]
    assert (ev.kind, ev.group, ev.version) == ("Eviction", "policy", "v1")


def test_group_order_matches_upstream_apis_list():
    legacy = json.loads((REF / "apis-legacy.json").read_text())["response"]["body"]
    upstream = [g["name"] for g in legacy["groups"]]
    assert list(API_GROUP_ORDER[1:]) == upstream
    reg = builtin_registry()
    assert list(reg.groups()) == list(API_GROUP_ORDER)


def test_group_versions_and_preferred():
    groups = builtin_registry().groups()
    assert groups["autoscaling"] == ["v2", "v1"]
    assert groups["flowcontrol.apiserver.k8s.io"] == ["v1"]
    assert all(vs == ["v1"] for g, vs in groups.items() if g != "autoscaling")


def test_resources_alphabetical_within_group_version():
    seen: dict[tuple[str, str], list[str]] = {}
    for r in builtin_resources():
        seen.setdefault((r.group, r.version), []).append(r.plural)
    for gv, plurals in seen.items():
        assert plurals == sorted(plurals), gv


def test_all_category_order():
    all_cat = []
    for r in builtin_resources():
        if "all" in r.categories and r.plural not in all_cat:
            all_cat.append(r.plural)
    assert all_cat == [
        "pods", "replicationcontrollers", "services", "daemonsets", "deployments",
        "replicasets", "statefulsets", "horizontalpodautoscalers", "cronjobs", "jobs"]


def test_kinds_unique_per_group_version():
    seen = set()
    for r in builtin_resources():
        key = (r.group, r.version, r.kind)
        assert key not in seen, key
        seen.add(key)


def test_create_only_and_read_only_verbs():
    reg = builtin_registry()
    for g, p in [("", "bindings"), ("authentication.k8s.io", "tokenreviews"),
                 ("authentication.k8s.io", "selfsubjectreviews"),
                 ("authorization.k8s.io", "selfsubjectaccessreviews"),
                 ("authorization.k8s.io", "subjectaccessreviews"),
                 ("authorization.k8s.io", "localsubjectaccessreviews"),
                 ("authorization.k8s.io", "selfsubjectrulesreviews")]:
        assert reg.get(g, "v1", p).verbs == ("create",)
    assert reg.get("", "v1", "componentstatuses").verbs == ("get", "list")
    assert "deletecollection" not in reg.get("", "v1", "namespaces").verbs


def test_shared_storage():
    reg = builtin_registry()
    v1 = reg.get("autoscaling", "v1", "horizontalpodautoscalers")
    v2 = reg.get("autoscaling", "v2", "horizontalpodautoscalers")
    assert v1.storage_key == v2.storage_key == "autoscaling/horizontalpodautoscalers"
    assert v1.storage_version == v2.storage_version == "v2"
    assert v2.preferred and not v1.preferred
    assert reg.versions_of(v1) == [v2, v1]
    core_ev = reg.get("", "v1", "events")
    new_ev = reg.get("events.k8s.io", "v1", "events")
    assert core_ev.storage_key == new_ev.storage_key == "core/events"
    assert new_ev.storage_version == "v1"
    assert reg.versions_of(new_ev) == [core_ev, new_ev]
    # everything else is stored on its own
    keys = [r.storage_key for r in reg.all()]
    shared = {k for k in keys if keys.count(k) > 1}
    assert shared == {"autoscaling/horizontalpodautoscalers", "core/events"}
    assert reg.get("apps", "v1", "deployments").key("demo", "web") == "/registry/apps/deployments/demo/web"
    assert reg.get("", "v1", "nodes").key(None, "n1") == "/registry/core/nodes/n1"


def test_builtin_resources_are_fresh_objects():
    a, b = builtin_resources(), builtin_resources()
    assert a[0] is not b[0]
    a[0].subresources.clear()
    assert builtin_resources()[0].subresources == b[0].subresources
