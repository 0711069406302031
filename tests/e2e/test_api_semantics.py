"""REST semantics a client relies on, checked over plain HTTPS: authentication,
discovery, watch, list chunking and resourceVersions, deletion, subresources."""

from __future__ import annotations

import json
import signal
import time
import uuid

import pytest

from kybernetes.api import protobuf

from .conftest import RawClient, start_cluster

pytestmark = pytest.mark.e2e

AGG = ("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
       "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json")
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"


def make_ns(raw: RawClient, prefix: str) -> str:
    name = f"{prefix}-{uuid.uuid4().hex[:6]}"
    status, _ = raw.json("POST", "/api/v1/namespaces", body={"metadata": {"name": name}})
    assert status == 201
    return name


def cm_path(ns: str, name: str = "") -> str:
    return f"/api/v1/namespaces/{ns}/configmaps" + (f"/{name}" if name else "")


def read_events(resp, until_type: str | None = None, count: int | None = None) -> list[dict]:
    """Read watch events (one JSON object per line) until a type or a count is seen, or the stream ends."""
    events: list[dict] = []
    buf = b""
    for chunk in resp.stream(1024, decode_content=False):
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            if line.strip():
                ev = json.loads(line)
                events.append(ev)
                if until_type and ev["type"] == until_type:
                    return events
                if count and len(events) >= count:
                    return events
    return events


def test_requests_without_credentials_get_401(cluster):
    anon = RawClient(cluster, anonymous=True)
    status, body = anon.json("GET", "/api/v1/namespaces")
    assert status == 401
    assert body["reason"] == "Unauthorized" and body["kind"] == "Status"
    assert anon.request("GET", "/readyz").data == b"ok"
    assert anon.json("GET", "/version")[1]["minor"] == "33"


def test_aggregated_discovery(raw):
    r = raw.request("GET", "/apis", headers={"Accept": AGG})
    assert r.status == 200
    assert r.headers["Content-Type"] == "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
    body = json.loads(r.data)
    groups = {g["metadata"]["name"]: g for g in body["items"]}
    apps = groups["apps"]["versions"][0]
    deploy = next(x for x in apps["resources"] if x["resource"] == "deployments")
    assert deploy["shortNames"] == ["deploy"] and deploy["categories"] == ["all"]
    assert {"subresource": "scale", "responseKind": {"group": "autoscaling", "version": "v1", "kind": "Scale"},
            "verbs": ["get", "patch", "update"]} in deploy["subresources"]
    assert [v["version"] for v in groups["autoscaling"]["versions"]] == ["v2", "v1"]
    r304 = raw.request("GET", "/apis", headers={"Accept": AGG, "If-None-Match": r.headers["Etag"]})
    assert r304.status == 304
    old = raw.request("GET", "/api", headers={
        "Accept": "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"})
    assert old.headers["Content-Type"].endswith("v=v2beta1;as=APIGroupDiscoveryList")
    legacy = raw.json("GET", "/api/v1")[1]
    names = {x["name"] for x in legacy["resources"]}
    assert {"pods", "pods/log", "pods/status", "namespaces/finalize", "services/proxy"} <= names


def test_watch_replays_from_resource_version_and_translates_selectors(raw):
    ns = make_ns(raw, "w")
    status, listed = raw.json("GET", cm_path(ns))
    rv = listed["metadata"]["resourceVersion"]
    raw.json("POST", cm_path(ns), body={"metadata": {"name": "a", "labels": {"keep": "yes"}}})
    raw.json("PATCH", cm_path(ns, "a"), body={"metadata": {"labels": {"keep": "no"}}},
             headers={"Content-Type": "application/merge-patch+json"})
    raw.json("DELETE", cm_path(ns, "a"))
    # everything after rv, as it happened
    r = raw.request("GET", cm_path(ns) + f"?watch=true&resourceVersion={rv}&timeoutSeconds=5", preload=False)
    events = read_events(r, until_type="DELETED")
    assert [e["type"] for e in events] == ["ADDED", "MODIFIED", "DELETED"]
    # with a label selector: the object stops matching -> DELETED carrying the new state
    r = raw.request("GET", cm_path(ns) + f"?watch=true&resourceVersion={rv}&labelSelector=keep%3Dyes&timeoutSeconds=5",
                    preload=False)
    events = read_events(r, count=2)
    assert [e["type"] for e in events] == ["ADDED", "DELETED"]
    assert events[1]["object"]["metadata"]["labels"] == {"keep": "no"}


