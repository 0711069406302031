"""managedFields and server-side apply, checked against a real API server.

The captures under tests/fixtures/upstream-1.28 give the managedFields an
upstream server wrote for: a sequence of applies by two managers (apply/ssa-*),
the 409 bodies of conflicting applies, plain creates of every common kind
(defaulting/*), a status patch (subresources/pod-status-patch-running) and a
scale write (subresources/deployment-status-get). fieldsV1 must match exactly,
key order included; entries come in upstream's order (operation, time, manager,
apiVersion, subresource).
"""

from __future__ import annotations

from tests.golden import UPSTREAM
import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kybernetes.api import errors, validation
from kybernetes.api import managedfields as mf
from kybernetes.api.builtin import builtin_registry

REF = UPSTREAM
REG = builtin_registry()
DEPLOY = ("apps", "v1", "Deployment")
CM = ("", "v1", "ConfigMap")
T0 = "2026-11-22T03:02:45Z"
T1 = "2026-11-22T03:09:00Z"


def load(rel: str) -> dict:
    return json.loads((REF / rel).read_text())


def dumps(v) -> str:
    """Order-sensitive rendering: fieldsV1 key order is part of what must match."""
    return json.dumps(v, separators=(",", ":"))


def entries_of(obj: dict) -> list:
    return (obj.get("metadata") or {}).get("managedFields") or []


def resets(group: str, plural: str, subresource: str = "") -> mf.FieldSet | None:
    res = next(r for r in REG.all() if r.group == group and r.plural == plural)
    return mf.reset_fields(group=group, plural=plural, has_status=res.has_status, subresource=subresource)


# ------------------------------------------------------------------------------------------------
# the apply sequence: alice applies, bob conflicts, bob shares, bob forces, kubectl-edit patches
# ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ssa():
    d = {n: load(f"apply/ssa-{n}") for n in (
        "1-create-by-alice.json", "2-conflict-by-bob-409.json", "3-bob-shared-nonconflicting.json",
        "4-force-by-bob.json", "5-update-by-kubectl-edit.json", "6-object-with-managedFields.json")}
    return {k.split("-")[0]: v for k, v in d.items()}


def _apply(live, cfg, manager, force=False, gvk=DEPLOY, api_version="apps/v1", now=T0, **kw):
    return mf.apply(live=live, config=copy.deepcopy(cfg), manager=manager, force=force, api_version=api_version,
                    now=now, gvk=gvk, **kw)


def _after_controller(ssa) -> dict:
    """ssa-1's object after the deployment controller's status write (revision annotation, conditions)."""
    created = ssa["1"]["response"]["body"]
    new = copy.deepcopy(created)
    new["metadata"]["annotations"] = {"deployment.kubernetes.io/revision": "1"}
    new["status"] = copy.deepcopy(ssa["3"]["response"]["body"]["status"])
    del new["metadata"]["managedFields"]
    return mf.update_managed_fields(old=created, new=new, manager="kube-controller-manager", subresource="status",
                                    api_version="apps/v1", now=T0, reset=resets("apps", "deployments", "status"))


def test_apply_creates_with_the_appliers_fields(ssa):
    cap = ssa["1"]
    out = _apply(None, cap["request"]["body"], "alice")
    assert dumps(entries_of(out)) == dumps(entries_of(cap["response"]["body"]))
    # after the server's defaulting the object is the one upstream created
    res = REG.by_kind("apps", "v1", "Deployment")
    validation.apply_defaults(res, out)
    assert out["spec"] == cap["response"]["body"]["spec"]


def test_status_write_by_controller(ssa):
    live = _after_controller(ssa)
    want = [e for e in entries_of(ssa["3"]["response"]["body"]) if e["manager"] == "kube-controller-manager"]
    got = [e for e in entries_of(live) if e["manager"] == "kube-controller-manager"]
    assert dumps(got) == dumps(want)


def test_conflicting_apply_is_409_with_upstreams_body(ssa):
    live = _after_controller(ssa)
    cap = ssa["2"]
    with pytest.raises(mf.ApplyConflict) as ei:
        _apply(live, cap["request"]["body"], "bob")
    err = ei.value
    assert isinstance(err, errors.APIError) and err.code == 409
    assert err.status() == cap["response"]["body"]
    assert dumps(err.status()) + "\n" == cap["response"]["rawBody"]
    assert [(c.manager, c.field) for c in err.conflicts] == [
        ("alice", ".spec.replicas"), ("alice", '.spec.template.spec.containers[name="app"].image')]
    assert mf.conflict_status(err.conflicts) == cap["response"]["body"]