def test_watch_bookmark_and_timeout(raw):
    ns = make_ns(raw, "bm")
    rv = raw.json("GET", cm_path(ns))[1]["metadata"]["resourceVersion"]
    t = time.monotonic()
    r = raw.request("GET", cm_path(ns) + f"?watch=true&resourceVersion={rv}&allowWatchBookmarks=true&timeoutSeconds=1",
                    preload=False)
    events = read_events(r)
    assert time.monotonic() - t < 20  # the server ended the stream itself
    assert events and events[-1]["type"] == "BOOKMARK"
    assert events[-1]["object"]["kind"] == "ConfigMap"
    assert int(events[-1]["object"]["metadata"]["resourceVersion"]) >= int(rv)


def test_watch_without_resource_version_starts_with_current_state(raw):
    ns = make_ns(raw, "init")
    raw.json("POST", cm_path(ns), body={"metadata": {"name": "existing"}})
    r = raw.request("GET", cm_path(ns) + "?watch=true&fieldSelector=metadata.name%3Dexisting&timeoutSeconds=1",
                    preload=False)
    events = read_events(r)
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("ADDED", "existing")]


def test_chunked_list_and_exact_resource_version(raw):
    ns = make_ns(raw, "chunk")
    for i in range(5):
        raw.json("POST", cm_path(ns), body={"metadata": {"name": f"c{i}"}})
    status, page = raw.json("GET", cm_path(ns) + "?limit=2")
    assert [i["metadata"]["name"] for i in page["items"]] == ["c0", "c1"]
    assert page["metadata"]["remainingItemCount"] == 3
    snapshot_rv = page["metadata"]["resourceVersion"]
    # a write between pages does not leak into the paginated (snapshot) list
    raw.json("POST", cm_path(ns), body={"metadata": {"name": "c2a"}})
    names = [i["metadata"]["name"] for i in page["items"]]
    token = page["metadata"]["continue"]
    while token:
        status, page = raw.json("GET", cm_path(ns) + f"?limit=2&continue={token}")
        assert status == 200
        assert page["metadata"]["resourceVersion"] == snapshot_rv
        names += [i["metadata"]["name"] for i in page["items"]]
        token = page["metadata"].get("continue")
    assert names == ["c0", "c1", "c2", "c3", "c4"]
    status, exact = raw.json("GET", cm_path(ns) + f"?resourceVersion={snapshot_rv}&resourceVersionMatch=Exact")
    assert [i["metadata"]["name"] for i in exact["items"]] == ["c0", "c1", "c2", "c3", "c4"]
    status, body = raw.json("GET", cm_path(ns) + "?labelSelector=a+in+%28b")
    assert status == 400 and body["reason"] == "BadRequest"


def test_table_and_protobuf_and_partial_metadata(raw):
    ns = make_ns(raw, "repr")
    raw.json("POST", cm_path(ns), body={"metadata": {"name": "x"}, "data": {"a": "1", "b": "2"}})
    status, table = raw.json("GET", cm_path(ns), headers={"Accept": TABLE})
    assert table["kind"] == "Table" and [c["name"] for c in table["columnDefinitions"]] == ["Name", "Data", "Age"]
    assert table["rows"][0]["cells"][:2] == ["x", 2]
    assert table["rows"][0]["object"]["kind"] == "PartialObjectMetadata"
    r = raw.request("GET", cm_path(ns, "x"), headers={"Accept": "application/vnd.kubernetes.protobuf,application/json"})
    assert r.headers["Content-Type"] == "application/vnd.kubernetes.protobuf"
    assert protobuf.decode(r.data)["data"] == {"a": "1", "b": "2"}
    status, meta = raw.json("GET", cm_path(ns), headers={
        "Accept": "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json"})
    assert meta["kind"] == "PartialObjectMetadataList" and meta["items"][0]["metadata"]["name"] == "x"
    status, body = raw.json("GET", cm_path(ns), headers={"Accept": "application/xml"})
    assert status == 406