def test_shared_apply_force_and_update(ssa):
    live = _after_controller(ssa)
    # bob applies the same values plus an env var: no conflict, both own the shared fields
    live3 = _apply(live, ssa["3"]["request"]["body"], "bob")
    assert dumps(entries_of(live3)) == dumps(entries_of(ssa["3"]["response"]["body"]))
    assert live3["spec"]["template"]["spec"]["containers"][0]["env"] == [{"name": "BOB", "value": "1"}]
    # forced: bob takes replicas and the image from alice
    live4 = _apply(live3, ssa["4"]["request"]["body"], "bob", force=True)
    assert dumps(entries_of(live4)) == dumps(entries_of(ssa["4"]["response"]["body"]))
    assert live4["spec"]["replicas"] == 3
    assert live4["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.26"
    # a merge patch by kubectl-edit adds a label: an Update entry of its own
    new5 = copy.deepcopy(live4)
    new5["metadata"]["labels"] = {"edited": "yes"}
    live5 = mf.update_managed_fields(old=live4, new=new5, manager="kubectl-edit", api_version="apps/v1", now=T0,
                                     reset=resets("apps", "deployments"))
    assert dumps(entries_of(live5)) == dumps(entries_of(ssa["5"]["response"]["body"]))
    assert dumps(entries_of(live5)) == dumps(entries_of(ssa["6"]["response"]["body"]))


def test_reapply_after_force_is_noop(ssa):
    live = _apply(_apply(_after_controller(ssa), ssa["3"]["request"]["body"], "bob"),
                  ssa["4"]["request"]["body"], "bob", force=True)
    again = _apply(live, ssa["4"]["request"]["body"], "bob", force=False, now=T1)
    assert again == live  # nothing changed, so no new time either


def test_configmap_conflict_with_an_update_manager():
    cap = load("apply/ssa-conflict-configmap-409.json")
    live = {"kind": "ConfigMap", "apiVersion": "v1",
            "metadata": {"name": "app-config", "namespace": "demo", "uid": "ed62561a", "resourceVersion": "374",
                         "creationTimestamp": "2026-11-22T02:58:47Z"},
            "data": {"LOG_LEVEL": "debug", "MODE": "dev"}}
    created = mf.update_managed_fields(old=None, new=live, manager="kybernetes-capture", api_version="v1",
                                       now="2026-11-22T02:58:47Z")
    assert entries_of(created)[0]["fieldsV1"] == {"f:data": {".": {}, "f:LOG_LEVEL": {}, "f:MODE": {}}}
    with pytest.raises(mf.ApplyConflict) as ei:
        _apply(created, cap["request"]["body"], "carol", gvk=CM, api_version="v1")
    assert ei.value.status() == cap["response"]["body"]
    assert dumps(ei.value.status()) + "\n" == cap["response"]["rawBody"]
    # forced, carol owns MODE and the creator keeps LOG_LEVEL
    out = _apply(created, cap["request"]["body"], "carol", force=True, gvk=CM, api_version="v1")
    assert out["data"] == {"LOG_LEVEL": "debug", "MODE": "applied"}
    owners = {e["manager"]: e["fieldsV1"] for e in entries_of(out)}
    assert owners == {"carol": {"f:data": {"f:MODE": {}}},
                      "kybernetes-capture": {"f:data": {".": {}, "f:LOG_LEVEL": {}}}}


def test_apply_from_yaml_body_creates():
    import yaml

    cap = load("apply/ssa-yaml-body.json")
    out = _apply(None, yaml.safe_load(cap["request"]["body"]), "carol", gvk=CM, api_version="v1")
    assert dumps(entries_of(out)) == dumps(entries_of(cap["response"]["body"]))
    assert out["data"] == {"a": "1"}


# ------------------------------------------------------------------------------------------------
# plain creates (defaulting/*): what a create owns
# ------------------------------------------------------------------------------------------------

# Set by kybernetes' defaulter but, upstream, after the field manager ran (so nobody owns them):
NOT_DEFAULTING = {
    ("", "Pod"): [("spec", "priority"), ("spec", "preemptionPolicy")],  # Priority admission
    ("", "Service"): [("spec", "ipFamilies"), ("spec", "ipFamilyPolicy")],  # service REST layer
    # 1.33 defaults podReplacementPolicy (the 1.28 captures predate it); checked separately below
    ("batch", "Job"): [("spec", "podReplacementPolicy")],
}

DEFAULTING = sorted(p.name for p in (REF / "defaulting").glob("*.json"))


@pytest.mark.parametrize("name", DEFAULTING)
def test_create_owns_what_the_creator_and_defaulting_set(name):
    cap = load(f"defaulting/{name}")
    req = (cap.get("create") or cap)["request"]
    resp = (cap.get("getAfterCreate") or cap)["response"]
    body = copy.deepcopy(req["body"])
    g, _, v = body["apiVersion"].rpartition("/")
    res = REG.by_kind(g, v, body["kind"])
    body.setdefault("metadata", {})["namespace"] = "defaults"
    validation.apply_defaults(res, body)
    if body["kind"] == "DaemonSet":
        validation.prepare_create(res, body)  # the template-generation annotation exists before field management
    for path in NOT_DEFAULTING.get((g, body["kind"]), ()):
        body[path[0]].pop(path[1], None)
    out = mf.update_managed_fields(old=None, new=body, manager="kybernetes-capture", api_version=body["apiVersion"],
                                   now="2026-11-22T02:57:37Z", reset=resets(g, res.plural))
    want = [e for e in entries_of(resp["body"]) if e["manager"] == "kybernetes-capture"]
    assert dumps(entries_of(out)) == dumps(want)
    if not want:  # ServiceAccount: only the name was set, so no entry and no managedFields at all
        assert "managedFields" not in out["metadata"]


def test_job_create_owns_podreplacementpolicy_in_133():
    cap = load("defaulting/job.json")
    body = copy.deepcopy(cap["create"]["request"]["body"])
    validation.apply_defaults(REG.by_kind("batch", "v1", "Job"), body)
    out = mf.update_managed_fields(old=None, new=body, manager="m", api_version="batch/v1", now=T0,
                                   reset=resets("batch", "jobs"))
    assert "f:podReplacementPolicy" in entries_of(out)[0]["fieldsV1"]["f:spec"]


# ------------------------------------------------------------------------------------------------
# subresources
# ------------------------------------------------------------------------------------------------


def test_status_patch_gets_its_own_entry():
    cap = load("subresources/pod-status-patch-running.json")
    final = cap["response"]["body"]
    old = copy.deepcopy(final)
    old["metadata"]["managedFields"] = entries_of(final)[:1]
    old["status"] = {"phase": "Pending", "qosClass": "BestEffort",
                     "conditions": [c for c in final["status"]["conditions"] if c["type"] == "PodScheduled"]}
    new = copy.deepcopy(final)
    del new["metadata"]["managedFields"]
    # a status write ignores managedFields in the request and cannot own spec
    new["metadata"]["managedFields"] = [{"manager": "evil", "operation": "Update", "apiVersion": "v1",
                                         "fieldsType": "FieldsV1", "fieldsV1": {}}]
    new["spec"]["activeDeadlineSeconds"] = 5
    out = mf.update_managed_fields(old=old, new=new, manager="kybernetes-capture", subresource="status",
                                   api_version="v1", now="2026-11-22T02:56:40Z", reset=resets("", "pods", "status"))
    assert dumps(entries_of(out)) == dumps(entries_of(final))


def test_scale_write_moves_replicas_to_a_scale_entry():
    cap = load("subresources/deployment-status-get.json")
    final = entries_of(cap["response"]["body"])
    scale_entry, main, controller = final
    assert scale_entry["subresource"] == "scale" and "time" not in scale_entry
    before = copy.deepcopy(main)
    before["fieldsV1"]["f:spec"]["f:replicas"] = {}
    before["fieldsV1"]["f:spec"] = dict(sorted(before["fieldsV1"]["f:spec"].items()))
    out = mf.scale_managed_fields(entries=[before, controller], old_replicas=1, new_replicas=2,
                                  manager="kybernetes-capture", api_version="apps/v1", now="2026-11-22T03:00:00Z")
    assert dumps(out) == dumps(final)
    # unchanged replicas: nothing moves
    assert mf.scale_managed_fields(entries=[before, controller], old_replicas=2, new_replicas=2,
                                   manager="x", api_version="apps/v1", now=T0) == [before, controller]
    # nobody owned the replicas: the Scale is untracked, as upstream
    assert mf.scale_managed_fields(entries=[controller], old_replicas=1, new_replicas=3, manager="x",
                                   api_version="apps/v1", now=T0) == [controller]
    # a CRD's specReplicasPath
    crd = [{"manager": "a", "operation": "Apply", "apiVersion": "example.com/v1", "time": T0,
            "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:size": {}, "f:x": {}}}}]
    out = mf.scale_managed_fields(entries=crd, old_replicas=1, new_replicas=3, manager="hpa",
                                  api_version="example.com/v1", now=T1, replicas_path=".spec.size")
    assert out == [
        {"manager": "a", "operation": "Apply", "apiVersion": "example.com/v1", "time": T0,
         "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:x": {}}}},
        {"manager": "hpa", "operation": "Update", "apiVersion": "example.com/v1", "fieldsType": "FieldsV1",
         "fieldsV1": {"f:spec": {"f:size": {}}}, "subresource": "scale"}]