def test_dry_run_generate_name_and_size_limit(raw):
    ns = make_ns(raw, "dry")
    status, obj = raw.json("POST", cm_path(ns) + "?dryRun=All", body={"metadata": {"name": "ghost"}})
    assert status == 201 and obj["metadata"]["uid"]
    assert raw.json("GET", cm_path(ns, "ghost"))[0] == 404
    status, obj = raw.json("POST", cm_path(ns), body={"metadata": {"generateName": "gen-"}})
    assert status == 201 and obj["metadata"]["name"].startswith("gen-") and len(obj["metadata"]["name"]) == 9
    status, body = raw.json("POST", cm_path(ns) + "?dryRun=Maybe", body={"metadata": {"name": "m"}})
    assert status == 422 and "supported values: \"All\"" in body["message"]
    big = {"metadata": {"name": "big"}, "binaryData": {"blob": "QUFB" * (400 * 1024)}}
    status, body = raw.json("POST", cm_path(ns), body=big)
    assert status in (413, 422, 500)
    assert raw.json("GET", cm_path(ns, "big"))[0] == 404


def test_finalizers_hold_deletion_until_removed(raw):
    ns = make_ns(raw, "fin")
    raw.json("POST", cm_path(ns), body={"metadata": {"name": "held", "finalizers": ["example.com/hold"]}})
    status, obj = raw.json("DELETE", cm_path(ns, "held"))
    assert status == 200 and obj["metadata"]["deletionTimestamp"]
    status, obj = raw.json("GET", cm_path(ns, "held"))
    assert status == 200 and obj["metadata"]["finalizers"] == ["example.com/hold"]
    raw.json("PATCH", cm_path(ns, "held"), body={"metadata": {"finalizers": None}},
             headers={"Content-Type": "application/merge-patch+json"})
    assert raw.json("GET", cm_path(ns, "held"))[0] == 404


def test_delete_preconditions_and_deletecollection(raw):
    ns = make_ns(raw, "del")
    for name, tier in (("a", "x"), ("b", "x"), ("c", "y")):
        raw.json("POST", cm_path(ns), body={"metadata": {"name": name, "labels": {"tier": tier}}})
    status, body = raw.json("DELETE", cm_path(ns, "a"), body={"preconditions": {"uid": "00000000-0000-0000-0000-000000000000"}})
    assert status == 409 and "the UID in the precondition" in body["message"]
    status, body = raw.json("DELETE", cm_path(ns) + "?labelSelector=tier%3Dx")
    assert status == 200 and sorted(i["metadata"]["name"] for i in body["items"]) == ["a", "b"]
    left = [i["metadata"]["name"] for i in raw.json("GET", cm_path(ns))[1]["items"]]
    assert left == ["c"]


def test_namespace_delete_is_graceful_and_blocks_new_content(raw):
    ns = make_ns(raw, "term")
    status, obj = raw.json("DELETE", f"/api/v1/namespaces/{ns}")
    assert status == 200 and obj["status"]["phase"] == "Terminating"
    status, body = raw.json("POST", cm_path(ns), body={"metadata": {"name": "late"}})
    assert status == 403 and "because it is being terminated" in body["message"]