# ------------------------------------------------------------------------------------------------
# FieldsV1
# ------------------------------------------------------------------------------------------------


def _golden_entries():
    for p in sorted(REF.rglob("*.json")):
        stack = [json.loads(p.read_text())]
        while stack:
            v = stack.pop()
            if isinstance(v, dict):
                if v.get("fieldsType") == "FieldsV1" and "fieldsV1" in v:
                    yield p.name, v["fieldsV1"]
                stack.extend(v.values())
            elif isinstance(v, list):
                stack.extend(v)


def test_fieldsv1_round_trips_every_captured_entry_in_order():
    n = 0
    for name, fields in _golden_entries():
        fs = mf.fieldset_from_fieldsv1(fields)
        assert dumps(mf.fieldset_to_fieldsv1(fs)) == dumps(fields), name
        n += 1
    assert n > 100


def test_fieldset_paths_and_strings():
    fs = mf.FieldSet.from_fieldsv1({
        "f:metadata": {"f:finalizers": {".": {}, 'v:"example.com/a"': {}}},
        "f:spec": {"f:ports": {'k:{"port":80,"protocol":"TCP"}': {".": {}, "f:port": {}}}, "f:replicas": {}},
        "f:items": {"i:3": {}},
    })
    assert [mf.path_string(p) for p in fs] == [
        ".items[3]", ".metadata.finalizers", '.metadata.finalizers[="example.com/a"]', ".spec.replicas",
        '.spec.ports[port=80,protocol="TCP"]', '.spec.ports[port=80,protocol="TCP"].port']
    assert fs.has((("f", "spec"), ("f", "replicas")))
    assert not fs.has((("f", "spec"),))
    with pytest.raises(ValueError):
        mf.FieldSet.from_fieldsv1({"x": {}})
    with pytest.raises(ValueError):
        mf.FieldSet.from_fieldsv1({'k:{"a":': {}})
    assert mf.FieldSet.from_fieldsv1({"z:unknown": {}, "f:a": {}}) == mf.FieldSet([(("f", "a"),)])


def test_fields_from_object_follows_the_schema():
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "labels": {"a": "1"}, "finalizers": ["x/y"]},
           "spec": {"nodeSelector": {"k": "v"}, "tolerations": [{"key": "k"}], "securityContext": {},
                    "containers": [{"name": "c", "ports": [{"containerPort": 80}], "args": ["a"]}]}}
    got = mf.fieldset_to_fieldsv1(mf.fields_from_object(pod))
    assert got == {
        "f:apiVersion": {}, "f:kind": {},
        "f:metadata": {"f:finalizers": {'v:"x/y"': {}}, "f:labels": {"f:a": {}}, "f:name": {}},
        "f:spec": {
            # protocol is a key with a default: TCP
            "f:containers": {'k:{"name":"c"}': {".": {}, "f:args": {}, "f:name": {}, "f:ports": {
                'k:{"containerPort":80,"protocol":"TCP"}': {".": {}, "f:containerPort": {}}}}},
            "f:nodeSelector": {}, "f:securityContext": {}, "f:tolerations": {}}}


# ------------------------------------------------------------------------------------------------
# managedFields written by clients
# ------------------------------------------------------------------------------------------------


def _cm(data, mfields=None, uid="u1"):
    meta = {"name": "c", "namespace": "ns", "uid": uid, "resourceVersion": "5", "creationTimestamp": T0}
    if mfields is not None:
        meta["managedFields"] = mfields
    return {"kind": "ConfigMap", "apiVersion": "v1", "metadata": meta, "data": data}


ENTRY = {"manager": "a", "operation": "Update", "apiVersion": "v1", "time": T0, "fieldsType": "FieldsV1",
         "fieldsV1": {"f:data": {".": {}, "f:x": {}}}}


@pytest.mark.parametrize("entries,message", [
    ([{**ENTRY, "operation": "Patch"}], "operation must be `Apply` or `Update`"),
    ([{**ENTRY, "apiVersion": ""}], "apiVersion must not be empty"),
    ([ENTRY, {**ENTRY, "fieldsType": ""}], "missing fieldsType in managed fields entry 1"),
    ([{**ENTRY, "fieldsType": "FieldsV2"}], 'invalid fieldsType "FieldsV2" in managed fields entry 0'),
])
def test_decode_errors(entries, message):
    with pytest.raises(mf.ManagedFieldsError) as ei:
        mf.decode_managed_fields(entries)
    assert str(ei.value) == message


def test_decode_bad_fields():
    with pytest.raises(mf.ManagedFieldsError, match="error decoding versioned set from .*missing colon: fx"):
        mf.decode_managed_fields({"metadata": {"managedFields": [{**ENTRY, "fieldsV1": {"fx": {}}}]}})
    assert mf.decode_managed_fields([{**ENTRY, "time": "2026-11-22T04:02:45+01:00"}])[0]["time"] == T0


def test_reset_and_fallbacks_on_update():
    old = _cm({"x": "1"}, [ENTRY])
    # absent: the stored entries are kept (clients that don't know managedFields can't drop them)
    new = _cm({"x": "1", "y": "2"})
    out = mf.update_managed_fields(old=old, new=new, manager="b", api_version="v1", now=T1)
    assert [e["manager"] for e in entries_of(out)] == ["a", "b"]
    # invalid: also the stored ones
    new = _cm({"x": "1"}, [{**ENTRY, "operation": "Bogus"}])
    out = mf.update_managed_fields(old=old, new=new, manager="b", api_version="v1", now=T1)
    assert entries_of(out) == [ENTRY]
    # [] and [{}] reset tracking; the object then stays untracked
    for reset in ([], [{}], [{"manager": "", "fieldsV1": None}]):
        assert mf.is_reset(reset)
        out = mf.update_managed_fields(old=old, new=_cm({"x": "2"}, reset), manager="b", api_version="v1", now=T1)
        assert "managedFields" not in out["metadata"]
        again = mf.update_managed_fields(old=out, new=_cm({"x": "3"}), manager="b", api_version="v1", now=T1)
        assert "managedFields" not in again["metadata"]
    assert not mf.is_reset(None) and not mf.is_reset([ENTRY])


def test_kubectl_migration_rewrites_managed_fields():
    """kubectl apply --server-side on a client-side-applied object sends a JSON patch that
    replaces managedFields: the client's entries are taken as they are."""
    csa = {**ENTRY, "manager": "kubectl-client-side-apply"}
    old = _cm({"x": "1"}, [csa])
    migrated = [{"manager": "kubectl", "operation": "Apply", "apiVersion": "v1", "time": T0,
                 "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {"f:x": {}}}}]
    out = mf.update_managed_fields(old=old, new=_cm({"x": "1"}, copy.deepcopy(migrated)), manager="kubectl",
                                   api_version="v1", now=T1)
    assert entries_of(out) == migrated
    # the next apply by kubectl owns x without conflict and drops it when it is no longer applied
    cfg = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"z": "9"}}
    nxt = _apply(out, cfg, "kubectl", gvk=CM, api_version="v1", now=T1)
    assert nxt["data"] == {"z": "9"}
    assert entries_of(nxt)[0]["fieldsV1"] == {"f:data": {"f:z": {}}}


def test_manager_name():
    assert mf.manager_name("kubectl-edit", "kubectl/v1.33.0 (linux/amd64)") == "kubectl-edit"
    assert mf.manager_name("", "kybernetes-capture/1.0") == "kybernetes-capture"
    assert mf.manager_name(None, "a\tb/1") == "ab"
    assert mf.manager_name(None, "x" * 200) == "x" * 128
    assert mf.manager_name(None, None) == ""  # recorded as "unknown"
    out = mf.update_managed_fields(old=None, new=_cm({"x": "1"}), manager="", api_version="v1", now=T0)
    assert entries_of(out)[0]["manager"] == "unknown"


def test_untracked_object_gets_before_first_apply_on_apply():
    old = _cm({"x": "1", "y": "2"})  # exists (has a uid) but nobody is tracked
    cfg = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"y": "3"}}
    with pytest.raises(mf.ApplyConflict) as ei:
        _apply(old, cfg, "alice", gvk=CM, api_version="v1", now=T1)
    assert ei.value.message == ('Apply failed with 1 conflict: conflict with "before-first-apply" using v1: .data.y')
    out = _apply(old, cfg, "alice", force=True, gvk=CM, api_version="v1", now=T1)
    ents = {e["manager"]: e for e in entries_of(out)}
    assert ents["alice"]["fieldsV1"] == {"f:data": {"f:y": {}}}
    assert ents["before-first-apply"]["fieldsV1"] == {"f:data": {".": {}, "f:x": {}}}
    assert ents["before-first-apply"]["operation"] == "Update"
    assert out["data"] == {"x": "1", "y": "3"}


def test_update_managers_are_capped_into_ancient_changes():
    obj = _cm({"k0": "v"})
    obj = mf.update_managed_fields(old=None, new=obj, manager="m00", api_version="v1", now="2026-11-22T03:00:00Z")
    for i in range(1, 12):
        new = copy.deepcopy(obj)
        new["data"][f"k{i}"] = "v"
        new["metadata"].pop("managedFields", None)
        obj = mf.update_managed_fields(old=obj, new=new, manager=f"m{i:02d}", api_version="v1",
                                       now=f"2026-11-22T03:00:{i:02d}Z")
    names = [e["manager"] for e in entries_of(obj)]
    assert len(names) == 10 and names[0] == "ancient-changes"
    # the two oldest updaters folded into the first one, which took the name and the time of the last
    assert entries_of(obj)[0]["fieldsV1"] == {"f:data": {".": {}, "f:k0": {}, "f:k1": {}, "f:k2": {}}}
    assert entries_of(obj)[0]["time"] == "2026-11-22T03:00:02Z"
    assert names[1:] == [f"m{i:02d}" for i in range(3, 12)]