def test_status_subresource_split(raw):
    ns = make_ns(raw, "st")
    dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
           "spec": {"selector": {"matchLabels": {"a": "b"}},
                    "template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "c", "image": "x"}]}}}}
    base = f"/apis/apps/v1/namespaces/{ns}/deployments"
    assert raw.json("POST", base, body=dep)[0] == 201
    status, obj = raw.json("PATCH", f"{base}/d/status", body={"spec": {"replicas": 9}, "status": {"replicas": 3}},
                           headers={"Content-Type": "application/merge-patch+json"})
    assert status == 200 and obj["spec"]["replicas"] == 1 and obj["status"]["replicas"] == 3
    assert obj["metadata"]["generation"] == 1
    status, scale = raw.json("GET", f"{base}/d/scale")
    assert scale["kind"] == "Scale" and scale["status"]["replicas"] == 3 and scale["status"]["selector"] == "a=b"


def test_too_old_resource_version_after_restart(tmp_path):
    c = start_cluster(tmp_path / "data")
    try:
        raw = RawClient(c)
        ns = make_ns(raw, "old")
        status, obj = raw.json("POST", cm_path(ns), body={"metadata": {"name": "x"}})
        old_rv = int(obj["metadata"]["resourceVersion"])
        raw.json("PATCH", cm_path(ns, "x"), body={"data": {"a": "b"}}, headers={"Content-Type": "application/merge-patch+json"})
    finally:
        c.stop(signal.SIGTERM)
    c = start_cluster(tmp_path / "data")
    try:
        raw = RawClient(c)
        status, obj = raw.json("GET", cm_path(ns, "x"))
        assert obj["data"] == {"a": "b"}
        r = raw.request("GET", cm_path(ns) + f"?watch=true&resourceVersion={old_rv - 1}", preload=False)
        events = read_events(r, count=1)
        assert events[0]["type"] == "ERROR"
        assert events[0]["object"]["code"] == 410 and events[0]["object"]["reason"] == "Expired"
        assert events[0]["object"]["message"].startswith(f"too old resource version: {old_rv - 1}")
    finally:
        c.stop()


def test_compacted_exact_list_is_gone(tmp_path):
    c = start_cluster(tmp_path / "data", "--etcd-compaction-interval", "0.2")
    try:
        raw = RawClient(c)
        ns = make_ns(raw, "compact")
        status, obj = raw.json("POST", cm_path(ns), body={"metadata": {"name": "x"}})
        rv = obj["metadata"]["resourceVersion"]
        deadline = time.monotonic() + 30
        while True:
            raw.json("PATCH", cm_path(ns, "x"), body={"data": {"t": str(time.monotonic())}},
                     headers={"Content-Type": "application/merge-patch+json"})
            status, body = raw.json("GET", cm_path(ns) + f"?resourceVersion={rv}&resourceVersionMatch=Exact")
            if status == 410 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert status == 410
        assert body["message"] == "The resourceVersion for the provided list is too old."
    finally:
        c.stop()


def test_binding_assigns_a_pod_once(raw):
    ns = make_ns(raw, "bind")
    pod = {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "busybox"}]}}
    status, created = raw.json("POST", f"/api/v1/namespaces/{ns}/pods", body=pod)
    assert status == 201
    binding = {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "p"}, "target": {"name": "node-1"}}
    status, body = raw.json("POST", f"/api/v1/namespaces/{ns}/pods/p/binding", body=binding)
    assert status == 201 and body["status"] == "Success"
    status, got = raw.json("GET", f"/api/v1/namespaces/{ns}/pods/p")
    assert got["spec"]["nodeName"] == "node-1"
    assert any(c["type"] == "PodScheduled" and c["status"] == "True" for c in got["status"]["conditions"])
    # as upstream (golden subresources/pod-after-binding.json): no managedFields entry for the binding
    assert got["metadata"]["managedFields"] == created["metadata"]["managedFields"]
    status, body = raw.json("POST", f"/api/v1/namespaces/{ns}/bindings", body=binding)
    assert status == 409 and "is already assigned to node" in body["message"]