def test_an_object_created_owning_nothing_stays_untracked():
    created = mf.update_managed_fields(old=None, new=_cm({}), manager="a", api_version="v1", now=T0)
    assert "managedFields" not in created["metadata"]  # data: {} reads back as no data at all
    out = mf.update_managed_fields(old=created, new=_cm({"x": "1"}), manager="b", api_version="v1", now=T1)
    assert "managedFields" not in out["metadata"]


def test_update_that_changes_nothing_keeps_time_and_adds_no_entry():
    created = mf.update_managed_fields(old=None, new=_cm({"x": "1"}), manager="a", api_version="v1", now=T0)
    again = mf.update_managed_fields(old=created, new=_cm({"x": "1"}), manager="b", api_version="v1", now=T1)
    assert entries_of(again) == entries_of(created)
    assert entries_of(again)[0]["time"] == T0


def test_removed_fields_leave_every_owner():
    created = mf.update_managed_fields(old=None, new=_cm({"x": "1", "y": "2"}), manager="a", api_version="v1", now=T0)
    out = mf.update_managed_fields(old=created, new=_cm({"y": "2"}), manager="b", api_version="v1", now=T1)
    assert entries_of(out) == [{**entries_of(created)[0], "fieldsV1": {"f:data": {".": {}, "f:y": {}}}}]


def test_main_resource_write_does_not_own_status():
    dep = load("apply/ssa-6-object-with-managedFields.json")["response"]["body"]
    new = copy.deepcopy(dep)
    new["status"]["replicas"] = 7
    new["spec"]["paused"] = True
    out = mf.update_managed_fields(old=dep, new=new, manager="me", api_version="apps/v1", now=T1,
                                   reset=resets("apps", "deployments"))
    mine = [e for e in entries_of(out) if e["manager"] == "me"]
    assert mine[0]["fieldsV1"] == {"f:spec": {"f:paused": {}}}


# ------------------------------------------------------------------------------------------------
# apply semantics
# ------------------------------------------------------------------------------------------------


def _dep(containers, **spec):
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
            "spec": {"selector": {"matchLabels": {"a": "b"}},
                     "template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": containers, **spec}}}}


def test_lists_merge_by_kind():
    a = _apply(None, {**_dep([{"name": "a", "image": "1"}, {"name": "b", "image": "1"}],
                             tolerations=[{"key": "t1"}]),
                      "metadata": {"name": "d", "finalizers": ["x/a", "x/b"]}}, "alice")
    b = _apply(a, {**_dep([{"name": "c", "image": "2"}, {"name": "a", "image": "1"}], tolerations=[{"key": "t2"}]),
                   "metadata": {"name": "d", "finalizers": ["x/c", "x/a"]}}, "bob", force=True)
    # associative by name: bob's order for the items he names, alice's b kept
    assert [c["name"] for c in b["spec"]["template"]["spec"]["containers"]] == ["c", "a", "b"]
    # a set: by value
    assert b["metadata"]["finalizers"] == ["x/c", "x/a", "x/b"]
    # atomic: replaced
    assert b["spec"]["template"]["spec"]["tolerations"] == [{"key": "t2"}]
    alice = next(e for e in entries_of(b) if e["manager"] == "alice")["fieldsV1"]
    assert "f:tolerations" not in alice["f:spec"]["f:template"]["f:spec"]


def test_dropping_a_field_from_the_config_removes_it_unless_someone_else_owns_it():
    first = _dep([{"name": "a", "image": "1", "env": [{"name": "E", "value": "1"}], "args": ["x"]}])
    first["metadata"]["labels"] = {"keep": "1", "drop": "1"}
    live = _apply(None, first, "alice")
    # someone else edits the args: they own them now
    edited = copy.deepcopy(live)
    edited["spec"]["template"]["spec"]["containers"][0]["args"] = ["y"]
    del edited["metadata"]["managedFields"]
    edited["metadata"]["managedFields"] = entries_of(live)
    live = mf.update_managed_fields(old=live, new=edited, manager="editor", api_version="apps/v1", now=T1)
    second = _dep([{"name": "a", "image": "1"}])
    second["metadata"]["labels"] = {"keep": "1"}
    out = _apply(live, second, "alice", now=T1)
    c = out["spec"]["template"]["spec"]["containers"][0]
    assert "env" not in c
    assert c["args"] == ["y"]
    assert out["metadata"]["labels"] == {"keep": "1"}
    # defaulted fields that nobody owns stay (upstream's "dangling" items)
    live2 = copy.deepcopy(live)
    live2["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] = "IfNotPresent"
    out = _apply(live2, second, "alice", now=T1)
    assert out["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] == "IfNotPresent"


def test_conflict_messages():
    c_apply = mf.Conflict("bob", ".spec.replicas")
    c_update = mf.Conflict("kubectl-client-side-apply", ".spec.replicas", "Update", "apps/v1")
    c_status = mf.Conflict("kcm", ".status.x", "Update", "apps/v1", "status")
    assert mf.conflict_message([c_apply]) == 'Apply failed with 1 conflict: conflict with "bob": .spec.replicas'
    assert mf.conflict_message([("bob", ".spec.replicas")]) == mf.conflict_message([c_apply])
    assert mf.conflict_message([c_update]) == (
        'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas')
    assert c_status.describe() == '"kcm" with subresource "status" using apps/v1'
    three = [c_update, mf.Conflict("kubectl-client-side-apply", ".spec.template.spec.containers[name=\"a\"].image",
                                   "Update", "apps/v1"), c_apply]
    assert mf.conflict_message(three) == (
        'Apply failed with 3 conflicts: conflicts with "bob":\n- .spec.replicas\n'
        'conflicts with "kubectl-client-side-apply" using apps/v1:\n- .spec.replicas\n'
        '- .spec.template.spec.containers[name="a"].image')
    st_ = mf.conflict_status(three)
    assert st_["details"]["causes"][0] == {"reason": "FieldManagerConflict", "field": ".spec.replicas",
                                           "message": 'conflict with "kubectl-client-side-apply" using apps/v1'}
    assert st_["code"] == 409 and st_["reason"] == "Conflict"


def test_kubectl_conflicts_allowed_by_last_applied():
    """Manager "kubectl" may take fields whose live value is still what last-applied says."""
    last = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"x": "1", "y": "1"}}
    obj = _cm({"x": "1", "y": "changed"})
    obj["metadata"]["annotations"] = {mf.LAST_APPLIED_ANNOTATION: json.dumps(last)}
    obj = mf.update_managed_fields(old=None, new=obj, manager="kubectl-client-side-apply", api_version="v1", now=T0)
    cfg = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"x": "2"}}
    out = _apply(obj, cfg, "kubectl", gvk=CM, api_version="v1", now=T1)
    assert out["data"]["x"] == "2"
    assert out["metadata"]["annotations"][mf.LAST_APPLIED_ANNOTATION] == (
        '{"apiVersion":"v1","data":{"x":"2"},"kind":"ConfigMap","metadata":{"name":"c"}}\n')
    # y drifted from last-applied: that conflict is not waived
    cfg["data"] = {"y": "2"}
    with pytest.raises(mf.ApplyConflict) as ei:
        _apply(obj, cfg, "kubectl", gvk=CM, api_version="v1", now=T1)
    assert [(c.manager, c.field) for c in ei.value.conflicts] == [("kubectl-client-side-apply", ".data.y")]
    # another manager gets no such allowance
    cfg["data"] = {"x": "2"}
    with pytest.raises(mf.ApplyConflict):
        _apply(obj, cfg, "alice", gvk=CM, api_version="v1", now=T1)


def test_apply_rejects():
    cfg = _dep([{"name": "a", "image": "1"}])
    with pytest.raises(errors.APIError) as ei:
        _apply(None, {**cfg, "kind": "StatefulSet"}, "a")
    assert (ei.value.code, ei.value.message) == (400, "invalid object type: apps/v1, Kind=StatefulSet")
    with pytest.raises(errors.APIError) as ei:
        _apply(None, {**cfg, "apiVersion": "v1"}, "a")
    assert ei.value.message == "invalid object type: /v1, Kind=Deployment"
    with pytest.raises(errors.APIError) as ei:
        _apply(None, {**cfg, "metadata": {"name": "d", "managedFields": []}}, "a")
    assert (ei.value.code, ei.value.message) == (400, "metadata.managedFields must be nil")
    with pytest.raises(errors.APIError) as ei:
        _apply(None, _dep([{"image": "1"}]), "a")
    assert ei.value.code == 500
    assert "reason" not in ei.value.status() and "details" not in ei.value.status()  # a plain Go error upstream
    assert ei.value.message == (
        "failed to create typed patch object (/d; apps/v1, Kind=Deployment): "
        ".spec.template.spec.containers: element 0: associative list with keys has an element that omits key "
        'field "name" (and doesn\'t have default value)')
    with pytest.raises(errors.APIError) as ei:
        _apply(None, _dep([{"name": "a"}, {"name": "a"}]), "a")
    assert ei.value.message.endswith('.spec.template.spec.containers: duplicate entries for key [name="a"]')
    with pytest.raises(errors.APIError) as ei:
        _apply(None, {**cfg, "spec": {**cfg["spec"], "bogus": 1}}, "a")
    assert ei.value.message.endswith(".spec.bogus: field not declared in schema")


def test_apply_to_custom_resources():
    schema = {"type": "object", "properties": {
        "spec": {"type": "object", "properties": {
            "items": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["id"],
                      "items": {"type": "object", "properties": {"id": {"type": "integer"},
                                                                  "v": {"type": "string"}}}},
            "tags": {"type": "array", "items": {"type": "string"}},
            "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}}}}
    gvk = ("example.com", "v1", "Widget")
    cfg = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "labels": {"a": "1"}},
           "spec": {"items": [{"id": 1, "v": "x"}], "tags": ["t"], "extra": {"free": {"form": 1}}}}
    out = _apply(None, cfg, "a", gvk=gvk, api_version="example.com/v1", crd_schema=schema)
    assert entries_of(out)[0]["fieldsV1"] == {
        "f:metadata": {"f:labels": {"f:a": {}}},
        "f:spec": {"f:extra": {"f:free": {".": {}, "f:form": {}}},
                   "f:items": {'k:{"id":1}': {".": {}, "f:id": {}, "f:v": {}}},
                   "f:tags": {}}}
    cfg2 = copy.deepcopy(cfg)
    cfg2["spec"] = {"items": [{"id": 2, "v": "y"}]}
    out2 = _apply(out, cfg2, "b", gvk=gvk, api_version="example.com/v1", crd_schema=schema)
    assert out2["spec"]["items"] == [{"id": 1, "v": "x"}, {"id": 2, "v": "y"}]
    # no schema at all: maps are granular, lists atomic
    out3 = _apply(None, cfg, "a", gvk=gvk, api_version="example.com/v1")
    assert entries_of(out3)[0]["fieldsV1"]["f:spec"]["f:items"] == {}


def test_normalize_reads_back_like_go():
    pod = {"apiVersion": "v1", "kind": "Pod", "spec": {"containers": [{"name": "c", "image": "i", "tty": False}],
                                                         "hostNetwork": False, "volumes": []},
           "metadata": {"name": "p", "finalizers": []}}
    n = mf.normalize(pod)
    assert list(n) == ["kind", "apiVersion", "metadata", "spec", "status"]
    assert n["metadata"] == {"name": "p", "creationTimestamp": None}
    assert n["spec"] == {"containers": [{"name": "c", "image": "i", "resources": {}}]}
    assert n["status"] == {}
    assert mf.normalize({"apiVersion": "example.com/v1", "kind": "Widget", "x": []}) == {
        "apiVersion": "example.com/v1", "kind": "Widget", "x": []}


# ------------------------------------------------------------------------------------------------
# properties
# ------------------------------------------------------------------------------------------------

KEYS = st.sampled_from(list("abcdefgh"))
VALUES = st.text(alphabet="xyz", min_size=1, max_size=2)
DATA = st.dictionaries(KEYS, VALUES, min_size=1, max_size=6)


def cm_config(data, labels=None):
    meta = {"name": "c"}
    if labels:
        meta["labels"] = labels
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data}