def test_reviews_are_answered_not_stored(raw):
    ssar = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": {"verb": "get", "resource": "pods", "namespace": "default"}}}
    status, body = raw.json("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", body=ssar)
    assert status == 201 and body["status"]["allowed"] is True
    status, body = raw.json("GET", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews")
    assert status == 405
    status, body = raw.json("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", body=ssar,
                            headers={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"})
    assert status == 406


def test_bad_write_bodies_get_4xx_and_change_nothing(raw):
    ns = make_ns(raw, "bad")
    raw.json("POST", cm_path(ns), body={"metadata": {"name": "c"}, "data": {"k": "v"}})
    before = raw.json("GET", cm_path(ns, "c"))[1]
    cases = [
        ("POST", cm_path(ns), b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"', "application/json", 400),
        ("POST", cm_path(ns), b"metadata: [unclosed", "application/yaml", 400),
        ("POST", cm_path(ns) + "?fieldValidation=Strict",
         b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"y"},"bogus":1}', "application/json", 400),
        ("PUT", cm_path(ns, "c") + "?fieldValidation=Strict",
         b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"k":"w"},"bogus":1}', "application/json", 400),
        ("PATCH", cm_path(ns, "c"), b'{"data":{"k":"w"}}', "application/json-patch+json", 400),
        ("PATCH", cm_path(ns, "c"), b'[{"op":"replace","path":"/nope/deeper","value":1}]', "application/json-patch+json", 422),
        ("PATCH", cm_path(ns, "c"), b'{"data":{"k":"w"}}', "text/plain", 415),
        ("POST", cm_path(ns), b"k8s\x00\x0a\x0c\x0a\x02v9\x12\x06Nothin\x12\x00", "application/vnd.kubernetes.protobuf", 400),
    ]
    for method, path, body, ctype, code in cases:
        status, resp = raw.json(method, path, body=body, headers={"Content-Type": ctype})
        assert status == code, (method, path, ctype, status, resp)
        assert resp["kind"] == "Status" and resp["status"] == "Failure" and resp["message"]
    assert raw.json("GET", cm_path(ns, "c"))[1] == before
    names = [i["metadata"]["name"] for i in raw.json("GET", cm_path(ns))[1]["items"]]
    assert names == ["c"]


def test_patch_field_validation(raw):
    ns = make_ns(raw, "pfv")
    raw.json("POST", cm_path(ns), body={"metadata": {"name": "c"}})
    merge = {"Content-Type": "application/merge-patch+json"}
    status, body = raw.json("PATCH", cm_path(ns, "c") + "?fieldValidation=Strict", body=b'{"bogus":1}', headers=merge)
    assert status == 400 and 'unknown field "bogus"' in body["message"]
    r = raw.request("PATCH", cm_path(ns, "c"), body=b'{"bogus":1,"data":{"a":"b"}}', headers=merge)
    assert r.status == 200 and 'unknown field \\"bogus\\"' in r.headers["Warning"]
    assert json.loads(r.data)["data"] == {"a": "b"} and "bogus" not in json.loads(r.data)
    # on create too: warned about, and not stored
    r = raw.request("POST", cm_path(ns), body=b'{"metadata":{"name":"d"},"bogus":1}',
                    headers={"Content-Type": "application/json"})
    assert r.status == 201 and "Warning" in r.headers
    assert "bogus" not in raw.json("GET", cm_path(ns, "d"))[1]


def test_protobuf_watch_frames(raw):
    ns = make_ns(raw, "pbw")
    rv = raw.json("GET", cm_path(ns))[1]["metadata"]["resourceVersion"]
    raw.json("POST", cm_path(ns), body={"metadata": {"name": "p"}, "data": {"k": "v"}})
    r = raw.request("GET", cm_path(ns) + f"?watch=true&resourceVersion={rv}&timeoutSeconds=1",
                    headers={"Accept": "application/vnd.kubernetes.protobuf,application/json"}, preload=False)
    assert r.headers["Content-Type"] == "application/vnd.kubernetes.protobuf;stream=watch"
    events = protobuf.decode_watch_stream(r.read())
    assert [(t, o["metadata"]["name"], o["data"]) for t, o in events] == [("ADDED", "p", {"k": "v"})]


def test_namespace_finalize_subresource_completes_deletion(raw):
    ns = make_ns(raw, "fz")
    status, obj = raw.json("PUT", f"/api/v1/namespaces/{ns}", body={"metadata": {"name": ns}, "spec": {}})
    assert obj["spec"]["finalizers"] == ["kubernetes"]  # a plain update cannot drop them
    status, obj = raw.json("DELETE", f"/api/v1/namespaces/{ns}")
    assert obj["status"]["phase"] == "Terminating"
    status, obj = raw.json("PUT", f"/api/v1/namespaces/{ns}/finalize",
                           body={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}, "spec": {"finalizers": []}})
    assert status == 200
    assert raw.json("GET", f"/api/v1/namespaces/{ns}")[0] == 404