def container(name, image, env):
    c = {"name": name, "image": image}
    if env:
        c["env"] = [{"name": n, "value": v} for n, v in env.items()]
    return c


CONTAINERS = st.lists(
    st.builds(container, st.sampled_from(["a", "b", "c"]), VALUES,
              st.dictionaries(st.sampled_from(["E1", "E2", "E3"]), VALUES, max_size=3)),
    min_size=1, max_size=3, unique_by=lambda c: c["name"])

PROPS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(DATA, st.dictionaries(KEYS, VALUES, max_size=3))
def test_reapplying_the_same_config_is_a_noop(data, labels):
    cfg = cm_config(data, labels)
    first = _apply(None, cfg, "a", gvk=CM, api_version="v1")
    again = _apply(first, cfg, "a", gvk=CM, api_version="v1", now=T1)
    assert again == first


@PROPS
@given(CONTAINERS, st.lists(st.sampled_from(["x/a", "x/b", "x/c"]), unique=True, max_size=3))
def test_reapplying_a_deployment_is_a_noop(containers, finalizers):
    cfg = _dep(containers)
    if finalizers:
        cfg["metadata"]["finalizers"] = finalizers
    first = _apply(None, cfg, "a")
    validation.apply_defaults(REG.by_kind("apps", "v1", "Deployment"), first)
    again = _apply(first, cfg, "a", now=T1)
    assert again == first
    # a second manager applying the same thing changes nothing but co-owns it
    shared = _apply(first, cfg, "b", now=T1)
    assert {k: v for k, v in shared.items() if k != "metadata"} == {k: v for k, v in first.items() if k != "metadata"}
    sets = {e["manager"]: e["fieldsV1"] for e in entries_of(shared)}
    assert sets["a"] == sets["b"]


@PROPS
@given(DATA, DATA)
def test_disjoint_appliers_both_own_their_fields(da, db):
    db = {k.upper(): v for k, v in db.items()}
    live = _apply(None, cm_config(da), "a", gvk=CM, api_version="v1")
    live = _apply(live, cm_config(db), "b", gvk=CM, api_version="v1", now=T1)
    assert live["data"] == {**da, **db}
    owners = {e["manager"]: e["fieldsV1"] for e in entries_of(live)}
    assert owners == {"a": {"f:data": {f"f:{k}": {} for k in sorted(da)}},
                      "b": {"f:data": {f"f:{k}": {} for k in sorted(db)}}}


@PROPS
@given(DATA, DATA, st.dictionaries(KEYS, st.just("B"), max_size=3))
def test_fields_dropped_from_a_config_go_unless_owned_by_another(d1, d2, by_b):
    live = _apply(None, cm_config(d1), "a", gvk=CM, api_version="v1")
    if by_b:
        new = copy.deepcopy(live)
        new["data"].update(by_b)
        live = mf.update_managed_fields(old=live, new=new, manager="b", api_version="v1", now=T0)
    out = _apply(live, cm_config(d2), "a", force=True, gvk=CM, api_version="v1", now=T1)
    expected = {k: v for k, v in live["data"].items() if k in by_b or k in d2}
    expected.update(d2)
    assert out["data"] == expected
    a_set = next(e for e in entries_of(out) if e["manager"] == "a")["fieldsV1"]
    assert a_set == {"f:data": {f"f:{k}": {} for k in sorted(d2)}}


PATH_ELEMENT = st.one_of(
    st.builds(lambda n: ("f", n), st.sampled_from(["a", "b", "spec", "x.y/z"])),
    st.builds(lambda n, v: ("k", (("name", mf._canon(n)), ("port", mf._canon(v)))), st.sampled_from(["p", "q"]),
              st.integers(0, 3)),
    st.builds(lambda v: ("v", mf._canon(v)), st.one_of(st.integers(-2, 2), st.sampled_from(["s", "t"]), st.booleans())),
    st.builds(lambda i: ("i", i), st.integers(0, 3)),
)
PATHS = st.lists(st.lists(PATH_ELEMENT, min_size=1, max_size=4).map(tuple), max_size=12)


@settings(max_examples=150, deadline=None)
@given(PATHS, PATHS)
def test_fieldset_algebra_and_round_trip(p1, p2):
    a, b = mf.FieldSet(p1), mf.FieldSet(p2)
    assert set(a) == set(p1)
    assert mf.FieldSet.from_fieldsv1(json.loads(json.dumps(a.to_fieldsv1()))) == a
    assert set(a.union(b)) == set(p1) | set(p2)
    assert set(a.intersection(b)) == set(p1) & set(p2)
    assert set(a.difference(b)) == set(p1) - set(p2)
    rd = set(a.recursive_difference(b))
    assert rd == {p for p in p1 if p not in set(p2) and not any(p[:i] in set(p2) for i in range(1, len(p)))}


# ------------------------------------------------------------------------------------------------
# the comparison's shortcuts (one-sided subtrees, identical subtrees, the cached zero object of a
# create) give exactly what the plain walk gives
# ------------------------------------------------------------------------------------------------

FIELD_NAMES = st.sampled_from(["spec", "template", "containers", "name", "image", "ports", "containerPort",
                               "protocol", "replicas", "labels", "env", "value", "finalizers", "data", "x",
                               "selector", "matchLabels", "strategy", "rollingUpdate", "metadata"])
JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-2, 2), st.sampled_from([0.0, 1.0, 1.5, -0.0]),
                         st.just(float("nan")), st.sampled_from(["", "a", "b", "TCP", "UDP"]))
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(FIELD_NAMES, inner, max_size=4)),
    max_leaves=14)
KINDS = st.sampled_from([("apps/v1", "Deployment"), ("v1", "Pod"), ("v1", "ConfigMap"), ("example.com/v1", "Thing")])


def _random_obj(kind, body):
    api_version, k = kind
    obj = {"apiVersion": api_version, "kind": k, "metadata": {"name": "n"}}
    if isinstance(body, dict):
        for key, v in body.items():
            if key not in ("apiVersion", "kind"):
                obj[key] = v
    if not isinstance(obj.get("metadata"), dict):
        obj["metadata"] = {"name": "n"}
    return obj


def _mutated(obj, edits):
    out = copy.deepcopy(obj)
    for path, v in edits:
        node = out
        for key in path[:-1]:
            nxt = node.get(key) if isinstance(node, dict) else None
            if not isinstance(nxt, dict):
                break
            node = nxt
        else:
            if v is None and path[-1] in node:
                del node[path[-1]]
            else:
                node[path[-1]] = v
    if not isinstance(out.get("metadata"), dict):
        out["metadata"] = {}
    return out


def _both_ways(fn):
    fast = fn()
    mf._FAST = False
    try:
        slow = fn()
    finally:
        mf._FAST = True
    return fast, slow


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(KINDS, JSON_VALUES, JSON_VALUES,
       st.lists(st.tuples(st.lists(FIELD_NAMES, min_size=1, max_size=4), JSON_VALUES), max_size=4),
       st.booleans())
def test_comparison_shortcuts_change_nothing(kind, body, other, edits, with_status_reset):
    old = _random_obj(kind, body)
    new = _mutated(old, edits)
    g, _, v = kind[0].rpartition("/")
    t = mf.type_for((g, v, kind[1]))
    for left, right in ((old, new), (new, old), (old, copy.deepcopy(old)), (old, _random_obj(kind, other))):
        fast, slow = _both_ways(lambda left=left, right=right: mf._comparison(left, right, t))
        for part in ("added", "modified", "removed"):
            assert getattr(fast, part) == getattr(slow, part)
            assert dumps(getattr(fast, part).to_fieldsv1()) == dumps(getattr(slow, part).to_fieldsv1())
    reset = mf.reset_fields(has_status=True) if with_status_reset else None

    def create():
        return mf.update_managed_fields(old=None, new=copy.deepcopy(new), manager="m", api_version=kind[0], now=T0,
                                        reset=reset)

    def update():
        return mf.update_managed_fields(old=create(), new=copy.deepcopy(old), manager="b", api_version=kind[0],
                                        now=T1, reset=reset)

    for fn in (create, update):
        fast, slow = _both_ways(fn)
        assert dumps(fast) == dumps(slow)


def _same_shape_other_values(v, n=[0]):
    """``v`` with every value outside lists that cannot be a zero value replaced by another
    such value: what the create cache treats as the same shape."""
    if isinstance(v, dict):
        return {k: _same_shape_other_values(x) for k, x in v.items()}
    if isinstance(v, str) and v not in ("", "0"):
        n[0] += 1
        return f"{v}-other{n[0]}"
    if isinstance(v, bool) or v is None or isinstance(v, list):
        return v
    if isinstance(v, (int, float)) and v == v and v != 0:
        return v * 3 + 7 if v * 3 + 7 != 0 else 11
    return v


REALISTIC = [
    ("v1", "Event", {"metadata": {"name": "p.1", "namespace": "ns"}, "type": "Normal", "reason": "Scheduled",
                     "message": "Successfully assigned ns/p to n1", "count": 1, "eventTime": None,
                     "involvedObject": {"kind": "Pod", "name": "p", "namespace": "ns", "uid": "u", "apiVersion": "v1"},
                     "source": {"component": "default-scheduler"}, "firstTimestamp": T0, "lastTimestamp": T0}),
    ("v1", "Pod", {"metadata": {"name": "p", "namespace": "ns", "labels": {"app": "web"}},
                   "spec": {"containers": [{"name": "c", "image": "pause", "ports": [{"containerPort": 80}]}],
                            "priority": 0, "enableServiceLinks": True, "nodeName": ""}}),
]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.sampled_from(REALISTIC).map(lambda k: ((k[0], k[1]), k[2])), st.tuples(KINDS, JSON_VALUES)),
       st.booleans())
def test_create_cache_answers_what_the_walk_answers(kind_body, with_status_reset):
    """A create whose shape was seen before takes the cached managedFields; they must equal
    what the comparison walk computes for it (with the cache and shortcuts off)."""
    kind, body = kind_body
    first = _random_obj(kind, body)
    second = _same_shape_other_values(first)
    second["apiVersion"], second["kind"] = first["apiVersion"], first["kind"]
    reset = mf.reset_fields(has_status=True) if with_status_reset else None

    def create(obj, now):
        return mf.update_managed_fields(old=None, new=copy.deepcopy(obj), manager="m", api_version=kind[0],
                                        now=now, reset=reset)

    create(first, T0)                      # fills the cache for this shape
    fast, slow = _both_ways(lambda: create(second, T1))
    assert dumps(fast) == dumps(slow)
